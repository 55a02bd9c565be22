//! Work plan: activities with finish-to-start dependencies, and the critical path method.
//!
//! Activities last whole calendar days. Scheduling works on day offsets from the programme start:
//! an activity with earliest start `es` and duration `d` occupies days `es .. es + d`, so its
//! successor (lag 0) may start on day `es + d`. A milestone lasts 0 days. The forward pass gives
//! earliest start/finish, the backward pass latest start/finish; total slack is `ls − es`, and
//! activities with no slack form the critical path. A dependency cycle is an error that names
//! the activities in the cycle, so the user can see which link to remove.

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use jiff::civil::Date;

use super::{
    days_between, optional_text, parse_in_range, parse_opt_date, required_text, Problems,
    ProgrammeDates,
};
use crate::{Invalid, Invalids};

/// An activity code chosen by the planner: 1–20 letters, digits, `.`, `-` or `_` (`A`, `2.3`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ActivityId(String);

impl ActivityId {
    pub fn parse(field: &'static str, s: &str) -> Result<Self, Invalid> {
        let t = s.trim().to_ascii_uppercase();
        let ok = (1..=20).contains(&t.len())
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
        if ok {
            Ok(ActivityId(t))
        } else {
            Err(Invalid::new(field, "error.activity.id"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ActivityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Raw dependency: the predecessor must finish before this activity starts, plus `lag` days
/// (negative for a lead).
#[derive(Debug, Clone, Default)]
pub struct DependencyInput {
    pub predecessor: String,
    pub lag_days: i32,
}

/// A finish-to-start dependency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    pub predecessor: ActivityId,
    pub lag_days: i32,
}

/// Raw activity input: give a duration, or start and end dates (inclusive), or both if they agree.
#[derive(Debug, Clone, Default)]
pub struct ActivityInput {
    pub id: String,
    pub name: String,
    /// Fixed start ("no earlier than"); empty lets the dependencies decide.
    pub start_date: Option<String>,
    pub duration_days: Option<String>,
    pub end_date: Option<String>,
    pub dependencies: Vec<DependencyInput>,
    pub owner_id: Option<i64>,
    pub deliverable: Option<String>,
    /// 0–100; empty means 0.
    pub progress: Option<String>,
    pub milestone: bool,
    /// The day work really started, once it has.
    pub actual_start: Option<String>,
    /// The day work really finished, once it has.
    pub actual_finish: Option<String>,
}

/// A valid activity of the work plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    pub id: ActivityId,
    pub name: String,
    pub start_date: Option<Date>,
    pub duration_days: u32,
    pub dependencies: Vec<Dependency>,
    pub owner_id: Option<i64>,
    pub deliverable: String,
    pub progress: u8,
    pub milestone: bool,
    pub actual_start: Option<Date>,
    pub actual_finish: Option<Date>,
}

const MAX_DURATION: i64 = 3650;
const MAX_LAG: i32 = 365;

impl TryFrom<ActivityInput> for Activity {
    type Error = Invalids;

    fn try_from(i: ActivityInput) -> Result<Self, Invalids> {
        let mut p = Problems::default();
        let id = p.take(ActivityId::parse("id", &i.id));
        let name = p.take(required_text("name", "error.activity.name", &i.name, 200));
        let start = p.take(parse_opt_date("start_date", i.start_date.as_deref()));
        let end = p.take(parse_opt_date("end_date", i.end_date.as_deref()));
        let duration = match i.duration_days.as_deref().map(str::trim) {
            None | Some("") => Some(None),
            Some(s) => p
                .take(parse_in_range(
                    "duration_days",
                    "error.activity.duration",
                    s,
                    0..=MAX_DURATION,
                ))
                .map(|d| Some(d as u32)),
        };
        let duration = match (start, end, duration) {
            (Some(s), Some(e), Some(d)) => p.take(resolve_duration(s, e, d, i.milestone)),
            _ => None,
        };
        let dependencies = p.take(parse_dependencies(&i.dependencies, id.as_ref()));
        let deliverable = p.take(optional_text(
            "deliverable",
            "error.text.too_long",
            i.deliverable.as_deref(),
            500,
        ));
        let progress = match i.progress.as_deref().map(str::trim) {
            None | Some("") => Some(0),
            Some(s) => p
                .take(parse_in_range(
                    "progress",
                    "error.activity.progress",
                    s,
                    0..=100,
                ))
                .map(|v| v as u8),
        };
        let actual_start = p.take(parse_opt_date("actual_start", i.actual_start.as_deref()));
        let actual_finish = p.take(parse_opt_date("actual_finish", i.actual_finish.as_deref()));
        if let (Some(Some(s)), Some(Some(f))) = (actual_start, actual_finish) {
            p.check(f >= s, "actual_finish", "error.period.end_before_start");
        }
        p.finish(|| {
            Some(Activity {
                id: id?,
                name: name?,
                start_date: start?,
                duration_days: duration?,
                dependencies: dependencies?,
                owner_id: i.owner_id,
                deliverable: deliverable?,
                progress: progress?,
                milestone: i.milestone,
                actual_start: actual_start?,
                actual_finish: actual_finish?,
            })
        })
    }
}

/// The duration from what was given: a milestone lasts 0 days; otherwise a positive duration,
/// or start and end (inclusive), or both when they agree.
fn resolve_duration(
    start: Option<Date>,
    end: Option<Date>,
    duration: Option<u32>,
    milestone: bool,
) -> Result<u32, Invalid> {
    let from_dates = match (start, end) {
        (Some(s), Some(e)) if e < s => {
            return Err(Invalid::new("end_date", "error.period.end_before_start"))
        }
        (Some(s), Some(e)) => Some(days_between(s, e) as u32 + 1),
        (None, Some(_)) => return Err(Invalid::new("start_date", "error.activity.start_required")),
        _ => None,
    };
    if milestone {
        return match (duration, from_dates) {
            (None | Some(0), None | Some(1)) => Ok(0),
            _ => Err(Invalid::new(
                "duration_days",
                "error.activity.milestone_duration",
            )),
        };
    }
    match (duration, from_dates) {
        (Some(0), _) => Err(Invalid::new("duration_days", "error.activity.duration")),
        (Some(d), Some(f)) if d != f => Err(Invalid::new(
            "duration_days",
            "error.activity.duration_mismatch",
        )),
        (Some(d), _) | (None, Some(d)) => Ok(d),
        (None, None) => Err(Invalid::new("duration_days", "error.activity.duration")),
    }
}

fn parse_dependencies(
    deps: &[DependencyInput],
    own: Option<&ActivityId>,
) -> Result<Vec<Dependency>, Invalid> {
    let mut out: Vec<Dependency> = Vec::new();
    for d in deps {
        let predecessor = ActivityId::parse("dependencies", &d.predecessor)?;
        if Some(&predecessor) == own {
            return Err(Invalid::new(
                "dependencies",
                "error.activity.self_dependency",
            ));
        }
        if !(-MAX_LAG..=MAX_LAG).contains(&d.lag_days) {
            return Err(Invalid::new("dependencies", "error.activity.lag"));
        }
        if out.iter().any(|o| o.predecessor == predecessor) {
            return Err(Invalid::new(
                "dependencies",
                "error.activity.duplicate_dependency",
            ));
        }
        out.push(Dependency {
            predecessor,
            lag_days: d.lag_days,
        });
    }
    Ok(out)
}

crate::string_enum! {
    /// How a programme counts activity durations: working days (the default) or calendar days.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub enum DayCount {
        #[default]
        Working = "working",
        Calendar = "calendar",
    }
    invalid("day_count", "error.pf.day_count")
}

/// Which days an activity's duration counts: every calendar day, or working days (Monday to
/// Friday, except the holidays given, e.g. Chile's from the WFM engine).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WorkCalendar {
    working: bool,
    holidays: BTreeSet<Date>,
}

impl WorkCalendar {
    /// Every day counts.
    pub fn calendar_days() -> WorkCalendar {
        WorkCalendar::default()
    }

