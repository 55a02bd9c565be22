//! Changes as people read them: audit entries (who did what to which entity, and for updates
//! the fields that changed, old → new) and plan changes (a plan key and its values).
//!
//! Stored changes are JSON snapshots and plan keys such as `activity.A11.duration`: machine
//! forms. Here every field, entity and key gets its catalogued label, and every value is
//! formatted for the language (dates `dd-mm-aaaa` in Spanish, statuses and categories as words,
//! amounts with their grouping), so no page shows a key or a JSON fragment.

use std::collections::HashMap;

use maud::{html, Markup};
use rumbo_domain::plan::coordination::{PlanKey, PlanValue, ScopeSideKey};
use serde_json::Value;

use super::{fmt_date, fmt_dec, ViewCx};

/// Top-level snapshot fields that say nothing a person needs (identity, bookkeeping, and
/// references by number, which the entity itself already names).
fn hidden(field: &str) -> bool {
    matches!(
        field,
        "id" | "created_at" | "updated_at" | "programme_id" | "kind" | "data"
    ) || field.ends_with("_id")
        || field.ends_with("_ids")
        || field.ends_with("_by")
}

/// Audited entities (the `entity` column): the catalogue has `entity.<name>` for each.
pub fn entity_label(ctx: &ViewCx, entity: &str) -> &'static str {
    ctx.t(&format!("entity.{entity}"))
}

/// "Modificó riesgo 12": the action, the entity's name and its id.
pub fn audit_what(ctx: &ViewCx, action: &str, entity: &str, entity_id: &str) -> String {
    format!(
        "{} {} {entity_id}",
        ctx.t(&format!("audit.action.{action}")),
        entity_label(ctx, entity)
    )
}

/// What an entry is about, in its own words: a plan item's code, name, title or event (from its
/// snapshot) rather than its row number; other entities by their id (a programme's code, a
/// version's number, a batch's number).
pub fn audit_subject_of(
    entity: &str,
    entity_id: &str,
    before: Option<&Value>,
    after: Option<&Value>,
) -> String {
    if !entity.starts_with("plan.") || entity == "plan.version" {
        return entity_id.to_string();
    }
    let snapshot = after.or(before);
    let data = snapshot.map(|s| &s["data"]);
    fn text(v: Option<&Value>) -> Option<&str> {
        v.and_then(Value::as_str)
            .map(str::trim)
            .filter(|t| !t.is_empty())
    }
    let found = text(snapshot.map(|s| &s["code"]))
        .filter(|c| !matches!(*c, "raci" | "staffing" | "methodology"))
        .or_else(|| {
            ["name", "title", "event", "description", "task", "text"]
                .into_iter()
                .find_map(|f| text(data.map(|d| &d[f])))
        });
    match found {
        Some(t) if t.chars().count() > 60 => format!("{}…", t.chars().take(60).collect::<String>()),
        Some(t) => t.to_string(),
        None => entity_id.to_string(),
    }
}

/// Who did it: a user's email as stored; a system actor (the command line, the demo seeding, an
/// import) by its catalogued name, never its internal label.
pub fn audit_actor(ctx: &ViewCx, label: &str) -> String {
    if label.contains('@') {
        return label.to_string();
    }
    ctx.lang
        .t_opt(&format!("audit.actor.{label}"))
        .unwrap_or_else(|| ctx.t("audit.actor.system"))
        .to_string()
}

