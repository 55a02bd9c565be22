//! A decision recorded on its own (meetings carry theirs).

use rumbo_domain::plan::coordination::{Decision, DecisionInput};
use rumbo_domain::Invalids;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{finish, opt_text, text, Check, Doc};

#[derive(Deserialize, Default)]
pub struct DecisionDoc {
    #[serde(default, deserialize_with = "text")]
    pub date: String,
    #[serde(default, deserialize_with = "text")]
    pub summary: String,
    #[serde(default, deserialize_with = "opt_text")]
    pub rationale: Option<String>,
    pub decided_by: Option<i64>,
    pub meeting_id: Option<i64>,
}

pub fn decision_json(d: &Decision) -> Value {
    json!({
        "date": d.date.to_string(), "summary": d.summary, "rationale": d.rationale,
        "decided_by": d.decided_by, "meeting_id": d.meeting_id,
    })
}

impl Doc for DecisionDoc {
    const KIND: &'static str = "decision";
    fn check(self, cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        let mut errors = Vec::new();
        cx.person("decided_by", self.decided_by, &mut errors);
        let d = Decision::try_from(DecisionInput {
            date: self.date,
            summary: self.summary,
            rationale: self.rationale,
            decided_by: self.decided_by,
            meeting_id: self.meeting_id,
        })
        .map(|d| decision_json(&d));
        finish(errors, d).map(|v| (None, v))
    }
}
