//! The optional second factor over a real store (the backend `DATABASE_URL` chooses): enrolment
//! with a confirming code, a login that needs the code, wrong and reused codes refused, a
//! recovery code that works once, the secret hidden from a copy of the database, and an
//! administrator's audited reset.

use rumbo_app::accounts::{LoginStep, NewAccount};
use rumbo_app::totp::{base32_decode, code_at_step, step_at};
use rumbo_app::{App, Error, Principal, Settings};
use rumbo_store::testing::{database_as_text, fresh_store};

const PASSWORD: &str = "correct horse battery";

async fn account(app: &App, email: &str, role: &str) -> Principal {
    let u = app
        .create_user(
            None,
            NewAccount {
                email,
                name: "Ana",
                role,
                client_id: None,
                password: PASSWORD,
                lang: "es",
            },
        )
        .await
        .unwrap();
    Principal {
        user_id: u.id,
        email: u.email,
        role: u.role,
        client_id: None,
    }
}

fn code(secret: &str, steps_ahead: i64) -> String {
    let now = step_at(rumbo_store::now());
    code_at_step(&base32_decode(secret).unwrap(), now + steps_ahead)
}

/// A 6-digit code that no step near now produces.
fn wrong_code(secret: &str) -> String {
    let near: Vec<String> = (-2..=2).map(|d| code(secret, d)).collect();
    (0..10)
        .map(|d| d.to_string().repeat(6))
        .find(|c| !near.contains(c))
        .unwrap()
}

async fn pending(app: &App, email: &str) -> String {
    match app.login(email, PASSWORD, "10.0.0.1").await.unwrap() {
        LoginStep::NeedsCode { pending } => pending,
        LoginStep::Done(_) => panic!("a session was opened without the second factor"),
    }
}

#[tokio::test]
async fn enrolment_login_with_code_recovery_and_admin_reset() {
    let data = tempfile::tempdir().unwrap();
    let app = App::new(
        fresh_store().await.unwrap(),
        Settings {
            data_dir: data.path().to_path_buf(),
            ..Settings::default()
        },
    );
    let admin = account(&app, "admin@bpo.cl", "admin").await;
    let jefa = account(&app, "jefa@bpo.cl", "manager").await;

    // Without a second factor the password alone opens a session.
    assert!(matches!(
        app.login("jefa@bpo.cl", PASSWORD, "10.0.0.1")
            .await
            .unwrap(),
        LoginStep::Done(_)
    ));

    let e = app.begin_totp(&jefa).await.unwrap();
    assert!(e
        .uri
        .starts_with("otpauth://totp/Rumbo:jefa%40bpo.cl?secret="));
    assert!(e.uri.contains(&e.secret) && e.uri.ends_with("&issuer=Rumbo"));
    assert!(!app.totp_status(&jefa).await.unwrap().enabled);
    assert!(matches!(
        app.confirm_totp(&jefa, &wrong_code(&e.secret)).await,
        Err(Error::Invalid(_))
    ));
    let recovery = app.confirm_totp(&jefa, &code(&e.secret, 0)).await.unwrap();
    assert_eq!(recovery.len(), 10);
    let status = app.totp_status(&jefa).await.unwrap();
    assert!(status.enabled && status.allowed);
    assert_eq!(status.recovery_codes_left, 10);

    // The database copy holds neither the secret nor a recovery code.
    let dump = database_as_text(app.store()).await.unwrap();
    assert!(!dump.contains(&e.secret), "the secret is stored in clear");
    assert!(!dump.contains(&recovery[0]) && !dump.contains(&recovery[0].replace('-', "")));

    // A correct password now leads to the second step, not a session.
    let p = pending(&app, "jefa@bpo.cl").await;
    let wrong = wrong_code(&e.secret);
    assert!(matches!(
        app.login_with_code(&p, &wrong, "10.0.0.1").await,
        Err(Error::Unauthenticated)
    ));
    assert!(matches!(
        app.login_with_code("forged-token", &code(&e.secret, 1), "10.0.0.1")
            .await,
        Err(Error::Unauthenticated)
    ));
    // The code that confirmed the enrolment was used up; the next step's code works once.
    let next = code(&e.secret, 1);
    let s = app.login_with_code(&p, &next, "10.0.0.1").await.unwrap();
    assert_eq!(s.user.email, "jefa@bpo.cl");
    assert!(app
        .session(&rumbo_app::credentials::token_hash(&s.token))
        .await
        .unwrap()
        .is_some());
    // The waiting login is spent, and the code cannot be used again on a new one.
    assert!(matches!(
        app.login_with_code(&p, &next, "10.0.0.1").await,
        Err(Error::Unauthenticated)
    ));
    let p2 = pending(&app, "jefa@bpo.cl").await;
    assert!(matches!(
        app.login_with_code(&p2, &next, "10.0.0.2").await,
        Err(Error::Unauthenticated)
    ));

    // A recovery code works once, typed in any case.
    let typed = recovery[3].to_lowercase();
    assert!(app.login_with_code(&p2, &typed, "10.0.0.2").await.is_ok());
    let p3 = pending(&app, "jefa@bpo.cl").await;
    assert!(matches!(
        app.login_with_code(&p3, &recovery[3], "10.0.0.2").await,
        Err(Error::Unauthenticated)
    ));
    assert_eq!(app.totp_status(&jefa).await.unwrap().recovery_codes_left, 9);

    // Only administrators reset; the reset is audited and the password alone works again.
    assert!(matches!(
        app.reset_totp(&jefa, jefa.user_id).await,
        Err(Error::Forbidden)
    ));
    assert!(app.reset_totp(&admin, jefa.user_id).await.unwrap());
    assert!(!app.totp_status(&jefa).await.unwrap().enabled);
    let audit = app.store().audit_recent(20).await.unwrap();
    assert!(audit.iter().any(|a| a.actor == "admin@bpo.cl"
        && a.entity_id == jefa.user_id.to_string()
        && a.after == Some(serde_json::json!({ "totp": false }))));
    assert!(matches!(
        app.login("jefa@bpo.cl", PASSWORD, "10.0.0.1")
            .await
            .unwrap(),
        LoginStep::Done(_)
    ));
    // The waiting login from before the reset is gone too.
    assert!(app
        .login_with_code(&p3, &recovery[4], "10.0.0.2")
        .await
        .is_err());
}

