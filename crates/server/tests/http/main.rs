//! HTTP-level tests of the server, on the backend `DATABASE_URL` chooses.

mod access;
mod closeout;
mod cockpit;
mod control;
mod control_views;
mod helpers;
mod live;
mod metrics;
mod openapi;
mod plan;
mod planforms;
mod privacy;
mod qlog;
mod reports;
mod roles;
mod routes;
mod safety;
mod security;
mod texts;
mod totp;
mod validation;
mod wire;
