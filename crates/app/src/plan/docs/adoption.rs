//! The adoption of a library practice by a team.

use rumbo_domain::plan::diffusion::Adoption;
use rumbo_domain::Invalids;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{opt_text, text, Check, Doc};

#[derive(Deserialize, Default)]
pub struct AdoptionDoc {
    pub practice_id: Option<i64>,
    #[serde(default, deserialize_with = "text")]
    pub team: String,
    #[serde(default, deserialize_with = "text")]
    pub status: String,
    #[serde(default, deserialize_with = "text")]
    pub since: String,
    /// What came of it (figures before and after, what the team observed).
    #[serde(default, deserialize_with = "opt_text")]
    pub result: Option<String>,
    /// Who recorded the adoption (set by the use case, not by the body).
    #[serde(skip)]
    pub adopted_by: Option<String>,
}

impl AdoptionDoc {
    pub fn parse(self) -> Result<Adoption, Invalids> {
        Adoption::parse(
            self.practice_id.unwrap_or(-1),
            &self.team,
            &self.status,
            &self.since,
        )
    }
}

impl Doc for AdoptionDoc {
    const KIND: &'static str = "adoption";
    fn check(self, _cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        let result = self.result.clone().unwrap_or_default().trim().to_string();
        let by = self.adopted_by.clone();
        let a = self.parse()?;
        if result.chars().count() > 2000 {
            return Err(rumbo_domain::Invalid::new("result", "error.lesson.too_long").into());
        }
        Ok((
            Some(format!("{}:{}", a.practice_id, a.team.to_lowercase())),
            json!({ "practice_id": a.practice_id, "team": a.team, "status": a.status.as_str(), "since": a.since.to_string(),
                    "result": result, "adopted_by": by }),
        ))
    }
}
