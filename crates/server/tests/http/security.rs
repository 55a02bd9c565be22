//! CSRF, passwords, login throttling, sessions, audit and the friendly error pages.

use axum::http::{Method, StatusCode};

use crate::helpers::{TestApp, PASSWORD};

#[tokio::test]
async fn a_form_post_without_a_valid_csrf_token_is_refused() {
    let app = TestApp::spawn().await;
    let admin = app.user("admin@x.cl", "admin", None).await;
    let client = app.client_a.to_string();
    let fields = [
        ("code", "CSRF1"),
        ("name", "x"),
        ("client_id", client.as_str()),
        ("channels", "chat"),
        ("start_date", "2026-01-01"),
    ];
    let mut missing: Vec<(&str, &str)> = vec![("_csrf", "")];
    missing.extend_from_slice(&fields);
    assert_eq!(
        app.post_form(Some(&admin), "/programs", &missing)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let mut wrong: Vec<(&str, &str)> = vec![("_csrf", "0123456789abcdef")];
    wrong.extend_from_slice(&fields);
    let res = app.post_form(Some(&admin), "/programs", &wrong).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(
        res.body.contains("Formulario vencido"),
        "friendly localised page"
    );
    assert_eq!(app.programme_count().await, 0);
    // With the session's token it goes through.
    assert_eq!(
        app.post_form(Some(&admin), "/programs", &fields)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    // The login form needs the double-submit cookie too.
    let login = app
        .post_form(
            None,
            "/login",
            &[("email", "admin@x.cl"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(login.status, StatusCode::FORBIDDEN);
}

async fn login(app: &TestApp, email: &str, password: &str) -> crate::helpers::Resp {
    let csrf = "c".repeat(64);
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("_csrf", &csrf)
        .append_pair("email", email)
        .append_pair("password", password)
        .finish();
    app.send(
        axum::http::Request::post("/login")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", format!("rumbo_csrf={csrf}"))
            .body(axum::body::Body::from(body))
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn passwords_never_reach_logs_or_the_database_in_clear() {
    let app = TestApp::spawn().await;
    let admin = app.user("admin@x.cl", "admin", None).await;
    let secret = "Sup3r-secret-pw!";
    let res = app
        .api(
            Some(&admin),
            Method::POST,
            "/users",
            Some(serde_json::json!({ "email": "nueva@x.cl", "name": "Nueva", "role": "analyst", "password": secret })),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert!(!res.body.contains(secret));
    assert_eq!(
        login(&app, "nueva@x.cl", "wrong-password-1").await.status,
        StatusCode::UNAUTHORIZED
    );
    let ok = login(&app, "nueva@x.cl", secret).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert!(ok
        .headers
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .contains("HttpOnly; SameSite=Lax"));

    let stored = app
        .store
        .user_by_email("nueva@x.cl")
        .await
        .unwrap()
        .password_hash;
    assert!(stored.starts_with("$argon2id$"), "{stored}");
    assert!(!stored.contains(secret));
    let audit = format!("{:?}", app.store.audit_recent(100).await.unwrap());
    assert!(
        !audit.contains(secret) && !audit.contains("argon2"),
        "audit holds no secret"
    );
    let logs = crate::helpers::logs();
    assert!(
        logs.contains("login failed") && logs.contains("n***@x.cl"),
        "this test's logins were logged (masked)"
    );
    assert!(
        !logs.contains(secret) && !logs.contains("wrong-password-1"),
        "{logs}"
    );
}

#[tokio::test]
async fn five_wrong_passwords_in_a_minute_throttle_the_account() {
    let app = TestApp::spawn().await;
    app.user("victim@x.cl", "analyst", None).await;
    for i in 0..5 {
        assert_eq!(
            login(&app, "victim@x.cl", "nope-nope-nope").await.status,
            StatusCode::UNAUTHORIZED,
            "try {i}"
        );
    }
    let sixth = login(&app, "victim@x.cl", PASSWORD).await;
    assert_eq!(
        sixth.status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    assert!(sixth.body.contains("Demasiados intentos"));
    // Other accounts are not affected.
    app.user("other@x.cl", "analyst", None).await;
    assert_eq!(
        login(&app, "other@x.cl", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = TestApp::spawn().await;
    let who = app.user("a@x.cl", "analyst", None).await;
    assert_eq!(
        app.get_page(Some(&who), "/programs").await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.post_form(Some(&who), "/logout", &[]).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.get_page(Some(&who), "/programs").await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn every_programme_change_is_audited_and_shown_on_its_page() {
    let app = TestApp::spawn().await;
    let m = app.user("jefa@x.cl", "manager", None).await;
    let res = app
        .api(
            Some(&m),
            Method::POST,
            "/programs",
            Some(crate::helpers::programme_json("AUD1", app.client_a)),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED);
    let res = app
        .api(
            Some(&m),
            Method::PATCH,
            "/programs/AUD1",
            Some(serde_json::json!({ "status": "planned", "name": "Auditado" })),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let mut fields: Vec<(&str, String)> = crate::helpers::programme_form("AUD1", app.client_a);
    fields.retain(|(k, _)| *k != "status" && *k != "code");
    fields.push(("status", "running".into()));
    let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        app.post_form(Some(&m), "/programs/AUD1/edit", &f)
            .await
            .status,
        StatusCode::SEE_OTHER
    );

    let hist = app
        .api(Some(&m), Method::GET, "/programs/AUD1/audit", None)
        .await
        .json();
    let actions: Vec<_> = hist
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(actions, vec!["update", "update", "create"]);
    assert_eq!(hist[1]["before"]["status"], "draft");
    assert_eq!(hist[1]["after"]["status"], "planned");
    assert_eq!(hist[0]["actor"], "jefa@x.cl");

    let page = app.get_page(Some(&m), "/programs/AUD1").await;
    assert!(page.body.contains("Historial de cambios"));
    assert!(page.body.contains("Modificó"));
    assert!(page.body.contains("Auditado"));
}

#[tokio::test]
async fn switching_language_changes_the_interface() {
    let app = TestApp::spawn().await;
    let who = app.user("a@x.cl", "analyst", None).await;
    assert!(app
        .get_page(Some(&who), "/programs")
        .await
        .body
        .contains("Programas"));
    assert_eq!(
        app.post_form(Some(&who), "/lang", &[("lang", "en")])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let page = app.get_page(Some(&who), "/programs").await;
    assert!(page.body.contains("lang=\"en\""));
    assert!(page.body.contains("Programmes"));
}

#[tokio::test]
async fn unknown_pages_render_friendly_errors_not_traces() {
    let app = TestApp::spawn().await;
    let who = app.user("a@x.cl", "analyst", None).await;
    let res = app.get_page(Some(&who), "/no/such/page").await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert!(res.body.contains("No encontrado") && res.body.contains("<main"));
    let api = app
        .api(Some(&who), Method::GET, "/programs/NOPE", None)
        .await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    assert_eq!(api.json()["status"], 404);
    let bad_json = app
        .send(
            axum::http::Request::post("/api/v1/programs")
                .header("authorization", format!("Bearer {}", who.bearer))
                .header("content-type", "application/json")
                .body(axum::body::Body::from("{not json"))
                .unwrap(),
        )
        .await;
    assert_eq!(bad_json.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad_json.content_type(), "application/problem+json");
}

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get_page(None, "/healthz").await.status, StatusCode::OK);
    assert_eq!(app.get_page(None, "/readyz").await.body, "ready");
}

#[tokio::test]
async fn every_documented_get_path_answers() {
    let app = TestApp::spawn().await;
    let admin = app.user("admin@x.cl", "admin", None).await;
    app.programme("DOC1", app.client_a, &admin).await;
    let spec = app
        .api(None, Method::GET, "/openapi.json", None)
        .await
        .json();
    assert_eq!(spec["openapi"], "3.1.0");
    let paths = spec["paths"].as_object().unwrap();
    assert!(paths.len() >= 8);
    for (path, item) in paths {
        // An event stream never ends: its status is checked in the live tests.
        if item.get("get").is_none() || path.contains("{id}") || path.ends_with("/events") {
            continue;
        }
        // A report path names its kind.
        let concrete = path.replace("{code}", "DOC1").replace("{kind}", "kpi");
        let res = app.api(Some(&admin), Method::GET, &concrete, None).await;
        // Singletons that do not exist until first set answer 404 from their handler.
        let may_be_unset =
            ["/programs/{code}/staffing", "/programs/{code}/methodology"].contains(&path.as_str());
        // Paths that need query parameters answer with a problem naming them.
        let needs_query = path.as_str() == "/programs/{code}/kpis/calls";
        assert!(
            res.status.is_success()
                || (may_be_unset && res.status == StatusCode::NOT_FOUND)
                || (needs_query && res.status == StatusCode::UNPROCESSABLE_ENTITY),
            "GET {concrete} answered {}: {}",
            res.status,
            res.body.chars().take(200).collect::<String>()
        );
    }
}

#[tokio::test]
async fn every_answer_carries_the_security_headers_and_private_ones_are_not_cached() {
    let app = TestApp::spawn().await;
    let who = app.user("a@x.cl", "analyst", None).await;
    for res in [
        app.get_page(None, "/login").await,
        app.get_page(Some(&who), "/programs").await,
        app.get_page(Some(&who), "/no/such/page").await,
        app.api(Some(&who), Method::GET, "/me", None).await,
    ] {
        let h = &res.headers;
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("script-src"));
        assert!(!csp.contains("unsafe-eval"));
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "same-origin");
        assert_eq!(h["cache-control"], "no-store");
        assert!(
            h.get("strict-transport-security").is_none(),
            "HSTS only behind TLS"
        );
    }
    let css = app.get_page(None, "/static/app.css").await;
    assert!(css.headers.get("cache-control").is_none());
    assert_eq!(css.headers["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn a_person_changes_their_password_and_an_admin_resets_another() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@x.cl", "analyst", None).await;
    let admin = app.user("root@x.cl", "admin", None).await;
    // The page form: a wrong current password is refused beside its field.
    let page = app.get_page(Some(&ana), "/account").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Cambiar la contraseña"));
    let wrong = app
        .post_form(
            Some(&ana),
            "/account/password",
            &[
                ("current_password", "nope"),
                ("new_password", "una-clave-nueva-1"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains("La contraseña actual no es correcta"));
    let short = app
        .post_form(
            Some(&ana),
            "/account/password",
            &[
                ("current_password", "a-long-password"),
                ("new_password", "corta"),
            ],
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    let ok = app
        .post_form(
            Some(&ana),
            "/account/password",
            &[
                ("current_password", "a-long-password"),
                ("new_password", "una-clave-nueva-1"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    // The session that changed it stays; the new password logs in, the old one does not.
    assert_eq!(
        app.get_page(Some(&ana), "/programs").await.status,
        StatusCode::OK
    );
    assert_eq!(
        login(&app, "ana@x.cl", "a-long-password").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login(&app, "ana@x.cl", "una-clave-nueva-1").await.status,
        StatusCode::SEE_OTHER
    );
    // An analyst cannot reset someone else's password; an admin can, and the old sessions end.
    let path = format!("/users/{}/password", admin.user.id);
    let body = serde_json::json!({ "password": "otra-clave-nueva-2" });
    let refused = app
        .api(Some(&ana), Method::PUT, &path, Some(body.clone()))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let path = format!("/users/{}/password", ana.user.id);
    let reset = app.api(Some(&admin), Method::PUT, &path, Some(body)).await;
    assert_eq!(reset.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get_page(Some(&ana), "/programs").await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        login(&app, "ana@x.cl", "otra-clave-nueva-2").await.status,
        StatusCode::SEE_OTHER
    );
    // The API change checks the current password too.
    let me = app
        .api(
            Some(&admin),
            Method::PUT,
            "/me/password",
            Some(
                serde_json::json!({ "current_password": "wrong", "new_password": "x-x-x-x-x-x-x" }),
            ),
        )
        .await;
    assert_eq!(me.status, StatusCode::UNPROCESSABLE_ENTITY);
}
