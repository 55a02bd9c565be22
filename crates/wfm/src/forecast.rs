//! Forecasting of contacts and AHT per interval from history.
//!
//! Model: daily volumes follow Holt-Winters (additive trend, multiplicative weekly
//! seasonality, smoothing constants chosen by grid search on one-step errors); each day
//! is split into intervals by a weekday × interval profile (share of the day) estimated
//! on recent weeks. Public holidays are special days: they are excluded from the
//! smoothing updates (the model's own forecast stands in for them) and forecast with a
//! holiday factor and profile learnt from holidays in the history (default: the quietest
//! weekday). AHT is a calls-weighted weekday × interval mean.
//!
//! Why this shape: contact-centre volume is dominated by day-of-week and time-of-day
//! patterns with a slow level/trend; holidays break seasonal-naive forecasts for two
//! weeks (the holiday itself and the same weekday a week later), which the backtest shows.
//!
//! Timestamps are local civil date-times keyed by (date, slot of the day); a day may have
//! missing or extra slots (DST), which are simply absent or summed.

// Parallel per-day/per-slot arrays are indexed together; index loops read clearer here.
#![allow(clippy::needless_range_loop)]

use std::collections::{BTreeMap, HashSet};

use jiff::civil::{Date, DateTime, Time};
use jiff::Span;

use crate::{Error, Result};

/// One observed interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observation {
    /// Local start of the interval.
    pub start: DateTime,
    /// Contacts offered.
    pub calls: f64,
    /// Mean handling time in seconds, if known.
    pub aht_s: Option<f64>,
}

/// One forecast interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ForecastRow {
    /// Local start of the interval.
    pub start: DateTime,
    /// Expected contacts.
    pub calls: f64,
    /// Expected AHT in seconds.
    pub aht_s: f64,
}

/// Forecast accuracy of the model against seasonal-naive on a holdout.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backtest {
    /// Days held out.
    pub holdout_days: u32,
    /// Weighted absolute percentage error of the model (Σ|a−f| / Σa).
    pub wape_model: f64,
    /// WAPE of seasonal-naive (same interval one week earlier, repeated).
    pub wape_naive: f64,
    /// MASE of the model: MAE / in-sample MAE of the weekly seasonal-naive.
    pub mase_model: f64,
    /// MASE of seasonal-naive.
    pub mase_naive: f64,
}

/// Weight, in calls, of the overall AHT when estimating a sparse slot's AHT.
const AHT_PRIOR_CALLS: f64 = 5.0;

/// A fitted model.
#[derive(Debug, Clone)]
pub struct Model {
    slot_min: i32,
    slots_per_day: usize,
    last_date: Date,
    level: f64,
    trend: f64,
    /// Seasonal factors indexed by weekday (Monday = 0).
    season: [f64; 7],
    holiday_factor: f64,
    /// Profile shares per weekday (0..7) and holiday (7).
    profile: Vec<Vec<f64>>,
    aht: Vec<Vec<f64>>,
    holidays: HashSet<Date>,
    /// Smoothing constants (α, β, γ).
    pub params: (f64, f64, f64),
}

struct Daily {
    dates: Vec<Date>,
    totals: Vec<f64>,
    /// slot → calls, slot → (calls·aht, calls with aht)
    slots: Vec<Vec<f64>>,
    aht_num: Vec<Vec<f64>>,
    aht_den: Vec<Vec<f64>>,
}

fn wd(date: Date) -> usize {
    date.weekday().to_monday_zero_offset() as usize
}

fn add_days(date: Date, n: i64) -> Result<Date> {
    date.checked_add(Span::new().days(n))
        .map_err(|e| Error::InvalidInput(e.to_string()))
}

