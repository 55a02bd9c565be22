//! Running the built `rumbo` binary in a temporary folder, and a tiny HTTP client.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub struct Dir {
    pub tmp: tempfile::TempDir,
    /// A PostgreSQL database of this folder's own, when the tests run on PostgreSQL.
    db_url: Option<String>,
}

impl Dir {
    pub fn new() -> Dir {
        let tmp = tempfile::tempdir().unwrap();
        let db_url = db_url_for(tmp.path());
        Dir { tmp, db_url }
    }

    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    /// `rumbo ARGS` in this folder. The database is `./rumbo.db` unless the test environment
    /// names another one: with `DATABASE_URL=postgres://…` every `Dir` gets its own database.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_rumbo"));
        c.current_dir(self.path())
            .args(args)
            .env_remove("DATABASE_URL")
            .env("RUST_LOG", "warn");
        if let Some(url) = &self.db_url {
            c.env("DATABASE_URL", url);
        }
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    pub fn run_ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "rumbo {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn run_with_stdin(&self, args: &[&str], input: &str) -> Output {
        let mut child = self
            .cmd(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    /// Starts `rumbo serve` on a free port; returns the server and its base URL.
    pub fn serve(&self, extra: &[&str]) -> Server {
        self.serve_with_env(extra, &[])
    }

    /// [`Dir::serve`] with extra environment variables (`RUMBO_SMTP_HOST`…).
    pub fn serve_with_env(&self, extra: &[&str], env: &[(&str, &str)]) -> Server {
        let mut args = vec!["serve", "--bind", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        let mut child = self
            .cmd(&args)
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let mut lines = BufReader::new(stderr).lines();
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut seen = Vec::new();
        let url = loop {
            assert!(Instant::now() < deadline, "server did not start: {seen:?}");
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(i) = line.find("http://") {
                        break line[i..].trim().to_string();
                    }
                    seen.push(line);
                }
                _ => panic!("server exited early: {seen:?}"),
            }
        };
        // Keep draining stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines.by_ref() {});
        Server {
            child,
            url,
            startup: seen,
        }
    }
}

/// With a PostgreSQL `DATABASE_URL` in the environment, a fresh database per folder.
fn db_url_for(dir: &Path) -> Option<String> {
    let base = std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))?;
    let name = format!(
        "{}e2e_{}",
        rumbo_store::testing::test_db_prefix(),
        dir.file_name()
            .unwrap()
            .to_string_lossy()
            .to_ascii_lowercase()
            .replace(|c: char| !c.is_ascii_alphanumeric(), "")
    );
    let status = Command::new("psql")
        .args([&base, "-qc", &format!("CREATE DATABASE {name}")])
        .status()
        .expect("psql is needed for PostgreSQL e2e tests");
    assert!(status.success(), "could not create database {name}");
    let (prefix, _) = base.rsplit_once('/').unwrap();
    Some(format!("{prefix}/{name}"))
}

