//! `rumbo dev bench-http`: the HTTP load benchmark of the serving side.
//!
//! On loopback only and bounded in time: builds (once, kept under `--dir`) a SQLite store with
//! one programme holding a year of 15-minute call data over ten queues, starts this same
//! binary as `rumbo serve` on it, then runs `--clients` concurrent keep-alive clients for
//! `--seconds` against a mix of endpoints (the Control page, the cockpit page and its API, the
//! KPI API, the drill-down, `/healthz`) and prints per endpoint the requests, p50/p95/p99/max,
//! requests per second, and the server's CPU time per request (from `/proc/<pid>/stat`).
//! With `--imports` some clients upload small call files through the import API meanwhile and
//! the run checks that every accepted import ends as a committed batch.
//!
//! Pages are asked with a session cookie (the bench account logs in at the start of each
//! run), the API with a bearer token. Any answer outside 2xx (a redirect to the login page, a
//! 5xx, a lost import) fails the run, so such a run can never pass for a valid measurement.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use rumbo_app::accounts::NewAccount;
use rumbo_app::imports::Source;
use rumbo_app::operator::MappingChoice;
use rumbo_app::App;
use rumbo_domain::programme::ProgrammeInput;
use tokio::net::TcpStream;

/// 2025-11-30 00:00 UTC: a year of data ends on the day before this session's "today".
const START: u64 = 1_764_460_800;
const SPAN: u64 = 365 * 86_400;
const QUEUES: u64 = 10;
const CODE: &str = "BENCH";
const EMAIL: &str = "bench@rumbo.invalid";
const PASSWORD: &str = "bench-password-not-secret";

#[derive(clap::Args, Debug)]
pub struct BenchHttpArgs {
    /// Calls in the programme (a year over ten queues).
    #[arg(long, default_value_t = 10_000_000)]
    rows: u64,
    /// Concurrent keep-alive clients.
    #[arg(long, default_value_t = 50)]
    clients: usize,
    /// Seconds of load.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Endpoints, comma-separated: control, control-month, cockpit, cockpit-api, kpi,
    /// kpi-year, drill, healthz.
    #[arg(long, default_value = "control,cockpit,cockpit-api,kpi,drill,healthz")]
    mix: String,
    /// Clients (of `--clients`) that only ask `/healthz`, measured apart.
    #[arg(long, default_value_t = 0)]
    healthz_clients: usize,
    /// Clients (of `--clients`) that upload small call files through the import API.
    #[arg(long, default_value_t = 0)]
    import_clients: usize,
    /// Where the generated file and the store are kept between runs.
    #[arg(long, default_value = "target/bench-data")]
    dir: PathBuf,
    /// Extra `rumbo serve` flags (e.g. `--job-workers 2`), space-separated.
    #[arg(long, default_value = "")]
    serve_args: String,
    /// Run on this PostgreSQL database instead of an SQLite file (an existing, empty database,
    /// e.g. made with `createdb -h 127.0.0.1 -U postgres rumbo_bench`; filled once, like the
    /// SQLite store).
    #[arg(long)]
    postgres: Option<String>,
    /// Idle TCP connections opened before the load and held through it (they send nothing).
    #[arg(long, default_value_t = 0)]
    idle_connections: usize,
    /// A shell command run once, this many seconds into the load (with `--restart-command`).
    #[arg(long, requires = "restart_command")]
    restart_after: Option<u64>,
    /// The command `--restart-after` runs, e.g. restarting the database server:
    /// `pg_ctlcluster --skip-systemctl-redirect 15 main restart`. Answers 503 are then allowed
    /// if each came within 2 s; any other non-2xx answer still fails the run.
    #[arg(long, requires = "restart_after")]
    restart_command: Option<String>,
    /// After the load, how long to wait for every accepted upload to be a committed batch
    /// before the run fails.
    #[arg(long, default_value_t = 120)]
    drain_seconds: u64,
}

/// How long a 503 answer may take while the database is away (the server's promise).
const OUTAGE_ANSWER: Duration = Duration::from_secs(2);

