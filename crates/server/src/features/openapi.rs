//! The OpenAPI 3.1 document of `/api/v1`, built in code next to the routes it describes.
//! A test checks that every documented path answers (not 404/405) and that the document stays
//! valid JSON with the expected shape.

use axum::Json;
use serde_json::{json, Value};

fn problem() -> Value {
    json!({ "description": "Problem (RFC 9457)", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } })
}

fn ok(schema: Value) -> Value {
    json!({ "description": "OK", "content": { "application/json": { "schema": schema } } })
}

fn body(schema: &str) -> Value {
    json!({ "required": true, "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } } })
}

fn r(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn arr(name: &str) -> Value {
    json!({ "type": "array", "items": r(name) })
}

fn op(summary: &str, tag: &str, responses: Value) -> Value {
    let mut responses = responses;
    for code in ["401", "403", "404"] {
        responses[code] = problem();
    }
    json!({ "summary": summary, "tags": [tag], "responses": responses })
}

fn with_body(mut o: Value, schema: &str) -> Value {
    o["requestBody"] = body(schema);
    o["responses"]["422"] = problem();
    o["responses"]["409"] = problem();
    o["responses"]["400"] = problem();
    o
}

fn code_param() -> Value {
    json!([{ "name": "code", "in": "path", "required": true, "schema": { "type": "string" } }])
}

/// Paths are documented here; extra capabilities add theirs through [`extend`].
pub fn spec() -> Value {
    let mut paths = json!({
        "/me": { "get": op("The authenticated user", "users", json!({ "200": ok(r("User")) })) },
        "/me/password": { "put": {
            "summary": "Change one's own password (the current one is checked; other sessions end)",
            "tags": ["users"],
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["current_password", "new_password"], "properties": { "current_password": { "type": "string" }, "new_password": { "type": "string", "minLength": 10 } } } } } },
            "responses": { "204": { "description": "Changed" }, "401": problem(), "422": problem() }
        } },
        "/users/{id}/password": { "put": {
            "summary": "Reset an account's password (admin); its sessions end",
            "tags": ["users"],
            "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["password"], "properties": { "password": { "type": "string", "minLength": 10 } } } } } },
            "responses": { "204": { "description": "Reset" }, "401": problem(), "403": problem(), "404": problem(), "422": problem() }
        } },
        "/users/{id}/totp": { "delete": {
            "summary": "Remove an account's second factor (admin; audited); API tokens never needed it",
            "tags": ["users"],
            "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
            "responses": { "204": { "description": "Removed" }, "401": problem(), "403": problem(), "404": problem() }
        } },
        "/clients": {
            "get": op("List clients", "clients", json!({ "200": ok(arr("Client")) })),
            "post": with_body(op("Create a client (RUT validated)", "clients", json!({ "201": ok(r("Client")) })), "NewClient"),
        },
        "/products": {
            "get": op("List products", "clients", json!({ "200": ok(arr("Product")) })),
            "post": with_body(op("Create a product", "clients", json!({ "201": ok(r("Product")) })), "NewProduct"),
        },
        "/people": {
            "get": op("List people", "people", json!({ "200": ok(arr("Person")) })),
            "post": with_body(op("Create a person", "people", json!({ "201": ok(r("Person")) })), "NewPerson"),
        },
        "/users": {
            "get": op("List user accounts (admin)", "users", json!({ "200": ok(arr("User")) })),
            "post": with_body(op("Create a user account (admin)", "users", json!({ "201": ok(r("User")) })), "NewUser"),
        },
        "/programs": {
            "get": op("List the programmes the caller may see", "programmes", json!({ "200": ok(arr("Programme")) })),
            "post": with_body(op("Create a programme", "programmes", json!({ "201": ok(r("Programme")) })), "ProgrammeInput"),
        },
        "/programs/{code}": {
            "parameters": code_param(),
            "get": op("Read a programme", "programmes", json!({ "200": ok(r("Programme")) })),
            "put": with_body(op("Replace a programme's fields", "programmes", json!({ "200": ok(r("Programme")) })), "ProgrammeInput"),
            "patch": with_body(op("Change some of a programme's fields", "programmes", json!({ "200": ok(r("Programme")) })), "ProgrammeInput"),
            "delete": {
                "summary": "Delete a programme (owner or admin). One that holds data is archived instead, and only with `confirm` = its code; an admin can restore it for 30 days",
                "tags": ["programmes"],
                "parameters": [{ "name": "confirm", "in": "query", "required": false, "schema": { "type": "string" }, "description": "The programme's code typed again (needed when it holds data)" }],
                "responses": { "204": { "description": "Deleted or archived" }, "401": problem(), "403": problem(), "404": problem(), "422": problem() }
            },
        },
        "/programs/{code}/members": {
            "parameters": code_param(),
            "get": op("A programme's team", "programmes", json!({ "200": ok(json!({ "type": "array" })) })),
            "post": with_body(op("Add a user to the team (needs update access)", "programmes", json!({ "204": { "description": "Added" } })), "NewMember"),
        },
        "/programs/{code}/members/{user_id}": {
            "parameters": [
                { "name": "code", "in": "path", "required": true, "schema": { "type": "string" } },
                { "name": "user_id", "in": "path", "required": true, "schema": { "type": "integer" } }
            ],
            "delete": op("Remove a user from the team", "programmes", json!({ "204": { "description": "Removed" } })),
        },
        "/programs/{code}/audit": {
            "parameters": code_param(),
            "get": op("A programme's change history, newest first", "programmes", json!({ "200": ok(arr("AuditEntry")) })),
        },
    });
    extend(&mut paths);
    closeout_paths(&mut paths);
    common_answers(&mut paths);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Rumbo API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Plan, coordinate and control contact-centre programmes. Authenticate with `Authorization: Bearer <token>` (`rumbo token create EMAIL`). Errors are `application/problem+json` (RFC 9457) in the caller's language (Accept-Language: es, en)."
        },
        "servers": [{ "url": "/api/v1" }],
        "security": [{ "bearer": [] }],
        "paths": paths,
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": schemas(),
        }
    })
}

/// Documents the answers any operation can give whatever it does: 400 (a request that cannot
/// be read: a path parameter of the wrong type, a body that is not JSON), 401 and 403 (access),
/// 404 (a path naming something that does not exist or is not visible), 413 and 422 (a body too
/// large or invalid) and 503 (database unavailable, with `Retry-After`). An answer an operation
/// documents itself is kept.
fn common_answers(paths: &mut Value) {
    let Some(paths) = paths.as_object_mut() else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, operation) in item.iter_mut() {
            if !matches!(method.as_str(), "get" | "post" | "put" | "patch" | "delete") {
                continue;
            }
            let has_body = operation.get("requestBody").is_some();
            let Some(responses) = operation
                .get_mut("responses")
                .and_then(Value::as_object_mut)
            else {
                continue;
            };
            let mut codes = vec!["400", "401", "403", "503"];
            if path.contains('{') {
                codes.push("404");
            }
            if has_body {
                codes.extend(["413", "422"]);
            }
            for code in codes {
                responses.entry(code).or_insert_with(problem);
            }
        }
    }
}

/// Plan kinds with list/create and read/replace/delete; bodies are documented by kind.
const PLAN_KINDS: &[(&str, &str)] = &[
    ("objectives", "Objectives with expected results"),
    (
        "targets",
        "KPI targets with tolerance bands (green/amber/red), period and owner",
    ),
    (
        "milestones",
        "Milestones (checkpoints within the programme dates)",
    ),
    (
        "requirements",
        "Client requirements with their source, linked to objectives",
    ),
    ("scope", "Scope items (in / out)"),
    ("stages", "Stages with entry/exit criteria (gates)"),
    (
        "risks",
        "Risk register (probability and impact 1–5, score, owner, mitigation, contingency)",
    ),
    (
        "cost-rates",
        "Cost rates per role (hourly cost, employer charges)",
    ),
    ("supplies", "Supplies and materials (quantity × unit cost)"),
    ("budget-lines", "Budget lines planned per month"),
    ("rates", "Dated currency rates (USD, UF)"),
    (
        "profiles",
        "People's competencies, languages (CEFR) and experience",
    ),
    ("roles", "Roles with required competencies"),
    ("communications", "Communication plan"),
    ("decisions", "Decision log entries"),
    ("diffusion", "Diffusion activities linked to objectives"),
];

