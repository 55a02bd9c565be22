//! Budget: money in integer minor units, dated exchange rates, cost rates, supplies, monthly
//! budget lines, actuals, variance and cost per contact.
//!
//! Amounts never pass through floating point: CLP has 0 decimals, USD 2 and UF (ISO code CLF)
//! 4, so every amount is an `i64` count of the currency's minor unit (docs/domain/chile.md
//! §6). Conversions use a rate the user entered for a date, and the caller always states the
//! rounding, because the UF-to-peso rounding rule is not fixed by any source.

use std::collections::BTreeMap;
use std::fmt;

use jiff::civil::Date;

use super::{parse_date, required_text, Problems};
use crate::{Invalid, Invalids};

crate::string_enum! {
    /// A currency the budget may use; its wire name is the ISO 4217 code.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum Currency {
        /// Chilean peso, 0 decimals.
        Clp = "CLP",
        /// US dollar, 2 decimals.
        Usd = "USD",
        /// Unidad de Fomento, 4 decimals.
        Clf = "CLF",
    }
}

impl Currency {
    /// ISO 4217 code (the wire name).
    pub fn code(self) -> &'static str {
        self.as_str()
    }

    /// Decimals of the minor unit.
    pub fn decimals(self) -> u32 {
        match self {
            Currency::Clp => 0,
            Currency::Usd => 2,
            Currency::Clf => 4,
        }
    }

    /// Accepts the ISO code in any case, and `UF` for CLF.
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let s = s.trim().to_ascii_uppercase();
        if s == "UF" {
            return Ok(Currency::Clf);
        }
        s.parse()
            .map_err(|_| Invalid::new("currency", "error.money.currency"))
    }
}

/// How a computed amount is brought to whole minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rounding {
    /// Halves go away from zero (0.5 → 1, −0.5 → −1): the usual commercial rule.
    HalfAwayFromZero,
    /// Halves go to the even neighbour (banker's rounding).
    HalfEven,
    /// Truncate toward zero.
    TowardZero,
    /// Any fraction goes away from zero.
    AwayFromZero,
}

/// `n / d` rounded by `mode`; `d` must be positive.
fn div_round(n: i128, d: i128, mode: Rounding) -> i128 {
    let q = n / d;
    let r = n % d;
    if r == 0 {
        return q;
    }
    let away = q + n.signum();
    let twice = 2 * r.abs();
    match mode {
        Rounding::TowardZero => q,
        Rounding::AwayFromZero => away,
        Rounding::HalfAwayFromZero => {
            if twice >= d {
                away
            } else {
                q
            }
        }
        Rounding::HalfEven => {
            if twice > d || (twice == d && q % 2 != 0) {
                away
            } else {
                q
            }
        }
    }
}

