//! The access matrix: every role × (list, read, create, update, delete) of programmes, through
//! the UI routes and the API.

use axum::http::{Method, StatusCode};

use crate::helpers::{programme_form, programme_json, TestApp, Who};

/// Expected outcome per action: list shows the programme?, read, create, update, delete.
struct Row {
    role: &'static str,
    /// Member of the programme's team?
    member: bool,
    /// Client viewer of the programme's own client?
    own_client: bool,
    list: bool,
    read: StatusCode,
    create: StatusCode,
    update: StatusCode,
    delete: StatusCode,
}

const OK: StatusCode = StatusCode::OK;
const NO: StatusCode = StatusCode::FORBIDDEN;
const HIDDEN: StatusCode = StatusCode::NOT_FOUND;

fn matrix() -> Vec<Row> {
    let r = |role, member, own_client, list, read, create, update, delete| Row {
        role,
        member,
        own_client,
        list,
        read,
        create,
        update,
        delete,
    };
    vec![
        r("admin", false, false, true, OK, OK, OK, OK),
        r("manager", true, false, true, OK, OK, OK, OK),
        r("manager", false, false, true, OK, OK, NO, NO),
        r("supervisor", true, false, true, OK, NO, OK, NO),
        r(
            "supervisor",
            false,
            false,
            false,
            HIDDEN,
            NO,
            HIDDEN,
            HIDDEN,
        ),
        r("analyst", false, false, true, OK, NO, NO, NO),
        r("client_viewer", false, true, true, OK, NO, NO, NO),
        r(
            "client_viewer",
            false,
            false,
            false,
            HIDDEN,
            NO,
            HIDDEN,
            HIDDEN,
        ),
    ]
}

/// A fresh app with programme P1 of client A, created by a separate manager, and the user
/// under test related to it as the row says.
async fn setup(row: &Row) -> (TestApp, Who) {
    let app = TestApp::spawn().await;
    let owner = app.user("owner@x.cl", "manager", None).await;
    let pid = app.programme("P1", app.client_a, &owner).await;
    let client = match (row.role, row.own_client) {
        ("client_viewer", true) => Some(app.client_a),
        ("client_viewer", false) => Some(app.client_b),
        _ => None,
    };
    let who = app.user("who@x.cl", row.role, client).await;
    if row.member {
        app.store
            .add_member(&rumbo_store::Actor::system("test"), pid, who.user.id)
            .await
            .unwrap();
    }
    (app, who)
}

fn label(row: &Row) -> String {
    format!(
        "{} member={} own_client={}",
        row.role, row.member, row.own_client
    )
}

#[tokio::test]
async fn api_enforces_the_access_matrix() {
    for row in matrix() {
        let (app, who) = setup(&row).await;
        let l = label(&row);
        let list = app.api(Some(&who), Method::GET, "/programs", None).await;
        assert_eq!(list.status, OK, "{l} list");
        let codes: Vec<String> = list
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["code"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            codes.contains(&"P1".to_string()),
            row.list,
            "{l} list contents {codes:?}"
        );

        assert_eq!(
            app.api(Some(&who), Method::GET, "/programs/P1", None)
                .await
                .status,
            row.read,
            "{l} read"
        );

        let create = app
            .api(
                Some(&who),
                Method::POST,
                "/programs",
                Some(programme_json("NEW1", app.client_a)),
            )
            .await;
        let expect_create = if row.create == OK {
            StatusCode::CREATED
        } else {
            row.create
        };
        assert_eq!(create.status, expect_create, "{l} create: {}", create.body);

        let upd = app
            .api(
                Some(&who),
                Method::PATCH,
                "/programs/P1",
                Some(serde_json::json!({ "name": "Renombrado" })),
            )
            .await;
        assert_eq!(upd.status, row.update, "{l} update: {}", upd.body);
        if row.update != OK {
            assert_eq!(upd.content_type(), "application/problem+json", "{l}");
        }

        let del = app
            .api(Some(&who), Method::DELETE, "/programs/P1", None)
            .await;
        let expect_del = if row.delete == OK {
            StatusCode::NO_CONTENT
        } else {
            row.delete
        };
        assert_eq!(del.status, expect_del, "{l} delete");
    }
}

