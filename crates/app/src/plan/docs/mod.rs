//! Plan documents: the JSON body of each plan entity, checked through `rumbo-domain`, and the
//! canonical document stored for it (one file per entity).
//!
//! A stored document has the same field names as the request body, so reading it back means
//! parsing it again through the domain: what is in the database is always something the domain
//! accepted. Numbers may arrive as JSON numbers or strings (the domain parses text, including the
//! Chilean `1.234,5` forms).

mod activity;
mod adoption;
mod amount;
mod assignment;
mod budget_line;
mod change_request;
mod communication;
mod contacts;
mod cost_rate;
mod decision;
mod diffusion;
mod meeting;
mod methodology;
mod milestone;
mod objective;
mod practice;
mod profile;
mod raci;
mod rate;
mod requirement;
mod risk;
mod role;
mod scope;
mod staffing;
mod stage;
mod supply;
mod target;

pub use activity::{activity_json, ActivityDoc, DependencyBody};
pub use adoption::AdoptionDoc;
pub use amount::AmountDoc;
pub use assignment::AssignmentDoc;
pub use budget_line::BudgetLineDoc;
pub use change_request::{change_request_json, ChangeBody, ChangeRequestDoc};
pub use communication::{communication_json, CommunicationDoc};
pub use contacts::ContactsDoc;
pub use cost_rate::CostRateDoc;
pub use decision::{decision_json, DecisionDoc};
pub use diffusion::DiffusionDoc;
pub use meeting::{meeting_json, FollowUpBody, MeetingDoc};
pub use methodology::MethodologyDoc;
pub use milestone::{milestone_json, MilestoneDoc};
pub use objective::{objective_json, ObjectiveDoc};
pub use practice::PracticeDoc;
pub use profile::ProfileDoc;
pub use raci::{RaciBody, RaciEntryBody};
pub use rate::RateDoc;
pub use requirement::RequirementDoc;
pub use risk::{risk_json, RiskDoc};
pub use role::{role_json, CompetencyBody, LanguageBody, RoleDoc};
pub use scope::{scope_json, ScopeDoc};
pub use staffing::{DayVolumes, StaffingBody};
pub use stage::{stage_json, CriterionBody, StageDoc};
pub use supply::SupplyDoc;
pub use target::{target_json, TargetDoc};

use rumbo_domain::plan::budget::Money;
use rumbo_domain::plan::ProgrammeDates;
use rumbo_domain::{Invalid, Invalids};
use serde::de::{DeserializeOwned, Deserializer};
use serde::Deserialize;
use serde_json::{json, Value};

/// What a document is checked against: the programme and what exists in its plan.
#[derive(Debug, Clone)]
pub struct Check {
    pub programme: ProgrammeDates,
    pub objective_ids: Vec<i64>,
    pub person_ids: Vec<i64>,
    pub budget_line_ids: Vec<i64>,
    pub indicators: Vec<String>,
}

impl Check {
    fn person(&self, field: &'static str, id: Option<i64>, errors: &mut Vec<Invalid>) {
        if let Some(id) = id {
            if !self.person_ids.contains(&id) {
                errors.push(Invalid::new(field, "error.unknown.person"));
            }
        }
    }

    fn objectives(&self, ids: &[i64], errors: &mut Vec<Invalid>) {
        if ids.iter().any(|i| !self.objective_ids.contains(i)) {
            errors.push(Invalid::new("objective_ids", "error.unknown.objective"));
        }
    }
}

/// A plan entity as the API and the store see it.
pub trait Doc: DeserializeOwned + Send + 'static {
    /// The `kind` column.
    const KIND: &'static str;
    /// Checks the body; returns the item's code (if the kind has one) and its canonical document.
    fn check(self, cx: &Check) -> Result<(Option<String>, Value), Invalids>;
    /// Adds computed fields (score, level, totals) to a document for responses.
    fn enrich(_data: &mut Value) {}
}

/// Accepts a string, a number, a boolean or null as text.
pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s,
        Some(other) => other.to_string(),
    })
}

/// Like [`text`], but empty or null is `None`.
pub fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let s = text(d)?;
    Ok((!s.trim().is_empty()).then_some(s))
}

/// The document if there are no reference errors; otherwise every error.
fn finish<T>(errors: Vec<Invalid>, r: Result<T, Invalids>) -> Result<T, Invalids> {
    match r {
        Ok(v) if errors.is_empty() => Ok(v),
        Ok(_) => Err(Invalids(errors)),
        Err(Invalids(mut more)) => {
            more.extend(errors);
            Err(Invalids(more))
        }
    }
}

/// An amount as plain decimal text in its currency (`38362.2600`), without the code.
pub fn plain(m: Money) -> String {
    let s = m.to_string();
    s.split(' ').next().unwrap_or_default().to_string()
}

/// A decimal number printed without a useless fraction (`80`, `82.5`).
fn number(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        json!(v as i64)
    } else {
        json!(v)
    }
}

/// Parses a stored document back through its body type.
pub fn reparse<T: DeserializeOwned>(data: &Value) -> Option<T> {
    serde_json::from_value(data.clone()).ok()
}
