//! The control loop in the browser and the API: the cockpit (the home page after login), the
//! alarms of a programme with their lifecycle, evidence and rules.
//!
//! Pages: `/` (cockpit), `/programs/{code}/alarms` (list, evaluate now, rules),
//! `/programs/{code}/alarms/{id}` (what, when, how big, the evidence link; acknowledge,
//! resolve, reopen, assign), and the corrective actions of [`actions`]. API (in [`api`]): `GET /cockpit`, `GET /programs/{code}/alarms`,
//! `POST /programs/{code}/alarms/evaluate`, `GET|PATCH /programs/{code}/alarms/{id}`,
//! `GET|PUT /programs/{code}/alarm-rules`. Every status is shown as a word beside its colour.

pub mod actions;
pub mod api;

use axum::extract::{Path as UrlPath, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use jiff::tz::TimeZone;
use maud::{html, Markup, PreEscaped};
use rumbo_app::control::{Alarm, AlarmChange, AlarmRules, CockpitProgramme, KpiStatus};
use rumbo_app::model::Programme;
use rumbo_domain::plan::budget::Currency;

use crate::http::access::{ProgrammeAccess, Read, Update};
use crate::http::ctx::{Ctx, Form};
use crate::http::error::AppError;
use crate::view::i18n::Lang;
use crate::view::{
    csrf_field, fmt_date, fmt_dec, fmt_instant, layout, money_text, redirect, Section,
};
use crate::AppState;

pub fn page_router() -> Router<AppState> {
    Router::new()
        .route("/", get(cockpit_page))
        .route("/programs/{code}/alarms", get(alarms_page))
        .route("/programs/{code}/alarms/evaluate", post(evaluate_form))
        .route("/programs/{code}/alarms/rules", post(rules_form))
        .route(
            "/programs/{code}/alarms/{id}",
            get(alarm_page).post(alarm_form),
        )
        .merge(actions::page_router())
}

pub use api::api_router;

/// Kinds whose period is a span of days (dates are shown, not times).
fn dated(kind: &str) -> bool {
    matches!(
        kind,
        "drift" | "overdue" | "slip" | "milestone_at_risk" | "budget_overrun"
    )
}

/// When: the period in the programme's time zone.
pub(crate) fn period_text(ctx: &Ctx, a: &Alarm, tz: &str) -> String {
    if dated(&a.kind) {
        let zone = TimeZone::get(tz).unwrap_or(TimeZone::UTC);
        let day = |ts: i64| {
            jiff::Timestamp::from_second(ts)
                .map(|t| fmt_date(ctx, &t.to_zoned(zone.clone()).date()))
                .unwrap_or_default()
        };
        format!("{} – {}", day(a.period_start), day(a.period_end - 1))
    } else if a.period_start == a.period_end {
        fmt_instant(ctx, a.period_start, tz)
    } else {
        format!(
            "{} – {}",
            fmt_instant(ctx, a.period_start, tz),
            fmt_instant(ctx, a.period_end, tz)
                .rsplit(' ')
                .next()
                .unwrap_or_default()
        )
    }
}

fn signed_pct(l: Lang, share: f64) -> String {
    let s = fmt_dec(l, share * 100.0, 0);
    if share > 0.0 {
        format!("+{s} %")
    } else {
        format!("{s} %")
    }
}

/// An amount in minor units of `code` as money text.
fn money(ctx: &Ctx, minor: f64, code: &str) -> String {
    let decimals = Currency::parse(code).map(|c| c.decimals()).unwrap_or(0);
    let v = minor / 10f64.powi(decimals as i32);
    let text = money_text(ctx, &format!("{v:.prec$}", prec = decimals as usize));
    if code == "CLP" {
        text
    } else {
        format!("{text} {code}")
    }
}

/// What and how big, in a sentence of the catalogue.
pub(crate) fn what_text(ctx: &Ctx, a: &Alarm) -> String {
    let l = ctx.lang;
    let metric = match a.kind.as_str() {
        "target_breach" => ctx.t(&format!("kpi.{}", a.metric)).to_string(),
        _ => a.metric.clone(),
    };
    let (observed, expected, magnitude) = match a.kind.as_str() {
        "target_breach" => (
            fmt_dec(l, a.observed, 1),
            fmt_dec(l, a.expected, 1),
            fmt_dec(l, a.magnitude, 1),
        ),
        "volume_anomaly" | "forecast_deviation" => (
            fmt_dec(l, a.observed, 0),
            fmt_dec(l, a.expected, 0),
            signed_pct(l, a.magnitude),
        ),
        "drift" => (
            fmt_dec(l, a.observed, 0),
            fmt_dec(l, a.expected, 0),
            signed_pct(l, a.magnitude),
        ),
        "budget_overrun" => (
            money(ctx, a.observed, &a.metric),
            money(ctx, a.expected, &a.metric),
            money(ctx, a.magnitude, &a.metric),
        ),
        "rejected_share" => (
            fmt_dec(l, a.observed * 100.0, 1),
            fmt_dec(l, a.expected * 100.0, 1),
            fmt_dec(l, a.magnitude * 100.0, 1),
        ),
        _ => (
            fmt_dec(l, a.observed, 0),
            fmt_dec(l, a.expected, 0),
            fmt_dec(l, a.magnitude, 1),
        ),
    };
    ctx.tf(
        &format!("alarm.what.{}", a.kind),
        &[
            ("metric", &metric),
            ("subject", &a.subject),
            ("observed", &observed),
            ("expected", &expected),
            ("magnitude", &magnitude),
            ("score", &fmt_dec(l, a.score, 0)),
        ],
    )
}

/// The page that shows the evidence behind an alarm: the figures of its intervals, the plan's
/// work plan or budget, or the import's data-quality report.
pub(crate) fn evidence_href(code: &str, a: &Alarm, tz: &str) -> String {
    let zone = TimeZone::get(tz).unwrap_or(TimeZone::UTC);
    let day = |ts: i64| {
        jiff::Timestamp::from_second(ts)
            .map(|t| t.to_zoned(zone.clone()).date().to_string())
            .unwrap_or_default()
    };
    match a.kind.as_str() {
        "overdue" | "slip" | "milestone_at_risk" => format!("/programs/{code}/plan#work-plan"),
        "budget_overrun" => format!("/programs/{code}/plan#budget"),
        "rejected_share" => format!("/programs/{code}/imports/{}", a.subject),
        "live_service_level" | "live_waiting" => format!("/programs/{code}/live"),
        "drift" => format!(
            "/programs/{code}/control?by=day&from={}&to={}",
            day(a.period_start),
            day(a.period_end - 1)
        ),
        _ => format!(
            "/programs/{code}/control?by=15m&from={}&to={}",
            day(a.period_start),
            day(a.period_end - 1)
        ),
    }
}

fn status_word(ctx: &Ctx, a: &Alarm) -> Markup {
    let s = a.status.as_str();
    html! { span class={ "badge alarm-" (s) } { (ctx.t(&format!("alarm.status.{s}"))) } }
}

fn rag_badge(ctx: &Ctx, k: &KpiStatus) -> Markup {
    html! {
        @match k.rag {
            Some(r) => span class={ "badge rag-" (r.as_str()) } { (ctx.t(&format!("control.rag.{}", r.as_str()))) },
            None => span { (ctx.t("control.not_measured")) },
        }
    }
}

/// The direction of a KPI's daily trend: the last three days against the first three,
/// judged by whether higher is better.
fn trend_key(k: &KpiStatus) -> &'static str {
    let vals: Vec<f64> = k.trend.iter().flatten().copied().collect();
    if vals.len() < 4 {
        return "cockpit.trend.unknown";
    }
    let n = vals.len().min(6) / 2;
    let first: f64 = vals[..n].iter().sum::<f64>() / n as f64;
    let last: f64 = vals[vals.len() - n..].iter().sum::<f64>() / n as f64;
    let scale = first.abs().max(1e-9);
    let change = (last - first) / scale;
    if change.abs() < 0.02 {
        "cockpit.trend.flat"
    } else if (change > 0.0) == k.higher_is_better {
        "cockpit.trend.better"
    } else {
        "cockpit.trend.worse"
    }
}

