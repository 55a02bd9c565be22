//! The data-protection API under `/api/v1/privacy` (admins only, like the pages): requests,
//! person search, export (a ZIP), erasure, suppression, breaches with their notices, settings,
//! retention purge, and each programme's record of processing. The identifier searched for
//! travels in the body of a POST, so it never reaches an access log's URL.

use axum::extract::{Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rumbo_app::privacy::{
    Breach, DpoContact, Findings, NewRequest, PersonQuery, ProcessingRecord, PurgeLine, Reply,
    RequestView,
};
use rumbo_domain::privacy::{DataClass, Deadlines};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::notices;
use crate::http::ctx::{ApiJson, Ctx};
use crate::view::i18n::Lang;
use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/privacy/requests", get(requests).post(create_request))
        .route("/privacy/requests/{id}", get(request))
        .route("/privacy/requests/{id}/extension", post(extend))
        .route("/privacy/requests/{id}/reply", post(reply))
        .route("/privacy/search", post(search))
        .route("/privacy/export", post(export))
        .route("/privacy/erase", post(erase))
        .route("/privacy/suppressions", post(suppress))
        .route("/privacy/breaches", get(breaches).post(create_breach))
        .route("/privacy/breaches/{id}", get(breach).put(update_breach))
        .route("/privacy/settings", get(settings).put(save_settings))
        .route("/privacy/purge", post(purge))
        .route("/privacy/purge-log", get(purge_log))
        .route("/privacy/policy", get(policy))
        .route(
            "/programs/{code}/processing-record",
            get(record).put(save_record),
        )
}

/// A rights request as the API shows it.
#[derive(Serialize)]
pub struct RequestDto {
    pub id: i64,
    pub kind: &'static str,
    pub subject: String,
    pub channel: String,
    pub received_on: String,
    pub acknowledged_at: Option<i64>,
    pub identity_checked: bool,
    pub due_on: String,
    pub extended: bool,
    pub extension_reason: String,
    pub status: &'static str,
    /// For open requests: `overdue`, `near_due` or `on_time`.
    pub urgency: Option<&'static str>,
    pub answered_on: Option<String>,
    pub answer: String,
    pub denial_reason: String,
    pub complain_until: Option<String>,
    pub proof: String,
}

impl From<&RequestView> for RequestDto {
    fn from(v: &RequestView) -> Self {
        let r = &v.request;
        RequestDto {
            id: r.id,
            kind: r.kind.as_str(),
            subject: r.subject.clone(),
            channel: r.channel.clone(),
            received_on: r.received_on.to_string(),
            acknowledged_at: r.acknowledged_at,
            identity_checked: r.identity_checked,
            due_on: r.due_on.to_string(),
            extended: r.extended,
            extension_reason: r.extension_reason.clone(),
            status: r.status.as_str(),
            urgency: v.urgency.map(|u| u.as_str()),
            answered_on: r.answered_on.map(|d| d.to_string()),
            answer: r.answer.clone(),
            denial_reason: r.denial_reason.clone(),
            complain_until: r.complain_until.map(|d| d.to_string()),
            proof: r.proof.clone(),
        }
    }
}

