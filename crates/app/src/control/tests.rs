//! The control loop end to end in the use cases: six weeks of generated calls imported through
//! the real pipeline with a planted surge and a data gap, a plan with an overdue activity, an
//! overspent budget and a target; evaluation raises each once, re-evaluation raises nothing new,
//! and the alarms' lifecycle and rules follow the access rules.

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::ToSpan;
use rumbo_domain::access::Role;
use rumbo_domain::programme::{NewProgramme, ProgrammeInput};
use rumbo_domain::rut::Rut;
use rumbo_store::users::NewUser;
use rumbo_store::Actor;
use serde_json::{json, Value};

use super::evaluate::holidays;
use super::{AlarmChange, AlarmRules};
use crate::demo::demo_call_csv;
use crate::imports::{ImportRequest, Source};
use crate::plan::docs::{ActivityDoc, AmountDoc, BudgetLineDoc, ObjectiveDoc, TargetDoc};
use crate::plan::PlanCx;
use crate::{App, Error, Principal, Settings};

struct Fixture {
    app: App,
    manager: Principal,
    analyst: Principal,
    tz: TimeZone,
    today: Date,
    _data: tempfile::TempDir,
}

async fn principal(app: &App, email: &str, role: Role) -> Principal {
    let u = app
        .store
        .create_user(
            &Actor::system("test"),
            NewUser {
                email,
                name: email,
                password_hash: "x",
                role,
                client_id: None,
                lang: "es",
            },
        )
        .await
        .unwrap();
    Principal {
        user_id: u.id,
        email: u.email,
        role,
        client_id: None,
    }
}

async fn fixture() -> Fixture {
    let store = rumbo_store::testing::fresh_store().await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let app = App::new(
        store,
        Settings {
            data_dir: data.path().to_path_buf(),
            jobs: crate::jobs::JobSettings {
                evaluation_spacing: std::time::Duration::from_millis(200),
                ..Default::default()
            },
            ..Settings::default()
        },
    );
    let sys = Actor::system("test");
    let client = app
        .store
        .create_client(&sys, "Banco", Rut::parse("76.086.428-5").unwrap())
        .await
        .unwrap();
    let manager = principal(&app, "jefa@x.cl", Role::Manager).await;
    let analyst = principal(&app, "analista@x.cl", Role::Analyst).await;
    let tz = TimeZone::get("America/Santiago").unwrap();
    let today = jiff::Timestamp::now().to_zoned(tz.clone()).date();
    let p = NewProgramme::try_from(ProgrammeInput {
        code: "CTL1".into(),
        name: "Retención".into(),
        client_id: Some(client.id),
        channels: vec!["voice_inbound".into()],
        start_date: today.checked_sub(70.days()).unwrap().to_string(),
        end_date: Some(today.checked_add(20.days()).unwrap().to_string()),
        status: Some("running".into()),
        ..Default::default()
    })
    .unwrap();
    let created = app
        .store
        .create_programme(&manager.actor(), &p)
        .await
        .unwrap();
    // The analyst works on this programme's team (reads it, never changes its plan or alarms).
    app.store
        .add_member(&sys, created.id, analyst.user_id)
        .await
        .unwrap();
    Fixture {
        app,
        manager,
        analyst,
        tz,
        today,
        _data: data,
    }
}

fn at(day: Date, h: i8, tz: &TimeZone) -> i64 {
    day.at(h, 0, 0, 0)
        .to_zoned(tz.clone())
        .unwrap()
        .timestamp()
        .as_second()
}

