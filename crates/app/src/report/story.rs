//! Reports from stored data, end to end in the use cases: two weeks of demo calls imported
//! through the real pipeline; the KPI report in PDF, XLSX and CSV holds the figures the stored
//! aggregates give; client viewers get the client report only; and a weekly schedule mails the
//! KPI PDF to an SMTP sink through the job worker and records the distribution.

use std::collections::BTreeMap;
use std::time::Duration;

use rumbo_domain::access::Role;
use rumbo_domain::programme::{NewProgramme, ProgrammeInput};
use rumbo_domain::rut::Rut;
use rumbo_kpi::{Agg, Granularity};
use rumbo_store::users::NewUser;
use rumbo_store::Actor;

use super::build::{Kind, Request};
use super::distribute::ScheduleInput;
use super::tests::{pdf_text, xlsx_cell, xlsx_parts};
use super::{Format, Lang};
use crate::imports::{ImportRequest, Source};
use crate::kpis::KpiQuery;
use crate::{App, Error, Principal, Settings};

struct Fixture {
    app: App,
    manager: Principal,
    viewer: Principal,
    data: tempfile::TempDir,
}

async fn user(app: &App, email: &str, role: Role, client_id: Option<i64>) -> Principal {
    let u = app
        .store()
        .create_user(
            &Actor::system("test"),
            NewUser {
                email,
                name: email,
                password_hash: "x",
                role,
                client_id,
                lang: "es",
            },
        )
        .await
        .unwrap();
    Principal {
        user_id: u.id,
        email: u.email,
        role,
        client_id,
    }
}

async fn fixture(settings: impl FnOnce(&std::path::Path) -> Settings) -> Fixture {
    let store = rumbo_store::testing::fresh_store().await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let app = App::new(store, settings(data.path()));
    let sys = Actor::system("test");
    let client = app
        .store()
        .create_client(&sys, "Banco", Rut::parse("76.086.428-5").unwrap())
        .await
        .unwrap();
    let manager = user(&app, "jefa@x.cl", Role::Manager, None).await;
    let viewer = user(
        &app,
        "cliente@banco.cl",
        Role::ClientViewer,
        Some(client.id),
    )
    .await;
    let tz = jiff::tz::TimeZone::get("America/Santiago").unwrap();
    let today = jiff::Timestamp::now().to_zoned(tz.clone()).date();
    let p = NewProgramme::try_from(ProgrammeInput {
        code: "RPT1".into(),
        name: "Retención".into(),
        client_id: Some(client.id),
        channels: vec!["voice_inbound".into()],
        start_date: today
            .checked_sub(jiff::Span::new().days(40))
            .unwrap()
            .to_string(),
        status: Some("running".into()),
        ..Default::default()
    })
    .unwrap();
    app.store()
        .create_programme(&manager.actor(), &p)
        .await
        .unwrap();
    let csv = crate::demo::demo_call_csv(today, &tz, 14, 7);
    let path = data.path().join("calls.csv");
    std::fs::write(&path, csv).unwrap();
    app.import_file(
        ImportRequest {
            programme_code: "RPT1",
            path: &path,
            source: Source::Calls,
            mapping: None,
            mapping_name: None,
            actor: manager.actor(),
            job: None,
        },
        |_| {},
    )
    .await
    .unwrap();
    Fixture {
        app,
        manager,
        viewer,
        data,
    }
}

fn es_int(v: u64) -> String {
    super::text::int(v as i64, Lang::Es)
}

