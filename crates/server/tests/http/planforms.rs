//! The plan forms: every kind is created from a page, a refused form comes back with what was
//! typed and the message beside its field (never a bare error page), a saved one redirects to
//! the plan with a success message; items are edited, closed and deleted after a confirmation;
//! change requests are commented, rejected with a reason or approved into a new version; late
//! work is flagged on the plan and the programme page; access rules hold for the new routes.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{Resp, TestApp, Who};

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

/// The id of the last item of an API list.
async fn last_id(app: &TestApp, who: &Who, list: &str) -> i64 {
    let r = app
        .api(Some(who), Method::GET, &format!("{P}/{list}"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{list}: {}", r.body);
    r.json().as_array().unwrap().last().unwrap()["id"]
        .as_i64()
        .unwrap()
}

fn pairs<'a>(v: &'a [(&'a str, String)]) -> Vec<(&'a str, &'a str)> {
    v.iter().map(|(k, x)| (*k, x.as_str())).collect()
}

/// A refused form: 422, the form again with the typed value and the message beside `field`.
fn assert_refused(r: &Resp, what: &str, field: &str, typed: &str) {
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{what}: {}",
        r.body
    );
    assert!(
        r.body.contains(&format!("id=\"err-{field}\"")),
        "{what}: no message beside {field}: {}",
        r.body
    );
    assert!(r.body.contains(typed), "{what}: lost the input {typed:?}");
    assert!(r.body.contains("<form"), "{what}: not a form page");
    assert!(
        !r.body.contains("Datos no válidos"),
        "{what}: bare error page"
    );
}

/// A saved form: a redirect to the plan with the success message of `what` for `kind`.
async fn assert_saved(app: &TestApp, who: &Who, r: &Resp, what: &str, kind: &str) -> String {
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{kind}: {}", r.body);
    let to = r.location().to_string();
    assert!(
        to.contains(&format!("done={what}&kind={kind}")),
        "{kind}: {to}"
    );
    let page = app.get_page(Some(who), &to).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("class=\"flash\""), "{kind}: no flash");
    page.body
}

#[tokio::test]
async fn every_plan_kind_is_created_from_its_form_and_refusals_keep_the_input() {
    let app = TestApp::spawn().await;
    let m = app.user("jefa@x.cl", "manager", None).await;
    app.programme("SEG-VIDA", app.client_a, &m).await;
    let ana = person(&app, &m, "Ana Rojas").await.to_string();
    let luis = person(&app, &m, "Luis Soto").await.to_string();
    let post = |slug: &str, fields: Vec<(&'static str, String)>| {
        let app = &app;
        let m = &m;
        let path = format!("{P}/plan/{slug}/new");
        async move {
            let f = pairs(&fields);
            app.post_form(Some(m), &path, &f).await
        }
    };
    let s = |x: &str| x.to_string();

    // Each kind: a refused form (field with the message, a value typed), then a good one.
    let form = app
        .get_page(Some(&m), &format!("{P}/plan/objectives/new"))
        .await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("name=\"expected_results\""));
    let bad = post(
        "objectives",
        vec![("title", s("")), ("description", s("Texto escrito"))],
    )
    .await;
    assert_refused(&bad, "objective", "title", "Texto escrito");
    let ok = post(
        "objectives",
        vec![
            ("title", s("Mejorar la atención")),
            (
                "expected_results",
                s("Nivel de servicio 80 %\nAbandono bajo 5 %"),
            ),
        ],
    )
    .await;
    assert_saved(&app, &m, &ok, "created", "objectives").await;
    let obj = last_id(&app, &m, "objectives").await.to_string();

    let target = |value: &str| {
        vec![
            ("objective_id", obj.clone()),
            ("indicator", s("service_level")),
            ("direction", s("higher")),
            ("target", s(value)),
            ("tolerance", s("2")),
            ("granularity", s("month")),
            ("period_start", s("2026-02-01")),
            ("period_end", s("2026-12-31")),
            ("owner_id", ana.clone()),
        ]
    };
    assert_refused(
        &post("targets", target("ochenta")).await,
        "target",
        "target",
        "ochenta",
    );
    let page = assert_saved(
        &app,
        &m,
        &post("targets", target("80")).await,
        "created",
        "targets",
    )
    .await;
    assert!(page.contains("80 %"), "the target shows its unit");

    let milestone = |date: &str| {
        vec![
            ("name", s("Salida a producción")),
            ("date", s(date)),
            ("status", s("pending")),
        ]
    };
    assert_refused(
        &post("milestones", milestone("2030-01-01")).await,
        "milestone",
        "date",
        "2030-01-01",
    );
    assert_saved(
        &app,
        &m,
        &post("milestones", milestone("2026-02-02")).await,
        "created",
        "milestones",
    )
    .await;

    assert_refused(
        &post(
            "requirements",
            vec![
                ("text", s("Grabar todas las llamadas")),
                ("source_kind", s("")),
            ],
        )
        .await,
        "requirement",
        "source_kind",
        "Grabar todas las llamadas",
    );
    assert_saved(
        &app,
        &m,
        &post(
            "requirements",
            vec![
                ("text", s("Grabar todas las llamadas")),
                ("source_kind", s("contract_clause")),
                ("source_ref", s("Cláusula 7")),
                ("objective_ids", obj.clone()),
            ],
        )
        .await,
        "created",
        "requirements",
    )
    .await;

    assert_refused(
        &post(
            "scope",
            vec![("side", s("")), ("text", s("Venta por teléfono"))],
        )
        .await,
        "scope",
        "side",
        "Venta por teléfono",
    );
    assert_saved(
        &app,
        &m,
        &post(
            "scope",
            vec![("side", s("in")), ("text", s("Venta por teléfono"))],
        )
        .await,
        "created",
        "scope",
    )
    .await;

    let stage = |pos: &str| {
        vec![
            ("name", s("Preparación")),
            ("position", s(pos)),
            ("start_date", s("2026-01-05")),
            ("end_date", s("2026-01-30")),
            ("exit_criteria.0.text", s("Guion aprobado")),
        ]
    };
    assert_refused(
        &post("stages", stage("primera")).await,
        "stage",
        "position",
        "primera",
    );
    assert_saved(
        &app,
        &m,
        &post("stages", stage("1")).await,
        "created",
        "stages",
    )
    .await;

    let risk = |p: &str| {
        vec![
            ("cause", s("Rotación alta")),
            ("event", s("Falta dotación")),
            ("effect", s("Baja el nivel de servicio")),
            ("probability", s(p)),
            ("impact", s("4")),
            ("owner_id", ana.clone()),
            ("mitigation", s("Bono de permanencia")),
            ("review_date", s("2026-03-01")),
        ]
    };
    assert_refused(
        &post("risks", risk("9")).await,
        "risk",
        "probability",
        "Bono de permanencia",
    );
    assert_saved(
        &app,
        &m,
        &post("risks", risk("3")).await,
        "created",
        "risks",
    )
    .await;

    let activity = |id: &str, progress: &str, deps: &[&str]| {
        let mut v = vec![
            ("id", s(id)),
            ("name", format!("Actividad {id}")),
            ("duration_days", s("5")),
            ("progress", s(progress)),
            ("owner_id", luis.clone()),
        ];
        for (n, d) in deps.iter().enumerate() {
            let key: &'static str = ["dependencies.0.predecessor", "dependencies.1.predecessor"][n];
            v.push((key, s(d)));
        }
        v
    };
    assert_refused(
        &post("activities", activity("A", "140", &[])).await,
        "activity",
        "progress",
        "140",
    );
    assert_saved(
        &app,
        &m,
        &post("activities", activity("A", "0", &[])).await,
        "created",
        "activities",
    )
    .await;
    assert_saved(
        &app,
        &m,
        &post("activities", activity("B", "0", &["A"])).await,
        "created",
        "activities",
    )
    .await;
    let cycle = post("activities", activity("C", "0", &["C"])).await;
    assert_refused(&cycle, "self dependency", "dependencies", "C");

    let role = |level: &str| {
        vec![
            ("name", s("Ejecutivo")),
            ("competencies.0.name", s("Empatía")),
            ("competencies.0.kind", s("behavioural")),
            ("competencies.0.level", s(level)),
            ("competencies.1.name", s("Producto")),
            ("competencies.1.kind", s("technical")),
            ("competencies.1.level", s("3")),
            ("languages.0.language", s("es")),
            ("languages.0.level", s("C2")),
            ("min_experience_months", s("6")),
        ]
    };
    assert_refused(
        &post("roles", role("9")).await,
        "role",
        "competencies",
        "Empatía",
    );
    assert_saved(
        &app,
        &m,
        &post("roles", role("4")).await,
        "created",
        "roles",
    )
    .await;

    let profile = |months: &str| {
        vec![
            ("person_id", luis.clone()),
            ("name", s("Luis")),
            ("competencies.0.name", s("Empatía")),
            ("competencies.0.kind", s("behavioural")),
            ("competencies.0.level", s("2")),
            ("languages.0.language", s("en")),
            ("languages.0.level", s("B1")),
            ("experience_months", s(months)),
        ]
    };
    assert_refused(
        &post("profiles", profile("muchos")).await,
        "profile",
        "experience_months",
        "muchos",
    );
    assert_saved(
        &app,
        &m,
        &post("profiles", profile("3")).await,
        "created",
        "profiles",
    )
    .await;

    let assignment = |alloc: &str| {
        vec![
            ("person_id", luis.clone()),
            ("role", s("Ejecutivo")),
            ("from", s("2026-02-01")),
            ("to", s("2026-06-30")),
            ("allocation", s(alloc)),
        ]
    };
    assert_refused(
        &post("assignments", assignment("0")).await,
        "assignment",
        "allocation",
        "2026-06-30",
    );
    let saved = post("assignments", assignment("50")).await;
    let page = assert_saved(&app, &m, &saved, "created", "assignments").await;
    // Luis lacks experience and rates Empatía 2 of the 4 the role needs: the domain warns.
    assert!(
        saved.location().contains("warn=warning."),
        "{}",
        saved.location()
    );
    assert!(page.contains("class=\"warnings\""));

    let raci = |b_role: &str| {
        vec![
            ("entries.0.activity", s("A")),
            ("entries.0.person_id", ana.clone()),
            ("entries.0.role", s("A")),
            ("entries.1.activity", s("B")),
            ("entries.1.person_id", luis.clone()),
            ("entries.1.role", s(b_role)),
        ]
    };
    let bad = app
        .post_form(Some(&m), &format!("{P}/plan/raci/edit"), &pairs(&raci("R")))
        .await;
    assert_refused(&bad, "raci", "entries", "value=\"B\" selected");
    let ok = app
        .post_form(Some(&m), &format!("{P}/plan/raci/edit"), &pairs(&raci("A")))
        .await;
    assert_saved(&app, &m, &ok, "updated", "raci").await;

    let ok = app
        .post_form(
            Some(&m),
            &format!("{P}/plan/methodology/edit"),
            &[("text", "Ciclos semanales de mejora")],
        )
        .await;
    assert_saved(&app, &m, &ok, "updated", "methodology").await;

    assert_refused(
        &post(
            "budget-lines",
            vec![("category", s("")), ("description", s("Sueldos"))],
        )
        .await,
        "budget line",
        "category",
        "Sueldos",
    );
    assert_saved(
        &app,
        &m,
        &post(
            "budget-lines",
            vec![("category", s("staff")), ("description", s("Sueldos"))],
        )
        .await,
        "created",
        "budget-lines",
    )
    .await;
    let line = last_id(&app, &m, "budget-lines").await.to_string();

    let amount = |month: &str| {
        vec![
            ("line_id", line.clone()),
            ("month", s(month)),
            ("kind", s("planned")),
            ("amount", s("1.250.000")),
            ("currency", s("CLP")),
        ]
    };
    assert_refused(
        &post("amounts", amount("2026-13")).await,
        "amount",
        "month",
        "1.250.000",
    );
    let page = assert_saved(
        &app,
        &m,
        &post("amounts", amount("2026-02")).await,
        "created",
        "amounts",
    )
    .await;
    assert!(
        page.contains("$1.250.000"),
        "amounts in pesos with thousands separators"
    );

    let supply = |qty: &str| {
        vec![
            ("kind", s("headset")),
            ("description", s("Audífonos USB")),
            ("quantity", s(qty)),
            ("unit_cost", s("25.000")),
            ("currency", s("CLP")),
        ]
    };
    assert_refused(
        &post("supplies", supply("muchos")).await,
        "supply",
        "quantity",
        "Audífonos USB",
    );
    assert_saved(
        &app,
        &m,
        &post("supplies", supply("40")).await,
        "created",
        "supplies",
    )
    .await;

    let rate = |cost: &str| {
        vec![
            ("role", s("Ejecutivo")),
            ("hourly_cost", s(cost)),
            ("currency", s("CLP")),
            ("employer_charges", s("24,5")),
        ]
    };
    assert_refused(
        &post("cost-rates", rate("caro")).await,
        "cost rate",
        "hourly_cost",
        "caro",
    );
    assert_saved(
        &app,
        &m,
        &post("cost-rates", rate("5.200")).await,
        "created",
        "cost-rates",
    )
    .await;

    let meeting = |title: &str| {
        vec![
            ("title", s(title)),
            ("date", s("2026-02-03")),
            ("attendees", ana.clone()),
            ("attendees", luis.clone()),
            ("agenda", s("Avance\nRiesgos")),
            ("minutes", s("Se revisó el avance.")),
            ("decisions", s("Adelantar la capacitación")),
            ("follow_ups.0.task", s("Enviar el guion")),
            ("follow_ups.0.owner_id", ana.clone()),
            ("follow_ups.0.due_date", s("2026-02-10")),
        ]
    };
    assert_refused(
        &post("meetings", meeting("")).await,
        "meeting",
        "title",
        "Adelantar la capacitación",
    );
    assert_saved(
        &app,
        &m,
        &post("meetings", meeting("Comité semanal")).await,
        "created",
        "meetings",
    )
    .await;
    let acts = app
        .api(Some(&m), Method::GET, &format!("{P}/activities"), None)
        .await
        .json();
    assert!(
        acts.as_array()
            .unwrap()
            .iter()
            .any(|a| a["code"] == "FU-1.1"),
        "the action item is in the work plan"
    );

    assert_refused(
        &post(
            "decisions",
            vec![
                ("date", s("2026-02-03")),
                ("summary", s("")),
                ("rationale", s("Porque sí")),
            ],
        )
        .await,
        "decision",
        "summary",
        "Porque sí",
    );
    assert_saved(
        &app,
        &m,
        &post(
            "decisions",
            vec![
                ("date", s("2026-02-03")),
                ("summary", s("Contratar 5 más")),
                ("decided_by", ana.clone()),
            ],
        )
        .await,
        "created",
        "decisions",
    )
    .await;

    let comm = |freq: &str| {
        vec![
            ("audience", s("Cliente")),
            ("content", s("Informe de avance")),
            ("frequency", s(freq)),
            ("channel", s("email")),
            ("owner_id", ana.clone()),
        ]
    };
    assert_refused(
        &post("communications", comm("")).await,
        "communication",
        "frequency",
        "Informe de avance",
    );
    assert_saved(
        &app,
        &m,
        &post("communications", comm("weekly")).await,
        "created",
        "communications",
    )
    .await;

    let diffusion = |planned: &str| {
        vec![
            ("kind", s("training")),
            ("title", s("Capacitación de producto")),
            ("date", s("2026-02-15")),
            ("audience", s("Ejecutivos")),
            ("audience_planned", s(planned)),
            ("audience_reached", s("35")),
            ("objective_ids", obj.clone()),
        ]
    };
    assert_refused(
        &post("diffusion", diffusion("cuarenta")).await,
        "diffusion",
        "audience_planned",
        "cuarenta",
    );
    assert_saved(
        &app,
        &m,
        &post("diffusion", diffusion("40")).await,
        "created",
        "diffusion",
    )
    .await;

    let change = |with_change: bool| {
        let mut v = vec![
            ("kind", s("dates")),
            ("reason", s("El cliente atrasa las bases")),
            ("impact", s("Tres días")),
            ("requested_by", ana.clone()),
        ];
        if with_change {
            v.push(("changes.0.key", s("activity.B.duration")));
            v.push(("changes.0.value", s("8")));
        }
        v
    };
    assert_refused(
        &post("change-requests", change(false)).await,
        "change request",
        "changes",
        "El cliente atrasa las bases",
    );
    assert_saved(
        &app,
        &m,
        &post("change-requests", change(true)).await,
        "created",
        "change-requests",
    )
    .await;

    // Working or calendar days is the programme's choice.
    let bad = app
        .post_form(
            Some(&m),
            &format!("{P}/plan/calendar/edit"),
            &[("day_count", "weekly")],
        )
        .await;
    assert_refused(&bad, "calendar", "day_count", "weekly");
    let ok = app
        .post_form(
            Some(&m),
            &format!("{P}/plan/calendar/edit"),
            &[("day_count", "calendar")],
        )
        .await;
    let page = assert_saved(&app, &m, &ok, "updated", "calendar").await;
    assert!(page.contains("Las duraciones se cuentan en días corridos."));

    // Every kind has its list on the plan page, in words.
    let page = app.get_page(Some(&m), &format!("{P}/plan")).await.body;
    for text in [
        "Mejorar la atención",
        "Salida a producción",
        "Grabar todas las llamadas",
        "Preparación",
        "Falta dotación",
        "Empatía (4)",
        "es C2",
        "Audífono",
        "Sueldos",
        "Comité semanal",
        "Contratar 5 más",
        "Informe de avance",
        "Capacitación de producto",
        "Ciclos semanales de mejora",
        "Dentro del alcance",
        "Días corridos",
    ] {
        assert!(page.contains(text), "{text} missing from the plan page");
    }
}

