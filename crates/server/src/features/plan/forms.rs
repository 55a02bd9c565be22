//! Plan forms: create, edit and delete (after a confirmation page) every kind of plan item from
//! the browser, through the same `rumbo_app` use cases as the JSON API.
//!
//! Each kind is described once as a list of fields ([`Kind::fields`]); the same description
//! renders the form, turns the posted form into the JSON body the use case parses, turns a
//! stored document back into form values for editing, and lists the items on the plan page.
//! A refused form is shown again with what the user typed and each message beside its field;
//! a saved one redirects to the plan page with a success message (`?done=…&kind=…`).

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use maud::{html, Markup};
use rumbo_app::model::Person;
use rumbo_app::plan::docs::*;
use rumbo_app::plan::{PlanItem, INDICATORS};
use rumbo_domain::plan::budget::{Category, Currency, SupplyKind};
use rumbo_domain::plan::coordination::{ChangeKind, CommChannel, Frequency};
use rumbo_domain::plan::diffusion::DiffusionKind;
use rumbo_domain::plan::objectives::{Direction, Granularity, MilestoneStatus, SourceKind};
use rumbo_domain::plan::roles::{Cefr, CompetencyKind};
use rumbo_domain::plan::strategy::{RiskStatus, ScopeSide};
use rumbo_domain::plan::workplan::DayCount;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::pages::date_text;
use super::{Plan, PlanCx, Update};
use crate::http::ctx::{Ctx, Form, FormData};
use crate::view::changes::{number_text, plan_key_label, PlanNames};
use crate::view::i18n::Lang;
use crate::view::{csrf_field, layout, money_text, redirect, Section};
use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/programs/{code}/plan/{kind}/new",
            get(new_form).post(create),
        )
        .route(
            "/programs/{code}/plan/{kind}/edit",
            get(single_form).post(save_single),
        )
        .route("/programs/{code}/plan/{kind}/{id}", get(view_item))
        .route(
            "/programs/{code}/plan/{kind}/{id}/{action}",
            get(item_page).post(item_post),
        )
}

/// A stored item's page: a change request with its comments and decision forms.
async fn view_item(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<super::Read>,
    Path((_, slug, id)): Path<(String, String, i64)>,
) -> Result<Response, AppError> {
    match kind_of(&slug)? {
        Kind::ChangeRequest => {
            super::requests::page(&state, &ctx, &cx, id, &Vals::default(), &[]).await
        }
        _ => Err(AppError::NotFound),
    }
}

/// `GET …/{id}/edit` and `GET …/{id}/delete` (the confirmation).
async fn item_page(
    state: State<AppState>,
    ctx: Ctx,
    plan: Plan<Update>,
    Path((code, slug, id, action)): Path<(String, String, i64, String)>,
) -> Result<Response, AppError> {
    let path = Path((code, slug, id));
    match action.as_str() {
        "edit" => edit_form(state, ctx, plan, path).await,
        "delete" => confirm_delete(state, ctx, plan, path).await,
        _ => Err(AppError::NotFound),
    }
}

/// `POST …/{id}/edit`, `…/delete`, and a change request's `approve`, `reject` and `comment`.
async fn item_post(
    state: State<AppState>,
    ctx: Ctx,
    plan: Plan<Update>,
    Path((code, slug, id, action)): Path<(String, String, i64, String)>,
    form: Form,
) -> Result<Response, AppError> {
    let path = Path((code, slug.clone(), id));
    match (action.as_str(), kind_of(&slug)?) {
        ("edit", _) => update(state, ctx, plan, path, form).await,
        ("delete", _) => delete(state, ctx, plan, path, form).await,
        (a @ ("approve" | "reject" | "comment"), Kind::ChangeRequest) => {
            super::requests::decide(&state, &ctx, &plan.0, id, a, &form.0).await
        }
        _ => Err(AppError::NotFound),
    }
}

/// Every kind of plan item a form can change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Objective,
    Target,
    Milestone,
    Requirement,
    Scope,
    Stage,
    Risk,
    Methodology,
    Activity,
    Calendar,
    Role,
    Profile,
    Assignment,
    Raci,
    BudgetLine,
    Amount,
    Supply,
    CostRate,
    Meeting,
    Decision,
    Communication,
    Diffusion,
    ChangeRequest,
}

/// How a field is entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    Text,
    Area,
    Date,
    Month,
    /// A decimal number as text (the domain parses `1.234,5`).
    Number,
    /// A whole number sent as a JSON number.
    Int,
    /// One of a fixed set of values (`pf.opt.<set>.<value>` labels).
    Select(&'static str),
    Person,
    People,
    Objective,
    Objectives,
    BudgetLine,
    /// An activity code of the work plan.
    ActivityCode,
    /// A role of the programme, by name.
    RoleName,
    /// A plan value a change request may change.
    PlanKey,
    /// One text per line.
    Lines,
    Check,
    /// Repeated rows of columns (competencies, follow-up tasks, RACI entries…).
    Rows(&'static [Col]),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Col {
    pub name: &'static str,
    pub input: Input,
}

#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub input: Input,
    pub required: bool,
}

const fn f(name: &'static str, input: Input, required: bool) -> Field {
    Field {
        name,
        input,
        required,
    }
}

const fn c(name: &'static str, input: Input) -> Col {
    Col { name, input }
}

use Input::*;

const CRITERIA: &[Col] = &[c("text", Text), c("met", Check)];
const COMPETENCIES: &[Col] = &[
    c("name", Text),
    c("kind", Select("competency_kind")),
    c("level", Text),
];
const LANGUAGES: &[Col] = &[c("language", Text), c("level", Select("cefr"))];
const DEPENDENCIES: &[Col] = &[c("predecessor", ActivityCode), c("lag_days", Int)];
const FOLLOW_UPS: &[Col] = &[c("task", Text), c("owner_id", Person), c("due_date", Date)];
const RACI: &[Col] = &[
    c("activity", ActivityCode),
    c("person_id", Person),
    c("role", Select("raci")),
];
const CHANGES: &[Col] = &[c("key", PlanKey), c("value", Text)];

impl Kind {
    pub const ALL: [Kind; 23] = [
        Kind::Objective,
        Kind::Target,
        Kind::Milestone,
        Kind::Requirement,
        Kind::Scope,
        Kind::Stage,
        Kind::Risk,
        Kind::Methodology,
        Kind::Activity,
        Kind::Calendar,
        Kind::Role,
        Kind::Profile,
        Kind::Assignment,
        Kind::Raci,
        Kind::BudgetLine,
        Kind::Amount,
        Kind::Supply,
        Kind::CostRate,
        Kind::Meeting,
        Kind::Decision,
        Kind::Communication,
        Kind::Diffusion,
        Kind::ChangeRequest,
    ];