#[tokio::test]
async fn wrong_codes_are_throttled_like_passwords() {
    let data = tempfile::tempdir().unwrap();
    let app = App::new(
        fresh_store().await.unwrap(),
        Settings {
            data_dir: data.path().to_path_buf(),
            ..Settings::default()
        },
    );
    let jefa = account(&app, "jefa@bpo.cl", "manager").await;
    let e = app.begin_totp(&jefa).await.unwrap();
    app.confirm_totp(&jefa, &code(&e.secret, 0)).await.unwrap();
    let p = pending(&app, "jefa@bpo.cl").await;
    let mut throttled = false;
    for _ in 0..6 {
        match app
            .login_with_code(&p, "XXXX-XXXX-XXXX-XXXX", "10.0.0.9")
            .await
        {
            Err(Error::Unauthenticated) => {}
            Err(Error::Throttled) => throttled = true,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(throttled, "six wrong codes in a minute were not throttled");
    // Even the right code waits out the throttle from that address.
    assert!(matches!(
        app.login_with_code(&p, &code(&e.secret, 1), "10.0.0.9")
            .await,
        Err(Error::Throttled)
    ));
}

#[tokio::test]
async fn only_admins_and_managers_may_enrol_and_disabling_needs_password_and_code() {
    let data = tempfile::tempdir().unwrap();
    let app = App::new(
        fresh_store().await.unwrap(),
        Settings {
            data_dir: data.path().to_path_buf(),
            ..Settings::default()
        },
    );
    let analyst = account(&app, "analista@bpo.cl", "analyst").await;
    match app.begin_totp(&analyst).await {
        Err(Error::Invalid(i)) => assert_eq!(i.0[0].key, "totp.error.role"),
        other => panic!("an analyst enrolled: {other:?}"),
    }
    assert!(!app.totp_status(&analyst).await.unwrap().allowed);

    let admin = account(&app, "admin@bpo.cl", "admin").await;
    let e = app.begin_totp(&admin).await.unwrap();
    app.confirm_totp(&admin, &code(&e.secret, 0)).await.unwrap();
    assert!(matches!(
        app.begin_totp(&admin).await,
        Err(Error::Invalid(_))
    ));
    match app
        .disable_own_totp(&admin, "wrong password!", &code(&e.secret, 1))
        .await
    {
        Err(Error::Invalid(i)) => assert_eq!(i.0[0].field, "current_password"),
        other => panic!("disabled without the password: {other:?}"),
    }
    match app.disable_own_totp(&admin, PASSWORD, "XXXX").await {
        Err(Error::Invalid(i)) => assert_eq!(i.0[0].key, "totp.error.code"),
        other => panic!("disabled without a code: {other:?}"),
    }
    app.disable_own_totp(&admin, PASSWORD, &code(&e.secret, 1))
        .await
        .unwrap();
    assert!(!app.totp_status(&admin).await.unwrap().enabled);
}
