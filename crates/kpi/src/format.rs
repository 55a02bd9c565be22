//! Text formatting of figures, shared by every output (CLI, CSV export, pages).
//!
//! Floats are written as the shortest string that round-trips, like Python's
//! `repr`, so exported figures compare byte-for-byte with reference files:
//! `380.0`, `0.6666666666666666`, `1e-05`, `1e+16`. Undefined figures are empty.

use crate::aggregate::Agg;
use crate::definition::KpiDefinition;

/// Formats a float like Python's `repr(float)`.
pub fn float(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    // Rust's Debug is the shortest round-trip representation with the same
    // switch to exponent notation as Python (exp < -4 or >= 16); only the
    // exponent spelling differs (`1e-5` vs `1e-05`).
    let s = format!("{x:?}");
    match s.split_once('e') {
        None => s,
        Some((mant, exp)) => {
            let (sign, digits) = match exp.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exp),
            };
            let mant = mant.strip_suffix(".0").unwrap_or(mant);
            format!("{mant}e{sign}{digits:0>2}")
        }
    }
}

/// Appends [`float`]`(x)` to `out` without an allocation in the common case (no exponent).
pub fn push_float(out: &mut String, x: f64) {
    use std::fmt::Write as _;
    let at = out.len();
    if x.is_finite() {
        let _ = write!(out, "{x:?}");
        if !out[at..].contains('e') {
            return;
        }
        out.truncate(at);
    }
    out.push_str(&float(x));
}

/// Formats an optional figure; `None` becomes the empty string.
pub fn opt(x: Option<f64>) -> String {
    x.map(float).unwrap_or_default()
}

fn threshold(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        float(x)
    }
}

/// Header of the interval CSV (`rumbo kpi ... --format csv`), naming the thresholds
/// of the definition: `answered_within_20`, `abandoned_after_5`.
pub fn interval_csv_header(def: &KpiDefinition) -> String {
    format!(
        "queue,interval_start,offered,answered,abandoned,answered_within_{},abandoned_after_{},sl,asa_s,aht_s,abandon_rate",
        threshold(def.sl_threshold_s),
        threshold(def.short_abandon_s)
    )
}

/// One interval CSV line (without newline). The queue name is written as is; callers
/// must quote it if it can contain commas or quotes (see [`csv_field`]).
pub fn interval_csv_row(queue: &str, start: i64, a: &Agg, def: &KpiDefinition) -> String {
    let mut out = String::with_capacity(96);
    push_interval_csv_row(&mut out, queue, start, a, def);
    out
}

/// Appends [`interval_csv_row`] to `out` (a table of many rows reuses one buffer).
pub fn push_interval_csv_row(
    out: &mut String,
    queue: &str,
    start: i64,
    a: &Agg,
    def: &KpiDefinition,
) {
    use std::fmt::Write as _;
    let f = a.figures(def);
    let _ = write!(
        out,
        "{},{},{},{},{},{},{}",
        csv_field(queue),
        start,
        a.offered,
        a.answered,
        a.abandoned,
        a.answered_within_t,
        a.abandoned - a.short_abandons,
    );
    for x in [f.sl, f.asa_s, f.aht_s, f.abandon_rate] {
        out.push(',');
        if let Some(x) = x {
            push_float(out, x);
        }
    }
}

/// Quotes a CSV field when it contains a comma, quote or line break (RFC 4180).
pub fn csv_field(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        std::borrow::Cow::Owned(format!("\"{}\"", s.replace('"', "\"\"")))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_format_like_python_repr() {
        assert_eq!(float(380.0), "380.0");
        assert_eq!(float(0.0), "0.0");
        assert_eq!(float(2.0 / 3.0), "0.6666666666666666");
        assert_eq!(float(20.499499999999998), "20.499499999999998");
        assert_eq!(float(1e-5), "1e-05");
        assert_eq!(float(1.5e-7), "1.5e-07");
        assert_eq!(float(1e16), "1e+16");
        assert_eq!(float(123456789012345.6), "123456789012345.6");
        assert_eq!(opt(None), "");
        for x in [
            380.0,
            2.0 / 3.0,
            1e-5,
            1.5e-7,
            1e16,
            f64::NAN,
            f64::INFINITY,
            -0.5,
        ] {
            let mut out = String::from("x");
            push_float(&mut out, x);
            assert_eq!(out, format!("x{}", float(x)));
        }
    }
}
