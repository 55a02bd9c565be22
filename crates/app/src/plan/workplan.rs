//! The work plan and what hangs on it: activities (checked as a whole, a cycle is named),
//! the schedule, RACI, assignments, meetings with follow-up activities, the decision log,
//! risks and the staffing plan.

use rumbo_domain::plan::roles::{
    assignment_warnings, AssignmentWarning, Person, Raci, RaciEntry, RaciMatrix, RoleDef,
};
use rumbo_domain::plan::strategy::Risk;
use rumbo_domain::plan::workplan::{Activity, ActivityId, WorkPlan};
use rumbo_domain::{Invalid, Invalids};
use rumbo_store::plan::NewPlanItem;
use serde_json::{json, Value};

use super::calendar::{dates_to_duration, follow_ups_on};
use super::compute::{self, follow_up_activities};
use super::docs::{
    activity_json, meeting_json, reparse, ActivityDoc, AssignmentDoc, Check, Doc, MeetingDoc,
    ProfileDoc, RaciBody, RiskDoc, RoleDoc, StaffingBody,
};
use super::{corrupt, store_err, PlanCx, PlanItem};
use crate::{App, Error, Principal, Result};

/// Checks activity bodies, reporting every problem of every activity; returns each item's code,
/// canonical document and parsed activity.
fn parse_activities(
    check: &Check,
    bodies: Vec<ActivityDoc>,
) -> Result<Vec<(Option<String>, Value, Activity)>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for b in bodies {
        match b.check(check) {
            Ok((code, data)) => {
                let a = activity_of(&data)?;
                out.push((code, data, a));
            }
            Err(Invalids(e)) => errors.extend(e),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Invalids(errors).into())
    }
}

fn activity_of(data: &Value) -> Result<Activity> {
    reparse::<ActivityDoc>(data)
        .and_then(|d| d.parse().ok())
        .ok_or_else(|| Error::internal_msg("canonical activity does not parse"))
}

fn activity_items(new: Vec<(Option<String>, Value, Activity)>) -> Vec<NewPlanItem> {
    new.into_iter()
        .map(|(code, data, _)| NewPlanItem {
            kind: ActivityDoc::KIND,
            code,
            data,
        })
        .collect()
}

impl App {
    /// The programme's activities, stored and parsed, in creation order.
    pub async fn activities(&self, cx: &PlanCx) -> Result<Vec<(PlanItem, Activity)>> {
        let items = self
            .store
            .plan_items(Some(cx.id()), ActivityDoc::KIND)
            .await?;
        items
            .into_iter()
            .map(|i| {
                let a = reparse::<ActivityDoc>(&i.data)
                    .and_then(|d| d.parse().ok())
                    .ok_or_else(|| corrupt("activity", i.id))?;
                Ok((i, a))
            })
            .collect()
    }

    async fn activity_list(&self, cx: &PlanCx) -> Result<Vec<Activity>> {
        Ok(self
            .activities(cx)
            .await?
            .into_iter()
            .map(|(_, a)| a)
            .collect())
    }

    /// The stored work plan on the programme's work calendar, or `None` if it no longer holds
    /// together.
    pub async fn work_plan(&self, cx: &PlanCx) -> Result<Option<WorkPlan>> {
        let acts = self.activity_list(cx).await?;
        let calendar = self.work_calendar(cx).await?;
        Ok(compute::work_plan(cx.dates(), acts)
            .ok()
            .map(|p| p.with_calendar(calendar)))
    }

    /// Adds activities; the work plan with them must hold together.
    pub async fn add_activities(
        &self,
        who: &Principal,
        cx: &PlanCx,
        bodies: Vec<ActivityDoc>,
    ) -> Result<Vec<PlanItem>> {
        cx.writable(who)?;
        let check = self.plan_check(cx).await?;
        let calendar = self.work_calendar(cx).await?;
        let bodies = bodies
            .into_iter()
            .map(|b| dates_to_duration(b, &calendar))
            .collect();
        let new = parse_activities(&check, bodies)?;
        let mut all = self.activity_list(cx).await?;
        all.extend(new.iter().map(|(_, _, a)| a.clone()));
        compute::work_plan(cx.dates(), all)?;
        self.store
            .create_plan_items(&who.actor(), Some(cx.id()), &activity_items(new))
            .await
            .map_err(store_err)
    }

    /// Replaces the whole work plan.
    pub async fn replace_activities(
        &self,
        who: &Principal,
        cx: &PlanCx,
        bodies: Vec<ActivityDoc>,
    ) -> Result<Vec<PlanItem>> {
        cx.writable(who)?;
        let check = self.plan_check(cx).await?;
        let calendar = self.work_calendar(cx).await?;
        let bodies = bodies
            .into_iter()
            .map(|b| dates_to_duration(b, &calendar))
            .collect();
        let new = parse_activities(&check, bodies)?;
        compute::work_plan(cx.dates(), new.iter().map(|(_, _, a)| a.clone()).collect())?;
        self.store
            .replace_plan_items(
                &who.actor(),
                cx.id(),
                ActivityDoc::KIND,
                &activity_items(new),
            )
            .await
            .map_err(store_err)
    }

