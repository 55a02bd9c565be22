//! The weekday × hour heat-map of service level over a period: where in the week the service
//! falls short, on the Control page (an SVG from `rumbo_charts`) and in the API
//! (`GET /programs/{code}/kpis/heatmap`), with the same figures.
//!
//! Each cell merges the hourly aggregates of every day of the period that falls on that
//! weekday and hour (programme time zone), exactly from the counts: over all queues each call
//! counts once (its call tally), over one queue its stints, as the period totals do.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::Json;
use jiff::tz::TimeZone;
use maud::{html, Markup};
use rumbo_app::kpis::KpiQuery;
use rumbo_app::model::Programme;
use rumbo_charts::{slot_heat_map, slot_heat_map_height, SlotHeatMap};
use rumbo_domain::access::Action;
use rumbo_kpi::{Agg, Granularity, KpiDefinition};
use serde::Serialize;

use super::{definition_of, frame, period_of, target_overlaps, KpiParams};
use crate::http::access::{ProgrammeAccess, Read};
use crate::http::ctx::Ctx;
use crate::http::error::AppError;
use crate::view::svg;
use crate::AppState;

/// One cell: a weekday and an hour of the day, over every such hour in the period.
#[derive(Debug, Clone, Serialize)]
pub struct HeatCell {
    /// ISO weekday: 1 = Monday … 7 = Sunday.
    pub weekday: i8,
    /// Start of the hour, `HH:MM` in the programme's time zone.
    pub slot: String,
    /// Calls (all queues) or stints (one queue) offered.
    pub offered: u64,
    /// Of those, answered.
    pub answered: u64,
    /// Answered within the definition's threshold.
    pub answered_within_t: u64,
    /// Service level (0–1) under the definition.
    pub sl: Option<f64>,
    /// Whether the service level is below the plan's target; `None` without target or value.
    pub below_target: Option<bool>,
}

/// The heat-map of a period.
#[derive(Debug, Clone, Serialize)]
pub struct HeatMapOut {
    /// The queue asked for (empty: every queue).
    pub queue: String,
    /// The definition (`name@vN`) of the figures.
    pub definition: String,
    /// First day of the period.
    pub from: Option<String>,
    /// Last day of the period.
    pub to: Option<String>,
    /// The plan's service-level target for the period, in percent.
    pub sl_target: Option<f64>,
    /// Cells with calls, by weekday then slot.
    pub cells: Vec<HeatCell>,
}

/// The service-level target of the programme's plan that applies to the period, in percent.
async fn sl_target(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    from: Option<jiff::civil::Date>,
    to: Option<jiff::civil::Date>,
) -> Result<Option<f64>, AppError> {
    let cx = state
        .app
        .plan(&ctx.principal()?, code, Action::Read)
        .await?;
    Ok(state
        .app
        .kpi_targets(&cx)
        .await?
        .into_iter()
        .map(|(_, t)| t)
        .find(|t| t.indicator == "service_level" && target_overlaps(t, from, to))
        .map(|t| t.target))
}

/// Computes the heat-map of the query's period, queue and definition.
pub(super) async fn heat_map(
    state: &AppState,
    ctx: &Ctx,
    p: &Programme,
    q: &KpiParams,
) -> Result<HeatMapOut, AppError> {
    let tz = TimeZone::get(&p.time_zone).unwrap_or(TimeZone::UTC);
    let definition: KpiDefinition = definition_of(&q.definition)?;
    let (from, to) = period_of(state, p, q, &tz).await?;
    let k = state
        .app
        .clone()
        .programme_kpis_shared(KpiQuery {
            programme_code: &p.code,
            definition: &definition,
            granularity: Granularity::Minutes(60),
            from,
            to,
        })
        .await?;
    let queue = q.queue.trim();
    let mut slots: BTreeMap<(i8, i8, i8), Agg> = BTreeMap::new();
    for ((row_queue, start), agg) in k.aggregation.sorted_rows() {
        // Programme-level rows hold agent time, not calls.
        if row_queue.is_empty() || !(queue.is_empty() || row_queue == queue) {
            continue;
        }
        let counted = if queue.is_empty() {
            agg.calls_view()
        } else {
            *agg
        };
        let Ok(t) = jiff::Timestamp::from_second(*start) else {
            continue;
        };
        let z = t.to_zoned(tz.clone());
        slots
            .entry((z.weekday().to_monday_one_offset(), z.hour(), z.minute()))
            .or_default()
            .merge(&counted);
    }
    let target = sl_target(state, ctx, &p.code, from, to).await?;
    let cells = slots
        .into_iter()
        .filter(|(_, agg)| agg.offered > 0)
        .map(|((weekday, hour, minute), agg)| {
            let sl = agg.figures(&definition).sl;
            HeatCell {
                weekday,
                slot: format!("{hour:02}:{minute:02}"),
                offered: agg.offered,
                answered: agg.answered,
                answered_within_t: agg.answered_within_t,
                sl,
                below_target: match (sl, target) {
                    (Some(sl), Some(t)) => Some(sl * 100.0 < t),
                    _ => None,
                },
            }
        })
        .collect();
    Ok(HeatMapOut {
        queue: queue.to_string(),
        definition: definition.id().to_string(),
        from: from.map(|d| d.to_string()),
        to: to.map(|d| d.to_string()),
        sl_target: target,
        cells,
    })
}

/// `GET /programs/{code}/kpis/heatmap`: the heat-map as JSON.
pub(super) async fn api_heat_map(
    State(state): State<AppState>,
    ctx: Ctx,
    ProgrammeAccess { programme: p, .. }: ProgrammeAccess<Read>,
    Query(q): Query<KpiParams>,
) -> Result<Json<HeatMapOut>, AppError> {
    Ok(Json(heat_map(&state, &ctx, &p, &q).await?))
}

/// The heat-map as a figure for the Control page: weekdays that have calls as rows, the hours
/// from the first to the last with calls as columns.
pub(super) fn heat_map_figure(ctx: &Ctx, h: &HeatMapOut) -> Markup {
    if h.cells.is_empty() {
        return html! {};
    }
    let mut weekdays: Vec<i8> = h.cells.iter().map(|c| c.weekday).collect();
    weekdays.sort_unstable();
    weekdays.dedup();
    let mut slots: Vec<&str> = h.cells.iter().map(|c| c.slot.as_str()).collect();
    slots.sort_unstable();
    slots.dedup();
    let values = weekdays
        .iter()
        .map(|w| {
            slots
                .iter()
                .map(|s| {
                    h.cells
                        .iter()
                        .find(|c| c.weekday == *w && c.slot == *s)
                        .and_then(|c| c.sl)
                        .map(|sl| sl * 100.0)
                })
                .collect()
        })
        .collect();
    let mut f = frame(
        ctx,
        ctx.t("control2.heatmap_title"),
        ctx.t("control2.heatmap_desc"),
        ctx.t("control2.heatmap_slot"),
        ctx.t("control2.heatmap_weekday"),
    );
    f.height = slot_heat_map_height(weekdays.len());
    let chart = slot_heat_map(&SlotHeatMap {
        frame: f,
        rows: weekdays
            .iter()
            .map(|w| ctx.t(&format!("control2.weekday.{w}")).to_string())
            .collect(),
        columns: slots.iter().map(|s| s.to_string()).collect(),
        values,
        target: h.sl_target,
        status_labels: [
            ctx.t("control2.heatmap_meets").to_string(),
            ctx.t("control2.heatmap_below").to_string(),
            ctx.t("control2.heatmap_no_data").to_string(),
        ],
    });
    html! { figure.heatmap { (svg(chart)) } }
}
