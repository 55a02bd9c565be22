//! Who may do what to a programme: the access matrix, as one pure function.
//!
//! The rule of thumb: if a user may not even see a programme, every action on it answers
//! "not found" (its existence must not leak); if they may see it but not do the action,
//! the answer is "forbidden".

crate::string_enum! {
    /// Organisation-wide role of a user account.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum Role {
        Admin = "admin",
        Manager = "manager",
        Supervisor = "supervisor",
        Analyst = "analyst",
        ClientViewer = "client_viewer",
    }
    invalid("role", "error.user.role")
}

/// What is being done to a programme (or to anything inside it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    List,
    /// Reading what the client may see too: the programme, KPIs against targets, milestones,
    /// reports shared with the client.
    Read,
    /// Reading what stays inside the BPO: budget, costs, risk register, staff e-mails, the
    /// technical audit log, imports and their data-quality reports.
    ReadInternal,
    Create,
    /// Changing the plan, the team or the programme itself.
    Update,
    /// The analyst's work: importing data, maintaining forecasts, staffing and schedules.
    Operate,
    Delete,
}

impl Action {
    /// Every action, for tables and tests.
    pub const ALL: [Action; 7] = [
        Action::List,
        Action::Read,
        Action::ReadInternal,
        Action::Create,
        Action::Update,
        Action::Operate,
        Action::Delete,
    ];
}

/// How the user relates to one programme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Relation {
    /// The user is a member of the programme's team.
    pub member: bool,
    /// The programme belongs to the client the user (a client viewer) represents.
    pub same_client: bool,
    /// The user is the programme's owner (its manager).
    pub owner: bool,
}

/// The outcome of an access check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Forbidden,
    NotFound,
}

/// May `role` see a programme it has `rel` to?
pub fn can_see(role: Role, rel: Relation) -> bool {
    match role {
        Role::Admin | Role::Manager => true,
        Role::Supervisor | Role::Analyst => rel.member || rel.owner,
        Role::ClientViewer => rel.same_client,
    }
}

/// Plan kinds that stay inside the BPO (budget, costs, risk register, staff and their
/// e-mails, internal meetings): a client viewer never reads them.
pub const INTERNAL_PLAN_KINDS: &[&str] = &[
    "risk",
    "cost_rate",
    "budget_line",
    "budget_amount",
    "rate",
    "supply",
    "contacts",
    "assignment",
    "meeting",
    "decision",
];

/// Whether plan items of `kind` stay inside the BPO.
pub fn plan_kind_is_internal(kind: &str) -> bool {
    INTERNAL_PLAN_KINDS.contains(&kind)
}

/// May `role` (with `rel` to the programme) take `target_is_owner`'s member off its team?
/// Nobody but an admin removes the owner; otherwise whoever may update the programme may.
pub fn may_remove_member(role: Role, rel: Relation, target_is_owner: bool) -> Decision {
    match decide(role, Action::Update, Some(rel)) {
        Decision::Allow if target_is_owner && role != Role::Admin => Decision::Forbidden,
        d => d,
    }
}

