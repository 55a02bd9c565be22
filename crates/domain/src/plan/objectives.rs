//! Objectives, KPI targets with tolerance bands, milestones and client requirements.
//!
//! An objective states what the programme must achieve and the results expected from it. Its
//! KPI targets name an indicator of the KPI registry (the caller passes the registry's names, so
//! this crate does not depend on `rumbo-kpi`) and say how an actual value is judged: green when
//! the target is met, amber within the tolerance band, red beyond it. Milestones are dated
//! checkpoints that must fall within the programme dates.

use jiff::civil::Date;

use super::{
    optional_text, parse_date, parse_number, required_text, text_list, Problems, ProgrammeDates,
};
use crate::{Invalid, Invalids};

/// Raw objective input.
#[derive(Debug, Clone, Default)]
pub struct ObjectiveInput {
    pub title: String,
    pub description: Option<String>,
    pub expected_results: Vec<String>,
}

/// A programme objective with its expected results.
#[derive(Debug, Clone, PartialEq)]
pub struct Objective {
    pub title: String,
    pub description: String,
    pub expected_results: Vec<String>,
}

impl TryFrom<ObjectiveInput> for Objective {
    type Error = Invalids;

    fn try_from(i: ObjectiveInput) -> Result<Self, Invalids> {
        let mut p = Problems::default();
        let title = p.take(required_text(
            "title",
            "error.objective.title",
            &i.title,
            200,
        ));
        let description = p.take(optional_text(
            "description",
            "error.text.too_long",
            i.description.as_deref(),
            4000,
        ));
        let expected_results = p.take(text_list(
            "expected_results",
            "error.text.too_long",
            &i.expected_results,
            500,
        ));
        p.finish(|| {
            Some(Objective {
                title: title?,
                description: description?,
                expected_results: expected_results?,
            })
        })
    }
}

crate::string_enum! {
    /// Whether a higher or a lower actual value is better (service level vs. abandonment).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum Direction {
        HigherIsBetter = "higher",
        LowerIsBetter = "lower",
    }
    invalid("direction", "error.kpi_target.direction")
}

crate::string_enum! {
    /// The traffic-light judgement of an actual value against its target.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum Rag {
        Green = "green",
        Amber = "amber",
        Red = "red",
    }
}

crate::string_enum! {
    /// How often a target is measured.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum Granularity {
        Interval = "interval",
        Day = "day",
        Week = "week",
        Month = "month",
        Whole = "whole",
    }
    invalid("granularity", "error.kpi_target.granularity")
}

/// Raw KPI target input.
#[derive(Debug, Clone, Default)]
pub struct KpiTargetInput {
    pub indicator: String,
    pub target: String,
    pub direction: String,
    /// Width of the amber band beyond the target, in the indicator's unit; `0` means no amber.
    pub tolerance: String,
    pub granularity: String,
    pub period_start: String,
    pub period_end: String,
    pub owner_id: Option<i64>,
}

/// A KPI target: indicator, target value, direction, tolerance band, period and owner.
#[derive(Debug, Clone, PartialEq)]
pub struct KpiTarget {
    pub indicator: String,
    pub target: f64,
    pub direction: Direction,
    pub tolerance: f64,
    pub granularity: Granularity,
    pub period_start: Date,
    pub period_end: Date,
    pub owner_id: i64,
}

impl KpiTarget {
    /// Parses a target whose indicator must be one of `indicators` (the KPI registry's names)
    /// and whose period must lie within the programme.
    pub fn parse(
        i: &KpiTargetInput,
        indicators: &[&str],
        programme: ProgrammeDates,
    ) -> Result<Self, Invalids> {
        let mut p = Problems::default();
        let name = i.indicator.trim();
        let indicator = indicators
            .iter()
            .find(|n| **n == name)
            .map(|n| n.to_string());
        p.check(
            indicator.is_some(),
            "indicator",
            "error.kpi_target.indicator",
        );
        let target = p.take(parse_number("target", "error.kpi_target.value", &i.target));
        let direction = p.take(Direction::parse(&i.direction));
        let tolerance = if i.tolerance.trim().is_empty() {
            Some(0.0)
        } else {
            p.take(
                parse_number("tolerance", "error.kpi_target.tolerance", &i.tolerance)
                    .and_then(|t| non_negative("tolerance", "error.kpi_target.tolerance", t)),
            )
        };
        let granularity = p.take(Granularity::parse(&i.granularity));
        let start = p.take(parse_date("period_start", &i.period_start));
        let end = p.take(parse_date("period_end", &i.period_end));
        if let (Some(s), Some(e)) = (start, end) {
            p.check(e >= s, "period_end", "error.period.end_before_start");
            p.check(
                programme.contains(s) && programme.contains(e),
                "period_start",
                "error.kpi_target.outside_programme",
            );
        }
        p.check(i.owner_id.is_some(), "owner_id", "error.owner.required");
        p.finish(|| {
            Some(KpiTarget {
                indicator: indicator?,
                target: target?,
                direction: direction?,
                tolerance: tolerance?,
                granularity: granularity?,
                period_start: start?,
                period_end: end?,
                owner_id: i.owner_id?,
            })
        })
    }