    /// Monday to Friday count, except `holidays`.
    pub fn working_days(holidays: impl IntoIterator<Item = Date>) -> WorkCalendar {
        WorkCalendar {
            working: true,
            holidays: holidays.into_iter().collect(),
        }
    }

    /// Whether durations count working days only.
    pub fn is_working_days(&self) -> bool {
        self.working
    }

    /// Whether `d` counts.
    pub fn counts(&self, d: Date) -> bool {
        !self.working || (d.weekday().to_monday_one_offset() <= 5 && !self.holidays.contains(&d))
    }

    /// The first `n` counted days on or after `from`.
    pub fn days_from(&self, from: Date, n: usize) -> Vec<Date> {
        let mut out = Vec::with_capacity(n);
        let mut d = from;
        while out.len() < n {
            if self.counts(d) {
                out.push(d);
            }
            match d.tomorrow() {
                Ok(next) => d = next,
                Err(_) => break,
            }
        }
        if out.is_empty() {
            out.push(from);
        }
        out
    }

    /// How many counted days lie in `[from, to)`: the offset of the first counted day on or
    /// after `to`.
    pub fn offset_of(&self, from: Date, to: Date) -> i64 {
        if to <= from {
            return 0;
        }
        if !self.working {
            return i64::from(days_between(from, to));
        }
        let mut n = 0;
        let mut d = from;
        while d < to {
            if self.counts(d) {
                n += 1;
            }
            match d.tomorrow() {
                Ok(next) => d = next,
                Err(_) => break,
            }
        }
        n
    }