    /// The kind's path segment under `/programs/{code}/plan/`.
    pub fn slug(self) -> &'static str {
        match self {
            Kind::Objective => "objectives",
            Kind::Target => "targets",
            Kind::Milestone => "milestones",
            Kind::Requirement => "requirements",
            Kind::Scope => "scope",
            Kind::Stage => "stages",
            Kind::Risk => "risks",
            Kind::Methodology => "methodology",
            Kind::Activity => "activities",
            Kind::Calendar => "calendar",
            Kind::Role => "roles",
            Kind::Profile => "profiles",
            Kind::Assignment => "assignments",
            Kind::Raci => "raci",
            Kind::BudgetLine => "budget-lines",
            Kind::Amount => "amounts",
            Kind::Supply => "supplies",
            Kind::CostRate => "cost-rates",
            Kind::Meeting => "meetings",
            Kind::Decision => "decisions",
            Kind::Communication => "communications",
            Kind::Diffusion => "diffusion",
            Kind::ChangeRequest => "change-requests",
        }
    }

    pub fn from_slug(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.slug() == s)
    }

    /// The catalogue stem: `pf.<key>.…`.
    pub fn key(self) -> String {
        self.slug().replace('-', "_")
    }

    /// The plan page's section the kind is listed in.
    pub fn anchor(self) -> &'static str {
        match self {
            Kind::Objective | Kind::Target | Kind::Milestone | Kind::Requirement | Kind::Scope => {
                "objectives"
            }
            Kind::Stage | Kind::Risk | Kind::Methodology => "strategy",
            Kind::Activity
            | Kind::Calendar
            | Kind::Role
            | Kind::Profile
            | Kind::Assignment
            | Kind::Raci => "work-plan",
            Kind::BudgetLine | Kind::Amount | Kind::Supply | Kind::CostRate => "budget",
            Kind::Meeting
            | Kind::Decision
            | Kind::Communication
            | Kind::Diffusion
            | Kind::ChangeRequest => "coordination",
        }
    }

    /// One document per programme, edited in place (no list, no delete).
    pub fn single(self) -> bool {
        matches!(self, Kind::Methodology | Kind::Calendar | Kind::Raci)
    }

    /// Whether stored items may be edited (amounts are re-entered by month; change requests
    /// are decided, not edited).
    pub fn editable(self) -> bool {
        !matches!(self, Kind::Amount | Kind::ChangeRequest)
    }

    /// Whether stored items may be deleted.
    pub fn deletable(self) -> bool {
        !self.single() && self != Kind::ChangeRequest
    }

    pub fn fields(self) -> Vec<Field> {
        match self {
            Kind::Objective => vec![
                f("title", Text, true),
                f("description", Area, false),
                f("expected_results", Lines, false),
            ],
            Kind::Target => vec![
                f("objective_id", Objective, true),
                f("indicator", Select("indicator"), true),
                f("direction", Select("direction"), true),
                f("target", Number, true),
                f("tolerance", Number, false),
                f("granularity", Select("granularity"), true),
                f("period_start", Date, true),
                f("period_end", Date, true),
                f("owner_id", Person, false),
            ],
            Kind::Milestone => vec![
                f("name", Text, true),
                f("date", Date, true),
                f("status", Select("milestone_status"), false),
                f("objective_id", Objective, false),
                f("criterion", Text, false),
            ],
            Kind::Requirement => vec![
                f("text", Area, true),
                f("source_kind", Select("source_kind"), true),
                f("source_ref", Text, false),
                f("objective_ids", Objectives, false),
            ],
            Kind::Scope => vec![f("side", Select("scope_side"), true), f("text", Text, true)],
            Kind::Stage => vec![
                f("name", Text, true),
                f("position", Int, true),
                f("start_date", Date, false),
                f("end_date", Date, false),
                f("entry_criteria", Rows(CRITERIA), false),
                f("exit_criteria", Rows(CRITERIA), true),
                f("expected_results", Lines, false),
            ],
            Kind::Risk => vec![
                f("cause", Text, true),
                f("event", Text, true),
                f("effect", Text, true),
                f("probability", Int, true),
                f("impact", Int, true),
                f("owner_id", Person, true),
                f("mitigation", Text, false),
                f("contingency", Text, false),
                f("review_date", Date, true),
                f("status", Select("risk_status"), false),
            ],
            Kind::Methodology => vec![f("text", Area, true)],
            Kind::Activity => vec![
                f("id", Text, true),
                f("name", Text, true),
                f("start_date", Date, false),
                f("duration_days", Number, false),
                f("end_date", Date, false),
                f("dependencies", Rows(DEPENDENCIES), false),
                f("owner_id", Person, false),
                f("deliverable", Text, false),
                f("progress", Number, false),
                f("milestone", Check, false),
                f("actual_start", Date, false),
                f("actual_finish", Date, false),
            ],
            Kind::Calendar => vec![f("day_count", Select("day_count"), true)],
            Kind::Role => vec![
                f("name", Text, true),
                f("competencies", Rows(COMPETENCIES), false),
                f("languages", Rows(LANGUAGES), false),
                f("min_experience_months", Int, false),
            ],
            Kind::Profile => vec![
                f("person_id", Person, true),
                f("name", Text, false),
                f("competencies", Rows(COMPETENCIES), false),
                f("languages", Rows(LANGUAGES), false),
                f("experience_months", Int, false),
            ],
            Kind::Assignment => vec![
                f("person_id", Person, true),
                f("role", RoleName, true),
                f("from", Date, true),
                f("to", Date, true),
                f("allocation", Number, true),
            ],
            Kind::Raci => vec![f("entries", Rows(RACI), true)],
            Kind::BudgetLine => vec![
                f("category", Select("category"), true),
                f("description", Text, true),
            ],
            Kind::Amount => vec![
                f("line_id", BudgetLine, true),
                f("month", Month, true),
                f("kind", Select("amount_kind"), true),
                f("amount", Number, true),
                f("currency", Select("currency"), false),
            ],
            Kind::Supply => vec![
                f("kind", Select("supply_kind"), true),
                f("description", Text, true),
                f("quantity", Number, true),
                f("unit_cost", Number, true),
                f("currency", Select("currency"), false),
            ],
            Kind::CostRate => vec![
                f("role", Text, true),
                f("hourly_cost", Number, true),
                f("currency", Select("currency"), false),
                f("employer_charges", Number, false),
            ],
            Kind::Meeting => vec![
                f("title", Text, true),
                f("date", Date, true),
                f("attendees", People, false),
                f("agenda", Lines, false),
                f("minutes", Area, false),
                f("decisions", Lines, false),
                f("follow_ups", Rows(FOLLOW_UPS), false),
            ],
            Kind::Decision => vec![
                f("date", Date, true),
                f("summary", Text, true),
                f("rationale", Area, false),
                f("decided_by", Person, true),
            ],
            Kind::Communication => vec![
                f("audience", Text, true),
                f("content", Text, true),
                f("frequency", Select("frequency"), true),
                f("channel", Select("channel"), true),
                f("owner_id", Person, true),
            ],
            Kind::Diffusion => vec![
                f("kind", Select("diffusion_kind"), true),
                f("title", Text, true),
                f("date", Date, true),
                f("audience", Text, true),
                f("audience_planned", Int, true),
                f("audience_reached", Int, false),
                f("objective_ids", Objectives, true),
            ],
            Kind::ChangeRequest => vec![
                f("kind", Select("change_kind"), true),
                f("reason", Text, true),
                f("impact", Text, true),
                f("changes", Rows(CHANGES), true),
                f("requested_by", Person, true),
            ],
        }
    }

    /// The fields shown in the kind's list on the plan page.
    pub fn summary(self) -> &'static [&'static str] {
        match self {
            Kind::Objective => &["title", "expected_results"],
            Kind::Target => &["indicator", "target", "period_end"],
            Kind::Milestone => &["name", "date", "objective_id"],
            Kind::Requirement => &["text", "source_kind"],
            Kind::Scope => &["side", "text"],
            Kind::Stage => &["position", "name", "end_date", "exit_criteria"],
            Kind::Risk => &["event", "owner_id", "review_date", "status"],
            Kind::Methodology => &["text"],
            Kind::Activity => &["id", "name", "duration_days", "progress"],
            Kind::Calendar => &["day_count"],
            Kind::Role => &["name", "competencies", "languages"],
            Kind::Profile => &["person_id", "competencies", "languages"],
            Kind::Assignment => &["person_id", "role", "from", "to", "allocation"],
            Kind::Raci => &["entries"],
            Kind::BudgetLine => &["category", "description"],
            Kind::Amount => &["line_id", "month", "kind", "amount"],
            Kind::Supply => &["kind", "description", "quantity", "unit_cost"],
            Kind::CostRate => &["role", "hourly_cost", "employer_charges"],
            Kind::Meeting => &["date", "title", "decisions", "follow_ups"],
            Kind::Decision => &["date", "summary"],
            Kind::Communication => &["audience", "content", "frequency", "channel"],
            Kind::Diffusion => &["date", "title", "audience_planned", "audience_reached"],
            Kind::ChangeRequest => &["kind", "reason", "status"],
        }
    }
}

