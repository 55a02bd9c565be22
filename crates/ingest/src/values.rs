//! Cell values and their conversion to timestamps and durations.
//!
//! CSV cells arrive as text; XLSX cells may be numbers or Excel date serials.
//! Dates without an offset are read in the source's time zone (the mapping's),
//! durations may be seconds (`20`, `20.5`) or clock form (`00:00:20`, `1:05`).

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

/// One input cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Missing or blank.
    Empty,
    /// Text as written.
    Text(String),
    /// A number (XLSX numeric cell).
    Number(f64),
    /// An Excel date/time serial (days since 1899-12-30, fraction = time of day).
    ExcelDate(f64),
}

impl Cell {
    /// The cell as text (numbers in shortest form).
    pub fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.trim().to_string(),
            Cell::Number(v) | Cell::ExcelDate(v) => {
                if v.fract() == 0.0 && v.abs() < 1e15 {
                    format!("{}", *v as i64)
                } else {
                    format!("{v}")
                }
            }
        }
    }

    /// Whether the cell is blank.
    pub fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }
}

fn excel_to_civil(serial: f64) -> Option<DateTime> {
    if !(serial.is_finite() && (0.0..2_958_466.0).contains(&serial)) {
        return None;
    }
    let days = serial.floor() as i64;
    let secs = ((serial - serial.floor()) * 86_400.0).round() as i64;
    let base = Date::new(1899, 12, 30)
        .ok()?
        .to_datetime(jiff::civil::Time::midnight());
    base.checked_add(days.days())
        .ok()?
        .checked_add(secs.seconds())
        .ok()
}

/// Parses a point in time: epoch seconds, an ISO date-time with or without offset,
/// a custom `strptime` format, or an Excel serial; local forms are read in `tz`.
pub fn timestamp(cell: &Cell, format: Option<&str>, tz: &TimeZone) -> Result<i64, String> {
    let local = |dt: DateTime| {
        dt.to_zoned(tz.clone())
            .map(|z| z.timestamp().as_second())
            .map_err(|e| format!("date-time {dt} not valid in zone: {e}"))
    };
    match cell {
        Cell::Empty => Err("empty date".into()),
        Cell::ExcelDate(v) => excel_to_civil(*v)
            .ok_or_else(|| format!("bad Excel date {v}"))
            .and_then(local),
        Cell::Number(v) if *v > 1e8 && v.is_finite() && *v < 1e11 => Ok(v.floor() as i64),
        Cell::Number(v) => excel_to_civil(*v)
            .ok_or_else(|| format!("bad date number {v}"))
            .and_then(local),
        Cell::Text(s) => {
            let s = s.trim();
            if let Some(fmt) = format {
                if fmt.contains("%z") || fmt.contains("%Z") || fmt.contains("%:z") {
                    return jiff::Zoned::strptime(fmt, s)
                        .map(|z| z.timestamp().as_second())
                        .map_err(|e| format!("date {s:?} does not match {fmt:?}: {e}"));
                }
                if let Ok(dt) = DateTime::strptime(fmt, s) {
                    return local(dt);
                }
                return Date::strptime(fmt, s)
                    .map_err(|e| format!("date {s:?} does not match {fmt:?}: {e}"))
                    .and_then(|d| local(d.to_datetime(jiff::civil::Time::midnight())));
            }
            if let Ok(v) = s.parse::<i64>() {
                return Ok(v);
            }
            if let Ok(t) = s.parse::<Timestamp>() {
                return Ok(t.as_second());
            }
            if let Ok(dt) = s.parse::<DateTime>() {
                return local(dt);
            }
            Err(format!(
                "unrecognised date {:?}",
                s.chars().take(40).collect::<String>()
            ))
        }
    }
}

/// Parses a duration in seconds: `20`, `20.5`, `00:00:20`, `1:05`, or an Excel time.
pub fn duration(cell: &Cell) -> Result<f64, String> {
    let v = match cell {
        Cell::Empty => return Ok(0.0),
        Cell::Number(v) => *v,
        Cell::ExcelDate(v) => v * 86_400.0,
        Cell::Text(s) => {
            let s = s.trim();
            if s.is_empty() {
                return Ok(0.0);
            }
            if s.contains(':') {
                let mut total = 0.0;
                let parts: Vec<&str> = s.split(':').collect();
                if parts.len() > 3 {
                    return Err(format!("bad duration {s:?}"));
                }
                for p in parts {
                    let x: f64 = p
                        .trim()
                        .parse()
                        .map_err(|_| format!("bad duration {s:?}"))?;
                    total = total * 60.0 + x;
                }
                total
            } else {
                crate::numparse::parse_f64(s.as_bytes())
                    .ok_or_else(|| format!("bad duration {s:?}"))?
            }
        }
    };
    if !v.is_finite() || v < 0.0 {
        return Err(format!("duration out of range: {v}"));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_dates_use_the_source_zone() {
        let tz = TimeZone::get("America/Santiago").unwrap();
        let t = timestamp(&Cell::Text("2026-01-01 00:00:00".into()), None, &tz).unwrap();
        assert_eq!(t, 1_767_236_400); // 03:00 UTC (summer time, UTC-3)
        let t2 = timestamp(
            &Cell::Text("01/01/2026 00:00".into()),
            Some("%d/%m/%Y %H:%M"),
            &tz,
        )
        .unwrap();
        assert_eq!(t, t2);
        assert_eq!(
            timestamp(&Cell::Text("1767225600".into()), None, &tz).unwrap(),
            1_767_225_600
        );
        assert_eq!(
            timestamp(&Cell::Text("2026-01-01T00:00:00Z".into()), None, &tz).unwrap(),
            1_767_225_600
        );
    }

    #[test]
    fn excel_serials_convert_in_the_source_zone() {
        // 46023 = 2026-01-01.
        assert_eq!(
            timestamp(&Cell::ExcelDate(46023.5), None, &TimeZone::UTC).unwrap(),
            1_767_225_600 + 43_200
        );
    }

    #[test]
    fn durations_accept_seconds_and_clock_forms() {
        assert_eq!(duration(&Cell::Text("00:01:05".into())).unwrap(), 65.0);
        assert_eq!(duration(&Cell::Text("1:05".into())).unwrap(), 65.0);
        assert_eq!(duration(&Cell::Text("20.5".into())).unwrap(), 20.5);
        assert_eq!(duration(&Cell::ExcelDate(1.0 / 1440.0)).unwrap(), 60.0);
        assert!(duration(&Cell::Text("-3".into())).is_err());
        assert!(duration(&Cell::Text("x".into())).is_err());
    }
}
