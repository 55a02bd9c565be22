//! Numerical building blocks shared by the queueing models.
//!
//! The core is the inverse Erlang B recurrence `r(n) = 1/B(n, A) = 1 + (n/A)·r(n−1)`,
//! `r(0) = 1`. It is the same recurrence as `B(n) = A·B(n−1)/(n + A·B(n−1))` but needs
//! no division in the dependency chain (the ratios `n/A` are independent, so they
//! pipeline), adds only positive terms (relative error O(n·ε)), and is rescaled by
//! exact powers of two so that N = 20,000 agents at 15,000 Erlangs cannot overflow.

use crate::Load;

/// Scaling step: values above 2^600 are multiplied by 2^−600 (exact in binary floating point).
pub(crate) const RESCALE_EXP: i32 = 600;
pub(crate) const RESCALE_LIMIT: f64 = f64::from_bits(((1023 + RESCALE_EXP) as u64) << 52); // 2^600
pub(crate) const RESCALE_FACTOR: f64 = f64::from_bits(((1023 - RESCALE_EXP) as u64) << 52); // 2^-600

/// `2^e` for any integer `e` (0 on underflow, +∞ on overflow).
pub(crate) fn pow2(e: i32) -> f64 {
    if e < -1074 {
        0.0
    } else if e > 1023 {
        f64::INFINITY
    } else if e < -1022 {
        // Subnormal range: split to stay exact.
        2f64.powi(e + 60) * 2f64.powi(-60)
    } else {
        2f64.powi(e)
    }
}

/// Smallest integer ≥ `x`, treating values within a relative 1e-9 of an integer as that
/// integer. Staffing ceilings must be exact: `21/(1−0.3)` evaluates to `30.000000000000004`
/// in binary floating point but is 30.
pub fn ceil_exact(x: f64) -> f64 {
    let r = x.round();
    if (x - r).abs() <= 1e-9 * r.abs().max(1.0) {
        r
    } else {
        x.ceil()
    }
}

/// Incremental inverse Erlang B: holds `r(n) = mant · 2^exp2`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InvErlangB {
    pub n: u32,
    pub mant: f64,
    pub exp2: i32,
    /// 2^−exp2, the representation of the constant 1 at the current scale.
    one: f64,
}

impl InvErlangB {
    pub fn new() -> Self {
        Self {
            n: 0,
            mant: 1.0,
            exp2: 0,
            one: 1.0,
        }
    }

    /// Advances from `r(n)` to `r(n+1)`. Requires a non-zero load.
    #[inline]
    pub fn step(&mut self, load: &Load) {
        self.n += 1;
        let q = f64::from(self.n) * load.inv_erlangs();
        // Plain multiply-add: `mul_add` is a libm call on baseline x86-64.
        self.mant = q * self.mant + self.one;
        self.rescale();
    }

    #[inline]
    fn rescale(&mut self) {
        if self.mant > RESCALE_LIMIT {
            self.mant *= RESCALE_FACTOR;
            self.one *= RESCALE_FACTOR;
            self.exp2 += RESCALE_EXP;
        }
    }

    /// Advances to `r(n)` (no-op when already there or beyond). Two steps are fused,
    /// `r(n+2) = q₂q₁·r(n) + (q₂ + 1)`, which halves the latency of the dependency chain;
    /// the products of ratios are computed off the chain.
    ///
    /// While the ratios stay moderate (`n/A ≤ 1e30`, so that `q⁴ < 2^400` keeps the product
    /// below `2^1000` between rescalings), four steps are fused,
    /// `r(n+4) = q₄q₃q₂q₁·r(n) + (q₄q₃q₂ + q₄q₃ + q₄ + 1)`: one multiply-add on the chain per
    /// four steps. Every term is positive, so the relative error stays O(n·ε).
    #[inline]
    pub fn advance_to(&mut self, load: &Load, n: u32) {
        let inv = load.inv_erlangs();
        if f64::from(n) * inv <= 1e30 {
            while self.n + 4 <= n {
                let b = f64::from(self.n);
                let q1 = (b + 1.0) * inv;
                let q2 = (b + 2.0) * inv;
                let q3 = (b + 3.0) * inv;
                let q4 = (b + 4.0) * inv;
                let q43 = q4 * q3;
                let q432 = q43 * q2;
                self.mant = (q432 * q1) * self.mant + (q432 + q43 + q4 + 1.0) * self.one;
                self.n += 4;
                self.rescale();
            }
        }
        while self.n + 2 <= n {
            let q1 = f64::from(self.n + 1) * inv;
            let q2 = f64::from(self.n + 2) * inv;
            self.mant = (q2 * q1) * self.mant + (q2 * self.one + self.one);
            self.n += 2;
            self.rescale();
        }
        if self.n < n {
            self.step(load);
        }
    }
}

