//! An activity of the work plan, with its dependencies.

use rumbo_domain::plan::workplan::{Activity, ActivityInput, DependencyInput};
use rumbo_domain::Invalids;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{opt_text, text, Check, Doc};

#[derive(Deserialize, Serialize, Default, Clone)]
pub struct DependencyBody {
    #[serde(default, deserialize_with = "text")]
    pub predecessor: String,
    #[serde(default)]
    pub lag_days: i32,
}

#[derive(Deserialize, Default, Clone)]
pub struct ActivityDoc {
    #[serde(default, deserialize_with = "text")]
    pub id: String,
    #[serde(default, deserialize_with = "text")]
    pub name: String,
    #[serde(default, deserialize_with = "opt_text")]
    pub start_date: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub duration_days: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub end_date: Option<String>,
    #[serde(default)]
    pub dependencies: Vec<DependencyBody>,
    pub owner_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_text")]
    pub deliverable: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub progress: Option<String>,
    #[serde(default)]
    pub milestone: bool,
    #[serde(default, deserialize_with = "opt_text")]
    pub actual_start: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub actual_finish: Option<String>,
}

impl ActivityDoc {
    pub fn parse(self) -> Result<Activity, Invalids> {
        Activity::try_from(ActivityInput {
            id: self.id,
            name: self.name,
            start_date: self.start_date,
            duration_days: self.duration_days,
            end_date: self.end_date,
            dependencies: self
                .dependencies
                .into_iter()
                .map(|d| DependencyInput {
                    predecessor: d.predecessor,
                    lag_days: d.lag_days,
                })
                .collect(),
            owner_id: self.owner_id,
            deliverable: self.deliverable,
            progress: self.progress,
            milestone: self.milestone,
            actual_start: self.actual_start,
            actual_finish: self.actual_finish,
        })
    }
}

/// The canonical document of an activity: start (if fixed) and duration, never an end date.
pub fn activity_json(a: &Activity) -> Value {
    json!({
        "id": a.id.as_str(),
        "name": a.name,
        "start_date": a.start_date.map(|d| d.to_string()),
        "duration_days": a.duration_days,
        "dependencies": a.dependencies.iter().map(|d| json!({ "predecessor": d.predecessor.as_str(), "lag_days": d.lag_days })).collect::<Vec<_>>(),
        "owner_id": a.owner_id,
        "deliverable": a.deliverable,
        "progress": a.progress,
        "milestone": a.milestone,
        "actual_start": a.actual_start.map(|d| d.to_string()),
        "actual_finish": a.actual_finish.map(|d| d.to_string()),
    })
}

impl Doc for ActivityDoc {
    const KIND: &'static str = "activity";
    fn check(self, cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        let mut errors = Vec::new();
        cx.person("owner_id", self.owner_id, &mut errors);
        let a = self.parse().map(|a| (a.id.to_string(), activity_json(&a)));
        match a {
            Ok((code, v)) if errors.is_empty() => Ok((Some(code), v)),
            Ok(_) => Err(Invalids(errors)),
            Err(Invalids(mut e)) => {
                e.extend(errors);
                Err(Invalids(e))
            }
        }
    }
}