/// SplitMix64, so the file does not depend on any crate's generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// The standard call CSV, in time order, spread evenly over the year before `START + SPAN`
/// (the same shape as the drill-down benchmark's file).
fn generate(path: &Path, rows: u64) -> anyhow::Result<()> {
    let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    writeln!(w, "call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome")?;
    let mut rng = Rng(42);
    for i in 0..rows {
        let ts = START + (u128::from(i) * u128::from(SPAN) / u128::from(rows.max(1))) as u64;
        writeln!(w, "{}", call_line(&mut rng, &(i + 1).to_string(), ts))?;
    }
    w.flush()?;
    Ok(())
}

fn call_line(rng: &mut Rng, id: &str, ts: u64) -> String {
    let q = 1 + rng.next() % QUEUES;
    let r = rng.next();
    if r % 100 < 12 {
        format!("{id},Q{q:02},{ts},{},0,0,abandoned", r % 120)
    } else {
        format!(
            "{id},Q{q:02},{ts},{},{},{},answered",
            (r >> 8) % 60,
            30 + (r >> 16) % 870,
            (r >> 32) % 120
        )
    }
}

/// The store, built once: the programme, the year of calls, an admin and its API token.
fn prepare(dir: &Path, rows: u64, pg: Option<&str>) -> anyhow::Result<(PathBuf, String)> {
    let name = match pg {
        Some(url) => format!(
            "http-{rows}-pg-{}",
            url.rsplit('/')
                .next()
                .unwrap_or("db")
                .replace(['?', '&', '='], "_")
        ),
        None => format!("http-{rows}"),
    };
    let work = std::fs::canonicalize(dir)
        .unwrap_or_else(|_| dir.to_path_buf())
        .join(name);
    let ready = work.join("token");
    if let Ok(t) = std::fs::read_to_string(&ready) {
        return Ok((work, t.trim().to_string()));
    }
    if work.exists() {
        std::fs::remove_dir_all(&work)?;
    }
    std::fs::create_dir_all(&work)?;
    let file = work.join("calls.csv");
    eprintln!("generating {rows} calls in {} ...", file.display());
    generate(&file, rows)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let token = rt.block_on(async {
        let app = App::open(&db_url(&work, pg), super::app_settings(&work.join("data")))
            .await
            .map_err(super::app_error)?;
        app.create_programme_as_operator(
            "Bench",
            "76.086.428-5",
            ProgrammeInput {
                code: CODE.into(),
                name: "Benchmark".into(),
                channels: vec!["voice_inbound".into()],
                start_date: "2025-11-01".into(),
                ..Default::default()
            },
        )
        .await
        .map_err(super::app_error)?;
        let t = Instant::now();
        let r = app
            .import_as_operator(CODE, &file, Source::Calls, MappingChoice::None, |_| {})
            .await
            .map_err(super::app_error)?;
        eprintln!(
            "imported {} calls ({} rejected) in {:.1} s",
            r.report.imported,
            r.report.rejected,
            t.elapsed().as_secs_f64()
        );
        app.create_user(
            None,
            NewAccount {
                email: EMAIL,
                name: "Bench",
                role: "admin",
                client_id: None,
                password: PASSWORD,
                lang: "es",
            },
        )
        .await
        .map_err(super::app_error)?;
        add_targets(&app).await?;
        let token = app
            .create_api_token(EMAIL, "bench", 3650)
            .await
            .map_err(super::app_error)?;
        app.close().await;
        anyhow::Ok(token)
    })?;
    std::fs::remove_file(&file)?;
    std::fs::write(&ready, &token)?;
    Ok((work, token))
}