/// The access matrix. `rel` is `None` for actions not about an existing programme
/// (listing, creating).
pub fn decide(role: Role, action: Action, rel: Option<Relation>) -> Decision {
    let allow = |b: bool| {
        if b {
            Decision::Allow
        } else {
            Decision::Forbidden
        }
    };
    match (action, rel) {
        (Action::List, _) => Decision::Allow, // the list is filtered by `can_see`
        (Action::Create, _) => allow(matches!(role, Role::Admin | Role::Manager)),
        (_, None) => Decision::NotFound,
        (action, Some(rel)) => {
            if !can_see(role, rel) {
                return Decision::NotFound;
            }
            let on_team = rel.member || rel.owner;
            match action {
                Action::Read | Action::List => Decision::Allow,
                Action::ReadInternal => allow(role != Role::ClientViewer),
                Action::Update => allow(match role {
                    Role::Admin => true,
                    Role::Manager | Role::Supervisor => on_team,
                    Role::Analyst | Role::ClientViewer => false,
                }),
                Action::Operate => allow(match role {
                    Role::Admin => true,
                    Role::Manager | Role::Supervisor | Role::Analyst => on_team,
                    Role::ClientViewer => false,
                }),
                Action::Delete => allow(match role {
                    Role::Admin => true,
                    Role::Manager => rel.owner,
                    _ => false,
                }),
                Action::Create => unreachable!("handled above"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_viewers_never_learn_that_other_clients_programmes_exist() {
        let other = Relation::default();
        for a in [Action::Read, Action::Update, Action::Delete] {
            assert_eq!(
                decide(Role::ClientViewer, a, Some(other)),
                Decision::NotFound
            );
        }
    }

    #[test]
    fn client_viewers_read_their_own_client_but_never_write() {
        let own = Relation {
            same_client: true,
            ..Relation::default()
        };
        assert_eq!(
            decide(Role::ClientViewer, Action::Read, Some(own)),
            Decision::Allow
        );
        assert_eq!(
            decide(Role::ClientViewer, Action::Update, Some(own)),
            Decision::Forbidden
        );
        assert_eq!(
            decide(Role::ClientViewer, Action::Create, None),
            Decision::Forbidden
        );
    }

    #[test]
    fn supervisors_edit_only_their_programmes() {
        let mine = Relation {
            member: true,
            ..Relation::default()
        };
        let other = Relation::default();
        assert_eq!(
            decide(Role::Supervisor, Action::Update, Some(mine)),
            Decision::Allow
        );
        assert_eq!(
            decide(Role::Supervisor, Action::Update, Some(other)),
            Decision::NotFound
        );
        assert_eq!(
            decide(Role::Supervisor, Action::Delete, Some(mine)),
            Decision::Forbidden
        );
    }

    #[test]
    fn analysts_work_on_their_programmes_only_and_never_change_the_plan() {
        let mine = Relation {
            member: true,
            ..Relation::default()
        };
        assert_eq!(
            decide(Role::Analyst, Action::Operate, Some(mine)),
            Decision::Allow
        );
        assert_eq!(
            decide(Role::Analyst, Action::ReadInternal, Some(mine)),
            Decision::Allow
        );
        for a in [Action::Update, Action::Delete] {
            assert_eq!(decide(Role::Analyst, a, Some(mine)), Decision::Forbidden);
        }
        for a in [Action::Read, Action::Operate] {
            assert_eq!(
                decide(Role::Analyst, a, Some(Relation::default())),
                Decision::NotFound
            );
        }
    }

    #[test]
    fn client_viewers_never_read_the_bpos_internals() {
        let own = Relation {
            same_client: true,
            ..Relation::default()
        };
        assert_eq!(
            decide(Role::ClientViewer, Action::ReadInternal, Some(own)),
            Decision::Forbidden
        );
        assert_eq!(
            decide(Role::ClientViewer, Action::Operate, Some(own)),
            Decision::Forbidden
        );
    }

    #[test]
    fn only_the_owner_or_an_admin_deletes_and_nobody_else_removes_the_owner() {
        let member = Relation {
            member: true,
            ..Relation::default()
        };
        let owner = Relation {
            member: true,
            owner: true,
            ..Relation::default()
        };
        assert_eq!(
            decide(Role::Manager, Action::Delete, Some(member)),
            Decision::Forbidden
        );
        assert_eq!(
            decide(Role::Manager, Action::Delete, Some(owner)),
            Decision::Allow
        );
        assert_eq!(
            may_remove_member(Role::Supervisor, member, true),
            Decision::Forbidden
        );
        assert_eq!(
            may_remove_member(Role::Manager, owner, true),
            Decision::Forbidden
        );
        assert_eq!(
            may_remove_member(Role::Supervisor, member, false),
            Decision::Allow
        );
        assert_eq!(
            may_remove_member(Role::Admin, Relation::default(), true),
            Decision::Allow
        );
    }
}
