//! Chilean national public holidays computed from the legal rules (see
//! `docs/domain/chile.md` §5), used by forecasting as special days.
//!
//! Rules: fixed dates; Good Friday and Holy Saturday from the Gregorian Easter; 29 Jun and
//! 12 Oct moved to a Monday (Ley 19.668); 31 Oct moved to a Friday (Ley 20.299); 17 Sep
//! when it is a Monday, 20 Sep when it is a Friday (Ley 20.215); 17 Sep when 18–19 Sep fall
//! on a weekend and 2 Jan when 1 Jan is a Sunday (Ley 20.983); National Day of Indigenous
//! Peoples on the winter solstice date in America/Santiago (Ley 21.357), computed with
//! Meeus' algorithm (error of about a minute). Election days are not included: they are
//! configurable extras in the caller.

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::Timestamp;

use crate::{Error, Result};

/// One holiday.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holiday {
    /// Civil date.
    pub date: Date,
    /// Spanish name.
    pub name: &'static str,
    /// Irrenunciable for commerce workers (Ley 19.973).
    pub irrenunciable: bool,
}

fn d(year: i16, month: i8, day: i8) -> Result<Date> {
    Date::new(year, month, day)
        .map_err(|e| Error::InvalidInput(format!("date {year}-{month}-{day}: {e}")))
}

/// Easter Sunday (anonymous Gregorian algorithm).
pub fn easter(year: i16) -> Result<Date> {
    let y = i32::from(year);
    let a = y % 19;
    let b = y / 100;
    let c = y % 100;
    let dd = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - dd - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    d(year, month as i8, day as i8)
}

/// June solstice instant (UTC) by Meeus, *Astronomical Algorithms*, ch. 27.
pub fn june_solstice(year: i16) -> Result<Timestamp> {
    const TERMS: [(f64, f64, f64); 24] = [
        (485.0, 324.96, 1934.136),
        (203.0, 337.23, 32964.467),
        (199.0, 342.08, 20.186),
        (182.0, 27.85, 445267.112),
        (156.0, 73.14, 45036.886),
        (136.0, 171.52, 22518.443),
        (77.0, 222.54, 65928.934),
        (74.0, 296.72, 3034.906),
        (70.0, 243.58, 9037.513),
        (58.0, 119.81, 33718.147),
        (52.0, 297.17, 150.678),
        (50.0, 21.02, 2281.226),
        (45.0, 247.54, 29929.562),
        (44.0, 325.15, 31555.956),
        (29.0, 60.93, 4443.417),
        (18.0, 155.12, 67555.328),
        (17.0, 288.79, 4562.452),
        (16.0, 198.04, 62894.029),
        (14.0, 199.76, 31436.921),
        (12.0, 95.39, 14577.848),
        (12.0, 287.11, 31931.756),
        (12.0, 320.81, 34777.259),
        (9.0, 227.73, 1222.114),
        (8.0, 15.45, 16859.074),
    ];
    let y = (f64::from(year) - 2000.0) / 1000.0;
    let jde0 = 2_451_716.567_67 + 365_241.626_03 * y + 0.003_25 * y * y + 0.008_88 * y.powi(3)
        - 0.000_30 * y.powi(4);
    let t = (jde0 - 2_451_545.0) / 36_525.0;
    let w = (35_999.373 * t - 2.47).to_radians();
    let dl = 1.0 + 0.0334 * w.cos() + 0.0007 * (2.0 * w).cos();
    let s: f64 = TERMS
        .iter()
        .map(|(a, b, c)| a * (b + c * t).to_radians().cos())
        .sum();
    let jde = jde0 + 0.000_01 * s / dl;
    // TT − UT ≈ 69 s in the 2020s (ΔT); well inside the algorithm's error for dates.
    let unix_s = (jde - 2_440_587.5) * 86_400.0 - 69.0;
    Timestamp::from_second(unix_s.round() as i64)
        .map_err(|e| Error::InvalidInput(format!("solstice {year}: {e}")))
}

fn santiago() -> Result<TimeZone> {
    TimeZone::get("America/Santiago").map_err(|e| Error::InvalidInput(format!("tz: {e}")))
}

