//! One module per command family.
pub mod admin;
pub mod dev;
pub mod import;
pub mod kpi;
pub mod serve;
pub mod wfm;
