//! Discrete-event simulation of a single-skill queue with abandonment (M/M/N+M with
//! per-interval arrival rates, handling times and staffing).
//!
//! Used to cross-check Erlang A (stationary runs with independent replications and 95 %
//! confidence intervals) and to evaluate a roster under intraday variation, where the
//! stationary formulas do not apply. FCFS; callers whose patience has expired are removed
//! lazily when an agent looks at the queue, which is equivalent for FCFS because an
//! abandoned caller never affects anyone else's service order. Statistics are attributed
//! to the interval in which the call arrived. Reproducible from the seed.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use crate::rng::Rng;
use crate::{check_param, Error, Load, Result};

/// Traffic and staffing of one simulated interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IntervalSpec {
    /// Expected calls in the interval (Poisson arrivals at rate calls/interval).
    pub calls: f64,
    /// Mean handling time (exponential) in seconds.
    pub aht_s: f64,
    /// Agents available during the interval.
    pub agents: u32,
}

/// Counters per interval (by arrival interval).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct IntervalStats {
    /// Calls that arrived.
    pub offered: u64,
    /// Calls that found every agent busy.
    pub waited: u64,
    /// Calls answered.
    pub answered: u64,
    /// Calls answered within the target time.
    pub answered_within: u64,
    /// Calls abandoned.
    pub abandoned: u64,
    /// Calls abandoned within the target time.
    pub abandoned_within: u64,
    /// Sum of waits of answered calls, seconds.
    pub wait_answered_s: f64,
    /// Sum of waits of all calls, seconds.
    pub wait_all_s: f64,
}

impl IntervalStats {
    /// Answered within T / offered (1 when nothing was offered).
    pub fn sl_offered(&self) -> f64 {
        ratio(self.answered_within, self.offered, 1.0)
    }
    /// Abandoned / offered.
    pub fn abandon_rate(&self) -> f64 {
        ratio(self.abandoned, self.offered, 0.0)
    }
    fn add(&mut self, o: &IntervalStats) {
        self.offered += o.offered;
        self.waited += o.waited;
        self.answered += o.answered;
        self.answered_within += o.answered_within;
        self.abandoned += o.abandoned;
        self.abandoned_within += o.abandoned_within;
        self.wait_answered_s += o.wait_answered_s;
        self.wait_all_s += o.wait_all_s;
    }
}

fn ratio(num: u64, den: u64, empty: f64) -> f64 {
    if den == 0 {
        empty
    } else {
        num as f64 / den as f64
    }
}

