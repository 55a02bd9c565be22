//! Control: importing call-platform data into a programme and reading its KPIs per interval.
//!
//! Pages: `/programs/{code}/control` (KPI table and SVG charts per queue, any definition and
//! granularity, each row linked to the batches it comes from), `/programs/{code}/imports`
//! (upload, batch list), `/programs/{code}/imports/{id}` (counts and the data-quality report,
//! line by line) and `/imports/jobs/{id}` (progress of a queued or running import; refreshes
//! itself). API: `GET /programs/{code}/kpis`, `GET /programs/{code}/kpis/total`,
//! `GET /programs/{code}/kpis/heatmap` (see `heatmap`), `GET /programs/{code}/kpis/forecast`
//! (see `forecast`),
//! `GET /programs/{code}/kpis/calls`, `GET|POST /programs/{code}/imports`,
//! `GET /programs/{code}/imports/{id}`, `GET /imports/jobs/{id}`.
//!
//! A call that passed through several queues is one stint in each queue's rows and one call
//! in the figures over all queues (the summary cards, plan targets and `kpis/total` without a
//! queue), which merge each row's call tally.
//!
//! Imports are job rows (`rumbo_app::jobs`): the upload is stored in the database (or the data
//! folder on SQLite) and any server's worker runs it, so every server shows the same progress
//! and a crashed server's import is resumed by another. Who may import: whoever may update the
//! programme; who may watch a job: its creator and whoever may read the programme.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Multipart, Path as UrlPath, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use http_body_util::BodyExt;
use jiff::tz::TimeZone;
use maud::{html, Markup, PreEscaped};
use rumbo_app::jobs::JobView;
use rumbo_app::kpis::{CallsBehind, CallsQuery, KpiQuery};
use rumbo_app::model::{Batch, IssueRow, JobFile, JobStatus, Programme};
use rumbo_charts::{bar_chart, line_chart, BarChart, BarSeries, Frame, LineChart, Series};
use rumbo_domain::access::Action;
use rumbo_kpi::{Granularity, KpiDefinition, Registry};
use serde::{Deserialize, Serialize};

use crate::http::access::{self, Operate, ProgrammeAccess, Read, ReadInternal};
use crate::http::ctx::{csrf_matches, multipart_text, Ctx, Form};
use crate::http::error::AppError;
use crate::view::i18n::Lang;
use crate::view::redirect;
use crate::view::{csrf_field, fmt_dec, fmt_instant, fmt_pct, layout, svg, Section};
use crate::AppState;

mod forecast;
mod heatmap;

/// The words of the alarm e-mail in every language, from the catalogues, for
/// `rumbo_app::notify::SmtpSettings::texts`.
pub fn alarm_mail_texts() -> BTreeMap<String, rumbo_app::notify::MailTexts> {
    Lang::ALL
        .iter()
        .map(|l| {
            let texts = rumbo_app::notify::MailTexts {
                subject: l.t("control2.mail_subject").to_string(),
                intro: l.t("control2.mail_intro").to_string(),
                kinds: rumbo_app::control::AlarmKind::ALL
                    .iter()
                    .map(|k| {
                        (
                            k.as_str().to_string(),
                            l.t(&format!("alarm.kind.{}", k.as_str())).to_string(),
                        )
                    })
                    .collect(),
            };
            (l.code().to_string(), texts)
        })
        .collect()
}

pub fn page_router() -> Router<AppState> {
    Router::new()
        .route("/programs/{code}/control", get(control_page))
        .route(
            "/programs/{code}/imports",
            get(imports_page)
                .post(upload)
                .layer(DefaultBodyLimit::disable()),
        )
        .route("/programs/{code}/imports/{id}", get(batch_page))
        .route(
            "/programs/{code}/imports/{id}/delete",
            axum::routing::post(delete_batch_post),
        )
        .route("/programs/{code}/control/calls", get(calls_page))
        .route("/imports/jobs/{id}", get(job_page))
}

pub fn api_router() -> Router<AppState> {
    Router::new()
        .route("/programs/{code}/kpis", get(api_kpis))
        .route("/programs/{code}/kpis/calls", get(api_calls))
        .route("/programs/{code}/kpis/total", get(api_kpi_total))
        .route("/programs/{code}/kpis/heatmap", get(heatmap::api_heat_map))
        .route(
            "/programs/{code}/kpis/forecast",
            get(forecast::api_forecast),
        )
        .route(
            "/programs/{code}/imports",
            get(api_batches)
                .post(api_import)
                .layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/programs/{code}/imports/{id}",
            get(api_batch).delete(api_delete_batch),
        )
        .route("/imports/jobs/{id}", get(api_job))
}

// --- KPI query -------------------------------------------------------------------------------

/// Query of the KPI table: `by` (15m, 30m, 1h, day, week, month), `from`/`to` (days in the
/// programme's time zone, inclusive), `definition` (`name` or `name@vN`), `queue`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct KpiParams {
    pub by: String,
    pub from: String,
    pub to: String,
    pub definition: String,
    pub queue: String,
}

/// One KPI row as the API returns it.
#[derive(Debug, Clone, Serialize)]
pub struct KpiRow {
    pub queue: String,
    pub interval_start: i64,
    pub interval_label: String,
    pub definition: String,
    pub offered: u64,
    pub answered: u64,
    /// Caller abandons (system exits apart, whatever the definition counts as abandons).
    pub abandoned: u64,
    /// System exits: queue timeout, empty queue, exit key.
    pub system_exits: u64,
    pub answered_within_t: u64,
    pub short_abandons: u64,
    pub sl: Option<f64>,
    pub asa_s: Option<f64>,
    pub aht_s: Option<f64>,
    pub abandon_rate: Option<f64>,
    pub abandon_rate_excl_short: Option<f64>,
    pub occupancy: Option<f64>,
    pub fcr: Option<f64>,
    pub conversion: Option<f64>,
    pub sph: Option<f64>,
    pub qa_score: Option<f64>,
    pub csat: Option<f64>,
    pub nps: Option<f64>,
    /// Import batches the figure comes from (traceability).
    pub batches: Vec<i64>,
}

/// The figures of a whole period as the API returns them: over one queue (its stints) when
/// the query names one, else over all queues with each call counted once however many
/// queues it passed through.
#[derive(Debug, Clone, Serialize)]
pub struct KpiTotal {
    /// The queue asked for (empty: every queue).
    pub queue: String,
    /// The definition (`name@vN`) of the figures.
    pub definition: String,
    /// First day of the period (programme time zone), when it has data.
    pub from: Option<String>,
    /// Last day of the period.
    pub to: Option<String>,
    /// Calls (all queues) or stints (one queue) offered.
    pub offered: u64,
    /// Of those, answered.
    pub answered: u64,
    /// Caller abandons (system exits apart, whatever the definition counts as abandons).
    pub abandoned: u64,
    /// System exits: queue timeout, empty queue, exit key.
    pub system_exits: u64,
    /// Answered within the definition's threshold.
    pub answered_within_t: u64,
    /// Abandoned within the short-abandon limit.
    pub short_abandons: u64,
    /// Service level (0–1).
    pub sl: Option<f64>,
    /// Average speed of answer, seconds.
    pub asa_s: Option<f64>,
    /// Average handle time, seconds.
    pub aht_s: Option<f64>,
    /// Abandoned ÷ offered, as the definition counts abandons.
    pub abandon_rate: Option<f64>,
    /// The abandon rate without short abandons.
    pub abandon_rate_excl_short: Option<f64>,
    /// Agent occupancy (0–1).
    pub occupancy: Option<f64>,
    /// First-contact resolution (0–1).
    pub fcr: Option<f64>,
    /// Sales ÷ answered.
    pub conversion: Option<f64>,
    /// Sales per logged-in hour.
    pub sph: Option<f64>,
    /// Mean QA score.
    pub qa_score: Option<f64>,
    /// CSAT top-box share (0–1).
    pub csat: Option<f64>,
    /// Net promoter score.
    pub nps: Option<f64>,
}

impl KpiTotal {
    /// The total of a computed view for the queue asked for.
    fn of(queue: &str, v: &KpiView) -> KpiTotal {
        let (a, f) = (&v.total_agg, &v.total);
        KpiTotal {
            queue: queue.to_string(),
            definition: v.definition.id().to_string(),
            from: v.from.map(|d| d.to_string()),
            to: v.to.map(|d| d.to_string()),
            offered: a.offered,
            answered: a.answered,
            abandoned: a.caller_abandons(),
            system_exits: a.system_exits,
            answered_within_t: a.answered_within_t,
            short_abandons: a.short_abandons,
            sl: f.sl,
            asa_s: f.asa_s,
            aht_s: f.aht_s,
            abandon_rate: f.abandon_rate,
            abandon_rate_excl_short: f.abandon_rate_excl_short,
            occupancy: f.occupancy,
            fcr: f.fcr,
            conversion: f.conversion,
            sph: f.sph,
            qa_score: f.qa_score,
            csat: f.csat,
            nps: f.nps,
        }
    }
}

