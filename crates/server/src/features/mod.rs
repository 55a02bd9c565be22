//! The capabilities a person reaches, one folder or file each, with its pages and API routes.
//!
//! A feature imports `http` (context, errors, extractors), `view` (layout, formats, catalogues),
//! `rumbo-app` and the pure cores; never another feature. Their routers are merged only in
//! `lib.rs`.

pub mod account;
pub mod admin;
pub mod closeout;
pub mod cockpit;
pub mod control;
pub mod live;
pub mod login;
pub mod mappings;
pub mod openapi;
pub mod plan;
pub mod privacy;
pub mod programmes;
pub mod reports;
pub mod sections;
pub mod wfm;
