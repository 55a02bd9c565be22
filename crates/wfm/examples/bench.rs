//! Benchmark: staffing for a year of 15-minute intervals (35,040 rows, 80/20, max
//! occupancy 0.90, shrinkage 0.30) on the machine's cores and on one, and the cost of one
//! Erlang A evaluation. Run with `cargo run --release -p rumbo-wfm --example bench`
//! (`-- --runs N` for the number of staffing runs, `--write-loads FILE` to write the loads
//! as `calls,aht_s` for a peer to staff the same year; `scripts/bench-suite.sh` does).

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
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let runs: usize = arg("--runs").and_then(|v| v.parse().ok()).unwrap_or(15);
    let loads = year_of_intervals();
    if let Some(path) = arg("--write-loads") {
        let mut text = String::from("calls,aht_s\n");
        for l in &loads {
            text += &format!("{},{}\n", l.arrivals(), l.aht_s());
        }
        std::fs::write(&path, text).expect("write the loads");
    }
    let policy = Policy::service_level(20.0, 0.8, 0.90, 0.30).expect("valid policy");
    let total_erl: f64 = loads.iter().map(Load::erlangs).sum();
    let peak = loads.iter().map(Load::erlangs).fold(0.0, f64::max);
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);

    // Warm-up, then the runs, alternating all cores and one core.
    let mut times = Vec::new();
    let mut times_one = Vec::new();
    let mut positions = 0u64;
    let _ = staffing::required_all(black_box(&loads), &policy);
    for _ in 0..runs.max(1) {
        for (threads, into) in [(cores, &mut times), (1, &mut times_one)] {
            let t0 = Instant::now();
            let reqs = staffing::required_all_on(black_box(&loads), &policy, threads);
            into.push(t0.elapsed().as_secs_f64() * 1e3);
            positions = reqs.iter().map(|r| u64::from(r.positions)).sum();
            black_box(&reqs);
        }
    }
    let best = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    let median = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "staffing: {} intervals (mean {:.1} Erl, peak {:.1} Erl), 80/20, occ 0.90, shrink 0.30: best {:.3} ms, median {:.3} ms on {cores} threads; one thread best {:.3} ms ({:.0} ns/interval); {} position-intervals",
        loads.len(),
        total_erl / loads.len() as f64,
        peak,
        best(&times),
        median(&times),
        best(&times_one),
        best(&times_one) * 1e6 / loads.len() as f64,
        positions
    );
    let list = |v: &[f64]| {
        v.iter()
            .map(|t| format!("{t:.4}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    println!("STAFFING_MS {}", list(&times));
    println!("STAFFING_ONE_THREAD_MS {}", list(&times_one));
    println!("STAFFING_POSITIONS {positions}");

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