struct KpiView {
    /// Counts over the whole period and the queues shown: one queue's stints, or every
    /// call once over all queues.
    total_agg: rumbo_kpi::Agg,
    /// Figures of `total_agg`, merged exactly from the counts.
    total: rumbo_kpi::Figures,
    /// Offered, caller abandons and system exits per interval start, counted as
    /// `total_agg` is (the volume chart).
    volume: BTreeMap<i64, (u64, u64, u64)>,
    /// Contacts handled (answered) and sales over the period.
    handled: u64,
    sales: u64,
    definition: KpiDefinition,
    from: Option<jiff::civil::Date>,
    to: Option<jiff::civil::Date>,
    rows: Vec<KpiRow>,
}

fn definitions() -> &'static Registry {
    static R: OnceLock<Registry> = OnceLock::new();
    R.get_or_init(Registry::builtin)
}

fn label(ts: i64, g: Granularity, tz: &TimeZone) -> String {
    let Ok(t) = jiff::Timestamp::from_second(ts) else {
        return ts.to_string();
    };
    let z = t.to_zoned(tz.clone());
    match g {
        Granularity::Minutes(_) => z.strftime("%Y-%m-%d %H:%M").to_string(),
        Granularity::Day | Granularity::Week => z.strftime("%Y-%m-%d").to_string(),
        Granularity::Month => z.strftime("%Y-%m").to_string(),
    }
}

/// Default period: the last 7 days with imported data (or none).
fn default_period(
    span: Option<(i64, i64)>,
    tz: &TimeZone,
) -> (Option<jiff::civil::Date>, Option<jiff::civil::Date>) {
    let Some((_, max)) = span else {
        return (None, None);
    };
    let Ok(t) = jiff::Timestamp::from_second(max) else {
        return (None, None);
    };
    let to = t.to_zoned(tz.clone()).date();
    let from = to.checked_sub(jiff::Span::new().days(6)).ok();
    (from, Some(to))
}

/// The definition a query names (`name` or `name@vN`); the latest standard one when empty.
fn definition_of(spec: &str) -> Result<KpiDefinition, AppError> {
    match spec.trim() {
        "" => Ok(default_definition()),
        spec => definitions()
            .resolve(spec)
            .cloned()
            .map_err(|_| AppError::invalid("definition", "error.kpi.definition")),
    }
}

/// The definition shown when none is named: the latest version of the standard one.
fn default_definition() -> KpiDefinition {
    definitions()
        .latest(KpiDefinition::standard().id().name.as_str())
        .cloned()
        .unwrap_or_else(|_| KpiDefinition::standard())
}

/// The granularity a query names; one hour when empty.
fn granularity_of(by: &str) -> Result<Granularity, AppError> {
    match by.trim() {
        "" => Ok(Granularity::Minutes(60)),
        by => Granularity::parse(by).map_err(|_| AppError::invalid("by", "error.kpi.granularity")),
    }
}

/// The period a query names (`from`/`to`, inclusive days in the programme's time zone); the
/// last 7 days with data when it names none.
async fn period_of(
    state: &AppState,
    p: &Programme,
    q: &KpiParams,
    tz: &TimeZone,
) -> Result<(Option<jiff::civil::Date>, Option<jiff::civil::Date>), AppError> {
    let day = |s: &str, field: &'static str| -> Result<Option<jiff::civil::Date>, AppError> {
        match s.trim() {
            "" => Ok(None),
            s => s
                .parse()
                .map(Some)
                .map_err(|_| AppError::invalid(field, "error.date.format")),
        }
    };
    let (mut from, mut to) = (day(&q.from, "from")?, day(&q.to, "to")?);
    if from.is_none() && to.is_none() {
        let span = state.app.data_span(p).await?;
        (from, to) = default_period(span, tz);
    }
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            return Err(AppError::invalid("to", "error.period.end_before_start"));
        }
    }
    Ok((from, to))
}

async fn kpi_view(state: &AppState, p: &Programme, q: &KpiParams) -> Result<KpiView, AppError> {
    let tz = TimeZone::get(&p.time_zone).unwrap_or(TimeZone::UTC);
    let definition = definition_of(&q.definition)?;
    let granularity = granularity_of(&q.by)?;
    let (from, to) = period_of(state, p, q, &tz).await?;
    let k = state
        .app
        .clone()
        .programme_kpis_shared(KpiQuery {
            programme_code: &p.code,
            definition: &definition,
            granularity,
            from,
            to,
        })
        .await?;
    let def_label = definition.id().to_string();
    let queue_filter = q.queue.trim();
    let mut total_agg = rumbo_kpi::Agg::default();
    let mut volume: BTreeMap<i64, (u64, u64, u64)> = BTreeMap::new();
    for ((queue, start), agg) in k.aggregation.sorted_rows() {
        // Over all queues a call that passed through several counts once (its call
        // tally); one queue counts its own stints. Programme-level rows (agent time)
        // always count towards the totals.
        let counted = if queue_filter.is_empty() {
            agg.calls_view()
        } else if queue == queue_filter || queue.is_empty() {
            *agg
        } else {
            continue;
        };
        total_agg.merge(&counted);
        if !queue.is_empty() {
            let v = volume.entry(*start).or_default();
            v.0 += counted.offered;
            v.1 += counted.caller_abandons();
            v.2 += counted.system_exits;
        }
    }
    let total = total_agg.figures(&definition);
    let rows = k
        .aggregation
        .sorted_rows()
        .into_iter()
        .filter(|((queue, _), _)| queue_filter.is_empty() || queue == queue_filter)
        .map(|((queue, start), agg)| {
            let f = agg.figures(&definition);
            KpiRow {
                queue: queue.clone(),
                interval_start: *start,
                interval_label: label(*start, granularity, &tz),
                definition: def_label.clone(),
                offered: agg.offered,
                answered: agg.answered,
                abandoned: agg.caller_abandons(),
                system_exits: agg.system_exits,
                answered_within_t: agg.answered_within_t,
                short_abandons: agg.short_abandons,
                sl: f.sl,
                asa_s: f.asa_s,
                aht_s: f.aht_s,
                abandon_rate: f.abandon_rate,
                abandon_rate_excl_short: f.abandon_rate_excl_short,
                occupancy: f.occupancy,
                fcr: f.fcr,
                conversion: f.conversion,
                sph: f.sph,
                qa_score: f.qa_score,
                csat: f.csat,
                nps: f.nps,
                batches: k
                    .batches
                    .get(&(queue.clone(), *start))
                    .map(|b| b.iter().copied().collect())
                    .unwrap_or_default(),
            }
        })
        .collect();
    Ok(KpiView {
        total,
        total_agg,
        volume,
        handled: total_agg.answered,
        sales: total_agg.sales,
        definition,
        from,
        to,
        rows,
    })
}

// --- pages -----------------------------------------------------------------------------------

fn programme_tabs(ctx: &Ctx, p: &Programme, current: &str) -> Markup {
    let tabs = [
        (
            "control",
            format!("/programs/{}/control", p.code),
            "control.kpis",
        ),
        (
            "imports",
            format!("/programs/{}/imports", p.code),
            "control.imports",
        ),
        (
            "alarms",
            format!("/programs/{}/alarms", p.code),
            "alarm.title",
        ),
    ];
    html! {
        nav.tabs aria-label=(ctx.t("control.title")) {
            a href={ "/programs/" (p.code) } { "← " (p.code) }
            @for (id, href, key) in &tabs {
                @if *id == current { " · " strong aria-current="page" { (ctx.t(key)) } }
                @else { " · " a href=(href) { (ctx.t(key)) } }
            }
        }
    }
}

/// A plan KPI target judged against the period's actual figure.
struct TargetCheck {
    indicator: String,
    direction_higher: bool,
    target: f64,
    tolerance: f64,
    actual: Option<f64>,
    rag: Option<rumbo_domain::plan::objectives::Rag>,
}

/// The actual value of a plan indicator over the period, in the unit targets use
/// (percentages for rates, seconds for times); `None` when the imported data cannot tell.
fn actual_of(indicator: &str, v: &KpiView) -> Option<f64> {
    let pct = |x: Option<f64>| x.map(|x| x * 100.0);
    let t = &v.total;
    match indicator {
        "service_level" => pct(t.sl),
        "asa" => t.asa_s,
        "aht" => t.aht_s,
        "abandon_rate" => pct(t.abandon_rate),
        "occupancy" => pct(t.occupancy),
        "fcr" => pct(t.fcr),
        "conversion" => pct(t.conversion),
        "sph" => t.sph,
        "qa_score" => t.qa_score,
        "csat" => pct(t.csat),
        "nps" => t.nps,
        "contacts_handled" => Some(v.handled as f64),
        "sales" => Some(v.sales as f64),
        _ => None,
    }
}

