//! The plan flows in headless Chromium: `rumbo serve` with the demo data, then
//! `tests/browser/plan.mjs` (same prerequisites as the main browser test).

use crate::util::{assert_browser_steps_passed, run_demo_browser_script, Dir};

#[test]
fn a_manager_reviews_the_plan_adds_a_risk_and_an_activity_and_approves_a_change_in_chromium() {
    let dir = Dir::new();
    let server = dir.serve(&[]);
    assert_browser_steps_passed(&run_demo_browser_script("plan.mjs", &server.url, &[]));
}