/// The values of a fixed choice.
pub fn options(set: &str) -> Vec<&'static str> {
    fn all<T: Copy, const N: usize>(v: [T; N], s: fn(T) -> &'static str) -> Vec<&'static str> {
        v.into_iter().map(s).collect()
    }
    match set {
        "indicator" => INDICATORS.to_vec(),
        "direction" => all(Direction::ALL, Direction::as_str),
        "granularity" => all(Granularity::ALL, Granularity::as_str),
        "milestone_status" => all(MilestoneStatus::ALL, MilestoneStatus::as_str),
        "source_kind" => all(SourceKind::ALL, SourceKind::as_str),
        "scope_side" => all(ScopeSide::ALL, ScopeSide::as_str),
        "risk_status" => all(RiskStatus::ALL, RiskStatus::as_str),
        "competency_kind" => all(CompetencyKind::ALL, CompetencyKind::as_str),
        "cefr" => all(Cefr::ALL, Cefr::as_str),
        "raci" => vec!["R", "A", "C", "I"],
        "category" => all(Category::ALL, Category::as_str),
        "amount_kind" => vec!["planned", "actual"],
        "currency" => all(Currency::ALL, Currency::as_str),
        "supply_kind" => all(SupplyKind::ALL, SupplyKind::as_str),
        "frequency" => all(Frequency::ALL, Frequency::as_str),
        "channel" => all(CommChannel::ALL, CommChannel::as_str),
        "diffusion_kind" => all(DiffusionKind::ALL, DiffusionKind::as_str),
        "change_kind" => all(ChangeKind::ALL, ChangeKind::as_str),
        "day_count" => all(DayCount::ALL, DayCount::as_str),
        _ => Vec::new(),
    }
}

/// The unit a KPI target's value is in: `%`, `s`, `$` or a count.
pub fn indicator_unit(indicator: &str) -> &'static str {
    match indicator {
        "asa" | "aht" => "s",
        "cost_per_contact" => "$",
        "sph" | "contacts_handled" | "sales" | "nps" | "qa_score" => "count",
        _ => "%",
    }
}

/// Form values by name (a name may repeat: several attendees).
#[derive(Debug, Clone, Default)]
pub struct Vals(BTreeMap<String, Vec<String>>);

impl Vals {
    pub(super) fn get(&self, name: &str) -> &str {
        self.0
            .get(name)
            .and_then(|v| v.first())
            .map_or("", String::as_str)
    }

    fn all(&self, name: &str) -> &[String] {
        self.0.get(name).map_or(&[], Vec::as_slice)
    }

    pub(super) fn set(&mut self, name: String, v: String) {
        self.0.entry(name).or_default().push(v);
    }

    fn from_form(f: &FormData) -> Vals {
        let mut v = Vals::default();
        for (k, x) in &f.0 {
            if k != "_csrf" {
                v.set(k.clone(), x.clone());
            }
        }
        v
    }

    /// How many rows of a repeated field hold something.
    fn rows(&self, field: &str) -> usize {
        let prefix = format!("{field}.");
        self.0
            .keys()
            .filter_map(|k| k.strip_prefix(&prefix))
            .filter_map(|r| r.split('.').next()?.parse::<usize>().ok())
            .map(|i| i + 1)
            .max()
            .unwrap_or(0)
    }
}

/// A stored scalar as form text (numbers with the language's decimal separator).
fn scalar(lang: Lang, input: Input, v: &Value) -> String {
    let s = match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => if *b { "1" } else { "" }.to_string(),
        other => other.to_string(),
    };
    if input == Number && lang == Lang::Es && s.parse::<f64>().is_ok() {
        s.replace('.', ",")
    } else {
        s
    }
}

/// A stored document as form values.
pub fn vals_of(lang: Lang, kind: Kind, data: &Value) -> Vals {
    let mut v = Vals::default();
    for fld in kind.fields() {
        let x = &data[fld.name];
        match fld.input {
            People | Objectives => {
                for i in x.as_array().into_iter().flatten() {
                    v.set(fld.name.into(), scalar(lang, Text, i));
                }
            }
            Lines => {
                let lines: Vec<String> = x
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|i| scalar(lang, Text, i))
                    .collect();
                v.set(fld.name.into(), lines.join("\n"));
            }
            Rows(cols) => {
                for (n, row) in x.as_array().into_iter().flatten().enumerate() {
                    for col in cols {
                        let cell = match row {
                            Value::Object(_) => scalar(lang, col.input, &row[col.name]),
                            // A criterion stored as plain text.
                            other if col.name == "text" => scalar(lang, Text, other),
                            _ => String::new(),
                        };
                        v.set(format!("{}.{n}.{}", fld.name, col.name), cell);
                    }
                }
            }
            input => v.set(fld.name.into(), scalar(lang, input, x)),
        }
    }
    v
}

/// A problem to show beside a field: the field and the message.
type Problem = (String, String);

fn whole(ctx: &Ctx, field: &str, s: &str, problems: &mut Vec<Problem>) -> Value {
    let t = s.trim();
    if t.is_empty() {
        return Value::Null;
    }
    match t.parse::<i64>() {
        Ok(n) => json!(n),
        Err(_) => {
            problems.push((field.into(), ctx.t("error.pf.whole_number").into()));
            Value::Null
        }
    }
}

fn cell(ctx: &Ctx, input: Input, field: &str, s: &str, problems: &mut Vec<Problem>) -> Value {
    match input {
        Int | Person | Objective | BudgetLine => whole(ctx, field, s, problems),
        Check => json!(s == "1"),
        _ => json!(s.trim()),
    }
}

/// The posted form as the JSON body the use case parses; whole numbers that are not numbers
/// are problems of their field.
pub fn body_of(ctx: &Ctx, kind: Kind, v: &Vals) -> (Value, Vec<Problem>) {
    let mut out = Map::new();
    let mut problems = Vec::new();
    for fld in kind.fields() {
        let value = match fld.input {
            People | Objectives => Value::Array(
                v.all(fld.name)
                    .iter()
                    .filter(|s| !s.trim().is_empty())
                    .map(|s| whole(ctx, fld.name, s, &mut problems))
                    .collect(),
            ),
            Lines => Value::Array(
                v.get(fld.name)
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(|l| json!(l))
                    .collect(),
            ),
            Rows(cols) => {
                let mut rows = Vec::new();
                for n in 0..v.rows(fld.name) {
                    let key = |col: &str| format!("{}.{n}.{col}", fld.name);
                    let filled = cols
                        .iter()
                        .any(|c| c.input != Check && !v.get(&key(c.name)).trim().is_empty());
                    if !filled {
                        continue;
                    }
                    let mut row = Map::new();
                    for col in cols.iter() {
                        let x = cell(
                            ctx,
                            col.input,
                            fld.name,
                            v.get(&key(col.name)),
                            &mut problems,
                        );
                        if !x.is_null() {
                            row.insert(col.name.into(), x);
                        }
                    }
                    rows.push(Value::Object(row));
                }
                Value::Array(rows)
            }
            input => cell(ctx, input, fld.name, v.get(fld.name), &mut problems),
        };
        out.insert(fld.name.into(), value);
    }
    (Value::Object(out), problems)
}

