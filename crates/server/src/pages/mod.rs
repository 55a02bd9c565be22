//! Server-rendered pages (maud). Each page is a function of the request context and view data;
//! every visible string comes from the catalogues.

mod admin;
pub(crate) mod login;
mod programmes;
mod sections;

use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use axum::Router;
use maud::{html, Markup, PreEscaped, DOCTYPE};
use rumbo_domain::access::Role;
use rumbo_domain::Invalid;

use crate::ctx::Ctx;
use crate::error::AppError;
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/programs") }))
        .route("/static/app.css", get(css))
        .merge(login::router())
        .merge(programmes::router())
        .merge(admin::router())
        .merge(sections::router())
        .merge(crate::wfm::page_router())
        .merge(crate::control::page_router())
        .merge(crate::mappings::page_router())
}

const CSS: &str = include_str!("../../static/app.css");

async fn css() -> impl IntoResponse {
    ([(CONTENT_TYPE, "text/css; charset=utf-8")], CSS)
}

/// Top-level navigation sections.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Programmes,
    Planning,
    Control,
    Reports,
    Admin,
    None,
}

/// The page frame: skip link, header with navigation and language switch, main, footer.
pub fn layout(ctx: &Ctx, section: Section, title: &str, body: Markup) -> Markup {
    let nav = [
        (Section::Programmes, "/programs", "nav.programmes"),
        (Section::Planning, "/planning", "nav.planning"),
        (Section::Control, "/control", "nav.control"),
        (Section::Reports, "/reports", "nav.reports"),
        (Section::Admin, "/admin", "nav.admin"),
    ];
    let is_admin = ctx
        .role()
        .is_ok_and(|r| matches!(r, Role::Admin | Role::Manager));
    html! {
        (DOCTYPE)
        html lang=(ctx.lang.html_lang()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Rumbo" }
                link rel="stylesheet" href="/static/app.css";
            }
            body {
                a.skip href="#main" { (ctx.t("layout.skip")) }
                header.top {
                    a.brand href="/programs" { "Rumbo" }
                    @if ctx.user.is_some() {
                        nav aria-label=(ctx.t("layout.nav_label")) {
                            ul {
                                @for (s, href, key) in nav {
                                    @if s != Section::Admin || is_admin {
                                        li {
                                            @if s == section {
                                                a href=(href) aria-current="page" { (ctx.t(key)) }
                                            } @else {
                                                a href=(href) { (ctx.t(key)) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    div.session {
                        form.inline method="post" action="/lang" {
                            input type="hidden" name="_csrf" value=(ctx.csrf);
                            label for="lang-select" { (ctx.t("layout.language")) }
                            select id="lang-select" name="lang" {
                                option value="es" selected[ctx.lang.code() == "es"] { "Español" }
                                option value="en" selected[ctx.lang.code() == "en"] { "English" }
                            }
                            button type="submit" { (ctx.t("layout.change_language")) }
                        }
                        @if let Some(u) = &ctx.user {
                            span.who { (u.name) " · " (ctx.t(&format!("role.{}", u.role))) }
                            form.inline method="post" action="/logout" {
                                input type="hidden" name="_csrf" value=(ctx.csrf);
                                button type="submit" { (ctx.t("layout.logout")) }
                            }
                        }
                    }
                }
                main id="main" tabindex="-1" {
                    h1 { (title) }
                    (body)
                }
                footer { p { (ctx.t("layout.footer")) } }
            }
        }
    }
}

/// The friendly page for an error (never a stack trace).
pub fn error_page(ctx: &Ctx, err: &AppError) -> Markup {
    let title = ctx.t(err.title_key());
    layout(
        ctx,
        Section::None,
        title,
        html! {
            p { (ctx.t(&format!("{}.detail", err.title_key()))) }
            @for i in err.invalids() { p.error { (ctx.t(i.key)) } }
            p { a href="/programs" { (ctx.t("error.back")) } }
        },
    )
}

/// The error messages that belong to `field`.
pub fn field_errors(ctx: &Ctx, errors: &[Invalid], field: &str) -> Markup {
    html! {
        @for e in errors.iter().filter(|e| e.field == field) {
            span.error id={ "err-" (field) } role="alert" { (ctx.t(e.key)) }
        }
    }
}

/// A labelled text-like input with its errors.
pub fn input(
    ctx: &Ctx,
    errors: &[Invalid],
    field: &str,
    label_key: &str,
    kind: &str,
    value: &str,
    required: bool,
) -> Markup {
    let has_error = errors.iter().any(|e| e.field == field);
    html! {
        div.field {
            label for=(field) { (ctx.t(label_key)) @if required { " *" } }
            input id=(field) name=(field) type=(kind) value=(value) required[required]
                aria-invalid=[has_error.then_some("true")]
                aria-describedby=[has_error.then(|| format!("err-{field}"))];
            (field_errors(ctx, errors, field))
        }
    }
}

/// The hidden CSRF field every form carries.
pub fn csrf_field(ctx: &Ctx) -> Markup {
    html! { input type="hidden" name="_csrf" value=(ctx.csrf); }
}

/// Formats a civil date for the user's language: `31-12-2026` or `2026-12-31`.
pub fn fmt_date(ctx: &Ctx, date: &jiff::civil::Date) -> String {
    match ctx.lang {
        crate::i18n::Lang::Es => date.strftime("%d-%m-%Y").to_string(),
        crate::i18n::Lang::En => date.to_string(),
    }
}

/// Formats an epoch-seconds instant in a time zone, e.g. `28-11-2026 18:05`.
pub fn fmt_instant(ctx: &Ctx, epoch: i64, tz: &str) -> String {
    let Ok(ts) = jiff::Timestamp::from_second(epoch) else {
        return epoch.to_string();
    };
    let zone = jiff::tz::TimeZone::get(tz).unwrap_or(jiff::tz::TimeZone::UTC);
    let z = ts.to_zoned(zone);
    match ctx.lang {
        crate::i18n::Lang::Es => z.strftime("%d-%m-%Y %H:%M").to_string(),
        crate::i18n::Lang::En => z.strftime("%Y-%m-%d %H:%M").to_string(),
    }
}

/// A share as a percentage with one decimal in the user's style (`80,5 %` / `80.5 %`).
pub fn fmt_pct(lang: crate::i18n::Lang, v: f64) -> String {
    fmt_dec(lang, v * 100.0, 1) + " %"
}

/// A number with `digits` decimals in the user's style (decimal comma in Spanish).
pub fn fmt_dec(lang: crate::i18n::Lang, v: f64, digits: usize) -> String {
    if !v.is_finite() {
        return "∞".into();
    }
    let s = format!("{v:.digits$}");
    match lang {
        crate::i18n::Lang::Es => s.replace('.', ","),
        crate::i18n::Lang::En => s,
    }
}

/// The name of an audited entity (`entity.<name>` in the catalogue, else the name itself).
pub fn entity_label(ctx: &Ctx, entity: &str) -> String {
    ctx.lang
        .t_opt(&format!("entity.{entity}"))
        .map(str::to_string)
        .unwrap_or_else(|| entity.replace(['_', '.'], " "))
}

/// Pre-escaped markup for a trusted SVG chart generated in Rust.
pub fn svg(s: String) -> Markup {
    PreEscaped(s)
}
