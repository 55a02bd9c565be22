//! Programmes and their master data: clients, products, people, teams and change history.

use rumbo_domain::access::Action;
use rumbo_domain::programme::{NewProgramme, ProgrammeInput};
use rumbo_domain::rut::Rut;
use rumbo_domain::{Invalid, Invalids};

use crate::access::{MANAGERS, STAFF};
use crate::accounts::looks_like_email;
use crate::model::{AuditEntry, Client, Person, Product, Programme};
use crate::{App, Error, Principal, Result};
use rumbo_store::Actor;

/// How long an archived programme can be restored before the daily purge deletes it.
pub const ARCHIVE_DAYS: i64 = 30;

/// Whole days an archived programme can still be restored (0: the purge will delete it).
pub fn archive_days_left(p: &Programme) -> i64 {
    let since = rumbo_store::now() - p.archived_at.unwrap_or(0);
    (ARCHIVE_DAYS - since / 86_400).max(0)
}

/// A team member: user id, e-mail, name, role.
pub type Member = (i64, String, String, rumbo_domain::access::Role);

impl App {
    pub async fn create_programme(
        &self,
        who: &Principal,
        input: ProgrammeInput,
    ) -> Result<Programme> {
        self.may_create_programme(who)?;
        let p = NewProgramme::try_from(input)?;
        Ok(self.store.create_programme(&who.actor(), &p).await?)
    }

    pub async fn update_programme(
        &self,
        who: &Principal,
        code: &str,
        mut input: ProgrammeInput,
    ) -> Result<Programme> {
        let current = self
            .programme_for(who, code, Action::Update)
            .await?
            .programme;
        input.code = current.code.clone();
        let p = NewProgramme::try_from(input)?;
        NewProgramme::check_transition(current.status, p.status).map_err(Invalids::from)?;
        Ok(self
            .store
            .update_programme(&who.actor(), current.id, &p)
            .await?)
    }

    /// Deletes a programme. One that holds data (imports, plan items) is archived instead, and
    /// only when `confirm` repeats its code: an admin can restore it for
    /// [`ARCHIVE_DAYS`] days, then the daily purge deletes it. An empty one is deleted at once.
    /// Answers whether it was archived.
    pub async fn delete_programme(
        &self,
        who: &Principal,
        code: &str,
        confirm: Option<&str>,
    ) -> Result<bool> {
        let current = self
            .programme_for(who, code, Action::Delete)
            .await?
            .programme;
        if self.store.programme_holds_data(current.id).await? {
            let typed = confirm.unwrap_or("").trim();
            if !typed.eq_ignore_ascii_case(&current.code) {
                return Err(Error::invalid("confirm", "error.roles.confirm_code"));
            }
            self.store
                .archive_programme(&who.actor(), current.id)
                .await?;
            return Ok(true);
        }
        self.erase_programme(&who.actor(), &current).await?;
        Ok(false)
    }

    /// Programmes in the archive (admins).
    pub async fn archived_programmes(&self, who: &Principal) -> Result<Vec<Programme>> {
        who.require_role(crate::access::ADMINS)?;
        Ok(self.store.archived_programmes().await?)
    }

    /// Takes an archived programme back (admins, within [`ARCHIVE_DAYS`] days).
    pub async fn restore_programme(&self, who: &Principal, code: &str) -> Result<Programme> {
        who.require_role(crate::access::ADMINS)?;
        let p = self
            .store
            .archived_programmes()
            .await?
            .into_iter()
            .find(|p| p.code.eq_ignore_ascii_case(code.trim()))
            .ok_or(Error::NotFound)?;
        if p.archived_at
            .is_some_and(|t| t < rumbo_store::now() - ARCHIVE_DAYS * 86_400)
        {
            return Err(Error::invalid("code", "error.roles.archive_expired"));
        }
        self.store.restore_programme(&who.actor(), p.id).await?;
        Ok(self.store.programme_by_id(p.id).await?)
    }

