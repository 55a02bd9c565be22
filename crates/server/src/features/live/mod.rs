//! The wallboard: a programme's queues now — calls waiting, the longest wait, agents by state,
//! today's offered, answered, abandoned and service level against the programme's targets
//! (colour and a word), per-agent state and counts for supervisors, the day's abandoned calls
//! for callback — as a page (`/programs/{code}/live`; `?tv=1` for a television across the
//! room) and as JSON with a server-sent event stream (in [`api`]).
//!
//! The page works without JavaScript (it reloads itself every few seconds); with it, a small
//! script (`/static/live.js`, the only script Rumbo serves) listens to the event stream and
//! fetches the board again when the live state changes. The page's own security policy
//! allows that script and that connection; every other page keeps the policy without script.

pub mod api;

use axum::extract::{Query, State};
use axum::http::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup, PreEscaped, DOCTYPE};
use rumbo_app::live::{LiveAgentState, LiveBoard, LiveQueue, LiveSettings};
use rumbo_domain::plan::objectives::Rag;
use serde::Deserialize;

use crate::http::access::{ProgrammeAccess, Read, Update};
use crate::http::ctx::{Ctx, Form};
use crate::http::error::AppError;
use crate::view::i18n::Lang;
use crate::view::{csrf_field, field_errors, fmt_dec, fmt_instant, layout, redirect, Section};
use crate::AppState;

pub use api::api_router;

/// Seconds between reloads of the page without JavaScript.
pub const REFRESH_S: u32 = 15;

/// The wallboard page's policy: the site's one script and its event stream are allowed.
pub const CSP: &str =
    "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
     script-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'";

const SCRIPT: &str = include_str!("live.js");

pub fn page_router() -> Router<AppState> {
    Router::new()
        .route("/static/live.js", get(script))
        .route("/programs/{code}/live", get(board_page))
        // The same stream as the API's, for the page's script (signed in by its session).
        .route("/programs/{code}/live/events", get(api::events))
        .route("/programs/{code}/live/settings", post(settings_form))
}

async fn script() -> impl IntoResponse {
    ([(CONTENT_TYPE, "text/javascript; charset=utf-8")], SCRIPT)
}

#[derive(Debug, Default, Deserialize)]
pub struct BoardQuery {
    /// `1`: full screen for a television.
    #[serde(default)]
    tv: Option<String>,
    /// `1`: only the board (what the script fetches).
    #[serde(default)]
    fragment: Option<String>,
}

fn flag(v: &Option<String>) -> bool {
    matches!(v.as_deref(), Some("1") | Some("true") | Some("yes"))
}

/// `mm:ss`, or `h:mm:ss` from an hour on.
pub(crate) fn duration(s: i64) -> String {
    let s = s.max(0);
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

pub(crate) fn rag_str(r: Option<Rag>) -> &'static str {
    match r {
        Some(Rag::Green) => "green",
        Some(Rag::Amber) => "amber",
        Some(Rag::Red) => "red",
        None => "none",
    }
}

/// The word beside a colour (never colour alone).
pub(crate) fn rag_word(ctx: &Ctx, r: Option<Rag>) -> &'static str {
    ctx.t(&format!("live.rag.{}", rag_str(r)))
}

fn pct(l: Lang, v: Option<f64>) -> String {
    v.map(|v| format!("{} %", fmt_dec(l, v, 1)))
        .unwrap_or_else(|| "—".into())
}

fn secs(v: Option<f64>) -> String {
    v.map(|v| duration(v.round() as i64))
        .unwrap_or_else(|| "—".into())
}

fn state_word(ctx: &Ctx, s: LiveAgentState) -> &'static str {
    ctx.t(&format!("live.state.{}", s.as_str()))
}

