//! Alarm maths for the control loop: which figures, dates and amounts deserve a manager's
//! attention, and how big the problem is.
//!
//! Layers, cheapest and most explainable first (`docs/domain/control-and-reports.md` §1):
//! target breaches with a tolerance and a minimum volume; statistical anomalies of volume
//! against a seasonal robust baseline per weekday and 15-minute slot (median and MAD of the
//! last same-slot values, holidays excluded, modified z-score); a two-sided CUSUM on daily
//! residuals for slow drifts (AHT creeping up); volume against a forecast with limits from
//! the forecast's own past errors; delays of the work plan; the budget projected at the
//! current burn rate; data gaps in open hours; imports with a high rejected share.
//!
//! Everything here takes values and returns [`Finding`]s: no clock (the caller passes
//! "today"), no time zone (the caller gives each interval its local day and slot, and the
//! days to exclude, e.g. the Chilean holidays of the WFM calendar). Consecutive flagged
//! intervals merge into one finding.

use std::collections::{BTreeSet, HashMap};

use jiff::civil::{Date, Weekday};

/// Length of an interval, in seconds.
pub const SLOT_S: i64 = 900;

/// What kind of problem a finding reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// An indicator beyond its target and tolerance band.
    TargetBreach,
    /// Volume far from the seasonal baseline of the same weekday and slot.
    VolumeAnomaly,
    /// A slow, sustained shift of a daily indicator (CUSUM).
    Drift,
    /// Volume outside the forecast's own error band.
    ForecastDeviation,
    /// An activity past its finish date and not complete.
    Overdue,
    /// An activity whose remaining work no longer fits before its finish plus slack.
    Slip,
    /// A milestone that a delayed predecessor will push.
    MilestoneAtRisk,
    /// Spending projected at the current burn rate beyond the plan.
    BudgetOverrun,
    /// Open hours with no data.
    DataGap,
    /// An import that rejected a high share of its records.
    RejectedShare,
}

impl Kind {
    /// Every kind, in a stable order.
    pub const ALL: [Kind; 10] = [
        Kind::TargetBreach,
        Kind::VolumeAnomaly,
        Kind::Drift,
        Kind::ForecastDeviation,
        Kind::Overdue,
        Kind::Slip,
        Kind::MilestoneAtRisk,
        Kind::BudgetOverrun,
        Kind::DataGap,
        Kind::RejectedShare,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::TargetBreach => "target_breach",
            Kind::VolumeAnomaly => "volume_anomaly",
            Kind::Drift => "drift",
            Kind::ForecastDeviation => "forecast_deviation",
            Kind::Overdue => "overdue",
            Kind::Slip => "slip",
            Kind::MilestoneAtRisk => "milestone_at_risk",
            Kind::BudgetOverrun => "budget_overrun",
            Kind::DataGap => "data_gap",
            Kind::RejectedShare => "rejected_share",
        }
    }

    /// The kind of a wire name.
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// When a finding happened: intervals (UTC epoch seconds, end exclusive) or calendar days
/// (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// `[start, end)` in UTC epoch seconds.
    Instants { start: i64, end: i64 },
    /// `from..=to`, local calendar days.
    Days { from: Date, to: Date },
}

/// One problem found: what, where, when and how big.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The kind of problem.
    pub kind: Kind,
    /// The indicator or quantity (`offered`, `aht`, `service_level`, `days`, `amount`…).
    pub metric: String,
    /// What it is about: a queue, an activity id, an import batch id; empty for the programme.
    pub subject: String,
    /// When.
    pub period: Period,
    /// What was expected (baseline, target, plan), in the metric's unit.
    pub expected: f64,
    /// What was observed or projected, in the metric's unit.
    pub observed: f64,
    /// How big: relative deviation for volumes and drifts, shortfall in the indicator's unit
    /// for targets, days for delays, minor currency units for budgets, hours for gaps, share
    /// for rejected imports.
    pub magnitude: f64,
    /// The evidence strength: the largest |modified z|, the CUSUM statistic, or days of effect
    /// on the programme's end date.
    pub score: f64,
}

/// Median of a non-empty slice (sorted in place).
pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Median and median absolute deviation.
pub fn median_mad(values: &[f64]) -> (f64, f64) {
    let mut v = values.to_vec();
    let m = median(&mut v);
    let mut d: Vec<f64> = values.iter().map(|x| (x - m).abs()).collect();
    (m, median(&mut d))
}

/// The modified z-score of Iglewicz and Hoaglin: `0.6745 (x − median) / MAD`.
pub fn modified_z(x: f64, median: f64, mad: f64) -> f64 {
    0.6745 * (x - median) / mad
}

