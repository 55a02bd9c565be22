//! Change requests and plan versions: approving a change request applies it to the plan's
//! documents and records a new plan version, in one transaction; the previous version is kept.

use std::collections::BTreeMap;

use rumbo_domain::plan::coordination::{
    AppliedChange, Approver, ChangeRequest, PlanHistory, PlanKey, PlanValue, ScopeSideKey,
};
use rumbo_domain::plan::workplan::{Activity, WorkPlan};
use rumbo_domain::Invalid;
use rumbo_store::plan::{NewPlanItem, PlanCommit};
use serde_json::{json, Value};

use super::compute::{self, changes_json, values_json};
use super::docs::{
    activity_json, change_request_json, plain, reparse, AmountDoc, AssignmentDoc, ChangeRequestDoc,
    Check, Doc, MilestoneDoc, TargetDoc,
};
use super::{corrupt, store_err, PlanCx, PlanItem, PlanVersion};
use crate::{App, Error, Principal, Result};

/// The approver rule is an access rule (forbidden); anything else about the request is invalid.
fn decision_err(e: Invalid) -> Error {
    if e.key == "error.change.approver" {
        Error::Forbidden
    } else {
        Error::Invalid(e.into())
    }
}

fn approver(who: &Principal, cx: &PlanCx) -> Approver {
    Approver {
        user_id: who.user_id,
        role: who.role,
        member: cx.member(),
    }
}

/// A free-text note (a decision's reason, a comment): required, at most 2,000 characters.
fn note_text(field: &'static str, key: &'static str, text: &str) -> Result<String> {
    let t = text.trim();
    if t.is_empty() || t.chars().count() > 2000 {
        return Err(Error::invalid(field, key));
    }
    Ok(t.to_string())
}

/// The request's new document keeps the comments of the stored one and records the note given
/// with the decision.
fn with_notes(stored: &Value, mut cr_json: Value, note: Option<String>) -> Value {
    if let Some(c) = stored.get("comments") {
        cr_json["comments"] = c.clone();
    }
    if let Some(n) = note {
        cr_json["decision_note"] = json!(n);
    }
    cr_json
}

impl App {
    async fn stored_request(&self, cx: &PlanCx, id: i64) -> Result<(Value, ChangeRequest)> {
        let item = self
            .store
            .plan_item(Some(cx.id()), ChangeRequestDoc::KIND, id)
            .await?;
        let cr = reparse::<ChangeRequestDoc>(&item.data)
            .and_then(|d| d.parse().ok())
            .ok_or_else(|| corrupt("change_request", id))?;
        Ok((item.data, cr))
    }

    /// Approves change request `id` and applies it: the changed items, the request's new status
    /// and the new plan version are written in one transaction (the first approval also keeps
    /// the baseline as version 1). Returns the request's document and the new version.
    pub async fn approve_change(
        &self,
        who: &Principal,
        cx: &PlanCx,
        id: i64,
    ) -> Result<(Value, PlanVersion)> {
        self.approve_change_noted(who, cx, id, None).await
    }

    /// [`App::approve_change`] with an optional note on why it was approved.
    pub async fn approve_change_noted(
        &self,
        who: &Principal,
        cx: &PlanCx,
        id: i64,
        note: Option<&str>,
    ) -> Result<(Value, PlanVersion)> {
        cx.writable(who)?;
        let note = match note.map(str::trim).filter(|n| !n.is_empty()) {
            Some(n) => Some(note_text("reason", "error.pf.reason", n)?),
            None => None,
        };
        let (stored_data, cr) = self.stored_request(cx, id).await?;
        let approved = cr
            .approve(approver(who, cx), compute::today(cx))
            .map_err(decision_err)?;
        let check = self.plan_check(cx).await?;
        let now_values = current_values(self, cx, &check).await?;
        let stored = self.store.plan_versions(cx.id()).await?;
        let baseline = stored.is_empty().then(|| values_json(&now_values));
        let number = stored.last().map_or(2, |v| v.number + 1);
        let mut history = PlanHistory::new(now_values);
        let snapshot = history.apply(&approved, id)?.clone();
        let (updates, inserts) = item_changes(self, cx, &check, &snapshot.changes).await?;
        let cr_json = with_notes(&stored_data, change_request_json(&approved), note);
        let commit = PlanCommit {
            baseline,
            change_request: (id, cr_json.clone()),
            updates,
            inserts,
            version: (
                number,
                values_json(&snapshot.values),
                changes_json(&snapshot.changes),
            ),
        };
        let version = self
            .store
            .commit_plan_change(&who.actor(), cx.id(), &commit)
            .await
            .map_err(store_err)?;
        Ok((cr_json, version))
    }