/// What the choices of a form are made of: people, objectives, budget lines, activities,
/// roles and the plan values a change request may change.
#[derive(Default)]
pub struct Choices {
    pub people: Vec<Person>,
    pub objectives: Vec<(i64, String)>,
    pub lines: Vec<(i64, String)>,
    pub activities: Vec<(String, String)>,
    pub roles: Vec<String>,
    pub plan_keys: Vec<(String, String)>,
    pub names: PlanNames,
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

impl Choices {
    pub async fn load(state: &AppState, ctx: &Ctx, cx: &PlanCx) -> Result<Choices, AppError> {
        let app = &state.app;
        let by = |items: Vec<PlanItem>, field: &str| -> Vec<(i64, String)> {
            items
                .into_iter()
                .map(|i| (i.id, text_of(&i.data[field])))
                .collect()
        };
        let objectives = by(app.plan_items::<ObjectiveDoc>(cx).await?, "title");
        let lines = by(app.plan_items::<BudgetLineDoc>(cx).await?, "description");
        let milestones = by(app.plan_items::<MilestoneDoc>(cx).await?, "name");
        let activities: Vec<(String, String)> = app
            .activities(cx)
            .await?
            .into_iter()
            .map(|(_, a)| (a.id.to_string(), a.name))
            .collect();
        let roles: Vec<String> = app
            .plan_items::<RoleDoc>(cx)
            .await?
            .into_iter()
            .map(|r| text_of(&r.data["name"]))
            .collect();
        let targets = app.plan_items::<TargetDoc>(cx).await?;
        let assignments = app.plan_items::<AssignmentDoc>(cx).await?;
        let names = PlanNames {
            milestones: milestones.iter().cloned().collect(),
            budget_lines: lines.iter().cloned().collect(),
            assignments: assignments
                .iter()
                .map(|a| (a.id, text_of(&a.data["role"])))
                .collect(),
            targets: targets
                .iter()
                .map(|t| {
                    let ind = text_of(&t.data["indicator"]);
                    let label = ctx
                        .lang
                        .t_opt(&format!("kpi.{ind}"))
                        .map_or(ind, str::to_string);
                    (t.id, label)
                })
                .collect(),
        };
        let mut keys: Vec<String> = Vec::new();
        for (id, _) in &activities {
            keys.push(format!("activity.{id}.start"));
            keys.push(format!("activity.{id}.duration"));
        }
        keys.extend(
            milestones
                .iter()
                .map(|(id, _)| format!("milestone.{id}.date")),
        );
        keys.push("programme.end".into());
        for t in &targets {
            keys.push(format!("target.{}.value", t.id));
            keys.push(format!("target.{}.tolerance", t.id));
        }
        for r in &roles {
            keys.push(format!("headcount.{r}"));
        }
        keys.extend(assignments.iter().map(|a| format!("allocation.{}", a.id)));
        let plan_keys = keys
            .into_iter()
            .map(|k| {
                let label = plan_key_label(ctx, &k, &names);
                (k, label)
            })
            .collect();
        Ok(Choices {
            people: app.plan_people(cx).await?,
            objectives,
            lines,
            activities,
            roles,
            plan_keys,
            names,
        })
    }

    fn person(&self, id: &str) -> String {
        self.people
            .iter()
            .find(|p| p.id.to_string() == id)
            .map_or_else(|| id.to_string(), |p| p.name.clone())
    }

