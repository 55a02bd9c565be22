//! The plan use cases and the demo installation over a real store (the backend `DATABASE_URL`
//! chooses): the demo's content, access to plans, whole-plan checks, change requests and
//! templates.

use rumbo_app::plan::docs::{ActivityDoc, ObjectiveDoc, RiskDoc};
use rumbo_app::plan::PlanCx;
use rumbo_app::{App, Error, Principal, Settings};
use rumbo_domain::access::Action;
use rumbo_store::testing::fresh_store;
use serde_json::json;

/// A fresh database with the demo installation.
async fn demo() -> App {
    let app = App::new(fresh_store().await.unwrap(), Settings::default());
    assert!(app.seed_demo_if_empty().await.unwrap());
    app
}

async fn who(app: &App, email: &str) -> Principal {
    let u = app
        .store()
        .users()
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.email == email)
        .unwrap();
    Principal {
        user_id: u.id,
        email: u.email,
        role: u.role,
        client_id: u.client_id,
    }
}

async fn plan(app: &App, email: &str, code: &str, action: Action) -> (Principal, PlanCx) {
    let p = who(app, email).await;
    let cx = app.plan(&p, code, action).await.unwrap();
    (p, cx)
}

async fn count(app: &App, cx: &PlanCx, kind: &str) -> usize {
    app.store()
        .plan_items(Some(cx.id()), kind)
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn the_demo_is_seeded_once_with_a_complete_plan() {
    let app = demo().await;
    assert!(
        !app.seed_demo_if_empty().await.unwrap(),
        "a database with data is left alone"
    );
    let store = app.store();
    assert_eq!(store.users().await.unwrap().len(), 5);
    assert_eq!(store.people().await.unwrap().len(), 5);
    assert_eq!(store.programmes_for(None).await.unwrap().len(), 3);
    let (_, cx) = plan(&app, "admin@demo.rumbo.cl", "VIDA-2026", Action::Read).await;
    for (kind, n) in [
        ("objective", 3),
        ("target", 4),
        ("milestone", 3),
        ("requirement", 3),
        ("scope", 4),
        ("stage", 4),
        ("risk", 5),
        ("cost_rate", 3),
        ("supply", 4),
        ("rate", 1),
        ("role", 2),
        ("profile", 1),
        ("assignment", 2),
        ("communication", 3),
        ("decision", 1),
        ("diffusion", 2),
        ("methodology", 1),
        ("budget_line", 5),
        ("budget_amount", 90),
        ("contacts", 8),
        ("activity", 21),
        ("meeting", 1),
        ("raci", 1),
        ("staffing", 1),
        ("change_request", 2),
    ] {
        assert_eq!(count(&app, &cx, kind).await, n, "{kind}");
    }
    let versions = app.plan_versions(&cx).await.unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[1].changes[0]["key"], "activity.A11.duration");
    let raci = app.raci(&cx).await.unwrap();
    assert_eq!(raci["entries"].as_array().unwrap().len(), 47);
    let staffing = app.staffing(&cx).await.unwrap().unwrap();
    assert_eq!(staffing["weeks"].as_array().unwrap().len(), 4);
    let admin = who(&app, "admin@demo.rumbo.cl").await;
    let practices = app.practices(&admin).await.unwrap();
    assert_eq!(practices.len(), 1);
    assert_eq!(
        app.adoptions(&admin, practices[0].id).await.unwrap().len(),
        1
    );
    let plan = app
        .work_plan(&cx)
        .await
        .unwrap()
        .expect("a consistent work plan");
    assert!(plan.schedule().critical_path().len() > 5);
}

#[tokio::test]
async fn a_plan_is_changed_only_by_whom_it_was_granted_to_for_update() {
    let app = demo().await;
    let (viewer, cx) = plan(&app, "cliente@demo.rumbo.cl", "VIDA-2026", Action::Read).await;
    assert!(!cx.may_update());
    let objective: ObjectiveDoc = serde_json::from_value(json!({ "title": "Más ventas" })).unwrap();
    let r = app.create_plan_item(&viewer, &cx, objective).await;
    assert!(matches!(r, Err(Error::Forbidden)), "{r:?}");
    let other = app.plan(&viewer, "RET-TC-2026", Action::Read).await.err();
    assert!(matches!(other, Some(Error::NotFound)), "{other:?}");

    let (_, cx) = plan(&app, "jefa@demo.rumbo.cl", "VIDA-2026", Action::Update).await;
    assert!(cx.may_update());
    let admin = who(&app, "admin@demo.rumbo.cl").await;
    let objective: ObjectiveDoc = serde_json::from_value(json!({ "title": "Más ventas" })).unwrap();
    let r = app.create_plan_item(&admin, &cx, objective).await;
    assert!(
        matches!(r, Err(Error::Forbidden)),
        "a plan granted to one person is not another's: {r:?}"
    );
    assert_eq!(count(&app, &cx, "objective").await, 3);
}