/// Whether a plan target applies to some day of the period (an open period: always).
fn target_overlaps(
    t: &rumbo_domain::plan::objectives::KpiTarget,
    from: Option<jiff::civil::Date>,
    to: Option<jiff::civil::Date>,
) -> bool {
    match (from, to) {
        (Some(f), Some(to)) => t.period_start <= to && f <= t.period_end,
        _ => true,
    }
}

/// The programme's KPI targets that apply to the period, each judged green/amber/red.
async fn target_checks(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    v: &KpiView,
) -> Result<Vec<TargetCheck>, AppError> {
    let cx = state
        .app
        .plan(&ctx.principal()?, code, Action::Read)
        .await?;
    let mut out = Vec::new();
    for (_, t) in state.app.kpi_targets(&cx).await? {
        if !target_overlaps(&t, v.from, v.to) {
            continue;
        }
        let actual = actual_of(&t.indicator, v);
        out.push(TargetCheck {
            direction_higher: t.direction
                == rumbo_domain::plan::objectives::Direction::HigherIsBetter,
            rag: actual.map(|a| t.judge(a)),
            indicator: t.indicator,
            target: t.target,
            tolerance: t.tolerance,
            actual,
        });
    }
    Ok(out)
}

/// A value judged against the period's target for `indicator` (in the target's unit), as a
/// coloured badge with its word; nothing when the plan has no such target or no value.
fn rag_word(ctx: &Ctx, checks: &[TargetCheck], indicator: &str, value: Option<f64>) -> Markup {
    let (Some(c), Some(v)) = (checks.iter().find(|c| c.indicator == indicator), value) else {
        return html! {};
    };
    let shortfall = if c.direction_higher {
        c.target - v
    } else {
        v - c.target
    };
    let rag = if shortfall <= 0.0 {
        "green"
    } else if shortfall <= c.tolerance {
        "amber"
    } else {
        "red"
    };
    html! { span class={ "badge rag-" (rag) } { (ctx.t(&format!("control.rag.{rag}"))) } }
}

fn targets_panel(ctx: &Ctx, checks: &[TargetCheck]) -> Markup {
    let l = ctx.lang;
    html! {
        @if !checks.is_empty() {
            h2 { (ctx.t("control.targets")) }
            table {
                thead { tr {
                    th scope="col" { (ctx.t("control.indicator")) }
                    th.num scope="col" { (ctx.t("control.target")) }
                    th.num scope="col" { (ctx.t("control.actual")) }
                    th scope="col" { (ctx.t("control.status")) }
                } }
                tbody { @for c in checks { tr {
                    td { (ctx.t(&format!("kpi.{}", c.indicator))) }
                    td.num { (if c.direction_higher { "≥ " } else { "≤ " }) (fmt_dec(l, c.target, 2)) " (± " (fmt_dec(l, c.tolerance, 2)) ")" }
                    td.num { (c.actual.map(|a| fmt_dec(l, a, 2)).unwrap_or_else(|| "—".into())) }
                    td { @match c.rag {
                        Some(r) => span class={ "badge rag-" (r.as_str()) } { (ctx.t(&format!("control.rag.{}", r.as_str()))) },
                        None => span { (ctx.t("control.not_measured")) },
                    } }
                } } }
            }
        }
    }
}

/// An interval label (`2026-04-15 13:00`, `2026-04-15`, `2026-04`) in the language's date
/// order: `15-04-2026 13:00`, `15-04-2026`, `04-2026` in Spanish; as it is in English.
fn interval_text(l: Lang, label: &str) -> String {
    if l == Lang::En {
        return label.to_string();
    }
    let (date, time) = label.split_once(' ').unwrap_or((label, ""));
    let parts: Vec<&str> = date.split('-').collect();
    let date = match parts.as_slice() {
        [y, m, d] => format!("{d}-{m}-{y}"),
        [y, m] => format!("{m}-{y}"),
        _ => date.to_string(),
    };
    if time.is_empty() {
        date
    } else {
        format!("{date} {time}")
    }
}

fn opt_pct(l: Lang, v: Option<f64>) -> String {
    v.map(|v| fmt_pct(l, v)).unwrap_or_else(|| "—".into())
}

fn opt_dec(l: Lang, v: Option<f64>, d: usize) -> String {
    v.map(|v| fmt_dec(l, v, d)).unwrap_or_else(|| "—".into())
}

fn frame(ctx: &Ctx, title: &str, desc: &str, x: &str, y: &str) -> Frame {
    let es = ctx.lang == Lang::Es;
    Frame {
        width: 900,
        height: 320,
        title: title.into(),
        description: desc.into(),
        x_label: x.into(),
        y_label: y.into(),
        decimal_separator: if es { ',' } else { '.' },
        thousands_separator: Some(if es { '.' } else { ',' }),
    }
}

fn charts(ctx: &Ctx, v: &KpiView, sl_target: Option<f64>) -> Markup {
    // One x position per interval (sorted), labels thinned to about 12.
    let mut starts: Vec<i64> = v.rows.iter().map(|r| r.interval_start).collect();
    starts.sort_unstable();
    starts.dedup();
    if starts.is_empty() {
        return html! {};
    }
    let index: HashMap<i64, f64> = starts
        .iter()
        .enumerate()
        .map(|(i, s)| (*s, i as f64))
        .collect();
    let labels: BTreeMap<i64, String> = v
        .rows
        .iter()
        .map(|r| (r.interval_start, interval_text(ctx.lang, &r.interval_label)))
        .collect();
    let step = (starts.len() / 12).max(1);
    let x_ticks: Vec<(f64, String)> = starts
        .iter()
        .enumerate()
        .filter(|(i, _)| i % step == 0)
        .map(|(i, s)| (i as f64, labels.get(s).cloned().unwrap_or_default()))
        .collect();
    let mut by_queue: BTreeMap<&str, Vec<(f64, f64)>> = BTreeMap::new();
    let mut offered = vec![0.0; starts.len()];
    let mut abandoned = vec![0.0; starts.len()];
    let mut exits = vec![0.0; starts.len()];
    for r in &v.rows {
        let i = index[&r.interval_start];
        if let Some(sl) = r.sl {
            by_queue
                .entry(r.queue.as_str())
                .or_default()
                .push((i, sl * 100.0));
        }
    }
    for (start, (o, a, e)) in &v.volume {
        if let Some(i) = index.get(start) {
            offered[*i as usize] += *o as f64;
            abandoned[*i as usize] += *a as f64;
            exits[*i as usize] += *e as f64;
        }
    }
    let sl_chart = line_chart(&LineChart {
        frame: frame(
            ctx,
            ctx.t("control.chart_sl"),
            ctx.t("control.chart_sl_desc"),
            ctx.t("control.interval"),
            ctx.t("control.sl_percent"),
        ),
        series: by_queue
            .into_iter()
            .map(|(q, points)| Series {
                name: q.to_string(),
                points,
            })
            .collect(),
        target: sl_target.map(|value| rumbo_charts::Target {
            value,
            label: ctx.t("control.target").to_string(),
        }),
        x_ticks: x_ticks.clone(),
        y_from_zero: true,
    });
    let cats: Vec<String> = starts
        .iter()
        .map(|s| labels.get(s).cloned().unwrap_or_default())
        .collect();
    let volume_chart = bar_chart(&BarChart {
        frame: frame(
            ctx,
            ctx.t("control.chart_volume"),
            ctx.t("control.chart_volume_desc"),
            ctx.t("control.interval"),
            ctx.t("control.calls"),
        ),
        categories: cats,
        series: vec![
            BarSeries {
                name: ctx.t("control.offered").to_string(),
                values: offered,
            },
            BarSeries {
                name: ctx.t("control.abandoned").to_string(),
                values: abandoned,
            },
            BarSeries {
                name: ctx.t("control.system_exits").to_string(),
                values: exits,
            },
        ],
        ..Default::default()
    });
    html! {
        figure { (svg(sl_chart)) }
        figure { (svg(volume_chart)) }
    }
}

/// Rows of the Control page's table per page: a month of 15-minute rows over ten queues is
/// about 30,000 rows, which no page should build at once (the API returns them all).
pub const TABLE_ROWS: usize = 200;

/// The table page a query asks for (`page`, from 1).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TablePage {
    pub page: String,
}

/// The link to page `page` of the table with the same query.
fn page_href(code: &str, q: &KpiParams, page: usize) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("by", &q.by),
        ("from", &q.from),
        ("to", &q.to),
        ("definition", &q.definition),
        ("queue", &q.queue),
    ] {
        if !v.trim().is_empty() {
            s.append_pair(k, v.trim());
        }
    }
    s.append_pair("page", &page.to_string());
    format!("/programs/{code}/control?{}", s.finish())
}

