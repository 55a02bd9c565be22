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
    Read,
    Create,
    Update,
    Delete,
}

/// How the user relates to one programme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Relation {
    /// The user is a member of the programme's team.
    pub member: bool,
    /// The programme belongs to the client the user (a client viewer) represents.
    pub same_client: bool,
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
        Role::Admin | Role::Manager | Role::Analyst => true,
        Role::Supervisor => rel.member,
        Role::ClientViewer => rel.same_client,
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
            match action {
                Action::Read | Action::List => Decision::Allow,
                Action::Update => allow(match role {
                    Role::Admin => true,
                    Role::Manager | Role::Supervisor => rel.member,
                    Role::Analyst | Role::ClientViewer => false,
                }),
                Action::Delete => allow(match role {
                    Role::Admin => true,
                    Role::Manager => rel.member,
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
        let other = Relation {
            member: false,
            same_client: false,
        };
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
            member: false,
            same_client: true,
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
            same_client: false,
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
    fn analysts_read_everything_and_change_nothing() {
        let rel = Relation {
            member: true,
            same_client: true,
        };
        assert_eq!(
            decide(Role::Analyst, Action::Read, Some(rel)),
            Decision::Allow
        );
        for a in [Action::Update, Action::Delete] {
            assert_eq!(decide(Role::Analyst, a, Some(rel)), Decision::Forbidden);
        }
    }
}
