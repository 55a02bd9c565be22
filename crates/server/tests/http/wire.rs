//! The exact JSON text of API rows (field names, order and text forms), so that a change of the
//! types behind them cannot change what scripts read.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn api_rows_keep_their_json_text() {
    let app = TestApp::spawn().await;
    let m = app.user("jefa@x.cl", "manager", None).await;
    let admin = app.user("admin@x.cl", "admin", None).await;
    let pid = app.programme("WIRE-1", app.client_a, &m).await;
    let (ca, uid) = (app.client_a, m.user.id);

    let r = app
        .api(Some(&m), Method::GET, "/programs/WIRE-1", None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let t = r.json()["created_at"].as_i64().unwrap();
    assert_eq!(
        r.body,
        format!(
            r#"{{"id":{pid},"code":"WIRE-1","name":"Programa WIRE-1","client_id":{ca},"client_name":"Cliente A","product_id":null,"product_name":null,"channels":["voice_inbound"],"start_date":"2026-01-01","end_date":"2026-12-31","status":"draft","time_zone":"America/Santiago","description":"","created_at":{t},"updated_at":{t}}}"#
        )
    );
    let list = app.api(Some(&m), Method::GET, "/programs", None).await;
    assert_eq!(list.body, format!("[{}]", r.body));

    let me = app.api(Some(&m), Method::GET, "/me", None).await;
    assert_eq!(
        me.body,
        format!(
            r#"{{"id":{uid},"email":"jefa@x.cl","name":"jefa@x.cl","role":"manager","client_id":null,"lang":"es","active":true}}"#
        )
    );

    let clients = app.api(Some(&m), Method::GET, "/clients", None).await;
    assert_eq!(
        clients.body,
        format!(
            r#"[{{"id":{ca},"name":"Cliente A","rut":"76.086.428-5"}},{{"id":{},"name":"Cliente B","rut":"12.345.678-5"}}]"#,
            app.client_b
        )
    );

    let team = app
        .api(Some(&m), Method::GET, "/programs/WIRE-1/members", None)
        .await;
    assert_eq!(
        team.body,
        format!(r#"[{{"user_id":{uid},"name":"jefa@x.cl","email":"jefa@x.cl","role":"manager"}}]"#)
    );

    let history = app
        .api(Some(&m), Method::GET, "/programs/WIRE-1/audit", None)
        .await;
    let h = history.json();
    assert_eq!(
        h[0]["after"],
        r.json(),
        "the audit row is the programme's JSON"
    );
    assert_eq!(
        history.body,
        format!(
            r#"[{{"id":{},"at":{},"actor":"jefa@x.cl","entity":"programme","entity_id":"WIRE-1","programme_id":{pid},"action":"create","before":null,"after":{}}}]"#,
            h[0]["id"], h[0]["at"], h[0]["after"]
        )
    );

    let person = app
        .api(
            Some(&m),
            Method::POST,
            "/people",
            Some(json!({ "name": "Ana", "email": "Ana@X.cl" })),
        )
        .await;
    assert_eq!(
        person.body,
        format!(
            r#"{{"id":{},"name":"Ana","email":"ana@x.cl","org_role":""}}"#,
            person.json()["id"]
        )
    );

    let product = app
        .api(
            Some(&admin),
            Method::POST,
            "/products",
            Some(json!({ "client_id": ca, "name": "Oro" })),
        )
        .await;
    assert_eq!(
        product.body,
        format!(
            r#"{{"id":{},"client_id":{ca},"name":"Oro","description":""}}"#,
            product.json()["id"]
        )
    );

    let objective = app
        .api(
            Some(&m),
            Method::POST,
            "/programs/WIRE-1/objectives",
            Some(json!({ "title": "Vender", "expected_results": [] })),
        )
        .await;
    assert_eq!(objective.status, StatusCode::CREATED, "{}", objective.body);
    let o = objective.json();
    assert_eq!(
        objective.body,
        format!(
            r#"{{"id":{},"programme_id":{pid},"kind":"objective","code":null,"data":{},"created_at":{},"updated_at":{}}}"#,
            o["id"], o["data"], o["created_at"], o["updated_at"]
        )
    );
}
