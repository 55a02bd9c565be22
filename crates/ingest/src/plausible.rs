//! Plausibility: the one place that decides whether a parsed value can be real.
//!
//! Parsers turn text into records; they do not know the programme an import is for, nor the
//! clock. The import pipeline checks every record it is about to store against [`Limits`]
//! built from the programme's dates and "now": a time outside the programme's dates (give or
//! take a margin) or in the future, a duration that is negative, not a number or longer than a
//! day, or a text field longer than a few hundred characters rejects that line alone, with
//! its number; control characters (NUL bytes included) are removed from text and the line is
//! kept with a suspicious issue. One bad value never fails a whole file, and nothing that
//! passes here can corrupt an aggregate (an AHT of 4.6e18 s) or a page (a 10 MB queue name).

use std::borrow::Cow;

use rumbo_kpi::{CallFacts, CallRecord};

use crate::issue::{Issue, IssueKind};

/// Seconds in a day.
const DAY_S: i64 = 86_400;

/// The ranges a value must fall in to be imported.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Earliest plausible instant, epoch seconds (inclusive).
    pub earliest: i64,
    /// Latest plausible instant, epoch seconds (inclusive).
    pub latest: i64,
    /// Longest plausible duration (wait, talk, hold, wrap-up), seconds.
    pub max_duration_s: f64,
    /// Longest plausible text field (queue, agent, call id...), in characters.
    pub max_text_chars: usize,
}

impl Limits {
    /// How long before the programme's start data is still plausible: a year of history
    /// (a forecast baseline from the previous vendor).
    pub const BEFORE_START_S: i64 = 366 * DAY_S;
    /// How long after the programme's end data is still plausible (late exports).
    pub const AFTER_END_S: i64 = 92 * DAY_S;
    /// How far past "now" a time may be (clocks of call platforms drift, time zones).
    pub const FUTURE_S: i64 = DAY_S;
    /// Longest duration: a day.
    pub const MAX_DURATION_S: f64 = 86_400.0;
    /// Longest text field.
    pub const MAX_TEXT_CHARS: usize = 256;

    /// Limits for a programme running from `start` to `end` (epoch seconds of its first
    /// and last day; `end` open when the programme has no end date), checked at `now`.
    pub fn for_programme(start: i64, end: Option<i64>, now: i64) -> Limits {
        let earliest = start.saturating_sub(Self::BEFORE_START_S);
        let ceiling = now.saturating_add(Self::FUTURE_S);
        let latest = end
            .map_or(ceiling, |e| e.saturating_add(Self::AFTER_END_S + DAY_S))
            .min(ceiling);
        Limits {
            earliest,
            latest: latest.max(earliest),
            max_duration_s: Self::MAX_DURATION_S,
            max_text_chars: Self::MAX_TEXT_CHARS,
        }
    }

    /// Whether `ts` is a plausible instant; the reason when it is not.
    pub fn check_time(&self, what: &str, ts: i64) -> Result<(), String> {
        if ts < self.earliest || ts > self.latest {
            return Err(format!(
                "{what} {} is outside the plausible range {} to {}",
                show_ts(ts),
                show_ts(self.earliest),
                show_ts(self.latest)
            ));
        }
        Ok(())
    }

    /// Whether `v` is a plausible duration in seconds (finite, ≥ 0, at most a day).
    pub fn check_duration(&self, what: &str, v: f64) -> Result<(), String> {
        if !v.is_finite() || v < 0.0 || v > self.max_duration_s {
            return Err(format!(
                "{what} {v} s is not a plausible duration (0 to {} s)",
                self.max_duration_s
            ));
        }
        Ok(())
    }

    /// Whether `s` is short enough to be a name or an id.
    pub fn check_len(&self, what: &str, s: &str) -> Result<(), String> {
        // Counting bytes first keeps the common case cheap; characters only decide near
        // the limit.
        if s.len() > self.max_text_chars && s.chars().count() > self.max_text_chars {
            return Err(format!(
                "{what} has {} characters (at most {})",
                s.chars().count(),
                self.max_text_chars
            ));
        }
        Ok(())
    }

    /// Checks the facts of a call: its entry time and every duration.
    pub fn check_facts(&self, f: &CallFacts) -> Result<(), String> {
        self.check_time("entry time", f.enter_ts)?;
        self.check_duration("wait", f.wait_s)?;
        self.check_duration("talk", f.talk_s)?;
        self.check_duration("hold", f.hold_s)?;
        self.check_duration("wrap-up", f.wrap_s)
    }

