//! A person's competency profile.

use rumbo_domain::plan::roles::{Person, PersonInput};
use rumbo_domain::{Invalid, Invalids};
use serde::Deserialize;
use serde_json::{json, Value};

use super::role::{
    competencies, competency_json, language_json, languages, CompetencyBody, LanguageBody,
};
use super::{finish, text, Check, Doc};

/// A person's competency profile (the person is one of the organisation's people).
#[derive(Deserialize, Default)]
pub struct ProfileDoc {
    pub person_id: Option<i64>,
    #[serde(default, deserialize_with = "text")]
    pub name: String,
    #[serde(default)]
    pub competencies: Vec<CompetencyBody>,
    #[serde(default)]
    pub languages: Vec<LanguageBody>,
    #[serde(default, deserialize_with = "text")]
    pub experience_months: String,
}

impl ProfileDoc {
    pub fn parse(self) -> Result<Person, Invalids> {
        Person::try_from(PersonInput {
            name: self.name,
            competencies: competencies(self.competencies),
            languages: languages(self.languages),
            experience_months: self.experience_months,
        })
    }
}

impl Doc for ProfileDoc {
    const KIND: &'static str = "profile";
    fn check(self, cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        let mut errors = Vec::new();
        let person_id = self.person_id;
        match person_id {
            Some(_) => cx.person("person_id", person_id, &mut errors),
            None => errors.push(Invalid::new("person_id", "error.unknown.person")),
        }
        let p = self.parse().map(|p| {
            json!({
                "person_id": person_id, "name": p.name,
                "competencies": competency_json(&p.competencies),
                "languages": language_json(&p.languages),
                "experience_months": p.experience_months,
            })
        });
        finish(errors, p).map(|v| (person_id.map(|i| i.to_string()), v))
    }
}
