//! The second factor over HTTP: enrolment on the account page, the login's second step (no
//! session before the right code), and who may enrol and reset.

use axum::http::{header, Method, StatusCode};

use crate::helpers::{Resp, TestApp, Who, PASSWORD};

const CSRF: &str = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";

fn code(secret: &str, steps_ahead: i64) -> String {
    use rumbo_app::totp::{base32_decode, code_at_step, step_at};
    code_at_step(
        &base32_decode(secret).unwrap(),
        step_at(rumbo_store::now()) + steps_ahead,
    )
}

/// Posts an anonymous login form (with the double-submit CSRF cookie).
async fn anonymous_post(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> Resp {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    ser.append_pair("_csrf", CSRF);
    for (k, v) in fields {
        ser.append_pair(k, v);
    }
    app.send(
        axum::http::Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, format!("rumbo_csrf={CSRF}"))
            .body(axum::body::Body::from(ser.finish()))
            .unwrap(),
    )
    .await
}

fn session_cookie(r: &Resp) -> Option<String> {
    r.headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(rumbo_server::http::auth::SESSION_COOKIE) && !c.contains("=;"))
        .map(|c| c.split(';').next().unwrap_or("").to_string())
}

/// The value of the hidden `pending` field of the second step's form.
fn pending_field(body: &str) -> String {
    let at = body
        .find("name=\"pending\" value=\"")
        .expect("the code form")
        + 22;
    body[at..].split('"').next().unwrap().to_string()
}

/// Enrols `who` through the account page; returns the secret and the recovery codes page.
async fn enrol(app: &TestApp, who: &Who) -> (String, Resp) {
    let begin = app.post_form(Some(who), "/account/totp", &[]).await;
    assert_eq!(begin.status, StatusCode::SEE_OTHER, "{}", begin.body);
    let page = app.get_page(Some(who), "/account").await;
    let uri_at = page
        .body
        .find("otpauth://totp/Rumbo:")
        .expect("the otpauth URI");
    let uri = page.body[uri_at..]
        .split('<')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    let secret = uri
        .split("secret=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string();
    assert!(uri.ends_with("&issuer=Rumbo"), "{uri}");
    assert!(page.body.contains(&format!("<code>{secret}</code>")));
    let done = app
        .post_form(
            Some(who),
            "/account/totp/confirm",
            &[("code", &code(&secret, 0))],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    (secret, done)
}

#[tokio::test]
async fn login_asks_for_the_code_after_the_password_and_opens_a_session_only_then() {
    let app = TestApp::spawn().await;
    let jefa = app.user("jefa@x.cl", "manager", None).await;
    let (secret, codes_page) = enrol(&app, &jefa).await;
    assert_eq!(codes_page.body.matches("<li><code>").count(), 10);

    let first = anonymous_post(
        &app,
        "/login",
        &[("email", "jefa@x.cl"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(
        session_cookie(&first).is_none(),
        "a session before the code"
    );
    let pending = pending_field(&first.body);

    // The pending token is no session: pages still send to the login.
    let probe = app
        .send(
            axum::http::Request::get("/programs")
                .header(header::COOKIE, format!("rumbo_session={pending}"))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(probe.status, StatusCode::SEE_OTHER);
    assert_eq!(probe.location(), "/login");

    let wrong = anonymous_post(
        &app,
        "/login/code",
        &[("pending", &pending), ("code", "XXXX-XXXX-XXXX-XXXX")],
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(session_cookie(&wrong).is_none());
    let forged = anonymous_post(
        &app,
        "/login/code",
        &[("pending", "forged"), ("code", &code(&secret, 1))],
    )
    .await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);

    let ok = anonymous_post(
        &app,
        "/login/code",
        &[("pending", &pending), ("code", &code(&secret, 1))],
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let cookie = session_cookie(&ok).expect("a session cookie after the code");
    let home = app
        .send(
            axum::http::Request::get("/account")
                .header(header::COOKIE, cookie)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home
        .body
        .contains("La verificación en dos pasos está activada."));

    // The same step again, after the token is spent, opens nothing.
    let again = anonymous_post(
        &app,
        "/login/code",
        &[("pending", &pending), ("code", &code(&secret, 1))],
    )
    .await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);

    // API tokens are unaffected by the second factor.
    assert_eq!(
        app.api(Some(&jefa), Method::GET, "/me", None).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn only_admins_and_managers_enrol_and_only_admins_reset() {
    let app = TestApp::spawn().await;
    let admin = app.user("admin@x.cl", "admin", None).await;
    let jefa = app.user("jefa@x.cl", "manager", None).await;
    for role in ["supervisor", "analyst", "client_viewer"] {
        let client = (role == "client_viewer").then_some(app.client_a);
        let who = app.user(&format!("{role}@x.cl"), role, client).await;
        let page = app.get_page(Some(&who), "/account").await;
        assert_eq!(page.status, StatusCode::OK, "{role}");
        assert!(
            page.body.contains("Solo administradores y jefaturas"),
            "{role}"
        );
        let begin = app.post_form(Some(&who), "/account/totp", &[]).await;
        assert_eq!(begin.status, StatusCode::UNPROCESSABLE_ENTITY, "{role}");
        assert!(
            begin.body.contains("Solo administradores y jefaturas"),
            "{role}"
        );
        let api = app
            .api(
                Some(&who),
                Method::DELETE,
                &format!("/users/{}/totp", jefa.user.id),
                None,
            )
            .await;
        assert_eq!(api.status, StatusCode::FORBIDDEN, "{role}");
        let ui = app
            .post_form(
                Some(&who),
                &format!("/admin/users/{}/totp-reset", jefa.user.id),
                &[],
            )
            .await;
        assert_eq!(ui.status, StatusCode::FORBIDDEN, "{role}");
    }
    let anon = app
        .api(
            None,
            Method::DELETE,
            &format!("/users/{}/totp", jefa.user.id),
            None,
        )
        .await;
    assert_eq!(anon.status, StatusCode::UNAUTHORIZED);

    // A manager may not reset either, an admin may: 404 with nothing to remove.
    enrol(&app, &jefa).await;
    let by_manager = app
        .api(
            Some(&jefa),
            Method::DELETE,
            &format!("/users/{}/totp", jefa.user.id),
            None,
        )
        .await;
    assert_eq!(by_manager.status, StatusCode::FORBIDDEN);
    let path = format!("/users/{}/totp", jefa.user.id);
    let reset = app.api(Some(&admin), Method::DELETE, &path, None).await;
    assert_eq!(reset.status, StatusCode::NO_CONTENT, "{}", reset.body);
    let again = app.api(Some(&admin), Method::DELETE, &path, None).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);

    // From the administration page too.
    enrol(&app, &jefa).await;
    let ui = app
        .post_form(
            Some(&admin),
            &format!("/admin/users/{}/totp-reset", jefa.user.id),
            &[],
        )
        .await;
    assert_eq!(ui.status, StatusCode::SEE_OTHER);
    let login = anonymous_post(
        &app,
        "/login",
        &[("email", "jefa@x.cl"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(
        login.status,
        StatusCode::SEE_OTHER,
        "the password alone works again"
    );
    let audit = app.store.audit_recent(10).await.unwrap();
    assert!(audit
        .iter()
        .any(|a| a.actor == "admin@x.cl" && a.after == Some(serde_json::json!({ "totp": false }))));
}
