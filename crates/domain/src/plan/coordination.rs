//! Coordination: communication plan, meetings with decisions and follow-ups, decision log, and
//! change requests that produce numbered plan versions.
//!
//! A plan version is a snapshot of the plan values a change request may touch (activity dates
//! and durations, milestone dates, KPI target values, budget amounts, headcount, allocations,
//! scope items), keyed by a stable [`PlanKey`]. Approving a change request (only a manager of the
//! programme, or an admin, may) and applying it yields the next version; earlier versions are
//! kept unchanged, so the history shows what changed, when and why.

use std::collections::BTreeMap;
use std::fmt;

use jiff::civil::Date;

use super::budget::{Currency, Money, YearMonth};
use super::strategy::ScopeSide;
use super::workplan::{ActivityId, ActivityInput};
use super::{
    optional_text, parse_date, parse_in_range, parse_number, required_text, text_list, Problems,
};
use crate::access::Role;
use crate::{Invalid, Invalids};

crate::string_enum! {
    /// How often a communication goes out.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum Frequency {
        Once = "once",
        Daily = "daily",
        Weekly = "weekly",
        Fortnightly = "fortnightly",
        Monthly = "monthly",
        PerStage = "per_stage",
    }
    invalid("frequency", "error.communication.frequency")
}

crate::string_enum! {
    /// The medium of a communication.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum CommChannel {
        Email = "email",
        Meeting = "meeting",
        Report = "report",
        Chat = "chat",
        Intranet = "intranet",
        Phone = "phone",
    }
    invalid("channel", "error.communication.channel")
}

/// Raw communication plan item.
#[derive(Debug, Clone, Default)]
pub struct CommunicationInput {
    pub audience: String,
    pub content: String,
    pub frequency: String,
    pub channel: String,
    pub owner_id: Option<i64>,
}

/// Who is told what, how often, by which channel, by whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommunicationItem {
    pub audience: String,
    pub content: String,
    pub frequency: Frequency,
    pub channel: CommChannel,
    pub owner_id: i64,
}

impl TryFrom<CommunicationInput> for CommunicationItem {
    type Error = Invalids;

    fn try_from(i: CommunicationInput) -> Result<Self, Invalids> {
        let mut p = Problems::default();
        let audience = p.take(required_text(
            "audience",
            "error.communication.audience",
            &i.audience,
            200,
        ));
        let content = p.take(required_text(
            "content",
            "error.communication.content",
            &i.content,
            2000,
        ));
        let frequency = p.take(Frequency::parse(&i.frequency));
        let channel = p.take(CommChannel::parse(&i.channel));
        p.check(i.owner_id.is_some(), "owner_id", "error.owner.required");
        p.finish(|| {
            Some(CommunicationItem {
                audience: audience?,
                content: content?,
                frequency: frequency?,
                channel: channel?,
                owner_id: i.owner_id?,
            })
        })
    }
}

/// Raw follow-up task agreed in a meeting.
#[derive(Debug, Clone, Default)]
pub struct FollowUpInput {
    pub task: String,
    pub owner_id: Option<i64>,
    pub due_date: String,
}

/// A follow-up task: who does what by when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUp {
    pub task: String,
    pub owner_id: i64,
    pub due_date: Date,
}

impl FollowUp {
    /// The task as a work-plan activity from the meeting day to its due date, with the given
    /// activity code; it still goes through [`Activity`](super::workplan::Activity) parsing.
    pub fn to_activity(&self, id: &str, meeting_date: Date) -> ActivityInput {
        ActivityInput {
            id: id.to_string(),
            name: self.task.chars().take(200).collect(),
            start_date: Some(meeting_date.to_string()),
            end_date: Some(self.due_date.to_string()),
            owner_id: Some(self.owner_id),
            ..Default::default()
        }
    }
}

/// Raw meeting input.
#[derive(Debug, Clone, Default)]
pub struct MeetingInput {
    pub title: String,
    pub date: String,
    pub agenda: Vec<String>,
    pub attendees: Vec<i64>,
    pub minutes: Option<String>,
    pub decisions: Vec<String>,
    pub follow_ups: Vec<FollowUpInput>,
}