    /// The (value, label) pairs of a choice field.
    fn pairs(&self, ctx: &Ctx, input: Input) -> Vec<(String, String)> {
        match input {
            Select(set) => options(set)
                .into_iter()
                .map(|o| {
                    (
                        o.to_string(),
                        ctx.t(&format!("pf.opt.{set}.{o}")).to_string(),
                    )
                })
                .collect(),
            Person | People => self
                .people
                .iter()
                .map(|p| (p.id.to_string(), p.name.clone()))
                .collect(),
            Objective | Objectives => self
                .objectives
                .iter()
                .map(|(id, t)| (id.to_string(), t.clone()))
                .collect(),
            BudgetLine => self
                .lines
                .iter()
                .map(|(id, t)| (id.to_string(), t.clone()))
                .collect(),
            ActivityCode => self
                .activities
                .iter()
                .map(|(id, n)| (id.clone(), format!("{id} · {n}")))
                .collect(),
            RoleName => self.roles.iter().map(|r| (r.clone(), r.clone())).collect(),
            PlanKey => self.plan_keys.clone(),
            _ => Vec::new(),
        }
    }
}

fn label_key(kind: Kind, field: &str) -> String {
    format!("pf.{}.{field}", kind.key())
}

fn errors_for<'a>(problems: &'a [Problem], field: &'a str) -> impl Iterator<Item = &'a str> {
    problems
        .iter()
        .filter(move |(f, _)| f == field)
        .map(|(_, m)| m.as_str())
}

/// One control (input, select, textarea, checkbox) named `name`.
#[allow(clippy::too_many_arguments)]
fn control(
    ctx: &Ctx,
    choices: &Choices,
    input: Input,
    name: &str,
    id: &str,
    value: &str,
    required: bool,
    invalid: bool,
    described: Option<String>,
) -> Markup {
    let inv = invalid.then_some("true");
    match input {
        Text | Number | Int | Date | Month => {
            let (kind, mode) = match input {
                Date => ("date", None),
                Month => ("month", None),
                Int => ("text", Some("numeric")),
                Number => ("text", Some("decimal")),
                _ => ("text", None),
            };
            html! {
                input id=(id) name=(name) type=(kind) value=(value) inputmode=[mode]
                    required[required] aria-invalid=[inv] aria-describedby=[described];
            }
        }
        Area | Lines => html! {
            textarea id=(id) name=(name) rows="3" required[required] aria-invalid=[inv]
                aria-describedby=[described] { (value) }
        },
        Check => html! {
            input id=(id) name=(name) type="checkbox" value="1" checked[value == "1"];
        },
        _ => {
            let pairs = choices.pairs(ctx, input);
            let known = value.is_empty() || pairs.iter().any(|(v, _)| v == value);
            html! {
                select id=(id) name=(name) required[required] aria-invalid=[inv]
                    aria-describedby=[described] {
                    option value="" { (ctx.t("form.choose")) }
                    @if !known { option value=(value) selected { (value) } }
                    @for (v, l) in &pairs {
                        option value=(v) selected[v == value] { (l) }
                    }
                }
            }
        }
    }
}

/// A field with its label, hint and messages.
fn field_markup(
    ctx: &Ctx,
    kind: Kind,
    choices: &Choices,
    fld: &Field,
    v: &Vals,
    problems: &[Problem],
) -> Markup {
    let msgs: Vec<&str> = errors_for(problems, fld.name).collect();
    let invalid = !msgs.is_empty();
    let err_id = format!("err-{}", fld.name);
    let described = invalid.then(|| err_id.clone());
    let label = ctx.t(&label_key(kind, fld.name));
    let errors = html! {
        @for m in &msgs { span.error id=(err_id) role="alert" { (m) } }
    };
    match fld.input {
        People | Objectives => {
            let chosen = v.all(fld.name);
            html! {
                fieldset.field.choices aria-invalid=[invalid.then_some("true")] {
                    legend { (label) @if fld.required { " *" } }
                    @for (val, l) in choices.pairs(ctx, fld.input) {
                        label.check {
                            input type="checkbox" name=(fld.name) value=(val) checked[chosen.contains(&val)];
                            " " (l)
                        }
                    }
                    @if choices.pairs(ctx, fld.input).is_empty() { p.hint { (ctx.t("pf.none_yet")) } }
                    (errors)
                }
            }
        }
        Check => html! {
            div.field {
                label.check {
                    (control(ctx, choices, Check, fld.name, fld.name, v.get(fld.name), false, false, None))
                    " " (label)
                }
                (errors)
            }
        },
        Rows(cols) => {
            let n = v.rows(fld.name).max(1) + 2;
            html! {
                fieldset.field.rows aria-invalid=[invalid.then_some("true")] {
                    legend { (label) @if fld.required { " *" } }
                    p.hint { (ctx.t(&format!("{}.hint", label_key(kind, fld.name)))) }
                    @for i in 0..n {
                        div.row {
                            @for col in cols.iter() {
                                @let name = format!("{}.{i}.{}", fld.name, col.name);
                                @let col_label = ctx.t(&format!("pf.col.{}.{}", fld.name, col.name));
                                div.cell {
                                    @if col.input == Check {
                                        label.check {
                                            (control(ctx, choices, Check, &name, &name, v.get(&name), false, false, None))
                                            " " (col_label)
                                        }
                                    } @else {
                                        label for=(name) { (col_label) }
                                        (control(ctx, choices, col.input, &name, &name, v.get(&name), false, invalid, described.clone()))
                                    }
                                }
                            }
                        }
                    }
                    (errors)
                }
            }
        }
        input => {
            let hint = ctx
                .lang
                .t_opt(&format!("{}.hint", label_key(kind, fld.name)));
            html! {
                div.field {
                    label for=(fld.name) { (label) @if fld.required { " *" } }
                    @if let Some(h) = hint { span.hint { (h) } }
                    (control(ctx, choices, input, fld.name, fld.name, v.get(fld.name), fld.required, invalid, described.clone()))
                    (errors)
                }
            }
        }
    }
}

/// The whole form of a kind.
#[allow(clippy::too_many_arguments)]
pub fn form_markup(
    ctx: &Ctx,
    cx: &PlanCx,
    kind: Kind,
    action: &str,
    choices: &Choices,
    v: &Vals,
    problems: &[Problem],
    note: Option<String>,
) -> Markup {
    let code = &cx.programme().code;
    html! {
        @if !problems.is_empty() {
            div.problems role="alert" {
                p { (ctx.t("form.has_errors")) }
                ul { @for (_, m) in problems { li { (m) } } }
            }
        }
        @if let Some(n) = note { p.hint { (n) } }
        form.plan-form method="post" action=(action) novalidate {
            (csrf_field(ctx))
            @for fld in kind.fields() {
                (field_markup(ctx, kind, choices, &fld, v, problems))
            }
            div.actions {
                button type="submit" { (ctx.t("form.save")) }
                " "
                a href={ "/programs/" (code) "/plan#" (kind.anchor()) } { (ctx.t("pf.cancel")) }
            }
        }
    }
}

fn title(ctx: &Ctx, kind: Kind, what: &str) -> String {
    ctx.tf(
        &format!("pf.title.{what}"),
        &[("kind", ctx.t(&format!("pf.kind.{}", kind.key())))],
    )
}

fn kind_of(slug: &str) -> Result<Kind, AppError> {
    Kind::from_slug(slug).ok_or(AppError::NotFound)
}

/// Problems from a use case's refusal: catalogue messages by field; a dependency cycle names
/// its path; a duplicate code is a problem of the code.
fn problems_of(ctx: &Ctx, kind: Kind, e: rumbo_app::Error) -> Result<Vec<Problem>, AppError> {
    Ok(match e {
        rumbo_app::Error::Invalid(i) | rumbo_app::Error::Conflict(i) => {
            i.0.iter()
                .map(|x| (place(kind, x.field).to_string(), ctx.t(x.key).to_string()))
                .collect()
        }
        rumbo_app::Error::Cycle(path) => vec![(
            "dependencies".into(),
            ctx.tf("error.workplan.cycle_path", &[("cycle", &path.join(" → "))]),
        )],
        other => return Err(other.into()),
    })
}

/// The form field a use case's problem belongs to: the field itself, the repeated rows that
/// hold a column of that name (a competency's `level`), the only field of a one-field form, or
/// the activity code for `code`.
fn place(kind: Kind, field: &'static str) -> &'static str {
    let fields = kind.fields();
    if fields.iter().any(|f| f.name == field) {
        return field;
    }
    if field == "code" {
        return "id";
    }
    if let [only] = fields.as_slice() {
        // A one-field form (the RACI matrix): every problem is that field's.
        return only.name;
    }
    fields
        .iter()
        .find(|f| matches!(f.input, Rows(cols) if cols.iter().any(|c| c.name == field)))
        .map_or(field, |f| f.name)
}

/// A document the form produced, read as the use case's body type.
fn doc<T: for<'de> Deserialize<'de>>(body: Value) -> rumbo_app::Result<T> {
    serde_json::from_value(body)
        .map_err(|_| rumbo_app::Error::invalid("form", "error.pf.unreadable"))
}

async fn crud<T: Doc>(
    state: &AppState,
    ctx: &Ctx,
    cx: &PlanCx,
    id: Option<i64>,
    body: Value,
) -> rumbo_app::Result<()> {
    let who = ctx.principal().map_err(|_| rumbo_app::Error::Forbidden)?;
    match id {
        None => {
            state
                .app
                .create_plan_item(&who, cx, doc::<T>(body)?)
                .await?
        }
        Some(id) => {
            state
                .app
                .update_plan_item(&who, cx, id, doc::<T>(body)?)
                .await?
        }
    };
    Ok(())
}

/// Saves a kind's body (new when `id` is `None`); returns the assignment warnings, if any.
async fn save(
    state: &AppState,
    ctx: &Ctx,
    cx: &PlanCx,
    kind: Kind,
    id: Option<i64>,
    body: Value,
) -> rumbo_app::Result<Vec<&'static str>> {
    let app = &state.app;
    let who = ctx.principal().map_err(|_| rumbo_app::Error::Forbidden)?;
    match kind {
        Kind::Objective => crud::<ObjectiveDoc>(state, ctx, cx, id, body).await?,
        Kind::Target => crud::<TargetDoc>(state, ctx, cx, id, body).await?,
        Kind::Milestone => crud::<MilestoneDoc>(state, ctx, cx, id, body).await?,
        Kind::Requirement => crud::<RequirementDoc>(state, ctx, cx, id, body).await?,
        Kind::Scope => crud::<ScopeDoc>(state, ctx, cx, id, body).await?,
        Kind::Stage => crud::<StageDoc>(state, ctx, cx, id, body).await?,
        Kind::Risk => crud::<RiskDoc>(state, ctx, cx, id, body).await?,
        Kind::Role => crud::<RoleDoc>(state, ctx, cx, id, body).await?,
        Kind::Profile => crud::<ProfileDoc>(state, ctx, cx, id, body).await?,
        Kind::BudgetLine => crud::<BudgetLineDoc>(state, ctx, cx, id, body).await?,
        Kind::Supply => crud::<SupplyDoc>(state, ctx, cx, id, body).await?,
        Kind::CostRate => crud::<CostRateDoc>(state, ctx, cx, id, body).await?,
        Kind::Decision => crud::<DecisionDoc>(state, ctx, cx, id, body).await?,
        Kind::Communication => crud::<CommunicationDoc>(state, ctx, cx, id, body).await?,
        Kind::Diffusion => crud::<DiffusionDoc>(state, ctx, cx, id, body).await?,
        Kind::ChangeRequest => crud::<ChangeRequestDoc>(state, ctx, cx, id, body).await?,
        Kind::Methodology => {
            app.set_methodology(&who, cx, doc(body)?).await?;
        }
        Kind::Calendar => {
            app.set_day_count(&who, cx, doc(body)?).await?;
        }
        Kind::Raci => {
            app.set_raci(&who, cx, doc(body)?).await?;
        }
        Kind::Amount => {
            app.upsert_plan_items(&who, cx, vec![doc::<AmountDoc>(body)?])
                .await?;
        }
        Kind::Activity => match id {
            None => {
                app.add_activities(&who, cx, vec![doc(body)?]).await?;
            }
            Some(id) => {
                app.update_activity(&who, cx, id, doc(body)?).await?;
            }
        },
        Kind::Meeting => match id {
            None => {
                app.create_meeting(&who, cx, doc(body)?).await?;
            }
            Some(_) => crud::<MeetingDoc>(state, ctx, cx, id, body).await?,
        },
        Kind::Assignment => match id {
            None => {
                let (_, warnings) = app.assign(&who, cx, doc(body)?).await?;
                return Ok(warnings.iter().map(|w| w.key()).collect());
            }
            Some(_) => crud::<AssignmentDoc>(state, ctx, cx, id, body).await?,
        },
    }
    Ok(Vec::new())
}

/// The stored document of item `id` of a kind (or the single document).
async fn stored(
    state: &AppState,
    cx: &PlanCx,
    kind: Kind,
    id: Option<i64>,
) -> Result<Value, AppError> {
    let app = &state.app;
    let id = match (kind, id) {
        (Kind::Methodology, _) => return Ok(app.methodology(cx).await?),
        (Kind::Raci, _) => return Ok(app.raci(cx).await?),
        (Kind::Calendar, _) => {
            return Ok(json!({ "day_count": app.day_count(cx).await?.as_str() }))
        }
        (_, Some(id)) => id,
        (_, None) => return Err(AppError::NotFound),
    };
    macro_rules! item {
        ($T:ty) => {
            app.plan_item::<$T>(cx, id).await?.data
        };
    }
    Ok(match kind {
        Kind::Objective => item!(ObjectiveDoc),
        Kind::Target => item!(TargetDoc),
        Kind::Milestone => item!(MilestoneDoc),
        Kind::Requirement => item!(RequirementDoc),
        Kind::Scope => item!(ScopeDoc),
        Kind::Stage => item!(StageDoc),
        Kind::Risk => item!(RiskDoc),
        Kind::Activity => item!(ActivityDoc),
        Kind::Role => item!(RoleDoc),
        Kind::Profile => item!(ProfileDoc),
        Kind::Assignment => item!(AssignmentDoc),
        Kind::BudgetLine => item!(BudgetLineDoc),
        Kind::Amount => item!(AmountDoc),
        Kind::Supply => item!(SupplyDoc),
        Kind::CostRate => item!(CostRateDoc),
        Kind::Meeting => item!(MeetingDoc),
        Kind::Decision => item!(DecisionDoc),
        Kind::Communication => item!(CommunicationDoc),
        Kind::Diffusion => item!(DiffusionDoc),
        Kind::ChangeRequest => item!(ChangeRequestDoc),
        Kind::Methodology | Kind::Raci | Kind::Calendar => Value::Null,
    })
}

/// The single document of a one-per-programme kind.
pub async fn single_doc(state: &AppState, cx: &PlanCx, kind: Kind) -> Result<Value, AppError> {
    stored(state, cx, kind, None).await
}

/// The stored items of a kind, for the plan page's lists.
pub async fn items(state: &AppState, cx: &PlanCx, kind: Kind) -> Result<Vec<PlanItem>, AppError> {
    let app = &state.app;
    macro_rules! list {
        ($T:ty) => {
            app.plan_items::<$T>(cx).await?
        };
    }
    Ok(match kind {
        Kind::Objective => list!(ObjectiveDoc),
        Kind::Target => list!(TargetDoc),
        Kind::Milestone => list!(MilestoneDoc),
        Kind::Requirement => list!(RequirementDoc),
        Kind::Scope => list!(ScopeDoc),
        Kind::Stage => list!(StageDoc),
        Kind::Risk => list!(RiskDoc),
        Kind::Activity => list!(ActivityDoc),
        Kind::Role => list!(RoleDoc),
        Kind::Profile => list!(ProfileDoc),
        Kind::Assignment => list!(AssignmentDoc),
        Kind::BudgetLine => list!(BudgetLineDoc),
        Kind::Amount => list!(AmountDoc),
        Kind::Supply => list!(SupplyDoc),
        Kind::CostRate => list!(CostRateDoc),
        Kind::Meeting => list!(MeetingDoc),
        Kind::Decision => list!(DecisionDoc),
        Kind::Communication => list!(CommunicationDoc),
        Kind::Diffusion => list!(DiffusionDoc),
        Kind::ChangeRequest => list!(ChangeRequestDoc),
        Kind::Methodology | Kind::Raci | Kind::Calendar => Vec::new(),
    })
}

async fn delete_item(
    state: &AppState,
    ctx: &Ctx,
    cx: &PlanCx,
    kind: Kind,
    id: i64,
) -> rumbo_app::Result<()> {
    let app = &state.app;
    let who = ctx.principal().map_err(|_| rumbo_app::Error::Forbidden)?;
    macro_rules! del {
        ($T:ty) => {
            app.delete_plan_item::<$T>(&who, cx, id).await
        };
    }
    match kind {
        Kind::Objective => del!(ObjectiveDoc),
        Kind::Target => del!(TargetDoc),
        Kind::Milestone => del!(MilestoneDoc),
        Kind::Requirement => del!(RequirementDoc),
        Kind::Scope => del!(ScopeDoc),
        Kind::Stage => del!(StageDoc),
        Kind::Risk => del!(RiskDoc),
        Kind::Activity => app.delete_activity(&who, cx, id).await,
        Kind::Role => del!(RoleDoc),
        Kind::Profile => del!(ProfileDoc),
        Kind::Assignment => del!(AssignmentDoc),
        Kind::BudgetLine => del!(BudgetLineDoc),
        Kind::Amount => del!(AmountDoc),
        Kind::Supply => del!(SupplyDoc),
        Kind::CostRate => del!(CostRateDoc),
        Kind::Meeting => del!(MeetingDoc),
        Kind::Decision => del!(DecisionDoc),
        Kind::Communication => del!(CommunicationDoc),
        Kind::Diffusion => del!(DiffusionDoc),
        Kind::ChangeRequest | Kind::Methodology | Kind::Raci | Kind::Calendar => {
            Err(rumbo_app::Error::NotFound)
        }
    }
}

/// The plan page after an action, with its success message.
pub fn done(cx: &PlanCx, kind: Kind, what: &str, warnings: &[&str]) -> Response {
    let warn = if warnings.is_empty() {
        String::new()
    } else {
        format!("&warn={}", warnings.join(","))
    };
    redirect(&format!(
        "/programs/{}/plan?done={what}&kind={}{warn}#{}",
        cx.programme().code,
        kind.slug(),
        kind.anchor()
    ))
}

/// A hint under the form: how durations are counted.
async fn note(
    state: &AppState,
    ctx: &Ctx,
    cx: &PlanCx,
    kind: Kind,
) -> Result<Option<String>, AppError> {
    Ok(match kind {
        Kind::Activity => {
            let d = state.app.day_count(cx).await?;
            Some(
                ctx.t(&format!("pf.activities.counted.{}", d.as_str()))
                    .to_string(),
            )
        }
        _ => None,
    })
}

#[allow(clippy::too_many_arguments)]
async fn page(
    state: &AppState,
    ctx: &Ctx,
    cx: &PlanCx,
    kind: Kind,
    what: &str,
    action: &str,
    v: &Vals,
    problems: &[Problem],
) -> Result<Response, AppError> {
    let choices = Choices::load(state, ctx, cx).await?;
    let n = note(state, ctx, cx, kind).await?;
    let body = form_markup(ctx, cx, kind, action, &choices, v, problems, n);
    let page = layout(ctx, Section::Planning, &title(ctx, kind, what), body);
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, page).into_response())
}

