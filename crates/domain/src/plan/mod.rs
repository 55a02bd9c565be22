//! Programme planning: objectives, strategy, risks, budget, work plan, roles, coordination.
//!
//! Every submodule follows the crate's rule: raw input structs (`*Input`, all strings and options,
//! as they come from a form or the API) become valid domain values through `TryFrom`/`parse`, and
//! every rejected field is reported at once as an [`Invalids`](crate::Invalids) with stable
//! catalogue keys. The computations (critical path, variance, heat-map, warnings) work only on
//! values that are already valid, so they cannot fail on bad input.

pub mod budget;
pub mod closeout;
pub mod coordination;
pub mod diffusion;
pub mod lessons;
pub mod objectives;
pub mod roles;
pub mod staffing;
pub mod strategy;
pub mod template;
pub mod workplan;

use jiff::civil::Date;

use crate::{Invalid, Invalids};

/// The dates of the programme a plan belongs to; milestones and activities must lie within them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProgrammeDates {
    start: Date,
    end: Option<Date>,
}

impl ProgrammeDates {
    /// An open-ended programme has no end date; `end` before `start` is rejected.
    pub fn new(start: Date, end: Option<Date>) -> Result<Self, Invalid> {
        match end {
            Some(e) if e < start => {
                Err(Invalid::new("end_date", "error.programme.end_before_start"))
            }
            _ => Ok(Self { start, end }),
        }
    }

    pub fn start(&self) -> Date {
        self.start
    }

    pub fn end(&self) -> Option<Date> {
        self.end
    }

    /// Whether `d` lies between the start and the end (both inclusive).
    pub fn contains(&self, d: Date) -> bool {
        d >= self.start && self.end.is_none_or(|e| d <= e)
    }
}

/// Collects the problems of one input so that all of them are reported together.
#[derive(Debug, Default)]
pub(crate) struct Problems(Vec<Invalid>);

impl Problems {
    /// Keeps the value of `r`, or records its problem and returns `None`.
    pub(crate) fn take<T>(&mut self, r: Result<T, Invalid>) -> Option<T> {
        r.map_err(|e| self.0.push(e)).ok()
    }

    pub(crate) fn push(&mut self, field: &'static str, key: &'static str) {
        self.0.push(Invalid::new(field, key));
    }

    /// Records `key` on `field` unless `ok` holds.
    pub(crate) fn check(&mut self, ok: bool, field: &'static str, key: &'static str) {
        if !ok {
            self.push(field, key);
        }
    }

    /// Builds the value when no problem was found. `build` returns `None` only when a required
    /// part is missing, which always comes with a recorded problem.
    pub(crate) fn finish<T>(self, build: impl FnOnce() -> Option<T>) -> Result<T, Invalids> {
        if self.0.is_empty() {
            build().ok_or_else(|| Invalids(vec![Invalid::new("input", "error.input")]))
        } else {
            Err(Invalids(self.0))
        }
    }
}

/// A required single-line text of at most `max` characters, trimmed.
pub(crate) fn required_text(
    field: &'static str,
    key: &'static str,
    s: &str,
    max: usize,
) -> Result<String, Invalid> {
    let t = s.trim();
    if t.is_empty() || t.chars().count() > max {
        Err(Invalid::new(field, key))
    } else {
        Ok(t.to_string())
    }
}

/// An optional text of at most `max` characters; empty becomes an empty string.
pub(crate) fn optional_text(
    field: &'static str,
    key: &'static str,
    s: Option<&str>,
    max: usize,
) -> Result<String, Invalid> {
    let t = s.unwrap_or_default().trim();
    if t.chars().count() > max {
        Err(Invalid::new(field, key))
    } else {
        Ok(t.to_string())
    }
}

/// Non-empty trimmed lines of a list input (empty entries are dropped).
pub(crate) fn text_list(
    field: &'static str,
    key: &'static str,
    items: &[String],
    max: usize,
) -> Result<Vec<String>, Invalid> {
    let mut out = Vec::new();
    for item in items {
        let t = item.trim();
        if t.chars().count() > max {
            return Err(Invalid::new(field, key));
        }
        if !t.is_empty() {
            out.push(t.to_string());
        }
    }
    Ok(out)
}

/// An ISO date `YYYY-MM-DD`.
pub(crate) fn parse_date(field: &'static str, s: &str) -> Result<Date, Invalid> {
    s.trim()
        .parse::<Date>()
        .map_err(|_| Invalid::new(field, "error.date.format"))
}

/// An optional ISO date; empty means none.
pub(crate) fn parse_opt_date(
    field: &'static str,
    s: Option<&str>,
) -> Result<Option<Date>, Invalid> {
    match s.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => parse_date(field, s).map(Some),
    }
}

/// A finite decimal number; accepts `12.5` and the Chilean `12,5` (no thousands separators).
pub(crate) fn parse_number(
    field: &'static str,
    key: &'static str,
    s: &str,
) -> Result<f64, Invalid> {
    let t = s.trim().replace(',', ".");
    t.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && !t.is_empty())
        .ok_or(Invalid::new(field, key))
}

/// A whole number within `range`, e.g. a 1–5 rating or a 0–100 percentage.
pub(crate) fn parse_in_range(
    field: &'static str,
    key: &'static str,
    s: &str,
    range: std::ops::RangeInclusive<i64>,
) -> Result<i64, Invalid> {
    s.trim()
        .parse::<i64>()
        .ok()
        .filter(|v| range.contains(v))
        .ok_or(Invalid::new(field, key))
}

/// Days from `a` to `b` (negative when `b` is earlier).
pub(crate) fn days_between(a: Date, b: Date) -> i32 {
    // Subtracting civil dates gives a span in days; ±10,000 years always fits an i32.
    (b - a).get_days()
}

/// `d` moved by `days` calendar days, saturating at the ends of the supported range.
pub(crate) fn add_days(d: Date, days: i32) -> Date {
    d.checked_add(jiff::Span::new().days(days)).unwrap_or(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn day_counts_match_calendar_arithmetic_across_leap_years() {
        assert_eq!(days_between(date(2024, 2, 28), date(2024, 3, 1)), 2);
        assert_eq!(days_between(date(2025, 2, 28), date(2025, 3, 1)), 1);
        assert_eq!(days_between(date(2026, 1, 1), date(2025, 1, 1)), -365);
        assert_eq!(add_days(date(2026, 1, 30), 3), date(2026, 2, 2));
        assert_eq!(days_between(date(1970, 1, 1), date(1970, 1, 1)), 0);
    }

    #[test]
    fn programme_dates_contain_both_ends_and_open_ends_never_close() {
        let p = ProgrammeDates::new(date(2026, 1, 5), Some(date(2026, 6, 30))).unwrap();
        assert!(p.contains(date(2026, 1, 5)));
        assert!(p.contains(date(2026, 6, 30)));
        assert!(!p.contains(date(2026, 7, 1)));
        assert!(!p.contains(date(2026, 1, 4)));
        let open = ProgrammeDates::new(date(2026, 1, 5), None).unwrap();
        assert!(open.contains(date(2030, 1, 1)));
    }

    #[test]
    fn numbers_accept_a_decimal_comma_and_reject_garbage() {
        assert_eq!(parse_number("x", "k", "12,5"), Ok(12.5));
        assert!(parse_number("x", "k", "NaN").is_err());
        assert!(parse_number("x", "k", "").is_err());
        assert!(parse_number("x", "k", "1.000,5").is_err());
    }
}