fn trend_arrow(k: &KpiStatus) -> &'static str {
    let vals: Vec<f64> = k.trend.iter().flatten().copied().collect();
    match (vals.first(), vals.last()) {
        (Some(a), Some(b)) if b > a => "↗",
        (Some(a), Some(b)) if b < a => "↘",
        _ => "→",
    }
}

fn programme_card(ctx: &Ctx, c: &CockpitProgramme) -> Markup {
    let p = &c.programme;
    let l = ctx.lang;
    let control_href = match c.period {
        Some((from, to)) => format!("/programs/{}/control?by=day&from={from}&to={to}", p.code),
        None => format!("/programs/{}/control", p.code),
    };
    html! {
        section.card.cockpit id={ "p-" (p.code) } {
            h2 { a href={ "/programs/" (p.code) } { (p.code) } " · " (p.name) }
            @if let Some((from, to)) = c.period {
                p.notice { (ctx.tf("cockpit.period", &[("from", &fmt_date(ctx, &from)), ("to", &fmt_date(ctx, &to))])) }
            }
            h3 { (ctx.t("cockpit.kpis")) }
            @if c.kpis.is_empty() {
                p { (ctx.t("cockpit.no_kpis")) " " a href={ "/programs/" (p.code) "/plan#objectives" } { (ctx.t("cockpit.to_plan")) } }
            } @else {
                table {
                    thead { tr {
                        th scope="col" { (ctx.t("control.indicator")) }
                        th.num scope="col" { (ctx.t("control.target")) }
                        th.num scope="col" { (ctx.t("control.actual")) }
                        th scope="col" { (ctx.t("control.status")) }
                        th scope="col" { (ctx.t("cockpit.trend")) }
                        th scope="col" { (ctx.t("cockpit.evidence")) }
                    } }
                    tbody { @for k in &c.kpis { tr {
                        td { (ctx.t(&format!("kpi.{}", k.indicator))) }
                        td.num { (if k.higher_is_better { "≥ " } else { "≤ " }) (fmt_dec(l, k.target, 1)) " (± " (fmt_dec(l, k.tolerance, 1)) ")" }
                        td.num { (k.actual.map(|a| fmt_dec(l, a, 1)).unwrap_or_else(|| "—".into())) }
                        td { (rag_badge(ctx, k)) }
                        td { span aria-hidden="true" { (trend_arrow(k)) " " } (ctx.t(trend_key(k))) }
                        td { a href=(control_href) { (ctx.t("cockpit.figures")) } }
                    } } }
                }
            }
            h3 { (ctx.t("cockpit.alarms")) " (" (c.alarms.len()) ")" }
            @if c.alarms.is_empty() {
                p { (ctx.t("cockpit.no_alarms")) }
            } @else {
                ul.alarms { @for a in c.alarms.iter().take(8) {
                    li {
                        (status_word(ctx, a)) " "
                        a href={ "/programs/" (p.code) "/alarms/" (a.id) } { (ctx.t(&format!("alarm.kind.{}", a.kind))) }
                        " · " (period_text(ctx, a, &p.time_zone)) " · " (what_text(ctx, a))
                    }
                } }
            }
            p { a href={ "/programs/" (p.code) "/alarms" } { (ctx.t("cockpit.all_alarms")) } }
            h3 { (ctx.t("cockpit.overdue")) }
            @if c.overdue.is_empty() {
                p { (ctx.t("cockpit.no_overdue")) }
            } @else {
                ul { @for o in &c.overdue {
                    li { a href={ "/programs/" (p.code) "/plan#work-plan" } { (o.id) " " (o.name) } " · "
                        (ctx.tf("cockpit.overdue_line", &[("date", &fmt_date(ctx, &o.finish)), ("days", &o.days_late.to_string()), ("progress", &o.progress.to_string())])) }
                } }
            }
            h3 { (ctx.t("cockpit.budget")) }
            @match &c.budget {
                None => p { (ctx.t("cockpit.no_budget")) },
                Some(b) => {
                    @let burn = if b.planned_to_date > 0 { b.actual_to_date as f64 / b.planned_to_date as f64 } else { 0.0 };
                    @let over = b.projected_total > b.planned_total;
                    p {
                        (ctx.tf("cockpit.budget_line", &[
                            ("actual", &money(ctx, b.actual_to_date as f64, b.currency)),
                            ("planned", &money(ctx, b.planned_to_date as f64, b.currency)),
                            ("burn", &fmt_dec(l, burn * 100.0, 0)),
                            ("projected", &money(ctx, b.projected_total as f64, b.currency)),
                            ("total", &money(ctx, b.planned_total as f64, b.currency)),
                        ]))
                        " "
                        @if over { span.badge.rag-red { (ctx.t("cockpit.budget_over")) } }
                        @else { span.badge.rag-green { (ctx.t("cockpit.budget_ok")) } }
                        " " a href={ "/programs/" (p.code) "/plan#budget" } { (ctx.t("cockpit.evidence")) }
                    }
                }
            }
            h3 { (ctx.t("action.title")) }
            @if c.actions.is_empty() {
                p { (ctx.t("action.none")) }
            } @else {
                ul { @for a in &c.actions {
                    li { a href={ "/programs/" (p.code) "/actions/" (a.id) } { (a.data["action"].as_str().unwrap_or_default()) } " · "
                        (ctx.t(&format!("action.status.{}", a.data["status"].as_str().unwrap_or_default())))
                        @if let Some(v) = a.data["effect"]["verdict"].as_str() { " · " strong { (ctx.t(&format!("action.verdict.{v}"))) } } }
                } }
            }
            h3 { (ctx.t("cockpit.milestones")) }
            @if c.milestones.is_empty() {
                p { (ctx.t("cockpit.no_milestones")) }
            } @else {
                ul { @for m in &c.milestones {
                    li { (m.name) " · " (fmt_date(ctx, &m.date)) " "
                        @if m.at_risk { span.badge.rag-red { (ctx.t("cockpit.at_risk")) } }
                        @else { span.badge.rag-green { (ctx.t("cockpit.on_track")) } } }
                } }
            }
        }
    }
}

