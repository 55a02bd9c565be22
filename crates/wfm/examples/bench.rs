//! Benchmark: staffing for a year of 15-minute intervals (35,040 rows, 80/20, max
//! occupancy 0.90, shrinkage 0.30) single-threaded, and the cost of one Erlang A
//! evaluation. Run with `cargo run --release -p rumbo-wfm --example bench`.

use std::hint::black_box;
use std::time::Instant;

use rumbo_wfm::staffing::{self, Policy};
use rumbo_wfm::{erlang_a, erlang_c, Load};

/// A year of realistic 15-min volumes: closed-ish nights, morning and afternoon peaks,
/// quieter weekends, a slow seasonal drift. Peak ≈ 320 calls per 15 min.
fn year_of_intervals() -> Vec<Load> {
    let mut out = Vec::with_capacity(35_040);
    for day in 0..365u32 {
        let weekday = day % 7;
        let week_factor = match weekday {
            5 => 0.55,
            6 => 0.35,
            0 => 1.15,
            _ => 1.0,
        };
        let season = 1.0 + 0.15 * (f64::from(day) / 365.0 * std::f64::consts::TAU).sin();
        for slot in 0..96u32 {
            let h = f64::from(slot) / 4.0;
            let morning = (-((h - 11.0) / 2.2).powi(2)).exp();
            let afternoon = 0.8 * (-((h - 16.5) / 2.5).powi(2)).exp();
            let base = 0.02;
            let calls = (320.0 * week_factor * season * (base + morning + afternoon)).round();
            let aht = 240.0 + 60.0 * (f64::from(slot) / 96.0 * std::f64::consts::PI).sin();
            out.push(Load::new(calls, 900.0, aht.round()).expect("valid synthetic load"));
        }
    }
    out
}

fn main() {
    let loads = year_of_intervals();
    let policy = Policy::service_level(20.0, 0.8, 0.90, 0.30).expect("valid policy");
    let total_erl: f64 = loads.iter().map(Load::erlangs).sum();
    let peak = loads.iter().map(Load::erlangs).fold(0.0, f64::max);

    // Warm-up, then best of several runs.
    let mut best = f64::INFINITY;
    let mut positions = 0u64;
    for _ in 0..15 {
        let t0 = Instant::now();
        let reqs = staffing::required_all(black_box(&loads), &policy);
        let dt = t0.elapsed().as_secs_f64() * 1e3;
        positions = reqs.iter().map(|r| u64::from(r.positions)).sum();
        black_box(&reqs);
        best = best.min(dt);
    }
    println!(
        "staffing: {} intervals (mean {:.1} Erl, peak {:.1} Erl), 80/20, occ 0.90, shrink 0.30: best {:.3} ms ({:.0} ns/interval), {} position-intervals",
        loads.len(),
        total_erl / loads.len() as f64,
        peak,
        best,
        best * 1e6 / loads.len() as f64,
        positions
    );

    let cases = [
        (
            "typical: 500 calls/30 min, AHT 180 s, patience 120 s, N=50",
            500.0,
            180.0,
            120.0,
            50u32,
        ),
        (
            "large: 3000 calls/30 min, AHT 300 s, patience 180 s, N=500",
            3000.0,
            300.0,
            180.0,
            500u32,
        ),
        (
            "overload: 2000 calls/30 min, AHT 300 s, patience 60 s, N=250",
            2000.0,
            300.0,
            60.0,
            250u32,
        ),
    ];
    for (label, calls, aht, patience, n) in cases {
        let load = Load::new(calls, 1800.0, aht).expect("valid load");
        let reps = 20_000u32;
        let mut best_ns = f64::INFINITY;
        for _ in 0..5 {
            let t0 = Instant::now();
            for _ in 0..reps {
                black_box(erlang_a::evaluate(black_box(&load), patience, n, 20.0).expect("eval"));
            }
            best_ns = best_ns.min(t0.elapsed().as_secs_f64() * 1e9 / f64::from(reps));
        }
        println!("erlang A, {label}: {:.2} µs per evaluation", best_ns / 1e3);
    }

    let load = Load::from_erlangs(15_000.0, 300.0).expect("valid load");
    let t0 = Instant::now();
    let m = erlang_c::evaluate(&load, 20_000, 20.0).expect("eval");
    println!(
        "erlang C, A=15,000 Erl, N=20,000: {:.1} µs (P(wait)={:e})",
        t0.elapsed().as_secs_f64() * 1e6,
        m.p_wait
    );
}
