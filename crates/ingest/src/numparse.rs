//! Allocation-free number parsing for the hot paths.
//!
//! `parse_f64` is exact: short decimals use Clinger's fast path (mantissa below
//! 2^53 and at most 22 fraction digits, one correctly-rounded division), anything
//! else falls back to the standard library, so results always equal `str::parse`.

const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Parses a decimal integer (optional leading `-`).
#[inline]
pub fn parse_i64(b: &[u8]) -> Option<i64> {
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() || digits.len() > 18 {
        return std::str::from_utf8(b).ok()?.trim().parse().ok();
    }
    let mut v: i64 = 0;
    for &c in digits {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + i64::from(d);
    }
    Some(if neg { -v } else { v })
}

/// Parses a finite decimal float exactly like `str::parse::<f64>`.
#[inline]
pub fn parse_f64(b: &[u8]) -> Option<f64> {
    let mut mant: u64 = 0;
    let mut ndig = 0u32;
    let mut frac = 0usize;
    let mut seen_dot = false;
    let mut ok = !b.is_empty();
    for &c in b {
        match c {
            b'0'..=b'9' => {
                mant = mant.wrapping_mul(10).wrapping_add(u64::from(c - b'0'));
                if mant != 0 {
                    ndig += 1;
                }
                if seen_dot {
                    frac += 1;
                }
            }
            b'.' if !seen_dot => seen_dot = true,
            _ => {
                ok = false;
                break;
            }
        }
    }
    if ok && ndig <= 15 && frac < POW10.len() && b != b"." {
        return Some(mant as f64 / POW10[frac]);
    }
    let s = std::str::from_utf8(b).ok()?;
    let v: f64 = s.trim().parse().ok()?;
    v.is_finite().then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn common_values_parse() {
        assert_eq!(parse_f64(b"20.0"), Some(20.0));
        assert_eq!(parse_f64(b"19.999"), Some(19.999));
        assert_eq!(parse_f64(b"0.25"), Some(0.25));
        assert_eq!(parse_f64(b"7"), Some(7.0));
        assert_eq!(parse_f64(b"1e3"), Some(1000.0));
        assert_eq!(parse_f64(b""), None);
        assert_eq!(parse_f64(b"."), None);
        assert_eq!(parse_f64(b"abc"), None);
        assert_eq!(parse_f64(b"inf"), None);
        assert_eq!(parse_i64(b"1767225600"), Some(1_767_225_600));
        assert_eq!(parse_i64(b"-5"), Some(-5));
        assert_eq!(parse_i64(b"12a"), None);
        assert_eq!(parse_i64(b""), None);
    }

    proptest! {
        #[test]
        fn fast_float_parse_equals_std(int in 0u64..10_000_000, fr in 0u64..1_000_000, w in 0usize..7) {
            let s = if w == 0 { format!("{int}") } else { format!("{int}.{:0w$}", fr % 10u64.pow(w as u32), w = w) };
            prop_assert_eq!(parse_f64(s.as_bytes()), s.parse::<f64>().ok());
        }

        #[test]
        fn fast_float_parse_equals_std_for_any_float(x in 0.0f64..1e12) {
            let s = format!("{x}");
            prop_assert_eq!(parse_f64(s.as_bytes()), Some(x));
        }
    }
}