    /// Deletes programmes archived more than [`ARCHIVE_DAYS`] days before `now` (the daily
    /// purge job); answers how many.
    pub async fn purge_archived_programmes(&self, actor: &Actor, now: i64) -> Result<usize> {
        let cutoff = now - ARCHIVE_DAYS * 86_400;
        let mut n = 0;
        for p in self.store.archived_programmes().await? {
            if p.archived_at.is_some_and(|t| t < cutoff) {
                self.erase_programme(actor, &p).await?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// Deletes a programme with everything in it, including the files that hold its records
    /// (raw batch files, the spool, uploads waiting in its jobs): nothing is left behind.
    async fn erase_programme(&self, actor: &Actor, current: &Programme) -> Result<()> {
        let batch_files: Vec<String> = self
            .store
            .import_batches(current.id)
            .await?
            .into_iter()
            .filter_map(|b| b.data_path)
            .collect();
        let uploads = self.store.programme_job_files(current.id).await?;
        self.store.delete_programme(actor, current.id).await?;
        for id in uploads {
            if let Err(e) = self.store.delete_job_file(id).await {
                tracing::warn!(file = id, error = %e, "could not delete an upload of a deleted programme");
            }
        }
        let data = &self.settings.data_dir;
        for path in batch_files {
            remove_file_quietly(&data.join(path));
        }
        for top in ["raw", "spool"] {
            let dir = data.join(top).join(current.id.to_string());
            if let Err(e) = std::fs::remove_dir_all(&dir) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(dir = %dir.display(), error = %e, "could not delete a deleted programme's records");
                }
            }
        }
        Ok(())
    }

    /// Every programme, for the operator at the console (`rumbo programs list`).
    pub async fn programmes_for_operator(&self) -> Result<Vec<Programme>> {
        Ok(self
            .store
            .programmes_for(None)
            .await?
            .into_iter()
            .map(|p| p.programme)
            .collect())
    }

    /// The programme's change history, newest first.
    /// The programme's change history, newest first (`p` comes from an access check).
    pub async fn programme_history(&self, p: &Programme, limit: i64) -> Result<Vec<AuditEntry>> {
        Ok(self.store.audit_for_programme(p.id, limit).await?)
    }

    /// The most recent changes across the installation (admins).
    pub async fn audit_recent(&self, who: &Principal, limit: i64) -> Result<Vec<AuditEntry>> {
        who.require_role(crate::access::ADMINS)?;
        Ok(self.store.audit_recent(limit).await?)
    }

    /// The team of a programme the principal may read.
    pub async fn members(&self, p: &Programme) -> Result<Vec<Member>> {
        Ok(self.store.members(p.id).await?)
    }

    /// Adds a user to a programme's team (who may update the programme may change its team).
    pub async fn add_member(&self, who: &Principal, code: &str, user_id: i64) -> Result<()> {
        let p = self
            .programme_for(who, code, Action::Update)
            .await?
            .programme;
        if !self.store.users().await?.iter().any(|u| u.id == user_id) {
            return Err(Error::invalid("user_id", "error.unknown.user"));
        }
        Ok(self.store.add_member(&who.actor(), p.id, user_id).await?)
    }

    /// Takes a user off a programme's team; nobody but an admin removes the owner.
    pub async fn remove_member(&self, who: &Principal, code: &str, user_id: i64) -> Result<()> {
        let pf = self.programme_for(who, code, Action::Update).await?;
        let p = pf.programme.clone();
        let target_is_owner = p.owner_id == Some(user_id);
        match rumbo_domain::access::may_remove_member(who.role, who.relation(&pf), target_is_owner)
        {
            rumbo_domain::access::Decision::Allow => {}
            rumbo_domain::access::Decision::Forbidden => return Err(Error::Forbidden),
            rumbo_domain::access::Decision::NotFound => return Err(Error::NotFound),
        }
        Ok(self
            .store
            .remove_member(&who.actor(), p.id, user_id)
            .await?)
    }

    /// BPO staff not yet on the team, for the team form (needs update access).
    pub async fn member_candidates(
        &self,
        who: &Principal,
        code: &str,
    ) -> Result<Vec<crate::model::User>> {
        let p = self.programme_for(who, code, Action::Update).await?;
        let members = self.store.members(p.programme.id).await?;
        Ok(self
            .store
            .users()
            .await?
            .into_iter()
            .filter(|u| {
                u.role != rumbo_domain::access::Role::ClientViewer
                    && !members.iter().any(|m| m.0 == u.id)
            })
            .collect())
    }

    /// Clients the principal may see (a client viewer: only their own).
    pub async fn clients(&self, who: &Principal) -> Result<Vec<Client>> {
        let all = self.store.clients().await?;
        Ok(all
            .into_iter()
            .filter(|c| {
                who.role != rumbo_domain::access::Role::ClientViewer || who.client_id == Some(c.id)
            })
            .collect())
    }

    pub async fn create_client(&self, who: &Principal, name: &str, rut: &str) -> Result<Client> {
        who.require_role(MANAGERS)?;
        let mut errors = Vec::new();
        if name.trim().is_empty() {
            errors.push(Invalid::new("client_name", "error.client.name"));
        }
        let rut = Rut::parse(rut).map_err(|e| errors.push(e)).ok();
        match rut {
            Some(rut) if errors.is_empty() => {
                Ok(self.store.create_client(&who.actor(), name, rut).await?)
            }
            _ => Err(Invalids(errors).into()),
        }
    }

    /// Products of every client (BPO staff; a client viewer sees none of other clients').
    pub async fn products(&self, who: &Principal) -> Result<Vec<Product>> {
        who.require_role(STAFF)?;
        Ok(self.store.products(None).await?)
    }

    pub async fn create_product(
        &self,
        who: &Principal,
        client_id: i64,
        name: &str,
        description: &str,
    ) -> Result<Product> {
        who.require_role(MANAGERS)?;
        if name.trim().is_empty() {
            return Err(Error::invalid("name", "error.product.name"));
        }
        Ok(self
            .store
            .create_product(&who.actor(), client_id, name, description)
            .await?)
    }

    /// People (staff records, not necessarily users), for managers.
    pub async fn people(&self, who: &Principal) -> Result<Vec<Person>> {
        who.require_role(MANAGERS)?;
        Ok(self.store.people().await?)
    }

    pub async fn create_person(
        &self,
        who: &Principal,
        name: &str,
        email: Option<&str>,
        org_role: &str,
    ) -> Result<Person> {
        who.require_role(MANAGERS)?;
        if name.trim().is_empty() {
            return Err(Error::invalid("person_name", "error.person.name"));
        }
        if email.is_some_and(|e| !looks_like_email(e)) {
            return Err(Error::invalid("person_email", "error.email"));
        }
        Ok(self
            .store
            .create_person(&who.actor(), name, email, org_role)
            .await?)
    }
}

/// The stored programme as form input (to merge a partial update, API `PATCH`).
pub fn input_from(p: &Programme) -> ProgrammeInput {
    ProgrammeInput {
        code: p.code.clone(),
        name: p.name.clone(),
        client_id: Some(p.client_id),
        product_id: p.product_id,
        channels: p.channels.iter().map(|c| c.to_string()).collect(),
        start_date: p.start_date.to_string(),
        end_date: p.end_date.map(|d| d.to_string()),
        status: Some(p.status.to_string()),
        time_zone: Some(p.time_zone.clone()),
        description: Some(p.description.clone()),
    }
}

/// Parses an optional numeric id field.
pub fn parse_id(field: &'static str, s: Option<&str>) -> Result<Option<i64>, Invalid> {
    match s.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| Invalid::new(field, "error.unknown.reference")),
    }
}

/// Removes a file; a missing file is fine, any other failure is logged.
fn remove_file_quietly(path: &std::path::Path) {
    if let Err(e) = std::fs::remove_file(path) {
        if e.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!(path = %path.display(), error = %e, "could not delete a file");
        }
    }
}
