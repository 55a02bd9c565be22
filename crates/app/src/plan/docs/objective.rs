//! An objective of the programme and its expected results.

use rumbo_domain::plan::objectives::{Objective, ObjectiveInput};
use rumbo_domain::Invalids;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{opt_text, text, Check, Doc};

#[derive(Deserialize, Serialize, Default)]
pub struct ObjectiveDoc {
    #[serde(default, deserialize_with = "text")]
    pub title: String,
    #[serde(default, deserialize_with = "opt_text")]
    pub description: Option<String>,
    #[serde(default)]
    pub expected_results: Vec<String>,
}

impl Doc for ObjectiveDoc {
    const KIND: &'static str = "objective";
    fn check(self, _cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        let o = Objective::try_from(ObjectiveInput {
            title: self.title,
            description: self.description,
            expected_results: self.expected_results,
        })?;
        Ok((None, objective_json(&o)))
    }
}

/// Canonical documents of domain values (shared by checks and templates).
pub fn objective_json(o: &Objective) -> Value {
    json!({ "title": o.title, "description": o.description, "expected_results": o.expected_results })
}
