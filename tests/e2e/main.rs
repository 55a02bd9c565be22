//! End-to-end tests: the real `rumbo` binary in a temporary folder (ripgrep's `TestCommand`
//! idea) and, in headless Chromium, the web application.

mod architecture;
mod browser;
mod cli;
mod closeout_browser;
mod connections;
mod exactly_once;
mod formats;
mod imports;
mod jobs;
mod live_browser;
mod phone_browser;
mod plan_browser;
mod planforms_browser;
mod privacy;
mod qlog;
mod safety;
mod tidy;
mod totp;
mod util;
