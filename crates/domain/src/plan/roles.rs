//! Roles by competencies: people's profiles, role requirements, RACI and assignment warnings.
//!
//! A person has technical and behavioural competencies rated 1–5, languages rated on the CEFR
//! scale (A1 < A2 < B1 < B2 < C1 < C2) and months of experience. A programme role requires some
//! of these at minimum levels. Assigning a person to a role is never refused here: the planner
//! gets warnings (missing competency, level too low, over-allocation) and decides.

use jiff::civil::Date;

use super::workplan::ActivityId;
use super::{parse_date, parse_in_range, required_text, Problems};
use crate::{Invalid, Invalids};

crate::string_enum! {
    /// Technical (product, systems) or behavioural (empathy, negotiation) competency.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum CompetencyKind {
        Technical = "technical",
        Behavioural = "behavioural",
    }
    invalid("kind", "error.competency.kind")
}

/// A competency level, 1 (basic) to 5 (expert).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Level(u8);

impl Level {
    pub fn new(v: u8) -> Option<Level> {
        (1..=5).contains(&v).then_some(Level(v))
    }

    pub fn parse(s: &str) -> Result<Level, Invalid> {
        parse_in_range("level", "error.competency.level", s, 1..=5).map(|v| Level(v as u8))
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

crate::string_enum! {
    /// Common European Framework of Reference level; the order is the scale's.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum Cefr {
        A1 = "A1",
        A2 = "A2",
        B1 = "B1",
        B2 = "B2",
        C1 = "C1",
        C2 = "C2",
    }
}

impl Cefr {
    /// Parses a level in either case (`b2` is `B2`).
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        s.trim()
            .to_ascii_uppercase()
            .parse()
            .map_err(|_| Invalid::new("languages", "error.language.cefr"))
    }
}

/// A named competency at a level (held by a person, or required by a role as a minimum).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Competency {
    pub name: String,
    pub kind: CompetencyKind,
    pub level: Level,
}

impl Competency {
    fn same_name(&self, other: &str) -> bool {
        self.name.to_lowercase() == other.to_lowercase()
    }
}

/// A language at a CEFR level; the language is an ISO 639-1 code (`es`, `en`, `pt`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LanguageSkill {
    pub language: String,
    pub level: Cefr,
}

/// Raw competency input.
#[derive(Debug, Clone, Default)]
pub struct CompetencyInput {
    pub name: String,
    pub kind: String,
    pub level: String,
}

/// Raw language input.
#[derive(Debug, Clone, Default)]
pub struct LanguageInput {
    pub language: String,
    pub level: String,
}

fn parse_competencies(items: &[CompetencyInput], p: &mut Problems) -> Option<Vec<Competency>> {
    let mut out: Vec<Competency> = Vec::new();
    let mut ok = true;
    for c in items {
        let name = p.take(required_text(
            "competencies",
            "error.competency.name",
            &c.name,
            100,
        ));
        let kind = p.take(CompetencyKind::parse(&c.kind));
        let level = p.take(Level::parse(&c.level));
        match (name, kind, level) {
            (Some(name), Some(kind), Some(level)) => {
                if out.iter().any(|o| o.same_name(&name)) {
                    p.push("competencies", "error.competency.duplicate");
                    ok = false;
                } else {
                    out.push(Competency { name, kind, level });
                }
            }
            _ => ok = false,
        }
    }
    ok.then_some(out)
}

fn parse_languages(items: &[LanguageInput], p: &mut Problems) -> Option<Vec<LanguageSkill>> {
    let mut out: Vec<LanguageSkill> = Vec::new();
    let mut ok = true;
    for l in items {
        let code = l.language.trim().to_ascii_lowercase();
        let code_ok = code.len() == 2 && code.bytes().all(|b| b.is_ascii_lowercase());
        p.check(code_ok, "languages", "error.language.code");
        let level = p.take(Cefr::parse(&l.level));
        match level {
            Some(level) if code_ok && !out.iter().any(|o| o.language == code) => {
                out.push(LanguageSkill {
                    language: code,
                    level,
                })
            }
            Some(_) if code_ok => {
                p.push("languages", "error.language.duplicate");
                ok = false;
            }
            _ => ok = false,
        }
    }
    ok.then_some(out)
}

