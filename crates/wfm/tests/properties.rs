//! Metamorphic properties of the queueing models and staffing (proptest): more agents never
//! lowers the service level, more calls never lowers staffing, results stay in range and
//! runs are deterministic.

use proptest::prelude::*;
use rumbo_wfm::staffing::{self, Model, Policy, SlDefinition, Target};
use rumbo_wfm::{erlang_a, erlang_c, Load};

/// Slack for comparisons of two separately rounded results.
const ULP_SLACK: f64 = 1e-13;

fn arb_load() -> impl Strategy<Value = Load> {
    (
        0.0f64..3000.0,
        prop::sample::select(vec![900.0, 1800.0]),
        10.0f64..1200.0,
    )
        .prop_map(|(calls, interval, aht)| Load::new(calls.round(), interval, aht.round()).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn erlang_c_more_agents_never_lowers_service_level(load in arb_load(), extra in 0u32..40, t in 0.0f64..120.0) {
        let n = load.erlangs().floor() as u32 + extra;
        let m0 = erlang_c::evaluate(&load, n, t).unwrap();
        let m1 = erlang_c::evaluate(&load, n + 1, t).unwrap();
        prop_assert!(m1.service_level >= m0.service_level - ULP_SLACK);
        prop_assert!(m1.p_wait <= m0.p_wait + ULP_SLACK);
        prop_assert!(m1.asa_s <= m0.asa_s || m0.asa_s.is_infinite());
        for m in [m0, m1] {
            prop_assert!((0.0..=1.0).contains(&m.p_wait));
            prop_assert!((0.0..=1.0).contains(&m.service_level));
            prop_assert!((0.0..=1.0).contains(&m.occupancy));
        }
    }

    #[test]
    fn more_calls_never_lowers_staffing(load in arb_load(), more in 1.0f64..200.0,
                                        sl in prop::sample::select(vec![0.7, 0.8, 0.9, 0.95]),
                                        shrink in prop::sample::select(vec![0.0, 0.3, 0.35])) {
        let p = Policy::service_level(20.0, sl, 0.9, shrink).unwrap();
        let bigger = Load::new(load.arrivals() + more, load.interval_s(), load.aht_s()).unwrap();
        let r0 = staffing::required(&load, &p);
        let r1 = staffing::required(&bigger, &p);
        prop_assert!(r1.agents_target >= r0.agents_target);
        prop_assert!(r1.raw_agents >= r0.raw_agents);
        prop_assert!(r1.positions >= r0.positions);
        prop_assert!(r0.service_level >= sl);
        // Determinism: the same input gives bit-identical output.
        prop_assert_eq!(r0, staffing::required(&load, &p));
    }

    #[test]
    fn erlang_a_more_agents_never_hurts(calls in 10.0f64..2000.0, aht in 60.0f64..600.0,
                                       patience in 20.0f64..600.0, frac in 0.6f64..1.4, t in 5.0f64..60.0) {
        let load = Load::new(calls.round(), 1800.0, aht.round()).unwrap();
        let n = (load.erlangs() * frac).floor() as u32;
        let m0 = erlang_a::evaluate(&load, patience, n, t).unwrap();
        let m1 = erlang_a::evaluate(&load, patience, n + 1, t).unwrap();
        prop_assert!(m1.sl_offered >= m0.sl_offered - ULP_SLACK);
        prop_assert!(m1.sl_virtual >= m0.sl_virtual - ULP_SLACK);
        prop_assert!(m1.p_abandon <= m0.p_abandon + ULP_SLACK);
        prop_assert!(m1.p_wait <= m0.p_wait + ULP_SLACK);
        for m in [m0, m1] {
            for v in [m.p_wait, m.p_abandon, m.p_abandon_within, m.sl_offered, m.sl_answered,
                      m.sl_excluding_short_abandons, m.sl_virtual, m.occupancy] {
                prop_assert!((0.0..=1.0).contains(&v), "{m:?}");
            }
            prop_assert!(m.p_abandon_within <= m.p_abandon);
            prop_assert!((m.avg_wait_all_s - m.p_abandon * patience).abs() <= 1e-9 * patience);
        }
    }

    #[test]
    fn erlang_a_staffing_meets_target_minimally(calls in 50.0f64..2000.0, aht in 60.0f64..600.0,
                                                patience in 30.0f64..600.0) {
        let load = Load::new(calls.round(), 1800.0, aht.round()).unwrap();
        let target = Target::ServiceLevel { answer_s: 20.0, fraction: 0.8, definition: SlDefinition::Offered };
        let p = Policy::new(target, 1.0, 0.0, Model::ErlangA { patience_s: patience }).unwrap();
        let r = staffing::required(&load, &p);
        let at = erlang_a::evaluate(&load, patience, r.agents_target, 20.0).unwrap();
        prop_assert!(at.sl_offered >= 0.8);
        if r.agents_target > 1 {
            let below = erlang_a::evaluate(&load, patience, r.agents_target - 1, 20.0).unwrap();
            prop_assert!(below.sl_offered < 0.8);
        }
    }
}
