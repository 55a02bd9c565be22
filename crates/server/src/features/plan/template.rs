//! `POST /api/v1/programs/{code}/plan/from-template`: a new programme's plan from a past one.
//!
//! The source plan is parsed through the domain, moved to the new start by
//! `rumbo_domain::plan::template::derive_plan` (dates shifted, progress and gates reset, risks
//! reopened), checked against the new programme, and inserted in one transaction with targets
//! and milestones linked to the new objectives. If anything does not fit the new programme
//! (e.g. a milestone past its end), nothing is copied.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use rumbo_domain::access::Action;
use rumbo_domain::plan::template::{derive_plan, PlanParts};
use rumbo_domain::plan::workplan::Activity;
use rumbo_domain::{Invalid, Invalids};
use rumbo_store::plan::{Link, NewPlanItem};
use serde::Deserialize;
use serde_json::{json, Value};

use super::compute;
use super::docs::*;
use super::{load, PlanCx};
use crate::http::ctx::{ApiJson, Ctx};
use crate::{AppError, AppState};

#[derive(Deserialize)]
pub struct TemplateBody {
    /// Code of the past programme to copy from.
    source: String,
}

fn corrupt(kind: &str) -> AppError {
    AppError::Internal(format!("stored {kind} does not parse"))
}

/// Parses every `kind` item of the source with `parse`.
async fn parsed<T>(
    state: &AppState,
    cx: &PlanCx,
    kind: &str,
    parse: impl Fn(&Value) -> Option<T>,
) -> Result<Vec<(i64, T)>, AppError> {
    state
        .store
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
async fn source_parts(
    state: &AppState,
    cx: &PlanCx,
) -> Result<(PlanParts, Vec<Option<usize>>), AppError> {
    let check = compute::check_cx(state, cx).await?;
    let objectives = parsed(state, cx, "objective", |d| {
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
    let targets = parsed(state, cx, "target", |d| {
        reparse::<TargetDoc>(d).and_then(|t| t.parse(&check).ok())
    })
    .await?;
    let milestones = parsed(state, cx, "milestone", |d| {
        reparse::<MilestoneDoc>(d).and_then(|m| m.parse(&check).ok())
    })
    .await?;
    let milestone_objectives = milestones
        .iter()
        .map(|(_, m)| index(m.objective_id))
        .collect();
    let scope = parsed(state, cx, "scope", |d| {
        rumbo_domain::plan::strategy::ScopeItem::parse(d["side"].as_str()?, d["text"].as_str()?)
            .ok()
    })
    .await?;
    let stages = parsed(state, cx, "stage", |d| {
        reparse::<StageDoc>(d).and_then(|s| s.parse().ok())
    })
    .await?;
    let risks = parsed(state, cx, "risk", |d| {
        reparse::<RiskDoc>(d).and_then(|r| r.parse().ok())
    })
    .await?;
    let roles = parsed(state, cx, "role", |d| {
        reparse::<RoleDoc>(d).and_then(|r| r.parse().ok())
    })
    .await?;
    let activities: Vec<Activity> = compute::activities(state, cx)
        .await?
        .into_iter()
        .map(|(_, a)| a)
        .collect();
    let communication = parsed(state, cx, "communication", |d| {
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
        programme: cx.dates,
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

pub async fn from_template(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<TemplateBody>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let target = load(&state, &ctx, &code, Action::Update).await?;
    let source = load(&state, &ctx, &body.source, Action::Read)
        .await
        .map_err(|e| match e {
            AppError::NotFound => AppError::invalid("source", "error.template.source"),
            other => other,
        })?;
    let (parts, milestone_objectives) = source_parts(&state, &source).await?;
    let new = derive_plan(&parts, target.dates.start());
    let mut check = compute::check_cx(&state, &target).await?;
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
    let mut all: Vec<Activity> = compute::activities(&state, &target)
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
    if compute::work_plan(&target, all).is_err() {
        return Err(AppError::invalid("source", "error.template.work_plan"));
    }
    let saved = state
        .store
        .create_linked_plan_items(&ctx.actor()?, target.id(), &items, &links)
        .await
        .map_err(|e| match e {
            rumbo_store::StoreError::Conflict(_) => {
                AppError::Conflict(Invalid::new("source", "error.template.conflict").into())
            }
            other => other.into(),
        })?;
    let mut counts = serde_json::Map::new();
    for i in &saved {
        let n = counts.get(&i.kind).and_then(Value::as_u64).unwrap_or(0);
        counts.insert(i.kind.clone(), json!(n + 1));
    }
    Ok((
        StatusCode::CREATED,
        Json(json!({ "source": source.programme.code, "copied": counts })),
    ))
}