/// Detects the interval length in minutes (smallest positive gap within a day).
fn slot_minutes(obs: &[Observation]) -> Result<i32> {
    let mut mins: Vec<i32> = obs
        .iter()
        .map(|o| i32::from(o.start.hour()) * 60 + i32::from(o.start.minute()))
        .collect();
    mins.sort_unstable();
    mins.dedup();
    let gcd = mins.iter().fold(0, |g, &m| gcd(g, m));
    let step = if gcd == 0 { 60 } else { gcd };
    if 1440 % step != 0 {
        return Err(Error::InvalidInput(format!(
            "interval of {step} min does not divide a day"
        )));
    }
    Ok(step)
}

fn gcd(a: i32, b: i32) -> i32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

fn daily(obs: &[Observation], slot_min: i32) -> Result<Daily> {
    let per_day = (1440 / slot_min) as usize;
    type DayVecs = (Vec<f64>, Vec<f64>, Vec<f64>);
    let mut map: BTreeMap<Date, DayVecs> = BTreeMap::new();
    for o in obs {
        if !(o.calls.is_finite() && o.calls >= 0.0) {
            return Err(Error::InvalidInput(format!(
                "calls at {} must be ≥ 0",
                o.start
            )));
        }
        let slot =
            ((i32::from(o.start.hour()) * 60 + i32::from(o.start.minute())) / slot_min) as usize;
        let e = map
            .entry(o.start.date())
            .or_insert_with(|| (vec![0.0; per_day], vec![0.0; per_day], vec![0.0; per_day]));
        e.0[slot] += o.calls;
        if let Some(a) = o.aht_s.filter(|a| a.is_finite() && *a > 0.0) {
            e.1[slot] += a * o.calls;
            e.2[slot] += o.calls;
        }
    }
    let (first, last) = match (map.keys().next(), map.keys().next_back()) {
        (Some(f), Some(l)) => (*f, *l),
        _ => return Err(Error::InvalidInput("history is empty".into())),
    };
    // Fill missing days with zeros so that the series is contiguous.
    let mut out = Daily {
        dates: Vec::new(),
        totals: Vec::new(),
        slots: Vec::new(),
        aht_num: Vec::new(),
        aht_den: Vec::new(),
    };
    let mut day = first;
    while day <= last {
        let (s, n, dn) = map
            .remove(&day)
            .unwrap_or_else(|| (vec![0.0; per_day], vec![0.0; per_day], vec![0.0; per_day]));
        out.dates.push(day);
        out.totals.push(s.iter().sum());
        out.slots.push(s);
        out.aht_num.push(n);
        out.aht_den.push(dn);
        day = add_days(day, 1)?;
    }
    Ok(out)
}

/// Holt-Winters run; returns (one-step SSE on regular days, level, trend, season,
/// one-step forecasts).
fn holt_winters(
    totals: &[f64],
    dates: &[Date],
    special: &[bool],
    (alpha, beta, gamma): (f64, f64, f64),
) -> (f64, f64, f64, [f64; 7], Vec<f64>) {
    // Initialisation from the first two weeks.
    let first_weeks = totals.len().min(14);
    let mean0 = {
        let v: Vec<f64> = (0..first_weeks)
            .filter(|&i| !special[i])
            .map(|i| totals[i])
            .collect();
        (v.iter().sum::<f64>() / v.len().max(1) as f64).max(1e-9)
    };
    let mut season = [1.0; 7];
    let mut counts = [0.0; 7];
    let mut sums = [0.0; 7];
    for i in 0..first_weeks {
        if !special[i] {
            sums[wd(dates[i])] += totals[i] / mean0;
            counts[wd(dates[i])] += 1.0;
        }
    }
    for k in 0..7 {
        if counts[k] > 0.0 {
            season[k] = sums[k] / counts[k];
        }
    }
    let mut level = mean0;
    let mut trend = 0.0;
    let mut sse = 0.0;
    let mut fitted = Vec::with_capacity(totals.len());
    for i in 0..totals.len() {
        let k = wd(dates[i]);
        let f = ((level + trend) * season[k]).max(0.0);
        fitted.push(f);
        if special[i] {
            // Holidays do not update the model.
            level += trend;
            continue;
        }
        let y = totals[i];
        if i >= 7 {
            sse += (y - f).powi(2);
        }
        let s = season[k].max(1e-9);
        let new_level = alpha * (y / s) + (1.0 - alpha) * (level + trend);
        trend = beta * (new_level - level) + (1.0 - beta) * trend;
        level = new_level;
        if level > 1e-9 {
            season[k] = gamma * (y / level) + (1.0 - gamma) * season[k];
        }
    }
    (sse, level, trend, season, fitted)
}

