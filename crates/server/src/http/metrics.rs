//! `/metrics`: Prometheus text exposition, off unless a token is configured
//! (`rumbo serve --metrics-token`, `RUMBO_METRICS_TOKEN`), then only with
//! `Authorization: Bearer <token>`; otherwise the route answers 404 like any unknown path.
//!
//! Request latency histograms per route (the matched route pattern such as
//! `/programs/{code}/control`, never the raw URL, so label sets stay bounded) and answers per
//! route and status class are kept by this process; import totals, the job queue and the
//! pool come from the database and the pool at scrape time (`rumbo_app::ops`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::state::AppState;

/// Upper bounds of the latency buckets, seconds.
const BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct Registry {
    latency: BTreeMap<(String, &'static str), Histogram>,
    answers: BTreeMap<(String, &'static str, &'static str), u64>,
}

/// This process's request figures (per process by nature: Prometheus scrapes each server).
fn registry() -> &'static Mutex<Registry> {
    static R: OnceLock<Mutex<Registry>> = OnceLock::new();
    R.get_or_init(Mutex::default)
}

fn class(s: StatusCode) -> &'static str {
    match s.as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

fn method_label(m: &axum::http::Method) -> &'static str {
    match m.as_str() {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "HEAD" => "HEAD",
        _ => "OTHER",
    }
}

/// Middleware: times every routed request under its route pattern (`unmatched` for paths no
/// route knows).
pub async fn record(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let method = method_label(req.method());
    let t = Instant::now();
    let res = next.run(req).await;
    let secs = t.elapsed().as_secs_f64();
    let mut r = registry().lock().unwrap_or_else(|e| e.into_inner());
    let h = r.latency.entry((route.clone(), method)).or_default();
    h.count += 1;
    h.sum += secs;
    if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
        h.counts[i] += 1;
    }
    *r.answers
        .entry((route, method, class(res.status())))
        .or_default() += 1;
    res
}

/// Escapes a label value (backslash, quote, newline).
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Equal-time comparison of the presented token with the configured one.
fn token_matches(headers: &HeaderMap, want: &str) -> bool {
    let Some(got) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    let (a, b) = (got.as_bytes(), want.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `GET /metrics`.
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(want) = state.config.metrics_token.as_deref() else {
        return super::error::AppError::NotFound.into_response();
    };
    if !token_matches(&headers, want) {
        return super::error::AppError::NotFound.into_response();
    }
    let mut out = String::with_capacity(16 * 1024);
    {
        let r = registry().lock().unwrap_or_else(|e| e.into_inner());
        out.push_str("# HELP rumbo_http_request_duration_seconds Time to answer a request, per route pattern.\n");
        out.push_str("# TYPE rumbo_http_request_duration_seconds histogram\n");
        for ((route, method), h) in &r.latency {
            let route = label(route);
            let mut cumulative = 0;
            for (b, n) in BUCKETS.iter().zip(h.counts) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "rumbo_http_request_duration_seconds_bucket{{route=\"{route}\",method=\"{method}\",le=\"{b}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "rumbo_http_request_duration_seconds_bucket{{route=\"{route}\",method=\"{method}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "rumbo_http_request_duration_seconds_sum{{route=\"{route}\",method=\"{method}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "rumbo_http_request_duration_seconds_count{{route=\"{route}\",method=\"{method}\"}} {}",
                h.count
            );
        }
        out.push_str("# HELP rumbo_http_responses_total Answers per route pattern and status class (5xx includes 503 for a saturated or unreachable database pool).\n");
        out.push_str("# TYPE rumbo_http_responses_total counter\n");
        for ((route, method, class), n) in &r.answers {
            let _ = writeln!(
                out,
                "rumbo_http_responses_total{{route=\"{}\",method=\"{method}\",status=\"{class}\"}} {n}",
                label(route)
            );
        }
    }
    match state.app.ops_counts().await {
        Ok(o) => {
            let gauge = |out: &mut String, name: &str, help: &str, kind: &str, v: i64| {
                let _ = writeln!(
                    out,
                    "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}"
                );
            };
            gauge(
                &mut out,
                "rumbo_import_batches_total",
                "Committed import batches (all programmes); rate() gives batches per second.",
                "counter",
                o.batches,
            );
            gauge(
                &mut out,
                "rumbo_import_records_total",
                "Records imported by committed batches; rate() gives the import throughput.",
                "counter",
                o.imported,
            );
            gauge(
                &mut out,
                "rumbo_import_lines_read_total",
                "Lines read by committed imports.",
                "counter",
                o.lines_read,
            );
            out.push_str("# HELP rumbo_jobs Background jobs per status; queued is the queue depth.\n# TYPE rumbo_jobs gauge\n");
            for status in ["queued", "running", "done", "failed"] {
                let n = o.jobs.iter().find(|(s, _)| s == status).map_or(0, |j| j.1);
                let _ = writeln!(out, "rumbo_jobs{{status=\"{status}\"}} {n}");
            }
            gauge(
                &mut out,
                "rumbo_db_pool_connections",
                "Open database connections of this server.",
                "gauge",
                i64::from(o.pool_size),
            );
            gauge(&mut out, "rumbo_db_pool_idle", "Idle database connections; 0 with connections at the bound means requests wait for one (at most 1.5 s, then 503).", "gauge", i64::from(o.pool_idle));
            gauge(
                &mut out,
                "rumbo_db_pool_max",
                "The pool's bound.",
                "gauge",
                i64::from(o.pool_max),
            );
        }
        Err(e) => {
            tracing::warn!(error = %e, "metrics: database counts unavailable");
            out.push_str("# rumbo_import_* and rumbo_jobs unavailable: database unreachable\n");
        }
    }
    let c = state.app.cache_stats();
    let _ = writeln!(
        out,
        "# HELP rumbo_result_cache_hits_total KPI results served from this server's cache.\n# TYPE rumbo_result_cache_hits_total counter\nrumbo_result_cache_hits_total {}\n# HELP rumbo_result_cache_misses_total KPI results computed.\n# TYPE rumbo_result_cache_misses_total counter\nrumbo_result_cache_misses_total {}\n# HELP rumbo_result_cache_entries Entries in this server's result cache.\n# TYPE rumbo_result_cache_entries gauge\nrumbo_result_cache_entries {}",
        c.hits, c.misses, c.entries
    );
    (
        [
            (
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        out,
    )
        .into_response()
}
