//! Import jobs across servers: two `rumbo serve` processes on one PostgreSQL database share the
//! queue; an import runs exactly once, any server shows it and answers the drill-down behind
//! its figures, and a `kill -9` of the server running it leaves the import resumed by the
//! other, never half-applied.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{admin_bearer, create_programme, http, Dir, Server};

/// A queue_log of `calls` answered calls with ids from `first`, one every 3 seconds from
/// 2026-01-01 10:00 UTC.
fn queue_log(first: u64, calls: u64) -> String {
    let mut s = String::with_capacity(calls as usize * 160);
    for i in 0..calls {
        let ts = 1_767_261_600 + i * 3;
        let id = format!("{}.1", first + i);
        s.push_str(&format!(
            "{ts}|{id}|ventas|NONE|ENTERQUEUE||+569{:08}|1\n{}|{id}|ventas|SIP/201|CONNECT|5|{}.2|3\n{}|{id}|ventas|SIP/201|COMPLETECALLER|5|60|1\n",
            i % 100_000_000,
            ts + 5,
            first + i,
            ts + 65
        ));
    }
    s
}

fn get(server: &Server, auth: &str, path: &str) -> Value {
    let (status, body) = http(&server.url, "GET", path, &[("Authorization", auth)], None);
    assert_eq!(status, 200, "GET {path}: {body}");
    serde_json::from_str(&body).unwrap()
}

/// Queues an import of `content` through `server` without waiting; returns the job id.
fn enqueue(server: &Server, auth: &str, content: &str) -> i64 {
    let (status, body) = http(
        &server.url,
        "POST",
        "/api/v1/programs/JOBS-1/imports?source=queue-log&file_name=queue_log&wait=false",
        &[("Authorization", auth)],
        Some(content),
    );
    assert_eq!(status, 202, "{body}");
    serde_json::from_str::<Value>(&body).unwrap()["id"]
        .as_i64()
        .unwrap()
}

/// Polls job `id` on `server` until `until` holds for it.
fn wait_job(
    server: &Server,
    auth: &str,
    id: i64,
    what: &str,
    until: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let job = get(server, auth, &format!("/api/v1/imports/jobs/{id}"));
        if until(&job) {
            return job;
        }
        assert!(Instant::now() < deadline, "job never got {what}: {job}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn two_servers_on_one_postgres_share_imports_and_a_killed_servers_import_is_resumed_once() {
    if !std::env::var("DATABASE_URL").is_ok_and(|u| u.starts_with("postgres")) {
        eprintln!(
            "skipped: two servers sharing one database need DATABASE_URL=postgres://… \
             (SQLite is one server's file)"
        );
        return;
    }
    let dir = Dir::new();
    let auth = admin_bearer(&dir);
    // A reads its imports slowly (a pause per 1 MiB block), so it can be killed mid-import;
    // both take a job over after 2 s without a heartbeat.
    let slow = [
        "--no-demo",
        "--job-stale-secs",
        "2",
        "--test-slow-import-ms",
        "2500",
    ];
    let fast = ["--no-demo", "--job-stale-secs", "2"];
    let a = dir.serve(&slow);
    let b = dir.serve(&fast);

    create_programme(&b.url, &auth, "JOBS-1");

    // 1. Uploaded to A, visible from B, run exactly once by whichever worker claimed it.
    let small = queue_log(1_000_000, 500);
    let first = enqueue(&a, &auth, &small);
    let done = wait_job(&b, &auth, first, "done", |j| j["status"] == "done");
    assert_eq!(done["attempts"], 1, "{done}");
    assert_eq!(done["progress_done"], small.len());
    let batches = get(&a, &auth, "/api/v1/programs/JOBS-1/imports");
    assert_eq!(batches.as_array().unwrap().len(), 1, "{batches}");
    assert_eq!(batches[0]["id"], done["batch_id"]);
    assert_eq!(batches[0]["imported"], 500);
    // The drill-down behind a figure answers the same from either server (the raw records
    // live in the database on PostgreSQL: no shared disk).
    let drill = "/api/v1/programs/JOBS-1/kpis/calls?queue=ventas&by=15m&start=1767261600";
    let from_a = get(&a, &auth, drill);
    let from_b = get(&b, &auth, drill);
    assert_eq!(from_a["offered"], 300, "{from_a}");
    assert_eq!(from_a["answered"], 300, "{from_a}");
    assert_eq!(from_a, from_b);

    // 2. Only A runs workers now; a large import starts there.
    assert!(b.stop_gracefully().success());
    let calls = 25_000;
    let large = queue_log(2_000_000, calls);
    assert!(
        large.len() > 3 << 20,
        "several blocks to read: {}",
        large.len()
    );
    let second = enqueue(&a, &auth, &large);
    let running = wait_job(&a, &auth, second, "progress", |j| {
        j["status"] == "running" && j["progress_done"].as_i64().unwrap_or(0) > 0
    });
    assert!(running["progress_done"].as_i64() < running["progress_total"].as_i64());

    // Another server sees the progress A records.
    let c = dir.serve(&fast);
    let seen = get(&c, &auth, &format!("/api/v1/imports/jobs/{second}"));
    assert_eq!(seen["status"], "running", "A is still reading: {seen}");
    assert!(seen["progress_done"].as_i64().unwrap() > 0, "{seen}");

    // kill -9 of A mid-import: C takes the job over and imports the file once.
    let mut a = a;
    a.child.kill().unwrap();
    a.child.wait().unwrap();
    let resumed = wait_job(&c, &auth, second, "finished", |j| {
        j["status"] == "done" || j["status"] == "failed"
    });
    assert_eq!(resumed["status"], "done", "{resumed}");
    assert_eq!(resumed["attempts"], 2, "resumed once: {resumed}");

    let batches = get(&c, &auth, "/api/v1/programs/JOBS-1/imports");
    let batches = batches.as_array().unwrap();
    assert_eq!(
        batches.len(),
        2,
        "no half-applied or doubled batch: {batches:?}"
    );
    assert_eq!(batches[0]["id"], resumed["batch_id"]);
    assert_eq!(batches[0]["imported"], calls);
    assert_eq!(batches[0]["duplicates"], 0);
    let kpis = get(
        &c,
        &auth,
        "/api/v1/programs/JOBS-1/kpis?by=day&from=2025-12-31&to=2026-01-05",
    );
    let offered: u64 = kpis
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["offered"].as_u64().unwrap())
        .sum();
    let answered: u64 = kpis
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["answered"].as_u64().unwrap())
        .sum();
    assert_eq!((offered, answered), (500 + calls, 500 + calls), "{kpis}");
}