async fn cockpit_page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    if ctx.user().is_err() {
        return Ok(redirect("/login"));
    }
    let cockpit = state.app.cockpit(&ctx.principal()?).await?;
    // The cards are kept in the result cache under the cockpit's version and the language;
    // the layout around them (who is logged in, the CSRF token) is made for each request.
    let key = state.app.view_key_named(
        "cockpit-page",
        format!("{:?}|{}", ctx.lang, cockpit.version),
    );
    let cards = state
        .app
        .view_or_render(key, || async {
            Ok::<_, AppError>(
                html! {
                    p { (ctx.t("cockpit.intro")) }
                    @if cockpit.programmes.is_empty() {
                        p { (ctx.t("cockpit.empty")) " " a href="/programs" { (ctx.t("nav.programmes")) } }
                    }
                    @for c in &cockpit.programmes { (programme_card(&ctx, c)) }
                }
                .into_string(),
            )
        })
        .await?;
    let body = html! { (PreEscaped(cards.as_str())) };
    Ok(layout(&ctx, Section::Control, ctx.t("cockpit.title"), body).into_response())
}

fn tabs(ctx: &Ctx, p: &Programme) -> Markup {
    html! {
        nav.tabs aria-label=(ctx.t("control.title")) {
            a href={ "/programs/" (p.code) } { "← " (p.code) }
            " · " a href={ "/programs/" (p.code) "/control" } { (ctx.t("control.kpis")) }
            " · " a href={ "/programs/" (p.code) "/alarms" } { (ctx.t("alarm.title")) }
            " · " a href={ "/programs/" (p.code) "/actions" } { (ctx.t("action.title")) }
            " · " a href={ "/programs/" (p.code) "/live" } { (ctx.t("live.title")) }
        }
    }
}

