//! A rights request by phone number, end to end on the real server (SQLite, or PostgreSQL with
//! `DATABASE_URL`): the number's calls are found in two programmes (a call CSV that keeps the
//! caller column, a queue_log hashed at import), exported, then erased. Afterwards no table,
//! file or log holds the number or its hash, every KPI aggregate answers byte for byte as
//! before, and the request shows its due date and the proof of its reply.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::util::{admin_bearer, http, Dir, Server};

const NUMBER: &str = "+56 9 8765 1234";

/// Starts `rumbo serve` with its whole log written to `log` (debug level).
fn serve_logged(dir: &Dir, log: &Path) -> Server {
    let file = std::fs::File::create(log).unwrap();
    // Owned by a `Server` at once, so a failed start still kills and reaps it.
    let mut server = Server {
        child: dir
            .cmd(&["serve", "--bind", "127.0.0.1:0"])
            .env("RUST_LOG", "debug")
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .unwrap(),
        url: String::new(),
        startup: vec![],
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if let Some(i) = text.find("http://") {
            server.url = text[i..]
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '"')
                .collect();
            return server;
        }
        assert!(Instant::now() < deadline, "server did not start: {text}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn call(url: &str, auth: &str, method: &str, path: &str, body: Option<Value>) -> (u16, String) {
    let text = body.map(|b| b.to_string());
    http(
        url,
        method,
        path,
        &[
            ("Authorization", auth),
            ("Content-Type", "application/json"),
        ],
        text.as_deref(),
    )
}

fn ok(url: &str, auth: &str, method: &str, path: &str, body: Option<Value>) -> Value {
    let (status, text) = call(url, auth, method, path, body);
    assert!(
        (200..300).contains(&status),
        "{method} {path}: {status} {text}"
    );
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Imports `content` into `code` through the API (an upload run as a job) and waits for it.
fn import(url: &str, auth: &str, code: &str, source: &str, name: &str, content: &str) {
    let (status, body) = http(
        url,
        "POST",
        &format!("/api/v1/programs/{code}/imports?source={source}&file_name={name}"),
        &[("Authorization", auth)],
        Some(content),
    );
    assert!(status == 201 || status == 202, "{status} {body}");
    if status == 202 {
        let id = serde_json::from_str::<Value>(&body).unwrap()["id"]
            .as_i64()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let job = ok(
                url,
                auth,
                "GET",
                &format!("/api/v1/imports/jobs/{id}"),
                None,
            );
            if job["status"] == "done" {
                break;
            }
            assert_ne!(job["status"], "failed", "{job}");
            assert!(Instant::now() < deadline, "import never finished: {job}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Every KPI aggregate a programme answers, as the API's bytes.
fn kpis(url: &str, auth: &str, code: &str) -> String {
    let (status, body) = call(
        url,
        auth,
        "GET",
        &format!("/api/v1/programs/{code}/kpis?by=15m&from=2026-01-01&to=2026-01-31"),
        None,
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.len() > 50, "no figures: {body}");
    body
}

/// Everything stored: every file in the folder (database, data folder, log) and, on
/// PostgreSQL, a dump of the database.
/// The plain bytes of a run of zstd frames (raw import records are stored compressed), or
/// nothing when `bytes` is not one.
fn unzstd(bytes: &[u8]) -> Vec<u8> {
    if bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        zstd::stream::decode_all(bytes).unwrap_or_default()
    } else {
        Vec::new()
    }
}

fn everything(dir: &Dir) -> Vec<u8> {
    let mut out = Vec::new();
    let mut stack = vec![dir.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let bytes = std::fs::read(&p).unwrap_or_default();
                out.extend(unzstd(&bytes));
                out.extend(bytes);
            }
        }
    }
    if let Some(url) = dir
        .cmd(&[])
        .get_envs()
        .find(|(k, _)| *k == "DATABASE_URL")
        .and_then(|(_, v)| v.map(|v| v.to_string_lossy().into_owned()))
    {
        let dump = std::process::Command::new("pg_dump")
            .args(["--data-only", &url])
            .output()
            .expect("pg_dump is needed for the PostgreSQL run");
        assert!(
            dump.status.success(),
            "{}",
            String::from_utf8_lossy(&dump.stderr)
        );
        // Raw segments are zstd frames in bytea columns, dumped as hex (`\\x28b52ffd…`).
        let text = String::from_utf8_lossy(&dump.stdout).into_owned();
        for (at, _) in text.match_indices("\\x28b52ffd") {
            let hex: Vec<u8> = text[at + 2..]
                .bytes()
                .take_while(|b| b.is_ascii_hexdigit())
                .collect();
            let bytes: Vec<u8> = hex
                .chunks_exact(2)
                .map(|c| u8::from_str_radix(std::str::from_utf8(c).unwrap(), 16).unwrap())
                .collect();
            out.extend(unzstd(&bytes));
        }
        out.extend(dump.stdout);
    }
    out
}

/// The places `needle` appears in `hay`, as text or as hex (how a dump shows bytea).
fn holds(hay: &[u8], needle: &str) -> bool {
    let hex: String = needle.bytes().map(|b| format!("{b:02x}")).collect();
    [needle.as_bytes(), hex.as_bytes()]
        .iter()
        .any(|n| hay.windows(n.len()).any(|w| w == *n))
}

#[test]
fn a_rights_request_finds_exports_and_erases_a_number_in_two_programmes_leaving_figures_intact() {
    let dir = Dir::new();
    let auth = admin_bearer(&dir);
    let log = dir.path().join("server.log");
    let server = serve_logged(&dir, &log);
    let url = server.url.clone();

    let (status, body) = call(
        &url,
        &auth,
        "POST",
        "/api/v1/clients",
        Some(json!({ "name": "Banco Austral", "rut": "76.086.428-5" })),
    );
    assert_eq!(status, 201, "{body}");
    let client = serde_json::from_str::<Value>(&body).unwrap()["id"].clone();
    for code in ["PRIV-SAC", "PRIV-VTA"] {
        ok(
            &url,
            &auth,
            "POST",
            "/api/v1/programs",
            Some(
                json!({ "code": code, "name": code, "client_id": client, "channels": ["voice_inbound"], "start_date": "2026-01-01" }),
            ),
        );
    }
    import(
        &url,
        &auth,
        "PRIV-SAC",
        "calls",
        "calls.csv",
        "call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome,caller\n\
         s1,sac,1767272400,10,120,5,answered,+56 9 8765 1234\n\
         s2,sac,1767272460,8,60,5,answered,+56 9 2222 3333\n\
         s3,sac,1767276000,50,0,0,abandoned,987651234\n",
    );
    import(
        &url,
        &auth,
        "PRIV-VTA",
        "queue-log",
        "queue_log",
        "1767272400|v1|ventas|NONE|ENTERQUEUE||+56987651234|1\n\
         1767272415|v1|ventas|SIP/1001|CONNECT|15|1767272400.2|3\n\
         1767272715|v1|ventas|SIP/1001|COMPLETECALLER|15|300|1\n\
         1767272800|v2|ventas|NONE|ENTERQUEUE||56944445555|1\n\
         1767272830|v2|ventas|SIP/1002|CONNECT|30|1767272800.5|2\n\
         1767272950|v2|ventas|SIP/1002|COMPLETEAGENT|30|120|1\n",
    );
    let before = (kpis(&url, &auth, "PRIV-SAC"), kpis(&url, &auth, "PRIV-VTA"));

    // The request: registered and acknowledged, due 30 calendar days after receipt.
    let req = ok(
        &url,
        &auth,
        "POST",
        "/api/v1/privacy/requests",
        Some(
            json!({ "kind": "erasure", "subject": NUMBER, "channel": "correo", "received_on": "2026-11-02", "identity_checked": true }),
        ),
    );
    let id = req["id"].as_i64().unwrap();
    let due = "2026-12-02";
    assert_eq!(req["due_on"], due);
    assert_eq!(req["subject"], "***** 1234");
    assert!(req["acknowledged_at"].is_i64());
    let person = json!({ "by": "phone", "value": NUMBER, "request_id": id });

    // Found in both programmes.
    let found = ok(
        &url,
        &auth,
        "POST",
        "/api/v1/privacy/search",
        Some(person.clone()),
    );
    let codes: Vec<&str> = found["programmes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["PRIV-SAC", "PRIV-VTA"], "{found}");
    assert_eq!(found["records"], 3);

    // Exported as a ZIP holding the records (and the hash the queue_log import stored).
    let (status, zip) = call(
        &url,
        &auth,
        "POST",
        "/api/v1/privacy/export",
        Some(person.clone()),
    );
    assert_eq!(status, 200);
    assert!(
        zip.starts_with("PK\u{3}\u{4}") && zip.contains("person.json"),
        "not a ZIP"
    );
    let at = zip
        .find("\"caller_hash\": \"")
        .expect("the export names the caller hash")
        + 16;
    let hash: String = zip[at..].chars().take(64).collect();
    assert!(hash.chars().all(|c| c.is_ascii_hexdigit()), "{hash}");
    let stored = everything(&dir);
    // Before the erasure the stores hold the person's hash (imports keep no number in clear).
    assert!(holds(&stored, &hash), "the test would prove nothing");

    // Erased.
    let erased = ok(
        &url,
        &auth,
        "POST",
        "/api/v1/privacy/erase",
        Some(person.clone()),
    );
    assert_eq!(erased["records"], 3, "{erased}");
    assert_eq!(erased["batches"], 2, "{erased}");
    let again = ok(&url, &auth, "POST", "/api/v1/privacy/search", Some(person));
    assert_eq!(again["records"], 0);

    // The figures are byte-identical.
    let after = (kpis(&url, &auth, "PRIV-SAC"), kpis(&url, &auth, "PRIV-VTA"));
    assert_eq!(before, after, "KPI aggregates changed");
    // Other callers are still there.
    let other = ok(
        &url,
        &auth,
        "POST",
        "/api/v1/privacy/search",
        Some(json!({ "by": "phone", "value": "+56 9 2222 3333" })),
    );
    assert_eq!(other["records"], 1);

    // The reply with its proof; the request shows its due date and the proof.
    ok(
        &url,
        &auth,
        "POST",
        &format!("/api/v1/privacy/requests/{id}/reply"),
        Some(
            json!({ "outcome": "answered", "text": "Datos suprimidos en ambos programas", "proof": "Correo enviado, ref. DPO-17" }),
        ),
    );
    let shown = ok(
        &url,
        &auth,
        "GET",
        &format!("/api/v1/privacy/requests/{id}"),
        None,
    );
    assert_eq!(shown["due_on"], due);
    assert_eq!(shown["status"], "answered");
    assert_eq!(shown["proof"], "Correo enviado, ref. DPO-17");
    assert!(shown["answered_on"].is_string(), "{shown}");

    // Stop the server (SQLite checkpoints its WAL), then look everywhere.
    assert!(server.stop_gracefully().success());
    let stored = everything(&dir);
    for needle in [hash.as_str(), "8765 1234", "987651234", "+56987651234"] {
        assert!(!holds(&stored, needle), "something still holds {needle}");
    }
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("person erased"),
        "the log is not the server's: {text}"
    );
}

#[test]
fn the_console_registers_requests_finds_a_number_read_from_stdin_and_purges_dry_run_first() {
    let dir = Dir::new();
    let out = dir.run_ok(&[
        "privacy",
        "request",
        "--kind",
        "blocking",
        "--subject",
        "A. R.",
        "--received",
        "2025-12-05",
    ]);
    // Two business days on the Chilean calendar: Monday 8 December 2025 is a holiday.
    assert!(out.contains("due 2025-12-10"), "{out}");
    let list = dir.run_ok(&["privacy", "requests"]);
    assert!(
        list.contains("blocking") && list.contains("overdue"),
        "{list}"
    );
    let found = dir.run_with_stdin(&["privacy", "search", "--by", "phone"], "+56 9 8765 1234\n");
    assert!(
        found.status.success(),
        "{}",
        String::from_utf8_lossy(&found.stderr)
    );
    assert!(String::from_utf8_lossy(&found.stdout).starts_with("0 records"));
    let refused = dir.run(&["privacy", "erase", "--by", "phone", "+56987651234"]);
    assert!(
        !refused.status.success(),
        "erasure without --yes must be refused"
    );
    let dry = dir.run_ok(&["purge", "--dry-run"]);
    assert!(
        dry.contains("raw_calls") && dry.contains("would remove 0"),
        "{dry}"
    );
    let done = dir.run_ok(&["purge"]);
    assert!(done.contains("removed 0"), "{done}");
    let bad = dir.run(&[
        "privacy",
        "request",
        "--kind",
        "gossip",
        "--subject",
        "A. R.",
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("Unknown kind of request"));
}
