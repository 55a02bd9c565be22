//! Interval arithmetic: 15/30/60-minute, day, week and month buckets.
//!
//! Minute intervals are aligned on local wall-clock time (for the whole-hour
//! offsets of Chile this is the same as aligning on the epoch). Days, ISO weeks
//! (Monday first) and months follow the programme's time zone through `jiff`'s
//! bundled tz database, so a day with a DST change lasts 23 or 25 hours and
//! Chile's midnight DST gap starts the day at 01:00.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

use crate::KpiError;

/// How finely figures are bucketed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Granularity {
    /// Fixed minutes; 15, 30 and 60 are the supported values.
    Minutes(u32),
    /// Local calendar day.
    Day,
    /// ISO week, Monday 00:00 local time.
    Week,
    /// Local calendar month.
    Month,
}

impl Granularity {
    /// Parses `15m`, `30m`, `60m`/`1h`, `day`, `week`, `month`.
    pub fn parse(s: &str) -> Result<Self, KpiError> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "15m" | "15min" => Granularity::Minutes(15),
            "30m" | "30min" => Granularity::Minutes(30),
            "60m" | "1h" | "hour" => Granularity::Minutes(60),
            "day" | "1d" => Granularity::Day,
            "week" | "1w" => Granularity::Week,
            "month" => Granularity::Month,
            _ => return Err(KpiError::UnknownGranularity(s.to_string())),
        })
    }

    /// The canonical label (`15m`, `30m`, `1h`, `day`, `week`, `month`).
    pub fn label(self) -> String {
        match self {
            Granularity::Minutes(60) => "1h".into(),
            Granularity::Minutes(m) => format!("{m}m"),
            Granularity::Day => "day".into(),
            Granularity::Week => "week".into(),
            Granularity::Month => "month".into(),
        }
    }
}

/// Maps timestamps to `[start, end)` intervals, caching the last interval so that
/// time-ordered input costs one comparison per call.
#[derive(Debug, Clone)]
pub struct Bucketer {
    granularity: Granularity,
    tz: TimeZone,
    fixed_offset: Option<i64>,
    cache: (i64, i64),
}

impl Bucketer {
    /// A bucketer for a granularity in a time zone.
    pub fn new(granularity: Granularity, tz: TimeZone) -> Self {
        let fixed_offset = tz.to_fixed_offset().ok().map(|o| i64::from(o.seconds()));
        Bucketer {
            granularity,
            tz,
            fixed_offset,
            cache: (1, 0),
        }
    }

    /// A bucketer in UTC.
    pub fn utc(granularity: Granularity) -> Self {
        Self::new(granularity, TimeZone::UTC)
    }

    /// A bucketer in a named IANA zone (e.g. `America/Santiago`).
    pub fn in_zone(granularity: Granularity, zone: &str) -> Result<Self, KpiError> {
        let tz = TimeZone::get(zone).map_err(|_| KpiError::UnknownTimeZone(zone.to_string()))?;
        Ok(Self::new(granularity, tz))
    }

    /// The granularity.
    pub fn granularity(&self) -> Granularity {
        self.granularity
    }

    /// Start of the interval containing `ts` (epoch seconds).
    #[inline]
    pub fn start_of(&mut self, ts: i64) -> Result<i64, KpiError> {
        Ok(self.interval_of(ts)?.0)
    }

    /// The `[start, end)` interval containing `ts`.
    #[inline]
    pub fn interval_of(&mut self, ts: i64) -> Result<(i64, i64), KpiError> {
        if ts >= self.cache.0 && ts < self.cache.1 {
            return Ok(self.cache);
        }
        let iv = self.compute(ts)?;
        self.cache = iv;
        Ok(iv)
    }

    fn offset_at(&self, ts: i64) -> Result<i64, KpiError> {
        if let Some(o) = self.fixed_offset {
            return Ok(o);
        }
        let t = Timestamp::from_second(ts).map_err(|_| KpiError::TimestampOutOfRange(ts))?;
        Ok(i64::from(self.tz.to_offset(t).seconds()))
    }