fn rules_fields(ctx: &Ctx, r: &AlarmRules) -> Markup {
    let l = ctx.lang;
    let fields: [(&str, String); 9] = [
        ("window_days", r.window_days.to_string()),
        ("history_weeks", r.history_weeks.to_string()),
        ("min_volume", r.min_volume.to_string()),
        ("persistence", r.persistence.to_string()),
        ("anomaly_z", fmt_dec(l, r.anomaly_z, 1)),
        ("drift_h", fmt_dec(l, r.drift_h, 1)),
        ("gap_minutes", r.gap_minutes.to_string()),
        (
            "max_rejected_share",
            fmt_dec(l, r.max_rejected_share * 100.0, 1),
        ),
        (
            "budget_tolerance_pct",
            fmt_dec(l, r.budget_tolerance_pct, 1),
        ),
    ];
    html! {
        div.grid { @for (name, value) in fields {
            div.field {
                label for={ "rule-" (name) } { (ctx.t(&format!("alarm.rule.{name}"))) }
                input id={ "rule-" (name) } name=(name) type="text" inputmode="decimal" value=(value);
            }
        } }
    }
}

/// Parses the rules form; an unreadable number is an invalid field.
fn rules_of_form(f: &crate::http::ctx::FormData) -> Result<AlarmRules, AppError> {
    let num = |name: &'static str| -> Result<f64, AppError> {
        f.get(name)
            .trim()
            .replace(',', ".")
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| AppError::invalid(name, "error.alarm_rules.range"))
    };
    let int = |name: &'static str| -> Result<u64, AppError> {
        let v = num(name)?;
        if v.fract() == 0.0 && v <= u32::MAX as f64 {
            Ok(v as u64)
        } else {
            Err(AppError::invalid(name, "error.alarm_rules.range"))
        }
    };
    Ok(AlarmRules {
        window_days: int("window_days")? as u32,
        history_weeks: int("history_weeks")? as u32,
        min_volume: int("min_volume")?,
        persistence: int("persistence")? as usize,
        anomaly_z: num("anomaly_z")?,
        drift_h: num("drift_h")?,
        gap_minutes: int("gap_minutes")? as u32,
        max_rejected_share: num("max_rejected_share")? / 100.0,
        budget_tolerance_pct: num("budget_tolerance_pct")?,
    })
}

