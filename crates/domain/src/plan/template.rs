//! Programme templates: a new plan derived from a past programme's plan.
//!
//! The structure is copied (objectives and their targets, scope, stages and gates, risks, roles,
//! activities with their dependencies, communication plan) and every date moves by the distance
//! between the old and the new start, so the plan keeps its shape. What belonged to the past run
//! is reset: progress to 0 %, gate criteria to unmet, risks to open. Client requirements, actuals,
//! meetings and decisions are not copied: they are facts of the past programme, not plan.

use jiff::civil::Date;

use super::coordination::CommunicationItem;
use super::objectives::{KpiTarget, Milestone, Objective};
use super::roles::RoleDef;
use super::strategy::{Risk, RiskStatus, ScopeItem, Stage};
use super::workplan::Activity;
use super::{add_days, days_between, ProgrammeDates};

/// A programme's plan as a template sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanParts {
    pub programme: ProgrammeDates,
    pub objectives: Vec<Objective>,
    /// Each target with the index of its objective in `objectives`.
    pub targets: Vec<(usize, KpiTarget)>,
    pub milestones: Vec<Milestone>,
    pub scope: Vec<ScopeItem>,
    pub stages: Vec<Stage>,
    pub risks: Vec<Risk>,
    pub roles: Vec<RoleDef>,
    pub activities: Vec<Activity>,
    pub communication: Vec<CommunicationItem>,
}

/// The plan of `source` moved to start on `new_start`, reset for a new run.
pub fn derive_plan(source: &PlanParts, new_start: Date) -> PlanParts {
    let delta = days_between(source.programme.start(), new_start);
    let shift = |d: Date| add_days(d, delta);
    // Shifting both ends by the same amount keeps end ≥ start.
    let programme = ProgrammeDates::new(new_start, source.programme.end().map(shift))
        .unwrap_or(source.programme);
    PlanParts {
        programme,
        objectives: source.objectives.clone(),
        targets: source
            .targets
            .iter()
            .map(|(o, t)| {
                let t = KpiTarget {
                    period_start: shift(t.period_start),
                    period_end: shift(t.period_end),
                    ..t.clone()
                };
                (*o, t)
            })
            .collect(),
        milestones: source
            .milestones
            .iter()
            .map(|m| Milestone {
                date: shift(m.date),
                ..m.clone()
            })
            .collect(),
        scope: source.scope.clone(),
        stages: source
            .stages
            .iter()
            .map(|s| reset_stage(s, delta))
            .collect(),
        risks: source
            .risks
            .iter()
            .map(|r| Risk {
                status: RiskStatus::Open,
                review_date: shift(r.review_date),
                ..r.clone()
            })
            .collect(),
        roles: source.roles.clone(),
        activities: source
            .activities
            .iter()
            .map(|a| Activity {
                start_date: a.start_date.map(shift),
                progress: 0,
                actual_start: None,
                actual_finish: None,
                ..a.clone()
            })
            .collect(),
        communication: source.communication.clone(),
    }
}