impl Model {
    /// Fits the model on `history`; `holidays` are the special days (e.g.
    /// [`crate::holidays::chile_dates`]).
    pub fn fit(history: &[Observation], holidays: &[Date]) -> Result<Self> {
        let slot_min = slot_minutes(history)?;
        let d = daily(history, slot_min)?;
        if d.dates.len() < 14 {
            return Err(Error::InvalidInput(
                "at least 14 days of history are needed".into(),
            ));
        }
        let hol: HashSet<Date> = holidays.iter().copied().collect();
        let special: Vec<bool> = d.dates.iter().map(|x| hol.contains(x)).collect();
        let mut best = (f64::INFINITY, (0.2, 0.0, 0.1));
        for &a in &[0.05, 0.1, 0.2, 0.3, 0.5, 0.7] {
            for &b in &[0.0, 0.01, 0.05, 0.1] {
                for &g in &[0.05, 0.1, 0.2, 0.3, 0.5] {
                    let (sse, ..) = holt_winters(&d.totals, &d.dates, &special, (a, b, g));
                    if sse < best.0 {
                        best = (sse, (a, b, g));
                    }
                }
            }
        }
        let params = best.1;
        let (_, level, trend, season, fitted) = holt_winters(&d.totals, &d.dates, &special, params);
        // Holiday factor: actual / expected on past holidays; default the quietest weekday.
        let ratios: Vec<f64> = (0..d.dates.len())
            .filter(|&i| special[i] && fitted[i] > 0.0)
            .map(|i| d.totals[i] / fitted[i])
            .collect();
        let min_season = season.iter().copied().fold(f64::INFINITY, f64::min);
        let mean_season = season.iter().sum::<f64>() / 7.0;
        let holiday_factor = if ratios.is_empty() {
            min_season / mean_season
        } else {
            ratios.iter().sum::<f64>() / ratios.len() as f64
        };
        // Profiles over the last 8 weeks (per weekday) and all holidays.
        let per_day = d.slots[0].len();
        let mut prof = vec![vec![0.0; per_day]; 8];
        let mut aht_num = vec![vec![0.0; per_day]; 8];
        let mut aht_den = vec![vec![0.0; per_day]; 8];
        let recent_from = d.dates.len().saturating_sub(56);
        for i in 0..d.dates.len() {
            let key = if special[i] {
                7
            } else if i >= recent_from {
                wd(d.dates[i])
            } else {
                continue;
            };
            for s in 0..per_day {
                prof[key][s] += d.slots[i][s];
                aht_num[key][s] += d.aht_num[i][s];
                aht_den[key][s] += d.aht_den[i][s];
            }
        }
        let quietest = (0..7)
            .min_by(|&a, &b| season[a].total_cmp(&season[b]))
            .unwrap_or(6);
        if prof[7].iter().sum::<f64>() <= 0.0 {
            prof[7] = prof[quietest].clone();
            aht_num[7] = aht_num[quietest].clone();
            aht_den[7] = aht_den[quietest].clone();
        }
        let total_num: f64 = aht_num.iter().flatten().sum();
        let total_den: f64 = aht_den.iter().flatten().sum();
        let overall_aht = if total_den > 0.0 {
            total_num / total_den
        } else {
            0.0
        };
        for key in 0..8 {
            let sum: f64 = prof[key].iter().sum();
            for s in 0..per_day {
                prof[key][s] = if sum > 0.0 {
                    prof[key][s] / sum
                } else {
                    1.0 / per_day as f64
                };
            }
        }
        let aht = (0..8)
            .map(|k| {
                (0..per_day)
                    // Credibility-weighted: sparse slots shrink towards the overall AHT
                    // (prior worth AHT_PRIOR_CALLS calls).
                    .map(|s| {
                        (aht_num[k][s] + AHT_PRIOR_CALLS * overall_aht)
                            / (aht_den[k][s] + AHT_PRIOR_CALLS)
                    })
                    .collect()
            })
            .collect();
        Ok(Self {
            slot_min,
            slots_per_day: per_day,
            last_date: *d.dates.last().unwrap_or(&d.dates[0]),
            level,
            trend,
            season,
            holiday_factor,
            profile: prof,
            aht,
            holidays: hol,
            params,
        })
    }

