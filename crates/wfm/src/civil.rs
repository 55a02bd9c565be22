//! Re-exports of the civil-date types used in the public API (so callers need no direct jiff dependency).
pub use jiff::civil::{Date, DateTime, Time, Weekday};
pub use jiff::Span;
