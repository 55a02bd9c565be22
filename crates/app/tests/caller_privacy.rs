//! Caller numbers are protected: a copy of the database (and of the raw records) without the
//! key file does not give any number back, even to a brute force of the number space; with the
//! key it does. The key lives outside the database, is moved out of an older installation's
//! database, can be rotated without losing lookups, and a deleted programme leaves no files.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use rumbo_app::imports::{ImportRequest, Source};
use rumbo_app::keys::KEY_FILE;
use rumbo_app::{App, Principal, Settings};
use rumbo_domain::access::Role;
use rumbo_domain::programme::{NewProgramme, ProgrammeInput};
use rumbo_domain::rut::Rut;
use rumbo_ingest::privacy::CallerHasher;
use rumbo_store::testing::{database_as_text, fresh_store};
use rumbo_store::users::NewUser;
use rumbo_store::{Actor, Store};
use sha2::{Digest, Sha256};

/// The searched space: the Chilean mobiles +56 9 8765 0000 to +56 9 8765 1999 (the full
/// 9-digit mobile space is 10^8 numbers; the test keeps to 2,000 so it stays fast, which
/// changes nothing about whether a number can be recovered).
const SPACE: std::ops::Range<u32> = 0..2000;

fn number(i: u32) -> String {
    format!("5698765{i:04}")
}

/// The callers of the test files: every 37th number of the space.
fn callers() -> Vec<u32> {
    SPACE.step_by(37).collect()
}

async fn programme(store: &Store, code: &str) -> String {
    let sys = Actor::system("test");
    let client = match store.clients().await.unwrap().into_iter().next() {
        Some(c) => c,
        None => store
            .create_client(&sys, "Banco Austral", Rut::parse("76.086.428-5").unwrap())
            .await
            .unwrap(),
    };
    let p = NewProgramme::try_from(ProgrammeInput {
        code: code.into(),
        name: "Servicio al cliente".into(),
        client_id: Some(client.id),
        channels: vec!["voice_inbound".into()],
        start_date: "2026-01-01".into(),
        ..Default::default()
    })
    .unwrap();
    store.create_programme(&sys, &p).await.unwrap().code
}

fn app(store: &Store, data: &Path) -> App {
    App::new(
        store.clone(),
        Settings {
            data_dir: data.to_path_buf(),
            ..Settings::default()
        },
    )
}

/// A standard call CSV whose `caller` column holds numbers written in several ways.
fn calls_csv(dir: &Path, name: &str, callers: &[u32], first_id: u32) -> PathBuf {
    let mut s = String::from("call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome,caller\n");
    for (k, i) in callers.iter().enumerate() {
        let n = number(*i);
        let written = match k % 3 {
            0 => format!("+{n}"),
            1 => format!("+56 9 {} {}", &n[3..7], &n[7..]),
            _ => format!("\"\"\"Cliente\"\" <+{n}>\""),
        };
        s.push_str(&format!(
            "c{},ventas,{},{},{},10,answered,{written}\n",
            first_id + k as u32,
            1_772_445_600 + 60 * k as i64,
            5 + k % 30,
            100 + k % 50,
        ));
    }
    let p = dir.join(name);
    std::fs::write(&p, s).unwrap();
    p
}

async fn import(app: &App, code: &str, path: &Path) {
    let r = app
        .import_file(
            ImportRequest {
                programme_code: code,
                path,
                source: Source::Calls,
                mapping: None,
                mapping_name: None,
                actor: Actor::system("test"),
                job: None,
            },
            |_| {},
        )
        .await
        .unwrap();
    assert_eq!(r.rejected, 0, "{r:?}");
}

/// What someone holding a copy of the database and of the data folder, but not the key
/// file, has: every value of the database and every file's bytes.
/// A copy of the database and the data folder without the key file, as an attacker would
/// read it: the text of every row, every file, and the raw records decompressed (they are
/// zstd frames, which any tool reads).
async fn copy_of_data(store: &Store, data: &Path) -> String {
    let mut out = copy_without_key(&database_as_text(store).await.unwrap(), data);
    for b in store.raw_batch_refs().await.unwrap() {
        if let Some(r) = store.raw_batch(data, b.batch_id).await.unwrap() {
            out.push_str(&String::from_utf8_lossy(&r.bytes));
            out.push('\n');
        }
    }
    out
}

fn copy_without_key(db_text: &str, data: &Path) -> String {
    let mut out = db_text.to_string();
    let mut stack = vec![data.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n != KEY_FILE) {
                out.push_str(&String::from_utf8_lossy(&std::fs::read(&p).unwrap()));
                out.push('\n');
            }
        }
    }
    out
}

/// Every word of 16 characters or more in the copy: what an attacker would try as a key.
fn candidate_keys(copy: &str) -> BTreeSet<String> {
    copy.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| w.len() >= 16)
        .map(str::to_string)
        .collect()
}

/// The hex hashes of 64 characters in the copy.
fn stored_hashes(copy: &str) -> BTreeSet<String> {
    copy.split(|c: char| !c.is_ascii_hexdigit())
        .filter(|w| w.len() == 64)
        .map(str::to_ascii_lowercase)
        .collect()
}

/// Brute force: the numbers of the space whose hash under one of `keys` (or plain SHA-256)
/// is in the copy.
fn recover(keys: &BTreeSet<String>, hashes: &BTreeSet<String>) -> BTreeSet<u32> {
    let mut found = BTreeSet::new();
    for i in SPACE {
        let n = number(i);
        if hashes.contains(&hex::encode(Sha256::digest(n.as_bytes()))) {
            found.insert(i);
        }
        for k in keys {
            let mut mac = Hmac::<Sha256>::new_from_slice(k.as_bytes()).unwrap();
            mac.update(n.as_bytes());
            if hashes.contains(&hex::encode(mac.finalize().into_bytes())) {
                found.insert(i);
            }
        }
    }
    found
}