fn queue_tile(ctx: &Ctx, q: &LiveQueue, board: &LiveBoard) -> Markup {
    let l = ctx.lang;
    let name = q
        .queue
        .clone()
        .unwrap_or_else(|| ctx.t("live.total").to_string());
    let wait_class = if q.waiting_over_limit { "red" } else { "green" };
    let wait_word = if q.waiting_over_limit {
        ctx.t("live.waiting_over")
    } else {
        ctx.t("live.waiting_ok")
    };
    let target = board
        .sl_target
        .as_ref()
        .map(|t| format!("{} %", fmt_dec(l, t.target, 0)));
    html! {
        section.tile aria-label=(name) data-queue=(name) {
            h2 { (name) }
            div.figures {
                div class={ "fig rag-" (wait_class) } data-fig="waiting" {
                    span.label { (ctx.t("live.waiting")) }
                    span.big { (q.waiting) }
                    span.word { (wait_word) }
                }
                div.fig data-fig="longest" {
                    span.label { (ctx.t("live.longest_wait")) }
                    span.big { (duration(q.longest_wait_s)) }
                }
                div class={ "fig rag-" (rag_str(q.sl_rag)) } data-fig="sl" {
                    span.label { (ctx.tf("live.service_level", &[("t", &board.sl_threshold_s.to_string())])) }
                    span.big { (pct(l, q.service_level)) }
                    span.word {
                        (rag_word(ctx, q.sl_rag))
                        @if let Some(t) = &target { " · " (ctx.tf("live.target", &[("target", t)])) }
                    }
                }
                div class={ "fig rag-" (rag_str(q.abandon_rag)) } data-fig="abandon" {
                    span.label { (ctx.t("live.abandon_rate")) }
                    span.big { (pct(l, q.abandon_rate)) }
                    span.word { (rag_word(ctx, q.abandon_rag)) }
                }
            }
            dl.counts {
                div { dt { (ctx.t("live.offered")) } dd data-fig="offered" { (q.counters.offered) } }
                div { dt { (ctx.t("live.answered")) } dd data-fig="answered" { (q.counters.answered) } }
                div { dt { (ctx.t("live.abandoned")) } dd data-fig="abandoned" { (q.counters.abandoned) } }
                div { dt { (ctx.t("live.exits")) } dd { (q.counters.exits) } }
                div { dt { (ctx.t("live.asa")) } dd { (secs(q.asa_s)) } }
                div { dt { (ctx.t("live.aht")) } dd { (secs(q.aht_s)) } }
            }
            ul.agents aria-label=(ctx.t("live.agents_by_state")) {
                @for (s, n) in &q.agents {
                    li class={ "st-" (s.as_str()) } data-state=(s.as_str()) { span.n { (n) } " " (state_word(ctx, *s)) }
                }
            }
        }
    }
}

/// The board itself (what the script replaces when the state changes).
fn board_markup(ctx: &Ctx, b: &LiveBoard) -> Markup {
    let stale = b.updated_at.is_none_or(|u| b.now - u > 120);
    html! {
        p.live-status data-version=(b.version) {
            @if let Some(u) = b.updated_at {
                (ctx.tf("live.updated", &[("at", &fmt_instant(ctx, u, &b.time_zone))]))
                " · " (ctx.t(&format!("live.source.{}", b.source.as_deref().unwrap_or("none"))))
            } @else {
                (ctx.t("live.no_data"))
            }
            @if stale && b.updated_at.is_some() { " · " strong.stale { (ctx.t("live.stale")) } }
        }
        div.tiles {
            @for q in &b.queues { (queue_tile(ctx, q, b)) }
            @if b.queues.len() != 1 { (queue_tile(ctx, &b.total, b)) }
        }
        @if let Some(agents) = &b.agents {
            h2 { (ctx.t("live.agents")) }
            @if agents.is_empty() {
                p { (ctx.t("live.no_agents")) }
            } @else {
                table.agents-table {
                    thead { tr {
                        th scope="col" { (ctx.t("live.agent")) }
                        th scope="col" { (ctx.t("live.state")) }
                        th scope="col" { (ctx.t("live.in_state")) }
                        th scope="col" { (ctx.t("live.queues")) }
                        th scope="col" { (ctx.t("live.answered")) }
                        th scope="col" { (ctx.t("live.missed")) }
                        th scope="col" { (ctx.t("live.talk")) }
                    } }
                    tbody {
                        @for a in agents {
                            tr data-agent=(a.name) {
                                td { (a.name) }
                                td class={ "st-" (a.state.as_str()) } {
                                    (state_word(ctx, a.state))
                                    @if let Some(r) = &a.pause_reason { " (" (r) ")" }
                                }
                                td { (duration(a.in_state_s)) }
                                td { (a.queues.join(", ")) }
                                td { (a.answered) }
                                td { (a.missed) }
                                td { (duration(a.talk_s)) }
                            }
                        }
                    }
                }
            }
        }
        h2 { (ctx.t("live.callbacks")) }
        @if b.abandoned.is_empty() {
            p { (ctx.t("live.no_callbacks")) }
        } @else {
            table.callbacks {
                thead { tr {
                    th scope="col" { (ctx.t("live.at")) }
                    th scope="col" { (ctx.t("live.queue")) }
                    th scope="col" { (ctx.t("live.waited")) }
                    th scope="col" { (ctx.t("live.number")) }
                } }
                tbody {
                    @for a in &b.abandoned {
                        tr {
                            td { (fmt_instant(ctx, a.at, &b.time_zone).rsplit(' ').next().unwrap_or_default()) }
                            td { (a.queue) }
                            td { (duration(a.wait_s)) }
                            td { (a.number.clone().unwrap_or_else(|| ctx.t("live.no_number").to_string())) }
                        }
                    }
                }
            }
            @if !b.abandoned.first().is_some_and(|a| a.full) { p.hint { (ctx.t("live.masked")) } }
        }
    }
}

