//! Staffing: agents required per interval for a service target, with maximum occupancy
//! and shrinkage, using exact integer ceilings.
//!
//! Definitions (project conventions):
//! - `agents_target` = smallest integer N > A meeting the target (Erlang C searches
//!   upward from floor(A)+1, never from round(A)+1);
//! - `agents_occupancy` = ceil(A / max_occupancy);
//! - `raw_agents` = max of both; `positions` = ceil(raw / (1 − shrinkage)).
//! - Ceilings go through [`crate::ceil_exact`], so `21/(1−0.3)` is 30, not 31.
//! - Zero calls need zero agents.
//!
//! Reported metrics (SL, P(wait), ASA, occupancy) are those at `raw_agents`.

use crate::numeric::{ceil_exact, InvErlangB};
use crate::{check_param, erlang_a, erlang_c, Error, Load, Result};

/// Which service-level definition an Erlang A service-level target refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SlDefinition {
    /// Answered within T / offered (the only one under Erlang C).
    #[default]
    Offered,
    /// Answered within T / answered.
    Answered,
    /// Answered within T / (offered − abandoned within T).
    ExcludingShortAbandons,
    /// P(virtual wait ≤ T).
    Virtual,
}

/// What each interval must achieve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// At least `fraction` of calls answered within `answer_s` seconds.
    ServiceLevel {
        /// Answer time T in seconds.
        answer_s: f64,
        /// Required share in (0, 1].
        fraction: f64,
        /// Definition used with Erlang A (Erlang C always uses `Offered`).
        definition: SlDefinition,
    },
    /// Average speed of answer at most `max_s` seconds (Erlang C: over all calls;
    /// Erlang A: over answered calls).
    Asa {
        /// Maximum ASA in seconds.
        max_s: f64,
    },
    /// Abandon rate at most `max_rate` (Erlang A only).
    Abandon {
        /// Maximum share of offered calls abandoning.
        max_rate: f64,
    },
}

/// Queueing model used for the search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Model {
    /// M/M/N, infinite patience.
    ErlangC,
    /// M/M/N+M with the given mean patience in seconds.
    ErlangA {
        /// Mean patience in seconds.
        patience_s: f64,
    },
}

/// A validated staffing policy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Policy {
    target: Target,
    max_occupancy: f64,
    shrinkage: f64,
    model: Model,
}

impl Policy {
    /// Validates: SL fraction in (0, 1], answer time ≥ 0, max occupancy in (0, 1],
    /// shrinkage in [0, 1), patience > 0, abandon targets only with Erlang A.
    pub fn new(target: Target, max_occupancy: f64, shrinkage: f64, model: Model) -> Result<Self> {
        check_param(
            "max_occupancy",
            max_occupancy,
            max_occupancy > 0.0 && max_occupancy <= 1.0,
            "must be in (0, 1]",
        )?;
        check_param(
            "shrinkage",
            shrinkage,
            (0.0..1.0).contains(&shrinkage),
            "must be in [0, 1)",
        )?;
        match target {
            Target::ServiceLevel {
                answer_s, fraction, ..
            } => {
                erlang_c::check_target(answer_s)?;
                check_param(
                    "sl",
                    fraction,
                    fraction > 0.0 && fraction <= 1.0,
                    "must be in (0, 1]",
                )?;
                if fraction >= 1.0 && matches!(model, Model::ErlangC) && answer_s.is_finite() {
                    // SL < 1 for every finite N under Erlang C: no finite answer.
                    return Err(Error::InvalidParameter {
                        name: "sl",
                        value: fraction,
                        reason: "a 100 % service level is unreachable under Erlang C",
                    });
                }
            }
            Target::Asa { max_s } => {
                check_param("asa", max_s, max_s > 0.0, "must be > 0")?;
            }
            Target::Abandon { max_rate } => {
                check_param(
                    "abandon",
                    max_rate,
                    max_rate > 0.0 && max_rate <= 1.0,
                    "must be in (0, 1]",
                )?;
                if matches!(model, Model::ErlangC) {
                    return Err(Error::InvalidInput(
                        "an abandon-rate target needs the Erlang A model (--patience)".into(),
                    ));
                }
            }
        }
        if let Model::ErlangA { patience_s } = model {
            erlang_a::check_patience(patience_s)?;
        }
        Ok(Self {
            target,
            max_occupancy,
            shrinkage,
            model,
        })
    }

