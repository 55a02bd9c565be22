//! Close-out and lessons over HTTP: every new route against the access matrix, and a closed
//! programme refusing changes through the API and the pages until its manager reopens it.

use axum::http::{Method, StatusCode};
use rumbo_domain::programme::Status;
use serde_json::json;

use crate::helpers::{TestApp, Who};

const OK: StatusCode = StatusCode::OK;
const NO: StatusCode = StatusCode::FORBIDDEN;
const HIDDEN: StatusCode = StatusCode::NOT_FOUND;
const CREATED: StatusCode = StatusCode::CREATED;
const INVALID: StatusCode = StatusCode::UNPROCESSABLE_ENTITY;
const CONFLICT: StatusCode = StatusCode::CONFLICT;

/// role, member, own client, may read, may close (manage), may record lessons.
const ROWS: &[(&str, bool, bool, bool, bool, bool)] = &[
    ("admin", false, false, true, true, true),
    ("manager", true, false, true, true, true),
    ("manager", false, false, true, false, true),
    ("supervisor", true, false, true, false, true),
    ("supervisor", false, false, false, false, false),
    // Analysts see only the programmes whose team they are on.
    ("analyst", true, false, true, false, true),
    ("analyst", false, false, false, false, false),
    ("client_viewer", false, true, true, false, false),
    ("client_viewer", false, false, false, false, false),
];

async fn running(app: &TestApp, owner: &Who) -> i64 {
    let pid = app.programme("P1", app.client_a, owner).await;
    app.store
        .set_programme_status(
            &rumbo_store::Actor::system("test"),
            pid,
            Status::Running,
            "update",
        )
        .await
        .unwrap();
    pid
}

#[tokio::test]
async fn closeout_and_lesson_routes_follow_the_access_matrix() {
    for &(role, member, own, read, manage, record) in ROWS {
        let app = TestApp::spawn().await;
        let owner = app.user("owner@x.cl", "manager", None).await;
        let pid = running(&app, &owner).await;
        let client = match (role, own) {
            ("client_viewer", true) => Some(app.client_a),
            ("client_viewer", false) => Some(app.client_b),
            _ => None,
        };
        let who = app.user("who@x.cl", role, client).await;
        if member {
            app.store
                .add_member(&rumbo_store::Actor::system("test"), pid, who.user.id)
                .await
                .unwrap();
        }
        let l = format!("{role} member={member} own_client={own}");
        let seen = if read { OK } else { HIDDEN };
        let act = |allowed: bool, ok: StatusCode| {
            if !read {
                HIDDEN
            } else if allowed {
                ok
            } else {
                NO
            }
        };
        for path in [
            "/programs/P1/closeout",
            "/programs/P1/lessons",
            "/programs/P1/suggestions",
        ] {
            let r = app.api(Some(&who), Method::GET, path, None).await;
            assert_eq!(r.status, seen, "{l} GET {path}");
            assert_eq!(
                app.get_page(Some(&who), path).await.status,
                seen,
                "{l} page {path}"
            );
        }
        let r = app
            .api(
                Some(&who),
                Method::GET,
                "/library/search?q=capacitacion",
                None,
            )
            .await;
        assert_eq!(r.status, OK, "{l} search");
        assert_eq!(
            app.get_page(Some(&who), "/library?q=x").await.status,
            OK,
            "{l} library page"
        );
        let r = app
            .api(
                Some(&who),
                Method::POST,
                "/programs/P1/lessons",
                Some(json!({})),
            )
            .await;
        assert_eq!(r.status, act(record, INVALID), "{l} new lesson: {}", r.body);
        let r = app
            .post_form(Some(&who), "/programs/P1/lessons", &[("title", "x")])
            .await;
        assert_eq!(r.status, act(record, INVALID), "{l} lesson form");
        let r = app
            .api(Some(&who), Method::POST, "/programs/P1/reopen", None)
            .await;
        assert_eq!(
            r.status,
            act(manage, CONFLICT),
            "{l} reopen a running programme"
        );
        let r = app
            .api(
                Some(&who),
                Method::POST,
                "/programs/P1/closeout",
                Some(json!({})),
            )
            .await;
        assert_eq!(
            r.status,
            act(manage, CONFLICT),
            "{l} evaluate a running programme"
        );
        let r = app.post_form(Some(&who), "/programs/P1/close", &[]).await;
        let expect = act(manage, StatusCode::SEE_OTHER);
        assert_eq!(r.status, expect, "{l} close form");
        if expect == StatusCode::SEE_OTHER {
            assert_eq!(r.location(), "/programs/P1/closeout");
            let r = app
                .api(Some(&who), Method::POST, "/programs/P1/reopen", None)
                .await;
            assert_eq!(r.status, OK, "{l} reopen");
            let r = app
                .api(Some(&who), Method::POST, "/programs/P1/close", None)
                .await;
            assert_eq!(r.status, OK, "{l} close");
            assert_eq!(r.json()["status"], "closed");
        }
        let r = app
            .api(Some(&who), Method::GET, "/lessons/999999", None)
            .await;
        assert_eq!(r.status, HIDDEN, "{l} unknown lesson");
        let r = app
            .api(Some(&who), Method::POST, "/lessons/999999/promote", None)
            .await;
        let expect = if matches!(role, "admin" | "manager") {
            HIDDEN
        } else {
            NO
        };
        assert_eq!(r.status, expect, "{l} promote");
    }
}

