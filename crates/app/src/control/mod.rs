//! The control loop: alarm rules per programme (versioned), the evaluation of a programme's
//! alarms from its stored aggregates, plan and budget, the alarms' lifecycle (open →
//! acknowledged → resolved, with an assignee), and the cockpit that gathers, per programme,
//! targets, alarms, overdue work, budget burn and next milestones; and the volume forecast
//! beside the actual volume, made by the WFM engine from the programme's own history.
//!
//! The maths are in `rumbo_kpi::control` (pure); this module reads what it needs through the
//! store and the plan use cases, passes "today" and the Chilean holidays of the WFM calendar,
//! and stores what was found. Evaluation runs on demand and after each import job; it also
//! re-runs the effectiveness check of done corrective actions once new data reaches their
//! after-window.

mod actions;
mod cockpit;
pub(crate) mod evaluate;
mod forecast;
#[cfg(test)]
mod tests;
#[cfg(test)]
pub(crate) use tests::smtp_sink as smtp_sink_for_tests;

pub use actions::{
    feasibility, ActionInput, ActionStatus, ApprovalRequest, OptionInput, Roster, WhatIfRow,
    FEASIBILITY, PRIORITIES, STATUSES,
};
pub use cockpit::{Cockpit, CockpitProgramme, KpiStatus};
pub(crate) use evaluate::indicator_value as indicator_of;
pub use forecast::{VolumeForecast, VolumePoint, BAND_DAYS, FIT_DAYS};
pub use rumbo_store::control::ActionRow;

use rumbo_domain::access::Action;
use rumbo_domain::{Invalid, Invalids};
use rumbo_store::control::AlarmStatus;
use serde::{Deserialize, Serialize};

use crate::model::Programme;
use crate::{App, Error, Principal, Result};

pub use rumbo_kpi::control::Kind as AlarmKind;
pub use rumbo_store::control::{Alarm, AlarmStatus as Status, RulesVersion};

/// A programme's alarm rules: thresholds of every detector. Missing fields take their
/// defaults, so older versions stay readable when a rule is added.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlarmRules {
    /// Days judged by each evaluation, ending with the latest imported interval.
    pub window_days: u32,
    /// Weeks of history before the window that form the seasonal baseline.
    pub history_weeks: u32,
    /// Intervals with fewer contacts are not judged against targets.
    pub min_volume: u64,
    /// A target breach or volume anomaly must last this many consecutive intervals.
    pub persistence: usize,
    /// |modified z| beyond which an interval's volume is anomalous.
    pub anomaly_z: f64,
    /// CUSUM decision interval (robust standard deviations) for AHT drifts.
    pub drift_h: f64,
    /// Shortest data gap raised, in minutes of open hours.
    pub gap_minutes: u32,
    /// Largest share of rejected records an import may have without an alarm (0–1).
    pub max_rejected_share: f64,
    /// Budget tolerance over plan, in percent.
    pub budget_tolerance_pct: f64,
}

impl Default for AlarmRules {
    fn default() -> Self {
        AlarmRules {
            window_days: 7,
            history_weeks: 8,
            min_volume: 20,
            persistence: 2,
            anomaly_z: 3.5,
            drift_h: 8.0,
            gap_minutes: 60,
            max_rejected_share: 0.05,
            budget_tolerance_pct: 5.0,
        }
    }
}

impl AlarmRules {
    /// Checks every threshold; all the problems at once.
    pub fn check(self) -> Result<AlarmRules, Invalids> {
        let mut bad = Vec::new();
        let mut need = |ok: bool, field: &'static str| {
            if !ok {
                bad.push(Invalid::new(field, "error.alarm_rules.range"));
            }
        };
        need((1..=62).contains(&self.window_days), "window_days");
        need((3..=52).contains(&self.history_weeks), "history_weeks");
        need(self.min_volume <= 100_000, "min_volume");
        need((1..=96).contains(&self.persistence), "persistence");
        need(
            self.anomaly_z.is_finite() && (2.0..=10.0).contains(&self.anomaly_z),
            "anomaly_z",
        );
        need(
            self.drift_h.is_finite() && (2.0..=50.0).contains(&self.drift_h),
            "drift_h",
        );
        need(
            (15..=1440).contains(&self.gap_minutes) && self.gap_minutes.is_multiple_of(15),
            "gap_minutes",
        );
        need(
            self.max_rejected_share.is_finite() && (0.0..=1.0).contains(&self.max_rejected_share),
            "max_rejected_share",
        );
        need(
            self.budget_tolerance_pct.is_finite()
                && (0.0..=100.0).contains(&self.budget_tolerance_pct),
            "budget_tolerance_pct",
        );
        if bad.is_empty() {
            Ok(self)
        } else {
            Err(Invalids(bad))
        }
    }
}

