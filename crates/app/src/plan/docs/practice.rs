//! A best practice of the library (belongs to no programme).

use rumbo_domain::plan::diffusion::{BestPractice, PracticeInput};
use rumbo_domain::Invalids;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{opt_text, text, Check, Doc};

#[derive(Deserialize, Default)]
pub struct PracticeDoc {
    #[serde(default, deserialize_with = "text")]
    pub title: String,
    #[serde(default, deserialize_with = "text")]
    pub context: String,
    #[serde(default, deserialize_with = "text")]
    pub practice: String,
    #[serde(default, deserialize_with = "opt_text")]
    pub evidence: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub source_programme: Option<String>,
}

impl Doc for PracticeDoc {
    const KIND: &'static str = "practice";
    fn check(self, _cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        let p = BestPractice::try_from(PracticeInput {
            title: self.title,
            context: self.context,
            practice: self.practice,
            evidence: self.evidence,
            tags: self.tags,
            source_programme: self.source_programme,
        })?;
        Ok((
            None,
            json!({
                "title": p.title, "context": p.context, "practice": p.practice, "evidence": p.evidence,
                "tags": p.tags, "source_programme": p.source_programme.map(|c| c.to_string()),
            }),
        ))
    }
}