/// An amount of money: an integer count of the currency's minor unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    pub fn from_minor(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    pub fn zero(currency: Currency) -> Money {
        Money { minor: 0, currency }
    }

    /// Whole pesos; the only way to build CLP amounts from integers in code.
    pub fn clp(pesos: i64) -> Money {
        Money::from_minor(pesos, Currency::Clp)
    }

    pub fn minor(self) -> i64 {
        self.minor
    }

    pub fn currency(self) -> Currency {
        self.currency
    }

    pub fn is_negative(self) -> bool {
        self.minor < 0
    }

    /// Parses a user-entered amount in `currency`, signed.
    ///
    /// Accepts the Chilean display form (`1.234.567`, `38.362,26`: dots group thousands, the
    /// comma marks decimals) and the plain form (`38362.26`). For CLP, which has no decimals, a
    /// dot can only group thousands. More decimals than the currency has are rejected rather than
    /// rounded silently.
    pub fn parse(field: &'static str, s: &str, currency: Currency) -> Result<Money, Invalid> {
        let (mantissa, scale) = parse_decimal(s, currency.decimals() == 0)
            .ok_or(Invalid::new(field, "error.money.format"))?;
        if scale > currency.decimals() {
            return Err(Invalid::new(field, "error.money.decimals"));
        }
        let minor = mantissa
            .checked_mul(10i128.pow(currency.decimals() - scale))
            .and_then(|m| i64::try_from(m).ok())
            .ok_or(Invalid::new(field, "error.money.overflow"))?;
        Ok(Money { minor, currency })
    }

    /// Parses a cost: like [`Money::parse`] but negative amounts are rejected.
    pub fn parse_cost(field: &'static str, s: &str, currency: Currency) -> Result<Money, Invalid> {
        let m = Money::parse(field, s, currency)?;
        if m.is_negative() {
            Err(Invalid::new(field, "error.money.negative"))
        } else {
            Ok(m)
        }
    }

    fn same_currency(self, other: Money) -> Result<(), Invalid> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(Invalid::new("currency", "error.money.currency_mismatch"))
        }
    }

    pub fn checked_add(self, other: Money) -> Result<Money, Invalid> {
        self.same_currency(other)?;
        self.minor
            .checked_add(other.minor)
            .map(|minor| Money { minor, ..self })
            .ok_or(Invalid::new("amount", "error.money.overflow"))
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, Invalid> {
        self.same_currency(other)?;
        self.minor
            .checked_sub(other.minor)
            .map(|minor| Money { minor, ..self })
            .ok_or(Invalid::new("amount", "error.money.overflow"))
    }

    /// The amount times `num / den`, rounded; `den` must be positive.
    fn scaled(self, num: i128, den: i128, rounding: Rounding) -> Result<Money, Invalid> {
        let n = i128::from(self.minor)
            .checked_mul(num)
            .ok_or(Invalid::new("amount", "error.money.overflow"))?;
        i64::try_from(div_round(n, den, rounding))
            .map(|minor| Money { minor, ..self })
            .map_err(|_| Invalid::new("amount", "error.money.overflow"))
    }

    /// The amount times a whole quantity.
    pub fn times(self, quantity: u64) -> Result<Money, Invalid> {
        self.scaled(i128::from(quantity), 1, Rounding::TowardZero)
    }

    /// The amount divided among `n` (e.g. per contact); `None` when `n` is zero.
    pub fn divided_by(self, n: u64, rounding: Rounding) -> Option<Money> {
        if n == 0 {
            return None;
        }
        self.scaled(1, i128::from(n), rounding).ok()
    }
}

/// The plain machine form, e.g. `38362.2600 CLF` or `1500 CLP`.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.currency.decimals();
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        if d == 0 {
            write!(f, "{sign}{abs} {}", self.currency.code())
        } else {
            let unit = 10u64.pow(d);
            write!(
                f,
                "{sign}{}.{:0width$} {}",
                abs / unit,
                abs % unit,
                self.currency.code(),
                width = d as usize
            )
        }
    }
}

/// Parses a decimal number into (mantissa, decimals). `dot_groups` makes a dot without a comma
/// a thousands separator (for currencies without decimals).
fn parse_decimal(s: &str, dot_groups: bool) -> Option<(i128, u32)> {
    let t = s.trim().trim_start_matches('$').trim();
    let (negative, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (int_part, frac_part, grouped) = if let Some((i, f)) = t.split_once(',') {
        (i, f, true)
    } else if dot_groups {
        (t, "", true)
    } else {
        match t.split_once('.') {
            Some((i, f)) => (i, f, false),
            None => (t, "", false),
        }
    };
    let digits = if grouped && int_part.contains('.') {
        let groups: Vec<&str> = int_part.split('.').collect();
        let first_ok = (1..=3).contains(&groups[0].len());
        if !first_ok || groups[1..].iter().any(|g| g.len() != 3) {
            return None;
        }
        groups.concat()
    } else {
        int_part.to_string()
    };
    let all_digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
    if digits.is_empty() || !all_digits(&digits) || !all_digits(frac_part) || digits.len() > 30 {
        return None;
    }
    if frac_part.len() > 18 {
        return None;
    }
    let scale = frac_part.len() as u32;
    let mantissa: i128 = format!("{digits}{frac_part}").parse().ok()?;
    Some((if negative { -mantissa } else { mantissa }, scale))
}

/// A dated exchange rate: one `base` is worth `value` of `quote` on `date`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    base: Currency,
    quote: Currency,
    date: Date,
    mantissa: i128,
    scale: u32,
}