fn plan_paths(paths: &mut Value) {
    let code = code_param();
    let code_id = json!([
        { "name": "code", "in": "path", "required": true, "schema": { "type": "string" } },
        { "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }
    ]);
    for (kind, summary) in PLAN_KINDS {
        paths[format!("/programs/{{code}}/{kind}")] = json!({
            "parameters": code,
            "get": op(&format!("List: {summary}"), "plan", json!({ "200": ok(arr("PlanItem")) })),
            "post": with_body(op(&format!("Create: {summary}"), "plan", json!({ "201": ok(r("PlanItem")) })), "PlanItemBody"),
        });
        paths[format!("/programs/{{code}}/{kind}/{{id}}")] = json!({
            "parameters": code_id,
            "get": op(&format!("Read: {summary}"), "plan", json!({ "200": ok(r("PlanItem")) })),
            "put": with_body(op(&format!("Replace: {summary}"), "plan", json!({ "200": ok(r("PlanItem")) })), "PlanItemBody"),
            "delete": op(&format!("Delete: {summary}"), "plan", json!({ "204": { "description": "Deleted" } })),
        });
    }
    let get_only = |summary: &str, schema: Value| json!({ "parameters": code, "get": op(summary, "plan", json!({ "200": ok(schema) })) });
    paths["/programs/{code}/methodology"] = json!({
        "parameters": code,
        "get": op("The methodology text", "plan", json!({ "200": ok(json!({})) })),
        "put": with_body(op("Replace the methodology text", "plan", json!({ "200": ok(json!({})) })), "PlanItemBody"),
    });
    paths["/programs/{code}/risks/heatmap"] =
        get_only("Risk heat-map cell counts (5×5)", json!({}));
    paths["/programs/{code}/risks/heatmap.svg"] = json!({ "parameters": code, "get": { "summary": "Risk heat-map as SVG", "tags": ["plan"], "responses": { "200": { "description": "SVG", "content": { "image/svg+xml": {} } } } } });
    paths["/programs/{code}/activities"] = json!({
        "parameters": code,
        "get": op("Work-plan activities", "plan", json!({ "200": ok(arr("PlanItem")) })),
        "post": with_body(op("Add an activity (the whole plan is re-checked: dependencies, cycles, dates)", "plan", json!({ "201": ok(r("PlanItem")) })), "PlanItemBody"),
        "put": with_body(op("Replace all activities at once", "plan", json!({ "200": ok(arr("PlanItem")) })), "PlanItemBody"),
    });
    paths["/programs/{code}/activities/{id}"] = json!({
        "parameters": code_id,
        "get": op("Read an activity", "plan", json!({ "200": ok(r("PlanItem")) })),
        "put": with_body(op("Replace an activity", "plan", json!({ "200": ok(r("PlanItem")) })), "PlanItemBody"),
        "delete": op("Delete an activity", "plan", json!({ "204": { "description": "Deleted" } })),
    });
    paths["/programs/{code}/schedule"] = get_only(
        "Critical-path schedule: early/late dates, slack, critical path",
        json!({}),
    );
    paths["/programs/{code}/gantt.svg"] = json!({ "parameters": code, "get": { "summary": "Gantt chart with the critical path and today's line (SVG)", "tags": ["plan"], "responses": { "200": { "description": "SVG", "content": { "image/svg+xml": {} } } } } });
    paths["/programs/{code}/raci"] = json!({
        "parameters": code,
        "get": op("RACI matrix (activity × person)", "plan", json!({ "200": ok(json!({})) })),
        "put": with_body(op("Replace the RACI matrix (exactly one Accountable per activity)", "plan", json!({ "200": ok(json!({})) })), "PlanItemBody"),
    });
    paths["/programs/{code}/assignments"] = json!({
        "parameters": code,
        "get": op("Role assignments", "plan", json!({ "200": ok(arr("PlanItem")) })),
        "post": with_body(op("Assign a person to a role; answers with competency and over-allocation warnings", "plan", json!({ "201": ok(json!({})) })), "PlanItemBody"),
    });
    paths["/programs/{code}/assignments/{id}"] = json!({
        "parameters": code_id,
        "get": op("Read a role assignment", "plan", json!({ "200": ok(r("PlanItem")) })),
        "delete": op("Remove a role assignment", "plan", json!({ "204": { "description": "Deleted" } })),
    });
    paths["/programs/{code}/meetings/{id}"] = json!({
        "parameters": code_id,
        "get": op("Read a meeting", "plan", json!({ "200": ok(r("PlanItem")) })),
        "delete": op("Delete a meeting", "plan", json!({ "204": { "description": "Deleted" } })),
    });
    paths["/programs/{code}/meetings"] = json!({
        "parameters": code,
        "get": op("Meetings with agenda, attendees, minutes, decisions and follow-ups", "plan", json!({ "200": ok(arr("PlanItem")) })),
        "post": with_body(op("Record a meeting; its follow-up tasks land in the work plan", "plan", json!({ "201": ok(json!({})) })), "PlanItemBody"),
    });
    paths["/programs/{code}/decision-log"] =
        get_only("Decisions from meetings and the decision log", json!({}));
    paths["/programs/{code}/budget/amounts"] = json!({
        "parameters": code,
        "get": op("Planned and actual amounts per budget line and month", "plan", json!({ "200": ok(arr("PlanItem")) })),
        "post": with_body(op("Set a planned or actual amount", "plan", json!({ "200": ok(r("PlanItem")) })), "PlanItemBody"),
    });
    paths["/programs/{code}/contacts"] = json!({
        "parameters": code,
        "get": op("Contacts handled per month (for cost per contact)", "plan", json!({ "200": ok(arr("PlanItem")) })),
        "post": with_body(op("Set contacts handled in a month", "plan", json!({ "200": ok(r("PlanItem")) })), "PlanItemBody"),
    });
    paths["/programs/{code}/budget/variance"] = get_only(
        "Planned vs actual variance (by line, month, category or total) and cost per contact",
        json!({}),
    );
    paths["/programs/{code}/staffing"] = json!({
        "parameters": code,
        "get": op("The staffing plan (positions per interval → FTE per week → hiring and training)", "plan", json!({ "200": ok(json!({})) })),
        "post": with_body(op("Build the staffing plan from volumes through the WFM engine", "plan", json!({ "200": ok(json!({})) })), "PlanItemBody"),
    });
    paths["/programs/{code}/change-requests"] = json!({
        "parameters": code,
        "get": op("Change requests to the plan", "plan", json!({ "200": ok(arr("PlanItem")) })),
        "post": with_body(op("Propose a change (dates, resources, targets, scope) with reason and impact", "plan", json!({ "201": ok(r("PlanItem")) })), "PlanItemBody"),
    });
    for (suffix, summary) in [
        (
            "approve",
            "Approve and apply a change request (the previous plan is kept as a version)",
        ),
        ("reject", "Reject a change request"),
    ] {
        paths[format!("/programs/{{code}}/change-requests/{{id}}/{suffix}")] = json!({
            "parameters": code_id,
            "post": op(summary, "plan", json!({ "200": ok(json!({})) })),
        });
    }
    paths["/programs/{code}/change-requests/{id}"] = json!({
        "parameters": code_id,
        "get": op("Read a change request", "plan", json!({ "200": ok(r("PlanItem")) })),
    });
    paths["/programs/{code}/change-requests/{id}/comments"] = json!({
        "parameters": code_id,
        "post": with_body(op("Comment on a change request (`{\"text\": …}`); its status does not change", "plan", json!({ "201": ok(r("PlanItem")) })), "PlanItemBody"),
    });
    paths["/programs/{code}/calendar"] = json!({
        "parameters": code,
        "get": op("How the programme counts activity durations: `working` days (Chilean holidays and weekends off) or `calendar` days", "plan", json!({ "200": ok(json!({})) })),
        "put": with_body(op("Choose working or calendar days (`{\"day_count\": \"working\"}`)", "plan", json!({ "200": ok(json!({})) })), "PlanItemBody"),
    });
    paths["/programs/{code}/plan/late"] = get_only(
        "What is late today: overdue activities, late milestones and gates",
        json!({}),
    );
    paths["/programs/{code}/targets/{id}/judge"] = json!({
        "parameters": [
            { "name": "code", "in": "path", "required": true, "schema": { "type": "string" } },
            { "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } },
            { "name": "actual", "in": "query", "required": true, "schema": { "type": "number" }, "description": "the indicator's actual value, in the target's unit" }
        ],
        "get": op("Judge an actual value against a KPI target: green, amber or red", "plan", json!({ "200": ok(json!({})), "422": problem() })),
    });
    paths["/programs/{code}/plan/versions"] = get_only("Plan version history", json!({}));
    paths["/programs/{code}/plan/from-template"] = json!({
        "parameters": code,
        "post": with_body(op("Copy objectives, stages, risks, roles and plan structure from a past programme", "plan", json!({ "200": ok(json!({})) })), "PlanItemBody"),
    });
    paths["/practices"] = json!({
        "get": op("Best-practice library", "plan", json!({ "200": ok(arr("PlanItem")) })),
        "post": with_body(op("Add a best practice", "plan", json!({ "201": ok(r("PlanItem")) })), "PlanItemBody"),
    });
    paths["/practices/{id}/adoptions"] = json!({
        "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
        "get": op("Who adopted a best practice, when and with what result", "plan", json!({ "200": ok(arr("PlanItem")) })),
        "post": with_body(op("Record an adoption of a best practice", "plan", json!({ "201": ok(r("PlanItem")) })), "PlanItemBody"),
    });
}

/// Paths of the capability modules (WFM, plan, control).
/// The archive of deleted programmes (admins).
fn roles_paths(paths: &mut Value) {
    let archived = json!({ "type": "object", "description": "A programme (as `Programme`) with `archived_at` (epoch seconds) and `days_left` to restore it" });
    paths["/archive"] = json!({
        "get": op("Archived programmes, restorable for 30 days (admin)", "programmes", json!({ "200": ok(json!({ "type": "array", "items": archived })) })),
    });
    paths["/archive/{code}/restore"] = json!({
        "parameters": code_param(),
        "post": op("Restore an archived programme (admin, within 30 days)", "programmes", json!({ "200": ok(r("Programme")), "422": problem() })),
    });
}

fn extend(paths: &mut Value) {
    roles_paths(paths);
    plan_paths(paths);
    control_paths(paths);
    cockpit_paths(paths);
    privacy_paths(paths);
    reports_paths(paths);
    live_paths(paths);
    let q = |name: &str, desc: &str| json!({ "name": name, "in": "query", "required": false, "schema": { "type": "string" }, "description": desc });
    paths["/wfm/staffing"] = json!({
        "get": {
            "summary": "Required agents for one interval (Erlang C or A), metrics and the SL-vs-agents curve",
            "tags": ["wfm"],
            "parameters": [
                q("calls", "calls offered in the interval"), q("interval_s", "interval length, s"), q("aht_s", "average handle time, s"),
                q("sl", "service-level target, percent (80)"), q("target_s", "answer-time threshold T, s (20)"),
                q("max_occupancy", "percent (90)"), q("shrinkage", "percent (30)"), q("model", "erlang_c | erlang_a"),
                q("patience_s", "mean patience, s (Erlang A)"), q("agents", "optional: evaluate with this many agents")
            ],
            "responses": { "200": ok(r("StaffingResult")), "422": problem(), "401": problem() }
        }
    });
    paths["/wfm/staffing/intervals"] = json!({
        "post": {
            "summary": "Required agents for many intervals under one policy",
            "tags": ["wfm"],
            "requestBody": body("StaffingIntervals"),
            "responses": { "200": ok(json!({ "type": "array", "items": r("StaffingInterval") })), "400": problem(), "422": problem(), "401": problem() }
        }
    });
}

/// Data protection (admins): requests, person search/export/erasure, suppression, breaches,
/// settings, retention purge, records of processing and the public policy.
/// Reports (PDF, XLSX, CSV) and their distribution: schedules and the distribution record.
fn reports_paths(paths: &mut Value) {
    let s = |t: &str| json!({ "type": t });
    let q = |name: &str, desc: &str| json!({ "name": name, "in": "query", "required": false, "schema": { "type": "string" }, "description": desc });
    let code = code_param();
    let code_id = json!([
        { "name": "code", "in": "path", "required": true, "schema": { "type": "string" } },
        { "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }
    ]);
    let file = json!({ "description": "The report file", "content": {
        "application/pdf": {}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}, "text/csv": {}
    }, "headers": { "X-Content-SHA256": { "schema": { "type": "string" } } } });
    let recipient = json!({ "type": "object", "properties": { "email": s("string"), "audience": { "enum": ["area", "person", "client"] } } });
    let schedule = json!({ "type": "object", "properties": {
        "id": s("integer"), "kind": s("string"), "format": s("string"), "lang": s("string"),
        "frequency": { "enum": ["weekly", "monthly"] }, "recipients": { "type": "array", "items": recipient },
        "next_run": { "type": "integer", "description": "epoch seconds" }
    } });
    let schedule_in = json!({ "type": "object", "properties": {
        "kind": { "enum": ["status", "kpi", "actions", "closeout", "lessons", "client"] },
        "format": { "enum": ["pdf", "xlsx", "csv"] }, "lang": { "enum": ["es", "en"] },
        "frequency": { "enum": ["weekly", "monthly"] },
        "areas": { "type": "string", "description": "e-mail addresses, one per line" },
        "people": { "type": "string", "description": "e-mail addresses, one per line" },
        "client_contacts": { "type": "string", "description": "e-mail addresses, one per line (client report only)" }
    } });
    let distribution = json!({ "type": "object", "properties": {
        "id": s("integer"), "schedule_id": { "type": ["integer", "null"] }, "kind": s("string"), "format": s("string"),
        "lang": s("string"), "period_from": { "type": "string", "format": "date" }, "period_to": { "type": "string", "format": "date" },
        "version": s("integer"), "sha256": s("string"), "file_name": s("string"), "size": s("integer"),
        "recipients": { "type": "array", "items": recipient, "description": "omitted for client viewers" },
        "status": { "enum": ["delivered", "failed"] }, "error": { "type": ["string", "null"] },
        "client_safe": s("boolean"), "created_at": s("integer"), "href": s("string")
    } });
    paths["/programs/{code}/reports/{kind}"] = json!({
        "parameters": [
            { "name": "code", "in": "path", "required": true, "schema": { "type": "string" } },
            { "name": "kind", "in": "path", "required": true, "schema": { "enum": ["status", "kpi", "actions", "closeout", "lessons", "client"] } }
        ],
        "get": {
            "summary": "A report of the programme as a file (client viewers: the client report only)",
            "tags": ["reports"],
            "parameters": [q("from", "first day, YYYY-MM-DD (default: 30 days before `to`)"), q("to", "last day, inclusive (default: the last day with data)"),
                q("format", "pdf (default) | xlsx | csv"), q("lang", "es | en (default: the caller's language)")],
            "responses": { "200": file, "401": problem(), "403": problem(), "404": problem(), "422": problem() }
        }
    });
    paths["/programs/{code}/report-schedules"] = json!({
        "parameters": code,
        "get": op("The programme's report distribution schedules", "reports", json!({ "200": ok(json!({ "type": "array", "items": schedule.clone() })) })),
        "post": {
            "summary": "Schedule a report (weekly on Mondays or monthly on the 1st, at 07:00 local time) to recipients",
            "tags": ["reports"],
            "requestBody": { "required": true, "content": { "application/json": { "schema": schedule_in } } },
            "responses": { "201": ok(schedule), "400": problem(), "401": problem(), "403": problem(), "404": problem(), "422": problem() }
        }
    });
    paths["/programs/{code}/report-schedules/{id}"] = json!({
        "parameters": code_id.clone(),
        "delete": op("Delete a schedule (its distribution record stays)", "reports", json!({ "204": { "description": "Deleted" } })),
    });
    paths["/programs/{code}/report-schedules/{id}/run"] = json!({
        "parameters": code_id.clone(),
        "post": op("Run a schedule now, as a job", "reports", json!({ "202": ok(json!({ "type": "object", "properties": { "job_id": s("integer"), "href": s("string") } })) })),
    });
    paths["/report-identity"] = json!({
        "get": op("The BPO's name shown in every report's header (managers)", "reports", json!({ "200": ok(json!({ "type": "object", "properties": { "organisation": s("string") } })) })),
        "put": {
            "summary": "Set the BPO's name and logo (JPEG or 8-bit PNG, base64) for report headers (managers)",
            "tags": ["reports"],
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "properties": { "organisation": s("string"), "logo_base64": s("string") } } } } },
            "responses": { "204": { "description": "Saved" }, "400": problem(), "401": problem(), "403": problem(), "422": problem() }
        }
    });
    paths["/programs/{code}/distributions"] = json!({
        "parameters": code_param(),
        "get": op("The distribution record, newest first (client viewers: reports shared with the client)", "reports", json!({ "200": ok(json!({ "type": "array", "items": distribution })) })),
    });
    paths["/programs/{code}/distributions/{id}"] = json!({
        "parameters": code_id,
        "get": op("The stored copy of a distributed report", "reports", json!({ "200": file })),
    });
}