#[tokio::test]
async fn ui_routes_enforce_the_access_matrix() {
    let see_other = StatusCode::SEE_OTHER;
    for row in matrix() {
        let (app, who) = setup(&row).await;
        let l = label(&row);
        let list = app.get_page(Some(&who), "/programs").await;
        assert_eq!(list.status, OK, "{l} list");
        assert_eq!(
            list.body.contains("/programs/P1\""),
            row.list,
            "{l} list contents"
        );

        assert_eq!(
            app.get_page(Some(&who), "/programs/P1").await.status,
            row.read,
            "{l} read"
        );

        let form: Vec<(&str, String)> = programme_form("NEW1", app.client_a);
        let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let create = app.post_form(Some(&who), "/programs", &fields).await;
        let expect = if row.create == OK {
            see_other
        } else {
            row.create
        };
        assert_eq!(create.status, expect, "{l} create");
        let new_form = app.get_page(Some(&who), "/programs/new").await.status;
        assert_eq!(new_form, row.create, "{l} new form");

        let mut upd_fields: Vec<(&str, String)> = programme_form("P1", app.client_a);
        upd_fields.retain(|(k, _)| *k != "code");
        let upd: Vec<(&str, &str)> = upd_fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let update = app.post_form(Some(&who), "/programs/P1/edit", &upd).await;
        let expect = if row.update == OK {
            see_other
        } else {
            row.update
        };
        assert_eq!(
            update.status,
            expect,
            "{l} update: {}",
            update.body.chars().take(300).collect::<String>()
        );

        let del = app.post_form(Some(&who), "/programs/P1/delete", &[]).await;
        let expect = if row.delete == OK {
            see_other
        } else {
            row.delete
        };
        assert_eq!(del.status, expect, "{l} delete");
    }
}

#[tokio::test]
async fn anonymous_requests_are_sent_to_login_or_refused() {
    let app = TestApp::spawn().await;
    let page = app.get_page(None, "/programs").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/login");
    let api = app.api(None, Method::GET, "/programs", None).await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED);
    assert_eq!(api.content_type(), "application/problem+json");
    let bad = app
        .send(
            axum::http::Request::get("/api/v1/programs")
                .header("authorization", "Bearer nope")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn joining_a_team_gives_a_supervisor_edit_rights_and_leaving_takes_them_away() {
    let app = TestApp::spawn().await;
    let owner = app.user("owner@x.cl", "manager", None).await;
    app.programme("TEAM1", app.client_a, &owner).await;
    let sup = app.user("sup@x.cl", "supervisor", None).await;
    let rename = || Some(serde_json::json!({ "name": "Nuevo nombre" }));
    assert_eq!(
        app.api(Some(&sup), Method::PATCH, "/programs/TEAM1", rename())
            .await
            .status,
        HIDDEN
    );
    // A supervisor cannot add themself.
    let me = serde_json::json!({ "user_id": sup.user.id });
    assert_eq!(
        app.api(
            Some(&sup),
            Method::POST,
            "/programs/TEAM1/members",
            Some(me.clone())
        )
        .await
        .status,
        HIDDEN
    );
    let added = app
        .api(
            Some(&owner),
            Method::POST,
            "/programs/TEAM1/members",
            Some(me),
        )
        .await;
    assert_eq!(added.status, StatusCode::NO_CONTENT, "{}", added.body);
    assert_eq!(
        app.api(Some(&sup), Method::PATCH, "/programs/TEAM1", rename())
            .await
            .status,
        OK
    );
    let team = app
        .api(Some(&sup), Method::GET, "/programs/TEAM1/members", None)
        .await
        .json();
    assert_eq!(team.as_array().unwrap().len(), 2);
    // The owner removes the supervisor from the page.
    let path = format!("/programs/TEAM1/members/{}/remove", sup.user.id);
    assert_eq!(
        app.post_form(Some(&owner), &path, &[]).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.api(Some(&sup), Method::GET, "/programs/TEAM1", None)
            .await
            .status,
        HIDDEN
    );
    let hist = app
        .api(Some(&owner), Method::GET, "/programs/TEAM1/audit", None)
        .await
        .json();
    let team_changes = hist
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["entity"] == "programme_member")
        .count();
    assert_eq!(team_changes, 2, "joining and leaving are audited");
}

