//! End-to-end tests: the real `rumbo` binary in a temporary folder (ripgrep's `TestCommand`
//! idea) and, in headless Chromium, the web application.

mod browser;
mod cli;
mod imports;
mod plan_browser;
mod tidy;
mod util;