async fn control_page(
    State(state): State<AppState>,
    ctx: Ctx,
    ProgrammeAccess { programme: p, .. }: ProgrammeAccess<Read>,
    Query(q): Query<KpiParams>,
    Query(tp): Query<TablePage>,
) -> Result<Response, AppError> {
    // Everything below the tabs depends only on the programme's data, its KPI targets, the
    // language and the query: kept per data version, so a page served again costs a few
    // indexed reads instead of the merge, the charts and 200 table rows.
    let title = format!("{} · {}", ctx.t("control.kpis"), p.code);
    let key = state
        .app
        .view_key(
            p.id,
            "control-page",
            format!(
                "{}|{:?}|{}|{:x}",
                ctx.lang.code(),
                ctx.role()?,
                ctx.view.path,
                targets_fingerprint(&state, &ctx, &p.code).await?
            ),
        )
        .await?;
    if let Some(rest) = state.app.cached_view(&key) {
        let body = html! {
            (programme_tabs(&ctx, &p, "control"))
            (PreEscaped(rest.as_str()))
        };
        return Ok(layout(&ctx, Section::Control, &title, body).into_response());
    }
    let view = match kpi_view(&state, &p, &q).await {
        Ok(v) => Ok(v),
        Err(e @ AppError::Invalid(_)) => Err(e),
        Err(e) => return Err(e),
    };
    let l = ctx.lang;
    let (errors, view) = match view {
        Ok(v) => (vec![], Some(v)),
        Err(e) => (e.invalids().to_vec(), None),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let checks = match &view {
        Some(v) => target_checks(&state, &ctx, &p.code, v).await?,
        None => vec![],
    };
    let sl_target = checks
        .iter()
        .find(|c| c.indicator == "service_level")
        .map(|c| c.target);
    let (heat, volume_forecast) = match &view {
        Some(_) => (
            Some(heatmap::heat_map(&state, &ctx, &p, &q).await?),
            forecast::forecast(&state, &ctx, &p, &q).await?.1,
        ),
        None => (None, None),
    };
    let rows_total = view.as_ref().map_or(0, |v| v.rows.len());
    let pages = rows_total.div_ceil(TABLE_ROWS).max(1);
    // A page past the end shows the last one; anything that is not a number, the first.
    let page = tp.page.trim().parse::<usize>().unwrap_or(1).clamp(1, pages);
    let shown = (page - 1) * TABLE_ROWS..(page * TABLE_ROWS).min(rows_total);
    let by = if q.by.is_empty() {
        "1h".to_string()
    } else {
        q.by.clone()
    };
    let rest = html! {
        @if !errors.is_empty() {
            div.problems role="alert" { ul { @for e in &errors { li { (ctx.t(e.key)) } } } }
        }
        form method="get" action={ "/programs/" (p.code) "/control" } {
            div.grid {
                div.field {
                    label for="by" { (ctx.t("control.by")) }
                    select id="by" name="by" {
                        @for (v, key) in [("15m", "control.by_15m"), ("30m", "control.by_30m"), ("1h", "control.by_1h"), ("day", "control.by_day"), ("week", "control.by_week"), ("month", "control.by_month")] {
                            option value=(v) selected[by == v] { (ctx.t(key)) }
                        }
                    }
                }
                div.field {
                    label for="from" { (ctx.t("control.from")) }
                    input id="from" name="from" type="date" value=(view.as_ref().and_then(|v| v.from).map(|d| d.to_string()).unwrap_or_else(|| q.from.clone()));
                }
                div.field {
                    label for="to" { (ctx.t("control.to")) }
                    input id="to" name="to" type="date" value=(view.as_ref().and_then(|v| v.to).map(|d| d.to_string()).unwrap_or_else(|| q.to.clone()));
                }
                div.field {
                    label for="definition" { (ctx.t("control.definition")) }
                    select id="definition" name="definition" {
                        @for d in definitions().all() {
                            option value=(d.id().to_string()) selected[view.as_ref().is_some_and(|v| v.definition.id() == d.id())] { (definition_label(ctx.lang, d)) }
                        }
                    }
                }
                div.field {
                    label for="queue" { (ctx.t("control.queue")) }
                    input id="queue" name="queue" type="text" value=(q.queue);
                }
            }
            button type="submit" { (ctx.t("control.show")) }
        }
        @if let Some(v) = &view {
            (crate::view::report_links(&ctx, &p.code, "kpi", &v.from.map(|d| d.to_string()).unwrap_or_default(), &v.to.map(|d| d.to_string()).unwrap_or_default()))
            p.notice { (ctx.t("control.definition_used")) " " strong { (definition_label(ctx.lang, &v.definition)) } ": " (definition_description(ctx.lang, &v.definition)) }
            @if v.rows.is_empty() {
                p { (ctx.t("control.no_data")) " " a href={ "/programs/" (p.code) "/imports" } { (ctx.t("control.imports")) } }
            } @else {
                @let t = &v.total_agg;
                @let (o, a, ab, ex) = (t.offered, t.answered, t.caller_abandons(), t.system_exits);
                div.grid {
                    div.card { p { (ctx.t("control.offered")) } p { strong { (o) } } }
                    div.card { p { (ctx.t("control.answered")) } p { strong { (a) } } }
                    div.card { p { (ctx.t("control.abandoned")) } p { strong { (ab) } } }
                    div.card { p { (ctx.t("control.system_exits")) } p { strong { (ex) } } }
                }
                // The programme-level summary over the period, each judged against its target.
                div.grid.summary {
                    div.card { p { (ctx.t("control.sl")) } p { strong { (opt_pct(l, v.total.sl)) } " " (rag_word(&ctx, &checks, "service_level", v.total.sl.map(|x| x * 100.0))) } }
                    div.card { p { (ctx.t("control.asa")) } p { strong { (opt_dec(l, v.total.asa_s, 1)) } " " (rag_word(&ctx, &checks, "asa", v.total.asa_s)) } }
                    div.card { p { (ctx.t("control.aht")) } p { strong { (opt_dec(l, v.total.aht_s, 0)) } " " (rag_word(&ctx, &checks, "aht", v.total.aht_s)) } }
                    div.card { p { (ctx.t("control.abandon_rate")) } p { strong { (opt_pct(l, v.total.abandon_rate)) } " " (rag_word(&ctx, &checks, "abandon_rate", v.total.abandon_rate.map(|x| x * 100.0))) } }
                }
                (targets_panel(&ctx, &checks))
                (charts(&ctx, v, sl_target))
                @if let Some(h) = &heat { (heatmap::heat_map_figure(&ctx, h)) }
                (forecast::forecast_section(&ctx, &p, volume_forecast.as_ref()))
                table {
                    caption { (ctx.t("control.table")) }
                    thead { tr {
                        th scope="col" { (ctx.t("control.queue")) }
                        th scope="col" { (ctx.t("control.interval")) }
                        th.num scope="col" { (ctx.t("control.offered")) }
                        th.num scope="col" { (ctx.t("control.answered")) }
                        th.num scope="col" { (ctx.t("control.abandoned")) }
                        th.num scope="col" { (ctx.t("control.system_exits")) }
                        th.num scope="col" { (ctx.t("control.sl")) }
                        th.num scope="col" { (ctx.t("control.asa")) }
                        th.num scope="col" { (ctx.t("control.aht")) }
                        th.num scope="col" { (ctx.t("control.abandon_rate")) }
                        th.num scope="col" { (ctx.t("control.occupancy")) }
                        th.num scope="col" { (ctx.t("control.conversion")) }
                        th.num scope="col" { (ctx.t("control.qa")) }
                        th.num scope="col" { (ctx.t("control.csat")) }
                        th scope="col" { (ctx.t("control.batches")) }
                    } }
                    tbody { @for r in &v.rows[shown.clone()] { tr {
                        td { @if r.queue.is_empty() { (ctx.t("control.programme_level")) } @else { (r.queue) } }
                        td { (interval_text(l, &r.interval_label)) }
                        td.num { a href=(drill_href(&p.code, r, &by, &v.definition)) aria-label=(ctx.t("control.drill")) { (r.offered) } }
                        td.num { (r.answered) }
                        td.num { (r.abandoned) }
                        td.num { (r.system_exits) }
                        td.num { (opt_pct(l, r.sl)) " " (rag_word(&ctx, &checks, "service_level", r.sl.map(|x| x * 100.0))) }
                        td.num { (opt_dec(l, r.asa_s, 1)) " " (rag_word(&ctx, &checks, "asa", r.asa_s)) }
                        td.num { (opt_dec(l, r.aht_s, 0)) " " (rag_word(&ctx, &checks, "aht", r.aht_s)) }
                        td.num { (opt_pct(l, r.abandon_rate)) " " (rag_word(&ctx, &checks, "abandon_rate", r.abandon_rate.map(|x| x * 100.0))) }
                        td.num { (opt_pct(l, r.occupancy)) }
                        td.num { (opt_pct(l, r.conversion)) }
                        td.num { (opt_dec(l, r.qa_score, 1)) }
                        td.num { (opt_pct(l, r.csat)) }
                        td { @for b in &r.batches { a href={ "/programs/" (p.code) "/imports/" (b) } { "#" (b) } " " } }
                    } } }
                }
                @if pages > 1 {
                    nav.pager aria-label=(ctx.t("speed.pages")) {
                        p { (ctx.tf("speed.rows_of", &[("from", &fmt_int(l, shown.start as u64 + 1)), ("to", &fmt_int(l, shown.end as u64)), ("total", &fmt_int(l, rows_total as u64))])) }
                        @if page > 1 { a rel="prev" href=(page_href(&p.code, &q, page - 1)) { (ctx.t("speed.previous")) } " " }
                        @if page < pages { a rel="next" href=(page_href(&p.code, &q, page + 1)) { (ctx.t("speed.next")) } }
                    }
                }
            }
        }
    };
    let rest = rest.into_string();
    let body = html! {
        (programme_tabs(&ctx, &p, "control"))
        (PreEscaped(rest.as_str()))
    };
    let res = (status, layout(&ctx, Section::Control, &title, body)).into_response();
    if status == StatusCode::OK {
        state.app.keep_view(key, std::sync::Arc::new(rest));
    }
    Ok(res)
}

/// What the programme's KPI targets are now (they colour the page but are plan data, not
/// call data, so they are not covered by the data version).
async fn targets_fingerprint(state: &AppState, ctx: &Ctx, code: &str) -> Result<u64, AppError> {
    use std::hash::{Hash, Hasher};
    let cx = state
        .app
        .plan(&ctx.principal()?, code, Action::Read)
        .await?;
    let targets = state.app.kpi_targets(&cx).await?;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    format!("{targets:?}").hash(&mut h);
    Ok(h.finish())
}

/// A whole number with the language's thousands separator (`12.345` in Spanish).
fn fmt_int(l: Lang, n: u64) -> String {
    let digits = n.to_string();
    let sep = if l == Lang::Es { '.' } else { ',' };
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// A definition's catalogued name with its version (`kpi.definition.<name>@v<n>`).
fn definition_label(lang: Lang, d: &KpiDefinition) -> String {
    format!(
        "{} (v{})",
        lang.t(&format!("kpi.definition.{}", d.id())),
        d.id().version
    )
}

/// Every choice of a definition in words: its service-level rule from the catalogue (per name and
/// version), then the choices all definitions make, with this definition's values.
fn definition_description(lang: Lang, d: &KpiDefinition) -> String {
    use rumbo_kpi::definition::Attribution;
    let n = |v: f64| fmt_dec(lang, v, 0);
    let sl = lang.tf(
        &format!("kpi.definition.{}.sl", d.id()),
        &[("t", &n(d.sl_threshold_s)), ("s", &n(d.short_abandon_s))],
    );
    let attribution = match d.attribution {
        Attribution::Enter => "kpi.attribution.enter",
        Attribution::Answer => "kpi.attribution.answer",
        Attribution::End => "kpi.attribution.end",
    };
    let hold = if d.aht_includes_hold {
        "kpi.aht.with_hold"
    } else {
        "kpi.aht.without_hold"
    };
    let exits = lang.t(
        match (d.system_exits_as_abandons, d.system_exits_in_sl_denominator) {
            (true, true) => "kpi.system_exits.abandons_in_sl",
            (true, false) => "kpi.system_exits.abandons_out_of_sl",
            (false, true) => "kpi.system_exits.apart_in_sl",
            (false, false) => "kpi.system_exits.apart_out_of_sl",
        },
    );
    let rest = lang.tf(
        "kpi.definition.choices",
        &[
            ("attribution", lang.t(attribution)),
            ("aht", lang.t(hold)),
            ("fcr", &n(d.fcr_window_s as f64 / 3600.0)),
            ("csat_min", &d.csat_top_box_min.to_string()),
            ("csat_max", &d.csat_scale_max.to_string()),
            ("promoter", &d.nps_promoter_min.to_string()),
            ("detractor", &d.nps_detractor_max.to_string()),
        ],
    );
    format!("{sl} {exits} {rest}")
}

fn drill_href(code: &str, r: &KpiRow, by: &str, def: &KpiDefinition) -> String {
    let q: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("queue", &r.queue)
        .append_pair("start", &r.interval_start.to_string())
        .append_pair("by", by)
        .append_pair("definition", &def.id().to_string())
        .finish();
    format!("/programs/{code}/control/calls?{q}")
}

/// The calls behind one figure: the same definition, attribution and interval as the row.
#[derive(Debug, Deserialize)]
pub struct DrillParams {
    #[serde(default)]
    pub queue: String,
    /// Interval start (epoch seconds) as the KPI row gives it.
    pub start: Option<i64>,
    #[serde(default)]
    pub by: String,
    #[serde(default)]
    pub definition: String,
}

async fn drill(state: &AppState, p: &Programme, q: &DrillParams) -> Result<CallsBehind, AppError> {
    let start = q
        .start
        .ok_or_else(|| AppError::invalid("start", "error.kpi.start"))?;
    let definition = definition_of(&q.definition)?;
    let granularity = granularity_of(&q.by)?;
    Ok(state
        .app
        .clone()
        .calls_behind(
            p,
            CallsQuery {
                queue: &q.queue,
                start,
                granularity,
                definition: &definition,
            },
        )
        .await?)
}

async fn calls_page(
    State(state): State<AppState>,
    ctx: Ctx,
    ProgrammeAccess { programme: p, .. }: ProgrammeAccess<ReadInternal>,
    Query(q): Query<DrillParams>,
) -> Result<Markup, AppError> {
    let d = drill(&state, &p, &q).await?;
    let l = ctx.lang;
    Ok(layout(
        &ctx,
        Section::Control,
        ctx.t("control.drill_title"),
        html! {
            (programme_tabs(&ctx, &p, "control"))
            p.notice {
                (ctx.t("control.queue")) ": " strong { (if q.queue.is_empty() { ctx.t("control.programme_level") } else { q.queue.as_str() }) } " · "
                (ctx.t("control.interval")) ": " strong { (fmt_instant(&ctx, q.start.unwrap_or_default(), &p.time_zone)) } " · "
                (ctx.t("control.definition")) ": " code { (if q.definition.is_empty() { default_definition().id().to_string() } else { q.definition.clone() }) }
            }
            div.grid {
                div.card { p { (ctx.t("control.offered")) } p { strong { (d.total) } } }
                div.card { p { (ctx.t("control.answered")) } p { strong { (d.answered) } } }
                div.card { p { (ctx.t("control.abandoned")) } p { strong { (d.abandoned) } } }
                div.card { p { (ctx.t("control.system_exits")) } p { strong { (d.system_exits) } } }
            }
            @if d.total > d.calls.len() { p { (ctx.tf("control.drill_limited", &[("n", &d.calls.len().to_string())])) } }
            table {
                thead { tr {
                    th scope="col" { (ctx.t("control.call_id")) }
                    th scope="col" { (ctx.t("control.entered")) }
                    th.num scope="col" { (ctx.t("control.wait")) }
                    th.num scope="col" { (ctx.t("control.talk")) }
                    th.num scope="col" { (ctx.t("control.hold")) }
                    th.num scope="col" { (ctx.t("control.wrap")) }
                    th scope="col" { (ctx.t("control.outcome")) }
                    th scope="col" { (ctx.t("import.batch")) }
                } }
                tbody { @for c in &d.calls { tr {
                    td { (c.call_id) }
                    td { (fmt_instant(&ctx, c.enter_ts, &p.time_zone)) }
                    td.num { (fmt_dec(l, c.wait_s, 1)) }
                    td.num { (fmt_dec(l, c.talk_s, 0)) }
                    td.num { (fmt_dec(l, c.hold_s, 0)) }
                    td.num { (fmt_dec(l, c.wrap_s, 0)) }
                    td { (ctx.t(&format!("control.outcome.{}", c.outcome))) }
                    td { a href={ "/programs/" (p.code) "/imports/" (c.batch_id) } { "#" (c.batch_id) } }
                } } }
            }
        },
    ))
}

async fn api_calls(
    State(state): State<AppState>,
    ProgrammeAccess { programme: p, .. }: ProgrammeAccess<ReadInternal>,
    Query(q): Query<DrillParams>,
) -> Result<Json<serde_json::Value>, AppError> {
    let d = drill(&state, &p, &q).await?;
    Ok(Json(serde_json::json!({
        "offered": d.total, "answered": d.answered, "abandoned": d.abandoned, "system_exits": d.system_exits,
        "listed": d.calls.len(), "calls": d.calls,
    })))
}

const SOURCES: [(&str, &str); 7] = [
    ("auto", "import.source.auto"),
    ("queue-log", "import.source.queue_log"),
    ("cdr", "import.source.cdr"),
    ("calls", "import.source.calls"),
    ("quality", "import.source.quality"),
    ("survey", "import.source.survey"),
    ("sales", "import.source.sales"),
];

fn batch_table(ctx: &Ctx, p: &Programme, batches: &[Batch]) -> Markup {
    html! {
        table {
            thead { tr {
                th scope="col" { "#" }
                th scope="col" { (ctx.t("import.when")) }
                th scope="col" { (ctx.t("import.source")) }
                th scope="col" { (ctx.t("import.file")) }
                th.num scope="col" { (ctx.t("import.read")) }
                th.num scope="col" { (ctx.t("import.imported")) }
                th.num scope="col" { (ctx.t("import.rejected")) }
                th.num scope="col" { (ctx.t("import.suspicious")) }
                th.num scope="col" { (ctx.t("import.duplicates")) }
            } }
            tbody { @for b in batches { tr {
                td { a href={ "/programs/" (p.code) "/imports/" (b.id) } { "#" (b.id) } }
                td { (fmt_instant(ctx, b.created_at, &p.time_zone)) }
                td { (source_label(ctx, &b.source)) }
                td {
                    (b.file_name)
                    @if b.mostly_not_understood() {
                        " " strong.badge.warn title=(ctx.t("import.mostly_not_understood.help")) { (ctx.t("import.mostly_not_understood")) }
                    }
                }
                td.num { (b.lines_read) }
                td.num { (b.imported) }
                td.num { (b.rejected) }
                td.num { (b.suspicious) }
                td.num { (b.duplicates) }
            } } }
        }
    }
}

fn source_label(ctx: &Ctx, s: &str) -> &'static str {
    SOURCES
        .iter()
        .find(|(v, _)| *v == s)
        .map(|(_, k)| ctx.t(k))
        .unwrap_or("?")
}

async fn imports_page(
    State(state): State<AppState>,
    ctx: Ctx,
    ProgrammeAccess { programme: p, .. }: ProgrammeAccess<ReadInternal>,
    UrlPath(code): UrlPath<String>,
) -> Result<Markup, AppError> {
    let can_import = access::programme(&state, &ctx, &code, Action::Operate)
        .await
        .is_ok();
    let batches = state.app.import_batches(&p).await?;
    let mappings = state.app.mappings(&p).await?;
    Ok(layout(
        &ctx,
        Section::Control,
        &format!("{} · {}", ctx.t("control.imports"), p.code),
        html! {
            (programme_tabs(&ctx, &p, "imports"))
            @if can_import {
                h2 { (ctx.t("import.new")) }
                p { (ctx.t("import.help")) }
                form method="post" action={ "/programs/" (p.code) "/imports" } enctype="multipart/form-data" {
                    (csrf_field(&ctx))
                    div.field {
                        label for="source" { (ctx.t("import.source")) }
                        select id="source" name="source" {
                            @for (v, key) in SOURCES { option value=(v) { (ctx.t(key)) } }
                        }
                    }
                    div.field {
                        label for="mapping" { (ctx.t("import.mapping")) }
                        select id="mapping" name="mapping" {
                            option value="" { (ctx.t("import.no_mapping")) }
                            @for m in &mappings { option value=(m.name) { (m.name) " (" (ctx.t(&format!("mapping.kind.{}", m.kind))) ")" } }
                        }
                        a href={ "/programs/" (p.code) "/mappings" } { (ctx.t("mapping.manage")) }
                    }
                    div.field {
                        label for="file" { (ctx.t("import.file")) }
                        input id="file" name="file" type="file" required;
                    }
                    button type="submit" { (ctx.t("import.submit")) }
                }
            }
            h2 { (ctx.t("import.batches")) }
            @if batches.is_empty() { p { (ctx.t("import.none")) } }
            @else { (batch_table(&ctx, &p, &batches)) }
        },
    ))
}

#[derive(Debug, Deserialize)]
struct PageQuery {
    #[serde(default)]
    page: i64,
}

const ISSUES_PER_PAGE: i64 = 200;

async fn batch_page(
    State(state): State<AppState>,
    ctx: Ctx,
    ProgrammeAccess { programme: p, .. }: ProgrammeAccess<ReadInternal>,
    UrlPath((_, id)): UrlPath<(String, i64)>,
    Query(pq): Query<PageQuery>,
) -> Result<Markup, AppError> {
    let b = state.app.import_batch(&p, id).await?;
    let page = pq.page.max(0);
    let issues = state
        .app
        .import_issues(&b, page * ISSUES_PER_PAGE, ISSUES_PER_PAGE + 1)
        .await?;
    let more = issues.len() as i64 > ISSUES_PER_PAGE;
    let issues: Vec<&IssueRow> = issues.iter().take(ISSUES_PER_PAGE as usize).collect();
    let totals = state.app.import_issue_totals(&b).await?;
    let bounded = totals.iter().any(|t| t.total > t.kept);
    let can_delete = access::programme(&state, &ctx, &p.code, Action::Operate)
        .await
        .is_ok();
    Ok(layout(
        &ctx,
        Section::Control,
        &format!("{} #{}", ctx.t("import.batch"), b.id),
        html! {
            (programme_tabs(&ctx, &p, "imports"))
            (batch_table(&ctx, &p, std::slice::from_ref(&b)))
            @if b.mostly_not_understood() {
                div.problems role="alert" {
                    p { (ctx.tf("import.mostly_not_understood.detail", &[("n", &b.not_understood.to_string()), ("total", &b.lines_read.to_string())])) }
                    p { (ctx.t("import.mostly_not_understood.help")) " " a href={ "/programs/" (p.code) "/mappings" } { (ctx.t("mapping.manage")) } }
                }
            }
            dl.facts {
                dt { (ctx.t("import.hash")) } dd { code { (b.file_hash) } }
                dt { (ctx.t("import.by")) } dd { (crate::view::changes::audit_actor(&ctx, &b.actor)) }
                @if let (Some(a), Some(z)) = (b.min_ts, b.max_ts) {
                    dt { (ctx.t("import.period")) } dd { (fmt_instant(&ctx, a, &p.time_zone)) " – " (fmt_instant(&ctx, z, &p.time_zone)) }
                }
                @if let Some(m) = &b.mapping_name { dt { (ctx.t("import.mapping")) } dd { (m) } }
                @if let Some(l) = &b.layout { dt { (ctx.t("import.layout")) } dd { (layout_label(&ctx, l)) } }
            }
            h2 { (ctx.t("import.quality_report")) }
            @if !totals.is_empty() {
                table {
                    caption { (ctx.t("import.totals")) }
                    thead { tr {
                        th scope="col" { (ctx.t("import.severity")) }
                        th scope="col" { (ctx.t("import.reason")) }
                        th.num scope="col" { (ctx.t("import.totals.total")) }
                        th.num scope="col" { (ctx.t("import.totals.listed")) }
                    } }
                    tbody { @for t in &totals { tr {
                        td { (ctx.t(&format!("import.severity.{}", t.severity))) }
                        td { (issue_reason(ctx.lang, &t.kind)) }
                        td.num { (t.total) }
                        td.num { (t.kept) }
                    } } }
                }
                @if bounded {
                    p { (ctx.tf("import.totals.bounded", &[("n", &rumbo_app::imports::ISSUES_PER_REASON.to_string())])) }
                }
            }
            @if issues.is_empty() && page == 0 { p { (ctx.t("import.no_issues")) } }
            @else {
                table {
                    thead { tr {
                        th.num scope="col" { (ctx.t("import.line")) }
                        th scope="col" { (ctx.t("import.severity")) }
                        th scope="col" { (ctx.t("import.reason")) }
                        th scope="col" { (ctx.t("import.excerpt")) }
                    } }
                    tbody { @for i in &issues { tr {
                        td.num { (b.file_name) ":" (i.line) }
                        td { (ctx.t(&format!("import.severity.{}", i.severity))) }
                        td { (issue_reason(ctx.lang, &i.kind)) }
                        td { @if let Some(x) = excerpt(&i.message) { code { (x) } } }
                    } } }
                }
                div.actions {
                    @if page > 0 { a href={ "?page=" (page - 1) } { (ctx.t("import.previous")) } }
                    @if more { a href={ "?page=" (page + 1) } { (ctx.t("import.next")) } }
                }
            }
            @if can_delete {
                h2 { (ctx.t("import.delete.title")) }
                p { (ctx.t("import.delete.help")) }
                form method="post" action={ "/programs/" (p.code) "/imports/" (b.id) "/delete" } {
                    (csrf_field(&ctx))
                    div.field {
                        input id="confirm" name="confirm" type="checkbox" value="yes" required;
                        label for="confirm" { (ctx.tf("import.delete.confirm", &[("id", &b.id.to_string())])) }
                    }
                    button.danger type="submit" { (ctx.t("import.delete.submit")) }
                }
            }
        },
    ))
}

/// The catalogued name of a recognised layout (stored names are `LAYOUT_NAMES` or `mapping`).
fn layout_label(ctx: &Ctx, name: &str) -> &'static str {
    ctx.lang
        .t_opt(&format!("import.layout.{name}"))
        .unwrap_or_else(|| ctx.t("import.layout.other"))
}