fn privacy_paths(paths: &mut Value) {
    let s = |t: &str| json!({ "type": t });
    let obj = |req: &[&str], props: Value| json!({ "type": "object", "required": req, "properties": props });
    let inline = |schema: Value| json!({ "required": true, "content": { "application/json": { "schema": schema } } });
    let post = |summary: &str, schema: Value, resp: Value| {
        let mut o = op(summary, "privacy", resp);
        o["requestBody"] = inline(schema);
        o["responses"]["400"] = problem();
        o["responses"]["409"] = problem();
        o["responses"]["422"] = problem();
        o
    };
    let id =
        json!([{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }]);
    let request = obj(
        &[],
        json!({
            "id": s("integer"), "kind": { "enum": ["access", "rectification", "erasure", "objection", "portability", "blocking"] },
            "subject": { "type": "string", "description": "minimised: a masked number or initials" },
            "channel": s("string"), "received_on": { "type": "string", "format": "date" },
            "acknowledged_at": { "type": ["integer", "null"] }, "identity_checked": s("boolean"),
            "due_on": { "type": "string", "format": "date" }, "extended": s("boolean"), "extension_reason": s("string"),
            "status": { "enum": ["open", "answered", "denied"] }, "urgency": { "enum": ["overdue", "near_due", "on_time", null] },
            "answered_on": { "type": ["string", "null"] }, "answer": s("string"), "denial_reason": s("string"),
            "complain_until": { "type": ["string", "null"] }, "proof": s("string")
        }),
    );
    let person = obj(
        &["by", "value"],
        json!({
            "by": { "enum": ["phone", "rut", "email", "name"] }, "value": s("string"), "request_id": { "type": ["integer", "null"] }
        }),
    );
    let breach_in = obj(
        &[
            "what",
            "occurred_on",
            "detected_on",
            "data_classes",
            "people_affected",
            "measures",
            "risk",
            "sensitive",
            "children",
            "financial",
        ],
        json!({
            "what": s("string"), "occurred_on": { "type": "string", "format": "date" }, "detected_on": { "type": "string", "format": "date" },
            "data_classes": s("string"), "people_affected": s("integer"), "measures": s("string"),
            "risk": s("boolean"), "sensitive": s("boolean"), "children": s("boolean"), "financial": s("boolean"),
            "agency_notified_on": { "type": ["string", "null"] }, "people_notified_on": { "type": ["string", "null"] }
        }),
    );
    let breach_out = json!({ "type": "object", "description": "The breach, whether the people must be told, and the notices (agency, people) in es and en" });
    let settings = obj(
        &[
            "dpo",
            "answer_days",
            "extension_days",
            "blocking_business_days",
            "complaint_business_days",
            "warn_days",
            "retention",
        ],
        json!({
            "dpo": obj(&["name", "email", "phone"], json!({ "name": s("string"), "email": s("string"), "phone": s("string") })),
            "answer_days": s("integer"), "extension_days": s("integer"), "blocking_business_days": s("integer"),
            "complaint_business_days": s("integer"), "warn_days": s("integer"),
            "retention": { "type": "object", "description": "days per data class (raw_calls, caller_issues, qa_comments, survey_answers, audit_log, reports); 0 keeps for good", "additionalProperties": s("integer") }
        }),
    );
    let record = obj(
        &[
            "purpose",
            "legal_basis",
            "role",
            "controller",
            "contract_ref",
            "data_classes",
            "recipients",
            "transfers",
            "retention",
            "end_action",
        ],
        json!({
            "purpose": s("string"),
            "legal_basis": { "enum": ["consent", "commercial", "legal_obligation", "contract", "legitimate_interest", "legal_claims"] },
            "role": { "enum": ["controller", "processor"] }, "controller": s("string"), "contract_ref": s("string"),
            "data_classes": s("string"), "recipients": s("string"), "transfers": s("string"), "retention": s("string"), "end_action": s("string"),
            "callback_roles": { "type": "array", "items": { "enum": ["admin", "manager", "supervisor", "analyst", "client_viewer"] }, "description": "roles that see callers' full numbers on the live board" }
        }),
    );
    let any = json!({ "type": "object" });
    paths["/privacy/requests"] = json!({
        "get": op("Rights requests with due dates and reminders (admin)", "privacy", json!({ "200": ok(json!({ "type": "array", "items": request })) })),
        "post": post("Register and acknowledge a rights request; the due date follows the law", obj(&["kind", "subject"], json!({
            "kind": s("string"), "subject": s("string"), "channel": s("string"), "received_on": { "type": "string", "format": "date" }, "identity_checked": s("boolean")
        })), json!({ "201": ok(request.clone()) })),
    });
    paths["/privacy/requests/{id}"] = json!({
        "parameters": id,
        "get": op("One rights request", "privacy", json!({ "200": ok(request.clone()) })),
    });
    paths["/privacy/requests/{id}/extension"] = json!({
        "parameters": id,
        "post": post("Use the one extension (30 more days) with its reason", obj(&["reason"], json!({ "reason": s("string") })), json!({ "200": ok(request.clone()) })),
    });
    paths["/privacy/requests/{id}/reply"] = json!({
        "parameters": id,
        "post": post("Close a request: answered, or denied with reasons (the 30 business days to complain follow), with the proof of the reply", obj(&["outcome", "text", "proof"], json!({
            "outcome": { "enum": ["answered", "denied"] }, "text": s("string"), "proof": s("string"), "answered_on": { "type": "string", "format": "date" }
        })), json!({ "200": ok(request) })),
    });
    paths["/privacy/search"] = json!({
        "post": post("Find a person by phone (through the keyed hash), RUT, e-mail or name across every store; audited without the identifier", person.clone(), json!({ "200": ok(any.clone()) })),
    });
    paths["/privacy/export"] = json!({
        "post": post("The person's data as a ZIP of JSON and CSV", person.clone(), json!({ "200": { "description": "ZIP archive", "content": { "application/zip": { "schema": { "type": "string", "format": "binary" } } } } })),
    });
    paths["/privacy/erase"] = json!({
        "post": post("Erase the person everywhere; KPI aggregates stay byte-identical", person, json!({ "200": ok(any.clone()) })),
    });
    paths["/privacy/suppressions"] = json!({
        "post": post("Put a number on the suppression list (objection or blocking)", obj(&["number", "reason"], json!({
            "number": s("string"), "reason": { "enum": ["objection", "blocking"] }, "request_id": { "type": ["integer", "null"] }
        })), json!({ "200": ok(any.clone()) })),
    });
    paths["/privacy/breaches"] = json!({
        "get": op("The breach register with notices", "privacy", json!({ "200": ok(json!({ "type": "array", "items": breach_out })) })),
        "post": post("Register a breach", breach_in.clone(), json!({ "201": ok(breach_out.clone()) })),
    });
    paths["/privacy/breaches/{id}"] = json!({
        "parameters": id,
        "get": op("One breach with its notices (es, en)", "privacy", json!({ "200": ok(breach_out.clone()) })),
        "put": post("Replace a breach's record", breach_in, json!({ "200": ok(breach_out) })),
    });
    paths["/privacy/settings"] = json!({
        "get": op("DPO contact, deadlines and retention per data class", "privacy", json!({ "200": ok(settings.clone()) })),
        "put": post("Save the privacy settings", settings.clone(), json!({ "200": ok(settings) })),
    });
    paths["/privacy/purge"] = json!({
        "post": post("Apply the retention policy (dry_run: only count); aggregates always stay", obj(&[], json!({ "dry_run": s("boolean") })), json!({ "200": ok(any.clone()) })),
    });
    paths["/privacy/purge-log"] = json!({
        "get": op("What each purge removed, newest first", "privacy", json!({ "200": ok(json!({ "type": "array", "items": any })) })),
    });
    paths["/privacy/policy"] = json!({
        "get": { "summary": "The public information policy (no authentication)", "tags": ["privacy"], "security": [],
                 "responses": { "200": ok(json!({ "type": "object" })) } },
    });
    paths["/programs/{code}/processing-record"] = json!({
        "parameters": code_param(),
        "get": op("The programme's record of processing activities (null until written)", "privacy", json!({ "200": ok(json!({ "type": "object", "properties": { "programme": s("string"), "record": { "oneOf": [record.clone(), { "type": "null" }] } } })) })),
        "put": post("Write the programme's record of processing activities", record.clone(), json!({ "200": ok(json!({ "type": "object", "properties": { "programme": s("string"), "record": record } })) })),
    });
}