/// KPI targets over the whole year (service level, ASA, AHT, abandonment, each per interval,
/// day and month), so the cockpit and the Control page compute and show target rows as a
/// real programme's do.
async fn add_targets(app: &App) -> anyhow::Result<()> {
    use rumbo_app::plan::docs::{ObjectiveDoc, TargetDoc};
    let u = app
        .store()
        .users()
        .await
        .context("users")?
        .into_iter()
        .find(|u| u.email == EMAIL)
        .context("bench account")?;
    let who = rumbo_app::Principal {
        user_id: u.id,
        email: u.email,
        role: u.role,
        client_id: u.client_id,
    };
    let cx = app
        .plan(&who, CODE, rumbo_domain::access::Action::Update)
        .await
        .map_err(super::app_error)?;
    let objective = app
        .create_plan_item::<ObjectiveDoc>(
            &who,
            &cx,
            serde_json::from_value(serde_json::json!({ "title": "Servicio" }))?,
        )
        .await
        .map_err(super::app_error)?;
    let owner = app
        .create_person(&who, "Jefa Bench", None, "jefa")
        .await
        .map_err(super::app_error)?;
    let (from, to) = ("2025-11-30", "2026-11-30");
    for (indicator, target, direction, tolerance) in [
        ("service_level", "80", "higher", "5"),
        ("asa", "20", "lower", "5"),
        ("aht", "300", "lower", "30"),
        ("abandon_rate", "5", "lower", "1"),
    ] {
        for granularity in ["interval", "day", "month"] {
            let doc: TargetDoc = serde_json::from_value(serde_json::json!({
                "objective_id": objective.id, "indicator": indicator, "target": target,
                "direction": direction, "tolerance": tolerance, "granularity": granularity,
                "period_start": from, "period_end": to, "owner_id": owner.id,
            }))?;
            app.create_plan_item::<TargetDoc>(&who, &cx, doc)
                .await
                .map_err(super::app_error)?;
        }
    }
    Ok(())
}

fn db_url(work: &Path, pg: Option<&str>) -> String {
    match pg {
        Some(url) => url.to_string(),
        None => format!("sqlite://{}", work.join("rumbo.db").display()),
    }
}

/// The server under test, stopped when dropped.
struct Server {
    child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// User + system CPU seconds of a process so far.
fn cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return f64::NAN;
    };
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')').map(|x| x.1).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 (1-based); `rest` starts at field 3.
    (ticks(11) + ticks(12)) / clock_ticks()
}

fn clock_ticks() -> f64 {
    // USER_HZ is 100 on every Linux architecture Rumbo runs on.
    100.0
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

struct Endpoint {
    name: &'static str,
    path: String,
    /// A page (asked with the session cookie) rather than an API route (bearer token).
    page: bool,
}

/// How a request proves who asks: `Authorization` for the API, `Cookie` for pages.
#[derive(Clone)]
struct Auth {
    bearer: String,
    cookie: String,
}

impl Auth {
    fn header(&self, page: bool) -> (&'static str, String) {
        if page {
            ("cookie", format!("rumbo_session={}", self.cookie))
        } else {
            ("authorization", format!("Bearer {}", self.bearer))
        }
    }
}

/// Opens a session for the bench account (as the login form does) and returns its token.
fn login(work: &Path, pg: Option<&str>) -> anyhow::Result<String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let app = App::open(&db_url(work, pg), super::app_settings(&work.join("data")))
            .await
            .map_err(super::app_error)?;
        let step = app
            .login(EMAIL, PASSWORD, "127.0.0.1")
            .await
            .map_err(super::app_error)?;
        app.close().await;
        match step {
            rumbo_app::accounts::LoginStep::Done(s) => Ok(s.token),
            _ => bail!("the bench account asks for a second factor"),
        }
    })
}

