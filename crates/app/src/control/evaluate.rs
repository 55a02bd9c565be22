//! Evaluating a programme's alarms: stored aggregates, plan and budget in; findings of the
//! pure detectors stored as alarms out.
//!
//! The judged window is the last `window_days` local days up to the latest imported
//! interval (so a programme whose data stopped still shows its last week, and the detectors
//! never judge intervals not yet imported); the `history_weeks` before it form the seasonal
//! baseline, and the volume forecast is fitted on the weeks before it (see `forecast`). Figures are the programme totals over all queues under the standard KPI
//! definition. Open hours are learnt from the history: a weekday's slot is open when at least
//! three quarters of the earlier same weekdays (holidays excluded) had calls in it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use rumbo_domain::plan::budget::Currency;
use rumbo_domain::plan::objectives::{Direction, Granularity as TargetGranularity};
use rumbo_kpi::control::{
    self as detect, ActivityState, BaselineConfig, BudgetBurn, DayValue, DriftConfig, Finding,
    ImportCounts, IntervalFigure, Period, SlotValue, TargetRule, SLOT_S,
};
use rumbo_kpi::{Agg, KpiDefinition};
use rumbo_store::control::{Alarm, NewAlarm};
use rumbo_store::Actor;

use super::AlarmRules;
use crate::model::Programme;
use crate::plan::{compute, PlanCx};
use crate::{App, Error, Result};

/// Indicators that targets may name and that interval aggregates can judge, in the unit
/// targets use (percentages for rates, seconds for times).
pub(crate) fn indicator_value(indicator: &str, a: &Agg, def: &KpiDefinition) -> Option<f64> {
    let f = a.figures(def);
    let pct = |x: Option<f64>| x.map(|x| x * 100.0);
    match indicator {
        "service_level" => pct(f.sl),
        "asa" => f.asa_s,
        "aht" => f.aht_s,
        "abandon_rate" => pct(f.abandon_rate),
        "occupancy" => pct(f.occupancy),
        "contacts_handled" => Some(a.answered as f64),
        _ => None,
    }
}

/// The local start of `d` as UTC epoch seconds.
pub(crate) fn local_start(d: Date, tz: &TimeZone) -> Result<i64> {
    d.to_zoned(tz.clone())
        .map(|z| z.timestamp().as_second())
        .map_err(Error::internal)
}

fn local(ts: i64, tz: &TimeZone) -> Result<(Date, u16)> {
    let z = Timestamp::from_second(ts)
        .map_err(Error::internal)?
        .to_zoned(tz.clone());
    let slot = (i32::from(z.hour()) * 60 + i32::from(z.minute())) / 15;
    Ok((z.date(), slot as u16))
}

/// The Chilean holidays of the years around `from..=to` (the WFM calendar).
pub(crate) fn holidays(from: Date, to: Date) -> BTreeSet<Date> {
    rumbo_wfm::holidays::chile_dates(from.year(), to.year())
        .map(|v| v.into_iter().collect())
        .unwrap_or_default()
}

fn days(n: i64) -> jiff::Span {
    n.days()
}

/// A finding as an alarm row: days become local day starts; the fingerprint names kind,
/// metric, subject and period start, so the same problem is found again on re-evaluation.
fn to_new(f: &Finding, tz: &TimeZone, rules_version: i64) -> Result<NewAlarm> {
    let (start, end) = match f.period {
        Period::Instants { start, end } => (start, end),
        Period::Days { from, to } => (
            local_start(from, tz)?,
            local_start(to.checked_add(days(1)).map_err(Error::internal)?, tz)?,
        ),
    };
    Ok(NewAlarm {
        fingerprint: format!("{}|{}|{}|{}", f.kind.as_str(), f.metric, f.subject, start),
        kind: f.kind.as_str().to_string(),
        metric: f.metric.clone(),
        subject: f.subject.clone(),
        period_start: start,
        period_end: end,
        expected: f.expected,
        observed: f.observed,
        magnitude: f.magnitude,
        score: f.score,
        rules_version,
    })
}

