//! Live operations through the router: a watcher (its own `App` over the same database, as a
//! separate process would be) follows a growing queue_log with a rotation in the middle, and
//! the wallboard's event stream shows each change within 2 s; a restarted watcher imports
//! nothing twice and counts nothing twice. Also the wallboard page, its settings form, the
//! masking of callers' numbers and the access matrix of the live routes.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt;
use rumbo_app::live::follow::{FollowOptions, FollowStats};
use tower::ServiceExt;

use crate::helpers::{TestApp, Who};

const WITHIN: Duration = Duration::from_secs(2);

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// Creates programme `code` running around today (imports refuse times outside its dates).
async fn live_programme(app: &TestApp, who: &Who, code: &str) {
    let today = jiff::Zoned::now().date();
    let from = today.checked_sub(jiff::Span::new().days(30)).unwrap();
    let to = today.checked_add(jiff::Span::new().days(30)).unwrap();
    let res = app
        .api(
            Some(who),
            Method::POST,
            "/programs",
            Some(serde_json::json!({
                "code": code, "name": "En vivo", "client_id": app.client_a,
                "channels": ["voice_inbound"], "start_date": from.to_string(),
                "end_date": to.to_string()
            })),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
}

/// The watcher's use cases: over the same database, data folder and caller keys as the
/// server's (a separate process is configured alike).
fn watcher_app(app: &TestApp, _dir: &Path) -> rumbo_app::App {
    app.app.clone()
}

fn fast() -> FollowOptions {
    FollowOptions {
        poll: Duration::from_millis(50),
        publish_every: Duration::from_millis(50),
        batch_lines: 1_000,
        import_every: Duration::from_millis(200),
        settle: Duration::from_millis(100),
        ..FollowOptions::default()
    }
}

/// Runs a follower until the returned sender is used.
fn spawn_follower(
    watcher: rumbo_app::App,
    code: &str,
    path: &Path,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<FollowStats>,
) {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let code = code.to_string();
    let path = path.to_path_buf();
    let h = tokio::spawn(async move {
        watcher
            .follow_queue_log(&code, &path, fast(), async move {
                let _ = rx.await;
            })
            .await
            .expect("follower")
    });
    (tx, h)
}

fn append(path: &Path, lines: &[String]) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    for l in lines {
        writeln!(f, "{l}").unwrap();
    }
    f.flush().unwrap();
}

/// An open event stream, read event by event.
struct Stream {
    body: Body,
    buf: String,
}

impl Stream {
    async fn open(app: &TestApp, who: &Who, code: &str) -> Stream {
        let req = Request::get(format!("/api/v1/programs/{code}/live/events"))
            .header(header::AUTHORIZATION, format!("Bearer {}", who.bearer))
            .body(Body::empty())
            .unwrap();
        let res = app.router.clone().oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(
            res.headers()[header::CONTENT_TYPE],
            "text/event-stream",
            "an event stream"
        );
        Stream {
            body: res.into_body(),
            buf: String::new(),
        }
    }