fn parse_months(s: &str, key: &'static str) -> Result<u32, Invalid> {
    if s.trim().is_empty() {
        return Ok(0);
    }
    parse_in_range("experience_months", key, s, 0..=1200).map(|v| v as u32)
}

/// Raw person profile input.
#[derive(Debug, Clone, Default)]
pub struct PersonInput {
    pub name: String,
    pub competencies: Vec<CompetencyInput>,
    pub languages: Vec<LanguageInput>,
    pub experience_months: String,
}

/// A person's profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub competencies: Vec<Competency>,
    pub languages: Vec<LanguageSkill>,
    pub experience_months: u32,
}

impl TryFrom<PersonInput> for Person {
    type Error = Invalids;

    fn try_from(i: PersonInput) -> Result<Self, Invalids> {
        let mut p = Problems::default();
        let name = p.take(required_text("name", "error.person.name", &i.name, 200));
        let competencies = parse_competencies(&i.competencies, &mut p);
        let languages = parse_languages(&i.languages, &mut p);
        let months = p.take(parse_months(
            &i.experience_months,
            "error.person.experience",
        ));
        p.finish(|| {
            Some(Person {
                name: name?,
                competencies: competencies?,
                languages: languages?,
                experience_months: months?,
            })
        })
    }
}

impl Person {
    pub fn competency(&self, name: &str) -> Option<&Competency> {
        self.competencies.iter().find(|c| c.same_name(name))
    }

    pub fn language(&self, code: &str) -> Option<Cefr> {
        self.languages
            .iter()
            .find(|l| l.language == code)
            .map(|l| l.level)
    }
}

/// Raw role input: competencies and languages are minimums.
#[derive(Debug, Clone, Default)]
pub struct RoleInput {
    pub name: String,
    pub competencies: Vec<CompetencyInput>,
    pub languages: Vec<LanguageInput>,
    pub min_experience_months: String,
}

/// A programme role and what it requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleDef {
    pub name: String,
    pub competencies: Vec<Competency>,
    pub languages: Vec<LanguageSkill>,
    pub min_experience_months: u32,
}

impl TryFrom<RoleInput> for RoleDef {
    type Error = Invalids;

    fn try_from(i: RoleInput) -> Result<Self, Invalids> {
        let mut p = Problems::default();
        let name = p.take(required_text("name", "error.role.name", &i.name, 100));
        let competencies = parse_competencies(&i.competencies, &mut p);
        let languages = parse_languages(&i.languages, &mut p);
        let months = p.take(parse_months(
            &i.min_experience_months,
            "error.role.experience",
        ));
        p.finish(|| {
            Some(RoleDef {
                name: name?,
                competencies: competencies?,
                languages: languages?,
                min_experience_months: months?,
            })
        })
    }
}

/// Raw assignment of a person to a role for a period.
#[derive(Debug, Clone, Default)]
pub struct AssignmentInput {
    pub person_id: i64,
    pub role: String,
    pub from: String,
    pub to: String,
    /// Share of the person's time, 1–100 %.
    pub allocation: String,
}

/// A person working in a role between two dates (inclusive) for a share of their time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub person_id: i64,
    pub role: String,
    pub from: Date,
    pub to: Date,
    pub allocation: u8,
}

impl TryFrom<AssignmentInput> for Assignment {
    type Error = Invalids;