#[tokio::test]
async fn a_closed_programme_refuses_changes_until_its_manager_reopens_it() {
    let app = TestApp::spawn().await;
    let owner = app.user("owner@x.cl", "manager", None).await;
    let viewer = app
        .user("cv@x.cl", "client_viewer", Some(app.client_a))
        .await;
    running(&app, &owner).await;
    let objective = json!({ "title": "Retener clientes" });
    let r = app
        .api(
            Some(&owner),
            Method::POST,
            "/programs/P1/objectives",
            Some(objective.clone()),
        )
        .await;
    assert_eq!(r.status, CREATED, "{}", r.body);

    let r = app
        .api(Some(&owner), Method::POST, "/programs/P1/close", None)
        .await;
    assert_eq!(r.status, OK, "{}", r.body);
    let r = app
        .api(
            Some(&owner),
            Method::POST,
            "/programs/P1/objectives",
            Some(objective.clone()),
        )
        .await;
    assert_eq!(r.status, CONFLICT, "{}", r.body);
    assert!(
        r.body.contains("error.closeout.read_only")
            || r.body.contains("solo lectura")
            || r.body.contains("read-only"),
        "{}",
        r.body
    );
    let page = app.get_page(Some(&owner), "/programs/P1").await;
    assert!(
        page.body.contains("solo lectura"),
        "the programme page says it is read-only"
    );
    assert!(
        !page.body.contains("/programs/P1/edit"),
        "and offers no edit form"
    );
    let r = app.get_page(Some(&owner), "/programs/P1/edit").await;
    assert_eq!(r.status, CONFLICT);

    // The evaluation form keeps the input and shows the problem beside the field.
    let r = app
        .post_form(
            Some(&owner),
            "/programs/P1/closeout",
            &[
                ("time", "Cierre a tiempo"),
                ("overall", ""),
                ("verdict", "met"),
                ("action", "sign"),
            ],
        )
        .await;
    assert_eq!(r.status, INVALID);
    assert!(
        r.body.contains("Cierre a tiempo") && r.body.contains("Escriba la evaluación general.")
    );
    let r = app
        .api(
            Some(&owner),
            Method::POST,
            "/programs/P1/closeout",
            Some(json!({ "comments": { "time": "Cierre a tiempo" }, "overall": "Bien", "verdict": "met", "sign": true })),
        )
        .await;
    assert_eq!(r.status, CREATED, "{}", r.body);
    assert_eq!(r.json()["version"], 1);
    let c = app
        .api(Some(&owner), Method::GET, "/programs/P1/closeout", None)
        .await
        .json();
    assert_eq!(c["signed"], true);
    assert_eq!(c["facts"]["time"]["planned_end"], "2026-12-31");
    assert_eq!(
        c["versions"][0]["assessment"]["comments"]["time"],
        "Cierre a tiempo"
    );
    // The evaluation as a report file, from the page's link.
    let page = app.get_page(Some(&owner), "/programs/P1/closeout").await;
    assert!(page
        .body
        .contains("/programs/P1/reports/download?kind=closeout&amp;format=csv"));
    let csv = app
        .get_page(
            Some(&owner),
            "/programs/P1/reports/download?kind=closeout&format=csv",
        )
        .await;
    assert_eq!(csv.status, OK, "{}", csv.body);
    assert!(
        csv.body.contains("Objetivos cumplidos") && csv.body.contains("Retener clientes"),
        "{}",
        csv.body
    );

    // Lessons at close-out; the client viewer sees only the shared one.
    for (title, shared) in [("Capacitación temprana", true), ("Interna", false)] {
        let r = app
            .api(
                Some(&owner),
                Method::POST,
                "/programs/P1/lessons",
                Some(json!({ "title": title, "kind": "success", "summary": "Resumen",
                    "factors": ["Capacitación"], "evidence": [{ "kind": "figure", "text": "NS 82 %" }], "shared": shared })),
            )
            .await;
        assert_eq!(r.status, CREATED, "{}", r.body);
    }
    let seen = app
        .api(
            Some(&viewer),
            Method::GET,
            "/library/search?q=capacitacion",
            None,
        )
        .await
        .json();
    let titles: Vec<&str> = seen
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["title"].as_str())
        .collect();
    assert_eq!(titles, vec!["Capacitación temprana"]);
    let all = app
        .api(
            Some(&owner),
            Method::GET,
            "/library/search?q=CAPACITACIÓN",
            None,
        )
        .await
        .json();
    assert_eq!(all.as_array().unwrap().len(), 2);

    let r = app
        .api(Some(&owner), Method::POST, "/programs/P1/reopen", None)
        .await;
    assert_eq!(r.json()["status"], "running");
    let r = app
        .api(
            Some(&owner),
            Method::POST,
            "/programs/P1/objectives",
            Some(objective),
        )
        .await;
    assert_eq!(r.status, CREATED, "{}", r.body);
}
