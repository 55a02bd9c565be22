//! Exactly once under concurrency: two `rumbo import` processes and three web imports of the
//! same file, all at the same time, store each call once (on the backend `DATABASE_URL` picks).

use std::io::Write;
use std::process::Stdio;

use serde_json::Value;

use crate::util::{admin_bearer, create_programme, http, Dir};

const CODE: &str = "ONCE-1";

#[test]
fn two_cli_and_three_web_imports_of_one_file_at_once_store_each_call_once() {
    let dir = Dir::new();
    let auth = admin_bearer(&dir);
    let server = dir.serve(&["--no-demo", "--job-workers", "2"]);
    create_programme(&server.url, &auth, CODE);

    // 50,000 calls in the standard layout, one every 3 s from 2026-01-05 12:00 UTC.
    let rows = 50_000u64;
    let mut csv = String::from("call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome\n");
    for i in 0..rows {
        let answered = i % 5 != 0;
        csv.push_str(&format!(
            "once-{i},ONCE,{},{},{},{},{}\n",
            1_767_614_400 + i * 3,
            i % 40,
            if answered { 60 + i % 300 } else { 0 },
            if answered { 10 } else { 0 },
            if answered { "answered" } else { "abandoned" }
        ));
    }
    std::fs::File::create(dir.path().join("calls.csv"))
        .unwrap()
        .write_all(csv.as_bytes())
        .unwrap();

    // All five at once: two CLI processes and three HTTP uploads of the same bytes.
    let cli: Vec<_> = (0..2)
        .map(|_| {
            dir.cmd(&["import", "calls", "calls.csv", "--program", CODE, "--quiet"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let web: Vec<_> = (0..3)
        .map(|_| {
            let url = server.url.clone();
            let auth = auth.clone();
            let csv = csv.clone();
            std::thread::spawn(move || {
                http(
                    &url,
                    "POST",
                    &format!("/api/v1/programs/{CODE}/imports?source=calls&file_name=calls.csv"),
                    &[
                        ("Authorization", auth.as_str()),
                        ("Content-Type", "text/csv"),
                    ],
                    Some(&csv),
                )
            })
        })
        .collect();
    for c in cli {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for w in web {
        let (status, body) = w.join().unwrap();
        assert_eq!(status, 201, "{body}");
    }

    // Five batches, one of which holds every call; the others found them all imported.
    let (status, body) = http(
        &server.url,
        "GET",
        &format!("/api/v1/programs/{CODE}/imports"),
        &[("Authorization", auth.as_str())],
        None,
    );
    assert_eq!(status, 200, "{body}");
    let batches: Value = serde_json::from_str(&body).unwrap();
    let batches = batches.as_array().unwrap();
    assert_eq!(batches.len(), 5, "{batches:?}");
    let imported: u64 = batches
        .iter()
        .map(|b| b["imported"].as_u64().unwrap())
        .sum();
    let duplicates: u64 = batches
        .iter()
        .map(|b| b["duplicates"].as_u64().unwrap())
        .sum();
    assert_eq!(imported, rows, "{batches:?}");
    assert_eq!(duplicates, 4 * rows, "{batches:?}");

    // And the figures count each call once.
    let (status, body) = http(
        &server.url,
        "GET",
        &format!("/api/v1/programs/{CODE}/kpis?by=day&from=2026-01-01&to=2026-01-31"),
        &[("Authorization", auth.as_str())],
        None,
    );
    assert_eq!(status, 200, "{body}");
    let kpis: Value = serde_json::from_str(&body).unwrap();
    let (offered, answered) = kpis
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["queue"] == "ONCE")
        .fold((0, 0), |(o, a), r| {
            (
                o + r["offered"].as_u64().unwrap(),
                a + r["answered"].as_u64().unwrap(),
            )
        });
    assert_eq!(offered, rows, "{kpis}");
    assert_eq!(answered, rows - rows / 5, "{kpis}");
}