fn schemas() -> Value {
    let mut v = base_schemas();
    // Added outside the one `json!` literal, which is at the macro's recursion limit.
    v["KpiRow"]["properties"]["abandoned"] =
        json!({ "type": "integer", "description": "caller abandons (system exits apart)" });
    v["KpiRow"]["properties"]["system_exits"] = json!({ "type": "integer", "description": "queue timeouts, queues without agents and exit keys" });
    let n = json!({ "type": ["number", "null"] });
    v["KpiTotal"] = json!({ "type": "object", "description": "over one queue its stints; over all queues each call once", "properties": {
        "queue": { "type": "string", "description": "the queue asked for (empty: every queue)" }, "definition": { "type": "string" },
        "from": { "type": ["string", "null"], "format": "date" }, "to": { "type": ["string", "null"], "format": "date" },
        "offered": { "type": "integer" }, "answered": { "type": "integer" },
        "abandoned": { "type": "integer", "description": "caller abandons (system exits apart)" },
        "system_exits": { "type": "integer" }, "answered_within_t": { "type": "integer" }, "short_abandons": { "type": "integer" },
        "sl": n, "asa_s": n, "aht_s": n, "abandon_rate": n, "abandon_rate_excl_short": n, "occupancy": n,
        "fcr": n, "conversion": n, "sph": n, "qa_score": n, "csat": n, "nps": n } });
    v["VolumeForecast"] = json!({ "type": "object", "description": "each call once over all queues", "properties": {
        "from": { "type": ["string", "null"], "format": "date" }, "to": { "type": ["string", "null"], "format": "date" },
        "cut_off": { "type": ["string", "null"], "format": "date", "description": "the forecast was fitted on the days before it; null without enough history" },
        "points": { "type": "array", "items": { "type": "object", "properties": {
            "start": { "type": "integer", "description": "interval start, UTC epoch seconds" },
            "actual": { "type": "integer" }, "forecast": { "type": "number" } } } } } });
    v["HeatMap"] = json!({ "type": "object", "description": "service level per weekday and hour of the period; over one queue its stints, over all queues each call once", "properties": {
        "queue": { "type": "string" }, "definition": { "type": "string" },
        "from": { "type": ["string", "null"], "format": "date" }, "to": { "type": ["string", "null"], "format": "date" },
        "sl_target": { "type": ["number", "null"], "description": "the plan's service-level target, percent" },
        "cells": { "type": "array", "items": { "type": "object", "properties": {
            "weekday": { "type": "integer", "minimum": 1, "maximum": 7, "description": "1 = Monday" },
            "slot": { "type": "string", "description": "HH:MM, programme time zone" },
            "offered": { "type": "integer" }, "answered": { "type": "integer" }, "answered_within_t": { "type": "integer" },
            "sl": n, "below_target": { "type": ["boolean", "null"] } } } } } });
    v
}