#[tokio::test]
async fn alarm_routes_and_the_cockpit_follow_the_access_matrix() {
    let see_other = StatusCode::SEE_OTHER;
    for row in matrix() {
        let (app, who) = setup(&row).await;
        let l = label(&row);
        let cockpit = app.api(Some(&who), Method::GET, "/cockpit", None).await;
        assert_eq!(cockpit.status, OK, "{l} cockpit");
        let listed = cockpit
            .json()
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["code"] == "P1");
        assert_eq!(listed, row.list, "{l} cockpit contents");
        assert_eq!(app.get_page(Some(&who), "/").await.status, OK, "{l} home");

        for path in ["/programs/P1/alarms", "/programs/P1/alarm-rules"] {
            let r = app.api(Some(&who), Method::GET, path, None).await;
            assert_eq!(r.status, row.read, "{l} GET {path}");
        }
        assert_eq!(
            app.get_page(Some(&who), "/programs/P1/alarms").await.status,
            row.read,
            "{l} alarms page"
        );
        assert_eq!(
            app.api(Some(&who), Method::GET, "/programs/P1/alarms/1", None)
                .await
                .status,
            if row.read == OK { HIDDEN } else { row.read },
            "{l} unknown alarm"
        );

        let eval = app
            .api(
                Some(&who),
                Method::POST,
                "/programs/P1/alarms/evaluate",
                None,
            )
            .await;
        assert_eq!(eval.status, row.update, "{l} evaluate: {}", eval.body);
        let rules = app
            .api(
                Some(&who),
                Method::PUT,
                "/programs/P1/alarm-rules",
                Some(serde_json::json!({ "anomaly_z": 4.0 })),
            )
            .await;
        assert_eq!(rules.status, row.update, "{l} rules: {}", rules.body);
        assert_eq!(
            app.api(Some(&who), Method::GET, "/programs/P1/actions", None)
                .await
                .status,
            row.read,
            "{l} actions"
        );
        let act = app
            .api(
                Some(&who),
                Method::POST,
                "/programs/P1/actions",
                Some(serde_json::json!({})),
            )
            .await;
        let expect = if row.update == OK {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            row.update
        };
        assert_eq!(act.status, expect, "{l} new action: {}", act.body);
        let form = app
            .post_form(Some(&who), "/programs/P1/alarms/evaluate", &[])
            .await;
        let expect = if row.update == OK {
            see_other
        } else {
            row.update
        };
        assert_eq!(form.status, expect, "{l} evaluate form");
    }
}

#[tokio::test]
async fn live_routes_follow_the_access_matrix() {
    use tower::ServiceExt;
    for row in matrix() {
        let (app, who) = setup(&row).await;
        let l = label(&row);
        for path in ["/programs/P1/live", "/programs/P1/live/settings"] {
            let r = app.api(Some(&who), Method::GET, path, None).await;
            assert_eq!(r.status, row.read, "{l} GET {path}");
        }
        // The event stream never ends: only its status is read.
        let req = axum::http::Request::get("/api/v1/programs/P1/live/events")
            .header(
                axum::http::header::AUTHORIZATION,
                format!("Bearer {}", who.bearer),
            )
            .body(axum::body::Body::empty())
            .unwrap();
        let res = app.router.clone().oneshot(req).await.unwrap();
        assert_eq!(res.status(), row.read, "{l} GET live/events");
        let req = axum::http::Request::get("/programs/P1/live/events")
            .header(axum::http::header::COOKIE, &who.cookie)
            .body(axum::body::Body::empty())
            .unwrap();
        let res = app.router.clone().oneshot(req).await.unwrap();
        assert_eq!(res.status(), row.read, "{l} page live/events");
        assert_eq!(
            app.get_page(Some(&who), "/programs/P1/live").await.status,
            row.read,
            "{l} wallboard page"
        );
        let put = app
            .api(
                Some(&who),
                Method::PUT,
                "/programs/P1/live/settings",
                Some(serde_json::json!({ "waiting_limit": 8 })),
            )
            .await;
        assert_eq!(
            put.status, row.update,
            "{l} PUT live/settings: {}",
            put.body
        );
        let form = app
            .post_form(
                Some(&who),
                "/programs/P1/live/settings",
                &[("sl_breach_minutes", "15"), ("waiting_limit", "8")],
            )
            .await;
        let expect = if row.update == OK {
            StatusCode::SEE_OTHER
        } else {
            row.update
        };
        assert_eq!(form.status, expect, "{l} settings form");
    }
    // Without a session nothing is shown.
    let app = TestApp::spawn().await;
    let r = app.api(None, Method::GET, "/programs/P1/live", None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}