/// One changed field: its label, the old and the new value as text.
pub struct FieldChange {
    pub label: &'static str,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// The fields an update changed, labelled and formatted. Creations and deletions list nothing:
/// the entry already names the entity. A plan item's fields are those of its document.
pub fn audit_changes(
    ctx: &ViewCx,
    entity: &str,
    action: &str,
    before: Option<&Value>,
    after: Option<&Value>,
) -> Vec<FieldChange> {
    if action != "update" {
        return vec![];
    }
    let empty = serde_json::Map::new();
    let fields = |v: Option<&Value>| -> serde_json::Map<String, Value> {
        let top = v.and_then(Value::as_object).unwrap_or(&empty);
        let mut out: serde_json::Map<String, Value> = top
            .iter()
            .filter(|(k, _)| !hidden(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if let Some(data) = top.get("data").and_then(Value::as_object) {
            out.extend(
                data.iter()
                    .filter(|(k, _)| !hidden(k) || k.as_str() == "kind")
                    .map(|(k, v)| (k.clone(), v.clone())),
            );
        }
        out
    };
    let (b, a) = (fields(before), fields(after));
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| b.get(*k) != a.get(*k))
        .map(|k| FieldChange {
            label: ctx.t(&format!("audit.field.{k}")),
            before: b.get(k).map(|v| value_text(ctx, entity, k, v)),
            after: a.get(k).map(|v| value_text(ctx, entity, k, v)),
        })
        .collect()
}

/// The changed fields as a list (`label: old → new`).
pub fn audit_diff(
    ctx: &ViewCx,
    entity: &str,
    action: &str,
    before: Option<&Value>,
    after: Option<&Value>,
) -> Markup {
    let changes = audit_changes(ctx, entity, action, before, after);
    html! {
        @if !changes.is_empty() {
            ul.diff { @for c in &changes { li {
                (c.label) ": "
                @if let Some(old) = &c.before { del { (old) } " → " }
                @if let Some(new) = &c.after { ins { (new) } }
            } } }
        }
    }
}

/// A stored value as words: coded values through their catalogue family, dates in the
/// language's form, lists joined, nested records counted.
fn value_text(ctx: &ViewCx, entity: &str, field: &str, v: &Value) -> String {
    match v {
        Value::Null => "—".into(),
        Value::Bool(b) => ctx.t(if *b { "audit.yes" } else { "audit.no" }).into(),
        Value::Number(n) => n
            .as_f64()
            .map(|x| number_text(ctx, x))
            .unwrap_or_else(|| n.to_string()),
        Value::String(s) => string_text(ctx, entity, field, s),
        Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
            if items.is_empty() {
                return "—".into();
            }
            items
                .iter()
                .map(|i| value_text(ctx, entity, field, i))
                .collect::<Vec<_>>()
                .join(", ")
        }
        Value::Array(items) => ctx.tf("audit.items", &[("n", &items.len().to_string())]),
        Value::Object(o) => ctx.tf("audit.items", &[("n", &o.len().to_string())]),
    }
}

/// A number without a useless fraction, in the language's style.
pub fn number_text(ctx: &ViewCx, x: f64) -> String {
    if x.fract() == 0.0 {
        fmt_dec(ctx.lang, x, 0)
    } else {
        fmt_dec(ctx.lang, x, 2)
    }
}

/// The catalogue family that names the coded values of `field` in `entity`, if any.
fn family(entity: &str, field: &str) -> Option<&'static str> {
    Some(match (entity, field) {
        ("programme", "status") => "status",
        ("programme", "channels") => "channel",
        ("user", "role") => "role",
        ("user", "lang") => "lang",
        ("plan.change_request", "status") => "plan.change.status",
        ("plan.change_request", "kind") => "plan.change.kind",
        ("plan.risk", "status") => "plan.risk.status",
        ("alarm", "status") => "alarm.status",
        ("alarm", "kind") => "alarm.kind",
        (_, "category") => "plan.category",
        (_, "indicator") => "kpi",
        _ => return None,
    })
}

fn string_text(ctx: &ViewCx, entity: &str, field: &str, s: &str) -> String {
    if let Some(f) = family(entity, field) {
        if let Some(word) = ctx.lang.t_opt(&format!("{f}.{s}")) {
            return word.into();
        }
    }
    if let Ok(d) = s.parse::<jiff::civil::Date>() {
        if s.len() == 10 {
            return fmt_date(ctx, &d);
        }
    }
    if s.trim().is_empty() {
        return "—".into();
    }
    if s.chars().count() > 80 {
        format!("{}…", s.chars().take(80).collect::<String>())
    } else {
        s.to_string()
    }
}

/// What a plan key's ids stand for: milestone, target and budget-line names, by id.
#[derive(Default)]
pub struct PlanNames {
    pub milestones: HashMap<i64, String>,
    pub targets: HashMap<i64, String>,
    pub budget_lines: HashMap<i64, String>,
    pub assignments: HashMap<i64, String>,
}

fn named(ctx: &ViewCx, names: &HashMap<i64, String>, id: i64) -> String {
    names
        .get(&id)
        .cloned()
        .unwrap_or_else(|| ctx.tf("plan.key.number", &[("id", &id.to_string())]))
}

