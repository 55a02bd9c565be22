//! A planned or actual amount of a budget line for a month.

use rumbo_domain::plan::budget::{LineAmount, LineAmountInput};
use rumbo_domain::{Invalid, Invalids};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{plain, text, Check, Doc};

/// A planned or actual amount of a budget line for a month.
#[derive(Deserialize, Default)]
pub struct AmountDoc {
    pub line_id: Option<i64>,
    #[serde(default, deserialize_with = "text")]
    pub month: String,
    /// `planned` or `actual`.
    #[serde(default, deserialize_with = "text")]
    pub kind: String,
    #[serde(default, deserialize_with = "text")]
    pub amount: String,
    #[serde(default, deserialize_with = "text")]
    pub currency: String,
}

impl AmountDoc {
    /// The amount and whether it is actual (true) or planned (false).
    pub fn parse(self, cx: &Check) -> Result<(LineAmount, bool), Invalids> {
        let mut errors = Vec::new();
        let line_id = self.line_id.unwrap_or(-1);
        if !cx.budget_line_ids.contains(&line_id) {
            errors.push(Invalid::new("line_id", "error.budget.line"));
        }
        let actual = match self.kind.trim() {
            "planned" => Some(false),
            "actual" => Some(true),
            _ => {
                errors.push(Invalid::new("kind", "error.budget.amount_kind"));
                None
            }
        };
        let a = LineAmount::try_from(LineAmountInput {
            line_id,
            month: self.month,
            amount: self.amount,
            currency: if self.currency.trim().is_empty() {
                "CLP".into()
            } else {
                self.currency
            },
        });
        match (a, actual) {
            (Ok(a), Some(actual)) if errors.is_empty() => Ok((a, actual)),
            (Err(Invalids(mut e)), _) => {
                e.extend(errors);
                Err(Invalids(e))
            }
            _ => Err(Invalids(errors)),
        }
    }
}

impl Doc for AmountDoc {
    const KIND: &'static str = "budget_amount";
    fn check(self, cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        let (a, actual) = self.parse(cx)?;
        let kind = if actual { "actual" } else { "planned" };
        Ok((
            Some(format!("{}:{}:{kind}", a.line_id, a.month)),
            json!({
                "line_id": a.line_id, "month": a.month.to_string(), "kind": kind,
                "amount": plain(a.amount), "currency": a.amount.currency().code(),
            }),
        ))
    }
}
