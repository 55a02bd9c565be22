//! Corrective actions: cause, action, owner, due date, priority and status, from an alarm or by
//! hand; each option ("+N agents from 10:00 to 14:00") is costed with the WFM engine's what-if
//! (Erlang A per interval, patience from the data) and the programme's cost rates, so options
//! compare side by side by expected service level and cost per point of SL gained, and each is
//! judged technically against the staffing plan's roster ([`feasibility`]); once done, an
//! effectiveness check compares the service level before and after over the same weekday and
//! slots (Mann–Whitney, one-sided, α = 0.05), on request or by itself after each import that
//! brings data of the after-window ([`App::recheck_actions`]).

use std::collections::BTreeMap;

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use rumbo_domain::access::Action as Access;
use rumbo_domain::plan::budget::{CostRate, Rounding};
use rumbo_domain::{Invalid, Invalids};
use rumbo_kpi::control::effect_check;
use rumbo_kpi::{Agg, KpiDefinition};
use rumbo_store::control::ActionRow;
use rumbo_store::Actor;
use rumbo_wfm::{erlang_a, Load};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::model::Programme;
use crate::plan::docs::{reparse, ChangeBody, ChangeRequestDoc, CostRateDoc, Doc};
use crate::plan::PlanVersion;
use crate::plan::{compute, PlanCx};
use crate::{App, Error, Principal, Result};

/// Priorities and statuses an action may have.
pub const PRIORITIES: [&str; 3] = ["low", "medium", "high"];
/// Technical-feasibility statuses of an option (see [`feasibility`]).
pub const FEASIBILITY: [&str; 4] = ["feasible", "hiring", "late", "unknown"];
/// Statuses of an action, in their usual order.
pub const STATUSES: [&str; 5] = ["proposed", "approved", "in_progress", "done", "cancelled"];

/// One option to evaluate: extra agents in a window of the day.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OptionInput {
    pub label: String,
    pub extra_agents: u32,
    /// `HH:MM`, local time, on a quarter hour.
    pub from: String,
    pub to: String,
}

/// A new corrective action.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ActionInput {
    pub alarm_id: Option<i64>,
    pub cause: String,
    pub action: String,
    pub owner_id: Option<i64>,
    /// `YYYY-MM-DD`.
    pub due_date: String,
    pub priority: String,
    /// The day whose intervals the options are evaluated on (`YYYY-MM-DD`); by default the
    /// day the alarm started.
    pub day: Option<String>,
    pub options: Vec<OptionInput>,
}

/// A change of an action's status.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionStatus {
    pub status: String,
}

fn quarter(field: &'static str, s: &str) -> Result<Time, Invalid> {
    let t: Time = s
        .trim()
        .parse()
        .map_err(|_| Invalid::new(field, "error.action.time"))?;
    if t.minute() % 15 == 0 && t.second() == 0 {
        Ok(t)
    } else {
        Err(Invalid::new(field, "error.action.time"))
    }
}

/// What approving an action changes in the plan: a change request (dates, resources, targets or
/// scope) with its impact and the plan values it sets (`target.7.value`, `activity.A3.start`…).
#[derive(Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApprovalRequest {
    pub kind: String,
    pub impact: String,
    pub changes: Vec<ChangeBody>,
}

/// The expected figures of one interval under one option.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WhatIfRow {
    pub start: i64,
    pub offered: u64,
    pub aht_s: f64,
    pub patience_s: f64,
    /// Agents on the phones now (from agent time, or the fewest that explain the observed SL).
    pub agents: u32,
    pub observed_sl: f64,
    pub sl_now: f64,
    pub sl: f64,
    pub asa_s: f64,
    pub abandon: f64,
}

impl App {
    /// The programme's corrective actions, newest first (needs `Read`).
    pub async fn actions(&self, who: &Principal, code: &str) -> Result<Vec<ActionRow>> {
        let p = self.programme_for(who, code, Access::Read).await?;
        Ok(self.store.actions(p.programme.id).await?)
    }

    /// One corrective action (needs `Read`).
    pub async fn action(&self, who: &Principal, code: &str, id: i64) -> Result<ActionRow> {
        let p = self.programme_for(who, code, Access::Read).await?;
        Ok(self.store.action(p.programme.id, id).await?)
    }

