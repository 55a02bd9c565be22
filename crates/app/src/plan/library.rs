//! The best-practice library: practices (belonging to no programme) and their adoption by
//! teams. Everyone signed in reads it; managers add practices, supervisors and up adoptions.

use rumbo_domain::access::Role;
use rumbo_store::plan::NewPlanItem;

use super::compute::library_check;
use super::docs::{AdoptionDoc, Doc, PracticeDoc};
use super::{store_err, PlanItem};
use crate::access::MANAGERS;
use crate::{App, Error, Principal, Result};

/// Who may record that a team adopted a practice.
const ADOPTERS: &[Role] = &[Role::Admin, Role::Manager, Role::Supervisor];

impl App {
    /// The practices `who` may see: all of them for the BPO's staff, the shared practices of
    /// their own client for a client viewer.
    pub async fn practices(&self, who: &Principal) -> Result<Vec<PlanItem>> {
        Ok(self
            .store
            .plan_items(None, PracticeDoc::KIND)
            .await?
            .into_iter()
            .filter(|p| App::practice_visible(who, p))
            .collect())
    }

    /// Practice `id`, if `who` may see it.
    pub async fn practice(&self, who: &Principal, id: i64) -> Result<PlanItem> {
        let p = self.store.plan_item(None, PracticeDoc::KIND, id).await?;
        if App::practice_visible(who, &p) {
            Ok(p)
        } else {
            Err(Error::NotFound)
        }
    }

    /// Adds a practice to the library (managers); a practice that names its source programme
    /// but no client belongs to that programme's client.
    pub async fn create_practice(
        &self,
        who: &Principal,
        mut body: PracticeDoc,
    ) -> Result<PlanItem> {
        who.require_role(MANAGERS)?;
        if body.client_id.is_none() {
            if let Some(code) = body.source_programme.as_deref() {
                if let Ok(p) = self.store.programme_for(code.trim(), None).await {
                    body.client_id = Some(p.programme.client_id);
                }
            }
        }
        let (code, data) = body.check(&library_check()?)?;
        let item = self
            .library_item(who, PracticeDoc::KIND, code, data)
            .await?;
        self.index_practice(&item).await?;
        Ok(item)
    }

    /// The adoptions of practice `id`.
    pub async fn adoptions(&self, who: &Principal, id: i64) -> Result<Vec<PlanItem>> {
        self.practice(who, id).await?;
        let all = self.store.plan_items(None, AdoptionDoc::KIND).await?;
        Ok(all
            .into_iter()
            .filter(|a| a.data["practice_id"].as_i64() == Some(id))
            .collect())
    }

    /// Records that a team adopted practice `id`.
    pub async fn create_adoption(
        &self,
        who: &Principal,
        id: i64,
        mut body: AdoptionDoc,
    ) -> Result<PlanItem> {
        who.require_role(ADOPTERS)?;
        self.practice(who, id).await?;
        body.practice_id = Some(id);
        body.adopted_by = Some(who.email.clone());
        let (code, data) = body.check(&library_check()?)?;
        self.library_item(who, AdoptionDoc::KIND, code, data).await
    }

    async fn library_item(
        &self,
        who: &Principal,
        kind: &'static str,
        code: Option<String>,
        data: serde_json::Value,
    ) -> Result<PlanItem> {
        let mut saved = self
            .store
            .create_plan_items(&who.actor(), None, &[NewPlanItem { kind, code, data }])
            .await
            .map_err(store_err)?;
        saved
            .pop()
            .ok_or_else(|| Error::internal_msg("nothing saved"))
    }
}
