//! Diffusion and best practices: launches, briefings and trainings linked to objectives with the
//! audience they reached, and a library of practices with their adoption per team.
//!
//! A best practice carries its evidence and the programme it came from, so a manager starting a
//! new programme can find practices by tag and see which teams already adopted them.

use jiff::civil::Date;

use super::{optional_text, parse_date, parse_in_range, required_text, Problems};
use crate::programme::ProgrammeCode;
use crate::{Invalid, Invalids};

crate::string_enum! {
    /// What a diffusion activity is.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum DiffusionKind {
        Launch = "launch",
        Briefing = "briefing",
        Training = "training",
        Newsletter = "newsletter",
    }
    invalid("kind", "error.diffusion.kind")
}

/// Raw diffusion activity input.
#[derive(Debug, Clone, Default)]
pub struct DiffusionInput {
    pub kind: String,
    pub title: String,
    pub date: String,
    pub objective_ids: Vec<i64>,
    pub audience: String,
    pub audience_planned: String,
    /// Empty until the activity took place.
    pub audience_reached: Option<String>,
}

/// A diffusion activity and how much of its audience it reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffusionActivity {
    pub kind: DiffusionKind,
    pub title: String,
    pub date: Date,
    pub objective_ids: Vec<i64>,
    pub audience: String,
    pub audience_planned: u32,
    pub audience_reached: Option<u32>,
}

const MAX_AUDIENCE: i64 = 1_000_000;

impl TryFrom<DiffusionInput> for DiffusionActivity {
    type Error = Invalids;

    fn try_from(i: DiffusionInput) -> Result<Self, Invalids> {
        let mut p = Problems::default();
        let kind = p.take(DiffusionKind::parse(&i.kind));
        let title = p.take(required_text(
            "title",
            "error.diffusion.title",
            &i.title,
            200,
        ));
        let date = p.take(parse_date("date", &i.date));
        let audience = p.take(optional_text(
            "audience",
            "error.text.too_long",
            Some(&i.audience),
            200,
        ));
        let planned = p.take(parse_in_range(
            "audience_planned",
            "error.diffusion.audience",
            &i.audience_planned,
            0..=MAX_AUDIENCE,
        ));
        let reached = match i.audience_reached.as_deref().map(str::trim) {
            None | Some("") => Some(None),
            Some(s) => p
                .take(parse_in_range(
                    "audience_reached",
                    "error.diffusion.audience",
                    s,
                    0..=MAX_AUDIENCE,
                ))
                .map(|v| Some(v as u32)),
        };
        let mut objective_ids = i.objective_ids;
        objective_ids.sort_unstable();
        objective_ids.dedup();
        p.check(
            !objective_ids.is_empty(),
            "objective_ids",
            "error.diffusion.objective_required",
        );
        p.finish(|| {
            Some(DiffusionActivity {
                kind: kind?,
                title: title?,
                date: date?,
                objective_ids,
                audience: audience?,
                audience_planned: planned? as u32,
                audience_reached: reached?,
            })
        })
    }
}

impl DiffusionActivity {
    /// Reached over planned audience, as a fraction (may exceed 1); `None` before the activity
    /// took place or when no audience was planned.
    pub fn reach(&self) -> Option<f64> {
        let reached = self.audience_reached?;
        (self.audience_planned > 0).then(|| f64::from(reached) / f64::from(self.audience_planned))
    }
}

/// Audience planned and reached over the activities linked to one objective.
pub fn reach_for_objective(activities: &[DiffusionActivity], objective_id: i64) -> (u32, u32) {
    activities
        .iter()
        .filter(|a| a.objective_ids.contains(&objective_id))
        .fold((0, 0), |(p, r), a| {
            (
                p.saturating_add(a.audience_planned),
                r.saturating_add(a.audience_reached.unwrap_or(0)),
            )
        })
}

/// Raw best practice input.
#[derive(Debug, Clone, Default)]
pub struct PracticeInput {
    pub title: String,
    pub context: String,
    pub practice: String,
    pub evidence: Option<String>,
    pub tags: Vec<String>,
    pub source_programme: Option<String>,
}

/// An entry of the best-practice library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BestPractice {
    pub title: String,
    /// When it applies (channel, product, situation).
    pub context: String,
    /// What to do.
    pub practice: String,
    /// What showed that it works (figures, before/after).
    pub evidence: String,
    /// Lower-case, unique, sorted.
    pub tags: Vec<String>,
    pub source_programme: Option<ProgrammeCode>,
}

impl TryFrom<PracticeInput> for BestPractice {
    type Error = Invalids;

    fn try_from(i: PracticeInput) -> Result<Self, Invalids> {
        let mut p = Problems::default();
        let title = p.take(required_text(
            "title",
            "error.practice.title",
            &i.title,
            200,
        ));
        let context = p.take(required_text(
            "context",
            "error.practice.context",
            &i.context,
            2000,
        ));
        let practice = p.take(required_text(
            "practice",
            "error.practice.practice",
            &i.practice,
            4000,
        ));
        let evidence = p.take(optional_text(
            "evidence",
            "error.text.too_long",
            i.evidence.as_deref(),
            4000,
        ));
        let mut tags: Vec<String> = i
            .tags
            .iter()
            .map(|t| t.trim().to_lowercase())
            .filter(|t| !t.is_empty())
            .collect();
        p.check(
            tags.iter().all(|t| t.chars().count() <= 40),
            "tags",
            "error.practice.tag",
        );
        tags.sort();
        tags.dedup();
        let source = match i.source_programme.as_deref().map(str::trim) {
            None | Some("") => Some(None),
            Some(code) => p.take(
                ProgrammeCode::parse(code)
                    .map(Some)
                    .map_err(|_| Invalid::new("source_programme", "error.programme.code")),
            ),
        };
        p.finish(|| {
            Some(BestPractice {
                title: title?,
                context: context?,
                practice: practice?,
                evidence: evidence?,
                tags,
                source_programme: source?,
            })
        })
    }
}