/// Total-ordered wrapper for event times (never NaN by construction).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Time(f64);
impl Eq for Time {}
impl PartialOrd for Time {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Time {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

struct Waiting {
    arrival: f64,
    deadline: f64,
    interval: usize,
}

/// Simulates one day/period of consecutive intervals of `interval_s` seconds.
/// Calls still queued at the end are followed until answered or abandoned (agents of the
/// last interval stay on), so every arrival is accounted for.
pub fn simulate(
    intervals: &[IntervalSpec],
    interval_s: f64,
    patience_s: f64,
    target_s: f64,
    seed: u64,
) -> Result<Vec<IntervalStats>> {
    check_param("interval_s", interval_s, interval_s > 0.0, "must be > 0")?;
    check_param("patience_s", patience_s, patience_s > 0.0, "must be > 0")?;
    check_param("target_s", target_s, target_s >= 0.0, "must be ≥ 0")?;
    for s in intervals {
        check_param("calls", s.calls, s.calls >= 0.0, "must be ≥ 0")?;
        check_param("aht_s", s.aht_s, s.aht_s > 0.0, "must be > 0")?;
    }
    let mut rng = Rng::seed_from_u64(seed);
    let mut stats = vec![IntervalStats::default(); intervals.len()];
    let mut queue: VecDeque<Waiting> = VecDeque::new();
    let mut completions: BinaryHeap<Reverse<Time>> = BinaryHeap::new();
    let mut busy: u32 = 0;
    let horizon = interval_s * intervals.len() as f64;

    // First arrival.
    let mut cur = 0usize; // interval index of the arrival process
    let mut next_arrival = next_arrival_after(0.0, &mut cur, intervals, interval_s, &mut rng);
    let mut agents = intervals.first().map_or(0, |s| s.agents);
    let mut agents_interval = 0usize;

    loop {
        let next_completion = completions.peek().map_or(f64::INFINITY, |r| r.0 .0);
        let next_boundary = if agents_interval + 1 < intervals.len() {
            interval_s * (agents_interval + 1) as f64
        } else {
            f64::INFINITY
        };
        let t = next_arrival.min(next_completion).min(next_boundary);
        if !t.is_finite() {
            break;
        }
        if t == next_boundary {
            agents_interval += 1;
            agents = intervals[agents_interval].agents;
        } else if t == next_completion {
            completions.pop();
            busy = busy.saturating_sub(1);
        } else {
            let i = cur;
            let st = &mut stats[i];
            st.offered += 1;
            if busy < agents {
                busy += 1;
                st.answered += 1;
                st.answered_within += 1;
                let svc = rng.exponential(intervals[i].aht_s);
                completions.push(Reverse(Time(t + svc)));
            } else {
                st.waited += 1;
                let patience = rng.exponential(patience_s);
                queue.push_back(Waiting {
                    arrival: t,
                    deadline: t + patience,
                    interval: i,
                });
            }
            next_arrival = next_arrival_after(t, &mut cur, intervals, interval_s, &mut rng);
            if next_arrival >= horizon {
                next_arrival = f64::INFINITY;
            }
        }
        // Dispatch waiting callers to free agents.
        while busy < agents {
            let Some(w) = queue.pop_front() else { break };
            let st = &mut stats[w.interval];
            if w.deadline <= t {
                record_abandon(st, &w, target_s);
            } else {
                let wait = t - w.arrival;
                st.answered += 1;
                st.wait_answered_s += wait;
                st.wait_all_s += wait;
                if wait <= target_s {
                    st.answered_within += 1;
                }
                busy += 1;
                let svc = rng.exponential(intervals[w.interval].aht_s);
                completions.push(Reverse(Time(t + svc)));
            }
        }
        if next_arrival.is_infinite() && completions.is_empty() {
            break;
        }
    }
    // Nobody will ever serve the remaining callers: they all abandon.
    for w in queue.drain(..) {
        record_abandon(&mut stats[w.interval], &w, target_s);
    }
    Ok(stats)
}

fn record_abandon(st: &mut IntervalStats, w: &Waiting, target_s: f64) {
    let wait = w.deadline - w.arrival;
    st.abandoned += 1;
    st.wait_all_s += wait;
    if wait <= target_s {
        st.abandoned_within += 1;
    }
}

/// Next arrival time after `t` with piecewise-constant rates (memoryless restart at
/// interval boundaries). Returns +∞ past the last interval.
fn next_arrival_after(
    mut t: f64,
    cur: &mut usize,
    intervals: &[IntervalSpec],
    interval_s: f64,
    rng: &mut Rng,
) -> f64 {
    while *cur < intervals.len() {
        let end = interval_s * (*cur + 1) as f64;
        let rate = intervals[*cur].calls / interval_s;
        if rate > 0.0 {
            let cand = t + rng.exponential(1.0 / rate);
            if cand < end {
                return cand;
            }
        }
        t = end;
        *cur += 1;
    }
    f64::INFINITY
}

/// A point estimate with the half-width of its 95 % confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Mean over replications.
    pub mean: f64,
    /// Half-width of the 95 % confidence interval (Student t).
    pub half_width: f64,
}

impl Estimate {
    /// True when `value` lies inside the interval.
    pub fn contains(&self, value: f64) -> bool {
        (value - self.mean).abs() <= self.half_width
    }
}

/// Stationary estimates of Erlang A quantities from independent replications.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StationaryEstimate {
    /// P(wait).
    pub p_wait: Estimate,
    /// P(abandon).
    pub p_abandon: Estimate,
    /// Answered within T / offered.
    pub sl_offered: Estimate,
    /// Mean wait of answered calls.
    pub asa_answered_s: Estimate,
    /// Mean wait of all calls.
    pub avg_wait_all_s: Estimate,
}