async fn alarms_page(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Read>,
) -> Result<Response, AppError> {
    let p = &access.programme;
    let who = ctx.principal()?;
    let alarms = state.app.alarms(&who, &p.code, false).await?;
    let rules = state.app.alarm_rules(&who, &p.code).await?;
    let title = format!("{} · {}", ctx.t("alarm.title"), p.code);
    let body = html! {
        (tabs(&ctx, p))
        form method="post" action={ "/programs/" (p.code) "/alarms/evaluate" } {
            (csrf_field(&ctx))
            button type="submit" { (ctx.t("alarm.evaluate")) }
        }
        @if alarms.is_empty() {
            p { (ctx.t("alarm.none")) }
        } @else {
            table {
                thead { tr {
                    th scope="col" { (ctx.t("alarm.kind")) }
                    th scope="col" { (ctx.t("alarm.when")) }
                    th scope="col" { (ctx.t("alarm.what")) }
                    th scope="col" { (ctx.t("alarm.status")) }
                } }
                tbody { @for a in &alarms { tr {
                    td { a href={ "/programs/" (p.code) "/alarms/" (a.id) } { (ctx.t(&format!("alarm.kind.{}", a.kind))) } }
                    td { (period_text(&ctx, a, &p.time_zone)) }
                    td { (what_text(&ctx, a)) }
                    td { (status_word(&ctx, a)) }
                } } }
            }
        }
        h2 { (ctx.t("alarm.rules")) " · " (ctx.tf("alarm.rules_version", &[("version", &rules.version.to_string())])) }
        form method="post" action={ "/programs/" (p.code) "/alarms/rules" } {
            (csrf_field(&ctx))
            (rules_fields(&ctx, &rules.rules))
            button type="submit" { (ctx.t("alarm.save_rules")) }
        }
    };
    Ok(layout(&ctx, Section::Control, &title, body).into_response())
}

