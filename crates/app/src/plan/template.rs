//! A new programme's plan from a past one.
//!
//! The source plan is parsed through the domain, moved to the new start by
//! `rumbo_domain::plan::template::derive_plan` (dates shifted, progress and gates reset, risks
//! reopened), checked against the new programme, and inserted in one transaction with targets
//! and milestones linked to the new objectives. If anything does not fit the new programme
//! (e.g. a milestone past its end), nothing is copied.

use rumbo_domain::access::Action;
use rumbo_domain::plan::template::{derive_plan, PlanParts};
use rumbo_domain::plan::workplan::Activity;
use rumbo_domain::{Invalid, Invalids};
use rumbo_store::plan::{Link, NewPlanItem};
use serde_json::{json, Map, Value};

use super::compute;
use super::docs::*;
use super::PlanCx;
use crate::{App, Error, Principal, Result};

/// What a template copy wrote: the source programme and how many items of each kind.
#[derive(Debug, Clone)]
pub struct TemplateCopy {
    pub source: String,
    pub copied: Map<String, Value>,
}

fn corrupt(kind: &str) -> Error {
    Error::internal_msg(format!("stored {kind} does not parse"))
}

/// Parses every `kind` item of the source with `parse`.
async fn parsed<T>(
    app: &App,
    cx: &PlanCx,
    kind: &str,
    parse: impl Fn(&Value) -> Option<T>,
) -> Result<Vec<(i64, T)>> {
    app.store
        .plan_items(Some(cx.id()), kind)
        .await?
        .into_iter()
        .map(|i| {
            parse(&i.data)
                .map(|t| (i.id, t))
                .ok_or_else(|| corrupt(kind))
        })
        .collect()
}

/// The source programme's plan as the template sees it, with each target's objective index.
async fn source_parts(app: &App, cx: &PlanCx) -> Result<(PlanParts, Vec<Option<usize>>)> {
    let check = app.plan_check(cx).await?;
    let objectives = parsed(app, cx, "objective", |d| {
        reparse::<ObjectiveDoc>(d).and_then(|o| {
            rumbo_domain::plan::objectives::Objective::try_from(
                rumbo_domain::plan::objectives::ObjectiveInput {
                    title: o.title,
                    description: o.description,
                    expected_results: o.expected_results,
                },
            )
            .ok()
        })
    })
    .await?;
    let index =
        |id: Option<i64>| id.and_then(|id| objectives.iter().position(|(oid, _)| *oid == id));
    let targets = parsed(app, cx, "target", |d| {
        reparse::<TargetDoc>(d).and_then(|t| t.parse(&check).ok())
    })
    .await?;
    let milestones = parsed(app, cx, "milestone", |d| {
        reparse::<MilestoneDoc>(d).and_then(|m| m.parse(&check).ok())
    })
    .await?;
    let milestone_objectives = milestones
        .iter()
        .map(|(_, m)| index(m.objective_id))
        .collect();
    let scope = parsed(app, cx, "scope", |d| {
        rumbo_domain::plan::strategy::ScopeItem::parse(d["side"].as_str()?, d["text"].as_str()?)
            .ok()
    })
    .await?;
    let stages = parsed(app, cx, "stage", |d| {
        reparse::<StageDoc>(d).and_then(|s| s.parse().ok())
    })
    .await?;
    let risks = parsed(app, cx, "risk", |d| {
        reparse::<RiskDoc>(d).and_then(|r| r.parse().ok())
    })
    .await?;
    let roles = parsed(app, cx, "role", |d| {
        reparse::<RoleDoc>(d).and_then(|r| r.parse().ok())
    })
    .await?;
    let activities: Vec<Activity> = app
        .activities(cx)
        .await?
        .into_iter()
        .map(|(_, a)| a)
        .collect();
    let communication = parsed(app, cx, "communication", |d| {
        let c = reparse::<CommunicationDoc>(d)?;
        rumbo_domain::plan::coordination::CommunicationItem::try_from(
            rumbo_domain::plan::coordination::CommunicationInput {
                audience: c.audience,
                content: c.content,
                frequency: c.frequency,
                channel: c.channel,
                owner_id: c.owner_id,
            },
        )
        .ok()
    })
    .await?;
    let parts = PlanParts {
        programme: cx.dates(),
        targets: targets
            .into_iter()
            .filter_map(|(_, (o, t))| index(o).map(|i| (i, t)))
            .collect(),
        objectives: objectives.into_iter().map(|(_, o)| o).collect(),
        milestones: milestones.into_iter().map(|(_, m)| m).collect(),
        scope: scope.into_iter().map(|(_, s)| s).collect(),
        stages: stages.into_iter().map(|(_, s)| s).collect(),
        risks: risks.into_iter().map(|(_, r)| r).collect(),
        roles: roles.into_iter().map(|(_, r)| r).collect(),
        activities,
        communication: communication.into_iter().map(|(_, c)| c).collect(),
    };
    Ok((parts, milestone_objectives))
}