/// A meeting with agenda, attendees, minutes, decisions and follow-up tasks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meeting {
    pub title: String,
    pub date: Date,
    pub agenda: Vec<String>,
    pub attendees: Vec<i64>,
    pub minutes: String,
    pub decisions: Vec<String>,
    pub follow_ups: Vec<FollowUp>,
}

impl TryFrom<MeetingInput> for Meeting {
    type Error = Invalids;

    fn try_from(i: MeetingInput) -> Result<Self, Invalids> {
        let mut p = Problems::default();
        let title = p.take(required_text("title", "error.meeting.title", &i.title, 200));
        let date = p.take(parse_date("date", &i.date));
        let agenda = p.take(text_list("agenda", "error.text.too_long", &i.agenda, 500));
        let mut attendees = i.attendees;
        attendees.sort_unstable();
        attendees.dedup();
        let minutes = p.take(optional_text(
            "minutes",
            "error.text.too_long",
            i.minutes.as_deref(),
            20_000,
        ));
        let decisions = p.take(text_list(
            "decisions",
            "error.text.too_long",
            &i.decisions,
            1000,
        ));
        let mut follow_ups = Some(Vec::new());
        for f in &i.follow_ups {
            let task = p.take(required_text(
                "follow_ups",
                "error.follow_up.task",
                &f.task,
                500,
            ));
            p.check(f.owner_id.is_some(), "follow_ups", "error.owner.required");
            let due = p.take(parse_date("follow_ups", &f.due_date));
            if let (Some(d), Some(m)) = (due, date) {
                p.check(d >= m, "follow_ups", "error.follow_up.due_before_meeting");
            }
            match (task, f.owner_id, due, follow_ups.as_mut()) {
                (Some(task), Some(owner_id), Some(due_date), Some(v)) => v.push(FollowUp {
                    task,
                    owner_id,
                    due_date,
                }),
                _ => follow_ups = None,
            }
        }
        p.finish(|| {
            Some(Meeting {
                title: title?,
                date: date?,
                agenda: agenda?,
                attendees,
                minutes: minutes?,
                decisions: decisions?,
                follow_ups: follow_ups?,
            })
        })
    }
}

/// Raw decision log entry.
#[derive(Debug, Clone, Default)]
pub struct DecisionInput {
    pub date: String,
    pub summary: String,
    pub rationale: Option<String>,
    pub decided_by: Option<i64>,
    pub meeting_id: Option<i64>,
}

/// A decision of the log: what was decided, why, by whom, and in which meeting if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub date: Date,
    pub summary: String,
    pub rationale: String,
    pub decided_by: i64,
    pub meeting_id: Option<i64>,
}

impl TryFrom<DecisionInput> for Decision {
    type Error = Invalids;

    fn try_from(i: DecisionInput) -> Result<Self, Invalids> {
        let mut p = Problems::default();
        let date = p.take(parse_date("date", &i.date));
        let summary = p.take(required_text(
            "summary",
            "error.decision.summary",
            &i.summary,
            1000,
        ));
        let rationale = p.take(optional_text(
            "rationale",
            "error.text.too_long",
            i.rationale.as_deref(),
            4000,
        ));
        p.check(i.decided_by.is_some(), "decided_by", "error.owner.required");
        p.finish(|| {
            Some(Decision {
                date: date?,
                summary: summary?,
                rationale: rationale?,
                decided_by: i.decided_by?,
                meeting_id: i.meeting_id,
            })
        })
    }
}

crate::string_enum! {
    /// What a change request changes.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum ChangeKind {
        Dates = "dates",
        Resources = "resources",
        Targets = "targets",
        Scope = "scope",
    }
    invalid("kind", "error.change.kind")
}

/// A plan value a change request can touch. Text form: `activity.A3.start`,
/// `activity.A3.duration`, `milestone.5.date`, `programme.end`, `target.7.value`,
/// `target.7.tolerance`, `budget.12.2026-03`, `headcount.<role>`, `allocation.4`,
/// `scope.in.<n>`, `scope.out.<n>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PlanKey {
    ActivityStart(ActivityId),
    ActivityDuration(ActivityId),
    MilestoneDate(i64),
    ProgrammeEnd,
    TargetValue(i64),
    TargetTolerance(i64),
    BudgetPlanned { line_id: i64, month: YearMonth },
    Headcount(String),
    Allocation(i64),
    Scope(ScopeSideKey, u32),
}

