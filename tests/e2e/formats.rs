//! Format recognition end to end: an upload without a source and `rumbo import FILE` without a
//! kind recognise the layout by content and say which they took; a file of no known layout is
//! refused with its file and line, and no batch is created.

use crate::util::{admin_bearer, create_programme, http, repo_root, Dir};

fn same_calls(name: &str) -> String {
    std::fs::read_to_string(
        repo_root()
            .join("crates/app/tests/data/same_calls")
            .join(name),
    )
    .unwrap()
}

#[test]
fn uploads_and_the_cli_recognise_the_layout_and_refuse_unknown_content() {
    let dir = Dir::new();
    let auth = admin_bearer(&dir);
    let server = dir.serve(&[]);
    create_programme(&server.url, &auth, "FMT-1");
    let bearer = [("Authorization", auth.as_str())];

    // The API, no source given: a realtime-table dump.
    let (status, body) = http(
        &server.url,
        "POST",
        "/api/v1/programs/FMT-1/imports?file_name=realtime.csv",
        &bearer,
        Some(&same_calls("realtime.csv")),
    );
    assert_eq!(status, 201, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["layout"], "queue-log-realtime", "{body}");
    assert_eq!(v["source"], "queue-log", "{body}");
    assert_eq!(v["imported"], 13, "{body}");

    // Content of no known layout: refused with a catalogued message, no batch.
    let (status, body) = http(
        &server.url,
        "POST",
        "/api/v1/programs/FMT-1/imports?file_name=notes.txt",
        &bearer,
        Some("minutes of the weekly meeting\nnothing else\n"),
    );
    assert_eq!(status, 422, "{body}");
    assert!(
        body.contains("error.import.unrecognised.no_fields"),
        "{body}"
    );
    let (_, list) = http(
        &server.url,
        "GET",
        "/api/v1/programs/FMT-1/imports",
        &bearer,
        None,
    );
    let batches: serde_json::Value = serde_json::from_str(&list).unwrap();
    assert_eq!(batches.as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(batches[0]["layout"], "queue-log-realtime");
    drop(server);

    // The CLI, no kind given: a PBXware-style dump (its ten calls and three agent sessions are
    // already imported).
    std::fs::write(dir.path().join("pbxware.csv"), same_calls("pbxware.csv")).unwrap();
    let out = dir.run_ok(&["import", "pbxware.csv", "--program", "FMT-1", "--quiet"]);
    assert!(
        out.contains("layout: queue-log-pbxware (queue-log)"),
        "{out}"
    );
    assert!(out.contains("13 duplicates skipped"), "{out}");

    std::fs::write(dir.path().join("notes.txt"), "\nminutes of the meeting\n").unwrap();
    let out = dir.run(&["import", "notes.txt", "--program", "FMT-1"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("notes.txt:2:"), "{err}");
    assert!(err.contains("No se reconoció el formato"), "{err}");
    assert!(err.contains("minutes of the meeting"), "{err}");
}