const STYLE: &str = r#"
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(22rem,1fr));gap:1rem}
.tile{border:2px solid #888;border-radius:.5rem;padding:.75rem;background:#fff}
.tile h2{margin:.1rem 0 .5rem}
.figures{display:grid;grid-template-columns:repeat(2,1fr);gap:.5rem}
.fig{border-radius:.4rem;padding:.4rem;border:2px solid #bbb;display:flex;flex-direction:column}
.fig .big{font-size:2.4rem;font-weight:700;line-height:1.1}
.fig .word{font-weight:600}
.rag-green{background:#e3f4e1;border-color:#1e7b1e}
.rag-amber{background:#fff1cc;border-color:#9a6a00}
.rag-red{background:#fde0df;border-color:#b3261e}
.rag-none{background:#f3f3f3}
.counts{display:grid;grid-template-columns:repeat(3,1fr);gap:.25rem;margin:.5rem 0}
.counts div{display:flex;flex-direction:column}.counts dt{font-size:.85rem}.counts dd{margin:0;font-size:1.4rem;font-weight:700}
ul.agents{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.5rem}
ul.agents li{border:1px solid #999;border-radius:1rem;padding:.1rem .6rem}
ul.agents .n{font-weight:700}
.stale{color:#b3261e}
body.tv{background:#111;color:#f5f5f5;margin:0;padding:1rem;font-size:1.35rem}
body.tv h1{font-size:2.4rem;margin:.2rem 0}
body.tv .tile{background:#1d1d1d;border-color:#555}
body.tv .fig .big{font-size:4.2rem}
body.tv .counts dd{font-size:2.2rem}
body.tv .rag-green{background:#0f3d12;border-color:#5cd65c}
body.tv .rag-amber{background:#4a3600;border-color:#ffc733}
body.tv .rag-red{background:#5a0f0c;border-color:#ff6b60}
body.tv .rag-none{background:#2a2a2a}
body.tv table{color:#f5f5f5}
body.tv a{color:#9cf}
"#;

async fn board_page(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Read>,
    Query(q): Query<BoardQuery>,
) -> Result<Response, AppError> {
    let p = &access.programme;
    let b = state
        .app
        .live_board(&ctx.principal()?, &p.code, rumbo_store_now())
        .await?;
    let tv = flag(&q.tv);
    let events = format!("/programs/{}/live/events", p.code);
    let fragment = format!(
        "/programs/{}/live?fragment=1{}",
        p.code,
        if tv { "&tv=1" } else { "" }
    );
    let board = html! {
        div #board data-events=(events) data-fragment=(fragment) aria-live="polite" {
            (board_markup(&ctx, &b))
        }
    };
    let markup = if flag(&q.fragment) {
        board
    } else if tv {
        let title = ctx.tf("live.title_of", &[("code", &p.code)]);
        html! {
            (DOCTYPE)
            html lang=(ctx.lang.html_lang()) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    noscript { meta http-equiv="refresh" content=(REFRESH_S); }
                    title { (title) " · Rumbo" }
                    link rel="stylesheet" href="/static/app.css";
                    style { (PreEscaped(STYLE)) }
                    script src="/static/live.js" defer {}
                }
                body.tv {
                    main id="main" {
                        h1 { (p.name) " · " (ctx.t("live.title")) }
                        (board)
                        p { a href={ "/programs/" (p.code) "/live" } { (ctx.t("live.exit_tv")) } }
                    }
                }
            }
        }
    } else {
        let settings = settings_form_markup(&ctx, &p.code, &b.settings, &[]);
        page(&ctx, &p.code, board, settings)
    };
    Ok(with_policy(markup.into_response()))
}

fn page(ctx: &Ctx, code: &str, board: Markup, settings: Markup) -> Markup {
    let body = html! {
        noscript { meta http-equiv="refresh" content=(REFRESH_S); }
        style { (PreEscaped(STYLE)) }
        script src="/static/live.js" defer {}
        nav.tabs aria-label=(ctx.t("live.title")) {
            a href={ "/programs/" (code) } { "← " (code) }
            " · " a href={ "/programs/" (code) "/control" } { (ctx.t("control.kpis")) }
            " · " a href={ "/programs/" (code) "/alarms" } { (ctx.t("alarm.title")) }
            " · " a href={ "/programs/" (code) "/live?tv=1" } { (ctx.t("live.tv")) }
        }
        p.hint { (ctx.tf("live.refresh", &[("s", &REFRESH_S.to_string())])) }
        (board)
        (settings)
    };
    layout(
        ctx,
        Section::Control,
        &ctx.tf("live.title_of", &[("code", code)]),
        body,
    )
}

fn with_policy(mut res: Response) -> Response {
    res.headers_mut()
        .insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    res
}

fn rumbo_store_now() -> i64 {
    jiff::Timestamp::now().as_second()
}

fn settings_form_markup(
    ctx: &Ctx,
    code: &str,
    s: &LiveSettings,
    errors: &[rumbo_domain::Invalid],
) -> Markup {
    html! {
        details open[!errors.is_empty()] {
            summary { (ctx.t("live.settings")) }
            form method="post" action={ "/programs/" (code) "/live/settings" } {
                (csrf_field(ctx))
                div.field {
                    label for="queue_log" { (ctx.t("live.settings.queue_log")) }
                    input id="queue_log" name="queue_log" type="text" value=(s.queue_log.clone().unwrap_or_default());
                    (field_errors(ctx, errors, "queue_log"))
                }
                div.field {
                    label for="sl_breach_minutes" { (ctx.t("live.settings.sl_breach_minutes")) }
                    input id="sl_breach_minutes" name="sl_breach_minutes" type="text" inputmode="numeric" value=(s.sl_breach_minutes);
                    (field_errors(ctx, errors, "sl_breach_minutes"))
                }
                div.field {
                    label for="waiting_limit" { (ctx.t("live.settings.waiting_limit")) }
                    input id="waiting_limit" name="waiting_limit" type="text" inputmode="numeric" value=(s.waiting_limit);
                    (field_errors(ctx, errors, "waiting_limit"))
                }
                button type="submit" { (ctx.t("live.settings.save")) }
            }
        }
    }
}

/// The settings as typed: a number that does not parse is kept as 0 (refused by the check),
/// so the form comes back with the message beside its field.
fn settings_of_form(f: &crate::http::ctx::FormData) -> LiveSettings {
    let num = |k: &str| f.get(k).trim().parse::<u32>().unwrap_or(0);
    LiveSettings {
        queue_log: f.opt("queue_log"),
        sl_breach_minutes: num("sl_breach_minutes"),
        waiting_limit: num("waiting_limit"),
    }
}

async fn settings_form(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Update>,
    Form(f): Form,
) -> Result<Response, AppError> {
    let code = access.programme.code.clone();
    let s = settings_of_form(&f);
    match state
        .app
        .save_live_settings(&ctx.principal()?, &code, s.clone())
        .await
    {
        Ok(_) => Ok(redirect(&format!("/programs/{code}/live"))),
        Err(e) => match AppError::from(e) {
            e @ AppError::Invalid(_) => {
                let b = state
                    .app
                    .live_board(&ctx.principal()?, &code, rumbo_store_now())
                    .await?;
                let board = html! { div #board { (board_markup(&ctx, &b)) } };
                let form = settings_form_markup(&ctx, &code, &s, e.invalids());
                let page = page(&ctx, &code, board, form);
                Ok(with_policy((e.status(), page).into_response()))
            }
            e => Err(e),
        },
    }
}