fn base_schemas() -> Value {
    let s = |t: &str| json!({ "type": t });
    let opt = |t: &str| json!({ "type": [t, "null"] });
    json!({
        "Problem": { "type": "object", "properties": {
            "type": s("string"), "title": s("string"), "status": s("integer"), "detail": s("string"),
            "errors": { "type": "array", "items": { "type": "object", "properties": { "field": s("string"), "code": s("string"), "message": s("string") } } }
        }},
        "User": { "type": "object", "properties": { "id": s("integer"), "email": s("string"), "name": s("string"),
            "role": { "enum": ["admin", "manager", "supervisor", "analyst", "client_viewer"] }, "client_id": opt("integer"), "lang": { "enum": ["es", "en"] }, "active": s("boolean") } },
        "NewUser": { "type": "object", "required": ["email", "name", "role", "password"], "properties": {
            "email": s("string"), "name": s("string"), "role": s("string"), "client_id": opt("integer"), "password": { "type": "string", "minLength": 10 } } },
        "Client": { "type": "object", "properties": { "id": s("integer"), "name": s("string"), "rut": { "type": "string", "example": "76.086.428-5" } } },
        "NewClient": { "type": "object", "required": ["name", "rut"], "properties": { "name": s("string"), "rut": { "type": "string", "description": "Chilean RUT; check digit validated (módulo 11)" } } },
        "Product": { "type": "object", "properties": { "id": s("integer"), "client_id": s("integer"), "name": s("string"), "description": s("string") } },
        "NewProduct": { "type": "object", "required": ["client_id", "name"], "properties": { "client_id": s("integer"), "name": s("string"), "description": s("string") } },
        "Person": { "type": "object", "properties": { "id": s("integer"), "name": s("string"), "email": opt("string"), "org_role": s("string") } },
        "NewPerson": { "type": "object", "required": ["name"], "properties": { "name": s("string"), "email": opt("string"), "org_role": s("string") } },
        "Programme": { "type": "object", "properties": {
            "id": s("integer"), "code": s("string"), "name": s("string"), "client_id": s("integer"), "client_name": s("string"),
            "product_id": opt("integer"), "product_name": opt("string"),
            "channels": { "type": "array", "items": { "enum": ["voice_inbound", "voice_outbound", "chat", "email", "whatsapp", "social"] } },
            "start_date": { "type": "string", "format": "date" }, "end_date": { "type": ["string", "null"], "format": "date" },
            "status": { "enum": ["draft", "planned", "running", "closed"] }, "time_zone": s("string"), "description": s("string"),
            "created_at": { "type": "integer", "description": "epoch seconds UTC" }, "updated_at": s("integer") } },
        "ProgrammeInput": { "type": "object", "properties": {
            "code": { "type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_-]{1,31}$" }, "name": s("string"), "client_id": s("integer"),
            "product_id": opt("integer"), "channels": { "type": "array", "items": s("string") },
            "start_date": { "type": "string", "format": "date" }, "end_date": { "type": ["string", "null"], "format": "date" },
            "status": { "enum": ["draft", "planned", "running", "closed"] }, "time_zone": { "type": "string", "default": "America/Santiago" },
            "description": s("string") } },
        "StaffingResult": { "type": "object", "properties": {
            "erlangs": s("number"), "agents_for_target": s("integer"), "agents_for_occupancy": s("integer"), "raw_agents": s("integer"),
            "positions": s("integer"), "fractional_positions": s("number"), "service_level": s("number"), "p_wait": s("number"),
            "asa_s": opt("number"), "occupancy": s("number"), "p_abandon": s("number"), "what_if": {}, "curve": { "type": "array" } } },
        "StaffingIntervals": { "type": "object", "required": ["intervals"], "properties": {
            "interval_s": s("string"), "sl": s("string"), "target_s": s("string"), "max_occupancy": s("string"), "shrinkage": s("string"),
            "model": s("string"), "patience_s": s("string"),
            "intervals": { "type": "array", "items": { "type": "object", "properties": { "interval_start": s("string"), "calls": s("number"), "aht_s": s("number") } } } } },
        "StaffingInterval": { "type": "object", "properties": {
            "interval_start": s("string"), "erlangs": s("number"), "agents_sl": s("integer"), "raw_agents": s("integer"), "positions": s("integer"),
            "sl": s("number"), "pw": s("number"), "asa_s": opt("number"), "occupancy": s("number") } },
        "NewMember": { "type": "object", "required": ["user_id"], "properties": { "user_id": s("integer") } },
        "PlanItem": { "type": "object", "description": "A stored plan item: id, code and the kind's fields", "properties": { "id": s("integer"), "code": { "type": ["string", "null"], "description": "Null for items without a code (practices)" } }, "additionalProperties": true },
        "PlanItemBody": { "type": "object", "description": "The kind's fields (see the Planning pages); validated by the domain rules", "additionalProperties": true },
        "KpiRow": { "type": "object", "properties": {
            "queue": s("string"), "interval_start": { "type": "integer", "description": "epoch seconds UTC" }, "interval_label": s("string"),
            "definition": s("string"), "offered": s("integer"), "answered": s("integer"), "abandoned": s("integer"),
            "sl": opt("number"), "asa_s": opt("number"), "aht_s": opt("number"), "abandon_rate": opt("number"),
            "occupancy": opt("number"), "fcr": opt("number"), "conversion": opt("number"), "qa_score": opt("number"),
            "csat": opt("number"), "nps": opt("number"), "batches": { "type": "array", "items": s("integer") } } },
        "ImportJob": { "type": "object", "properties": {
            "id": s("integer"), "kind": { "enum": ["import"] }, "status": { "enum": ["queued", "running", "done", "failed"] },
            "programme_code": opt("string"), "progress_done": { "type": "integer", "description": "bytes read" }, "progress_total": { "type": "integer", "description": "bytes in the file" },
            "attempts": { "type": "integer", "description": "claims so far (more than 1: resumed after a server stopped)" },
            "created_at": s("integer"), "started_at": opt("integer"), "finished_at": opt("integer"),
            "batch_id": opt("integer"), "error": { "type": ["string", "null"], "description": "message catalogue key when failed" } } },
        "AuditEntry": { "type": "object", "properties": {
            "id": s("integer"), "at": s("integer"), "actor": s("string"), "entity": s("string"), "entity_id": s("string"),
            "programme_id": opt("integer"), "action": { "enum": ["create", "update", "delete"] }, "before": {}, "after": {} } },
    })
}

