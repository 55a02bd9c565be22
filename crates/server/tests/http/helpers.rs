//! `TestApp`: a fresh database and the router, driven in-process with `oneshot`.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use rumbo_app::credentials as auth;
use rumbo_domain::programme::{NewProgramme, ProgrammeInput};
use rumbo_domain::rut::Rut;
use rumbo_server::{app, AppState, Config};
use rumbo_store::users::{NewUser, User};
use rumbo_store::{Actor, Store};
use tower::ServiceExt;

pub struct TestApp {
    pub store: Store,
    /// The use cases behind the router (a watcher in a test shares its data folder and keys).
    pub app: rumbo_app::App,
    pub router: Router,
    pub client_a: i64,
    pub client_b: i64,
}

/// A browser-like identity: session cookie + CSRF token, and an API token.
#[derive(Clone)]
pub struct Who {
    pub user: User,
    pub cookie: String,
    pub csrf: String,
    pub bearer: String,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    pub fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

fn hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| auth::hash_password("a-long-password").unwrap())
}

pub const PASSWORD: &str = "a-long-password";

/// Every log line of this test binary, kept in memory (tests check what never reaches logs);
/// also printed when `TEST_LOG` is set (zero2prod's convention).
#[derive(Clone, Copy)]
struct Tee;

fn log_buffer() -> &'static std::sync::Mutex<Vec<u8>> {
    static B: std::sync::OnceLock<std::sync::Mutex<Vec<u8>>> = std::sync::OnceLock::new();
    B.get_or_init(|| std::sync::Mutex::new(Vec::new()))
}

impl std::io::Write for Tee {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut v) = log_buffer().lock() {
            v.extend_from_slice(b);
        }
        if std::env::var("TEST_LOG").is_ok() {
            eprint!("{}", String::from_utf8_lossy(b));
        }
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn init_logging() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(|| Tee)
            .try_init();
    });
}

/// Everything logged so far by this test binary.
pub fn logs() -> String {
    String::from_utf8_lossy(&log_buffer().lock().map(|v| v.clone()).unwrap_or_default())
        .into_owned()
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(Config::default()).await
    }

    /// A fresh application with the given server settings.
    pub async fn spawn_with(config: Config) -> TestApp {
        init_logging();
        let store = rumbo_store::testing::fresh_store()
            .await
            .expect("fresh store");
        let sys = Actor::system("test");
        let a = store
            .create_client(&sys, "Cliente A", Rut::parse("76.086.428-5").unwrap())
            .await
            .unwrap();
        let b = store
            .create_client(&sys, "Cliente B", Rut::parse("12.345.678-5").unwrap())
            .await
            .unwrap();
        let state = AppState::new(
            rumbo_app::App::new(
                store.clone(),
                rumbo_app::Settings {
                    data_dir: std::env::temp_dir().join(format!(
                        "rumbo-test-data-{}",
                        rumbo_app::credentials::new_token().get(..16).unwrap_or("x")
                    )),
                    jobs: rumbo_app::jobs::JobSettings {
                        poll: std::time::Duration::from_millis(20),
                        evaluation_spacing: std::time::Duration::from_millis(20),
                        ..Default::default()
                    },
                    caller_keys: None,
                    smtp: None,
                    report_words: rumbo_server::features::reports::report_words(),
                    import_threads: 0,
                },
            ),
            config,
        );
        // Uploads are queued as jobs: run a worker, as `rumbo serve` does.
        tokio::spawn({
            let app = state.app.clone();
            async move { app.run_job_worker(std::future::pending()).await }
        });
        TestApp {
            app: state.app.clone(),
            router: app(state),
            store,
            client_a: a.id,
            client_b: b.id,
        }
    }

    pub async fn user(&self, email: &str, role: &str, client_id: Option<i64>) -> Who {
        let user = self
            .store
            .create_user(
                &Actor::system("test"),
                NewUser {
                    email,
                    name: email,
                    password_hash: hash(),
                    role: role.parse().unwrap(),
                    client_id,
                    lang: "es",
                },
            )
            .await
            .unwrap();
        let token = auth::new_token();
        let csrf = auth::new_token();
        self.store
            .create_session(&auth::token_hash(&token), user.id, &csrf, 3600)
            .await
            .unwrap();
        let bearer = auth::new_token();
        self.store
            .create_api_token(
                &Actor::system("test"),
                user.id,
                &auth::token_hash(&bearer),
                "t",
            )
            .await
            .unwrap();
        Who {
            user,
            cookie: format!("{}={token}", rumbo_server::http::auth::SESSION_COOKIE),
            csrf,
            bearer,
        }
    }

    /// Creates programme `code` for `client_id` as `creator` (who joins its team).
    pub async fn programme(&self, code: &str, client_id: i64, creator: &Who) -> i64 {
        let p = NewProgramme::try_from(ProgrammeInput {
            code: code.into(),
            name: format!("Programa {code}"),
            client_id: Some(client_id),
            channels: vec!["voice_inbound".into()],
            start_date: "2026-01-01".into(),
            end_date: Some("2026-12-31".into()),
            ..Default::default()
        })
        .unwrap();
        self.store
            .create_programme(&Actor::user(creator.user.id, &creator.user.email), &p)
            .await
            .unwrap()
            .id
    }

    pub async fn send(&self, req: Request<Body>) -> Resp {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        Resp {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get_page(&self, who: Option<&Who>, path: &str) -> Resp {
        let mut b = Request::get(path);
        if let Some(w) = who {
            b = b.header(header::COOKIE, &w.cookie);
        }
        self.send(b.body(Body::empty()).unwrap()).await
    }

    /// Posts a form as `who`, adding their CSRF token unless `fields` has `_csrf` already.
    pub async fn post_form(&self, who: Option<&Who>, path: &str, fields: &[(&str, &str)]) -> Resp {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        if let Some(w) = who {
            if !fields.iter().any(|(k, _)| *k == "_csrf") {
                ser.append_pair("_csrf", &w.csrf);
            }
        }
        for (k, v) in fields {
            ser.append_pair(k, v);
        }
        let mut b =
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(w) = who {
            b = b.header(header::COOKIE, &w.cookie);
        }
        self.send(b.body(Body::from(ser.finish())).unwrap()).await
    }

    pub async fn api(
        &self,
        who: Option<&Who>,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Resp {
        let mut b = Request::builder()
            .method(method)
            .uri(format!("/api/v1{path}"));
        if let Some(w) = who {
            b = b.header(header::AUTHORIZATION, format!("Bearer {}", w.bearer));
        }
        let body = match body {
            Some(v) => {
                b = b.header(header::CONTENT_TYPE, "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        self.send(b.body(body).unwrap()).await
    }

    pub async fn programme_count(&self) -> usize {
        self.store.programmes_for(None).await.unwrap().len()
    }
}

pub fn programme_json(code: &str, client_id: i64) -> serde_json::Value {
    serde_json::json!({
        "code": code, "name": "Nuevo", "client_id": client_id, "channels": ["chat"],
        "start_date": "2026-02-01", "end_date": "2026-03-01"
    })
}

pub fn programme_form(code: &str, client_id: i64) -> Vec<(&'static str, String)> {
    vec![
        ("code", code.to_string()),
        ("name", "Nuevo".into()),
        ("client_id", client_id.to_string()),
        ("channels", "chat".into()),
        ("start_date", "2026-02-01".into()),
        ("end_date", "2026-03-01".into()),
        ("status", "draft".into()),
    ]
}