    /// Rejects change request `id` (the plan does not change).
    pub async fn reject_change(&self, who: &Principal, cx: &PlanCx, id: i64) -> Result<PlanItem> {
        self.reject_change_noted(who, cx, id, None).await
    }

    /// Rejects change request `id` giving the reason, which is required.
    pub async fn reject_change_because(
        &self,
        who: &Principal,
        cx: &PlanCx,
        id: i64,
        reason: &str,
    ) -> Result<PlanItem> {
        cx.writable(who)?;
        let reason = note_text("reason", "error.pf.reason", reason)?;
        self.reject_change_noted(who, cx, id, Some(reason)).await
    }

    async fn reject_change_noted(
        &self,
        who: &Principal,
        cx: &PlanCx,
        id: i64,
        reason: Option<String>,
    ) -> Result<PlanItem> {
        cx.writable(who)?;
        let (stored_data, cr) = self.stored_request(cx, id).await?;
        let rejected = cr
            .reject(approver(who, cx), compute::today(cx))
            .map_err(decision_err)?;
        Ok(self
            .store
            .update_plan_item(
                &who.actor(),
                Some(cx.id()),
                ChangeRequestDoc::KIND,
                id,
                None,
                &with_notes(&stored_data, change_request_json(&rejected), reason),
            )
            .await?)
    }

    /// Adds a comment to change request `id` (who wrote it, the day, the text); the request's
    /// status does not change.
    pub async fn comment_change(
        &self,
        who: &Principal,
        cx: &PlanCx,
        id: i64,
        text: &str,
    ) -> Result<PlanItem> {
        cx.writable(who)?;
        let text = note_text("comment", "error.pf.comment", text)?;
        let (mut data, _) = self.stored_request(cx, id).await?;
        let comment = json!({
            "by": who.user_id,
            "on": compute::today(cx).to_string(),
            "text": text,
        });
        match data.get_mut("comments").and_then(Value::as_array_mut) {
            Some(list) => list.push(comment),
            None => data["comments"] = json!([comment]),
        }
        Ok(self
            .store
            .update_plan_item(
                &who.actor(),
                Some(cx.id()),
                ChangeRequestDoc::KIND,
                id,
                None,
                &data,
            )
            .await?)
    }

    /// The plan's versions, oldest first.
    pub async fn plan_versions(&self, cx: &PlanCx) -> Result<Vec<PlanVersion>> {
        Ok(self.store.plan_versions(cx.id()).await?)
    }
}

/// The plan values a change request may touch, as they are now.
async fn current_values(
    app: &App,
    cx: &PlanCx,
    check: &Check,
) -> Result<BTreeMap<PlanKey, PlanValue>> {
    let mut out = BTreeMap::new();
    let acts = app.activities(cx).await?;
    let ids: Vec<Activity> = acts.iter().map(|(_, a)| a.clone()).collect();
    if let Ok(plan) = WorkPlan::new(ids, cx.dates()) {
        let s = plan.schedule_on(&app.work_calendar(cx).await?);
        for a in plan.activities() {
            if let Some(r) = s.get(a.id.as_str()) {
                out.insert(
                    PlanKey::ActivityStart(a.id.clone()),
                    PlanValue::Date(r.start),
                );
            }
            out.insert(
                PlanKey::ActivityDuration(a.id.clone()),
                PlanValue::Count(a.duration_days),
            );
        }
    }
    for i in app.store.plan_items(Some(cx.id()), "milestone").await? {
        if let Some(m) = reparse::<MilestoneDoc>(&i.data).and_then(|d| d.parse(check).ok()) {
            out.insert(PlanKey::MilestoneDate(i.id), PlanValue::Date(m.date));
        }
    }
    for i in app.store.plan_items(Some(cx.id()), "target").await? {
        if let Some((_, t)) = reparse::<TargetDoc>(&i.data).and_then(|d| d.parse(check).ok()) {
            out.insert(PlanKey::TargetValue(i.id), PlanValue::Number(t.target));
            out.insert(
                PlanKey::TargetTolerance(i.id),
                PlanValue::Number(t.tolerance),
            );
        }
    }
    let b = app.budget_with(cx, check).await?;
    for a in &b.planned {
        out.insert(
            PlanKey::BudgetPlanned {
                line_id: a.line_id,
                month: a.month,
            },
            PlanValue::Money(a.amount),
        );
    }
    for i in app.store.plan_items(Some(cx.id()), "assignment").await? {
        if let Some(a) = reparse::<AssignmentDoc>(&i.data).and_then(|d| d.parse().ok()) {
            out.insert(
                PlanKey::Allocation(i.id),
                PlanValue::Count(u32::from(a.allocation)),
            );
        }
    }
    for i in app.store.plan_items(Some(cx.id()), "scope").await? {
        let side = match i.data["side"].as_str() {
            Some("in") => ScopeSideKey::In,
            _ => ScopeSideKey::Out,
        };
        let text = i.data["text"].as_str().unwrap_or_default().to_string();
        out.insert(PlanKey::Scope(side, i.id as u32), PlanValue::Text(text));
    }
    if let Some(end) = cx.dates().end() {
        out.insert(PlanKey::ProgrammeEnd, PlanValue::Date(end));
    }
    Ok(out)
}

