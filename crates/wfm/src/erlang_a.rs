//! Erlang A (M/M/N+M): Poisson arrivals, exponential service and exponential patience.
//!
//! Exact formulas, derived from the birth–death chain. With λ the arrival rate, μ = 1/AHT,
//! θ = 1/patience, `a = Nμ/θ`, `x = λ/θ`, and all masses expressed relative to the
//! stationary probability π_N of "all N agents busy, nobody queued":
//!
//! - states below N carry `R = Σ_{k<N} π_k/π_N = (N/A)·r(N−1)` (inverse Erlang B);
//! - queue states carry `J(a, x) = Σ_j x^j / ((a+1)…(a+j))` (= ₁F₁(1; a+1; x));
//! - the virtual wait V of an arrival that finds everybody busy has (unnormalised)
//!   density `g(v) = aθ·exp(x(1 − e^{−θv}) − Nμv)`, obtained by summing the
//!   hypoexponential waits of the chain against its stationary law. Integrating `g` with
//!   the substitution `u = x·e^{−θv}` gives incomplete-gamma closed forms, which reduce to
//!   the same series evaluated at `y = x·e^{−θT}`:
//!   - `∫_T^∞ g = E(T)·J(a, y)` with `E(T) = exp(x(1 − e^{−θT}) − NμT)`;
//!   - answered (V ≤ patience): `∫_0^∞ g·e^{−θv} = a/(a+1)·J(a+1, x)`;
//!   - answered later than T: `∫_T^∞ g·e^{−θv} = a/(a+1)·E(T)·e^{−θT}·J(a+1, y)`;
//!   - answered calls' waits: `∫ v·g·e^{−θv} = a/((a+1)θ)·Σ_j u_j·H_j` where `u_j` are the
//!     terms of `J(a+1, x)` and `H_j = Σ_{i=1}^{j+1} 1/(a+i)` (stage means of the chain).
//!
//! The series are summed forward from `j = 0` with exact power-of-two rescaling (no
//! overflow even when the queue mass is e^1000 times π_N) and stopped with a rigorous
//! geometric tail bound, so results are exact to ~1e-14 and valid in overload (N < A).

use crate::erlang_c::check_target;
use crate::numeric::{pow2, InvErlangB, RESCALE_EXP, RESCALE_FACTOR, RESCALE_LIMIT};
use crate::{check_param, Load, Result};

/// Performance of one interval under Erlang A.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metrics {
    /// Agents on the phones.
    pub agents: u32,
    /// Offered load A in Erlangs.
    pub erlangs: f64,
    /// Probability that an arrival finds all agents busy.
    pub p_wait: f64,
    /// Probability that a call abandons.
    pub p_abandon: f64,
    /// Probability that a call abandons within the target time T.
    pub p_abandon_within: f64,
    /// Answered within T / offered.
    pub sl_offered: f64,
    /// Answered within T / answered.
    pub sl_answered: f64,
    /// Answered within T / (offered − abandoned within T).
    pub sl_excluding_short_abandons: f64,
    /// P(virtual wait ≤ T): the wait an infinitely patient caller would have.
    pub sl_virtual: f64,
    /// Mean wait of answered calls, seconds (0 when nothing is answered).
    pub asa_answered_s: f64,
    /// Mean wait over all offered calls (answered and abandoned), seconds.
    pub avg_wait_all_s: f64,
    /// A·(1 − P(abandon))/N (0 with no agents).
    pub occupancy: f64,
}

/// Validated patience (mean time to abandon) in seconds.
pub(crate) fn check_patience(patience_s: f64) -> Result<()> {
    check_param("patience_s", patience_s, patience_s > 0.0, "must be > 0")
}

/// Evaluates Erlang A with `agents` agents, mean patience `patience_s` and answer-time
/// target `target_s` (seconds).
pub fn evaluate(load: &Load, patience_s: f64, agents: u32, target_s: f64) -> Result<Metrics> {
    check_patience(patience_s)?;
    check_target(target_s)?;
    crate::check_agents(agents)?;
    if load.is_zero() {
        return Ok(zero_metrics(load, agents));
    }
    let mut rb = InvErlangB::new();
    rb.advance_to(load, agents.saturating_sub(1));
    Ok(metrics_with(&rb, load, patience_s, agents, target_s))
}

/// Erlang A metrics for every agent count in `agents` (inclusive), sharing one Erlang B
/// recurrence: the "service level vs agents" curve with abandonment.
pub fn curve(
    load: &Load,
    patience_s: f64,
    target_s: f64,
    agents: std::ops::RangeInclusive<u32>,
) -> Result<Vec<Metrics>> {
    check_patience(patience_s)?;
    check_target(target_s)?;
    let (lo, hi) = (*agents.start(), *agents.end());
    crate::check_agents(hi)?;
    if lo > hi {
        return Ok(Vec::new());
    }
    let mut rb = InvErlangB::new();
    let mut out = Vec::with_capacity((hi - lo + 1) as usize);
    for n in lo..=hi {
        if load.is_zero() {
            out.push(zero_metrics(load, n));
        } else {
            rb.advance_to(load, n.saturating_sub(1));
            out.push(metrics_with(&rb, load, patience_s, n, target_s));
        }
    }
    Ok(out)
}