/// Re-checks a derived document against the new programme.
fn recheck<T: Doc>(check: &Check, data: Value, errors: &mut Vec<Invalid>) -> Option<NewPlanItem> {
    let doc: T = reparse(&data)?;
    match doc.check(check) {
        Ok((code, data)) => Some(NewPlanItem {
            kind: T::KIND,
            code,
            data,
        }),
        Err(Invalids(e)) => {
            errors.extend(e);
            None
        }
    }
}

impl App {
    /// Copies the plan of programme `source` (which `who` may read) into programme `target`
    /// (which `who` may update), moved to the target's start.
    pub async fn plan_from_template(
        &self,
        who: &Principal,
        target: &str,
        source: &str,
    ) -> Result<TemplateCopy> {
        let target = self.plan(who, target, Action::Update).await?;
        let source = self
            .plan(who, source, Action::Read)
            .await
            .map_err(|e| match e {
                Error::NotFound => Error::invalid("source", "error.template.source"),
                other => other,
            })?;
        let (parts, milestone_objectives) = source_parts(self, &source).await?;
        let new = derive_plan(&parts, target.dates().start());
        let mut check = self.plan_check(&target).await?;
        // Objectives do not exist yet: links are set on insert, so accept their placeholders.
        check.objective_ids.extend(0..new.objectives.len() as i64);
        let mut errors = Vec::new();
        let mut items = Vec::new();
        let mut links = Vec::new();
        for o in &new.objectives {
            items.extend(recheck::<ObjectiveDoc>(
                &check,
                objective_json(o),
                &mut errors,
            ));
        }
        for (objective, t) in &new.targets {
            links.push(Link {
                child: items.len(),
                field: "objective_id",
                parent: *objective,
            });
            items.extend(recheck::<TargetDoc>(
                &check,
                target_json(Some(*objective as i64), t),
                &mut errors,
            ));
        }
        for (m, objective) in new.milestones.iter().zip(milestone_objectives) {
            let mut m = m.clone();
            m.objective_id = objective.map(|o| o as i64);
            if let Some(o) = objective {
                links.push(Link {
                    child: items.len(),
                    field: "objective_id",
                    parent: o,
                });
            }
            items.extend(recheck::<MilestoneDoc>(
                &check,
                milestone_json(&m),
                &mut errors,
            ));
        }
        for s in &new.scope {
            items.extend(recheck::<ScopeDoc>(&check, scope_json(s), &mut errors));
        }
        for s in &new.stages {
            items.extend(recheck::<StageDoc>(&check, stage_json(s), &mut errors));
        }
        for r in &new.risks {
            items.extend(recheck::<RiskDoc>(&check, risk_json(r), &mut errors));
        }
        for r in &new.roles {
            items.extend(recheck::<RoleDoc>(&check, role_json(r), &mut errors));
        }
        for c in &new.communication {
            items.extend(recheck::<CommunicationDoc>(
                &check,
                communication_json(c),
                &mut errors,
            ));
        }
        let mut all: Vec<Activity> = self
            .activities(&target)
            .await?
            .into_iter()
            .map(|(_, a)| a)
            .collect();
        for a in &new.activities {
            all.push(a.clone());
            items.extend(recheck::<ActivityDoc>(
                &check,
                activity_json(a),
                &mut errors,
            ));
        }
        if !errors.is_empty() {
            errors.dedup();
            return Err(Invalids(errors).into());
        }
        if compute::work_plan(target.dates(), all).is_err() {
            return Err(Error::invalid("source", "error.template.work_plan"));
        }
        let saved = self
            .store
            .create_linked_plan_items(&who.actor(), target.id(), &items, &links)
            .await
            .map_err(|e| match e {
                rumbo_store::StoreError::Conflict(_) => {
                    Error::Conflict(Invalid::new("source", "error.template.conflict").into())
                }
                other => other.into(),
            })?;
        let mut copied = Map::new();
        for i in &saved {
            let n = copied.get(&i.kind).and_then(Value::as_u64).unwrap_or(0);
            copied.insert(i.kind.clone(), json!(n + 1));
        }
        Ok(TemplateCopy {
            source: source.programme().code.clone(),
            copied,
        })
    }
}
