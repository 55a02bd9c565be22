//! Plan figures computed from parsed plan data: the work plan and its schedule, the risk
//! heat-map, budget variance and cost per contact, plan values and change lists, follow-up
//! activities and the staffing plan. Pure: no store, so they are tested with values.

use std::collections::BTreeMap;

use jiff::civil::Date;
use rumbo_domain::plan::budget::{
    cost_per_contact, variance, BudgetLine, GroupBy, LineAmount, Money, VarianceKey, YearMonth,
};
use rumbo_domain::plan::coordination::{AppliedChange, PlanKey, PlanValue};
use rumbo_domain::plan::staffing::{weekly_plan, IntervalNeed, StaffingInput, StaffingParams};
use rumbo_domain::plan::strategy::{HeatMap as RiskGrid, Risk};
use rumbo_domain::plan::workplan::{Activity, Schedule, WorkPlan, WorkPlanError};
use rumbo_domain::plan::ProgrammeDates;
use rumbo_domain::Invalids;
use serde_json::{json, Map, Value};

use super::docs::{plain, Check, StaffingBody};
use super::PlanCx;
use crate::{Error, Result};

/// Checks activities as a whole work plan of the programme; a cycle is [`Error::Cycle`].
pub fn work_plan(dates: ProgrammeDates, acts: Vec<Activity>) -> Result<WorkPlan> {
    WorkPlan::new(acts, dates).map_err(|e| match e {
        WorkPlanError::Invalid(i) => Error::Invalid(i),
        WorkPlanError::Cycle(path) => Error::Cycle(path.iter().map(|a| a.to_string()).collect()),
    })
}

/// The critical-path schedule as JSON.
pub fn schedule_json(plan: &WorkPlan, s: &Schedule) -> Value {
    let rows: Vec<Value> = plan
        .activities()
        .iter()
        .filter_map(|a| s.get(a.id.as_str()).map(|r| (a, r)))
        .map(|(a, r)| {
            json!({
                "id": a.id.as_str(), "name": a.name, "milestone": a.milestone, "progress": a.progress,
                "duration_days": a.duration_days,
                "early_start": r.early_start, "early_finish": r.early_finish,
                "late_start": r.late_start, "late_finish": r.late_finish,
                "slack": r.slack, "critical": r.is_critical(),
                "start": r.start.to_string(), "finish": r.finish.to_string(),
            })
        })
        .collect();
    json!({
        "finish": s.finish.to_string(),
        "duration_days": s.finish_offset,
        "critical_path": s.critical_path().iter().map(|i| i.as_str()).collect::<Vec<_>>(),
        "progress": plan.progress(),
        "activities": rows,
    })
}

