//! A dated milestone, optionally tied to an objective.

use rumbo_domain::plan::objectives::{Milestone, MilestoneInput};
use rumbo_domain::Invalids;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{opt_text, text, Check, Doc};

#[derive(Deserialize, Default)]
pub struct MilestoneDoc {
    #[serde(default, deserialize_with = "text")]
    pub name: String,
    #[serde(default, deserialize_with = "text")]
    pub date: String,
    pub objective_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_text")]
    pub criterion: Option<String>,
}

impl MilestoneDoc {
    pub fn parse(self, cx: &Check) -> Result<Milestone, Invalids> {
        let mut errors = Vec::new();
        if let Some(id) = self.objective_id {
            cx.objectives(&[id], &mut errors);
        }
        let m = Milestone::parse(
            &MilestoneInput {
                name: self.name,
                date: self.date,
                objective_id: self.objective_id,
                criterion: self.criterion,
            },
            cx.programme,
        );
        match m {
            Ok(m) if errors.is_empty() => Ok(m),
            Ok(_) => Err(Invalids(errors)),
            Err(Invalids(mut e)) => {
                e.extend(errors);
                Err(Invalids(e))
            }
        }
    }
}

impl Doc for MilestoneDoc {
    const KIND: &'static str = "milestone";
    fn check(self, cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        let m = self.parse(cx)?;
        Ok((None, milestone_json(&m)))
    }
}

pub fn milestone_json(m: &Milestone) -> Value {
    json!({ "name": m.name, "date": m.date.to_string(), "objective_id": m.objective_id, "criterion": m.criterion })
}