/// `POST /programs/{code}/imports/{id}/delete` (the batch page's form, confirmed with its
/// checkbox): deletes the batch and goes back to the batch list.
async fn delete_batch_post(
    State(state): State<AppState>,
    ctx: Ctx,
    UrlPath((code, id)): UrlPath<(String, i64)>,
    _access: ProgrammeAccess<Operate>,
    Form(f): Form,
) -> Result<Response, AppError> {
    if f.get("confirm") != "yes" {
        return Err(AppError::invalid("confirm", "error.import.delete_confirm"));
    }
    state
        .app
        .delete_import_batch(&ctx.principal()?, &code, id)
        .await?;
    Ok(redirect(&format!("/programs/{code}/imports")))
}

/// `DELETE /api/v1/programs/{code}/imports/{id}`: deletes the batch (audited; its records,
/// issues and aggregates go with it) and answers with the batch as it was.
async fn api_delete_batch(
    State(state): State<AppState>,
    ctx: Ctx,
    UrlPath((code, id)): UrlPath<(String, i64)>,
) -> Result<Json<BatchOut>, AppError> {
    let b = state
        .app
        .delete_import_batch(&ctx.principal()?, &code, id)
        .await?;
    Ok(Json(b.into()))
}

/// The catalogued reason of an issue kind (kinds are `rumbo_ingest::issue::IssueKind` codes).
fn issue_reason(lang: Lang, kind: &str) -> &'static str {
    lang.t(&format!("import.issue.{kind}"))
}

