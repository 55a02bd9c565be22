//! The OpenAPI document lists every `/api/v1` route the router serves: routes are read from
//! the feature sources (`.route("…")` inside API routers, or full `/api/v1/…` paths) and
//! compared with the document's `paths`.

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};

use crate::helpers::TestApp;

/// Every API path the features declare, in OpenAPI form (`{code}` parameters as written).
fn routed_api_paths() -> BTreeSet<String> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/src/features");
    let mut out = BTreeSet::new();
    let mut stack = vec![std::path::PathBuf::from(root)];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let src = std::fs::read_to_string(&path).unwrap();
            let is_api_file = path.ends_with("api.rs");
            // The body of `fn api_router()` in page+API files.
            let api_fn = src
                .find("fn api_router()")
                .map(|i| &src[i..i + src[i..].find("\n}\n").unwrap_or(src.len() - i)]);
            let mut scan = |text: &str, api: bool| {
                let mut rest = text;
                while let Some(i) = rest.find(".route(") {
                    rest = &rest[i + ".route(".len()..];
                    let Some(q) = rest.find('"') else { break };
                    let tail = &rest[q + 1..];
                    let Some(end) = tail.find('"') else { break };
                    let route = &tail[..end];
                    if route.ends_with('/') {
                        // A macro's prefix (`concat!("/api/v1/programs/{code}/", $path)`).
                    } else if let Some(p) = route.strip_prefix("/api/v1") {
                        out.insert(p.to_string());
                    } else if api {
                        out.insert(route.to_string());
                    }
                }
            };
            scan(&src, is_api_file);
            if let Some(body) = api_fn {
                scan(body, true);
            }
            // `crud!(r, "objectives", Doc)`: a list/create and a read/update/delete path.
            let mut rest = src.as_str();
            while let Some(i) = rest.find("crud!(r, \"") {
                rest = &rest[i + "crud!(r, \"".len()..];
                let kind = &rest[..rest.find('"').unwrap_or(0)];
                out.insert(format!("/programs/{{code}}/{kind}"));
                out.insert(format!("/programs/{{code}}/{kind}/{{id}}"));
            }
        }
    }
    out.remove("/openapi.json");
    out
}

#[tokio::test]
async fn every_api_route_is_in_the_openapi_document() {
    let app = TestApp::spawn().await;
    let res = app.api(None, Method::GET, "/openapi.json", None).await;
    assert_eq!(res.status, StatusCode::OK);
    let doc = res.json();
    let documented: BTreeSet<String> = doc["paths"].as_object().unwrap().keys().cloned().collect();
    let routed = routed_api_paths();
    assert!(routed.len() > 30, "found only {routed:?}");
    let missing: Vec<_> = routed.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "routes missing from the OpenAPI document: {missing:#?}"
    );
    let stale: Vec<_> = documented.difference(&routed).collect();
    assert!(
        stale.is_empty(),
        "documented paths no route serves: {stale:#?}"
    );
}