impl App {
    /// Evaluates every detector on programme `p` and records what was found as `actor`.
    pub(crate) async fn evaluate_programme(
        &self,
        p: &Programme,
        actor: &Actor,
    ) -> Result<Vec<Alarm>> {
        let rules = self.rules_of(p.id).await?;
        let tz = TimeZone::get(&p.time_zone).unwrap_or(TimeZone::UTC);
        let cx = PlanCx::system(p.clone())?;
        let today = compute::today(&cx);
        let mut found = self.data_findings(p, &tz, &cx, &rules.rules).await?;
        found.extend(self.plan_findings(&cx, today, &rules.rules).await?);
        let rows: Vec<NewAlarm> = found
            .iter()
            .map(|f| to_new(f, &tz, rules.version))
            .collect::<Result<_>>()?;
        let known: BTreeSet<i64> = self
            .store
            .alarms(p.id, false)
            .await?
            .iter()
            .map(|a| a.id)
            .collect();
        let alarms = self.store.record_alarms(actor, p.id, &rows).await?;
        tracing::info!(programme = %p.code, alarms = alarms.len(), "alarms evaluated");
        // New data may reach the after-window of done corrective actions: check them again.
        if let Err(e) = self.recheck_actions(p, actor).await {
            tracing::warn!(programme = %p.code, error = %e, "effectiveness checks not run");
        }
        let opened: Vec<Alarm> = alarms
            .iter()
            .filter(|a| !known.contains(&a.id))
            .cloned()
            .collect();
        if !opened.is_empty() {
            if let Some(smtp) = self.settings.smtp.clone() {
                let app = self.clone();
                let p = p.clone();
                // Sent apart, so a slow relay never holds an import or a request up.
                tokio::spawn(async move { app.notify_alarms(&smtp, &p, &opened).await });
            }
        }
        Ok(alarms)
    }

    /// Mails the programme's team (one mail per language) about alarms just opened; failures
    /// are logged, never the password.
    async fn notify_alarms(
        &self,
        smtp: &crate::notify::SmtpSettings,
        p: &Programme,
        opened: &[Alarm],
    ) {
        let result = async {
            let members: BTreeSet<i64> = self
                .store
                .members(p.id)
                .await?
                .into_iter()
                .map(|m| m.0)
                .collect();
            let mut by_lang: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for u in self.store.users().await? {
                if u.active && members.contains(&u.id) {
                    let lang = if smtp.texts.contains_key(&u.lang) {
                        u.lang
                    } else {
                        "es".to_string()
                    };
                    by_lang.entry(lang).or_default().push(u.email);
                }
            }
            let alarms: Vec<&Alarm> = opened.iter().collect();
            for (lang, to) in by_lang {
                let Some(texts) = smtp.texts.get(&lang) else {
                    continue;
                };
                let mail = crate::notify::alarm_mail(texts, p, to, &alarms);
                if let Err(e) = crate::notify::send(smtp, &mail).await {
                    tracing::warn!(programme = %p.code, host = %smtp.host, error = %e, "alarm mail not sent");
                } else {
                    tracing::info!(programme = %p.code, recipients = mail.to.len(), "alarm mail sent");
                }
            }
            Ok::<(), Error>(())
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(programme = %p.code, error = %e, "alarm mail not sent");
        }
    }

    /// Evaluates after an import job; failures are logged, never fail the import.
    ///
    /// One evaluation per programme at a time in this process: an import that commits while
    /// one runs (or while the next waits) only asks for one more run and returns. The caller
    /// waits for the first run only; the runs asked for meanwhile are made on a task of their
    /// own, each starting at least [`crate::jobs::JobSettings::evaluation_spacing`] after the
    /// one before. So a stream of small imports costs one evaluation every few seconds and
    /// one after the last, and job workers go on importing meanwhile.
    pub(crate) async fn evaluate_after_import(&self, programme_id: i64) {
        {
            let mut running = self.evaluating.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(again) = running.get_mut(&programme_id) {
                *again = true;
                return;
            }
            running.insert(programme_id, false);
        }
        let started = tokio::time::Instant::now();
        self.evaluate_programme_logged(programme_id).await;
        if !self.evaluation_asked_again(programme_id) {
            return;
        }
        let app = self.clone();
        let spacing = self.settings.jobs.evaluation_spacing;
        tokio::spawn(async move {
            let mut started = started;
            loop {
                tokio::time::sleep_until(started + spacing).await;
                started = tokio::time::Instant::now();
                app.evaluate_programme_logged(programme_id).await;
                if !app.evaluation_asked_again(programme_id) {
                    return;
                }
            }
        });
    }

