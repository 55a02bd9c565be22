//! The close-out of a programme: closing it, the guided evaluation prefilled from its data,
//! the manager's assessment and sign-off stored as numbered versions, the read-only rule for a
//! closed programme, and reopening it.
//!
//! The figures (`facts`) are computed here from what the other use cases already compute:
//! each KPI target judged over the programme's whole life with its monthly trend, the quality
//! indicators (service level, abandon, QA, CSAT) per month, milestones and the end date planned
//! against actual, the budget planned against spent with the cost per contact, and the
//! corrective actions with their measured effect. Each saved version keeps the figures it was
//! signed with, so a late change to the data never rewrites a signed evaluation.

use std::collections::BTreeMap;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use rumbo_domain::access::{decide, Action, Decision, Role};
use rumbo_domain::plan::closeout::{Assessment, AssessmentInput, AREAS};
use rumbo_domain::plan::objectives::Direction;
use rumbo_domain::programme::Status;
use rumbo_domain::Invalid;
use rumbo_kpi::{Agg, KpiDefinition};
pub use rumbo_store::closeout::CloseoutVersion;
use serde_json::{json, Value};

use crate::control::evaluate::{indicator_value, local_start};
use crate::model::Programme;
use crate::plan::{compute, PlanCx};
use crate::{App, Error, Principal, Result};

/// The quality-of-service indicators the evaluation follows month by month.
pub const QUALITY: &[&str] = &["service_level", "abandon_rate", "qa_score", "csat"];

/// The error of every change to a closed programme.
pub fn read_only() -> Error {
    Error::Conflict(Invalid::new("status", "error.closeout.read_only").into())
}

/// Refuses changes to a closed programme.
pub(crate) fn ensure_open(p: &Programme) -> Result<()> {
    if p.status == Status::Closed {
        Err(read_only())
    } else {
        Ok(())
    }
}

/// A programme's close-out as a page or the API shows it.
#[derive(Debug, Clone)]
pub struct Closeout {
    pub programme: Programme,
    /// The figures: those of the latest version, or computed now when there is none (or the
    /// latest marks a reopening).
    pub facts: Value,
    /// Every stored version, oldest first.
    pub versions: Vec<CloseoutVersion>,
    /// Whether the principal may save or sign the evaluation (a manager, the programme closed).
    pub may_edit: bool,
    /// Whether the principal may close, evaluate and reopen the programme (its managers).
    pub may_manage: bool,
}

impl Closeout {
    /// The latest version that holds an assessment (not a reopening mark).
    pub fn latest(&self) -> Option<&CloseoutVersion> {
        self.versions
            .last()
            .filter(|v| v.data.get("assessment").is_some())
    }

    /// Whether the latest version is signed (the evaluation is final).
    pub fn signed(&self) -> bool {
        self.latest().is_some_and(|v| v.signed)
    }
}

/// Whether `who` may close, evaluate or reopen: the programme's managers and admins.
fn may_manage(who: &Principal, p: &rumbo_store::programmes::ProgrammeFor) -> bool {
    matches!(who.role, Role::Admin | Role::Manager)
        && matches!(
            decide(who.role, Action::Update, Some(who.relation(p))),
            Decision::Allow
        )
}

impl App {
    /// The programme `code` for the close-out use cases, without the read-only rule.
    async fn closeout_programme(
        &self,
        who: &Principal,
        code: &str,
        manage: bool,
    ) -> Result<(Programme, bool)> {
        let p = self.programme_unguarded(who, code, Action::Read).await?;
        let may = may_manage(who, &p);
        if manage && !may {
            return Err(Error::Forbidden);
        }
        Ok((p.programme, may))
    }

    /// Closes a running programme: it becomes read-only and its evaluation starts.
    pub async fn close_programme(&self, who: &Principal, code: &str) -> Result<Programme> {
        let (p, _) = self.closeout_programme(who, code, true).await?;
        if !p.status.can_become(Status::Closed) || p.status == Status::Closed {
            return Err(Error::Conflict(
                Invalid::new("status", "error.closeout.not_running").into(),
            ));
        }
        Ok(self
            .store
            .set_programme_status(&who.actor(), p.id, Status::Closed, "close")
            .await?)
    }

    /// Reopens a closed programme (its managers or an admin): it runs again and may be
    /// changed; the evaluation's history keeps a mark of the reopening.
    pub async fn reopen_programme(&self, who: &Principal, code: &str) -> Result<Programme> {
        let (p, _) = self.closeout_programme(who, code, true).await?;
        if p.status != Status::Closed {
            return Err(Error::Conflict(
                Invalid::new("status", "error.closeout.not_closed").into(),
            ));
        }
        let reopened = self
            .store
            .set_programme_status(&who.actor(), p.id, Status::Running, "reopen")
            .await?;
        if !self.store.closeouts(p.id).await?.is_empty() {
            self.store
                .save_closeout(&who.actor(), p.id, &json!({ "reopened": true }), false)
                .await?;
        }
        Ok(reopened)
    }