fn zero_metrics(load: &Load, agents: u32) -> Metrics {
    Metrics {
        agents,
        erlangs: load.erlangs(),
        p_wait: 0.0,
        p_abandon: 0.0,
        p_abandon_within: 0.0,
        sl_offered: 1.0,
        sl_answered: 1.0,
        sl_excluding_short_abandons: 1.0,
        sl_virtual: 1.0,
        asa_answered_s: 0.0,
        avg_wait_all_s: 0.0,
        occupancy: 0.0,
    }
}

/// Sums of the series `J(b, y)` and friends, relative to the first term, scaled by `2^exp2`.
#[derive(Debug, Clone, Copy)]
struct Series {
    /// Σ t_j = J(a, y).
    s0: f64,
    /// Σ u_j = J(a+1, y), u_j = t_j·(a+1)/(a+1+j).
    s1: f64,
    /// Σ u_j·H_j.
    sh: f64,
    /// Σ t_j·(j+1)/(a+1+j): abandonment mass, summed directly to avoid the cancellation
    /// in P(wait) − P(answered after waiting) when patience is very long.
    sab: f64,
    exp2: i32,
}

const SERIES_EPS: f64 = 1e-17;

/// Sums `t_j = y^j/((a+1)…(a+j))` (and the derived series) to full double precision.
fn series(a: f64, y: f64, with_h: bool) -> Series {
    let (mut s0, mut s1, mut sh, mut sab) = (0.0_f64, 0.0_f64, 0.0_f64, 0.0_f64);
    let mut h = 0.0_f64;
    let mut t = 1.0_f64;
    let mut exp2 = 0_i32;
    let a1 = a + 1.0;
    let mut j = 0.0_f64;
    loop {
        let q = 1.0 / (a1 + j);
        let u = t * a1 * q;
        s0 += t;
        s1 += u;
        sab += t * (j + 1.0) * q;
        if with_h {
            h += q;
            sh += u * h;
        }
        t *= y * q;
        j += 1.0;
        // Ratio of the following terms is at most rho once past the mode.
        let rho = y / (a1 + j);
        if rho < 1.0 {
            let tail = t / (1.0 - rho);
            let tail_ok = tail <= SERIES_EPS * s0;
            let h_ok = !with_h || tail * (h + 1.0 / ((1.0 - rho) * (a1 + j))) <= SERIES_EPS * sh;
            if (tail_ok && h_ok) || t == 0.0 {
                break;
            }
        }
        if t > RESCALE_LIMIT {
            t *= RESCALE_FACTOR;
            s0 *= RESCALE_FACTOR;
            s1 *= RESCALE_FACTOR;
            sh *= RESCALE_FACTOR;
            sab *= RESCALE_FACTOR;
            exp2 += RESCALE_EXP;
        }
    }
    Series {
        s0,
        s1,
        sh,
        sab,
        exp2,
    }
}

