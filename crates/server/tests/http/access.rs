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
        // A manager on the team who is not its owner edits but does not delete.
        r("manager", true, false, true, OK, OK, OK, NO),
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
        // An analyst sees only the programmes whose team they are on, and never edits them.
        r("analyst", true, false, true, OK, NO, NO, NO),
        r("analyst", false, false, false, HIDDEN, NO, HIDDEN, HIDDEN),
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

// ---- every route × every role ---------------------------------------------------------------

use rumbo_domain::access::{decide, Action, Decision, Relation, Role};

use crate::routes::{api_routes, fill, has_id, page_routes, Route};

/// What a route requires.
#[derive(Debug, Clone, Copy)]
enum Need {
    /// Open to anyone, logged in or not (login, language, the public privacy policy).
    Public,
    /// Any logged-in user (lists are filtered by what they may see).
    Anyone,
    /// One of these roles.
    Roles(&'static [Role]),
    /// Creating a programme.
    Create,
    /// An action on the path's programme, decided by `rumbo_domain::access::decide`.
    On(Action),
    /// One of these roles, on a programme they may do the action on.
    RolesOn(&'static [Role], Action),
}

const ADMINS: &[Role] = rumbo_app::access::ADMINS;
const MANAGERS: &[Role] = rumbo_app::access::MANAGERS;
const STAFF: &[Role] = rumbo_app::access::STAFF;
/// Who records that a team adopted a practice of the library.
const ADOPTERS: &[Role] = &[Role::Admin, Role::Manager, Role::Supervisor];

/// Sub-paths of a programme whose reading stays inside the BPO (imports and their data-quality
/// reports, the drill-down to calls, mappings, team e-mails, the audit log, budget, costs,
/// risks, staff, internal meetings).
const INTERNAL: &[&str] = &[
    "/audit",
    "/members",
    "/imports",
    "/mappings",
    "/control/calls",
    "/kpis/calls",
    "/risks",
    "/cost-rates",
    "/budget",
    "/budget-lines",
    "/rates",
    "/supplies",
    "/contacts",
    "/assignments",
    "/meetings",
    "/decisions",
    "/decision-log",
    "/staffing",
];

/// Sub-paths of a programme where changing is the analyst's work (data, forecasts, staffing,
/// schedules).
const OPERATE: &[&str] = &[
    "/imports",
    "/mappings",
    "/staffing",
    "/rosters",
    "/forecast",
];

fn starts_any(sub: &str, list: &[&str]) -> bool {
    list.iter().any(|p| {
        sub == *p || sub.starts_with(&format!("{p}/")) || sub.starts_with(&format!("{p}."))
    })
}

/// The expectation for a route; `None` fails the test (a new route needs a rule here).
fn need(r: &Route) -> Option<Need> {
    let p = r.path.strip_prefix("/api/v1").unwrap_or(&r.path);
    let m = r.method.as_str();
    let get = m == "GET";
    if let Some(sub) = p.strip_prefix("/programs/{code}") {
        if sub.starts_with("/processing") {
            // The record of processing (data protection): privacy officers only.
            return Some(Need::Roles(ADMINS));
        }
        if !get && matches!(sub, "/close" | "/closeout" | "/reopen") {
            // Closing, evaluating and reopening: the programme's managers and admins.
            return Some(Need::RolesOn(MANAGERS, Action::Update));
        }
        if !get && sub == "/lessons" {
            // Any of the BPO's staff who see the programme record its lessons.
            return Some(Need::RolesOn(STAFF, Action::Read));
        }
        if sub == "/plan/{kind}/{id}/{action}" {
            // An item's edit, delete and decision pages and their posts.
            return Some(Need::On(Action::Update));
        }
        return Some(Need::On(
            if sub.is_empty() && m == "DELETE" || sub == "/delete" {
                Action::Delete
            } else if get {
                if sub.ends_with("/new") || sub.ends_with("/edit") {
                    Action::Update
                } else if starts_any(sub, INTERNAL) {
                    Action::ReadInternal
                } else {
                    Action::Read
                }
            } else if starts_any(sub, OPERATE) {
                Action::Operate
            } else {
                Action::Update
            },
        ));
    }
    let top = p.split('/').nth(1).unwrap_or("");
    Some(match (top, m) {
        ("login" | "logout" | "lang" | "openapi.json", _) => Need::Public,
        ("privacy", _) if p.starts_with("/privacy/policy") => Need::Public,
        ("privacy", _) => Need::Roles(ADMINS),
        ("account" | "me", _) => Need::Anyone,
        ("static", "GET") => Need::Public,
        // The BPO's name and logo on reports: managers set and read them.
        ("reports", _) if p.starts_with("/reports/identity") => Need::Roles(MANAGERS),
        ("report-identity", _) => Need::Roles(MANAGERS),
        // The lessons and practices library: anyone reads what they may see; managers add to it.
        ("library" | "lessons", "GET") => Need::Anyone,
        ("library" | "lessons", _) => Need::Roles(MANAGERS),
        ("" | "cockpit" | "planning" | "control" | "reports" | "wfm", "GET") => Need::Anyone,
        ("wfm", _) => Need::Anyone,
        ("imports", "GET") if p.starts_with("/imports/jobs/") => Need::Anyone,
        ("programs", "GET") if p == "/programs" => Need::Anyone,
        ("programs", "POST") if p == "/programs" => Need::Create,
        ("programs", "GET") if p == "/programs/new" => Need::Create,
        ("clients", "GET") => Need::Anyone,
        ("clients" | "people", _) => Need::Roles(MANAGERS),
        ("products", "GET") => Need::Roles(STAFF),
        ("products", _) => Need::Roles(MANAGERS),
        ("users" | "archive", _) => Need::Roles(ADMINS),
        ("admin", _) if p.starts_with("/admin/users") || p.starts_with("/admin/archive") => {
            Need::Roles(ADMINS)
        }
        ("admin", _) => Need::Roles(MANAGERS),
        ("practices", "GET") => Need::Anyone,
        ("practices", _) if p.ends_with("/adoptions") => Need::Roles(ADOPTERS),
        ("practices", _) => Need::Roles(MANAGERS),
        _ => return None,
    })
}

/// One person of the matrix and how they relate to the programme P1.
struct Person {
    label: &'static str,
    role: Role,
    rel: Relation,
}

fn people() -> Vec<Person> {
    let on_team = Relation {
        member: true,
        ..Relation::default()
    };
    vec![
        Person {
            label: "owner",
            role: Role::Manager,
            rel: Relation {
                member: true,
                owner: true,
                ..Relation::default()
            },
        },
        Person {
            label: "supervisor on the team",
            role: Role::Supervisor,
            rel: on_team,
        },
        Person {
            label: "analyst on the team",
            role: Role::Analyst,
            rel: on_team,
        },
        Person {
            label: "client viewer of the programme's client",
            role: Role::ClientViewer,
            rel: Relation {
                same_client: true,
                ..Relation::default()
            },
        },
        Person {
            label: "admin",
            role: Role::Admin,
            rel: Relation::default(),
        },
        Person {
            label: "analyst of another team",
            role: Role::Analyst,
            rel: Relation::default(),
        },
        Person {
            label: "client viewer of another client",
            role: Role::ClientViewer,
            rel: Relation::default(),
        },
    ]
}

/// What `who` should get: allowed, forbidden or hidden.
fn expected(n: Need, who: &Person) -> Decision {
    let yes = |b: bool| {
        if b {
            Decision::Allow
        } else {
            Decision::Forbidden
        }
    };
    match n {
        Need::Public | Need::Anyone => Decision::Allow,
        Need::Roles(roles) => yes(roles.contains(&who.role)),
        Need::Create => decide(who.role, Action::Create, None),
        Need::On(a) => decide(who.role, a, Some(who.rel)),
        Need::RolesOn(roles, a) => match decide(who.role, a, Some(who.rel)) {
            Decision::Allow => yes(roles.contains(&who.role)),
            other => other,
        },
    }
}

/// Every route, in an order that leaves deleting the programme, then logging out, for last.
fn every_route(doc: &serde_json::Value) -> Vec<Route> {
    let mut all: Vec<Route> = page_routes().into_iter().chain(api_routes(doc)).collect();
    all.sort_by_key(|r| {
        (
            r.path == "/logout",
            matches!(need(r), Some(Need::On(Action::Delete))),
            r.clone(),
        )
    });
    all
}

/// Resources that answer 404 when what they name does not exist yet: a programme's staffing
/// plan until first saved; restoring P1, which is not in the archive.
const SINGLE: &[&str] = &["/staffing", "/restore"];

#[tokio::test]
async fn every_route_answers_each_role_as_the_access_matrix_says() {
    let doc = TestApp::spawn()
        .await
        .api(None, Method::GET, "/openapi.json", None)
        .await
        .json();
    let routes = every_route(&doc);
    assert!(routes.len() > 150, "only {} routes found", routes.len());
    let unexpected: Vec<String> = routes
        .iter()
        .filter(|r| need(r).is_none())
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(
        unexpected.is_empty(),
        "routes without an expectation in the access matrix: {unexpected:#?}"
    );
    let mut wrong = Vec::new();
    for person in people() {
        let app = TestApp::spawn().await;
        let client = match person.role {
            Role::ClientViewer if person.rel.same_client => Some(app.client_a),
            Role::ClientViewer => Some(app.client_b),
            _ => None,
        };
        let who = app.user("who@x.cl", person.role.as_str(), client).await;
        let owner = if person.rel.owner {
            who.clone()
        } else {
            app.user("owner@x.cl", "manager", None).await
        };
        let pid = app.programme("P1", app.client_a, &owner).await;
        if person.rel.member && !person.rel.owner {
            app.store
                .add_member(&rumbo_store::Actor::system("test"), pid, who.user.id)
                .await
                .unwrap();
        }
        for r in &routes {
            // An event stream never ends: `live_routes_follow_the_access_matrix` reads its status.
            if r.path.ends_with("/events") {
                continue;
            }
            let n = need(r).unwrap();
            let path = fill(&r.path, "P1", "999999");
            let res = if r.is_api() {
                let api_path = &path["/api/v1".len()..];
                let body =
                    (!matches!(r.method.as_str(), "GET" | "DELETE")).then(|| serde_json::json!({}));
                app.api(Some(&who), r.method(), api_path, body).await
            } else if r.method == "GET" {
                app.get_page(Some(&who), &path).await
            } else {
                app.post_form(Some(&who), &path, &[]).await
            };
            let s = res.status;
            let want = expected(n, &person);
            // A body the handler cannot read is refused before anything is looked up: that
            // reveals nothing, so it counts as a refusal (never as success).
            let body_refused =
                r.method != "GET" && r.is_api() && matches!(s.as_u16(), 400 | 415 | 422);
            let single = SINGLE.iter().any(|e| r.path.ends_with(e));
            let ok = match want {
                _ if matches!(n, Need::Public) => !s.is_server_error(),
                Decision::Allow => {
                    !matches!(s.as_u16(), 401 | 403)
                        && !s.is_server_error()
                        && (has_id(&r.path) || single || s != StatusCode::NOT_FOUND)
                        && res.location() != "/login"
                }
                Decision::Forbidden => {
                    s == StatusCode::FORBIDDEN
                        || body_refused
                        || (has_id(&r.path) && s == StatusCode::NOT_FOUND)
                }
                Decision::NotFound => s == StatusCode::NOT_FOUND || body_refused,
            };
            if !ok {
                wrong.push(format!(
                    "{}: {} {} → {} (expected {want:?} for {n:?})",
                    person.label, r.method, r.path, s
                ));
            }
        }
        // Each person's server goes before the next one's: seven pools at once would hold
        // more PostgreSQL connections than a shared test server allows.
        app.store.close().await;
    }
    assert!(
        wrong.is_empty(),
        "{} answers break the access matrix:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[tokio::test]
async fn a_supervisor_cannot_remove_the_owner_but_an_admin_can() {
    let app = TestApp::spawn().await;
    let owner = app.user("owner@x.cl", "manager", None).await;
    let pid = app.programme("OWN1", app.client_a, &owner).await;
    let sup = app.user("sup@x.cl", "supervisor", None).await;
    let admin = app.user("admin@x.cl", "admin", None).await;
    app.store
        .add_member(&rumbo_store::Actor::system("test"), pid, sup.user.id)
        .await
        .unwrap();
    let path = format!("/programs/OWN1/members/{}", owner.user.id);
    let api = app.api(Some(&sup), Method::DELETE, &path, None).await;
    assert_eq!(api.status, NO, "{}", api.body);
    let page = app
        .post_form(
            Some(&sup),
            &format!("/programs/OWN1/members/{}/remove", owner.user.id),
            &[],
        )
        .await;
    assert_eq!(page.status, NO);
    // The owner is still on the team and may still delete the programme.
    let team = app
        .api(Some(&owner), Method::GET, "/programs/OWN1/members", None)
        .await
        .json();
    assert!(team
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["user_id"] == owner.user.id));
    // The supervisor may still take someone else off the team.
    let other = app.user("other@x.cl", "analyst", None).await;
    app.store
        .add_member(&rumbo_store::Actor::system("test"), pid, other.user.id)
        .await
        .unwrap();
    let res = app
        .api(
            Some(&sup),
            Method::DELETE,
            &format!("/programs/OWN1/members/{}", other.user.id),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    let res = app.api(Some(&admin), Method::DELETE, &path, None).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
}