/// A plan key (`activity.A11.duration`, `budget.3.2026-05`…) as a label:
/// "Duración de la actividad A11".
pub fn plan_key_label(ctx: &ViewCx, key: &str, names: &PlanNames) -> String {
    let Ok(k) = PlanKey::parse(key) else {
        return ctx.t("plan.key.unknown").into();
    };
    match &k {
        PlanKey::ActivityStart(a) => ctx.tf("plan.key.activity_start", &[("id", a.as_str())]),
        PlanKey::ActivityDuration(a) => ctx.tf("plan.key.activity_duration", &[("id", a.as_str())]),
        PlanKey::MilestoneDate(m) => ctx.tf(
            "plan.key.milestone_date",
            &[("name", &named(ctx, &names.milestones, *m))],
        ),
        PlanKey::ProgrammeEnd => ctx.t("plan.key.programme_end").into(),
        PlanKey::TargetValue(t) => ctx.tf(
            "plan.key.target_value",
            &[("name", &named(ctx, &names.targets, *t))],
        ),
        PlanKey::TargetTolerance(t) => ctx.tf(
            "plan.key.target_tolerance",
            &[("name", &named(ctx, &names.targets, *t))],
        ),
        PlanKey::BudgetPlanned { line_id, month } => ctx.tf(
            "plan.key.budget_planned",
            &[
                ("name", &named(ctx, &names.budget_lines, *line_id)),
                ("month", &month_text(ctx, &month.to_string())),
            ],
        ),
        PlanKey::Headcount(role) => ctx.tf("plan.key.headcount", &[("role", role)]),
        PlanKey::Allocation(a) => ctx.tf(
            "plan.key.allocation",
            &[("name", &named(ctx, &names.assignments, *a))],
        ),
        PlanKey::Scope(side, n) => ctx.tf(
            match side {
                ScopeSideKey::In => "plan.key.scope_in",
                ScopeSideKey::Out => "plan.key.scope_out",
            },
            &[("n", &n.to_string())],
        ),
    }
}

/// A month `2026-05` as `05-2026` in Spanish (as dates are), unchanged in English.
pub fn month_text(ctx: &ViewCx, m: &str) -> String {
    match (ctx.lang, m.split_once('-')) {
        (super::i18n::Lang::Es, Some((y, mm))) => format!("{mm}-{y}"),
        _ => m.to_string(),
    }
}

/// A plan value (as stored, the text its key parses) formatted for the key: a date, a number
/// of days, a percentage, an amount in pesos, a count or a text. `None` (no value before) is —.
pub fn plan_value_text(ctx: &ViewCx, key: &str, value: Option<&str>) -> String {
    let Some(value) = value.filter(|v| !v.trim().is_empty()) else {
        return "—".into();
    };
    let Ok(k) = PlanKey::parse(key) else {
        return value.to_string();
    };
    match k.parse_value(value) {
        Ok(PlanValue::Date(d)) => fmt_date(ctx, &d),
        Ok(PlanValue::Count(n)) => match k {
            PlanKey::ActivityDuration(_) => ctx.tf("plan.value.days", &[("n", &n.to_string())]),
            PlanKey::Allocation(_) => ctx.tf("plan.value.percent", &[("n", &n.to_string())]),
            _ => n.to_string(),
        },
        Ok(PlanValue::Number(x)) => number_text(ctx, x),
        Ok(PlanValue::Money(_)) => super::money_text(ctx, value),
        Ok(PlanValue::Text(t)) => t,
        Err(_) => value.to_string(),
    }
}