#[tokio::test]
async fn a_copy_of_the_data_without_the_key_file_gives_back_no_caller_number() {
    let store = fresh_store().await.unwrap();
    let code = programme(&store, "PRIV-1").await;
    let data = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let app = app(&store, data.path());
    let callers = callers();
    import(&app, &code, &calls_csv(files.path(), "a.csv", &callers, 0)).await;

    let copy = copy_of_data(&store, data.path()).await;
    for i in SPACE {
        let n = number(i);
        assert!(
            !copy.contains(&n[2..]) && !copy.contains(&format!("{} {}", &n[3..7], &n[7..])),
            "number {n} stored in clear"
        );
    }
    let hashes = stored_hashes(&copy);
    assert!(hashes.len() >= callers.len(), "the hashes are in the copy");
    let keys = candidate_keys(&copy);
    assert!(!keys.is_empty());
    assert_eq!(
        recover(&keys, &hashes),
        BTreeSet::new(),
        "nothing is recovered without the key"
    );

    // With the key file, the same brute force recovers every caller: the test can fail.
    let key_file = std::fs::read_to_string(data.path().join(KEY_FILE)).unwrap();
    let with_key: BTreeSet<String> = candidate_keys(&key_file);
    assert_eq!(
        recover(&with_key, &hashes),
        callers.iter().copied().collect::<BTreeSet<u32>>()
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.path().join(KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the key file is private");
    }
}

#[tokio::test]
async fn an_older_installation_key_moves_from_the_database_to_the_key_file() {
    let store = fresh_store().await.unwrap();
    let legacy = "a1".repeat(32);
    store
        .set_setting("caller_hash_secret", &legacy)
        .await
        .unwrap();
    let data = tempfile::tempdir().unwrap();
    let app = app(&store, data.path());
    assert_eq!(app.installation_secret().await.unwrap(), legacy.as_bytes());
    assert_eq!(store.setting("caller_hash_secret").await.unwrap(), None);
    assert!(std::fs::read_to_string(data.path().join(KEY_FILE))
        .unwrap()
        .contains(&legacy));
    // Data hashed before the move is still found.
    let old = CallerHasher::new(legacy.as_bytes())
        .protect("+56987650001")
        .unwrap();
    assert_eq!(
        app.caller_hashes("987650001").await.unwrap(),
        Some(vec![old.hash])
    );
    assert!(!database_as_text(&store).await.unwrap().contains(&legacy));
}

#[tokio::test]
async fn after_a_rotation_new_data_uses_the_new_key_and_lookups_find_both() {
    let store = fresh_store().await.unwrap();
    let code = programme(&store, "PRIV-2").await;
    let data = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let app = app(&store, data.path());
    import(&app, &code, &calls_csv(files.path(), "a.csv", &[5], 0)).await;
    let before = copy_of_data(&store, data.path()).await;
    let v1 = app.installation_secret().await.unwrap();
    assert_eq!(app.rotate_caller_key().await.unwrap(), 2);
    let v2 = app.installation_secret().await.unwrap();
    assert_ne!(v1, v2);
    import(&app, &code, &calls_csv(files.path(), "b.csv", &[5], 100)).await;
    let after = copy_of_data(&store, data.path()).await;

    let hashes = app.caller_hashes(&number(5)).await.unwrap().unwrap();
    assert_eq!(hashes.len(), 2);
    let (new, old) = (&hashes[0], &hashes[1]);
    assert!(before.contains(old.as_str()) && !before.contains(new.as_str()));
    assert!(
        after.contains(new.as_str()),
        "new data is hashed with the new key"
    );
    assert_eq!(app.caller_keys().await.unwrap().versions(), vec![1, 2]);
}

#[tokio::test]
async fn keys_from_the_environment_are_used_and_not_rotated_here() {
    let store = fresh_store().await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let key = "0f".repeat(32);
    let app = App::new(
        store.clone(),
        Settings {
            data_dir: data.path().to_path_buf(),
            caller_keys: Some(format!("3:{key}")),
            ..Settings::default()
        },
    );
    assert_eq!(app.installation_secret().await.unwrap(), key.as_bytes());
    assert!(app.rotate_caller_key().await.is_err());
    assert!(
        !data.path().join(KEY_FILE).exists(),
        "no key file is written"
    );
}

#[tokio::test]
async fn a_deleted_programme_leaves_no_files_behind() {
    let store = fresh_store().await.unwrap();
    let code = programme(&store, "PRIV-3").await;
    let data = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let app = app(&store, data.path());
    import(
        &app,
        &code,
        &calls_csv(files.path(), "a.csv", &callers(), 0),
    )
    .await;
    let admin = store
        .create_user(
            &Actor::system("test"),
            NewUser {
                email: "admin@x.cl",
                name: "Admin",
                password_hash: "x",
                role: Role::Admin,
                client_id: None,
                lang: "es",
            },
        )
        .await
        .unwrap();
    let who = Principal {
        user_id: admin.id,
        email: admin.email,
        role: Role::Admin,
        client_id: None,
    };
    // A programme with data is archived first (restorable), then purged after 30 days.
    assert!(app
        .delete_programme(&who, &code, Some(&code))
        .await
        .unwrap());
    let later = rumbo_store::now() + 31 * 86_400;
    let purged = app
        .purge_archived_programmes(&rumbo_store::Actor::system("test"), later)
        .await
        .unwrap();
    assert_eq!(purged, 1);
    let left = copy_without_key("", data.path());
    assert!(
        left.trim().is_empty(),
        "only the key file is left in the data folder, found: {left:.200}"
    );
}