    fn compute(&self, ts: i64) -> Result<(i64, i64), KpiError> {
        match self.granularity {
            Granularity::Minutes(m) => {
                let size = i64::from(m.max(1)) * 60;
                let off = self.offset_at(ts)?;
                let start = ts - (ts + off).rem_euclid(size);
                let mut end = start + size;
                // Around a DST change the local alignment shifts; never return an
                // interval that ends before the next one starts.
                if self.fixed_offset.is_none() {
                    let off_end = self.offset_at(end)?;
                    if off_end != off {
                        end = end.min(end - (end + off_end).rem_euclid(size) + size);
                    }
                }
                Ok((start, end.max(ts + 1)))
            }
            Granularity::Day | Granularity::Week | Granularity::Month => {
                let t =
                    Timestamp::from_second(ts).map_err(|_| KpiError::TimestampOutOfRange(ts))?;
                let date = t.to_zoned(self.tz.clone()).date();
                let (first, next) = self.period_dates(date)?;
                let start = self.day_start(first, ts)?;
                let end = self.day_start(next, ts)?;
                Ok((start, end))
            }
        }
    }

    fn period_dates(&self, date: Date) -> Result<(Date, Date), KpiError> {
        let oor = |_| KpiError::InvalidDefinition("date out of range".into());
        Ok(match self.granularity {
            Granularity::Week => {
                let back = i64::from(date.weekday().to_monday_zero_offset());
                let first = date.checked_sub(back.days()).map_err(oor)?;
                (first, first.checked_add(7.days()).map_err(oor)?)
            }
            Granularity::Month => {
                let first = date.first_of_month();
                (first, first.checked_add(1.month()).map_err(oor)?)
            }
            _ => (date, date.checked_add(1.day()).map_err(oor)?),
        })
    }

    fn day_start(&self, d: Date, ts: i64) -> Result<i64, KpiError> {
        d.to_zoned(self.tz.clone())
            .map(|z| z.timestamp().as_second())
            .map_err(|_| KpiError::TimestampOutOfRange(ts))
    }

    /// Splits `[from, to)` into `(interval_start, seconds)` pieces, for agent
    /// sessions and other spans that cross interval (and day) boundaries.
    pub fn split_span(&mut self, from: i64, to: i64) -> Result<Vec<(i64, i64)>, KpiError> {
        let mut out = Vec::new();
        let mut t = from;
        while t < to {
            let (s, e) = self.interval_of(t)?;
            let piece_end = e.min(to);
            out.push((s, piece_end - t));
            t = piece_end;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifteen_minute_intervals_align_on_the_epoch_in_utc() {
        let mut b = Bucketer::utc(Granularity::Minutes(15));
        assert_eq!(b.start_of(1_767_226_499).unwrap(), 1_767_225_600);
        assert_eq!(b.start_of(1_767_226_500).unwrap(), 1_767_226_500);
    }

    #[test]
    fn days_follow_the_programme_time_zone() {
        // 2026-01-01 02:00 UTC is still 2025-12-31 in Santiago (UTC-3 in summer).
        let mut b = Bucketer::in_zone(Granularity::Day, "America/Santiago").unwrap();
        let (s, e) = b.interval_of(1_767_232_800).unwrap();
        assert_eq!(s, 1_767_150_000); // 2025-12-31 00:00-03:00
        assert_eq!(e - s, 86_400);
    }

    #[test]
    fn chile_dst_start_day_begins_at_one_am_and_lasts_23_hours() {
        // Chile moved clocks from 24:00 to 01:00 on 2025-09-07 (Saturday night).
        let mut b = Bucketer::in_zone(Granularity::Day, "America/Santiago").unwrap();
        // 2025-09-07 12:00 -03:00
        let noon = 1_757_257_200;
        let (s, e) = b.interval_of(noon).unwrap();
        assert_eq!(e - s, 23 * 3600);
        assert!(s <= noon && noon < e);
    }

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        let mut w = Bucketer::utc(Granularity::Week);
        // 2026-01-01 is a Thursday; the week starts Monday 2025-12-29.
        assert_eq!(w.start_of(1_767_225_600).unwrap(), 1_766_966_400);
        let mut m = Bucketer::utc(Granularity::Month);
        let (s, e) = m.interval_of(1_767_225_600 + 86_400 * 40).unwrap();
        assert_eq!(s, 1_769_904_000); // 2026-02-01
        assert_eq!(e - s, 28 * 86_400);
    }

    #[test]
    fn a_span_across_midnight_is_split_per_day() {
        let mut b = Bucketer::utc(Granularity::Day);
        let midnight = 1_767_225_600;
        let parts = b.split_span(midnight - 3600, midnight + 1800).unwrap();
        assert_eq!(parts, vec![(midnight - 86_400, 3600), (midnight, 1800)]);
    }

    #[test]
    fn unknown_granularity_is_an_error() {
        assert!(Granularity::parse("7m").is_err());
        assert_eq!(Granularity::parse("1h").unwrap(), Granularity::Minutes(60));
    }
}
