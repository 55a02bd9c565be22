//! The plan store on whichever backend `DATABASE_URL` chooses: items by kind, whole-plan
//! replacement, all-or-nothing inserts, change commits with versions, and audit rows.

use rumbo_domain::programme::{NewProgramme, ProgrammeInput};
use rumbo_domain::rut::Rut;
use rumbo_store::plan::{NewPlanItem, PlanCommit};
use rumbo_store::testing::fresh_store;
use rumbo_store::{Actor, Store, StoreError};
use serde_json::json;

async fn programme(store: &Store) -> i64 {
    let sys = Actor::system("test");
    let client = store
        .create_client(
            &sys,
            "Aseguradora Andes",
            Rut::parse("76.086.428-5").unwrap(),
        )
        .await
        .unwrap();
    let p = NewProgramme::try_from(ProgrammeInput {
        code: "SEG-VIDA".into(),
        name: "Seguro de vida".into(),
        client_id: Some(client.id),
        channels: vec!["voice_outbound".into()],
        start_date: "2026-03-02".into(),
        end_date: Some("2026-08-31".into()),
        ..Default::default()
    })
    .unwrap();
    store.create_programme(&sys, &p).await.unwrap().id
}

fn activity(code: &str, days: i64) -> NewPlanItem {
    NewPlanItem {
        kind: "activity",
        code: Some(code.into()),
        data: json!({ "id": code, "name": format!("Actividad {code}"), "duration_days": days }),
    }
}

#[tokio::test]
async fn plan_items_are_saved_all_or_nothing_and_audited() {
    let store = fresh_store().await.unwrap();
    let pid = programme(&store).await;
    let actor = Actor::system("planner");
    let saved = store
        .create_plan_items(&actor, Some(pid), &[activity("A", 3), activity("B", 2)])
        .await
        .unwrap();
    assert_eq!(saved.len(), 2);
    assert_eq!(saved[0].data["duration_days"], 3);

    // A duplicate code in the batch rolls back the whole batch.
    let dup = store
        .create_plan_items(&actor, Some(pid), &[activity("C", 1), activity("A", 1)])
        .await;
    assert!(matches!(dup, Err(StoreError::Conflict("plan_item.code"))));
    assert_eq!(
        store.plan_items(Some(pid), "activity").await.unwrap().len(),
        2
    );

    let audit = store.audit_for_programme(pid, 50).await.unwrap();
    let plan_rows: Vec<_> = audit
        .iter()
        .filter(|a| a.entity == "plan.activity")
        .collect();
    assert_eq!(plan_rows.len(), 2);
    assert_eq!(plan_rows[0].action, "create");

    // Other programmes and kinds never see these items.
    assert!(store
        .plan_items(Some(pid), "risk")
        .await
        .unwrap()
        .is_empty());
    assert!(matches!(
        store
            .plan_item(Some(pid + 1), "activity", saved[0].id)
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.plan_item(Some(pid), "risk", saved[0].id).await,
        Err(StoreError::NotFound)
    ));
}

#[tokio::test]
async fn replacing_a_work_plan_keeps_ids_of_kept_codes() {
    let store = fresh_store().await.unwrap();
    let pid = programme(&store).await;
    let actor = Actor::system("planner");
    let first = store
        .replace_plan_items(
            &actor,
            pid,
            "activity",
            &[activity("A", 3), activity("B", 2)],
        )
        .await
        .unwrap();
    let second = store
        .replace_plan_items(
            &actor,
            pid,
            "activity",
            &[activity("A", 5), activity("C", 1)],
        )
        .await
        .unwrap();
    assert_eq!(second[0].id, first[0].id, "A kept its id");
    assert_eq!(second[0].data["duration_days"], 5);
    let codes: Vec<_> = store
        .plan_items(Some(pid), "activity")
        .await
        .unwrap()
        .into_iter()
        .filter_map(|i| i.code)
        .collect();
    assert_eq!(codes, vec!["A", "C"]);
    let actions: Vec<String> = store
        .audit_for_programme(pid, 50)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.entity == "plan.activity")
        .map(|a| a.action)
        .collect();
    assert_eq!(
        actions,
        vec!["create", "delete", "update", "create", "create"]
    );
}

