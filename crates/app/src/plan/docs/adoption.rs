//! The adoption of a library practice by a team.

use rumbo_domain::plan::diffusion::Adoption;
use rumbo_domain::Invalids;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{text, Check, Doc};

#[derive(Deserialize, Default)]
pub struct AdoptionDoc {
    pub practice_id: Option<i64>,
    #[serde(default, deserialize_with = "text")]
    pub team: String,
    #[serde(default, deserialize_with = "text")]
    pub status: String,
    #[serde(default, deserialize_with = "text")]
    pub since: String,
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
        let a = self.parse()?;
        Ok((
            Some(format!("{}:{}", a.practice_id, a.team.to_lowercase())),
            json!({ "practice_id": a.practice_id, "team": a.team, "status": a.status.as_str(), "since": a.since.to_string() }),
        ))
    }
}