async fn requests(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<RequestDto>>, AppError> {
    let who = ctx.principal()?;
    let list = state.app.rights_requests(Some(&who)).await?;
    Ok(Json(list.iter().map(RequestDto::from).collect()))
}

#[derive(Deserialize)]
struct NewRequestBody {
    kind: String,
    subject: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    received_on: String,
    #[serde(default)]
    identity_checked: bool,
}

async fn create_request(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(b): ApiJson<NewRequestBody>,
) -> Result<(StatusCode, Json<RequestDto>), AppError> {
    let who = ctx.principal()?;
    let v = state
        .app
        .register_request(
            Some(&who),
            NewRequest {
                kind: &b.kind,
                subject: &b.subject,
                channel: &b.channel,
                received_on: &b.received_on,
                identity_checked: b.identity_checked,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json((&v).into())))
}

async fn request(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Json<RequestDto>, AppError> {
    let who = ctx.principal()?;
    Ok(Json(
        (&state.app.rights_request(Some(&who), id).await?).into(),
    ))
}

#[derive(Deserialize)]
struct ExtendBody {
    reason: String,
}

async fn extend(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<ExtendBody>,
) -> Result<Json<RequestDto>, AppError> {
    let who = ctx.principal()?;
    Ok(Json(
        (&state.app.extend_request(Some(&who), id, &b.reason).await?).into(),
    ))
}

#[derive(Deserialize)]
struct ReplyBody {
    /// `answered` or `denied`.
    outcome: String,
    /// The answer, or the reasons of a denial.
    text: String,
    proof: String,
    #[serde(default)]
    answered_on: String,
}

async fn reply(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<ReplyBody>,
) -> Result<Json<RequestDto>, AppError> {
    let who = ctx.principal()?;
    let r = match b.outcome.as_str() {
        "answered" => Reply::Answered { answer: &b.text },
        "denied" => Reply::Denied { reason: &b.text },
        _ => {
            return Err(AppError::Invalid(
                rumbo_domain::Invalid::new("outcome", "error.privacy.outcome").into(),
            ))
        }
    };
    let v = state
        .app
        .reply_request(Some(&who), id, r, &b.proof, &b.answered_on)
        .await?;
    Ok(Json((&v).into()))
}

#[derive(Deserialize)]
struct PersonBody {
    /// `phone`, `rut`, `email` or `name`.
    by: String,
    value: String,
    request_id: Option<i64>,
}

impl PersonBody {
    fn query(&self) -> PersonQuery<'_> {
        PersonQuery {
            kind: &self.by,
            value: &self.value,
            request_id: self.request_id,
        }
    }
}

/// What a search found, as counts and places (the records themselves are in the export).
pub fn findings_json(f: &Findings) -> Value {
    let mut per: std::collections::BTreeMap<&str, (usize, usize)> = Default::default();
    for r in &f.records {
        let e = per.entry(r.programme.as_str()).or_default();
        if r.linked {
            e.1 += 1;
        } else {
            e.0 += 1;
        }
    }
    json!({
        "programmes": per.iter().map(|(code, (calls, linked))| json!({ "code": code, "records": calls, "linked_records": linked })).collect::<Vec<_>>(),
        "records": f.records.len(),
        "issues": f.issues.len(),
        "audit_entries": f.audit.len(),
        "users": f.users.iter().map(|u| u.id).collect::<Vec<_>>(),
        "people": f.people.iter().map(|p| p.id).collect::<Vec<_>>(),
        "suppressed": f.suppressed.map(|s| s.as_str()),
    })
}

async fn search(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(b): ApiJson<PersonBody>,
) -> Result<Json<Value>, AppError> {
    let who = ctx.principal()?;
    let f = state.app.find_person(Some(&who), &b.query()).await?;
    Ok(Json(findings_json(&f)))
}

/// A ZIP download.
pub fn zip_response(bytes: Vec<u8>) -> Response {
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/zip"));
    h.insert(
        CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"datos-personales.zip\""),
    );
    res
}

async fn export(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(b): ApiJson<PersonBody>,
) -> Result<Response, AppError> {
    let who = ctx.principal()?;
    let zip = state.app.export_person(Some(&who), &b.query()).await?;
    Ok(zip_response(zip))
}

async fn erase(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(b): ApiJson<PersonBody>,
) -> Result<Json<Value>, AppError> {
    let who = ctx.principal()?;
    let e = state.app.erase_person(Some(&who), &b.query()).await?;
    Ok(Json(json!(e)))
}

#[derive(Deserialize)]
struct SuppressBody {
    number: String,
    /// `objection` or `blocking`.
    reason: String,
    request_id: Option<i64>,
}

async fn suppress(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(b): ApiJson<SuppressBody>,
) -> Result<Json<Value>, AppError> {
    let who = ctx.principal()?;
    let added = state
        .app
        .suppress_number(Some(&who), &b.number, &b.reason, b.request_id)
        .await?;
    Ok(Json(json!({ "added": added })))
}

/// A breach with its notices in both languages.
fn breach_json(b: &Breach, dpo: &DpoContact) -> Value {
    let mut v = json!(b);
    v["people_must_be_notified"] = json!(b.people_must_be_notified());
    v["notices"] = json!({
        "agency": { "es": notices::agency(Lang::Es, b, dpo), "en": notices::agency(Lang::En, b, dpo) },
        "people": { "es": notices::people(Lang::Es, b, dpo), "en": notices::people(Lang::En, b, dpo) },
    });
    v
}

async fn breaches(State(state): State<AppState>, ctx: Ctx) -> Result<Json<Vec<Value>>, AppError> {
    let who = ctx.principal()?;
    let list = state.app.breaches(&who).await?;
    let dpo = state.app.dpo_contact().await?;
    Ok(Json(list.iter().map(|b| breach_json(b, &dpo)).collect()))
}

async fn create_breach(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(b): ApiJson<Breach>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let who = ctx.principal()?;
    let b = state.app.register_breach(&who, b).await?;
    let dpo = state.app.dpo_contact().await?;
    Ok((StatusCode::CREATED, Json(breach_json(&b, &dpo))))
}

