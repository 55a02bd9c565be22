//! The control loop over HTTP: an import job evaluates the programme's alarms; alarms move
//! through their lifecycle by the API and the pages; rules are versioned; the cockpit is the
//! home page and the `/cockpit` API, in Spanish and English.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, Who};

/// 20 good calls and 5 with an unknown outcome: a fifth of the file is rejected.
fn calls_with_rejections() -> String {
    let mut s = String::from("call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome\n");
    for i in 0..20 {
        s.push_str(&format!(
            "C{i},ventas,{},10,200,30,answered\n",
            1_767_261_600 + i * 60
        ));
    }
    for i in 0..5 {
        s.push_str(&format!(
            "X{i},ventas,{},10,200,30,perdida\n",
            1_767_262_800 + i * 60
        ));
    }
    s
}

async fn setup() -> (TestApp, Who) {
    let app = TestApp::spawn().await;
    let m = app.user("jefa@x.cl", "manager", None).await;
    let res = app
        .api(
            Some(&m),
            Method::POST,
            "/programs",
            Some(json!({
                "code": "CTRL1", "name": "Retención", "client_id": app.client_a, "channels": ["voice_inbound"],
                "start_date": "2025-12-01", "end_date": "2026-12-31"
            })),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED);
    let res = app
        .send(
            Request::post("/api/v1/programs/CTRL1/imports?source=calls&file_name=llamadas.csv")
                .header(header::AUTHORIZATION, format!("Bearer {}", m.bearer))
                .body(Body::from(calls_with_rejections()))
                .unwrap(),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    // The job's worker evaluates the alarms right after the import's commit.
    for _ in 0..250 {
        let list = app
            .api(Some(&m), Method::GET, "/programs/CTRL1/alarms", None)
            .await;
        if list.json().as_array().is_some_and(|a| !a.is_empty()) {
            return (app, m);
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("no alarm evaluated after the import");
}

#[tokio::test]
async fn an_import_raises_its_alarm_which_is_acknowledged_then_resolved_through_the_api() {
    let (app, m) = setup().await;
    let list = app
        .api(Some(&m), Method::GET, "/programs/CTRL1/alarms", None)
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let alarms = list.json();
    let rejected: Vec<_> = alarms
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "rejected_share")
        .collect();
    assert_eq!(rejected.len(), 1, "{alarms}");
    let a = rejected[0];
    assert_eq!(a["status"], "open");
    assert!((a["observed"].as_f64().unwrap() - 0.2).abs() < 1e-9, "{a}");
    assert!(a["summary"].as_str().unwrap().contains("rechazados"), "{a}");
    assert!(a["evidence"]
        .as_str()
        .unwrap()
        .starts_with("/programs/CTRL1/imports/"));
    let id = a["id"].as_i64().unwrap();
    let path = format!("/programs/CTRL1/alarms/{id}");

    let bad = app
        .api(
            Some(&m),
            Method::PATCH,
            &path,
            Some(json!({ "status": "cerrada" })),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    let ack = app
        .api(
            Some(&m),
            Method::PATCH,
            &path,
            Some(json!({ "status": "acknowledged" })),
        )
        .await;
    assert_eq!(ack.status, StatusCode::OK, "{}", ack.body);
    assert_eq!(ack.json()["acknowledged_by"], "jefa@x.cl");

    // The page shows who acknowledged it; its form resolves it.
    let page = app
        .get_page(Some(&m), &format!("/programs/CTRL1/alarms/{id}"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("reconocida por jefa@x.cl"),
        "{}",
        page.body
    );
    let done = app
        .post_form(
            Some(&m),
            &format!("/programs/CTRL1/alarms/{id}"),
            &[("status", "resolved"), ("assignee_id", "")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let open = app
        .api(
            Some(&m),
            Method::GET,
            "/programs/CTRL1/alarms?open=true",
            None,
        )
        .await;
    assert!(open
        .json()
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["id"] != id));
    let one = app.api(Some(&m), Method::GET, &path, None).await.json();
    assert_eq!(one["status"], "resolved");
    assert!(one["resolved_at"].is_i64());
}

#[tokio::test]
async fn rules_are_versioned_through_the_api_and_the_form() {
    let (app, m) = setup().await;
    let r = app
        .api(Some(&m), Method::GET, "/programs/CTRL1/alarm-rules", None)
        .await
        .json();
    assert_eq!(r["version"], 0);
    assert_eq!(r["rules"]["anomaly_z"], 3.5);
    let bad = app
        .api(
            Some(&m),
            Method::PUT,
            "/programs/CTRL1/alarm-rules",
            Some(json!({ "anomaly_z": 99 })),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("anomaly_z"), "{}", bad.body);
    let v1 = app
        .api(
            Some(&m),
            Method::PUT,
            "/programs/CTRL1/alarm-rules",
            Some(json!({ "anomaly_z": 4.0 })),
        )
        .await;
    assert_eq!(v1.status, StatusCode::OK, "{}", v1.body);
    assert_eq!(v1.json()["version"], 1);
    let form = app
        .post_form(
            Some(&m),
            "/programs/CTRL1/alarms/rules",
            &[
                ("window_days", "7"),
                ("history_weeks", "8"),
                ("min_volume", "20"),
                ("persistence", "2"),
                ("anomaly_z", "3,8"),
                ("drift_h", "8"),
                ("gap_minutes", "60"),
                ("max_rejected_share", "10"),
                ("budget_tolerance_pct", "5"),
            ],
        )
        .await;
    assert_eq!(form.status, StatusCode::SEE_OTHER, "{}", form.body);
    let r = app
        .api(Some(&m), Method::GET, "/programs/CTRL1/alarm-rules", None)
        .await
        .json();
    assert_eq!(r["version"], 2);
    assert_eq!(r["rules"]["anomaly_z"], 3.8);
    assert_eq!(r["rules"]["max_rejected_share"], 0.1);
    // Evaluated under the new rules, a fifth rejected is still beyond a tenth.
    let found = app
        .api(
            Some(&m),
            Method::POST,
            "/programs/CTRL1/alarms/evaluate",
            None,
        )
        .await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    assert!(found
        .json()
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["kind"] == "rejected_share"));
}

/// An ASA target of at most 5 s on CTRL1 (its calls waited 10 s).
async fn asa_target(app: &TestApp, m: &Who) {
    let person = app
        .api(
            Some(m),
            Method::POST,
            "/people",
            Some(json!({ "name": "Ana Rojas" })),
        )
        .await;
    assert_eq!(person.status, StatusCode::CREATED, "{}", person.body);
    let obj = app
        .api(
            Some(m),
            Method::POST,
            "/programs/CTRL1/objectives",
            Some(json!({ "title": "Atender rápido" })),
        )
        .await;
    assert_eq!(obj.status, StatusCode::CREATED, "{}", obj.body);
    let target = app
        .api(
            Some(m),
            Method::POST,
            "/programs/CTRL1/targets",
            Some(json!({
                "objective_id": obj.json()["id"], "indicator": "asa", "target": 5, "direction": "lower",
                "tolerance": 1, "granularity": "interval", "period_start": "2025-12-01",
                "period_end": "2026-12-31", "owner_id": person.json()["id"]
            })),
        )
        .await;
    assert_eq!(target.status, StatusCode::CREATED, "{}", target.body);
}

#[tokio::test]
async fn the_control_page_judges_the_summary_and_each_interval_against_the_target() {
    let (app, m) = setup().await;
    asa_target(&app, &m).await;
    let page = app
        .get_page(
            Some(&m),
            "/programs/CTRL1/control?by=1h&from=2026-01-01&to=2026-01-01",
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let summary = page.body.split("grid summary").nth(1).expect("a summary");
    assert!(summary.contains("badge rag-red"), "{summary}");
    assert!(
        page.body.matches("badge rag-red\">Fuera de meta").count() >= 2,
        "summary and rows"
    );
}

#[tokio::test]
async fn the_cockpit_is_the_home_page_and_an_api_in_both_languages() {
    let (app, m) = setup().await;
    asa_target(&app, &m).await;
    let api = app.api(Some(&m), Method::GET, "/cockpit", None).await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    let c = api.json();
    let p = c
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == "CTRL1")
        .expect("CTRL1");
    assert!(p["alarms"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["kind"] == "rejected_share"));
    assert_eq!(p["evidence"], "/programs/CTRL1/control");
    let kpi = &p["kpis"][0];
    assert_eq!(
        (kpi["indicator"].as_str(), kpi["status"].as_str()),
        (Some("asa"), Some("red")),
        "{p}"
    );
    assert!((kpi["actual"].as_f64().unwrap() - 10.0).abs() < 1e-9);

    let home = app.get_page(Some(&m), "/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Cabina de control"));
    assert!(
        home.body.contains("Importación con muchos rechazos"),
        "{}",
        home.body
    );
    assert!(home.body.contains("abierta"));
    let lang = app
        .post_form(Some(&m), "/lang", &[("lang", "en"), ("back", "/")])
        .await;
    assert_eq!(lang.status, StatusCode::SEE_OTHER);
    let home = app.get_page(Some(&m), "/").await;
    assert!(home.body.contains("Cockpit"));
    assert!(
        home.body.contains("Import with many rejections"),
        "{}",
        home.body
    );

    assert_eq!(app.get_page(None, "/").await.location(), "/login");
}

#[tokio::test]
async fn a_corrective_action_compares_its_options_and_is_checked_once_done() {
    let (app, m) = setup().await;
    let person = app
        .api(
            Some(&m),
            Method::POST,
            "/people",
            Some(json!({ "name": "Ana Rojas" })),
        )
        .await
        .json();
    let body = |priority: &str| {
        json!({
            "cause": "Dotación corta al abrir", "action": "Adelantar dos ingresos",
            "owner_id": person["id"], "due_date": "2026-01-10", "priority": priority,
            "day": "2026-01-01",
            "options": [
                { "label": "Uno", "extra_agents": 1, "from": "07:00", "to": "08:00" },
                { "label": "Dos", "extra_agents": 2, "from": "07:00", "to": "08:00" }
            ]
        })
    };
    let bad = app
        .api(
            Some(&m),
            Method::POST,
            "/programs/CTRL1/actions",
            Some(body("urgente")),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("priority"));
    let created = app
        .api(
            Some(&m),
            Method::POST,
            "/programs/CTRL1/actions",
            Some(body("high")),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let a = created.json();
    let id = a["id"].as_i64().unwrap();
    let options = a["options"].as_array().unwrap();
    assert_eq!(options[0]["rows"].as_array().unwrap().len(), 2, "{a}");
    assert!(options[1]["sl"].as_f64() >= options[0]["sl"].as_f64());
    assert!(options[0]["cost"].is_null(), "no cost rate in the plan");

    let page = app
        .get_page(Some(&m), &format!("/programs/CTRL1/actions/{id}"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Opciones lado a lado"));
    assert!(page.body.contains("sin tarifa en el plan"));
    // Technical feasibility beside the cost: without a staffing plan it says so.
    assert!(page.body.contains("Factibilidad técnica"));
    assert!(page.body.contains("sin plan de dotación para evaluarla"));
    assert_eq!(options[0]["feasibility"]["status"], "unknown", "{a}");

    // Approval: a change request to the plan, approved, gives a new plan version.
    asa_target(&app, &m).await;
    let targets = app
        .api(Some(&m), Method::GET, "/programs/CTRL1/targets", None)
        .await
        .json();
    let tid = targets[0]["id"].as_i64().unwrap();
    // The approval form offers the plan's targets by name.
    let form = app
        .get_page(Some(&m), &format!("/programs/CTRL1/actions/{id}"))
        .await;
    assert!(form.body.contains(r#"list="change-keys""#), "{}", form.body);
    assert!(
        form.body
            .contains(&format!(r#"<option value="target.{tid}.value">"#)),
        "{}",
        form.body
    );
    let early_approve = app
        .api(
            Some(&m),
            Method::POST,
            &format!("/programs/CTRL1/actions/{id}/approve"),
            None,
        )
        .await;
    assert_eq!(early_approve.status, StatusCode::UNPROCESSABLE_ENTITY);
    let key = format!("target.{tid}.value");
    let requested = app
        .post_form(
            Some(&m),
            &format!("/programs/CTRL1/actions/{id}/approval"),
            &[
                ("kind", "targets"),
                ("impact", "Meta de ASA realista al abrir"),
                ("key_1", &key),
                ("value_1", "12"),
            ],
        )
        .await;
    assert_eq!(
        requested.status,
        StatusCode::SEE_OTHER,
        "{}",
        requested.body
    );
    let approved = app
        .api(
            Some(&m),
            Method::POST,
            &format!("/programs/CTRL1/actions/{id}/approve"),
            None,
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    assert_eq!(approved.json()["status"], "approved");
    assert!(approved.json()["plan_version"].is_i64());
    let targets = app
        .api(Some(&m), Method::GET, "/programs/CTRL1/targets", None)
        .await
        .json();
    assert_eq!(targets[0]["data"]["target"], 12.0, "{targets}");

    let early = app
        .api(
            Some(&m),
            Method::POST,
            &format!("/programs/CTRL1/actions/{id}/check"),
            None,
        )
        .await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    let done = app
        .api(
            Some(&m),
            Method::PUT,
            &format!("/programs/CTRL1/actions/{id}/status"),
            Some(json!({ "status": "done" })),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let waiting = app
        .get_page(Some(&m), &format!("/programs/CTRL1/actions/{id}"))
        .await;
    assert!(
        waiting
            .body
            .contains("La verificación corre sola después de cada importación"),
        "{}",
        waiting.body
    );
    let checked = app
        .api(
            Some(&m),
            Method::POST,
            &format!("/programs/CTRL1/actions/{id}/check"),
            None,
        )
        .await;
    assert_eq!(checked.status, StatusCode::OK, "{}", checked.body);
    assert_eq!(checked.json()["effect"]["verdict"], "inconclusive");
    let page = app
        .get_page(Some(&m), &format!("/programs/CTRL1/actions/{id}"))
        .await;
    assert!(page.body.contains("no concluyente"), "{}", page.body);
    assert_eq!(checked.json()["effect"]["auto"], false);
    assert!(
        page.body.contains("Verificación pedida a mano el"),
        "{}",
        page.body
    );
    let list = app.get_page(Some(&m), "/programs/CTRL1/actions").await;
    assert!(list.body.contains("Adelantar dos ingresos"));
    // The cockpit shows the action and its verdict.
    let cockpit = app
        .api(Some(&m), Method::GET, "/cockpit", None)
        .await
        .json();
    let p = cockpit
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == "CTRL1")
        .unwrap();
    assert_eq!(p["actions"][0]["verdict"], "inconclusive", "{p}");
    let home = app.get_page(Some(&m), "/").await;
    assert!(home.body.contains("Adelantar dos ingresos") && home.body.contains("no concluyente"));
}

/// The cockpit is kept in the result cache; every kind of change it shows must reach it at
/// once: a new target (plan items), an alarm resolved, a corrective action, an activity now
/// overdue, the programme renamed, and a new import (its figures).
#[tokio::test]
async fn a_cached_cockpit_shows_every_change_at_once() {
    let (app, m) = setup().await;
    let cockpit = || async {
        let res = app.api(Some(&m), Method::GET, "/cockpit", None).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        res.json()
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["code"] == "CTRL1")
            .cloned()
            .expect("CTRL1")
    };
    let before = cockpit().await;
    assert_eq!(cockpit().await, before, "served again, unchanged");
    let page = app.get_page(Some(&m), "/").await;
    assert!(page.body.contains("Retención"), "{}", page.body);
    assert_eq!(app.get_page(Some(&m), "/").await.body, page.body);
    assert!(before["kpis"].as_array().unwrap().is_empty(), "{before}");
    let open: Vec<i64> = before["alarms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    assert!(!open.is_empty(), "{before}");

    // A target: the figures part is judged against it.
    asa_target(&app, &m).await;
    let c = cockpit().await;
    assert_eq!(c["kpis"][0]["indicator"], "asa", "{c}");
    assert!((c["kpis"][0]["actual"].as_f64().unwrap() - 10.0).abs() < 1e-9);

    // An alarm resolved leaves the open list.
    for id in &open {
        for status in ["acknowledged", "resolved"] {
            let done = app
                .api(
                    Some(&m),
                    Method::PATCH,
                    &format!("/programs/CTRL1/alarms/{id}"),
                    Some(json!({ "status": status })),
                )
                .await;
            assert_eq!(done.status, StatusCode::OK, "{}", done.body);
        }
    }
    let c = cockpit().await;
    assert!(c["alarms"].as_array().unwrap().is_empty(), "{c}");

    // A corrective action appears.
    let person = app
        .api(
            Some(&m),
            Method::POST,
            "/people",
            Some(json!({ "name": "Beto Soto" })),
        )
        .await
        .json();
    let created = app
        .api(
            Some(&m),
            Method::POST,
            "/programs/CTRL1/actions",
            Some(json!({
                "cause": "Dotación corta", "action": "Adelantar un ingreso",
                "owner_id": person["id"], "due_date": "2026-01-10", "priority": "high",
                "day": "2026-01-01",
                "options": [{ "label": "Uno", "extra_agents": 1, "from": "07:00", "to": "08:00" }]
            })),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let c = cockpit().await;
    assert_eq!(c["actions"][0]["action"], "Adelantar un ingreso", "{c}");

    // An activity of the first days, not started: overdue today.
    let acts = app
        .api(
            Some(&m),
            Method::PUT,
            "/programs/CTRL1/activities",
            Some(
                json!([{ "id": "A1", "name": "Capacitación inicial", "duration_days": 3,
                          "milestone": false, "owner_id": person["id"], "dependencies": [] }]),
            ),
        )
        .await;
    assert!(acts.status.is_success(), "{}", acts.body);
    let c = cockpit().await;
    assert_eq!(c["overdue"][0]["name"], "Capacitación inicial", "{c}");

    // The programme renamed.
    let renamed = app
        .api(
            Some(&m),
            Method::PATCH,
            "/programs/CTRL1",
            Some(json!({ "name": "Retención hogar" })),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    assert_eq!(cockpit().await["name"], "Retención hogar");
    let page = app.get_page(Some(&m), "/").await;
    assert!(page.body.contains("Retención hogar"), "{}", page.body);
    assert!(page.body.contains("Capacitación inicial"), "{}", page.body);

    // A new import a day later: the period moves to its day and the figures count it.
    let mut s = String::from("call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome\n");
    for i in 0..10 {
        s.push_str(&format!(
            "D{i},ventas,{},0,200,30,answered\n",
            1_767_261_600 + 86_400 + i * 60
        ));
    }
    let res = app
        .send(
            Request::post("/api/v1/programs/CTRL1/imports?source=calls&file_name=dia2.csv")
                .header(header::AUTHORIZATION, format!("Bearer {}", m.bearer))
                .body(Body::from(s))
                .unwrap(),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let c = cockpit().await;
    assert_ne!(c["period_to"], before["period_to"], "{c}");
    // 20 calls waited 10 s and 10 waited none: the ASA over both days is 200 / 30.
    let asa = c["kpis"][0]["actual"].as_f64().unwrap();
    assert!((asa - 200.0 / 30.0).abs() < 1e-9, "{c}");
}