/// Plan changes (`[{ key, before?, after | value }]`) as a list: label, old → new.
pub fn plan_changes(ctx: &ViewCx, changes: &Value, names: &PlanNames) -> Markup {
    let items = changes.as_array().map(Vec::as_slice).unwrap_or_default();
    html! {
        @if !items.is_empty() {
            ul.diff { @for c in items {
                @let key = c["key"].as_str().unwrap_or_default();
                @let after = c.get("after").or_else(|| c.get("value")).and_then(Value::as_str);
                li {
                    (plan_key_label(ctx, key, names)) ": "
                    @if c.get("before").is_some() {
                        del { (plan_value_text(ctx, key, c["before"].as_str())) } " → "
                    }
                    ins { (plan_value_text(ctx, key, after)) }
                }
            } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::i18n::Lang;
    use rumbo_domain::plan::coordination::PlanKey;

    fn cx(lang: Lang) -> ViewCx {
        ViewCx {
            lang,
            ..Default::default()
        }
    }

    /// One key of every kind; the match makes a new kind of key fail to compile until it is
    /// listed here (and so labelled in both catalogues).
    fn one_key_of_each_kind() -> Vec<&'static str> {
        let keys = [
            "activity.A11.start",
            "activity.A11.duration",
            "milestone.3.date",
            "programme.end",
            "target.4.value",
            "target.4.tolerance",
            "budget.5.2026-05",
            "headcount.Ejecutivo",
            "allocation.6",
            "scope.in.1",
            "scope.out.2",
        ];
        for k in keys {
            match PlanKey::parse(k).unwrap() {
                PlanKey::ActivityStart(_)
                | PlanKey::ActivityDuration(_)
                | PlanKey::MilestoneDate(_)
                | PlanKey::ProgrammeEnd
                | PlanKey::TargetValue(_)
                | PlanKey::TargetTolerance(_)
                | PlanKey::BudgetPlanned { .. }
                | PlanKey::Headcount(_)
                | PlanKey::Allocation(_)
                | PlanKey::Scope(..) => {}
            }
        }
        keys.to_vec()
    }

    #[test]
    fn every_kind_of_plan_key_has_a_label_in_both_languages() {
        for lang in Lang::ALL {
            let missing = lang.t("i18n.missing");
            for key in one_key_of_each_kind() {
                let label = plan_key_label(&cx(lang), key, &PlanNames::default());
                assert!(
                    !label.contains(missing) && !label.contains('{') && !label.contains(key),
                    "{key} in {lang:?}: {label}"
                );
            }
        }
    }

    #[test]
    fn plan_values_are_formatted_for_the_language() {
        let es = cx(Lang::Es);
        let names = PlanNames {
            budget_lines: [(5, "Telefonía".to_string())].into(),
            ..Default::default()
        };
        assert_eq!(
            plan_key_label(&es, "activity.A11.duration", &names),
            "Duración de la actividad A11"
        );
        assert_eq!(
            plan_value_text(&es, "activity.A11.duration", Some("5")),
            "5 días"
        );
        assert_eq!(
            plan_value_text(&es, "milestone.3.date", Some("2026-05-04")),
            "04-05-2026"
        );
        assert_eq!(
            plan_value_text(&es, "budget.5.2026-05", Some("1234567")),
            "$1.234.567"
        );
        assert!(plan_key_label(&es, "budget.5.2026-05", &names).contains("Telefonía"));
        assert!(plan_key_label(&es, "budget.5.2026-05", &names).contains("05-2026"));
        assert_eq!(plan_value_text(&es, "programme.end", None), "—");
    }

    #[test]
    fn an_update_lists_its_fields_by_label_with_words_and_dates() {
        let es = cx(Lang::Es);
        let before = serde_json::json!({
            "id": 1, "code": "VIDA", "status": "draft", "start_date": "2026-03-02",
            "channels": ["chat"], "updated_at": 5,
        });
        let after = serde_json::json!({
            "id": 1, "code": "VIDA", "status": "running", "start_date": "2026-03-09",
            "channels": ["chat", "email"], "updated_at": 6,
        });
        let changes = audit_changes(&es, "programme", "update", Some(&before), Some(&after));
        let shown: Vec<_> = changes
            .iter()
            .map(|c| {
                format!(
                    "{}: {} → {}",
                    c.label,
                    c.before.as_deref().unwrap_or(""),
                    c.after.as_deref().unwrap_or("")
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                "Canales: Chat → Chat, Correo",
                "Fecha de inicio: 02-03-2026 → 09-03-2026",
                "Estado: Borrador → En ejecución",
            ]
        );
        let item = |status: &str| serde_json::json!({ "id": 9, "kind": "risk", "data": { "status": status, "owner_id": 3 } });
        let changes = audit_changes(
            &es,
            "plan.risk",
            "update",
            Some(&item("open")),
            Some(&item("closed")),
        );
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].after.as_deref(), Some("Cerrado"));
        assert!(audit_changes(&es, "programme", "create", None, Some(&after)).is_empty());
        let activity =
            serde_json::json!({ "id": 160, "code": "A11", "data": { "name": "Piloto" } });
        assert_eq!(
            audit_subject_of("plan.activity", "160", None, Some(&activity)),
            "A11"
        );
        let risk = serde_json::json!({ "id": 9, "code": null, "data": { "event": "Atraso" } });
        assert_eq!(
            audit_subject_of("plan.risk", "9", Some(&risk), None),
            "Atraso"
        );
        assert_eq!(audit_subject_of("plan.version", "2", None, None), "2");
        assert_eq!(audit_actor(&es, "jefa@demo.rumbo.cl"), "jefa@demo.rumbo.cl");
        assert_eq!(audit_actor(&es, "cli"), "Sistema (línea de comandos)");
        assert_eq!(audit_actor(&es, "bench"), "Sistema");
    }
}
