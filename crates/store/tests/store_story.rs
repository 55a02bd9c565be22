//! One story through the store, run on whichever backend `DATABASE_URL` chooses
//! (SQLite temp file by default, PostgreSQL in CI).

use rumbo_domain::access::Role;
use rumbo_domain::programme::{Channel, NewProgramme, ProgrammeInput, Status};
use rumbo_domain::rut::Rut;
use rumbo_store::testing::fresh_store;
use rumbo_store::users::NewUser;
use rumbo_store::{Actor, StoreError};

fn programme(code: &str, client_id: i64) -> NewProgramme {
    NewProgramme::try_from(ProgrammeInput {
        code: code.into(),
        name: "Retención tarjetas".into(),
        client_id: Some(client_id),
        channels: vec!["voice_inbound".into(), "chat".into()],
        start_date: "2026-01-01".into(),
        end_date: Some("2026-12-31".into()),
        ..Default::default()
    })
    .unwrap()
}

#[tokio::test]
async fn clients_programmes_users_and_audit_round_trip() {
    let store = fresh_store().await.unwrap();
    let sys = Actor::system("test");
    let client = store
        .create_client(&sys, "Banco Austral", Rut::parse("76.086.428-5").unwrap())
        .await
        .unwrap();
    assert_eq!(client.rut.to_string(), "76.086.428-5");
    assert_eq!(store.client(client.id).await.unwrap(), client);
    let dup = store
        .create_client(&sys, "Otro", Rut::parse("76086428-5").unwrap())
        .await;
    assert!(matches!(dup, Err(StoreError::Conflict("client.rut"))));

    let user = store
        .create_user(
            &sys,
            NewUser {
                email: "Jefa@Example.cl",
                name: "Jefa",
                password_hash: "$argon2id$fake",
                role: Role::Manager,
                client_id: None,
                lang: "es",
            },
        )
        .await
        .unwrap();
    assert_eq!(user.email, "jefa@example.cl");
    assert_eq!(user.role, Role::Manager);
    let actor = Actor::user(user.id, &user.email);

    let p = store
        .create_programme(&actor, &programme("ret-01", client.id))
        .await
        .unwrap();
    assert_eq!(p.code, "RET-01");
    assert_eq!(p.channels, vec![Channel::VoiceInbound, Channel::Chat]);
    assert_eq!(p.status, Status::Draft);
    assert_eq!(p.start_date, jiff::civil::date(2026, 1, 1));
    assert_eq!(p.end_date, Some(jiff::civil::date(2026, 12, 31)));
    let seen = store.programme_for("ret-01", Some(user.id)).await.unwrap();
    assert!(seen.member, "the creator joins the team");
    assert!(!store.programme_for("RET-01", None).await.unwrap().member);

    let again = store
        .create_programme(&actor, &programme("RET-01", client.id))
        .await;
    assert!(matches!(again, Err(StoreError::Conflict("programme.code"))));
    let unknown = store
        .create_programme(&actor, &programme("RET-02", 9999))
        .await;
    assert!(matches!(
        unknown,
        Err(StoreError::UnknownReference("client"))
    ));
    assert_eq!(
        store.programmes_for(None).await.unwrap().len(),
        1,
        "nothing half-written"
    );

    let mut changed = programme("RET-01", client.id);
    changed.name = "Retención tarjetas 2026".into();
    let updated = store
        .update_programme(&actor, p.id, &changed)
        .await
        .unwrap();
    assert_eq!(updated.name, "Retención tarjetas 2026");

    let history = store.audit_for_programme(p.id, 50).await.unwrap();
    let actions: Vec<_> = history.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(actions, vec!["update", "create"]);
    assert_eq!(
        history[0].before.as_ref().unwrap()["name"],
        "Retención tarjetas"
    );
    assert_eq!(
        history[0].after.as_ref().unwrap()["name"],
        "Retención tarjetas 2026"
    );
    assert_eq!(history[0].actor, "jefa@example.cl");
    // The audit log keeps the text forms, whatever the row types are.
    let after = history[0].after.as_ref().unwrap();
    assert_eq!(after["status"], "draft");
    assert_eq!(after["start_date"], "2026-01-01");
    assert_eq!(after["end_date"], "2026-12-31");
    assert_eq!(
        after["channels"],
        serde_json::json!(["voice_inbound", "chat"])
    );
    let team = store.members(p.id).await.unwrap();
    assert_eq!(team.len(), 1);
    assert_eq!(team[0].3, Role::Manager);

    store.delete_programme(&actor, p.id).await.unwrap();
    assert!(matches!(
        store.programme_for("RET-01", None).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store.audit_for_programme(p.id, 50).await.unwrap()[0].action,
        "delete"
    );
}

#[tokio::test]
async fn sessions_tokens_and_login_failures() {
    let store = fresh_store().await.unwrap();
    let sys = Actor::system("test");
    let u = store
        .create_user(
            &sys,
            NewUser {
                email: "a@b.cl",
                name: "A",
                password_hash: "h",
                role: Role::Analyst,
                client_id: None,
                lang: "en",
            },
        )
        .await
        .unwrap();
    store
        .create_session("tokhash", u.id, "csrf1", 3600)
        .await
        .unwrap();
    let s = store.session("tokhash").await.unwrap().unwrap();
    assert_eq!((s.user.id, s.csrf.as_str()), (u.id, "csrf1"));
    store.delete_session("tokhash").await.unwrap();
    assert!(store.session("tokhash").await.unwrap().is_none());

    store
        .create_api_token(&sys, u.id, "apihash", "script")
        .await
        .unwrap();
    assert_eq!(
        store
            .user_by_api_token("apihash")
            .await
            .unwrap()
            .unwrap()
            .id,
        u.id
    );
    assert!(store.user_by_api_token("nope").await.unwrap().is_none());

    // An expired token, a revoked token and a deactivated account's token do not authenticate.
    store
        .create_api_token_until(&sys, u.id, "expired", "old", Some(rumbo_store::now() - 1))
        .await
        .unwrap();
    assert!(store.user_by_api_token("expired").await.unwrap().is_none());
    store
        .create_api_token_until(&sys, u.id, "later", "cron", Some(rumbo_store::now() + 3600))
        .await
        .unwrap();
    assert!(store.user_by_api_token("later").await.unwrap().is_some());
    assert_eq!(
        store
            .revoke_api_tokens(&sys, u.id, Some("cron"))
            .await
            .unwrap(),
        1
    );
    assert!(store.user_by_api_token("later").await.unwrap().is_none());
    assert!(store.user_by_api_token("apihash").await.unwrap().is_some());
    store
        .create_session("tok2", u.id, "csrf2", 3600)
        .await
        .unwrap();
    store.set_user_active(&sys, u.id, false).await.unwrap();
    assert!(store.user_by_api_token("apihash").await.unwrap().is_none());
    assert!(store.session("tok2").await.unwrap().is_none());
    store.set_user_active(&sys, u.id, true).await.unwrap();
    assert!(store.user_by_api_token("apihash").await.unwrap().is_some());
    assert!(
        store.session("tok2").await.unwrap().is_none(),
        "sessions ended for good"
    );

    for _ in 0..3 {
        store.record_login_attempt("A@b.cl", false).await.unwrap();
    }
    store.record_login_attempt("a@b.cl", true).await.unwrap();
    assert_eq!(store.recent_login_failures("a@b.cl", 60).await.unwrap(), 3);
}

#[tokio::test]
async fn migrations_are_idempotent_on_reopen() {
    let url = rumbo_store::testing::fresh_url().await.unwrap();
    let a = rumbo_store::Store::open(&url).await.unwrap();
    a.close().await;
    let b = rumbo_store::Store::open(&url).await.unwrap();
    b.ping().await.unwrap();
}

#[tokio::test]
async fn login_attempts_are_throttled_per_address_exactly_under_concurrency() {
    let store = rumbo_store::testing::fresh_store().await.unwrap();
    // Twenty tries at once from one address: exactly five get through.
    let tries: Vec<_> = (0..20)
        .map(|_| {
            let s = store.clone();
            tokio::spawn(async move {
                s.reserve_login_attempt("jefa@x.cl", "203.0.113.7", 60, 5, 50)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut granted = 0;
    for t in tries {
        granted += t.await.unwrap().is_some() as usize;
    }
    assert_eq!(granted, 5);
    // The owner, from another address, is not locked out.
    let own = store
        .reserve_login_attempt("jefa@x.cl", "198.51.100.2", 60, 5, 50)
        .await
        .unwrap();
    assert!(own.is_some());
    // A success does not count against the limit.
    store.login_succeeded(own.unwrap()).await.unwrap();
    for _ in 0..5 {
        assert!(store
            .reserve_login_attempt("jefa@x.cl", "198.51.100.2", 60, 5, 50)
            .await
            .unwrap()
            .is_some());
    }
    // Every address together has its own, higher ceiling.
    assert!(store
        .reserve_login_attempt("jefa@x.cl", "192.0.2.1", 60, 5, 10)
        .await
        .unwrap()
        .is_none());
}