/// Chilean national holidays of `year` (sorted by date).
pub fn chile(year: i16) -> Result<Vec<Holiday>> {
    let mut out = Vec::with_capacity(20);
    let mut push = |date: Date, name: &'static str, irrenunciable: bool| {
        out.push(Holiday {
            date,
            name,
            irrenunciable,
        })
    };
    let jan1 = d(year, 1, 1)?;
    push(jan1, "Año Nuevo", true);
    if jan1.weekday() == Weekday::Sunday {
        push(d(year, 1, 2)?, "Feriado adicional Año Nuevo", false);
    }
    let easter = easter(year)?;
    let day = |n: i64| easter.checked_add(jiff::Span::new().days(n));
    let good_friday = day(-2).map_err(|e| Error::InvalidInput(e.to_string()))?;
    let holy_saturday = day(-1).map_err(|e| Error::InvalidInput(e.to_string()))?;
    push(good_friday, "Viernes Santo", false);
    push(holy_saturday, "Sábado Santo", false);
    push(d(year, 5, 1)?, "Día del Trabajo", true);
    push(d(year, 5, 21)?, "Día de las Glorias Navales", false);
    let solstice = june_solstice(year)?.to_zoned(santiago()?).date();
    push(solstice, "Día Nacional de los Pueblos Indígenas", false);
    push(
        monday_rule(d(year, 6, 29)?)?,
        "San Pedro y San Pablo",
        false,
    );
    push(d(year, 7, 16)?, "Día de la Virgen del Carmen", false);
    push(d(year, 8, 15)?, "Asunción de la Virgen", false);
    let sep17 = d(year, 9, 17)?;
    let sep18 = d(year, 9, 18)?;
    let weekend = |x: Date| matches!(x.weekday(), Weekday::Saturday | Weekday::Sunday);
    let sep19 = d(year, 9, 19)?;
    if sep17.weekday() == Weekday::Monday || (weekend(sep18) && weekend(sep19)) {
        push(sep17, "Fiestas Patrias (feriado adicional)", false);
    }
    push(sep18, "Independencia Nacional", true);
    push(sep19, "Día de las Glorias del Ejército", true);
    let sep20 = d(year, 9, 20)?;
    if sep20.weekday() == Weekday::Friday {
        push(sep20, "Fiestas Patrias (feriado adicional)", false);
    }
    push(
        monday_rule(d(year, 10, 12)?)?,
        "Encuentro de Dos Mundos",
        false,
    );
    let oct31 = d(year, 10, 31)?;
    let evangelical = match oct31.weekday() {
        Weekday::Tuesday => shift(oct31, -4)?,
        Weekday::Wednesday => shift(oct31, 2)?,
        _ => oct31,
    };
    push(
        evangelical,
        "Día de las Iglesias Evangélicas y Protestantes",
        false,
    );
    push(d(year, 11, 1)?, "Día de Todos los Santos", false);
    push(d(year, 12, 8)?, "Inmaculada Concepción", false);
    push(d(year, 12, 25)?, "Navidad", true);
    out.sort_by_key(|h| h.date);
    Ok(out)
}

fn shift(date: Date, days: i64) -> Result<Date> {
    date.checked_add(jiff::Span::new().days(days))
        .map_err(|e| Error::InvalidInput(e.to_string()))
}

/// Ley 19.668: Tue–Thu move to that week's Monday, Fri to the next Monday.
fn monday_rule(date: Date) -> Result<Date> {
    match date.weekday() {
        Weekday::Tuesday => shift(date, -1),
        Weekday::Wednesday => shift(date, -2),
        Weekday::Thursday => shift(date, -3),
        Weekday::Friday => shift(date, 3),
        _ => Ok(date),
    }
}

/// Holiday dates for an inclusive range of years.
pub fn chile_dates(first_year: i16, last_year: i16) -> Result<Vec<Date>> {
    let mut v = Vec::new();
    for y in first_year..=last_year {
        v.extend(chile(y)?.into_iter().map(|h| h.date));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table of `docs/domain/chile.md` §5, column by column.
    const TABLE: [[&str; 4]; 17] = [
        ["2025-01-01", "2026-01-01", "2027-01-01", "2028-01-01"],
        ["2025-04-18", "2026-04-03", "2027-03-26", "2028-04-14"],
        ["2025-04-19", "2026-04-04", "2027-03-27", "2028-04-15"],
        ["2025-05-01", "2026-05-01", "2027-05-01", "2028-05-01"],
        ["2025-05-21", "2026-05-21", "2027-05-21", "2028-05-21"],
        ["2025-06-20", "2026-06-21", "2027-06-21", "2028-06-20"],
        ["2025-06-29", "2026-06-29", "2027-06-28", "2028-06-26"],
        ["2025-07-16", "2026-07-16", "2027-07-16", "2028-07-16"],
        ["2025-08-15", "2026-08-15", "2027-08-15", "2028-08-15"],
        ["-", "-", "2027-09-17", "-"],
        ["2025-09-18", "2026-09-18", "2027-09-18", "2028-09-18"],
        ["2025-09-19", "2026-09-19", "2027-09-19", "2028-09-19"],
        ["2025-10-12", "2026-10-12", "2027-10-11", "2028-10-09"],
        ["2025-10-31", "2026-10-31", "2027-10-31", "2028-10-27"],
        ["2025-11-01", "2026-11-01", "2027-11-01", "2028-11-01"],
        ["2025-12-08", "2026-12-08", "2027-12-08", "2028-12-08"],
        ["2025-12-25", "2026-12-25", "2027-12-25", "2028-12-25"],
    ];

    #[test]
    fn holidays_2025_to_2028_match_the_published_table() {
        for (col, year) in (2025..=2028).enumerate() {
            let mut want: Vec<Date> = TABLE
                .iter()
                .map(|row| row[col])
                .filter(|s| *s != "-")
                .map(|s| s.parse().unwrap())
                .collect();
            want.sort();
            let got: Vec<Date> = chile(year).unwrap().into_iter().map(|h| h.date).collect();
            assert_eq!(got, want, "year {year}");
        }
    }

    #[test]
    fn easter_matches_known_dates() {
        assert_eq!(easter(2024).unwrap(), d(2024, 3, 31).unwrap());
        assert_eq!(easter(2025).unwrap(), d(2025, 4, 20).unwrap());
        assert_eq!(easter(2038).unwrap(), d(2038, 4, 25).unwrap());
    }

    #[test]
    fn solstice_is_within_minutes_of_published_instant() {
        // 2025-06-21 02:42 UTC (published).
        let s = june_solstice(2025).unwrap();
        let want: Timestamp = "2025-06-21T02:42:00Z".parse().unwrap();
        assert!((s.as_second() - want.as_second()).abs() < 300, "{s}");
    }

    #[test]
    fn new_year_on_sunday_adds_january_second() {
        // 2023-01-01 was a Sunday.
        let dates: Vec<Date> = chile(2023).unwrap().into_iter().map(|h| h.date).collect();
        assert!(dates.contains(&d(2023, 1, 2).unwrap()));
    }
}
