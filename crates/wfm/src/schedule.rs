//! Shift scheduling: from required agents per interval, build shifts (start, length,
//! breaks) and a roster for named people, at least cost, under Chilean labour rules.
//!
//! Rules (all configurable, Chilean defaults in [`Rules::chile`]): weekly ordinary hours
//! by date (44 h, 42 h from 2026-04-26, 40 h from 2028-04-26; the lowest limit in force
//! on any day of a 7-day block applies to that block), at most 10 work hours a day, at
//! least 12 h rest between shifts, days off per 7-day block, a 30-min lunch (not working
//! time) and the teleoperator's 30 min of daily pauses (Ley 21.142; by default treated
//! like lunch: not working time, unpaid), one shift per person per day.
//!
//! Method: a greedy heuristic on marginal value. Each step picks the shift template
//! (day, start, length) whose coverage of the still-uncovered requirement, valued at the
//! shortfall penalty, most exceeds the cost of the cheapest person who may legally work
//! it; it stops when no template pays for itself. Then shifts that no longer pay are
//! removed and breaks are moved to the intervals where coverage is least needed. A lower
//! bound on the objective (cost + penalty·shortfall) is reported to show the gap: every
//! required agent-hour is either paid at least the cheapest hourly rate or penalised, and
//! the people's total legal hours cap what can be covered.
//!
//! Times are local civil date-times; the schedule grid is minutes from the first interval
//! (DST transitions are not modelled here: see `docs` for the caveat).

use jiff::civil::{Date, DateTime};
use jiff::Span;

use crate::{check_param, Error, Result};

/// A weekly-hours limit in force from a date on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WeeklyLimit {
    /// First day the limit applies.
    pub from: Date,
    /// Maximum ordinary hours per week.
    pub hours: f64,
}

/// Scheduling rules.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    /// Weekly limits by date (any order).
    pub weekly_limits: Vec<WeeklyLimit>,
    /// Maximum work hours per day (ordinary).
    pub daily_max_hours: f64,
    /// Minimum rest between the end of a shift and the start of the next, hours.
    pub min_rest_hours: f64,
    /// Minimum days off per 7-day block.
    pub min_days_off: u32,
    /// Lunch length in minutes (not working time).
    pub lunch_minutes: u32,
    /// Lunch is given when work hours exceed this.
    pub lunch_if_work_over_hours: f64,
    /// Teleoperator pauses per day, minutes (split in two halves).
    pub pause_minutes: u32,
    /// Whether pauses count as (paid) working time.
    pub pause_is_work_time: bool,
    /// Allowed shift lengths in work hours.
    pub shift_hours: Vec<f64>,
    /// Granularity of shift starts, minutes.
    pub start_step_minutes: u32,
    /// Penalty per uncovered agent-hour (same currency as hourly costs).
    pub shortfall_penalty_per_hour: f64,
}

impl Rules {
    /// Chilean defaults (Código del Trabajo, Leyes 21.561 and 21.142).
    pub fn chile() -> Self {
        let date = |s: &str| s.parse::<Date>().unwrap_or(Date::ZERO);
        Self {
            weekly_limits: vec![
                WeeklyLimit {
                    from: date("2024-04-26"),
                    hours: 44.0,
                },
                WeeklyLimit {
                    from: date("2026-04-26"),
                    hours: 42.0,
                },
                WeeklyLimit {
                    from: date("2028-04-26"),
                    hours: 40.0,
                },
            ],
            daily_max_hours: 10.0,
            min_rest_hours: 12.0,
            min_days_off: 2,
            lunch_minutes: 30,
            lunch_if_work_over_hours: 5.0,
            pause_minutes: 30,
            pause_is_work_time: false,
            shift_hours: vec![6.0, 7.0, 8.0, 9.0, 10.0],
            start_step_minutes: 30,
            shortfall_penalty_per_hour: 0.0,
        }
    }

    /// Weekly limit in force on `date` (the latest `from` ≤ date; 45 h before any).
    pub fn weekly_limit_on(&self, date: Date) -> f64 {
        self.weekly_limits
            .iter()
            .filter(|l| l.from <= date)
            .max_by_key(|l| l.from)
            .map_or(45.0, |l| l.hours)
    }

    fn validate(&self) -> Result<()> {
        check_param(
            "daily_max_hours",
            self.daily_max_hours,
            self.daily_max_hours > 0.0 && self.daily_max_hours <= 24.0,
            "must be in (0, 24]",
        )?;
        check_param(
            "min_rest_hours",
            self.min_rest_hours,
            self.min_rest_hours >= 0.0,
            "must be ≥ 0",
        )?;
        check_param(
            "shortfall_penalty_per_hour",
            self.shortfall_penalty_per_hour,
            self.shortfall_penalty_per_hour >= 0.0,
            "must be ≥ 0",
        )?;
        if self.min_days_off > 7 {
            return Err(Error::InvalidInput("min_days_off must be ≤ 7".into()));
        }
        if self.start_step_minutes == 0 {
            return Err(Error::InvalidInput("start_step_minutes must be > 0".into()));
        }
        if self.shift_hours.is_empty() {
            return Err(Error::InvalidInput("shift_hours must not be empty".into()));
        }
        for &h in &self.shift_hours {
            check_param(
                "shift_hours",
                h,
                h > 0.0 && h <= self.daily_max_hours,
                "must be in (0, daily_max_hours]",
            )?;
        }
        for l in &self.weekly_limits {
            check_param("weekly_limits.hours", l.hours, l.hours > 0.0, "must be > 0")?;
        }
        Ok(())
    }
}