/// Six weeks of demo calls, without 15:00–18:00 of `gap_day`, with twice the retention
/// queue's calls from 11:00 to 13:00 of `surge_day`.
fn calls(f: &Fixture, gap_day: Date, surge_day: Date) -> String {
    let csv = demo_call_csv(f.today, &f.tz, 42, 11);
    let (g0, g1) = (at(gap_day, 15, &f.tz), at(gap_day, 18, &f.tz));
    let mut out = String::new();
    for (i, line) in csv.lines().enumerate() {
        if i > 0 {
            let ts: i64 = line.split(',').nth(2).unwrap().parse().unwrap();
            if (g0..g1).contains(&ts) {
                continue;
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    let s0 = at(surge_day, 11, &f.tz);
    for k in 0..480 {
        // 60 extra calls per quarter hour, spread over each quarter.
        let ts = s0 + (k / 60) * 900 + (k % 60) * 15;
        out.push_str(&format!("S{k},retencion,{ts},5,250,40,answered\n"));
    }
    out
}

async fn import(f: &Fixture, csv: &str) {
    let path = f._data.path().join("calls.csv");
    std::fs::write(&path, csv).unwrap();
    f.app
        .import_file(
            ImportRequest {
                programme_code: "CTL1",
                path: &path,
                source: Source::Calls,
                mapping: None,
                mapping_name: None,
                actor: f.manager.actor(),
                job: None,
            },
            |_| {},
        )
        .await
        .unwrap();
}

fn doc<T: serde::de::DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).unwrap()
}

async fn plan(f: &Fixture) {
    let cx: PlanCx = f
        .app
        .plan(&f.manager, "CTL1", rumbo_domain::access::Action::Update)
        .await
        .unwrap();
    let owner = f
        .app
        .store
        .create_person(&Actor::system("test"), "Jefa", None, "jefa")
        .await
        .unwrap();
    let start = f.today.checked_sub(20.days()).unwrap();
    f.app
        .create_plan_item::<ActivityDoc>(
            &f.manager,
            &cx,
            doc(
                json!({ "id": "A1", "name": "Capacitación", "start_date": start.to_string(),
                        "duration_days": "10", "progress": "0", "owner_id": owner.id }),
            ),
        )
        .await
        .unwrap();
    let objective = f
        .app
        .create_plan_item::<ObjectiveDoc>(&f.manager, &cx, doc(json!({ "title": "Servicio" })))
        .await
        .unwrap();
    f.app
        .create_plan_item::<TargetDoc>(
            &f.manager,
            &cx,
            doc(
                json!({ "objective_id": objective.id, "indicator": "asa", "target": "1", "direction": "lower",
                        "tolerance": "0", "granularity": "interval",
                        "period_start": f.today.checked_sub(7.days()).unwrap().to_string(),
                        "period_end": f.today.to_string(), "owner_id": owner.id }),
            ),
        )
        .await
        .unwrap();
    let line = f
        .app
        .create_plan_item::<BudgetLineDoc>(
            &f.manager,
            &cx,
            doc(json!({ "category": "staff", "description": "Ejecutivos" })),
        )
        .await
        .unwrap();
    // Planned 10 million a month over four months; 9 million spent in the first month alone.
    let first = cx.dates().start();
    let mut amounts = Vec::new();
    for m in 0..4 {
        let month = first.checked_add((m as i64).months()).unwrap();
        amounts.push(json!({ "line_id": line.id, "month": format!("{:04}-{:02}", month.year(), month.month()),
                             "kind": "planned", "amount": "10000000", "currency": "CLP" }));
    }
    amounts.push(
        json!({ "line_id": line.id, "month": format!("{:04}-{:02}", first.year(), first.month()),
                         "kind": "actual", "amount": "19000000", "currency": "CLP" }),
    );
    f.app
        .create_plan_items::<AmountDoc>(&f.manager, &cx, amounts.into_iter().map(doc).collect())
        .await
        .unwrap();
}

#[tokio::test]
async fn evaluation_raises_each_planted_problem_once_and_again_changes_nothing() {
    let f = fixture().await;
    let hol = holidays(f.today.checked_sub(60.days()).unwrap(), f.today);
    let usable = |d: &Date| !hol.contains(d);
    let gap_day = (1..7)
        .map(|k| f.today.checked_sub(k.days()).unwrap())
        .find(usable)
        .unwrap();
    let surge_day = (2..7)
        .map(|k| f.today.checked_sub(k.days()).unwrap())
        .find(|d| {
            usable(d)
                && *d != gap_day
                && !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
        })
        .unwrap();
    import(&f, &calls(&f, gap_day, surge_day)).await;
    plan(&f).await;

    let alarms = f.app.evaluate_alarms(&f.manager, "CTL1").await.unwrap();
    let of = |k: &str| alarms.iter().filter(|a| a.kind == k).collect::<Vec<_>>();

    let surge = of("volume_anomaly");
    assert_eq!(surge.len(), 1, "{surge:?}");
    assert_eq!(
        (surge[0].period_start, surge[0].period_end),
        (at(surge_day, 11, &f.tz), at(surge_day, 13, &f.tz))
    );
    assert!(surge[0].magnitude > 0.4, "{}", surge[0].magnitude);

    // The forecast made before the window sees the surge too, as one alarm over its two
    // hours. The background is random (Poisson per quarter hour, laid on the calendar from
    // today), so on some dates a quarter hour or two of it also crosses the line: any such
    // alarm is shorter than the surge and not on the gap's hours.
    let all_beyond = of("forecast_deviation");
    let surge_window = (at(surge_day, 11, &f.tz), at(surge_day, 13, &f.tz));
    let beyond: Vec<_> = all_beyond
        .iter()
        .filter(|a| (a.period_start, a.period_end) == surge_window)
        .collect();
    assert_eq!(beyond.len(), 1, "{all_beyond:?}");
    assert_eq!(beyond[0].metric, "offered");
    assert!(beyond[0].magnitude > 0.4, "{}", beyond[0].magnitude);
    for other in all_beyond.iter().filter(|a| a.id != beyond[0].id) {
        let shorter = other.period_end - other.period_start < surge_window.1 - surge_window.0;
        let apart = other.period_end <= surge_window.0 || other.period_start >= surge_window.1;
        assert!(shorter && apart, "{other:?}");
        assert!(
            other.period_end <= at(gap_day, 15, &f.tz)
                || other.period_start >= at(gap_day, 18, &f.tz),
            "{other:?}"
        );
    }

    let gap = of("data_gap");
    assert_eq!(gap.len(), 1, "{gap:?}");
    assert_eq!(
        (gap[0].period_start, gap[0].period_end),
        (at(gap_day, 15, &f.tz), at(gap_day, 18, &f.tz))
    );
    assert_eq!(gap[0].magnitude, 3.0);

    let overdue = of("overdue");
    assert_eq!(overdue.len(), 1);
    assert_eq!(overdue[0].subject, "A1");
    // Ten working days (weekends and Chilean holidays off, the programme's calendar) from 20
    // days ago: late by the calendar days since that tenth working day.
    let calendar = crate::plan::calendar::calendar_for(
        rumbo_domain::plan::workplan::DayCount::Working,
        f.app
            .plan(&f.manager, "CTL1", rumbo_domain::access::Action::Read)
            .await
            .unwrap()
            .dates(),
    );
    let finish = *calendar
        .days_from(f.today.checked_sub(20.days()).unwrap(), 10)
        .last()
        .unwrap();
    let late = f.today.since(finish).unwrap().get_days();
    assert!(late > 0, "{finish}");
    assert_eq!(
        overdue[0].magnitude,
        f64::from(late),
        "finished on {finish}"
    );

    let budget = of("budget_overrun");
    assert_eq!(budget.len(), 1, "{alarms:?}");
    assert!(budget[0].observed > 40_000_000.0);

    assert!(!of("target_breach").is_empty());
    assert!(of("target_breach").iter().all(|a| a.metric == "asa"));
    assert!(of("drift").is_empty(), "{:?}", of("drift"));

    // Evaluating again finds the same alarms, not new ones.
    let again = f.app.evaluate_alarms(&f.manager, "CTL1").await.unwrap();
    let mut ids: Vec<i64> = alarms.iter().map(|a| a.id).collect();
    let mut ids2: Vec<i64> = again.iter().map(|a| a.id).collect();
    ids.sort_unstable();
    ids2.sort_unstable();
    assert_eq!(ids, ids2);
    assert_eq!(
        f.app.alarms(&f.manager, "CTL1", true).await.unwrap().len(),
        alarms.len()
    );
}

#[tokio::test]
async fn alarms_are_acknowledged_by_someone_resolved_and_assigned_by_those_who_may_update() {
    let f = fixture().await;
    let a = f
        .app
        .store
        .record_alarms(
            &Actor::system("test"),
            f.app
                .store
                .programme_for("CTL1", None)
                .await
                .unwrap()
                .programme
                .id,
            &[rumbo_store::control::NewAlarm {
                fingerprint: "x".into(),
                kind: "data_gap".into(),
                metric: "hours".into(),
                subject: String::new(),
                period_start: 0,
                period_end: 3600,
                expected: 4.0,
                observed: 0.0,
                magnitude: 1.0,
                score: 4.0,
                rules_version: 0,
            }],
        )
        .await
        .unwrap()
        .remove(0);
    let ack = AlarmChange {
        status: Some("acknowledged".into()),
        assignee_id: None,
    };
    assert!(matches!(
        f.app
            .change_alarm(&f.analyst, "CTL1", a.id, ack.clone())
            .await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        f.app.evaluate_alarms(&f.analyst, "CTL1").await,
        Err(Error::Forbidden)
    ));
    let seen = f
        .app
        .change_alarm(&f.manager, "CTL1", a.id, ack)
        .await
        .unwrap();
    assert_eq!(seen.acknowledged_by.as_deref(), Some("jefa@x.cl"));
    let assigned = f
        .app
        .change_alarm(
            &f.manager,
            "CTL1",
            a.id,
            AlarmChange {
                status: None,
                assignee_id: Some(f.analyst.user_id),
            },
        )
        .await
        .unwrap();
    assert_eq!(assigned.assignee_id, Some(f.analyst.user_id));
    let bad = f
        .app
        .change_alarm(
            &f.manager,
            "CTL1",
            a.id,
            AlarmChange {
                status: Some("closed".into()),
                assignee_id: None,
            },
        )
        .await;
    assert!(matches!(bad, Err(Error::Invalid(_))));
    let done = f
        .app
        .change_alarm(
            &f.manager,
            "CTL1",
            a.id,
            AlarmChange {
                status: Some("resolved".into()),
                assignee_id: None,
            },
        )
        .await
        .unwrap();
    assert!(done.resolved_at.is_some());
    assert!(f
        .app
        .alarms(&f.analyst, "CTL1", true)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn rules_are_checked_and_each_change_is_a_new_version() {
    let f = fixture().await;
    let r = f.app.alarm_rules(&f.analyst, "CTL1").await.unwrap();
    assert_eq!((r.version, r.rules), (0, AlarmRules::default()));
    let bad = AlarmRules {
        anomaly_z: 0.5,
        gap_minutes: 20,
        ..AlarmRules::default()
    };
    match f.app.set_alarm_rules(&f.manager, "CTL1", bad).await {
        Err(Error::Invalid(i)) => {
            let fields: Vec<&str> = i.0.iter().map(|x| x.field).collect();
            assert_eq!(fields, ["anomaly_z", "gap_minutes"]);
        }
        other => panic!("{other:?}"),
    }
    let stricter = AlarmRules {
        anomaly_z: 4.0,
        ..AlarmRules::default()
    };
    assert!(matches!(
        f.app
            .set_alarm_rules(&f.analyst, "CTL1", stricter.clone())
            .await,
        Err(Error::Forbidden)
    ));
    let v1 = f
        .app
        .set_alarm_rules(&f.manager, "CTL1", stricter.clone())
        .await
        .unwrap();
    let v2 = f
        .app
        .set_alarm_rules(&f.manager, "CTL1", AlarmRules::default())
        .await
        .unwrap();
    assert_eq!((v1.version, v2.version), (1, 2));
    assert_eq!(
        f.app.alarm_rules(&f.analyst, "CTL1").await.unwrap().version,
        2
    );
}

#[tokio::test]
async fn the_demo_shows_alarms_on_first_start() {
    let store = rumbo_store::testing::fresh_store().await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let app = App::new(
        store,
        Settings {
            data_dir: data.path().to_path_buf(),
            ..Settings::default()
        },
    );
    assert!(app.seed_demo_if_empty().await.unwrap());
    assert!(app.seed_demo_calls().await.unwrap());
    let open = |code: &'static str| {
        let app = app.clone();
        async move {
            let p = app.store.programme_for(code, None).await.unwrap().programme;
            app.store.alarms(p.id, true).await.unwrap()
        }
    };
    let retention = open("RET-TC-2026").await;
    assert!(
        retention.iter().any(|a| a.kind == "target_breach"),
        "{retention:?}"
    );
    let sales = open("VIDA-2026").await;
    assert!(
        !sales.is_empty(),
        "the sales plan has overdue work or a budget drift"
    );
}

#[tokio::test]
async fn an_action_on_the_surge_costs_its_options_with_the_wfm_engine_and_is_checked_once_done() {
    use super::{ActionInput, ActionStatus, OptionInput};
    use crate::plan::docs::CostRateDoc;

    let f = fixture().await;
    let hol = holidays(f.today.checked_sub(60.days()).unwrap(), f.today);
    let surge_day = (2..7)
        .map(|k| f.today.checked_sub(k.days()).unwrap())
        .find(|d| !hol.contains(d) && !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday))
        .unwrap();
    let gap_day = f.today.checked_sub(1.days()).unwrap();
    import(&f, &calls(&f, gap_day, surge_day)).await;
    plan(&f).await;
    let cx = f
        .app
        .plan(&f.manager, "CTL1", rumbo_domain::access::Action::Update)
        .await
        .unwrap();
    f.app
        .create_plan_item::<CostRateDoc>(
            &f.manager,
            &cx,
            doc(json!({ "role": "Ejecutivo", "hourly_cost": "6000", "currency": "CLP", "employer_charges": "25" })),
        )
        .await
        .unwrap();
    let alarms = f.app.evaluate_alarms(&f.manager, "CTL1").await.unwrap();
    let surge = alarms.iter().find(|a| a.kind == "volume_anomaly").unwrap();
    let owner = f.app.plan_check(&cx).await.unwrap().person_ids[0];
    let option = |label: &str, n: u32| OptionInput {
        label: label.into(),
        extra_agents: n,
        from: "11:00".into(),
        to: "13:00".into(),
    };
    let input = ActionInput {
        alarm_id: Some(surge.id),
        cause: "Campaña de correo del cliente sin aviso".into(),
        action: "Reforzar el turno de mediodía".into(),
        owner_id: Some(owner),
        due_date: f.today.to_string(),
        priority: "high".into(),
        day: None,
        options: vec![option("+3", 3), option("+6", 6)],
    };
    let bad = f
        .app
        .create_action(
            &f.manager,
            "CTL1",
            ActionInput {
                priority: "urgent".into(),
                options: vec![],
                ..input.clone()
            },
        )
        .await;
    match bad {
        Err(Error::Invalid(i)) => {
            let fields: Vec<&str> = i.0.iter().map(|x| x.field).collect();
            assert_eq!(fields, ["priority", "options"]);
        }
        other => panic!("{other:?}"),
    }
    let row = f
        .app
        .create_action(&f.manager, "CTL1", input)
        .await
        .unwrap();
    assert_eq!(row.alarm_id, Some(surge.id));
    assert_eq!(row.data["day"], surge_day.to_string());
    let options = row.data["options"].as_array().unwrap();
    assert_eq!(options.len(), 2);
    for (o, extra) in options.iter().zip([3u32, 6]) {
        let rows = o["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 8, "eight quarter hours from 11:00 to 13:00");
        for r in rows {
            // The same inputs through the WFM engine give the same figures.
            let load = rumbo_wfm::Load::new(
                r["offered"].as_f64().unwrap(),
                900.0,
                r["aht_s"].as_f64().unwrap(),
            )
            .unwrap();
            let agents = r["agents"].as_u64().unwrap() as u32;
            let m = rumbo_wfm::erlang_a::evaluate(
                &load,
                r["patience_s"].as_f64().unwrap(),
                agents + extra,
                20.0,
            )
            .unwrap();
            assert_eq!(r["sl"].as_f64().unwrap(), m.sl_offered);
            assert_eq!(r["abandon"].as_f64().unwrap(), m.p_abandon);
            assert!(m.sl_offered >= r["sl_now"].as_f64().unwrap());
        }
        // 6 000 CLP an hour plus 25 % charges: 7 500 an hour, for `extra` agents × 2 hours.
        assert_eq!(o["cost"], json!(7_500 * 2 * extra as i64));
        assert_eq!(o["currency"], "CLP");
        // No staffing plan here: feasibility cannot be judged, but the need is stated.
        assert_eq!(o["feasibility"]["status"], "unknown");
        assert!(o["feasibility"]["needed"].as_u64().unwrap() > u64::from(extra));
        assert!(o["gain_points"].as_f64().unwrap() > 0.0);
    }
    assert!(options[1]["sl"].as_f64() > options[0]["sl"].as_f64());

    // Approval goes through a change request and gives the plan a new version with the
    // changed target.
    let (target_item, _) = f.app.kpi_targets(&cx).await.unwrap().remove(0);
    assert!(matches!(
        f.app.approve_action(&f.manager, "CTL1", row.id).await,
        Err(Error::Invalid(_))
    ));
    let requested = f
        .app
        .request_action_approval(
            &f.manager,
            "CTL1",
            row.id,
            super::ApprovalRequest {
                kind: "targets".into(),
                impact: "ASA más holgado durante la campaña".into(),
                changes: vec![doc(
                    json!({ "key": format!("target.{}.value", target_item.id), "value": "3" }),
                )],
            },
        )
        .await
        .unwrap();
    assert!(requested.data["change_request_id"].is_i64());
    let (approved, version) = f
        .app
        .approve_action(&f.manager, "CTL1", row.id)
        .await
        .unwrap();
    assert_eq!(approved.data["status"], "approved");
    assert_eq!(approved.data["plan_version"], version.number);
    let (_, target) = f.app.kpi_targets(&cx).await.unwrap().remove(0);
    assert_eq!(target.target, 3.0);

    // Not done yet: no effectiveness check.
    assert!(matches!(
        f.app.check_action(&f.manager, "CTL1", row.id).await,
        Err(Error::Invalid(_))
    ));
    f.app
        .set_action_status(
            &f.manager,
            "CTL1",
            row.id,
            ActionStatus {
                status: "done".into(),
            },
        )
        .await
        .unwrap();
    let checked = f
        .app
        .check_action(&f.manager, "CTL1", row.id)
        .await
        .unwrap();
    let e = &checked.data["effect"];
    // Done today: nothing after it yet, so the check cannot tell.
    assert_eq!(e["verdict"], "inconclusive", "{e}");
    assert_eq!(e["n_after"], 0);
    assert!(e["n_before"].as_u64().unwrap() >= 24, "{e}");
    assert_eq!(e["test"], "mann_whitney_one_sided");
}

#[tokio::test]
async fn the_volume_forecast_of_ordinary_weeks_follows_the_actual_volume_counted_once_per_call() {
    let f = fixture().await;
    import(&f, &demo_call_csv(f.today, &f.tz, 42, 11)).await;
    let from = f.today.checked_sub(6.days()).unwrap();
    let v = f
        .app
        .volume_forecast(&f.manager, "CTL1", from, f.today)
        .await
        .unwrap()
        .expect("five weeks of history are enough");
    assert_eq!(v.cut_off, from);
    assert!(v.points.windows(2).all(|w| w[1].start - w[0].start == 900));
    let def = rumbo_kpi::KpiDefinition::standard();
    let k = f
        .app
        .programme_kpis(crate::kpis::KpiQuery {
            programme_code: "CTL1",
            definition: &def,
            granularity: rumbo_kpi::Granularity::Day,
            from: Some(from),
            to: Some(f.today),
        })
        .await
        .unwrap();
    let offered: u64 = k
        .aggregation
        .sorted_rows()
        .into_iter()
        .filter(|((q, _), _)| !q.is_empty())
        .map(|(_, a)| a.calls_view().offered)
        .sum();
    let actual: u64 = v.points.iter().map(|p| p.actual).sum();
    assert_eq!(
        actual, offered,
        "the actual volume is the programme's aggregates"
    );
    let error: f64 = v
        .points
        .iter()
        .map(|p| (p.actual as f64 - p.forecast).abs())
        .sum();
    let wape = error / actual as f64;
    assert!(
        wape < 0.3,
        "an ordinary week is forecast within 30 % WAPE: {wape}"
    );
}

/// A local SMTP sink: answers like a relay and hands over (recipients, message) per mail.
pub(crate) async fn smtp_sink() -> (
    u16,
    tokio::sync::mpsc::UnboundedReceiver<(Vec<String>, String)>,
) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let mut r = BufReader::new(stream);
            r.get_mut().write_all(b"220 sink\r\n").await.unwrap();
            let (mut rcpts, mut data, mut in_data) = (Vec::new(), String::new(), false);
            let mut line = String::new();
            while r.read_line(&mut line).await.unwrap_or(0) > 0 {
                let answer: &[u8] = if in_data {
                    if line == ".\r\n" {
                        in_data = false;
                        b"250 queued\r\n"
                    } else {
                        data.push_str(&line);
                        b""
                    }
                } else if line.starts_with("EHLO") {
                    b"250-sink\r\n250 8BITMIME\r\n"
                } else if let Some(to) = line.strip_prefix("RCPT TO:") {
                    rcpts.push(to.trim().trim_matches(['<', '>']).to_string());
                    b"250 ok\r\n"
                } else if line.starts_with("AUTH PLAIN") {
                    b"235 authenticated\r\n"
                } else if line.starts_with("DATA") {
                    in_data = true;
                    b"354 go on\r\n"
                } else if line.starts_with("QUIT") {
                    r.get_mut().write_all(b"221 bye\r\n").await.unwrap();
                    break;
                } else {
                    b"250 ok\r\n"
                };
                r.get_mut().write_all(answer).await.unwrap();
                line.clear();
            }
            let _ = tx.send((std::mem::take(&mut rcpts), std::mem::take(&mut data)));
        }
    });
    (port, rx)
}

