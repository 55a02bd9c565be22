//! Hostile input against the real binary: the server stays up while every hostile file of the
//! suite is uploaded and while two imports run at once; `rumbo import … | head` exits quietly;
//! a mostly-not-understood import exits with status 3; `rumbo import delete` removes a batch.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Stdio;
use std::time::Duration;

use crate::util::{admin_bearer, create_programme, http, Dir};

/// A POST with a binary body; returns the status (0 when the connection broke).
fn post_bytes(url: &str, path: &str, auth: &str, body: &[u8]) -> (u16, String) {
    let host = url.trim_start_matches("http://");
    let mut s = TcpStream::connect(host).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nAuthorization: {auth}\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    if s.write_all(head.as_bytes()).is_err() || s.write_all(body).is_err() {
        return (0, String::new());
    }
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, text)
}

/// A workbook whose sheet is millions of empty cells: a few kilobytes compressed.
fn cell_bomb() -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut z = zip::ZipWriter::new(&mut out);
    let o = zip::write::SimpleFileOptions::default();
    z.start_file("xl/workbook.xml", o).unwrap();
    z.write_all(br#"<workbook><sheets><sheet name="S" r:id="rId1"/></sheets></workbook>"#)
        .unwrap();
    z.start_file("xl/worksheets/sheet1.xml", o).unwrap();
    z.write_all(br#"<worksheet><dimension ref="A1:XFD1048576"/><sheetData><row r="1">"#)
        .unwrap();
    let chunk = "<c/>".repeat(100_000);
    for _ in 0..60 {
        z.write_all(chunk.as_bytes()).unwrap();
    }
    z.write_all(b"</row></sheetData></worksheet>").unwrap();
    z.finish().unwrap();
    out.into_inner()
}

const T: i64 = 1_767_258_000;

fn good_csv(prefix: &str, n: usize) -> String {
    let mut s = String::from("call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome\n");
    for i in 0..n {
        s.push_str(&format!(
            "{prefix}{i},Ventas,{},3,60,5,answered\n",
            T + i as i64 * 30
        ));
    }
    s
}

fn healthy(url: &str) {
    let (status, body) = http(url, "GET", "/healthz", &[], None);
    assert_eq!(status, 200, "{body}");
}

#[test]
fn the_server_stays_up_while_every_hostile_file_is_uploaded_and_two_imports_run_at_once() {
    let dir = Dir::new();
    let auth = admin_bearer(&dir);
    let server = dir.serve(&["--no-demo", "--max-upload-mb", "8"]);
    create_programme(&server.url, &auth, "SEG-1");
    let json = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
    ];
    let mapping = r#"{"mapping":{"kind":"calls","columns":{"start":"start","queue":"queue","wait":"wait","outcome":"outcome"}},"header":["start","queue","wait","outcome"]}"#;
    let (status, body) = http(
        &server.url,
        "PUT",
        "/api/v1/programs/SEG-1/mappings/planilla",
        &json,
        Some(mapping),
    );
    assert_eq!(status, 204, "{body}");

    let mut files: Vec<(&str, &str, Vec<u8>)> = vec![
        ("calls", "vacio.csv", Vec::new()),
        ("calls", "imagen.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec()),
        ("queue-log", "nul.log", vec![0u8; 100_000]),
        (
            "calls",
            "valores.csv",
            format!(
                "call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome\na,Ventas,{T},3,1e308,5,answered\nb,Ventas,99999999999,3,60,5,answered\nc,Ven\0tas,{T},3,60,5,answered\nd,{},{T},1,1,1,answered\n",
                "q".repeat(2 << 20)
            )
            .into_bytes(),
        ),
        ("calls", "grande.csv", vec![b'x'; 9 << 20]),
        ("calls", "bomba.xlsx", cell_bomb()),
    ];
    let mut g = rumbo_ingest::hostile::Gen::new(2026);
    for _ in 0..12 {
        files.push(("calls", "hostil.xlsx", rumbo_ingest::hostile::xlsx(&mut g)));
    }
    for _ in 0..4 {
        files.push((
            "queue-log",
            "lineas.log",
            rumbo_ingest::hostile::lines(&mut g),
        ));
        files.push(("cdr", "Master.csv", rumbo_ingest::hostile::lines(&mut g)));
    }
    let truncated = {
        let b = cell_bomb();
        b[..b.len() / 2].to_vec()
    };
    files.push(("calls", "cortado.xlsx", truncated));
    for (source, name, bytes) in &files {
        let mapping = if name.ends_with(".xlsx") {
            "&mapping=planilla"
        } else {
            ""
        };
        let path =
            format!("/api/v1/programs/SEG-1/imports?source={source}&file_name={name}{mapping}");
        let (status, text) = post_bytes(&server.url, &path, &auth, bytes);
        assert!(
            [201, 413, 422].contains(&status),
            "{name}: {status} {}",
            &text[..text.len().min(600)]
        );
        healthy(&server.url);
    }
    // Two imports at once, of different files: both commit.
    let imports: Vec<_> = ["uno", "dos"]
        .into_iter()
        .map(|p| {
            let url = server.url.clone();
            let auth = auth.clone();
            std::thread::spawn(move || {
                post_bytes(
                    &url,
                    &format!("/api/v1/programs/SEG-1/imports?source=calls&file_name={p}.csv"),
                    &auth,
                    good_csv(p, 2000).as_bytes(),
                )
                .0
            })
        })
        .collect();
    for t in imports {
        assert_eq!(t.join().unwrap(), 201);
    }
    healthy(&server.url);
    let (status, body) = http(
        &server.url,
        "GET",
        "/api/v1/programs/SEG-1/imports",
        &[("Authorization", auth.as_str())],
        None,
    );
    assert_eq!(status, 200);
    let batches: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
    assert!(batches
        .iter()
        .all(|b| b["file_name"] != "vacio.csv" && b["file_name"] != "imagen.png"));
    let values = batches
        .iter()
        .find(|b| b["file_name"] == "valores.csv")
        .expect("the file of bad values is a batch");
    assert_eq!(values["imported"], 1, "{values}");
    assert_eq!(values["rejected"], 3, "{values}");
}

#[test]
fn the_cli_exits_quietly_on_a_closed_pipe_flags_unintelligible_files_and_deletes_batches() {
    let dir = Dir::new();
    let auth = admin_bearer(&dir);
    let server = dir.serve(&["--no-demo"]);
    create_programme(&server.url, &auth, "SEG-2");
    drop(server);
    std::fs::write(dir.path().join("bien.csv"), good_csv("ok", 50)).unwrap();
    let mut junk = good_csv("j", 1);
    for i in 0..100 {
        junk.push_str(&format!("basura {i}\n"));
    }
    std::fs::write(dir.path().join("basura.csv"), junk).unwrap();

    // Output into a pipe nobody reads: no panic, the import's own status.
    let mut child = dir
        .cmd(&[
            "import",
            "calls",
            "basura.csv",
            "--program",
            "SEG-2",
            "--quiet",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("mostly not understood"), "{stderr}");

    let ok = dir.run(&[
        "import",
        "calls",
        "bien.csv",
        "--program",
        "SEG-2",
        "--quiet",
    ]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let printed = String::from_utf8_lossy(&ok.stdout);
    let batch = printed
        .lines()
        .find_map(|l| l.strip_prefix("batch "))
        .and_then(|l| l.split(':').next())
        .unwrap_or_else(|| panic!("no batch line in {printed}"))
        .to_string();
    let deleted = dir.run_ok(&["import", "delete", &batch, "--program", "SEG-2"]);
    assert!(
        deleted.contains(&format!("deleted batch {batch}")),
        "{deleted}"
    );
    let again = dir.run(&["import", "delete", &batch, "--program", "SEG-2"]);
    assert_eq!(again.status.code(), Some(1));
    // The keys went with the batch: the file imports again in full.
    let redo = dir.run_ok(&[
        "import",
        "calls",
        "bien.csv",
        "--program",
        "SEG-2",
        "--quiet",
    ]);
    assert!(redo.contains("50 imported"), "{redo}");
}