/// A person who can be scheduled.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    /// Identifier.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Contracted maximum weekly hours (the legal limit also applies).
    pub max_weekly_hours: f64,
    /// Cost per paid hour.
    pub hourly_cost: f64,
    /// Dates the person cannot work.
    pub unavailable: Vec<Date>,
}

/// Required agents for one interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Requirement {
    /// Local start of the interval.
    pub start: DateTime,
    /// Agents required (productive, on the phones).
    pub required: f64,
}

/// Kind of break.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakKind {
    /// Colación (not working time).
    Lunch,
    /// Teleoperator pause (Ley 21.142).
    Pause,
}

/// A break inside a shift.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Break {
    /// Start.
    pub start: DateTime,
    /// Length in minutes.
    pub minutes: u32,
    /// Kind.
    pub kind: BreakKind,
}

/// One scheduled shift.
#[derive(Debug, Clone, PartialEq)]
pub struct Shift {
    /// Index into the people slice.
    pub person: usize,
    /// Start of the shift.
    pub start: DateTime,
    /// End of the shift (breaks included).
    pub end: DateTime,
    /// Breaks.
    pub breaks: Vec<Break>,
    /// Paid working hours.
    pub work_hours: f64,
    /// Cost of the shift.
    pub cost: f64,
}

/// Coverage of one interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coverage {
    /// Interval start.
    pub start: DateTime,
    /// Agents required.
    pub required: f64,
    /// Agents scheduled on the phones (fractional when a break covers part of it).
    pub scheduled: f64,
    /// max(0, required − scheduled).
    pub under: f64,
    /// max(0, scheduled − required).
    pub over: f64,
}

/// A roster with its evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct Roster {
    /// Shifts, sorted by person then start.
    pub shifts: Vec<Shift>,
    /// Coverage per requirement interval.
    pub coverage: Vec<Coverage>,
    /// Interval length in minutes.
    pub interval_minutes: i64,
    /// Total paid cost.
    pub total_cost: f64,
    /// Uncovered agent-hours.
    pub shortfall_agent_hours: f64,
    /// Over-covered agent-hours.
    pub over_agent_hours: f64,
    /// Penalty used for shortfall.
    pub shortfall_penalty_per_hour: f64,
    /// cost + penalty·shortfall.
    pub objective: f64,
    /// Lower bound on the objective.
    pub lower_bound: f64,
}

impl Roster {
    /// Relative gap between the objective and its lower bound.
    pub fn gap(&self) -> f64 {
        if self.objective <= 0.0 {
            0.0
        } else {
            (self.objective - self.lower_bound) / self.objective
        }
    }
}

/// Internal shift template on the minute grid.
#[derive(Debug, Clone)]
struct Template {
    day: usize,
    start: i64,
    end: i64,
    work_hours: f64,
    /// Breaks as (start, minutes, kind); positions may be adjusted later.
    breaks: Vec<(i64, i64, BreakKind)>,
}

struct Grid {
    origin: DateTime,
    slot: i64,
    required: Vec<f64>,
}

impl Grid {
    fn at(&self, minute: i64) -> Result<DateTime> {
        self.origin
            .checked_add(Span::new().minutes(minute))
            .map_err(|e| Error::InvalidInput(e.to_string()))
    }
    fn horizon(&self) -> i64 {
        self.slot * self.required.len() as i64
    }
    /// Per-slot worked fraction of a template.
    fn coverage(&self, t: &Template) -> Vec<(usize, f64)> {
        let mut out = Vec::new();
        let first = (t.start / self.slot).max(0);
        let last = ((t.end - 1) / self.slot).min(self.required.len() as i64 - 1);
        for s in first..=last {
            let (a, b) = (s * self.slot, (s + 1) * self.slot);
            let mut worked = overlap(a, b, t.start, t.end);
            for &(bs, bm, _) in &t.breaks {
                worked -= overlap(a, b, bs, bs + bm);
            }
            if worked > 0 {
                out.push((s as usize, worked as f64 / self.slot as f64));
            }
        }
        out
    }
}

fn overlap(a: i64, b: i64, c: i64, d: i64) -> i64 {
    (b.min(d) - a.max(c)).max(0)
}

fn minutes_between(a: DateTime, b: DateTime) -> Result<i64> {
    let span = a
        .until((jiff::Unit::Minute, b))
        .map_err(|e| Error::InvalidInput(e.to_string()))?;
    Ok(span.get_minutes())
}