#[tokio::test]
async fn new_alarms_are_mailed_to_the_programme_team_once_and_known_ones_are_not() {
    let f = fixture().await;
    let (port, mut mails) = smtp_sink().await;
    let mut texts = std::collections::BTreeMap::new();
    texts.insert(
        "es".to_string(),
        crate::notify::MailTexts {
            subject: "{code}: {count} alarmas nuevas".into(),
            intro: "Se abrieron {count} alarmas en {name}.".into(),
            kinds: [(
                "rejected_share".to_string(),
                "Importación con muchos rechazos".to_string(),
            )]
            .into_iter()
            .collect(),
        },
    );
    let app = App::new(
        f.app.store.clone(),
        Settings {
            data_dir: f._data.path().to_path_buf(),
            smtp: Some(crate::notify::SmtpSettings {
                host: "127.0.0.1".into(),
                port,
                from: "rumbo@bpo.cl".into(),
                user: Some("rumbo".into()),
                password: Some("s3creto".into()),
                texts,
            }),
            ..Settings::default()
        },
    );
    // A fifth of the file rejected: one alarm.
    let mut csv = String::from("call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome\n");
    let t0 = at(f.today.checked_sub(1.days()).unwrap(), 10, &f.tz);
    for i in 0..20 {
        csv.push_str(&format!("C{i},ventas,{},10,200,30,answered\n", t0 + i * 60));
    }
    for i in 0..5 {
        csv.push_str(&format!("X{i},ventas,{},10,200,30,perdida\n", t0 + i * 60));
    }
    let path = f._data.path().join("rejected.csv");
    std::fs::write(&path, &csv).unwrap();
    app.import_file(
        ImportRequest {
            programme_code: "CTL1",
            path: &path,
            source: Source::Calls,
            mapping: None,
            mapping_name: None,
            actor: f.manager.actor(),
            job: None,
        },
        |_| {},
    )
    .await
    .unwrap();
    let alarms = app.evaluate_alarms(&f.manager, "CTL1").await.unwrap();
    assert!(
        alarms.iter().any(|a| a.kind == "rejected_share"),
        "{alarms:?}"
    );
    let (to, message) = tokio::time::timeout(std::time::Duration::from_secs(10), mails.recv())
        .await
        .expect("a mail within 10 s")
        .unwrap();
    assert_eq!(
        to,
        vec!["analista@x.cl".to_string(), "jefa@x.cl".to_string()],
        "the programme's team"
    );
    assert!(message.contains("From: rumbo@bpo.cl"), "{message}");
    let subject = format!("{}: {} alarmas nuevas", "CTL1", alarms.len());
    assert!(
        message.contains(&format!(
            "Subject: =?UTF-8?B?{}?=",
            crate::notify::base64(subject.as_bytes())
        )),
        "{message}"
    );
    assert!(
        message.contains("Importación con muchos rechazos"),
        "{message}"
    );
    assert!(message.contains("/programs/CTL1/alarms/"), "{message}");
    assert!(!message.contains("s3creto"));

    // Evaluating again opens nothing new: no second mail.
    app.evaluate_alarms(&f.manager, "CTL1").await.unwrap();
    assert!(
        tokio::time::timeout(std::time::Duration::from_millis(500), mails.recv())
            .await
            .is_err(),
        "no mail for alarms already known"
    );
}