    /// Replaces activity `id`; the work plan with the change must hold together.
    pub async fn update_activity(
        &self,
        who: &Principal,
        cx: &PlanCx,
        id: i64,
        body: ActivityDoc,
    ) -> Result<PlanItem> {
        cx.writable(who)?;
        let check = self.plan_check(cx).await?;
        let body = dates_to_duration(body, &self.work_calendar(cx).await?);
        let (new_code, data) = body.check(&check)?;
        let mut found = false;
        let mut all = Vec::new();
        for (item, a) in self.activities(cx).await? {
            if item.id == id {
                found = true;
                all.push(activity_of(&data)?);
            } else {
                all.push(a);
            }
        }
        if !found {
            return Err(Error::NotFound);
        }
        compute::work_plan(cx.dates(), all)?;
        self.store
            .update_plan_item(
                &who.actor(),
                Some(cx.id()),
                ActivityDoc::KIND,
                id,
                new_code.as_deref(),
                &data,
            )
            .await
            .map_err(store_err)
    }

    /// Deletes activity `id`, unless others depend on it.
    pub async fn delete_activity(&self, who: &Principal, cx: &PlanCx, id: i64) -> Result<()> {
        cx.writable(who)?;
        let acts = self.activities(cx).await?;
        if !acts.iter().any(|(i, _)| i.id == id) {
            return Err(Error::NotFound);
        }
        let rest: Vec<Activity> = acts
            .into_iter()
            .filter(|(i, _)| i.id != id)
            .map(|(_, a)| a)
            .collect();
        // Removing an activity others depend on would leave them pointing at nothing.
        compute::work_plan(cx.dates(), rest)?;
        Ok(self
            .store
            .delete_plan_item(&who.actor(), Some(cx.id()), ActivityDoc::KIND, id)
            .await?)
    }

    /// The RACI matrix (`{ "entries": [] }` when none was set).
    pub async fn raci(&self, cx: &PlanCx) -> Result<Value> {
        Ok(self
            .single(cx, "raci")
            .await?
            .unwrap_or_else(|| json!({ "entries": [] })))
    }

    /// Replaces the whole RACI matrix: every activity of the work plan needs exactly one A.
    pub async fn set_raci(&self, who: &Principal, cx: &PlanCx, body: RaciBody) -> Result<Value> {
        cx.writable(who)?;
        let check = self.plan_check(cx).await?;
        let mut errors = Vec::new();
        let mut entries = Vec::new();
        for e in body.entries {
            let activity = ActivityId::parse("activity", &e.activity)
                .map_err(|x| errors.push(x))
                .ok();
            let role = Raci::parse(&e.role).map_err(|x| errors.push(x)).ok();
            match e.person_id {
                Some(p) if check.person_ids.contains(&p) => {}
                _ => errors.push(Invalid::new("person_id", "error.unknown.person")),
            }
            if let (Some(activity), Some(role), Some(person_id)) = (activity, role, e.person_id) {
                entries.push(RaciEntry {
                    activity,
                    person_id,
                    role,
                });
            }
        }
        if !errors.is_empty() {
            errors.dedup();
            return Err(Invalids(errors).into());
        }
        let activities: Vec<ActivityId> = self
            .activity_list(cx)
            .await?
            .into_iter()
            .map(|a| a.id)
            .collect();
        let m = RaciMatrix::new(activities, entries.clone())?;
        let data = json!({
            "entries": entries.iter().map(|e| json!({ "activity": e.activity.as_str(), "person_id": e.person_id, "role": e.role.letter().to_string() })).collect::<Vec<_>>(),
            "people": m.people(),
        });
        self.set_single(who, cx, "raci", data).await
    }

    /// Assigns a person to a role. The assignment is saved even when it raises warnings (missing
    /// competencies, over-allocation across programmes…): the planner decides.
    pub async fn assign(
        &self,
        who: &Principal,
        cx: &PlanCx,
        body: AssignmentDoc,
    ) -> Result<(PlanItem, Vec<AssignmentWarning>)> {
        cx.writable(who)?;
        let check = self.plan_check(cx).await?;
        let (_, data) = body.check(&check)?;
        let new = reparse::<AssignmentDoc>(&data)
            .and_then(|d| d.parse().ok())
            .ok_or_else(|| Error::internal_msg("canonical assignment"))?;
        let role_items = self.store.plan_items(Some(cx.id()), "role").await?;
        let role: RoleDef = role_items
            .iter()
            .find(|r| r.code.as_deref() == Some(new.role.to_lowercase().as_str()))
            .and_then(|r| reparse::<RoleDoc>(&r.data))
            .and_then(|d| d.parse().ok())
            .ok_or_else(|| Error::invalid("role", "error.role.unknown"))?;
        let profile: Person = self
            .store
            .plan_items(Some(cx.id()), "profile")
            .await?
            .into_iter()
            .find(|p| p.code.as_deref() == Some(new.person_id.to_string().as_str()))
            .and_then(|p| reparse::<ProfileDoc>(&p.data))
            .and_then(|d| d.parse().ok())
            .unwrap_or(Person {
                name: String::new(),
                competencies: vec![],
                languages: vec![],
                experience_months: 0,
            });
        // Allocation counts across every programme the person works in.
        let existing: Vec<_> = self
            .store
            .plan_items_everywhere("assignment")
            .await?
            .into_iter()
            .filter_map(|i| reparse::<AssignmentDoc>(&i.data).and_then(|d| d.parse().ok()))
            .collect();
        let warnings = assignment_warnings(&profile, &role, &new, &existing);
        let mut saved = self
            .store
            .create_plan_items(
                &who.actor(),
                Some(cx.id()),
                &[NewPlanItem {
                    kind: "assignment",
                    code: None,
                    data,
                }],
            )
            .await?;
        let item = saved
            .pop()
            .ok_or_else(|| Error::internal_msg("nothing saved"))?;
        Ok((item, warnings))
    }