fn control_paths(paths: &mut Value) {
    let code = code_param();
    let q = |name: &str, desc: &str| json!({ "name": name, "in": "query", "required": false, "schema": { "type": "string" }, "description": desc });
    paths["/programs/{code}/kpis"] = json!({
        "parameters": code,
        "get": {
            "summary": "KPIs per (queue, interval) under a named, versioned definition; each row lists its batches",
            "tags": ["control"],
            "parameters": [q("by", "15m | 30m | 1h | day | week | month"), q("from", "first day, YYYY-MM-DD (programme time zone)"), q("to", "last day, inclusive"), q("definition", "name or name@vN"), q("queue", "one queue only")],
            "responses": { "200": ok(arr("KpiRow")), "401": problem(), "403": problem(), "404": problem(), "422": problem() }
        }
    });
    paths["/programs/{code}/kpis/total"] = json!({
        "parameters": code,
        "get": {
            "summary": "KPIs of the whole period: over one queue, its stints; over all queues, each call once however many queues it passed through",
            "tags": ["control"],
            "parameters": [q("from", "first day, YYYY-MM-DD (programme time zone)"), q("to", "last day, inclusive"), q("definition", "name or name@vN"), q("queue", "one queue only")],
            "responses": { "200": ok(r("KpiTotal")), "401": problem(), "403": problem(), "404": problem(), "422": problem() }
        }
    });
    paths["/programs/{code}/kpis/heatmap"] = json!({
        "parameters": code,
        "get": {
            "summary": "Service level per weekday and hour over the period, judged against the plan's target",
            "tags": ["control"],
            "parameters": [q("from", "first day, YYYY-MM-DD (programme time zone)"), q("to", "last day, inclusive"), q("definition", "name or name@vN"), q("queue", "one queue only")],
            "responses": { "200": ok(r("HeatMap")), "401": problem(), "403": problem(), "404": problem(), "422": problem() }
        }
    });
    paths["/programs/{code}/kpis/forecast"] = json!({
        "parameters": code,
        "get": {
            "summary": "Offered calls against the WFM engine's forecast per 15 minutes, the forecast fitted on the weeks before the period",
            "tags": ["control"],
            "parameters": [q("from", "first day, YYYY-MM-DD (programme time zone)"), q("to", "last day, inclusive")],
            "responses": { "200": ok(r("VolumeForecast")), "401": problem(), "403": problem(), "404": problem(), "422": problem() }
        }
    });
    paths["/programs/{code}/kpis/calls"] = json!({
        "parameters": code,
        "get": {
            "summary": "The calls behind one KPI row (same definition, attribution and interval); counts cover all, up to 2,000 listed",
            "tags": ["control"],
            "parameters": [q("queue", "queue of the row"), q("start", "interval_start of the row (required)"), q("by", "granularity of the row"), q("definition", "definition of the row")],
            "responses": { "200": ok(json!({ "type": "object" })), "401": problem(), "403": problem(), "404": problem(), "422": problem() }
        }
    });
    paths["/programs/{code}/mappings"] = json!({
        "parameters": code,
        "get": op("Saved column mappings of the programme (and installation-wide ones)", "control", json!({ "200": ok(json!({ "type": "array", "items": { "type": "object" } })) })),
    });
    paths["/programs/{code}/mappings/{name}"] = json!({
        "parameters": [
            { "name": "code", "in": "path", "required": true, "schema": { "type": "string" } },
            { "name": "name", "in": "path", "required": true, "schema": { "type": "string", "maxLength": 60 } }
        ],
        "put": {
            "summary": "Save a column mapping under a name, checked against the header of a sample",
            "tags": ["control"],
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["mapping", "header"], "properties": { "mapping": { "type": "object" }, "header": { "type": "array", "items": { "type": "string" } } } } } } },
            "responses": { "204": { "description": "Saved" }, "401": problem(), "403": problem(), "404": problem(), "422": problem() }
        }
    });
    paths["/programs/{code}/imports"] = json!({
        "parameters": code,
        "get": op("Import batches, newest first", "control", json!({ "200": ok(json!({ "type": "array" })) })),
        "post": {
            "summary": "Import a file (the request body); re-importing never duplicates",
            "description": "The file is stored and queued as an import job, run by any server. By default the request waits for the job and answers 201 with the committed batch (a failed import answers 422 naming the error key); with wait=false it answers 202 at once with the job and a Location header to poll.",
            "tags": ["control"],
            "parameters": [q("source", "auto (default: the layout is recognised from the content) | queue-log | cdr | calls | quality | survey | sales"), q("mapping", "saved column mapping name"), q("file_name", "original file name"), q("wait", "true (default): answer with the batch; false: answer 202 with the queued job")],
            "requestBody": { "required": true, "content": { "application/octet-stream": {} } },
            "responses": {
                "201": ok(json!({ "type": "object", "properties": { "batch_id": { "type": "integer" }, "job_id": { "type": "integer" }, "source": { "type": "string" }, "layout": { "type": ["string", "null"], "description": "the layout taken: queue-log-pipe, queue-log-realtime, queue-log-realtime-data, queue-log-pbxware, queue-log-table, cdr-master, cdr-master-custom, cdr-header, calls-standard, vicidial-closer-log, vicidial-log or mapping" }, "lines_read": { "type": "integer" }, "imported": { "type": "integer" }, "rejected": { "type": "integer" }, "suspicious": { "type": "integer" }, "duplicates": { "type": "integer" }, "file_hash": { "type": "string" }, "mostly_not_understood": { "type": "boolean" } } })),
                "202": { "description": "Queued (wait=false)", "headers": { "Location": { "schema": { "type": "string" }, "description": "/api/v1/imports/jobs/{id}" } }, "content": { "application/json": { "schema": r("ImportJob") } } },
                "400": problem(), "401": problem(), "403": problem(), "404": problem(), "422": problem()
            }
        }
    });
    paths["/imports/jobs/{id}"] = json!({
        "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
        "get": op("An import job: status, progress, its batch when done, its error key when failed (visible to its creator and whoever may read the programme)", "control", json!({ "200": ok(r("ImportJob")) })),
    });
    paths["/programs/{code}/imports/{id}"] = json!({
        "parameters": [
            { "name": "code", "in": "path", "required": true, "schema": { "type": "string" } },
            { "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }
        ],
        "get": op("A batch (with not_understood and mostly_not_understood) and its data-quality report: issue_totals has every reason's exact total, issues the first lines of each reason (file, line, reason), paged by offset/limit", "control", json!({ "200": ok(json!({ "type": "object" })) })),
        "delete": op("Delete a batch: its records, issues and aggregates go with it (figures are recomputed from the remaining batches); audited. Answers the batch as it was.", "control", json!({ "200": ok(json!({ "type": "object" })) })),
    });
}

/// An alarm as the API returns it (schema given inline: it belongs to the control loop's paths).
fn alarm_schema() -> Value {
    let s = |t: &str| json!({ "type": t });
    let opt = |t: &str| json!({ "type": [t, "null"] });
    json!({ "type": "object", "properties": {
        "id": s("integer"),
        "kind": { "enum": ["target_breach", "volume_anomaly", "drift", "forecast_deviation", "overdue", "slip", "milestone_at_risk", "budget_overrun", "data_gap", "rejected_share"] },
        "metric": { "type": "string", "description": "indicator, activity pushing a milestone, currency code of a budget overrun" },
        "subject": { "type": "string", "description": "queue, activity code or import batch id; empty for the programme" },
        "period_start": { "type": "integer", "description": "epoch seconds UTC" },
        "period_end": { "type": "integer", "description": "epoch seconds UTC, exclusive" },
        "period_text": s("string"), "expected": s("number"), "observed": s("number"),
        "magnitude": { "type": "number", "description": "relative deviation (volumes, drifts), shortfall in the indicator's unit (targets), days (delays), minor units (budget), hours (gaps), share (rejected imports)" },
        "score": s("number"), "summary": s("string"),
        "status": { "enum": ["open", "acknowledged", "resolved"] },
        "acknowledged_by": opt("string"), "acknowledged_at": opt("integer"), "resolved_at": opt("integer"),
        "assignee_id": opt("integer"), "rules_version": s("integer"), "raised_at": s("integer"),
        "evidence": { "type": "string", "description": "page with the evidence" }
    } })
}

fn alarm_rules_schema() -> Value {
    let n = |d: &str| json!({ "type": "number", "description": d });
    json!({ "type": "object", "properties": {
        "window_days": n("days judged per evaluation, 1–62 (7)"),
        "history_weeks": n("weeks of seasonal baseline, 3–52 (8)"),
        "min_volume": n("contacts an interval needs to be judged against a target (20)"),
        "persistence": n("consecutive intervals a breach or anomaly must last, 1–96 (2)"),
        "anomaly_z": n("|modified z| beyond which volume is anomalous, 2–10 (3.5)"),
        "drift_h": n("CUSUM decision interval for AHT drift, 2–50 (8)"),
        "gap_minutes": n("shortest data gap raised, multiple of 15 (60)"),
        "max_rejected_share": n("largest rejected share of an import without alarm, 0–1 (0.05)"),
        "budget_tolerance_pct": n("budget tolerance over plan, percent (5)")
    } })
}

