//! The demo plan: programme `VIDA-2026` (outbound sale of life insurance for Los Andes Seguros)
//! with every part of the plan filled in, so a newcomer sees a complete one.
//!
//! Every item goes through the same domain checks as the API, so the demo can never hold data
//! the application would refuse.

use rumbo_domain::access::Role;
use rumbo_domain::plan::coordination::Approver;
use rumbo_domain::plan::roles::{Raci, RaciEntry, RaciMatrix};
use rumbo_domain::plan::workplan::ActivityId;
use rumbo_store::plan::NewPlanItem;
use rumbo_store::{Actor, Store, StoreError};
use serde_json::{json, Value};

use super::docs::*;
use super::{compute, PlanCx};
use crate::{AppState, Config};

/// Code, name, duration in days, predecessors, progress %, owner.
type DemoActivity<'a> = (&'a str, &'a str, u32, Vec<&'a str>, u8, i64);

fn corrupt(what: impl std::fmt::Debug) -> StoreError {
    StoreError::Corrupt(format!("demo plan: {what:?}"))
}

/// Checks a body of type `T` and makes it a plan item.
fn item<T: Doc>(check: &Check, body: Value) -> Result<NewPlanItem, StoreError> {
    let doc: T = serde_json::from_value(body).map_err(corrupt)?;
    let (code, data) = doc.check(check).map_err(corrupt)?;
    Ok(NewPlanItem {
        kind: T::KIND,
        code,
        data,
    })
}

async fn save(
    store: &Store,
    actor: &Actor,
    pid: i64,
    items: Vec<NewPlanItem>,
) -> Result<Vec<i64>, StoreError> {
    let saved = store.create_plan_items(actor, Some(pid), &items).await?;
    Ok(saved.into_iter().map(|i| i.id).collect())
}

