//! A whole programme built from pages only, in headless Chromium: `rumbo serve` with the demo
//! data, then `tests/browser/planforms.mjs`, in Spanish at 1280 px and in English at 390 px
//! (where no page may be wider than the viewport). Same prerequisites as the main browser test.

use std::process::Command;

use crate::util::{browser_prerequisites, repo_root, Dir};

#[test]
fn a_manager_builds_a_whole_programme_from_pages_in_spanish_and_on_a_phone_in_english() {
    let chromium = browser_prerequisites();
    let root = repo_root();
    let dir = Dir::new();
    let server = dir.serve(&[]);
    let out = Command::new("node")
        .arg(root.join("tests/browser/planforms.mjs"))
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
