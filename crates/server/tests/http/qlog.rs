//! queue_log outcomes end to end through the router: system exits apart from abandons under
//! the latest standard definition and as abandons under version 1, in the KPI API, the
//! drill-down and the Control page; lines after a NUL run repaired; member names joined to
//! the sessions logged by interface, so occupancy counts the talk time.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};

use crate::helpers::{programme_json, TestApp};

/// 2026-01-01 10:00 UTC. SIP/201 joins ventas; call events name the member "Ana".
fn queue_log() -> String {
    let mut s = String::from(
        "\
1767261000|NONE|ventas|SIP/201|ADDMEMBER|
1767261600|q1|ventas|NONE|ENTERQUEUE||+56912345678|1
1767261610|q1|ventas|Ana|CONNECT|10|q1.2|3
1767261790|q1|ventas|Ana|COMPLETECALLER|10|180|1
1767261800|q2|ventas|NONE|ENTERQUEUE||+56987654321|1
1767261830|q2|ventas|NONE|ABANDON|1|1|30
1767261900|q3|ventas|NONE|ENTERQUEUE||+56911112222|1
",
    );
    // A crashed logger left NULs where line 8 was being written.
    s.push_str("1767261960|q3|ven");
    s.push_str(&"\0".repeat(64));
    s.push_str(
        "\
1767261960|q3|ventas|NONE|EXITWITHTIMEOUT|1|1|60
1767262000|q4|ventas|NONE|ENTERQUEUE||+56933334444|1
1767262002|q4|ventas|NONE|EXITEMPTY|1|1|2
1767265000|NONE|ventas|SIP/201|REMOVEMEMBER|
",
    );
    s
}

fn row<'a>(rows: &'a serde_json::Value, queue: &str) -> &'a serde_json::Value {
    rows.as_array()
        .unwrap()
        .iter()
        .find(|r| r["queue"] == queue)
        .unwrap_or_else(|| panic!("no row {queue}: {rows}"))
}

#[tokio::test]
async fn system_exits_are_shown_apart_and_counted_as_the_chosen_definition_says() {
    let app = TestApp::spawn().await;
    let m = app.user("jefa@x.cl", "manager", None).await;
    let res = app
        .api(
            Some(&m),
            Method::POST,
            "/programs",
            Some(programme_json("QLOG1", app.client_a)),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED);
    let imported = app
        .send(
            Request::post("/api/v1/programs/QLOG1/imports?source=queue-log&file_name=queue_log")
                .header(header::AUTHORIZATION, format!("Bearer {}", m.bearer))
                .body(Body::from(queue_log()))
                .unwrap(),
        )
        .await;
    assert_eq!(imported.status, StatusCode::CREATED, "{}", imported.body);
    let r = imported.json();
    assert_eq!(
        (r["imported"].as_u64(), r["rejected"].as_u64()),
        (Some(5), Some(0)),
        "{r}"
    );
    let batch = r["batch_id"].as_i64().unwrap();

    let kpis = |def: &'static str| {
        let app = &app;
        let m = &m;
        async move {
            let res = app
                .api(
                    Some(m),
                    Method::GET,
                    &format!("/programs/QLOG1/kpis?by=day&from=2026-01-01&to=2026-01-01{def}"),
                    None,
                )
                .await;
            assert_eq!(res.status, StatusCode::OK, "{}", res.body);
            res.json()
        }
    };
    // The default is the latest standard definition: exits are not abandons.
    let latest = kpis("").await;
    let v = row(&latest, "ventas");
    assert_eq!(v["definition"], "rumbo-standard@v2");
    let counts = |v: &serde_json::Value| {
        (
            v["offered"].as_u64().unwrap(),
            v["answered"].as_u64().unwrap(),
            v["abandoned"].as_u64().unwrap(),
            v["system_exits"].as_u64().unwrap(),
        )
    };
    assert_eq!(counts(v), (4, 1, 1, 2));
    assert_eq!(v["abandon_rate"], 0.25);
    assert_eq!(v["sl"], 0.25);
    // Version 1 is still there: the same counts, exits as abandons (EXITEMPTY at 2 s is short).
    let old = kpis("&definition=rumbo-standard@v1").await;
    let v1 = row(&old, "ventas");
    assert_eq!(counts(v1), (4, 1, 1, 2));
    assert_eq!(v1["abandon_rate"], 0.75);
    assert_eq!(v1["sl"], 1.0 / 3.0);
    // Ana's talk is in the occupancy of SIP/201's membership (programme-level row).
    let agents = row(&latest, "");
    assert_eq!(agents["occupancy"], 180.0 / 4000.0);

    let drill = app
        .api(
            Some(&m),
            Method::GET,
            &format!(
                "/programs/QLOG1/kpis/calls?queue=ventas&by=day&start={}",
                v["interval_start"]
            ),
            None,
        )
        .await
        .json();
    assert_eq!(
        (drill["abandoned"].as_u64(), drill["system_exits"].as_u64()),
        (Some(1), Some(2))
    );
    let outcomes: Vec<&str> = drill["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        ["answered", "abandoned", "system_exit", "system_exit"]
    );

    let page = app
        .get_page(
            Some(&m),
            "/programs/QLOG1/control?by=day&from=2026-01-01&to=2026-01-01",
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Salidas del sistema"),
        "card and table column"
    );
    let volume = page.body.split("<svg").nth(2).expect("volume chart");
    assert!(
        volume.contains("Salidas del sistema"),
        "a series of the volume chart"
    );
    assert!(
        page.body.contains("no son abandonos"),
        "the definition says how exits count"
    );
    let calls = app
        .get_page(
            Some(&m),
            &format!(
                "/programs/QLOG1/control/calls?queue=ventas&by=day&start={}",
                v["interval_start"]
            ),
        )
        .await;
    assert!(
        calls.body.contains("Salida del sistema"),
        "outcome of each call"
    );

    let detail = app
        .api(
            Some(&m),
            Method::GET,
            &format!("/programs/QLOG1/imports/{batch}"),
            None,
        )
        .await
        .json();
    let repaired: Vec<i64> = detail["issues"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "repaired")
        .map(|i| i["line"].as_i64().unwrap())
        .collect();
    assert_eq!(repaired, [8], "{detail}");
}