    /// Checks a call record and cleans its text in place. `Err` is the issue that rejects
    /// the line; `Ok(Some)` a suspicious issue for text that had control characters removed.
    pub fn check_call(&self, line: u64, r: &mut CallRecord) -> Result<Option<Issue>, Issue> {
        let mut cleaned = Vec::new();
        clean_field("call id", &mut r.call_id, &mut cleaned);
        clean_field("queue", &mut r.queue, &mut cleaned);
        for (what, v) in [
            ("agent", &mut r.agent),
            ("disposition", &mut r.disposition),
            ("first queue", &mut r.first_queue),
            ("caller hash", &mut r.caller_hash),
            ("masked caller", &mut r.caller_masked),
        ] {
            if let Some(s) = v {
                clean_field(what, s, &mut cleaned);
            }
        }
        self.check_clean_call(line, r)?;
        Ok(cleaned_issue(line, &cleaned))
    }

    /// Checks a call record without changing it: the record as it is when it has no control
    /// characters (the common case, no copy), else a cleaned copy. `Err` rejects the line;
    /// the issue beside the record is the suspicious "text cleaned" one, if any.
    pub fn vet_call<'r>(
        &self,
        line: u64,
        r: &'r CallRecord,
    ) -> Result<(Cow<'r, CallRecord>, Option<Issue>), Issue> {
        if !call_has_controls(r) {
            self.check_clean_call(line, r)?;
            return Ok((Cow::Borrowed(r), None));
        }
        let mut copy = r.clone();
        let cleaned = self.check_call(line, &mut copy)?;
        Ok((Cow::Owned(copy), cleaned))
    }

    /// The checks of a call whose text has no control characters.
    fn check_clean_call(&self, line: u64, r: &CallRecord) -> Result<(), Issue> {
        let reject = |m: String| Issue::rejected(line, IssueKind::InvalidValue, m);
        self.check_facts(&r.facts).map_err(reject)?;
        self.check_len("call id", &r.call_id).map_err(reject)?;
        self.check_len("queue", &r.queue).map_err(reject)?;
        for (what, v) in [
            ("agent", &r.agent),
            ("disposition", &r.disposition),
            ("first queue", &r.first_queue),
            ("caller hash", &r.caller_hash),
            ("masked caller", &r.caller_masked),
        ] {
            if let Some(s) = v {
                self.check_len(what, s).map_err(reject)?;
            }
        }
        if r.call_id.is_empty() {
            return Err(reject(
                "call id is empty once control characters are removed".into(),
            ));
        }
        Ok(())
    }

    /// Checks an optional text field of a non-call record, cleaning it in place.
    pub fn check_text(
        &self,
        what: &'static str,
        s: &mut String,
        cleaned: &mut Vec<&'static str>,
    ) -> Result<(), String> {
        clean_field(what, s, cleaned);
        self.check_len(what, s)
    }
}

/// Whether any text field of a call has a control character.
fn call_has_controls(r: &CallRecord) -> bool {
    let c = |s: &str| s.chars().any(char::is_control);
    let o = |s: &Option<String>| s.as_deref().is_some_and(c);
    c(&r.call_id)
        || c(&r.queue)
        || o(&r.agent)
        || o(&r.disposition)
        || o(&r.first_queue)
        || o(&r.caller_hash)
        || o(&r.caller_masked)
}

/// A suspicious issue naming the fields that had control characters removed, if any.
pub fn cleaned_issue(line: u64, cleaned: &[&str]) -> Option<Issue> {
    if cleaned.is_empty() {
        return None;
    }
    Some(Issue::suspicious(
        line,
        IssueKind::TextCleaned,
        format!("control characters removed from {}", cleaned.join(", ")),
    ))
}

/// Removes control characters from `s` in place, noting `what` when it changed.
fn clean_field(what: &'static str, s: &mut String, cleaned: &mut Vec<&'static str>) {
    if let Cow::Owned(c) = without_controls(s) {
        *s = c;
        cleaned.push(what);
    }
}

/// `s` without control characters (C0, DEL and C1, NUL included); borrowed when there were
/// none, which is the common case and costs one scan.
pub fn without_controls(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.chars().filter(|c| !c.is_control()).collect())
}