impl Rate {
    /// Parses a positive rate with up to 6 decimals, e.g. UF → CLP `38.362,26` on 2024-12-09.
    pub fn parse(
        base: Currency,
        quote: Currency,
        date: &str,
        value: &str,
    ) -> Result<Rate, Invalids> {
        let mut p = Problems::default();
        p.check(base != quote, "quote", "error.rate.same_currency");
        let date = p.take(parse_date("date", date));
        let parsed = parse_decimal(value, false).filter(|(m, s)| *m > 0 && *s <= 6);
        p.check(parsed.is_some(), "value", "error.rate.value");
        p.finish(|| {
            let (mantissa, scale) = parsed?;
            Some(Rate {
                base,
                quote,
                date: date?,
                mantissa,
                scale,
            })
        })
    }

    pub fn base(&self) -> Currency {
        self.base
    }

    pub fn quote(&self) -> Currency {
        self.quote
    }

    pub fn date(&self) -> Date {
        self.date
    }

    /// Converts `m` from base to quote or from quote to base, rounding as stated.
    pub fn convert(&self, m: Money, rounding: Rounding) -> Result<Money, Invalid> {
        let pow = |d: u32| 10i128.pow(d);
        let (num, den, to) = if m.currency == self.base {
            (
                self.mantissa * pow(self.quote.decimals()),
                pow(self.base.decimals() + self.scale),
                self.quote,
            )
        } else if m.currency == self.quote {
            (
                pow(self.base.decimals() + self.scale),
                self.mantissa * pow(self.quote.decimals()),
                self.base,
            )
        } else {
            return Err(Invalid::new("currency", "error.money.currency_mismatch"));
        };
        let converted = m.scaled(num, den, rounding)?;
        Ok(Money::from_minor(converted.minor, to))
    }
}

/// A percentage with two decimals, stored in hundredths of a percent (basis points).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Percent(u32);

impl Percent {
    /// Parses `23`, `23,5` or `23.45` within 0–`max` percent.
    pub fn parse(
        field: &'static str,
        key: &'static str,
        s: &str,
        max: u32,
    ) -> Result<Self, Invalid> {
        let (m, scale) = parse_decimal(s, false).ok_or(Invalid::new(field, key))?;
        if scale > 2 || m < 0 {
            return Err(Invalid::new(field, key));
        }
        let bp = m * 10i128.pow(2 - scale);
        if bp > i128::from(max) * 100 {
            return Err(Invalid::new(field, key));
        }
        u32::try_from(bp)
            .map(Percent)
            .map_err(|_| Invalid::new(field, key))
    }

    pub fn from_basis_points(bp: u32) -> Percent {
        Percent(bp)
    }

    pub fn basis_points(self) -> u32 {
        self.0
    }
}

/// Raw cost rate input.
#[derive(Debug, Clone, Default)]
pub struct CostRateInput {
    pub role: String,
    pub hourly_cost: String,
    pub currency: String,
    /// Employer charges on top of the hourly cost, percent (e.g. `23,5`).
    pub employer_charges: String,
}

/// What an hour of a role costs: gross hourly cost plus employer charges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostRate {
    pub role: String,
    pub hourly_cost: Money,
    pub employer_charges: Percent,
}

impl TryFrom<CostRateInput> for CostRate {
    type Error = Invalids;

    fn try_from(i: CostRateInput) -> Result<Self, Invalids> {
        let mut p = Problems::default();
        let role = p.take(required_text("role", "error.cost_rate.role", &i.role, 100));
        let currency = p.take(Currency::parse(&i.currency));
        let hourly =
            currency.and_then(|c| p.take(Money::parse_cost("hourly_cost", &i.hourly_cost, c)));
        let charges = if i.employer_charges.trim().is_empty() {
            Some(Percent(0))
        } else {
            p.take(Percent::parse(
                "employer_charges",
                "error.cost_rate.charges",
                &i.employer_charges,
                100,
            ))
        };
        p.finish(|| {
            Some(CostRate {
                role: role?,
                hourly_cost: hourly?,
                employer_charges: charges?,
            })
        })
    }
}

