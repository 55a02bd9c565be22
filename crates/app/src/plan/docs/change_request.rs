//! A change request to the plan, and its decision.

use rumbo_domain::plan::coordination::{ChangeRequest, ChangeRequestInput};
use rumbo_domain::Invalids;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{finish, opt_text, text, Check, Doc};

#[derive(Deserialize, Serialize, Default, Clone)]
pub struct ChangeBody {
    #[serde(default, deserialize_with = "text")]
    pub key: String,
    #[serde(default, deserialize_with = "text")]
    pub value: String,
}

#[derive(Deserialize, Default, Clone)]
pub struct ChangeRequestDoc {
    #[serde(default, deserialize_with = "text")]
    pub kind: String,
    #[serde(default, deserialize_with = "text")]
    pub reason: String,
    #[serde(default, deserialize_with = "text")]
    pub impact: String,
    #[serde(default)]
    pub changes: Vec<ChangeBody>,
    pub requested_by: Option<i64>,
    /// Set by the server: `proposed`, `approved`, `rejected`.
    #[serde(default, deserialize_with = "opt_text")]
    pub status: Option<String>,
    pub decided_by: Option<i64>,
    #[serde(default, deserialize_with = "opt_text")]
    pub decided_on: Option<String>,
}

impl ChangeRequestDoc {
    pub fn parse(self) -> Result<ChangeRequest, Invalids> {
        let status = self.status.clone();
        let decided_by = self.decided_by;
        let decided_on = self.decided_on.clone();
        let mut cr = ChangeRequest::try_from(ChangeRequestInput {
            kind: self.kind,
            reason: self.reason,
            impact: self.impact,
            changes: self.changes.into_iter().map(|c| (c.key, c.value)).collect(),
            requested_by: self.requested_by,
        })?;
        if let Some(s) = status {
            cr.status = rumbo_domain::plan::coordination::ChangeStatus::parse(&s)?;
        }
        cr.decided_by = decided_by;
        cr.decided_on = decided_on.and_then(|d| d.parse().ok());
        Ok(cr)
    }
}

pub fn change_request_json(cr: &ChangeRequest) -> Value {
    json!({
        "kind": cr.kind.as_str(), "reason": cr.reason, "impact": cr.impact,
        "changes": cr.changes.iter().map(|c| json!({ "key": c.key.to_string(), "value": crate::plan::compute::value_text(&c.value) })).collect::<Vec<_>>(),
        "requested_by": cr.requested_by, "status": cr.status.as_str(),
        "decided_by": cr.decided_by, "decided_on": cr.decided_on.map(|d| d.to_string()),
    })
}

impl Doc for ChangeRequestDoc {
    const KIND: &'static str = "change_request";
    fn check(mut self, cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        // New requests are always proposed; decisions go through approve/reject.
        self.status = None;
        self.decided_by = None;
        self.decided_on = None;
        let mut errors = Vec::new();
        cx.person("requested_by", self.requested_by, &mut errors);
        let cr = self.parse().map(|cr| change_request_json(&cr));
        finish(errors, cr).map(|v| (None, v))
    }
}