    /// Interval length in minutes detected from the history.
    pub fn interval_minutes(&self) -> i32 {
        self.slot_min
    }

    /// Forecast of `days` whole days following the last history day.
    pub fn forecast(&self, days: u32) -> Result<Vec<ForecastRow>> {
        let mut out = Vec::with_capacity(days as usize * self.slots_per_day);
        for h in 1..=i64::from(days) {
            let date = add_days(self.last_date, h)?;
            let k = wd(date);
            let special = self.holidays.contains(&date);
            let mut total = ((self.level + h as f64 * self.trend) * self.season[k]).max(0.0);
            let key = if special {
                total *= self.holiday_factor;
                7
            } else {
                k
            };
            for s in 0..self.slots_per_day {
                let minutes = s as i32 * self.slot_min;
                let time = Time::new((minutes / 60) as i8, (minutes % 60) as i8, 0, 0)
                    .map_err(|e| Error::InvalidInput(e.to_string()))?;
                out.push(ForecastRow {
                    start: date.to_datetime(time),
                    calls: total * self.profile[key][s],
                    aht_s: self.aht[key][s],
                });
            }
        }
        Ok(out)
    }
}

/// Weekly seasonal-naive forecast: each interval repeats the same interval of the last
/// observed week.
fn seasonal_naive(train: &Daily, days: usize) -> Vec<Vec<f64>> {
    let n = train.slots.len();
    (0..days)
        .map(|h| train.slots[n - 7 + (h % 7)].clone())
        .collect()
}

