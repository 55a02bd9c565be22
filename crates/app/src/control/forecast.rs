//! Forecast against actual volume: the WFM engine's forecast of a programme's offered calls per
//! 15-minute interval, made from the programme's own history, beside what arrived.
//!
//! Nothing in Rumbo stores a forecast yet (`rumbo wfm forecast` writes a file), so the forecast
//! is made when asked, *ex ante*: the Holt-Winters model of `rumbo_wfm::forecast` (weekly
//! seasonality, weekday × interval profile, Chilean holidays) is fitted only on the weeks
//! before a cut-off day and forecasts from there on. The same inputs always give the same
//! forecast, and data imported after the cut-off never changes it, which is what a stored
//! forecast would give without a table to keep in step with late imports.
//!
//! For alarms the cut-off lies [`BAND_DAYS`] before the judged window: the forecast's errors
//! over those days (out of sample) are the error distribution that bounds the window's
//! deviations (`rumbo_kpi::control::forecast_band`). Only intervals with calls are judged, so
//! a data gap stays the data-gap detector's finding instead of also being a shortfall.

use std::collections::BTreeMap;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use rumbo_kpi::control::{ForecastPoint, SLOT_S};
use rumbo_kpi::{Agg, KpiDefinition};
use rumbo_wfm::forecast::{Model, Observation};

use super::evaluate::{holidays, local_start};
use crate::model::Programme;
use crate::{App, Error, Principal, Result};
use rumbo_domain::access::Action;

/// Days of history the forecast is fitted on (the model needs at least 14).
pub const FIT_DAYS: i64 = 56;

/// Days before the judged window whose out-of-sample errors bound its deviations.
pub const BAND_DAYS: i64 = 7;

/// Offered calls per interval start (UTC), programme totals (each call once).
pub(crate) type Volumes = BTreeMap<i64, u64>;

/// One 15-minute interval's actual and forecast volume.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VolumePoint {
    /// Interval start, UTC epoch seconds.
    pub start: i64,
    /// Calls offered (each call once over all queues).
    pub actual: u64,
    /// Calls forecast.
    pub forecast: f64,
}

/// Forecast against actual volume over a period.
#[derive(Debug, Clone, PartialEq)]
pub struct VolumeForecast {
    /// The forecast was fitted on the days before this one.
    pub cut_off: Date,
    /// Every 15-minute interval of the period up to the latest imported one.
    pub points: Vec<VolumePoint>,
}

/// The forecast made from the [`FIT_DAYS`] before `cut_off` for every 15-minute interval
/// from `cut_off` up to (not including) `end`; `None` when the history is too short.
pub(crate) fn forecast_from(
    volumes: &Volumes,
    tz: &TimeZone,
    cut_off: Date,
    end: i64,
) -> Result<Option<BTreeMap<i64, f64>>> {
    let fit_from = local_start(
        cut_off
            .checked_sub(FIT_DAYS.days())
            .map_err(Error::internal)?,
        tz,
    )?;
    let fit_end = local_start(cut_off, tz)?;
    let Some(first_call) = volumes
        .range(fit_from..fit_end)
        .find(|(_, v)| **v > 0)
        .map(|(s, _)| *s)
    else {
        return Ok(None);
    };
    // The history starts on the first day with calls: the weeks before a programme began
    // are not weeks without calls, and would read as a steep trend.
    let first = Timestamp::from_second(first_call)
        .map_err(Error::internal)?
        .to_zoned(tz.clone())
        .date();
    let fit_from = local_start(first, tz)?;
    // Every quarter hour of the fitted days, zero where no call arrived, so the model sees
    // 15-minute intervals and closed hours as closed.
    let mut history = Vec::new();
    let mut s = fit_from;
    while s < fit_end {
        let start = Timestamp::from_second(s)
            .map_err(Error::internal)?
            .to_zoned(tz.clone())
            .datetime();
        history.push(Observation {
            start,
            calls: volumes.get(&s).copied().unwrap_or(0) as f64,
            aht_s: None,
        });
        s += SLOT_S;
    }
    let last = Timestamp::from_second(end)
        .map_err(Error::internal)?
        .to_zoned(tz.clone())
        .date();
    let special: Vec<Date> = holidays(first, last).into_iter().collect();
    let model = match Model::fit(&history, &special) {
        Ok(m) => m,
        Err(e) => {
            tracing::debug!(error = %e, "no volume forecast");
            return Ok(None);
        }
    };
    let horizon = (last.since(cut_off).map_err(Error::internal)?.get_days() + 2).max(1);
    let mut out = BTreeMap::new();
    for row in model.forecast(horizon as u32).map_err(Error::internal)? {
        let Ok(z) = row.start.to_zoned(tz.clone()) else {
            continue;
        };
        let start = z.timestamp().as_second();
        if start >= fit_end && start < end {
            *out.entry(start).or_insert(0.0) += row.calls;
        }
    }
    Ok(Some(out))
}