    /// How many counted days lie in `[from, to]` (both included).
    pub fn count_inclusive(&self, from: Date, to: Date) -> i64 {
        match to.tomorrow() {
            Ok(after) => self.offset_of(from, after),
            Err(_) => self.offset_of(from, to),
        }
    }
}

/// Why a set of activities cannot be scheduled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkPlanError {
    /// Field problems (duplicate ids, unknown predecessors, dates outside the programme).
    #[error(transparent)]
    Invalid(#[from] Invalids),
    /// A dependency cycle, listed as `A → B → C → A`.
    #[error("dependency cycle: {}", .0.iter().map(ActivityId::as_str).collect::<Vec<_>>().join(" → "))]
    Cycle(Vec<ActivityId>),
}

impl WorkPlanError {
    /// The problems as catalogue keys; a cycle is `error.workplan.cycle` on `dependencies` (the
    /// UI shows the cycle's path from [`WorkPlanError::Cycle`] as the message argument).
    pub fn invalids(&self) -> Invalids {
        match self {
            WorkPlanError::Invalid(i) => i.clone(),
            WorkPlanError::Cycle(_) => {
                Invalids(vec![Invalid::new("dependencies", "error.workplan.cycle")])
            }
        }
    }
}

/// A set of activities whose ids are unique, whose predecessors exist and that has no cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkPlan {
    programme: ProgrammeDates,
    activities: Vec<Activity>,
    /// Indices into `activities` in dependency order.
    order: Vec<usize>,
    /// The days durations count (calendar days unless told otherwise).
    calendar: WorkCalendar,
}

impl WorkPlan {
    /// Checks the activities as a whole: unique ids, known predecessors, fixed starts within the
    /// programme, and no dependency cycle.
    pub fn new(
        activities: Vec<Activity>,
        programme: ProgrammeDates,
    ) -> Result<WorkPlan, WorkPlanError> {
        let mut p = Problems::default();
        let mut index: HashMap<&ActivityId, usize> = HashMap::new();
        for (n, a) in activities.iter().enumerate() {
            if index.insert(&a.id, n).is_some() {
                p.push("id", "error.workplan.duplicate_id");
            }
            if let Some(s) = a.start_date {
                p.check(
                    programme.contains(s),
                    "start_date",
                    "error.activity.outside_programme",
                );
            }
            for d in &a.dependencies {
                p.check(
                    index_of(&activities, &d.predecessor).is_some(),
                    "dependencies",
                    "error.workplan.unknown_predecessor",
                );
            }
        }
        p.finish(|| Some(()))?;
        let order = topological_order(&activities).map_err(WorkPlanError::Cycle)?;
        Ok(WorkPlan {
            programme,
            activities,
            order,
            calendar: WorkCalendar::calendar_days(),
        })
    }

