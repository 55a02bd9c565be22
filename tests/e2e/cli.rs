//! The command line as other tools use it.

use crate::util::{http, Dir};

#[test]
fn serve_creates_the_database_with_the_demo_programme_and_answers_health_checks() {
    let dir = Dir::new();
    let server = dir.serve(&[]);
    if std::env::var("DATABASE_URL").is_err() {
        assert!(dir.path().join("rumbo.db").exists(), "./rumbo.db created");
    }
    assert!(
        server
            .startup
            .iter()
            .any(|l| l.contains("Demo data created")),
        "{:?}",
        server.startup
    );
    assert_eq!(
        http(&server.url, "GET", "/healthz", &[], None),
        (200, "ok".into())
    );
    assert_eq!(http(&server.url, "GET", "/readyz", &[], None).0, 200);
    let (status, body) = http(&server.url, "GET", "/login", &[], None);
    assert_eq!(status, 200);
    assert!(body.contains("Iniciar sesión"));
    let status = server.stop_gracefully();
    assert!(
        status.success(),
        "graceful shutdown exits 0, got {status:?}"
    );

    let list = dir.run_ok(&["programs", "list", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&list).unwrap();
    let codes: Vec<_> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"VIDA-2026"), "{codes:?}");
    assert!(v[0]["name"].is_string());

    // The demo's planted problems are alarms on first start, from the command line too.
    let alarms = dir.run_ok(&["alarms", "--program", "RET-TC-2026", "--json"]);
    let kinds: Vec<String> = alarms
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["kind"].to_string())
        .collect();
    assert!(kinds.iter().any(|k| k == "\"target_breach\""), "{alarms}");
    let missing = dir.run(&["alarms", "--program", "NO-SUCH"]);
    assert!(!missing.status.success());
}

#[test]
fn user_add_token_create_and_the_api_agree_with_programs_list() {
    let dir = Dir::new();
    let out = dir.run_with_stdin(
        &[
            "user",
            "add",
            "ops@bpo.cl",
            "--role",
            "admin",
            "--password-stdin",
        ],
        "una-clave-larga\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dup = dir.run_with_stdin(
        &[
            "user",
            "add",
            "ops@bpo.cl",
            "--role",
            "admin",
            "--password-stdin",
        ],
        "una-clave-larga\n",
    );
    assert!(!dup.status.success());
    assert!(String::from_utf8_lossy(&dup.stderr).contains("already exists"));
    let bad_role = dir.run(&[
        "user",
        "add",
        "x@bpo.cl",
        "--role",
        "boss",
        "--generate-password",
    ]);
    assert!(!bad_role.status.success());
    let generated = dir.run_ok(&[
        "user",
        "add",
        "gen@bpo.cl",
        "--role",
        "analyst",
        "--generate-password",
    ]);
    assert!(generated.contains("password: "), "{generated}");

    let token = dir
        .run_ok(&["token", "create", "ops@bpo.cl"])
        .trim()
        .to_string();
    assert_eq!(token.len(), 64);
    let server = dir.serve(&[]);
    let auth = format!("Bearer {token}");
    let (status, body) = http(
        &server.url,
        "GET",
        "/api/v1/programs",
        &[("Authorization", &auth)],
        None,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap(),
        serde_json::json!([])
    );
    // An import through the running server (multi-threaded runtime) commits a batch.
    let json = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
    ];
    let (status, body) = http(
        &server.url,
        "POST",
        "/api/v1/clients",
        &json,
        Some(r#"{"name":"Banco","rut":"76.086.428-5"}"#),
    );
    assert_eq!(status, 201, "{body}");
    let client: serde_json::Value = serde_json::from_str(&body).unwrap();
    let programme = serde_json::json!({ "code": "IMP-1", "name": "Import", "client_id": client["id"], "channels": ["voice_inbound"], "start_date": "2026-01-01" });
    let (status, body) = http(
        &server.url,
        "POST",
        "/api/v1/programs",
        &json,
        Some(&programme.to_string()),
    );
    assert_eq!(status, 201, "{body}");
    let log = "1767261600|1.1|ventas|NONE|ENTERQUEUE||+56912345678|1\n1767261610|1.1|ventas|SIP/201|CONNECT|10|1.2|3\n1767261790|1.1|ventas|SIP/201|COMPLETECALLER|10|180|1\n";
    let (status, body) = http(
        &server.url,
        "POST",
        "/api/v1/programs/IMP-1/imports?source=queue-log&file_name=queue_log",
        &[("Authorization", &auth)],
        Some(log),
    );
    assert_eq!(status, 201, "{body}");
    assert!(body.contains("\"imported\":1"), "{body}");
    let (_, api_body) = http(
        &server.url,
        "GET",
        "/api/v1/programs",
        &[("Authorization", &auth)],
        None,
    );
    let api: serde_json::Value = serde_json::from_str(&api_body).unwrap();
    drop(server);
    let cli: serde_json::Value =
        serde_json::from_str(&dir.run_ok(&["programs", "list", "--format", "json"])).unwrap();
    assert_eq!(api, cli, "the CLI lists the same data as the API");
}

