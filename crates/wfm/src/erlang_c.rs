//! Erlang C (M/M/N): probability of waiting, service level, ASA and occupancy.
//!
//! Conventions (the project's reference definitions):
//! - P(wait) = C(N, A), computed from the inverse Erlang B recurrence as
//!   `C = N / (r(N)·(N − A) + A)` with `r(N) = 1/B(N, A)` (see `numeric`), which is exact
//!   to a few ulps and stable for N up to 20,000 and A up to 15,000 Erlangs.
//! - SL(T) = 1 − C·exp(−(N − A)·T/AHT): share of all offered calls answered within T.
//! - ASA = C·AHT/(N − A): mean wait over all calls.
//! - Occupancy = A/N.
//! - N ≤ A (overload): P(wait) = 1, SL = 0, ASA = +∞, occupancy = min(1, A/N).
//! - Zero offered traffic: P(wait) = 0, SL = 1, ASA = 0, occupancy = 0.

use crate::numeric::{erlang_c_from_inv_b, InvErlangB};
use crate::{check_param, Load, Result};

/// Performance of one interval under Erlang C with a given number of agents.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metrics {
    /// Agents on the phones (productive positions).
    pub agents: u32,
    /// Offered load A in Erlangs.
    pub erlangs: f64,
    /// Probability that a call waits (all agents busy on arrival).
    pub p_wait: f64,
    /// Share of offered calls answered within the target time.
    pub service_level: f64,
    /// Mean wait over all calls in seconds (+∞ in overload).
    pub asa_s: f64,
    /// Agent occupancy A/N, capped at 1.
    pub occupancy: f64,
}

impl Metrics {
    /// True when the queue is unstable (N ≤ A with traffic).
    pub fn is_overloaded(&self) -> bool {
        self.asa_s.is_infinite()
    }
}

/// Validates a service-level answer time in seconds (≥ 0, finite).
pub(crate) fn check_target(target_s: f64) -> Result<()> {
    check_param("target_s", target_s, target_s >= 0.0, "must be ≥ 0")
}

/// Evaluates Erlang C for `agents` agents; `target_s` is the service-level answer time.
pub fn evaluate(load: &Load, agents: u32, target_s: f64) -> Result<Metrics> {
    check_target(target_s)?;
    crate::check_agents(agents)?;
    if load.is_zero() {
        return Ok(metrics_zero(load, agents));
    }
    let mut rb = InvErlangB::new();
    rb.advance_to(load, agents);
    Ok(metrics_from(&rb, load, target_s))
}

/// P(wait) only (agent counts above [`crate::MAX_AGENTS`] are clamped to it).
pub fn p_wait(load: &Load, agents: u32) -> f64 {
    let agents = agents.min(crate::MAX_AGENTS);
    if load.is_zero() {
        return 0.0;
    }
    if load.excess(f64::from(agents)) <= 0.0 {
        return 1.0;
    }
    let mut rb = InvErlangB::new();
    rb.advance_to(load, agents);
    erlang_c_from_inv_b(&rb, load)
}

/// Service level, P(wait), ASA and occupancy for every agent count in `agents`
/// (inclusive range), in one pass of the recurrence: the "SL vs agents" curve.
pub fn curve(
    load: &Load,
    target_s: f64,
    agents: std::ops::RangeInclusive<u32>,
) -> Result<Vec<Metrics>> {
    check_target(target_s)?;
    let (lo, hi) = (*agents.start(), *agents.end());
    crate::check_agents(hi)?;
    if lo > hi {
        return Ok(Vec::new());
    }
    let mut out = Vec::with_capacity((hi - lo + 1) as usize);
    if load.is_zero() {
        out.extend((lo..=hi).map(|n| metrics_zero(load, n)));
        return Ok(out);
    }
    let mut rb = InvErlangB::new();
    for n in lo..=hi {
        rb.advance_to(load, n);
        out.push(metrics_from(&rb, load, target_s));
    }
    Ok(out)
}

