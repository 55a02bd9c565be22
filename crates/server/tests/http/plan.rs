//! The plan through the API alone: a programme gets objectives and targets, stages, risks, a
//! staffing plan from four weeks of volumes, budget lines and amounts, twenty activities with
//! dependencies, a RACI, a meeting with decisions, and a change request that is approved; the
//! plan history then shows both versions. Validation errors are localised and nothing is
//! half-saved; access rules and audit records hold for plan entities.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{TestApp, Who};

/// The use cases over the test's database (to seed the demo installation).
fn demo_app(app: &TestApp) -> rumbo_app::App {
    rumbo_app::App::new(app.store.clone(), rumbo_app::Settings::default())
}

const P: &str = "/programs/SEG-VIDA";

async fn person(app: &TestApp, who: &Who, name: &str) -> i64 {
    let r = app
        .api(
            Some(who),
            Method::POST,
            "/people",
            Some(json!({ "name": name })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()["id"].as_i64().unwrap()
}

async fn post(app: &TestApp, who: &Who, path: &str, body: Value) -> Value {
    let r = app
        .api(Some(who), Method::POST, &format!("{P}{path}"), Some(body))
        .await;
    assert!(r.status.is_success(), "{path}: {} {}", r.status, r.body);
    r.json()
}

fn codes(r: &crate::helpers::Resp) -> Vec<String> {
    r.json()["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .map(|x| x["code"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Twenty activities: a set-up chain, two parallel tracks and a closing chain.
fn twenty_activities(owner: i64) -> Value {
    let mut acts = Vec::new();
    let spec: [(&str, u32, &[&str]); 20] = [
        ("A01", 5, &[]),
        ("A02", 3, &["A01"]),
        ("A03", 4, &["A01"]),
        ("A04", 2, &["A02"]),
        ("A05", 6, &["A03"]),
        ("A06", 3, &["A04", "A05"]),
        ("A07", 2, &["A06"]),
        ("A08", 4, &["A06"]),
        ("A09", 1, &["A07"]),
        ("A10", 5, &["A08"]),
        ("A11", 2, &["A09", "A10"]),
        ("A12", 3, &["A11"]),
        ("A13", 7, &["A11"]),
        ("A14", 2, &["A12"]),
        ("A15", 1, &["A13", "A14"]),
        ("A16", 4, &["A15"]),
        ("A17", 2, &["A15"]),
        ("A18", 3, &["A16"]),
        ("A19", 1, &["A17", "A18"]),
        ("M20", 0, &["A19"]),
    ];
    for (id, days, deps) in spec {
        acts.push(json!({
            "id": id,
            "name": format!("Actividad {id}"),
            "duration_days": days,
            "milestone": days == 0,
            "owner_id": owner,
            "dependencies": deps.iter().map(|d| json!({ "predecessor": d })).collect::<Vec<_>>(),
        }));
    }
    Value::Array(acts)
}

#[tokio::test]
async fn a_programme_plan_is_built_and_changed_through_the_api_alone() {
    let app = TestApp::spawn().await;
    let m = app.user("jefa@x.cl", "manager", None).await;
    let pid = app.programme("SEG-VIDA", app.client_a, &m).await;
    let ana = person(&app, &m, "Ana Díaz").await;
    let beto = person(&app, &m, "Beto Soto").await;

    // Objectives, targets, milestones.
    let obj = post(
        &app,
        &m,
        "/objectives",
        json!({
            "title": "Vender 1.200 pólizas", "expected_results": ["Conversión ≥ 8 %"]
        }),
    )
    .await;
    let oid = obj["id"].as_i64().unwrap();
    let target = post(
        &app,
        &m,
        "/targets",
        json!({
            "objective_id": oid, "indicator": "service_level", "target": 80, "direction": "higher",
            "tolerance": 5, "granularity": "week", "period_start": "2026-01-05",
            "period_end": "2026-12-31", "owner_id": ana
        }),
    )
    .await;
    assert_eq!(target["data"]["target"], 80);
    let tid = target["id"].as_i64().unwrap();
    for (actual, rag) in [("82", "green"), ("76,5", "amber"), ("74", "red")] {
        let j = app
            .api(
                Some(&m),
                Method::GET,
                &format!("{P}/targets/{tid}/judge?actual={actual}"),
                None,
            )
            .await
            .json();
        assert_eq!(j["rag"], rag, "{actual}");
    }
    let bad = app
        .api(
            Some(&m),
            Method::POST,
            &format!("{P}/milestones"),
            Some(json!({
                "name": "Cierre", "date": "2027-01-15"
            })),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(codes(&bad), vec!["error.milestone.outside_programme"]);
    assert!(bad.json()["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("dentro de las fechas del programa"));

    // Three stages.
    for (n, name) in ["Preparación", "Piloto", "Operación"].iter().enumerate() {
        post(
            &app,
            &m,
            "/stages",
            json!({
                "name": name, "position": n + 1, "exit_criteria": ["Gate cumplido"]
            }),
        )
        .await;
    }

    // Five risks, and probability 7 refused.
    for (p, i) in [(2, 5), (2, 5), (4, 4), (1, 1), (3, 2)] {
        post(
            &app,
            &m,
            "/risks",
            json!({
                "cause": "c", "event": "e", "effect": "f", "probability": p, "impact": i,
                "owner_id": beto, "review_date": "2026-02-01"
            }),
        )
        .await;
    }
    let seven = app
        .api(
            Some(&m),
            Method::POST,
            &format!("{P}/risks"),
            Some(json!({
                "cause": "c", "event": "e", "effect": "f", "probability": 7, "impact": 3,
                "owner_id": beto, "review_date": "2026-02-01"
            })),
        )
        .await;
    assert_eq!(codes(&seven), vec!["error.risk.probability"]);
    let heat = app
        .api(Some(&m), Method::GET, &format!("{P}/risks/heatmap"), None)
        .await
        .json();
    assert_eq!(heat["total"], 5);
    assert_eq!(
        heat["cells"][4][1], 2,
        "two risks at impact 5, probability 2"
    );
    let svg = app
        .api(
            Some(&m),
            Method::GET,
            &format!("{P}/risks/heatmap.svg"),
            None,
        )
        .await;
    assert!(svg.content_type().starts_with("image/svg+xml"));
    assert!(svg
        .body
        .contains("<title>Mapa de calor de riesgos activos</title>"));

    // Staffing from four weeks of volumes (30-minute intervals, 08:00–20:00).
    let volumes: Vec<Value> = (0..28)
        .map(|d| {
            let date = jiff::civil::date(2026, 3, 2)
                .checked_add(jiff::Span::new().days(d))
                .unwrap();
            json!({ "date": date.to_string(), "contacts": vec![60.0 + 5.0 * (d % 7) as f64; 24] })
        })
        .collect();
    let staffing = post(
        &app,
        &m,
        "/staffing",
        json!({
            "interval_minutes": 30, "weekly_hours": 42, "starting_headcount": 10,
            "weekly_attrition": "1", "training_days": 10, "aht_s": 240, "service_level": 0.8,
            "answer_s": 20, "max_occupancy": 0.9, "shrinkage": 0.3, "volumes": volumes
        }),
    )
    .await;
    let weeks = staffing["weeks"].as_array().unwrap();
    assert_eq!(weeks.len(), 4);
    assert!(weeks[0]["fte"].as_f64().unwrap() > 10.0);
    assert!(staffing["total_hires"].as_u64().unwrap() > 0);

    // Budget lines, planned and actual amounts, contacts; a negative cost saves nothing.
    let staff = post(
        &app,
        &m,
        "/budget-lines",
        json!({ "category": "staff", "description": "Ejecutivos" }),
    )
    .await;
    let phone = post(
        &app,
        &m,
        "/budget-lines",
        json!({ "category": "telephony", "description": "Minutos" }),
    )
    .await;
    let (sl, pl) = (staff["id"].as_i64().unwrap(), phone["id"].as_i64().unwrap());
    let negative = app
        .api(
            Some(&m),
            Method::POST,
            &format!("{P}/budget/amounts"),
            Some(json!([
                { "line_id": sl, "month": "2026-03", "kind": "planned", "amount": "10.000.000" },
                { "line_id": pl, "month": "2026-03", "kind": "actual", "amount": "-5" }
            ])),
        )
        .await;
    assert_eq!(codes(&negative), vec!["error.money.negative"]);
    assert_eq!(
        app.api(Some(&m), Method::GET, &format!("{P}/budget/amounts"), None)
            .await
            .json(),
        json!([]),
        "nothing half-saved"
    );
    post(
        &app,
        &m,
        "/budget/amounts",
        json!([
            { "line_id": sl, "month": "2026-03", "kind": "planned", "amount": "10.000.000" },
            { "line_id": sl, "month": "2026-03", "kind": "actual", "amount": "10.500.000" },
            { "line_id": pl, "month": "2026-03", "kind": "planned", "amount": "1.000.000" },
            { "line_id": pl, "month": "2026-03", "kind": "actual", "amount": "1.250.000" }
        ]),
    )
    .await;
    post(
        &app,
        &m,
        "/contacts",
        json!({ "month": "2026-03", "contacts": 35000 }),
    )
    .await;
    post(
        &app,
        &m,
        "/rates",
        json!({ "base": "UF", "quote": "CLP", "date": "2024-12-09", "value": "38.362,26" }),
    )
    .await;
    let v = app
        .api(
            Some(&m),
            Method::GET,
            &format!("{P}/budget/variance?by=category"),
            None,
        )
        .await
        .json();
    assert_eq!(v["rows"][0]["category"], "staff");
    assert_eq!(v["rows"][0]["variance"], "500000");
    assert_eq!(v["rows"][1]["variance_percent"], 25.0);
    // $500.000 / 38.362,26 = 13,03364… UF.
    assert_eq!(v["rows"][0]["uf"]["variance"], "13.0336");
    // (10.500.000 + 1.250.000) / 35.000 = 335,71… → $336.
    assert_eq!(v["cost_per_contact"]["total"], "336");

    // Twenty activities; a cycle is refused and named; the critical path is computed.
    let cyclic = json!([
        { "id": "X", "name": "x", "duration_days": 1, "dependencies": [{ "predecessor": "Y" }] },
        { "id": "Y", "name": "y", "duration_days": 1, "dependencies": [{ "predecessor": "X" }] }
    ]);
    let cycle = app
        .api(
            Some(&m),
            Method::PUT,
            &format!("{P}/activities"),
            Some(cyclic),
        )
        .await;
    assert_eq!(cycle.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(codes(&cycle), vec!["error.workplan.cycle"]);
    assert!(
        cycle.json()["detail"]
            .as_str()
            .unwrap()
            .contains("X → Y → X"),
        "{}",
        cycle.body
    );
    let put = app
        .api(
            Some(&m),
            Method::PUT,
            &format!("{P}/activities"),
            Some(twenty_activities(ana)),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    assert_eq!(put.json().as_array().unwrap().len(), 20);
    let sched = app
        .api(Some(&m), Method::GET, &format!("{P}/schedule"), None)
        .await
        .json();
    let path: Vec<&str> = sched["critical_path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        path,
        vec![
            "A01", "A03", "A05", "A06", "A08", "A10", "A11", "A13", "A15", "A16", "A18", "A19",
            "M20"
        ]
    );
    assert_eq!(sched["duration_days"], 45);
    let gantt = app
        .api(Some(&m), Method::GET, &format!("{P}/gantt.svg"), None)
        .await;
    assert!(gantt.body.contains("activity milestone critical"));

    // RACI: one A per activity.
    let mut entries: Vec<Value> = (1..=19)
        .map(|n| json!({ "activity": format!("A{n:02}"), "person_id": ana, "role": "A" }))
        .collect();
    entries.push(json!({ "activity": "M20", "person_id": beto, "role": "R" }));
    let no_a = app
        .api(
            Some(&m),
            Method::PUT,
            &format!("{P}/raci"),
            Some(json!({ "entries": entries.clone() })),
        )
        .await;
    assert_eq!(codes(&no_a), vec!["error.raci.no_accountable"]);
    entries.push(json!({ "activity": "M20", "person_id": ana, "role": "A" }));
    let raci = app
        .api(
            Some(&m),
            Method::PUT,
            &format!("{P}/raci"),
            Some(json!({ "entries": entries })),
        )
        .await;
    assert_eq!(raci.status, StatusCode::OK, "{}", raci.body);

    // A meeting with decisions; its follow-up lands in the work plan.
    let meeting = post(
        &app,
        &m,
        "/meetings",
        json!({
            "title": "Comité semanal", "date": "2026-01-12", "attendees": [ana, beto],
            "agenda": ["Dotación"], "decisions": ["Adelantar la capacitación"],
            "follow_ups": [{ "task": "Reservar sala", "owner_id": beto, "due_date": "2026-01-16" }]
        }),
    )
    .await;
    assert_eq!(meeting["follow_up_activities"][0]["code"], "FU-1.1");
    let log = app
        .api(Some(&m), Method::GET, &format!("{P}/decision-log"), None)
        .await
        .json();
    assert_eq!(log[0]["summary"], "Adelantar la capacitación");

    // A change request, approved: two versions, the activity moved.
    let cr = post(
        &app,
        &m,
        "/change-requests",
        json!({
            "kind": "dates", "reason": "El cliente atrasa las bases", "impact": "Una semana",
            "changes": [{ "key": "activity.A01.start", "value": "2026-01-08" }], "requested_by": ana
        }),
    )
    .await;
    assert_eq!(cr["data"]["status"], "proposed");
    let crid = cr["id"].as_i64().unwrap();
    let approved = app
        .api(
            Some(&m),
            Method::POST,
            &format!("{P}/change-requests/{crid}/approve"),
            None,
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    let versions = app
        .api(Some(&m), Method::GET, &format!("{P}/plan/versions"), None)
        .await
        .json();
    let versions = versions.as_array().unwrap();
    assert_eq!(versions.len(), 2);
    // Durations count working days: 1 January is a holiday, so the plan starts on the 2nd.
    assert_eq!(versions[0]["values"]["activity.A01.start"], "2026-01-02");
    assert_eq!(versions[1]["values"]["activity.A01.start"], "2026-01-08");
    assert_eq!(versions[1]["changes"][0]["before"], "2026-01-02");
    let sched = app
        .api(Some(&m), Method::GET, &format!("{P}/schedule"), None)
        .await
        .json();
    // 45 working days of work after a start moved four working days (2, 5, 6 and 7 January).
    assert_eq!(sched["duration_days"], 49);
    let again = app
        .api(
            Some(&m),
            Method::POST,
            &format!("{P}/change-requests/{crid}/approve"),
            None,
        )
        .await;
    assert_eq!(codes(&again), vec!["error.change.already_decided"]);

    // Every write left an audit record.
    let audit = app.store.audit_for_programme(pid, 500).await.unwrap();
    for entity in [
        "plan.objective",
        "plan.risk",
        "plan.activity",
        "plan.raci",
        "plan.meeting",
        "plan.change_request",
        "plan.version",
    ] {
        assert!(
            audit.iter().any(|a| a.entity == entity),
            "no audit for {entity}"
        );
    }

    // The plan page shows it all.
    let page = app.get_page(Some(&m), "/programs/SEG-VIDA/plan").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Ruta crítica"));
    assert!(page.body.contains("Versión 2"));
}

#[tokio::test]
async fn plan_entities_honour_programme_access_rules() {
    let app = TestApp::spawn().await;
    let m = app.user("jefa@x.cl", "manager", None).await;
    let pid = app.programme("SEG-VIDA", app.client_a, &m).await;
    // An analyst reads the plans of the programmes whose team they are on.
    let analyst = app.user("ana@x.cl", "analyst", None).await;
    app.store
        .add_member(&rumbo_store::Actor::system("test"), pid, analyst.user.id)
        .await
        .unwrap();
    let other_viewer = app
        .user("b@x.cl", "client_viewer", Some(app.client_b))
        .await;
    let outsider = app.user("otro@x.cl", "manager", None).await;
    let requester = person(&app, &m, "Ana Díaz").await;
    let body = json!({ "title": "Objetivo" });

    let read = app
        .api(
            Some(&analyst),
            Method::GET,
            &format!("{P}/objectives"),
            None,
        )
        .await;
    assert_eq!(read.status, StatusCode::OK);
    let write = app
        .api(
            Some(&analyst),
            Method::POST,
            &format!("{P}/objectives"),
            Some(body.clone()),
        )
        .await;
    assert_eq!(write.status, StatusCode::FORBIDDEN);
    let hidden = app
        .api(
            Some(&other_viewer),
            Method::GET,
            &format!("{P}/objectives"),
            None,
        )
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    let not_member = app
        .api(
            Some(&outsider),
            Method::POST,
            &format!("{P}/objectives"),
            Some(body),
        )
        .await;
    assert_eq!(not_member.status, StatusCode::FORBIDDEN);
    let anonymous = app
        .api(None, Method::GET, &format!("{P}/objectives"), None)
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    // A proposed change may only be approved by a manager of the programme.
    let cr = app
        .api(
            Some(&m),
            Method::POST,
            &format!("{P}/change-requests"),
            Some(json!({
                "kind": "scope", "reason": "r", "impact": "i",
                "changes": [{ "key": "scope.in.1", "value": "Venta cruzada" }],
                "requested_by": requester
            })),
        )
        .await;
    assert_eq!(cr.status, StatusCode::CREATED, "{}", cr.body);
    let id = cr.json()["id"].as_i64().unwrap();
    let by_outsider = app
        .api(
            Some(&outsider),
            Method::POST,
            &format!("{P}/change-requests/{id}/approve"),
            None,
        )
        .await;
    assert_eq!(by_outsider.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_risk_form_shows_localised_errors_and_saves_valid_risks() {
    let app = TestApp::spawn().await;
    let m = app.user("jefa@x.cl", "manager", None).await;
    app.programme("SEG-VIDA", app.client_a, &m).await;
    let owner = person(&app, &m, "Beto Soto").await.to_string();
    let fields = |p: &'static str| {
        vec![
            ("cause", "Mercado laboral"),
            ("event", "Falta dotación"),
            ("effect", "NS bajo"),
            ("probability", p),
            ("impact", "4"),
            ("owner_id", owner.as_str()),
            ("review_date", "2026-02-01"),
        ]
    };
    let bad = app
        .post_form(Some(&m), "/programs/SEG-VIDA/plan/risks/new", &fields("7"))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("La probabilidad va de 1 a 5."));
    let ok = app
        .post_form(Some(&m), "/programs/SEG-VIDA/plan/risks/new", &fields("3"))
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let page = app.get_page(Some(&m), "/programs/SEG-VIDA/plan").await;
    assert!(page.body.contains("Falta dotación"));
}

#[tokio::test]
async fn the_demo_programme_has_a_complete_plan() {
    let app = TestApp::spawn().await;
    assert!(demo_app(&app).seed_demo_if_empty().await.unwrap());
    let admin = app.user("root@x.cl", "admin", None).await;
    let get = |path: &'static str| {
        let app = &app;
        let admin = &admin;
        async move {
            let r = app
                .api(
                    Some(admin),
                    Method::GET,
                    &format!("/programs/VIDA-2026{path}"),
                    None,
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
            r.json()
        }
    };
    assert_eq!(get("/objectives").await.as_array().unwrap().len(), 3);
    assert_eq!(get("/stages").await.as_array().unwrap().len(), 4);
    assert_eq!(get("/risks/heatmap").await["total"], 5);
    assert_eq!(get("/activities").await.as_array().unwrap().len(), 21);
    let sched = get("/schedule").await;
    assert!(sched["critical_path"].as_array().unwrap().len() > 5);
    assert_eq!(get("/staffing").await["weeks"].as_array().unwrap().len(), 4);
    let v = get("/budget/variance?by=month").await;
    assert_eq!(v["rows"].as_array().unwrap().len(), 10);
    assert!(v["cost_per_contact"]["total"].is_string());
    let versions = get("/plan/versions").await;
    assert_eq!(versions.as_array().unwrap().len(), 2);
    assert_eq!(versions[1]["changes"][0]["key"], "activity.A11.duration");
    assert!(get("/raci").await["entries"].as_array().unwrap().len() > 40);
    assert_eq!(get("/decision-log").await.as_array().unwrap().len(), 3);
    let page = app.get_page(Some(&admin), "/programs/VIDA-2026/plan").await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "Vender 7.200 pólizas",
        "Ruta crítica",
        "Comité de lanzamiento",
        "Versión 2",
    ] {
        assert!(
            page.body.contains(text),
            "{text} missing from the plan page"
        );
    }
}

#[tokio::test]
async fn a_new_programme_plan_is_derived_from_a_past_one_or_not_at_all() {
    let app = TestApp::spawn().await;
    assert!(demo_app(&app).seed_demo_if_empty().await.unwrap());
    let admin = app.user("root@x.cl", "admin", None).await;
    // VIDA-2027 is shorter than VIDA-2026: shifted milestones fall past its end.
    let short = app
        .api(
            Some(&admin),
            Method::POST,
            "/programs/VIDA-2027/plan/from-template",
            Some(json!({ "source": "VIDA-2026" })),
        )
        .await;
    assert_eq!(
        short.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        short.body
    );
    assert!(codes(&short).contains(&"error.milestone.outside_programme".to_string()));
    let copied = app
        .api(
            Some(&admin),
            Method::GET,
            "/programs/VIDA-2027/objectives",
            None,
        )
        .await;
    assert_eq!(copied.json(), json!([]), "nothing copied");

    let client = app
        .store
        .programme_for("VIDA-2026", None)
        .await
        .unwrap()
        .programme
        .client_id;
    let created = app
        .api(Some(&admin), Method::POST, "/programs", Some(json!({
            "code": "VIDA-2028", "name": "Vida 2028", "client_id": client, "channels": ["voice_outbound"],
            "start_date": "2028-03-06", "end_date": "2029-01-31"
        })))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let r = app
        .api(
            Some(&admin),
            Method::POST,
            "/programs/VIDA-2028/plan/from-template",
            Some(json!({ "source": "VIDA-2026" })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["copied"]["objective"], 3);
    let targets = app
        .api(
            Some(&admin),
            Method::GET,
            "/programs/VIDA-2028/targets",
            None,
        )
        .await
        .json();
    let objectives = app
        .api(
            Some(&admin),
            Method::GET,
            "/programs/VIDA-2028/objectives",
            None,
        )
        .await
        .json();
    let new_ids: Vec<i64> = objectives
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_i64().unwrap())
        .collect();
    for t in targets.as_array().unwrap() {
        assert!(
            new_ids.contains(&t["data"]["objective_id"].as_i64().unwrap()),
            "target linked to a new objective"
        );
    }
    let sched = app
        .api(
            Some(&admin),
            Method::GET,
            "/programs/VIDA-2028/schedule",
            None,
        )
        .await
        .json();
    let old = app
        .api(
            Some(&admin),
            Method::GET,
            "/programs/VIDA-2026/schedule",
            None,
        )
        .await
        .json();
    assert_eq!(sched["critical_path"], old["critical_path"]);
    assert_eq!(sched["activities"][0]["start"], "2028-03-06");
    assert!(sched["activities"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["progress"] == 0));
    let risks = app
        .api(Some(&admin), Method::GET, "/programs/VIDA-2028/risks", None)
        .await
        .json();
    assert!(risks
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["data"]["status"] == "open"));
}

#[tokio::test]
async fn the_plan_page_adds_activities_and_approves_changes() {
    let app = TestApp::spawn().await;
    let m = app.user("jefa@x.cl", "manager", None).await;
    app.programme("SEG-VIDA", app.client_a, &m).await;
    let form = "/programs/SEG-VIDA/plan/activities/new";
    let a = app
        .post_form(
            Some(&m),
            form,
            &[("id", "A"), ("name", "Reclutar"), ("duration_days", "5")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let b = app
        .post_form(
            Some(&m),
            form,
            &[
                ("id", "B"),
                ("name", "Capacitar"),
                ("duration_days", "3"),
                ("dependencies.0.predecessor", "A"),
            ],
        )
        .await;
    assert_eq!(b.status, StatusCode::SEE_OTHER, "{}", b.body);
    let self_loop = app
        .post_form(
            Some(&m),
            form,
            &[
                ("id", "C"),
                ("name", "x"),
                ("duration_days", "1"),
                ("dependencies.0.predecessor", "C"),
            ],
        )
        .await;
    assert!(self_loop
        .body
        .contains("Una actividad no puede depender de sí misma."));
    let bad = app
        .post_form(
            Some(&m),
            form,
            &[
                ("id", "D"),
                ("name", "x"),
                ("duration_days", "1"),
                ("progress", "140"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad
        .body
        .contains("El avance debe ser un porcentaje entre 0 y 100."));

    let requester = person(&app, &m, "Ana").await;
    let cr = post(
        &app,
        &m,
        "/change-requests",
        json!({
            "kind": "dates", "reason": "Atraso", "impact": "Dos días",
            "changes": [{ "key": "activity.B.duration", "value": "5" }], "requested_by": requester
        }),
    )
    .await;
    let page = app.get_page(Some(&m), "/programs/SEG-VIDA/plan").await;
    assert!(page.body.contains("Aprobar"));
    let approve = format!(
        "/programs/SEG-VIDA/plan/change-requests/{}/approve",
        cr["id"]
    );
    let done = app.post_form(Some(&m), &approve, &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let page = app.get_page(Some(&m), "/programs/SEG-VIDA/plan").await;
    assert!(
        page.body.contains("Duración de la actividad B") && page.body.contains("5 días"),
        "the version names the change in words"
    );
    assert!(!page.body.contains("activity.B.duration"));
    assert!(page.body.contains("Versión 2"));
    let sched = app
        .api(Some(&m), Method::GET, &format!("{P}/schedule"), None)
        .await
        .json();
    assert_eq!(sched["duration_days"], 10);
    let no_csrf = app
        .post_form(Some(&m), &approve, &[("_csrf", "wrong")])
        .await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
}