fn build_grid(reqs: &[Requirement]) -> Result<Grid> {
    if reqs.is_empty() {
        return Err(Error::InvalidInput("requirements are empty".into()));
    }
    let mut sorted = reqs.to_vec();
    sorted.sort_by_key(|r| r.start);
    let origin = sorted[0]
        .start
        .date()
        .to_datetime(jiff::civil::Time::midnight());
    let mut slot = i64::MAX;
    for w in sorted.windows(2) {
        let d = minutes_between(w[0].start, w[1].start)?;
        if d > 0 {
            slot = slot.min(d);
        }
    }
    if slot == i64::MAX {
        slot = 60;
    }
    let last = minutes_between(origin, sorted[sorted.len() - 1].start)?;
    let n = (last / slot + 1) as usize;
    let mut required = vec![0.0; n];
    for r in &sorted {
        check_param("required", r.required, r.required >= 0.0, "must be ≥ 0")?;
        let m = minutes_between(origin, r.start)?;
        if m % slot != 0 {
            return Err(Error::InvalidInput(format!(
                "{} is not on the {slot}-min grid",
                r.start
            )));
        }
        required[(m / slot) as usize] += r.required;
    }
    Ok(Grid {
        origin,
        slot,
        required,
    })
}

/// The template of `h` work hours starting at minute `start` of day `day`, with lunch in
/// the middle and the pauses at a quarter and three quarters of the span; `None` when it
/// would run past the horizon.
fn template_at(grid: &Grid, rules: &Rules, day: usize, start: i64, h: f64) -> Option<Template> {
    let work_min = (h * 60.0).round() as i64;
    let lunch = if h > rules.lunch_if_work_over_hours {
        i64::from(rules.lunch_minutes)
    } else {
        0
    };
    let pause = i64::from(rules.pause_minutes);
    let unpaid_pause = if rules.pause_is_work_time { 0 } else { pause };
    let span = work_min + lunch + unpaid_pause;
    let end = start + span;
    if start < 0 || end > grid.horizon() {
        return None;
    }
    let g = grid.slot.min(15);
    let mut breaks = Vec::new();
    if lunch > 0 {
        breaks.push((
            round_to(start + span / 2 - lunch / 2, g),
            lunch,
            BreakKind::Lunch,
        ));
    }
    if pause > 0 {
        let half = pause / 2;
        breaks.push((round_to(start + span / 4, g), half, BreakKind::Pause));
        breaks.push((
            round_to(start + 3 * span / 4, g),
            pause - half,
            BreakKind::Pause,
        ));
    }
    Some(Template {
        day,
        start,
        end,
        work_hours: h,
        breaks,
    })
}

fn make_templates(grid: &Grid, rules: &Rules) -> Vec<Template> {
    let days = (grid.horizon() + 1439) / 1440;
    let step = i64::from(rules.start_step_minutes);
    let mut out = Vec::new();
    for day in 0..days {
        let mut start = day * 1440;
        while start < (day + 1) * 1440 {
            for &h in &rules.shift_hours {
                out.extend(template_at(grid, rules, day as usize, start, h));
            }
            start += step;
        }
    }
    out
}

/// Value (in agent-slots) of covering with `cov` against `deficit`.
fn covered(cov: &[(usize, f64)], deficit: &[f64]) -> f64 {
    cov.iter().map(|&(s, f)| deficit[s].clamp(0.0, f)).sum()
}

/// Local search: moves each shift's start (±1–3 start steps, same day) and changes its
/// length when that lowers cost + penalty·shortfall and the person may still work it.
#[allow(clippy::too_many_arguments)]
fn retime(
    ctx: &Ctx<'_>,
    grid: &Grid,
    rules: &Rules,
    chosen: &mut [(usize, Template)],
    states: &mut [PersonState],
    deficit: &mut [f64],
    penalty: f64,
    slot_h: f64,
) {
    let step = i64::from(rules.start_step_minutes);
    for _pass in 0..3 {
        let mut changed = false;
        for (p, t) in chosen.iter_mut() {
            let rate = ctx.people[*p].hourly_cost;
            let cov = grid.coverage(t);
            for &(s, f) in &cov {
                deficit[s] += f;
            }
            let st = &mut states[*p];
            let pos = st
                .shifts
                .iter()
                .position(|&(a, b, d)| a == t.start && b == t.end && d == t.day);
            let Some(pos) = pos else {
                for &(s, f) in &cov {
                    deficit[s] -= f;
                }
                continue;
            };
            st.shifts.swap_remove(pos);
            st.hours_by_block[t.day / 7] -= t.work_hours;
            st.days_by_block[t.day / 7] -= 1;
            let score = |tt: &Template| {
                covered(&grid.coverage(tt), deficit) * slot_h * penalty - tt.work_hours * rate
            };
            let mut best = (score(t), t.clone());
            let day_start = t.day as i64 * 1440;
            for k in -3..=3i64 {
                let start = t.start + k * step;
                if start < day_start || start >= day_start + 1440 {
                    continue;
                }
                for &h in &rules.shift_hours {
                    if let Some(cand) = template_at(grid, rules, t.day, start, h) {
                        if ctx.feasible(*p, st, &cand) {
                            let v = score(&cand);
                            if v > best.0 + 1e-6 {
                                best = (v, cand);
                            }
                        }
                    }
                }
            }
            if best.1.start != t.start || best.1.end != t.end {
                changed = true;
            }
            *t = best.1;
            st.shifts.push((t.start, t.end, t.day));
            st.hours_by_block[t.day / 7] += t.work_hours;
            st.days_by_block[t.day / 7] += 1;
            for &(s, f) in &grid.coverage(t) {
                deficit[s] -= f;
            }
        }
        if !changed {
            break;
        }
    }
}