    /// After an evaluation: whether another was asked for meanwhile (then it stays marked as
    /// running, and the flag is cleared); otherwise the programme is no longer evaluating.
    fn evaluation_asked_again(&self, programme_id: i64) -> bool {
        let mut running = self.evaluating.lock().unwrap_or_else(|e| e.into_inner());
        if running.get(&programme_id) == Some(&true) {
            running.insert(programme_id, false);
            true
        } else {
            running.remove(&programme_id);
            false
        }
    }

    /// One evaluation, at background priority ([`crate::background`]).
    async fn evaluate_programme_logged(&self, programme_id: i64) {
        let app = self.clone();
        let result = crate::background::run("rumbo-alarms", async move {
            let p = app.store.programme_by_id(programme_id).await?;
            app.evaluate_programme(&p, &Actor::system("alarms")).await
        })
        .await
        .and_then(|r| r);
        if let Err(e) = result {
            tracing::warn!(programme = programme_id, error = %e, "alarm evaluation failed");
        }
    }

    /// Findings from imported data: target breaches, volume anomalies, AHT drift, data gaps
    /// and imports with a high rejected share.
    async fn data_findings(
        &self,
        p: &Programme,
        tz: &TimeZone,
        cx: &PlanCx,
        rules: &AlarmRules,
    ) -> Result<Vec<Finding>> {
        let mut out = detect::rejected_imports(
            &self
                .store
                .batches_with_rejections(p.id)
                .await?
                .into_iter()
                .map(|(batch_id, at, imported, rejected)| ImportCounts {
                    batch_id,
                    at,
                    accepted: imported.max(0) as u64,
                    rejected: rejected.max(0) as u64,
                })
                .collect::<Vec<_>>(),
            rules.max_rejected_share,
            20,
        );
        let Some((_, latest)) = self.store.data_span(p.id).await? else {
            return Ok(out);
        };
        let (last_day, _) = local(latest, tz)?;
        let window_from = last_day
            .checked_sub(days(i64::from(rules.window_days) - 1))
            .map_err(Error::internal)?;
        let history_from = window_from
            .checked_sub(days(7 * i64::from(rules.history_weeks)))
            .map_err(Error::internal)?;
        let from_ts = local_start(window_from, tz)?;
        let end_ts = local_start(last_day.tomorrow().map_err(Error::internal)?, tz)?;
        let def = KpiDefinition::standard();
        let mut totals: BTreeMap<i64, Agg> = BTreeMap::new();
        for r in self
            .store
            .kpi_aggregates(
                p.id,
                def.id(),
                Some(local_start(history_from, tz)?),
                Some(end_ts),
            )
            .await?
        {
            // Programme totals: each call once, however many queues it passed through.
            totals
                .entry(r.interval_start)
                .or_default()
                .merge(&r.agg.calls_view());
        }
        let excluded = holidays(history_from, last_day);

        // Per interval: position, volume, and the days' handle time for AHT.
        let mut volumes = Vec::new();
        let mut observed = BTreeSet::new();
        let mut handle: BTreeMap<Date, (f64, u64)> = BTreeMap::new();
        let mut open_count: HashMap<(Weekday, u16), u32> = HashMap::new();
        let mut days_with_data: BTreeSet<Date> = BTreeSet::new();
        for (&start, a) in &totals {
            if a.offered == 0 {
                continue;
            }
            let (day, slot) = local(start, tz)?;
            observed.insert(start);
            volumes.push(SlotValue {
                start,
                day,
                slot,
                value: a.offered as f64,
            });
            let h = handle.entry(day).or_default();
            h.0 += a.talk.to_f64() + a.hold.to_f64() + a.wrap.to_f64();
            h.1 += a.answered;
            if start < from_ts && !excluded.contains(&day) {
                *open_count.entry((day.weekday(), slot)).or_default() += 1;
                days_with_data.insert(day);
            }
        }

        // (a) Targets of the window.
        for (_, t) in self.kpi_targets(cx).await? {
            if t.period_end < window_from || t.period_start > last_day {
                continue;
            }
            let rule = TargetRule {
                indicator: t.indicator.clone(),
                target: t.target,
                higher_is_better: t.direction == Direction::HigherIsBetter,
                tolerance: t.tolerance,
                min_volume: rules.min_volume,
                persistence: rules.persistence,
            };
            let t_from = local_start(t.period_start.max(window_from), tz)?;
            let t_end = local_start(
                t.period_end
                    .min(last_day)
                    .tomorrow()
                    .map_err(Error::internal)?,
                tz,
            )?;
            let in_period = totals.range(t_from..t_end);
            if t.granularity == TargetGranularity::Interval {
                let points: Vec<IntervalFigure> = in_period
                    .filter_map(|(&start, a)| {
                        Some(IntervalFigure {
                            start,
                            value: Some(indicator_value(&t.indicator, a, &def)?),
                            volume: a.offered,
                        })
                    })
                    .collect();
                out.extend(detect::target_breaches("", &points, &rule));
            } else {
                // Day, week, month or whole-period targets: judged over the window as one.
                let mut all = Agg::default();
                for (_, a) in in_period {
                    all.merge(a);
                }
                let value = indicator_value(&t.indicator, &all, &def);
                let point = IntervalFigure {
                    start: t_from,
                    value,
                    volume: all.offered,
                };
                for mut f in detect::target_breaches(
                    "",
                    &[point],
                    &TargetRule {
                        persistence: 1,
                        ..rule
                    },
                ) {
                    f.period = Period::Instants {
                        start: t_from,
                        end: t_end,
                    };
                    out.push(f);
                }
            }
        }

        // (b) Volume anomalies and AHT drift.
        let baseline = BaselineConfig {
            history: rules.history_weeks as usize,
            z: rules.anomaly_z,
            persistence: rules.persistence,
            ..BaselineConfig::default()
        };
        out.extend(detect::volume_anomalies(
            "", &volumes, &excluded, from_ts, &baseline,
        ));
        let aht: Vec<DayValue> = handle
            .iter()
            .filter(|(_, (_, n))| *n > 0)
            .map(|(&day, &(h, n))| DayValue {
                day,
                value: h / n as f64,
            })
            .collect();
        let drift = DriftConfig {
            history: rules.history_weeks as usize,
            h: rules.drift_h,
            ..DriftConfig::default()
        };
        out.extend(detect::drifts(
            "aht",
            "",
            &aht,
            &excluded,
            window_from,
            &drift,
        ));

        // (c) Volume against the forecast made before the window, bounded by that forecast's
        // own errors over the days just before the window.
        let cut_off = window_from
            .checked_sub(days(super::forecast::BAND_DAYS))
            .map_err(Error::internal)?;
        let vols = super::forecast::volumes(
            self,
            p,
            local_start(
                cut_off
                    .checked_sub(days(super::forecast::FIT_DAYS))
                    .map_err(Error::internal)?,
                tz,
            )?,
            end_ts,
        )
        .await?;
        let end = end_ts.min(latest + SLOT_S);
        if let Some(forecast) = super::forecast::forecast_from(&vols, tz, cut_off, end)? {
            let points = super::forecast::judged_points(&vols, &forecast);
            let (calibration, window): (Vec<_>, Vec<_>) =
                points.into_iter().partition(|p| p.start < from_ts);
            let errors: Vec<f64> = calibration
                .iter()
                .map(|p| detect::forecast_error(p.actual, p.forecast))
                .collect();
            if let Some(band) = detect::forecast_band(&errors) {
                out.extend(detect::forecast_deviations(
                    "",
                    &window,
                    band,
                    rules.persistence,
                ));
            }
        }

        // (f) Data gaps in the open hours learnt from the history.
        let mut weekdays_seen: HashMap<Weekday, u32> = HashMap::new();
        for d in &days_with_data {
            *weekdays_seen.entry(d.weekday()).or_default() += 1;
        }
        let mut expected = Vec::new();
        let mut day = window_from;
        while day <= last_day {
            let seen = weekdays_seen.get(&day.weekday()).copied().unwrap_or(0);
            if seen >= 3 && !excluded.contains(&day) {
                let day_start = local_start(day, tz)?;
                let day_end = local_start(day.tomorrow().map_err(Error::internal)?, tz)?;
                let mut s = day_start;
                while s < day_end && s <= latest {
                    let (_, slot) = local(s, tz)?;
                    let n = open_count.get(&(day.weekday(), slot)).copied().unwrap_or(0);
                    if 4 * n >= 3 * seen {
                        expected.push(s);
                    }
                    s += SLOT_S;
                }
            }
            day = day.tomorrow().map_err(Error::internal)?;
        }
        out.extend(detect::data_gaps(
            "",
            &expected,
            &observed,
            (rules.gap_minutes / 15) as usize,
        ));
        Ok(out)
    }

