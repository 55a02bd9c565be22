//! How a typed cell reads in a language: es-CL groups thousands with `.` and writes decimals
//! with `,` and dates as dd-mm-aaaa; English uses `,` and `.` and ISO dates. The PDF shows
//! these; the CSV writes the plain machine form ([`machine`]).

use super::{Cell, Lang};

/// Groups the integer digits of `digits` (no sign) with `sep`.
fn group(digits: &str, sep: char) -> String {
    let n = digits.len();
    let mut out = String::with_capacity(n + n / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (n - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// A number with `decimals` decimals in the language's style.
pub fn number(v: f64, decimals: u8, lang: Lang) -> String {
    if !v.is_finite() {
        return String::new();
    }
    let (thousands, decimal) = match lang {
        Lang::Es => ('.', ','),
        Lang::En => (',', '.'),
    };
    let s = format!("{:.*}", usize::from(decimals), v.abs());
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s.as_str(), None),
    };
    let negative = v < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0');
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    out.push_str(&group(int, thousands));
    if let Some(f) = frac {
        out.push(decimal);
        out.push_str(f);
    }
    out
}

/// An integer in the language's style.
pub fn int(v: i64, lang: Lang) -> String {
    let sep = match lang {
        Lang::Es => '.',
        Lang::En => ',',
    };
    let digits = v.unsigned_abs().to_string();
    let g = group(&digits, sep);
    if v < 0 {
        format!("-{g}")
    } else {
        g
    }
}

/// Money from minor units: `$ 1.234.567` for CLP, `USD 12,50` for others.
pub fn money(minor: i64, currency: &str, exponent: u8, lang: Lang) -> String {
    let scale = 10i64.pow(u32::from(exponent));
    let whole = int(minor / scale, lang);
    let whole = if minor < 0 && minor / scale == 0 {
        format!("-{whole}")
    } else {
        whole
    };
    let amount = if exponent == 0 {
        whole
    } else {
        let frac = (minor % scale).unsigned_abs();
        let dec = if lang == Lang::Es { ',' } else { '.' };
        format!("{whole}{dec}{frac:0width$}", width = usize::from(exponent))
    };
    if currency == "CLP" {
        format!("$ {amount}")
    } else {
        format!("{currency} {amount}")
    }
}

/// A date: dd-mm-aaaa in Spanish, ISO in English.
pub fn date(d: jiff::civil::Date, lang: Lang) -> String {
    match lang {
        Lang::Es => format!("{:02}-{:02}-{:04}", d.day(), d.month(), d.year()),
        Lang::En => format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()),
    }
}

/// A local date and time to the minute.
pub fn datetime(t: jiff::civil::DateTime, lang: Lang) -> String {
    format!("{} {:02}:{:02}", date(t.date(), lang), t.hour(), t.minute())
}

/// A cell as the PDF shows it.
pub fn display(c: &Cell, lang: Lang) -> String {
    match c {
        Cell::Empty => String::new(),
        Cell::Text(s) => s.clone(),
        Cell::Int(v) => int(*v, lang),
        Cell::Num { value, decimals } => number(*value, *decimals, lang),
        Cell::Percent { value, decimals } => {
            format!("{} %", number(value * 100.0, *decimals, lang))
        }
        Cell::Money {
            minor,
            currency,
            exponent,
        } => money(*minor, currency, *exponent, lang),
        Cell::Date(d) => date(*d, lang),
        Cell::DateTime(t) => datetime(*t, lang),
    }
}

/// A cell in plain machine form (CSV): `.` decimals, no grouping, ISO dates, percentages as
/// percent values (80 % is `80.0`), money in major units with its decimals.
pub fn machine(c: &Cell) -> String {
    match c {
        Cell::Empty => String::new(),
        Cell::Text(s) => s.clone(),
        Cell::Int(v) => v.to_string(),
        Cell::Num { value, decimals } => format!("{:.*}", usize::from(*decimals), value),
        Cell::Percent { value, decimals } => {
            format!("{:.*}", usize::from(*decimals), value * 100.0)
        }
        Cell::Money {
            minor, exponent, ..
        } => {
            if *exponent == 0 {
                minor.to_string()
            } else {
                let scale = 10i64.pow(u32::from(*exponent));
                let sign = if *minor < 0 { "-" } else { "" };
                let m = minor.unsigned_abs();
                format!(
                    "{sign}{}.{:0width$}",
                    m / scale as u64,
                    m % scale as u64,
                    width = usize::from(*exponent)
                )
            }
        }
        Cell::Date(d) => d.to_string(),
        Cell::DateTime(t) => t.strftime("%Y-%m-%d %H:%M").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date as d;

    #[test]
    fn spanish_groups_thousands_with_dots_and_decimals_with_a_comma() {
        assert_eq!(number(1234567.891, 2, Lang::Es), "1.234.567,89");
        assert_eq!(number(1234567.891, 2, Lang::En), "1,234,567.89");
        assert_eq!(number(-0.001, 1, Lang::Es), "0,0");
        assert_eq!(number(-12.5, 1, Lang::Es), "-12,5");
        assert_eq!(int(-1_000, Lang::Es), "-1.000");
        assert_eq!(money(123_456_789, "CLP", 0, Lang::Es), "$ 123.456.789");
        assert_eq!(money(1_250, "USD", 2, Lang::En), "USD 12.50");
        assert_eq!(money(-5, "USD", 2, Lang::Es), "USD -0,05");
    }

    #[test]
    fn dates_read_day_first_in_spanish_and_iso_in_english() {
        assert_eq!(date(d(2026, 3, 7), Lang::Es), "07-03-2026");
        assert_eq!(date(d(2026, 3, 7), Lang::En), "2026-03-07");
    }

    #[test]
    fn machine_form_is_plain_and_locale_free() {
        assert_eq!(machine(&Cell::percent(0.8234, 1)), "82.3");
        assert_eq!(
            machine(&Cell::Money {
                minor: -1_205,
                currency: "USD".into(),
                exponent: 2
            }),
            "-12.05"
        );
        assert_eq!(machine(&Cell::Date(d(2026, 3, 7))), "2026-03-07");
        assert_eq!(display(&Cell::percent(0.8234, 1), Lang::Es), "82,3 %");
    }
}