#[tokio::test]
async fn a_committed_change_adds_a_version_and_updates_items_together() {
    let store = fresh_store().await.unwrap();
    let pid = programme(&store).await;
    let actor = Actor::system("manager");
    let items = store
        .create_plan_items(
            &actor,
            Some(pid),
            &[
                activity("A", 3),
                NewPlanItem {
                    kind: "change_request",
                    code: None,
                    data: json!({ "status": "proposed" }),
                },
            ],
        )
        .await
        .unwrap();
    let (a, cr) = (&items[0], &items[1]);
    store
        .create_plan_baseline(&actor, pid, &json!({ "activity.A.duration": 3 }))
        .await
        .unwrap();
    let commit = PlanCommit {
        baseline: None,
        change_request: (cr.id, json!({ "status": "approved" })),
        updates: vec![(a.id, json!({ "id": "A", "duration_days": 4 }))],
        inserts: vec![NewPlanItem {
            kind: "budget_amount",
            code: Some("1:2026-04:planned".into()),
            data: json!({ "amount": "1000" }),
        }],
        version: (
            2,
            json!({ "activity.A.duration": 4 }),
            json!([{ "key": "activity.A.duration", "before": 3, "after": 4 }]),
        ),
    };
    let v2 = store
        .commit_plan_change(&actor, pid, &commit)
        .await
        .unwrap();
    assert_eq!((v2.number, v2.change_request_id), (2, Some(cr.id)));
    let versions = store.plan_versions(pid).await.unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0].values["activity.A.duration"], 3);
    assert_eq!(versions[1].values["activity.A.duration"], 4);
    assert_eq!(
        store
            .plan_item(Some(pid), "activity", a.id)
            .await
            .unwrap()
            .data["duration_days"],
        4
    );

    assert_eq!(
        store
            .plan_items(Some(pid), "budget_amount")
            .await
            .unwrap()
            .len(),
        1
    );

    // Committing the same version number again changes nothing.
    let mut again = commit.clone();
    again.updates = vec![(a.id, json!({ "id": "A", "duration_days": 9 }))];
    again.inserts[0].code = Some("1:2026-05:planned".into());
    assert!(matches!(
        store.commit_plan_change(&actor, pid, &again).await,
        Err(StoreError::Conflict("plan_version.number"))
    ));
    assert_eq!(
        store
            .plan_item(Some(pid), "activity", a.id)
            .await
            .unwrap()
            .data["duration_days"],
        4
    );
    assert_eq!(
        store
            .plan_items(Some(pid), "budget_amount")
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn upserts_update_by_code_and_insert_new_codes() {
    let store = fresh_store().await.unwrap();
    let pid = programme(&store).await;
    let actor = Actor::system("import");
    let amount = |month: &str, v: i64| NewPlanItem {
        kind: "budget_amount",
        code: Some(format!("1:{month}:actual")),
        data: json!({ "amount": v }),
    };
    let first = store
        .upsert_plan_items(&actor, pid, &[amount("2026-03", 10), amount("2026-04", 20)])
        .await
        .unwrap();
    let second = store
        .upsert_plan_items(&actor, pid, &[amount("2026-03", 15), amount("2026-05", 5)])
        .await
        .unwrap();
    assert_eq!(second[0].id, first[0].id);
    assert_eq!(second[0].data["amount"], 15);
    assert_eq!(
        store
            .plan_items(Some(pid), "budget_amount")
            .await
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        store
            .plan_items_everywhere("budget_amount")
            .await
            .unwrap()
            .len(),
        3
    );
}

#[tokio::test]
async fn library_items_belong_to_no_programme() {
    let store = fresh_store().await.unwrap();
    let pid = programme(&store).await;
    let actor = Actor::system("library");
    let practice = NewPlanItem {
        kind: "practice",
        code: None,
        data: json!({ "title": "Cierre en dos pasos" }),
    };
    let saved = store
        .create_plan_items(&actor, None, &[practice])
        .await
        .unwrap();
    assert_eq!(saved[0].programme_id, None);
    assert_eq!(store.plan_items(None, "practice").await.unwrap().len(), 1);
    assert!(store
        .plan_items(Some(pid), "practice")
        .await
        .unwrap()
        .is_empty());
    store
        .delete_plan_item(&actor, None, "practice", saved[0].id)
        .await
        .unwrap();
    assert!(store.plan_items(None, "practice").await.unwrap().is_empty());
}

/// The state version names everything a cockpit shows besides the figures: triggers bump it
/// on every write to plan items, alarm rules, alarms and corrective actions (whatever code
/// path makes the write), and never for a library item or another programme's change.
#[tokio::test]
async fn every_write_a_cockpit_shows_bumps_its_programme_state_version_and_nothing_else_does() {
    let store = fresh_store().await.unwrap();
    let pid = programme(&store).await;
    let actor = Actor::system("planner");
    let state = |store: &Store| {
        let store = store.clone();
        async move { store.versions(pid).await.unwrap().1 }
    };
    let mut last = state(&store).await;
    let mut bumped = |now: i64, what: &str| {
        assert!(now > last, "{what}: {now} after {last}");
        last = now;
    };

    let items = store
        .create_plan_items(&actor, Some(pid), &[activity("A", 3)])
        .await
        .unwrap();
    bumped(state(&store).await, "plan item created");
    store
        .update_plan_item(
            &actor,
            Some(pid),
            "activity",
            items[0].id,
            Some("A"),
            &json!({ "id": "A", "name": "Actividad A", "duration_days": 4 }),
        )
        .await
        .unwrap();
    bumped(state(&store).await, "plan item updated");
    store
        .delete_plan_item(&actor, Some(pid), "activity", items[0].id)
        .await
        .unwrap();
    bumped(state(&store).await, "plan item deleted");

    store
        .save_alarm_rules(&actor, pid, &json!({ "window_days": 3 }))
        .await
        .unwrap();
    bumped(state(&store).await, "alarm rules saved");
    let alarm = rumbo_store::control::NewAlarm {
        fingerprint: "f1".into(),
        kind: "anomaly".into(),
        metric: "sl".into(),
        subject: "ventas".into(),
        period_start: 0,
        period_end: 900,
        expected: 0.8,
        observed: 0.5,
        magnitude: 0.3,
        score: 4.0,
        rules_version: 1,
    };
    store
        .record_alarms(&actor, pid, std::slice::from_ref(&alarm))
        .await
        .unwrap();
    bumped(state(&store).await, "alarm raised");
    store.record_alarms(&actor, pid, &[alarm]).await.unwrap();
    bumped(state(&store).await, "alarm seen again");
    store
        .create_action(
            &actor,
            pid,
            None,
            &json!({ "action": "Adelantar ingresos" }),
        )
        .await
        .unwrap();
    bumped(state(&store).await, "corrective action");

    // Neither a library item nor the data version moves it; the data version is its own.
    let (data, before) = store.versions(pid).await.unwrap();
    store
        .create_plan_items(&actor, None, &[activity("LIB", 1)])
        .await
        .unwrap();
    assert_eq!(store.versions(pid).await.unwrap(), (data, before));

    // A deleted programme leaves no counter behind.
    store.delete_programme(&actor, pid).await.unwrap();
    assert_eq!(store.versions(pid).await.unwrap(), (0, 0));
}