#[tokio::test]
async fn items_are_edited_closed_and_deleted_after_a_confirmation() {
    let app = TestApp::spawn().await;
    let m = app.user("jefa@x.cl", "manager", None).await;
    app.programme("SEG-VIDA", app.client_a, &m).await;
    let ana = person(&app, &m, "Ana").await.to_string();
    let risk = [
        ("cause", "Rotación"),
        ("event", "Falta dotación"),
        ("effect", "Baja el SL"),
        ("probability", "3"),
        ("impact", "4"),
        ("owner_id", ana.as_str()),
        ("review_date", "2026-03-01"),
    ];
    let r = app
        .post_form(Some(&m), &format!("{P}/plan/risks/new"), &risk)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = last_id(&app, &m, "risks").await;

    // The edit form is filled with the stored values; closing the risk is an edit.
    let edit = format!("{P}/plan/risks/{id}/edit");
    let form = app.get_page(Some(&m), &edit).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("value=\"Falta dotación\""));
    assert!(form.body.contains("value=\"2026-03-01\""));
    let mut closed: Vec<(&str, &str)> = risk.to_vec();
    closed.push(("status", "closed"));
    closed[1] = ("event", "Falta dotación en marzo");
    let bad: Vec<(&str, &str)> = closed
        .iter()
        .map(|&(k, v)| if k == "impact" { (k, "0") } else { (k, v) })
        .collect();
    assert_refused(
        &app.post_form(Some(&m), &edit, &bad).await,
        "risk edit",
        "impact",
        "Falta dotación en marzo",
    );
    let r = app.post_form(Some(&m), &edit, &closed).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r.location().contains("done=updated&kind=risks"));
    let stored = app
        .api(Some(&m), Method::GET, &format!("{P}/risks/{id}"), None)
        .await
        .json();
    assert_eq!(stored["data"]["status"], "closed");
    assert_eq!(stored["data"]["event"], "Falta dotación en marzo");

    // Activities: progress and actual dates.
    for (code, deps) in [("A", ""), ("B", "A")] {
        let r = app
            .post_form(
                Some(&m),
                &format!("{P}/plan/activities/new"),
                &[
                    ("id", code),
                    ("name", code),
                    ("duration_days", "3"),
                    ("dependencies.0.predecessor", deps),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let acts = app
        .api(Some(&m), Method::GET, &format!("{P}/activities"), None)
        .await
        .json();
    let a_id = acts[0]["id"].as_i64().unwrap();
    let edit = format!("{P}/plan/activities/{a_id}/edit");
    let form = app.get_page(Some(&m), &edit).await.body;
    assert!(form.contains("value=\"A\""));
    let bad = app
        .post_form(
            Some(&m),
            &edit,
            &[
                ("id", "A"),
                ("name", "A"),
                ("duration_days", "3"),
                ("progress", "100"),
                ("actual_start", "2026-01-09"),
                ("actual_finish", "2026-01-05"),
            ],
        )
        .await;
    assert_refused(&bad, "actual dates", "actual_finish", "2026-01-09");
    let ok = app
        .post_form(
            Some(&m),
            &edit,
            &[
                ("id", "A"),
                ("name", "Inicio"),
                ("duration_days", "3"),
                ("progress", "100"),
                ("actual_start", "2026-01-02"),
                ("actual_finish", "2026-01-06"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let a = app
        .api(
            Some(&m),
            Method::GET,
            &format!("{P}/activities/{a_id}"),
            None,
        )
        .await
        .json();
    assert_eq!(a["data"]["actual_finish"], "2026-01-06");
    assert_eq!(a["data"]["progress"], 100);

    // Deleting an activity others depend on is refused with the reason; B can go.
    let confirm = app
        .get_page(Some(&m), &format!("{P}/plan/activities/{a_id}/delete"))
        .await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(confirm.body.contains("Sí, eliminar") && confirm.body.contains("Inicio"));
    let refused = app
        .post_form(Some(&m), &format!("{P}/plan/activities/{a_id}/delete"), &[])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("no existe"), "{}", refused.body);

    // Deleting the risk after its confirmation page.
    let confirm = app
        .get_page(Some(&m), &format!("{P}/plan/risks/{id}/delete"))
        .await;
    assert!(confirm.body.contains("Falta dotación en marzo"));
    let gone = app
        .post_form(Some(&m), &format!("{P}/plan/risks/{id}/delete"), &[])
        .await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER);
    assert!(gone.location().contains("done=deleted&kind=risks"));
    let after = app
        .api(Some(&m), Method::GET, &format!("{P}/risks/{id}"), None)
        .await;
    assert_eq!(after.status, StatusCode::NOT_FOUND);
    let wrong_csrf = app
        .post_form(
            Some(&m),
            &format!("{P}/plan/activities/{a_id}/delete"),
            &[("_csrf", "x")],
        )
        .await;
    assert_eq!(wrong_csrf.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn change_requests_are_commented_rejected_with_a_reason_or_approved_into_a_version() {
    let app = TestApp::spawn().await;
    let m = app.user("jefa@x.cl", "manager", None).await;
    app.programme("SEG-VIDA", app.client_a, &m).await;
    let ana = person(&app, &m, "Ana").await.to_string();
    let r = app
        .post_form(
            Some(&m),
            &format!("{P}/plan/activities/new"),
            &[("id", "A"), ("name", "Reclutar"), ("duration_days", "5")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let new_cr = |value: &'static str| {
        let app = &app;
        let m = &m;
        let ana = ana.clone();
        async move {
            let r = app
                .post_form(
                    Some(m),
                    &format!("{P}/plan/change-requests/new"),
                    &[
                        ("kind", "dates"),
                        ("reason", "Atraso"),
                        ("impact", "Días"),
                        ("requested_by", &ana),
                        ("changes.0.key", "activity.A.duration"),
                        ("changes.0.value", value),
                    ],
                )
                .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
            last_id(app, m, "change-requests").await
        }
    };
    let first = new_cr("7").await;
    let page = format!("{P}/plan/change-requests/{first}");
    let shown = app.get_page(Some(&m), &page).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(
        shown.body.contains("Duración de la actividad A"),
        "{}",
        shown.body
    );

    let bad = app
        .post_form(Some(&m), &format!("{page}/comment"), &[("comment", "  ")])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("id=\"err-comment\""));
    let ok = app
        .post_form(
            Some(&m),
            &format!("{page}/comment"),
            &[("comment", "¿Y el costo?")],
        )
        .await;
    assert!(ok.location().contains("done=commented"), "{}", ok.body);
    let no_reason = app
        .post_form(Some(&m), &format!("{page}/reject"), &[("reason", "")])
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason.body.contains("id=\"err-reason\""));
    let rejected = app
        .post_form(
            Some(&m),
            &format!("{page}/reject"),
            &[("reason", "Sin presupuesto")],
        )
        .await;
    assert!(
        rejected.location().contains("done=rejected"),
        "{}",
        rejected.body
    );
    let stored = app
        .api(
            Some(&m),
            Method::GET,
            &format!("{P}/change-requests/{first}"),
            None,
        )
        .await
        .json();
    assert_eq!(stored["data"]["status"], "rejected");
    let via_api = app
        .api(
            Some(&m),
            Method::POST,
            &format!("{P}/change-requests/{first}/comments"),
            Some(json!({ "text": "Cerrado por presupuesto" })),
        )
        .await;
    assert_eq!(via_api.status, StatusCode::CREATED, "{}", via_api.body);
    assert_eq!(
        via_api.json()["data"]["comments"][1]["text"],
        "Cerrado por presupuesto"
    );
    assert_eq!(stored["data"]["decision_note"], "Sin presupuesto");
    assert_eq!(stored["data"]["comments"][0]["text"], "¿Y el costo?");
    let shown = app.get_page(Some(&m), &page).await.body;
    assert!(shown.contains("Sin presupuesto") && shown.contains("¿Y el costo?"));
    assert!(
        !shown.contains("/reject\""),
        "a decided request has no decision forms"
    );

    let second = new_cr("9").await;
    let approved = app
        .post_form(
            Some(&m),
            &format!("{P}/plan/change-requests/{second}/approve"),
            &[("reason", "Acordado con el cliente")],
        )
        .await;
    assert!(
        approved.location().contains("done=approved"),
        "{}",
        approved.body
    );
    let versions = app
        .api(Some(&m), Method::GET, &format!("{P}/plan/versions"), None)
        .await
        .json();
    assert_eq!(versions.as_array().unwrap().len(), 2);
    let sched = app
        .api(Some(&m), Method::GET, &format!("{P}/schedule"), None)
        .await
        .json();
    assert_eq!(sched["duration_days"], 9);
}

#[tokio::test]
async fn durations_count_working_days_and_late_work_is_flagged_on_the_plan_and_programme_pages() {
    let app = TestApp::spawn().await;
    let m = app.user("jefa@x.cl", "manager", None).await;
    app.programme("SEG-VIDA", app.client_a, &m).await;
    // Five working days from Friday 2 January 2026 (1 January is a holiday): 2, 5, 6, 7, 8.
    let r = app
        .post_form(
            Some(&m),
            &format!("{P}/plan/activities/new"),
            &[("id", "A"), ("name", "Reclutar"), ("duration_days", "5")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let sched: Value = app
        .api(Some(&m), Method::GET, &format!("{P}/schedule"), None)
        .await
        .json();
    assert_eq!(sched["activities"][0]["start"], "2026-01-02");
    assert_eq!(sched["activities"][0]["finish"], "2026-01-08");
    // Given by dates, an activity lasts the working days between them: 5 to 16 January is 10.
    let r = app
        .post_form(
            Some(&m),
            &format!("{P}/plan/activities/new"),
            &[
                ("id", "B"),
                ("name", "Capacitar"),
                ("start_date", "2026-01-05"),
                ("end_date", "2026-01-16"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let sched: Value = app
        .api(Some(&m), Method::GET, &format!("{P}/schedule"), None)
        .await
        .json();
    let b = sched["activities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "B")
        .unwrap()
        .clone();
    assert_eq!(
        (b["start"].as_str(), b["finish"].as_str()),
        (Some("2026-01-05"), Some("2026-01-16"))
    );
    let b_id = last_id(&app, &m, "activities").await;
    let gone = app
        .post_form(Some(&m), &format!("{P}/plan/activities/{b_id}/delete"), &[])
        .await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER);
    let r = app
        .post_form(
            Some(&m),
            &format!("{P}/plan/calendar/edit"),
            &[("day_count", "calendar")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let sched: Value = app
        .api(Some(&m), Method::GET, &format!("{P}/schedule"), None)
        .await
        .json();
    assert_eq!(sched["activities"][0]["start"], "2026-01-01");
    assert_eq!(sched["activities"][0]["finish"], "2026-01-05");

    // A pending milestone and an unfinished activity in the past, a stage ended with its gate
    // closed: all flagged, in words.
    let r = app
        .post_form(
            Some(&m),
            &format!("{P}/plan/milestones/new"),
            &[("name", "Salida"), ("date", "2026-01-15")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app
        .post_form(
            Some(&m),
            &format!("{P}/plan/stages/new"),
            &[
                ("name", "Preparación"),
                ("position", "1"),
                ("start_date", "2026-01-01"),
                ("end_date", "2026-01-31"),
                ("exit_criteria.0.text", "Guion aprobado"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    for page in [format!("{P}/plan"), P.to_string()] {
        let body = app.get_page(Some(&m), &page).await.body;
        assert!(body.contains("class=\"late-flags\""), "{page}");
        assert!(
            body.contains("Atrasada") && body.contains("Reclutar"),
            "{page}: overdue activity"
        );
        assert!(body.contains("Hito «Salida»"), "{page}: late milestone");
        assert!(body.contains("Compuerta atrasada"), "{page}: late gate");
    }
    let api_late = app
        .api(Some(&m), Method::GET, &format!("{P}/plan/late"), None)
        .await
        .json();
    assert_eq!(api_late["overdue_activities"][0]["id"], "A");
    assert_eq!(api_late["late_milestones"][0]["name"], "Salida");
    assert_eq!(api_late["late_gates"][0]["name"], "Preparación");
    // The API chooses the day count too.
    let put = app
        .api(
            Some(&m),
            Method::PUT,
            &format!("{P}/calendar"),
            Some(json!({ "day_count": "working" })),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    let got = app
        .api(Some(&m), Method::GET, &format!("{P}/calendar"), None)
        .await
        .json();
    assert_eq!(got["day_count"], "working");
    let bad = app
        .api(
            Some(&m),
            Method::PUT,
            &format!("{P}/calendar"),
            Some(json!({ "day_count": "lunar" })),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Met and done: nothing is late any more.
    let ms = last_id(&app, &m, "milestones").await;
    let r = app
        .post_form(
            Some(&m),
            &format!("{P}/plan/milestones/{ms}/edit"),
            &[
                ("name", "Salida"),
                ("date", "2026-01-15"),
                ("status", "met"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let act = last_id(&app, &m, "activities").await;
    let r = app
        .post_form(
            Some(&m),
            &format!("{P}/plan/activities/{act}/edit"),
            &[
                ("id", "A"),
                ("name", "Reclutar"),
                ("duration_days", "5"),
                ("progress", "100"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let st = last_id(&app, &m, "stages").await;
    let r = app
        .post_form(
            Some(&m),
            &format!("{P}/plan/stages/{st}/edit"),
            &[
                ("name", "Preparación"),
                ("position", "1"),
                ("start_date", "2026-01-01"),
                ("end_date", "2026-01-31"),
                ("exit_criteria.0.text", "Guion aprobado"),
                ("exit_criteria.0.met", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let body = app.get_page(Some(&m), &format!("{P}/plan")).await.body;
    assert!(!body.contains("class=\"late-flags\""));
    assert!(body.contains("Compuerta abierta") && body.contains("Cumplido"));
}

#[tokio::test]
async fn plan_forms_follow_the_programme_access_rules() {
    let app = TestApp::spawn().await;
    let m = app.user("jefa@x.cl", "manager", None).await;
    app.programme("SEG-VIDA", app.client_a, &m).await;
    let analyst = app.user("analista@x.cl", "analyst", None).await;
    let outsider = app.user("sup@x.cl", "supervisor", None).await;
    let viewer = app
        .user("cliente@x.cl", "client_viewer", Some(app.client_a))
        .await;
    let r = app
        .post_form(
            Some(&m),
            &format!("{P}/plan/objectives/new"),
            &[("title", "Vender")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let id = last_id(&app, &m, "objectives").await;
    let routes = [
        format!("{P}/plan/objectives/new"),
        format!("{P}/plan/objectives/{id}/edit"),
        format!("{P}/plan/objectives/{id}/delete"),
        format!("{P}/plan/methodology/edit"),
    ];
    for (who, expected) in [
        // An analyst off the team does not see the programme at all.
        (&analyst, StatusCode::NOT_FOUND),
        (&viewer, StatusCode::FORBIDDEN),
        (&outsider, StatusCode::NOT_FOUND),
    ] {
        for path in &routes {
            let get = app.get_page(Some(who), path).await;
            assert_eq!(get.status, expected, "GET {path} as {}", who.user.email);
            let post = app
                .post_form(Some(who), path, &[("title", "x"), ("text", "x")])
                .await;
            assert_eq!(post.status, expected, "POST {path} as {}", who.user.email);
        }
    }
    // The new API routes: reading needs Read, changing needs Update.
    let cr = app
        .post_form(
            Some(&m),
            &format!("{P}/plan/activities/new"),
            &[("id", "A"), ("name", "A"), ("duration_days", "1")],
        )
        .await;
    assert_eq!(cr.status, StatusCode::SEE_OTHER);
    for (who, read, write) in [
        (&m, StatusCode::OK, StatusCode::OK),
        // An analyst off the team does not see the programme.
        (&analyst, StatusCode::NOT_FOUND, StatusCode::NOT_FOUND),
        (&viewer, StatusCode::OK, StatusCode::FORBIDDEN),
        (&outsider, StatusCode::NOT_FOUND, StatusCode::NOT_FOUND),
    ] {
        for path in ["/plan/late", "/calendar"] {
            let r = app
                .api(Some(who), Method::GET, &format!("{P}{path}"), None)
                .await;
            assert_eq!(r.status, read, "GET {path} as {}", who.user.email);
        }
        let r = app
            .api(
                Some(who),
                Method::PUT,
                &format!("{P}/calendar"),
                Some(json!({ "day_count": "calendar" })),
            )
            .await;
        assert_eq!(r.status, write, "PUT calendar as {}", who.user.email);
        let r = app
            .api(
                Some(who),
                Method::POST,
                &format!("{P}/change-requests/999999/comments"),
                Some(json!({ "text": "x" })),
            )
            .await;
        let expected = if write == StatusCode::OK {
            StatusCode::NOT_FOUND
        } else {
            write
        };
        assert_eq!(r.status, expected, "POST comments as {}", who.user.email);
    }
    let anonymous = app.get_page(None, &routes[0]).await;
    assert!(
        anonymous.status == StatusCode::SEE_OTHER || anonymous.status == StatusCode::UNAUTHORIZED
    );
    // The item is untouched and an unknown kind is not a page.
    let stored = app
        .api(Some(&m), Method::GET, &format!("{P}/objectives/{id}"), None)
        .await
        .json();
    assert_eq!(stored["data"]["title"], "Vender");
    let unknown = app
        .get_page(Some(&m), &format!("{P}/plan/nothing/new"))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_refused_corrective_action_comes_back_as_its_form_with_the_input() {
    let app = TestApp::spawn().await;
    let m = app.user("jefa@x.cl", "manager", None).await;
    app.programme("SEG-VIDA", app.client_a, &m).await;
    let r = app
        .post_form(
            Some(&m),
            &format!("{P}/actions"),
            &[
                ("cause", "Ausentismo del lunes"),
                ("action", ""),
                ("due_date", ""),
                ("agents_1", "muchos"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("<form"), "{}", r.body);
    assert!(r.body.contains("Ausentismo del lunes"));
    assert!(
        r.body.contains("class=\"error\""),
        "a message beside a field"
    );
    assert!(!r.body.contains("<h1>Datos no válidos</h1>"));
}
