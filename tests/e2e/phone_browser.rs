//! Every main page on a 390 px phone, in Spanish and English, in headless Chromium:
//! `rumbo serve` with the demo data, then `tests/browser/phone.mjs` (same prerequisites as the
//! main browser test).

use std::process::Command;

use crate::util::{browser_prerequisites, repo_root, Dir};

#[test]
fn every_main_page_fits_a_390_px_phone_in_both_languages_with_a_one_line_header() {
    let chromium = browser_prerequisites();
    let root = repo_root();
    let dir = Dir::new();
    let server = dir.serve(&[]);
    let out = Command::new("node")
        .arg(root.join("tests/browser/phone.mjs"))
        .current_dir(root.join("tests/browser"))
        .env("CHROMIUM", chromium)
        .env("RUMBO_URL", &server.url)
        .env("RUMBO_EMAIL", "jefa@demo.rumbo.cl")
        .env("RUMBO_PASSWORD", rumbo_app::demo::DEMO_PASSWORD)
        .env(
            "RUMBO_SCREENSHOTS",
            std::env::var("RUMBO_SCREENSHOTS").unwrap_or_default(),
        )
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