    /// Findings from the plan: delays of the work plan and the budget burn.
    async fn plan_findings(
        &self,
        cx: &PlanCx,
        today: Date,
        rules: &AlarmRules,
    ) -> Result<Vec<Finding>> {
        let mut out = Vec::new();
        let acts: Vec<_> = self
            .activities(cx)
            .await?
            .into_iter()
            .map(|(_, a)| a)
            .collect();
        if !acts.is_empty() {
            let calendar = self.work_calendar(cx).await?;
            let plan = compute::work_plan(cx.dates(), acts)?.with_calendar(calendar);
            let schedule = plan.schedule();
            let states: Vec<ActivityState> = plan
                .activities()
                .iter()
                .filter_map(|a| {
                    let s = schedule.get(a.id.as_str())?;
                    Some(ActivityState {
                        id: a.id.as_str().to_string(),
                        start: s.start,
                        finish: s.finish,
                        duration_days: a.duration_days,
                        progress: a.progress,
                        slack: s.slack,
                        milestone: a.milestone,
                        predecessors: a
                            .dependencies
                            .iter()
                            .map(|d| d.predecessor.as_str().to_string())
                            .collect(),
                    })
                })
                .collect();
            out.extend(detect::delays_on(
                &states,
                today,
                &PlanDays(plan.calendar()),
            ));
        }
        if let Some((b, currency)) = self.budget_burn(cx, today, rules).await? {
            if let Some(mut f) = detect::budget_overrun(&b) {
                // The amounts are minor units of this currency.
                f.metric = currency.code().to_string();
                out.push(f);
            }
        }
        Ok(out)
    }

