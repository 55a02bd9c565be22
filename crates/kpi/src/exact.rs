//! Exact, order-independent sums of durations and scores.
//!
//! Aggregates must be mergeable: partial aggregates built from several batches
//! (or several threads) must combine into exactly the figure a single pass gives.
//! Floating-point addition is not associative, so a plain `f64` sum would depend
//! on the order in which calls are seen. [`ExactSum`] stores the sum in 64.64
//! fixed point (an `i128`), which represents every `f64` ≥ 2⁻¹¹ exactly; the
//! sum is therefore the exact sum of the input `f64` values, rounded once when
//! read back. For data whose sequential float sum is exact (integer or
//! half-second durations), this is bit-identical to a naive loop.

/// 2^64 as an `f64` (exact).
const SCALE: f64 = 18_446_744_073_709_551_616.0;

/// Converts `x` to 64.64 fixed point by shifting its mantissa (no float-to-i128
/// library call on the hot path). Bits below 2^-64 are truncated toward zero;
/// magnitudes of 2^63 or more, and NaN, saturate like `x * 2^64 as i128` would.
#[inline]
fn to_fixed(x: f64) -> i128 {
    let bits = x.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    if exp == 0x7ff {
        return if x.is_nan() {
            0
        } else if x > 0.0 {
            i128::MAX
        } else {
            i128::MIN
        };
    }
    let (mant, e) = if exp == 0 {
        (bits & ((1u64 << 52) - 1), -1074)
    } else {
        ((bits & ((1u64 << 52) - 1)) | (1u64 << 52), exp - 1075)
    };
    // value = mant * 2^e; fixed = mant * 2^(e + 64).
    let shift = e + 64;
    let mag: i128 = if shift >= 0 {
        if shift > 127 - 53 {
            i128::MAX
        } else {
            i128::from(mant) << shift
        }
    } else if shift <= -64 {
        0
    } else {
        i128::from(mant >> (-shift))
    };
    if x.is_sign_negative() {
        -mag
    } else {
        mag
    }
}

/// An exact sum of `f64` values, stored in 64.64 fixed point.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExactSum(i128);

impl ExactSum {
    /// The empty sum.
    pub const ZERO: ExactSum = ExactSum(0);

    /// Adds one value. Values are expected to be finite; non-finite values saturate.
    #[inline]
    pub fn add(&mut self, x: f64) {
        self.0 = self.0.saturating_add(to_fixed(x));
    }

    /// Adds another sum (merging partial aggregates).
    #[inline]
    pub fn merge(&mut self, other: ExactSum) {
        self.0 = self.0.saturating_add(other.0);
    }

    /// The sum, correctly rounded to the nearest `f64`.
    #[inline]
    pub fn to_f64(self) -> f64 {
        // `i128 as f64` rounds to nearest, ties to even; dividing by 2^64 is exact.
        (self.0 as f64) / SCALE
    }

    /// The raw fixed-point representation (for storage and exact recomputation).
    pub fn to_raw(self) -> i128 {
        self.0
    }

    /// Rebuilds a sum from its raw fixed-point representation.
    pub fn from_raw(raw: i128) -> Self {
        ExactSum(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn single_value_round_trips_exactly() {
        let mut s = ExactSum::ZERO;
        s.add(19.999);
        assert_eq!(s.to_f64(), 19.999);
    }

    #[test]
    fn two_values_match_one_float_addition() {
        let mut s = ExactSum::ZERO;
        s.add(21.0);
        s.add(19.999);
        assert_eq!(s.to_f64(), 21.0 + 19.999);
    }

    proptest! {
        #[test]
        fn bit_conversion_equals_multiplication(x in -1e15f64..1e15) {
            prop_assert_eq!(to_fixed(x), (x * SCALE) as i128);
        }

        #[test]
        fn merge_is_independent_of_split_and_order(v in proptest::collection::vec(0.0f64..100_000.0, 0..200), cut in 0usize..200) {
            let cut = cut.min(v.len());
            let mut whole = ExactSum::ZERO;
            for x in &v { whole.add(*x); }
            let mut a = ExactSum::ZERO;
            let mut b = ExactSum::ZERO;
            for x in &v[..cut] { a.add(*x); }
            for x in v[cut..].iter().rev() { b.add(*x); }
            b.merge(a);
            prop_assert_eq!(whole, b);
        }
    }
}