pub struct Server {
    pub child: Child,
    pub url: String,
    pub startup: Vec<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Sends SIGTERM and waits for a clean exit.
    pub fn stop_gracefully(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s;
            }
            assert!(Instant::now() < deadline, "server did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A plain HTTP/1.1 request; returns (status, body).
pub fn http(
    url: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> (u16, String) {
    let host = url.trim_start_matches("http://");
    let mut s = TcpStream::connect(host).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(b) = body {
        req.push_str(&format!("Content-Length: {}\r\n", b.len()));
    }
    req.push_str("\r\n");
    if let Some(b) = body {
        req.push_str(b);
    }
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    };
    (status, body)
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// What the browser tests need, checked (and installed when possible) once per test run:
/// Debian's Chromium (or the one `CHROMIUM` names), Node.js, and playwright-core in
/// `tests/browser/node_modules`. Returns the Chromium to launch; panics with the exact command
/// to run when something is missing and cannot be installed from here.
///
/// Installs only what is missing: `npm --prefix tests/browser ci` when npm exists, and the
/// Debian packages `chromium`, `nodejs`, `npm` with `apt-get` when running as root. Parallel
/// tests wait for the one installation (`OnceLock`); apt waits for the dpkg lock of other runs.
pub fn browser_prerequisites() -> &'static Path {
    static READY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match READY.get_or_init(install_browser_prerequisites) {
        Ok(chromium) => chromium,
        Err(e) => panic!("browser test prerequisites: {e}"),
    }
}

/// Runs the Playwright script `tests/browser/<script>` against `url` as the demo manager
/// (Chromium from [`browser_prerequisites`], `RUMBO_SCREENSHOTS` passed on), with `extra`
/// environment variables; check the result with [`assert_browser_steps_passed`].
pub fn run_demo_browser_script(
    script: &str,
    url: &str,
    extra: &[(&str, &std::ffi::OsStr)],
) -> std::process::Output {
    let chromium = browser_prerequisites();
    let root = repo_root();
    let mut cmd = std::process::Command::new("node");
    cmd.arg(root.join("tests/browser").join(script))
        .current_dir(root.join("tests/browser"))
        .env("CHROMIUM", chromium)
        .env("RUMBO_URL", url)
        .env("RUMBO_EMAIL", "jefa@demo.rumbo.cl")
        .env("RUMBO_PASSWORD", rumbo_app::demo::DEMO_PASSWORD)
        .env(
            "RUMBO_SCREENSHOTS",
            std::env::var("RUMBO_SCREENSHOTS").unwrap_or_default(),
        );
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd.output().expect("node is needed for the browser test")
}

/// The browser script ended well and said so.
pub fn assert_browser_steps_passed(out: &std::process::Output) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "browser steps failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("all steps passed"), "{stdout}");
}

fn install_browser_prerequisites() -> Result<PathBuf, String> {
    let root = repo_root();
    let modules = root.join("tests/browser/node_modules/playwright-core");
    let chromium = match std::env::var_os("CHROMIUM") {
        Some(p) => {
            let p = PathBuf::from(p);
            if !p.exists() {
                return Err(format!(
                    "CHROMIUM={} does not exist; unset it to use Debian's /usr/bin/chromium",
                    p.display()
                ));
            }
            p
        }
        None => PathBuf::from("/usr/bin/chromium"),
    };
    let mut packages = Vec::new();
    if !chromium.exists() {
        packages.push("chromium");
    }
    if !on_path("node") {
        packages.push("nodejs");
    }
    if !modules.is_dir() && !on_path("npm") {
        packages.push("npm");
    }
    if !packages.is_empty() {
        let install = format!("apt-get install -y {}", packages.join(" "));
        if !(is_root() && on_path("apt-get")) {
            return Err(format!(
                "missing {}; run `sudo apt-get update && sudo {install}` (Debian), then the tests again",
                packages.join(", ")
            ));
        }
        eprintln!(
            "browser tests: installing {} with apt-get (once)",
            packages.join(", ")
        );
        let lock = ["-o", "DPkg::Lock::Timeout=600"];
        run_step(
            Command::new("apt-get")
                .args(["-qq"])
                .args(lock)
                .arg("update"),
            "apt-get update",
        )?;
        run_step(
            Command::new("apt-get")
                .env("DEBIAN_FRONTEND", "noninteractive")
                .args(["-qq", "install", "-y"])
                .args(lock)
                .args(&packages),
            &install,
        )?;
    }
    if !modules.is_dir() {
        let ci = "npm --prefix tests/browser ci --no-audit --no-fund";
        eprintln!("browser tests: running `{ci}` (once)");
        run_step(
            Command::new("npm").current_dir(&root).args([
                "--prefix",
                "tests/browser",
                "ci",
                "--no-audit",
                "--no-fund",
            ]),
            &format!("cd {} && {ci}", root.display()),
        )?;
    }
    if !chromium.exists() {
        return Err(format!(
            "{} is still missing; run `sudo apt-get install -y chromium`",
            chromium.display()
        ));
    }
    if !modules.is_dir() {
        return Err(format!(
            "playwright-core is still missing; run `cd {} && npm --prefix tests/browser ci`",
            root.display()
        ));
    }
    Ok(chromium)
}

/// Runs one installation step; an error names the command to run by hand.
fn run_step(cmd: &mut Command, shown: &str) -> Result<(), String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("could not start `{shown}`: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`{shown}` failed ({}); run it by hand and look at its output:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(program).is_file()))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.status.success() && o.stdout.trim_ascii() == b"0")
}

/// Creates an admin account in `dir`'s database and returns an API `Authorization` header
/// value for it.
pub fn admin_bearer(dir: &Dir) -> String {
    dir.run_ok(&[
        "user",
        "add",
        "ops@bpo.cl",
        "--role",
        "admin",
        "--generate-password",
    ]);
    let token = dir.run_ok(&["token", "create", "ops@bpo.cl"]);
    format!("Bearer {}", token.trim())
}

/// Creates a client and a voice programme `code` for it through the API of the server at `url`.
pub fn create_programme(url: &str, auth: &str, code: &str) {
    let json = [
        ("Authorization", auth),
        ("Content-Type", "application/json"),
    ];
    let (status, body) = http(
        url,
        "POST",
        "/api/v1/clients",
        &json,
        Some(r#"{"name":"Banco","rut":"76.086.428-5"}"#),
    );
    assert_eq!(status, 201, "{body}");
    let client: serde_json::Value = serde_json::from_str(&body).unwrap();
    let programme = serde_json::json!({ "code": code, "name": code, "client_id": client["id"], "channels": ["voice_inbound"], "start_date": "2026-01-01" });
    let (status, body) = http(
        url,
        "POST",
        "/api/v1/programs",
        &json,
        Some(&programme.to_string()),
    );
    assert_eq!(status, 201, "{body}");
}
