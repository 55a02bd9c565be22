//! The demo call history: 14 days of realistic inbound calls for `RET-TC-2026`, imported through
//! the real import pipeline so the Control page has figures on first start.

use rumbo_store::plan::NewPlanItem;
use rumbo_store::{Actor, StoreError};

use crate::plan::docs::{Doc, ObjectiveDoc, TargetDoc};
use crate::plan::PlanCx;

use crate::imports::{ImportRequest, Source};
use crate::{App, Error, Result};

impl App {
    /// Seeds 14 days of realistic inbound call history (ending yesterday) into `RET-TC-2026`
    /// through the real import pipeline, so the Control page has figures on first start; gives
    /// the programme its service targets and evaluates the demo programmes' alarms, so the
    /// cockpit shows problems (targets missed at the peak, overdue plan work) from the start.
    /// Does nothing if the programme is missing or already has import batches.
    pub async fn seed_demo_calls(&self) -> Result<bool> {
        let p = match self.store.programme_for("RET-TC-2026", None).await {
            Ok(p) => p.programme,
            Err(StoreError::NotFound) => return Ok(false),
            Err(e) => return Err(e.into()),
        };
        if !self.store.import_batches(p.id).await?.is_empty() {
            return Ok(false);
        }
        let tz = jiff::tz::TimeZone::get(&p.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
        let today = jiff::Timestamp::now().to_zoned(tz.clone()).date();
        let csv = demo_call_csv(today, &tz, 14, 2026);
        let dir = self.settings.data_dir.join("demo");
        std::fs::create_dir_all(&dir).map_err(Error::internal)?;
        let path = dir.join("demo-llamadas-retencion.csv");
        std::fs::write(&path, csv).map_err(Error::internal)?;
        let req = ImportRequest {
            programme_code: &p.code,
            path: &path,
            source: Source::Calls,
            mapping: None,
            mapping_name: None,
            actor: Actor::system("demo"),
            job: None,
        };
        let r = self.import_file(req, |_| {}).await;
        let _ = std::fs::remove_file(&path);
        r?;
        self.seed_demo_targets(&p).await?;
        // A newcomer sees the alarms of the demo data and plan on first start.
        for code in ["RET-TC-2026", "VIDA-2026"] {
            if let Ok(prog) = self.store.programme_for(code, None).await {
                self.evaluate_programme(&prog.programme, &Actor::system("demo"))
                    .await?;
            }
        }
        self.seed_demo_action(&p, today).await?;
        Ok(true)
    }

    /// A corrective action already done, with its what-if options and a finished
    /// effectiveness check: two more agents at the retention line's midday peak on the first
    /// day of the history, done the next day, judged on the same weekday a week later (the
    /// check runs as after any import, on the data the demo imported).
    async fn seed_demo_action(
        &self,
        p: &rumbo_store::programmes::Programme,
        today: jiff::civil::Date,
    ) -> Result<()> {
        let cx = PlanCx::system(p.clone())?;
        let Some(owner) = self.plan_check(&cx).await?.person_ids.first().copied() else {
            return Ok(());
        };
        let day = today
            .checked_sub(jiff::Span::new().days(14))
            .map_err(Error::internal)?;
        let done = day.tomorrow().map_err(Error::internal)?;
        let alarm_id = self
            .store
            .alarms(p.id, true)
            .await?
            .into_iter()
            .find(|a| a.kind == "target_breach")
            .map(|a| a.id);
        let option = |label: &str, n: u32| crate::control::OptionInput {
            label: label.into(),
            extra_agents: n,
            from: "11:00".into(),
            to: "13:00".into(),
        };
        let input = crate::control::ActionInput {
            alarm_id,
            cause: "Dotación corta en el peak de mediodía de la línea de retención".into(),
            action: "Reforzar el turno de 11:00 a 13:00".into(),
            owner_id: Some(owner),
            due_date: done.to_string(),
            priority: "high".into(),
            day: Some(day.to_string()),
            options: vec![option("+2", 2), option("+4", 4)],
        };
        let sys = Actor::system("demo");
        // The retention line's staffing plan (45 people), so options are judged technically
        // too: the peak's agents against the people not already on the phones.
        let monday = day
            .checked_sub(jiff::Span::new().days(i64::from(day.weekday().to_monday_zero_offset())))
            .map_err(Error::internal)?;
        let mut contacts = vec![0.0; 36];
        contacts.extend([58.0; 48]);
        contacts.extend([0.0; 12]);
        let volumes: Vec<serde_json::Value> = (0..7)
            .filter_map(|k| monday.checked_add(jiff::Span::new().days(k)).ok())
            .map(|d| serde_json::json!({ "date": d.to_string(), "contacts": contacts }))
            .collect();
        let body: crate::plan::docs::StaffingBody = serde_json::from_value(serde_json::json!({
            "interval_minutes": "15", "weekly_hours": "42", "starting_headcount": "45",
            "weekly_attrition": "0", "training_days": "10", "aht_s": 330.0,
            "service_level": 0.8, "answer_s": 20.0, "max_occupancy": 0.88, "shrinkage": 0.3,
            "volumes": volumes,
        }))
        .map_err(Error::internal)?;
        let staffing = crate::plan::compute::staffing_plan(body)?;
        self.store
            .upsert_plan_items(
                &sys,
                p.id,
                &[NewPlanItem {
                    kind: "staffing",
                    code: Some("staffing".into()),
                    data: staffing,
                }],
            )
            .await?;
        // And its agents' cost rate, so options show their cost and cost per point of SL.
        let rate: crate::plan::docs::CostRateDoc = serde_json::from_value(serde_json::json!({
            "role": "Ejecutivo de retención", "hourly_cost": "5200", "currency": "CLP",
            "employer_charges": "25"
        }))
        .map_err(Error::internal)?;
        let (_, data) = rate
            .check(&self.plan_check(&cx).await?)
            .map_err(Error::Invalid)?;
        self.store
            .create_plan_items(
                &sys,
                Some(p.id),
                &[NewPlanItem {
                    kind: crate::plan::docs::CostRateDoc::KIND,
                    code: None,
                    data,
                }],
            )
            .await?;
        let row = self.create_action_in(p, &sys, input).await?;
        let mut data = row.data.clone();
        data["status"] = serde_json::json!("done");
        data["done_on"] = serde_json::json!(done.to_string());
        self.store.update_action(&sys, p.id, row.id, &data).await?;
        self.recheck_actions(p, &sys).await?;
        Ok(())
    }

    /// The retention line's service targets, per interval: 80 % within 20 s (±5 points) and at
    /// most 5 % abandoned (±2 points). Its demo calls miss them at the midday peak.
    async fn seed_demo_targets(&self, p: &rumbo_store::programmes::Programme) -> Result<()> {
        let cx = PlanCx::system(p.clone())?;
        let check = self.plan_check(&cx).await?;
        let Some(owner) = check.person_ids.first().copied() else {
            return Ok(());
        };
        let objective = ObjectiveDoc {
            title: "Atender dentro del nivel de servicio contratado".into(),
            description: None,
            expected_results: vec!["NS 80/20 en cada intervalo".into()],
        };
        let (_, data) = objective.check(&check).map_err(Error::Invalid)?;
        let saved = self
            .store
            .create_plan_items(
                &Actor::system("demo"),
                Some(p.id),
                &[NewPlanItem {
                    kind: ObjectiveDoc::KIND,
                    code: None,
                    data,
                }],
            )
            .await?;
        let check = self.plan_check(&cx).await?;
        let start = p.start_date.to_string();
        let end = p.end_date.map(|d| d.to_string()).unwrap_or_default();
        let mut items = Vec::new();
        for (indicator, target, direction, tolerance) in [
            ("service_level", "80", "higher", "5"),
            ("abandon_rate", "5", "lower", "2"),
        ] {
            let doc: TargetDoc = serde_json::from_value(serde_json::json!({
                "objective_id": saved[0].id, "indicator": indicator, "target": target,
                "direction": direction, "tolerance": tolerance, "granularity": "interval",
                "period_start": start, "period_end": end, "owner_id": owner
            }))
            .map_err(Error::internal)?;
            let (code, data) = doc.check(&check).map_err(Error::Invalid)?;
            items.push(NewPlanItem {
                kind: TargetDoc::KIND,
                code,
                data,
            });
        }
        self.store
            .create_plan_items(&Actor::system("demo"), Some(p.id), &items)
            .await?;
        Ok(())
    }
}

/// A seeded standard call CSV: two queues, 09:00–21:00 local, a midday peak, weekends lighter,
/// waits growing with load and impatient callers abandoning.
pub fn demo_call_csv(
    today: jiff::civil::Date,
    tz: &jiff::tz::TimeZone,
    days: i64,
    seed: u64,
) -> String {
    use std::fmt::Write as _;
    let mut rng = rumbo_wfm::rng::Rng::seed_from_u64(seed);
    let mut out = String::from("call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome\n");
    let mut id = 0u64;
    for d in (1..=days).rev() {
        let Ok(day) = today.checked_sub(jiff::Span::new().days(d)) else {
            continue;
        };
        let weekend = matches!(
            day.weekday(),
            jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday
        );
        for (queue, base, aht) in [("retencion", 36.0, 330.0), ("consultas", 22.0, 210.0)] {
            for slot in 0..48 {
                // 15-minute slots from 09:00 to 21:00.
                let minutes = 9 * 60 + slot * 15;
                let Ok(start) = day
                    .at((minutes / 60) as i8, (minutes % 60) as i8, 0, 0)
                    .to_zoned(tz.clone())
                else {
                    continue;
                };
                let hour = f64::from(minutes) / 60.0;
                let shape = 0.55
                    + 0.9 * (-((hour - 12.5) / 2.2).powi(2)).exp()
                    + 0.35 * (-((hour - 17.5) / 1.5).powi(2)).exp();
                let mean = base * shape * if weekend { 0.45 } else { 1.0 };
                let n = rng.poisson(mean);
                let busy = (mean / base).min(1.6);
                for _ in 0..n {
                    id += 1;
                    let enter = start.timestamp().as_second() + (rng.uniform() * 900.0) as i64;
                    let wait = if rng.uniform() < 0.75 - 0.35 * (busy - 0.5) {
                        rng.exponential(4.0)
                    } else {
                        rng.exponential(25.0 + 40.0 * busy)
                    };
                    let patience = rng.exponential(240.0);
                    if patience < wait {
                        let _ = writeln!(
                            out,
                            "D{id},{queue},{enter},{:.0},0,0,abandoned",
                            patience.min(wait)
                        );
                    } else {
                        let talk = (aht * 0.8 * (0.35 + rng.exponential(0.65))).round();
                        let wrap = (aht * 0.2 * (0.5 + rng.uniform())).round();
                        let _ = writeln!(
                            out,
                            "D{id},{queue},{enter},{wait:.0},{talk},{wrap},answered"
                        );
                    }
                }
            }
        }
    }
    out
}
