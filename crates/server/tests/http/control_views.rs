//! The Control page's service-level heat-map per weekday and hour, and its API, on generated
//! calls with one known weak slot.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{programme_json, TestApp, Who};

/// Monday 2026-01-05 00:00 UTC; Santiago is UTC−3 in January.
const MONDAY_UTC: i64 = 1_767_571_200;
const OFFSET_S: i64 = 3 * 3600;

/// Two working weeks (Monday 5 to Friday 16 January 2026), 09:00–17:59 local, four calls an
/// hour answered within 5 s, except Monday 10:00 where three of the four wait 60 s.
fn two_weeks_with_a_weak_monday_ten() -> String {
    working_days(12)
}

/// `days` days from Monday 5 January 2026, weekdays only, as in
/// [`two_weeks_with_a_weak_monday_ten`].
fn working_days(days: i64) -> String {
    let mut s = String::from("call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome\n");
    for day in (0..days).filter(|d| d % 7 < 5) {
        for hour in 9..=17 {
            for k in 0..4 {
                let ts = MONDAY_UTC + day * 86_400 + hour * 3600 + OFFSET_S + k * 600;
                let wait = if day % 7 == 0 && hour == 10 && k < 3 {
                    60
                } else {
                    5
                };
                s.push_str(&format!(
                    "C{day}-{hour}-{k},ventas,{ts},{wait},180,20,answered\n"
                ));
            }
        }
    }
    s
}

async fn setup() -> (TestApp, Who) {
    setup_with(&two_weeks_with_a_weak_monday_ten()).await
}