/// Backtest: fits on all but the last `holdout_days` days and compares the model and
/// seasonal-naive on the held-out days, interval by interval.
pub fn backtest(history: &[Observation], holidays: &[Date], holdout_days: u32) -> Result<Backtest> {
    let slot_min = slot_minutes(history)?;
    let d = daily(history, slot_min)?;
    let hd = holdout_days as usize;
    if hd == 0 || d.dates.len() < hd + 21 {
        return Err(Error::InvalidInput(format!(
            "backtest needs at least {} days of history",
            hd + 21
        )));
    }
    let cut = d.dates[d.dates.len() - hd];
    let train: Vec<Observation> = history
        .iter()
        .filter(|o| o.start.date() < cut)
        .copied()
        .collect();
    let model = Model::fit(&train, holidays)?;
    let fc = model.forecast(holdout_days)?;
    let train_d = daily(&train, slot_min)?;
    let naive = seasonal_naive(&train_d, hd);
    let per_day = d.slots[0].len();
    let actual: Vec<f64> = d.slots[d.slots.len() - hd..]
        .iter()
        .flatten()
        .copied()
        .collect();
    let model_v: Vec<f64> = fc.iter().map(|r| r.calls).collect();
    let naive_v: Vec<f64> = naive.iter().flatten().copied().collect();
    // In-sample scale: MAE of the weekly seasonal-naive on the training data.
    let flat_train: Vec<f64> = train_d.slots.iter().flatten().copied().collect();
    let lag = 7 * per_day;
    let scale = flat_train
        .iter()
        .skip(lag)
        .zip(flat_train.iter())
        .map(|(a, b)| (a - b).abs())
        .sum::<f64>()
        / (flat_train.len().saturating_sub(lag)).max(1) as f64;
    let abs_err = |f: &[f64]| {
        actual
            .iter()
            .zip(f)
            .map(|(a, b)| (a - b).abs())
            .sum::<f64>()
    };
    let total: f64 = actual.iter().sum();
    let n = actual.len() as f64;
    let (em, en) = (abs_err(&model_v), abs_err(&naive_v));
    Ok(Backtest {
        holdout_days,
        wape_model: em / total,
        wape_naive: en / total,
        mase_model: em / n / scale,
        mase_naive: en / n / scale,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// Ten weeks of 15-min data from 2025-03-03 with weekday and intraday patterns, a mild
    /// trend, Poisson noise, and holidays at 25 % of normal volume (Good Friday 2025-04-18
    /// in the history, Labour Day 2025-05-01 and Navy Day 2025-05-21 in the holdout).
    fn synthetic(seed: u64) -> (Vec<Observation>, Vec<Date>) {
        let mut rng = Rng::seed_from_u64(seed);
        let start: Date = "2025-03-03".parse().unwrap();
        let holidays = crate::holidays::chile_dates(2025, 2025).unwrap();
        let week = [1.15, 1.05, 1.0, 1.0, 0.95, 0.55, 0.3];
        let mut obs = Vec::new();
        for day in 0..84i64 {
            let date = add_days(start, day).unwrap();
            let mut f = week[wd(date)] * (1.0 + 0.002 * day as f64);
            if holidays.contains(&date) {
                f *= 0.25;
            }
            for slot in 0..96 {
                let h = slot as f64 / 4.0;
                let shape = 0.02
                    + (-((h - 11.0) / 2.2).powi(2)).exp()
                    + 0.8 * (-((h - 16.5) / 2.5).powi(2)).exp();
                let mean = 60.0 * f * shape;
                let time = Time::new((slot / 4) as i8, ((slot % 4) * 15) as i8, 0, 0).unwrap();
                obs.push(Observation {
                    start: date.to_datetime(time),
                    calls: rng.poisson(mean) as f64,
                    aht_s: Some(240.0 + 20.0 * rng.normal()),
                });
            }
        }
        (obs, holidays)
    }

    #[test]
    fn model_beats_seasonal_naive_on_series_with_holidays() {
        let (obs, holidays) = synthetic(11);
        let bt = backtest(&obs, &holidays, 28).unwrap();
        eprintln!(
            "backtest 28 days: model WAPE {:.4} MASE {:.4}; seasonal-naive WAPE {:.4} MASE {:.4}",
            bt.wape_model, bt.mase_model, bt.wape_naive, bt.mase_naive
        );
        assert!(bt.wape_model < bt.wape_naive, "{bt:?}");
        assert!(bt.mase_model < bt.mase_naive, "{bt:?}");
        assert!(bt.wape_model < 0.2, "{bt:?}");
    }

    #[test]
    fn forecast_covers_every_interval_of_the_horizon_and_dips_on_holidays() {
        let (obs, holidays) = synthetic(3);
        let model = Model::fit(&obs, &holidays).unwrap();
        assert_eq!(model.interval_minutes(), 15);
        let fc = model.forecast(28).unwrap();
        assert_eq!(fc.len(), 28 * 96);
        let day_total = |d: &str| -> f64 {
            let date: Date = d.parse().unwrap();
            fc.iter()
                .filter(|r| r.start.date() == date)
                .map(|r| r.calls)
                .sum()
        };
        // 2025-06-20 (Friday) is a holiday; 2025-06-13 is a regular Friday.
        assert!(day_total("2025-06-20") < 0.5 * day_total("2025-06-13"));
        assert!(fc
            .iter()
            .all(|r| r.calls >= 0.0 && r.aht_s > 200.0 && r.aht_s < 280.0));
    }

    #[test]
    fn short_or_empty_history_is_an_error() {
        assert!(Model::fit(&[], &[]).is_err());
        let (obs, h) = synthetic(1);
        assert!(Model::fit(&obs[..96 * 5], &h).is_err());
    }
}
