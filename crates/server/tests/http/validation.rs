//! Invalid input gets a clear, localised message on the form and a problem+json error on the API;
//! nothing is half-written.

use axum::http::{Method, StatusCode};

use crate::helpers::{programme_form, programme_json, TestApp};

#[tokio::test]
async fn a_bad_rut_is_refused_on_the_form_and_the_api() {
    let app = TestApp::spawn().await;
    let m = app.user("jefa@x.cl", "manager", None).await;
    let page = app
        .post_form(
            Some(&m),
            "/admin/clients",
            &[("client_name", "Mala"), ("rut", "12.345.678-9")],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page
        .body
        .contains("El dígito verificador del RUT no es correcto."));
    let api = app
        .api(
            Some(&m),
            Method::POST,
            "/clients",
            Some(serde_json::json!({ "name": "Mala", "rut": "12.345.678-9" })),
        )
        .await;
    assert_eq!(api.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(api.content_type(), "application/problem+json");
    let p = api.json();
    assert_eq!(p["errors"][0]["field"], "rut");
    assert_eq!(p["errors"][0]["code"], "error.rut.check_digit");
    assert_eq!(
        app.store.clients().await.unwrap().len(),
        2,
        "nothing written"
    );
    let ok = app
        .api(
            Some(&m),
            Method::POST,
            "/clients",
            Some(serde_json::json!({ "name": "Buena", "rut": "15509661-6" })),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED);
    assert_eq!(ok.json()["rut"], "15.509.661-6");
}

#[tokio::test]
async fn end_date_before_start_is_explained_in_both_languages() {
    let app = TestApp::spawn().await;
    let m = app.user("jefa@x.cl", "manager", None).await;
    let mut body = programme_json("FECHA1", app.client_a);
    body["end_date"] = "2026-01-01".into();
    let es = app
        .api(Some(&m), Method::POST, "/programs", Some(body.clone()))
        .await;
    assert_eq!(es.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        es.json()["errors"][0]["message"],
        "La fecha de término no puede ser anterior a la de inicio."
    );
    let en = app
        .send(
            axum::http::Request::post("/api/v1/programs")
                .header("authorization", format!("Bearer {}", m.bearer))
                .header("accept-language", "en-GB,en;q=0.9")
                .header("content-type", "application/json")
                .body(axum::body::Body::from(body.to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(
        en.json()["errors"][0]["message"],
        "The end date cannot be before the start date."
    );

    let mut form = programme_form("FECHA1", app.client_a);
    for (k, v) in form.iter_mut() {
        if *k == "end_date" {
            *v = "2026-01-01".into();
        }
    }
    let f: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let page = app.post_form(Some(&m), "/programs", &f).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page
        .body
        .contains("La fecha de término no puede ser anterior a la de inicio."));
    assert!(
        page.body.contains("value=\"FECHA1\""),
        "the form keeps what was typed"
    );
    assert_eq!(app.programme_count().await, 0);
}

#[tokio::test]
async fn a_duplicate_code_conflicts_and_nothing_is_half_written() {
    let app = TestApp::spawn().await;
    let m = app.user("jefa@x.cl", "manager", None).await;
    assert_eq!(
        app.api(
            Some(&m),
            Method::POST,
            "/programs",
            Some(programme_json("DUP1", app.client_a))
        )
        .await
        .status,
        StatusCode::CREATED
    );
    let audit_before = app.store.audit_recent(1000).await.unwrap().len();
    let again = app
        .api(
            Some(&m),
            Method::POST,
            "/programs",
            Some(programme_json("dup1", app.client_b)),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(
        again.json()["errors"][0]["code"],
        "error.conflict.programme_code"
    );
    let f = programme_form("DUP1", app.client_a);
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let page = app.post_form(Some(&m), "/programs", &f).await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(page.body.contains("Ya existe un programa con ese código."));
    assert_eq!(app.programme_count().await, 1);
    assert_eq!(
        app.store.audit_recent(1000).await.unwrap().len(),
        audit_before,
        "no stray audit rows"
    );
}

#[tokio::test]
async fn an_unknown_client_is_refused() {
    let app = TestApp::spawn().await;
    let m = app.user("jefa@x.cl", "manager", None).await;
    let res = app
        .api(
            Some(&m),
            Method::POST,
            "/programs",
            Some(programme_json("UNK1", 999_999)),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.json()["errors"][0]["code"], "error.unknown.client");
    assert_eq!(
        res.json()["errors"][0]["message"],
        "El cliente indicado no existe."
    );
    let f = programme_form("UNK1", 999_999);
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let page = app.post_form(Some(&m), "/programs", &f).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("El cliente indicado no existe."));
    assert_eq!(app.programme_count().await, 0);
}

#[tokio::test]
async fn an_illegal_status_change_is_refused() {
    let app = TestApp::spawn().await;
    let m = app.user("jefa@x.cl", "manager", None).await;
    app.api(
        Some(&m),
        Method::POST,
        "/programs",
        Some(programme_json("ST1", app.client_a)),
    )
    .await;
    let res = app
        .api(
            Some(&m),
            Method::PATCH,
            "/programs/ST1",
            Some(serde_json::json!({ "status": "closed" })),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        res.json()["errors"][0]["code"],
        "error.programme.transition"
    );
}
