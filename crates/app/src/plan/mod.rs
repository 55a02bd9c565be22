//! The plan of a programme: objectives and KPI targets, strategy and risks, budget, work plan,
//! roles and RACI, coordination, change requests and versions, and the best-practice library.
//!
//! Every use case takes a [`PlanCx`], obtained from [`App::plan`] (the access check: reading the
//! plan needs `Read` on the programme, changing it needs `Update`), parses bodies through the
//! plan [`docs`] (which parse through `rumbo-domain`), and writes through the store, which
//! records audit rows in the same transaction. Figures (critical path, heat-map, variance,
//! staffing) are in [`compute`], so every caller shows the same numbers.

pub mod calendar;
pub mod compute;
pub mod docs;

mod budget;
mod changes;
mod items;
mod library;
mod template;
mod workplan;

pub use budget::Judgement;
pub use compute::BudgetData;
pub use template::TemplateCopy;

use rumbo_domain::access::{decide, Action, Decision};
use rumbo_domain::plan::coordination::Approver;
use rumbo_domain::plan::ProgrammeDates;
use rumbo_domain::Invalid;
use rumbo_store::plan::{CODE_CONFLICT, VERSION_CONFLICT};
use rumbo_store::StoreError;

use crate::model::Programme;
use crate::{App, Error, Principal, Result};

pub use rumbo_store::plan::{PlanItem, PlanVersion};

/// Indicators a KPI target may name (the KPI registry's indicators).
pub const INDICATORS: &[&str] = &[
    "service_level",
    "asa",
    "aht",
    "abandon_rate",
    "occupancy",
    "adherence",
    "conformance",
    "fcr",
    "conversion",
    "sph",
    "qa_score",
    "csat",
    "nps",
    "cost_per_contact",
    "contacts_handled",
    "sales",
];

/// The plan of a programme, after the access check of [`App::plan`]: who it was granted to and
/// whether they may change it.
#[derive(Debug, Clone)]
pub struct PlanCx {
    programme: Programme,
    dates: ProgrammeDates,
    member: bool,
    user_id: i64,
    may_update: bool,
    may_decide: bool,
    may_read_internal: bool,
    may_operate: bool,
}

impl PlanCx {
    fn new(
        programme: Programme,
        member: bool,
        who: &Principal,
        may_update: bool,
    ) -> Result<PlanCx> {
        let dates = ProgrammeDates::new(programme.start_date, programme.end_date)
            .map_err(|e| Error::internal_msg(e.key))?;
        let approver = Approver {
            user_id: who.user_id,
            role: who.role,
            member,
        };
        Ok(PlanCx {
            programme,
            dates,
            member,
            user_id: who.user_id,
            may_update,
            may_decide: may_update && approver.may_decide(),
            may_read_internal: true,
            may_operate: false,
        })
    }

    /// The plan as the system reads it (an evaluation after an import): read-only.
    pub(crate) fn system(programme: Programme) -> Result<PlanCx> {
        let dates = ProgrammeDates::new(programme.start_date, programme.end_date)
            .map_err(|e| Error::internal_msg(e.key))?;
        Ok(PlanCx {
            programme,
            dates,
            member: false,
            user_id: 0,
            may_update: false,
            may_decide: false,
            may_read_internal: true,
            may_operate: false,
        })
    }

    pub fn programme(&self) -> &Programme {
        &self.programme
    }

    pub fn id(&self) -> i64 {
        self.programme.id
    }

    pub fn dates(&self) -> ProgrammeDates {
        self.dates
    }

    /// Whether the principal is on the programme's team.
    pub fn member(&self) -> bool {
        self.member
    }

    /// Whether the principal may read the BPO's internal plan items (budget, costs, risks…).
    pub fn may_read_internal(&self) -> bool {
        self.may_read_internal
    }

    /// Whether the principal may read plan items of `kind`.
    pub fn may_read_kind(&self, kind: &str) -> bool {
        self.may_read_internal || !rumbo_domain::access::plan_kind_is_internal(kind)
    }

    /// Whether the principal may change this plan.
    pub fn may_update(&self) -> bool {
        self.may_update
    }

    /// Whether the principal may approve or reject change requests (the programme's managers
    /// or an admin).
    pub fn may_decide_changes(&self) -> bool {
        self.may_decide
    }

    /// `Forbidden` unless `who` may do the analyst's work (staffing, schedules) on this plan.
    pub(crate) fn operable(&self, who: &Principal) -> Result<()> {
        if self.may_operate && who.user_id == self.user_id {
            Ok(())
        } else {
            Err(Error::Forbidden)
        }
    }

    /// `Forbidden` unless `who` was granted `Update` on this plan.
    fn writable(&self, who: &Principal) -> Result<()> {
        if self.may_update && who.user_id == self.user_id {
            Ok(())
        } else if self.programme.status == rumbo_domain::programme::Status::Closed {
            Err(crate::closeout::read_only())
        } else {
            Err(Error::Forbidden)
        }
    }
}

impl App {
    /// The plan of programme `code` if `who` may do `action` on it (`Read` to see the plan,
    /// `Update` to change it).
    pub async fn plan(&self, who: &Principal, code: &str, action: Action) -> Result<PlanCx> {
        let p = self.programme_for(who, code, action).await?;
        let may_update = matches!(
            decide(who.role, Action::Update, Some(who.relation(&p))),
            Decision::Allow
        ) && p.programme.status != rumbo_domain::programme::Status::Closed;
        let mut cx = PlanCx::new(p.programme.clone(), p.member, who, may_update)?;
        cx.may_read_internal = self.may(who, Action::ReadInternal, &p);
        cx.may_operate = self.may(who, Action::Operate, &p);
        Ok(cx)
    }
}

/// A stored document that no longer parses is corrupt data, not a user error.
fn corrupt(kind: &str, id: i64) -> Error {
    Error::internal_msg(format!("stored plan item {kind} #{id} does not parse"))
}

/// A store error with plan-specific messages for duplicate codes and concurrent changes.
fn store_err(e: StoreError) -> Error {
    match e {
        StoreError::Conflict(c) if c == CODE_CONFLICT => {
            Error::Conflict(Invalid::new("code", "error.plan.duplicate_code").into())
        }
        StoreError::Conflict(c) if c == VERSION_CONFLICT => {
            Error::Conflict(Invalid::new("status", "error.change.concurrent").into())
        }
        other => other.into(),
    }
}
