//! Forecast against actual volume of a period, on the Control page (a line chart per hour and
//! a table per day) and in the API (`GET /programs/{code}/kpis/forecast`, per 15 minutes).
//!
//! The forecast is the WFM engine's, fitted by `rumbo_app` on the weeks before the period's
//! first day (see `rumbo_app::control`); the actual volume counts each call once over all
//! queues, as the programme totals do.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::Json;
use jiff::tz::TimeZone;
use maud::{html, Markup};
use rumbo_app::control::VolumeForecast;
use rumbo_app::model::Programme;
use rumbo_charts::{line_chart, LineChart, Series};
use serde::Serialize;

use super::{frame, period_of, KpiParams};
use crate::http::access::{ProgrammeAccess, Read};
use crate::http::ctx::Ctx;
use crate::http::error::AppError;
use crate::view::{fmt_dec, fmt_pct, svg};
use crate::AppState;

/// One 15-minute interval of the API answer.
#[derive(Debug, Clone, Serialize)]
pub struct ForecastPointOut {
    /// Interval start, UTC epoch seconds.
    pub start: i64,
    /// Calls offered, each call once over all queues.
    pub actual: u64,
    /// Calls forecast.
    pub forecast: f64,
}

/// Forecast against actual volume of a period, as the API returns it.
#[derive(Debug, Clone, Serialize)]
pub struct ForecastOut {
    /// First day of the period.
    pub from: Option<String>,
    /// Last day of the period.
    pub to: Option<String>,
    /// The forecast was fitted on the days before this one; `None` without enough history.
    pub cut_off: Option<String>,
    /// Intervals of the period up to the latest imported one.
    pub points: Vec<ForecastPointOut>,
}

/// The forecast of the query's period (`from`/`to`; the last 7 days with data by default).
pub(super) async fn forecast(
    state: &AppState,
    ctx: &Ctx,
    p: &Programme,
    q: &KpiParams,
) -> Result<(ForecastOut, Option<VolumeForecast>), AppError> {
    let tz = TimeZone::get(&p.time_zone).unwrap_or(TimeZone::UTC);
    let (from, to) = period_of(state, p, q, &tz).await?;
    let v = match (from, to) {
        (Some(f), Some(t)) => {
            state
                .app
                .volume_forecast(&ctx.principal()?, &p.code, f, t)
                .await?
        }
        _ => None,
    };
    let out = ForecastOut {
        from: from.map(|d| d.to_string()),
        to: to.map(|d| d.to_string()),
        cut_off: v.as_ref().map(|v| v.cut_off.to_string()),
        points: v
            .iter()
            .flat_map(|v| &v.points)
            .map(|p| ForecastPointOut {
                start: p.start,
                actual: p.actual,
                forecast: p.forecast,
            })
            .collect(),
    };
    Ok((out, v))
}

/// `GET /programs/{code}/kpis/forecast`: forecast against actual volume per 15 minutes.
pub(super) async fn api_forecast(
    State(state): State<AppState>,
    ctx: Ctx,
    ProgrammeAccess { programme: p, .. }: ProgrammeAccess<Read>,
    Query(q): Query<KpiParams>,
) -> Result<Json<ForecastOut>, AppError> {
    Ok(Json(forecast(&state, &ctx, &p, &q).await?.0))
}

/// The Control page's section: a line chart of actual and forecast calls per hour, and a table
/// per day with the deviation; a notice when there is not enough history to forecast.
pub(super) fn forecast_section(ctx: &Ctx, p: &Programme, v: Option<&VolumeForecast>) -> Markup {
    let l = ctx.lang;
    let Some(v) = v.filter(|v| !v.points.is_empty()) else {
        return html! {
            h2 { (ctx.t("control2.forecast_title")) }
            p.notice { (ctx.t("control2.forecast_none")) }
        };
    };
    let tz = TimeZone::get(&p.time_zone).unwrap_or(TimeZone::UTC);
    let local = |ts: i64| {
        jiff::Timestamp::from_second(ts)
            .map(|t| t.to_zoned(tz.clone()))
            .ok()
    };
    // Per local hour for the chart, per local day for the table.
    let mut hours: BTreeMap<i64, (String, f64, f64)> = BTreeMap::new();
    let mut days: BTreeMap<jiff::civil::Date, (u64, f64)> = BTreeMap::new();
    for pt in &v.points {
        let Some(z) = local(pt.start) else { continue };
        let hour = pt.start - i64::from(z.minute()) * 60;
        let label = z.strftime(if l == crate::view::i18n::Lang::Es {
            "%d-%m %H:00"
        } else {
            "%m-%d %H:00"
        });
        let h = hours
            .entry(hour)
            .or_insert_with(|| (label.to_string(), 0.0, 0.0));
        h.1 += pt.actual as f64;
        h.2 += pt.forecast;
        let d = days.entry(z.date()).or_default();
        d.0 += pt.actual;
        d.1 += pt.forecast;
    }
    let step = (hours.len() / 12).max(1);
    let x_ticks: Vec<(f64, String)> = hours
        .values()
        .enumerate()
        .filter(|(i, _)| i % step == 0)
        .map(|(i, h)| (i as f64, h.0.clone()))
        .collect();
    let series = |name: &str, pick: fn(&(String, f64, f64)) -> f64| Series {
        name: name.to_string(),
        points: hours
            .values()
            .enumerate()
            .map(|(i, h)| (i as f64, pick(h)))
            .collect(),
    };
    let chart = line_chart(&LineChart {
        frame: frame(
            ctx,
            ctx.t("control2.forecast_chart"),
            ctx.t("control2.forecast_chart_desc"),
            ctx.t("control.interval"),
            ctx.t("control.calls"),
        ),
        series: vec![
            series(ctx.t("control2.actual"), |h| h.1),
            series(ctx.t("control2.forecast"), |h| h.2),
        ],
        target: None,
        x_ticks,
        y_from_zero: true,
    });
    html! {
        h2 { (ctx.t("control2.forecast_title")) }
        p { (ctx.t("control2.forecast_method")) " " (crate::view::fmt_date(ctx, &v.cut_off)) "." }
        figure { (svg(chart)) }
        table {
            caption { (ctx.t("control2.forecast_table")) }
            thead { tr {
                th scope="col" { (ctx.t("control2.day")) }
                th.num scope="col" { (ctx.t("control2.actual")) }
                th.num scope="col" { (ctx.t("control2.forecast")) }
                th.num scope="col" { (ctx.t("control2.deviation")) }
            } }
            tbody { @for (day, (actual, forecast)) in &days { tr {
                td { (crate::view::fmt_date(ctx, day)) }
                td.num { (actual) }
                td.num { (fmt_dec(l, *forecast, 0)) }
                td.num { @if *forecast > 0.0 { (fmt_pct(l, *actual as f64 / forecast - 1.0)) } @else { "—" } }
            } } }
        }
    }
}
