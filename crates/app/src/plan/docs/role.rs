//! A role of the programme with the competencies, languages and experience it needs, and the
//! competency and language bodies shared with profiles.

use rumbo_domain::plan::roles::{CompetencyInput, LanguageInput, RoleDef, RoleInput};
use rumbo_domain::Invalids;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{text, Check, Doc};

#[derive(Deserialize, Serialize, Default, Clone)]
pub struct CompetencyBody {
    #[serde(default, deserialize_with = "text")]
    pub name: String,
    #[serde(default, deserialize_with = "text")]
    pub kind: String,
    #[serde(default, deserialize_with = "text")]
    pub level: String,
}

#[derive(Deserialize, Serialize, Default, Clone)]
pub struct LanguageBody {
    #[serde(default, deserialize_with = "text")]
    pub language: String,
    #[serde(default, deserialize_with = "text")]
    pub level: String,
}

pub(super) fn competencies(v: Vec<CompetencyBody>) -> Vec<CompetencyInput> {
    v.into_iter()
        .map(|c| CompetencyInput {
            name: c.name,
            kind: c.kind,
            level: c.level,
        })
        .collect()
}

pub(super) fn languages(v: Vec<LanguageBody>) -> Vec<LanguageInput> {
    v.into_iter()
        .map(|l| LanguageInput {
            language: l.language,
            level: l.level,
        })
        .collect()
}

pub(super) fn competency_json(c: &[rumbo_domain::plan::roles::Competency]) -> Value {
    Value::Array(
        c.iter()
            .map(|c| json!({ "name": c.name, "kind": c.kind.as_str(), "level": c.level.get() }))
            .collect(),
    )
}

pub(super) fn language_json(l: &[rumbo_domain::plan::roles::LanguageSkill]) -> Value {
    Value::Array(
        l.iter()
            .map(|l| json!({ "language": l.language, "level": l.level.as_str() }))
            .collect(),
    )
}

#[derive(Deserialize, Default)]
pub struct RoleDoc {
    #[serde(default, deserialize_with = "text")]
    pub name: String,
    #[serde(default)]
    pub competencies: Vec<CompetencyBody>,
    #[serde(default)]
    pub languages: Vec<LanguageBody>,
    #[serde(default, deserialize_with = "text")]
    pub min_experience_months: String,
}

impl RoleDoc {
    pub fn parse(self) -> Result<RoleDef, Invalids> {
        RoleDef::try_from(RoleInput {
            name: self.name,
            competencies: competencies(self.competencies),
            languages: languages(self.languages),
            min_experience_months: self.min_experience_months,
        })
    }
}

impl Doc for RoleDoc {
    const KIND: &'static str = "role";
    fn check(self, _cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        let r = self.parse()?;
        Ok((Some(r.name.to_lowercase()), role_json(&r)))
    }
}

pub fn role_json(r: &RoleDef) -> Value {
    json!({
        "name": r.name,
        "competencies": competency_json(&r.competencies),
        "languages": language_json(&r.languages),
        "min_experience_months": r.min_experience_months,
    })
}