/// The cockpit, alarms and alarm rules.
fn cockpit_paths(paths: &mut Value) {
    let code = code_param();
    let with_id = json!([
        { "name": "code", "in": "path", "required": true, "schema": { "type": "string" } },
        { "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }
    ]);
    let alarms = json!({ "type": "array", "items": alarm_schema() });
    let json_body = |schema: Value| json!({ "required": true, "content": { "application/json": { "schema": schema } } });
    paths["/cockpit"] = json!({
        "get": op("The cockpit: per programme the person is responsible for, KPI targets against the last week of data (status word, trend), open alarms, overdue work, budget burn against plan, next milestones", "control",
            json!({ "200": ok(json!({ "type": "array", "items": { "type": "object", "properties": {
                "code": { "type": "string" }, "name": { "type": "string" },
                "period_from": { "type": ["string", "null"], "format": "date" }, "period_to": { "type": ["string", "null"], "format": "date" },
                "kpis": { "type": "array", "items": { "type": "object", "properties": {
                    "indicator": { "type": "string" }, "target": { "type": "number" }, "tolerance": { "type": "number" },
                    "direction": { "enum": ["higher", "lower"] }, "actual": { "type": ["number", "null"] },
                    "status": { "enum": ["green", "amber", "red", null] }, "trend": { "type": "array", "items": { "type": ["number", "null"] } } } } },
                "alarms": alarms.clone(),
                "overdue": { "type": "array", "items": { "type": "object" } },
                "budget": { "type": ["object", "null"], "description": "minor units of `currency`" },
                "milestones": { "type": "array", "items": { "type": "object" } },
                "actions": { "type": "array", "items": { "type": "object", "properties": {
                    "id": { "type": "integer" }, "action": { "type": "string" }, "status": { "type": "string" },
                    "verdict": { "enum": ["effective", "not_effective", "inconclusive", null] } } } },
                "evidence": { "type": "string" }
            } } })) })),
    });
    paths["/programs/{code}/alarms"] = json!({
        "parameters": code,
        "get": {
            "summary": "The programme's alarms, newest first",
            "tags": ["control"],
            "parameters": [{ "name": "open", "in": "query", "required": false, "schema": { "type": "boolean" }, "description": "only alarms not resolved" }],
            "responses": { "200": ok(alarms.clone()), "401": problem(), "403": problem(), "404": problem() }
        }
    });
    paths["/programs/{code}/alarms/evaluate"] = json!({
        "parameters": code,
        "post": op("Evaluate the programme's alarms now (also done after each import); returns every alarm found, an alarm found before keeps its id", "control", json!({ "200": ok(alarms) })),
    });
    let mut change = op(
        "Acknowledge, resolve or reopen an alarm and/or set its assignee (0 clears)",
        "control",
        json!({ "200": ok(alarm_schema()) }),
    );
    change["requestBody"] = json_body(json!({ "type": "object", "properties": {
        "status": { "enum": ["open", "acknowledged", "resolved"] }, "assignee_id": { "type": "integer" } } }));
    change["responses"]["400"] = problem();
    change["responses"]["422"] = problem();
    paths["/programs/{code}/alarms/{id}"] = json!({
        "parameters": with_id,
        "get": op("One alarm: what, when, how big, its evidence and lifecycle", "control", json!({ "200": ok(alarm_schema()) })),
        "patch": change,
    });
    let mut put = op(
        "Save new alarm rules: a new version (alarms name the version that raised them)",
        "control",
        json!({ "200": ok(json!({ "type": "object", "properties": { "version": { "type": "integer" }, "rules": alarm_rules_schema() } })) }),
    );
    put["requestBody"] = json_body(alarm_rules_schema());
    put["responses"]["400"] = problem();
    put["responses"]["422"] = problem();
    let action = json!({ "type": "object", "properties": {
        "id": { "type": "integer" }, "alarm_id": { "type": ["integer", "null"] },
        "cause": { "type": "string" }, "action": { "type": "string" }, "owner_id": { "type": "integer" },
        "due_date": { "type": "string", "format": "date" }, "priority": { "enum": ["low", "medium", "high"] },
        "status": { "enum": ["proposed", "approved", "in_progress", "done", "cancelled"] },
        "day": { "type": "string", "format": "date" },
        "options": { "type": "array", "items": { "type": "object", "description": "per option: rows (per interval: offered, aht_s, patience_s, agents, observed_sl, sl_now, sl, asa_s, abandon), sl_now, sl, gain_points, cost and cost_per_point in minor units of currency, and feasibility (status feasible | hiring | late | unknown, needed agents at the peak, on_phones, and from the staffing plan headcount, present after shrinkage, spare, hires, lead_days, ready_on)" } },
        "effect": { "type": ["object", "null"], "description": "verdict (effective | not_effective | inconclusive), p_value, test, n_before, n_after, median_before, median_after, checked_on (the programme's local date of the check), data_until (epoch seconds of the latest imported call the check saw) and auto (true when it ran by itself after an import)" }
    } });
    let action_input = json!({ "type": "object", "required": ["cause", "action", "owner_id", "due_date", "priority", "options"], "properties": {
        "alarm_id": { "type": "integer" }, "cause": { "type": "string" }, "action": { "type": "string" },
        "owner_id": { "type": "integer", "description": "a person of the plan" }, "due_date": { "type": "string", "format": "date" },
        "priority": { "enum": ["low", "medium", "high"] }, "day": { "type": "string", "format": "date", "description": "default: the alarm's first day" },
        "options": { "type": "array", "minItems": 1, "maxItems": 4, "items": { "type": "object", "properties": {
            "label": { "type": "string" }, "extra_agents": { "type": "integer", "minimum": 1, "maximum": 500 },
            "from": { "type": "string", "example": "10:00" }, "to": { "type": "string", "example": "14:00" } } } }
    } });
    let mut create = op("Create a corrective action; every option is evaluated with the WFM engine (Erlang A) and costed with the plan's first cost rate", "control", json!({ "201": ok(action.clone()) }));
    create["requestBody"] = json_body(action_input);
    create["responses"]["400"] = problem();
    create["responses"]["422"] = problem();
    paths["/programs/{code}/actions"] = json!({
        "parameters": code_param(),
        "get": op("The programme's corrective actions, newest first", "control", json!({ "200": ok(json!({ "type": "array", "items": action.clone() })) })),
        "post": create,
    });
    let with_id2 = json!([
        { "name": "code", "in": "path", "required": true, "schema": { "type": "string" } },
        { "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }
    ]);
    paths["/programs/{code}/actions/{id}"] = json!({
        "parameters": with_id2.clone(),
        "get": op("One corrective action with its options and effectiveness", "control", json!({ "200": ok(action.clone()) })),
    });
    let mut status = op(
        "Change an action's status (done records the day)",
        "control",
        json!({ "200": ok(action.clone()) }),
    );
    status["requestBody"] = json_body(
        json!({ "type": "object", "required": ["status"], "properties": { "status": { "enum": ["proposed", "approved", "in_progress", "done", "cancelled"] } } }),
    );
    status["responses"]["400"] = problem();
    status["responses"]["422"] = problem();
    paths["/programs/{code}/actions/{id}/status"] =
        json!({ "parameters": with_id2.clone(), "put": status });
    let mut check = op("Effectiveness check of a done action: SL of its first option's window on the same weekday before and after, one-sided Mann-Whitney at 5 %", "control", json!({ "200": ok(action) }));
    check["responses"]["422"] = problem();
    paths["/programs/{code}/actions/{id}/check"] =
        json!({ "parameters": with_id2.clone(), "post": check });
    let mut approval = op("Submit an action for approval: a change request to the plan (kind, impact, plan values to set such as target.7.value), requested by the action's owner", "control", json!({ "200": ok(json!({ "type": "object" })) }));
    approval["requestBody"] = json_body(
        json!({ "type": "object", "required": ["kind", "impact", "changes"], "properties": {
        "kind": { "enum": ["dates", "resources", "targets", "scope"] }, "impact": { "type": "string" },
        "changes": { "type": "array", "items": { "type": "object", "properties": { "key": { "type": "string", "example": "target.7.value" }, "value": { "type": "string" } } } } } }),
    );
    approval["responses"]["400"] = problem();
    approval["responses"]["409"] = problem();
    approval["responses"]["422"] = problem();
    paths["/programs/{code}/actions/{id}/approval"] =
        json!({ "parameters": with_id2.clone(), "post": approval });
    let mut approve = op("Approve an action by approving its change request: the plan gets a new version, named by the action", "control", json!({ "200": ok(json!({ "type": "object" })) }));
    approve["responses"]["422"] = problem();
    paths["/programs/{code}/actions/{id}/approve"] =
        json!({ "parameters": with_id2, "post": approve });
    paths["/programs/{code}/alarm-rules"] = json!({
        "parameters": code_param(),
        "get": op("The alarm rules in force and their version (0: defaults)", "control", json!({ "200": ok(json!({ "type": "object", "properties": { "version": { "type": "integer" }, "rules": alarm_rules_schema() } })) })),
        "put": put,
    });
}

/// Close-out evaluation, lessons and the searchable library.
fn closeout_paths(paths: &mut Value) {
    let obj = || json!({ "type": "object" });
    let with_id =
        json!([{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }]);
    let evaluation = json!({ "type": "object", "properties": {
        "code": { "type": "string" }, "status": { "type": "string" }, "signed": { "type": "boolean" },
        "may_edit": { "type": "boolean" },
        "facts": { "type": "object", "description": "period, objectives (targets met), targets (target, actual, met, monthly), quality (service_level, abandon_rate, qa_score, csat: total and monthly), time (planned_end, actual_end, days_late, milestones), resources (per currency: planned, actual, variance, contacts, cost_per_contact in minor units), actions (status, verdict, medians before and after)" },
        "versions": { "type": "array", "items": { "type": "object" } }
    } });
    let assessment = json!({ "type": "object", "required": ["overall", "verdict"], "properties": {
        "comments": { "type": "object", "description": "one text per area: objectives, quality, time, resources, actions" },
        "overall": { "type": "string" }, "verdict": { "enum": ["met", "partly_met", "not_met"] },
        "sign": { "type": "boolean", "description": "true: the final, signed version" }
    } });
    let lesson = json!({ "type": "object", "required": ["title", "kind", "summary", "factors"], "properties": {
        "title": { "type": "string" }, "kind": { "enum": ["success", "failure"] }, "summary": { "type": "string" },
        "factors": { "type": "array", "items": { "type": "string" } }, "recommendation": { "type": "string" },
        "evidence": { "type": "array", "items": { "type": "object", "properties": { "kind": { "enum": ["figure", "action", "document"] }, "text": { "type": "string" } } } },
        "tags": { "type": "array", "items": { "type": "string" } }, "channel": { "type": "string" },
        "product": { "type": "string" }, "shared": { "type": "boolean", "description": "visible to the client's viewers" }
    } });
    let mut save = op("Save the manager's assessment as a new version of the evaluation (managers; the programme closed; refused once signed)", "closeout", json!({ "201": ok(obj()) }));
    save["requestBody"] =
        json!({ "required": true, "content": { "application/json": { "schema": assessment } } });
    for c in ["400", "409", "422"] {
        save["responses"][c] = problem();
    }
    paths["/programs/{code}/closeout"] = json!({
        "parameters": code_param(),
        "get": op("The close-out evaluation: figures prefilled from the programme's data and every saved version", "closeout", json!({ "200": ok(evaluation) })),
        "post": save,
    });
    let mut close = op(
        "Close a running programme (its managers): it becomes read-only and its evaluation starts",
        "closeout",
        json!({ "200": ok(obj()) }),
    );
    close["responses"]["409"] = problem();
    paths["/programs/{code}/close"] = json!({ "parameters": code_param(), "post": close.clone() });
    let mut reopen = op(
        "Reopen a closed programme (its managers; audited)",
        "closeout",
        json!({ "200": ok(obj()) }),
    );
    reopen["responses"]["409"] = problem();
    paths["/programs/{code}/reopen"] = json!({ "parameters": code_param(), "post": reopen });
    let mut create = op(
        "Record a lesson learnt in the programme (BPO staff; also when closed)",
        "closeout",
        json!({ "201": ok(obj()) }),
    );
    create["requestBody"] =
        json!({ "required": true, "content": { "application/json": { "schema": lesson } } });
    create["responses"]["400"] = problem();
    create["responses"]["422"] = problem();
    paths["/programs/{code}/lessons"] = json!({
        "parameters": code_param(),
        "get": op("The programme's lessons the caller may see, newest first", "closeout", json!({ "200": ok(json!({ "type": "array", "items": obj() })) })),
        "post": create,
    });
    paths["/programs/{code}/suggestions"] = json!({
        "parameters": code_param(),
        "get": op("Practices and lessons relevant to the programme (same client, product, channel, tags) with their score", "closeout", json!({ "200": ok(json!({ "type": "array", "items": obj() })) })),
    });
    paths["/lessons/{id}"] = json!({
        "parameters": with_id.clone(),
        "get": op("One lesson", "closeout", json!({ "200": ok(obj()) })),
    });
    let mut promote = op(
        "Promote a lesson to a library best practice (managers)",
        "closeout",
        json!({ "201": ok(obj()) }),
    );
    promote["responses"]["409"] = problem();
    paths["/lessons/{id}/promote"] = json!({ "parameters": with_id, "post": promote });
    paths["/library/search"] = json!({
        "get": {
            "summary": "Full-text search of lessons and practices in Spanish and English (accents and case ignored; a word also finds longer words it starts); a client viewer sees only the client's shared items",
            "tags": ["closeout"],
            "parameters": [{ "name": "q", "in": "query", "required": true, "schema": { "type": "string" } }],
            "responses": { "200": ok(json!({ "type": "array", "items": obj() })), "401": problem() }
        }
    });
}

/// Live operations: the wallboard's figures, its event stream and the live settings.
fn live_paths(paths: &mut Value) {
    let int = json!({ "type": "integer" });
    let num = json!({ "type": ["number", "null"] });
    let status = json!({ "type": "object", "properties": {
        "colour": { "enum": ["green", "amber", "red", "none"] },
        "word": { "type": "string", "description": "the status in words, in the caller's language" }
    } });
    let queue = json!({ "type": "object", "properties": {
        "queue": { "type": ["string", "null"], "description": "null for the total over every queue" },
        "waiting": int, "longest_wait_s": int, "waiting_over_limit": { "type": "boolean" },
        "agents": { "type": "object", "description": "agents per state: available, ringing, on_call, wrap_up, paused, logged_out", "additionalProperties": int },
        "offered": int, "answered": int, "answered_in_sl": int, "abandoned": int, "exits": int,
        "service_level": num, "abandon_rate": num, "asa_s": num, "aht_s": num,
        "service_level_status": status, "abandon_rate_status": status
    } });
    let target = json!({ "type": ["object", "null"], "properties": { "target": { "type": "number" }, "tolerance": { "type": "number" }, "higher_is_better": { "type": "boolean" } } });
    let live = json!({ "type": "object", "properties": {
        "code": { "type": "string" }, "version": int, "source": { "type": ["string", "null"] },
        "updated_at": { "type": ["integer", "null"] }, "last_event_at": { "type": ["integer", "null"] }, "now": int,
        "day": { "type": ["string", "null"], "description": "the programme's local day of the counters" },
        "time_zone": { "type": "string" }, "sl_threshold_s": int,
        "service_level_target": target, "abandon_rate_target": target,
        "queues": { "type": "array", "items": queue }, "total": queue,
        "agents": { "type": ["array", "null"], "description": "null for roles that do not see agents", "items": { "type": "object", "properties": {
            "name": { "type": "string" }, "state": { "type": "string" }, "state_word": { "type": "string" }, "pause_reason": { "type": ["string", "null"] },
            "in_state_s": int, "queues": { "type": "array", "items": { "type": "string" } }, "answered": int, "missed": int, "talk_s": int
        } } },
        "abandoned": { "type": "array", "items": { "type": "object", "properties": {
            "at": int, "queue": { "type": "string" }, "wait_s": int, "number": { "type": ["string", "null"], "description": "masked unless full" }, "full": { "type": "boolean" }
        } } }
    } });
    let settings = json!({ "type": "object", "properties": {
        "queue_log": { "type": ["string", "null"], "description": "absolute path of the queue_log the servers follow" },
        "sl_breach_minutes": { "type": "integer", "minimum": 1, "maximum": 240 },
        "waiting_limit": { "type": "integer", "minimum": 1, "maximum": 10000 }
    } });
    paths["/programs/{code}/live"] = json!({
        "parameters": code_param(),
        "get": op("The programme's queues now: waiting, longest wait, agents by state, today's offered/answered/abandoned and service level against the targets, agents (supervisors) and the day's abandoned calls", "live", json!({ "200": ok(live.clone()) })),
    });
    paths["/programs/{code}/live/events"] = json!({
        "parameters": code_param(),
        "get": op("Server-sent events: `board` with the live JSON whenever the live state changes (and every few seconds)", "live", json!({ "200": { "description": "An event stream", "content": { "text/event-stream": { "schema": { "type": "string" } } } } })),
    });
    let mut put = op("Change the live settings (needs update access); a queue_log path makes the servers follow it", "live", json!({ "200": ok(settings.clone()) }));
    put["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": settings.clone() } } });
    paths["/programs/{code}/live/settings"] = json!({
        "parameters": code_param(),
        "get": op("The live settings (defaults when never set)", "live", json!({ "200": ok(settings) })),
        "put": put,
    });
}

pub async fn document() -> Json<Value> {
    Json(spec())
}
