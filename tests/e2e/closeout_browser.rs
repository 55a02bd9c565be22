//! Close-out and lessons in headless Chromium: `rumbo serve` with the demo data, then
//! `tests/browser/closeout.mjs` (same prerequisites as the main browser test).

use crate::util::{assert_browser_steps_passed, run_demo_browser_script, Dir};

#[test]
fn a_manager_closes_evaluates_records_lessons_and_finds_the_practice_suggested_in_chromium() {
    let dir = Dir::new();
    let server = dir.serve(&[]);
    assert_browser_steps_passed(&run_demo_browser_script("closeout.mjs", &server.url, &[]));
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