/// Erlang C probability of waiting from `r(N)` for `N > A`:
/// `C = N / (r(N)·(N − A) + A)`.
pub(crate) fn erlang_c_from_inv_b(rb: &InvErlangB, load: &Load) -> f64 {
    let n = f64::from(rb.n);
    let excess = load.excess(n);
    let a = load.erlangs();
    if rb.exp2 == 0 {
        (n / (rb.mant * excess + a)).min(1.0)
    } else {
        // r(N)·2^e dominates A by hundreds of orders of magnitude.
        let scaled = n / (rb.mant * excess + a * pow2(-rb.exp2));
        scaled * pow2(-rb.exp2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceil_exact_absorbs_float_noise_but_not_real_fractions() {
        assert_eq!(ceil_exact(21.0 / (1.0 - 0.3)), 30.0);
        assert_eq!(ceil_exact(30.000_1), 31.0);
        assert_eq!(ceil_exact(29.2), 30.0);
        assert_eq!(ceil_exact(0.0), 0.0);
        assert_eq!(ceil_exact(18.0 / 0.9), 20.0);
    }

    #[test]
    fn pow2_matches_powi_and_handles_extremes() {
        assert_eq!(pow2(10), 1024.0);
        assert_eq!(pow2(-600), RESCALE_FACTOR);
        assert_eq!(pow2(600), RESCALE_LIMIT);
        assert_eq!(pow2(-5000), 0.0);
        assert!(pow2(-1070) > 0.0);
    }

    #[test]
    fn inverse_erlang_b_matches_division_recurrence() {
        let load = Load::from_erlangs(7.3, 180.0).unwrap();
        let mut rb = InvErlangB::new();
        let mut b = 1.0_f64;
        for n in 1..=40u32 {
            rb.step(&load);
            let a = 7.3;
            b = a * b / (f64::from(n) + a * b);
            assert!((1.0 / rb.mant - b).abs() <= 1e-14 * b, "n={n}");
        }
    }

    #[test]
    fn fused_advance_matches_single_steps_at_every_n() {
        for a in [0.3, 7.3, 29.7, 144.0, 2_500.5] {
            let load = Load::from_erlangs(a, 180.0).unwrap();
            let mut single = InvErlangB::new();
            for n in 1..=(a as u32 * 2 + 13) {
                single.step(&load);
                let mut fused = InvErlangB::new();
                fused.advance_to(&load, n);
                assert_eq!((fused.n, fused.exp2), (single.n, single.exp2));
                assert!(
                    (fused.mant - single.mant).abs() <= 1e-13 * single.mant,
                    "A={a} n={n}"
                );
            }
        }
    }

    #[test]
    fn inverse_erlang_b_rescales_instead_of_overflowing() {
        let load = Load::from_erlangs(15_000.0, 300.0).unwrap();
        let mut rb = InvErlangB::new();
        rb.advance_to(&load, 20_000);
        assert!(rb.mant.is_finite() && rb.exp2 > 0);
        assert!(f64::from(rb.exp2) * std::f64::consts::LN_2 + rb.mant.ln() > 700.0);
    }
}