    /// Judges an actual value: green when the target is met, amber when it misses by at most
    /// the tolerance, red otherwise.
    pub fn judge(&self, actual: f64) -> Rag {
        let shortfall = match self.direction {
            Direction::HigherIsBetter => self.target - actual,
            Direction::LowerIsBetter => actual - self.target,
        };
        if shortfall <= 0.0 {
            Rag::Green
        } else if shortfall <= self.tolerance {
            Rag::Amber
        } else {
            Rag::Red
        }
    }
}

fn non_negative(field: &'static str, key: &'static str, v: f64) -> Result<f64, Invalid> {
    if v >= 0.0 {
        Ok(v)
    } else {
        Err(Invalid::new(field, key))
    }
}

/// Raw milestone input.
#[derive(Debug, Clone, Default)]
pub struct MilestoneInput {
    pub name: String,
    pub date: String,
    /// The objective this checkpoint belongs to, if any.
    pub objective_id: Option<i64>,
    /// What must be true at the checkpoint, e.g. "SL ≥ 80 % for two weeks".
    pub criterion: Option<String>,
}

/// A dated checkpoint within the programme.
#[derive(Debug, Clone, PartialEq)]
pub struct Milestone {
    pub name: String,
    pub date: Date,
    pub objective_id: Option<i64>,
    pub criterion: String,
}

impl Milestone {
    /// Parses a milestone whose date must lie within the programme dates.
    pub fn parse(i: &MilestoneInput, programme: ProgrammeDates) -> Result<Self, Invalids> {
        let mut p = Problems::default();
        let name = p.take(required_text("name", "error.milestone.name", &i.name, 200));
        let date = p.take(parse_date("date", &i.date));
        if let Some(d) = date {
            p.check(
                programme.contains(d),
                "date",
                "error.milestone.outside_programme",
            );
        }
        let criterion = p.take(optional_text(
            "criterion",
            "error.text.too_long",
            i.criterion.as_deref(),
            500,
        ));
        p.finish(|| {
            Some(Milestone {
                name: name?,
                date: date?,
                objective_id: i.objective_id,
                criterion: criterion?,
            })
        })
    }
}

crate::string_enum! {
    /// Whether a milestone was reached; a pending one whose date has passed is late.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub enum MilestoneStatus {
        #[default]
        Pending = "pending",
        Met = "met",
    }
    invalid("status", "error.pf.milestone_status")
}

crate::string_enum! {
    /// A milestone as shown: pending, met, or late (pending after its date).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum MilestoneState {
        Pending = "pending",
        Met = "met",
        Late = "late",
    }
}

impl MilestoneStatus {
    /// The state on `today` of a milestone due on `date`.
    pub fn state(self, date: Date, today: Date) -> MilestoneState {
        match self {
            MilestoneStatus::Met => MilestoneState::Met,
            MilestoneStatus::Pending if date < today => MilestoneState::Late,
            MilestoneStatus::Pending => MilestoneState::Pending,
        }
    }
}

crate::string_enum! {
    /// Where a client requirement was stated.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum SourceKind {
        ContractClause = "contract_clause",
        Meeting = "meeting",
        Email = "email",
        Other = "other",
    }
    invalid("source_kind", "error.requirement.source_kind")
}

/// Raw client requirement input.
#[derive(Debug, Clone, Default)]
pub struct RequirementInput {
    pub text: String,
    pub source_kind: String,
    /// The clause number, meeting title or message reference.
    pub source_ref: String,
    pub objective_ids: Vec<i64>,
}

/// A client requirement with its source, linked to the objectives that answer it.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientRequirement {
    pub text: String,
    pub source_kind: SourceKind,
    pub source_ref: String,
    pub objective_ids: Vec<i64>,
}

impl TryFrom<RequirementInput> for ClientRequirement {
    type Error = Invalids;

