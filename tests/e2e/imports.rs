//! Imports from the command line: two `rumbo import` processes of one file at the same time
//! store each call once; a backup carries the raw records with the database.

use std::io::Write;
use std::process::Stdio;

use crate::util::{http, Dir};

const CODE: &str = "RET-TC-2026";

/// Sum of `offered` in the E2E queue over January 2026, under a definition.
fn offered(dir: &Dir, extra: &[&str], definition: &str) -> u64 {
    let mut args = extra.to_vec();
    args.extend_from_slice(&[
        "kpi",
        "--program",
        CODE,
        "--from",
        "2026-01-01",
        "--to",
        "2026-01-31",
        "--by",
        "day",
        "--definition",
        definition,
        "--format",
        "json",
    ]);
    let rows: serde_json::Value = serde_json::from_str(&dir.run_ok(&args)).unwrap();
    rows.as_array()
        .unwrap()
        .iter()
        .filter(|r| r["queue"] == "E2E")
        .map(|r| r["offered"].as_u64().unwrap())
        .sum()
}

#[test]
fn two_import_processes_of_one_file_at_the_same_time_store_each_call_once() {
    let dir = Dir::new();
    // The demo programmes (their call history is in the last two weeks, not in January).
    let server = dir.serve(&[]);
    assert_eq!(http(&server.url, "GET", "/readyz", &[], None).0, 200);
    assert!(server.stop_gracefully().success());
    let rows = 30_000u64;
    let mut w =
        std::io::BufWriter::new(std::fs::File::create(dir.path().join("calls.csv")).unwrap());
    writeln!(w, "call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome").unwrap();
    for i in 0..rows {
        let answered = i % 7 != 0;
        writeln!(
            w,
            "e2e-{i},E2E,{},{},{},{},{}",
            1_767_614_400 + i * 3,
            i % 40,
            if answered { 60 + i % 300 } else { 0 },
            if answered { 10 } else { 0 },
            if answered { "answered" } else { "abandoned" }
        )
        .unwrap();
    }
    w.flush().unwrap();
    drop(w);
    let args = ["import", "calls", "calls.csv", "--program", CODE, "--quiet"];
    let children: Vec<_> = (0..2)
        .map(|_| {
            dir.cmd(&args)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut imported = Vec::new();
    for c in children {
        let out = c.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // "batch N: R lines read, I imported, D duplicates skipped, …"
        let n: u64 = text
            .split(", ")
            .find_map(|part| part.strip_suffix(" imported"))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("no import count in {text:?}"));
        imported.push(n);
    }
    imported.sort_unstable();
    assert_eq!(imported, vec![0, rows]);
    assert_eq!(offered(&dir, &[], "rumbo-standard"), rows);

    if std::env::var("DATABASE_URL").is_ok_and(|u| u.starts_with("postgres")) {
        return; // raw records live in the database; `rumbo backup` is SQLite's.
    }
    dir.run_ok(&["backup", "copy.db"]);
    assert!(dir.path().join("copy-data/raw").is_dir());
    // The copy opens with its own data folder (copy.db → copy-data/) and recomputes figures
    // under another definition from the copied raw records.
    std::fs::remove_dir_all(dir.path().join("rumbo-data")).unwrap();
    let copy = ["--database-url", "sqlite://copy.db"];
    assert_eq!(offered(&dir, &copy, "offered-sl"), rows);
}

#[test]
fn an_upload_over_the_size_limit_answers_413_and_leaves_nothing_stored() {
    let dir = Dir::new();
    let auth = crate::util::admin_bearer(&dir);
    let server = dir.serve(&["--no-demo", "--max-upload-mb", "1"]);
    crate::util::create_programme(&server.url, &auth, "BIG-1");
    let mut big = String::from("call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome\n");
    let mut i = 0u64;
    while big.len() < (1 << 20) + 4096 {
        big.push_str(&format!(
            "big-{i},BIG,{},5,60,10,answered\n",
            1_767_614_400 + i
        ));
        i += 1;
    }
    let path = "/api/v1/programs/BIG-1/imports?source=calls&file_name=big.csv";
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "text/csv"),
    ];
    let (status, body) = http(&server.url, "POST", path, &headers, Some(&big));
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("/problems/too-large"), "{body}");
    let (status, body) = http(
        &server.url,
        "GET",
        "/api/v1/programs/BIG-1/imports",
        &[("Authorization", auth.as_str())],
        None,
    );
    assert_eq!((status, body.as_str()), (200, "[]"));
    if !std::env::var("DATABASE_URL").is_ok_and(|u| u.starts_with("postgres")) {
        let uploads = dir.path().join("rumbo-data/uploads");
        let left = std::fs::read_dir(&uploads).map(|d| d.count()).unwrap_or(0);
        assert_eq!(left, 0, "an aborted upload stayed in {}", uploads.display());
    }
    // A file within the limit still imports.
    let small: String = big.lines().take(1000).map(|l| format!("{l}\n")).collect();
    let (status, body) = http(&server.url, "POST", path, &headers, Some(&small));
    assert_eq!(status, 201, "{body}");
}
