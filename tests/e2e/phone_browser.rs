//! Every main page on a 390 px phone, in Spanish and English, in headless Chromium:
//! `rumbo serve` with the demo data, then `tests/browser/phone.mjs` (same prerequisites as the
//! main browser test).

use crate::util::{assert_browser_steps_passed, run_demo_browser_script, Dir};

#[test]
fn every_main_page_fits_a_390_px_phone_in_both_languages_with_a_one_line_header() {
    let dir = Dir::new();
    let server = dir.serve(&[]);
    assert_browser_steps_passed(&run_demo_browser_script("phone.mjs", &server.url, &[]));
}