    /// Checks and records a corrective action with every option evaluated (needs `Update`).
    pub async fn create_action(
        &self,
        who: &Principal,
        code: &str,
        input: ActionInput,
    ) -> Result<ActionRow> {
        let p = self
            .programme_for(who, code, Access::Update)
            .await?
            .programme;
        self.create_action_in(&p, &who.actor(), input).await
    }

    /// [`App::create_action`] once access is checked, recorded as `actor`.
    pub(crate) async fn create_action_in(
        &self,
        p: &Programme,
        actor: &Actor,
        input: ActionInput,
    ) -> Result<ActionRow> {
        let cx = PlanCx::system(p.clone())?;
        let check = self.plan_check(&cx).await?;
        let tz = TimeZone::get(&p.time_zone).unwrap_or(TimeZone::UTC);
        let mut bad = Vec::new();
        let mut need = |ok: bool, field: &'static str, key: &'static str| {
            if !ok {
                bad.push(Invalid::new(field, key));
            }
        };
        need(
            !input.cause.trim().is_empty() && input.cause.len() <= 2000,
            "cause",
            "error.action.cause",
        );
        need(
            !input.action.trim().is_empty() && input.action.len() <= 2000,
            "action",
            "error.action.action",
        );
        need(
            input
                .owner_id
                .is_some_and(|o| check.person_ids.contains(&o)),
            "owner_id",
            "error.owner.required",
        );
        let due: Option<Date> = input.due_date.trim().parse().ok();
        need(due.is_some(), "due_date", "error.date.format");
        need(
            PRIORITIES.contains(&input.priority.as_str()),
            "priority",
            "error.action.priority",
        );
        need(
            (1..=4).contains(&input.options.len()),
            "options",
            "error.action.options",
        );
        let alarm = match input.alarm_id {
            Some(id) => Some(
                self.store
                    .alarm(p.id, id)
                    .await
                    .map_err(|_| Error::invalid("alarm_id", "error.action.alarm"))?,
            ),
            None => None,
        };
        let day: Option<Date> = match (&input.day, &alarm) {
            (Some(d), _) if !d.trim().is_empty() => d.trim().parse().ok(),
            (_, Some(a)) => jiff::Timestamp::from_second(a.period_start)
                .ok()
                .map(|t| t.to_zoned(tz.clone()).date()),
            _ => None,
        };
        need(day.is_some(), "day", "error.date.format");
        let mut windows = Vec::new();
        for o in &input.options {
            match (quarter("from", &o.from), quarter("to", &o.to)) {
                (Ok(f), Ok(t)) if f < t && (1..=500).contains(&o.extra_agents) => {
                    windows.push((o.clone(), f, t))
                }
                (Err(e), _) | (_, Err(e)) => bad.push(e),
                _ => bad.push(Invalid::new("options", "error.action.options")),
            }
        }
        if !bad.is_empty() {
            return Err(Error::Invalid(Invalids(bad)));
        }
        let day = day.ok_or_else(|| Error::invalid("day", "error.date.format"))?;
        let due = due.ok_or_else(|| Error::invalid("due_date", "error.date.format"))?;
        let rate = self.cost_rate(&cx).await?;
        let roster = Roster::of(self.staffing(&cx).await?.as_ref(), due);
        let today = compute::today(&cx);
        let mut options = Vec::new();
        for (o, from, to) in windows {
            let rows = self.what_if(p, &tz, day, from, to, o.extra_agents).await?;
            let mut option = option_json(&o, &rows, rate.as_ref())?;
            option["feasibility"] = feasibility(&rows, o.extra_agents, roster, today, due)?;
            options.push(option);
        }
        let data = json!({
            "cause": input.cause.trim(), "action": input.action.trim(),
            "owner_id": input.owner_id, "due_date": due.to_string(),
            "priority": input.priority, "status": "proposed",
            "day": day.to_string(), "options": options,
            "effect": Value::Null,
        });
        Ok(self
            .store
            .create_action(actor, p.id, input.alarm_id, &data)
            .await?)
    }

