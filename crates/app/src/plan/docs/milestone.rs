//! A dated milestone, optionally tied to an objective.

use rumbo_domain::plan::objectives::{Milestone, MilestoneInput, MilestoneStatus};
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
    /// `pending` (the default) or `met`; a pending milestone past its date shows as late.
    #[serde(default, deserialize_with = "opt_text")]
    pub status: Option<String>,
}

impl MilestoneDoc {
    pub fn parse(self, cx: &Check) -> Result<Milestone, Invalids> {
        let mut errors = Vec::new();
        if let Some(id) = self.objective_id {
            cx.objectives(&[id], &mut errors);
        }
        if let Some(s) = &self.status {
            if let Err(e) = MilestoneStatus::parse(s) {
                errors.push(e);
            }
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
        let status = self.status.clone();
        let m = self.parse(cx)?;
        let mut data = milestone_json(&m);
        let status = status
            .and_then(|s| MilestoneStatus::parse(&s).ok())
            .unwrap_or_default();
        data["status"] = json!(status.as_str());
        Ok((None, data))
    }
}

pub fn milestone_json(m: &Milestone) -> Value {
    json!({ "name": m.name, "date": m.date.to_string(), "objective_id": m.objective_id, "criterion": m.criterion })
}