    pub fn activities(&self) -> &[Activity] {
        &self.activities
    }

    pub fn programme(&self) -> ProgrammeDates {
        self.programme
    }

    /// The same plan counting durations on `calendar`.
    pub fn with_calendar(mut self, calendar: WorkCalendar) -> WorkPlan {
        self.calendar = calendar;
        self
    }

    /// The days durations count.
    pub fn calendar(&self) -> &WorkCalendar {
        &self.calendar
    }

    /// Runs the critical path method on the plan's calendar (calendar days unless
    /// [`WorkPlan::with_calendar`] said otherwise).
    pub fn schedule(&self) -> Schedule {
        self.schedule_on(&self.calendar)
    }

    /// Runs the critical path method counting durations, lags and slack in the calendar's
    /// days: offset `k` is the calendar's `k`-th counted day from the programme start, and a
    /// fixed start on a day off moves to the next counted day.
    pub fn schedule_on(&self, calendar: &WorkCalendar) -> Schedule {
        let acts = &self.activities;
        let n = acts.len();
        let start = self.programme.start();
        let pred_idx = |a: &Activity| -> Vec<(usize, i64)> {
            a.dependencies
                .iter()
                .filter_map(|d| index_of(acts, &d.predecessor).map(|i| (i, i64::from(d.lag_days))))
                .collect()
        };
        let (mut es, mut ef) = (vec![0i64; n], vec![0i64; n]);
        for &i in &self.order {
            let a = &acts[i];
            let fixed = a
                .start_date
                .map(|s| calendar.offset_of(start, s))
                .unwrap_or(0);
            let after_preds = pred_idx(a).into_iter().map(|(p, lag)| ef[p] + lag).max();
            es[i] = fixed.max(after_preds.unwrap_or(0)).max(0);
            ef[i] = es[i] + i64::from(a.duration_days);
        }
        let finish = ef.iter().copied().max().unwrap_or(0);
        let (mut ls, mut lf) = (vec![finish; n], vec![finish; n]);
        for &i in self.order.iter().rev() {
            ls[i] = lf[i] - i64::from(acts[i].duration_days);
            for (p, lag) in pred_idx(&acts[i]) {
                lf[p] = lf[p].min(ls[i] - lag);
            }
        }
        let days = calendar.days_from(start, finish.max(0) as usize + 1);
        let day = |offset: i64| days[offset.clamp(0, days.len() as i64 - 1) as usize];
        let rows: Vec<ScheduledActivity> = self
            .order
            .iter()
            .map(|&i| {
                let a = &acts[i];
                let last_day = ef[i] - i64::from(a.duration_days > 0);
                ScheduledActivity {
                    id: a.id.clone(),
                    early_start: es[i],
                    early_finish: ef[i],
                    late_start: ls[i],
                    late_finish: lf[i],
                    slack: ls[i] - es[i],
                    start: day(es[i]),
                    finish: day(last_day),
                }
            })
            .collect();
        Schedule {
            finish_offset: finish,
            finish: day(finish - i64::from(finish > 0)),
            rows,
        }
    }

    /// Progress of the whole plan, weighting each activity by its duration.
    pub fn progress(&self) -> f64 {
        let total: u64 = self
            .activities
            .iter()
            .map(|a| u64::from(a.duration_days))
            .sum();
        if total == 0 {
            return 0.0;
        }
        let done: u64 = self
            .activities
            .iter()
            .map(|a| u64::from(a.duration_days) * u64::from(a.progress))
            .sum();
        done as f64 / total as f64
    }
}

fn index_of(acts: &[Activity], id: &ActivityId) -> Option<usize> {
    acts.iter().position(|a| &a.id == id)
}

