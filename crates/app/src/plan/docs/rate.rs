//! A dated exchange rate (UF, USD) for showing figures in another currency.

use rumbo_domain::plan::budget::{Currency, Rate};
use rumbo_domain::{Invalid, Invalids};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{text, Check, Doc};

/// A dated exchange rate for showing UF or USD figures.
#[derive(Deserialize, Default)]
pub struct RateDoc {
    #[serde(default, deserialize_with = "text")]
    pub base: String,
    #[serde(default, deserialize_with = "text")]
    pub quote: String,
    #[serde(default, deserialize_with = "text")]
    pub date: String,
    #[serde(default, deserialize_with = "text")]
    pub value: String,
}

impl RateDoc {
    pub fn parse(self) -> Result<Rate, Invalids> {
        let base = Currency::parse(&self.base)
            .map_err(|_| Invalid::new("base", "error.money.currency"))?;
        let quote = Currency::parse(if self.quote.trim().is_empty() {
            "CLP"
        } else {
            &self.quote
        })
        .map_err(|_| Invalid::new("quote", "error.money.currency"))?;
        Rate::parse(base, quote, &self.date, &self.value)
    }
}

impl Doc for RateDoc {
    const KIND: &'static str = "rate";
    fn check(self, _cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        let value = self.value.clone();
        let r = self.parse()?;
        Ok((
            Some(format!(
                "{}:{}:{}",
                r.base().code(),
                r.quote().code(),
                r.date()
            )),
            json!({ "base": r.base().code(), "quote": r.quote().code(), "date": r.date().to_string(), "value": value.trim() }),
        ))
    }
}
