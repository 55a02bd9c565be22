//! Data protection over HTTP: only admins reach it; a request registered from the page shows
//! its legal due date and, once answered, the proof of the reply; a breach produces its notices
//! in both languages; a record of processing feeds the public policy; the pages show no raw
//! catalogue key in either language.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn only_admins_reach_the_privacy_pages_and_api() {
    let app = TestApp::spawn().await;
    let admin = app.user("admin@x.cl", "admin", None).await;
    let manager = app.user("jefe@x.cl", "manager", None).await;
    for path in ["/privacy", "/privacy/breaches", "/privacy/settings"] {
        assert_eq!(
            app.get_page(Some(&admin), path).await.status,
            StatusCode::OK,
            "{path}"
        );
        assert_eq!(
            app.get_page(Some(&manager), path).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let body = json!({ "by": "phone", "value": "+56 9 8765 1234" });
    for (m, path, b) in [
        (Method::GET, "/privacy/requests", None),
        (Method::POST, "/privacy/search", Some(body.clone())),
        (Method::POST, "/privacy/erase", Some(body.clone())),
        (Method::POST, "/privacy/export", Some(body)),
        (Method::GET, "/privacy/settings", None),
    ] {
        let r = app.api(Some(&manager), m.clone(), path, b.clone()).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
        let r = app.api(None, m.clone(), path, b.clone()).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path}");
        let r = app.api(Some(&admin), m, path, b).await;
        assert!(r.status.is_success(), "{path}: {} {}", r.status, r.body);
    }
    // The public policy needs no login.
    assert_eq!(
        app.get_page(None, "/privacy/policy").await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.api(None, Method::GET, "/privacy/policy", None)
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_request_from_the_page_shows_its_due_date_and_the_proof_of_its_reply() {
    let app = TestApp::spawn().await;
    let admin = app.user("admin@x.cl", "admin", None).await;
    let r = app
        .post_form(
            Some(&admin),
            "/privacy/requests",
            &[
                ("kind", "access"),
                ("subject", "+56 9 8765 1234"),
                ("channel", "correo"),
                ("received_on", "2026-11-02"),
                ("identity_checked", "true"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get_page(Some(&admin), r.location()).await;
    assert!(page.body.contains("02-12-2026"), "due date missing");
    assert!(page.body.contains("***** 1234"));
    assert!(!page.body.contains("8765 1234"));
    let reply = format!("{}/reply", r.location());
    let done = app
        .post_form(
            Some(&admin),
            &reply,
            &[
                ("outcome", "answered"),
                ("text", "Se entregó copia de los registros"),
                ("proof", "Correo ref. DPO-2026-17"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let page = app.get_page(Some(&admin), r.location()).await;
    assert!(page.body.contains("Correo ref. DPO-2026-17"));
    assert!(page.body.contains("Respondida"));
    // A full RUT as the subject is refused with a catalogued message.
    let bad = app
        .post_form(
            Some(&admin),
            "/privacy/requests",
            &[("kind", "access"), ("subject", "Ana 12.345.678-5")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("No registre identificadores completos"));
    // The same request through the API.
    let list = app
        .api(Some(&admin), Method::GET, "/privacy/requests", None)
        .await
        .json();
    assert_eq!(list[0]["due_on"], "2026-12-02");
    assert_eq!(list[0]["status"], "answered");
    assert_eq!(list[0]["proof"], "Correo ref. DPO-2026-17");
}

#[tokio::test]
async fn a_breach_gets_its_notices_in_both_languages_with_its_facts() {
    let app = TestApp::spawn().await;
    let admin = app.user("admin@x.cl", "admin", None).await;
    let settings = app
        .api(Some(&admin), Method::GET, "/privacy/settings", None)
        .await
        .json();
    let mut s = settings.clone();
    s["dpo"] = json!({ "name": "Delegada DPO", "email": "dpo@bpo.cl", "phone": "+56 2 2000 0000" });
    let saved = app
        .api(Some(&admin), Method::PUT, "/privacy/settings", Some(s))
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let b = app
        .api(
            Some(&admin),
            Method::POST,
            "/privacy/breaches",
            Some(json!({
                "what": "Planilla de cobranza enviada a un destinatario equivocado",
                "occurred_on": "2026-11-20", "detected_on": "2026-11-21",
                "data_classes": "nombre, RUT, deuda", "people_affected": 240,
                "measures": "Se pidió eliminar el correo; se bloqueó el envío masivo",
                "risk": true, "sensitive": true, "children": false, "financial": true
            })),
        )
        .await;
    assert_eq!(b.status, StatusCode::CREATED, "{}", b.body);
    let v = b.json();
    assert_eq!(v["people_must_be_notified"], true);
    for lang in ["es", "en"] {
        let agency = v["notices"]["agency"][lang].as_str().unwrap();
        assert!(
            agency.contains("240") && agency.contains("dpo@bpo.cl"),
            "{agency}"
        );
        assert!(agency.contains("Planilla de cobranza"));
        let people = v["notices"]["people"][lang].as_str().unwrap();
        assert!(people.contains("nombre, RUT, deuda"), "{people}");
    }
    assert!(v["notices"]["agency"]["es"]
        .as_str()
        .unwrap()
        .contains("14 sexies"));
    assert!(v["notices"]["agency"]["en"]
        .as_str()
        .unwrap()
        .contains("we report"));
    let page = app
        .get_page(Some(&admin), &format!("/privacy/breaches/{}", v["id"]))
        .await;
    assert!(page
        .body
        .contains("Agencia de Protección de Datos Personales"));
    // A breach without its facts is refused, field by field.
    let bad = app
        .api(
            Some(&admin),
            Method::POST,
            "/privacy/breaches",
            Some(json!({ "what": "", "occurred_on": "ayer", "detected_on": "2026-11-21", "data_classes": "x",
                         "people_affected": 1, "measures": "x", "risk": false, "sensitive": false, "children": false, "financial": false })),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("what") && bad.body.contains("occurred_on"));
}

#[tokio::test]
async fn the_record_of_processing_feeds_the_public_policy() {
    let app = TestApp::spawn().await;
    let admin = app.user("admin@x.cl", "admin", None).await;
    app.programme("SAC1", app.client_a, &admin).await;
    let empty = app
        .api(
            Some(&admin),
            Method::GET,
            "/programs/SAC1/processing-record",
            None,
        )
        .await
        .json();
    assert!(empty["record"].is_null());
    let r = app
        .post_form(
            Some(&admin),
            "/programs/SAC1/processing",
            &[
                ("purpose", "Atención de consultas de clientes del banco"),
                ("legal_basis", "contract"),
                ("role", "processor"),
                ("controller", "Cliente A"),
                ("data_classes", "Número de teléfono, grabaciones"),
                ("retention", "12 meses"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let policy = app.get_page(None, "/privacy/policy").await;
    assert!(policy
        .body
        .contains("Atención de consultas de clientes del banco"));
    assert!(policy.body.contains("Encargado del tratamiento"));
    let api = app
        .api(
            Some(&admin),
            Method::GET,
            "/programs/SAC1/processing-record",
            None,
        )
        .await
        .json();
    assert_eq!(api["record"]["role"], "processor");
    let bad = app
        .api(
            Some(&admin),
            Method::PUT,
            "/programs/SAC1/processing-record",
            Some(json!({ "purpose": "", "legal_basis": "magic", "role": "processor", "controller": "", "contract_ref": "",
                         "data_classes": "x", "recipients": "", "transfers": "", "retention": "1 año", "end_action": "" })),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_privacy_pages_show_no_raw_catalogue_key_in_either_language() {
    let app = TestApp::spawn().await;
    let admin = app.user("admin@x.cl", "admin", None).await;
    app.programme("SAC1", app.client_a, &admin).await;
    for lang in ["es", "en"] {
        app.post_form(Some(&admin), "/lang", &[("lang", lang)])
            .await;
        for path in [
            "/privacy",
            "/privacy/breaches",
            "/privacy/settings",
            "/privacy/policy",
            "/programs/SAC1/processing",
        ] {
            let page = app.get_page(Some(&admin), path).await;
            assert_eq!(page.status, StatusCode::OK, "{path}");
            assert!(
                !page.body.contains("privacy."),
                "{path} ({lang}) shows a raw key"
            );
        }
    }
    let purge = app
        .post_form(Some(&admin), "/privacy/purge", &[("dry_run", "true")])
        .await;
    assert_eq!(purge.status, StatusCode::OK);
    assert!(purge.body.contains("purge-report"));
}