#[tokio::test]
async fn the_kpi_report_holds_the_stored_figures_in_every_format_and_language() {
    let f = fixture(|d| Settings {
        data_dir: d.to_path_buf(),
        ..Settings::default()
    })
    .await;
    // The figures over all queues, each call once, straight from the aggregates.
    let def = super::build::report_definition();
    let k = f
        .app
        .programme_kpis(KpiQuery {
            programme_code: "RPT1",
            definition: &def,
            granularity: Granularity::Day,
            from: None,
            to: None,
        })
        .await
        .unwrap();
    let mut total = Agg::default();
    for (_, a) in k.aggregation.sorted_rows() {
        total.merge(&a.calls_view());
    }
    assert!(total.offered > 1000, "{}", total.offered);
    let sl = total.figures(&def).sl.unwrap() * 100.0;

    let req = |format, lang| Request {
        kind: Kind::Kpi,
        from: None,
        to: None,
        format,
        lang,
    };
    let pdf = f
        .app
        .report(&f.manager, "RPT1", &req(Format::Pdf, Lang::Es))
        .await
        .unwrap();
    assert!(pdf.file_name.starts_with("RPT1-kpi-") && pdf.file_name.ends_with(".pdf"));
    assert_eq!(pdf.sha256, super::sha256_hex(&pdf.bytes));
    if let Some(text) = pdf_text(&pdf.bytes) {
        assert!(
            text.contains(&es_int(total.offered)),
            "offered {}",
            total.offered
        );
        assert!(text.contains(&es_int(total.answered)));
        assert!(text.contains(&format!("{} %", super::text::number(sl, 1, Lang::Es))));
        assert!(
            text.contains("consultas") && text.contains("retencion"),
            "per queue"
        );
    }
    let en = f
        .app
        .report(&f.manager, "RPT1", &req(Format::Pdf, Lang::En))
        .await
        .unwrap();
    if let Some(text) = pdf_text(&en.bytes) {
        assert!(text.contains(&super::text::int(total.offered as i64, Lang::En)));
        assert!(text.contains(&format!("{} %", super::text::number(sl, 1, Lang::En))));
    }
    let xlsx = f
        .app
        .report(&f.manager, "RPT1", &req(Format::Xlsx, Lang::Es))
        .await
        .unwrap();
    let parts = xlsx_parts(&xlsx.bytes);
    let summary = &parts["xl/worksheets/sheet1.xml"];
    // Title, subtitle, BPO, generated, blank, heading, paragraph, then the figures.
    assert_eq!(
        xlsx_cell(summary, "B8"),
        Some((total.offered.to_string(), true))
    );
    let (v, numeric) = xlsx_cell(summary, "B12").unwrap();
    assert!(
        numeric && (v.parse::<f64>().unwrap() * 100.0 - sl).abs() < 1e-9,
        "{v}"
    );
    assert!(parts.contains_key("xl/charts/chart1.xml"));
    let csv = f
        .app
        .report(&f.manager, "RPT1", &req(Format::Csv, Lang::En))
        .await
        .unwrap();
    let csv = String::from_utf8(csv.bytes).unwrap();
    assert!(!csv.contains('\r'));
    assert!(
        csv.contains(&format!("report.kpi.offered,{}\n", total.offered)),
        "{csv}"
    );
    assert!(csv.contains(&format!("report.kpi.sl,{sl:.1}\n")));
}

#[tokio::test]
async fn client_viewers_get_the_client_report_only_and_unbuilt_reports_say_so() {
    let f = fixture(|d| Settings {
        data_dir: d.to_path_buf(),
        ..Settings::default()
    })
    .await;
    let req = |kind| Request {
        kind,
        from: None,
        to: None,
        format: Format::Csv,
        lang: Lang::Es,
    };
    for kind in [Kind::Kpi, Kind::Status, Kind::Actions] {
        assert!(matches!(
            f.app.report(&f.viewer, "RPT1", &req(kind)).await,
            Err(Error::Forbidden)
        ));
    }
    let client = f
        .app
        .report(&f.viewer, "RPT1", &req(Kind::Client))
        .await
        .unwrap();
    let csv = String::from_utf8(client.bytes).unwrap();
    assert!(csv.contains("report.kpi.offered"));
    assert!(!csv.contains("report.section.budget") && !csv.contains("report.table.queues"));
    for kind in [Kind::Status, Kind::Actions] {
        assert!(
            f.app.report(&f.manager, "RPT1", &req(kind)).await.is_ok(),
            "{kind:?}"
        );
    }
    for kind in [Kind::Closeout, Kind::Lessons] {
        assert!(
            f.app.report(&f.manager, "RPT1", &req(kind)).await.is_ok(),
            "{kind:?}"
        );
    }
}