/// Seeds the plan of `VIDA-2026` as `actor` (the demo manager, user `manager_id`).
pub async fn seed(store: &Store, actor: &Actor, manager_id: i64) -> Result<(), StoreError> {
    let state = AppState::new(store.clone(), Config::default());
    let p = store.programme_for("VIDA-2026", Some(manager_id)).await?;
    let start = p.programme.start_date;
    let end = p.programme.end_date;
    let cx = PlanCx {
        dates: rumbo_domain::plan::ProgrammeDates::new(start, end).map_err(corrupt)?,
        member: p.member,
        programme: p.programme,
    };
    let pid = cx.id();
    let people = store.people().await?;
    let person = |email: &str| {
        people
            .iter()
            .find(|p| p.email.as_deref() == Some(email))
            .map(|p| p.id)
            .ok_or_else(|| corrupt(email.to_string()))
    };
    let (jefa, sup, analista, camila) = (
        person("jefa@demo.rumbo.cl")?,
        person("supervisor@demo.rumbo.cl")?,
        person("analista@demo.rumbo.cl")?,
        person("cfuentes@demo.rumbo.cl")?,
    );

    let check = compute::check_cx(&state, &cx).await.map_err(corrupt)?;
    let objectives = save(store, actor, pid, vec![
        item::<ObjectiveDoc>(&check, json!({
            "title": "Vender 7.200 pólizas de Vida Protección Familiar",
            "description": "Venta outbound a 120.000 clientes pre-aprobados de la base de Los Andes.",
            "expected_results": ["Conversión ≥ 6 % sobre contactos efectivos", "Prima media ≥ 0,45 UF"],
        }))?,
        item::<ObjectiveDoc>(&check, json!({
            "title": "Vender con calidad y cumplimiento normativo",
            "expected_results": ["Calidad ≥ 85 puntos", "0 reclamos SERNAC atribuibles al guion"],
        }))?,
        item::<ObjectiveDoc>(&check, json!({
            "title": "Operar dentro del presupuesto",
            "expected_results": ["Costo por contacto ≤ $1.900", "Desviación presupuestaria ≤ 5 %"],
        }))?,
    ])
    .await?;
    let check = compute::check_cx(&state, &cx).await.map_err(corrupt)?;
    let (o_sales, o_quality, o_cost) = (objectives[0], objectives[1], objectives[2]);
    let target = |o: i64, ind: &str, t: f64, dir: &str, tol: f64, g: &str, owner: i64| {
        item::<TargetDoc>(
            &check,
            json!({
                "objective_id": o, "indicator": ind, "target": t, "direction": dir, "tolerance": tol,
                "granularity": g, "period_start": "2026-03-30", "period_end": "2026-12-31", "owner_id": owner,
            }),
        )
    };
    let mut items = vec![
        target(o_sales, "conversion", 6.0, "higher", 0.5, "month", jefa)?,
        target(o_sales, "sph", 0.35, "higher", 0.05, "week", sup)?,
        target(o_quality, "qa_score", 85.0, "higher", 3.0, "week", sup)?,
        target(
            o_cost,
            "cost_per_contact",
            1900.0,
            "lower",
            150.0,
            "month",
            analista,
        )?,
    ];
    for (name, date, o, criterion) in [
        (
            "Salida a producción",
            "2026-03-30",
            o_sales,
            "Piloto con 10 ejecutivos operando",
        ),
        (
            "Revisión trimestral con el cliente",
            "2026-06-30",
            o_sales,
            "Conversión acumulada ≥ 5,5 %",
        ),
        (
            "Cierre de campaña",
            "2026-12-18",
            o_sales,
            "7.200 pólizas emitidas",
        ),
    ] {
        items.push(item::<MilestoneDoc>(
            &check,
            json!({
                "name": name, "date": date, "objective_id": o, "criterion": criterion,
            }),
        )?);
    }
    for (text, kind, source, objs) in [
        (
            "Grabar el 100 % de las llamadas y conservarlas 24 meses",
            "contract_clause",
            "Contrato de servicios, cláusula 7.2",
            vec![o_quality],
        ),
        (
            "No llamar antes de las 09:00 ni después de las 21:00, ni domingos o festivos",
            "contract_clause",
            "Contrato de servicios, cláusula 5.1",
            vec![o_quality],
        ),
        (
            "Informe semanal de ventas y calidad los lunes",
            "meeting",
            "Reunión de lanzamiento 09-03-2026",
            vec![o_sales, o_quality],
        ),
    ] {
        items.push(item::<RequirementDoc>(
            &check,
            json!({
                "text": text, "source_kind": kind, "source_ref": source, "objective_ids": objs,
            }),
        )?);
    }
    for (side, text) in [
        (
            "in",
            "Venta outbound a la base pre-aprobada de 120.000 clientes",
        ),
        ("in", "Seguimiento de interesados por WhatsApp"),
        ("out", "Gestión de siniestros y cobranza"),
        ("out", "Venta a clientes fuera de la base entregada"),
    ] {
        items.push(item::<ScopeDoc>(
            &check,
            json!({ "side": side, "text": text }),
        )?);
    }
    for (n, name, from, to, entry, exit) in [
        (
            1,
            "Preparación",
            "2026-03-02",
            "2026-03-27",
            vec!["Contrato firmado"],
            vec!["Guion aprobado por el cliente", "Ejecutivos certificados"],
        ),
        (
            2,
            "Piloto",
            "2026-03-30",
            "2026-04-30",
            vec!["Ejecutivos certificados"],
            vec!["Conversión ≥ 5 % dos semanas seguidas", "Calidad ≥ 85"],
        ),
        (
            3,
            "Operación",
            "2026-05-04",
            "2026-11-30",
            vec!["Go del comité"],
            vec!["7.200 pólizas"],
        ),
        (
            4,
            "Cierre",
            "2026-12-01",
            "2026-12-31",
            vec!["Operación terminada"],
            vec!["Informe final entregado"],
        ),
    ] {
        let met = |v: &[&str], done: bool| {
            v.iter()
                .map(|t| json!({ "text": t, "met": done }))
                .collect::<Vec<_>>()
        };
        items.push(item::<StageDoc>(
            &check,
            json!({
                "name": name, "position": n, "start_date": from, "end_date": to,
                "entry_criteria": met(&entry, n <= 3), "exit_criteria": met(&exit, n <= 2),
            }),
        )?);
    }
    for (cause, event, effect, p, i, owner, status) in [
        (
            "Mercado laboral ajustado en Santiago",
            "No se completa la dotación de 40 ejecutivos",
            "Ventas bajo meta en el ramp-up",
            3,
            4,
            jefa,
            "mitigating",
        ),
        (
            "Base con datos de contacto antiguos",
            "Contactabilidad menor al 35 %",
            "Menos contactos efectivos y ventas",
            4,
            4,
            analista,
            "open",
        ),
        (
            "Cambio normativo de la CMF sobre venta a distancia",
            "El guion debe rehacerse",
            "Piloto atrasado",
            2,
            5,
            jefa,
            "open",
        ),
        (
            "Caída del proveedor de telefonía",
            "Marcador sin servicio más de 4 horas",
            "Pérdida de un día de ventas",
            2,
            3,
            sup,
            "open",
        ),
        (
            "Presión por volumen",
            "Ventas mal informadas",
            "Reclamos y anulaciones",
            2,
            5,
            sup,
            "mitigating",
        ),
    ] {
        items.push(item::<RiskDoc>(&check, json!({
            "cause": cause, "event": event, "effect": effect, "probability": p, "impact": i,
            "owner_id": owner, "status": status, "review_date": "2026-12-07",
            "mitigation": "Seguimiento semanal en comité", "contingency": "Plan de contingencia acordado con el cliente",
        }))?);
    }
    for (role, cost) in [
        ("Ejecutivo de ventas", "5.200"),
        ("Supervisor", "8.900"),
        ("Analista WFM", "9.500"),
    ] {
        items.push(item::<CostRateDoc>(&check, json!({ "role": role, "hourly_cost": cost, "currency": "CLP", "employer_charges": "24,5" }))?);
    }
    for (kind, desc, q, cost) in [
        (
            "headset",
            "Headset USB con cancelación de ruido",
            42,
            "38.000",
        ),
        ("licence", "Licencia CRM mensual", 450, "11.500"),
        ("seat", "Puesto de trabajo mensual", 450, "95.000"),
        ("telephony_minutes", "Minutos a móviles", 2_400_000, "9"),
    ] {
        items.push(item::<SupplyDoc>(&check, json!({ "kind": kind, "description": desc, "quantity": q, "unit_cost": cost, "currency": "CLP" }))?);
    }
    items.push(item::<RateDoc>(
        &check,
        json!({ "base": "UF", "quote": "CLP", "date": "2026-03-02", "value": "39.412,55" }),
    )?);
    for (name, comps, langs, months) in [
        (
            "Ejecutivo de ventas",
            vec![
                ("Venta consultiva", "technical", 3),
                ("Manejo de objeciones", "behavioural", 3),
                ("Empatía", "behavioural", 3),
            ],
            vec![("es", "C1")],
            6,
        ),
        (
            "Supervisor",
            vec![
                ("Coaching", "behavioural", 4),
                ("Gestión de indicadores", "technical", 3),
            ],
            vec![("es", "C2")],
            24,
        ),
    ] {
        items.push(item::<RoleDoc>(&check, json!({
            "name": name,
            "competencies": comps.iter().map(|(n, k, l)| json!({ "name": n, "kind": k, "level": l })).collect::<Vec<_>>(),
            "languages": langs.iter().map(|(c, l)| json!({ "language": c, "level": l })).collect::<Vec<_>>(),
            "min_experience_months": months,
        }))?);
    }
    items.push(item::<ProfileDoc>(
        &check,
        json!({
            "person_id": camila, "name": "Camila Fuentes",
            "competencies": [
                { "name": "Venta consultiva", "kind": "technical", "level": 4 },
                { "name": "Empatía", "kind": "behavioural", "level": 4 },
            ],
            "languages": [{ "language": "es", "level": "C2" }, { "language": "en", "level": "B1" }],
            "experience_months": 30,
        }),
    )?);
    items.push(item::<AssignmentDoc>(&check, json!({ "person_id": camila, "role": "Ejecutivo de ventas", "from": "2026-03-30", "to": "2026-12-18", "allocation": 100 }))?);
    items.push(item::<AssignmentDoc>(&check, json!({ "person_id": sup, "role": "Supervisor", "from": "2026-03-02", "to": "2026-12-31", "allocation": 60 }))?);
    for (aud, content, freq, ch, owner) in [
        (
            "Cliente (gerencia comercial)",
            "Informe de ventas, conversión y calidad",
            "weekly",
            "report",
            analista,
        ),
        (
            "Ejecutivos",
            "Ranking diario y focos del día",
            "daily",
            "meeting",
            sup,
        ),
        (
            "Comité directivo",
            "Avance del plan, riesgos y cambios",
            "monthly",
            "meeting",
            jefa,
        ),
    ] {
        items.push(item::<CommunicationDoc>(&check, json!({ "audience": aud, "content": content, "frequency": freq, "channel": ch, "owner_id": owner }))?);
    }
    items.push(item::<DecisionDoc>(&check, json!({
        "date": "2026-04-30", "summary": "Pasar a operación con 40 ejecutivos desde el 4 de mayo",
        "rationale": "El piloto superó 5 % de conversión dos semanas seguidas y calidad 88.", "decided_by": jefa,
    }))?);
    items.push(item::<DiffusionDoc>(&check, json!({
        "kind": "training", "title": "Capacitación de producto Vida Protección Familiar", "date": "2026-03-18",
        "objective_ids": [o_sales, o_quality], "audience": "Ejecutivos y supervisores", "audience_planned": 44, "audience_reached": 41,
    }))?);
    items.push(item::<DiffusionDoc>(&check, json!({
        "kind": "launch", "title": "Lanzamiento de la campaña", "date": "2026-03-30",
        "objective_ids": [o_sales], "audience": "Equipo completo y cliente", "audience_planned": 50, "audience_reached": 47,
    }))?);
    items.push(item::<MethodologyDoc>(&check, json!({
        "text": "Gestión por etapas con compuertas (preparación, piloto, operación, cierre); comité semanal con el cliente; \
                 dimensionamiento Erlang C por intervalo de 30 minutos; control diario de conversión y calidad.",
    }))?);
    save(store, actor, pid, items).await?;

    // Budget lines, then their monthly amounts and contacts handled.
    let check = compute::check_cx(&state, &cx).await.map_err(corrupt)?;
    let lines = save(
        store,
        actor,
        pid,
        vec![
            item::<BudgetLineDoc>(
                &check,
                json!({ "category": "staff", "description": "Ejecutivos de venta" }),
            )?,
            item::<BudgetLineDoc>(
                &check,
                json!({ "category": "staff", "description": "Supervisión y WFM" }),
            )?,
            item::<BudgetLineDoc>(
                &check,
                json!({ "category": "telephony", "description": "Minutos a móviles" }),
            )?,
            item::<BudgetLineDoc>(
                &check,
                json!({ "category": "technology", "description": "Licencias CRM y marcador" }),
            )?,
            item::<BudgetLineDoc>(
                &check,
                json!({ "category": "training", "description": "Capacitación y certificación" }),
            )?,
        ],
    )
    .await?;
    let check = compute::check_cx(&state, &cx).await.map_err(corrupt)?;
    let planned: [i64; 5] = [38_000_000, 7_500_000, 2_100_000, 5_200_000, 600_000];
    let mut amounts = Vec::new();
    for (m, month) in (3..=12).map(|m| (m, format!("2026-{m:02}"))) {
        for (k, line) in lines.iter().enumerate() {
            let plan = if k == 4 && m > 4 { 150_000 } else { planned[k] };
            amounts.push(item::<AmountDoc>(
                &check,
                json!({ "line_id": line, "month": month, "kind": "planned", "amount": plan }),
            )?);
            if m <= 10 {
                // Actuals drift a little around the plan, month by month.
                let drift = [3, -2, 5, 1, -4, 2, 6, -1][(m as usize + k) % 8];
                let actual = plan + plan * drift / 100;
                amounts.push(item::<AmountDoc>(
                    &check,
                    json!({ "line_id": line, "month": month, "kind": "actual", "amount": actual }),
                )?);
            }
        }
        if m <= 10 {
            let contacts = 24_000 + 1_500 * (m - 3);
            amounts.push(item::<ContactsDoc>(
                &check,
                json!({ "month": month, "contacts": contacts }),
            )?);
        }
    }
    store.upsert_plan_items(actor, pid, &amounts).await?;

    // Work plan: twenty activities with dependencies, a follow-up meeting and the RACI.
    let acts: Vec<DemoActivity> = vec![
        (
            "A01",
            "Reunión de inicio con el cliente",
            1,
            vec![],
            100,
            jefa,
        ),
        (
            "A02",
            "Guion y argumentario de venta",
            5,
            vec!["A01"],
            100,
            sup,
        ),
        (
            "A03",
            "Validación del guion con cumplimiento",
            3,
            vec!["A02"],
            100,
            jefa,
        ),
        (
            "A04",
            "Carga y depuración de la base",
            4,
            vec!["A01"],
            100,
            analista,
        ),
        (
            "A05",
            "Configuración del marcador y listas",
            5,
            vec!["A04"],
            100,
            analista,
        ),
        (
            "A06",
            "Reclutamiento de 40 ejecutivos",
            10,
            vec!["A01"],
            100,
            jefa,
        ),
        (
            "A07",
            "Compra de headsets y licencias",
            7,
            vec!["A01"],
            100,
            analista,
        ),
        (
            "A08",
            "Habilitación de puestos y telefonía",
            4,
            vec!["A07"],
            100,
            sup,
        ),
        (
            "A09",
            "Capacitación de producto y normativa",
            8,
            vec!["A06", "A03"],
            100,
            sup,
        ),
        (
            "A10",
            "Certificación de ejecutivos",
            2,
            vec!["A09"],
            100,
            sup,
        ),
        (
            "A11",
            "Piloto con 10 ejecutivos",
            10,
            vec!["A10", "A05", "A08"],
            100,
            sup,
        ),
        ("M12", "Go / no-go del piloto", 0, vec!["A11"], 100, jefa),
        (
            "A13",
            "Ajustes posteriores al piloto",
            3,
            vec!["M12"],
            100,
            sup,
        ),
        ("A14", "Ramp-up a 40 ejecutivos", 10, vec!["A13"], 100, sup),
        ("M15", "Operación estable", 0, vec!["A14"], 100, jefa),
        ("A16", "Operación de venta", 235, vec!["M15"], 90, sup),
        (
            "A17",
            "Campaña de reactivación de no contactados",
            20,
            vec!["M15"],
            100,
            analista,
        ),
        (
            "A18",
            "Revisión trimestral con el cliente",
            1,
            vec!["A17"],
            100,
            jefa,
        ),
        (
            "A19",
            "Evaluación de mejores prácticas",
            5,
            vec!["A16"],
            0,
            analista,
        ),
        ("M20", "Cierre de campaña", 0, vec!["A19"], 0, jefa),
    ];
    let mut act_items = Vec::new();
    for (id, name, days, deps, progress, owner) in &acts {
        act_items.push(item::<ActivityDoc>(&check, json!({
            "id": id, "name": name, "duration_days": days, "milestone": *days == 0,
            "dependencies": deps.iter().map(|d| json!({ "predecessor": d })).collect::<Vec<_>>(),
            "progress": progress, "owner_id": owner,
            "deliverable": if id.starts_with('M') { "Acta del comité" } else { "" },
        }))?);
    }
    store
        .replace_plan_items(actor, pid, "activity", &act_items)
        .await?;
    let meeting = item::<super::api::MeetingBody>(
        &check,
        json!({
            "title": "Comité de lanzamiento", "date": "2026-03-09", "attendees": [jefa, sup, analista],
            "agenda": ["Estado de la dotación", "Guion", "Riesgos"],
            "minutes": "Se revisa el reclutamiento (28 de 40) y el guion en validación.",
            "decisions": ["Adelantar la capacitación de los primeros 20 ejecutivos", "Reforzar el reclutamiento con una segunda agencia"],
            "follow_ups": [{ "task": "Contratar segunda agencia de reclutamiento", "owner_id": jefa, "due_date": "2026-03-13" }],
        }),
    )?;
    let parsed = reparse::<MeetingDoc>(&meeting.data)
        .ok_or_else(|| corrupt("meeting"))?
        .parse(&check)
        .map_err(corrupt)?;
    let mut new_items = vec![meeting];
    let mut follow_ups = Vec::new();
    for a in compute::follow_up_activities(&parsed, 1).map_err(corrupt)? {
        follow_ups.push((a.id.to_string(), a.owner_id.unwrap_or(jefa)));
        new_items.push(NewPlanItem {
            kind: "activity",
            code: Some(a.id.to_string()),
            data: activity_json(&a),
        });
    }
    save(store, actor, pid, new_items).await?;
    // RACI: the manager or the supervisor is accountable, the owner responsible, and the lead
    // sales agent informed; checked by the domain before it is stored.
    let mut entries = Vec::new();
    let owners = acts
        .iter()
        .map(|(id, _, _, _, _, owner)| (id.to_string(), *owner))
        .chain(follow_ups);
    let mut activity_ids = Vec::new();
    for (id, owner) in owners {
        let activity = ActivityId::parse("activity", &id).map_err(corrupt)?;
        let accountable = if owner == jefa { jefa } else { sup };
        entries.push(RaciEntry {
            activity: activity.clone(),
            person_id: accountable,
            role: Raci::Accountable,
        });
        if owner != accountable {
            entries.push(RaciEntry {
                activity: activity.clone(),
                person_id: owner,
                role: Raci::Responsible,
            });
        }
        entries.push(RaciEntry {
            activity: activity.clone(),
            person_id: camila,
            role: Raci::Informed,
        });
        activity_ids.push(activity);
    }
    let matrix = RaciMatrix::new(activity_ids, entries.clone()).map_err(corrupt)?;
    let raci = json!({
        "entries": entries.iter().map(|e| json!({ "activity": e.activity.as_str(), "person_id": e.person_id, "role": e.role.letter().to_string() })).collect::<Vec<_>>(),
        "people": matrix.people(),
    });
    store
        .upsert_plan_items(
            actor,
            pid,
            &[NewPlanItem {
                kind: "raci",
                code: Some("raci".into()),
                data: raci,
            }],
        )
        .await?;

    // Staffing from four weeks of expected volumes (30-minute intervals, 09:00–21:00).
    let volumes: Vec<Value> = (0..28)
        .map(|d| {
            let weekday = d % 7;
            let base = if weekday >= 5 { 0.0 } else { 150.0 };
            let curve = [0.6, 0.8, 1.0, 1.1, 1.0, 0.9, 0.7, 0.8, 1.0, 1.1, 1.2, 1.2, 1.1, 1.0, 1.0, 0.9, 0.9, 1.0, 1.1, 1.0, 0.9, 0.8, 0.6, 0.4];
            let date = start.checked_add(jiff::Span::new().days(28 + d)).unwrap_or(start);
            json!({ "date": date.to_string(), "contacts": curve.iter().map(|c| base * c).collect::<Vec<_>>() })
        })
        .collect();
    let body = serde_json::from_value(json!({
        "interval_minutes": 30, "weekly_hours": 42, "starting_headcount": 10, "weekly_attrition": "1,5",
        "training_days": 10, "aht_s": 260, "service_level": 0.8, "answer_s": 20, "max_occupancy": 0.88,
        "shrinkage": 0.3, "volumes": volumes,
    }))
    .map_err(corrupt)?;
    let staffing = super::api::staffing_plan(body).map_err(corrupt)?;
    store
        .upsert_plan_items(
            actor,
            pid,
            &[NewPlanItem {
                kind: "staffing",
                code: Some("staffing".into()),
                data: staffing,
            }],
        )
        .await?;

    // A change request approved by the manager: the pilot lasts one more week (version 2).
    let check = compute::check_cx(&state, &cx).await.map_err(corrupt)?;
    let cr = save(store, actor, pid, vec![item::<ChangeRequestDoc>(&check, json!({
        "kind": "dates", "reason": "El cliente pidió una semana más de piloto para validar la prima media",
        "impact": "La salida a operación se corre una semana; sin costo adicional",
        "changes": [{ "key": "activity.A11.duration", "value": "15" }], "requested_by": sup,
    }))?])
    .await?;
    let approver = Approver {
        user_id: manager_id,
        role: Role::Manager,
        member: true,
    };
    super::api::apply_approval(&state, actor, &cx, approver, cr[0])
        .await
        .map_err(|_| corrupt("change request approval"))?;
    save(store, actor, pid, vec![item::<ChangeRequestDoc>(&check, json!({
        "kind": "resources", "reason": "Sumar 5 ejecutivos para la campaña de fin de año",
        "impact": "Costo de personal +12 % en noviembre y diciembre",
        "changes": [{ "key": "headcount.Ejecutivo de ventas", "value": "45" }], "requested_by": sup,
    }))?])
    .await?;

    // The library: a practice born in this programme and its adoption.
    let lib = compute::library_check().map_err(corrupt)?;
    let practice = store
        .create_plan_items(actor, None, &[item::<PracticeDoc>(&lib, json!({
            "title": "Cierre en dos pasos",
            "context": "Venta outbound de seguros a clientes pre-aprobados",
            "practice": "Confirmar la necesidad y el beneficiario antes de ofrecer la prima; cerrar con resumen de coberturas.",
            "evidence": "Conversión +1,8 puntos en 6 semanas en el piloto de VIDA-2026 (grupo de control de 10 ejecutivos).",
            "tags": ["ventas", "outbound", "seguros"], "source_programme": "VIDA-2026",
        }))?])
        .await?;
    let adoption = item::<AdoptionDoc>(
        &lib,
        json!({
            "practice_id": practice[0].id, "team": "Equipo Vida 1", "status": "adopted", "since": "2026-05-04",
        }),
    )?;
    store.create_plan_items(actor, None, &[adoption]).await?;
    Ok(())
}