/// Forecast and actual as the detector takes them: intervals with calls only.
pub(crate) fn judged_points(
    volumes: &Volumes,
    forecast: &BTreeMap<i64, f64>,
) -> Vec<ForecastPoint> {
    forecast
        .iter()
        .filter_map(|(&start, &f)| {
            let actual = *volumes.get(&start).filter(|v| **v > 0)?;
            Some(ForecastPoint {
                start,
                actual: actual as f64,
                forecast: f,
            })
        })
        .collect()
}

/// Programme totals of offered calls per 15-minute interval in `[from, end)`.
pub(crate) async fn volumes(app: &App, p: &Programme, from: i64, end: i64) -> Result<Volumes> {
    let def = KpiDefinition::standard();
    let mut totals: BTreeMap<i64, Agg> = BTreeMap::new();
    for r in app
        .store
        .kpi_aggregates(p.id, def.id(), Some(from), Some(end))
        .await?
    {
        totals
            .entry(r.interval_start)
            .or_default()
            .merge(&r.agg.calls_view());
    }
    Ok(totals.into_iter().map(|(s, a)| (s, a.offered)).collect())
}

impl App {
    /// Forecast against actual volume of programme `code` over the days `from..=to`, the
    /// forecast fitted on the weeks before `from`; `None` when there is not enough history.
    pub async fn volume_forecast(
        &self,
        who: &Principal,
        code: &str,
        from: Date,
        to: Date,
    ) -> Result<Option<VolumeForecast>> {
        let p = self.programme_for(who, code, Action::Read).await?.programme;
        // The forecast depends only on the stored volumes and the period: cached under the
        // programme's data version.
        let key = crate::cache::CacheKey {
            programme_id: p.id,
            data_version: self.store.data_version(p.id).await?,
            kind: "volume_forecast",
            params: format!("{from}|{to}|{}", p.time_zone),
        };
        if let Some(hit) = self.cache.get::<Option<VolumeForecast>>(&key) {
            return Ok((*hit).clone());
        }
        let out = self.volume_forecast_of(p, from, to).await?;
        self.cache.put(key, std::sync::Arc::new(out.clone()));
        Ok(out)
    }

    async fn volume_forecast_of(
        &self,
        p: Programme,
        from: Date,
        to: Date,
    ) -> Result<Option<VolumeForecast>> {
        let tz = TimeZone::get(&p.time_zone).unwrap_or(TimeZone::UTC);
        let fit_from = local_start(
            from.checked_sub(FIT_DAYS.days()).map_err(Error::internal)?,
            &tz,
        )?;
        let end = local_start(to.tomorrow().map_err(Error::internal)?, &tz)?;
        let vols = volumes(self, &p, fit_from, end).await?;
        let Some(latest) = vols.keys().next_back().copied() else {
            return Ok(None);
        };
        let end = end.min(latest + SLOT_S);
        // Fitting the model is CPU work: off the async workers.
        let (vols, forecast) = tokio::task::spawn_blocking(move || {
            let f = forecast_from(&vols, &tz, from, end);
            (vols, f)
        })
        .await
        .map_err(Error::internal)?;
        let Some(forecast) = forecast? else {
            return Ok(None);
        };
        let points = forecast
            .into_iter()
            .map(|(start, f)| VolumePoint {
                start,
                actual: vols.get(&start).copied().unwrap_or(0),
                forecast: f,
            })
            .collect();
        Ok(Some(VolumeForecast {
            cut_off: from,
            points,
        }))
    }
}
