//! Working time: the programme's work calendar (working days on the Chilean calendar, with the
//! holidays from the WFM engine and weekends off, or calendar days as the programme chooses),
//! and what is late on it (overdue activities, late milestones and gates).

use jiff::civil::Date;
use rumbo_domain::plan::objectives::{MilestoneState, MilestoneStatus};
use rumbo_domain::plan::workplan::{DayCount, WorkCalendar};
use rumbo_domain::plan::ProgrammeDates;
use serde_json::{json, Value};

use super::compute;
use super::docs::{reparse, CalendarDoc, Doc, MilestoneDoc, StageDoc};
use super::PlanCx;
use crate::{App, Principal, Result};

/// The calendar for `count` over a programme's dates: Chilean holidays from the year the
/// programme starts to five years after it ends (schedules may run past the end).
pub fn calendar_for(count: DayCount, dates: ProgrammeDates) -> WorkCalendar {
    match count {
        DayCount::Calendar => WorkCalendar::calendar_days(),
        DayCount::Working => {
            let first = dates.start().year();
            let last = dates
                .end()
                .unwrap_or(dates.start())
                .year()
                .saturating_add(5);
            let holidays = rumbo_wfm::holidays::chile_dates(first, last).unwrap_or_default();
            WorkCalendar::working_days(holidays)
        }
    }
}

/// An activity whose scheduled finish has passed unfinished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverdueActivity {
    pub id: String,
    pub name: String,
    pub finish: Date,
    pub progress: u8,
}

/// What is late in a plan on a given day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanFlags {
    pub today: Option<Date>,
    pub overdue_activities: Vec<OverdueActivity>,
    /// Late milestones: name and date.
    pub late_milestones: Vec<(String, Date)>,
    /// Stages whose gate is late: name and end date.
    pub late_gates: Vec<(String, Date)>,
}

impl PlanFlags {
    pub fn is_empty(&self) -> bool {
        self.overdue_activities.is_empty()
            && self.late_milestones.is_empty()
            && self.late_gates.is_empty()
    }
}

impl App {
    /// How the programme counts durations (working days unless it chose calendar days).
    pub async fn day_count(&self, cx: &PlanCx) -> Result<DayCount> {
        Ok(self
            .single(cx, CalendarDoc::KIND)
            .await?
            .and_then(|d| reparse::<CalendarDoc>(&d))
            .and_then(|d| d.parse().ok())
            .unwrap_or_default())
    }

    /// The programme's work calendar.
    pub async fn work_calendar(&self, cx: &PlanCx) -> Result<WorkCalendar> {
        Ok(calendar_for(self.day_count(cx).await?, cx.dates()))
    }

    /// Chooses working or calendar days for the programme's durations.
    pub async fn set_day_count(
        &self,
        who: &Principal,
        cx: &PlanCx,
        body: CalendarDoc,
    ) -> Result<Value> {
        cx.writable(who)?;
        let check = self.plan_check(cx).await?;
        let (_, data) = body.check(&check)?;
        self.set_single(who, cx, CalendarDoc::KIND, data).await
    }

    /// What is late today in the programme's time zone.
    pub async fn plan_flags(&self, cx: &PlanCx) -> Result<PlanFlags> {
        self.plan_flags_on(cx, compute::today(cx)).await
    }

    /// What is late on `today`: activities past their scheduled finish and not done, pending
    /// milestones past their date, stages past their end with exit criteria unmet.
    pub async fn plan_flags_on(&self, cx: &PlanCx, today: Date) -> Result<PlanFlags> {
        let mut flags = PlanFlags {
            today: Some(today),
            ..PlanFlags::default()
        };
        if let Some(plan) = self.work_plan(cx).await? {
            let s = plan.schedule();
            for a in plan.activities() {
                if let Some(r) = s.get(a.id.as_str()) {
                    if r.is_overdue(a, today) {
                        flags.overdue_activities.push(OverdueActivity {
                            id: a.id.to_string(),
                            name: a.name.clone(),
                            finish: r.finish,
                            progress: a.progress,
                        });
                    }
                }
            }
        }
        for m in self.plan_items::<MilestoneDoc>(cx).await? {
            if milestone_state(&m.data, today) == Some(MilestoneState::Late) {
                if let Ok(d) = m.data["date"].as_str().unwrap_or_default().parse() {
                    let name = m.data["name"].as_str().unwrap_or_default().to_string();
                    flags.late_milestones.push((name, d));
                }
            }
        }
        for st in self.plan_items::<StageDoc>(cx).await? {
            if let Some(stage) = reparse::<StageDoc>(&st.data).and_then(|d| d.parse().ok()) {
                if stage.gate_is_late(today) {
                    if let Some(end) = stage.end_date {
                        flags.late_gates.push((stage.name.clone(), end));
                    }
                }
            }
        }
        Ok(flags)
    }
}

/// A stored milestone's state on `today` (pending, met or late).
pub fn milestone_state(data: &Value, today: Date) -> Option<MilestoneState> {
    let date: Date = data["date"].as_str()?.parse().ok()?;
    let status = data["status"]
        .as_str()
        .and_then(|s| MilestoneStatus::parse(s).ok())
        .unwrap_or_default();
    Some(status.state(date, today))
}

/// The day count as JSON for the API.
pub fn day_count_json(d: DayCount) -> Value {
    json!({ "day_count": d.as_str() })
}