/// Merges sorted interval starts into runs of consecutive intervals `[start, end)`.
pub fn merge_runs(starts: &[i64]) -> Vec<(i64, i64)> {
    let mut out: Vec<(i64, i64)> = Vec::new();
    for &s in starts {
        match out.last_mut() {
            Some(last) if last.1 == s => last.1 = s + SLOT_S,
            _ => out.push((s, s + SLOT_S)),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// (a) Target breaches.

/// A target judged per interval: beyond `tolerance` (in the indicator's unit) it is breached,
/// but only in intervals with at least `min_volume` contacts.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetRule {
    /// Indicator name (`service_level`, `asa`, `aht`, `abandon_rate`…).
    pub indicator: String,
    /// Target value in the indicator's unit.
    pub target: f64,
    /// Whether higher values are better.
    pub higher_is_better: bool,
    /// Width of the tolerance band beyond the target.
    pub tolerance: f64,
    /// Intervals with fewer contacts are not judged.
    pub min_volume: u64,
    /// A breach must last at least this many consecutive intervals.
    pub persistence: usize,
}

/// One interval's value of an indicator and the volume behind it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IntervalFigure {
    /// Interval start, UTC epoch seconds.
    pub start: i64,
    /// The indicator's value; `None` when it has no denominator.
    pub value: Option<f64>,
    /// Contacts behind the value.
    pub volume: u64,
}

/// Runs of consecutive intervals beyond target and tolerance. `subject` names the queue.
pub fn target_breaches(
    subject: &str,
    points: &[IntervalFigure],
    rule: &TargetRule,
) -> Vec<Finding> {
    let mut flagged: Vec<(i64, f64, u64)> = points
        .iter()
        .filter(|p| p.volume >= rule.min_volume.max(1))
        .filter_map(|p| {
            let v = p.value?;
            let shortfall = if rule.higher_is_better {
                rule.target - v
            } else {
                v - rule.target
            };
            (shortfall > rule.tolerance).then_some((p.start, v, p.volume))
        })
        .collect();
    flagged.sort_by_key(|f| f.0);
    let starts: Vec<i64> = flagged.iter().map(|f| f.0).collect();
    merge_runs(&starts)
        .into_iter()
        .filter(|(s, e)| ((e - s) / SLOT_S) as usize >= rule.persistence.max(1))
        .map(|(s, e)| {
            let run: Vec<&(i64, f64, u64)> =
                flagged.iter().filter(|f| f.0 >= s && f.0 < e).collect();
            let vol: u64 = run.iter().map(|f| f.2).sum();
            let observed = run.iter().map(|f| f.1 * f.2 as f64).sum::<f64>() / vol as f64;
            let shortfall = if rule.higher_is_better {
                rule.target - observed
            } else {
                observed - rule.target
            };
            Finding {
                kind: Kind::TargetBreach,
                metric: rule.indicator.clone(),
                subject: subject.to_string(),
                period: Period::Instants { start: s, end: e },
                expected: rule.target,
                observed,
                magnitude: shortfall,
                score: run.len() as f64,
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// (b) Seasonal robust baseline and CUSUM drift.

/// One interval's value with its local calendar position.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SlotValue {
    /// Interval start, UTC epoch seconds.
    pub start: i64,
    /// Local calendar day of the interval.
    pub day: Date,
    /// Local 15-minute slot of the day (0 = 00:00).
    pub slot: u16,
    /// The value (a count for volumes).
    pub value: f64,
}

/// Settings of the seasonal baseline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BaselineConfig {
    /// How many previous same-weekday same-slot values form the baseline.
    pub history: usize,
    /// Fewer previous values than this: the interval is not judged.
    pub min_history: usize,
    /// |modified z| above this flags the interval (Iglewicz–Hoaglin: 3.5).
    pub z: f64,
    /// Between two flagged intervals, intervals beyond this (same direction) keep the run
    /// together, so one noisy interval does not split a two-hour surge into two alarms.
    pub z_continue: f64,
    /// A flag must last at least this many consecutive intervals.
    pub persistence: usize,
    /// Intervals whose baseline is below this (in the value's unit) are not judged: night
    /// intervals with tiny counts say nothing.
    pub min_expected: f64,
}

impl Default for BaselineConfig {
    fn default() -> Self {
        BaselineConfig {
            history: 8,
            min_history: 4,
            z: 3.5,
            z_continue: 2.0,
            persistence: 2,
            min_expected: 5.0,
        }
    }
}

/// The MAD of a square-rooted Poisson count cannot honestly be below that of its noise
/// (standard deviation ½, so MAD ≈ 0.6745 / 2): with few values the sample MAD can be zero.
const SQRT_COUNT_MIN_MAD: f64 = 0.6745 * 0.5;

/// Slots on each side whose deviations join a slot's scale estimate.
const SCALE_SLOTS: u16 = 2;

/// Volume anomalies of one queue: each interval from `from` on (UTC epoch seconds) is
/// compared, on the square-root scale, with the median of the previous `cfg.history` values
/// of the same weekday and slot, scaled by the MAD of those values pooled with the
/// neighbouring slots' (modified z-score); days in `excluded` (holidays) are
/// neither judged nor used as baseline. Consecutive flagged intervals in the same direction
/// merge (see [`BaselineConfig::z_continue`]); the magnitude is observed / expected − 1 over the run.
pub fn volume_anomalies(
    subject: &str,
    series: &[SlotValue],
    excluded: &BTreeSet<Date>,
    from: i64,
    cfg: &BaselineConfig,
) -> Vec<Finding> {
    let mut by_slot: HashMap<(Weekday, u16), Vec<&SlotValue>> = HashMap::new();
    for p in series.iter().filter(|p| !excluded.contains(&p.day)) {
        by_slot
            .entry((p.day.weekday(), p.slot))
            .or_default()
            .push(p);
    }
    for v in by_slot.values_mut() {
        v.sort_by_key(|p| p.start);
    }
    // The previous `history` square-rooted values of one weekday and slot before `day`.
    let previous = |w: Weekday, slot: u16, day: Date| -> Vec<f64> {
        by_slot
            .get(&(w, slot))
            .map(|same| {
                let before = same.partition_point(|q| q.day < day);
                same[..before]
                    .iter()
                    .rev()
                    .take(cfg.history)
                    .map(|q| q.value.max(0.0).sqrt())
                    .collect()
            })
            .unwrap_or_default()
    };
    // (start, up?, observed, expected, |z|)
    let mut flagged: Vec<(i64, bool, f64, f64, f64)> = Vec::new();
    for p in series
        .iter()
        .filter(|p| p.start >= from && !excluded.contains(&p.day))
    {
        let w = p.day.weekday();
        let own = previous(w, p.slot, p.day);
        if own.len() < cfg.min_history {
            continue;
        }
        let (m, _) = median_mad(&own);
        let expected = m * m;
        if expected < cfg.min_expected {
            continue;
        }
        // The scale pools the deviations of the neighbouring slots (each from its own slot's
        // median): eight values alone give a MAD too noisy to judge by.
        let mut deviations = Vec::new();
        for s in p.slot.saturating_sub(SCALE_SLOTS)..=p.slot.saturating_add(SCALE_SLOTS) {
            let vals = previous(w, s, p.day);
            if vals.len() < cfg.min_history {
                continue;
            }
            let (ms, _) = median_mad(&vals);
            deviations.extend(vals.iter().map(|v| (v - ms).abs()));
        }
        let mad = median(&mut deviations).max(SQRT_COUNT_MIN_MAD);
        let z = modified_z(p.value.max(0.0).sqrt(), m, mad);
        if z.abs() > cfg.z_continue {
            flagged.push((p.start, z > 0.0, p.value, expected, z.abs()));
        }
    }
    flagged.sort_by_key(|f| f.0);
    let mut out = Vec::new();
    for up in [true, false] {
        let run_of: Vec<&(i64, bool, f64, f64, f64)> =
            flagged.iter().filter(|f| f.1 == up).collect();
        let starts: Vec<i64> = run_of.iter().map(|f| f.0).collect();
        for (s, e) in merge_runs(&starts) {
            // A run opens and closes on intervals beyond `z`; weaker ones only bridge.
            let strong: Vec<i64> = run_of
                .iter()
                .filter(|f| f.0 >= s && f.0 < e && f.4 > cfg.z)
                .map(|f| f.0)
                .collect();
            if strong.len() < cfg.persistence.max(1) {
                continue;
            }
            let (s, e) = (strong[0], strong[strong.len() - 1] + SLOT_S);
            let run: Vec<_> = run_of.iter().filter(|f| f.0 >= s && f.0 < e).collect();
            let observed: f64 = run.iter().map(|f| f.2).sum();
            let expected: f64 = run.iter().map(|f| f.3).sum();
            out.push(Finding {
                kind: Kind::VolumeAnomaly,
                metric: "offered".into(),
                subject: subject.to_string(),
                period: Period::Instants { start: s, end: e },
                expected,
                observed,
                magnitude: observed / expected - 1.0,
                score: run.iter().map(|f| f.4).fold(0.0, f64::max),
            });
        }
    }
    out.sort_by_key(|f| match f.period {
        Period::Instants { start, .. } => start,
        Period::Days { .. } => 0,
    });
    out
}

/// A daily value of an indicator (for AHT: handle seconds over answered calls).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DayValue {
    /// Local calendar day.
    pub day: Date,
    /// The day's value.
    pub value: f64,
}

/// Settings of the CUSUM drift detector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DriftConfig {
    /// Previous same-weekday values forming a day's baseline.
    pub history: usize,
    /// Fewer than this: the day has no baseline.
    pub min_history: usize,
    /// Reference value k of the CUSUM, in robust standard deviations.
    pub k: f64,
    /// Decision interval h of the CUSUM, in robust standard deviations.
    pub h: f64,
    /// Lower bound of the relative day-to-day noise.
    pub min_sigma: f64,
    /// Fewer reference residuals than this before `from`: no judgement.
    pub min_reference: usize,
}

impl Default for DriftConfig {
    fn default() -> Self {
        DriftConfig {
            history: 8,
            min_history: 3,
            k: 0.5,
            h: 8.0,
            min_sigma: 0.01,
            min_reference: 7,
        }
    }
}

/// Slow drifts of a daily indicator: each day's residual is its relative deviation from the
/// median of the previous same-weekday values (holidays excluded); residuals are scaled by a
/// robust noise estimate (1.4826 × MAD of the residuals before `from`) and fed to a two-sided
/// CUSUM from `from` on. A drift runs from the day the statistic left zero to the last day it
/// stayed above zero; its magnitude is the residual of that last day (how big the shift is
/// now) and its score the highest CUSUM value.
pub fn drifts(
    metric: &str,
    subject: &str,
    days: &[DayValue],
    excluded: &BTreeSet<Date>,
    from: Date,
    cfg: &DriftConfig,
) -> Vec<Finding> {
    let mut days: Vec<&DayValue> = days
        .iter()
        .filter(|d| !excluded.contains(&d.day) && d.value.is_finite() && d.value > 0.0)
        .collect();
    days.sort_by_key(|d| d.day);
    let mut by_weekday: HashMap<Weekday, Vec<f64>> = HashMap::new();
    // (day, value, baseline, residual)
    let mut residuals: Vec<(Date, f64, f64, f64)> = Vec::new();
    for d in &days {
        let same = by_weekday.entry(d.day.weekday()).or_default();
        if same.len() >= cfg.min_history {
            let tail: Vec<f64> = same.iter().rev().take(cfg.history).copied().collect();
            let (m, _) = median_mad(&tail);
            residuals.push((d.day, d.value, m, d.value / m - 1.0));
        }
        same.push(d.value);
    }
    let reference: Vec<f64> = residuals
        .iter()
        .filter(|r| r.0 < from)
        .map(|r| r.3)
        .collect();
    if reference.len() < cfg.min_reference {
        return Vec::new();
    }
    let (_, mad) = median_mad(&reference);
    let sigma = (1.4826 * mad).max(cfg.min_sigma);
    let mut out = Vec::new();
    for up in [true, false] {
        let sign = if up { 1.0 } else { -1.0 };
        let mut s = 0.0_f64;
        let mut run: Vec<&(Date, f64, f64, f64)> = Vec::new();
        let mut peak = 0.0_f64;
        let mut alarmed = false;
        let mut close = |run: &mut Vec<&(Date, f64, f64, f64)>, peak: f64, alarmed: bool| {
            if alarmed {
                if let (Some(first), Some(last)) = (run.first(), run.last()) {
                    let n = run.len() as f64;
                    out.push(Finding {
                        kind: Kind::Drift,
                        metric: metric.to_string(),
                        subject: subject.to_string(),
                        period: Period::Days {
                            from: first.0,
                            to: last.0,
                        },
                        expected: run.iter().map(|r| r.2).sum::<f64>() / n,
                        observed: run.iter().map(|r| r.1).sum::<f64>() / n,
                        magnitude: last.3,
                        score: peak,
                    });
                }
            }
            run.clear();
        };
        for r in residuals.iter().filter(|r| r.0 >= from) {
            s = (s + sign * r.3 / sigma - cfg.k).max(0.0);
            if s > 0.0 {
                run.push(r);
                peak = peak.max(s);
                alarmed |= s > cfg.h;
            } else {
                close(&mut run, peak, alarmed);
                peak = 0.0;
                alarmed = false;
            }
        }
        close(&mut run, peak, alarmed);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// (c) Volume against the forecast.

/// One interval's actual and forecast volume.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ForecastPoint {
    /// Interval start, UTC epoch seconds.
    pub start: i64,
    /// Contacts offered.
    pub actual: f64,
    /// Contacts forecast.
    pub forecast: f64,
}

/// The forecast's own error band: the 1 % and 99 % quantiles of its past log errors
/// `ln((actual + 1) / (forecast + 1))`, or median ± 3.5 robust deviations with fewer than
/// 100 past errors.
pub fn forecast_band(past_errors: &[f64]) -> Option<(f64, f64)> {
    let mut e: Vec<f64> = past_errors
        .iter()
        .copied()
        .filter(|x| x.is_finite())
        .collect();
    if e.len() < 10 {
        return None;
    }
    if e.len() >= 100 {
        e.sort_by(f64::total_cmp);
        let q = |p: f64| e[((e.len() - 1) as f64 * p).round() as usize];
        Some((q(0.01), q(0.99)))
    } else {
        let (m, mad) = median_mad(&e);
        let w = 3.5 * 1.4826 * mad.max(1e-6);
        Some((m - w, m + w))
    }
}

/// The log error of a forecast, as [`forecast_band`] takes it.
pub fn forecast_error(actual: f64, forecast: f64) -> f64 {
    ((actual + 1.0) / (forecast + 1.0)).ln()
}

/// Runs of consecutive intervals whose volume is outside the forecast's error band.
pub fn forecast_deviations(
    subject: &str,
    points: &[ForecastPoint],
    band: (f64, f64),
    persistence: usize,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for up in [true, false] {
        let mut flagged: Vec<&ForecastPoint> = points
            .iter()
            .filter(|p| {
                let e = forecast_error(p.actual, p.forecast);
                if up {
                    e > band.1
                } else {
                    e < band.0
                }
            })
            .collect();
        flagged.sort_by_key(|p| p.start);
        let starts: Vec<i64> = flagged.iter().map(|p| p.start).collect();
        for (s, e) in merge_runs(&starts) {
            if (((e - s) / SLOT_S) as usize) < persistence.max(1) {
                continue;
            }
            let run: Vec<_> = flagged
                .iter()
                .filter(|p| p.start >= s && p.start < e)
                .collect();
            let observed: f64 = run.iter().map(|p| p.actual).sum();
            let expected: f64 = run.iter().map(|p| p.forecast).sum();
            out.push(Finding {
                kind: Kind::ForecastDeviation,
                metric: "offered".into(),
                subject: subject.to_string(),
                period: Period::Instants { start: s, end: e },
                expected,
                observed,
                magnitude: observed / expected.max(1.0) - 1.0,
                score: run.len() as f64,
            });
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// (d) Delays of the work plan.

/// An activity as scheduled, with its progress.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityState {
    /// Activity code.
    pub id: String,
    /// First day of work.
    pub start: Date,
    /// Last day of work (for a milestone, its day).
    pub finish: Date,
    /// Days of work.
    pub duration_days: u32,
    /// 0–100.
    pub progress: u8,
    /// Total slack in days (0 on the critical path).
    pub slack: i64,
    /// Whether it is a milestone (a dated checkpoint, no work of its own).
    pub milestone: bool,
    /// Direct predecessors.
    pub predecessors: Vec<String>,
}

/// How the work plan counts days: every calendar day, or the programme's working days
/// (durations, slack and delays are all in these days).
pub trait DayCounter {
    /// Counted days from `today` up to `finish`, both included; when `finish` is already past,
    /// one minus the counted days in `[finish, today)` (so zero or less).
    fn days_left(&self, today: Date, finish: Date) -> i64;
    /// The day `n` counted days after `from`.
    fn after(&self, from: Date, n: i64) -> Date;
}

/// Every day counts.
#[derive(Debug, Clone, Copy, Default)]
pub struct CalendarDays;

impl DayCounter for CalendarDays {
    fn days_left(&self, today: Date, finish: Date) -> i64 {
        days_between(today, finish) + 1
    }
    fn after(&self, from: Date, n: i64) -> Date {
        from.checked_add(jiff::Span::new().days(n)).unwrap_or(from)
    }
}

/// Days an activity will finish late if its remaining work starts today at the planned
/// pace: remaining work days minus the days left up to its finish (today included), both
/// counted on the plan's days.
fn projected_delay(a: &ActivityState, today: Date, days: &dyn DayCounter) -> i64 {
    if a.milestone || a.progress >= 100 || a.start > today {
        return 0;
    }
    let remaining = (i64::from(a.duration_days) * i64::from(100 - a.progress) + 99) / 100;
    let available = days.days_left(today, a.finish);
    (remaining - available).max(0)
}

/// Whole days from `a` to `b` (negative when `b` is earlier).
pub fn days_between(a: Date, b: Date) -> i64 {
    b.since(a).map(|s| i64::from(s.get_days())).unwrap_or(0)
}

/// Overdue activities, activities that slipped beyond their slack (their delay beyond the
/// slack moves the programme's end date by as many days: the score), and milestones that a
/// delayed predecessor will push; every day counts.
pub fn delays(acts: &[ActivityState], today: Date) -> Vec<Finding> {
    delays_on(acts, today, &CalendarDays)
}

/// [`delays`] on the plan's own days (e.g. working days): slips and pushes are counted, and
/// their periods end, in those days; how late an overdue activity is stays in calendar days.
pub fn delays_on(acts: &[ActivityState], today: Date, days: &dyn DayCounter) -> Vec<Finding> {
    let mut out = Vec::new();
    let delay: HashMap<&str, i64> = acts
        .iter()
        .map(|a| (a.id.as_str(), projected_delay(a, today, days)))
        .collect();
    let by_id: HashMap<&str, &ActivityState> = acts.iter().map(|a| (a.id.as_str(), a)).collect();
    for a in acts {
        let d = delay[a.id.as_str()];
        let effect = (d - a.slack.max(0)).max(0);
        if !a.milestone && a.progress < 100 && a.finish < today {
            out.push(Finding {
                kind: Kind::Overdue,
                metric: "days".into(),
                subject: a.id.clone(),
                period: Period::Days {
                    from: a.finish,
                    to: today,
                },
                expected: 100.0,
                observed: f64::from(a.progress),
                magnitude: days_between(a.finish, today) as f64,
                score: effect as f64,
            });
        } else if effect > 0 {
            out.push(Finding {
                kind: Kind::Slip,
                metric: "days".into(),
                subject: a.id.clone(),
                period: Period::Days {
                    from: a.finish,
                    to: days.after(a.finish, d),
                },
                expected: f64::from(a.duration_days),
                observed: f64::from(a.progress),
                magnitude: d as f64,
                score: effect as f64,
            });
        }
    }
    for m in acts
        .iter()
        .filter(|a| a.milestone && a.progress < 100 && a.finish >= today)
    {
        // The largest push any transitive predecessor gives: its delay beyond the slack it has
        // over the milestone.
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        let mut stack: Vec<&str> = m.predecessors.iter().map(String::as_str).collect();
        let mut push = 0_i64;
        let mut culprit = String::new();
        while let Some(id) = stack.pop() {
            if !seen.insert(id) {
                continue;
            }
            let Some(p) = by_id.get(id) else { continue };
            let free = (p.slack - m.slack).max(0);
            let p_push = delay[id] - free;
            if p_push > push {
                push = p_push;
                culprit = p.id.clone();
            }
            stack.extend(p.predecessors.iter().map(String::as_str));
        }
        if push > 0 {
            out.push(Finding {
                kind: Kind::MilestoneAtRisk,
                metric: culprit,
                subject: m.id.clone(),
                period: Period::Days {
                    from: m.finish,
                    to: days.after(m.finish, push),
                },
                expected: 0.0,
                observed: push as f64,
                magnitude: push as f64,
                score: (push - m.slack.max(0)).max(0) as f64,
            });
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// (e) Budget projected at the current burn rate.

/// Spending so far against the plan, in minor units of one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetBurn {
    /// Planned total for the whole programme.
    pub planned_total: i64,
    /// Actual spending up to `today`.
    pub actual_to_date: i64,
    /// First day of the programme.
    pub start: Date,
    /// Last day of the programme.
    pub end: Date,
    /// Today, in the programme's time zone.
    pub today: Date,
    /// Tolerance over the plan, in basis points (500 = 5 %).
    pub tolerance_bp: u32,
}

/// The total projected at the current burn rate: actual × programme days / elapsed days,
/// rounded half up in integer arithmetic (money never passes through floating point).
pub fn projected_total(b: &BudgetBurn) -> i64 {
    let total = days_between(b.start, b.end) + 1;
    let elapsed = (days_between(b.start, b.today.min(b.end)) + 1).clamp(1, total.max(1));
    let num = i128::from(b.actual_to_date) * i128::from(total);
    let den = i128::from(elapsed);
    i64::try_from((2 * num + den) / (2 * den)).unwrap_or(i64::MAX)
}

/// A budget overrun when the projected total exceeds the plan by more than the tolerance;
/// the magnitude is the projected overrun in minor units.
pub fn budget_overrun(b: &BudgetBurn) -> Option<Finding> {
    if b.today < b.start || b.planned_total <= 0 {
        return None;
    }
    let projected = projected_total(b);
    let over = i128::from(projected) - i128::from(b.planned_total);
    if over * 10_000 <= i128::from(b.planned_total) * i128::from(b.tolerance_bp) {
        return None;
    }
    Some(Finding {
        kind: Kind::BudgetOverrun,
        metric: "amount".into(),
        subject: String::new(),
        period: Period::Days {
            from: b.start,
            to: b.end,
        },
        expected: b.planned_total as f64,
        observed: projected as f64,
        magnitude: over as f64,
        score: over as f64 / b.planned_total as f64,
    })
}

// ---------------------------------------------------------------------------------------------
// (f) Data gaps and rejected imports.

/// Runs of at least `min_intervals` consecutive open intervals (`expected`, interval starts)
/// with no data in `observed`; the magnitude is the gap in hours.
pub fn data_gaps(
    subject: &str,
    expected: &[i64],
    observed: &BTreeSet<i64>,
    min_intervals: usize,
) -> Vec<Finding> {
    let mut missing: Vec<i64> = expected
        .iter()
        .copied()
        .filter(|s| !observed.contains(s))
        .collect();
    missing.sort_unstable();
    merge_runs(&missing)
        .into_iter()
        .filter(|(s, e)| ((e - s) / SLOT_S) as usize >= min_intervals.max(1))
        .map(|(s, e)| Finding {
            kind: Kind::DataGap,
            metric: "hours".into(),
            subject: subject.to_string(),
            period: Period::Instants { start: s, end: e },
            expected: ((e - s) / SLOT_S) as f64,
            observed: 0.0,
            magnitude: (e - s) as f64 / 3600.0,
            score: ((e - s) / SLOT_S) as f64,
        })
        .collect()
}

/// One import's record counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportCounts {
    /// Import batch id.
    pub batch_id: i64,
    /// When it was imported, UTC epoch seconds.
    pub at: i64,
    /// Records accepted.
    pub accepted: u64,
    /// Records rejected.
    pub rejected: u64,
}

/// Imports of at least `min_records` records that rejected more than `max_share` of them.
pub fn rejected_imports(
    batches: &[ImportCounts],
    max_share: f64,
    min_records: u64,
) -> Vec<Finding> {
    batches
        .iter()
        .filter_map(|b| {
            let n = b.accepted + b.rejected;
            if n < min_records.max(1) {
                return None;
            }
            let share = b.rejected as f64 / n as f64;
            (share > max_share).then(|| Finding {
                kind: Kind::RejectedShare,
                metric: "share".into(),
                subject: b.batch_id.to_string(),
                period: Period::Instants {
                    start: b.at,
                    end: b.at,
                },
                expected: max_share,
                observed: share,
                magnitude: share,
                score: b.rejected as f64,
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Effect of a corrective action.

/// What an effectiveness check concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The indicator improved after the action, beyond chance at the stated level.
    Effective,
    /// Enough data, and no improvement beyond chance.
    NotEffective,
    /// Too few comparable values on either side to tell.
    Inconclusive,
}

impl Verdict {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Effective => "effective",
            Verdict::NotEffective => "not_effective",
            Verdict::Inconclusive => "inconclusive",
        }
    }
}

/// An effectiveness check: the Mann–Whitney U test, one-sided in the direction of
/// improvement, with the normal approximation and the tie correction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EffectCheck {
    pub verdict: Verdict,
    /// Values before and after.
    pub n_before: usize,
    pub n_after: usize,
    /// Medians before and after.
    pub median_before: f64,
    pub median_after: f64,
    /// One-sided p-value of "no improvement" (1 when not computed).
    pub p_value: f64,
}

/// Fewer comparable values than this on either side: inconclusive.
pub const EFFECT_MIN_N: usize = 8;

/// The standard normal upper tail `P(Z > z)` (Abramowitz–Stegun 7.1.26 on erfc; error
/// below 1.5e-7, ample for a significance decision).
pub fn normal_upper_tail(z: f64) -> f64 {
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erfc = poly * (-x * x).exp();
    if z >= 0.0 {
        erfc / 2.0
    } else {
        1.0 - erfc / 2.0
    }
}

/// Compares an indicator before and after an action over comparable intervals (same
/// weekdays and slots): effective when the after values are better (higher when
/// `higher_is_better`) with one-sided p < `alpha`.
pub fn effect_check(
    before: &[f64],
    after: &[f64],
    higher_is_better: bool,
    alpha: f64,
) -> EffectCheck {
    let b: Vec<f64> = before.iter().copied().filter(|x| x.is_finite()).collect();
    let a: Vec<f64> = after.iter().copied().filter(|x| x.is_finite()).collect();
    let med = |v: &[f64]| {
        if v.is_empty() {
            f64::NAN
        } else {
            median(&mut v.to_vec())
        }
    };
    let mut out = EffectCheck {
        verdict: Verdict::Inconclusive,
        n_before: b.len(),
        n_after: a.len(),
        median_before: med(&b),
        median_after: med(&a),
        p_value: 1.0,
    };
    if b.len() < EFFECT_MIN_N || a.len() < EFFECT_MIN_N {
        return out;
    }
    // Ranks of the pooled values (ties share their mean rank).
    let mut pooled: Vec<(f64, bool)> = b
        .iter()
        .map(|&x| (x, false))
        .chain(a.iter().map(|&x| (x, true)))
        .collect();
    pooled.sort_by(|x, y| x.0.total_cmp(&y.0));
    let n = pooled.len();
    let mut rank_after = 0.0;
    let mut tie_term = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && pooled[j + 1].0 == pooled[i].0 {
            j += 1;
        }
        let r = (i + j) as f64 / 2.0 + 1.0;
        let t = (j - i + 1) as f64;
        tie_term += t * t * t - t;
        for p in &pooled[i..=j] {
            if p.1 {
                rank_after += r;
            }
        }
        i = j + 1;
    }
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    let u_after = rank_after - n1 * (n1 + 1.0) / 2.0;
    let mean = n1 * n2 / 2.0;
    let nn = n1 + n2;
    let var = n1 * n2 / 12.0 * ((nn + 1.0) - tie_term / (nn * (nn - 1.0)));
    if var <= 0.0 {
        out.verdict = Verdict::NotEffective;
        return out;
    }
    // Continuity-corrected z of "after is larger".
    let z = (u_after - mean - 0.5 * (u_after - mean).signum()) / var.sqrt();
    let z = if higher_is_better { z } else { -z };
    out.p_value = normal_upper_tail(z);
    out.verdict = if out.p_value < alpha {
        Verdict::Effective
    } else {
        Verdict::NotEffective
    };
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn modified_z_of_the_median_is_zero_and_scales_with_the_mad() {
        let (m, mad) = median_mad(&[1.0, 2.0, 3.0, 4.0, 100.0]);
        assert_eq!((m, mad), (3.0, 1.0));
        assert_eq!(modified_z(3.0, m, mad), 0.0);
        assert!((modified_z(10.0, m, mad) - 0.6745 * 7.0).abs() < 1e-12);
    }

    #[test]
    fn consecutive_intervals_merge_and_a_hole_splits_them() {
        let runs = merge_runs(&[0, 900, 1800, 3600]);
        assert_eq!(runs, vec![(0, 2700), (3600, 4500)]);
    }

    #[test]
    fn a_breach_needs_volume_and_a_shortfall_beyond_the_tolerance() {
        let rule = TargetRule {
            indicator: "service_level".into(),
            target: 80.0,
            higher_is_better: true,
            tolerance: 5.0,
            min_volume: 10,
            persistence: 1,
        };
        let p = |i: i64, v: f64, n: u64| IntervalFigure {
            start: i * SLOT_S,
            value: Some(v),
            volume: n,
        };
        let f = target_breaches(
            "q",
            &[
                p(0, 76.0, 50),
                p(1, 60.0, 5),
                p(2, 70.0, 50),
                p(3, 70.0, 50),
            ],
            &rule,
        );
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].period,
            Period::Instants {
                start: 2 * SLOT_S,
                end: 4 * SLOT_S
            }
        );
        assert!((f[0].magnitude - 10.0).abs() < 1e-9);
    }

    #[test]
    fn lower_is_better_targets_breach_above() {
        let rule = TargetRule {
            indicator: "abandon_rate".into(),
            target: 5.0,
            higher_is_better: false,
            tolerance: 1.0,
            min_volume: 1,
            persistence: 1,
        };
        let pts = [IntervalFigure {
            start: 0,
            value: Some(7.0),
            volume: 10,
        }];
        assert_eq!(target_breaches("", &pts, &rule).len(), 1);
        let pts = [IntervalFigure {
            start: 0,
            value: Some(5.9),
            volume: 10,
        }];
        assert!(target_breaches("", &pts, &rule).is_empty());
    }

    #[test]
    fn the_projection_uses_the_burn_rate_in_integers() {
        let b = BudgetBurn {
            planned_total: 1_000_000,
            actual_to_date: 600_000,
            start: date(2026, 1, 1),
            end: date(2026, 1, 10),
            today: date(2026, 1, 5),
            tolerance_bp: 500,
        };
        assert_eq!(projected_total(&b), 1_200_000);
        let f = budget_overrun(&b).unwrap();
        assert_eq!(f.magnitude, 200_000.0);
        let within = BudgetBurn {
            actual_to_date: 520_000,
            ..b
        };
        assert!(budget_overrun(&within).is_none(), "1 040 000 is within 5 %");
    }

    #[test]
    fn an_overdue_activity_counts_days_since_its_finish() {
        let a = ActivityState {
            id: "A1".into(),
            start: date(2026, 1, 1),
            finish: date(2026, 1, 10),
            duration_days: 10,
            progress: 0,
            slack: 0,
            milestone: false,
            predecessors: vec![],
        };
        let f = delays(&[a], date(2026, 1, 20));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].kind, Kind::Overdue);
        assert_eq!(f[0].magnitude, 10.0);
        // 10 days of work from today: finishes 20 days late, all of them on the end date.
        assert_eq!(f[0].score, 19.0);
    }

    #[test]
    fn work_on_schedule_raises_nothing() {
        let a = ActivityState {
            id: "A1".into(),
            start: date(2026, 1, 1),
            finish: date(2026, 1, 10),
            duration_days: 10,
            progress: 50,
            slack: 0,
            milestone: false,
            predecessors: vec![],
        };
        assert!(delays(&[a], date(2026, 1, 6)).is_empty());
    }

    /// Monday to Friday, for the tests.
    struct Weekdays;

    impl DayCounter for Weekdays {
        fn days_left(&self, today: Date, finish: Date) -> i64 {
            let weekday = |d: Date| d.weekday().to_monday_one_offset() <= 5;
            let (mut n, mut d) = (0, today.min(finish));
            while d < today.max(finish) {
                n += i64::from(weekday(d));
                d = d.tomorrow().unwrap();
            }
            if finish >= today {
                n + i64::from(weekday(finish))
            } else {
                1 - n
            }
        }
        fn after(&self, from: Date, n: i64) -> Date {
            let (mut d, mut left) = (from, n);
            while left > 0 {
                d = d.tomorrow().unwrap();
                if d.weekday().to_monday_one_offset() <= 5 {
                    left -= 1;
                }
            }
            d
        }
    }

    #[test]
    fn a_slip_on_working_days_counts_and_ends_in_working_days() {
        // Monday 5 to Friday 9 January 2026, five working days, not started on Thursday 8:
        // two working days are left for five of work, so it finishes three working days late,
        // on Wednesday 14 (on calendar days the same count would end on Monday 12).
        let a = ActivityState {
            id: "A1".into(),
            start: date(2026, 1, 5),
            finish: date(2026, 1, 9),
            duration_days: 5,
            progress: 0,
            slack: 0,
            milestone: false,
            predecessors: vec![],
        };
        let today = date(2026, 1, 8);
        let f = delays_on(std::slice::from_ref(&a), today, &Weekdays);
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].kind, f[0].magnitude), (Kind::Slip, 3.0));
        assert_eq!(
            f[0].period,
            Period::Days {
                from: date(2026, 1, 9),
                to: date(2026, 1, 14)
            }
        );
        let c = delays(&[a], today);
        assert_eq!(
            c[0].period,
            Period::Days {
                from: date(2026, 1, 9),
                to: date(2026, 1, 12)
            }
        );
    }

    #[test]
    fn a_weekend_is_no_time_to_work_on_working_days() {
        // Friday 2 to Tuesday 6 January, three working days (Fri, Mon, Tue), not started on
        // Saturday 3: four calendar days are left (on time on calendar days), but only two
        // working days for three of work: one working day late, to Wednesday 7.
        let a = ActivityState {
            id: "A1".into(),
            start: date(2026, 1, 2),
            finish: date(2026, 1, 6),
            duration_days: 3,
            progress: 0,
            slack: 0,
            milestone: false,
            predecessors: vec![],
        };
        let today = date(2026, 1, 3);
        assert!(delays(std::slice::from_ref(&a), today).is_empty());
        let f = delays_on(&[a], today, &Weekdays);
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].magnitude, f[0].period),
            (
                1.0,
                Period::Days {
                    from: date(2026, 1, 6),
                    to: date(2026, 1, 7)
                }
            )
        );
    }

    #[test]
    fn a_rejected_share_above_the_limit_is_raised() {
        let b = [
            ImportCounts {
                batch_id: 1,
                at: 0,
                accepted: 90,
                rejected: 10,
            },
            ImportCounts {
                batch_id: 2,
                at: 0,
                accepted: 99,
                rejected: 1,
            },
            ImportCounts {
                batch_id: 3,
                at: 0,
                accepted: 1,
                rejected: 2,
            },
        ];
        let f = rejected_imports(&b, 0.05, 20);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].subject, "1");
    }

    #[test]
    fn forecast_band_falls_back_to_robust_limits_with_few_errors() {
        let e: Vec<f64> = (0..20).map(|i| (i as f64 - 10.0) / 100.0).collect();
        let (lo, hi) = forecast_band(&e).unwrap();
        assert!(lo < -0.1 && hi > 0.1);
        let pts: Vec<ForecastPoint> = (0..4)
            .map(|i| ForecastPoint {
                start: i * SLOT_S,
                actual: if i < 3 { 200.0 } else { 100.0 },
                forecast: 100.0,
            })
            .collect();
        let f = forecast_deviations("q", &pts, (lo, hi), 2);
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].period,
            Period::Instants {
                start: 0,
                end: 3 * SLOT_S
            }
        );
    }

    #[test]
    fn the_normal_tail_matches_the_table() {
        assert!((normal_upper_tail(1.6449) - 0.05).abs() < 1e-4);
        assert!((normal_upper_tail(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_upper_tail(-1.96) - 0.975).abs() < 1e-4);
    }

    #[test]
    fn a_clear_improvement_is_effective_and_no_change_is_not() {
        let before: Vec<f64> = (0..12).map(|i| 70.0 + (i % 4) as f64).collect();
        let better: Vec<f64> = (0..12).map(|i| 82.0 + (i % 4) as f64).collect();
        let same: Vec<f64> = (0..12).map(|i| 70.5 + (i % 4) as f64).collect();
        let e = effect_check(&before, &better, true, 0.05);
        assert_eq!(e.verdict, Verdict::Effective);
        assert!(e.p_value < 1e-3);
        assert_eq!(
            effect_check(&before, &same, true, 0.05).verdict,
            Verdict::NotEffective
        );
        // For a lower-is-better indicator the same rise is a deterioration.
        assert_eq!(
            effect_check(&before, &better, false, 0.05).verdict,
            Verdict::NotEffective
        );
        assert_eq!(
            effect_check(&before[..5], &better, true, 0.05).verdict,
            Verdict::Inconclusive
        );
    }

    #[test]
    fn mann_whitney_matches_a_worked_example() {
        // All 8 after values above all 8 before values: U = 64, mean 32, var 8·8·17/12.
        let before: Vec<f64> = (0..8).map(f64::from).collect();
        let after: Vec<f64> = (10..18).map(f64::from).collect();
        let e = effect_check(&before, &after, true, 0.05);
        let z = (64.0 - 32.0 - 0.5) / (8.0 * 8.0 * 17.0 / 12.0_f64).sqrt();
        assert!((e.p_value - normal_upper_tail(z)).abs() < 1e-12);
        assert!((z - 3.308).abs() < 1e-3);
    }
}