impl CostRate {
    /// Employer cost of `minutes` of work (hourly cost plus charges), rounded once at the end.
    pub fn cost_of_minutes(&self, minutes: u64, rounding: Rounding) -> Result<Money, Invalid> {
        let factor = 10_000 + i128::from(self.employer_charges.basis_points());
        let num = i128::from(minutes)
            .checked_mul(factor)
            .ok_or(Invalid::new("minutes", "error.money.overflow"))?;
        self.hourly_cost.scaled(num, 60 * 10_000, rounding)
    }

    /// The loaded cost of one hour.
    pub fn loaded_hourly(&self, rounding: Rounding) -> Result<Money, Invalid> {
        self.cost_of_minutes(60, rounding)
    }
}

crate::string_enum! {
    /// What a supply line buys.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum SupplyKind {
        Licence = "licence",
        Headset = "headset",
        Seat = "seat",
        TelephonyMinutes = "telephony_minutes",
        Material = "material",
        Other = "other",
    }
    invalid("kind", "error.supply.kind")
}

/// Raw supply input.
#[derive(Debug, Clone, Default)]
pub struct SupplyInput {
    pub kind: String,
    pub description: String,
    pub quantity: String,
    pub unit_cost: String,
    pub currency: String,
}

/// Supplies and materials: quantity × unit cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Supply {
    pub kind: SupplyKind,
    pub description: String,
    pub quantity: u64,
    pub unit_cost: Money,
}

impl TryFrom<SupplyInput> for Supply {
    type Error = Invalids;

    fn try_from(i: SupplyInput) -> Result<Self, Invalids> {
        let mut p = Problems::default();
        let kind = p.take(SupplyKind::parse(&i.kind));
        let description = p.take(required_text(
            "description",
            "error.supply.description",
            &i.description,
            200,
        ));
        let quantity = i.quantity.trim().parse::<u64>().ok();
        p.check(quantity.is_some(), "quantity", "error.supply.quantity");
        let currency = p.take(Currency::parse(&i.currency));
        let unit_cost =
            currency.and_then(|c| p.take(Money::parse_cost("unit_cost", &i.unit_cost, c)));
        if let (Some(q), Some(u)) = (quantity, unit_cost) {
            p.check(u.times(q).is_ok(), "quantity", "error.money.overflow");
        }
        p.finish(|| {
            Some(Supply {
                kind: kind?,
                description: description?,
                quantity: quantity?,
                unit_cost: unit_cost?,
            })
        })
    }
}

impl Supply {
    /// Quantity × unit cost.
    pub fn total(&self) -> Result<Money, Invalid> {
        self.unit_cost.times(self.quantity)
    }
}

/// A calendar month, `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct YearMonth {
    year: i16,
    month: i8,
}

impl YearMonth {
    pub fn parse(field: &'static str, s: &str) -> Result<Self, Invalid> {
        let err = || Invalid::new(field, "error.month.format");
        let (y, m) = s.trim().split_once('-').ok_or_else(err)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(err());
        }
        let year: i16 = y.parse().map_err(|_| err())?;
        let month: i8 = m.parse().map_err(|_| err())?;
        if !(1..=12).contains(&month) || !(1900..=9999).contains(&year) {
            return Err(err());
        }
        Ok(YearMonth { year, month })
    }

    pub fn of(d: Date) -> YearMonth {
        YearMonth {
            year: d.year(),
            month: d.month(),
        }
    }

    pub fn year(self) -> i16 {
        self.year
    }

    pub fn month(self) -> i8 {
        self.month
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

crate::string_enum! {
    /// What a budget line pays for.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum Category {
        Staff = "staff",
        Supplies = "supplies",
        Technology = "technology",
        Telephony = "telephony",
        Training = "training",
        Facilities = "facilities",
        Other = "other",
    }
    invalid("category", "error.budget.category")
}

/// A budget line (its id is given by the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetLine {
    pub id: i64,
    pub category: Category,
    pub description: String,
}