    fn try_from(i: RequirementInput) -> Result<Self, Invalids> {
        let mut p = Problems::default();
        let text = p.take(required_text(
            "text",
            "error.requirement.text",
            &i.text,
            2000,
        ));
        let kind = p.take(SourceKind::parse(&i.source_kind));
        let source_ref = p.take(required_text(
            "source_ref",
            "error.requirement.source_ref",
            &i.source_ref,
            200,
        ));
        let mut objective_ids = i.objective_ids;
        objective_ids.sort_unstable();
        objective_ids.dedup();
        p.finish(|| {
            Some(ClientRequirement {
                text: text?,
                source_kind: kind?,
                source_ref: source_ref?,
                objective_ids,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn programme() -> ProgrammeDates {
        ProgrammeDates::new(date(2026, 3, 2), Some(date(2026, 8, 31))).unwrap()
    }

    fn sl_target(direction: &str) -> KpiTargetInput {
        KpiTargetInput {
            indicator: "service_level".into(),
            target: "80".into(),
            direction: direction.into(),
            tolerance: "5".into(),
            granularity: "week".into(),
            period_start: "2026-03-02".into(),
            period_end: "2026-08-31".into(),
            owner_id: Some(3),
        }
    }

    const REGISTRY: &[&str] = &["service_level", "abandon_rate", "aht"];

    #[test]
    fn higher_is_better_targets_are_green_at_target_amber_in_band_red_beyond() {
        let t = KpiTarget::parse(&sl_target("higher"), REGISTRY, programme()).unwrap();
        assert_eq!(t.judge(80.0), Rag::Green);
        assert_eq!(t.judge(92.0), Rag::Green);
        assert_eq!(t.judge(75.0), Rag::Amber);
        assert_eq!(t.judge(74.9), Rag::Red);
    }

    #[test]
    fn lower_is_better_targets_turn_red_above_the_band() {
        let mut i = sl_target("lower");
        i.indicator = "abandon_rate".into();
        i.target = "5".into();
        i.tolerance = "2,5".into();
        let t = KpiTarget::parse(&i, REGISTRY, programme()).unwrap();
        assert_eq!(t.judge(4.0), Rag::Green);
        assert_eq!(t.judge(7.5), Rag::Amber);
        assert_eq!(t.judge(7.6), Rag::Red);
    }

    #[test]
    fn unknown_indicator_and_negative_tolerance_are_reported_together() {
        let mut i = sl_target("sideways");
        i.indicator = "happiness".into();
        i.tolerance = "-1".into();
        i.owner_id = None;
        let keys: Vec<_> = KpiTarget::parse(&i, REGISTRY, programme())
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| e.key)
            .collect();
        assert_eq!(
            keys,
            vec![
                "error.kpi_target.indicator",
                "error.kpi_target.direction",
                "error.kpi_target.tolerance",
                "error.owner.required"
            ]
        );
    }

    #[test]
    fn a_target_period_outside_the_programme_is_rejected() {
        let mut i = sl_target("higher");
        i.period_end = "2026-09-30".into();
        let e = KpiTarget::parse(&i, REGISTRY, programme()).unwrap_err();
        assert_eq!(e.0[0].key, "error.kpi_target.outside_programme");
    }

    #[test]
    fn milestone_outside_programme_dates_is_rejected_on_its_date() {
        let i = MilestoneInput {
            name: "Go-live".into(),
            date: "2026-09-01".into(),
            ..Default::default()
        };
        let e = Milestone::parse(&i, programme()).unwrap_err();
        assert_eq!(
            e.0,
            vec![Invalid::new("date", "error.milestone.outside_programme")]
        );
        let ok = MilestoneInput {
            date: "2026-08-31".into(),
            ..i
        };
        assert_eq!(
            Milestone::parse(&ok, programme()).unwrap().date,
            date(2026, 8, 31)
        );
    }

    #[test]
    fn requirements_keep_their_source_and_deduplicate_objectives() {
        let r = ClientRequirement::try_from(RequirementInput {
            text: "Grabar el 100 % de las llamadas".into(),
            source_kind: "contract_clause".into(),
            source_ref: "Cláusula 7.2".into(),
            objective_ids: vec![2, 1, 2],
        })
        .unwrap();
        assert_eq!(r.source_kind, SourceKind::ContractClause);
        assert_eq!(r.objective_ids, vec![1, 2]);
        let e = ClientRequirement::try_from(RequirementInput::default()).unwrap_err();
        assert_eq!(e.0.len(), 3);
    }

    #[test]
    fn objectives_need_a_title_and_drop_blank_results() {
        let o = Objective::try_from(ObjectiveInput {
            title: " Vender 1.200 pólizas ".into(),
            description: None,
            expected_results: vec!["Conversión ≥ 8 %".into(), "  ".into()],
        })
        .unwrap();
        assert_eq!(o.title, "Vender 1.200 pólizas");
        assert_eq!(o.expected_results.len(), 1);
        assert_eq!(
            Objective::try_from(ObjectiveInput::default())
                .unwrap_err()
                .0[0]
                .key,
            "error.objective.title"
        );
    }
}