    /// The classic Erlang C service-level policy (e.g. 80/20).
    pub fn service_level(
        answer_s: f64,
        fraction: f64,
        max_occupancy: f64,
        shrinkage: f64,
    ) -> Result<Self> {
        Self::new(
            Target::ServiceLevel {
                answer_s,
                fraction,
                definition: SlDefinition::Offered,
            },
            max_occupancy,
            shrinkage,
            Model::ErlangC,
        )
    }

    /// The target.
    pub fn target(&self) -> Target {
        self.target
    }
    /// The model.
    pub fn model(&self) -> Model {
        self.model
    }
    /// Maximum occupancy.
    pub fn max_occupancy(&self) -> f64 {
        self.max_occupancy
    }
    /// Shrinkage.
    pub fn shrinkage(&self) -> f64 {
        self.shrinkage
    }
    fn sl_answer_s(&self) -> f64 {
        match self.target {
            Target::ServiceLevel { answer_s, .. } => answer_s,
            _ => 20.0,
        }
    }
}

/// Staffing result for one interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Requirement {
    /// Offered load A.
    pub erlangs: f64,
    /// Smallest N meeting the target alone.
    pub agents_target: u32,
    /// ceil(A / max occupancy).
    pub agents_occupancy: u32,
    /// max(agents_target, agents_occupancy): productive agents needed.
    pub raw_agents: u32,
    /// ceil(raw / (1 − shrinkage)): scheduled positions.
    pub positions: u32,
    /// Continuous (fractional) positions: the target crossing interpolated linearly between
    /// N−1 and N, maxed with A/max occupancy, divided by (1 − shrinkage).
    pub fractional_positions: f64,
    /// Service level at `raw_agents` (the model's definition; Erlang C: offered).
    pub service_level: f64,
    /// P(wait) at `raw_agents`.
    pub p_wait: f64,
    /// ASA at `raw_agents` (Erlang C: all calls; Erlang A: answered calls).
    pub asa_s: f64,
    /// Occupancy at `raw_agents`.
    pub occupancy: f64,
    /// Abandon probability at `raw_agents` (0 under Erlang C).
    pub p_abandon: f64,
}

/// Staffing for one interval.
pub fn required(load: &Load, policy: &Policy) -> Requirement {
    required_with(load, policy, &mut StepDecay::default())
}

/// `exp(−T/AHT)` of the last AHT seen: consecutive intervals often share their AHT, and the
/// same input gives the same bits, so reusing it changes no result.
#[derive(Clone, Copy)]
struct StepDecay {
    k: f64,
    value: f64,
}

impl Default for StepDecay {
    fn default() -> Self {
        StepDecay {
            k: f64::NAN,
            value: f64::NAN,
        }
    }
}

impl StepDecay {
    #[inline]
    fn of(&mut self, k: f64) -> f64 {
        if k.to_bits() != self.k.to_bits() {
            self.k = k;
            self.value = (-k).exp();
        }
        self.value
    }
}

fn required_with(load: &Load, policy: &Policy, step: &mut StepDecay) -> Requirement {
    if load.is_zero() {
        return Requirement {
            erlangs: 0.0,
            agents_target: 0,
            agents_occupancy: 0,
            raw_agents: 0,
            positions: 0,
            fractional_positions: 0.0,
            service_level: 1.0,
            p_wait: 0.0,
            asa_s: 0.0,
            occupancy: 0.0,
            p_abandon: 0.0,
        };
    }
    match policy.model {
        Model::ErlangC => required_erlang_c(load, policy, step),
        Model::ErlangA { patience_s } => required_erlang_a(load, policy, patience_s),
    }
}

/// Intervals per claim when [`required_all_on`] shares the work between two threads (starting a
/// thread costs tens of microseconds, about 300 intervals' work).
const CHUNK: usize = 1024;