/// Today in the programme's time zone.
pub fn today(cx: &PlanCx) -> Date {
    let tz = jiff::tz::TimeZone::get(&cx.programme().time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    jiff::Timestamp::now().to_zoned(tz).date()
}

/// The 5×5 counts of active risks.
pub fn heat_grid(risks: &[(super::PlanItem, Risk)]) -> RiskGrid {
    RiskGrid::from_risks(risks.iter().map(|(_, r)| r).filter(|r| r.is_active()))
}

pub fn heat_json(grid: &RiskGrid) -> Value {
    json!({
        "cells": grid.cells,
        "axes": { "rows": "impact 1..5", "columns": "probability 1..5" },
        "total": grid.total(),
    })
}

/// Budget lines, planned and actual amounts, and contacts per month, parsed.
pub struct BudgetData {
    /// The latest UF → CLP rate entered, for UF figures next to pesos.
    pub uf_rate: Option<rumbo_domain::plan::budget::Rate>,
    pub lines: Vec<BudgetLine>,
    pub planned: Vec<LineAmount>,
    pub actual: Vec<LineAmount>,
    pub contacts: BTreeMap<YearMonth, u64>,
}

fn key_json(k: &VarianceKey) -> Value {
    match k {
        VarianceKey::Line(id) => json!({ "line_id": id }),
        VarianceKey::Month(m) => json!({ "month": m.to_string() }),
        VarianceKey::Category(c) => json!({ "category": c.as_str() }),
        VarianceKey::Total => json!({ "total": true }),
    }
}

/// Planned vs actual grouped as asked, with cost per contact by month and in total.
pub fn variance_json(b: &BudgetData, by: GroupBy) -> Result<Value> {
    let rows = variance(&b.lines, &b.planned, &b.actual, by)?;
    let rows: Vec<Value> = rows
        .iter()
        .map(|r| {
            let mut v = key_json(&r.key);
            v["planned"] = json!(plain(r.planned));
            v["actual"] = json!(plain(r.actual));
            v["variance"] = json!(plain(r.variance));
            v["variance_percent"] = json!(r.percent);
            v["currency"] = json!(r.planned.currency().code());
            if let Some(rate) = &b.uf_rate {
                // Shown in UF at the stated rate, rounded half away from zero to 4 decimals.
                let uf = |m: Money| {
                    rate.convert(m, rumbo_domain::plan::budget::Rounding::HalfAwayFromZero)
                        .ok()
                        .map(plain)
                };
                v["uf"] = json!({
                    "planned": uf(r.planned), "actual": uf(r.actual), "variance": uf(r.variance),
                    "rate_date": rate.date().to_string(),
                });
            }
            v
        })
        .collect();
    let by_month = variance(&b.lines, &b.planned, &b.actual, GroupBy::Month)?;
    let mut cpc = Vec::new();
    let (mut total_cost, mut total_contacts): (Option<Money>, u64) = (None, 0);
    for r in &by_month {
        let VarianceKey::Month(m) = r.key else {
            continue;
        };
        let contacts = b.contacts.get(&m).copied().unwrap_or(0);
        cpc.push(json!({
            "month": m.to_string(),
            "actual_cost": plain(r.actual),
            "contacts": contacts,
            "cost_per_contact": cost_per_contact(r.actual, contacts).map(plain),
        }));
        if contacts > 0 {
            total_cost = Some(match total_cost {
                Some(t) => t.checked_add(r.actual)?,
                None => r.actual,
            });
            total_contacts += contacts;
        }
    }
    let total_cpc = total_cost.and_then(|c| cost_per_contact(c, total_contacts));
    Ok(json!({
        "rows": rows,
        "cost_per_contact": {
            "by_month": cpc,
            "total": total_cpc.map(plain),
            "months_counted": "months with contacts",
        },
    }))
}

/// A plan value as the text its key parses.
pub fn value_text(v: &PlanValue) -> String {
    match v {
        PlanValue::Money(m) => plain(*m),
        other => other.to_string(),
    }
}

/// Plan values as a JSON object `{ key: text }`.
pub fn values_json(values: &BTreeMap<PlanKey, PlanValue>) -> Value {
    let mut m = Map::new();
    for (k, v) in values {
        m.insert(k.to_string(), json!(value_text(v)));
    }
    Value::Object(m)
}

pub fn changes_json(changes: &[AppliedChange]) -> Value {
    Value::Array(
        changes
            .iter()
            .map(|c| {
                json!({
                    "key": c.key.to_string(),
                    "before": c.before.as_ref().map(value_text),
                    "after": value_text(&c.after),
                })
            })
            .collect(),
    )
}

/// The follow-up tasks of the `n`-th meeting as work-plan activities `FU-<n>.<k>`.
pub fn follow_up_activities(
    meeting: &rumbo_domain::plan::coordination::Meeting,
    n: usize,
) -> Result<Vec<Activity>, Invalids> {
    meeting
        .follow_ups
        .iter()
        .enumerate()
        .map(|(k, f)| Activity::try_from(f.to_activity(&format!("FU-{n}.{}", k + 1), meeting.date)))
        .collect()
}

/// The library belongs to no programme: its entries are checked against an empty context.
pub fn library_check() -> Result<Check> {
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    Ok(Check {
        programme: ProgrammeDates::new(today, None).map_err(|e| Error::internal_msg(e.key))?,
        objective_ids: vec![],
        person_ids: vec![],
        budget_line_ids: vec![],
        indicators: vec![],
    })
}

/// The staffing plan document for a request.
pub fn staffing_plan(b: StaffingBody) -> Result<Value> {
    use rumbo_wfm::staffing::{required, Model, Policy, SlDefinition, Target};
    let params = StaffingParams::try_from(StaffingInput {
        interval_minutes: b.interval_minutes,
        weekly_hours: b.weekly_hours,
        starting_headcount: b.starting_headcount,
        weekly_attrition: b.weekly_attrition,
        training_days: b.training_days,
    })?;
    let policy = Policy::new(
        Target::ServiceLevel {
            answer_s: b.answer_s,
            fraction: b.service_level,
            definition: SlDefinition::Offered,
        },
        b.max_occupancy,
        b.shrinkage,
        Model::ErlangC,
    )
    .map_err(|_| Error::invalid("service_level", "error.staffing.policy"))?;
    let interval_s = f64::from(params.interval_minutes * 60);
    let per_day = 24 * 60 / params.interval_minutes as usize;
    let mut needs = Vec::new();
    let mut peak = 0u32;
    for day in &b.volumes {
        let date = day
            .date
            .trim()
            .parse()
            .map_err(|_| Error::invalid("volumes", "error.date.format"))?;
        if day.contacts.len() > per_day + 4 {
            return Err(Error::invalid("volumes", "error.staffing.volumes"));
        }
        for c in &day.contacts {
            let load = rumbo_wfm::Load::new(*c, interval_s, b.aht_s)
                .map_err(|_| Error::invalid("volumes", "error.staffing.volumes"))?;
            let positions = required(&load, &policy).positions;
            peak = peak.max(positions);
            needs.push(IntervalNeed { date, positions });
        }
    }
    if needs.is_empty() {
        return Err(Error::invalid("volumes", "error.staffing.volumes"));
    }
    let weeks = weekly_plan(&needs, &params);
    Ok(json!({
        "params": {
            "interval_minutes": params.interval_minutes, "weekly_hours": params.weekly_hours,
            "starting_headcount": params.starting_headcount,
            "weekly_attrition_bp": params.weekly_attrition.basis_points(),
            "training_days": params.training_days, "aht_s": b.aht_s, "service_level": b.service_level,
            "answer_s": b.answer_s, "max_occupancy": b.max_occupancy, "shrinkage": b.shrinkage,
        },
        "days": b.volumes.len(),
        "peak_positions": peak,
        "weeks": weeks.iter().map(|w| json!({
            "week_start": w.week_start.to_string(), "workload_hours": w.workload_hours,
            "fte": (w.fte * 100.0).round() / 100.0, "headcount_needed": w.headcount_needed,
            "headcount_available": w.headcount_available, "hires": w.hires,
            "training_start": w.training_start.to_string(),
        })).collect::<Vec<_>>(),
        "total_hires": weeks.iter().map(|w| w.hires).sum::<u32>(),
    }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::plan::docs::{ActivityDoc, RiskDoc};

    fn dates() -> ProgrammeDates {
        ProgrammeDates::new(
            "2026-03-02".parse().unwrap(),
            Some("2026-12-31".parse().unwrap()),
        )
        .unwrap()
    }

    fn activity(id: &str, days: u32, deps: &[&str]) -> Activity {
        let doc: ActivityDoc = serde_json::from_value(json!({
            "id": id, "name": format!("Actividad {id}"), "duration_days": days,
            "dependencies": deps.iter().map(|d| json!({ "predecessor": d })).collect::<Vec<_>>(),
        }))
        .unwrap();
        doc.parse().unwrap()
    }

    #[test]
    fn a_dependency_cycle_is_an_error_naming_the_cycle() {
        let acts = vec![
            activity("A", 2, &["C"]),
            activity("B", 2, &["A"]),
            activity("C", 2, &["B"]),
        ];
        match work_plan(dates(), acts) {
            Err(Error::Cycle(path)) => {
                assert!(path.len() >= 3, "{path:?}");
                for id in ["A", "B", "C"] {
                    assert!(path.iter().any(|p| p == id), "{path:?}");
                }
            }
            other => panic!("expected a cycle, got {other:?}"),
        }
    }

    #[test]
    fn an_unknown_predecessor_is_invalid_not_a_cycle() {
        let r = work_plan(dates(), vec![activity("A", 2, &["Z"])]);
        assert!(matches!(r, Err(Error::Invalid(_))), "{r:?}");
    }

    #[test]
    fn the_schedule_names_the_longest_chain_as_critical_path() {
        let plan = work_plan(
            dates(),
            vec![
                activity("A", 3, &[]),
                activity("B", 5, &["A"]),
                activity("C", 1, &["A"]),
                activity("D", 2, &["B", "C"]),
            ],
        )
        .unwrap();
        let s = schedule_json(&plan, &plan.schedule());
        assert_eq!(s["critical_path"], json!(["A", "B", "D"]));
        assert_eq!(s["duration_days"], 10);
        let c = &s["activities"][2];
        assert_eq!(c["id"], "C");
        assert_eq!(c["critical"], false);
        assert_eq!(c["slack"], 4);
    }

    #[test]
    fn the_heat_map_counts_only_active_risks() {
        let risk = |p: u8, i: u8, status: &str| {
            let doc: RiskDoc = serde_json::from_value(json!({
                "cause": "c", "event": "e", "effect": "f", "probability": p, "impact": i,
                "status": status, "review_date": "2026-06-01", "owner_id": 1,
            }))
            .unwrap();
            (plan_item(), doc.parse().unwrap())
        };
        let grid = heat_grid(&[
            risk(3, 4, "open"),
            risk(3, 4, "mitigating"),
            risk(5, 5, "closed"),
        ]);
        let j = heat_json(&grid);
        assert_eq!(j["total"], 2);
        assert_eq!(j["cells"][3][2], 2, "row impact 4, column probability 3");
    }

    fn plan_item() -> super::super::PlanItem {
        super::super::PlanItem {
            id: 1,
            programme_id: Some(1),
            kind: "risk".into(),
            code: None,
            data: json!({}),
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn follow_ups_become_activities_numbered_by_meeting_and_task() {
        let meeting = rumbo_domain::plan::coordination::Meeting::try_from(
            rumbo_domain::plan::coordination::MeetingInput {
                title: "Comité".into(),
                date: "2026-03-09".into(),
                agenda: vec![],
                attendees: vec![],
                minutes: None,
                decisions: vec![],
                follow_ups: vec![
                    rumbo_domain::plan::coordination::FollowUpInput {
                        task: "Contratar agencia".into(),
                        owner_id: Some(7),
                        due_date: "2026-03-13".into(),
                    },
                    rumbo_domain::plan::coordination::FollowUpInput {
                        task: "Revisar guion".into(),
                        owner_id: Some(8),
                        due_date: "2026-03-16".into(),
                    },
                ],
            },
        )
        .unwrap();
        let acts = follow_up_activities(&meeting, 3).unwrap();
        let ids: Vec<&str> = acts.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["FU-3.1", "FU-3.2"]);
        assert_eq!(acts[0].owner_id, Some(7));
    }

    #[test]
    fn staffing_needs_volumes_and_a_valid_policy() {
        let body = |volumes: serde_json::Value, sl: f64| -> StaffingBody {
            serde_json::from_value(json!({
                "interval_minutes": 30, "weekly_hours": 42, "starting_headcount": 10,
                "weekly_attrition": "1,5", "training_days": 10, "aht_s": 260,
                "service_level": sl, "answer_s": 20, "volumes": volumes,
            }))
            .unwrap()
        };
        let err = |r: Result<Value>| match r {
            Err(Error::Invalid(i)) => i.0[0].key,
            other => panic!("expected invalid, got {other:?}"),
        };
        assert_eq!(
            err(staffing_plan(body(json!([]), 0.8))),
            "error.staffing.volumes"
        );
        let day = json!([{ "date": "2026-03-30", "contacts": [100, 120, 90] }]);
        assert_eq!(
            err(staffing_plan(body(day.clone(), 1.5))),
            "error.staffing.policy"
        );
        let plan = staffing_plan(body(day, 0.8)).unwrap();
        assert_eq!(plan["days"], 1);
        assert!(plan["peak_positions"].as_u64().unwrap() > 0);
        assert_eq!(plan["weeks"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn variance_reports_cost_per_contact_only_for_months_with_contacts() {
        let line = BudgetLine::parse(1, "staff", "Ejecutivos").unwrap();
        let amount = |month: &str, amount: &str| {
            LineAmount::try_from(rumbo_domain::plan::budget::LineAmountInput {
                line_id: 1,
                month: month.into(),
                amount: amount.into(),
                currency: "CLP".into(),
            })
            .unwrap()
        };
        let mut contacts = BTreeMap::new();
        contacts.insert(YearMonth::parse("month", "2026-03").unwrap(), 1000);
        let data = BudgetData {
            uf_rate: None,
            lines: vec![line],
            planned: vec![amount("2026-03", "1000000"), amount("2026-04", "1000000")],
            actual: vec![amount("2026-03", "1100000"), amount("2026-04", "900000")],
            contacts,
        };
        let v = variance_json(&data, GroupBy::Total).unwrap();
        assert_eq!(v["rows"][0]["variance"], "0");
        let cpc = &v["cost_per_contact"];
        assert_eq!(cpc["by_month"][0]["cost_per_contact"], "1100");
        assert!(cpc["by_month"][1]["cost_per_contact"].is_null());
        assert_eq!(cpc["total"], "1100");
    }
}
