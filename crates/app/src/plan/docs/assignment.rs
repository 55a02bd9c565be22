//! A person assigned to a role for a period, with an allocation.

use rumbo_domain::plan::roles::{Assignment, AssignmentInput};
use rumbo_domain::{Invalid, Invalids};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{finish, text, Check, Doc};

#[derive(Deserialize, Default)]
pub struct AssignmentDoc {
    pub person_id: Option<i64>,
    #[serde(default, deserialize_with = "text")]
    pub role: String,
    #[serde(default, deserialize_with = "text")]
    pub from: String,
    #[serde(default, deserialize_with = "text")]
    pub to: String,
    #[serde(default, deserialize_with = "text")]
    pub allocation: String,
}

impl AssignmentDoc {
    pub fn parse(self) -> Result<Assignment, Invalids> {
        Assignment::try_from(AssignmentInput {
            person_id: self.person_id.unwrap_or(-1),
            role: self.role,
            from: self.from,
            to: self.to,
            allocation: self.allocation,
        })
    }
}

impl Doc for AssignmentDoc {
    const KIND: &'static str = "assignment";
    fn check(self, cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        let mut errors = Vec::new();
        match self.person_id {
            Some(_) => cx.person("person_id", self.person_id, &mut errors),
            None => errors.push(Invalid::new("person_id", "error.unknown.person")),
        }
        let a = self.parse().map(|a| {
            json!({
                "person_id": a.person_id, "role": a.role, "from": a.from.to_string(),
                "to": a.to.to_string(), "allocation": a.allocation,
            })
        });
        finish(errors, a).map(|v| (None, v))
    }
}
