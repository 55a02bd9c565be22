//! HTTP-level tests of the server, on the backend `DATABASE_URL` chooses.

mod access;
mod cockpit;
mod control;
mod control_views;
mod helpers;
mod metrics;
mod openapi;
mod plan;
mod privacy;
mod qlog;
mod safety;
mod security;
mod texts;
mod totp;
mod validation;
mod wire;