    /// Planned total and actual spending so far in the currency of the plan, with the day up
    /// to which the actuals run (the end of the last month with an actual amount).
    pub(crate) async fn budget_burn(
        &self,
        cx: &PlanCx,
        today: Date,
        rules: &AlarmRules,
    ) -> Result<Option<(BudgetBurn, Currency)>> {
        let Some(end) = cx.dates().end() else {
            return Ok(None);
        };
        let data = self.budget(cx).await?;
        let Some(currency) = data.planned.first().map(|a| a.amount.currency()) else {
            return Ok(None);
        };
        let same = |a: &&rumbo_domain::plan::budget::LineAmount| a.amount.currency() == currency;
        let planned_total: i64 = data
            .planned
            .iter()
            .filter(same)
            .map(|a| a.amount.minor())
            .sum();
        let actual: Vec<_> = data.actual.iter().filter(same).collect();
        let Some(last_month) = actual.iter().map(|a| a.month).max() else {
            return Ok(None);
        };
        let month_end = Date::new(last_month.year(), last_month.month(), 1)
            .map_err(Error::internal)?
            .last_of_month();
        Ok(Some((
            BudgetBurn {
                planned_total,
                actual_to_date: actual.iter().map(|a| a.amount.minor()).sum(),
                start: cx.dates().start(),
                end,
                today: month_end.min(today),
                tolerance_bp: (rules.budget_tolerance_pct * 100.0).round() as u32,
            },
            currency,
        )))
    }
}

/// The work plan's days (working days on the Chilean calendar, or every day) for the delay
/// detector of the pure core.
struct PlanDays<'a>(&'a rumbo_domain::plan::workplan::WorkCalendar);

impl detect::DayCounter for PlanDays<'_> {
    fn days_left(&self, today: Date, finish: Date) -> i64 {
        if finish >= today {
            self.0.count_inclusive(today, finish)
        } else {
            1 - self.0.offset_of(finish, today)
        }
    }

    fn after(&self, from: Date, n: i64) -> Date {
        match (usize::try_from(n), from.tomorrow()) {
            (Ok(n), Ok(next)) if n > 0 => self.0.days_from(next, n).pop().unwrap_or(from),
            _ => from,
        }
    }
}
