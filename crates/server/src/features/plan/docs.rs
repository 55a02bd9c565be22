//! Plan documents: the JSON body of each plan entity, checked through `rumbo-domain`, and the
//! canonical document stored for it.
//!
//! A stored document has the same field names as the request body, so reading it back means
//! parsing it again through the domain: what is in the database is always something the domain
//! accepted. Numbers may arrive as JSON numbers or strings (the domain parses text, including the
//! Chilean `1.234,5` forms).

use rumbo_domain::plan::budget::{BudgetLine, Currency, LineAmount, LineAmountInput, Money, Rate};
use rumbo_domain::plan::budget::{CostRate, CostRateInput, Supply, SupplyInput};
use rumbo_domain::plan::coordination::{
    ChangeRequest, ChangeRequestInput, CommunicationInput, CommunicationItem, Decision,
    DecisionInput, FollowUpInput, Meeting, MeetingInput,
};
use rumbo_domain::plan::diffusion::{
    Adoption, BestPractice, DiffusionActivity, DiffusionInput, PracticeInput,
};
use rumbo_domain::plan::objectives::{
    ClientRequirement, KpiTarget, KpiTargetInput, Milestone, MilestoneInput, Objective,
    ObjectiveInput, RequirementInput,
};
use rumbo_domain::plan::roles::{
    Assignment, AssignmentInput, CompetencyInput, LanguageInput, Person, PersonInput, RoleDef,
    RoleInput,
};
use rumbo_domain::plan::strategy::{Risk, RiskInput, ScopeItem, Stage, StageInput};
use rumbo_domain::plan::workplan::{Activity, ActivityInput, DependencyInput};
use rumbo_domain::plan::ProgrammeDates;
use rumbo_domain::{Invalid, Invalids};
use serde::de::{DeserializeOwned, Deserializer};
use serde::{Deserialize, Serialize};
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