    /// Moves an action to another status (needs `Update`); `done` records the day.
    pub async fn set_action_status(
        &self,
        who: &Principal,
        code: &str,
        id: i64,
        status: ActionStatus,
    ) -> Result<ActionRow> {
        let p = self
            .programme_for(who, code, Access::Update)
            .await?
            .programme;
        if !STATUSES.contains(&status.status.as_str()) {
            return Err(Error::invalid("status", "error.action.status"));
        }
        let row = self.store.action(p.id, id).await?;
        let mut data = row.data.clone();
        data["status"] = json!(status.status);
        if status.status == "done" {
            let cx = PlanCx::system(p.clone())?;
            data["done_on"] = json!(compute::today(&cx).to_string());
        }
        Ok(self
            .store
            .update_action(&who.actor(), p.id, id, &data)
            .await?)
    }

    /// The effectiveness check of a done action (needs `Update`): the service level of the
    /// first option's window on the evaluated day and the three same weekdays before it,
    /// against the same weekday and slots after the action was done (up to four weeks).
    /// The check also runs by itself after each import that brings data of the action's
    /// after-window ([`App::recheck_actions`]).
    pub async fn check_action(&self, who: &Principal, code: &str, id: i64) -> Result<ActionRow> {
        let p = self
            .programme_for(who, code, Access::Update)
            .await?
            .programme;
        let row = self.store.action(p.id, id).await?;
        if row.data["status"] != "done" {
            return Err(Error::invalid("status", "error.action.not_done"));
        }
        let latest = self.latest_imported(p.id).await?;
        let mut data = row.data.clone();
        data["effect"] = self.effect_of(&p, &row.data, latest, false).await?;
        Ok(self
            .store
            .update_action(&who.actor(), p.id, id, &data)
            .await?)
    }

    /// The end of the latest imported interval of programme `programme_id`, if any data.
    async fn latest_imported(&self, programme_id: i64) -> Result<Option<i64>> {
        Ok(self.store.data_span(programme_id).await?.map(|(_, hi)| hi))
    }

    /// The first comparable window after the action was done: the first day after `done_on`
    /// on the evaluated day's weekday, and the local end of the first option's window on it.
    fn first_after(d: &Value, tz: &TimeZone) -> Result<(Date, Date, Time, Time, i64)> {
        let parse_day = |v: &Value| v.as_str().and_then(|s| s.parse::<Date>().ok());
        let (Some(day), Some(done)) = (parse_day(&d["day"]), parse_day(&d["done_on"])) else {
            return Err(Error::internal_msg("stored action without its days"));
        };
        let first = &d["options"][0];
        let (Ok(from), Ok(to)) = (
            quarter("from", first["from"].as_str().unwrap_or_default()),
            quarter("to", first["to"].as_str().unwrap_or_default()),
        ) else {
            return Err(Error::internal_msg(
                "stored action option without its window",
            ));
        };
        let mut after = done.tomorrow().map_err(Error::internal)?;
        while after.weekday() != day.weekday() {
            after = after.tomorrow().map_err(Error::internal)?;
        }
        let end = after
            .to_datetime(to)
            .to_zoned(tz.clone())
            .map(|z| z.timestamp().as_second())
            .map_err(Error::internal)?;
        Ok((day, after, from, to, end))
    }

    /// The effectiveness of a done action as stored in its `effect`: the test's verdict and
    /// figures, the day it ran, up to which imported data (`data_until`, epoch seconds) and
    /// whether it ran by itself after an import (`auto`).
    async fn effect_of(
        &self,
        p: &Programme,
        d: &Value,
        latest: Option<i64>,
        auto: bool,
    ) -> Result<Value> {
        let tz = TimeZone::get(&p.time_zone).unwrap_or(TimeZone::UTC);
        let (day, first_after, from, to, _) = Self::first_after(d, &tz)?;
        let mut before = Vec::new();
        for k in 0..4 {
            let d = day
                .checked_sub(jiff::Span::new().weeks(k))
                .map_err(Error::internal)?;
            before.extend(self.window_sl(p, &tz, d, from, to).await?);
        }
        let mut after = Vec::new();
        for k in 0..4 {
            let w = first_after
                .checked_add(jiff::Span::new().weeks(k))
                .map_err(Error::internal)?;
            after.extend(self.window_sl(p, &tz, w, from, to).await?);
        }
        let e = effect_check(&before, &after, true, 0.05);
        let cx = PlanCx::system(p.clone())?;
        Ok(json!({
            "verdict": e.verdict.as_str(), "p_value": e.p_value, "test": "mann_whitney_one_sided",
            "alpha": 0.05, "indicator": "service_level",
            "n_before": e.n_before, "n_after": e.n_after,
            "median_before": finite(e.median_before), "median_after": finite(e.median_after),
            "checked_on": compute::today(&cx).to_string(),
            "data_until": latest, "auto": auto,
        }))
    }