/// At most a short excerpt of the offending value: the parsers quote values as Rust strings
/// (`bad timestamp "abc"`), so the first double-quoted part of the detail (which is English, for
/// the log and machines), cut to 40 characters.
fn excerpt(detail: &str) -> Option<String> {
    let start = detail.find('"')?;
    let rest = &detail[start + 1..];
    let inner = &rest[..rest.find('"')?];
    let inner = inner.trim();
    if inner.is_empty() {
        return None;
    }
    let mut x: String = inner.chars().take(40).collect();
    if inner.chars().count() > 40 {
        x.push('…');
    }
    Some(x)
}

// --- import jobs -----------------------------------------------------------------------------
//
// An upload is stored (in the database on PostgreSQL, under the data folder on SQLite) and
// queued as a job row; whichever server's worker claims it runs it, and any server shows it.

/// Streams an upload into the store; returns the stored file.
async fn store_field(
    app: &rumbo_app::App,
    max: u64,
    mut field: axum::extract::multipart::Field<'_>,
) -> Result<JobFile, AppError> {
    let mut w = app.upload_writer().await?;
    loop {
        let chunk = match field.chunk().await {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(e) => {
                w.abort().await?;
                return Err(if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    AppError::TooLarge
                } else {
                    AppError::BadRequest(e.body_text())
                });
            }
        };
        if w.size() + chunk.len() as u64 > max {
            w.abort().await?;
            return Err(AppError::TooLarge);
        }
        w.write(&chunk).await?;
    }
    Ok(w.finish().await?)
}