async fn evaluate_form(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Update>,
    Form(_): Form,
) -> Result<Response, AppError> {
    let code = access.programme.code;
    state.app.evaluate_alarms(&ctx.principal()?, &code).await?;
    Ok(redirect(&format!("/programs/{code}/alarms")))
}

async fn rules_form(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Update>,
    Form(f): Form,
) -> Result<Response, AppError> {
    let code = access.programme.code;
    let rules = rules_of_form(&f)?;
    state
        .app
        .set_alarm_rules(&ctx.principal()?, &code, rules)
        .await?;
    Ok(redirect(&format!("/programs/{code}/alarms")))
}

async fn alarm_page(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Read>,
    UrlPath((_, id)): UrlPath<(String, i64)>,
) -> Result<Response, AppError> {
    let p = &access.programme;
    let a = state.app.alarm(&ctx.principal()?, &p.code, id).await?;
    let members = state.app.members(p).await?;
    let assignee = a
        .assignee_id
        .and_then(|id| members.iter().find(|m| m.0 == id))
        .map(|m| m.2.clone());
    let title = format!("{} · {}", ctx.t(&format!("alarm.kind.{}", a.kind)), p.code);
    let body = html! {
        (tabs(&ctx, p))
        dl {
            dt { (ctx.t("alarm.what")) } dd { (what_text(&ctx, &a)) }
            dt { (ctx.t("alarm.when")) } dd { (period_text(&ctx, &a, &p.time_zone)) }
            dt { (ctx.t("alarm.status")) } dd { (status_word(&ctx, &a))
                @if let Some(by) = &a.acknowledged_by { " · " (ctx.tf("alarm.acknowledged_by", &[("who", by)])) } }
            dt { (ctx.t("alarm.assignee")) } dd { (assignee.unwrap_or_else(|| ctx.t("alarm.nobody").to_string())) }
            dt { (ctx.t("alarm.raised")) } dd { (fmt_instant(&ctx, a.raised_at, &p.time_zone)) " · " (ctx.tf("alarm.rules_version", &[("version", &a.rules_version.to_string())])) }
        }
        p {
            a.button href=(evidence_href(&p.code, &a, &p.time_zone)) { (ctx.t("alarm.evidence")) } " "
            a.button href={ "/programs/" (p.code) "/actions/new?alarm=" (a.id) } { (ctx.t("action.new")) }
        }
        form method="post" action={ "/programs/" (p.code) "/alarms/" (a.id) } {
            (csrf_field(&ctx))
            div.field {
                label for="assignee_id" { (ctx.t("alarm.assignee")) }
                select id="assignee_id" name="assignee_id" {
                    option value="" { (ctx.t("alarm.keep_assignee")) }
                    option value="0" { (ctx.t("alarm.nobody")) }
                    @for m in &members { option value=(m.0) { (m.2) } }
                }
            }
            div.actions {
                button type="submit" name="status" value="" { (ctx.t("alarm.assign")) }
                @if a.status.as_str() == "open" { button type="submit" name="status" value="acknowledged" { (ctx.t("alarm.acknowledge")) } }
                @if a.status.as_str() != "resolved" { button type="submit" name="status" value="resolved" { (ctx.t("alarm.resolve")) } }
                @else { button type="submit" name="status" value="open" { (ctx.t("alarm.reopen")) } }
            }
        }
    };
    Ok(layout(&ctx, Section::Control, &title, body).into_response())
}

async fn alarm_form(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Update>,
    UrlPath((_, id)): UrlPath<(String, i64)>,
    Form(f): Form,
) -> Result<Response, AppError> {
    let code = access.programme.code;
    let assignee_id = match f.opt("assignee_id") {
        None => None,
        Some(v) => Some(
            v.parse::<i64>()
                .map_err(|_| AppError::invalid("assignee_id", "error.alarm.assignee"))?,
        ),
    };
    let change = AlarmChange {
        status: f.opt("status"),
        assignee_id,
    };
    state
        .app
        .change_alarm(&ctx.principal()?, &code, id, change)
        .await?;
    Ok(redirect(&format!("/programs/{code}/alarms/{id}")))
}