#[tokio::test]
async fn a_change_that_breaks_the_work_plan_is_refused_and_nothing_is_written() {
    let app = demo().await;
    let (jefa, cx) = plan(&app, "jefa@demo.rumbo.cl", "VIDA-2026", Action::Update).await;
    let (a01, _) = app
        .activities(&cx)
        .await
        .unwrap()
        .into_iter()
        .find(|(_, a)| a.id.as_str() == "A01")
        .unwrap();
    let looped: ActivityDoc = serde_json::from_value(json!({
        "id": "A01", "name": "Reunión de inicio", "duration_days": 1,
        "dependencies": [{ "predecessor": "M20" }],
    }))
    .unwrap();
    match app.update_activity(&jefa, &cx, a01.id, looped).await {
        Err(Error::Cycle(path)) => assert!(path.iter().any(|a| a == "A01"), "{path:?}"),
        other => panic!("expected a cycle, got {other:?}"),
    }
    let stored = app.plan_item::<ActivityDoc>(&cx, a01.id).await.unwrap();
    assert_eq!(stored.data["dependencies"], json!([]));

    let a16 = app
        .activities(&cx)
        .await
        .unwrap()
        .into_iter()
        .find(|(_, a)| a.id.as_str() == "A16")
        .unwrap()
        .0;
    let r = app.delete_activity(&jefa, &cx, a16.id).await;
    assert!(
        matches!(r, Err(Error::Invalid(_))),
        "A19 depends on A16: {r:?}"
    );
    assert_eq!(count(&app, &cx, "activity").await, 21);

    let risk: RiskDoc = serde_json::from_value(json!({
        "cause": "c", "event": "e", "effect": "f", "probability": 9, "impact": 4,
        "owner_id": 123456, "review_date": "2026-06-01",
    }))
    .unwrap();
    match app.create_plan_item(&jefa, &cx, risk).await {
        Err(Error::Invalid(i)) => {
            let keys: Vec<_> = i.0.iter().map(|e| e.key).collect();
            assert!(keys.contains(&"error.unknown.person"), "{keys:?}");
            assert!(keys.len() >= 2, "{keys:?}");
        }
        other => panic!("expected invalid, got {other:?}"),
    }
    assert_eq!(count(&app, &cx, "risk").await, 5);
}

#[tokio::test]
async fn approving_a_change_request_applies_it_as_a_new_version_once() {
    let app = demo().await;
    let (jefa, cx) = plan(&app, "jefa@demo.rumbo.cl", "VIDA-2026", Action::Update).await;
    let pending = app
        .plan_items::<rumbo_app::plan::docs::ChangeRequestDoc>(&cx)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.data["status"] == "proposed")
        .unwrap();
    let (sup, sup_cx) = plan(
        &app,
        "supervisor@demo.rumbo.cl",
        "VIDA-2026",
        Action::Update,
    )
    .await;
    assert!(!sup_cx.may_decide_changes() && cx.may_decide_changes());
    let r = app.approve_change(&sup, &sup_cx, pending.id).await;
    assert!(
        matches!(r, Err(Error::Forbidden)),
        "a supervisor may not approve: {r:?}"
    );
    let (cr, version) = app.approve_change(&jefa, &cx, pending.id).await.unwrap();
    assert_eq!(cr["status"], "approved");
    assert_eq!(version.number, 3);
    assert_eq!(version.changes[0]["key"], "headcount.Ejecutivo de ventas");
    assert_eq!(version.values["headcount.Ejecutivo de ventas"], "45");
    let again = app.approve_change(&jefa, &cx, pending.id).await;
    assert!(matches!(again, Err(Error::Invalid(_))), "{again:?}");
    assert_eq!(app.plan_versions(&cx).await.unwrap().len(), 3);
}

#[tokio::test]
async fn a_template_copy_fits_the_new_programme_or_copies_nothing() {
    let app = demo().await;
    let admin = who(&app, "admin@demo.rumbo.cl").await;
    let r = app
        .plan_from_template(&admin, "VIDA-2027", "VIDA-2026")
        .await;
    match r {
        Err(Error::Invalid(i)) => assert!(
            i.0.iter()
                .any(|e| e.key == "error.milestone.outside_programme"),
            "{i:?}"
        ),
        other => panic!("expected invalid, got {other:?}"),
    }
    let cx = app.plan(&admin, "VIDA-2027", Action::Read).await.unwrap();
    assert_eq!(count(&app, &cx, "objective").await, 0);
    let r = app.plan_from_template(&admin, "VIDA-2027", "NADA").await;
    assert!(
        matches!(&r, Err(Error::Invalid(i)) if i.0[0].key == "error.template.source"),
        "{r:?}"
    );
}