fn round_to(x: i64, step: i64) -> i64 {
    (x + step / 2) / step * step
}

/// Per-person state during construction.
#[derive(Debug, Clone, Default)]
struct PersonState {
    shifts: Vec<(i64, i64, usize)>, // (start, end, day)
    hours_by_block: Vec<f64>,
    days_by_block: Vec<u32>,
}

struct Ctx<'a> {
    rules: &'a Rules,
    people: &'a [Person],
    block_limit: Vec<f64>,
    day_dates: Vec<Date>,
}

impl Ctx<'_> {
    fn feasible(&self, p: usize, st: &PersonState, t: &Template) -> bool {
        let person = &self.people[p];
        let date = self.day_dates[t.day];
        if person.unavailable.contains(&date) {
            return false;
        }
        let block = t.day / 7;
        let limit = self.block_limit[block].min(person.max_weekly_hours);
        if st.hours_by_block[block] + t.work_hours > limit + 1e-9 {
            return false;
        }
        let max_days = 7u32.saturating_sub(self.rules.min_days_off);
        if st.days_by_block[block] + 1 > max_days {
            return false;
        }
        let rest = (self.rules.min_rest_hours * 60.0).round() as i64;
        st.shifts
            .iter()
            .all(|&(s, e, d)| d != t.day && (t.start >= e + rest || t.end + rest <= s))
    }
}