    fn try_from(i: AssignmentInput) -> Result<Self, Invalids> {
        let mut p = Problems::default();
        let role = p.take(required_text("role", "error.role.name", &i.role, 100));
        let from = p.take(parse_date("from", &i.from));
        let to = p.take(parse_date("to", &i.to));
        if let (Some(f), Some(t)) = (from, to) {
            p.check(t >= f, "to", "error.period.end_before_start");
        }
        let allocation = p.take(parse_in_range(
            "allocation",
            "error.assignment.allocation",
            &i.allocation,
            1..=100,
        ));
        p.finish(|| {
            Some(Assignment {
                person_id: i.person_id,
                role: role?,
                from: from?,
                to: to?,
                allocation: allocation? as u8,
            })
        })
    }
}

/// Something the planner should know before confirming an assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssignmentWarning {
    MissingCompetency {
        competency: String,
    },
    LevelTooLow {
        competency: String,
        required: Level,
        actual: Level,
    },
    MissingLanguage {
        language: String,
    },
    LanguageTooLow {
        language: String,
        required: Cefr,
        actual: Cefr,
    },
    NotEnoughExperience {
        required: u32,
        actual: u32,
    },
    /// The person's allocations add up to `percent` (> 100) from `from` to `to`.
    OverAllocated {
        percent: u32,
        from: Date,
        to: Date,
    },
}

impl AssignmentWarning {
    /// Catalogue key of the warning message.
    pub fn key(&self) -> &'static str {
        match self {
            AssignmentWarning::MissingCompetency { .. } => "warning.assignment.missing_competency",
            AssignmentWarning::LevelTooLow { .. } => "warning.assignment.level_too_low",
            AssignmentWarning::MissingLanguage { .. } => "warning.assignment.missing_language",
            AssignmentWarning::LanguageTooLow { .. } => "warning.assignment.language_too_low",
            AssignmentWarning::NotEnoughExperience { .. } => "warning.assignment.experience",
            AssignmentWarning::OverAllocated { .. } => "warning.assignment.over_allocated",
        }
    }
}

/// How well a person fits a role: one warning per unmet requirement.
pub fn check_fit(person: &Person, role: &RoleDef) -> Vec<AssignmentWarning> {
    let mut out = Vec::new();
    for req in &role.competencies {
        match person.competency(&req.name) {
            None => out.push(AssignmentWarning::MissingCompetency {
                competency: req.name.clone(),
            }),
            Some(c) if c.level < req.level => out.push(AssignmentWarning::LevelTooLow {
                competency: req.name.clone(),
                required: req.level,
                actual: c.level,
            }),
            Some(_) => {}
        }
    }
    for req in &role.languages {
        match person.language(&req.language) {
            None => out.push(AssignmentWarning::MissingLanguage {
                language: req.language.clone(),
            }),
            Some(l) if l < req.level => out.push(AssignmentWarning::LanguageTooLow {
                language: req.language.clone(),
                required: req.level,
                actual: l,
            }),
            Some(_) => {}
        }
    }
    if person.experience_months < role.min_experience_months {
        out.push(AssignmentWarning::NotEnoughExperience {
            required: role.min_experience_months,
            actual: person.experience_months,
        });
    }
    out
}

/// The first period during `new` where the person's allocations (their `existing` ones plus
/// `new`) exceed 100 %, at its peak.
pub fn over_allocation(new: &Assignment, existing: &[Assignment]) -> Option<AssignmentWarning> {
    let overlapping: Vec<&Assignment> = existing
        .iter()
        .filter(|a| a.person_id == new.person_id && a.from <= new.to && a.to >= new.from)
        .chain(std::iter::once(new))
        .collect();
    // Each day's load only changes where some assignment starts or the day after one ends.
    let mut bounds: Vec<Date> = overlapping
        .iter()
        .flat_map(|a| {
            [
                a.from.max(new.from),
                a.to.min(new.to).tomorrow().unwrap_or(a.to),
            ]
        })
        .collect();
    bounds.sort();
    bounds.dedup();
    let mut worst: Option<(u32, Date, Date)> = None;
    for pair in bounds.windows(2) {
        let day = pair[0];
        let load: u32 = overlapping
            .iter()
            .filter(|a| a.from <= day && a.to >= day)
            .map(|a| u32::from(a.allocation))
            .sum();
        if load > 100 && worst.is_none_or(|(w, _, _)| load > w) {
            let last = pair[1].yesterday().unwrap_or(pair[1]);
            worst = Some((load, day, last));
        }
    }
    worst.map(|(percent, from, to)| AssignmentWarning::OverAllocated { percent, from, to })
}

