//! Data protection on a real store (SQLite or PostgreSQL by `DATABASE_URL`): a number is found
//! in two programmes (a queue_log through the keyed hash, a call CSV that kept the caller in
//! clear), exported, then erased without changing a KPI aggregate; the request register keeps
//! due dates and the proof of the reply; retention purges records but never aggregates.

use std::path::Path;

use rumbo_app::imports::{ImportRequest, Source};
use rumbo_app::privacy::{zip, NewRequest, PersonQuery, Reply};
use rumbo_app::{App, Settings};
use rumbo_domain::privacy::{RequestStatus, Urgency};
use rumbo_domain::programme::{NewProgramme, ProgrammeInput};
use rumbo_domain::rut::Rut;
use rumbo_kpi::KpiDefinition;
use rumbo_store::{testing::fresh_url, Actor, Store};

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/queue_log_sample.log"
);

const NUMBER: &str = "+56 9 8765 1234";

async fn programme(store: &Store, client: i64, code: &str) -> String {
    let p = NewProgramme::try_from(ProgrammeInput {
        code: code.into(),
        name: format!("Programa {code}"),
        client_id: Some(client),
        channels: vec!["voice_inbound".into()],
        start_date: "2026-01-01".into(),
        ..Default::default()
    })
    .unwrap();
    store
        .create_programme(&Actor::system("test"), &p)
        .await
        .unwrap()
        .code
        .to_string()
}

async fn import(app: &App, code: &str, path: &Path, source: Source) {
    app.import_file(
        ImportRequest {
            programme_code: code,
            path,
            source,
            mapping: None,
            mapping_name: None,
            actor: Actor::system("test"),
            job: None,
        },
        |_| {},
    )
    .await
    .unwrap();
}

/// Every stored aggregate of a programme, as text, in a stable order.
async fn aggregates(store: &Store, code: &str) -> String {
    let prog = store.programme_for(code, None).await.unwrap().programme;
    let rows = store
        .kpi_aggregates(prog.id, KpiDefinition::standard().id(), None, None)
        .await
        .unwrap();
    format!("{rows:?}")
}