    /// Runs the effectiveness check again for every done action of programme `p` whose
    /// after-window the imported data now reaches and whose last check did not see this data
    /// yet; part of the evaluation that follows each import. One action's failure is logged
    /// and does not stop the others. Returns the actions checked.
    pub(crate) async fn recheck_actions(&self, p: &Programme, actor: &Actor) -> Result<Vec<i64>> {
        let Some(latest) = self.latest_imported(p.id).await? else {
            return Ok(Vec::new());
        };
        let tz = TimeZone::get(&p.time_zone).unwrap_or(TimeZone::UTC);
        let mut checked = Vec::new();
        for row in self.store.actions(p.id).await? {
            let d = &row.data;
            if d["status"] != "done" || d["effect"]["data_until"].as_i64() == Some(latest) {
                continue;
            }
            let result = async {
                let (.., first_window_end) = Self::first_after(d, &tz)?;
                if latest < first_window_end {
                    return Ok(false);
                }
                let mut data = d.clone();
                data["effect"] = self.effect_of(p, d, Some(latest), true).await?;
                self.store.update_action(actor, p.id, row.id, &data).await?;
                Ok::<bool, Error>(true)
            }
            .await;
            match result {
                Ok(true) => checked.push(row.id),
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(programme = %p.code, action = row.id, error = %e, "effectiveness check failed")
                }
            }
        }
        if !checked.is_empty() {
            tracing::info!(programme = %p.code, actions = ?checked, "effectiveness re-checked");
        }
        Ok(checked)
    }

    /// Submits an action for approval (needs `Update`): a change request to the plan, with the
    /// action's cause and action as its reason, requested by the action's owner.
    pub async fn request_action_approval(
        &self,
        who: &Principal,
        code: &str,
        id: i64,
        req: ApprovalRequest,
    ) -> Result<ActionRow> {
        let cx = self.plan(who, code, Access::Update).await?;
        let row = self.store.action(cx.id(), id).await?;
        if !row.data["change_request_id"].is_null() {
            return Err(Error::Conflict(
                Invalid::new("change_request_id", "error.action.already_requested").into(),
            ));
        }
        let reason = format!(
            "{} → {}",
            row.data["cause"].as_str().unwrap_or_default(),
            row.data["action"].as_str().unwrap_or_default()
        );
        let doc = ChangeRequestDoc {
            kind: req.kind,
            reason: reason.chars().take(2000).collect(),
            impact: req.impact,
            changes: req.changes,
            requested_by: row.data["owner_id"].as_i64(),
            ..ChangeRequestDoc::default()
        };
        let cr = self
            .create_plan_item::<ChangeRequestDoc>(who, &cx, doc)
            .await?;
        let mut data = row.data.clone();
        data["change_request_id"] = json!(cr.id);
        Ok(self
            .store
            .update_action(&who.actor(), cx.id(), id, &data)
            .await?)
    }

    /// Approves an action by approving its change request (needs the rights to decide
    /// changes): the plan gets a new version with the requested values, and the action is
    /// approved, naming that version.
    pub async fn approve_action(
        &self,
        who: &Principal,
        code: &str,
        id: i64,
    ) -> Result<(ActionRow, PlanVersion)> {
        let cx = self.plan(who, code, Access::Update).await?;
        let row = self.store.action(cx.id(), id).await?;
        let Some(cr) = row.data["change_request_id"].as_i64() else {
            return Err(Error::invalid(
                "change_request_id",
                "error.action.no_change_request",
            ));
        };
        let (_, version) = self.approve_change(who, &cx, cr).await?;
        let mut data = row.data.clone();
        data["status"] = json!("approved");
        data["plan_version"] = json!(version.number);
        let row = self
            .store
            .update_action(&who.actor(), cx.id(), id, &data)
            .await?;
        Ok((row, version))
    }

    /// The first cost rate of the plan, if any.
    async fn cost_rate(&self, cx: &PlanCx) -> Result<Option<CostRate>> {
        for i in self
            .store
            .plan_items(Some(cx.id()), CostRateDoc::KIND)
            .await?
        {
            if let Some(r) = reparse::<CostRateDoc>(&i.data).and_then(|d| d.parse().ok()) {
                return Ok(Some(r));
            }
        }
        Ok(None)
    }

    /// Programme totals per 15-minute interval of `day` from `from` to `to` (local times).
    async fn window(
        &self,
        p: &Programme,
        tz: &TimeZone,
        day: Date,
        from: Time,
        to: Time,
    ) -> Result<BTreeMap<i64, Agg>> {
        let at = |t: Time| {
            day.to_datetime(t)
                .to_zoned(tz.clone())
                .map(|z| z.timestamp().as_second())
                .map_err(Error::internal)
        };
        let (start, end) = (at(from)?, at(to)?);
        let def = KpiDefinition::standard();
        let mut totals: BTreeMap<i64, Agg> = BTreeMap::new();
        for r in self
            .store
            .kpi_aggregates(p.id, def.id(), Some(start), Some(end))
            .await?
        {
            // Programme totals: each call once, however many queues it passed through.
            totals
                .entry(r.interval_start)
                .or_default()
                .merge(&r.agg.calls_view());
        }
        Ok(totals)
    }

    /// Service level (percent) of each interval with calls in the window of `day`.
    async fn window_sl(
        &self,
        p: &Programme,
        tz: &TimeZone,
        day: Date,
        from: Time,
        to: Time,
    ) -> Result<Vec<f64>> {
        let def = KpiDefinition::standard();
        Ok(self
            .window(p, tz, day, from, to)
            .await?
            .values()
            .filter_map(|a| a.figures(&def).sl.map(|s| s * 100.0))
            .collect())
    }

    /// The WFM what-if of `extra` agents in each interval of the window.
    async fn what_if(
        &self,
        p: &Programme,
        tz: &TimeZone,
        day: Date,
        from: Time,
        to: Time,
        extra: u32,
    ) -> Result<Vec<WhatIfRow>> {
        let def = KpiDefinition::standard();
        let mut rows = Vec::new();
        for (start, a) in self.window(p, tz, day, from, to).await? {
            if let Some(r) = what_if_row(start, &a, &def, extra)? {
                rows.push(r);
            }
        }
        Ok(rows)
    }
}

