//! Page speed on the demo: every main page of the demo programme, rendered in-process through
//! the whole router (session, access checks, database, maud), timed `RUNS` times each in both
//! languages; prints the median and the 95th percentile per page.
//!
//! `cargo run --release -p rumbo-server --example bench_pages` (SQLite in a temporary folder;
//! set `DATABASE_URL` for PostgreSQL). Figures: docs/benchmarks.md, "Page speed on the demo".

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use rumbo_app::credentials as auth;
use rumbo_server::{app, AppState, Config};
use tower::ServiceExt;

const RUNS: usize = 60;

const PAGES: &[&str] = &[
    "/",
    "/programs",
    "/planning",
    "/planning/staffing",
    "/control",
    "/reports",
    "/programs/VIDA-2026",
    "/programs/VIDA-2026/plan",
    "/programs/VIDA-2026/control?by=day&from=2026-04-01&to=2026-04-30",
    "/programs/VIDA-2026/control",
    "/programs/VIDA-2026/imports",
    "/programs/VIDA-2026/alarms",
    "/programs/VIDA-2026/actions",
    "/programs/VIDA-2026/mappings",
    "/admin",
];

#[tokio::main]
async fn main() {
    let store = rumbo_store::testing::fresh_store()
        .await
        .expect("a database");
    let data = std::env::temp_dir().join(format!("rumbo-bench-pages-{}", std::process::id()));
    let use_cases = rumbo_app::App::new(
        store.clone(),
        rumbo_app::Settings {
            data_dir: data.clone(),
            ..Default::default()
        },
    );
    use_cases.seed_demo_if_empty().await.expect("the demo");
    let router = app(AppState::new(use_cases, Config::default()));
    let user = store
        .user_by_email("jefa@demo.rumbo.cl")
        .await
        .expect("the demo manager")
        .user;
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("load average before: {}", load.trim());
    println!("{:<70} {:>10} {:>10}", "page (lang)", "median ms", "p95 ms");
    let mut medians = Vec::new();
    for lang in ["es", "en"] {
        store.set_user_lang(user.id, lang).await.unwrap();
        let token = auth::new_token();
        store
            .create_session(&auth::token_hash(&token), user.id, &auth::new_token(), 3600)
            .await
            .unwrap();
        let cookie = format!("{}={token}", rumbo_server::http::auth::SESSION_COOKIE);
        for page in PAGES {
            let mut times: Vec<Duration> = Vec::with_capacity(RUNS);
            for _ in 0..RUNS + 3 {
                let req = Request::get(*page)
                    .header(header::COOKIE, &cookie)
                    .body(Body::empty())
                    .unwrap();
                let t = Instant::now();
                let res = router.clone().oneshot(req).await.unwrap();
                let status = res.status();
                let _ = res.into_body().collect().await.unwrap();
                times.push(t.elapsed());
                assert_eq!(status, StatusCode::OK, "{page}");
            }
            // The first requests warm caches; they are not counted.
            let mut times = times.split_off(3);
            times.sort();
            let ms = |d: Duration| d.as_secs_f64() * 1000.0;
            let median = ms(times[times.len() / 2]);
            let p95 = ms(times[times.len() * 95 / 100]);
            medians.push(median);
            println!(
                "{:<70} {median:>10.2} {p95:>10.2}",
                format!("{page} ({lang})")
            );
        }
    }
    medians.sort_by(f64::total_cmp);
    println!(
        "slowest median: {:.2} ms; median of medians: {:.2} ms",
        medians.last().copied().unwrap_or(0.0),
        medians[medians.len() / 2]
    );
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("load average after: {}", load.trim());
    let _ = std::fs::remove_dir_all(&data);
}