/// Builds a roster covering `requirements` with `people` under `rules`.
pub fn build(requirements: &[Requirement], people: &[Person], rules: &Rules) -> Result<Roster> {
    rules.validate()?;
    for p in people {
        check_param(
            "hourly_cost",
            p.hourly_cost,
            p.hourly_cost >= 0.0,
            "must be ≥ 0",
        )?;
        check_param(
            "weekly_hours",
            p.max_weekly_hours,
            p.max_weekly_hours >= 0.0,
            "must be ≥ 0",
        )?;
    }
    let grid = build_grid(requirements)?;
    let days = ((grid.horizon() + 1439) / 1440) as usize;
    let first_date = grid.origin.date();
    let mut day_dates = Vec::with_capacity(days);
    for d in 0..days {
        day_dates.push(
            first_date
                .checked_add(Span::new().days(d as i64))
                .map_err(|e| Error::InvalidInput(e.to_string()))?,
        );
    }
    let blocks = days.div_ceil(7);
    let block_limit: Vec<f64> = (0..blocks)
        .map(|b| {
            day_dates[b * 7..((b + 1) * 7).min(days)]
                .iter()
                .map(|d| rules.weekly_limit_on(*d))
                .fold(f64::INFINITY, f64::min)
        })
        .collect();
    let max_cost = people.iter().map(|p| p.hourly_cost).fold(0.0, f64::max);
    let min_cost = people
        .iter()
        .map(|p| p.hourly_cost)
        .fold(f64::INFINITY, f64::min);
    let penalty = if rules.shortfall_penalty_per_hour > 0.0 {
        rules.shortfall_penalty_per_hour
    } else {
        3.0 * max_cost.max(1.0)
    };
    let ctx = Ctx {
        rules,
        people,
        block_limit,
        day_dates,
    };
    let templates = make_templates(&grid, rules);
    let covs: Vec<Vec<(usize, f64)>> = templates.iter().map(|t| grid.coverage(t)).collect();
    let slot_h = grid.slot as f64 / 60.0;
    let mut deficit = grid.required.clone();
    let mut states = vec![
        PersonState {
            shifts: Vec::new(),
            hours_by_block: vec![0.0; blocks],
            days_by_block: vec![0; blocks],
        };
        people.len()
    ];
    // People sorted by cost: the first feasible one is the cheapest.
    let mut by_cost: Vec<usize> = (0..people.len()).collect();
    by_cost.sort_by(|&a, &b| people[a].hourly_cost.total_cmp(&people[b].hourly_cost));
    let mut chosen: Vec<(usize, Template)> = Vec::new();
    let mut dead = vec![false; templates.len()];
    loop {
        // Value of each template against the current deficit.
        let mut order: Vec<(f64, usize)> = templates
            .iter()
            .enumerate()
            .filter(|(i, _)| !dead[*i])
            .map(|(i, t)| {
                let v: f64 = covs[i]
                    .iter()
                    .map(|&(s, f)| deficit[s].clamp(0.0, f))
                    .sum::<f64>()
                    * slot_h
                    * penalty;
                (v - t.work_hours * min_cost, i)
            })
            .filter(|(net, _)| *net > 0.0)
            .collect();
        if order.is_empty() {
            break;
        }
        order.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut placed = false;
        for &(net_best, ti) in &order {
            let t = &templates[ti];
            let who = by_cost
                .iter()
                .copied()
                .find(|&p| ctx.feasible(p, &states[p], t));
            match who {
                Some(p) => {
                    let net = net_best + t.work_hours * (min_cost - people[p].hourly_cost);
                    if net <= 0.0 {
                        continue;
                    }
                    let st = &mut states[p];
                    st.shifts.push((t.start, t.end, t.day));
                    st.hours_by_block[t.day / 7] += t.work_hours;
                    st.days_by_block[t.day / 7] += 1;
                    for &(s, f) in &covs[ti] {
                        deficit[s] -= f;
                    }
                    chosen.push((p, t.clone()));
                    placed = true;
                    break;
                }
                None => dead[ti] = true,
            }
        }
        if !placed {
            break;
        }
    }
    retime(
        &ctx,
        &grid,
        rules,
        &mut chosen,
        &mut states,
        &mut deficit,
        penalty,
        slot_h,
    );
    improve(&grid, &mut chosen, &mut deficit, people, penalty, slot_h);
    // Assemble the result.
    let mut shifts = Vec::with_capacity(chosen.len());
    for (p, t) in &chosen {
        let mut breaks = Vec::with_capacity(t.breaks.len());
        for &(bs, bm, kind) in &t.breaks {
            breaks.push(Break {
                start: grid.at(bs)?,
                minutes: bm as u32,
                kind,
            });
        }
        shifts.push(Shift {
            person: *p,
            start: grid.at(t.start)?,
            end: grid.at(t.end)?,
            breaks,
            work_hours: t.work_hours,
            cost: t.work_hours * people[*p].hourly_cost,
        });
    }
    shifts.sort_by_key(|s| (s.person, s.start));
    let mut coverage = Vec::with_capacity(grid.required.len());
    let (mut under_h, mut over_h) = (0.0, 0.0);
    for (s, &req) in grid.required.iter().enumerate() {
        let scheduled = req - deficit[s];
        let under = (req - scheduled).max(0.0);
        let over = (scheduled - req).max(0.0);
        under_h += under * slot_h;
        over_h += over * slot_h;
        coverage.push(Coverage {
            start: grid.at(s as i64 * grid.slot)?,
            required: req,
            scheduled,
            under,
            over,
        });
    }
    let total_cost: f64 = shifts.iter().map(|s| s.cost).sum();
    // Lower bound: every covered agent-hour is a paid hour of some person, and person i
    // can give at most their legal/contract hours: filling the demand with the cheapest
    // capacity first (each hour at min(rate, penalty)) and penalising the rest bounds the
    // objective from below.
    let demand_h: f64 = grid.required.iter().sum::<f64>() * slot_h;
    let mut caps: Vec<(f64, f64)> = people
        .iter()
        .map(|p| {
            let cap: f64 = ctx
                .block_limit
                .iter()
                .map(|l| l.min(p.max_weekly_hours))
                .sum();
            (p.hourly_cost.min(penalty), cap)
        })
        .collect();
    caps.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut left = demand_h;
    let mut lower_bound = 0.0;
    for (rate, cap) in caps {
        let h = cap.min(left);
        lower_bound += rate * h;
        left -= h;
        if left <= 0.0 {
            break;
        }
    }
    lower_bound += penalty * left.max(0.0);
    let unit = if people.is_empty() {
        penalty
    } else {
        min_cost.min(penalty)
    };
    let lower_bound = lower_bound.max(dual_bound(&grid, &templates, &covs, unit, penalty * slot_h));
    Ok(Roster {
        shifts,
        coverage,
        interval_minutes: grid.slot,
        total_cost,
        shortfall_agent_hours: under_h,
        over_agent_hours: over_h,
        shortfall_penalty_per_hour: penalty,
        objective: total_cost + penalty * under_h,
        lower_bound,
    })
}

