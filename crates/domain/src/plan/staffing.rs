//! Staffing plan: positions per interval → FTE per week → hiring and training needs.
//!
//! The WFM engine (`rumbo-wfm`) turns volumes into positions per interval; this module only does
//! the planning arithmetic after it, so the domain stays independent of the queueing models.
//! Positions are the agents to have on the floor (already grossed up for shrinkage). Weeks start
//! on Monday and are keyed by the interval's local date, so DST days with 92 or 100 quarter-hours
//! simply contribute the intervals they have.

use jiff::civil::{Date, Weekday};

use super::budget::Percent;
use super::{add_days, parse_in_range, parse_number, Problems};
use crate::{Invalid, Invalids};

/// Raw staffing parameters.
#[derive(Debug, Clone, Default)]
pub struct StaffingInput {
    /// Interval length in minutes: 15, 30 or 60.
    pub interval_minutes: String,
    /// Contracted hours per full-time week (e.g. 44, 42 or 40 under Ley 21.561).
    pub weekly_hours: String,
    /// Agents on staff before the first week.
    pub starting_headcount: String,
    /// Share of staff leaving each week, percent (e.g. `1,5`).
    pub weekly_attrition: String,
    /// Calendar days of initial training a new hire needs before taking contacts.
    pub training_days: String,
}

/// Valid staffing parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct StaffingParams {
    pub interval_minutes: u32,
    pub weekly_hours: f64,
    pub starting_headcount: u32,
    pub weekly_attrition: Percent,
    pub training_days: u32,
}

impl TryFrom<StaffingInput> for StaffingParams {
    type Error = Invalids;

    fn try_from(i: StaffingInput) -> Result<Self, Invalids> {
        let mut p = Problems::default();
        let interval = p.take(
            parse_in_range(
                "interval_minutes",
                "error.staffing.interval",
                &i.interval_minutes,
                1..=60,
            )
            .and_then(|m| match m {
                15 | 30 | 60 => Ok(m as u32),
                _ => Err(Invalid::new("interval_minutes", "error.staffing.interval")),
            }),
        );
        let hours = p.take(
            parse_number(
                "weekly_hours",
                "error.staffing.weekly_hours",
                &i.weekly_hours,
            )
            .and_then(|h| {
                if (1.0..=60.0).contains(&h) {
                    Ok(h)
                } else {
                    Err(Invalid::new("weekly_hours", "error.staffing.weekly_hours"))
                }
            }),
        );
        let headcount = p.take(parse_in_range(
            "starting_headcount",
            "error.staffing.headcount",
            &i.starting_headcount,
            0..=100_000,
        ));
        let attrition = if i.weekly_attrition.trim().is_empty() {
            Some(Percent::from_basis_points(0))
        } else {
            p.take(Percent::parse(
                "weekly_attrition",
                "error.staffing.attrition",
                &i.weekly_attrition,
                100,
            ))
        };
        let training = p.take(parse_in_range(
            "training_days",
            "error.staffing.training_days",
            &i.training_days,
            0..=180,
        ));
        p.finish(|| {
            Some(StaffingParams {
                interval_minutes: interval?,
                weekly_hours: hours?,
                starting_headcount: headcount? as u32,
                weekly_attrition: attrition?,
                training_days: training? as u32,
            })
        })
    }
}

/// Positions required in one interval of a local date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntervalNeed {
    pub date: Date,
    pub positions: u32,
}

/// One week of the staffing plan.
#[derive(Debug, Clone, PartialEq)]
pub struct WeekPlan {
    /// The Monday starting the week.
    pub week_start: Date,
    /// Agent hours required on the floor.
    pub workload_hours: f64,
    /// Full-time equivalents: workload hours over contracted weekly hours.
    pub fte: f64,
    /// Agents needed: FTE rounded up.
    pub headcount_needed: u32,
    /// Agents still on staff at the start of the week, after attrition.
    pub headcount_available: u32,
    /// New hires who must be ready at the start of the week.
    pub hires: u32,
    /// Day their training must start.
    pub training_start: Date,
}

/// The Monday of `d`'s week.
pub fn week_start(d: Date) -> Date {
    let back = d.weekday().to_monday_zero_offset();
    add_days(d, -i32::from(back))
}

