//! Every route the server answers, enumerated so tests cover routes added later without being
//! told: the `/api/v1` operations from the OpenAPI document (another test proves it lists every
//! API route), the pages from the feature routers' sources (`.route("…", get(…).post(…))`).

use std::collections::BTreeSet;

use axum::http::Method;

/// One route: method and path template (`/programs/{code}/plan`), API paths with `/api/v1`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Route {
    pub method: String,
    pub path: String,
}

impl Route {
    pub fn method(&self) -> Method {
        self.method.parse().unwrap()
    }
    pub fn is_api(&self) -> bool {
        self.path.starts_with("/api/v1/")
    }
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// The text from `open` (just after an opening parenthesis) to its closing one.
fn balanced(s: &str) -> &str {
    let mut depth = 1;
    let mut in_str = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => in_str = !in_str,
            '(' if !in_str => depth += 1,
            ')' if !in_str => {
                depth -= 1;
                if depth == 0 {
                    return &s[..i];
                }
            }
            _ => {}
        }
    }
    s
}

/// Method names called in a route's handler expression (`get(a).post(b)`, `routing::post(c)`).
fn methods_in(args: &str) -> Vec<&'static str> {
    METHODS
        .into_iter()
        .filter(|m| {
            args.match_indices(&format!("{m}(")).any(|(i, _)| {
                i == 0 || {
                    let before = args.as_bytes()[i - 1];
                    !(before.is_ascii_alphanumeric() || before == b'_')
                }
            })
        })
        .collect()
}

/// Page routes (not under `/api/v1`) declared in `crates/server/src/features`.
pub fn page_routes() -> BTreeSet<Route> {
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
            if path.ends_with("api.rs") {
                continue;
            }
            let src = std::fs::read_to_string(&path).unwrap();
            // Each router function's body; `api_router` bodies are nested under `/api/v1`.
            let mut rest = src.as_str();
            while let Some(i) = rest.find("fn ") {
                rest = &rest[i + 3..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.ends_with("router") || name == "api_router" {
                    continue;
                }
                let Some(open) = rest.find('{') else { break };
                let body = &rest[open + 1..];
                let body = &body[..body.find("\n}").unwrap_or(body.len())];
                let mut r = body;
                while let Some(j) = r.find(".route(") {
                    r = &r[j + ".route(".len()..];
                    let args = balanced(r);
                    let lit = args.trim_start();
                    if let Some(lit) = lit.strip_prefix('"') {
                        let p = &lit[..lit.find('"').unwrap()];
                        if !p.starts_with("/api/v1") {
                            for m in methods_in(args) {
                                out.insert(Route {
                                    method: m.to_uppercase(),
                                    path: p.to_string(),
                                });
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

/// `/api/v1` operations of the OpenAPI document.
pub fn api_routes(doc: &serde_json::Value) -> BTreeSet<Route> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for m in METHODS {
            if item.get(m).is_some() {
                out.insert(Route {
                    method: m.to_uppercase(),
                    path: format!("/api/v1{path}"),
                });
            }
        }
    }
    out
}

/// A path template with its parameters filled: `{code}` → `code`, any other → `id`.
pub fn fill(path: &str, code: &str, id: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let end = rest[i..].find('}').unwrap() + i;
        let name = &rest[i + 1..end];
        out.push_str(if name == "code" { code } else { id });
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Whether a template has parameters other than `{code}` (an unknown id answers 404).
pub fn has_id(path: &str) -> bool {
    path.replace("{code}", "").contains('{')
}

#[test]
fn the_route_scan_finds_pages_of_every_kind() {
    let pages = page_routes();
    for (m, p) in [
        ("GET", "/programs/{code}"),
        ("POST", "/programs/{code}/delete"),
        ("GET", "/programs/{code}/imports"),
        ("POST", "/programs/{code}/imports"),
        ("POST", "/programs/{code}/plan/{kind}/{id}/{action}"),
        ("GET", "/admin/archive"),
    ] {
        assert!(
            pages.contains(&Route {
                method: m.into(),
                path: p.into()
            }),
            "{m} {p} not found in {pages:#?}"
        );
    }
    assert!(pages.iter().all(|r| !r.path.starts_with("/api/")));
    assert_eq!(fill("/a/{code}/b/{id}", "P1", "9"), "/a/P1/b/9");
}
