//! A meeting with its agenda, attendees, minutes, decisions and follow-up tasks.

use rumbo_domain::plan::coordination::{FollowUpInput, Meeting, MeetingInput};
use rumbo_domain::Invalids;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{opt_text, text, Check, Doc};

#[derive(Deserialize, Serialize, Default, Clone)]
pub struct FollowUpBody {
    #[serde(default, deserialize_with = "text")]
    pub task: String,
    pub owner_id: Option<i64>,
    #[serde(default, deserialize_with = "text")]
    pub due_date: String,
}

#[derive(Deserialize, Default)]
pub struct MeetingDoc {
    #[serde(default, deserialize_with = "text")]
    pub title: String,
    #[serde(default, deserialize_with = "text")]
    pub date: String,
    #[serde(default)]
    pub agenda: Vec<String>,
    #[serde(default)]
    pub attendees: Vec<i64>,
    #[serde(default, deserialize_with = "opt_text")]
    pub minutes: Option<String>,
    #[serde(default)]
    pub decisions: Vec<String>,
    #[serde(default)]
    pub follow_ups: Vec<FollowUpBody>,
}

impl MeetingDoc {
    pub fn parse(self, cx: &Check) -> Result<Meeting, Invalids> {
        let mut errors = Vec::new();
        for a in &self.attendees {
            cx.person("attendees", Some(*a), &mut errors);
        }
        for f in &self.follow_ups {
            cx.person("follow_ups", f.owner_id, &mut errors);
        }
        let m = Meeting::try_from(MeetingInput {
            title: self.title,
            date: self.date,
            agenda: self.agenda,
            attendees: self.attendees,
            minutes: self.minutes,
            decisions: self.decisions,
            follow_ups: self
                .follow_ups
                .into_iter()
                .map(|f| FollowUpInput {
                    task: f.task,
                    owner_id: f.owner_id,
                    due_date: f.due_date,
                })
                .collect(),
        });
        errors.dedup();
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

pub fn meeting_json(m: &Meeting) -> Value {
    json!({
        "title": m.title, "date": m.date.to_string(), "agenda": m.agenda, "attendees": m.attendees,
        "minutes": m.minutes, "decisions": m.decisions,
        "follow_ups": m.follow_ups.iter().map(|f| json!({ "task": f.task, "owner_id": f.owner_id, "due_date": f.due_date.to_string() })).collect::<Vec<_>>(),
    })
}

impl Doc for MeetingDoc {
    const KIND: &'static str = "meeting";
    fn check(self, cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        let m = self.parse(cx)?;
        Ok((None, meeting_json(&m)))
    }
}
