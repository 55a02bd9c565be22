//! A stage of the programme with its entry and exit criteria (gates).

use rumbo_domain::plan::strategy::{Stage, StageInput};
use rumbo_domain::{Invalid, Invalids};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{opt_text, text, Check, Doc};

/// A gate criterion as text, or with its `met` flag.
#[derive(Deserialize, Serialize, Clone)]
#[serde(untagged)]
pub enum CriterionBody {
    Text(String),
    Full {
        text: String,
        #[serde(default)]
        met: bool,
    },
}

impl CriterionBody {
    fn parts(&self) -> (String, bool) {
        match self {
            CriterionBody::Text(t) => (t.clone(), false),
            CriterionBody::Full { text, met } => (text.clone(), *met),
        }
    }
}

#[derive(Deserialize, Default)]
pub struct StageDoc {
    #[serde(default, deserialize_with = "text")]
    pub name: String,
    #[serde(default)]
    pub position: u32,
    #[serde(default, deserialize_with = "opt_text")]
    pub start_date: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub end_date: Option<String>,
    #[serde(default)]
    pub entry_criteria: Vec<CriterionBody>,
    #[serde(default)]
    pub exit_criteria: Vec<CriterionBody>,
    #[serde(default)]
    pub expected_results: Vec<String>,
}

impl StageDoc {
    pub fn parse(self) -> Result<Stage, Invalids> {
        let entry: Vec<(String, bool)> = self.entry_criteria.iter().map(|c| c.parts()).collect();
        let exit: Vec<(String, bool)> = self.exit_criteria.iter().map(|c| c.parts()).collect();
        let mut s = Stage::try_from(StageInput {
            name: self.name,
            position: self.position,
            start_date: self.start_date,
            end_date: self.end_date,
            entry_criteria: entry.iter().map(|c| c.0.clone()).collect(),
            exit_criteria: exit.iter().map(|c| c.0.clone()).collect(),
            expected_results: self.expected_results,
        })?;
        let met =
            |list: &[(String, bool)], text: &str| list.iter().any(|c| c.0.trim() == text && c.1);
        for c in s.entry_criteria.iter_mut() {
            c.met = met(&entry, &c.text);
        }
        for c in s.exit_criteria.iter_mut() {
            c.met = met(&exit, &c.text);
        }
        Ok(s)
    }
}

pub fn stage_json(s: &Stage) -> Value {
    let crit = |v: &[rumbo_domain::plan::strategy::Criterion]| {
        v.iter()
            .map(|c| json!({ "text": c.text, "met": c.met }))
            .collect::<Vec<_>>()
    };
    json!({
        "name": s.name,
        "position": s.position,
        "start_date": s.start_date.map(|d| d.to_string()),
        "end_date": s.end_date.map(|d| d.to_string()),
        "entry_criteria": crit(&s.entry_criteria),
        "exit_criteria": crit(&s.exit_criteria),
        "expected_results": s.expected_results,
    })
}

impl Doc for StageDoc {
    const KIND: &'static str = "stage";
    fn check(self, cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        let s = self.parse()?;
        let outside = [s.start_date, s.end_date]
            .into_iter()
            .flatten()
            .any(|d| !cx.programme.contains(d));
        if outside {
            return Err(Invalid::new("start_date", "error.stage.outside_programme").into());
        }
        Ok((Some(s.position.to_string()), stage_json(&s)))
    }
    fn enrich(data: &mut Value) {
        if let Ok(Ok(s)) = serde_json::from_value::<StageDoc>(data.clone()).map(StageDoc::parse) {
            data["can_enter"] = json!(s.can_enter());
            data["can_exit"] = json!(s.can_exit());
        }
    }
}