impl BudgetLine {
    pub fn parse(id: i64, category: &str, description: &str) -> Result<Self, Invalids> {
        let mut p = Problems::default();
        let category = p.take(Category::parse(category));
        let description = p.take(required_text(
            "description",
            "error.budget.description",
            description,
            200,
        ));
        p.finish(|| {
            Some(BudgetLine {
                id,
                category: category?,
                description: description?,
            })
        })
    }
}

/// Raw planned or actual amount for one line and month.
#[derive(Debug, Clone, Default)]
pub struct LineAmountInput {
    pub line_id: i64,
    pub month: String,
    pub amount: String,
    pub currency: String,
}

/// A planned or actual, non-negative amount for one line and month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineAmount {
    pub line_id: i64,
    pub month: YearMonth,
    pub amount: Money,
}

impl TryFrom<LineAmountInput> for LineAmount {
    type Error = Invalids;

    fn try_from(i: LineAmountInput) -> Result<Self, Invalids> {
        let mut p = Problems::default();
        let month = p.take(YearMonth::parse("month", &i.month));
        let currency = p.take(Currency::parse(&i.currency));
        let amount = currency.and_then(|c| p.take(Money::parse_cost("amount", &i.amount, c)));
        p.finish(|| {
            Some(LineAmount {
                line_id: i.line_id,
                month: month?,
                amount: amount?,
            })
        })
    }
}

/// How variance rows are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Line,
    Month,
    Category,
    Total,
}

/// The key of one variance row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VarianceKey {
    Line(i64),
    Month(YearMonth),
    Category(Category),
    Total,
}

/// Planned against actual for one group.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VarianceRow {
    pub key: VarianceKey,
    pub planned: Money,
    pub actual: Money,
    /// `actual − planned`: positive means overspending.
    pub variance: Money,
    /// Variance as a percentage of the plan; `None` when nothing was planned.
    pub percent: Option<f64>,
}

/// Planned vs actual grouped as asked, sorted by key. All amounts must share one currency, and
/// every amount must belong to one of `lines`.
pub fn variance(
    lines: &[BudgetLine],
    planned: &[LineAmount],
    actual: &[LineAmount],
    by: GroupBy,
) -> Result<Vec<VarianceRow>, Invalid> {
    let currency = planned
        .iter()
        .chain(actual)
        .map(|a| a.amount.currency())
        .next()
        .unwrap_or(Currency::Clp);
    let mut sums: BTreeMap<VarianceKey, (Money, Money)> = BTreeMap::new();
    let zero = Money::zero(currency);
    for (amounts, is_actual) in [(planned, false), (actual, true)] {
        for a in amounts {
            let line = lines
                .iter()
                .find(|l| l.id == a.line_id)
                .ok_or(Invalid::new("line_id", "error.budget.line"))?;
            let key = match by {
                GroupBy::Line => VarianceKey::Line(line.id),
                GroupBy::Month => VarianceKey::Month(a.month),
                GroupBy::Category => VarianceKey::Category(line.category),
                GroupBy::Total => VarianceKey::Total,
            };
            let entry = sums.entry(key).or_insert((zero, zero));
            let slot = if is_actual {
                &mut entry.1
            } else {
                &mut entry.0
            };
            *slot = slot.checked_add(a.amount)?;
        }
    }
    sums.into_iter()
        .map(|(key, (planned, actual))| {
            let variance = actual.checked_sub(planned)?;
            let percent = (planned.minor() != 0)
                .then(|| variance.minor() as f64 / planned.minor() as f64 * 100.0);
            Ok(VarianceRow {
                key,
                planned,
                actual,
                variance,
                percent,
            })
        })
        .collect()
}