/// What the programme's staffing plan says about the people for the week of a date: the
/// headcount employed, the shrinkage (share of paid time off the phones) and the days a new
/// hire needs in training before taking calls.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Roster {
    pub headcount: u32,
    pub shrinkage: f64,
    pub training_days: u32,
}

impl Roster {
    /// The roster of the staffing-plan week that holds `on` (the first or last week when `on`
    /// is outside the plan); `None` without a staffing plan.
    pub fn of(plan: Option<&Value>, on: Date) -> Option<Roster> {
        let plan = plan?;
        let weeks = plan["weeks"].as_array()?;
        let start = |w: &Value| {
            w["week_start"]
                .as_str()
                .and_then(|s| s.parse::<Date>().ok())
        };
        let week = weeks
            .iter()
            .rev()
            .find(|w| start(w).is_some_and(|s| s <= on))
            .or_else(|| weeks.first())?;
        Some(Roster {
            headcount: u32::try_from(week["headcount_available"].as_u64()?).ok()?,
            shrinkage: plan["params"]["shrinkage"]
                .as_f64()
                .unwrap_or(0.0)
                .clamp(0.0, 0.95),
            training_days: u32::try_from(plan["params"]["training_days"].as_u64().unwrap_or(0))
                .ok()?,
        })
    }
}