    /// The next `board` event's JSON, if one comes before `deadline`.
    async fn next(&mut self, deadline: Instant) -> Option<serde_json::Value> {
        loop {
            if let Some(i) = self.buf.find("\n\n") {
                let event: String = self.buf.drain(..i + 2).collect();
                let data: String = event
                    .lines()
                    .filter_map(|l| l.strip_prefix("data: "))
                    .collect();
                if event.contains("event: board") {
                    return serde_json::from_str(&data).ok();
                }
                continue;
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            let frame = tokio::time::timeout(left, self.body.frame()).await.ok()??;
            if let Ok(bytes) = frame.unwrap().into_data() {
                self.buf.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
    }

    /// Waits (at most 2 s from now) for an event whose board satisfies `ok`.
    async fn expect(&mut self, what: &str, ok: impl Fn(&serde_json::Value) -> bool) {
        let start = Instant::now();
        let deadline = start + WITHIN;
        let mut last = None;
        while let Some(b) = self.next(deadline).await {
            if ok(&b) {
                eprintln!("{what}: shown after {:?}", start.elapsed());
                return;
            }
            last = Some(b);
        }
        panic!("{what}: not shown within {WITHIN:?}; last board: {last:#?}");
    }
}

fn total(b: &serde_json::Value, field: &str) -> i64 {
    b["total"][field].as_i64().unwrap_or(-1)
}

fn ql(at: i64, call: &str, queue: &str, agent: &str, event: &str, data: &str) -> String {
    format!("{at}|{call}|{queue}|{agent}|{event}|{data}")
}

async fn imported(app: &TestApp, pid: i64) -> i64 {
    app.store
        .import_batches(pid)
        .await
        .unwrap()
        .iter()
        .map(|b| b.imported)
        .sum()
}

#[tokio::test]
async fn a_followed_queue_log_reaches_the_wallboard_stream_within_two_seconds_and_a_restart_imports_nothing_twice(
) {
    let app = TestApp::spawn().await;
    let m = app.user("jefa@live.cl", "manager", None).await;
    live_programme(&app, &m, "LIVE1").await;
    let pid = app
        .store
        .programme_for("LIVE1", None)
        .await
        .unwrap()
        .programme
        .id;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("queue_log");
    let t0 = now() - 60;
    append(
        &log,
        &[
            ql(t0, "NONE", "ventas", "Ana", "ADDMEMBER", ""),
            ql(
                t0 + 1,
                "c1",
                "ventas",
                "NONE",
                "ENTERQUEUE",
                "|+56911112222|1",
            ),
        ],
    );
    let (stop, follower) = spawn_follower(watcher_app(&app, dir.path()), "LIVE1", &log);
    let mut s = Stream::open(&app, &m, "LIVE1").await;
    s.expect("a caller waiting", |b| total(b, "waiting") == 1)
        .await;

    append(
        &log,
        &[ql(t0 + 26, "c1", "ventas", "Ana", "CONNECT", "25|c1.1|2")],
    );
    s.expect("the call answered", |b| {
        total(b, "answered") == 1 && total(b, "waiting") == 0
    })
    .await;

    append(
        &log,
        &[ql(
            t0 + 20,
            "c2",
            "ventas",
            "NONE",
            "ENTERQUEUE",
            "|+56933334444|1",
        )],
    );
    s.expect("a second caller waiting", |b| {
        total(b, "waiting") == 1 && total(b, "offered") == 2
    })
    .await;

    // Rotation: the file is renamed and a new one begun under the same name.
    std::fs::rename(&log, dir.path().join("queue_log.1")).unwrap();
    append(
        &log,
        &[
            ql(t0 + 40, "c2", "ventas", "NONE", "ABANDON", "1|1|20"),
            ql(t0 + 41, "c1", "ventas", "Ana", "COMPLETECALLER", "25|15|1"),
        ],
    );
    s.expect("the abandon after the rotation", |b| {
        total(b, "abandoned") == 1 && total(b, "waiting") == 0
    })
    .await;

    append(
        &log,
        &[
            ql(
                t0 + 45,
                "c3",
                "ventas",
                "NONE",
                "ENTERQUEUE",
                "|+56955556666|1",
            ),
            ql(t0 + 47, "c3", "ventas", "Ana", "CONNECT", "2|c3.1|2"),
            ql(t0 + 50, "c3", "ventas", "Ana", "COMPLETEAGENT", "2|3|1"),
        ],
    );
    s.expect("a third call answered in time", |b| {
        total(b, "answered") == 2 && total(b, "answered_in_sl") == 1 && total(b, "offered") == 3
    })
    .await;

    // Every finished call is imported (a few hundred milliseconds after it ends).
    let deadline = Instant::now() + Duration::from_secs(10);
    while imported(&app, pid).await < 4 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.send(()).unwrap();
    let first = follower.await.unwrap();
    assert_eq!(first.rotations, 1, "{first:?}");
    assert_eq!(
        imported(&app, pid).await,
        4,
        "three calls and Ana's agent session imported: {first:?}"
    );
    let before = app
        .api(Some(&m), Method::GET, "/programs/LIVE1/live", None)
        .await
        .json();

    // A restarted watcher reads again from its saved position: nothing twice.
    let (stop, follower) = spawn_follower(watcher_app(&app, dir.path()), "LIVE1", &log);
    tokio::time::sleep(Duration::from_millis(600)).await;
    stop.send(()).unwrap();
    let second = follower.await.unwrap();
    assert_eq!(second.imported, 0, "{second:?}");
    assert_eq!(imported(&app, pid).await, 4);
    let after = app
        .api(Some(&m), Method::GET, "/programs/LIVE1/live", None)
        .await
        .json();
    for f in ["offered", "answered", "abandoned", "answered_in_sl"] {
        assert_eq!(after["total"][f], before["total"][f], "{f} after a restart");
    }

    // The KPIs of the imported calls agree with the live counters.
    // The programme's day (its time zone, America/Santiago by default), not the machine's:
    // between 00:00 and 03:00 UTC they differ.
    let santiago = jiff::tz::TimeZone::get("America/Santiago").unwrap();
    let day = jiff::Timestamp::now().to_zoned(santiago).date().to_string();
    let k = app
        .api(
            Some(&m),
            Method::GET,
            &format!("/programs/LIVE1/kpis/total?from={day}&to={day}"),
            None,
        )
        .await;
    assert_eq!(k.status, StatusCode::OK, "{}", k.body);
    let k = k.json();
    assert_eq!(
        (
            &k["offered"],
            &k["answered"],
            &k["abandoned"],
            &k["answered_within_t"]
        ),
        (
            &after["total"]["offered"],
            &after["total"]["answered"],
            &after["total"]["abandoned"],
            &after["total"]["answered_in_sl"]
        ),
        "imported figures {k:#}"
    );
}

#[tokio::test]
async fn the_wallboard_page_shows_figures_with_words_and_masks_numbers_unless_the_record_allows_them(
) {
    let app = TestApp::spawn().await;
    let m = app.user("jefa2@live.cl", "manager", None).await;
    let admin = app.user("admin2@live.cl", "admin", None).await;
    live_programme(&app, &m, "LIVE2").await;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("queue_log");
    let t0 = now() - 120;
    append(
        &log,
        &[
            ql(t0, "NONE", "soporte", "Beto", "ADDMEMBER", ""),
            ql(
                t0 + 1,
                "a1",
                "soporte",
                "NONE",
                "ENTERQUEUE",
                "|+56987651234|1",
            ),
            ql(t0 + 31, "a1", "soporte", "NONE", "ABANDON", "1|1|30"),
            ql(t0 + 40, "NONE", "soporte", "Beto", "PAUSE", "colación"),
        ],
    );
    let (stop, follower) = spawn_follower(watcher_app(&app, dir.path()), "LIVE2", &log);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let b = app
            .api(Some(&m), Method::GET, "/programs/LIVE2/live", None)
            .await
            .json();
        if b["total"]["abandoned"] == 1 || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.send(()).unwrap();
    follower.await.unwrap();

    let b = app
        .api(Some(&m), Method::GET, "/programs/LIVE2/live", None)
        .await
        .json();
    assert_eq!(b["total"]["abandoned"], 1, "{b:#}");
    assert_eq!(
        b["abandoned"][0]["number"], "***** 1234",
        "masked by default"
    );
    assert_eq!(b["abandoned"][0]["full"], false);
    assert_eq!(b["agents"][0]["state"], "paused");
    assert_eq!(b["agents"][0]["pause_reason"], "colación");
    assert_eq!(
        b["queues"][0]["service_level_status"]["word"],
        "Sin meta o sin llamadas"
    );

    // The record of processing lets managers see the full number.
    let rec = app
        .api(
            Some(&admin),
            Method::PUT,
            "/programs/LIVE2/processing-record",
            Some(serde_json::json!({
                "purpose": "Atención", "legal_basis": "contract", "role": "processor",
                "controller": "", "contract_ref": "", "data_classes": "Número",
                "recipients": "", "transfers": "", "retention": "12 meses", "end_action": "",
                "callback_roles": ["manager"]
            })),
        )
        .await;
    assert!(rec.status.is_success(), "{}", rec.body);
    let b = app
        .api(Some(&m), Method::GET, "/programs/LIVE2/live", None)
        .await
        .json();
    assert_eq!(b["abandoned"][0]["number"], "+56987651234");
    let analyst = app.user("analista@live.cl", "analyst", None).await;
    app.store
        .add_member(
            &rumbo_store::Actor::system("test"),
            app.store
                .programme_for("LIVE2", None)
                .await
                .unwrap()
                .programme
                .id,
            analyst.user.id,
        )
        .await
        .unwrap();
    let b = app
        .api(Some(&analyst), Method::GET, "/programs/LIVE2/live", None)
        .await
        .json();
    assert_eq!(b["abandoned"][0]["number"], "***** 1234", "{b:#}");
    assert!(b["agents"].is_null(), "analysts do not see agents");

    // The page, in both languages and in TV mode, with its own script policy.
    let page = app.get_page(Some(&m), "/programs/LIVE2/live").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Llamadas abandonadas hoy"),
        "{}",
        page.body
    );
    assert!(page.body.contains("en pausa"));
    assert!(page.body.contains("http-equiv=\"refresh\""));
    let csp = page.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let tv = app.get_page(Some(&m), "/programs/LIVE2/live?tv=1").await;
    assert!(tv.body.contains("class=\"tv\""), "{}", tv.body);
    let js = app.get_page(None, "/static/live.js").await;
    assert!(js.body.contains("EventSource"));

    // Settings: a bad value comes back beside its field; a good one is kept.
    let bad = app
        .post_form(
            Some(&m),
            "/programs/LIVE2/live/settings",
            &[
                ("queue_log", "relativo.log"),
                ("sl_breach_minutes", "0"),
                ("waiting_limit", "5"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("err-queue_log"));
    assert!(bad.body.contains("err-sl_breach_minutes"));
    assert!(bad.body.contains("relativo.log"), "the input is kept");
    let ok = app
        .post_form(
            Some(&m),
            "/programs/LIVE2/live/settings",
            &[
                ("queue_log", ""),
                ("sl_breach_minutes", "10"),
                ("waiting_limit", "5"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let s = app
        .api(Some(&m), Method::GET, "/programs/LIVE2/live/settings", None)
        .await
        .json();
    assert_eq!(s["sl_breach_minutes"], 10);
    assert_eq!(s["waiting_limit"], 5);
}
