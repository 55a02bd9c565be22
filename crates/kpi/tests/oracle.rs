//! The KPI fixture oracle: the standard definition applied to
//! `tests/data/kpi_fixture_calls.csv` reproduces `kpi_fixture_expected.csv`
//! byte for byte (same rows, same order, same float spelling).

use rumbo_kpi::{format, Aggregator, Bucketer, CallFacts, Granularity, KpiDefinition, Outcome};

const CALLS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/kpi_fixture_calls.csv"
);
const EXPECTED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/kpi_fixture_expected.csv"
);

#[test]
fn standard_definition_reproduces_the_kpi_fixture_exactly() {
    let calls = std::fs::read_to_string(CALLS).expect("oracle calls file");
    let expected = std::fs::read_to_string(EXPECTED).expect("oracle expected file");
    let def = KpiDefinition::standard();
    let mut agg = Aggregator::new(def.clone(), Bucketer::utc(Granularity::Minutes(15)));
    let mut lines = calls.lines();
    assert_eq!(
        lines.next(),
        Some("call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome")
    );
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        let facts = CallFacts {
            enter_ts: f[2].parse().unwrap(),
            wait_s: f[3].parse().unwrap(),
            talk_s: f[4].parse().unwrap(),
            hold_s: 0.0,
            wrap_s: f[5].parse().unwrap(),
            outcome: Outcome::parse(f[6]).unwrap(),
            sale: false,
        };
        agg.add_facts(f[1], &facts).unwrap();
    }
    let mut out = format::interval_csv_header(&def);
    out.push('\n');
    for ((q, start), a) in agg.sorted_rows() {
        out.push_str(&format::interval_csv_row(q, *start, a, &def));
        out.push('\n');
    }
    let exp_lines: Vec<&str> = expected.lines().collect();
    let got_lines: Vec<&str> = out.lines().collect();
    for (i, (g, e)) in got_lines.iter().zip(&exp_lines).enumerate() {
        assert_eq!(g, e, "line {}", i + 1);
    }
    assert_eq!(got_lines.len(), exp_lines.len());
}