/// All warnings for assigning `person` to `role` as described by `new`.
pub fn assignment_warnings(
    person: &Person,
    role: &RoleDef,
    new: &Assignment,
    existing: &[Assignment],
) -> Vec<AssignmentWarning> {
    let mut out = check_fit(person, role);
    out.extend(over_allocation(new, existing));
    out
}

/// A RACI letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Raci {
    Responsible,
    Accountable,
    Consulted,
    Informed,
}

impl Raci {
    pub fn letter(self) -> char {
        match self {
            Raci::Responsible => 'R',
            Raci::Accountable => 'A',
            Raci::Consulted => 'C',
            Raci::Informed => 'I',
        }
    }

    pub fn parse(s: &str) -> Result<Self, Invalid> {
        match s.trim() {
            "R" | "r" => Ok(Raci::Responsible),
            "A" | "a" => Ok(Raci::Accountable),
            "C" | "c" => Ok(Raci::Consulted),
            "I" | "i" => Ok(Raci::Informed),
            _ => Err(Invalid::new("raci", "error.raci.letter")),
        }
    }
}

/// One cell of the matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RaciEntry {
    pub activity: ActivityId,
    pub person_id: i64,
    pub role: Raci,
}

/// A RACI matrix (activity × person) where every activity has exactly one Accountable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RaciMatrix {
    activities: Vec<ActivityId>,
    entries: Vec<RaciEntry>,
}

impl RaciMatrix {
    /// Checks the entries against the plan's `activities`: one cell per (activity, person), no
    /// unknown activity, and exactly one Accountable for every activity.
    pub fn new(activities: Vec<ActivityId>, entries: Vec<RaciEntry>) -> Result<Self, Invalids> {
        let mut p = Problems::default();
        for (n, e) in entries.iter().enumerate() {
            p.check(
                activities.contains(&e.activity),
                "activity",
                "error.raci.activity",
            );
            let dup = entries[..n]
                .iter()
                .any(|o| o.activity == e.activity && o.person_id == e.person_id);
            p.check(!dup, "raci", "error.raci.duplicate");
        }
        for a in &activities {
            let accountable = entries
                .iter()
                .filter(|e| &e.activity == a && e.role == Raci::Accountable)
                .count();
            p.check(accountable > 0, "raci", "error.raci.no_accountable");
            p.check(accountable < 2, "raci", "error.raci.many_accountable");
        }
        p.finish(|| {
            Some(RaciMatrix {
                activities,
                entries,
            })
        })
    }

    pub fn activities(&self) -> &[ActivityId] {
        &self.activities
    }

    /// People appearing in the matrix, in order of first appearance.
    pub fn people(&self) -> Vec<i64> {
        let mut out: Vec<i64> = Vec::new();
        for e in &self.entries {
            if !out.contains(&e.person_id) {
                out.push(e.person_id);
            }
        }
        out
    }

    pub fn cell(&self, activity: &ActivityId, person_id: i64) -> Option<Raci> {
        self.entries
            .iter()
            .find(|e| &e.activity == activity && e.person_id == person_id)
            .map(|e| e.role)
    }

