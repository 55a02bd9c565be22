//! A change request's page: what it changes and why, its comments, and the forms to comment,
//! approve (with an optional note) or reject (with a required reason). A refused form is shown
//! again with what was typed and the message beside the field.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::html;
use rumbo_app::plan::docs::ChangeRequestDoc;
use serde_json::Value;

use super::forms::{done, Choices, Kind, Vals};
use super::pages::date_text;
use super::PlanCx;
use crate::http::ctx::{Ctx, FormData};
use crate::view::changes::plan_changes;
use crate::view::{csrf_field, layout, Section};
use crate::{AppError, AppState};

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn day(ctx: &Ctx, v: &Value) -> String {
    match text(v).parse::<jiff::civil::Date>() {
        Ok(d) => date_text(ctx, d),
        Err(_) => text(v),
    }
}

/// The change request's page; `v` and `problems` re-fill a refused form.
pub async fn page(
    state: &AppState,
    ctx: &Ctx,
    cx: &PlanCx,
    id: i64,
    v: &Vals,
    problems: &[(String, String)],
) -> Result<Response, AppError> {
    let item = state.app.plan_item::<ChangeRequestDoc>(cx, id).await?;
    let choices = Choices::load(state, ctx, cx).await?;
    let d = &item.data;
    let code = &cx.programme().code;
    let base = format!("/programs/{code}/plan/change-requests/{id}");
    let proposed = d["status"] == "proposed";
    let may_decide = cx.may_decide_changes() && proposed;
    let err = |field: &str| {
        let msgs: Vec<&String> = problems
            .iter()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m)
            .collect();
        html! { @for m in msgs { span.error id={ "err-" (field) } role="alert" { (m) } } }
    };
    let invalid = |field: &str| problems.iter().any(|(f, _)| f == field).then_some("true");
    let body = html! {
        p { a href={ "/programs/" (code) "/plan#coordination" } { (ctx.t("plan.back")) } }
        @if !problems.is_empty() {
            div.problems role="alert" {
                p { (ctx.t("form.has_errors")) }
                ul { @for (_, m) in problems { li { (m) } } }
            }
        }
        dl.facts {
            dt { (ctx.t("pf.change_requests.kind")) }
            dd { (ctx.t(&format!("pf.opt.change_kind.{}", text(&d["kind"])))) }
            dt { (ctx.t("pf.change_requests.reason")) } dd { (text(&d["reason"])) }
            dt { (ctx.t("pf.change_requests.impact")) } dd { (text(&d["impact"])) }
            dt { (ctx.t("pf.change_requests.requested_by")) }
            dd { (super::forms::shown(ctx, Kind::ChangeRequest, &choices, "requested_by", d)) }
            dt { (ctx.t("pf.change_requests.status")) }
            dd { span class={ "badge change-" (text(&d["status"])) } { (ctx.t(&format!("plan.change.status.{}", text(&d["status"])))) } }
            @if !d["decided_on"].is_null() {
                dt { (ctx.t("pf.change_requests.decided")) }
                dd { (day(ctx, &d["decided_on"])) " · " (super::forms::shown(ctx, Kind::Decision, &choices, "decided_by", d)) }
            }
            @if let Some(n) = d["decision_note"].as_str() {
                dt { (ctx.t("pf.change_requests.decision_note")) } dd { (n) }
            }
        }
        h2 { (ctx.t("pf.change_requests.changes")) }
        (plan_changes(ctx, &d["changes"], &choices.names))
        h2 { (ctx.t("pf.change_requests.comments")) }
        @let comments = d["comments"].as_array().map(Vec::as_slice).unwrap_or_default();
        @if comments.is_empty() { p { (ctx.t("pf.change_requests.no_comments")) } }
        ul.comments { @for c in comments { li {
            strong { (super::forms::shown(ctx, Kind::Decision, &choices, "decided_by", &serde_json::json!({ "decided_by": c["by"] }))) }
            " · " (day(ctx, &c["on"])) ": " (text(&c["text"]))
        } } }
        @if cx.may_update() {
            form.plan-form method="post" action={ (base) "/comment" } novalidate {
                (csrf_field(ctx))
                div.field {
                    label for="comment" { (ctx.t("pf.change_requests.comment")) " *" }
                    textarea id="comment" name="comment" rows="3" aria-invalid=[invalid("comment")] { (v.get("comment")) }
                    (err("comment"))
                }
                button type="submit" { (ctx.t("pf.change_requests.add_comment")) }
            }
        }
        @if may_decide {
            h2 { (ctx.t("pf.change_requests.decide")) }
            div.grid {
                form.plan-form method="post" action={ (base) "/approve" } novalidate {
                    (csrf_field(ctx))
                    div.field {
                        label for="approve-reason" { (ctx.t("pf.change_requests.approve_note")) }
                        textarea id="approve-reason" name="reason" rows="2" { (v.get("approve_reason")) }
                    }
                    button type="submit" { (ctx.t("plan.change.approve")) }
                }
                form.plan-form method="post" action={ (base) "/reject" } novalidate {
                    (csrf_field(ctx))
                    div.field {
                        label for="reason" { (ctx.t("pf.change_requests.reject_reason")) " *" }
                        textarea id="reason" name="reason" rows="2" aria-invalid=[invalid("reason")] { (v.get("reason")) }
                        (err("reason"))
                    }
                    button.danger type="submit" { (ctx.t("plan.change.reject")) }
                }
            }
        }
    };
    let title = ctx.tf(
        "pf.change_requests.title",
        &[(
            "kind",
            ctx.t(&format!("pf.opt.change_kind.{}", text(&d["kind"]))),
        )],
    );
    let page = layout(ctx, Section::Planning, &title, body);
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, page).into_response())
}

/// Approves, rejects or comments on change request `id`; a refusal shows the page again with
/// the input and the message.
pub async fn decide(
    state: &AppState,
    ctx: &Ctx,
    cx: &PlanCx,
    id: i64,
    action: &str,
    form: &FormData,
) -> Result<Response, AppError> {
    let who = ctx.principal()?;
    let app = &state.app;
    let r = match action {
        "approve" => app
            .approve_change_noted(&who, cx, id, form.opt("reason").as_deref())
            .await
            .map(|_| "approved"),
        "reject" => app
            .reject_change_because(&who, cx, id, form.get("reason"))
            .await
            .map(|_| "rejected"),
        _ => app
            .comment_change(&who, cx, id, form.get("comment"))
            .await
            .map(|_| "commented"),
    };
    let e = match r {
        Ok(what) => return Ok(done(cx, Kind::ChangeRequest, what, &[])),
        Err(e) => e,
    };
    let problems = match e {
        rumbo_app::Error::Invalid(i) | rumbo_app::Error::Conflict(i) => {
            i.0.iter()
                .map(|x| (x.field.to_string(), ctx.t(x.key).to_string()))
                .collect::<Vec<_>>()
        }
        rumbo_app::Error::Cycle(path) => vec![(
            "reason".to_string(),
            ctx.tf("error.workplan.cycle_path", &[("cycle", &path.join(" → "))]),
        )],
        other => return Err(other.into()),
    };
    let mut v = Vals::default();
    match action {
        "comment" => v.set("comment".into(), form.get("comment").into()),
        "reject" => v.set("reason".into(), form.get("reason").into()),
        _ => v.set("approve_reason".into(), form.get("reason").into()),
    }
    page(state, ctx, cx, id, &v, &problems).await
}
