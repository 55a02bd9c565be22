//! Chilean RUT/RUN: parsing with the módulo-11 check digit, formatting and masking.
//!
//! Input may come with or without dots and hyphen, and with `k` or `K`. The body is kept as an
//! integer and the check digit upper-case (docs/domain/chile.md §4).

use std::fmt;

use crate::Invalid;

/// A RUT whose check digit is correct.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rut {
    body: u32,
    dv: char,
}

/// The módulo-11 check digit of a RUT body.
pub fn check_digit(body: u32) -> char {
    let mut sum = 0u32;
    let mut factor = 2;
    let mut n = body;
    while n > 0 {
        sum += (n % 10) * factor;
        n /= 10;
        factor = if factor == 7 { 2 } else { factor + 1 };
    }
    match 11 - (sum % 11) {
        11 => '0',
        10 => 'K',
        r => char::from_digit(r, 10).unwrap_or('0'),
    }
}

impl Rut {
    /// Parses `12.345.678-5`, `12345678-5`, `123456785` or `10.000.013-k`.
    pub fn parse(input: &str) -> Result<Rut, Invalid> {
        let cleaned: String = input
            .trim()
            .chars()
            .filter(|c| !matches!(c, '.' | '-' | ' '))
            .collect();
        if cleaned.len() < 2 || !cleaned.is_ascii() {
            return Err(Invalid::new("rut", "error.rut.format"));
        }
        let (body_str, dv_str) = cleaned.split_at(cleaned.len() - 1);
        let dv = dv_str
            .chars()
            .next()
            .map(|c| c.to_ascii_uppercase())
            .filter(|c| c.is_ascii_digit() || *c == 'K')
            .ok_or(Invalid::new("rut", "error.rut.format"))?;
        if body_str.is_empty()
            || body_str.len() > 9
            || !body_str.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(Invalid::new("rut", "error.rut.format"));
        }
        let body: u32 = body_str
            .parse()
            .map_err(|_| Invalid::new("rut", "error.rut.format"))?;
        if body == 0 {
            return Err(Invalid::new("rut", "error.rut.format"));
        }
        if check_digit(body) != dv {
            return Err(Invalid::new("rut", "error.rut.check_digit"));
        }
        Ok(Rut { body, dv })
    }

    pub fn body(&self) -> u32 {
        self.body
    }

    pub fn dv(&self) -> char {
        self.dv
    }

    /// Masked form for display where the full RUT is not needed: `**.***.678-5`.
    pub fn masked(&self) -> String {
        let full = self.to_string();
        let keep_from = full.len().saturating_sub(5);
        full.chars()
            .enumerate()
            .map(|(i, c)| {
                if i < keep_from && c.is_ascii_digit() {
                    '*'
                } else {
                    c
                }
            })
            .collect()
    }
}

impl fmt::Display for Rut {
    /// `12.345.678-5`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.body.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push('.');
            }
            out.push(c);
        }
        write!(f, "{out}-{}", self.dv)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digits_match_the_worked_examples() {
        assert_eq!(check_digit(12_345_678), '5');
        assert_eq!(check_digit(10_000_013), 'K');
        assert_eq!(check_digit(10_000_004), '0');
        assert_eq!(check_digit(15_509_661), '6');
        assert_eq!(check_digit(12_678_579), '8');
    }

    #[test]
    fn parses_every_accepted_spelling() {
        for s in ["12.345.678-5", "12345678-5", "123456785", " 12345678 5 "] {
            assert_eq!(Rut::parse(s).unwrap().to_string(), "12.345.678-5", "{s}");
        }
        assert_eq!(Rut::parse("10.000.013-k").unwrap().dv(), 'K');
    }

    #[test]
    fn rejects_a_wrong_check_digit_with_its_own_key() {
        assert_eq!(
            Rut::parse("12.345.678-9").unwrap_err().key,
            "error.rut.check_digit"
        );
    }

    #[test]
    fn rejects_garbage_without_panicking() {
        for s in [
            "",
            "-",
            "K",
            "abc-5",
            "12.34a.678-5",
            "1234567890123-4",
            "0-0",
        ] {
            assert_eq!(Rut::parse(s).unwrap_err().key, "error.rut.format", "{s}");
        }
    }

    #[test]
    fn masks_all_but_the_last_digits() {
        assert_eq!(Rut::parse("12345678-5").unwrap().masked(), "**.***.678-5");
    }

    proptest::proptest! {
        #[test]
        fn formatted_rut_parses_back(body in 1u32..100_000_000) {
            let s = format!("{body}-{}", check_digit(body));
            let r = Rut::parse(&s).unwrap();
            proptest::prop_assert_eq!(Rut::parse(&r.to_string()).unwrap(), r);
        }

        #[test]
        fn parser_never_panics(s in ".{0,20}") {
            let _ = Rut::parse(&s);
        }
    }
}
