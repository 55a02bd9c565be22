//! Close-out and lessons over a real store (the backend `DATABASE_URL` chooses), on the demo
//! installation: closing makes a programme read-only until its manager reopens it, the
//! evaluation is prefilled, versioned and signed, lessons are found by folded words in Spanish
//! and English, promoted to practices, kept apart per client, and suggested to a new programme.

use rumbo_app::plan::docs::{AdoptionDoc, ObjectiveDoc};
use rumbo_app::{App, Error, Principal, Settings};
use rumbo_domain::access::Action;
use rumbo_domain::plan::closeout::AssessmentInput;
use rumbo_domain::plan::lessons::LessonInput;
use rumbo_domain::programme::{ProgrammeInput, Status};
use rumbo_store::testing::fresh_store;

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

fn conflict_key(e: Error) -> &'static str {
    match e {
        Error::Conflict(i) => i.0[0].key,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

fn assessment(overall: &str) -> AssessmentInput {
    AssessmentInput {
        comments: vec!["Metas de conversión cumplidas".into()],
        overall: overall.into(),
        verdict: "partly_met".into(),
    }
}

fn lesson(title: &str, summary: &str, tags: &[&str], shared: bool) -> LessonInput {
    LessonInput {
        title: title.into(),
        kind: "success".into(),
        summary: summary.into(),
        factors: vec!["Capacitación de tres días antes de salir a producción".into()],
        recommendation: Some("Capacitar antes del lanzamiento".into()),
        evidence: vec![("figure".into(), "Conversión 6,4 % en la semana 3".into())],
        tags: tags.iter().map(|t| t.to_string()).collect(),
        channel: None,
        product: None,
        shared,
    }
}

#[tokio::test]
async fn a_closed_programme_is_read_only_until_its_manager_reopens_it() {
    let app = demo().await;
    let jefa = who(&app, "jefa@demo.rumbo.cl").await;
    let analyst = who(&app, "analista@demo.rumbo.cl").await;
    let code = "VIDA-2026";

    assert!(matches!(
        app.close_programme(&analyst, code).await,
        // An analyst on the team may read the programme but not close it.
        Err(Error::Forbidden | Error::NotFound)
    ));
    let closed = app.close_programme(&jefa, code).await.unwrap();
    assert_eq!(closed.status, Status::Closed);

    // Every change is refused with the catalogued error; reading still works.
    let e = app.plan(&jefa, code, Action::Update).await.unwrap_err();
    assert_eq!(conflict_key(e), "error.closeout.read_only");
    let cx = app.plan(&jefa, code, Action::Read).await.unwrap();
    assert!(!cx.may_update());
    let e = app
        .create_plan_item(
            &jefa,
            &cx,
            ObjectiveDoc {
                title: "Otra meta".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(conflict_key(e), "error.closeout.read_only");
    let e = app
        .update_programme(
            &jefa,
            code,
            ProgrammeInput {
                name: "Cambio".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(conflict_key(e), "error.closeout.read_only");

    // The evaluation is prefilled from the plan and the data.
    let c = app.closeout(&jefa, code).await.unwrap();
    assert!(c.may_edit && c.versions.is_empty());
    let targets = c.facts["targets"].as_array().unwrap();
    assert!(!targets.is_empty(), "the demo's targets are judged");
    assert_eq!(
        c.facts["time"]["planned_end"].as_str(),
        closed.end_date.map(|d| d.to_string()).as_deref()
    );
    assert_eq!(c.facts["quality"].as_array().unwrap().len(), 4);
    assert!(app
        .closeout(&analyst, code)
        .await
        .map_or(true, |c| !c.may_edit));

    // Saved as versions; the signed one is final.
    let e = app
        .save_closeout(&jefa, code, assessment(" "), false)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Invalid(_)));
    let v1 = app
        .save_closeout(&jefa, code, assessment("Borrador"), false)
        .await
        .unwrap();
    let v2 = app
        .save_closeout(
            &jefa,
            code,
            assessment("Programa cerrado con metas parciales"),
            true,
        )
        .await
        .unwrap();
    assert_eq!((v1.version, v1.signed), (1, false));
    assert_eq!((v2.version, v2.signed), (2, true));
    assert_eq!(v2.data["signed_by"], "jefa@demo.rumbo.cl");
    assert_eq!(v2.data["assessment"]["verdict"], "partly_met");
    let e = app
        .save_closeout(&jefa, code, assessment("Otra"), false)
        .await
        .unwrap_err();
    assert_eq!(conflict_key(e), "error.closeout.signed");
    assert!(app.closeout(&jefa, code).await.unwrap().signed());

    // Lessons may still be recorded at close-out.
    app.create_lesson(
        &jefa,
        code,
        lesson("Cierre", "Lección al cierre", &[], false),
    )
    .await
    .unwrap();

    // A finished programme is the template of a new one.
    app.create_programme(
        &jefa,
        ProgrammeInput {
            code: "VIDA-2028".into(),
            name: "Vida 2028".into(),
            client_id: Some(closed.client_id),
            channels: vec!["voice_outbound".into()],
            start_date: "2028-01-03".into(),
            end_date: Some("2028-12-29".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let copy = app
        .plan_from_template(&jefa, "VIDA-2028", code)
        .await
        .unwrap();
    assert!(
        copy.copied["objective"].as_u64().unwrap_or(0) > 0,
        "{:?}",
        copy.copied
    );

    // Only its managers reopen it, and the history says so.
    assert!(matches!(
        app.reopen_programme(&analyst, code).await,
        Err(Error::Forbidden | Error::NotFound)
    ));
    let reopened = app.reopen_programme(&jefa, code).await.unwrap();
    assert_eq!(reopened.status, Status::Running);
    assert!(!app.closeout(&jefa, code).await.unwrap().signed());
    let history = app.programme_history(&reopened, 50).await.unwrap();
    let actions: Vec<&str> = history.iter().map(|h| h.action.as_str()).collect();
    assert!(
        actions.contains(&"close") && actions.contains(&"reopen"),
        "{actions:?}"
    );
    assert!(app.plan(&jefa, code, Action::Update).await.is_ok());
}

#[tokio::test]
async fn lessons_are_found_without_accents_promoted_kept_apart_and_suggested() {
    let app = demo().await;
    let jefa = who(&app, "jefa@demo.rumbo.cl").await;
    let cliente = who(&app, "cliente@demo.rumbo.cl").await;
    let supervisor = who(&app, "supervisor@demo.rumbo.cl").await;

    let insurer = app
        .create_lesson(
            &jefa,
            "VIDA-2026",
            lesson(
                "Capacitación en objeciones antes del lanzamiento",
                "La conversión llegó a la meta desde la primera semana; trainings on objections",
                &["Capacitación", "lanzamiento"],
                true,
            ),
        )
        .await
        .unwrap();
    let bank = app
        .create_lesson(
            &jefa,
            "RET-TC-2026",
            lesson(
                "Guion de retención",
                "Capacitación tardía del guion",
                &[],
                true,
            ),
        )
        .await
        .unwrap();
    let private = app
        .create_lesson(
            &jefa,
            "VIDA-2026",
            lesson("Capacitación interna", "Sólo para el equipo", &[], false),
        )
        .await
        .unwrap();
    assert_eq!(
        insurer.data["channel"],
        serde_json::Value::Null,
        "two channels: none chosen"
    );
    assert_eq!(
        insurer.data["product"],
        "Seguro de Vida Protección Familiar"
    );

    let ids = |hits: Vec<rumbo_app::lessons::LibraryItem>| -> Vec<(String, i64)> {
        hits.iter()
            .map(|h| (h.kind().to_string(), h.id()))
            .collect()
    };
    for q in [
        "capacitacion",
        "Capacitación",
        "CAPACITACIÓN objeciones",
        "objecion",
    ] {
        let found = ids(app.search_library(&jefa, q).await.unwrap());
        assert!(
            found.contains(&("lesson".into(), insurer.id)),
            "{q}: {found:?}"
        );
    }
    let found = ids(app.search_library(&jefa, "objection").await.unwrap());
    assert_eq!(
        found,
        vec![("lesson".to_string(), insurer.id)],
        "english words too"
    );
    assert!(app
        .search_library(&jefa, "inexistente")
        .await
        .unwrap()
        .is_empty());

    // Promoted to a practice that keeps the client and is found too.
    assert!(matches!(
        app.promote_lesson(&supervisor, insurer.id).await,
        Err(Error::Forbidden)
    ));
    let practice = app.promote_lesson(&jefa, insurer.id).await.unwrap();
    assert_eq!(practice.data["source_programme"], "VIDA-2026");
    assert_eq!(practice.data["lesson_id"], insurer.id);
    let e = app.promote_lesson(&jefa, insurer.id).await.unwrap_err();
    assert_eq!(conflict_key(e), "error.lesson.promoted");
    let found = ids(app.search_library(&jefa, "capacitacion").await.unwrap());
    for item in [
        ("practice".to_string(), practice.id),
        ("lesson".to_string(), insurer.id),
        ("lesson".to_string(), bank.id),
        ("lesson".to_string(), private.id),
    ] {
        assert!(found.contains(&item), "{item:?} in {found:?}");
    }

    // The client's viewer sees only their client's shared items.
    let theirs = ids(app.search_library(&cliente, "capacitacion").await.unwrap());
    assert!(theirs.contains(&("practice".into(), practice.id)));
    assert!(theirs.contains(&("lesson".into(), insurer.id)));
    assert!(
        !theirs.contains(&("lesson".into(), bank.id)),
        "another client's"
    );
    assert!(
        !theirs.contains(&("lesson".into(), private.id)),
        "not shared"
    );
    assert!(matches!(
        app.lesson(&cliente, bank.id).await,
        Err(Error::NotFound)
    ));
    let practices = app.practices(&cliente).await.unwrap();
    assert!(practices.iter().any(|p| p.id == practice.id));
    assert!(practices
        .iter()
        .all(|p| p.data["client_id"].as_i64() == cliente.client_id));

    // Adoption per team: who, when, with what result.
    let adoption = app
        .create_adoption(
            &supervisor,
            practice.id,
            serde_json::from_value::<AdoptionDoc>(serde_json::json!({
                "team": "Equipo Vida 2", "status": "adopted", "since": "2026-06-01",
                "result": "Conversión +0,9 puntos en cuatro semanas"
            }))
            .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(adoption.data["adopted_by"], "supervisor@demo.rumbo.cl");
    assert_eq!(
        adoption.data["result"],
        "Conversión +0,9 puntos en cuatro semanas"
    );

    // A new programme of the same client and product is offered the practice first.
    let suggested = app.suggestions(&jefa, "VIDA-2027").await.unwrap();
    assert_eq!(suggested[0].1.kind(), "practice");
    let kinds: Vec<(String, i64)> = suggested
        .iter()
        .map(|(_, i)| (i.kind().to_string(), i.id()))
        .collect();
    assert!(kinds.contains(&("practice".into(), practice.id)));
    assert!(kinds.contains(&("lesson".into(), private.id)));
    assert!(
        !kinds.contains(&("lesson".into(), bank.id)),
        "another client, product and channel"
    );
    assert!(
        !kinds.contains(&("lesson".into(), insurer.id)),
        "promoted: its practice is offered"
    );
}
