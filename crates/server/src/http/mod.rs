//! HTTP plumbing shared by every feature: the request context and its middleware, the error type
//! and its rendering (HTML page or problem+json), extractors, cookies and tokens, and the access
//! check on a programme. It imports `view` (to render errors) and never a feature.

pub mod access;
pub mod auth;
pub mod ctx;
pub mod error;
pub mod headers;
pub mod listen;
pub mod metrics;
pub mod state;