/// Every byte under `dir`, concatenated.
fn all_bytes(dir: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.extend(std::fs::read(&p).unwrap_or_default());
            }
        }
    }
    out
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn a_number_is_found_in_two_programmes_exported_and_erased_with_aggregates_unchanged() {
    let url = fresh_url().await.unwrap();
    let store = Store::open(&url).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let app = App::new(
        store.clone(),
        Settings {
            data_dir: data.path().to_path_buf(),
            ..Settings::default()
        },
    );
    let client = store
        .create_client(
            &Actor::system("test"),
            "Banco Austral",
            Rut::parse("76.086.428-5").unwrap(),
        )
        .await
        .unwrap();
    let a = programme(&store, client.id, "BCO-SAC").await;
    let b = programme(&store, client.id, "BCO-VTA").await;
    import(&app, &b, Path::new(SAMPLE), Source::QueueLog).await;
    let csv = data.path().join("calls.csv");
    std::fs::write(
        &csv,
        "call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome,caller\n\
         k1,sac,1767222100,10,100,5,answered,+56 9 8765 1234\n\
         k2,sac,1767222200,12,90,5,answered,+56 9 1111 2222\n\
         k3,sac,1767223200,40,0,0,abandoned,987651234\n",
    )
    .unwrap();
    import(&app, &a, &csv, Source::Calls).await;
    std::fs::remove_file(&csv).unwrap();
    let before = (aggregates(&store, &a).await, aggregates(&store, &b).await);

    let req = app
        .register_request(
            None,
            NewRequest {
                kind: "erasure",
                subject: NUMBER,
                channel: "correo",
                received_on: "2026-11-02",
                identity_checked: true,
            },
        )
        .await
        .unwrap();
    assert_eq!(req.request.subject, "***** 1234");
    assert_eq!(req.request.due_on.to_string(), "2026-12-02");
    assert!(req.request.acknowledged_at.is_some());
    let q = PersonQuery {
        kind: "phone",
        value: NUMBER,
        request_id: Some(req.request.id),
    };

    let found = app.find_person(None, &q).await.unwrap();
    assert_eq!(found.programmes(), vec![a.clone(), b.clone()]);
    assert_eq!(found.records.len(), 3, "{:#?}", found.records);

    let archive = app.export_person(None, &q).await.unwrap();
    let entries = zip::read_stored_zip(&archive).unwrap();
    let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.contains(&"person.json"), "{names:?}");
    assert!(names.iter().filter(|n| n.ends_with(".csv")).count() >= 3);
    let json: serde_json::Value = serde_json::from_slice(&entries[0].1).unwrap();
    assert_eq!(json["records"].as_array().unwrap().len(), 3);

    let erased = app.erase_person(None, &q).await.unwrap();
    assert_eq!(erased.records, 3);
    assert_eq!(erased.batches, 2);
    let after = (aggregates(&store, &a).await, aggregates(&store, &b).await);
    assert_eq!(before, after, "aggregates changed");
    assert!(app.find_person(None, &q).await.unwrap().records.is_empty());
    // The other callers' records are still there.
    let other = PersonQuery {
        kind: "phone",
        value: "+56 9 1111 2222",
        request_id: None,
    };
    assert_eq!(
        app.find_person(None, &other).await.unwrap().records.len(),
        2
    );
    let mut bytes = all_bytes(data.path());
    // On SQLite the database file (and its WAL) must not keep the deleted bytes either.
    if let Some(path) = url.strip_prefix("sqlite://") {
        for suffix in ["", "-wal"] {
            bytes.extend(std::fs::read(format!("{path}{suffix}")).unwrap_or_default());
        }
    }
    for needle in ["8765 1234", "987651234"] {
        assert!(
            !contains(&bytes, needle),
            "data folder still holds {needle}"
        );
    }
    let hash = rumbo_ingest::privacy::CallerHasher::new(&app.installation_secret().await.unwrap())
        .protect(NUMBER)
        .unwrap()
        .hash;
    assert!(!contains(&bytes, &hash), "data folder still holds the hash");
    for e in store.audit_recent(1000).await.unwrap() {
        let text = format!("{e:?}");
        assert!(
            !text.contains(&hash) && !text.contains("8765 1234") && !text.contains("987651234"),
            "{text}"
        );
    }

    let closed = app
        .reply_request(
            None,
            req.request.id,
            Reply::Answered {
                answer: "Datos suprimidos en ambos programas",
            },
            "Correo enviado, ref. DPO-17",
            "",
        )
        .await
        .unwrap();
    assert_eq!(closed.request.status, RequestStatus::Answered);
    assert_eq!(closed.request.proof, "Correo enviado, ref. DPO-17");
    assert_eq!(closed.urgency, None);
}

#[tokio::test]
async fn requests_get_legal_due_dates_reminders_and_a_denial_gets_its_complaint_deadline() {
    let store = Store::open(&fresh_url().await.unwrap()).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let app = App::new(
        store,
        Settings {
            data_dir: data.path().to_path_buf(),
            ..Settings::default()
        },
    );
    let new = |kind: &'static str, day: &'static str| NewRequest {
        kind,
        subject: "A. R.",
        channel: "web",
        received_on: day,
        identity_checked: false,
    };
    // Blocking: 2 business days; from Friday 5 Dec 2025, Monday 8 Dec is a holiday.
    let blocking = app
        .register_request(None, new("blocking", "2025-12-05"))
        .await
        .unwrap();
    assert_eq!(blocking.request.due_on.to_string(), "2025-12-10");
    assert_eq!(blocking.urgency, Some(Urgency::Overdue));
    let access = app
        .register_request(None, new("access", "2026-01-10"))
        .await
        .unwrap();
    let ext = app
        .extend_request(None, access.request.id, "Volumen de datos")
        .await
        .unwrap();
    assert_eq!(ext.request.due_on.to_string(), "2026-03-11");
    assert!(app
        .extend_request(None, access.request.id, "otra vez")
        .await
        .is_err());
    let denied = app
        .reply_request(
            None,
            access.request.id,
            Reply::Denied {
                reason: "Identidad no acreditada",
            },
            "Carta certificada 123",
            "2026-03-02",
        )
        .await
        .unwrap();
    assert_eq!(denied.request.status, RequestStatus::Denied);
    assert_eq!(
        denied.request.complain_until.unwrap().to_string(),
        "2026-04-14"
    );
    assert!(app
        .register_request(
            None,
            NewRequest {
                subject: "Ana, RUT 12345678-5",
                ..new("access", "")
            }
        )
        .await
        .is_err());
    assert!(app
        .register_request(None, new("access", "2099-01-01"))
        .await
        .is_err());
    let list = app.rights_requests(None).await.unwrap();
    assert_eq!(list.len(), 2);
}