    pub fn accountable(&self, activity: &ActivityId) -> Option<i64> {
        self.entries
            .iter()
            .find(|e| &e.activity == activity && e.role == Raci::Accountable)
            .map(|e| e.person_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn comp(name: &str, kind: &str, level: &str) -> CompetencyInput {
        CompetencyInput {
            name: name.into(),
            kind: kind.into(),
            level: level.into(),
        }
    }

    fn lang(code: &str, level: &str) -> LanguageInput {
        LanguageInput {
            language: code.into(),
            level: level.into(),
        }
    }

    fn person() -> Person {
        Person::try_from(PersonInput {
            name: "Camila Rojas".into(),
            competencies: vec![
                comp("Venta de seguros", "technical", "4"),
                comp("Empatía", "behavioural", "3"),
            ],
            languages: vec![lang("es", "C2"), lang("en", "B1")],
            experience_months: "18".into(),
        })
        .unwrap()
    }

    fn role() -> RoleDef {
        RoleDef::try_from(RoleInput {
            name: "Ejecutivo bilingüe".into(),
            competencies: vec![
                comp("venta de seguros", "technical", "3"),
                comp("Empatía", "behavioural", "4"),
                comp("Manejo de objeciones", "behavioural", "2"),
            ],
            languages: vec![lang("en", "b2"), lang("pt", "A2")],
            min_experience_months: "24".into(),
        })
        .unwrap()
    }

    #[test]
    fn cefr_levels_are_ordered_along_the_scale() {
        assert!(Cefr::A1 < Cefr::A2 && Cefr::A2 < Cefr::B1 && Cefr::B2 < Cefr::C1);
        assert!(Cefr::C1 < Cefr::C2);
        assert_eq!(Cefr::parse("b2"), Ok(Cefr::B2));
        assert_eq!(Cefr::parse("D1").unwrap_err().key, "error.language.cefr");
    }

    #[test]
    fn fit_warns_for_each_missing_or_insufficient_requirement() {
        let w = check_fit(&person(), &role());
        let keys: Vec<_> = w.iter().map(|w| w.key()).collect();
        assert_eq!(
            keys,
            vec![
                "warning.assignment.level_too_low",
                "warning.assignment.missing_competency",
                "warning.assignment.language_too_low",
                "warning.assignment.missing_language",
                "warning.assignment.experience",
            ]
        );
        assert_eq!(
            w[0],
            AssignmentWarning::LevelTooLow {
                competency: "Empatía".into(),
                required: Level(4),
                actual: Level(3)
            }
        );
    }

    #[test]
    fn a_person_meeting_every_requirement_gets_no_warning() {
        let mut role = role();
        role.competencies.truncate(1);
        role.languages = vec![LanguageSkill {
            language: "es".into(),
            level: Cefr::B2,
        }];
        role.min_experience_months = 12;
        assert!(check_fit(&person(), &role).is_empty());
    }

    #[test]
    fn bad_levels_and_duplicate_competencies_are_rejected() {
        let e = Person::try_from(PersonInput {
            name: "X".into(),
            competencies: vec![comp("A", "technical", "6"), comp("B", "social", "2")],
            languages: vec![lang("spanish", "B1")],
            experience_months: "-1".into(),
        })
        .unwrap_err();
        let keys: Vec<_> = e.0.iter().map(|i| i.key).collect();
        assert_eq!(
            keys,
            vec![
                "error.competency.level",
                "error.competency.kind",
                "error.language.code",
                "error.person.experience"
            ]
        );
        let e = Person::try_from(PersonInput {
            name: "X".into(),
            competencies: vec![
                comp("Ventas", "technical", "2"),
                comp("ventas", "technical", "3"),
            ],
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(e.0[0].key, "error.competency.duplicate");
    }

    fn assignment(role: &str, from: &str, to: &str, pct: &str) -> Assignment {
        Assignment::try_from(AssignmentInput {
            person_id: 7,
            role: role.into(),
            from: from.into(),
            to: to.into(),
            allocation: pct.into(),
        })
        .unwrap()
    }

    #[test]
    fn over_allocation_reports_the_peak_period_above_one_hundred_percent() {
        let existing = vec![
            assignment("Supervisor", "2026-03-01", "2026-03-31", "60"),
            assignment("Formador", "2026-03-10", "2026-03-15", "30"),
            assignment("Otro programa", "2026-05-01", "2026-05-31", "100"),
        ];
        let new = assignment("Analista", "2026-03-05", "2026-04-10", "20");
        assert_eq!(
            over_allocation(&new, &existing),
            Some(AssignmentWarning::OverAllocated {
                percent: 110,
                from: date(2026, 3, 10),
                to: date(2026, 3, 15)
            })
        );
        let light = assignment("Analista", "2026-03-16", "2026-04-10", "40");
        assert_eq!(over_allocation(&light, &existing), None);
        let mut other_person = existing.clone();
        other_person.iter_mut().for_each(|a| a.person_id = 8);
        assert_eq!(over_allocation(&new, &other_person), None);
    }

    #[test]
    fn exactly_one_hundred_percent_is_not_over_allocated() {
        let existing = vec![assignment("A", "2026-03-01", "2026-03-31", "50")];
        let new = assignment("B", "2026-03-31", "2026-04-30", "50");
        assert_eq!(over_allocation(&new, &existing), None);
        let more = assignment("B", "2026-03-31", "2026-04-30", "51");
        assert_eq!(
            over_allocation(&more, &existing),
            Some(AssignmentWarning::OverAllocated {
                percent: 101,
                from: date(2026, 3, 31),
                to: date(2026, 3, 31)
            })
        );
    }

    #[test]
    fn allocation_must_be_between_one_and_one_hundred() {
        let e = Assignment::try_from(AssignmentInput {
            person_id: 1,
            role: "A".into(),
            from: "2026-03-01".into(),
            to: "2026-03-31".into(),
            allocation: "0".into(),
        })
        .unwrap_err();
        assert_eq!(e.0[0].key, "error.assignment.allocation");
    }

    fn id(s: &str) -> ActivityId {
        ActivityId::parse("id", s).unwrap()
    }

    fn entry(a: &str, person_id: i64, letter: &str) -> RaciEntry {
        RaciEntry {
            activity: id(a),
            person_id,
            role: Raci::parse(letter).unwrap(),
        }
    }

    #[test]
    fn raci_needs_exactly_one_accountable_per_activity() {
        let acts = vec![id("A1"), id("A2")];
        let ok = RaciMatrix::new(
            acts.clone(),
            vec![
                entry("A1", 1, "A"),
                entry("A1", 2, "R"),
                entry("A2", 2, "a"),
                entry("A2", 3, "I"),
            ],
        )
        .unwrap();
        assert_eq!(ok.accountable(&id("A2")), Some(2));
        assert_eq!(ok.cell(&id("A1"), 2), Some(Raci::Responsible));
        assert_eq!(ok.people(), vec![1, 2, 3]);
        let none = RaciMatrix::new(acts.clone(), vec![entry("A1", 1, "A"), entry("A2", 1, "R")]);
        assert_eq!(none.unwrap_err().0[0].key, "error.raci.no_accountable");
        let two = RaciMatrix::new(
            acts,
            vec![
                entry("A1", 1, "A"),
                entry("A1", 2, "A"),
                entry("A2", 1, "A"),
            ],
        );
        assert_eq!(two.unwrap_err().0[0].key, "error.raci.many_accountable");
    }

    #[test]
    fn raci_rejects_unknown_activities_duplicate_cells_and_bad_letters() {
        let e = RaciMatrix::new(
            vec![id("A1")],
            vec![
                entry("A1", 1, "A"),
                entry("A1", 1, "C"),
                entry("Z9", 1, "A"),
            ],
        )
        .unwrap_err();
        let keys: Vec<_> = e.0.iter().map(|i| i.key).collect();
        assert_eq!(keys, vec!["error.raci.duplicate", "error.raci.activity"]);
        assert_eq!(Raci::parse("X").unwrap_err().key, "error.raci.letter");
    }
}
