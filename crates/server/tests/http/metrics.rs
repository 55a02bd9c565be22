//! Serving at scale: the Control page shows its table a page at a time, and `/metrics`: off by default and without the configured token (404, like an unknown path);
//! with it, Prometheus text with latency histograms per route pattern (never the raw URL),
//! answers per status class, import totals, the job queue, the pool and the result cache.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use rumbo_server::Config;

use crate::helpers::{programme_json, Resp, TestApp};

const TOKEN: &str = "metrics-token-for-tests";

async fn scrape(app: &TestApp, token: Option<&str>) -> Resp {
    let mut b = Request::get("/metrics");
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    app.send(b.body(Body::empty()).unwrap()).await
}

#[tokio::test]
async fn metrics_are_off_by_default_and_hidden_without_the_token() {
    let off = TestApp::spawn().await;
    assert_eq!(
        scrape(&off, Some(TOKEN)).await.status,
        StatusCode::NOT_FOUND
    );
    let on = TestApp::spawn_with(Config {
        metrics_token: Some(TOKEN.into()),
        ..Config::default()
    })
    .await;
    assert_eq!(scrape(&on, None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        scrape(&on, Some("metrics-token-for-testX")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(scrape(&on, Some(TOKEN)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn metrics_report_latency_per_route_pattern_imports_jobs_pool_and_cache() {
    let app = TestApp::spawn_with(Config {
        metrics_token: Some(TOKEN.into()),
        ..Config::default()
    })
    .await;
    let m = app.user("jefa@x.cl", "manager", None).await;
    let res = app
        .api(
            Some(&m),
            Method::POST,
            "/programs",
            Some(programme_json("METR-7", app.client_a)),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED);
    assert_eq!(
        app.get_page(Some(&m), "/programs/METR-7/control?by=day")
            .await
            .status,
        StatusCode::OK
    );
    let kpis = app
        .api(Some(&m), Method::GET, "/programs/METR-7/kpis?by=1h", None)
        .await;
    assert_eq!(kpis.status, StatusCode::OK);
    let res = scrape(&app, Some(TOKEN)).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.content_type().starts_with("text/plain; version=0.0.4"));
    let body = &res.body;
    for want in [
        "# TYPE rumbo_http_request_duration_seconds histogram",
        "rumbo_http_request_duration_seconds_bucket{route=\"/programs/{code}/control\",method=\"GET\",le=\"0.05\"}",
        "rumbo_http_request_duration_seconds_count{route=\"/programs/{code}/control\",method=\"GET\"}",
        "rumbo_http_request_duration_seconds_count{route=\"/api/v1/programs/{code}/kpis\",method=\"GET\"}",
        "rumbo_http_responses_total{route=\"/api/v1/programs\",method=\"POST\",status=\"2xx\"}",
        "rumbo_import_records_total ",
        "rumbo_import_batches_total ",
        "rumbo_jobs{status=\"queued\"} ",
        "rumbo_db_pool_max ",
        "rumbo_db_pool_idle ",
        "rumbo_result_cache_misses_total ",
    ] {
        assert!(body.contains(want), "missing {want} in:\n{body}");
    }
    assert!(
        !body.contains("METR-7"),
        "raw URLs (programme codes) never become labels"
    );
    // Every sample line is `name{labels} value` or `name value` with a number.
    for line in body
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let value = line.rsplit(' ').next().unwrap();
        assert!(value.parse::<f64>().is_ok(), "not a sample: {line}");
    }
}

#[tokio::test]
async fn the_control_table_is_paginated_and_its_pages_cover_every_row_once() {
    let app = TestApp::spawn().await;
    let m = app.user("jefa@x.cl", "manager", None).await;
    let res = app
        .api(
            Some(&m),
            Method::POST,
            "/programs",
            Some(programme_json("PAGE-1", app.client_a)),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED);
    // One call per 15 minutes over three days from 2026-01-05 03:00 UTC (00:00 in Santiago):
    // 288 rows of 15 minutes in one queue.
    let mut csv = String::from("call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome\n");
    for i in 0..288 {
        csv.push_str(&format!(
            "c{i},Q1,{},5,60,10,answered\n",
            1_767_582_000 + i * 900
        ));
    }
    let res = app
        .send(
            Request::post("/api/v1/programs/PAGE-1/imports?source=calls&file_name=calls.csv")
                .header(header::AUTHORIZATION, format!("Bearer {}", m.bearer))
                .body(Body::from(csv))
                .unwrap(),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let base = "/programs/PAGE-1/control?by=15m&from=2026-01-05&to=2026-01-07";
    let rows = |body: &str| body.matches("/control/calls?").count();
    let first = app.get_page(Some(&m), base).await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(
        first.body.contains("Filas 1 a 200 de 288"),
        "{}",
        first.body
    );
    assert_eq!(rows(&first.body), 200);
    assert!(first.body.contains("rel=\"next\""));
    assert!(!first.body.contains("rel=\"prev\""));
    let second = app.get_page(Some(&m), &format!("{base}&page=2")).await;
    assert!(second.body.contains("Filas 201 a 288 de 288"));
    assert_eq!(rows(&second.body), 88);
    assert!(second.body.contains("rel=\"prev\""));
    assert!(!second.body.contains("rel=\"next\""));
    // A page past the end shows the last one; nonsense, the first.
    let past = app.get_page(Some(&m), &format!("{base}&page=99")).await;
    assert_eq!(rows(&past.body), 88);
    let junk = app.get_page(Some(&m), &format!("{base}&page=x")).await;
    assert_eq!(rows(&junk.body), 200);
    // The API still returns every row.
    let api = app
        .api(
            Some(&m),
            Method::GET,
            "/programs/PAGE-1/kpis?by=15m&from=2026-01-05&to=2026-01-07",
            None,
        )
        .await;
    assert_eq!(api.json().as_array().unwrap().len(), 288);
}
