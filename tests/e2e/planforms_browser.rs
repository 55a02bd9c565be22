//! A whole programme built from pages only, in headless Chromium: `rumbo serve` with the demo
//! data, then `tests/browser/planforms.mjs`, in Spanish at 1280 px and in English at 390 px
//! (where no page may be wider than the viewport). Same prerequisites as the main browser test.

use crate::util::{assert_browser_steps_passed, run_demo_browser_script, Dir};

#[test]
fn a_manager_builds_a_whole_programme_from_pages_in_spanish_and_on_a_phone_in_english() {
    let dir = Dir::new();
    let server = dir.serve(&[]);
    assert_browser_steps_passed(&run_demo_browser_script("planforms.mjs", &server.url, &[]));
}