/// Streams a request body into the store; returns the stored file.
async fn store_body(app: &rumbo_app::App, max: u64, mut body: Body) -> Result<JobFile, AppError> {
    let mut w = app.upload_writer().await?;
    while let Some(frame) = body.frame().await {
        let frame = match frame {
            Ok(f) => f,
            Err(e) => {
                w.abort().await?;
                return Err(AppError::BadRequest(e.to_string()));
            }
        };
        if let Ok(chunk) = frame.into_data() {
            if w.size() + chunk.len() as u64 > max {
                w.abort().await?;
                return Err(AppError::TooLarge);
            }
            w.write(&chunk).await?;
        }
    }
    Ok(w.finish().await?)
}

async fn upload(
    State(state): State<AppState>,
    ctx: Ctx,
    UrlPath(code): UrlPath<String>,
    // The access check runs before the body is read: a refused user learns nothing from it.
    _access: ProgrammeAccess<Operate>,
    mut mp: Multipart,
) -> Result<Response, AppError> {
    let who = ctx.principal()?;
    let app = state.app.clone();
    let mut csrf_ok = false;
    let mut source = String::new();
    let mut mapping = String::new();
    let mut stored = None;
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|e| AppError::BadRequest(e.body_text()))?
    {
        let name = field.name().unwrap_or("").to_string();
        match name.as_str() {
            "_csrf" => {
                csrf_ok = csrf_matches(&ctx, &multipart_text(field).await?);
            }
            "source" => source = multipart_text(field).await?,
            "mapping" => mapping = multipart_text(field).await?,
            "file" => {
                // The token must come before the file: nothing is stored for a forged post,
                // nor for a request the import would refuse.
                if !csrf_ok {
                    return Err(AppError::Csrf);
                }
                let file_name = field.file_name().unwrap_or("upload").to_string();
                let prep = app
                    .prepare_import(&who, &code, &source, &mapping, &file_name)
                    .await?;
                stored = Some((
                    prep,
                    store_field(&app, state.config.max_upload_bytes, field).await?,
                ));
            }
            _ => {}
        }
    }
    if !csrf_ok {
        return Err(AppError::Csrf);
    }
    let (prep, file) = stored.ok_or_else(|| AppError::invalid("file", "error.import.file"))?;
    let id = app.enqueue_import(&who, &prep, file).await?.id;
    Ok(redirect(&format!("/imports/jobs/{id}")))
}

/// The message of a stored failure key (keys of older versions fall back to a generic one).
fn job_error(ctx: &Ctx, key: Option<&str>) -> &'static str {
    key.and_then(|k| ctx.lang.t_opt(k))
        .unwrap_or_else(|| ctx.t("error.import.internal"))
}

/// `/imports/jobs/{id}`: the job's progress (refreshing itself), its batch when done, its
/// catalogued error when failed. Read from the job row, so it works from any server.
async fn job_page(
    State(state): State<AppState>,
    ctx: Ctx,
    UrlPath(id): UrlPath<i64>,
) -> Result<Response, AppError> {
    let job = state.app.clone().job(&ctx.principal()?, id).await?;
    let code = job.programme_code.clone().unwrap_or_default();
    if let (JobStatus::Done, Some(batch)) = (job.status, job.batch_id) {
        return Ok(redirect(&format!("/programs/{code}/imports/{batch}")));
    }
    let pct = job.percent();
    let body = match job.status {
        JobStatus::Queued | JobStatus::Running => html! {
            p { (ctx.t(if job.status == JobStatus::Queued { "import.queued" } else { "import.running" })) }
            progress max="100" value=(format!("{pct:.0}")) aria-label=(ctx.t("import.progress")) { (format!("{pct:.0} %")) }
            p { (format!("{pct:.0} %")) }
            @if job.attempts > 1 { p { (ctx.t("import.resumed")) } }
        },
        JobStatus::Failed | JobStatus::Done => html! {
            div.problems role="alert" {
                p { (ctx.t("import.failed")) }
                p { (job_error(&ctx, job.error.as_deref())) }
                @if job.error.as_deref().is_some_and(|k| k.starts_with("error.import.unrecognised.")) {
                    p { a href={ "/programs/" (code) "/mappings" } { (ctx.t("import.build_mapping")) } }
                }
            }
            p { a href={ "/programs/" (code) "/imports" } { (ctx.t("control.imports")) } }
        },
    };
    let running = !job.status.is_finished();
    let page = layout(&ctx, Section::Control, ctx.t("import.job"), body);
    // A tiny self-refresh (no JavaScript) while the import waits or runs.
    let html = if running {
        page.into_string().replacen(
            "<head>",
            "<head><meta http-equiv=\"refresh\" content=\"1\">",
            1,
        )
    } else {
        page.into_string()
    };
    Ok(PreEscaped(html).into_response())
}

/// `GET /api/v1/imports/jobs/{id}`: the job row as JSON (status, progress, batch, error key).
async fn api_job(
    State(state): State<AppState>,
    ctx: Ctx,
    UrlPath(id): UrlPath<i64>,
) -> Result<Json<JobView>, AppError> {
    Ok(Json(state.app.clone().job(&ctx.principal()?, id).await?))
}