async fn new_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
    Path((_, slug)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let kind = kind_of(&slug)?;
    if kind.single() {
        return Err(AppError::NotFound);
    }
    let action = format!("/programs/{}/plan/{slug}/new", cx.programme().code);
    page(
        &state,
        &ctx,
        &cx,
        kind,
        "new",
        &action,
        &Vals::default(),
        &[],
    )
    .await
}

/// Saves a posted form, or shows it again with its problems.
#[allow(clippy::too_many_arguments)]
async fn submit(
    state: &AppState,
    ctx: &Ctx,
    cx: &PlanCx,
    kind: Kind,
    id: Option<i64>,
    what: &str,
    action: &str,
    form: &FormData,
) -> Result<Response, AppError> {
    let v = Vals::from_form(form);
    let (body, mut problems) = body_of(ctx, kind, &v);
    if problems.is_empty() {
        match save(state, ctx, cx, kind, id, body).await {
            Ok(warnings) => {
                let done_what = if id.is_some() || kind.single() {
                    "updated"
                } else {
                    "created"
                };
                return Ok(done(cx, kind, done_what, &warnings));
            }
            Err(e) => problems = problems_of(ctx, kind, e)?,
        }
    }
    page(state, ctx, cx, kind, what, action, &v, &problems).await
}

