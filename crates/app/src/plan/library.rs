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
    /// The library. The BPO's staff read all of it; a client viewer only the practices drawn
    /// from their own client's programmes (other clients' practices stay apart).
    pub async fn practices(&self, who: &Principal) -> Result<Vec<PlanItem>> {
        let all = self.store.plan_items(None, PracticeDoc::KIND).await?;
        if who.role != Role::ClientViewer {
            return Ok(all);
        }
        let own: Vec<String> = self
            .visible_programmes(who)
            .await?
            .into_iter()
            .map(|p| p.programme.code)
            .collect();
        Ok(all
            .into_iter()
            .filter(|p| {
                p.data["source_programme"]
                    .as_str()
                    .is_some_and(|c| own.iter().any(|o| o.eq_ignore_ascii_case(c)))
            })
            .collect())
    }

    pub async fn create_practice(&self, who: &Principal, body: PracticeDoc) -> Result<PlanItem> {
        who.require_role(MANAGERS)?;
        let (code, data) = body.check(&library_check()?)?;
        self.library_item(who, PracticeDoc::KIND, code, data).await
    }

    /// The adoptions of practice `id`.
    pub async fn adoptions(&self, who: &Principal, id: i64) -> Result<Vec<PlanItem>> {
        if !self.practices(who).await?.iter().any(|p| p.id == id) {
            return Err(Error::NotFound);
        }
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
        self.store.plan_item(None, PracticeDoc::KIND, id).await?;
        body.practice_id = Some(id);
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