fn reset_stage(s: &Stage, delta: i32) -> Stage {
    let mut s = s.clone();
    s.start_date = s.start_date.map(|d| add_days(d, delta));
    s.end_date = s.end_date.map(|d| add_days(d, delta));
    for c in s
        .entry_criteria
        .iter_mut()
        .chain(s.exit_criteria.iter_mut())
    {
        c.met = false;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::super::objectives::{KpiTargetInput, MilestoneInput, ObjectiveInput};
    use super::super::strategy::{RiskInput, StageInput};
    use super::super::workplan::{ActivityInput, DependencyInput, WorkPlan};
    use super::*;
    use jiff::civil::date;

    fn source() -> PlanParts {
        let programme = ProgrammeDates::new(date(2025, 3, 3), Some(date(2025, 8, 29))).unwrap();
        let target = KpiTarget::parse(
            &KpiTargetInput {
                indicator: "service_level".into(),
                target: "80".into(),
                direction: "higher".into(),
                tolerance: "5".into(),
                granularity: "week".into(),
                period_start: "2025-03-03".into(),
                period_end: "2025-08-29".into(),
                owner_id: Some(1),
            },
            &["service_level"],
            programme,
        )
        .unwrap();
        let milestone = Milestone::parse(
            &MilestoneInput {
                name: "Salida a producción".into(),
                date: "2025-03-31".into(),
                ..Default::default()
            },
            programme,
        )
        .unwrap();
        let mut stage = Stage::try_from(StageInput {
            name: "Piloto".into(),
            position: 1,
            start_date: Some("2025-03-03".into()),
            end_date: Some("2025-03-28".into()),
            exit_criteria: vec!["Conversión ≥ 6 %".into()],
            ..Default::default()
        })
        .unwrap();
        stage.exit_criteria[0].met = true;
        let mut risk = Risk::try_from(RiskInput {
            cause: "c".into(),
            event: "e".into(),
            effect: "f".into(),
            probability: "3".into(),
            impact: "4".into(),
            owner_id: Some(1),
            review_date: "2025-04-01".into(),
            ..Default::default()
        })
        .unwrap();
        risk.status = RiskStatus::Occurred;
        let act = |id: &str, start: Option<&str>, dep: Option<&str>, progress: &str| {
            Activity::try_from(ActivityInput {
                id: id.into(),
                name: id.into(),
                start_date: start.map(String::from),
                duration_days: Some("5".into()),
                dependencies: dep
                    .map(|d| DependencyInput {
                        predecessor: d.into(),
                        lag_days: 0,
                    })
                    .into_iter()
                    .collect(),
                progress: Some(progress.into()),
                ..Default::default()
            })
            .unwrap()
        };
        PlanParts {
            programme,
            objectives: vec![Objective::try_from(ObjectiveInput {
                title: "Vender".into(),
                ..Default::default()
            })
            .unwrap()],
            targets: vec![(0, target)],
            milestones: vec![milestone],
            scope: vec![ScopeItem::parse("in", "Venta outbound").unwrap()],
            stages: vec![stage],
            risks: vec![risk],
            roles: vec![],
            activities: vec![
                act("A", Some("2025-03-10"), None, "100"),
                act("B", None, Some("A"), "60"),
            ],
            communication: vec![],
        }
    }

    #[test]
    fn every_date_moves_by_the_distance_between_starts() {
        let new = derive_plan(&source(), date(2026, 3, 2)); // 364 days later.
        assert_eq!(new.programme.start(), date(2026, 3, 2));
        assert_eq!(new.programme.end(), Some(date(2026, 8, 28)));
        assert_eq!(new.targets[0].1.period_start, date(2026, 3, 2));
        assert_eq!(new.targets[0].1.period_end, date(2026, 8, 28));
        assert_eq!(new.milestones[0].date, date(2026, 3, 30));
        assert_eq!(new.stages[0].end_date, Some(date(2026, 3, 27)));
        assert_eq!(new.risks[0].review_date, date(2026, 3, 31));
        assert_eq!(new.activities[0].start_date, Some(date(2026, 3, 9)));
        assert!(new
            .milestones
            .iter()
            .all(|m| new.programme.contains(m.date)));
    }

    #[test]
    fn the_past_run_is_reset_but_the_structure_kept() {
        let src = source();
        let new = derive_plan(&src, date(2026, 3, 2));
        assert!(new.activities.iter().all(|a| a.progress == 0));
        assert_eq!(new.risks[0].status, RiskStatus::Open);
        assert!(!new.stages[0].can_exit());
        assert_eq!(
            new.activities[1].dependencies,
            src.activities[1].dependencies
        );
        assert_eq!(new.objectives, src.objectives);
        assert_eq!(new.scope, src.scope);
    }

    #[test]
    fn the_derived_work_plan_has_the_same_shape() {
        let src = source();
        let new = derive_plan(&src, date(2026, 3, 2));
        let old = WorkPlan::new(src.activities, src.programme)
            .unwrap()
            .schedule();
        let new = WorkPlan::new(new.activities, new.programme)
            .unwrap()
            .schedule();
        assert_eq!(old.finish_offset, new.finish_offset);
        assert_eq!(new.get("B").unwrap().start, date(2026, 3, 14));
    }
}