/// Kahn's algorithm, taking ready activities in input order so the result is deterministic. On
/// a cycle, returns the cycle's path.
fn topological_order(acts: &[Activity]) -> Result<Vec<usize>, Vec<ActivityId>> {
    let n = acts.len();
    let mut successors: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut indegree = vec![0usize; n];
    for (i, a) in acts.iter().enumerate() {
        for d in &a.dependencies {
            if let Some(p) = index_of(acts, &d.predecessor) {
                successors[p].push(i);
                indegree[i] += 1;
            }
        }
    }
    let mut ready: BTreeSet<usize> = (0..n).filter(|&i| indegree[i] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(i) = ready.pop_first() {
        order.push(i);
        for &s in &successors[i] {
            indegree[s] -= 1;
            if indegree[s] == 0 {
                ready.insert(s);
            }
        }
    }
    if order.len() == n {
        Ok(order)
    } else {
        Err(find_cycle(acts, &indegree))
    }
}

/// Walks predecessors from an activity left over by Kahn's algorithm until one repeats; every
/// leftover activity has a leftover predecessor, so the walk always closes a cycle.
fn find_cycle(acts: &[Activity], indegree: &[usize]) -> Vec<ActivityId> {
    let leftover = |i: usize| indegree[i] > 0;
    let Some(mut current) = (0..acts.len()).find(|&i| leftover(i)) else {
        return Vec::new();
    };
    let mut path: Vec<usize> = Vec::new();
    while !path.contains(&current) {
        path.push(current);
        let next = acts[current]
            .dependencies
            .iter()
            .filter_map(|d| index_of(acts, &d.predecessor))
            .find(|&p| leftover(p));
        match next {
            Some(p) => current = p,
            None => return Vec::new(),
        }
    }
    let from = path.iter().position(|&i| i == current).unwrap_or(0);
    let mut ring: Vec<usize> = path[from..].to_vec();
    // The walk followed predecessors; reverse it to read in dependency direction, and start at
    // the activity listed first so the same cycle is always named the same way.
    ring.reverse();
    let first = ring
        .iter()
        .enumerate()
        .min_by_key(|(_, &i)| i)
        .map_or(0, |(k, _)| k);
    ring.rotate_left(first);
    let mut cycle: Vec<ActivityId> = ring.iter().map(|&i| acts[i].id.clone()).collect();
    if let Some(first) = cycle.first().cloned() {
        cycle.push(first);
    }
    cycle
}

/// One activity's place in the schedule. Offsets are days from the programme start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledActivity {
    pub id: ActivityId,
    pub early_start: i64,
    pub early_finish: i64,
    pub late_start: i64,
    pub late_finish: i64,
    /// Total slack: how many days the activity may slip without delaying the programme.
    pub slack: i64,
    /// First day of work.
    pub start: Date,
    /// Last day of work (for a milestone, its day).
    pub finish: Date,
}

impl ScheduledActivity {
    pub fn is_critical(&self) -> bool {
        self.slack <= 0
    }

    /// Overdue: its scheduled last day is before `today` and it is neither 100 % done nor
    /// marked finished.
    pub fn is_overdue(&self, a: &Activity, today: Date) -> bool {
        self.finish < today && a.progress < 100 && a.actual_finish.is_none()
    }
}

/// The result of the critical path method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// Activities in dependency order.
    pub rows: Vec<ScheduledActivity>,
    /// Length of the plan in days.
    pub finish_offset: i64,
    /// Last day of work of the plan.
    pub finish: Date,
}

impl Schedule {
    /// Critical activities in order of earliest start (ties keep dependency order).
    pub fn critical_path(&self) -> Vec<&ActivityId> {
        let mut crit: Vec<&ScheduledActivity> =
            self.rows.iter().filter(|r| r.is_critical()).collect();
        crit.sort_by_key(|r| r.early_start);
        crit.into_iter().map(|r| &r.id).collect()
    }