fn metrics_zero(load: &Load, agents: u32) -> Metrics {
    Metrics {
        agents,
        erlangs: load.erlangs(),
        p_wait: 0.0,
        service_level: 1.0,
        asa_s: 0.0,
        occupancy: 0.0,
    }
}

/// Metrics at `rb.n` agents for a non-zero load.
pub(crate) fn metrics_from(rb: &InvErlangB, load: &Load, target_s: f64) -> Metrics {
    let n = f64::from(rb.n);
    let a = load.erlangs();
    let excess = load.excess(n);
    if excess <= 0.0 {
        return Metrics {
            agents: rb.n,
            erlangs: a,
            p_wait: 1.0,
            service_level: 0.0,
            asa_s: f64::INFINITY,
            occupancy: if rb.n == 0 { 1.0 } else { (a / n).min(1.0) },
        };
    }
    let c = erlang_c_from_inv_b(rb, load);
    let aht = load.aht_s();
    let sl = 1.0 - c * (-excess * target_s / aht).exp();
    Metrics {
        agents: rb.n,
        erlangs: a,
        p_wait: c,
        service_level: sl.clamp(0.0, 1.0),
        asa_s: c * aht / excess,
        occupancy: (a / n).min(1.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(calls: f64, interval: f64, aht: f64) -> Load {
        Load::new(calls, interval, aht).unwrap()
    }

    #[test]
    fn p_wait_equals_erlang_c_from_erlang_b_identity() {
        // Identity check: C = N·B / (N − A·(1 − B)) with B from the division recurrence.
        let l = load(360.0, 1800.0, 240.0);
        let a = l.erlangs();
        let mut b = 1.0_f64;
        for n in 1..=80u32 {
            let nf = f64::from(n);
            b = a * b / (nf + a * b);
            if nf > a {
                let c = nf * b / (nf - a * (1.0 - b));
                assert!((p_wait(&l, n) - c).abs() <= 1e-14, "n={n}");
            }
        }
    }

    #[test]
    fn overload_and_zero_agents_are_defined() {
        for n in [0, 1, 9, 10] {
            let m = evaluate(&load(900.0, 1800.0, 20.0), n, 20.0).unwrap();
            assert_eq!(m.p_wait, 1.0);
            assert_eq!(m.service_level, 0.0);
            assert!(m.asa_s.is_infinite());
            assert!(m.occupancy <= 1.0);
        }
    }

    #[test]
    fn zero_calls_need_nobody_and_wait_nothing() {
        let m = evaluate(&load(0.0, 900.0, 300.0), 0, 20.0).unwrap();
        assert_eq!(
            (m.p_wait, m.service_level, m.asa_s, m.occupancy),
            (0.0, 1.0, 0.0, 0.0)
        );
    }

    #[test]
    fn huge_systems_stay_finite_and_ordered() {
        let l = Load::from_erlangs(15_000.0, 300.0).unwrap();
        let near = evaluate(&l, 15_100, 20.0).unwrap();
        let far = evaluate(&l, 20_000, 20.0).unwrap();
        assert!(near.p_wait > 0.0 && near.p_wait < 1.0);
        assert!(far.p_wait >= 0.0 && far.p_wait < near.p_wait);
        assert!(far.service_level >= near.service_level);
    }

    #[test]
    fn curve_equals_pointwise_evaluation() {
        let l = load(500.0, 1800.0, 300.0);
        let c = curve(&l, 20.0, 80..=100).unwrap();
        for m in &c {
            let e = evaluate(&l, m.agents, 20.0).unwrap();
            assert!(
                (m.p_wait - e.p_wait).abs() < 1e-14
                    && (m.service_level - e.service_level).abs() < 1e-14
            );
        }
    }

    #[test]
    fn absurd_sizes_are_rejected_instead_of_looping() {
        assert!(evaluate(&load(1.0, 900.0, 60.0), u32::MAX, 20.0).is_err());
        assert!(Load::new(1e12, 900.0, 300.0).is_err());
    }

    #[test]
    fn negative_target_is_rejected() {
        assert!(evaluate(&load(1.0, 900.0, 60.0), 1, -1.0).is_err());
    }
}
