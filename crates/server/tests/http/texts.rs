//! Every text a user reads comes from the catalogues: internal failures and malformed requests
//! answer with catalogued messages (never a parser's or the database's own words), and the demo
//! programme's pages, rendered in Spanish and English, show no raw keys, JSON or missing texts.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};

use crate::helpers::TestApp;

/// Catalogued titles and details of the errors these tests provoke.
const CATALOGUED: [&str; 4] = [
    "Solicitud mal formada",
    "La solicitud no se pudo leer.",
    "Algo salió mal",
    "Ocurrió un error inesperado. Ya quedó registrado; inténtelo de nuevo en unos minutos.",
];

/// Fails if a problem+json body holds text other than the catalogue's.
fn assert_catalogued_problem(what: &str, body: &str) {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{what}: {e}"));
    for field in ["title", "detail"] {
        let text = v[field].as_str().unwrap_or_default();
        assert!(
            CATALOGUED.contains(&text),
            "{what}: {field} is not catalogued text: {text:?}"
        );
    }
}

#[tokio::test]
async fn malformed_requests_answer_with_catalogued_messages_only() {
    let app = TestApp::spawn().await;
    let m = app.user("jefa@x.cl", "manager", None).await;
    app.programme("TXT1", app.client_a, &m).await;
    let api = |method: Method, path: &str, ct: &str, body: &'static str| {
        Request::builder()
            .method(method)
            .uri(format!("/api/v1{path}"))
            .header(header::AUTHORIZATION, format!("Bearer {}", m.bearer))
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .unwrap()
    };
    let cases = [
        (
            "malformed JSON",
            api(Method::POST, "/programs", "application/json", "{not json"),
        ),
        (
            "JSON of the wrong shape",
            api(Method::POST, "/programs", "application/json", "[1, 2]"),
        ),
        (
            "a path id that is not a number",
            api(Method::GET, "/programs/TXT1/imports/abc", "text/plain", ""),
        ),
    ];
    for (what, req) in cases {
        let res = app.send(req).await;
        assert!(res.status.is_client_error(), "{what}: {}", res.status);
        assert_eq!(res.content_type(), "application/problem+json", "{what}");
        assert_eq!(res.json()["status"], res.status.as_u16(), "{what}");
        assert_catalogued_problem(what, &res.body);
    }
    // A broken multipart upload on the page: the friendly page, in Spanish, without axum's text.
    let page = app
        .send(
            Request::post("/programs/TXT1/imports")
                .header(header::COOKIE, &m.cookie)
                .header(header::CONTENT_TYPE, "multipart/form-data; boundary=XYZ")
                .body(Body::from("--XYZ\r\nContent-Disposition: form-da"))
                .unwrap(),
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.body);
    assert!(page.body.contains("La solicitud no se pudo leer."));
    for raw in ["multipart", "boundary", "Error parsing", "EOF"] {
        assert!(!page.body.contains(raw), "{raw} shown: {}", page.body);
    }
    // Without a boundary the multipart extractor itself refuses, in English unless caught.
    let page = app
        .send(
            Request::post("/programs/TXT1/imports")
                .header(header::COOKIE, &m.cookie)
                .header(header::CONTENT_TYPE, "multipart/form-data")
                .body(Body::from("x"))
                .unwrap(),
        )
        .await;
    assert!(page.status.is_client_error(), "{}", page.status);
    assert!(page.body.contains("<main") && page.body.contains("Solicitud mal formada"));
    assert!(!page.body.contains("boundary"), "{}", page.body);
}

#[tokio::test]
async fn an_internal_failure_shows_the_catalogued_message_and_hides_the_cause() {
    let app = TestApp::spawn().await;
    let m = app.user("jefa@x.cl", "manager", None).await;
    // A closed database: every query fails with the driver's own words.
    app.store.close().await;
    let res = app.api(Some(&m), Method::GET, "/programs", None).await;
    assert_eq!(res.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_catalogued_problem("closed database (API)", &res.body);
    let page = app.get_page(Some(&m), "/programs").await;
    assert_eq!(page.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(page.body.contains("Algo salió mal"), "{}", page.body);
    for raw in ["pool", "closed", "sqlx", "Pool", "database"] {
        assert!(!page.body.contains(raw), "{raw} shown: {}", page.body);
        assert!(
            !res.body.contains(raw),
            "{raw} in the API body: {}",
            res.body
        );
    }
}