#[tokio::test]
async fn a_purge_removes_old_raw_records_but_never_the_aggregates_and_logs_what_it_removed() {
    let store = Store::open(&fresh_url().await.unwrap()).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let app = App::new(
        store.clone(),
        Settings {
            data_dir: data.path().to_path_buf(),
            ..Settings::default()
        },
    );
    let client = store
        .create_client(
            &Actor::system("test"),
            "Banco Austral",
            Rut::parse("76.086.428-5").unwrap(),
        )
        .await
        .unwrap();
    let code = programme(&store, client.id, "BCO-SAC").await;
    import(&app, &code, Path::new(SAMPLE), Source::QueueLog).await;
    let before = aggregates(&store, &code).await;
    // Nothing is old enough under the default policy.
    let dry = app.purge(None, true).await.unwrap();
    assert!(dry.iter().all(|l| l.removed == 0), "{dry:?}");
    // Keep raw calls for 0 days = for good; a policy of 1 day with the batch dated back.
    let mut s = app.privacy_settings(None).await.unwrap();
    s.retention
        .insert(rumbo_domain::privacy::DataClass::RawCalls, 1);
    app.save_privacy_settings(None, &s).await.unwrap();
    rumbo_store::testing::age_batches(&store, 3 * 86_400)
        .await
        .unwrap();
    let dry = app.purge(None, true).await.unwrap();
    let raw = dry
        .iter()
        .find(|l| l.class == rumbo_domain::privacy::DataClass::RawCalls)
        .unwrap();
    assert!(raw.removed > 0);
    assert!(app.purge_log(None, 10).await.unwrap().is_empty());
    let done = app.purge(None, false).await.unwrap();
    let raw_done = done
        .iter()
        .find(|l| l.class == rumbo_domain::privacy::DataClass::RawCalls)
        .unwrap();
    assert_eq!(raw_done.removed, raw.removed);
    let log = app.purge_log(None, 10).await.unwrap();
    assert!(log.iter().any(|e| e.removed == raw.removed));
    assert_eq!(aggregates(&store, &code).await, before);
    let again = app.purge(None, true).await.unwrap();
    assert!(again
        .iter()
        .find(|l| l.class == rumbo_domain::privacy::DataClass::RawCalls)
        .is_some_and(|l| l.removed == 0));
}

#[tokio::test]
async fn a_suppressed_number_is_counted_but_not_kept_by_later_imports_and_is_flagged() {
    let store = Store::open(&fresh_url().await.unwrap()).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let app = App::new(
        store.clone(),
        Settings {
            data_dir: data.path().to_path_buf(),
            ..Settings::default()
        },
    );
    let client = store
        .create_client(
            &Actor::system("test"),
            "Banco Austral",
            Rut::parse("76.086.428-5").unwrap(),
        )
        .await
        .unwrap();
    let code = programme(&store, client.id, "BCO-SAC").await;
    assert!(app
        .suppress_number(None, NUMBER, "objection", None)
        .await
        .unwrap());
    assert!(!app
        .suppress_number(None, "987651234", "objection", None)
        .await
        .unwrap());
    assert!(app
        .suppress_number(None, NUMBER, "gossip", None)
        .await
        .is_err());
    import(&app, &code, Path::new(SAMPLE), Source::QueueLog).await;
    let q = PersonQuery {
        kind: "phone",
        value: NUMBER,
        request_id: None,
    };
    let f = app.find_person(None, &q).await.unwrap();
    assert!(f.records.is_empty(), "{:#?}", f.records);
    assert_eq!(
        f.suppressed,
        Some(rumbo_domain::privacy::SuppressionReason::Objection)
    );
    // The import's data-quality report flags it.
    let prog = store.programme_for(&code, None).await.unwrap().programme;
    let batch = store.import_batches(prog.id).await.unwrap()[0].clone();
    let issues = store.import_issues(batch.id, 0, 1000).await.unwrap();
    assert!(issues
        .iter()
        .any(|i| i.message.contains("suppression list")));
    let other = PersonQuery {
        kind: "phone",
        value: "56911112222",
        request_id: None,
    };
    assert_eq!(
        app.find_person(None, &other).await.unwrap().records.len(),
        1
    );
}