/// Item updates and inserts that carry applied changes into the plan's documents, checked as a
/// whole (the work plan still holds together, milestones stay within the programme…). Keys with
/// no document of their own (headcount, scope, programme end) live in the version only.
async fn item_changes(
    app: &App,
    cx: &PlanCx,
    check: &Check,
    changes: &[AppliedChange],
) -> Result<(Vec<(i64, Value)>, Vec<NewPlanItem>)> {
    let mut updates: Vec<(i64, Value)> = Vec::new();
    let mut inserts = Vec::new();
    let mut acts = app.activities(cx).await?;
    let mut acts_changed = false;
    for c in changes {
        match (&c.key, &c.after) {
            (PlanKey::ActivityStart(id), PlanValue::Date(d)) => {
                if let Some((_, a)) = acts.iter_mut().find(|(_, a)| &a.id == id) {
                    a.start_date = Some(*d);
                    acts_changed = true;
                }
            }
            (PlanKey::ActivityDuration(id), PlanValue::Count(n)) => {
                if let Some((_, a)) = acts.iter_mut().find(|(_, a)| &a.id == id) {
                    if a.milestone && *n != 0 {
                        return Err(Error::invalid(
                            "changes",
                            "error.activity.milestone_duration",
                        ));
                    }
                    a.duration_days = *n;
                    acts_changed = true;
                }
            }
            (PlanKey::MilestoneDate(id), PlanValue::Date(d)) => {
                let item = app.store.plan_item(Some(cx.id()), "milestone", *id).await?;
                let mut data = item.data.clone();
                data["date"] = json!(d.to_string());
                let (_, v) = reparse::<MilestoneDoc>(&data)
                    .ok_or_else(|| corrupt("milestone", *id))?
                    .check(check)?;
                updates.push((*id, v));
            }
            (PlanKey::TargetValue(id) | PlanKey::TargetTolerance(id), PlanValue::Number(n)) => {
                let item = app.store.plan_item(Some(cx.id()), "target", *id).await?;
                let mut data = updates
                    .iter()
                    .find(|(i, _)| i == id)
                    .map(|(_, v)| v.clone())
                    .unwrap_or(item.data);
                let field = if matches!(c.key, PlanKey::TargetValue(_)) {
                    "target"
                } else {
                    "tolerance"
                };
                data[field] = json!(n);
                let (_, v) = reparse::<TargetDoc>(&data)
                    .ok_or_else(|| corrupt("target", *id))?
                    .check(check)?;
                updates.retain(|(i, _)| i != id);
                updates.push((*id, v));
            }
            (PlanKey::BudgetPlanned { line_id, month }, PlanValue::Money(m)) => {
                let doc = AmountDoc {
                    line_id: Some(*line_id),
                    month: month.to_string(),
                    kind: "planned".into(),
                    amount: plain(*m),
                    currency: m.currency().code().into(),
                };
                let (code, v) = doc.check(check)?;
                let existing = app
                    .store
                    .plan_items(Some(cx.id()), "budget_amount")
                    .await?
                    .into_iter()
                    .find(|i| i.code == code);
                match existing {
                    Some(i) => updates.push((i.id, v)),
                    None => inserts.push(NewPlanItem {
                        kind: "budget_amount",
                        code,
                        data: v,
                    }),
                }
            }
            (PlanKey::Allocation(id), PlanValue::Count(n)) => {
                let item = app
                    .store
                    .plan_item(Some(cx.id()), "assignment", *id)
                    .await?;
                let mut data = item.data.clone();
                data["allocation"] = json!(n);
                let (_, v) = reparse::<AssignmentDoc>(&data)
                    .ok_or_else(|| corrupt("assignment", *id))?
                    .check(check)?;
                updates.push((*id, v));
            }
            _ => {}
        }
    }
    if acts_changed {
        let list: Vec<Activity> = acts.iter().map(|(_, a)| a.clone()).collect();
        compute::work_plan(cx.dates(), list)?;
        for (item, a) in &acts {
            let v = activity_json(a);
            if v != item.data {
                updates.push((item.id, v));
            }
        }
    }
    Ok((updates, inserts))
}