    /// The close-out of programme `code` (read access).
    pub async fn closeout(&self, who: &Principal, code: &str) -> Result<Closeout> {
        let (p, may) = self.closeout_programme(who, code, false).await?;
        let versions = self.store.closeouts(p.id).await?;
        let facts = match versions.last() {
            Some(v) if v.data.get("facts").is_some() => v.data["facts"].clone(),
            _ => self.closeout_facts(&p).await?,
        };
        Ok(Closeout {
            may_edit: may && p.status == Status::Closed,
            may_manage: may,
            programme: p,
            facts,
            versions,
        })
    }

    /// Saves the manager's assessment as a new version (`sign`: the final, signed one). The
    /// figures are recomputed from the data at this moment.
    pub async fn save_closeout(
        &self,
        who: &Principal,
        code: &str,
        input: AssessmentInput,
        sign: bool,
    ) -> Result<CloseoutVersion> {
        let (p, _) = self.closeout_programme(who, code, true).await?;
        if p.status != Status::Closed {
            return Err(Error::Conflict(
                Invalid::new("status", "error.closeout.not_closed").into(),
            ));
        }
        let versions = self.store.closeouts(p.id).await?;
        if versions.last().is_some_and(|v| v.signed) {
            return Err(Error::Conflict(
                Invalid::new("status", "error.closeout.signed").into(),
            ));
        }
        let a = Assessment::try_from(input)?;
        let facts = self.closeout_facts(&p).await?;
        let comments: serde_json::Map<String, Value> = AREAS
            .iter()
            .zip(&a.comments)
            .map(|(k, c)| (k.to_string(), json!(c)))
            .collect();
        let data = json!({
            "facts": facts,
            "assessment": { "comments": comments, "overall": a.overall, "verdict": a.verdict.as_str() },
            "signed_by": if sign { Some(&who.email) } else { None },
        });
        Ok(self
            .store
            .save_closeout(&who.actor(), p.id, &data, sign)
            .await?)
    }

