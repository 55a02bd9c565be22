//! Plan items of any kind: the check context, and list, read, create, replace, delete and
//! upsert for entities that are checked one by one.

use rumbo_domain::Invalids;
use rumbo_store::plan::NewPlanItem;
use serde_json::{json, Value};

use super::docs::{Check, Doc, MethodologyDoc};
use super::{store_err, PlanCx, PlanItem, INDICATORS};
use crate::model::Person;
use crate::{App, Error, Principal, Result};

fn enriched<T: Doc>(mut item: PlanItem) -> PlanItem {
    T::enrich(&mut item.data);
    item
}

/// Checks every body; all the problems of all of them, or the items to write.
fn checked<T: Doc>(check: &Check, bodies: Vec<T>) -> Result<Vec<NewPlanItem>> {
    let mut items = Vec::new();
    let mut errors = Vec::new();
    for b in bodies {
        match b.check(check) {
            Ok((code, data)) => items.push(NewPlanItem {
                kind: T::KIND,
                code,
                data,
            }),
            Err(Invalids(e)) => errors.extend(e),
        }
    }
    if errors.is_empty() {
        Ok(items)
    } else {
        Err(Invalids(errors).into())
    }
}

impl App {
    /// What a plan document is checked against: the programme's dates, its objectives and
    /// budget lines, the organisation's people and the KPI indicators.
    pub async fn plan_check(&self, cx: &PlanCx) -> Result<Check> {
        let objectives = self.store.plan_items(Some(cx.id()), "objective").await?;
        let lines = self.store.plan_items(Some(cx.id()), "budget_line").await?;
        let people = self.store.people().await?;
        Ok(Check {
            programme: cx.dates(),
            objective_ids: objectives.iter().map(|o| o.id).collect(),
            person_ids: people.iter().map(|p| p.id).collect(),
            budget_line_ids: lines.iter().map(|l| l.id).collect(),
            indicators: INDICATORS.iter().map(|s| s.to_string()).collect(),
        })
    }

    /// The organisation's people a plan may name (owners, attendees, assignees).
    pub async fn plan_people(&self, _cx: &PlanCx) -> Result<Vec<Person>> {
        Ok(self.store.people().await?)
    }

    /// The plan's items of kind `T`, in creation order, with their computed fields.
    pub async fn plan_items<T: Doc>(&self, cx: &PlanCx) -> Result<Vec<PlanItem>> {
        if !cx.may_read_kind(T::KIND) {
            // A client viewer's plan has no internal items (budget, risks, staff…).
            return Ok(Vec::new());
        }
        let items = self.store.plan_items(Some(cx.id()), T::KIND).await?;
        Ok(items.into_iter().map(enriched::<T>).collect())
    }

    /// One item of kind `T` of the plan.
    pub async fn plan_item<T: Doc>(&self, cx: &PlanCx, id: i64) -> Result<PlanItem> {
        if !cx.may_read_kind(T::KIND) {
            return Err(Error::NotFound);
        }
        let item = self.store.plan_item(Some(cx.id()), T::KIND, id).await?;
        Ok(enriched::<T>(item))
    }

    /// Checks and adds one item.
    pub async fn create_plan_item<T: Doc>(
        &self,
        who: &Principal,
        cx: &PlanCx,
        body: T,
    ) -> Result<PlanItem> {
        self.create_plan_items(who, cx, vec![body])
            .await?
            .pop()
            .ok_or_else(|| Error::internal_msg("nothing saved"))
    }

    /// Checks every body, then adds them all in one transaction (or none).
    pub async fn create_plan_items<T: Doc>(
        &self,
        who: &Principal,
        cx: &PlanCx,
        bodies: Vec<T>,
    ) -> Result<Vec<PlanItem>> {
        cx.writable(who)?;
        let check = self.plan_check(cx).await?;
        let items = checked(&check, bodies)?;
        let saved = self
            .store
            .create_plan_items(&who.actor(), Some(cx.id()), &items)
            .await
            .map_err(store_err)?;
        Ok(saved.into_iter().map(enriched::<T>).collect())
    }

    /// Replaces item `id` of kind `T` with a checked body.
    pub async fn update_plan_item<T: Doc>(
        &self,
        who: &Principal,
        cx: &PlanCx,
        id: i64,
        body: T,
    ) -> Result<PlanItem> {
        cx.writable(who)?;
        let check = self.plan_check(cx).await?;
        let (code, data) = body.check(&check)?;
        let item = self
            .store
            .update_plan_item(
                &who.actor(),
                Some(cx.id()),
                T::KIND,
                id,
                code.as_deref(),
                &data,
            )
            .await
            .map_err(store_err)?;
        Ok(enriched::<T>(item))
    }

    pub async fn delete_plan_item<T: Doc>(
        &self,
        who: &Principal,
        cx: &PlanCx,
        id: i64,
    ) -> Result<()> {
        cx.writable(who)?;
        Ok(self
            .store
            .delete_plan_item(&who.actor(), Some(cx.id()), T::KIND, id)
            .await?)
    }

    /// Checks every body first, then inserts or updates them by code in one transaction.
    pub async fn upsert_plan_items<T: Doc>(
        &self,
        who: &Principal,
        cx: &PlanCx,
        bodies: Vec<T>,
    ) -> Result<Vec<PlanItem>> {
        cx.writable(who)?;
        let check = self.plan_check(cx).await?;
        let items = checked(&check, bodies)?;
        self.store
            .upsert_plan_items(&who.actor(), cx.id(), &items)
            .await
            .map_err(store_err)
    }

    /// The single document of a one-per-programme kind (methodology, RACI, staffing), if any.
    pub(super) async fn single(&self, cx: &PlanCx, kind: &str) -> Result<Option<Value>> {
        let items = self.store.plan_items(Some(cx.id()), kind).await?;
        Ok(items.into_iter().next().map(|i| i.data))
    }

    /// Writes the single document of a one-per-programme kind.
    pub(super) async fn set_single(
        &self,
        who: &Principal,
        cx: &PlanCx,
        kind: &'static str,
        data: Value,
    ) -> Result<Value> {
        // The staffing plan is the analyst's work; every other single item is the plan's.
        if kind == "staffing" {
            cx.operable(who)?;
        } else {
            cx.writable(who)?;
        }
        let item = NewPlanItem {
            kind,
            code: Some(kind.into()),
            data,
        };
        let mut saved = self
            .store
            .upsert_plan_items(&who.actor(), cx.id(), &[item])
            .await?;
        Ok(saved.pop().map(|i| i.data).unwrap_or_default())
    }

    /// The programme's methodology (`{ "text": "" }` when none was written).
    pub async fn methodology(&self, cx: &PlanCx) -> Result<Value> {
        Ok(self
            .single(cx, MethodologyDoc::KIND)
            .await?
            .unwrap_or_else(|| json!({ "text": "" })))
    }

    pub async fn set_methodology(
        &self,
        who: &Principal,
        cx: &PlanCx,
        body: MethodologyDoc,
    ) -> Result<Value> {
        cx.writable(who)?;
        let check = self.plan_check(cx).await?;
        let (_, data) = body.check(&check)?;
        self.set_single(who, cx, MethodologyDoc::KIND, data).await
    }
}