/// Actual cost divided by contacts handled, rounded half away from zero; `None` for no contacts.
pub fn cost_per_contact(actual_cost: Money, contacts: u64) -> Option<Money> {
    actual_cost.divided_by(contacts, Rounding::HalfAwayFromZero)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clp(s: &str) -> Money {
        Money::parse("amount", s, Currency::Clp).unwrap()
    }

    #[test]
    fn clp_accepts_chilean_thousands_and_rejects_decimals() {
        assert_eq!(clp("1.234.567"), Money::clp(1_234_567));
        assert_eq!(clp("$ 850000"), Money::clp(850_000));
        assert_eq!(
            Money::parse("amount", "1234,5", Currency::Clp)
                .unwrap_err()
                .key,
            "error.money.decimals"
        );
        assert_eq!(
            Money::parse("amount", "1.23.4", Currency::Clp)
                .unwrap_err()
                .key,
            "error.money.format"
        );
    }

    #[test]
    fn uf_keeps_four_decimals_in_either_notation() {
        let a = Money::parse("amount", "1.234,5678", Currency::Clf).unwrap();
        let b = Money::parse("amount", "1234.5678", Currency::Clf).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.minor(), 12_345_678);
        assert_eq!(a.to_string(), "1234.5678 CLF");
        assert_eq!(
            Money::parse("amount", "1,23456", Currency::Clf)
                .unwrap_err()
                .key,
            "error.money.decimals"
        );
    }

    #[test]
    fn negative_cost_is_rejected_with_the_negative_key() {
        assert_eq!(
            Money::parse_cost("unit_cost", "-5000", Currency::Clp),
            Err(Invalid::new("unit_cost", "error.money.negative"))
        );
        let e = Supply::try_from(SupplyInput {
            kind: "headset".into(),
            description: "Jabra".into(),
            quantity: "10".into(),
            unit_cost: "-45.000".into(),
            currency: "CLP".into(),
        })
        .unwrap_err();
        assert_eq!(e.0, vec![Invalid::new("unit_cost", "error.money.negative")]);
    }

    #[test]
    fn uf_converts_to_pesos_at_the_stated_rate_with_the_stated_rounding() {
        // 2024-12-09: 1 UF = $38.362,26 (chile.md §6).
        let rate = Rate::parse(Currency::Clf, Currency::Clp, "2024-12-09", "38.362,26").unwrap();
        let one_uf = Money::parse("a", "1", Currency::Clf).unwrap();
        assert_eq!(
            rate.convert(one_uf, Rounding::HalfAwayFromZero).unwrap(),
            Money::clp(38_362)
        );
        let half = Money::parse("a", "0,5", Currency::Clf).unwrap(); // 19.181,13
        assert_eq!(
            rate.convert(half, Rounding::TowardZero).unwrap(),
            Money::clp(19_181)
        );
        assert_eq!(
            rate.convert(half, Rounding::AwayFromZero).unwrap(),
            Money::clp(19_182)
        );
        // And back: $100.000 = 2,60671… UF.
        let back = rate
            .convert(Money::clp(100_000), Rounding::HalfAwayFromZero)
            .unwrap();
        assert_eq!(back.to_string(), "2.6067 CLF");
        assert_eq!(
            rate.convert(Money::from_minor(1, Currency::Usd), Rounding::HalfEven)
                .unwrap_err()
                .key,
            "error.money.currency_mismatch"
        );
    }

    #[test]
    fn rounding_modes_differ_only_on_fractions() {
        assert_eq!(div_round(5, 2, Rounding::HalfAwayFromZero), 3);
        assert_eq!(div_round(-5, 2, Rounding::HalfAwayFromZero), -3);
        assert_eq!(div_round(5, 2, Rounding::HalfEven), 2);
        assert_eq!(div_round(7, 2, Rounding::HalfEven), 4);
        assert_eq!(div_round(7, 3, Rounding::HalfEven), 2);
        assert_eq!(div_round(-7, 3, Rounding::AwayFromZero), -3);
        assert_eq!(div_round(6, 3, Rounding::AwayFromZero), 2);
    }

    #[test]
    fn loaded_cost_adds_employer_charges_to_the_hourly_cost() {
        let r = CostRate::try_from(CostRateInput {
            role: "Ejecutivo".into(),
            hourly_cost: "4.000".into(),
            currency: "CLP".into(),
            employer_charges: "23,5".into(),
        })
        .unwrap();
        assert_eq!(
            r.loaded_hourly(Rounding::HalfAwayFromZero).unwrap(),
            Money::clp(4_940)
        );
        // 45 minutes: 4.940 × 0,75 = 3.705.
        assert_eq!(
            r.cost_of_minutes(45, Rounding::HalfAwayFromZero).unwrap(),
            Money::clp(3_705)
        );
    }

    #[test]
    fn supplies_cost_quantity_times_unit_cost() {
        let s = Supply::try_from(SupplyInput {
            kind: "telephony_minutes".into(),
            description: "Minutos móviles".into(),
            quantity: "120000".into(),
            unit_cost: "0,0125".into(),
            currency: "USD".into(),
        });
        assert_eq!(s.unwrap_err().0[0].key, "error.money.decimals");
        let s = Supply::try_from(SupplyInput {
            kind: "licence".into(),
            description: "Licencia CRM".into(),
            quantity: "50".into(),
            unit_cost: "12,50".into(),
            currency: "USD".into(),
        })
        .unwrap();
        assert_eq!(s.total().unwrap().to_string(), "625.00 USD");
    }

    #[test]
    fn months_parse_as_year_dash_month_only() {
        assert_eq!(
            YearMonth::parse("m", "2026-03").unwrap().to_string(),
            "2026-03"
        );
        for bad in ["2026-13", "2026-3", "26-03", "2026/03", "marzo"] {
            assert_eq!(
                YearMonth::parse("m", bad).unwrap_err().key,
                "error.month.format"
            );
        }
    }

    fn amount(line_id: i64, month: &str, pesos: i64) -> LineAmount {
        LineAmount {
            line_id,
            month: YearMonth::parse("m", month).unwrap(),
            amount: Money::clp(pesos),
        }
    }

    #[test]
    fn variance_groups_by_line_month_category_and_total() {
        let lines = vec![
            BudgetLine::parse(1, "staff", "Ejecutivos").unwrap(),
            BudgetLine::parse(2, "staff", "Supervisores").unwrap(),
            BudgetLine::parse(3, "telephony", "Minutos").unwrap(),
        ];
        let planned = [
            amount(1, "2026-03", 10_000_000),
            amount(1, "2026-04", 10_000_000),
            amount(2, "2026-03", 2_000_000),
            amount(3, "2026-03", 1_000_000),
        ];
        let actual = [
            amount(1, "2026-03", 10_500_000),
            amount(2, "2026-03", 1_900_000),
            amount(3, "2026-03", 1_250_000),
        ];
        let by_cat = variance(&lines, &planned, &actual, GroupBy::Category).unwrap();
        assert_eq!(by_cat.len(), 2);
        assert_eq!(by_cat[0].key, VarianceKey::Category(Category::Staff));
        assert_eq!(by_cat[0].variance, Money::clp(12_400_000 - 22_000_000));
        assert_eq!(by_cat[1].variance, Money::clp(250_000));
        assert_eq!(by_cat[1].percent, Some(25.0));
        let by_month = variance(&lines, &planned, &actual, GroupBy::Month).unwrap();
        assert_eq!(by_month[0].actual, Money::clp(13_650_000));
        assert_eq!(by_month[1].actual, Money::clp(0));
        let total = variance(&lines, &planned, &actual, GroupBy::Total).unwrap();
        assert_eq!(total[0].planned, Money::clp(23_000_000));
        let by_line = variance(&lines, &planned, &actual, GroupBy::Line).unwrap();
        assert_eq!(by_line.len(), 3);
        assert_eq!(
            variance(&lines, &[amount(9, "2026-03", 1)], &[], GroupBy::Line)
                .unwrap_err()
                .key,
            "error.budget.line"
        );
    }

    #[test]
    fn cost_per_contact_is_none_without_contacts() {
        assert_eq!(cost_per_contact(Money::clp(1_000_000), 0), None);
        assert_eq!(
            cost_per_contact(Money::clp(1_000_000), 3),
            Some(Money::clp(333_333))
        );
        assert_eq!(cost_per_contact(Money::clp(5), 2), Some(Money::clp(3)));
    }

    #[test]
    fn mixing_currencies_is_an_error_not_a_sum() {
        let usd = Money::from_minor(100, Currency::Usd);
        assert_eq!(
            Money::clp(1).checked_add(usd).unwrap_err().key,
            "error.money.currency_mismatch"
        );
    }
}