// --- API -------------------------------------------------------------------------------------

async fn api_kpis(
    State(state): State<AppState>,
    ProgrammeAccess { programme: p, .. }: ProgrammeAccess<Read>,
    uri: axum::http::Uri,
    Query(q): Query<KpiParams>,
) -> Result<Response, AppError> {
    // The JSON is kept per data version and query (the answer depends on nothing else).
    let key = state
        .app
        .view_key(p.id, "kpi-api", uri.query().unwrap_or("").to_string())
        .await?;
    let json = state
        .app
        .view_or_render(key, || async {
            let rows = kpi_view(&state, &p, &q).await?.rows;
            serde_json::to_string(&rows).map_err(|e| AppError::Internal(e.to_string()))
        })
        .await?;
    Ok(crate::http::json_text(&json))
}

async fn api_kpi_total(
    State(state): State<AppState>,
    ProgrammeAccess { programme: p, .. }: ProgrammeAccess<Read>,
    Query(q): Query<KpiParams>,
) -> Result<Json<KpiTotal>, AppError> {
    let v = kpi_view(&state, &p, &q).await?;
    Ok(Json(KpiTotal::of(q.queue.trim(), &v)))
}

async fn api_batches(
    State(state): State<AppState>,
    ProgrammeAccess { programme: p, .. }: ProgrammeAccess<ReadInternal>,
) -> Result<Json<Vec<BatchOut>>, AppError> {
    let batches = state.app.import_batches(&p).await?;
    Ok(Json(batches.into_iter().map(BatchOut::from).collect()))
}

#[derive(Serialize)]
struct BatchDetail {
    batch: BatchOut,
    /// Every reason's exact total; `issues` lists the first lines of each reason only.
    issue_totals: Vec<IssueTotalOut>,
    issues: Vec<IssueOut>,
}

/// How many issues of one reason a batch had, and how many of them are listed line by line.
#[derive(Serialize)]
struct IssueTotalOut {
    severity: String,
    kind: String,
    message: &'static str,
    total: i64,
    listed: i64,
}

/// An import batch as the API shows it (where its raw records are stored stays inside).
#[derive(Serialize)]
struct BatchOut {
    id: i64,
    programme_id: i64,
    source: String,
    file_name: String,
    file_hash: String,
    mapping_name: Option<String>,
    /// The layout the importer took (`queue-log-pipe`, `cdr-header`, `mapping`…).
    layout: Option<String>,
    lines_read: i64,
    imported: i64,
    rejected: i64,
    suspicious: i64,
    duplicates: i64,
    min_ts: Option<i64>,
    max_ts: Option<i64>,
    created_at: i64,
    actor: String,
    /// Lines not understood (unreadable lines and unknown events).
    not_understood: i64,
    /// Whether most lines were not understood (wrong source, or the file needs a mapping).
    mostly_not_understood: bool,
}

impl From<Batch> for BatchOut {
    fn from(b: Batch) -> Self {
        let mostly_not_understood = b.mostly_not_understood();
        BatchOut {
            id: b.id,
            programme_id: b.programme_id,
            source: b.source,
            file_name: b.file_name,
            file_hash: b.file_hash,
            mapping_name: b.mapping_name,
            layout: b.layout,
            lines_read: b.lines_read,
            imported: b.imported,
            rejected: b.rejected,
            suspicious: b.suspicious,
            duplicates: b.duplicates,
            min_ts: b.min_ts,
            max_ts: b.max_ts,
            created_at: b.created_at,
            mostly_not_understood,
            not_understood: b.not_understood,
            actor: b.actor,
        }
    }
}

/// One data-quality issue as the API shows it: the catalogued `message` of its `kind` in the
/// caller's language, the offending value's `excerpt` if any, and the parser's `detail` (English,
/// for machines and support).
#[derive(Serialize)]
struct IssueOut {
    line: i64,
    severity: String,
    kind: String,
    message: &'static str,
    excerpt: Option<String>,
    detail: String,
}

impl IssueOut {
    fn new(lang: Lang, i: IssueRow) -> IssueOut {
        IssueOut {
            message: issue_reason(lang, &i.kind),
            excerpt: excerpt(&i.message),
            line: i.line,
            severity: i.severity,
            kind: i.kind,
            detail: i.message,
        }
    }
}

#[derive(Debug, Deserialize)]
struct IssuePage {
    #[serde(default)]
    offset: i64,
    #[serde(default)]
    limit: Option<i64>,
}

async fn api_batch(
    State(state): State<AppState>,
    ctx: Ctx,
    ProgrammeAccess { programme: p, .. }: ProgrammeAccess<ReadInternal>,
    UrlPath((_, id)): UrlPath<(String, i64)>,
    Query(q): Query<IssuePage>,
) -> Result<Json<BatchDetail>, AppError> {
    let batch = state.app.import_batch(&p, id).await?;
    let issues = state
        .app
        .import_issues(
            &batch,
            q.offset.max(0),
            q.limit.unwrap_or(1000).clamp(1, 10_000),
        )
        .await?;
    let issues = issues
        .into_iter()
        .map(|i| IssueOut::new(ctx.lang, i))
        .collect();
    let issue_totals = state
        .app
        .import_issue_totals(&batch)
        .await?
        .into_iter()
        .map(|t| IssueTotalOut {
            message: issue_reason(ctx.lang, &t.kind),
            severity: t.severity,
            kind: t.kind,
            total: t.total,
            listed: t.kept,
        })
        .collect();
    Ok(Json(BatchDetail {
        batch: batch.into(),
        issue_totals,
        issues,
    }))
}

#[derive(Debug, Deserialize)]
struct ImportParams {
    /// `auto` (the default) recognises the layout by content.
    #[serde(default)]
    source: String,
    #[serde(default)]
    mapping: String,
    #[serde(default)]
    file_name: String,
    /// `false`: answer 202 with the queued job at once instead of waiting for the batch.
    #[serde(default = "yes")]
    wait: bool,
}

fn yes() -> bool {
    true
}

#[derive(Serialize)]
struct ImportOut {
    batch_id: i64,
    job_id: i64,
    source: String,
    layout: Option<String>,
    lines_read: u64,
    imported: u64,
    rejected: u64,
    suspicious: u64,
    duplicates: u64,
    file_hash: String,
    mostly_not_understood: bool,
}

/// `POST /programs/{code}/imports[?source=auto|queue-log|…][&mapping=NAME][&file_name=x][&wait=false]`
/// with the file as the request body; without a source the layout is recognised by content. The file is stored and queued as a job like an upload.
/// By default the request runs the job itself (or waits for the worker that took it) and
/// answers 201 with the committed batch; with `wait=false` it answers 202 at once with the job
/// (`Location: /api/v1/imports/jobs/{id}`), to be polled.
async fn api_import(
    State(state): State<AppState>,
    ctx: Ctx,
    UrlPath(code): UrlPath<String>,
    Query(q): Query<ImportParams>,
    body: Body,
) -> Result<Response, AppError> {
    let who = ctx.principal()?;
    let app = state.app.clone();
    let file_name = if q.file_name.is_empty() {
        format!("{}.upload", q.source)
    } else {
        q.file_name.clone()
    };
    let prep = app
        .prepare_import(&who, &code, &q.source, &q.mapping, &file_name)
        .await?;
    let file = store_body(&app, state.config.max_upload_bytes, body).await?;
    let job = app.enqueue_import(&who, &prep, file).await?;
    let id = job.id;
    if !q.wait {
        let mut res = (StatusCode::ACCEPTED, Json(job)).into_response();
        if let Ok(v) = axum::http::HeaderValue::from_str(&format!("/api/v1/imports/jobs/{id}")) {
            res.headers_mut().insert(axum::http::header::LOCATION, v);
        }
        return Ok(res);
    }
    let job = app.run_job_now(&who, id).await?;
    let Some(batch_id) = job.batch_id else {
        return Err(AppError::invalid(
            "file",
            rumbo_app::jobs::error_key(job.error.as_deref()),
        ));
    };
    let p = app
        .programme_for(&who, &code, Action::Read)
        .await?
        .programme;
    let b = app.import_batch(&p, batch_id).await?;
    Ok((
        StatusCode::CREATED,
        Json(ImportOut {
            batch_id,
            job_id: id,
            source: b.source.clone(),
            layout: b.layout.clone(),
            lines_read: b.lines_read as u64,
            imported: b.imported as u64,
            rejected: b.rejected as u64,
            suspicious: b.suspicious as u64,
            duplicates: b.duplicates as u64,
            mostly_not_understood: b.mostly_not_understood(),
            file_hash: b.file_hash,
        }),
    )
        .into_response())
}
