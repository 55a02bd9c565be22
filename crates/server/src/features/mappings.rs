//! Column mappings for vendor CSV exports, built from the UI by previewing the first rows of a
//! sample file: the manager says which column is the start time, the queue, the wait… and the
//! mapping is checked against the sample's header before it is saved for the programme.
//! Pages under `/programs/{code}/mappings`; API `GET /programs/{code}/mappings` and
//! `PUT /programs/{code}/mappings/{name}`.

use axum::extract::{Multipart, Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use maud::{html, Markup};
use rumbo_app::mappings::{check_mapping, kind_name, kind_of, preview_sample, Mapping, RecordKind};
use rumbo_app::model::Programme;
use rumbo_domain::access::Action;
use rumbo_domain::Invalid;

use crate::http::access::{self, Operate, ProgrammeAccess, ReadInternal};
use crate::http::ctx::{csrf_matches, multipart_text, ApiJson, Ctx, Form, FormData};
use crate::http::error::AppError;
use crate::view::redirect;
use crate::view::{csrf_field, field_errors, layout, Section};
use crate::AppState;

pub fn page_router() -> Router<AppState> {
    Router::new()
        .route("/programs/{code}/mappings", get(list_page).post(save))
        .route("/programs/{code}/mappings/preview", post(preview))
}

pub fn api_router() -> Router<AppState> {
    Router::new()
        .route("/programs/{code}/mappings", get(api_list))
        .route("/programs/{code}/mappings/{name}", put(api_put))
}

/// Record kinds with their catalogue labels.
const KINDS: [(RecordKind, &str); 4] = [
    (RecordKind::Calls, "mapping.kind.calls"),
    (RecordKind::Quality, "mapping.kind.quality"),
    (RecordKind::Survey, "mapping.kind.survey"),
    (RecordKind::Sales, "mapping.kind.sales"),
];

/// The most rows of a sample shown.
const PREVIEW_ROWS: usize = 5;
/// How much of a sample is read (the preview needs only the first lines).
const PREVIEW_BYTES: usize = 256 * 1024;

async fn list_page(
    State(state): State<AppState>,
    ctx: Ctx,
    ProgrammeAccess { programme: p, .. }: ProgrammeAccess<ReadInternal>,
    UrlPath(code): UrlPath<String>,
) -> Result<Markup, AppError> {
    let can_edit = access::programme(&state, &ctx, &code, Action::Operate)
        .await
        .is_ok();
    let saved = state.app.mappings(&p).await?;
    Ok(layout(
        &ctx,
        Section::Control,
        &format!("{} · {}", ctx.t("mapping.title"), p.code),
        html! {
            p { a href={ "/programs/" (p.code) "/imports" } { "← " (ctx.t("control.imports")) } }
            @if saved.is_empty() { p { (ctx.t("mapping.none")) } }
            @else {
                table {
                    thead { tr { th scope="col" { (ctx.t("mapping.name")) } th scope="col" { (ctx.t("mapping.kind")) } th scope="col" { (ctx.t("mapping.columns")) } } }
                    tbody { @for m in &saved { tr {
                        td { (m.name) }
                        td { (ctx.t(kind_label(m.mapping.kind))) }
                        td { code { (columns_summary(&m.mapping)) } }
                    } } }
                }
            }
            @if can_edit {
                h2 { (ctx.t("mapping.new")) }
                p { (ctx.t("mapping.help")) }
                form method="post" action={ "/programs/" (p.code) "/mappings/preview" } enctype="multipart/form-data" {
                    (csrf_field(&ctx))
                    div.field {
                        label for="kind" { (ctx.t("mapping.kind")) }
                        select id="kind" name="kind" { @for (k, key) in KINDS { option value=(kind_name(k)) { (ctx.t(key)) } } }
                    }
                    div.field {
                        label for="delimiter" { (ctx.t("mapping.delimiter")) }
                        select id="delimiter" name="delimiter" {
                            option value="," { ", (" (ctx.t("mapping.comma")) ")" }
                            option value=";" { "; (" (ctx.t("mapping.semicolon")) ")" }
                            option value="tab" { (ctx.t("mapping.tab")) }
                            option value="|" { "|" }
                        }
                    }
                    div.field {
                        label for="sample" { (ctx.t("mapping.sample")) }
                        input id="sample" name="file" type="file" accept=".csv,.txt" required;
                    }
                    button type="submit" { (ctx.t("mapping.preview")) }
                }
            }
        },
    ))
}

fn columns_summary(m: &Mapping) -> String {
    m.columns
        .iter()
        .map(|(f, c)| format!("{f}←{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn kind_label(k: RecordKind) -> &'static str {
    KINDS
        .iter()
        .find(|x| x.0 == k)
        .map(|x| x.1)
        .unwrap_or("mapping.kind.calls")
}

fn delimiter_of(s: &str) -> Option<char> {
    match s {
        "tab" => Some('\t'),
        "" => None,
        s => s.chars().next(),
    }
}

/// What the mapping form shows and keeps between posts.
struct Draft {
    kind: RecordKind,
    delimiter: String,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    form: FormData,
}

fn mapping_form(ctx: &Ctx, p: &Programme, d: &Draft, errors: &[Invalid]) -> Markup {
    let (req, opt) = d.kind.fields();
    let guess = |field: &str| -> String {
        let chosen = d.form.get(&format!("col.{field}"));
        if !chosen.is_empty() || !d.form.0.is_empty() {
            return chosen.to_string();
        }
        d.header
            .iter()
            .find(|h| h.trim().eq_ignore_ascii_case(field))
            .cloned()
            .unwrap_or_default()
    };
    html! {
        @if !errors.is_empty() {
            div.problems role="alert" { ul { @for e in errors { li { (ctx.t(e.key)) } } } }
        }
        h2 { (ctx.t("mapping.sample_rows")) }
        div style="overflow-x:auto" {
            table {
                thead { tr { @for h in &d.header { th scope="col" { (h) } } } }
                tbody { @for r in &d.rows { tr { @for c in r { td { (c) } } } } }
            }
        }
        form method="post" action={ "/programs/" (p.code) "/mappings" } {
            (csrf_field(ctx))
            input type="hidden" name="kind" value=(kind_name(d.kind));
            input type="hidden" name="delimiter" value=(d.delimiter);
            @for h in &d.header { input type="hidden" name="header" value=(h); }
            div.field {
                label for="name" { (ctx.t("mapping.name")) " *" }
                input id="name" name="name" type="text" required value=(d.form.get("name"));
                (field_errors(ctx, errors, "name"))
            }
            fieldset {
                legend { (ctx.t("mapping.fields")) }
                @for f in req.iter().chain(opt.iter()) {
                    @let required = req.contains(f);
                    @let chosen = guess(f);
                    div.field {
                        label for={ "col-" (f) } { (ctx.t(&format!("mapping.field.{f}"))) @if required { " *" } }
                        select id={ "col-" (f) } name={ "col." (f) } {
                            option value="" { (ctx.t("form.none")) }
                            @for h in &d.header { option value=(h) selected[*h == chosen] { (h) } }
                        }
                    }
                }
                (field_errors(ctx, errors, "columns"))
            }
            div.field {
                label for="date_format" { (ctx.t("mapping.date_format")) }
                input id="date_format" name="date_format" type="text" placeholder="%d/%m/%Y %H:%M:%S" value=(d.form.get("date_format"));
            }
            div.field {
                label for="timezone" { (ctx.t("mapping.timezone")) }
                input id="timezone" name="timezone" type="text" value=(if d.form.0.is_empty() { p.time_zone.as_str() } else { d.form.get("timezone") });
                (field_errors(ctx, errors, "timezone"))
            }
            @if d.kind == RecordKind::Calls {
                div.field {
                    label for="answered_values" { (ctx.t("mapping.answered_values")) }
                    input id="answered_values" name="answered_values" type="text" placeholder="Atendida, ANSWERED" value=(d.form.get("answered_values"));
                }
                div.field {
                    label for="abandoned_values" { (ctx.t("mapping.abandoned_values")) }
                    input id="abandoned_values" name="abandoned_values" type="text" placeholder="Abandonada, ABANDON" value=(d.form.get("abandoned_values"));
                }
            }
            button type="submit" { (ctx.t("mapping.save")) }
        }
    }
}

async fn preview(
    ctx: Ctx,
    ProgrammeAccess { programme: p, .. }: ProgrammeAccess<Operate>,
    mut mp: Multipart,
) -> Result<Response, AppError> {
    let (mut csrf_ok, mut kind, mut delimiter, mut sample) =
        (false, String::new(), String::new(), Vec::new());
    while let Some(mut field) = mp
        .next_field()
        .await
        .map_err(|e| AppError::BadRequest(e.body_text()))?
    {
        match field.name().unwrap_or("") {
            "_csrf" => {
                csrf_ok = csrf_matches(&ctx, &multipart_text(field).await?);
            }
            "kind" => kind = multipart_text(field).await?,
            "delimiter" => delimiter = multipart_text(field).await?,
            "file" => {
                if !csrf_ok {
                    return Err(AppError::Csrf);
                }
                while let Some(chunk) = field
                    .chunk()
                    .await
                    .map_err(|e| AppError::BadRequest(e.body_text()))?
                {
                    if sample.len() < PREVIEW_BYTES {
                        sample.extend_from_slice(&chunk);
                    }
                }
            }
            _ => {}
        }
    }
    if !csrf_ok {
        return Err(AppError::Csrf);
    }
    let kind = kind_of(&kind).ok_or_else(|| AppError::invalid("kind", "error.mapping.kind"))?;
    // Only whole lines of the sample are previewed.
    if let Some(last) = sample.iter().rposition(|b| *b == b'\n') {
        if sample.len() >= PREVIEW_BYTES {
            sample.truncate(last + 1);
        }
    }
    let (header, rows) = preview_sample(&sample[..], delimiter_of(&delimiter), PREVIEW_ROWS)?;
    let d = Draft {
        kind,
        delimiter,
        header,
        rows,
        form: FormData::default(),
    };
    Ok(layout(
        &ctx,
        Section::Control,
        ctx.t("mapping.new"),
        mapping_form(&ctx, &p, &d, &[]),
    )
    .into_response())
}

fn split_values(s: &str) -> Vec<String> {
    s.split(',')
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect()
}

/// Builds and checks a mapping from the form; the header is the sample's.
fn mapping_from(f: &FormData, kind: RecordKind, header: &[String]) -> Result<Mapping, Invalid> {
    let (req, opt) = kind.fields();
    let columns = req
        .iter()
        .chain(opt.iter())
        .filter_map(|field| {
            f.opt(&format!("col.{field}"))
                .map(|c| (field.to_string(), c))
        })
        .collect();
    let m = Mapping {
        kind,
        columns,
        date_format: f.opt("date_format"),
        timezone: f.opt("timezone"),
        answered_values: split_values(f.get("answered_values")),
        abandoned_values: split_values(f.get("abandoned_values")),
        delimiter: delimiter_of(f.get("delimiter")),
        sheet: None,
    };
    check_mapping(&m, header)?;
    Ok(m)
}

async fn save(
    State(state): State<AppState>,
    ctx: Ctx,
    ProgrammeAccess { programme: p, .. }: ProgrammeAccess<Operate>,
    Form(f): Form,
) -> Result<Response, AppError> {
    let kind =
        kind_of(f.get("kind")).ok_or_else(|| AppError::invalid("kind", "error.mapping.kind"))?;
    let header = f.all("header");
    let result = rumbo_app::mappings::check_name(f.get("name"))
        .and_then(|_| mapping_from(&f, kind, &header));
    match result {
        Ok(m) => {
            state
                .app
                .save_mapping(&ctx.principal()?, &p, f.get("name"), &m, &header)
                .await?;
            Ok(redirect(&format!("/programs/{}/mappings", p.code)))
        }
        Err(e) => {
            let d = Draft {
                kind,
                delimiter: f.get("delimiter").to_string(),
                header,
                rows: vec![],
                form: f.clone(),
            };
            let page = layout(
                &ctx,
                Section::Control,
                ctx.t("mapping.new"),
                mapping_form(&ctx, &p, &d, &[e]),
            );
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

async fn api_list(
    State(state): State<AppState>,
    ProgrammeAccess { programme: p, .. }: ProgrammeAccess<ReadInternal>,
) -> Result<Json<Vec<serde_json::Value>>, AppError> {
    let saved = state.app.mappings(&p).await?;
    Ok(Json(
        saved
            .into_iter()
            .map(|m| serde_json::json!({ "name": m.name, "kind": m.kind, "mapping": m.mapping }))
            .collect(),
    ))
}

/// `PUT /programs/{code}/mappings/{name}` with a mapping and the `header` it must fit.
#[derive(serde::Deserialize)]
struct PutMapping {
    mapping: Mapping,
    /// The header row of a sample file; the mapping's columns are checked against it.
    header: Vec<String>,
}

async fn api_put(
    State(state): State<AppState>,
    ctx: Ctx,
    ProgrammeAccess { programme: p, .. }: ProgrammeAccess<Operate>,
    UrlPath((_, name)): UrlPath<(String, String)>,
    ApiJson(body): ApiJson<PutMapping>,
) -> Result<StatusCode, AppError> {
    state
        .app
        .save_mapping(&ctx.principal()?, &p, &name, &body.mapping, &body.header)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