#[test]
fn backup_writes_a_consistent_copy_that_opens() {
    if std::env::var("DATABASE_URL").is_ok_and(|u| u.starts_with("postgres")) {
        return; // `rumbo backup` is SQLite's online backup; PostgreSQL uses pg_dump.
    }
    let dir = Dir::new();
    dir.run_ok(&[
        "user",
        "add",
        "a@b.cl",
        "--role",
        "admin",
        "--generate-password",
    ]);
    dir.run_ok(&["backup", "copy.db"]);
    let again = dir.run(&["backup", "copy.db"]);
    assert!(!again.status.success(), "never overwrites");
    let listed = dir.run_ok(&["--database-url", "sqlite://copy.db", "user", "list"]);
    assert!(listed.contains("a@b.cl"), "{listed}");
}

#[test]
fn a_demo_installation_refuses_to_listen_beyond_this_machine_until_its_passwords_change() {
    use std::io::BufRead;
    let dir = Dir::new();
    let out = dir.run(&["serve", "--bind", "0.0.0.0:0"]);
    assert!(!out.status.success(), "it listened on every interface");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refusing to listen") && err.contains("jefa@demo.rumbo.cl"),
        "{err}"
    );
    for email in [
        "admin@demo.rumbo.cl",
        "jefa@demo.rumbo.cl",
        "supervisor@demo.rumbo.cl",
        "analista@demo.rumbo.cl",
        "cliente@demo.rumbo.cl",
    ] {
        let out = dir.run_with_stdin(
            &["user", "password", email, "--password-stdin"],
            "otra-clave-larga-2026\n",
        );
        assert!(out.status.success(), "{out:?}");
    }
    let mut child = dir
        .cmd(&["serve", "--bind", "0.0.0.0:0"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let mut listening = false;
    for line in lines.map_while(Result::ok).take(50) {
        if line.contains("listening on http://") {
            listening = true;
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        listening,
        "it did not start once the passwords were changed"
    );
    // The new password works and the old one does not.
    let server = dir.serve(&[]);
    let form = |password: &str| format!("email=jefa%40demo.rumbo.cl&password={password}&_csrf=x");
    for (password, ok) in [("rumbo-demo-2026", false), ("otra-clave-larga-2026", true)] {
        let (status, _) = http(
            &server.url,
            "POST",
            "/login",
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Cookie", "rumbo_csrf=x"),
            ],
            Some(&form(password)),
        );
        assert_eq!(status == 303, ok, "{password}: {status}");
    }
}

#[cfg(unix)]
#[test]
fn the_database_its_data_folder_and_backups_are_private_to_their_user() {
    use std::os::unix::fs::PermissionsExt;
    let dir = Dir::new();
    if std::env::var("DATABASE_URL").is_ok_and(|u| u.starts_with("postgres")) {
        return; // the database is the server's; the files below are SQLite's
    }
    let server = dir.serve(&[]);
    assert!(server.stop_gracefully().success());
    let mode = |p: &str| {
        std::fs::metadata(dir.path().join(p))
            .unwrap_or_else(|e| panic!("{p}: {e}"))
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("rumbo.db"), 0o600);
    assert_eq!(mode("rumbo-data"), 0o700);
    dir.run_ok(&["backup", "copia.db"]);
    assert_eq!(mode("copia.db"), 0o600);
}

#[test]
fn revoked_tokens_and_deactivated_accounts_lose_access_at_once() {
    let dir = Dir::new();
    let auth = crate::util::admin_bearer(&dir);
    let server = dir.serve(&["--no-demo"]);
    let me = |auth: &str| {
        http(
            &server.url,
            "GET",
            "/api/v1/me",
            &[("Authorization", auth)],
            None,
        )
        .0
    };
    assert_eq!(me(&auth), 200);
    let second = format!(
        "Bearer {}",
        dir.run_ok(&[
            "token",
            "create",
            "ops@bpo.cl",
            "--name",
            "cron",
            "--days",
            "7"
        ])
        .trim()
    );
    assert_eq!(me(&second), 200);
    assert!(dir
        .run_ok(&["token", "revoke", "ops@bpo.cl", "--name", "cron"])
        .contains("revoked 1"));
    assert_eq!(me(&second), 401, "a revoked token still works");
    assert_eq!(me(&auth), 200, "revoking one token revoked the others");
    dir.run_ok(&["user", "deactivate", "ops@bpo.cl"]);
    assert_eq!(me(&auth), 401, "a deactivated account's token still works");
    dir.run_ok(&["user", "activate", "ops@bpo.cl"]);
    assert_eq!(me(&auth), 200);
    dir.run_ok(&["token", "revoke", "ops@bpo.cl"]);
    assert_eq!(me(&auth), 401);
}

#[test]
fn caller_keys_live_in_a_private_file_and_rotate_from_the_command_line() {
    let dir = Dir::new();
    let run = |args: &[&str]| {
        let out = dir
            .cmd(args)
            .env_remove("RUMBO_CALLER_KEYS")
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let status = run(&["--data-dir", "data", "keys", "status"]);
    assert!(status.contains("versions: [1]"), "{status}");
    let file = dir.path().join("data").join("caller-keys");
    let first = std::fs::read_to_string(&file).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(
        !status.contains(first.lines().last().unwrap().split(' ').nth(1).unwrap()),
        "the status never shows a key"
    );
    let rotated = run(&["--data-dir", "data", "keys", "rotate"]);
    assert!(rotated.contains("version 2"), "{rotated}");
    let status = run(&["--data-dir", "data", "keys", "status"]);
    assert!(
        status.contains("versions: [1, 2]") && status.contains("current: 2"),
        "{status}"
    );
    let after = std::fs::read_to_string(&file).unwrap();
    assert!(
        after.contains(first.lines().last().unwrap()),
        "the old key is kept"
    );
}

#[test]
fn rumbo_report_writes_each_report_of_the_demo_programme_in_each_format_and_language() {
    let dir = Dir::new();
    let server = dir.serve(&[]);
    assert!(server.stop_gracefully().success());
    for (kind, format, lang) in [
        ("kpi", "pdf", "es"),
        ("status", "pdf", "en"),
        ("actions", "xlsx", "es"),
        ("client", "csv", "en"),
    ] {
        let out = dir.path().join(format!("{kind}.{format}"));
        let run = dir.run(&[
            "report",
            kind,
            "--program",
            "RET-TC-2026",
            "--format",
            format,
            "--lang",
            lang,
            "--output",
            out.to_str().unwrap(),
        ]);
        assert!(
            run.status.success(),
            "{kind}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        let bytes = std::fs::read(&out).unwrap();
        let sha = String::from_utf8_lossy(&run.stdout).to_string();
        assert!(sha.contains("sha256 "), "{sha}");
        match format {
            "pdf" => {
                assert!(bytes.starts_with(b"%PDF"));
                let text = std::process::Command::new("pdftotext")
                    .arg(&out)
                    .arg("-")
                    .output();
                match text {
                    Ok(t) => {
                        let t = String::from_utf8_lossy(&t.stdout);
                        let title = if lang == "es" {
                            "Informe de KPI"
                        } else {
                            "Programme status"
                        };
                        assert!(t.contains(title), "{t}");
                    }
                    Err(_) => {
                        assert!(
                            std::env::var_os("CI").is_none(),
                            "pdftotext is required in CI"
                        );
                        eprintln!("skipping the pdftotext check: poppler-utils is not installed");
                    }
                }
            }
            "xlsx" => assert!(bytes.starts_with(b"PK")),
            _ => {
                let csv = String::from_utf8(bytes).unwrap();
                assert!(csv.starts_with("Monthly client report"), "{csv}");
                assert!(!csv.contains('\r'));
            }
        }
    }
    // The close-out evaluation and the lessons report, with the figures and names the pages
    // show (the demo's objective, its budget and its best practice).
    for (kind, expect) in [
        (
            "closeout",
            vec![
                "Evaluación de cierre",
                "Vender 7.200 pólizas",
                "530.400.000",
            ],
        ),
        (
            "lessons",
            vec![
                "Lecciones y buenas prácticas",
                "Cierre en dos pasos",
                "Equipo Vida 1",
            ],
        ),
    ] {
        let out = dir.path().join(format!("{kind}.pdf"));
        let run = dir.run(&[
            "report",
            kind,
            "--program",
            "VIDA-2026",
            "--lang",
            "es",
            "--output",
            out.to_str().unwrap(),
        ]);
        assert!(
            run.status.success(),
            "{kind}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        if let Ok(t) = std::process::Command::new("pdftotext")
            .arg(&out)
            .arg("-")
            .output()
        {
            let t = String::from_utf8_lossy(&t.stdout);
            for e in expect {
                assert!(t.contains(e), "{kind} lacks {e}: {t}");
            }
        } else {
            assert!(
                std::env::var_os("CI").is_none(),
                "pdftotext is required in CI"
            );
        }
    }
    let csv = dir.path().join("lessons.csv");
    let run = dir.run(&[
        "report",
        "lessons",
        "--program",
        "VIDA-2026",
        "--format",
        "csv",
        "--lang",
        "en",
        "--output",
        csv.to_str().unwrap(),
    ]);
    assert!(run.status.success());
    let csv = std::fs::read_to_string(csv).unwrap();
    assert!(
        csv.contains("Lessons and best practices") && csv.contains("Cierre en dos pasos"),
        "{csv}"
    );
}