#[tokio::test]
async fn a_weekly_schedule_mails_the_kpi_pdf_through_the_job_queue_and_records_it() {
    let (port, mut mails) = crate::control::smtp_sink_for_tests().await;
    let f = fixture(|d| Settings {
        data_dir: d.to_path_buf(),
        jobs: crate::jobs::JobSettings {
            poll: Duration::from_millis(20),
            ..Default::default()
        },
        smtp: Some(crate::notify::SmtpSettings {
            host: "127.0.0.1".into(),
            port,
            from: "rumbo@bpo.cl".into(),
            texts: BTreeMap::new(),
            ..Default::default()
        }),
        ..Settings::default()
    })
    .await;
    let input = ScheduleInput {
        kind: "kpi".into(),
        format: "pdf".into(),
        lang: "es".into(),
        frequency: "weekly".into(),
        areas: "finanzas@bpo.cl".into(),
        people: "jefa@x.cl".into(),
        ..ScheduleInput::default()
    };
    assert!(matches!(
        f.app
            .create_report_schedule(&f.viewer, "RPT1", &input)
            .await,
        Err(Error::Forbidden)
    ));
    let s = f
        .app
        .create_report_schedule(&f.manager, "RPT1", &input)
        .await
        .unwrap();
    assert!(s.schedule.next_run > rumbo_store::now());
    // Make it due, as if next Monday morning had come.
    let now = rumbo_store::now();
    assert!(f
        .app
        .store()
        .advance_report_schedule(s.schedule.id, s.schedule.next_run, now - 60)
        .await
        .unwrap());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let worker = {
        let app = f.app.clone();
        tokio::spawn(async move {
            app.run_job_worker(async {
                let _ = stop_rx.await;
            })
            .await
        })
    };
    let (rcpts, message) = tokio::time::timeout(Duration::from_secs(60), mails.recv())
        .await
        .expect("a mail within a minute")
        .unwrap();
    let _ = stop_tx.send(());
    worker.await.unwrap();
    assert_eq!(
        rcpts,
        vec!["finanzas@bpo.cl".to_string(), "jefa@x.cl".to_string()]
    );
    assert!(
        message.contains("Content-Type: application/pdf"),
        "{message}"
    );
    let b64: String = message
        .split("Content-Disposition: attachment")
        .nth(1)
        .unwrap()
        .split("\r\n\r\n")
        .nth(1)
        .unwrap()
        .split("--")
        .next()
        .unwrap()
        .replace("\r\n", "");
    let pdf = super::base64_decode(&b64).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    // The record names the report, its version and hash, who got it, and keeps the copy.
    let mut list = Vec::new();
    for _ in 0..100 {
        list = f.app.distributions(&f.manager, "RPT1").await.unwrap();
        if !list.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(list.len(), 1);
    let d = &list[0];
    assert_eq!(
        (d.kind.as_str(), d.version, d.status.as_str()),
        ("kpi", 1, "delivered")
    );
    assert_eq!(d.sha256, super::sha256_hex(&pdf));
    assert!(d.recipients.contains("finanzas@bpo.cl"));
    let (_, copy) = f
        .app
        .distribution_file(&f.manager, "RPT1", d.id)
        .await
        .unwrap();
    assert_eq!(copy, pdf);
    // The KPI report is internal: the client viewer does not see it.
    assert!(f
        .app
        .distributions(&f.viewer, "RPT1")
        .await
        .unwrap()
        .is_empty());
    assert!(matches!(
        f.app.distribution_file(&f.viewer, "RPT1", d.id).await,
        Err(Error::NotFound)
    ));
    // The schedule moved to a later Monday.
    let after = f.app.report_schedules(&f.manager, "RPT1").await.unwrap();
    assert!(after[0].schedule.next_run > now);
    drop(f.data);
}
