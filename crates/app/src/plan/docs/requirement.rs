//! A client requirement and where it comes from (contract clause, meeting…).

use rumbo_domain::plan::objectives::{ClientRequirement, RequirementInput};
use rumbo_domain::Invalids;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{finish, text, Check, Doc};

#[derive(Deserialize, Default)]
pub struct RequirementDoc {
    #[serde(default, deserialize_with = "text")]
    pub text: String,
    #[serde(default, deserialize_with = "text")]
    pub source_kind: String,
    #[serde(default, deserialize_with = "text")]
    pub source_ref: String,
    #[serde(default)]
    pub objective_ids: Vec<i64>,
}

impl Doc for RequirementDoc {
    const KIND: &'static str = "requirement";
    fn check(self, cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        let mut errors = Vec::new();
        cx.objectives(&self.objective_ids, &mut errors);
        let r = ClientRequirement::try_from(RequirementInput {
            text: self.text,
            source_kind: self.source_kind,
            source_ref: self.source_ref,
            objective_ids: self.objective_ids,
        })
        .map(|r| {
            json!({ "text": r.text, "source_kind": r.source_kind.as_str(), "source_ref": r.source_ref, "objective_ids": r.objective_ids })
        });
        finish(errors, r).map(|v| (None, v))
    }
}
