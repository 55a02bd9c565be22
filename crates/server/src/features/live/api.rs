//! The live state as JSON: `GET /programs/{code}/live` (the wallboard's figures, statuses as a
//! colour name and a word in the caller's language), `GET /programs/{code}/live/events` (a
//! server-sent event stream: an event `board` with the same JSON whenever the stored live
//! state's version moves, and at least every few seconds) and `GET|PUT
//! /programs/{code}/live/settings`. Instants are UTC epoch seconds, durations seconds,
//! percentages 0–100.
//!
//! The stream holds nothing between servers: each open stream polls the version of the
//! programme's stored state (one indexed read) and reads the board only when it moved.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use hyper::body::Frame;
use rumbo_app::live::{LiveBoard, LiveQueue, LiveSettings, LiveTarget};
use rumbo_app::Principal;
use serde::Serialize;

use super::{rag_str, rag_word};
use crate::http::access::{ProgrammeAccess, Read, Update};
use crate::http::ctx::{ApiJson, Ctx};
use crate::http::error::AppError;
use crate::AppState;

/// How often an open stream looks at the stored version.
pub const POLL: Duration = Duration::from_millis(500);
/// A stream sends the board at least this often (waits grow without events).
pub const RESEND: Duration = Duration::from_secs(5);

pub fn api_router() -> Router<AppState> {
    Router::new()
        .route("/programs/{code}/live", get(live))
        .route("/programs/{code}/live/events", get(events))
        .route(
            "/programs/{code}/live/settings",
            get(settings).put(set_settings),
        )
}

#[derive(Debug, Serialize)]
pub struct TargetOut {
    pub target: f64,
    pub tolerance: f64,
    pub higher_is_better: bool,
}

fn target_out(t: &Option<LiveTarget>) -> Option<TargetOut> {
    t.as_ref().map(|t| TargetOut {
        target: t.target,
        tolerance: t.tolerance,
        higher_is_better: t.higher_is_better,
    })
}

#[derive(Debug, Serialize)]
pub struct StatusOut {
    /// `green`, `amber`, `red` or `none` (no target or no calls yet).
    pub colour: &'static str,
    /// The status in words, in the caller's language.
    pub word: &'static str,
}

#[derive(Debug, Serialize)]
pub struct QueueOut {
    /// `null` for the total over every queue.
    pub queue: Option<String>,
    pub waiting: u64,
    pub longest_wait_s: i64,
    pub waiting_over_limit: bool,
    /// Agents per state (`available`, `ringing`, `on_call`, `wrap_up`, `paused`, `logged_out`).
    pub agents: serde_json::Map<String, serde_json::Value>,
    pub offered: u64,
    pub answered: u64,
    pub answered_in_sl: u64,
    pub abandoned: u64,
    pub exits: u64,
    pub service_level: Option<f64>,
    pub abandon_rate: Option<f64>,
    pub asa_s: Option<f64>,
    pub aht_s: Option<f64>,
    pub service_level_status: StatusOut,
    pub abandon_rate_status: StatusOut,
}

#[derive(Debug, Serialize)]
pub struct AgentOut {
    pub name: String,
    pub state: &'static str,
    pub state_word: &'static str,
    pub pause_reason: Option<String>,
    pub in_state_s: i64,
    pub queues: Vec<String>,
    pub answered: u64,
    pub missed: u64,
    pub talk_s: i64,
}

#[derive(Debug, Serialize)]
pub struct AbandonedOut {
    pub at: i64,
    pub queue: String,
    pub wait_s: i64,
    /// Masked (at most the last four digits) unless `full`.
    pub number: Option<String>,
    pub full: bool,
}

#[derive(Debug, Serialize)]
pub struct LiveOut {
    pub code: String,
    pub version: i64,
    pub source: Option<String>,
    pub updated_at: Option<i64>,
    pub last_event_at: Option<i64>,
    pub now: i64,
    pub day: Option<String>,
    pub time_zone: String,
    pub sl_threshold_s: i64,
    pub service_level_target: Option<TargetOut>,
    pub abandon_rate_target: Option<TargetOut>,
    pub queues: Vec<QueueOut>,
    pub total: QueueOut,
    /// `null` for roles that do not see agents (supervisors and above do).
    pub agents: Option<Vec<AgentOut>>,
    pub abandoned: Vec<AbandonedOut>,
}

