//! Strategy: scope in and out, stages with entry and exit gates, and the risk register.
//!
//! Risks are scored probability × impact on 1–5 scales (score 1–25) and given a level by score;
//! the heat-map counts risks per (probability, impact) cell so a chart can colour the 5×5 grid.

use jiff::civil::Date;

use super::{optional_text, parse_date, parse_in_range, required_text, text_list, Problems};
use crate::{Invalid, Invalids};

crate::string_enum! {
    /// Which side of the scope line an item sits on.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum ScopeSide {
        In = "in",
        Out = "out",
    }
    invalid("side", "error.scope.side")
}

/// One scope statement ("outbound sales of life insurance", "claims handling is out").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeItem {
    pub side: ScopeSide,
    pub text: String,
}

impl ScopeItem {
    pub fn parse(side: &str, text: &str) -> Result<Self, Invalids> {
        let mut p = Problems::default();
        let side = p.take(ScopeSide::parse(side));
        let text = p.take(required_text("text", "error.scope.text", text, 500));
        p.finish(|| {
            Some(ScopeItem {
                side: side?,
                text: text?,
            })
        })
    }
}

/// A gate criterion and whether it has been met.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Criterion {
    pub text: String,
    pub met: bool,
}

/// Raw stage input; criteria arrive as text lines, all unmet.
#[derive(Debug, Clone, Default)]
pub struct StageInput {
    pub name: String,
    pub position: u32,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub entry_criteria: Vec<String>,
    pub exit_criteria: Vec<String>,
    pub expected_results: Vec<String>,
}

/// A stage of the programme (e.g. set-up, pilot, ramp-up, steady state) with its gates.
#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    pub name: String,
    pub position: u32,
    pub start_date: Option<Date>,
    pub end_date: Option<Date>,
    pub entry_criteria: Vec<Criterion>,
    pub exit_criteria: Vec<Criterion>,
    pub expected_results: Vec<String>,
}

impl TryFrom<StageInput> for Stage {
    type Error = Invalids;

    fn try_from(i: StageInput) -> Result<Self, Invalids> {
        let mut p = Problems::default();
        let name = p.take(required_text("name", "error.stage.name", &i.name, 200));
        let start = p.take(super::parse_opt_date("start_date", i.start_date.as_deref()));
        let end = p.take(super::parse_opt_date("end_date", i.end_date.as_deref()));
        if let (Some(Some(s)), Some(Some(e))) = (start, end) {
            p.check(e >= s, "end_date", "error.period.end_before_start");
        }
        let criteria = |p: &mut Problems, field, items: &[String]| {
            p.take(text_list(field, "error.text.too_long", items, 500))
                .map(|v| {
                    v.into_iter()
                        .map(|text| Criterion { text, met: false })
                        .collect::<Vec<_>>()
                })
        };
        let entry = criteria(&mut p, "entry_criteria", &i.entry_criteria);
        let exit = criteria(&mut p, "exit_criteria", &i.exit_criteria);
        p.check(
            exit.as_ref().is_none_or(|v| !v.is_empty()),
            "exit_criteria",
            "error.stage.exit_required",
        );
        let results = p.take(text_list(
            "expected_results",
            "error.text.too_long",
            &i.expected_results,
            500,
        ));
        p.finish(|| {
            Some(Stage {
                name: name?,
                position: i.position,
                start_date: start?,
                end_date: end?,
                entry_criteria: entry?,
                exit_criteria: exit?,
                expected_results: results?,
            })
        })
    }
}

impl Stage {
    /// The gate into the stage is open when every entry criterion is met.
    pub fn can_enter(&self) -> bool {
        self.entry_criteria.iter().all(|c| c.met)
    }

    /// The gate out of the stage is open when every exit criterion is met.
    pub fn can_exit(&self) -> bool {
        self.exit_criteria.iter().all(|c| c.met)
    }

    /// The gate is late when the stage's end date has passed and its exit criteria are not
    /// all met.
    pub fn gate_is_late(&self, today: Date) -> bool {
        self.end_date.is_some_and(|e| e < today) && !self.can_exit()
    }
}

/// Checks that stages are numbered 1, 2, 3… and that dated stages do not overlap.
pub fn check_stage_sequence(stages: &[Stage]) -> Result<(), Invalid> {
    let mut sorted: Vec<&Stage> = stages.iter().collect();
    sorted.sort_by_key(|s| s.position);
    for (n, s) in sorted.iter().enumerate() {
        if s.position as usize != n + 1 {
            return Err(Invalid::new("position", "error.stage.position"));
        }
    }
    for pair in sorted.windows(2) {
        if let (Some(prev_end), Some(next_start)) = (pair[0].end_date, pair[1].start_date) {
            if next_start <= prev_end {
                return Err(Invalid::new("start_date", "error.stage.overlap"));
            }
        }
    }
    Ok(())
}