fn endpoints(mix: &str) -> anyhow::Result<Vec<Endpoint>> {
    // The last week of data (the default period), and one 15-minute interval in it.
    let last_day = START + SPAN - 86_400;
    let interval = last_day + 14 * 3600 + 900;
    let mut out = Vec::new();
    for name in mix.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (name, path): (&'static str, String) = match name {
            "control" => ("control", format!("/programs/{CODE}/control")),
            "control-month" => (
                "control-month",
                format!("/programs/{CODE}/control?by=day&from=2026-10-01&to=2026-10-31"),
            ),
            "cockpit" => ("cockpit", "/".to_string()),
            "cockpit-api" => ("cockpit-api", "/api/v1/cockpit".to_string()),
            "kpi" => (
                "kpi",
                format!("/api/v1/programs/{CODE}/kpis?by=1h&queue=Q01"),
            ),
            "kpi-year" => (
                "kpi-year",
                format!("/api/v1/programs/{CODE}/kpis?by=month&from=2025-11-30&to=2026-11-29"),
            ),
            "drill" => (
                "drill",
                format!("/api/v1/programs/{CODE}/kpis/calls?queue=Q01&by=15m&start={interval}"),
            ),
            "healthz" => ("healthz", "/healthz".to_string()),
            other => bail!("unknown endpoint {other}"),
        };
        let page = matches!(name, "control" | "control-month" | "cockpit");
        out.push(Endpoint { name, path, page });
    }
    if out.is_empty() {
        bail!("--mix names no endpoint");
    }
    Ok(out)
}

