//! HTTP-level tests of the server, on the backend `DATABASE_URL` chooses.

mod access;
mod control;
mod helpers;
mod openapi;
mod plan;
mod safety;
mod security;
mod texts;
mod validation;
mod wire;
