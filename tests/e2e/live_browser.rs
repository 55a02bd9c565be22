//! The wallboard in headless Chromium: `rumbo serve` with the demo data and a
//! `rumbo watch queue-log` on a file this test and `tests/browser/live.mjs` append to (same
//! prerequisites as the main browser test).

use std::process::{Command, Stdio};

use crate::util::{browser_prerequisites, repo_root, Dir};

#[test]
fn the_wallboard_follows_a_queue_log_live_in_both_languages_on_desktop_and_tv_in_chromium() {
    let chromium = browser_prerequisites();
    let root = repo_root();
    let dir = Dir::new();
    let server = dir.serve(&[]);
    let log = dir.path().join("queue_log");
    let t = jiff::Timestamp::now().as_second();
    std::fs::write(
        &log,
        format!("{t}|NONE|ventas|Ana|ADDMEMBER|\n{t}|w1|ventas|NONE|ENTERQUEUE||+56911112222|1\n"),
    )
    .unwrap();
    let mut watcher = dir
        .cmd(&[
            "watch",
            "queue-log",
            log.to_str().unwrap(),
            "--program",
            "VIDA-2026",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = Command::new("node")
        .arg(root.join("tests/browser/live.mjs"))
        .current_dir(root.join("tests/browser"))
        .env("CHROMIUM", chromium)
        .env("RUMBO_URL", &server.url)
        .env("RUMBO_EMAIL", "jefa@demo.rumbo.cl")
        .env("RUMBO_PASSWORD", rumbo_app::demo::DEMO_PASSWORD)
        .env("QUEUE_LOG", &log)
        .env(
            "RUMBO_SCREENSHOTS",
            std::env::var("RUMBO_SCREENSHOTS").unwrap_or_default(),
        )
        .output()
        .expect("node is needed for the browser test");
    let _ = watcher.kill();
    let _ = watcher.wait();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "browser steps failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("all steps passed"), "{stdout}");
}
