//! A diffusion activity (training, launch…) and its reach.

use rumbo_domain::plan::diffusion::{DiffusionActivity, DiffusionInput};
use rumbo_domain::Invalids;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{finish, opt_text, text, Check, Doc};

#[derive(Deserialize, Default)]
pub struct DiffusionDoc {
    #[serde(default, deserialize_with = "text")]
    pub kind: String,
    #[serde(default, deserialize_with = "text")]
    pub title: String,
    #[serde(default, deserialize_with = "text")]
    pub date: String,
    #[serde(default)]
    pub objective_ids: Vec<i64>,
    #[serde(default, deserialize_with = "text")]
    pub audience: String,
    #[serde(default, deserialize_with = "text")]
    pub audience_planned: String,
    #[serde(default, deserialize_with = "opt_text")]
    pub audience_reached: Option<String>,
}

impl DiffusionDoc {
    pub fn parse(self) -> Result<DiffusionActivity, Invalids> {
        DiffusionActivity::try_from(DiffusionInput {
            kind: self.kind,
            title: self.title,
            date: self.date,
            objective_ids: self.objective_ids,
            audience: self.audience,
            audience_planned: self.audience_planned,
            audience_reached: self.audience_reached,
        })
    }
}

impl Doc for DiffusionDoc {
    const KIND: &'static str = "diffusion";
    fn check(self, cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        let mut errors = Vec::new();
        cx.objectives(&self.objective_ids, &mut errors);
        let d = self.parse().map(|d| {
            json!({
                "kind": d.kind.as_str(), "title": d.title, "date": d.date.to_string(),
                "objective_ids": d.objective_ids, "audience": d.audience,
                "audience_planned": d.audience_planned, "audience_reached": d.audience_reached,
            })
        });
        finish(errors, d).map(|v| (None, v))
    }
    fn enrich(data: &mut Value) {
        if let Ok(Ok(d)) =
            serde_json::from_value::<DiffusionDoc>(data.clone()).map(DiffusionDoc::parse)
        {
            data["reach"] = json!(d.reach());
        }
    }
}
