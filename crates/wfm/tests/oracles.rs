//! Reference-table tests: every row of the oracle CSVs in `tests/data/` (computed independently with
//! 50-digit arithmetic) must be reproduced within the stated tolerances; agent counts exactly.

use std::collections::HashMap;

use rumbo_wfm::staffing::{self, Policy};
use rumbo_wfm::{erlang_a, erlang_c, Load};

/// Tolerances, named once (as in statrs' `prec`).
mod prec {
    /// Erlang C P(wait) and SL: absolute.
    pub const ERLANG_C_ABS: f64 = 1e-12;
    /// Erlang C ASA: relative.
    pub const ERLANG_C_ASA_REL: f64 = 1e-9;
    /// Erlang A, every column: absolute for probabilities, relative for times above 1 s.
    pub const ERLANG_A: f64 = 1e-9;
    /// Staffing metrics reported at raw agents (same as Erlang C).
    pub const STAFFING_ABS: f64 = 1e-12;
}

fn oracle(name: &str) -> Vec<HashMap<String, String>> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let mut rdr = csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let headers = rdr.headers().expect("header").clone();
    rdr.records()
        .map(|r| {
            let r = r.expect("record");
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn num(row: &HashMap<String, String>, col: &str) -> f64 {
    let v = row
        .get(col)
        .unwrap_or_else(|| panic!("missing column {col}"));
    match v.as_str() {
        "inf" => f64::INFINITY,
        s => s.parse().unwrap_or_else(|_| panic!("{col}={s}")),
    }
}

fn close_abs(got: f64, want: f64, tol: f64) -> bool {
    if want.is_infinite() {
        return got == want;
    }
    (got - want).abs() <= tol
}

fn close_rel(got: f64, want: f64, tol: f64) -> bool {
    if want.is_infinite() {
        return got == want;
    }
    (got - want).abs() <= tol * want.abs().max(f64::MIN_POSITIVE)
}

fn load_of(row: &HashMap<String, String>) -> Load {
    Load::new(
        num(row, "arrivals"),
        num(row, "interval_s"),
        num(row, "aht_s"),
    )
    .expect("valid load")
}

#[test]
fn erlang_c_matches_every_reference_row() {
    let rows = oracle("erlang_c.csv");
    assert_eq!(rows.len(), 2000);
    let mut failures = Vec::new();
    for row in &rows {
        let n = num(row, "agents") as u32;
        let m = erlang_c::evaluate(&load_of(row), n, num(row, "target_s")).expect("evaluate");
        let ok = close_abs(m.p_wait, num(row, "pw_ref"), prec::ERLANG_C_ABS)
            && close_abs(m.service_level, num(row, "sl_ref"), prec::ERLANG_C_ABS)
            && close_rel(m.asa_s, num(row, "asa_ref_s"), prec::ERLANG_C_ASA_REL)
            && close_abs(m.occupancy, num(row, "occupancy_ref"), prec::ERLANG_C_ABS);
        if !ok {
            failures.push(format!(
                "case {}: got pw={:e} sl={:e} asa={:e}; want pw={} sl={} asa={}",
                row["case_id"],
                m.p_wait,
                m.service_level,
                m.asa_s,
                row["pw_ref"],
                row["sl_ref"],
                row["asa_ref_s"]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures[..failures.len().min(10)].join("\n")
    );
}

#[test]
fn erlang_c_edge_cases_match_reference_without_panics() {
    let rows = oracle("erlang_c_edge.csv");
    assert_eq!(rows.len(), 33);
    for row in &rows {
        let n = num(row, "agents") as u32;
        let m = erlang_c::evaluate(&load_of(row), n, num(row, "target_s")).expect("evaluate");
        assert!(
            close_abs(m.p_wait, num(row, "pw_ref"), prec::ERLANG_C_ABS),
            "{row:?} {m:?}"
        );
        assert!(
            close_abs(m.service_level, num(row, "sl_ref"), prec::ERLANG_C_ABS),
            "{row:?} {m:?}"
        );
        assert!(
            close_rel(m.asa_s, num(row, "asa_ref_s"), prec::ERLANG_C_ASA_REL),
            "{row:?} {m:?}"
        );
        assert!(m.occupancy <= 1.0 && m.p_wait <= 1.0);
    }
}

#[test]
fn staffing_matches_every_reference_row_exactly() {
    let rows = oracle("staffing.csv");
    assert_eq!(rows.len(), 3980);
    let mut failures = Vec::new();
    for row in &rows {
        let policy = Policy::service_level(
            num(row, "target_s"),
            num(row, "sl_target"),
            num(row, "max_occupancy"),
            num(row, "shrinkage"),
        )
        .expect("policy");
        let r = staffing::required(&load_of(row), &policy);
        let counts = (
            r.agents_target,
            r.agents_occupancy,
            r.raw_agents,
            r.positions,
        );
        let want = (
            num(row, "ref_n_sl") as u32,
            num(row, "ref_n_occ") as u32,
            num(row, "ref_raw") as u32,
            num(row, "ref_positions") as u32,
        );
        let metrics_ok = close_abs(r.service_level, num(row, "ref_sl"), prec::STAFFING_ABS)
            && close_abs(r.p_wait, num(row, "ref_pw"), prec::STAFFING_ABS)
            && close_abs(r.occupancy, num(row, "ref_occupancy"), prec::STAFFING_ABS)
            && close_rel(r.asa_s, num(row, "ref_asa_s"), prec::ERLANG_C_ASA_REL);
        if counts != want || !metrics_ok {
            failures.push(format!(
                "case {} ({}): got {counts:?} {r:?}; want {want:?}",
                row["case_id"], row["kind"]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures[..failures.len().min(10)].join("\n")
    );
}

#[test]
fn erlang_a_matches_every_reference_row() {
    let rows = oracle("erlang_a.csv");
    assert_eq!(rows.len(), 800);
    type Getter = fn(&erlang_a::Metrics) -> f64;
    let cols: [(&str, Getter); 10] = [
        ("p_wait", |m| m.p_wait),
        ("p_ab", |m| m.p_abandon),
        ("p_ab_le_t", |m| m.p_abandon_within),
        ("sl_offered", |m| m.sl_offered),
        ("sl_answered", |m| m.sl_answered),
        ("sl_excl_ab_le_t", |m| m.sl_excluding_short_abandons),
        ("sl_virtual", |m| m.sl_virtual),
        ("asa_answered_s", |m| m.asa_answered_s),
        ("avg_wait_all_s", |m| m.avg_wait_all_s),
        ("occupancy", |m| m.occupancy),
    ];
    let mut failures = Vec::new();
    let mut worst = 0.0_f64;
    for row in &rows {
        let m = erlang_a::evaluate(
            &load_of(row),
            num(row, "patience_s"),
            num(row, "agents") as u32,
            num(row, "target_s"),
        )
        .expect("evaluate");
        for (col, get) in cols {
            let want = num(row, col);
            let got = get(&m);
            // Probabilities: absolute; times in seconds: relative to max(1, |want|).
            let e = (got - want).abs() / want.abs().max(1.0);
            worst = worst.max(e);
            if (got - want).abs() > prec::ERLANG_A * want.abs().max(1.0) {
                failures.push(format!(
                    "case {} {col}: got {got:e} want {want:e}",
                    row["case_id"]
                ));
            }
        }
    }
    eprintln!("erlang_a worst scaled error: {worst:e}");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures[..failures.len().min(12)].join("\n")
    );
}