/// Builds the weekly plan from positions per interval. Weeks without intervals are skipped; staff
/// leave at the weekly attrition rate (rounded to whole people) and are replaced by hires only
/// when the week needs them.
pub fn weekly_plan(needs: &[IntervalNeed], params: &StaffingParams) -> Vec<WeekPlan> {
    let mut weeks: Vec<(Date, u64)> = Vec::new();
    for n in needs {
        let w = week_start(n.date);
        let minutes = u64::from(n.positions) * u64::from(params.interval_minutes);
        match weeks.iter_mut().find(|(d, _)| *d == w) {
            Some((_, total)) => *total += minutes,
            None => weeks.push((w, minutes)),
        }
    }
    weeks.sort_by_key(|(d, _)| *d);
    let mut headcount = params.starting_headcount;
    let attrition = u64::from(params.weekly_attrition.basis_points());
    weeks
        .into_iter()
        .map(|(week_start, minutes)| {
            let leavers = (u64::from(headcount) * attrition + 5_000) / 10_000;
            let available = headcount.saturating_sub(leavers as u32);
            let workload_hours = minutes as f64 / 60.0;
            let fte = workload_hours / params.weekly_hours;
            let needed = fte.ceil() as u32;
            let hires = needed.saturating_sub(available);
            headcount = available + hires;
            WeekPlan {
                week_start,
                workload_hours,
                fte,
                headcount_needed: needed,
                headcount_available: available,
                hires,
                training_start: add_days(week_start, -(params.training_days as i32)),
            }
        })
        .collect()
}

/// Sanity helper for callers building weeks by hand: is `d` a Monday?
pub fn is_week_start(d: Date) -> bool {
    d.weekday() == Weekday::Monday
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn params(headcount: &str, attrition: &str) -> StaffingParams {
        StaffingParams::try_from(StaffingInput {
            interval_minutes: "30".into(),
            weekly_hours: "42".into(),
            starting_headcount: headcount.into(),
            weekly_attrition: attrition.into(),
            training_days: "10".into(),
        })
        .unwrap()
    }

    /// `positions` agents during `hours` hours on each of the 7 days of the week starting `monday`.
    fn week(monday: Date, positions: u32, hours: u32) -> Vec<IntervalNeed> {
        (0..7)
            .flat_map(|d| {
                (0..hours * 2).map(move |_| IntervalNeed {
                    date: add_days(monday, d),
                    positions,
                })
            })
            .collect()
    }

    #[test]
    fn fte_is_floor_hours_over_contracted_hours_and_headcount_rounds_up() {
        // 10 agents × 12 h × 7 days = 840 h = 20 FTE at 42 h.
        let plan = weekly_plan(&week(date(2026, 3, 2), 10, 12), &params("0", ""));
        assert_eq!(plan.len(), 1);
        assert_eq!(plan[0].workload_hours, 840.0);
        assert_eq!(plan[0].fte, 20.0);
        assert_eq!(plan[0].headcount_needed, 20);
        let plan = weekly_plan(&week(date(2026, 3, 2), 10, 13), &params("0", ""));
        assert_eq!(plan[0].headcount_needed, 22); // 910 h / 42 = 21.67
    }

    #[test]
    fn hires_cover_the_gap_after_attrition_and_train_ahead_of_the_week() {
        let mut needs = week(date(2026, 3, 2), 10, 12); // 20 FTE
        needs.extend(week(date(2026, 3, 9), 10, 12)); // 20 FTE
        needs.extend(week(date(2026, 3, 16), 15, 12)); // 30 FTE
        needs.extend(week(date(2026, 3, 23), 5, 12)); // 10 FTE
        let plan = weekly_plan(&needs, &params("18", "5"));
        let hires: Vec<u32> = plan.iter().map(|w| w.hires).collect();
        let available: Vec<u32> = plan.iter().map(|w| w.headcount_available).collect();
        // 18 − 1 (5 % of 18 rounds to 1) = 17 → hire 3; 20 − 1 = 19 → hire 1; 20 − 1 → hire 11;
        // 30 − 2 = 28, no hires.
        assert_eq!(available, vec![17, 19, 19, 28]);
        assert_eq!(hires, vec![3, 1, 11, 0]);
        assert_eq!(plan[2].training_start, date(2026, 3, 6));
    }

    #[test]
    fn intervals_are_grouped_by_monday_weeks() {
        assert_eq!(week_start(date(2026, 3, 8)), date(2026, 3, 2)); // Sunday
        assert_eq!(week_start(date(2026, 3, 2)), date(2026, 3, 2));
        assert!(is_week_start(date(2026, 3, 9)));
        let needs = [
            IntervalNeed {
                date: date(2026, 3, 8),
                positions: 4,
            },
            IntervalNeed {
                date: date(2026, 3, 9),
                positions: 4,
            },
        ];
        let plan = weekly_plan(&needs, &params("0", ""));
        assert_eq!(plan.len(), 2);
        assert_eq!(plan[0].workload_hours, 2.0);
    }

    #[test]
    fn bad_parameters_are_reported_together() {
        let e = StaffingParams::try_from(StaffingInput {
            interval_minutes: "20".into(),
            weekly_hours: "0".into(),
            starting_headcount: "-1".into(),
            weekly_attrition: "150".into(),
            training_days: "x".into(),
        })
        .unwrap_err();
        assert_eq!(e.0.len(), 5);
    }
}
