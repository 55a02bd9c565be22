//! Contacts handled in a month, for cost per contact.

use rumbo_domain::{Invalid, Invalids};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{text, Check, Doc};

/// Contacts handled in a month, for cost per contact.
#[derive(Deserialize, Default)]
pub struct ContactsDoc {
    #[serde(default, deserialize_with = "text")]
    pub month: String,
    #[serde(default, deserialize_with = "text")]
    pub contacts: String,
}

impl ContactsDoc {
    pub fn parse(self) -> Result<(rumbo_domain::plan::budget::YearMonth, u64), Invalids> {
        let mut errors = Vec::new();
        let month = rumbo_domain::plan::budget::YearMonth::parse("month", &self.month)
            .map_err(|e| errors.push(e))
            .ok();
        let contacts = self.contacts.trim().parse::<u64>().ok();
        if contacts.is_none() {
            errors.push(Invalid::new("contacts", "error.budget.contacts"));
        }
        match (month, contacts) {
            (Some(m), Some(c)) => Ok((m, c)),
            _ => Err(Invalids(errors)),
        }
    }
}

impl Doc for ContactsDoc {
    const KIND: &'static str = "contacts";
    fn check(self, _cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        let (m, c) = self.parse()?;
        Ok((
            Some(m.to_string()),
            json!({ "month": m.to_string(), "contacts": c }),
        ))
    }
}
