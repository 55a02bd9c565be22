//! End-to-end tests: the real `rumbo` binary in a temporary folder (ripgrep's `TestCommand`
//! idea) and, in headless Chromium, the web application.

mod architecture;
mod browser;
mod cli;
mod connections;
mod exactly_once;
mod formats;
mod imports;
mod jobs;
mod phone_browser;
mod plan_browser;
mod privacy;
mod qlog;
mod safety;
mod tidy;
mod totp;
mod util;