/// A 1–5 rating of probability or impact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Rating(u8);

impl Rating {
    pub fn new(v: u8) -> Option<Rating> {
        (1..=5).contains(&v).then_some(Rating(v))
    }

    pub fn parse(field: &'static str, key: &'static str, s: &str) -> Result<Self, Invalid> {
        parse_in_range(field, key, s, 1..=5).map(|v| Rating(v as u8))
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

crate::string_enum! {
    /// Level of a risk by its score: 1–4 low, 5–9 medium, 10–16 high, 20–25 critical.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum RiskLevel {
        Low = "low",
        Medium = "medium",
        High = "high",
        Critical = "critical",
    }
}

impl RiskLevel {
    pub fn from_score(score: u8) -> RiskLevel {
        match score {
            0..=4 => RiskLevel::Low,
            5..=9 => RiskLevel::Medium,
            10..=16 => RiskLevel::High,
            _ => RiskLevel::Critical,
        }
    }
}

crate::string_enum! {
    /// Where a risk is in its life.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum RiskStatus {
        Open = "open",
        Mitigating = "mitigating",
        Closed = "closed",
        Occurred = "occurred",
    }
    invalid("status", "error.risk.status")
}

/// Raw risk input.
#[derive(Debug, Clone, Default)]
pub struct RiskInput {
    pub cause: String,
    pub event: String,
    pub effect: String,
    pub probability: String,
    pub impact: String,
    pub owner_id: Option<i64>,
    pub mitigation: Option<String>,
    pub contingency: Option<String>,
    /// Empty means `open`.
    pub status: Option<String>,
    pub review_date: String,
}

/// A risk of the register: "because of *cause*, *event* may happen, leading to *effect*".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Risk {
    pub cause: String,
    pub event: String,
    pub effect: String,
    pub probability: Rating,
    pub impact: Rating,
    pub owner_id: i64,
    pub mitigation: String,
    pub contingency: String,
    pub status: RiskStatus,
    pub review_date: Date,
}

impl TryFrom<RiskInput> for Risk {
    type Error = Invalids;

    fn try_from(i: RiskInput) -> Result<Self, Invalids> {
        let mut p = Problems::default();
        let cause = p.take(required_text("cause", "error.risk.cause", &i.cause, 1000));
        let event = p.take(required_text("event", "error.risk.event", &i.event, 1000));
        let effect = p.take(required_text(
            "effect",
            "error.risk.effect",
            &i.effect,
            1000,
        ));
        let probability = p.take(Rating::parse(
            "probability",
            "error.risk.probability",
            &i.probability,
        ));
        let impact = p.take(Rating::parse("impact", "error.risk.impact", &i.impact));
        p.check(i.owner_id.is_some(), "owner_id", "error.owner.required");
        let long = |p: &mut Problems, field, s: &Option<String>| {
            p.take(optional_text(
                field,
                "error.text.too_long",
                s.as_deref(),
                2000,
            ))
        };
        let mitigation = long(&mut p, "mitigation", &i.mitigation);
        let contingency = long(&mut p, "contingency", &i.contingency);
        let status = match i.status.as_deref().map(str::trim) {
            None | Some("") => Some(RiskStatus::Open),
            Some(s) => p.take(RiskStatus::parse(s)),
        };
        let review_date = p.take(parse_date("review_date", &i.review_date));
        p.finish(|| {
            Some(Risk {
                cause: cause?,
                event: event?,
                effect: effect?,
                probability: probability?,
                impact: impact?,
                owner_id: i.owner_id?,
                mitigation: mitigation?,
                contingency: contingency?,
                status: status?,
                review_date: review_date?,
            })
        })
    }
}

impl Risk {
    /// Probability × impact, 1–25.
    pub fn score(&self) -> u8 {
        self.probability.get() * self.impact.get()
    }

    pub fn level(&self) -> RiskLevel {
        RiskLevel::from_score(self.score())
    }

    /// Open and mitigating risks still threaten the programme; closed and occurred ones do not.
    pub fn is_active(&self) -> bool {
        matches!(self.status, RiskStatus::Open | RiskStatus::Mitigating)
    }

    /// Whether the review date has come.
    pub fn review_due(&self, today: Date) -> bool {
        self.is_active() && self.review_date <= today
    }
}

/// Risk counts on the 5×5 grid: `cells[impact - 1][probability - 1]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HeatMap {
    pub cells: [[u32; 5]; 5],
}