/// The technical feasibility of `extra` more agents in the window of `rows`: agents needed at
/// its peak (on the phones now + extra) against the roster — the people employed who, after
/// shrinkage, are not already on the phones at that peak. When they are too few, the rest are
/// hires, ready after the training lead time; the option is `feasible` (the roster covers it),
/// `hiring` (hires ready by the due date), `late` (ready only after it) or `unknown` (no
/// staffing plan to judge by).
pub fn feasibility(
    rows: &[WhatIfRow],
    extra: u32,
    roster: Option<Roster>,
    today: Date,
    due: Date,
) -> Result<Value> {
    let on_phones = rows.iter().map(|r| r.agents).max().unwrap_or(0);
    let needed = on_phones + extra;
    let Some(r) = roster else {
        return Ok(json!({ "status": "unknown", "needed": needed, "on_phones": on_phones }));
    };
    let present = (f64::from(r.headcount) * (1.0 - r.shrinkage)).floor() as u32;
    let spare = present.saturating_sub(on_phones);
    let hires = extra.saturating_sub(spare);
    let ready_on = if hires == 0 {
        today
    } else {
        today
            .checked_add(jiff::Span::new().days(i64::from(r.training_days)))
            .map_err(Error::internal)?
    };
    let status = if hires == 0 {
        "feasible"
    } else if ready_on <= due {
        "hiring"
    } else {
        "late"
    };
    Ok(json!({
        "status": status, "needed": needed, "on_phones": on_phones,
        "headcount": r.headcount, "present": present, "spare": spare, "hires": hires,
        "lead_days": if hires == 0 { 0 } else { r.training_days },
        "ready_on": ready_on.to_string(),
    }))
}

fn finite(x: f64) -> Value {
    if x.is_finite() {
        json!(x)
    } else {
        Value::Null
    }
}

/// Mean patience estimated from the data: all waiting time over abandonments (the maximum
/// likelihood estimate for exponential patience); 1 hour when nobody abandoned.
pub fn patience_of(a: &Agg) -> f64 {
    if a.abandoned == 0 {
        3600.0
    } else {
        ((a.wait_answered.to_f64() + a.wait_abandoned.to_f64()) / a.abandoned as f64).max(1.0)
    }
}

/// The what-if of one interval: current agents (from agent time, or the fewest that give the
/// observed service level under Erlang A), then Erlang A with `extra` more.
pub fn what_if_row(
    start: i64,
    a: &Agg,
    def: &KpiDefinition,
    extra: u32,
) -> Result<Option<WhatIfRow>> {
    if a.offered == 0 || a.answered == 0 {
        return Ok(None);
    }
    let aht = (a.talk.to_f64() + a.hold.to_f64() + a.wrap.to_f64()) / a.answered as f64;
    if aht <= 0.0 {
        return Ok(None);
    }
    let load = Load::new(a.offered as f64, 900.0, aht).map_err(Error::internal)?;
    let patience = patience_of(a);
    let target = def.sl_threshold_s;
    let observed = a.answered_within_t as f64 / a.offered as f64;
    let staffed = a.staffed.to_f64() - a.paused.to_f64();
    let agents = if staffed > 0.0 {
        ((staffed / 900.0).round() as u32).max(1)
    } else {
        let mut n = 1;
        while n < 5000 {
            let m = erlang_a::evaluate(&load, patience, n, target).map_err(Error::internal)?;
            if m.sl_offered >= observed {
                break;
            }
            n += 1;
        }
        n
    };
    let now = erlang_a::evaluate(&load, patience, agents, target).map_err(Error::internal)?;
    let with =
        erlang_a::evaluate(&load, patience, agents + extra, target).map_err(Error::internal)?;
    Ok(Some(WhatIfRow {
        start,
        offered: a.offered,
        aht_s: aht,
        patience_s: patience,
        agents,
        observed_sl: observed,
        sl_now: now.sl_offered,
        sl: with.sl_offered,
        asa_s: with.asa_answered_s,
        abandon: with.p_abandon,
    }))
}

