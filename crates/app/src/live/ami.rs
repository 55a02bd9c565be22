//! A small client of Asterisk's manager interface (AMI) for the live state
//! (`rumbo watch ami`): line-based `Key: Value` messages framed by a blank line over TCP.
//!
//! It logs in with `Events: on`, asks for the full queue status (`QueueStatus`) after every
//! (re)connect — a reload or a lost connection means the waiting callers and the agents' states
//! must be read again, while the day's counters are Rumbo's own and go on — maps the queue and
//! agent events into the live state, and reconnects with a doubling backoff. The secret is
//! held in a type whose `Debug` hides it and is written only to the socket, never to a log.

use std::future::Future;
use std::time::Duration;

use rumbo_kpi::live::{ami_event, LiveEvent};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::LiveFeed;
use crate::{App, Result};

/// A secret that never shows in logs or debug output.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret (trailing newlines of a secret file removed).
    pub fn new(s: &str) -> Secret {
        Secret(s.trim_end_matches(['\r', '\n']).to_string())
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct AmiOptions {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub secret: Secret,
    /// First wait before reconnecting; doubles up to `backoff_max`, back to this after a login.
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    /// The live state is written at most this often.
    pub publish_every: Duration,
    /// Live breaches are judged this often.
    pub breaches_every: Duration,
}

impl AmiOptions {
    /// Options with the default timings.
    pub fn new(host: &str, port: u16, user: &str, secret: Secret) -> AmiOptions {
        AmiOptions {
            host: host.to_string(),
            port,
            user: user.to_string(),
            secret,
            backoff_min: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            publish_every: Duration::from_millis(300),
            breaches_every: Duration::from_secs(30),
        }
    }
}

/// What a session did (for the CLI and tests).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AmiStats {
    pub connections: u64,
    pub logins: u64,
    pub events: u64,
}

/// Why a session ended.
enum End {
    Shutdown,
    Lost,
}

/// One AMI message: its fields in order.
type Message = Vec<(String, String)>;

fn field<'a>(m: &'a Message, key: &str) -> Option<&'a str> {
    m.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str())
}

/// The instant of an event: its `Timestamp` field (AMI's `timestampevents`), else now.
fn event_time(m: &Message) -> i64 {
    field(m, "Timestamp")
        .and_then(|t| t.split('.').next())
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(rumbo_store::now)
}