/// Staffing for many intervals (same policy), on the calling thread. Each interval is
/// computed exactly as [`required`] does.
///
/// [`required_all_on`] shares a long run between two threads; it halves the time on a quiet
/// machine, but on an oversubscribed one (load average 16 on 2 cores) the caller waited up to
/// 20 ms for a descheduled helper, ten times the single-threaded time, so it is not the default.
pub fn required_all(loads: &[Load], policy: &Policy) -> Vec<Requirement> {
    required_all_on(loads, policy, 1)
}

/// [`required_all`] on one thread (`threads` ≤ 1) or two: the caller takes 1,024-interval
/// chunks from the front and a helper from the back until they meet.
pub fn required_all_on(loads: &[Load], policy: &Policy, threads: usize) -> Vec<Requirement> {
    let chunks: Vec<&[Load]> = loads.chunks(CHUNK).collect();
    if threads <= 1 || chunks.len() < 4 {
        let mut step = StepDecay::default();
        return loads
            .iter()
            .map(|l| required_with(l, policy, &mut step))
            .collect();
    }
    // (next chunk from the front, end of the chunks not yet claimed from the back)
    let claims = std::sync::Mutex::new((0usize, chunks.len()));
    let claim = |from_front: bool| {
        let mut c = claims
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if c.0 >= c.1 {
            None
        } else if from_front {
            c.0 += 1;
            Some(c.0 - 1)
        } else {
            c.1 -= 1;
            Some(c.1)
        }
    };
    let staff = |i: usize| {
        let mut step = StepDecay::default();
        chunks[i]
            .iter()
            .map(move |l| required_with(l, policy, &mut step))
    };
    std::thread::scope(|s| {
        let helper = std::thread::Builder::new().spawn_scoped(s, || {
            let mut mine: Vec<Vec<Requirement>> = Vec::new();
            while let Some(i) = claim(false) {
                mine.push(staff(i).collect());
            }
            mine
        });
        let mut out: Vec<Requirement> = Vec::with_capacity(loads.len());
        while let Some(i) = claim(true) {
            out.extend(staff(i));
        }
        // The helper's chunks were claimed from the back: they follow in reverse order.
        // Without a helper (no thread to be had) the caller claimed every chunk.
        if let Ok(h) = helper {
            match h.join() {
                Ok(mine) => out.extend(mine.into_iter().rev().flatten()),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        out
    })
}

fn occupancy_agents(a: f64, policy: &Policy) -> (u32, f64) {
    let x = a / policy.max_occupancy;
    (to_u32(ceil_exact(x)), x)
}

fn positions(raw: u32, policy: &Policy) -> u32 {
    to_u32(ceil_exact(f64::from(raw) / (1.0 - policy.shrinkage)))
}

fn to_u32(x: f64) -> u32 {
    if x <= 0.0 {
        0
    } else if x >= f64::from(u32::MAX) {
        u32::MAX
    } else {
        x as u32
    }
}

/// Linear interpolation of the crossing point between N−1 (value `prev`) and N (value `cur`).
fn interpolate(n: u32, prev: f64, cur: f64, goal: f64, higher_is_better: bool) -> f64 {
    let nf = f64::from(n);
    let (p, c, g) = if higher_is_better {
        (prev, cur, goal)
    } else {
        (-prev, -cur, -goal)
    };
    if !p.is_finite() || c <= p {
        return nf;
    }
    (nf - 1.0 + ((g - p) / (c - p)).clamp(0.0, 1.0)).min(nf)
}

/// Erlang C with the recurrence state of one candidate kept, so that the previous
/// candidate's service level can be computed later without a fresh recurrence.
#[derive(Clone, Copy)]
struct Candidate {
    n: u32,
    mant: f64,
    exp2: i32,
    excess: f64,
    decay: f64,
}

impl Candidate {
    fn p_wait(&self, a: f64) -> f64 {
        if self.exp2 == 0 {
            (f64::from(self.n) / (self.mant * self.excess + a)).min(1.0)
        } else {
            // r(N) ≥ 2^600: P(wait) below 1e-170, computed with the exact scaling.
            let one = crate::numeric::pow2(-self.exp2);
            f64::from(self.n) / (self.mant * self.excess + a * one) * one
        }
    }
    fn sl(&self, a: f64) -> f64 {
        (1.0 - self.p_wait(a) * self.decay).clamp(0.0, 1.0)
    }
}

fn required_erlang_c(load: &Load, policy: &Policy, step: &mut StepDecay) -> Requirement {
    let a = load.erlangs();
    let aht = load.aht_s();
    let answer_s = policy.sl_answer_s();
    let mut rb = InvErlangB::new();
    let start = to_u32(a.floor()) + 1;
    rb.advance_to(load, start - 1);
    // exp(−(N−A)·T/AHT) is tracked multiplicatively from one candidate to the next
    // (two `exp` per interval instead of one per candidate); a decision within 1e-9 of the
    // target is re-checked with a fresh `exp`, so the answer stays exact.
    let k = answer_s / aht;
    let step_decay = step.of(k);
    let mut decay = f64::NAN;
    let mut last_fail: Option<Candidate> = None;
    let mut prev_asa = f64::INFINITY;
    let (found, cross) = loop {
        rb.step(load);
        let n = rb.n;
        let excess = load.excess(f64::from(n));
        if excess <= 0.0 {
            // floor(A)+1 can equal A only through rounding; keep searching.
            continue;
        }
        decay = if decay.is_nan() {
            (-excess * k).exp()
        } else {
            decay * step_decay
        };
        let mut cand = Candidate {
            n,
            mant: rb.mant,
            exp2: rb.exp2,
            excess,
            decay,
        };
        match policy.target {
            Target::ServiceLevel { fraction, .. } => {
                // Division-free screen: SL ≥ target ⇔ N·decay ≤ (1 − target)·(r·(N−A) + A).
                if rb.exp2 == 0 {
                    let lhs = f64::from(n) * decay;
                    let rhs = (1.0 - fraction) * (rb.mant * excess + a);
                    if lhs > rhs * (1.0 + 1e-6) {
                        last_fail = Some(cand);
                        continue;
                    }
                }
                let mut sl = 1.0 - cand.p_wait(a) * decay;
                if (sl - fraction).abs() <= 1e-9 {
                    decay = (-excess * k).exp();
                    cand.decay = decay;
                    sl = 1.0 - cand.p_wait(a) * decay;
                }
                if sl >= fraction {
                    let prev = last_fail.map_or(0.0, |c| c.sl(a));
                    break (cand, interpolate(n, prev, sl, fraction, true));
                }
                last_fail = Some(cand);
            }
            Target::Asa { max_s } => {
                let asa = cand.p_wait(a) * aht / excess;
                if asa <= max_s {
                    break (cand, interpolate(n, prev_asa, asa, max_s, false));
                }
                prev_asa = asa;
            }
            // Rejected by `Policy::new` under Erlang C; treated as met rather than panicking.
            Target::Abandon { .. } => break (cand, f64::from(n)),
        }
    };
    let n_target = found.n;
    let (n_occ, occ_frac) = occupancy_agents(a, policy);
    let raw = n_target.max(n_occ);
    let at_raw = if raw == n_target {
        found
    } else {
        rb.advance_to(load, raw);
        let excess = load.excess(f64::from(raw));
        Candidate {
            n: raw,
            mant: rb.mant,
            exp2: rb.exp2,
            excess,
            decay: (-excess * k).exp(),
        }
    };
    let pw = at_raw.p_wait(a);
    Requirement {
        erlangs: a,
        agents_target: n_target,
        agents_occupancy: n_occ,
        raw_agents: raw,
        positions: positions(raw, policy),
        fractional_positions: cross.max(occ_frac) / (1.0 - policy.shrinkage),
        service_level: (1.0 - pw * at_raw.decay).clamp(0.0, 1.0),
        p_wait: pw,
        asa_s: pw * aht / at_raw.excess,
        occupancy: (a / f64::from(raw)).min(1.0),
        p_abandon: 0.0,
    }
}

fn erlang_a_value(m: &erlang_a::Metrics, target: Target) -> (f64, f64, bool) {
    match target {
        Target::ServiceLevel {
            fraction,
            definition,
            ..
        } => {
            let v = match definition {
                SlDefinition::Offered => m.sl_offered,
                SlDefinition::Answered => m.sl_answered,
                SlDefinition::ExcludingShortAbandons => m.sl_excluding_short_abandons,
                SlDefinition::Virtual => m.sl_virtual,
            };
            (v, fraction, v >= fraction)
        }
        Target::Asa { max_s } => (m.asa_answered_s, max_s, m.asa_answered_s <= max_s),
        Target::Abandon { max_rate } => (m.p_abandon, max_rate, m.p_abandon <= max_rate),
    }
}

fn required_erlang_a(load: &Load, policy: &Policy, patience_s: f64) -> Requirement {
    let a = load.erlangs();
    let answer_s = policy.sl_answer_s();
    let eval = |rb: &mut InvErlangB, n: u32| {
        rb.advance_to(load, n.saturating_sub(1));
        erlang_a::metrics_with(rb, load, patience_s, n, answer_s)
    };
    let higher_is_better = matches!(policy.target, Target::ServiceLevel { .. });
    // Linear upward search from a lower starting point: Erlang A can meet targets below
    // A agents, so start at a fraction of A and step down first if already met.
    let mut rb = InvErlangB::new();
    let mut n = to_u32((a * 0.5).floor()).max(1);
    let mut m = eval(&mut rb, n);
    let cap = to_u32((a * 4.0).ceil()) + 1000;
    if erlang_a_value(&m, policy.target).2 {
        // Walk down (rare: very low targets).
        let mut fresh = InvErlangB::new();
        while n > 1 {
            let mm = eval(&mut fresh, n - 1);
            if !erlang_a_value(&mm, policy.target).2 {
                break;
            }
            n -= 1;
            m = mm;
            fresh = InvErlangB::new();
        }
    } else {
        while !erlang_a_value(&m, policy.target).2 && n < cap {
            n += 1;
            m = eval(&mut rb, n);
        }
    }
    let n_target = n;
    let prev_val = if n_target > 1 {
        erlang_a_value(&eval(&mut InvErlangB::new(), n_target - 1), policy.target).0
    } else if higher_is_better {
        0.0
    } else {
        f64::INFINITY
    };
    let (v, goal, _) = erlang_a_value(&m, policy.target);
    let cross = interpolate(n_target, prev_val, v, goal, higher_is_better);
    let (n_occ, occ_frac) = occupancy_agents(a, policy);
    let raw = n_target.max(n_occ);
    let m = if raw == n_target {
        m
    } else {
        eval(&mut rb, raw)
    };
    let sl = match policy.target {
        Target::ServiceLevel { definition, .. } => match definition {
            SlDefinition::Offered => m.sl_offered,
            SlDefinition::Answered => m.sl_answered,
            SlDefinition::ExcludingShortAbandons => m.sl_excluding_short_abandons,
            SlDefinition::Virtual => m.sl_virtual,
        },
        _ => m.sl_offered,
    };
    Requirement {
        erlangs: a,
        agents_target: n_target,
        agents_occupancy: n_occ,
        raw_agents: raw,
        positions: positions(raw, policy),
        fractional_positions: cross.max(occ_frac) / (1.0 - policy.shrinkage),
        service_level: sl,
        p_wait: m.p_wait,
        asa_s: m.asa_answered_s,
        occupancy: m.occupancy,
        p_abandon: m.p_abandon,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(max_occ: f64, shrink: f64) -> Policy {
        Policy::service_level(20.0, 0.8, max_occ, shrink).unwrap()
    }

    #[test]
    fn zero_calls_need_zero_agents() {
        let r = required(&Load::new(0.0, 900.0, 300.0).unwrap(), &policy(0.9, 0.3));
        assert_eq!((r.raw_agents, r.positions), (0, 0));
    }

    #[test]
    fn shrinkage_ceiling_is_exact() {
        // 21 raw agents with 30 % shrinkage is exactly 30 positions.
        assert_eq!(positions(21, &policy(1.0, 0.3)), 30);
        assert_eq!(positions(22, &policy(1.0, 0.3)), 32);
    }

    #[test]
    fn whole_number_load_searches_from_floor_plus_one() {
        // A = 10 exactly: N = 10 is overload, the search must not skip N = 11.
        let l = Load::new(900.0, 1800.0, 20.0).unwrap();
        let p = Policy::service_level(20.0, 0.7, 1.0, 0.0).unwrap();
        let r = required(&l, &p);
        assert_eq!(r.agents_target, 11);
    }

    #[test]
    fn policy_rejects_nonsense() {
        assert!(Policy::service_level(20.0, 1.5, 0.9, 0.3).is_err());
        assert!(Policy::service_level(20.0, 0.8, 0.0, 0.3).is_err());
        assert!(Policy::service_level(20.0, 0.8, 0.9, 1.0).is_err());
        assert!(Policy::new(Target::Abandon { max_rate: 0.05 }, 0.9, 0.3, Model::ErlangC).is_err());
    }

    #[test]
    fn abandon_target_under_erlang_a_is_met_at_n_and_not_at_n_minus_one() {
        let l = Load::new(600.0, 1800.0, 240.0).unwrap();
        let p = Policy::new(
            Target::Abandon { max_rate: 0.05 },
            1.0,
            0.0,
            Model::ErlangA { patience_s: 90.0 },
        )
        .unwrap();
        let r = required(&l, &p);
        let at = erlang_a::evaluate(&l, 90.0, r.agents_target, 20.0).unwrap();
        let below = erlang_a::evaluate(&l, 90.0, r.agents_target - 1, 20.0).unwrap();
        assert!(at.p_abandon <= 0.05 && below.p_abandon > 0.05);
    }

    #[test]
    fn asa_target_under_erlang_c_is_met_at_n_and_not_at_n_minus_one() {
        let l = Load::new(700.0, 1800.0, 300.0).unwrap();
        let p = Policy::new(Target::Asa { max_s: 15.0 }, 1.0, 0.0, Model::ErlangC).unwrap();
        let r = required(&l, &p);
        let at = erlang_c::evaluate(&l, r.agents_target, 20.0).unwrap();
        let below = erlang_c::evaluate(&l, r.agents_target - 1, 20.0).unwrap();
        assert!(at.asa_s <= 15.0 && below.asa_s > 15.0, "{r:?}");
        assert!((r.asa_s - at.asa_s).abs() <= 1e-12 * at.asa_s);
    }

    #[test]
    fn occupancy_cap_raises_raw_agents_and_metrics_follow() {
        // Low SL target so that the 0.85 occupancy cap binds.
        let l = Load::new(1800.0, 1800.0, 300.0).unwrap(); // A = 300
        let p = Policy::service_level(20.0, 0.5, 0.85, 0.0).unwrap();
        let r = required(&l, &p);
        assert_eq!(r.agents_occupancy, 353); // ceil(300 / 0.85) = ceil(352.94)
        assert_eq!(r.raw_agents, r.agents_occupancy.max(r.agents_target));
        let m = erlang_c::evaluate(&l, r.raw_agents, 20.0).unwrap();
        assert!((r.service_level - m.service_level).abs() < 1e-13);
        assert!((r.p_wait - m.p_wait).abs() < 1e-13);
    }

    #[test]
    fn many_intervals_give_the_same_answers_on_any_number_of_threads() {
        let loads: Vec<Load> = (0..9_000u32)
            .map(|i| {
                Load::new(f64::from(i % 700), 900.0, 120.0 + f64::from(i % 13) * 20.0).unwrap()
            })
            .collect();
        let p = policy(0.9, 0.3);
        let one: Vec<Requirement> = loads.iter().map(|l| required(l, &p)).collect();
        for threads in [1, 2, 3, 5] {
            assert_eq!(
                required_all_on(&loads, &p, threads),
                one,
                "threads = {threads}"
            );
        }
        assert_eq!(required_all(&loads, &p), one);
    }

    #[test]
    fn fractional_positions_lie_between_previous_and_integer_answer() {
        let l = Load::new(700.0, 1800.0, 300.0).unwrap();
        let r = required(&l, &policy(1.0, 0.0));
        assert!(r.fractional_positions <= f64::from(r.positions));
        assert!(r.fractional_positions > f64::from(r.positions) - 1.0);
    }
}