async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
    Path((_, slug)): Path<(String, String)>,
    Form(form): Form,
) -> Result<Response, AppError> {
    let kind = kind_of(&slug)?;
    if kind.single() {
        return Err(AppError::NotFound);
    }
    let action = format!("/programs/{}/plan/{slug}/new", cx.programme().code);
    submit(&state, &ctx, &cx, kind, None, "new", &action, &form).await
}

async fn single_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
    Path((_, slug)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let kind = kind_of(&slug)?;
    if !kind.single() {
        return Err(AppError::NotFound);
    }
    let data = stored(&state, &cx, kind, None).await?;
    let action = format!("/programs/{}/plan/{slug}/edit", cx.programme().code);
    let v = vals_of(ctx.lang, kind, &data);
    page(&state, &ctx, &cx, kind, "edit", &action, &v, &[]).await
}

async fn save_single(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
    Path((_, slug)): Path<(String, String)>,
    Form(form): Form,
) -> Result<Response, AppError> {
    let kind = kind_of(&slug)?;
    if !kind.single() {
        return Err(AppError::NotFound);
    }
    let action = format!("/programs/{}/plan/{slug}/edit", cx.programme().code);
    submit(&state, &ctx, &cx, kind, None, "edit", &action, &form).await
}

async fn edit_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
    Path((_, slug, id)): Path<(String, String, i64)>,
) -> Result<Response, AppError> {
    let kind = kind_of(&slug)?;
    if kind.single() || !kind.editable() {
        return Err(AppError::NotFound);
    }
    let data = stored(&state, &cx, kind, Some(id)).await?;
    let action = format!("/programs/{}/plan/{slug}/{id}/edit", cx.programme().code);
    let v = vals_of(ctx.lang, kind, &data);
    page(&state, &ctx, &cx, kind, "edit", &action, &v, &[]).await
}

async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
    Path((_, slug, id)): Path<(String, String, i64)>,
    Form(form): Form,
) -> Result<Response, AppError> {
    let kind = kind_of(&slug)?;
    if kind.single() || !kind.editable() {
        return Err(AppError::NotFound);
    }
    // The item must exist in this plan before anything is parsed.
    stored(&state, &cx, kind, Some(id)).await?;
    let action = format!("/programs/{}/plan/{slug}/{id}/edit", cx.programme().code);
    submit(&state, &ctx, &cx, kind, Some(id), "edit", &action, &form).await
}

/// The item in words for a confirmation: its summary fields.
fn describe(ctx: &Ctx, kind: Kind, choices: &Choices, data: &Value) -> String {
    kind.summary()
        .iter()
        .map(|f| shown(ctx, kind, choices, f, data))
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" · ")
}

async fn confirm_delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
    Path((_, slug, id)): Path<(String, String, i64)>,
) -> Result<Response, AppError> {
    let kind = kind_of(&slug)?;
    if !kind.deletable() {
        return Err(AppError::NotFound);
    }
    let data = stored(&state, &cx, kind, Some(id)).await?;
    let choices = Choices::load(&state, &ctx, &cx).await?;
    let code = &cx.programme().code;
    let body = html! {
        p { (ctx.t("pf.delete.question")) }
        p { strong { (describe(&ctx, kind, &choices, &data)) } }
        form method="post" action={ "/programs/" (code) "/plan/" (slug) "/" (id) "/delete" } {
            (csrf_field(&ctx))
            div.actions {
                button.danger type="submit" { (ctx.t("pf.delete.confirm")) }
                " "
                a href={ "/programs/" (code) "/plan#" (kind.anchor()) } { (ctx.t("pf.cancel")) }
            }
        }
    };
    Ok(layout(&ctx, Section::Planning, &title(&ctx, kind, "delete"), body).into_response())
}

