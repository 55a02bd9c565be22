//! The one error type of the use cases.
//!
//! Callers match on the variant to choose what to show (not found, forbidden, which fields are
//! invalid…). `Internal` keeps its source chain for the logs; its text is never shown to users.

use rumbo_domain::{Invalid, Invalids};
use rumbo_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No principal: the caller must authenticate first.
    #[error("authentication required")]
    Unauthenticated,
    /// Visible, but this principal may not do this.
    #[error("forbidden")]
    Forbidden,
    /// Does not exist, or must not be known to exist by this principal.
    #[error("not found")]
    NotFound,
    /// One or more fields are invalid.
    #[error("invalid input")]
    Invalid(Invalids),
    /// The input conflicts with stored data (a duplicate code, a busy resource…).
    #[error("conflict")]
    Conflict(Invalids),
    /// The work plan's dependencies would form a cycle, listed activity by activity
    /// (`A → B → C → A`).
    #[error("dependency cycle")]
    Cycle(Vec<String>),
    /// Too many attempts; try again later.
    #[error("too many attempts")]
    Throttled,
    /// The database did not answer in time; the caller may try again shortly.
    #[error("temporarily unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
    /// Anything else: a database, file or worker failure. Logged with its chain, never shown.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// One invalid field.
    pub fn invalid(field: &'static str, key: &'static str) -> Error {
        Error::Invalid(Invalids(vec![Invalid::new(field, key)]))
    }

    /// An internal failure from any error type.
    pub fn internal(e: impl std::error::Error + Send + Sync + 'static) -> Error {
        Error::Internal(Box::new(e))
    }

    /// An internal failure described by a message (for invariants broken inside Rumbo).
    pub fn internal_msg(msg: impl Into<String>) -> Error {
        #[derive(Debug, thiserror::Error)]
        #[error("{0}")]
        struct Msg(String);
        Error::Internal(Box::new(Msg(msg.into())))
    }
}

impl From<Invalid> for Error {
    fn from(i: Invalid) -> Self {
        Error::Invalid(i.into())
    }
}

impl From<Invalids> for Error {
    fn from(i: Invalids) -> Self {
        Error::Invalid(i)
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Error::NotFound,
            StoreError::Conflict(what) => {
                let (field, key) = match what {
                    "job.claim" => ("job", crate::jobs::CLAIM_LOST),
                    "programme.code" => ("code", "error.conflict.programme_code"),
                    "client.rut" => ("rut", "error.conflict.client_rut"),
                    "user.email" => ("email", "error.conflict.user_email"),
                    "person.email" => ("email", "error.conflict.user_email"),
                    "product.name" => ("name", "error.conflict.product_name"),
                    _ => ("", "error.conflict"),
                };
                Error::Conflict(Invalid::new(field, key).into())
            }
            StoreError::UnknownReference(what) => {
                let (field, key) = match what {
                    "client" => ("client_id", "error.unknown.client"),
                    "product" => ("product_id", "error.unknown.product"),
                    "person" => ("person_id", "error.unknown.person"),
                    _ => ("", "error.unknown.reference"),
                };
                Error::Invalid(Invalid::new(field, key).into())
            }
            e @ StoreError::Unavailable(_) => Error::Unavailable(Box::new(e)),
            other => Error::internal(other),
        }
    }
}