#[tokio::test]
async fn the_effectiveness_check_of_a_done_action_runs_again_after_each_import_that_reaches_its_after_window(
) {
    use super::{ActionInput, ActionStatus, OptionInput};

    let f = fixture().await;
    // Four weeks of calls ending yesterday, imported in two files: before and from `cut`.
    let all = demo_call_csv(f.today, &f.tz, 28, 5);
    let cut = at(f.today.checked_sub(10.days()).unwrap(), 0, &f.tz);
    let (mut first, mut second) = (String::new(), String::new());
    for (i, line) in all.lines().enumerate() {
        let ts: i64 = line
            .split(',')
            .nth(2)
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        for part in [&mut first, &mut second] {
            if i == 0 {
                part.push_str(line);
                part.push('\n');
            }
        }
        if i > 0 {
            let part = if ts < cut { &mut first } else { &mut second };
            part.push_str(line);
            part.push('\n');
        }
    }
    import(&f, &first).await;
    let p = f
        .app
        .store
        .programme_for("CTL1", None)
        .await
        .unwrap()
        .programme;
    let owner = f
        .app
        .store
        .create_person(&Actor::system("test"), "Jefa", None, "jefa")
        .await
        .unwrap();
    let day = f.today.checked_sub(17.days()).unwrap();
    let row = f
        .app
        .create_action(
            &f.manager,
            "CTL1",
            ActionInput {
                alarm_id: None,
                cause: "Peak de mediodía".into(),
                action: "Dos ejecutivos más".into(),
                owner_id: Some(owner.id),
                due_date: day.to_string(),
                priority: "medium".into(),
                day: Some(day.to_string()),
                options: vec![OptionInput {
                    label: "+2".into(),
                    extra_agents: 2,
                    from: "11:00".into(),
                    to: "13:00".into(),
                }],
            },
        )
        .await
        .unwrap();
    let done = f
        .app
        .set_action_status(
            &f.manager,
            "CTL1",
            row.id,
            ActionStatus {
                status: "done".into(),
            },
        )
        .await
        .unwrap();
    // Done the day after the evaluated day: the first comparable day is a week later, from
    // the second file on.
    let mut data = done.data.clone();
    data["done_on"] = json!(day.tomorrow().unwrap().to_string());
    f.app
        .store
        .update_action(&Actor::system("test"), p.id, row.id, &data)
        .await
        .unwrap();

    // The data so far ends before the after-window: the evaluation leaves the action alone.
    f.app.evaluate_after_import(p.id).await;
    let a = f.app.action(&f.manager, "CTL1", row.id).await.unwrap();
    assert!(a.data["effect"].is_null(), "{}", a.data["effect"]);

    // The second import reaches it: the check runs by itself and says on what data.
    import(&f, &second).await;
    f.app.evaluate_after_import(p.id).await;
    let a = f.app.action(&f.manager, "CTL1", row.id).await.unwrap();
    let e = &a.data["effect"];
    let latest = all
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(2)?.parse::<i64>().ok())
        .max()
        .unwrap();
    assert_eq!(e["auto"], true, "{e}");
    assert_eq!(e["data_until"], latest, "{e}");
    assert_eq!(e["checked_on"], f.today.to_string());
    // Before: the evaluated day and the one a week earlier (the data starts four weeks ago);
    // after: the same weekday 10 and 3 days ago; eight quarter hours each.
    assert_eq!(
        (e["n_before"].as_u64(), e["n_after"].as_u64()),
        (Some(16), Some(16)),
        "{e}"
    );
    assert!(
        ["effective", "not_effective"].contains(&e["verdict"].as_str().unwrap()),
        "{e}"
    );

    // Nothing new imported: evaluating again does not check again.
    let sys = Actor::system("test");
    assert!(f.app.recheck_actions(&p, &sys).await.unwrap().is_empty());
    // Asked by hand, the check says so.
    let by_hand = f
        .app
        .check_action(&f.manager, "CTL1", row.id)
        .await
        .unwrap();
    assert_eq!(by_hand.data["effect"]["auto"], false);
    assert_eq!(by_hand.data["effect"]["n_after"], 16);
}