/// LP-duality lower bound. Relaxing people (everyone costs the cheapest rate `unit`,
/// unlimited people), integrality and break positions gives the covering LP
/// `min Σ c_t x_t + Σ P u_s  s.t.  Σ_t f_ts x_t + u_s ≥ R_s`, whose dual is
/// `max Σ R_s y_s  s.t.  Σ_s f_ts y_s ≤ c_t, 0 ≤ y_s ≤ P`. Any dual-feasible `y` bounds
/// the optimum from below. Start from the uniform price `unit·slot_h` (feasible: a
/// template's coverage equals its paid hours), drop the price of slots with no demand,
/// then raise prices greedily (largest demand first) until a template becomes tight.
fn dual_bound(
    grid: &Grid,
    templates: &[Template],
    covs: &[Vec<(usize, f64)>],
    unit: f64,
    cap: f64,
) -> f64 {
    let slot_h = grid.slot as f64 / 60.0;
    let n = grid.required.len();
    let base = (unit * slot_h).min(cap);
    let mut y: Vec<f64> = grid
        .required
        .iter()
        .map(|&r| if r > 0.0 { base } else { 0.0 })
        .collect();
    let mut by_slot: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
    let mut slack: Vec<f64> = Vec::with_capacity(templates.len());
    for (ti, (t, cov)) in templates.iter().zip(covs).enumerate() {
        let used: f64 = cov.iter().map(|&(s, f)| f * y[s]).sum();
        slack.push(unit * t.work_hours - used);
        for &(s, f) in cov {
            by_slot[s].push((ti, f));
        }
    }
    let mut order: Vec<usize> = (0..n).filter(|&s| grid.required[s] > 0.0).collect();
    order.sort_by(|&a, &b| grid.required[b].total_cmp(&grid.required[a]));
    for s in order {
        let mut delta = cap - y[s];
        for &(ti, f) in &by_slot[s] {
            delta = delta.min(slack[ti].max(0.0) / f);
        }
        if delta > 0.0 {
            y[s] += delta;
            for &(ti, f) in &by_slot[s] {
                slack[ti] -= f * delta;
            }
        }
    }
    grid.required.iter().zip(&y).map(|(r, p)| r * p).sum()
}

/// Local improvement: drop shifts that no longer pay for themselves, then move each
/// shift's breaks to where they hurt coverage least.
fn improve(
    grid: &Grid,
    chosen: &mut Vec<(usize, Template)>,
    deficit: &mut [f64],
    people: &[Person],
    penalty: f64,
    slot_h: f64,
) {
    // Removal pass (value of a shift = shortfall it prevents).
    let mut i = 0;
    while i < chosen.len() {
        let (p, t) = &chosen[i];
        let cov = grid.coverage(t);
        let prevented: f64 = cov
            .iter()
            .map(|&(s, f)| (deficit[s] + f).clamp(0.0, f))
            .sum::<f64>()
            * slot_h
            * penalty;
        if prevented < t.work_hours * people[*p].hourly_cost {
            for &(s, f) in &cov {
                deficit[s] += f;
            }
            chosen.swap_remove(i);
        } else {
            i += 1;
        }
    }
    // Break placement: each break may move within ±90 min (staying inside the shift, at
    // least 1 h from its edges, not overlapping other breaks); keep the best position.
    for (_, t) in chosen.iter_mut() {
        for b in 0..t.breaks.len() {
            let before = grid.coverage(t);
            for &(s, f) in &before {
                deficit[s] += f;
            }
            let (orig, len, _) = t.breaks[b];
            let step = grid.slot.min(15);
            let mut best = (f64::NEG_INFINITY, orig);
            let mut pos = orig - 90;
            while pos <= orig + 90 {
                let ok_edges = pos >= t.start + 60 && pos + len <= t.end - 60;
                let ok_overlap = t
                    .breaks
                    .iter()
                    .enumerate()
                    .all(|(k, &(s, m, _))| k == b || overlap(pos, pos + len, s, s + m) == 0);
                if ok_edges && ok_overlap {
                    t.breaks[b].0 = pos;
                    let v: f64 = grid
                        .coverage(t)
                        .iter()
                        .map(|&(s, f)| deficit[s].clamp(0.0, f))
                        .sum();
                    // Prefer the original position on ties.
                    if v > best.0 + 1e-12 || (v >= best.0 - 1e-12 && pos == orig) {
                        best = (v, pos);
                    }
                }
                pos += step;
            }
            t.breaks[b].0 = if best.0.is_finite() { best.1 } else { orig };
            for &(s, f) in &grid.coverage(t) {
                deficit[s] -= f;
            }
        }
    }
}

/// A rule violation found by [`check`].
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// Person index.
    pub person: usize,
    /// Description.
    pub message: String,
}