impl HeatMap {
    /// Counts the given risks (the caller chooses which, e.g. only active ones).
    pub fn from_risks<'a>(risks: impl IntoIterator<Item = &'a Risk>) -> HeatMap {
        let mut map = HeatMap::default();
        for r in risks {
            map.cells[usize::from(r.impact.get() - 1)][usize::from(r.probability.get() - 1)] += 1;
        }
        map
    }

    /// Number of risks with this probability and impact.
    pub fn count(&self, probability: Rating, impact: Rating) -> u32 {
        self.cells[usize::from(impact.get() - 1)][usize::from(probability.get() - 1)]
    }

    pub fn total(&self) -> u32 {
        self.cells.iter().flatten().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn risk(p: &str, i: &str) -> RiskInput {
        RiskInput {
            cause: "Mercado laboral ajustado".into(),
            event: "No se completa la dotación".into(),
            effect: "Nivel de servicio bajo meta".into(),
            probability: p.into(),
            impact: i.into(),
            owner_id: Some(1),
            review_date: "2026-04-01".into(),
            ..Default::default()
        }
    }

    #[test]
    fn probability_seven_is_rejected_with_the_probability_key() {
        let e = Risk::try_from(risk("7", "3")).unwrap_err();
        assert_eq!(
            e.0,
            vec![Invalid::new("probability", "error.risk.probability")]
        );
    }

    #[test]
    fn impact_zero_and_missing_owner_are_reported_together() {
        let mut i = risk("3", "0");
        i.owner_id = None;
        let keys: Vec<_> = Risk::try_from(i)
            .unwrap_err()
            .0
            .iter()
            .map(|e| e.key)
            .collect();
        assert_eq!(keys, vec!["error.risk.impact", "error.owner.required"]);
    }

    #[test]
    fn score_is_probability_times_impact_and_level_follows_the_thresholds() {
        let cases = [
            ("1", "4", 4, RiskLevel::Low),
            ("1", "5", 5, RiskLevel::Medium),
            ("3", "3", 9, RiskLevel::Medium),
            ("2", "5", 10, RiskLevel::High),
            ("4", "4", 16, RiskLevel::High),
            ("4", "5", 20, RiskLevel::Critical),
        ];
        for (p, i, score, level) in cases {
            let r = Risk::try_from(risk(p, i)).unwrap();
            assert_eq!((r.score(), r.level()), (score, level), "{p}×{i}");
        }
    }

    #[test]
    fn new_risks_are_open_and_due_for_review_on_their_date() {
        let r = Risk::try_from(risk("2", "2")).unwrap();
        assert_eq!(r.status, RiskStatus::Open);
        assert!(!r.review_due(jiff::civil::date(2026, 3, 31)));
        assert!(r.review_due(jiff::civil::date(2026, 4, 1)));
    }

    #[test]
    fn heat_map_counts_each_risk_in_its_cell() {
        let risks: Vec<Risk> = [("2", "5"), ("2", "5"), ("5", "1")]
            .into_iter()
            .map(|(p, i)| Risk::try_from(risk(p, i)).unwrap())
            .collect();
        let map = HeatMap::from_risks(&risks);
        let r = |v| Rating::new(v).unwrap();
        assert_eq!(map.count(r(2), r(5)), 2);
        assert_eq!(map.count(r(5), r(1)), 1);
        assert_eq!(map.count(r(1), r(1)), 0);
        assert_eq!(map.total(), 3);
    }

    #[test]
    fn stages_need_an_exit_gate_and_open_it_when_all_criteria_are_met() {
        let e = Stage::try_from(StageInput {
            name: "Piloto".into(),
            position: 1,
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(e.0[0].key, "error.stage.exit_required");
        let mut s = Stage::try_from(StageInput {
            name: "Piloto".into(),
            position: 1,
            exit_criteria: vec!["SL ≥ 80 % dos semanas".into(), "QA ≥ 90".into()],
            ..Default::default()
        })
        .unwrap();
        assert!(s.can_enter());
        assert!(!s.can_exit());
        s.exit_criteria.iter_mut().for_each(|c| c.met = true);
        assert!(s.can_exit());
    }

    #[test]
    fn stage_sequence_rejects_gaps_and_overlaps() {
        let stage = |pos, start: &str, end: &str| {
            Stage::try_from(StageInput {
                name: format!("E{pos}"),
                position: pos,
                start_date: Some(start.into()),
                end_date: Some(end.into()),
                exit_criteria: vec!["ok".into()],
                ..Default::default()
            })
            .unwrap()
        };
        let a = stage(1, "2026-03-02", "2026-03-31");
        let b = stage(2, "2026-04-01", "2026-05-31");
        assert_eq!(check_stage_sequence(&[b.clone(), a.clone()]), Ok(()));
        let overlapping = stage(2, "2026-03-31", "2026-05-31");
        assert_eq!(
            check_stage_sequence(&[a.clone(), overlapping])
                .unwrap_err()
                .key,
            "error.stage.overlap"
        );
        let gap = stage(3, "2026-04-01", "2026-05-31");
        assert_eq!(
            check_stage_sequence(&[a, gap]).unwrap_err().key,
            "error.stage.position"
        );
    }
}
