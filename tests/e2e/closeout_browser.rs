//! Close-out and lessons in headless Chromium: `rumbo serve` with the demo data, then
//! `tests/browser/closeout.mjs` (same prerequisites as the main browser test).

use std::process::Command;

use crate::util::{browser_prerequisites, repo_root, Dir};

#[test]
fn a_manager_closes_evaluates_records_lessons_and_finds_the_practice_suggested_in_chromium() {
    let chromium = browser_prerequisites();
    let root = repo_root();
    let dir = Dir::new();
    let server = dir.serve(&[]);
    let out = Command::new("node")
        .arg(root.join("tests/browser/closeout.mjs"))
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

#[test]
fn the_console_searches_the_library_ignoring_case_and_accents() {
    let dir = Dir::new();
    let server = dir.serve(&[]);
    assert!(server.stop_gracefully().success());
    let found = dir.run_ok(&["lessons", "search", "CIERRE", "pasos"]);
    assert!(
        found.contains("practice\t") && found.contains("Cierre en dos pasos\tVIDA-2026"),
        "{found}"
    );
    let json = dir.run_ok(&["lessons", "search", "conversión", "--json"]);
    let first: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    assert_eq!(first["type"], "practice");
    let none = dir.run_ok(&["lessons", "search", "inexistente"]);
    assert_eq!(none.lines().count(), 1, "only the header: {none}");
}