/// The rules in force and their version (0: the defaults, never saved).
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    pub version: i64,
    pub rules: AlarmRules,
}

/// A change to an alarm: a lifecycle step and/or an assignee.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlarmChange {
    /// `acknowledged`, `resolved` or `open` (reopen).
    pub status: Option<String>,
    /// A user id; `0` clears the assignee.
    pub assignee_id: Option<i64>,
}

impl App {
    /// The alarm rules in force for programme `code` (needs `Read`).
    pub async fn alarm_rules(&self, who: &Principal, code: &str) -> Result<Rules> {
        let p = self.programme_for(who, code, Action::Read).await?;
        self.rules_of(p.programme.id).await
    }

    pub(crate) async fn rules_of(&self, programme_id: i64) -> Result<Rules> {
        Ok(match self.store.alarm_rules(programme_id).await? {
            Some(v) => Rules {
                version: v.version,
                rules: serde_json::from_value(v.rules).map_err(|e| {
                    Error::internal_msg(format!("stored alarm rules do not parse: {e}"))
                })?,
            },
            None => Rules {
                version: 0,
                rules: AlarmRules::default(),
            },
        })
    }

    /// Saves new alarm rules for programme `code` as its next version (needs `Update`).
    pub async fn set_alarm_rules(
        &self,
        who: &Principal,
        code: &str,
        rules: AlarmRules,
    ) -> Result<Rules> {
        let p = self.programme_for(who, code, Action::Update).await?;
        let rules = rules.check()?;
        let json = serde_json::to_value(&rules).map_err(Error::internal)?;
        let v = self
            .store
            .save_alarm_rules(&who.actor(), p.programme.id, &json)
            .await?;
        Ok(Rules {
            version: v.version,
            rules,
        })
    }

    /// The alarms of programme `code`, newest first; only unresolved ones when `open_only`
    /// (needs `Read`).
    pub async fn alarms(&self, who: &Principal, code: &str, open_only: bool) -> Result<Vec<Alarm>> {
        let p = self.programme_for(who, code, Action::Read).await?;
        Ok(self.store.alarms(p.programme.id, open_only).await?)
    }

    /// One alarm of programme `code` (needs `Read`).
    pub async fn alarm(&self, who: &Principal, code: &str, id: i64) -> Result<Alarm> {
        let p = self.programme_for(who, code, Action::Read).await?;
        Ok(self.store.alarm(p.programme.id, id).await?)
    }

    /// Acknowledges, resolves or reopens an alarm and/or sets its assignee (needs `Update`).
    pub async fn change_alarm(
        &self,
        who: &Principal,
        code: &str,
        id: i64,
        change: AlarmChange,
    ) -> Result<Alarm> {
        let p = self.programme_for(who, code, Action::Update).await?;
        let status = change
            .status
            .as_deref()
            .map(AlarmStatus::parse)
            .transpose()?;
        let assignee = match change.assignee_id {
            None => None,
            Some(0) => Some(None),
            Some(id) => {
                if !self.store.users().await?.iter().any(|u| u.id == id) {
                    return Err(Error::invalid("assignee_id", "error.alarm.assignee"));
                }
                Some(Some(id))
            }
        };
        if status.is_none() && assignee.is_none() {
            return Err(Error::invalid("status", "error.alarm.status"));
        }
        Ok(self
            .store
            .update_alarm(&who.actor(), p.programme.id, id, status, assignee)
            .await?)
    }

    /// Evaluates programme `code`'s alarms as the operator of the installation (the command
    /// line, which has no account), then lists its alarms newest first (only unresolved ones
    /// when `open_only`).
    pub async fn alarms_as_operator(
        &self,
        code: &str,
        evaluate: bool,
        open_only: bool,
    ) -> Result<(Programme, Vec<Alarm>)> {
        let p = self.programme_for_operator(code).await?;
        if evaluate {
            self.evaluate_programme(&p, &rumbo_store::Actor::system("cli"))
                .await?;
        }
        let alarms = self.store.alarms(p.id, open_only).await?;
        Ok((p, alarms))
    }

    /// Evaluates programme `code`'s alarms now (needs `Update`); returns what was found.
    pub async fn evaluate_alarms(&self, who: &Principal, code: &str) -> Result<Vec<Alarm>> {
        let p = self.programme_for(who, code, Action::Update).await?;
        self.evaluate_programme(&p.programme, &who.actor()).await
    }
}