    /// The evaluation's figures, computed from the programme's data now.
    pub async fn closeout_facts(&self, p: &Programme) -> Result<Value> {
        let tz = TimeZone::get(&p.time_zone).unwrap_or(TimeZone::UTC);
        let cx = PlanCx::system(p.clone())?;
        let today = compute::today(&cx);
        let def = KpiDefinition::standard();

        // Monthly totals over the whole life of the programme, each call once.
        let mut monthly: BTreeMap<String, Agg> = BTreeMap::new();
        let mut first: Option<Date> = None;
        let mut last: Option<Date> = None;
        let from = local_start(p.start_date, &tz)?;
        for r in self
            .store
            .kpi_aggregates(p.id, def.id(), Some(from), None)
            .await?
        {
            let day = jiff::Timestamp::from_second(r.interval_start)
                .map_err(Error::internal)?
                .to_zoned(tz.clone())
                .date();
            first = Some(first.map_or(day, |f: Date| f.min(day)));
            last = Some(last.map_or(day, |l: Date| l.max(day)));
            let month = format!("{:04}-{:02}", day.year(), day.month());
            monthly.entry(month).or_default().merge(&r.agg.calls_view());
        }
        let mut total = Agg::default();
        for a in monthly.values() {
            total.merge(a);
        }
        let series = |indicator: &str| -> Vec<Value> {
            monthly
                .iter()
                .map(|(m, a)| json!({ "month": m, "value": value_of(indicator, a, &def) }))
                .collect()
        };

        // Objectives and their KPI targets over the life of the programme.
        let objectives = self.store.plan_items(Some(p.id), "objective").await?;
        let mut targets = Vec::new();
        for (item, t) in self.kpi_targets(&cx).await? {
            let actual = value_of(&t.indicator, &total, &def);
            let rag = actual.map(|a| t.judge(a));
            let met = actual.map(|a| match t.direction {
                Direction::HigherIsBetter => a >= t.target,
                _ => a <= t.target,
            });
            targets.push(json!({
                "id": item.id,
                "objective_id": item.data.get("objective_id").cloned().unwrap_or(Value::Null),
                "indicator": t.indicator,
                "target": t.target,
                "tolerance": t.tolerance,
                "higher_is_better": t.direction == Direction::HigherIsBetter,
                "actual": actual,
                "rag": rag.map(|r| r.as_str()),
                "met": met,
                "monthly": series(&t.indicator),
            }));
        }
        let objectives: Vec<Value> = objectives
            .iter()
            .map(|o| {
                let mine: Vec<&Value> = targets
                    .iter()
                    .filter(|t| t["objective_id"].as_i64() == Some(o.id))
                    .collect();
                let judged: Vec<bool> = mine.iter().filter_map(|t| t["met"].as_bool()).collect();
                let met = (!judged.is_empty() && judged.len() == mine.len())
                    .then(|| judged.iter().all(|m| *m));
                json!({
                    "id": o.id,
                    "title": o.data.get("title").cloned().unwrap_or(Value::Null),
                    "targets": mine.len(),
                    "targets_met": judged.iter().filter(|m| **m).count(),
                    "met": met,
                })
            })
            .collect();
        let quality: Vec<Value> = QUALITY
            .iter()
            .map(|q| json!({ "indicator": q, "total": value_of(q, &total, &def), "monthly": series(q) }))
            .collect();

        // Time: milestones and the end date, planned against actual.
        let mut milestones = Vec::new();
        for m in self.store.plan_items(Some(p.id), "milestone").await? {
            let planned = m.data["date"].as_str().and_then(|d| d.parse::<Date>().ok());
            let actual = m.data["actual_date"]
                .as_str()
                .and_then(|d| d.parse::<Date>().ok());
            let status = match (planned, actual) {
                (Some(pl), Some(a)) if a > pl => "late",
                (_, Some(_)) => "met",
                _ => match m.data["status"].as_str() {
                    Some("met") => "met",
                    Some("late") => "late",
                    _ if planned.is_some_and(|pl| pl < today) => "late",
                    _ => "pending",
                },
            };
            milestones.push(json!({
                "name": m.data["name"],
                "planned": planned.map(|d| d.to_string()),
                "actual": actual.map(|d| d.to_string()),
                "days_late": match (planned, actual) {
                    (Some(pl), Some(a)) => Some((a - pl).get_days()),
                    _ => None,
                },
                "status": status,
            }));
        }
        let days_late = p.end_date.map(|e| (today - e).get_days());

        // Resources: budget planned against spent, cost per contact.
        let budget = self.budget(&cx).await?;
        let mut resources = Vec::new();
        let mut currencies: Vec<_> = budget
            .planned
            .iter()
            .chain(&budget.actual)
            .map(|a| a.amount.currency())
            .collect();
        currencies.sort_by_key(|c| c.code());
        currencies.dedup();
        let contacts: u64 = budget.contacts.values().sum();
        let handled = total.answered;
        for c in currencies {
            let sum = |v: &[rumbo_domain::plan::budget::LineAmount]| -> i64 {
                v.iter()
                    .filter(|a| a.amount.currency() == c)
                    .map(|a| a.amount.minor())
                    .sum()
            };
            let planned = sum(&budget.planned);
            let actual = sum(&budget.actual);
            let per = if contacts > 0 { contacts } else { handled };
            resources.push(json!({
                "currency": c.code(),
                "planned": planned,
                "actual": actual,
                "variance": actual - planned,
                "contacts": per,
                "cost_per_contact": (per > 0).then(|| actual / per as i64),
            }));
        }

        // Corrective actions and their measured effect.
        let actions: Vec<Value> = self
            .store
            .actions(p.id)
            .await?
            .into_iter()
            .filter(|a| a.data["status"] != "cancelled")
            .map(|a| {
                json!({
                    "id": a.id,
                    "cause": a.data["cause"],
                    "action": a.data["action"],
                    "status": a.data["status"],
                    "verdict": a.data["effect"]["verdict"],
                    "median_before": a.data["effect"]["median_before"],
                    "median_after": a.data["effect"]["median_after"],
                })
            })
            .collect();

        Ok(json!({
            "period": { "from": first.map(|d| d.to_string()), "to": last.map(|d| d.to_string()) },
            "objectives": objectives,
            "targets": targets,
            "quality": quality,
            "time": {
                "start": p.start_date.to_string(),
                "planned_end": p.end_date.map(|d| d.to_string()),
                "actual_end": today.to_string(),
                "days_late": days_late,
                "milestones": milestones,
            },
            "resources": resources,
            "actions": actions,
        }))
    }
}

/// An indicator's value over `a`, in the unit targets use (percentages for rates, seconds for
/// times); QA and CSAT come from the survey and QA parts of the aggregates.
fn value_of(indicator: &str, a: &Agg, def: &KpiDefinition) -> Option<f64> {
    match indicator {
        "qa_score" => a.figures(def).qa_score,
        "csat" => a.figures(def).csat.map(|x| x * 100.0),
        other => indicator_value(other, a, def),
    }
    .filter(|v| v.is_finite())
}