/// [`ScopeSide`] with an order, so scope keys can be sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ScopeSideKey {
    In,
    Out,
}

impl From<ScopeSide> for ScopeSideKey {
    fn from(s: ScopeSide) -> Self {
        match s {
            ScopeSide::In => ScopeSideKey::In,
            ScopeSide::Out => ScopeSideKey::Out,
        }
    }
}

impl PlanKey {
    pub fn parse(s: &str) -> Result<PlanKey, Invalid> {
        let err = || Invalid::new("changes", "error.change.key");
        let id = |s: &str| s.parse::<i64>().map_err(|_| err());
        let s = s.trim();
        // Activity codes and role names may contain dots, so those keys are split by prefix and
        // last dot rather than by every dot.
        if let Some(rest) = s.strip_prefix("activity.") {
            let (a, field) = rest.rsplit_once('.').ok_or_else(err)?;
            let a = ActivityId::parse("changes", a)?;
            return match field {
                "start" => Ok(PlanKey::ActivityStart(a)),
                "duration" => Ok(PlanKey::ActivityDuration(a)),
                _ => Err(err()),
            };
        }
        if let Some(role) = s.strip_prefix("headcount.") {
            return match role.trim() {
                "" => Err(err()),
                r => Ok(PlanKey::Headcount(r.to_string())),
            };
        }
        let parts: Vec<&str> = s.split('.').collect();
        let key = match parts.as_slice() {
            ["milestone", m, "date"] => PlanKey::MilestoneDate(id(m)?),
            ["programme", "end"] => PlanKey::ProgrammeEnd,
            ["target", t, "value"] => PlanKey::TargetValue(id(t)?),
            ["target", t, "tolerance"] => PlanKey::TargetTolerance(id(t)?),
            ["budget", l, m] => PlanKey::BudgetPlanned {
                line_id: id(l)?,
                month: YearMonth::parse("changes", m).map_err(|_| err())?,
            },
            ["allocation", a] => PlanKey::Allocation(id(a)?),
            ["scope", side, n] => PlanKey::Scope(
                ScopeSide::parse(side).map_err(|_| err())?.into(),
                n.parse().map_err(|_| err())?,
            ),
            _ => return Err(err()),
        };
        Ok(key)
    }

    /// Which kind of change request may touch this key.
    pub fn kind(&self) -> ChangeKind {
        match self {
            PlanKey::ActivityStart(_)
            | PlanKey::ActivityDuration(_)
            | PlanKey::MilestoneDate(_)
            | PlanKey::ProgrammeEnd => ChangeKind::Dates,
            PlanKey::TargetValue(_) | PlanKey::TargetTolerance(_) => ChangeKind::Targets,
            PlanKey::BudgetPlanned { .. } | PlanKey::Headcount(_) | PlanKey::Allocation(_) => {
                ChangeKind::Resources
            }
            PlanKey::Scope(..) => ChangeKind::Scope,
        }
    }

    /// Parses a new value for this key.
    pub fn parse_value(&self, s: &str) -> Result<PlanValue, Invalid> {
        let f = "changes";
        Ok(match self {
            PlanKey::ActivityStart(_) | PlanKey::MilestoneDate(_) | PlanKey::ProgrammeEnd => {
                PlanValue::Date(parse_date(f, s)?)
            }
            PlanKey::ActivityDuration(_) => {
                PlanValue::Count(parse_in_range(f, "error.activity.duration", s, 0..=3650)? as u32)
            }
            PlanKey::TargetValue(_) => {
                PlanValue::Number(parse_number(f, "error.kpi_target.value", s)?)
            }
            PlanKey::TargetTolerance(_) => {
                let v = parse_number(f, "error.kpi_target.tolerance", s)?;
                if v < 0.0 {
                    return Err(Invalid::new(f, "error.kpi_target.tolerance"));
                }
                PlanValue::Number(v)
            }
            PlanKey::BudgetPlanned { .. } => {
                PlanValue::Money(Money::parse_cost(f, s, Currency::Clp)?)
            }
            PlanKey::Headcount(_) => {
                PlanValue::Count(parse_in_range(f, "error.change.headcount", s, 0..=100_000)? as u32)
            }
            PlanKey::Allocation(_) => {
                PlanValue::Count(
                    parse_in_range(f, "error.assignment.allocation", s, 0..=100)? as u32,
                )
            }
            PlanKey::Scope(..) => {
                PlanValue::Text(optional_text(f, "error.text.too_long", Some(s), 500)?)
            }
        })
    }

