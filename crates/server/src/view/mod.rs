//! Server-rendered pages (maud). Each page is a function of the request context and view data;
//! every visible string comes from the catalogues.

pub mod changes;
pub mod i18n;
pub mod late;
pub mod paging;

use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use maud::{html, Markup, PreEscaped, DOCTYPE};
use rumbo_domain::access::Role;
use rumbo_domain::Invalid;

use i18n::Lang;

/// What the page frame needs to know about the request: language, CSRF token, who is logged in.
/// The request context (`http::Ctx`) dereferences to it, so views take `&ViewCx` and never see
/// HTTP.
#[derive(Clone, Debug, Default)]
pub struct ViewCx {
    pub lang: Lang,
    /// The token a form must echo in `_csrf` (session-bound when logged in).
    pub csrf: String,
    /// The logged-in person's display name and role.
    pub who: Option<(String, Role)>,
    /// The page's own path and query (GET requests only): the language switch returns here.
    pub path: String,
}

impl ViewCx {
    pub fn t(&self, key: &str) -> &'static str {
        self.lang.t(key)
    }

    pub fn tf(&self, key: &str, args: &[(&str, &str)]) -> String {
        self.lang.tf(key, args)
    }
}

const CSS: &str = include_str!("../../static/app.css");

/// The style sheet (served at `/static/app.css`).
pub async fn css() -> impl IntoResponse {
    ([(CONTENT_TYPE, "text/css; charset=utf-8")], CSS)
}

