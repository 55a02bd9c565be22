//! `rumbo-domain`: the programme model and its rules, with no IO.
//!
//! Types here are parsed, not validated: a value of [`rut::Rut`], [`programme::ProgrammeCode`] or
//! [`programme::NewProgramme`] is valid by construction. Errors carry a stable message key
//! (see [`Invalid::key`]) that the server looks up in its Spanish/English catalogues.

pub mod access;
pub mod plan;
pub mod privacy;
pub mod programme;
pub mod rut;
pub mod string_enum;

pub use string_enum::{assert_round_trips, StringEnum, UnknownName};

/// A rejected input: which field, and a stable message key for the UI catalogues.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {field}: {key}")]
pub struct Invalid {
    /// The form/API field the problem belongs to.
    pub field: &'static str,
    /// Catalogue key, e.g. `error.rut.check_digit`.
    pub key: &'static str,
}

impl Invalid {
    pub fn new(field: &'static str, key: &'static str) -> Self {
        Self { field, key }
    }
}

/// All problems found in one input, so a form can show every one at once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} invalid field(s)", .0.len())]
pub struct Invalids(pub Vec<Invalid>);

impl From<Invalid> for Invalids {
    fn from(i: Invalid) -> Self {
        Invalids(vec![i])
    }
}