    /// Keys whose value may appear for the first time through a change (new budget amounts,
    /// headcount, scope items); the others must already be in the plan.
    fn may_be_new(&self) -> bool {
        matches!(
            self,
            PlanKey::BudgetPlanned { .. } | PlanKey::Headcount(_) | PlanKey::Scope(..)
        )
    }
}

impl fmt::Display for PlanKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanKey::ActivityStart(a) => write!(f, "activity.{a}.start"),
            PlanKey::ActivityDuration(a) => write!(f, "activity.{a}.duration"),
            PlanKey::MilestoneDate(m) => write!(f, "milestone.{m}.date"),
            PlanKey::ProgrammeEnd => write!(f, "programme.end"),
            PlanKey::TargetValue(t) => write!(f, "target.{t}.value"),
            PlanKey::TargetTolerance(t) => write!(f, "target.{t}.tolerance"),
            PlanKey::BudgetPlanned { line_id, month } => write!(f, "budget.{line_id}.{month}"),
            PlanKey::Headcount(r) => write!(f, "headcount.{r}"),
            PlanKey::Allocation(a) => write!(f, "allocation.{a}"),
            PlanKey::Scope(ScopeSideKey::In, n) => write!(f, "scope.in.{n}"),
            PlanKey::Scope(ScopeSideKey::Out, n) => write!(f, "scope.out.{n}"),
        }
    }
}

/// A plan value. An empty scope text removes the item.
#[derive(Debug, Clone, PartialEq)]
pub enum PlanValue {
    Date(Date),
    Count(u32),
    Number(f64),
    Money(Money),
    Text(String),
}

impl fmt::Display for PlanValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanValue::Date(d) => write!(f, "{d}"),
            PlanValue::Count(c) => write!(f, "{c}"),
            PlanValue::Number(n) => write!(f, "{n}"),
            PlanValue::Money(m) => write!(f, "{m}"),
            PlanValue::Text(t) => f.write_str(t),
        }
    }
}

/// One change asked for: a key and its new value.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanChange {
    pub key: PlanKey,
    pub value: PlanValue,
}

crate::string_enum! {
    /// Where a change request is in its life.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum ChangeStatus {
        Proposed = "proposed",
        Approved = "approved",
        Rejected = "rejected",
    }
    invalid("status", "error.change.status")
}

/// Raw change request input; `changes` pairs keys with new values, both as text.
#[derive(Debug, Clone, Default)]
pub struct ChangeRequestInput {
    pub kind: String,
    pub reason: String,
    pub impact: String,
    pub changes: Vec<(String, String)>,
    pub requested_by: Option<i64>,
}

/// A request to change dates, resources, targets or scope, with its reason and impact.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeRequest {
    pub kind: ChangeKind,
    pub reason: String,
    pub impact: String,
    pub changes: Vec<PlanChange>,
    pub requested_by: i64,
    pub status: ChangeStatus,
    pub decided_by: Option<i64>,
    pub decided_on: Option<Date>,
}

impl TryFrom<ChangeRequestInput> for ChangeRequest {
    type Error = Invalids;