impl BestPractice {
    /// Whether the practice carries every one of `tags` (case-insensitive).
    pub fn has_tags(&self, tags: &[&str]) -> bool {
        tags.iter()
            .all(|t| self.tags.contains(&t.trim().to_lowercase()))
    }
}

crate::string_enum! {
    /// How far a team has taken up a practice.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum AdoptionStatus {
        Planned = "planned",
        Piloting = "piloting",
        Adopted = "adopted",
        Dropped = "dropped",
    }
    invalid("status", "error.adoption.status")
}

/// A team's adoption of a practice (ids given by the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adoption {
    pub practice_id: i64,
    pub team: String,
    pub status: AdoptionStatus,
    pub since: Date,
}

impl Adoption {
    pub fn parse(
        practice_id: i64,
        team: &str,
        status: &str,
        since: &str,
    ) -> Result<Self, Invalids> {
        let mut p = Problems::default();
        let team = p.take(required_text("team", "error.adoption.team", team, 100));
        let status = p.take(AdoptionStatus::parse(status));
        let since = p.take(parse_date("since", since));
        p.finish(|| {
            Some(Adoption {
                practice_id,
                team: team?,
                status: status?,
                since: since?,
            })
        })
    }
}

/// Share of `teams` that adopted the practice (`None` when there are no teams).
pub fn adoption_rate(adoptions: &[Adoption], practice_id: i64, teams: usize) -> Option<f64> {
    if teams == 0 {
        return None;
    }
    let adopted = adoptions
        .iter()
        .filter(|a| a.practice_id == practice_id && a.status == AdoptionStatus::Adopted)
        .count();
    Some(adopted as f64 / teams as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diffusion(planned: &str, reached: Option<&str>, objectives: Vec<i64>) -> DiffusionInput {
        DiffusionInput {
            kind: "training".into(),
            title: "Capacitación producto Vida Protegida".into(),
            date: "2026-03-16".into(),
            objective_ids: objectives,
            audience: "Ejecutivos".into(),
            audience_planned: planned.into(),
            audience_reached: reached.map(String::from),
        }
    }

    #[test]
    fn reach_is_reached_over_planned_once_the_activity_happened() {
        let a = DiffusionActivity::try_from(diffusion("40", None, vec![1])).unwrap();
        assert_eq!(a.reach(), None);
        let b = DiffusionActivity::try_from(diffusion("40", Some("30"), vec![1, 2])).unwrap();
        assert_eq!(b.reach(), Some(0.75));
        let c = DiffusionActivity::try_from(diffusion("0", Some("5"), vec![2])).unwrap();
        assert_eq!(c.reach(), None);
        assert_eq!(reach_for_objective(&[a, b, c], 2), (40, 35));
    }

    #[test]
    fn diffusion_needs_an_objective_and_a_sane_audience() {
        let e = DiffusionActivity::try_from(diffusion("-3", None, vec![])).unwrap_err();
        let keys: Vec<_> = e.0.iter().map(|i| i.key).collect();
        assert_eq!(
            keys,
            vec![
                "error.diffusion.audience",
                "error.diffusion.objective_required"
            ]
        );
    }

    #[test]
    fn practices_normalise_tags_and_check_the_source_programme() {
        let input = PracticeInput {
            title: "Guion de cierre en dos pasos".into(),
            context: "Venta outbound de seguros".into(),
            practice: "Confirmar necesidad antes de ofrecer la prima".into(),
            evidence: Some("Conversión +1,8 pp en 6 semanas".into()),
            tags: vec!["Ventas".into(), "outbound".into(), "ventas ".into()],
            source_programme: Some("seg-vida-25".into()),
        };
        let p = BestPractice::try_from(input.clone()).unwrap();
        assert_eq!(p.tags, vec!["outbound", "ventas"]);
        assert!(p.has_tags(&["VENTAS"]));
        assert!(!p.has_tags(&["cobranza"]));
        assert_eq!(p.source_programme.unwrap().as_str(), "SEG-VIDA-25");
        let bad = PracticeInput {
            source_programme: Some("1".into()),
            ..input
        };
        assert_eq!(
            BestPractice::try_from(bad).unwrap_err().0[0].key,
            "error.programme.code"
        );
    }

    #[test]
    fn adoption_rate_counts_only_adopted_teams() {
        let a = |team: &str, status: &str| Adoption::parse(1, team, status, "2026-04-01").unwrap();
        let list = vec![
            a("Equipo 1", "adopted"),
            a("Equipo 2", "piloting"),
            a("Equipo 3", "adopted"),
        ];
        assert_eq!(adoption_rate(&list, 1, 4), Some(0.5));
        assert_eq!(adoption_rate(&list, 2, 4), Some(0.0));
        assert_eq!(adoption_rate(&list, 1, 0), None);
        assert_eq!(Adoption::parse(1, "", "loved", "x").unwrap_err().0.len(), 3);
    }
}