    pub fn get(&self, id: &str) -> Option<&ScheduledActivity> {
        self.rows.iter().find(|r| r.id.as_str() == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn act(id: &str, days: u32, preds: &[&str]) -> ActivityInput {
        ActivityInput {
            id: id.into(),
            name: format!("Actividad {id}"),
            duration_days: Some(days.to_string()),
            dependencies: preds
                .iter()
                .map(|p| DependencyInput {
                    predecessor: p.to_string(),
                    lag_days: 0,
                })
                .collect(),
            ..Default::default()
        }
    }

    fn programme() -> ProgrammeDates {
        ProgrammeDates::new(date(2026, 3, 2), Some(date(2026, 12, 31))).unwrap()
    }

    fn plan(inputs: Vec<ActivityInput>) -> Result<WorkPlan, WorkPlanError> {
        let acts = inputs
            .into_iter()
            .map(Activity::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        WorkPlan::new(acts, programme())
    }

    /// Heizer & Render, *Operations Management*, ch. 3 (Milwaukee Paper Manufacturing): durations
    /// in weeks, critical path A–C–E–G–H of 15 weeks; slack B 1, D 1, F 6.
    fn textbook() -> Vec<ActivityInput> {
        vec![
            act("A", 2, &[]),
            act("B", 3, &[]),
            act("C", 2, &["A"]),
            act("D", 4, &["A", "B"]),
            act("E", 4, &["C"]),
            act("F", 3, &["C"]),
            act("G", 5, &["D", "E"]),
            act("H", 2, &["F", "G"]),
        ]
    }

    #[test]
    fn working_days_skip_weekends_and_holidays() {
        // Programme starts Monday 2026-03-02; Friday 2026-03-06 is declared a holiday.
        let cal = WorkCalendar::working_days([date(2026, 3, 6)]);
        let s = plan(vec![act("A", 5, &[]), act("B", 2, &["A"])])
            .unwrap()
            .schedule_on(&cal);
        let a = s.get("A").unwrap();
        // Mon–Thu, then the holiday and the weekend, then Monday the 9th.
        assert_eq!((a.start, a.finish), (date(2026, 3, 2), date(2026, 3, 9)));
        let b = s.get("B").unwrap();
        assert_eq!((b.start, b.finish), (date(2026, 3, 10), date(2026, 3, 11)));
        assert_eq!(s.finish_offset, 7);
        // The same plan in calendar days.
        let c = plan(vec![act("A", 5, &[]), act("B", 2, &["A"])]).unwrap();
        assert_eq!(c.schedule().get("B").unwrap().finish, date(2026, 3, 8));
        let w = c.with_calendar(cal);
        assert_eq!(w.schedule().get("B").unwrap().finish, date(2026, 3, 11));
    }

    #[test]
    fn a_fixed_start_on_a_day_off_moves_to_the_next_working_day() {
        let cal = WorkCalendar::working_days([]);
        let mut a = act("A", 1, &[]);
        a.start_date = Some("2026-03-07".into()); // a Saturday
        let s = plan(vec![a]).unwrap().schedule_on(&cal);
        assert_eq!(s.get("A").unwrap().start, date(2026, 3, 9));
        assert_eq!(cal.count_inclusive(date(2026, 3, 2), date(2026, 3, 15)), 10);
    }

    #[test]
    fn an_activity_is_overdue_when_its_finish_passed_unfinished() {
        let p = plan(vec![act("A", 2, &[])]).unwrap();
        let s = p.schedule();
        let r = s.get("A").unwrap();
        let a = &p.activities()[0];
        assert!(!r.is_overdue(a, date(2026, 3, 3)));
        assert!(r.is_overdue(a, date(2026, 3, 4)));
        let mut done = a.clone();
        done.progress = 100;
        assert!(!r.is_overdue(&done, date(2026, 3, 4)));
    }

    #[test]
    fn actual_dates_are_checked() {
        let mut a = act("A", 2, &[]);
        a.actual_start = Some("2026-03-05".into());
        a.actual_finish = Some("2026-03-04".into());
        assert_eq!(
            Activity::try_from(a).unwrap_err().0[0].key,
            "error.period.end_before_start"
        );
    }

    #[test]
    fn textbook_network_has_the_published_critical_path_and_slack() {
        let s = plan(textbook()).unwrap().schedule();
        assert_eq!(s.finish_offset, 15);
        let path: Vec<&str> = s.critical_path().iter().map(|i| i.as_str()).collect();
        assert_eq!(path, vec!["A", "C", "E", "G", "H"]);
        let expected = [
            ("A", 0, 2, 0, 2, 0),
            ("B", 0, 3, 1, 4, 1),
            ("C", 2, 4, 2, 4, 0),
            ("D", 3, 7, 4, 8, 1),
            ("E", 4, 8, 4, 8, 0),
            ("F", 4, 7, 10, 13, 6),
            ("G", 8, 13, 8, 13, 0),
            ("H", 13, 15, 13, 15, 0),
        ];
        for (id, es, ef, ls, lf, slack) in expected {
            let r = s.get(id).unwrap();
            assert_eq!(
                (
                    r.early_start,
                    r.early_finish,
                    r.late_start,
                    r.late_finish,
                    r.slack
                ),
                (es, ef, ls, lf, slack),
                "{id}"
            );
        }
    }

    #[test]
    fn schedule_dates_respect_every_dependency_and_lag() {
        let mut inputs = textbook();
        inputs[6].dependencies[1].lag_days = 2; // G starts 2 days after E finishes.
        let s = plan(inputs.clone()).unwrap().schedule();
        for a in &inputs {
            let me = s.get(&a.id).unwrap();
            for d in &a.dependencies {
                let pred = s.get(&d.predecessor).unwrap();
                assert!(me.early_start >= pred.early_finish + i64::from(d.lag_days));
            }
        }
        assert_eq!(s.finish_offset, 17);
        assert_eq!(s.get("A").unwrap().start, date(2026, 3, 2));
        assert_eq!(s.get("A").unwrap().finish, date(2026, 3, 3));
        assert_eq!(s.get("H").unwrap().finish, date(2026, 3, 18));
    }

    #[test]
    fn circular_dependency_is_rejected_naming_the_cycle() {
        let inputs = vec![
            act("A", 1, &[]),
            act("B", 2, &["A", "D"]),
            act("C", 2, &["B"]),
            act("D", 1, &["C"]),
        ];
        let e = plan(inputs).unwrap_err();
        assert_eq!(e.to_string(), "dependency cycle: B → C → D → B");
        assert_eq!(
            e.invalids().0,
            vec![Invalid::new("dependencies", "error.workplan.cycle")]
        );
    }

    #[test]
    fn depending_on_itself_unknown_or_duplicate_activities_is_rejected() {
        let e = Activity::try_from(act("A", 1, &["a"])).unwrap_err();
        assert_eq!(e.0[0].key, "error.activity.self_dependency");
        let e = plan(vec![act("A", 1, &["Z"]), act("A", 1, &[])]).unwrap_err();
        let keys: Vec<_> = e.invalids().0.iter().map(|i| i.key).collect();
        assert_eq!(
            keys,
            vec![
                "error.workplan.unknown_predecessor",
                "error.workplan.duplicate_id"
            ]
        );
    }

    #[test]
    fn end_date_gives_an_inclusive_duration_and_must_agree_with_a_given_one() {
        let mut i = act("A", 5, &[]);
        i.start_date = Some("2026-03-02".into());
        i.end_date = Some("2026-03-06".into());
        assert_eq!(Activity::try_from(i.clone()).unwrap().duration_days, 5);
        i.duration_days = Some("4".into());
        assert_eq!(
            Activity::try_from(i.clone()).unwrap_err().0[0].key,
            "error.activity.duration_mismatch"
        );
        i.start_date = None;
        i.duration_days = None;
        assert_eq!(
            Activity::try_from(i).unwrap_err().0[0].key,
            "error.activity.start_required"
        );
    }

    #[test]
    fn milestones_last_zero_days_and_fixed_starts_delay_successors() {
        let mut m = act("M", 0, &["A"]);
        m.milestone = true;
        let mut b = act("B", 3, &["M"]);
        b.start_date = Some("2026-03-10".into());
        let s = plan(vec![act("A", 2, &[]), m, b]).unwrap().schedule();
        let ms = s.get("M").unwrap();
        assert_eq!(
            (ms.early_start, ms.start, ms.finish),
            (2, date(2026, 3, 4), date(2026, 3, 4))
        );
        assert_eq!(s.get("B").unwrap().early_start, 8);
        // A and M have slack because B is held by its fixed start.
        assert_eq!(s.get("A").unwrap().slack, 6);
        let mut long_ms = act("X", 3, &[]);
        long_ms.milestone = true;
        assert_eq!(
            Activity::try_from(long_ms).unwrap_err().0[0].key,
            "error.activity.milestone_duration"
        );
    }

    #[test]
    fn activities_outside_the_programme_and_bad_progress_are_rejected() {
        let mut a = act("A", 1, &[]);
        a.start_date = Some("2027-01-04".into());
        let e = plan(vec![a]).unwrap_err();
        assert_eq!(e.invalids().0[0].key, "error.activity.outside_programme");
        let mut b = act("B", 1, &[]);
        b.progress = Some("140".into());
        assert_eq!(
            Activity::try_from(b).unwrap_err().0[0].key,
            "error.activity.progress"
        );
    }

    #[test]
    fn overall_progress_weights_activities_by_duration() {
        let mut a = act("A", 3, &[]);
        a.progress = Some("100".into());
        let p = plan(vec![a, act("B", 1, &["A"])]).unwrap();
        assert_eq!(p.progress(), 75.0);
    }

    /// A random acyclic network: activity `i` may depend only on earlier activities.
    fn random_network() -> impl proptest::strategy::Strategy<Value = Vec<ActivityInput>> {
        use proptest::prelude::*;
        prop::collection::vec(
            (
                0u32..15,
                prop::collection::vec(any::<prop::sample::Index>(), 0..3),
                -2i32..3,
            ),
            1..25,
        )
        .prop_map(|specs| {
            specs
                .iter()
                .enumerate()
                .map(|(i, (days, preds, lag))| {
                    let mut deps: Vec<DependencyInput> = Vec::new();
                    if i > 0 {
                        for p in preds {
                            let name = format!("T{}", p.index(i));
                            if !deps.iter().any(|d| d.predecessor == name) {
                                deps.push(DependencyInput {
                                    predecessor: name,
                                    lag_days: *lag,
                                });
                            }
                        }
                    }
                    ActivityInput {
                        id: format!("T{i}"),
                        name: format!("T{i}"),
                        duration_days: Some(days.to_string()),
                        milestone: *days == 0,
                        dependencies: deps,
                        ..Default::default()
                    }
                })
                .collect()
        })
    }

    proptest::proptest! {
        #[test]
        fn any_acyclic_network_schedules_with_non_negative_slack_and_respected_links(net in random_network()) {
            let s = plan(net.clone()).unwrap().schedule();
            let mut any_critical = false;
            for a in &net {
                let r = s.get(&a.id).unwrap();
                proptest::prop_assert!(r.slack >= 0);
                proptest::prop_assert!(r.early_start >= 0);
                proptest::prop_assert!(r.early_finish <= s.finish_offset);
                any_critical |= r.is_critical();
                for d in &a.dependencies {
                    let p = s.get(&d.predecessor).unwrap();
                    proptest::prop_assert!(r.early_start >= p.early_finish + i64::from(d.lag_days));
                    proptest::prop_assert!(r.late_start >= p.late_finish + i64::from(d.lag_days));
                }
            }
            proptest::prop_assert!(any_critical);
        }

        #[test]
        fn adding_a_dependency_never_shortens_the_plan(net in random_network()) {
            let before = plan(net.clone()).unwrap().schedule().finish_offset;
            let mut more = net.clone();
            let last = more.len() - 1;
            if last > 0 && !more[last].dependencies.iter().any(|d| d.predecessor == "T0") {
                more[last].dependencies.push(DependencyInput { predecessor: "T0".into(), lag_days: 0 });
            }
            let after = plan(more).unwrap().schedule().finish_offset;
            proptest::prop_assert!(after >= before);
        }
    }
}