    fn try_from(i: ChangeRequestInput) -> Result<Self, Invalids> {
        let mut p = Problems::default();
        let kind = p.take(ChangeKind::parse(&i.kind));
        let reason = p.take(required_text(
            "reason",
            "error.change.reason",
            &i.reason,
            2000,
        ));
        let impact = p.take(required_text(
            "impact",
            "error.change.impact",
            &i.impact,
            2000,
        ));
        p.check(!i.changes.is_empty(), "changes", "error.change.empty");
        let mut changes = Some(Vec::new());
        for (k, v) in &i.changes {
            let key = p.take(PlanKey::parse(k));
            let value = key.as_ref().and_then(|k| p.take(k.parse_value(v)));
            if let (Some(k), Some(kind)) = (&key, kind) {
                p.check(k.kind() == kind, "changes", "error.change.kind_mismatch");
            }
            match (key, value, changes.as_mut()) {
                (Some(key), Some(value), Some(list)) => {
                    if list.iter().any(|c: &PlanChange| c.key == key) {
                        p.push("changes", "error.change.duplicate_key");
                    }
                    list.push(PlanChange { key, value });
                }
                _ => changes = None,
            }
        }
        p.check(
            i.requested_by.is_some(),
            "requested_by",
            "error.owner.required",
        );
        p.finish(|| {
            Some(ChangeRequest {
                kind: kind?,
                reason: reason?,
                impact: impact?,
                changes: changes?,
                requested_by: i.requested_by?,
                status: ChangeStatus::Proposed,
                decided_by: None,
                decided_on: None,
            })
        })
    }
}

/// The user deciding on a change request, as the server knows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Approver {
    pub user_id: i64,
    pub role: Role,
    /// Whether the user is a member of the programme's team.
    pub member: bool,
}

impl Approver {
    /// Only the programme's managers (or an admin) approve or reject changes.
    pub fn may_decide(&self) -> bool {
        match self.role {
            Role::Admin => true,
            Role::Manager => self.member,
            _ => false,
        }
    }
}

impl ChangeRequest {
    fn decide(
        mut self,
        by: Approver,
        on: Date,
        status: ChangeStatus,
    ) -> Result<ChangeRequest, Invalid> {
        if !by.may_decide() {
            return Err(Invalid::new("status", "error.change.approver"));
        }
        if self.status != ChangeStatus::Proposed {
            return Err(Invalid::new("status", "error.change.already_decided"));
        }
        self.status = status;
        self.decided_by = Some(by.user_id);
        self.decided_on = Some(on);
        Ok(self)
    }

    pub fn approve(self, by: Approver, on: Date) -> Result<ChangeRequest, Invalid> {
        self.decide(by, on, ChangeStatus::Approved)
    }

    pub fn reject(self, by: Approver, on: Date) -> Result<ChangeRequest, Invalid> {
        self.decide(by, on, ChangeStatus::Rejected)
    }
}

/// One change as applied: the value before (if any) and after.
#[derive(Debug, Clone, PartialEq)]
pub struct AppliedChange {
    pub key: PlanKey,
    pub before: Option<PlanValue>,
    pub after: PlanValue,
}

/// A numbered version of the plan values, with the changes that produced it.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanSnapshot {
    pub number: u32,
    pub values: BTreeMap<PlanKey, PlanValue>,
    /// The change request that produced this version (`None` for the baseline).
    pub change_request_id: Option<i64>,
    pub changes: Vec<AppliedChange>,
}

/// Every version of a plan, oldest first; never empty.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanHistory {
    versions: Vec<PlanSnapshot>,
}

impl PlanHistory {
    /// Starts the history with the baseline as version 1.
    pub fn new(baseline: BTreeMap<PlanKey, PlanValue>) -> PlanHistory {
        PlanHistory {
            versions: vec![PlanSnapshot {
                number: 1,
                values: baseline,
                change_request_id: None,
                changes: Vec::new(),
            }],
        }
    }

    /// Rebuilds a history from stored versions; they must be numbered 1, 2, 3… in order.
    pub fn from_versions(versions: Vec<PlanSnapshot>) -> Result<PlanHistory, Invalid> {
        let numbered = versions
            .iter()
            .enumerate()
            .all(|(n, v)| v.number as usize == n + 1);
        if versions.is_empty() || !numbered {
            return Err(Invalid::new("versions", "error.plan_version.sequence"));
        }
        Ok(PlanHistory { versions })
    }

    pub fn versions(&self) -> &[PlanSnapshot] {
        &self.versions
    }

    pub fn current(&self) -> &PlanSnapshot {
        // `new` and `from_versions` guarantee at least one version.
        &self.versions[self.versions.len() - 1]
    }