fn queue_out(ctx: &Ctx, q: &LiveQueue) -> QueueOut {
    QueueOut {
        queue: q.queue.clone(),
        waiting: q.waiting,
        longest_wait_s: q.longest_wait_s,
        waiting_over_limit: q.waiting_over_limit,
        agents: q
            .agents
            .iter()
            .map(|(s, n)| (s.as_str().to_string(), (*n).into()))
            .collect(),
        offered: q.counters.offered,
        answered: q.counters.answered,
        answered_in_sl: q.counters.answered_in_sl,
        abandoned: q.counters.abandoned,
        exits: q.counters.exits,
        service_level: q.service_level,
        abandon_rate: q.abandon_rate,
        asa_s: q.asa_s,
        aht_s: q.aht_s,
        service_level_status: StatusOut {
            colour: rag_str(q.sl_rag),
            word: rag_word(ctx, q.sl_rag),
        },
        abandon_rate_status: StatusOut {
            colour: rag_str(q.abandon_rag),
            word: rag_word(ctx, q.abandon_rag),
        },
    }
}

pub fn live_out(ctx: &Ctx, b: &LiveBoard) -> LiveOut {
    LiveOut {
        code: b.code.clone(),
        version: b.version,
        source: b.source.clone(),
        updated_at: b.updated_at,
        last_event_at: b.last_event_at,
        now: b.now,
        day: b.day.clone(),
        time_zone: b.time_zone.clone(),
        sl_threshold_s: b.sl_threshold_s,
        service_level_target: target_out(&b.sl_target),
        abandon_rate_target: target_out(&b.abandon_target),
        queues: b.queues.iter().map(|q| queue_out(ctx, q)).collect(),
        total: queue_out(ctx, &b.total),
        agents: b.agents.as_ref().map(|agents| {
            agents
                .iter()
                .map(|a| AgentOut {
                    name: a.name.clone(),
                    state: a.state.as_str(),
                    state_word: ctx.t(&format!("live.state.{}", a.state.as_str())),
                    pause_reason: a.pause_reason.clone(),
                    in_state_s: a.in_state_s,
                    queues: a.queues.clone(),
                    answered: a.answered,
                    missed: a.missed,
                    talk_s: a.talk_s,
                })
                .collect()
        }),
        abandoned: b
            .abandoned
            .iter()
            .map(|a| AbandonedOut {
                at: a.at,
                queue: a.queue.clone(),
                wait_s: a.wait_s,
                number: a.number.clone(),
                full: a.full,
            })
            .collect(),
    }
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

async fn live(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Read>,
) -> Result<Json<LiveOut>, AppError> {
    let b = state
        .app
        .live_board(&ctx.principal()?, &access.programme.code, now())
        .await?;
    Ok(Json(live_out(&ctx, &b)))
}

/// A response body fed by a channel: the event stream.
struct ChannelBody(tokio::sync::mpsc::Receiver<Bytes>);

impl hyper::body::Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0.poll_recv(cx).map(|o| o.map(|b| Ok(Frame::data(b))))
    }
}

fn sse_event(version: i64, json: &str) -> Bytes {
    Bytes::from(format!("event: board\nid: {version}\ndata: {json}\n\n"))
}

pub(crate) async fn events(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Read>,
) -> Result<Response, AppError> {
    let who: Principal = ctx.principal()?;
    let programme = access.programme.clone();
    // The first event is sent at once, so a client knows the stream works.
    let first = state.app.live_board(&who, &programme.code, now()).await?;
    let first_json = serde_json::to_string(&live_out(&ctx, &first)).unwrap_or_default();
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(4);
    let app = state.app.clone();
    tokio::spawn(async move {
        let mut version = first.version;
        if tx.send(sse_event(version, &first_json)).await.is_err() {
            return;
        }
        let mut sent = Instant::now();
        loop {
            tokio::time::sleep(POLL).await;
            if tx.is_closed() {
                return;
            }
            let v = match app.live_version(&programme).await {
                Ok(v) => v,
                Err(e) => {
                    tracing::warn!(error = %e, "live stream: could not read the version");
                    continue;
                }
            };
            if v == version && sent.elapsed() < RESEND {
                continue;
            }
            let b = match app.live_board(&who, &programme.code, now()).await {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(error = %e, "live stream: could not read the board");
                    // Access withdrawn or the programme gone: end the stream.
                    return;
                }
            };
            version = b.version;
            let json = serde_json::to_string(&live_out(&ctx, &b)).unwrap_or_default();
            if tx.send(sse_event(version, &json)).await.is_err() {
                return;
            }
            sent = Instant::now();
        }
    });
    let mut res = Body::new(ChannelBody(rx)).into_response();
    let h = res.headers_mut();
    h.insert(
        CONTENT_TYPE,
        axum::http::HeaderValue::from_static("text/event-stream"),
    );
    h.insert(
        CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

async fn settings(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Read>,
) -> Result<Json<LiveSettings>, AppError> {
    Ok(Json(
        state
            .app
            .live_settings(&ctx.principal()?, &access.programme.code)
            .await?,
    ))
}

async fn set_settings(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Update>,
    ApiJson(body): ApiJson<LiveSettings>,
) -> Result<Json<LiveSettings>, AppError> {
    Ok(Json(
        state
            .app
            .save_live_settings(&ctx.principal()?, &access.programme.code, body)
            .await?,
    ))
}