async fn setup_with(calls: &str) -> (TestApp, Who) {
    let app = TestApp::spawn().await;
    let m = app.user("jefa@x.cl", "manager", None).await;
    let mut p = programme_json("HEAT1", app.client_a);
    p["start_date"] = "2025-12-01".into();
    p["end_date"] = "2026-12-31".into();
    let res = app.api(Some(&m), Method::POST, "/programs", Some(p)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let o = app
        .api(
            Some(&m),
            Method::POST,
            "/programs/HEAT1/objectives",
            Some(json!({ "title": "Atender a tiempo" })),
        )
        .await;
    assert_eq!(o.status, StatusCode::CREATED, "{}", o.body);
    let owner = app
        .api(
            Some(&m),
            Method::POST,
            "/people",
            Some(json!({ "name": "Jefa", "org_role": "Jefa de Call Center" })),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let t = app
        .api(
            Some(&m),
            Method::POST,
            "/programs/HEAT1/targets",
            Some(json!({
                "objective_id": o.json()["id"], "indicator": "service_level", "target": 80,
                "direction": "higher", "tolerance": 5, "granularity": "day",
                "period_start": "2025-12-01", "period_end": "2026-12-31", "owner_id": owner
            })),
        )
        .await;
    assert_eq!(t.status, StatusCode::CREATED, "{}", t.body);
    let res = app
        .send(
            Request::post("/api/v1/programs/HEAT1/imports?source=calls&file_name=llamadas.csv")
                .header(header::AUTHORIZATION, format!("Bearer {}", m.bearer))
                .body(Body::from(calls.to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    (app, m)
}

/// ISO weekday (1 = Monday) and local hour of an interval start.
fn weekday_hour(start: i64) -> (i64, i64) {
    let local = start - OFFSET_S;
    let days = local.div_euclid(86_400);
    (
        (days + 3).rem_euclid(7) + 1,
        local.rem_euclid(86_400) / 3600,
    )
}

fn cell<'a>(cells: &'a [Value], weekday: i64, slot: &str) -> &'a Value {
    cells
        .iter()
        .find(|c| c["weekday"] == weekday && c["slot"] == slot)
        .unwrap_or_else(|| panic!("no cell {weekday} {slot}"))
}

#[tokio::test]
async fn the_heat_map_shows_the_weak_monday_slot_below_target_with_the_aggregates_figures() {
    let (app, m) = setup().await;
    let period = "from=2026-01-05&to=2026-01-16";
    let res = app
        .api(
            Some(&m),
            Method::GET,
            &format!("/programs/HEAT1/kpis/heatmap?{period}"),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let h = res.json();
    assert_eq!(h["sl_target"], 80.0, "{h}");
    let cells = h["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 5 * 9, "five weekdays × nine hours: {h}");
    let weak = cell(cells, 1, "10:00");
    assert_eq!(weak["offered"], 8);
    assert_eq!(weak["answered_within_t"], 2);
    assert_eq!(weak["sl"], 0.25);
    assert_eq!(weak["below_target"], true);
    let below: Vec<&Value> = cells.iter().filter(|c| c["below_target"] == true).collect();
    assert_eq!(below.len(), 1, "only Monday 10:00 is weak: {below:?}");
    assert_eq!(cell(cells, 1, "09:00")["sl"], 1.0);
    assert_eq!(cell(cells, 2, "10:00")["below_target"], false);

    // Every cell equals the hourly aggregates of its weekday and hour, summed.
    let rows = app
        .api(
            Some(&m),
            Method::GET,
            &format!("/programs/HEAT1/kpis?by=1h&{period}"),
            None,
        )
        .await
        .json();
    for c in cells {
        let (mut offered, mut within) = (0, 0);
        for r in rows.as_array().unwrap() {
            let (w, hour) = weekday_hour(r["interval_start"].as_i64().unwrap());
            if c["weekday"] == w && c["slot"] == format!("{hour:02}:00") {
                offered += r["offered"].as_u64().unwrap();
                within += r["answered_within_t"].as_u64().unwrap();
            }
        }
        assert_eq!(
            (c["offered"].as_u64(), c["answered_within_t"].as_u64()),
            (Some(offered), Some(within)),
            "{c}"
        );
        assert_eq!(
            c["sl"].as_f64(),
            Some(within as f64 / offered as f64),
            "{c}"
        );
    }

    // The page shows the same cell with its value and status in words, in both languages.
    let page = app
        .get_page(Some(&m), &format!("/programs/HEAT1/control?{period}"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page
        .body
        .contains("Nivel de servicio por día de la semana y hora"));
    assert!(
        page.body
            .contains("<title>Lunes 10:00: 25 % (Bajo la meta)</title>"),
        "{}",
        page.body
    );
    assert!(page
        .body
        .contains("<title>Martes 10:00: 100 % (En meta)</title>"));
    assert_eq!(
        page.body.matches("class=\"cell slot-below\"").count(),
        2,
        "the cell and the legend"
    );
    // No history before the period: no forecast, and the page says why.
    assert!(page
        .body
        .contains("No hay historia suficiente antes de este período"));
}

#[tokio::test]
async fn the_heat_map_api_refuses_a_period_that_ends_before_it_starts() {
    let (app, m) = setup().await;
    let res = app
        .api(
            Some(&m),
            Method::GET,
            "/programs/HEAT1/kpis/heatmap?from=2026-01-16&to=2026-01-05",
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
}

#[tokio::test]
async fn five_weeks_of_history_give_a_forecast_of_the_last_week_beside_its_actual_volume() {
    // Five weeks: Monday 5 January to Friday 6 February 2026; the last week is compared.
    let (app, m) = setup_with(&working_days(33)).await;
    let period = "from=2026-02-02&to=2026-02-08";
    let res = app
        .api(
            Some(&m),
            Method::GET,
            &format!("/programs/HEAT1/kpis/forecast?{period}"),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let v = res.json();
    assert_eq!(v["cut_off"], "2026-02-02", "{v}");
    let points = v["points"].as_array().unwrap();
    let actual: u64 = points.iter().map(|p| p["actual"].as_u64().unwrap()).sum();
    let total = app
        .api(
            Some(&m),
            Method::GET,
            &format!("/programs/HEAT1/kpis/total?{period}"),
            None,
        )
        .await
        .json();
    assert_eq!(Some(actual), total["offered"].as_u64(), "{total}");
    assert_eq!(actual, 5 * 9 * 4);
    let error: f64 = points
        .iter()
        .map(|p| (p["actual"].as_f64().unwrap() - p["forecast"].as_f64().unwrap()).abs())
        .sum();
    assert!(
        error / (actual as f64) < 0.2,
        "four identical weeks forecast the fifth within 20 % WAPE: {}",
        error / actual as f64
    );

    let page = app
        .get_page(Some(&m), &format!("/programs/HEAT1/control?{period}"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Volumen pronosticado y real"));
    assert!(
        page.body.contains("anteriores al 02-02-2026"),
        "{}",
        page.body
    );
    assert!(page
        .body
        .contains("Llamadas recibidas y pronosticadas por hora"));
    assert!(!page.body.contains("No hay historia suficiente"));
}