#[tokio::test]
async fn the_demo_holds_a_done_action_with_a_finished_effectiveness_check() {
    let store = rumbo_store::testing::fresh_store().await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let app = App::new(
        store,
        Settings {
            data_dir: data.path().to_path_buf(),
            ..Settings::default()
        },
    );
    assert!(app.seed_demo_if_empty().await.unwrap());
    assert!(app.seed_demo_calls().await.unwrap());
    let p = app
        .store
        .programme_for("RET-TC-2026", None)
        .await
        .unwrap()
        .programme;
    let actions = app.store.actions(p.id).await.unwrap();
    assert_eq!(actions.len(), 1);
    let d = &actions[0].data;
    assert_eq!(d["status"], "done");
    assert_eq!(d["options"].as_array().unwrap().len(), 2);
    assert!(
        d["options"][0]["gain_points"].as_f64().unwrap() > 0.0,
        "{d}"
    );
    assert!(actions[0].alarm_id.is_some(), "it follows a demo alarm");
    // Costed with the line's cost rate: 5 200 CLP an hour plus 25 %, 6 500 an hour, for the
    // extra agents over two hours.
    for (o, extra) in d["options"].as_array().unwrap().iter().zip([2, 4]) {
        assert_eq!(o["cost"], json!(6_500 * 2 * extra), "{o}");
        assert_eq!(o["currency"], "CLP");
    }
    // Judged technically against the retention line's staffing plan too.
    for o in d["options"].as_array().unwrap() {
        let f = &o["feasibility"];
        assert_eq!(f["headcount"], 45, "{f}");
        assert!(
            ["feasible", "hiring", "late"].contains(&f["status"].as_str().unwrap()),
            "{f}"
        );
        let peak = o["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["agents"].as_u64().unwrap())
            .max()
            .unwrap();
        assert_eq!(f["needed"], peak + o["extra_agents"].as_u64().unwrap());
    }
    let e = &d["effect"];
    assert_eq!(e["auto"], true, "{e}");
    assert!(
        ["effective", "not_effective"].contains(&e["verdict"].as_str().unwrap()),
        "a finished check has a verdict: {e}"
    );
    assert_eq!(
        (e["n_before"].as_u64(), e["n_after"].as_u64()),
        (Some(8), Some(8)),
        "{e}"
    );
}

#[tokio::test]
async fn evaluations_asked_for_while_one_runs_are_merged_into_one_more_run() {
    let f = fixture().await;
    let gap_day = f.today.checked_sub(2.days()).unwrap();
    let surge_day = f.today.checked_sub(3.days()).unwrap();
    import(&f, &calls(&f, gap_day, surge_day)).await;
    plan(&f).await;
    let p = f
        .app
        .store
        .programme_for("CTL1", None)
        .await
        .unwrap()
        .programme;
    // Three imports commit at once: every call returns once the first run is over (the
    // other two only asked for one more run, made apart, a spacing later).
    let t = std::time::Instant::now();
    tokio::join!(
        f.app.evaluate_after_import(p.id),
        f.app.evaluate_after_import(p.id),
        f.app.evaluate_after_import(p.id)
    );
    assert!(
        f.app.evaluating.lock().unwrap().contains_key(&p.id),
        "the run asked for is still to come"
    );
    let mut waited = 0;
    while !f.app.evaluating.lock().unwrap().is_empty() {
        assert!(waited < 500, "the run asked for never ended");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        waited += 1;
    }
    assert!(
        t.elapsed() >= std::time::Duration::from_millis(200),
        "the second run started a spacing after the first"
    );
    let alarms = f.app.alarms(&f.manager, "CTL1", true).await.unwrap();
    assert!(
        !alarms.is_empty(),
        "the evaluations raised the planted problems"
    );
    // Each problem once, however many runs there were.
    let mut kinds: Vec<_> = alarms
        .iter()
        .map(|a| (a.kind.clone(), a.period_start))
        .collect();
    let n = kinds.len();
    kinds.sort();
    kinds.dedup();
    assert_eq!(kinds.len(), n, "{alarms:?}");
}