    /// Applies an approved change request, adding the next version and keeping the others.
    pub fn apply(&mut self, cr: &ChangeRequest, cr_id: i64) -> Result<&PlanSnapshot, Invalid> {
        if cr.status != ChangeStatus::Approved {
            return Err(Invalid::new("status", "error.change.not_approved"));
        }
        let current = self.current();
        let mut values = current.values.clone();
        let mut applied = Vec::new();
        for c in &cr.changes {
            let before = values.get(&c.key).cloned();
            if before.is_none() && !c.key.may_be_new() {
                return Err(Invalid::new("changes", "error.change.unknown_key"));
            }
            if matches!(&c.value, PlanValue::Text(t) if t.is_empty()) {
                values.remove(&c.key);
            } else {
                values.insert(c.key.clone(), c.value.clone());
            }
            applied.push(AppliedChange {
                key: c.key.clone(),
                before,
                after: c.value.clone(),
            });
        }
        let number = current.number + 1;
        self.versions.push(PlanSnapshot {
            number,
            values,
            change_request_id: Some(cr_id),
            changes: applied,
        });
        Ok(self.current())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn key(s: &str) -> PlanKey {
        PlanKey::parse(s).unwrap()
    }

    fn baseline() -> BTreeMap<PlanKey, PlanValue> {
        BTreeMap::from([
            (key("activity.A3.start"), PlanValue::Date(date(2026, 3, 16))),
            (key("activity.A3.duration"), PlanValue::Count(10)),
            (key("target.7.value"), PlanValue::Number(80.0)),
        ])
    }

    fn cr(kind: &str, changes: &[(&str, &str)]) -> ChangeRequestInput {
        ChangeRequestInput {
            kind: kind.into(),
            reason: "El cliente retrasa la entrega de bases".into(),
            impact: "Capacitación se corre una semana".into(),
            changes: changes
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            requested_by: Some(4),
        }
    }

    const MANAGER: Approver = Approver {
        user_id: 2,
        role: Role::Manager,
        member: true,
    };

    #[test]
    fn plan_keys_round_trip_through_their_text_form() {
        for s in [
            "activity.A3.start",
            "activity.2.1.duration",
            "milestone.5.date",
            "programme.end",
            "target.7.value",
            "target.7.tolerance",
            "budget.12.2026-03",
            "headcount.Ejecutivo Sr.",
            "allocation.4",
            "scope.in.2",
            "scope.out.1",
        ] {
            assert_eq!(key(s).to_string(), s);
        }
        for bad in [
            "activity.A3",
            "target.x.value",
            "budget.1.2026-13",
            "scope.up.1",
            "x",
        ] {
            assert_eq!(
                PlanKey::parse(bad).unwrap_err().key,
                "error.change.key",
                "{bad}"
            );
        }
    }

    #[test]
    fn approving_a_change_adds_a_version_and_keeps_the_previous_one() {
        let mut history = PlanHistory::new(baseline());
        let request = ChangeRequest::try_from(cr(
            "dates",
            &[
                ("activity.A3.start", "2026-03-23"),
                ("activity.A3.duration", "12"),
            ],
        ))
        .unwrap();
        let approved = request.approve(MANAGER, date(2026, 3, 10)).unwrap();
        assert_eq!(approved.decided_by, Some(2));
        let v2 = history.apply(&approved, 31).unwrap();
        assert_eq!(v2.number, 2);
        assert_eq!(v2.change_request_id, Some(31));
        assert_eq!(
            v2.changes[0].before,
            Some(PlanValue::Date(date(2026, 3, 16)))
        );
        assert_eq!(history.versions().len(), 2);
        assert_eq!(history.versions()[0].values, baseline());
        assert_eq!(
            history.current().values[&key("activity.A3.start")],
            PlanValue::Date(date(2026, 3, 23))
        );
    }

    #[test]
    fn only_approved_requests_apply_and_only_managers_approve() {
        let request = ChangeRequest::try_from(cr("targets", &[("target.7.value", "85")])).unwrap();
        let mut history = PlanHistory::new(baseline());
        assert_eq!(
            history.apply(&request, 1).unwrap_err().key,
            "error.change.not_approved"
        );
        let supervisor = Approver {
            role: Role::Supervisor,
            ..MANAGER
        };
        assert_eq!(
            request
                .clone()
                .approve(supervisor, date(2026, 3, 10))
                .unwrap_err()
                .key,
            "error.change.approver"
        );
        let outsider = Approver {
            member: false,
            ..MANAGER
        };
        assert!(request
            .clone()
            .approve(outsider, date(2026, 3, 10))
            .is_err());
        let rejected = request.reject(MANAGER, date(2026, 3, 10)).unwrap();
        assert_eq!(rejected.status, ChangeStatus::Rejected);
        assert_eq!(
            rejected
                .approve(MANAGER, date(2026, 3, 11))
                .unwrap_err()
                .key,
            "error.change.already_decided"
        );
        assert_eq!(history.versions().len(), 1);
    }

    #[test]
    fn change_values_are_validated_by_key_and_kind() {
        let e = ChangeRequest::try_from(cr(
            "dates",
            &[("target.7.value", "85"), ("activity.A3.start", "mañana")],
        ))
        .unwrap_err();
        let keys: Vec<_> = e.0.iter().map(|i| i.key).collect();
        assert_eq!(
            keys,
            vec!["error.change.kind_mismatch", "error.date.format"]
        );
        let e =
            ChangeRequest::try_from(cr("resources", &[("budget.3.2026-04", "-100")])).unwrap_err();
        assert_eq!(e.0[0].key, "error.money.negative");
    }

    #[test]
    fn a_change_to_a_value_the_plan_does_not_have_is_refused_and_nothing_changes() {
        let request = ChangeRequest::try_from(cr(
            "dates",
            &[
                ("activity.A3.start", "2026-03-23"),
                ("activity.Z9.start", "2026-03-23"),
            ],
        ))
        .unwrap()
        .approve(MANAGER, date(2026, 3, 10))
        .unwrap();
        let mut history = PlanHistory::new(baseline());
        assert_eq!(
            history.apply(&request, 1).unwrap_err().key,
            "error.change.unknown_key"
        );
        assert_eq!(history.versions().len(), 1);
        assert_eq!(history.current().values, baseline());
    }

    #[test]
    fn follow_ups_become_work_plan_activities() {
        let m = Meeting::try_from(MeetingInput {
            title: "Comité semanal".into(),
            date: "2026-03-09".into(),
            agenda: vec!["Dotación".into()],
            attendees: vec![3, 1, 3],
            decisions: vec!["Adelantar capacitación".into()],
            follow_ups: vec![FollowUpInput {
                task: "Reservar sala de capacitación".into(),
                owner_id: Some(3),
                due_date: "2026-03-13".into(),
            }],
            ..Default::default()
        })
        .unwrap();
        assert_eq!(m.attendees, vec![1, 3]);
        let input = m.follow_ups[0].to_activity("F1", m.date);
        let a = super::super::workplan::Activity::try_from(input).unwrap();
        assert_eq!(a.duration_days, 5);
        assert_eq!(a.owner_id, Some(3));
        let late = Meeting::try_from(MeetingInput {
            title: "Comité".into(),
            date: "2026-03-09".into(),
            follow_ups: vec![FollowUpInput {
                task: "X".into(),
                owner_id: Some(1),
                due_date: "2026-03-01".into(),
            }],
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(late.0[0].key, "error.follow_up.due_before_meeting");
    }

    #[test]
    fn communication_items_and_decisions_need_an_owner() {
        let e = CommunicationItem::try_from(CommunicationInput {
            audience: "Cliente".into(),
            content: "Informe semanal de KPI".into(),
            frequency: "weekly".into(),
            channel: "pigeon".into(),
            owner_id: None,
        })
        .unwrap_err();
        let keys: Vec<_> = e.0.iter().map(|i| i.key).collect();
        assert_eq!(
            keys,
            vec!["error.communication.channel", "error.owner.required"]
        );
        let d = Decision::try_from(DecisionInput {
            date: "2026-03-09".into(),
            summary: "Se contrata 5 ejecutivos adicionales".into(),
            decided_by: Some(2),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(d.meeting_id, None);
    }
}
