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
mod calendar;
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
pub use calendar::CalendarDoc;
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn check() -> Check {
        Check {
            programme: ProgrammeDates::new(
                "2026-03-02".parse().unwrap(),
                Some("2026-12-31".parse().unwrap()),
            )
            .unwrap(),
            objective_ids: vec![10],
            person_ids: vec![1, 2],
            budget_line_ids: vec![5],
            indicators: vec!["conversion".into()],
        }
    }

    fn doc<T: Doc>(v: Value) -> T {
        serde_json::from_value(v).unwrap()
    }

    fn keys(r: Result<(Option<String>, Value), Invalids>) -> Vec<&'static str> {
        r.err()
            .map(|e| e.0.iter().map(|i| i.key).collect())
            .unwrap_or_default()
    }

    #[test]
    fn numbers_and_chilean_decimals_are_accepted_as_text() {
        let (_, data) = doc::<CostRateDoc>(json!({
            "role": "Ejecutivo", "hourly_cost": "5.200", "employer_charges": 24.5
        }))
        .check(&check())
        .unwrap();
        assert_eq!(data["hourly_cost"], "5200");
        assert_eq!(data["currency"], "CLP", "pesos unless told otherwise");
        assert_eq!(data["employer_charges"], "24.50");
    }

    #[test]
    fn a_risk_is_stored_canonically_and_shown_with_its_score_and_level() {
        let (code, mut data) = doc::<RiskDoc>(json!({
            "cause": "c", "event": "e", "effect": "f", "probability": "4", "impact": 5,
            "owner_id": 1, "review_date": "2026-06-01",
        }))
        .check(&check())
        .unwrap();
        assert_eq!(code, None);
        assert_eq!(data["probability"], 4);
        assert_eq!(data["status"], "open");
        RiskDoc::enrich(&mut data);
        assert_eq!(data["score"], 20);
        assert_eq!(data["level"], "critical");
    }

    #[test]
    fn references_to_unknown_objectives_people_and_lines_are_refused_with_the_other_errors() {
        let target = doc::<TargetDoc>(json!({
            "objective_id": 99, "indicator": "conversion", "target": 6, "direction": "higher",
            "tolerance": 0.5, "granularity": "month", "period_start": "2026-03-30",
            "period_end": "2026-12-31", "owner_id": 42,
        }));
        let k = keys(target.check(&check()));
        assert!(k.contains(&"error.unknown.objective"), "{k:?}");
        assert!(k.contains(&"error.unknown.person"), "{k:?}");
        let amount = doc::<AmountDoc>(json!({
            "line_id": 6, "month": "2026-03", "kind": "forecast", "amount": 1000
        }));
        let k = keys(amount.check(&check()));
        assert_eq!(k, ["error.budget.line", "error.budget.amount_kind"]);
    }

    #[test]
    fn upserted_kinds_are_coded_by_what_makes_them_unique() {
        let (code, _) = doc::<AmountDoc>(json!({
            "line_id": 5, "month": "2026-03", "kind": "actual", "amount": "1.000"
        }))
        .check(&check())
        .unwrap();
        assert_eq!(code.as_deref(), Some("5:2026-03:actual"));
        let (code, _) = doc::<ContactsDoc>(json!({ "month": "2026-04", "contacts": 900 }))
            .check(&check())
            .unwrap();
        assert_eq!(code.as_deref(), Some("2026-04"));
        let (code, _) =
            doc::<RoleDoc>(json!({ "name": "Supervisor", "min_experience_months": 12 }))
                .check(&check())
                .unwrap();
        assert_eq!(code.as_deref(), Some("supervisor"));
    }

    #[test]
    fn a_stage_outside_the_programme_is_refused() {
        let stage = doc::<StageDoc>(json!({
            "name": "Cierre", "position": 4, "start_date": "2026-12-01", "end_date": "2027-01-15",
            "entry_criteria": ["Operación terminada"], "exit_criteria": ["Informe entregado"],
        }));
        assert_eq!(
            keys(stage.check(&check())),
            ["error.stage.outside_programme"]
        );
    }

    #[test]
    fn a_new_change_request_is_always_proposed() {
        let (_, data) = doc::<ChangeRequestDoc>(json!({
            "kind": "dates", "reason": "Atraso", "impact": "Dos días", "requested_by": 1,
            "changes": [{ "key": "activity.A.duration", "value": "5" }],
            "status": "approved", "decided_by": 2, "decided_on": "2026-04-01",
        }))
        .check(&check())
        .unwrap();
        assert_eq!(data["status"], "proposed");
        assert!(data["decided_by"].is_null() && data["decided_on"].is_null());
    }

    #[test]
    fn an_activity_is_stored_with_its_duration_never_an_end_date() {
        let (code, data) = doc::<ActivityDoc>(json!({
            "id": "A01", "name": "Inicio", "start_date": "2026-03-02", "end_date": "2026-03-06"
        }))
        .check(&check())
        .unwrap();
        assert_eq!(code.as_deref(), Some("A01"));
        assert!(data.get("end_date").is_none());
        assert_eq!(data["duration_days"], 5);
    }
}