type Conn = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn connect(port: u16) -> anyhow::Result<Conn> {
    let stream = TcpStream::connect(("127.0.0.1", port)).await?;
    stream.set_nodelay(true)?;
    let (send, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(send)
}

/// One request on a kept-alive connection (reconnecting when the server closed it); the
/// status and the body length.
async fn request(
    conn: &mut Conn,
    port: u16,
    method: &str,
    path: &str,
    auth: (&str, &str),
    body: Bytes,
) -> anyhow::Result<(u16, usize)> {
    if conn.ready().await.is_err() {
        *conn = connect(port).await?;
    }
    let req = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", format!("127.0.0.1:{port}"))
        .header(auth.0, auth.1)
        .header("accept-language", "es")
        .body(Full::new(body))?;
    let res = conn.send_request(req).await?;
    let status = res.status().as_u16();
    let bytes = res.into_body().collect().await?.to_bytes();
    static SHOWN: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    if !(200..300).contains(&status)
        && SHOWN.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < 20
    {
        let text = String::from_utf8_lossy(&bytes);
        eprintln!(
            "{method} {path}: {status} {}",
            text.chars().take(200).collect::<String>()
        );
    }
    Ok((status, bytes.len()))
}

#[derive(Default)]
struct Tally {
    lat: BTreeMap<&'static str, Vec<Duration>>,
    errors: BTreeMap<&'static str, u64>,
    bytes: BTreeMap<&'static str, usize>,
    jobs: Vec<i64>,
    /// 503 answers while the database was away (with `--restart-after`): when they came
    /// (since the start of the load) and how long each took.
    unavailable: Vec<(Duration, Duration)>,
    /// The last 2xx answer's arrival (since the start of the load).
    last_ok: Duration,
    /// Uploads answered 503: the server may have queued them before the database went away,
    /// so each may or may not end as a batch.
    uploads_unanswered: usize,
}

/// Holds `n` idle connections (they send nothing) until `deadline`, opening a new one for
/// each the server closes; (opened, closed by the server, open at the end).
async fn hold_idle(port: u16, n: usize, deadline: Instant) -> (usize, usize, usize) {
    let (mut opened, mut closed) = (0, 0);
    let mut conns: Vec<TcpStream> = Vec::with_capacity(n);
    while Instant::now() < deadline {
        while conns.len() < n {
            match TcpStream::connect(("127.0.0.1", port)).await {
                Ok(c) => {
                    opened += 1;
                    conns.push(c);
                }
                Err(_) => break,
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let mut buf = [0u8; 512];
        conns.retain(|c| match c.try_read(&mut buf) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => true,
            _ => {
                closed += 1;
                false
            }
        });
    }
    (opened, closed, conns.len())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

/// A small call file with new call ids inside the programme's year (never a duplicate).
fn import_body(client: usize, n: u64) -> Bytes {
    let mut rng = Rng(client as u64 * 1_000_003 + n);
    let mut s = String::from("call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome\n");
    let day = START + 86_400 * (30 + n % 300);
    for i in 0..200u64 {
        s.push_str(&call_line(
            &mut rng,
            &format!("imp-{client}-{n}-{i}"),
            day + 36_000 + i * 60,
        ));
        s.push('\n');
    }
    Bytes::from(s)
}

pub fn run(a: BenchHttpArgs) -> anyhow::Result<()> {
    if a.clients == 0 || a.seconds == 0 {
        bail!("--clients and --seconds must be positive");
    }
    if a.healthz_clients + a.import_clients > a.clients {
        bail!("--healthz-clients + --import-clients exceed --clients");
    }
    let eps = Arc::new(endpoints(&a.mix)?);
    std::fs::create_dir_all(&a.dir)?;
    let pg = a.postgres.as_deref();
    let (work, token) = prepare(&a.dir, a.rows, pg)?;
    let auth = Auth {
        bearer: token.clone(),
        cookie: login(&work, pg)?,
    };
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0")?;
        l.local_addr()?.port()
    };
    let log = std::fs::File::create(work.join("serve.log"))?;
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.arg("--database-url")
        .arg(db_url(&work, pg))
        .arg("--data-dir")
        .arg(work.join("data"))
        .arg("serve")
        .arg("--bind")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--no-demo")
        .args(a.serve_args.split_whitespace())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    let server = Server {
        child: cmd.spawn().context("starting rumbo serve")?,
    };
    let pid = server.child.id();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        // Wait for the server, then one warm-up request per endpoint.
        let t = Instant::now();
        let mut conn = loop {
            match connect(port).await {
                Ok(c) => break c,
                Err(_) if t.elapsed() < Duration::from_secs(60) => {
                    tokio::time::sleep(Duration::from_millis(100)).await
                }
                Err(e) => bail!("the server did not start: {e}"),
            }
        };
        for e in eps.iter() {
            let t = Instant::now();
            let (k, v) = auth.header(e.page);
            let (status, len) = request(&mut conn, port, "GET", &e.path, (k, &v), Bytes::new()).await?;
            if !(200..300).contains(&status) {
                bail!("warm-up of {} answered {status}: not a valid run", e.name);
            }
            println!(
                "warm-up {:<14} {status} {len:>8} bytes {:>8} ms",
                e.name,
                ms(t.elapsed())
            );
        }
        println!(
            "load: {} clients ({} /healthz only, {} importing), {} s, mix {}; loadavg before {}",
            a.clients,
            a.healthz_clients,
            a.import_clients,
            a.seconds,
            a.mix,
            loadavg()
        );
        let batches_before = batch_count(&mut conn, port, &token).await?;
        let cpu0 = cpu_seconds(pid);
        let deadline = Instant::now() + Duration::from_secs(a.seconds);
        let start = Instant::now();
        let idle = (a.idle_connections > 0).then(|| {
            let n = a.idle_connections;
            tokio::spawn(async move { hold_idle(port, n, deadline).await })
        });
        let restart = match (a.restart_after, a.restart_command.clone()) {
            (Some(after), Some(command)) => Some(tokio::spawn(async move {
                tokio::time::sleep(Duration::from_secs(after)).await;
                let t0 = start.elapsed();
                let status = tokio::process::Command::new("sh")
                    .arg("-c")
                    .arg(&command)
                    .status()
                    .await;
                (t0, start.elapsed(), status.map(|s| s.success()).unwrap_or(false))
            })),
            _ => None,
        };
        let outage_allowed = restart.is_some();
        let mut tasks = Vec::new();
        for c in 0..a.clients {
            let eps = eps.clone();
            let auth = auth.clone();
            let role = if c < a.healthz_clients {
                1
            } else if c < a.healthz_clients + a.import_clients {
                2
            } else {
                0
            };
            tasks.push(tokio::spawn(async move {
                let mut tally = Tally::default();
                let Ok(mut conn) = connect(port).await else {
                    *tally.errors.entry("connect").or_default() += 1;
                    return tally;
                };
                let mut i = c;
                let mut n = 0u64;
                while Instant::now() < deadline {
                    let (name, method, path, body, page) = match role {
                        1 => ("healthz*", "GET", "/healthz".to_string(), Bytes::new(), false),
                        2 => {
                            n += 1;
                            (
                                "import",
                                "POST",
                                format!("/api/v1/programs/{CODE}/imports?source=calls&wait=false&file_name=b{c}-{n}.csv"),
                                import_body(c, n),
                                false,
                            )
                        }
                        _ => {
                            let e = &eps[i % eps.len()];
                            i += 1;
                            (e.name, "GET", e.path.clone(), Bytes::new(), e.page)
                        }
                    };
                    let t = Instant::now();
                    let (k, v) = auth.header(page);
                    match request(&mut conn, port, method, &path, (k, &v), body).await {
                        Ok((s, len)) if (200..300).contains(&s) => {
                            tally.lat.entry(name).or_default().push(t.elapsed());
                            *tally.bytes.entry(name).or_default() += len;
                            tally.last_ok = tally.last_ok.max(start.elapsed());
                            if role == 2 {
                                tally.jobs.push(n as i64);
                            }
                        }
                        Ok((503, _)) if outage_allowed => {
                            tally.unavailable.push((start.elapsed(), t.elapsed()));
                            if role == 2 {
                                tally.uploads_unanswered += 1;
                            }
                            // As a client told "Retry-After" would: not at full speed.
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                        _ => *tally.errors.entry(name).or_default() += 1,
                    }
                }
                tally
            }));
        }
        let mut all = Tally::default();
        for t in tasks {
            let t = t.await?;
            for (k, v) in t.lat {
                all.lat.entry(k).or_default().extend(v);
            }
            for (k, v) in t.errors {
                *all.errors.entry(k).or_default() += v;
            }
            for (k, v) in t.bytes {
                *all.bytes.entry(k).or_default() += v;
            }
            all.jobs.extend(t.jobs);
            all.uploads_unanswered += t.uploads_unanswered;
            all.unavailable.extend(t.unavailable);
            all.last_ok = all.last_ok.max(t.last_ok);
        }
        let wall = start.elapsed().as_secs_f64();
        let cpu = cpu_seconds(pid) - cpu0;
        let load_after = loadavg();
        println!(
            "{:<14} {:>8} {:>6} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9}",
            "endpoint", "requests", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "KiB/resp"
        );
        let mut total = 0usize;
        for (name, v) in all.lat.iter_mut() {
            v.sort();
            total += v.len();
            println!(
                "{:<14} {:>8} {:>6} {:>8.1} {:>8} {:>8} {:>8} {:>8} {:>9.1}",
                name,
                v.len(),
                all.errors.get(name).copied().unwrap_or(0),
                v.len() as f64 / wall,
                ms(percentile(v, 0.50)),
                ms(percentile(v, 0.95)),
                ms(percentile(v, 0.99)),
                ms(v.last().copied().unwrap_or_default()),
                all.bytes.get(name).copied().unwrap_or(0) as f64 / v.len().max(1) as f64 / 1024.0
            );
        }
        for (name, n) in &all.errors {
            if !all.lat.contains_key(name) {
                println!("{name:<14} {:>8} {n:>6}", 0);
            }
        }
        println!(
            "total {total} requests in {wall:.1} s = {:.1} req/s; server CPU {cpu:.2} s = {:.2} ms per request; loadavg after {load_after}",
            total as f64 / wall,
            cpu * 1000.0 / total.max(1) as f64
        );
        let mut outage_failed = false;
        if let Some(r) = restart {
            let (t0, t1, ok) = r.await?;
            all.unavailable.sort();
            let slowest = all.unavailable.iter().map(|u| u.1).max().unwrap_or_default();
            let (first, last) = (
                all.unavailable.first().map(|u| u.0),
                all.unavailable.last().map(|u| u.0),
            );
            println!(
                "restart: command ran {:.1}-{:.1} s into the load ({}); {} answers 503, first at {}, last at {}, slowest {} ms (limit {} ms); a 2xx answer came {:.1} s after the last 503",
                t0.as_secs_f64(),
                t1.as_secs_f64(),
                if ok { "succeeded" } else { "FAILED" },
                all.unavailable.len(),
                first.map_or("-".into(), |f| format!("{:.2} s", f.as_secs_f64())),
                last.map_or("-".into(), |l| format!("{:.2} s", l.as_secs_f64())),
                ms(slowest),
                OUTAGE_ANSWER.as_millis(),
                all.last_ok.saturating_sub(last.unwrap_or_default()).as_secs_f64()
            );
            outage_failed = !ok || slowest > OUTAGE_ANSWER || last.is_some_and(|l| all.last_ok <= l);
        }
        if let Some(h) = idle {
            let (opened, closed, open) = h.await?;
            println!(
                "idle connections: {} held; {opened} opened, {closed} closed by the server (header timeout), {open} open at the end",
                a.idle_connections
            );
        }
        let lost = if a.import_clients > 0 {
            !check_imports(
                &mut conn,
                port,
                &token,
                batches_before,
                all.jobs.len(),
                all.uploads_unanswered,
                Duration::from_secs(a.drain_seconds),
            )
            .await?
        } else {
            false
        };
        let failed: u64 = all.errors.values().sum();
        if failed > 0 || lost || outage_failed {
            bail!(
                "not a valid run: {failed} answers outside 2xx{}{}{}",
                if outage_allowed { " and 503" } else { "" },
                if outage_failed {
                    "; the restart failed, a 503 took over 2 s or the server did not recover"
                } else {
                    ""
                },
                if lost { "; accepted imports not committed" } else { "" }
            );
        }
        anyhow::Ok(())
    })?;
    drop(server);
    Ok(())
}

/// The number of import batches of the bench programme.
async fn batch_count(conn: &mut Conn, port: u16, token: &str) -> anyhow::Result<usize> {
    if conn.ready().await.is_err() {
        *conn = connect(port).await?;
    }
    let req = hyper::Request::builder()
        .uri(format!("/api/v1/programs/{CODE}/imports"))
        .header("host", format!("127.0.0.1:{port}"))
        .header("authorization", format!("Bearer {token}"))
        .body(Full::new(Bytes::new()))?;
    let res = conn.send_request(req).await?;
    let body = res.into_body().collect().await?.to_bytes();
    let v: serde_json::Value = serde_json::from_slice(&body)?;
    Ok(v.as_array().map(|a| a.len()).unwrap_or(0))
}

/// After an import run: waits (bounded) until every accepted upload is a committed batch;
/// whether they all were. Uploads answered 503 (`unanswered`) may have been queued before
/// the database went away: each may be a batch too, but no more batches than that.
async fn check_imports(
    conn: &mut Conn,
    port: u16,
    token: &str,
    before: usize,
    accepted: usize,
    unanswered: usize,
    drain: Duration,
) -> anyhow::Result<bool> {
    let t = Instant::now();
    loop {
        let committed = batch_count(conn, port, token).await?.saturating_sub(before);
        if committed >= accepted || t.elapsed() > drain {
            // Let a queued upload answered 503 finish too, before counting for good.
            tokio::time::sleep(Duration::from_secs(if unanswered > 0 { 5 } else { 0 })).await;
            let committed = batch_count(conn, port, token).await?.saturating_sub(before);
            let ok = (accepted..=accepted + unanswered).contains(&committed);
            println!(
                "imports: {accepted} accepted, {committed} committed as batches{} after {:.1} s{}",
                if ok { " (none lost)" } else { " (MISMATCH)" },
                t.elapsed().as_secs_f64(),
                if unanswered > 0 {
                    format!(
                        "; {unanswered} uploads answered 503, of which {} were queued and committed",
                        committed.saturating_sub(accepted)
                    )
                } else {
                    String::new()
                }
            );
            return Ok(ok);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
