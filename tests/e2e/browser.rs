//! The browser test: `rumbo serve` on a random port with a fresh database (demo data), then
//! `tests/browser/e2e.mjs` in headless Debian Chromium through playwright-core.
//!
//! Needs Debian's `chromium` and `tests/browser/node_modules`; `util::browser_prerequisites`
//! installs them when it can and otherwise names the command to run.

use std::process::Command;

use crate::util::{browser_prerequisites, repo_root, Dir};

#[test]
fn a_user_logs_in_switches_language_and_creates_a_programme_in_chromium() {
    let chromium = browser_prerequisites();
    let root = repo_root();
    let script = root.join("tests/browser/e2e.mjs");
    let dir = Dir::new();
    let server = dir.serve(&[]);
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
}
