//! The browser test: `rumbo serve` on a random port with a fresh database (demo data) and a
//! local SMTP sink as its relay, then `tests/browser/e2e.mjs` in headless Debian Chromium
//! through playwright-core; the alarm e-mails of the demo are caught by the sink.
//!
//! Needs Debian's `chromium` and `tests/browser/node_modules`; `util::browser_prerequisites`
//! installs them when it can and otherwise names the command to run.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::Command;
use std::sync::{Arc, Mutex};

use crate::util::{browser_prerequisites, repo_root, Dir};

#[test]
fn a_user_logs_in_switches_language_and_creates_a_programme_in_chromium() {
    let chromium = browser_prerequisites();
    let root = repo_root();
    let script = root.join("tests/browser/e2e.mjs");
    let dir = Dir::new();
    let (port, mails) = smtp_sink();
    let port = port.to_string();
    let server = dir.serve_with_env(
        &[],
        &[
            ("RUMBO_SMTP_HOST", "127.0.0.1"),
            ("RUMBO_SMTP_PORT", &port),
            ("RUMBO_SMTP_FROM", "rumbo@demo.rumbo.cl"),
        ],
    );
    let shots = std::env::var("RUMBO_SCREENSHOTS").unwrap_or_default();
    let out = Command::new("node")
        .arg(&script)
        .current_dir(root.join("tests/browser"))
        .env("CHROMIUM", chromium)
        .env("RUMBO_URL", &server.url)
        .env("RUMBO_EMAIL", "jefa@demo.rumbo.cl")
        .env("RUMBO_PASSWORD", rumbo_app::demo::DEMO_PASSWORD)
        .env("RUMBO_SCREENSHOTS", shots)
        .output()
        .expect("node is needed for the browser test");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "browser steps failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("all steps passed"), "{stdout}");
    // The demo's alarms were opened at start: the programme's team got them by e-mail.
    let mails = mails.lock().unwrap().clone();
    let alarm_mail = mails
        .iter()
        .find(|(_, m)| m.contains("/programs/RET-TC-2026/alarms/"))
        .unwrap_or_else(|| panic!("no alarm mail for RET-TC-2026 among {mails:?}"));
    assert!(
        alarm_mail.0.iter().any(|to| to.ends_with("@demo.rumbo.cl")),
        "{alarm_mail:?}"
    );
    assert!(
        alarm_mail.1.contains("From: rumbo@demo.rumbo.cl"),
        "{alarm_mail:?}"
    );
}

/// (recipients, message) of each mail the sink received.
type Mails = Arc<Mutex<Vec<(Vec<String>, String)>>>;

/// A local SMTP sink that answers like a relay and keeps every mail.
fn smtp_sink() -> (u16, Mails) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mails: Mails = Arc::default();
    let kept = mails.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let mut out = stream.try_clone().unwrap();
            let (mut rcpts, mut data, mut in_data) = (Vec::new(), String::new(), false);
            let _ = out.write_all(b"220 sink\r\n");
            for line in BufReader::new(stream).lines() {
                let Ok(line) = line else { break };
                let answer: &[u8] = if in_data {
                    if line == "." {
                        in_data = false;
                        b"250 queued\r\n"
                    } else {
                        data.push_str(&line);
                        data.push('\n');
                        b""
                    }
                } else if line.starts_with("EHLO") {
                    b"250-sink\r\n250 8BITMIME\r\n"
                } else if let Some(to) = line.strip_prefix("RCPT TO:") {
                    rcpts.push(to.trim().trim_matches(['<', '>']).to_string());
                    b"250 ok\r\n"
                } else if line.starts_with("DATA") {
                    in_data = true;
                    b"354 go on\r\n"
                } else if line.starts_with("QUIT") {
                    let _ = out.write_all(b"221 bye\r\n");
                    break;
                } else {
                    b"250 ok\r\n"
                };
                if !answer.is_empty() && out.write_all(answer).is_err() {
                    break;
                }
            }
            kept.lock()
                .unwrap()
                .push((std::mem::take(&mut rcpts), std::mem::take(&mut data)));
        }
    });
    (port, mails)
}