/// `b` without ASCII control bytes (NUL, C0, DEL); borrowed when there were none.
pub fn bytes_without_controls(b: &[u8]) -> Cow<'_, [u8]> {
    // A fold without an early exit: the compiler checks many bytes at once, faster on
    // lines of a few dozen bytes than stopping at the first control byte.
    if !b
        .iter()
        .fold(false, |seen, &c| seen | (c < 0x20) | (c == 0x7f))
    {
        return Cow::Borrowed(b);
    }
    Cow::Owned(
        b.iter()
            .copied()
            .filter(|&c| c >= 0x20 && c != 0x7f)
            .collect(),
    )
}

/// Text fit for a report or a database text column: no control characters, at most `max`
/// characters (an ellipsis marks a cut).
pub fn report_text(s: &str, max: usize) -> Cow<'_, str> {
    let clean = without_controls(s);
    if clean.len() <= max || clean.chars().count() <= max {
        return clean;
    }
    let mut out: String = clean.chars().take(max).collect();
    out.push('…');
    Cow::Owned(out)
}

/// An instant for messages: an ISO date-time in UTC, or the raw number when out of range.
fn show_ts(ts: i64) -> String {
    jiff::Timestamp::from_second(ts).map_or_else(|_| ts.to_string(), |t| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rumbo_kpi::Outcome;

    const START_2026: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z
    const NOW: i64 = 1_796_083_200; // 2026-12-01T00:00:00Z

    fn limits() -> Limits {
        Limits::for_programme(START_2026, None, NOW)
    }

    fn call(ts: i64, talk: f64, queue: &str) -> CallRecord {
        CallRecord::new(
            "c1",
            queue,
            CallFacts {
                enter_ts: ts,
                wait_s: 5.0,
                talk_s: talk,
                hold_s: 0.0,
                wrap_s: 0.0,
                outcome: Outcome::Answered,
                sale: false,
            },
        )
    }

    #[test]
    fn a_call_inside_the_programme_dates_with_sane_values_passes_unchanged() {
        let mut c = call(START_2026 + 3600, 180.0, "Ventas");
        assert_eq!(limits().check_call(7, &mut c), Ok(None));
        assert_eq!(c.queue, "Ventas");
    }

    #[test]
    fn times_in_1969_in_year_5138_or_tomorrow_plus_two_days_are_rejected_with_their_line() {
        for ts in [
            -86_400,
            99_999_999_999,
            NOW + 3 * DAY_S,
            START_2026 - 400 * DAY_S,
        ] {
            let e = limits()
                .check_call(12, &mut call(ts, 10.0, "q"))
                .unwrap_err();
            assert_eq!((e.line, e.kind), (12, IssueKind::InvalidValue), "{ts}");
        }
        assert!(limits()
            .check_call(1, &mut call(START_2026 - 300 * DAY_S, 1.0, "q"))
            .is_ok());
    }

    #[test]
    fn a_programme_end_date_bounds_the_range_with_a_margin() {
        let end = START_2026 + 30 * DAY_S;
        let l = Limits::for_programme(START_2026, Some(end), NOW);
        assert!(l.check_time("t", end + 60 * DAY_S).is_ok());
        assert!(l.check_time("t", end + 100 * DAY_S).is_err());
    }

    #[test]
    fn durations_that_are_huge_negative_or_not_numbers_are_rejected() {
        for talk in [1e308, -1.0, f64::NAN, f64::INFINITY, 86_401.0] {
            let e = limits()
                .check_call(3, &mut call(START_2026, talk, "q"))
                .unwrap_err();
            assert_eq!(e.kind, IssueKind::InvalidValue, "{talk}");
        }
        assert!(limits()
            .check_call(3, &mut call(START_2026, 86_400.0, "q"))
            .is_ok());
    }

    #[test]
    fn a_ten_megabyte_queue_name_is_rejected_and_a_short_one_with_nul_is_cleaned() {
        let big = "x".repeat(10 << 20);
        assert!(limits()
            .check_call(4, &mut call(START_2026, 1.0, &big))
            .is_err());
        let mut c = call(START_2026, 1.0, "Ven\0tas\u{7}");
        let i = limits().check_call(5, &mut c).unwrap().unwrap();
        assert_eq!((i.line, i.kind), (5, IssueKind::TextCleaned));
        assert_eq!(c.queue, "Ventas");
    }

    #[test]
    fn report_text_drops_controls_and_cuts_long_text() {
        assert_eq!(report_text("a\0b", 10), "ab");
        assert_eq!(report_text(&"é".repeat(20), 5), "ééééé…");
        assert_eq!(bytes_without_controls(b"a\0b\r").as_ref(), b"ab");
    }
}