async fn read_message<R: AsyncBufReadExt + Unpin>(r: &mut R) -> std::io::Result<Option<Message>> {
    let mut m = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        let n = r.read_line(&mut line).await?;
        if n == 0 {
            return Ok(None);
        }
        let l = line.trim_end_matches(['\r', '\n']);
        if l.is_empty() {
            if m.is_empty() {
                continue;
            }
            return Ok(Some(m));
        }
        if line.len() > 64 * 1024 || m.len() > 1000 {
            return Err(std::io::Error::other("AMI message too long"));
        }
        if let Some((k, v)) = l.split_once(':') {
            m.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
}

impl App {
    /// Watches Asterisk's manager interface for programme `code` until `shutdown`.
    pub async fn watch_ami(
        &self,
        code: &str,
        opts: AmiOptions,
        shutdown: impl Future<Output = ()>,
    ) -> Result<AmiStats> {
        let mut feed = self.live_feed(code, "ami").await?;
        let mut stats = AmiStats::default();
        let mut backoff = opts.backoff_min;
        tokio::pin!(shutdown);
        loop {
            stats.connections += 1;
            let end = tokio::select! {
                _ = &mut shutdown => End::Shutdown,
                r = session(&opts, &mut feed, &mut stats, &mut backoff) => match r {
                    Ok(()) => End::Lost,
                    Err(e) => {
                        tracing::warn!(host = %opts.host, port = opts.port, error = %e, "AMI connection lost");
                        End::Lost
                    }
                },
            };
            if feed.is_dirty() {
                if let Err(e) = feed.publish(None).await {
                    tracing::warn!(error = %e, "could not write the live state");
                }
            }
            if let End::Shutdown = end {
                break;
            }
            tracing::info!(wait_ms = backoff.as_millis() as u64, "reconnecting to AMI");
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(opts.backoff_max);
        }
        Ok(stats)
    }
}

/// One connection: login, full status, events until the connection ends.
async fn session(
    opts: &AmiOptions,
    feed: &mut LiveFeed,
    stats: &mut AmiStats,
    backoff: &mut Duration,
) -> std::io::Result<()> {
    let stream = TcpStream::connect((opts.host.as_str(), opts.port)).await?;
    let (rd, mut wr) = stream.into_split();
    let mut rd = BufReader::new(rd);
    // The banner: "Asterisk Call Manager/x.y".
    let mut banner = String::new();
    rd.read_line(&mut banner).await?;
    let login = format!(
        "Action: Login\r\nActionID: rumbo-login\r\nUsername: {}\r\nSecret: {}\r\nEvents: on\r\n\r\n",
        opts.user, opts.secret.0
    );
    wr.write_all(login.as_bytes()).await?;
    // A reader task frames messages; the loop below waits on them or on its timers (reading
    // a line is not cancel-safe, receiving from a channel is).
    let (tx, mut rx) = tokio::sync::mpsc::channel::<std::io::Result<Message>>(1024);
    let reader = tokio::spawn(async move {
        loop {
            match read_message(&mut rd).await {
                Ok(Some(m)) => {
                    if tx.send(Ok(m)).await.is_err() {
                        return;
                    }
                }
                Ok(None) => return,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            }
        }
    });
    let _abort = AbortOnDrop(reader);
    let mut logged_in = false;
    let mut last_publish = tokio::time::Instant::now();
    let mut last_breaches = tokio::time::Instant::now();
    loop {
        let msg = tokio::select! {
            m = rx.recv() => match m {
                Some(Ok(m)) => Some(m),
                Some(Err(e)) => return Err(e),
                None => return Ok(()),
            },
            _ = tokio::time::sleep(Duration::from_millis(200)) => None,
        };
        if let Some(m) = msg {
            if let Some(resp) = field(&m, "Response") {
                match field(&m, "ActionID") {
                    Some("rumbo-login") => {
                        if !resp.eq_ignore_ascii_case("Success") {
                            // Never the secret: only who and what the server said.
                            tracing::warn!(user = %opts.user, message = field(&m, "Message").unwrap_or(""), "AMI login refused");
                            return Err(std::io::Error::other("login refused"));
                        }
                        logged_in = true;
                        stats.logins += 1;
                        *backoff = opts.backoff_min;
                        tracing::info!(host = %opts.host, port = opts.port, "AMI logged in");
                        wr.write_all(b"Action: QueueStatus\r\nActionID: rumbo-status\r\n\r\n")
                            .await?;
                    }
                    Some("rumbo-status") if resp.eq_ignore_ascii_case("Success") => {
                        feed.apply(event_time(&m), LiveEvent::StatusBegin);
                    }
                    _ => {}
                }
            } else if logged_in {
                if let Some(ev) = ami_event(&m) {
                    stats.events += 1;
                    feed.apply(event_time(&m), ev);
                }
            }
        }
        if feed.is_dirty() && last_publish.elapsed() >= opts.publish_every {
            last_publish = tokio::time::Instant::now();
            if let Err(e) = feed.publish(None).await {
                tracing::warn!(error = %e, "could not write the live state");
            }
        }
        if last_breaches.elapsed() >= opts.breaches_every {
            last_breaches = tokio::time::Instant::now();
            if let Err(e) = feed.check_breaches(rumbo_store::now()).await {
                tracing::warn!(error = %e, "could not judge live breaches");
            }
        }
    }
}

/// Stops the reader task when the session ends.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