async fn delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
    Path((_, slug, id)): Path<(String, String, i64)>,
    Form(_): Form,
) -> Result<Response, AppError> {
    let kind = kind_of(&slug)?;
    if !kind.deletable() {
        return Err(AppError::NotFound);
    }
    match delete_item(&state, &ctx, &cx, kind, id).await {
        Ok(()) => Ok(done(&cx, kind, "deleted", &[])),
        Err(e @ (rumbo_app::Error::Invalid(_) | rumbo_app::Error::Cycle(_))) => {
            // An activity others depend on: say why, keep the item.
            let problems = problems_of(&ctx, kind, e)?;
            let body = html! {
                div.problems role="alert" { ul { @for (_, m) in &problems { li { (m) } } } }
                p { a href={ "/programs/" (cx.programme().code) "/plan#" (kind.anchor()) } { (ctx.t("plan.back")) } }
            };
            let page = layout(&ctx, Section::Planning, &title(&ctx, kind, "delete"), body);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// A stored field as people read it (names for ids, labels for codes, dates and numbers in
/// the language's format).
pub fn shown(ctx: &Ctx, kind: Kind, choices: &Choices, field: &str, data: &Value) -> String {
    let Some(fld) = kind.fields().into_iter().find(|f| f.name == field) else {
        return match field {
            "status" => ctx
                .lang
                .t_opt(&format!("plan.change.status.{}", text_of(&data[field])))
                .unwrap_or_default()
                .to_string(),
            _ => text_of(&data[field]),
        };
    };
    let v = &data[field];
    let date = |s: &str| match s.parse::<jiff::civil::Date>() {
        Ok(d) => date_text(ctx, d),
        Err(_) => s.to_string(),
    };
    match fld.input {
        Date => date(&text_of(v)),
        Month => crate::view::changes::month_text(ctx, &text_of(v)),
        Number | Int => match text_of(v).parse::<f64>() {
            Ok(_) if matches!(field, "amount" | "unit_cost" | "hourly_cost") => {
                money_text(ctx, &text_of(v))
            }
            Ok(x) => {
                // Whole numbers carry the language's thousands separator (2.400.000).
                let n = if x.fract() == 0.0 && x.abs() < 1e15 {
                    crate::view::fmt_int(ctx.lang, x as i64)
                } else {
                    number_text(ctx, x)
                };
                match (kind, field) {
                    (Kind::Target, "target") => {
                        let unit = indicator_unit(&text_of(&data["indicator"]));
                        format!("{n} {}", ctx.t(&format!("pf.unit.{unit}")))
                    }
                    (Kind::Activity, "progress") | (Kind::Assignment, "allocation") => {
                        format!("{n} %")
                    }
                    (Kind::CostRate, "employer_charges") => format!("{n} %"),
                    _ => n,
                }
            }
            Err(_) => text_of(v),
        },
        Select(set) => {
            let s = text_of(v);
            if s.is_empty() {
                String::new()
            } else {
                ctx.lang
                    .t_opt(&format!("pf.opt.{set}.{s}"))
                    .map_or(s, str::to_string)
            }
        }
        Person => choices.person(&text_of(v)),
        Objective => {
            let id = v.as_i64();
            choices
                .objectives
                .iter()
                .find(|(i, _)| Some(*i) == id)
                .map(|(_, t)| t.clone())
                .unwrap_or_default()
        }
        BudgetLine => {
            let id = v.as_i64();
            choices
                .lines
                .iter()
                .find(|(i, _)| Some(*i) == id)
                .map(|(_, t)| t.clone())
                .unwrap_or_default()
        }
        People => v
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| choices.person(&text_of(p)))
            .collect::<Vec<_>>()
            .join(", "),
        Objectives => v.as_array().map_or(0, Vec::len).to_string(),
        Lines => v
            .as_array()
            .into_iter()
            .flatten()
            .map(text_of)
            .collect::<Vec<_>>()
            .join("; "),
        Rows(cols) => {
            let rows = v.as_array().map(Vec::as_slice).unwrap_or_default();
            rows.iter()
                .map(|r| match r {
                    Value::Object(_) => {
                        let first = text_of(&r[cols[0].name]);
                        match field {
                            "competencies" => format!("{first} ({})", text_of(&r["level"])),
                            "languages" => format!("{first} {}", text_of(&r["level"])),
                            "exit_criteria" | "entry_criteria" => {
                                if r["met"].as_bool() == Some(true) {
                                    format!("{first} ✓")
                                } else {
                                    first
                                }
                            }
                            "follow_ups" => format!(
                                "{first} ({}, {})",
                                choices.person(&text_of(&r["owner_id"])),
                                date(&text_of(&r["due_date"]))
                            ),
                            "entries" => format!(
                                "{} {} {}",
                                first,
                                text_of(&r["role"]),
                                choices.person(&text_of(&r["person_id"]))
                            ),
                            "changes" => plan_key_label(ctx, &first, &choices.names),
                            _ => first,
                        }
                    }
                    other => text_of(other),
                })
                .collect::<Vec<_>>()
                .join("; ")
        }
        Check => if v.as_bool() == Some(true) { "✓" } else { "" }.to_string(),
        Area | Text | ActivityCode | RoleName | PlanKey => text_of(v),
    }
}

/// The kind's block on the plan page: its items with edit and delete links, and a link to add
/// one (or to edit the single document).
pub fn manage_block(
    ctx: &Ctx,
    cx: &PlanCx,
    kind: Kind,
    choices: &Choices,
    items: &[PlanItem],
    single: Option<&Value>,
    today: jiff::civil::Date,
) -> Markup {
    let code = &cx.programme().code;
    let base = format!("/programs/{code}/plan/{}", kind.slug());
    let can_edit = cx.may_update();
    let cols = kind.summary();
    html! {
        div.manage id={ "manage-" (kind.slug()) } {
            h3 { (ctx.t(&format!("pf.list.{}", kind.key()))) }
            @if let Some(data) = single {
                @let text = describe(ctx, kind, choices, data);
                p { @if text.is_empty() { (ctx.t("plan.empty")) } @else { (text) } }
                @if can_edit {
                    div.actions { a.button href={ (base) "/edit" } { (title(ctx, kind, "edit")) } }
                }
            } @else {
                @if can_edit {
                    div.actions { a.button href={ (base) "/new" } { (title(ctx, kind, "new")) } }
                }
                @if items.is_empty() { p { (ctx.t("plan.empty")) } } @else {
                    div.table-scroll {
                        table.items {
                            caption.sr { (ctx.t(&format!("pf.list.{}", kind.key()))) }
                            thead { tr {
                                @for col in cols { th scope="col" { (ctx.t(&label_key(kind, col))) } }
                                @if matches!(kind, Kind::Milestone | Kind::Stage) { th scope="col" { (ctx.t("pf.state")) } }
                                @if can_edit { th scope="col" { (ctx.t("pf.actions")) } }
                            } }
                            tbody { @for item in items { tr {
                                @for col in cols { td { (shown(ctx, kind, choices, col, &item.data)) } }
                                @if matches!(kind, Kind::Milestone | Kind::Stage) { td { @if let Some(b) = state_badge(ctx, kind, &item.data, today) { (b) } } }
                                @if can_edit { td.actions {
                                    @if kind.editable() {
                                        a href={ (base) "/" (item.id) "/edit" } { (ctx.t("pf.edit")) }
                                        " "
                                    }
                                    @if kind.deletable() {
                                        a href={ (base) "/" (item.id) "/delete" } { (ctx.t("pf.delete")) }
                                    }
                                    @if kind == Kind::ChangeRequest {
                                        a href={ "/programs/" (code) "/plan/change-requests/" (item.id) } { (ctx.t("pf.open")) }
                                    }
                                } }
                            } } }
                        }
                    }
                }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
    kind: Option<String>,
    warn: Option<String>,
}

/// The success message (and assignment warnings) after an action, from the redirect's query.
pub fn flash(ctx: &Ctx, q: &DoneQuery) -> Markup {
    const DONE: [&str; 6] = [
        "created",
        "updated",
        "deleted",
        "approved",
        "rejected",
        "commented",
    ];
    let Some(what) = q.done.as_deref().filter(|d| DONE.contains(d)) else {
        return html! {};
    };
    let kind = q
        .kind
        .as_deref()
        .and_then(Kind::from_slug)
        .map(|k| ctx.t(&format!("pf.kind.{}", k.key())))
        .unwrap_or_default();
    let warnings: Vec<&str> = q
        .warn
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .filter(|w| w.starts_with("warning."))
        .filter_map(|w| ctx.lang.t_opt(w))
        .collect();
    html! {
        div.flash role="status" { p { (ctx.tf(&format!("pf.flash.{what}"), &[("kind", kind)])) } }
        @if !warnings.is_empty() {
            div.warnings role="alert" {
                p { (ctx.t("pf.flash.warnings")) }
                ul { @for w in &warnings { li { (w) } } }
            }
        }
    }
}

/// The query of the plan page.
pub type PlanQuery = Query<DoneQuery>;

/// A kind's state badge for a stored item on `today`: late milestones and gates (word and
/// colour), met milestones.
fn state_badge(ctx: &Ctx, kind: Kind, data: &Value, today: jiff::civil::Date) -> Option<Markup> {
    let (class, key) = match kind {
        Kind::Milestone => {
            let s = rumbo_app::plan::calendar::milestone_state(data, today)?;
            (s.as_str(), format!("pf.state.{}", s.as_str()))
        }
        Kind::Stage => {
            let st = rumbo_app::plan::docs::reparse::<StageDoc>(data)?
                .parse()
                .ok()?;
            if st.gate_is_late(today) {
                ("late", "pf.state.gate_late".to_string())
            } else if st.can_exit() {
                ("met", "pf.state.gate_open".to_string())
            } else {
                ("pending", "pf.state.gate_closed".to_string())
            }
        }
        _ => return None,
    };
    Some(html! { span class={ "badge state-" (class) } { (ctx.t(&key)) } })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every label, hint, option and title the forms use exists in both catalogues.
    #[test]
    fn every_form_text_is_in_both_catalogues() {
        let mut missing = Vec::new();
        for lang in [Lang::Es, Lang::En] {
            let mut need = |k: String| {
                if lang.t_opt(&k).is_none() {
                    missing.push(format!("{lang:?}: {k}"));
                }
            };
            for kind in Kind::ALL {
                need(format!("pf.kind.{}", kind.key()));
                need(format!("pf.list.{}", kind.key()));
                for fld in kind.fields() {
                    need(label_key(kind, fld.name));
                    let sets: Vec<Input> = match fld.input {
                        Rows(cols) => {
                            need(format!("{}.hint", label_key(kind, fld.name)));
                            for col in cols {
                                need(format!("pf.col.{}.{}", fld.name, col.name));
                            }
                            cols.iter().map(|c| c.input).collect()
                        }
                        other => vec![other],
                    };
                    for input in sets {
                        if let Select(set) = input {
                            assert!(!options(set).is_empty(), "{set} has no options");
                            for o in options(set) {
                                need(format!("pf.opt.{set}.{o}"));
                            }
                        }
                    }
                }
                for col in kind.summary() {
                    assert!(
                        kind.fields().iter().any(|f| f.name == *col) || *col == "status",
                        "{kind:?}.{col}"
                    );
                }
            }
            for what in ["new", "edit", "delete"] {
                need(format!("pf.title.{what}"));
            }
            for what in [
                "created",
                "updated",
                "deleted",
                "approved",
                "rejected",
                "commented",
            ] {
                need(format!("pf.flash.{what}"));
            }
            for unit in ["%", "s", "$", "count"] {
                need(format!("pf.unit.{unit}"));
            }
            for d in DayCount::ALL {
                need(format!("pf.activities.counted.{}", d.as_str()));
            }
        }
        assert!(missing.is_empty(), "{missing:#?}");
    }

    #[test]
    fn every_kind_has_a_unique_slug() {
        for k in Kind::ALL {
            assert_eq!(Kind::from_slug(k.slug()), Some(k));
        }
    }
}