/// Metrics for `agents` agents given `rb` positioned at `r(agents − 1)` (or `r(0)` when
/// `agents == 0`). The load must be non-zero.
pub(crate) fn metrics_with(
    rb: &InvErlangB,
    load: &Load,
    patience_s: f64,
    agents: u32,
    target_s: f64,
) -> Metrics {
    let n = f64::from(agents);
    let erl = load.erlangs();
    let aht = load.aht_s();
    let theta = 1.0 / patience_s;
    let a = n * patience_s / aht; // Nμ/θ
    let x = load.arrival_rate() * patience_s; // λ/θ
    let theta_t = target_s * theta;

    // States below N, relative to π_N: R = (N/A)·r(N−1).
    let (r_m, r_e) = if agents == 0 {
        (0.0, 0)
    } else {
        (load.ratio(n) * rb.mant, rb.exp2)
    };
    let sx = series(a, x, true);
    // Z = R + J(a, x), aligned on the larger exponent.
    let (z_m, z_e) = if r_e >= sx.exp2 {
        (r_m + sx.s0 * pow2(sx.exp2 - r_e), r_e)
    } else {
        (r_m * pow2(r_e - sx.exp2) + sx.s0, sx.exp2)
    };
    let rel = |m: f64, e: i32| m / z_m * pow2(e - z_e);
    let frac_served = a / (a + 1.0);

    let p_wait = rel(sx.s0, sx.exp2).min(1.0);
    let r0 = rel(r_m, r_e);
    let aw = frac_served * rel(sx.s1, sx.exp2);
    let answered = r0 + aw;
    let p_ab = rel(sx.sab, sx.exp2).clamp(0.0, 1.0);

    // Masses beyond T: E(T)·J(a, y) and a/(a+1)·E(T)·e^{−θT}·J(a+1, y).
    let y = x * (-theta_t).exp();
    let one_minus = -(-theta_t).exp_m1();
    let sy = series(a, y, false);
    let ln_e = x * one_minus - n * target_s / aht;
    let scale = (ln_e + f64::from(sy.exp2 - z_e) * std::f64::consts::LN_2).exp() / z_m;
    let v_tail = (sy.s0 * scale).min(p_wait);
    let a_late = (frac_served * sy.s1 * scale * (-theta_t).exp()).min(aw);

    let ans_le_t = (r0 + aw - a_late).clamp(0.0, 1.0);
    let ab_le_t = ((p_wait - v_tail) - (aw - a_late) + one_minus * v_tail).clamp(0.0, p_ab);
    let sl_answered = if answered > 0.0 {
        (ans_le_t / answered).min(1.0)
    } else {
        0.0
    };
    let not_short = 1.0 - ab_le_t;
    let sl_excl = if not_short > 0.0 {
        (ans_le_t / not_short).min(1.0)
    } else {
        0.0
    };
    let asa = if answered > 0.0 {
        frac_served * rel(sx.sh, sx.exp2) * patience_s / answered
    } else {
        0.0
    };
    Metrics {
        agents,
        erlangs: erl,
        p_wait,
        p_abandon: p_ab,
        p_abandon_within: ab_le_t,
        sl_offered: ans_le_t,
        sl_answered,
        sl_excluding_short_abandons: sl_excl,
        sl_virtual: (1.0 - v_tail).clamp(0.0, 1.0),
        asa_answered_s: asa,
        avg_wait_all_s: p_ab * patience_s,
        occupancy: if agents == 0 {
            0.0
        } else {
            (erl * (1.0 - p_ab) / n).min(1.0)
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(calls: f64, aht: f64) -> Load {
        Load::new(calls, 1800.0, aht).unwrap()
    }

    #[test]
    fn long_patience_converges_to_erlang_c() {
        let l = load(500.0, 180.0);
        let a = evaluate(&l, 1e9, 55, 20.0).unwrap();
        let c = crate::erlang_c::evaluate(&l, 55, 20.0).unwrap();
        assert!((a.p_wait - c.p_wait).abs() < 1e-6, "{a:?} {c:?}");
        assert!((a.sl_offered - c.service_level).abs() < 1e-6);
        assert!(a.p_abandon < 1e-6);
    }

    #[test]
    fn overload_is_stable_and_consistent() {
        let m = evaluate(&load(3000.0, 900.0), 120.0, 1000, 20.0).unwrap();
        assert!(m.p_wait > 0.99 && m.p_wait <= 1.0);
        assert!(m.p_abandon > 0.3 && m.p_abandon < 1.0);
        // Little's law on the abandonment stream.
        assert!((m.avg_wait_all_s - m.p_abandon * 120.0).abs() < 1e-9);
        assert!(m.occupancy <= 1.0);
    }

    #[test]
    fn no_agents_means_everybody_abandons() {
        let m = evaluate(&load(100.0, 300.0), 60.0, 0, 20.0).unwrap();
        assert_eq!(m.p_wait, 1.0);
        assert!((m.p_abandon - 1.0).abs() < 1e-12);
        assert_eq!(m.sl_offered, 0.0);
        assert!((m.p_abandon_within - (1.0 - (-20.0f64 / 60.0).exp())).abs() < 1e-12);
    }

    #[test]
    fn answered_plus_abandoned_is_one_and_sl_definitions_are_ordered() {
        for n in [40u32, 50, 55, 60] {
            let m = evaluate(&load(500.0, 180.0), 90.0, n, 20.0).unwrap();
            assert!(m.sl_offered <= m.sl_excluding_short_abandons + 1e-15);
            assert!(m.sl_excluding_short_abandons <= m.sl_answered + 1e-15);
            assert!(m.p_abandon_within <= m.p_abandon);
        }
    }

    #[test]
    fn curve_matches_pointwise_evaluation() {
        let l = load(800.0, 240.0);
        for m in curve(&l, 90.0, 20.0, 0..=120).unwrap() {
            let e = evaluate(&l, 90.0, m.agents, 20.0).unwrap();
            assert!((m.sl_offered - e.sl_offered).abs() < 1e-13, "{m:?} {e:?}");
            assert!((m.p_abandon - e.p_abandon).abs() < 1e-13);
        }
    }

    #[test]
    fn invalid_patience_is_rejected() {
        assert!(evaluate(&load(1.0, 60.0), 0.0, 1, 20.0).is_err());
        assert!(evaluate(&load(1.0, 60.0), f64::NAN, 1, 20.0).is_err());
    }
}