/// A 303 redirect to `to` (after a form post).
pub fn redirect(to: &str) -> Response {
    let mut res = axum::http::StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = to.parse() {
        res.headers_mut().insert(axum::http::header::LOCATION, v);
    }
    res
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
pub fn layout(ctx: &ViewCx, section: Section, title: &str, body: Markup) -> Markup {
    let nav = [
        (Section::Programmes, "/programs", "nav.programmes"),
        (Section::Planning, "/planning", "nav.planning"),
        (Section::Control, "/control", "nav.control"),
        (Section::Reports, "/reports", "nav.reports"),
        (Section::Admin, "/admin", "nav.admin"),
    ];
    let is_admin = ctx
        .who
        .as_ref()
        .is_some_and(|(_, r)| matches!(r, Role::Admin | Role::Manager));
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
                    @if ctx.who.is_some() {
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
                    details.menu {
                    summary { (ctx.t("roles.menu")) }
                    div.session {
                        form.inline method="post" action="/lang" {
                            input type="hidden" name="_csrf" value=(ctx.csrf);
                            @if !ctx.path.is_empty() {
                                input type="hidden" name="back" value=(ctx.path);
                            }
                            label for="lang-select" { (ctx.t("layout.language")) }
                            select id="lang-select" name="lang" {
                                option value="es" selected[ctx.lang.code() == "es"] { "Español" }
                                option value="en" selected[ctx.lang.code() == "en"] { "English" }
                            }
                            button type="submit" { (ctx.t("layout.change_language")) }
                        }
                        @if let Some((name, role)) = &ctx.who {
                            span.who { a href="/account" { (name) } " · " (ctx.t(&format!("role.{}", role.as_str()))) }
                            form.inline method="post" action="/logout" {
                                input type="hidden" name="_csrf" value=(ctx.csrf);
                                button type="submit" { (ctx.t("layout.logout")) }
                            }
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
pub fn error_page(ctx: &ViewCx, title_key: &str, invalids: &[Invalid]) -> Markup {
    let title = ctx.t(title_key);
    layout(
        ctx,
        Section::None,
        title,
        html! {
            p { (ctx.t(&format!("{title_key}.detail"))) }
            @for i in invalids { p.error { (ctx.t(i.key)) } }
            p { a href="/programs" { (ctx.t("error.back")) } }
        },
    )
}

/// The error messages that belong to `field`.
pub fn field_errors(ctx: &ViewCx, errors: &[Invalid], field: &str) -> Markup {
    html! {
        @for e in errors.iter().filter(|e| e.field == field) {
            span.error id={ "err-" (field) } role="alert" { (ctx.t(e.key)) }
        }
    }
}

/// A labelled text-like input with its errors.
pub fn input(
    ctx: &ViewCx,
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
pub fn csrf_field(ctx: &ViewCx) -> Markup {
    html! { input type="hidden" name="_csrf" value=(ctx.csrf); }
}

/// Formats a civil date for the user's language: `31-12-2026` or `2026-12-31`.
pub fn fmt_date(ctx: &ViewCx, date: &jiff::civil::Date) -> String {
    match ctx.lang {
        Lang::Es => date.strftime("%d-%m-%Y").to_string(),
        Lang::En => date.to_string(),
    }
}

/// Formats an epoch-seconds instant in a time zone, e.g. `28-11-2026 18:05`.
pub fn fmt_instant(ctx: &ViewCx, epoch: i64, tz: &str) -> String {
    let Ok(ts) = jiff::Timestamp::from_second(epoch) else {
        return epoch.to_string();
    };
    let zone = jiff::tz::TimeZone::get(tz).unwrap_or(jiff::tz::TimeZone::UTC);
    let z = ts.to_zoned(zone);
    match ctx.lang {
        Lang::Es => z.strftime("%d-%m-%Y %H:%M").to_string(),
        Lang::En => z.strftime("%Y-%m-%d %H:%M").to_string(),
    }
}

/// A share as a percentage with one decimal in the user's style (`80,5 %` / `80.5 %`).
pub fn fmt_pct(lang: Lang, v: f64) -> String {
    fmt_dec(lang, v * 100.0, 1) + " %"
}

/// A number with `digits` decimals in the user's style (decimal comma in Spanish).
pub fn fmt_dec(lang: Lang, v: f64, digits: usize) -> String {
    if !v.is_finite() {
        return "∞".into();
    }
    let s = format!("{v:.digits$}");
    match lang {
        Lang::Es => s.replace('.', ","),
        Lang::En => s,
    }
}

/// A whole number with the language's thousands separator: `12.345` / `12,345`.
pub fn fmt_int(lang: Lang, n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let sep = if lang == Lang::Es { '.' } else { ',' };
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// An amount given as plain decimal text (`-1234567.5`) in pesos with the language's grouping:
/// `$1.234.567,5` in Spanish, `$1,234,567.5` in English.
pub fn money_text(ctx: &ViewCx, plain: &str) -> String {
    let (sign, digits) = match plain.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", plain),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let sep = if ctx.lang == Lang::Es { '.' } else { ',' };
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(sep);
        }
        grouped.push(c);
    }
    let dec = if ctx.lang == Lang::Es { ',' } else { '.' };
    if frac.is_empty() {
        format!("{sign}${grouped}")
    } else {
        format!("{sign}${grouped}{dec}{frac}")
    }
}

/// A programme status as a badge (word and colour).
pub fn status_badge(ctx: &ViewCx, status: impl std::fmt::Display) -> Markup {
    html! { span class={ "badge status-" (status) } { (ctx.t(&format!("status.{status}"))) } }
}

/// Pre-escaped markup for a trusted SVG chart generated in Rust.
pub fn svg(s: String) -> Markup {
    PreEscaped(s)
}

/// Download links of a programme's report in PDF, XLSX and CSV for the page's language and
/// period (empty dates: the report's default period); the reports feature serves them.
pub fn report_links(ctx: &ViewCx, code: &str, kind: &str, from: &str, to: &str) -> Markup {
    let lang = ctx.lang.code();
    html! {
        p.downloads {
            (ctx.t(&format!("report.kind.{kind}"))) ": "
            @for (i, f) in ["pdf", "xlsx", "csv"].iter().enumerate() {
                @if i > 0 { " · " }
                a href={ "/programs/" (code) "/reports/download?kind=" (kind) "&format=" (f) "&lang=" (lang) "&from=" (from) "&to=" (to) } download { (f.to_uppercase()) }
            }
            " · " a href={ "/programs/" (code) "/reports" } { (ctx.t("report.page.title")) }
        }
    }
}
