//! A budget line (category and description).

use rumbo_domain::plan::budget::BudgetLine;
use rumbo_domain::Invalids;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{text, Check, Doc};

#[derive(Deserialize, Default)]
pub struct BudgetLineDoc {
    #[serde(default, deserialize_with = "text")]
    pub category: String,
    #[serde(default, deserialize_with = "text")]
    pub description: String,
}

impl Doc for BudgetLineDoc {
    const KIND: &'static str = "budget_line";
    fn check(self, _cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        let l = BudgetLine::parse(0, &self.category, &self.description)?;
        Ok((
            None,
            json!({ "category": l.category.as_str(), "description": l.description }),
        ))
    }
}
