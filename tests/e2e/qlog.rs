//! queue_log outcomes from the command line: `rumbo import queue-log` of a file with a NUL run
//! and system exits, then `rumbo kpi --program` under the latest standard definition (exits
//! apart from abandons) and under version 1 (exits as abandons).

use crate::util::{http, Dir};

const CODE: &str = "RET-TC-2026";

fn ventas(dir: &Dir, definition: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "kpi",
        "--program",
        CODE,
        "--from",
        "2026-01-01",
        "--to",
        "2026-01-31",
        "--by",
        "month",
        "--format",
        "json",
    ];
    args.extend_from_slice(definition);
    let rows: serde_json::Value = serde_json::from_str(&dir.run_ok(&args)).unwrap();
    rows.as_array()
        .unwrap()
        .iter()
        .find(|r| r["queue"] == "QLOG-VENTAS")
        .cloned()
        .unwrap_or_else(|| panic!("no QLOG-VENTAS row in {rows}"))
}

#[test]
fn the_cli_imports_a_damaged_queue_log_and_reports_system_exits_under_both_definitions() {
    let dir = Dir::new();
    let server = dir.serve(&[]);
    assert_eq!(http(&server.url, "GET", "/readyz", &[], None).0, 200);
    assert!(server.stop_gracefully().success());
    let mut log = b"\
1767261600|e1|QLOG-VENTAS|NONE|ENTERQUEUE||+56912345678|1
1767261610|e1|QLOG-VENTAS|Ana|CONNECT|10|e1.2|3
1767261790|e1|QLOG-VENTAS|Ana|COMPLETECALLER|10|180|1
1767261800|e2|QLOG-VENTAS|NONE|ENTERQUEUE||+56987654321|1
"
    .to_vec();
    log.extend_from_slice(&[0u8; 128]);
    log.extend_from_slice(
        b"\
1767261830|e2|QLOG-VENTAS|NONE|EXITWITHTIMEOUT|1|1|30
1767261900|e3|QLOG-VENTAS|NONE|ENTERQUEUE||+56911112222|1
1767261960|e3|QLOG-VENTAS|NONE|ABANDON|1|1|60
",
    );
    std::fs::write(dir.path().join("queue_log"), log).unwrap();
    let out = dir.run_ok(&["import", "queue-log", "queue_log", "--program", CODE]);
    assert!(out.contains("3 imported"), "{out}");

    let v2 = ventas(&dir, &[]);
    assert_eq!(v2["definition_version"], 2, "{v2}");
    assert_eq!(
        (&v2["offered"], &v2["abandoned"], &v2["system_exits"]),
        (&3.into(), &1.into(), &1.into()),
        "caller abandons and system exits apart, whatever the definition"
    );
    assert_eq!(v2["abandon_rate"], 1.0 / 3.0);
    let v1 = ventas(&dir, &["--definition", "rumbo-standard@v1"]);
    assert_eq!(v1["definition_version"], 1);
    assert_eq!(v1["abandon_rate"], 2.0 / 3.0);
}