fn finish(errors: Vec<Invalid>, r: Result<Value, Invalids>) -> Result<Value, Invalids> {
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

#[derive(Deserialize, Serialize, Default)]
pub struct ObjectiveDoc {
    #[serde(default, deserialize_with = "text")]
    pub title: String,
    #[serde(default, deserialize_with = "opt_text")]
    pub description: Option<String>,
    #[serde(default)]
    pub expected_results: Vec<String>,
}

impl Doc for ObjectiveDoc {
    const KIND: &'static str = "objective";
    fn check(self, _cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        let o = Objective::try_from(ObjectiveInput {
            title: self.title,
            description: self.description,
            expected_results: self.expected_results,
        })?;
        Ok((None, objective_json(&o)))
    }
}

#[derive(Deserialize, Default)]
pub struct TargetDoc {
    pub objective_id: Option<i64>,
    #[serde(default, deserialize_with = "text")]
    pub indicator: String,
    #[serde(default, deserialize_with = "text")]
    pub target: String,
    #[serde(default, deserialize_with = "text")]
    pub direction: String,
    #[serde(default, deserialize_with = "text")]
    pub tolerance: String,
    #[serde(default, deserialize_with = "text")]
    pub granularity: String,
    #[serde(default, deserialize_with = "text")]
    pub period_start: String,
    #[serde(default, deserialize_with = "text")]
    pub period_end: String,
    pub owner_id: Option<i64>,
}

impl TargetDoc {
    pub fn parse(self, cx: &Check) -> Result<(Option<i64>, KpiTarget), Invalids> {
        let mut errors = Vec::new();
        match self.objective_id {
            Some(id) => cx.objectives(&[id], &mut errors),
            None => errors.push(Invalid::new("objective_id", "error.objective.required")),
        }
        cx.person("owner_id", self.owner_id, &mut errors);
        let indicators: Vec<&str> = cx.indicators.iter().map(String::as_str).collect();
        let t = KpiTarget::parse(
            &KpiTargetInput {
                indicator: self.indicator,
                target: self.target,
                direction: self.direction,
                tolerance: self.tolerance,
                granularity: self.granularity,
                period_start: self.period_start,
                period_end: self.period_end,
                owner_id: self.owner_id,
            },
            &indicators,
            cx.programme,
        );
        match t {
            Ok(t) if errors.is_empty() => Ok((self.objective_id, t)),
            Ok(_) => Err(Invalids(errors)),
            Err(Invalids(mut e)) => {
                e.extend(errors);
                Err(Invalids(e))
            }
        }
    }
}

impl Doc for TargetDoc {
    const KIND: &'static str = "target";
    fn check(self, cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        let (objective_id, t) = self.parse(cx)?;
        Ok((None, target_json(objective_id, &t)))
    }
}

#[derive(Deserialize, Default)]
pub struct MilestoneDoc {
    #[serde(default, deserialize_with = "text")]
    pub name: String,
    #[serde(default, deserialize_with = "text")]
    pub date: String,
    pub objective_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_text")]
    pub criterion: Option<String>,
}

impl MilestoneDoc {
    pub fn parse(self, cx: &Check) -> Result<Milestone, Invalids> {
        let mut errors = Vec::new();
        if let Some(id) = self.objective_id {
            cx.objectives(&[id], &mut errors);
        }
        let m = Milestone::parse(
            &MilestoneInput {
                name: self.name,
                date: self.date,
                objective_id: self.objective_id,
                criterion: self.criterion,
            },
            cx.programme,
        );
        match m {
            Ok(m) if errors.is_empty() => Ok(m),
            Ok(_) => Err(Invalids(errors)),
            Err(Invalids(mut e)) => {
                e.extend(errors);
                Err(Invalids(e))
            }
        }
    }
}

impl Doc for MilestoneDoc {
    const KIND: &'static str = "milestone";
    fn check(self, cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        let m = self.parse(cx)?;
        Ok((None, milestone_json(&m)))
    }
}

#[derive(Deserialize, Default)]
pub struct RequirementDoc {
    #[serde(default, deserialize_with = "text")]
    pub text: String,
    #[serde(default, deserialize_with = "text")]
    pub source_kind: String,
    #[serde(default, deserialize_with = "text")]
    pub source_ref: String,
    #[serde(default)]
    pub objective_ids: Vec<i64>,
}

impl Doc for RequirementDoc {
    const KIND: &'static str = "requirement";
    fn check(self, cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        let mut errors = Vec::new();
        cx.objectives(&self.objective_ids, &mut errors);
        let r = ClientRequirement::try_from(RequirementInput {
            text: self.text,
            source_kind: self.source_kind,
            source_ref: self.source_ref,
            objective_ids: self.objective_ids,
        })
        .map(|r| {
            json!({ "text": r.text, "source_kind": r.source_kind.as_str(), "source_ref": r.source_ref, "objective_ids": r.objective_ids })
        });
        finish(errors, r).map(|v| (None, v))
    }
}

#[derive(Deserialize, Default)]
pub struct ScopeDoc {
    #[serde(default, deserialize_with = "text")]
    pub side: String,
    #[serde(default, deserialize_with = "text")]
    pub text: String,
}

impl Doc for ScopeDoc {
    const KIND: &'static str = "scope";
    fn check(self, _cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        let s = ScopeItem::parse(&self.side, &self.text)?;
        Ok((None, scope_json(&s)))
    }
}

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

#[derive(Deserialize, Default)]
pub struct RiskDoc {
    #[serde(default, deserialize_with = "text")]
    pub cause: String,
    #[serde(default, deserialize_with = "text")]
    pub event: String,
    #[serde(default, deserialize_with = "text")]
    pub effect: String,
    #[serde(default, deserialize_with = "text")]
    pub probability: String,
    #[serde(default, deserialize_with = "text")]
    pub impact: String,
    pub owner_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_text")]
    pub mitigation: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub contingency: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub review_date: String,
}

impl RiskDoc {
    pub fn parse(self) -> Result<Risk, Invalids> {
        Risk::try_from(RiskInput {
            cause: self.cause,
            event: self.event,
            effect: self.effect,
            probability: self.probability,
            impact: self.impact,
            owner_id: self.owner_id,
            mitigation: self.mitigation,
            contingency: self.contingency,
            status: self.status,
            review_date: self.review_date,
        })
    }
}

impl Doc for RiskDoc {
    const KIND: &'static str = "risk";
    fn check(self, cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        let mut errors = Vec::new();
        cx.person("owner_id", self.owner_id, &mut errors);
        let r = self.parse().map(|r| risk_json(&r));
        finish(errors, r).map(|v| (None, v))
    }
    fn enrich(data: &mut Value) {
        if let Ok(Ok(r)) = serde_json::from_value::<RiskDoc>(data.clone()).map(RiskDoc::parse) {
            data["score"] = json!(r.score());
            data["level"] = json!(r.level().as_str());
        }
    }
}

#[derive(Deserialize, Default)]
pub struct CostRateDoc {
    #[serde(default, deserialize_with = "text")]
    pub role: String,
    #[serde(default, deserialize_with = "text")]
    pub hourly_cost: String,
    #[serde(default, deserialize_with = "text")]
    pub currency: String,
    #[serde(default, deserialize_with = "text")]
    pub employer_charges: String,
}

impl CostRateDoc {
    pub fn parse(self) -> Result<CostRate, Invalids> {
        CostRate::try_from(CostRateInput {
            role: self.role,
            hourly_cost: self.hourly_cost,
            currency: if self.currency.trim().is_empty() {
                "CLP".into()
            } else {
                self.currency
            },
            employer_charges: self.employer_charges,
        })
    }
}

impl Doc for CostRateDoc {
    const KIND: &'static str = "cost_rate";
    fn check(self, _cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        let r = self.parse()?;
        let bp = r.employer_charges.basis_points();
        Ok((
            None,
            json!({
                "role": r.role,
                "hourly_cost": plain(r.hourly_cost),
                "currency": r.hourly_cost.currency().code(),
                "employer_charges": format!("{}.{:02}", bp / 100, bp % 100),
            }),
        ))
    }
    fn enrich(data: &mut Value) {
        if let Ok(Ok(r)) =
            serde_json::from_value::<CostRateDoc>(data.clone()).map(CostRateDoc::parse)
        {
            if let Ok(m) = r.loaded_hourly(rumbo_domain::plan::budget::Rounding::HalfAwayFromZero) {
                data["loaded_hourly_cost"] = json!(plain(m));
            }
        }
    }
}

#[derive(Deserialize, Default)]
pub struct SupplyDoc {
    #[serde(default, deserialize_with = "text")]
    pub kind: String,
    #[serde(default, deserialize_with = "text")]
    pub description: String,
    #[serde(default, deserialize_with = "text")]
    pub quantity: String,
    #[serde(default, deserialize_with = "text")]
    pub unit_cost: String,
    #[serde(default, deserialize_with = "text")]
    pub currency: String,
}

impl SupplyDoc {
    pub fn parse(self) -> Result<Supply, Invalids> {
        Supply::try_from(SupplyInput {
            kind: self.kind,
            description: self.description,
            quantity: self.quantity,
            unit_cost: self.unit_cost,
            currency: if self.currency.trim().is_empty() {
                "CLP".into()
            } else {
                self.currency
            },
        })
    }
}

impl Doc for SupplyDoc {
    const KIND: &'static str = "supply";
    fn check(self, _cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        let s = self.parse()?;
        Ok((
            None,
            json!({
                "kind": s.kind.as_str(), "description": s.description, "quantity": s.quantity,
                "unit_cost": plain(s.unit_cost), "currency": s.unit_cost.currency().code(),
            }),
        ))
    }
    fn enrich(data: &mut Value) {
        if let Ok(Ok(s)) = serde_json::from_value::<SupplyDoc>(data.clone()).map(SupplyDoc::parse) {
            if let Ok(t) = s.total() {
                data["total"] = json!(plain(t));
            }
        }
    }
}

#[derive(Deserialize, Default)]
pub struct BudgetLineDoc {
    #[serde(default, deserialize_with = "text")]
    pub category: String,
    #[serde(default, deserialize_with = "text")]
    pub description: String,
}

impl Doc for BudgetLineDoc {
    const KIND: &'static str = "budget_line";
    fn check(self, _cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        let l = BudgetLine::parse(0, &self.category, &self.description)?;
        Ok((
            None,
            json!({ "category": l.category.as_str(), "description": l.description }),
        ))
    }
}

/// A planned or actual amount of a budget line for a month.
#[derive(Deserialize, Default)]
pub struct AmountDoc {
    pub line_id: Option<i64>,
    #[serde(default, deserialize_with = "text")]
    pub month: String,
    /// `planned` or `actual`.
    #[serde(default, deserialize_with = "text")]
    pub kind: String,
    #[serde(default, deserialize_with = "text")]
    pub amount: String,
    #[serde(default, deserialize_with = "text")]
    pub currency: String,
}

impl AmountDoc {
    /// The amount and whether it is actual (true) or planned (false).
    pub fn parse(self, cx: &Check) -> Result<(LineAmount, bool), Invalids> {
        let mut errors = Vec::new();
        let line_id = self.line_id.unwrap_or(-1);
        if !cx.budget_line_ids.contains(&line_id) {
            errors.push(Invalid::new("line_id", "error.budget.line"));
        }
        let actual = match self.kind.trim() {
            "planned" => Some(false),
            "actual" => Some(true),
            _ => {
                errors.push(Invalid::new("kind", "error.budget.amount_kind"));
                None
            }
        };
        let a = LineAmount::try_from(LineAmountInput {
            line_id,
            month: self.month,
            amount: self.amount,
            currency: if self.currency.trim().is_empty() {
                "CLP".into()
            } else {
                self.currency
            },
        });
        match (a, actual) {
            (Ok(a), Some(actual)) if errors.is_empty() => Ok((a, actual)),
            (Err(Invalids(mut e)), _) => {
                e.extend(errors);
                Err(Invalids(e))
            }
            _ => Err(Invalids(errors)),
        }
    }
}

impl Doc for AmountDoc {
    const KIND: &'static str = "budget_amount";
    fn check(self, cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        let (a, actual) = self.parse(cx)?;
        let kind = if actual { "actual" } else { "planned" };
        Ok((
            Some(format!("{}:{}:{kind}", a.line_id, a.month)),
            json!({
                "line_id": a.line_id, "month": a.month.to_string(), "kind": kind,
                "amount": plain(a.amount), "currency": a.amount.currency().code(),
            }),
        ))
    }
}

/// Contacts handled in a month, for cost per contact.
#[derive(Deserialize, Default)]
pub struct ContactsDoc {
    #[serde(default, deserialize_with = "text")]
    pub month: String,
    #[serde(default, deserialize_with = "text")]
    pub contacts: String,
}

impl ContactsDoc {
    pub fn parse(self) -> Result<(rumbo_domain::plan::budget::YearMonth, u64), Invalids> {
        let mut errors = Vec::new();
        let month = rumbo_domain::plan::budget::YearMonth::parse("month", &self.month)
            .map_err(|e| errors.push(e))
            .ok();
        let contacts = self.contacts.trim().parse::<u64>().ok();
        if contacts.is_none() {
            errors.push(Invalid::new("contacts", "error.budget.contacts"));
        }
        match (month, contacts) {
            (Some(m), Some(c)) => Ok((m, c)),
            _ => Err(Invalids(errors)),
        }
    }
}

impl Doc for ContactsDoc {
    const KIND: &'static str = "contacts";
    fn check(self, _cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        let (m, c) = self.parse()?;
        Ok((
            Some(m.to_string()),
            json!({ "month": m.to_string(), "contacts": c }),
        ))
    }
}

/// A dated exchange rate for showing UF or USD figures.
#[derive(Deserialize, Default)]
pub struct RateDoc {
    #[serde(default, deserialize_with = "text")]
    pub base: String,
    #[serde(default, deserialize_with = "text")]
    pub quote: String,
    #[serde(default, deserialize_with = "text")]
    pub date: String,
    #[serde(default, deserialize_with = "text")]
    pub value: String,
}

impl RateDoc {
    pub fn parse(self) -> Result<Rate, Invalids> {
        let base = Currency::parse(&self.base)
            .map_err(|_| Invalid::new("base", "error.money.currency"))?;
        let quote = Currency::parse(if self.quote.trim().is_empty() {
            "CLP"
        } else {
            &self.quote
        })
        .map_err(|_| Invalid::new("quote", "error.money.currency"))?;
        Rate::parse(base, quote, &self.date, &self.value)
    }
}

impl Doc for RateDoc {
    const KIND: &'static str = "rate";
    fn check(self, _cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        let value = self.value.clone();
        let r = self.parse()?;
        Ok((
            Some(format!(
                "{}:{}:{}",
                r.base().code(),
                r.quote().code(),
                r.date()
            )),
            json!({ "base": r.base().code(), "quote": r.quote().code(), "date": r.date().to_string(), "value": value.trim() }),
        ))
    }
}

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

fn competencies(v: Vec<CompetencyBody>) -> Vec<CompetencyInput> {
    v.into_iter()
        .map(|c| CompetencyInput {
            name: c.name,
            kind: c.kind,
            level: c.level,
        })
        .collect()
}

fn languages(v: Vec<LanguageBody>) -> Vec<LanguageInput> {
    v.into_iter()
        .map(|l| LanguageInput {
            language: l.language,
            level: l.level,
        })
        .collect()
}

fn competency_json(c: &[rumbo_domain::plan::roles::Competency]) -> Value {
    Value::Array(
        c.iter()
            .map(|c| json!({ "name": c.name, "kind": c.kind.as_str(), "level": c.level.get() }))
            .collect(),
    )
}

fn language_json(l: &[rumbo_domain::plan::roles::LanguageSkill]) -> Value {
    Value::Array(
        l.iter()
            .map(|l| json!({ "language": l.language, "level": l.level.as_str() }))
            .collect(),
    )
}

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

#[derive(Deserialize, Default)]
pub struct AssignmentDoc {
    pub person_id: Option<i64>,
    #[serde(default, deserialize_with = "text")]
    pub role: String,
    #[serde(default, deserialize_with = "text")]
    pub from: String,
    #[serde(default, deserialize_with = "text")]
    pub to: String,
    #[serde(default, deserialize_with = "text")]
    pub allocation: String,
}

impl AssignmentDoc {
    pub fn parse(self) -> Result<Assignment, Invalids> {
        Assignment::try_from(AssignmentInput {
            person_id: self.person_id.unwrap_or(-1),
            role: self.role,
            from: self.from,
            to: self.to,
            allocation: self.allocation,
        })
    }
}

impl Doc for AssignmentDoc {
    const KIND: &'static str = "assignment";
    fn check(self, cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        let mut errors = Vec::new();
        match self.person_id {
            Some(_) => cx.person("person_id", self.person_id, &mut errors),
            None => errors.push(Invalid::new("person_id", "error.unknown.person")),
        }
        let a = self.parse().map(|a| {
            json!({
                "person_id": a.person_id, "role": a.role, "from": a.from.to_string(),
                "to": a.to.to_string(), "allocation": a.allocation,
            })
        });
        finish(errors, a).map(|v| (None, v))
    }
}

#[derive(Deserialize, Default)]
pub struct CommunicationDoc {
    #[serde(default, deserialize_with = "text")]
    pub audience: String,
    #[serde(default, deserialize_with = "text")]
    pub content: String,
    #[serde(default, deserialize_with = "text")]
    pub frequency: String,
    #[serde(default, deserialize_with = "text")]
    pub channel: String,
    pub owner_id: Option<i64>,
}

impl Doc for CommunicationDoc {
    const KIND: &'static str = "communication";
    fn check(self, cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        let mut errors = Vec::new();
        cx.person("owner_id", self.owner_id, &mut errors);
        let c = CommunicationItem::try_from(CommunicationInput {
            audience: self.audience,
            content: self.content,
            frequency: self.frequency,
            channel: self.channel,
            owner_id: self.owner_id,
        })
        .map(|c| communication_json(&c));
        finish(errors, c).map(|v| (None, v))
    }
}

#[derive(Deserialize, Serialize, Default, Clone)]
pub struct FollowUpBody {
    #[serde(default, deserialize_with = "text")]
    pub task: String,
    pub owner_id: Option<i64>,
    #[serde(default, deserialize_with = "text")]
    pub due_date: String,
}

#[derive(Deserialize, Default)]
pub struct MeetingDoc {
    #[serde(default, deserialize_with = "text")]
    pub title: String,
    #[serde(default, deserialize_with = "text")]
    pub date: String,
    #[serde(default)]
    pub agenda: Vec<String>,
    #[serde(default)]
    pub attendees: Vec<i64>,
    #[serde(default, deserialize_with = "opt_text")]
    pub minutes: Option<String>,
    #[serde(default)]
    pub decisions: Vec<String>,
    #[serde(default)]
    pub follow_ups: Vec<FollowUpBody>,
}

impl MeetingDoc {
    pub fn parse(self, cx: &Check) -> Result<Meeting, Invalids> {
        let mut errors = Vec::new();
        for a in &self.attendees {
            cx.person("attendees", Some(*a), &mut errors);
        }
        for f in &self.follow_ups {
            cx.person("follow_ups", f.owner_id, &mut errors);
        }
        let m = Meeting::try_from(MeetingInput {
            title: self.title,
            date: self.date,
            agenda: self.agenda,
            attendees: self.attendees,
            minutes: self.minutes,
            decisions: self.decisions,
            follow_ups: self
                .follow_ups
                .into_iter()
                .map(|f| FollowUpInput {
                    task: f.task,
                    owner_id: f.owner_id,
                    due_date: f.due_date,
                })
                .collect(),
        });
        errors.dedup();
        match m {
            Ok(m) if errors.is_empty() => Ok(m),
            Ok(_) => Err(Invalids(errors)),
            Err(Invalids(mut e)) => {
                e.extend(errors);
                Err(Invalids(e))
            }
        }
    }
}

pub fn meeting_json(m: &Meeting) -> Value {
    json!({
        "title": m.title, "date": m.date.to_string(), "agenda": m.agenda, "attendees": m.attendees,
        "minutes": m.minutes, "decisions": m.decisions,
        "follow_ups": m.follow_ups.iter().map(|f| json!({ "task": f.task, "owner_id": f.owner_id, "due_date": f.due_date.to_string() })).collect::<Vec<_>>(),
    })
}

#[derive(Deserialize, Default)]
pub struct DecisionDoc {
    #[serde(default, deserialize_with = "text")]
    pub date: String,
    #[serde(default, deserialize_with = "text")]
    pub summary: String,
    #[serde(default, deserialize_with = "opt_text")]
    pub rationale: Option<String>,
    pub decided_by: Option<i64>,
    pub meeting_id: Option<i64>,
}

pub fn decision_json(d: &Decision) -> Value {
    json!({
        "date": d.date.to_string(), "summary": d.summary, "rationale": d.rationale,
        "decided_by": d.decided_by, "meeting_id": d.meeting_id,
    })
}

impl Doc for DecisionDoc {
    const KIND: &'static str = "decision";
    fn check(self, cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        let mut errors = Vec::new();
        cx.person("decided_by", self.decided_by, &mut errors);
        let d = Decision::try_from(DecisionInput {
            date: self.date,
            summary: self.summary,
            rationale: self.rationale,
            decided_by: self.decided_by,
            meeting_id: self.meeting_id,
        })
        .map(|d| decision_json(&d));
        finish(errors, d).map(|v| (None, v))
    }
}

#[derive(Deserialize, Serialize, Default, Clone)]
pub struct ChangeBody {
    #[serde(default, deserialize_with = "text")]
    pub key: String,
    #[serde(default, deserialize_with = "text")]
    pub value: String,
}

#[derive(Deserialize, Default, Clone)]
pub struct ChangeRequestDoc {
    #[serde(default, deserialize_with = "text")]
    pub kind: String,
    #[serde(default, deserialize_with = "text")]
    pub reason: String,
    #[serde(default, deserialize_with = "text")]
    pub impact: String,
    #[serde(default)]
    pub changes: Vec<ChangeBody>,
    pub requested_by: Option<i64>,
    /// Set by the server: `proposed`, `approved`, `rejected`.
    #[serde(default, deserialize_with = "opt_text")]
    pub status: Option<String>,
    pub decided_by: Option<i64>,
    #[serde(default, deserialize_with = "opt_text")]
    pub decided_on: Option<String>,
}

impl ChangeRequestDoc {
    pub fn parse(self) -> Result<ChangeRequest, Invalids> {
        let status = self.status.clone();
        let decided_by = self.decided_by;
        let decided_on = self.decided_on.clone();
        let mut cr = ChangeRequest::try_from(ChangeRequestInput {
            kind: self.kind,
            reason: self.reason,
            impact: self.impact,
            changes: self.changes.into_iter().map(|c| (c.key, c.value)).collect(),
            requested_by: self.requested_by,
        })?;
        if let Some(s) = status {
            cr.status = rumbo_domain::plan::coordination::ChangeStatus::parse(&s)?;
        }
        cr.decided_by = decided_by;
        cr.decided_on = decided_on.and_then(|d| d.parse().ok());
        Ok(cr)
    }
}

pub fn change_request_json(cr: &ChangeRequest) -> Value {
    json!({
        "kind": cr.kind.as_str(), "reason": cr.reason, "impact": cr.impact,
        "changes": cr.changes.iter().map(|c| json!({ "key": c.key.to_string(), "value": super::compute::value_text(&c.value) })).collect::<Vec<_>>(),
        "requested_by": cr.requested_by, "status": cr.status.as_str(),
        "decided_by": cr.decided_by, "decided_on": cr.decided_on.map(|d| d.to_string()),
    })
}

impl Doc for ChangeRequestDoc {
    const KIND: &'static str = "change_request";
    fn check(mut self, cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        // New requests are always proposed; decisions go through approve/reject.
        self.status = None;
        self.decided_by = None;
        self.decided_on = None;
        let mut errors = Vec::new();
        cx.person("requested_by", self.requested_by, &mut errors);
        let cr = self.parse().map(|cr| change_request_json(&cr));
        finish(errors, cr).map(|v| (None, v))
    }
}

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

/// The programme's methodology text (one per programme).
#[derive(Deserialize, Default)]
pub struct MethodologyDoc {
    #[serde(default, deserialize_with = "text")]
    pub text: String,
}

impl Doc for MethodologyDoc {
    const KIND: &'static str = "methodology";
    fn check(self, _cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        let t = self.text.trim();
        if t.chars().count() > 20_000 {
            return Err(Invalid::new("text", "error.text.too_long").into());
        }
        Ok((Some("methodology".into()), json!({ "text": t })))
    }
}

/// Parses a stored document back through its body type.
pub fn reparse<T: DeserializeOwned>(data: &Value) -> Option<T> {
    serde_json::from_value(data.clone()).ok()
}

/// Canonical documents of domain values (shared by checks and templates).
pub fn objective_json(o: &Objective) -> Value {
    json!({ "title": o.title, "description": o.description, "expected_results": o.expected_results })
}

pub fn target_json(objective_id: Option<i64>, t: &KpiTarget) -> Value {
    json!({
        "objective_id": objective_id,
        "indicator": t.indicator,
        "target": number(t.target),
        "direction": t.direction.as_str(),
        "tolerance": number(t.tolerance),
        "granularity": t.granularity.as_str(),
        "period_start": t.period_start.to_string(),
        "period_end": t.period_end.to_string(),
        "owner_id": t.owner_id,
    })
}

pub fn milestone_json(m: &Milestone) -> Value {
    json!({ "name": m.name, "date": m.date.to_string(), "objective_id": m.objective_id, "criterion": m.criterion })
}

pub fn scope_json(s: &ScopeItem) -> Value {
    json!({ "side": s.side.as_str(), "text": s.text })
}

pub fn risk_json(r: &Risk) -> Value {
    json!({
        "cause": r.cause, "event": r.event, "effect": r.effect,
        "probability": r.probability.get(), "impact": r.impact.get(),
        "owner_id": r.owner_id, "mitigation": r.mitigation, "contingency": r.contingency,
        "status": r.status.as_str(), "review_date": r.review_date.to_string(),
    })
}

pub fn role_json(r: &RoleDef) -> Value {
    json!({
        "name": r.name,
        "competencies": competency_json(&r.competencies),
        "languages": language_json(&r.languages),
        "min_experience_months": r.min_experience_months,
    })
}

pub fn communication_json(c: &CommunicationItem) -> Value {
    json!({
        "audience": c.audience, "content": c.content, "frequency": c.frequency.as_str(),
        "channel": c.channel.as_str(), "owner_id": c.owner_id,
    })
}