async fn breach(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    let who = ctx.principal()?;
    let b = state.app.breach(&who, id).await?;
    let dpo = state.app.dpo_contact().await?;
    Ok(Json(breach_json(&b, &dpo)))
}

async fn update_breach(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<Breach>,
) -> Result<Json<Value>, AppError> {
    let who = ctx.principal()?;
    state.app.breach(&who, id).await?;
    let b = state.app.update_breach(&who, id, b).await?;
    let dpo = state.app.dpo_contact().await?;
    Ok(Json(breach_json(&b, &dpo)))
}

/// The settings as the API reads and writes them.
#[derive(Serialize, Deserialize)]
struct SettingsBody {
    dpo: DpoContact,
    answer_days: i32,
    extension_days: i32,
    blocking_business_days: i32,
    complaint_business_days: i32,
    warn_days: i32,
    /// Days per data class (0 keeps it for good).
    retention: std::collections::BTreeMap<String, u32>,
}

async fn settings(State(state): State<AppState>, ctx: Ctx) -> Result<Json<Value>, AppError> {
    let who = ctx.principal()?;
    let s = state.app.privacy_settings(Some(&who)).await?;
    let d = s.deadlines;
    Ok(Json(json!(SettingsBody {
        dpo: s.dpo.clone(),
        answer_days: d.answer_days,
        extension_days: d.extension_days,
        blocking_business_days: d.blocking_business_days,
        complaint_business_days: d.complaint_business_days,
        warn_days: d.warn_days,
        retention: s
            .retention
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), *v))
            .collect(),
    })))
}

async fn save_settings(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(b): ApiJson<SettingsBody>,
) -> Result<Json<Value>, AppError> {
    let who = ctx.principal()?;
    let mut s = state.app.privacy_settings(Some(&who)).await?;
    s.dpo = b.dpo;
    s.deadlines = Deadlines::new(
        b.answer_days,
        b.extension_days,
        b.blocking_business_days,
        b.complaint_business_days,
        b.warn_days,
    )
    .map_err(|e| AppError::Invalid(e.into()))?;
    for (k, v) in b.retention {
        let class = DataClass::parse(&k).map_err(|e| AppError::Invalid(e.into()))?;
        s.retention.insert(class, v);
    }
    state.app.save_privacy_settings(Some(&who), &s).await?;
    settings(State(state), ctx).await
}

/// A purge report line as JSON.
pub fn purge_json(lines: &[PurgeLine]) -> Value {
    json!(lines
        .iter()
        .map(|l| json!({ "class": l.class.as_str(), "days": l.days, "cutoff": l.cutoff, "removed": l.removed }))
        .collect::<Vec<_>>())
}

#[derive(Deserialize)]
struct PurgeBody {
    #[serde(default)]
    dry_run: bool,
}

async fn purge(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(b): ApiJson<PurgeBody>,
) -> Result<Json<Value>, AppError> {
    let who = ctx.principal()?;
    let lines = state.app.purge(Some(&who), b.dry_run).await?;
    Ok(Json(
        json!({ "dry_run": b.dry_run, "classes": purge_json(&lines) }),
    ))
}

async fn purge_log(State(state): State<AppState>, ctx: Ctx) -> Result<Json<Value>, AppError> {
    let who = ctx.principal()?;
    let log = state.app.purge_log(Some(&who), 200).await?;
    Ok(Json(json!(log
        .iter()
        .map(|e| json!({ "at": e.at, "actor": e.actor, "class": e.data_class.as_str(), "cutoff": e.cutoff, "removed": e.removed }))
        .collect::<Vec<_>>())))
}

async fn policy(State(state): State<AppState>) -> Result<Json<Value>, AppError> {
    let p = state.app.public_policy().await?;
    Ok(Json(json!({
        "dpo": p.dpo,
        "programmes": p.records.iter().map(|(name, r)| json!({ "name": name, "record": r })).collect::<Vec<_>>(),
    })))
}

async fn record(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Json<Value>, AppError> {
    let who = ctx.principal()?;
    let r = state.app.processing_record(&who, &code).await?;
    Ok(Json(json!({ "programme": code, "record": r })))
}

async fn save_record(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    ApiJson(b): ApiJson<ProcessingRecord>,
) -> Result<Json<Value>, AppError> {
    let who = ctx.principal()?;
    let r = state.app.save_processing_record(&who, &code, b).await?;
    Ok(Json(json!({ "programme": code, "record": r })))
}