    /// Creates a meeting; its follow-up tasks land in the work plan as activities `FU-<n>.<k>`,
    /// all in one transaction. Returns the meeting and the follow-up activities.
    pub async fn create_meeting(
        &self,
        who: &Principal,
        cx: &PlanCx,
        body: MeetingDoc,
    ) -> Result<(PlanItem, Vec<PlanItem>)> {
        cx.writable(who)?;
        let check = self.plan_check(cx).await?;
        let meeting = body.parse(&check)?;
        let meetings = self
            .store
            .plan_items(Some(cx.id()), MeetingDoc::KIND)
            .await?;
        let n = meetings.len() + 1;
        let mut all = self.activity_list(cx).await?;
        let mut items = vec![NewPlanItem {
            kind: MeetingDoc::KIND,
            code: None,
            data: meeting_json(&meeting),
        }];
        let mut follow_ups = follow_up_activities(&meeting, n)?;
        follow_ups_on(&mut follow_ups, &self.work_calendar(cx).await?);
        for a in follow_ups {
            items.push(NewPlanItem {
                kind: ActivityDoc::KIND,
                code: Some(a.id.to_string()),
                data: activity_json(&a),
            });
            all.push(a);
        }
        compute::work_plan(cx.dates(), all)?;
        let mut saved = self
            .store
            .create_plan_items(&who.actor(), Some(cx.id()), &items)
            .await
            .map_err(store_err)?
            .into_iter();
        let meeting = saved
            .next()
            .ok_or_else(|| Error::internal_msg("nothing saved"))?;
        Ok((meeting, saved.collect()))
    }

    /// The decision log: decisions recorded on their own and those taken in meetings, by date.
    pub async fn decision_log(&self, cx: &PlanCx) -> Result<Vec<Value>> {
        let mut log: Vec<Value> = self
            .store
            .plan_items(Some(cx.id()), "decision")
            .await?
            .into_iter()
            .map(|i| {
                let mut d = i.data;
                d["id"] = json!(i.id);
                d
            })
            .collect();
        for m in self
            .store
            .plan_items(Some(cx.id()), MeetingDoc::KIND)
            .await?
        {
            for d in m.data["decisions"].as_array().into_iter().flatten() {
                log.push(json!({
                    "date": m.data["date"], "summary": d, "meeting_id": m.id,
                    "meeting": m.data["title"], "decided_by": null, "rationale": "",
                }));
            }
        }
        log.sort_by(|a, b| a["date"].as_str().cmp(&b["date"].as_str()));
        Ok(log)
    }

    /// The programme's risks, stored and parsed.
    pub async fn risks(&self, cx: &PlanCx) -> Result<Vec<(PlanItem, Risk)>> {
        if !cx.may_read_kind(RiskDoc::KIND) {
            // The risk register stays inside the BPO.
            return Ok(Vec::new());
        }
        let items = self.store.plan_items(Some(cx.id()), RiskDoc::KIND).await?;
        items
            .into_iter()
            .map(|i| {
                let r = reparse::<RiskDoc>(&i.data)
                    .and_then(|d| d.parse().ok())
                    .ok_or_else(|| corrupt("risk", i.id))?;
                Ok((i, r))
            })
            .collect()
    }

    /// The stored staffing plan, if one was computed.
    pub async fn staffing(&self, cx: &PlanCx) -> Result<Option<Value>> {
        if !cx.may_read_internal() {
            return Ok(None);
        }
        self.single(cx, "staffing").await
    }

    /// Volumes → positions per interval (WFM engine) → FTE per week → hires and training
    /// starts; stored as the programme's staffing plan.
    pub async fn plan_staffing(
        &self,
        who: &Principal,
        cx: &PlanCx,
        body: StaffingBody,
    ) -> Result<Value> {
        cx.operable(who)?;
        let data = compute::staffing_plan(body)?;
        self.set_single(who, cx, "staffing", data).await
    }
}
