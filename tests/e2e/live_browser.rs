//! The wallboard in headless Chromium: `rumbo serve` with the demo data and a
//! `rumbo watch queue-log` on a file this test and `tests/browser/live.mjs` append to (same
//! prerequisites as the main browser test).

use std::process::Stdio;

use crate::util::{assert_browser_steps_passed, run_demo_browser_script, Dir};

#[test]
fn the_wallboard_follows_a_queue_log_live_in_both_languages_on_desktop_and_tv_in_chromium() {
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
    let out = run_demo_browser_script("live.mjs", &server.url, &[("QUEUE_LOG", log.as_os_str())]);
    let _ = watcher.kill();
    let _ = watcher.wait();
    assert_browser_steps_passed(&out);
}
