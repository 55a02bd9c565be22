//! Who is asking, and what they may do: the access matrix applied to stored programmes.
//!
//! A [`Principal`] is built by the caller (the server from a session or token, the CLI from
//! its operator) and passed to every use case; the decision itself is the pure
//! `rumbo_domain::access::decide`. Not visible → [`Error::NotFound`], visible but not allowed →
//! [`Error::Forbidden`].

use rumbo_domain::access::{can_see, decide, Action, Decision, Relation, Role};
use rumbo_store::programmes::ProgrammeFor;
use rumbo_store::Actor;

use crate::{App, Error, Result};

/// An authenticated person (or the system) acting through Rumbo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: i64,
    pub email: String,
    pub role: Role,
    /// For client viewers: the client whose programmes they may see.
    pub client_id: Option<i64>,
}

/// Roles that may administer accounts and clients.
pub const ADMINS: &[Role] = &[Role::Admin];
/// Roles that may manage master data such as clients and products.
pub const MANAGERS: &[Role] = &[Role::Admin, Role::Manager];
/// The BPO's own staff (everyone but client viewers).
pub const STAFF: &[Role] = &[Role::Admin, Role::Manager, Role::Supervisor, Role::Analyst];

impl Principal {
    /// Who is recorded in the audit log for this principal's writes.
    pub fn actor(&self) -> Actor {
        Actor::user(self.user_id, &self.email)
    }

    /// The role, if it is one of `allowed`; otherwise `Forbidden`.
    pub fn require_role(&self, allowed: &[Role]) -> Result<Role> {
        if allowed.contains(&self.role) {
            Ok(self.role)
        } else {
            Err(Error::Forbidden)
        }
    }

    pub(crate) fn relation(&self, p: &ProgrammeFor) -> Relation {
        Relation {
            member: p.member,
            same_client: self.client_id.is_some_and(|c| c == p.programme.client_id),
            owner: p.programme.owner_id == Some(self.user_id),
        }
    }
}

impl App {
    /// The programme `code` if `who` may do `action` on it. A closed programme is read-only:
    /// every `Update` on it is refused until it is reopened.
    pub async fn programme_for(
        &self,
        who: &Principal,
        code: &str,
        action: Action,
    ) -> Result<ProgrammeFor> {
        let p = self.programme_unguarded(who, code, action).await?;
        if action == Action::Update {
            crate::closeout::ensure_open(&p.programme)?;
        }
        Ok(p)
    }

    /// [`App::programme_for`] without the read-only rule of closed programmes (for closing,
    /// evaluating and reopening them).
    pub(crate) async fn programme_unguarded(
        &self,
        who: &Principal,
        code: &str,
        action: Action,
    ) -> Result<ProgrammeFor> {
        let p = self.store.programme_for(code, Some(who.user_id)).await?;
        match decide(who.role, action, Some(who.relation(&p))) {
            Decision::Allow => Ok(p),
            Decision::Forbidden => Err(Error::Forbidden),
            Decision::NotFound => Err(Error::NotFound),
        }
    }

    /// May `who` do `action` on `p` (a programme already loaded for them)? For pages that show
    /// or hide a form; the use case itself checks again.
    pub fn may(&self, who: &Principal, action: Action, p: &ProgrammeFor) -> bool {
        decide(who.role, action, Some(who.relation(p))) == Decision::Allow
    }

    /// The programmes `who` may see.
    pub async fn visible_programmes(&self, who: &Principal) -> Result<Vec<ProgrammeFor>> {
        let all = self.store.programmes_for(Some(who.user_id)).await?;
        Ok(all
            .into_iter()
            .filter(|p| can_see(who.role, who.relation(p)))
            .collect())
    }

    /// [`App::visible_programmes`] with each programme's data and state versions, in one read.
    pub(crate) async fn visible_programmes_with_versions(
        &self,
        who: &Principal,
    ) -> Result<Vec<(ProgrammeFor, (i64, i64))>> {
        let all = self
            .store
            .programmes_with_versions_for(Some(who.user_id))
            .await?;
        Ok(all
            .into_iter()
            .filter(|(p, _)| can_see(who.role, who.relation(p)))
            .collect())
    }

    /// May `who` create programmes?
    pub fn may_create_programme(&self, who: &Principal) -> Result<()> {
        match decide(who.role, Action::Create, None) {
            Decision::Allow => Ok(()),
            _ => Err(Error::Forbidden),
        }
    }
}