/// An option with its rows, the volume-weighted SL now and with it, its cost (minor units of
/// the cost rate's currency) and cost per point of SL gained.
fn option_json(o: &OptionInput, rows: &[WhatIfRow], rate: Option<&CostRate>) -> Result<Value> {
    let calls: u64 = rows.iter().map(|r| r.offered).sum();
    let weighted = |f: &dyn Fn(&WhatIfRow) -> f64| {
        if calls == 0 {
            0.0
        } else {
            rows.iter().map(|r| f(r) * r.offered as f64).sum::<f64>() / calls as f64
        }
    };
    let sl_now = weighted(&|r| r.sl_now);
    let sl_with = weighted(&|r| r.sl);
    let gain_points = (sl_with - sl_now) * 100.0;
    let minutes = u64::from(o.extra_agents) * 15 * rows.len() as u64;
    let cost = match rate {
        Some(r) => Some(
            r.cost_of_minutes(minutes, Rounding::HalfAwayFromZero)
                .map_err(|e| Error::internal_msg(e.key))?,
        ),
        None => None,
    };
    Ok(json!({
        "label": o.label, "extra_agents": o.extra_agents, "from": o.from, "to": o.to,
        "rows": rows, "calls": calls,
        "sl_now": sl_now, "sl": sl_with, "gain_points": gain_points,
        "asa_s": weighted(&|r| r.asa_s), "abandon": weighted(&|r| r.abandon),
        "agent_minutes": minutes,
        "cost": cost.map(|c| c.minor()), "currency": cost.map(|c| c.currency().code()),
        "cost_per_point": match cost {
            Some(c) if gain_points > 0.0 => json!((c.minor() as f64 / gain_points).round()),
            _ => Value::Null,
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(agents: u32) -> WhatIfRow {
        WhatIfRow {
            start: 0,
            offered: 50,
            aht_s: 300.0,
            patience_s: 120.0,
            agents,
            observed_sl: 0.6,
            sl_now: 0.6,
            sl: 0.8,
            asa_s: 10.0,
            abandon: 0.05,
        }
    }

    #[test]
    fn feasibility_weighs_the_agents_needed_at_the_peak_against_the_roster_and_the_hiring_lead_time(
    ) {
        let today: Date = "2026-11-30".parse().unwrap();
        let due: Date = "2026-12-20".parse().unwrap();
        let rows = [row(18), row(24), row(20)];
        let roster = |headcount| {
            Some(Roster {
                headcount,
                shrinkage: 0.25,
                training_days: 15,
            })
        };
        // 32 employed, 24 present after shrinkage, 24 on the phones at the peak: no one spare,
        // so +2 are two hires, ready in 15 days (before the due date).
        let f = feasibility(&rows, 2, roster(32), today, due).unwrap();
        assert_eq!(
            (
                f["status"].as_str(),
                f["needed"].as_u64(),
                f["spare"].as_u64(),
                f["hires"].as_u64()
            ),
            (Some("hiring"), Some(26), Some(0), Some(2))
        );
        assert_eq!(f["ready_on"], "2026-12-15");
        // 40 employed: 30 present, 6 spare: +4 comes from the roster now.
        let f = feasibility(&rows, 4, roster(40), today, due).unwrap();
        assert_eq!(
            (f["status"].as_str(), f["hires"].as_u64()),
            (Some("feasible"), Some(0))
        );
        // Due before the trainees are ready: late.
        let soon: Date = "2026-12-05".parse().unwrap();
        let f = feasibility(&rows, 8, roster(40), today, soon).unwrap();
        assert_eq!(
            (f["status"].as_str(), f["hires"].as_u64()),
            (Some("late"), Some(2))
        );
        // No staffing plan: it cannot be judged, but the need is still stated.
        let f = feasibility(&rows, 2, None, today, due).unwrap();
        assert_eq!(
            (f["status"].as_str(), f["needed"].as_u64()),
            (Some("unknown"), Some(26))
        );
    }

    #[test]
    fn the_roster_is_the_staffing_plan_week_that_holds_the_date() {
        let plan = json!({
            "params": { "shrinkage": 0.3, "training_days": 10 },
            "weeks": [
                { "week_start": "2026-11-30", "headcount_available": 20 },
                { "week_start": "2026-12-07", "headcount_available": 25 }
            ]
        });
        let on = |d: &str| {
            Roster::of(Some(&plan), d.parse().unwrap())
                .unwrap()
                .headcount
        };
        assert_eq!(on("2026-12-01"), 20);
        assert_eq!(on("2026-12-09"), 25);
        assert_eq!(on("2027-03-01"), 25, "after the plan: its last week");
        assert_eq!(on("2026-11-01"), 20, "before the plan: its first week");
        assert_eq!(Roster::of(None, "2026-12-01".parse().unwrap()), None);
    }
}