/// Runs `replications` independent stationary replications of M/M/N+M, each with a
/// warm-up of `warmup_s` seconds (discarded) followed by `measure_s` seconds of arrivals.
#[allow(clippy::too_many_arguments)]
pub fn stationary(
    load: &Load,
    patience_s: f64,
    agents: u32,
    target_s: f64,
    replications: u32,
    warmup_s: f64,
    measure_s: f64,
    seed: u64,
) -> Result<StationaryEstimate> {
    if replications < 2 {
        return Err(Error::InvalidInput(
            "at least 2 replications are needed".into(),
        ));
    }
    check_param("warmup_s", warmup_s, warmup_s >= 0.0, "must be ≥ 0")?;
    check_param("measure_s", measure_s, measure_s > 0.0, "must be > 0")?;
    // Measurement split into 10 equal slots; the warm-up uses as many slots of the same
    // length as needed. Only the measurement slots are aggregated.
    let slot = measure_s / 10.0;
    let warm_slots = (warmup_s / slot).ceil() as usize;
    let spec = IntervalSpec {
        calls: load.arrival_rate() * slot,
        aht_s: load.aht_s(),
        agents,
    };
    let specs = vec![spec; warm_slots + 10];
    let mut per_rep: Vec<[f64; 5]> = Vec::with_capacity(replications as usize);
    for r in 0..replications {
        let seed_r = seed.wrapping_add(u64::from(r).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let stats = simulate(&specs, slot, patience_s, target_s, seed_r)?;
        let mut s = IntervalStats::default();
        for st in &stats[warm_slots..] {
            s.add(st);
        }
        per_rep.push([
            ratio(s.waited, s.offered, 0.0),
            ratio(s.abandoned, s.offered, 0.0),
            s.sl_offered(),
            if s.answered > 0 {
                s.wait_answered_s / s.answered as f64
            } else {
                0.0
            },
            if s.offered > 0 {
                s.wait_all_s / s.offered as f64
            } else {
                0.0
            },
        ]);
    }
    let est = |k: usize| mean_ci(per_rep.iter().map(|v| v[k]));
    Ok(StationaryEstimate {
        p_wait: est(0),
        p_abandon: est(1),
        sl_offered: est(2),
        asa_answered_s: est(3),
        avg_wait_all_s: est(4),
    })
}

fn mean_ci(values: impl Iterator<Item = f64> + Clone) -> Estimate {
    let n = values.clone().count() as f64;
    let mean = values.clone().sum::<f64>() / n;
    let var = values.map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    Estimate {
        mean,
        half_width: student_t975(n - 1.0) * (var / n).sqrt(),
    }
}

/// 97.5 % quantile of Student's t with `df` degrees of freedom (Cornish–Fisher expansion,
/// accurate to ~1e-3 for df ≥ 3).
fn student_t975(df: f64) -> f64 {
    let z: f64 = 1.959_963_984_540_054;
    let g1 = (z.powi(3) + z) / 4.0;
    let g2 = (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / 96.0;
    let g3 = (3.0 * z.powi(7) + 19.0 * z.powi(5) + 17.0 * z.powi(3) - 15.0 * z) / 384.0;
    z + g1 / df + g2 / df.powi(2) + g3 / df.powi(3)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::erlang_a;

    #[test]
    fn student_quantile_matches_tables() {
        assert!((student_t975(9.0) - 2.262).abs() < 2e-3);
        assert!((student_t975(29.0) - 2.045).abs() < 1e-3);
    }

    #[test]
    fn every_arrival_is_answered_or_abandoned() {
        let specs = vec![
            IntervalSpec {
                calls: 200.0,
                aht_s: 240.0,
                agents: 20,
            },
            IntervalSpec {
                calls: 400.0,
                aht_s: 240.0,
                agents: 5,
            },
            IntervalSpec {
                calls: 50.0,
                aht_s: 240.0,
                agents: 0,
            },
        ];
        let stats = simulate(&specs, 900.0, 120.0, 20.0, 42).unwrap();
        for s in &stats {
            assert_eq!(s.offered, s.answered + s.abandoned);
            assert!(s.answered_within <= s.answered && s.abandoned_within <= s.abandoned);
        }
        assert!(stats[1].abandon_rate() > stats[0].abandon_rate());
        assert_eq!(stats[2].offered, stats[2].abandoned + stats[2].answered);
    }

    #[test]
    fn same_seed_reproduces_the_run() {
        let specs = [IntervalSpec {
            calls: 300.0,
            aht_s: 180.0,
            agents: 60,
        }];
        let a = simulate(&specs, 900.0, 90.0, 20.0, 5).unwrap();
        let b = simulate(&specs, 900.0, 90.0, 20.0, 5).unwrap();
        assert_eq!(a, b);
    }

    /// Acceptance 3: the simulator agrees with Erlang A within its 95 % CI.
    #[test]
    fn simulation_agrees_with_erlang_a_within_confidence_interval() {
        let cases = [
            // (calls per 30 min, AHT, patience, agents)
            (500.0, 180.0, 120.0, 50u32),
            (300.0, 300.0, 300.0, 45),
            (800.0, 240.0, 60.0, 90),
        ];
        for (i, (calls, aht, patience, n)) in cases.into_iter().enumerate() {
            let load = Load::new(calls, 1800.0, aht).unwrap();
            let exact = erlang_a::evaluate(&load, patience, n, 20.0).unwrap();
            let est = stationary(
                &load,
                patience,
                n,
                20.0,
                30,
                3_600.0,
                72_000.0,
                1000 + i as u64,
            )
            .unwrap();
            let checks = [
                ("p_wait", est.p_wait, exact.p_wait),
                ("p_ab", est.p_abandon, exact.p_abandon),
                ("sl", est.sl_offered, exact.sl_offered),
                ("asa", est.asa_answered_s, exact.asa_answered_s),
                ("wait_all", est.avg_wait_all_s, exact.avg_wait_all_s),
            ];
            for (name, e, x) in checks {
                assert!(e.contains(x), "case {i} {name}: sim {e:?} vs exact {x}");
                assert!(
                    e.half_width < 0.05 * x.abs().max(0.05),
                    "case {i} {name}: CI too wide {e:?}"
                );
            }
        }
    }
}