/// Independent checker of a roster against the rules: weekly hours (legal and contract),
/// daily maximum, rest, days off, one shift per day, lunch and pauses present and unpaid,
/// breaks inside the shift.
pub fn check(roster: &Roster, people: &[Person], rules: &Rules) -> Vec<Violation> {
    let mut v = Vec::new();
    let Some(first) = roster.coverage.first().map(|c| c.start.date()) else {
        return v;
    };
    let mut push = |person: usize, message: String| v.push(Violation { person, message });
    for (p, person) in people.iter().enumerate() {
        let mut mine: Vec<&Shift> = roster.shifts.iter().filter(|s| s.person == p).collect();
        mine.sort_by_key(|s| s.start);
        let mut block_hours: Vec<f64> = Vec::new();
        let mut block_days: Vec<u32> = Vec::new();
        let mut block_limit: Vec<f64> = Vec::new();
        for (k, s) in mine.iter().enumerate() {
            let span_min = minutes_between(s.start, s.end).unwrap_or(0);
            let lunch: i64 = s
                .breaks
                .iter()
                .filter(|b| b.kind == BreakKind::Lunch)
                .map(|b| i64::from(b.minutes))
                .sum();
            let pause: i64 = s
                .breaks
                .iter()
                .filter(|b| b.kind == BreakKind::Pause)
                .map(|b| i64::from(b.minutes))
                .sum();
            let unpaid = lunch + if rules.pause_is_work_time { 0 } else { pause };
            let work_h = (span_min - unpaid) as f64 / 60.0;
            if (work_h - s.work_hours).abs() > 1e-9 {
                push(
                    p,
                    format!(
                        "shift at {}: span minus unpaid breaks is {work_h} h, not {} h",
                        s.start, s.work_hours
                    ),
                );
            }
            if work_h > rules.daily_max_hours + 1e-9 {
                push(
                    p,
                    format!("shift at {} has {work_h} h > daily max", s.start),
                );
            }
            if work_h > rules.lunch_if_work_over_hours && lunch < i64::from(rules.lunch_minutes) {
                push(p, format!("shift at {} lacks lunch", s.start));
            }
            if pause < i64::from(rules.pause_minutes) {
                push(p, format!("shift at {} lacks teleoperator pauses", s.start));
            }
            for b in &s.breaks {
                let end = b
                    .start
                    .checked_add(Span::new().minutes(i64::from(b.minutes)));
                if b.start < s.start || end.map_or(true, |e| e > s.end) {
                    push(p, format!("break at {} outside shift {}", b.start, s.start));
                }
            }
            if person.unavailable.contains(&s.start.date()) {
                push(
                    p,
                    format!("scheduled on unavailable day {}", s.start.date()),
                );
            }
            if let Some(prev) = k.checked_sub(1).map(|j| mine[j]) {
                let rest = minutes_between(prev.end, s.start).unwrap_or(0) as f64 / 60.0;
                if rest < rules.min_rest_hours - 1e-9 {
                    push(p, format!("rest of {rest} h before shift at {}", s.start));
                }
                if prev.start.date() == s.start.date() {
                    push(p, format!("two shifts on {}", s.start.date()));
                }
            }
            let day_index = first
                .until((jiff::Unit::Day, s.start.date()))
                .map(|sp| sp.get_days())
                .unwrap_or(0);
            let block = (day_index / 7).max(0) as usize;
            if block_hours.len() <= block {
                block_hours.resize(block + 1, 0.0);
                block_days.resize(block + 1, 0);
                block_limit.resize(block + 1, f64::INFINITY);
            }
            block_hours[block] += work_h;
            block_days[block] += 1;
            for d in 0..7 {
                if let Ok(date) = first.checked_add(Span::new().days(block as i64 * 7 + d)) {
                    block_limit[block] = block_limit[block].min(rules.weekly_limit_on(date));
                }
            }
        }
        for (b, &h) in block_hours.iter().enumerate() {
            if h > block_limit[b].min(person.max_weekly_hours) + 1e-9 {
                push(p, format!("week {b}: {h} h over the limit"));
            }
            if block_days[b] > 7u32.saturating_sub(rules.min_days_off) {
                push(p, format!("week {b}: {} working days", block_days[b]));
            }
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One week (Mon 2026-05-04 …) of 15-min requirements with an intraday double peak,
    /// quieter weekends and a 08:00–22:00 opening window.
    fn week_requirements(peak: f64) -> Vec<Requirement> {
        let start: Date = "2026-05-04".parse().unwrap();
        let mut v = Vec::new();
        for day in 0..7 {
            let date = start.checked_add(Span::new().days(day)).unwrap();
            let f = [1.0, 0.95, 0.95, 0.9, 0.85, 0.5, 0.3][day as usize];
            for slot in 0..96 {
                let h = slot as f64 / 4.0;
                let open = (8.0..22.0).contains(&h);
                let shape =
                    (-((h - 11.0) / 2.5).powi(2)).exp() + 0.8 * (-((h - 17.0) / 2.5).powi(2)).exp();
                let req = if open {
                    (peak * f * (0.15 + shape)).ceil()
                } else {
                    0.0
                };
                let time = jiff::civil::Time::new((slot / 4) as i8, ((slot % 4) * 15) as i8, 0, 0)
                    .unwrap();
                v.push(Requirement {
                    start: date.to_datetime(time),
                    required: req,
                });
            }
        }
        v
    }

    fn people(n: usize) -> Vec<Person> {
        (0..n)
            .map(|i| Person {
                id: format!("P{i:03}"),
                name: format!("Agent {i}"),
                max_weekly_hours: if i % 5 == 0 { 30.0 } else { 45.0 },
                hourly_cost: 5_000.0 + 100.0 * (i % 7) as f64,
                unavailable: if i % 11 == 0 {
                    vec!["2026-05-06".parse().unwrap()]
                } else {
                    vec![]
                },
            })
            .collect()
    }

    /// Acceptance 5: 80 people over one week; every rule is checked on the output by code
    /// written independently of the builder.
    #[test]
    fn eighty_people_week_respects_every_rule() {
        let reqs = week_requirements(40.0);
        let staff = people(80);
        let rules = Rules::chile();
        let roster = build(&reqs, &staff, &rules).unwrap();
        assert!(!roster.shifts.is_empty());
        // Weekly limit on 2026-05-04 is 42 h (from 2026-04-26).
        assert_eq!(rules.weekly_limit_on("2026-05-04".parse().unwrap()), 42.0);
        for (p, person) in staff.iter().enumerate() {
            let mut mine: Vec<&Shift> = roster.shifts.iter().filter(|s| s.person == p).collect();
            mine.sort_by_key(|s| s.start);
            let hours: f64 = mine.iter().map(|s| s.work_hours).sum();
            assert!(hours <= 42.0 + 1e-9, "{} works {hours} h", person.id);
            assert!(
                hours <= person.max_weekly_hours + 1e-9,
                "{} over contract",
                person.id
            );
            assert!(mine.len() <= 5, "{} has fewer than 2 days off", person.id);
            for w in mine.windows(2) {
                let rest_h = minutes_between(w[0].end, w[1].start).unwrap() as f64 / 60.0;
                assert!(rest_h >= 12.0, "{}: rest {rest_h} h", person.id);
                assert_ne!(w[0].start.date(), w[1].start.date());
            }
            for s in &mine {
                assert!(s.work_hours <= 10.0);
                let span = minutes_between(s.start, s.end).unwrap();
                let breaks: i64 = s.breaks.iter().map(|b| i64::from(b.minutes)).sum();
                assert_eq!(span - breaks, (s.work_hours * 60.0).round() as i64);
                assert!(s.breaks.iter().any(|b| b.kind == BreakKind::Lunch) || s.work_hours <= 5.0);
                let pauses: u32 = s
                    .breaks
                    .iter()
                    .filter(|b| b.kind == BreakKind::Pause)
                    .map(|b| b.minutes)
                    .sum();
                assert!(pauses >= 30);
                assert!(!person.unavailable.contains(&s.start.date()));
            }
        }
        assert!(
            check(&roster, &staff, &rules).is_empty(),
            "{:?}",
            check(&roster, &staff, &rules)
        );
        // Coverage and cost are reported and consistent.
        let cost: f64 = roster.shifts.iter().map(|s| s.cost).sum();
        assert!((cost - roster.total_cost).abs() < 1e-6);
        assert!(roster.lower_bound <= roster.objective + 1e-6);
        let under: f64 = roster.coverage.iter().map(|c| c.under).sum::<f64>() * 0.25;
        assert!((under - roster.shortfall_agent_hours).abs() < 1e-6);
        // The heuristic covers most of the demand.
        let demand: f64 = roster.coverage.iter().map(|c| c.required).sum::<f64>() * 0.25;
        eprintln!(
            "80 people: {} shifts, cost {:.0}, shortfall {:.1} of {demand:.1} agent-h, over {:.1}, objective {:.0}, lower bound {:.0}, gap {:.1} %",
            roster.shifts.len(), roster.total_cost, roster.shortfall_agent_hours, roster.over_agent_hours,
            roster.objective, roster.lower_bound, 100.0 * roster.gap()
        );
        assert!(
            roster.shortfall_agent_hours < 0.15 * demand,
            "{} of {demand}",
            roster.shortfall_agent_hours
        );
    }

    #[test]
    fn checker_detects_short_rest() {
        let reqs = week_requirements(5.0);
        let staff = people(3);
        let rules = Rules::chile();
        let mut roster = build(&reqs, &staff, &rules).unwrap();
        let s0 = roster.shifts[0].clone();
        let mut s1 = s0.clone();
        let shift = Span::new().hours(20);
        s1.start = s0.start.checked_add(shift).unwrap();
        s1.end = s0.end.checked_add(shift).unwrap();
        for b in &mut s1.breaks {
            b.start = b.start.checked_add(shift).unwrap();
        }
        roster.shifts.retain(|s| s.person != s0.person);
        roster.shifts.push(s0);
        roster.shifts.push(s1);
        assert!(check(&roster, &staff, &rules)
            .iter()
            .any(|v| v.message.contains("rest")));
    }

    #[test]
    fn understaffed_team_reports_shortfall_and_positive_gap_bound() {
        let reqs = week_requirements(40.0);
        let staff = people(10);
        let roster = build(&reqs, &staff, &Rules::chile()).unwrap();
        assert!(roster.shortfall_agent_hours > 0.0);
        assert!(roster.lower_bound > 0.0 && roster.lower_bound <= roster.objective);
    }

    #[test]
    fn weekly_limit_follows_the_law_by_date() {
        let r = Rules::chile();
        assert_eq!(r.weekly_limit_on("2025-06-01".parse().unwrap()), 44.0);
        assert_eq!(r.weekly_limit_on("2026-04-25".parse().unwrap()), 44.0);
        assert_eq!(r.weekly_limit_on("2026-04-26".parse().unwrap()), 42.0);
        assert_eq!(r.weekly_limit_on("2028-04-26".parse().unwrap()), 40.0);
    }
}
