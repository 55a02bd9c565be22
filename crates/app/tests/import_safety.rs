//! Imports that cannot hurt the figures: implausible values are line-numbered issues and the
//! good lines are kept; a file of many bad lines stores a bounded report with exact totals
//! and is marked as mostly not understood; a deleted batch takes its records, aggregates and
//! keys with it and is audited. Runs on SQLite, and on PostgreSQL with `DATABASE_URL`.

use std::path::Path;

use rumbo_app::imports::{ImportRequest, Source, ISSUES_PER_REASON};
use rumbo_app::{App, Settings};
use rumbo_domain::programme::{NewProgramme, ProgrammeInput};
use rumbo_domain::rut::Rut;
use rumbo_kpi::{Agg, KpiDefinition};
use rumbo_store::{testing::fresh_url, Actor, Store};

async fn programme(store: &Store) -> String {
    let sys = Actor::system("test");
    let client = store
        .create_client(&sys, "Banco Austral", Rut::parse("76.086.428-5").unwrap())
        .await
        .unwrap();
    let p = NewProgramme::try_from(ProgrammeInput {
        code: "BCO-SEG".into(),
        name: "Seguridad de importación".into(),
        client_id: Some(client.id),
        channels: vec!["voice_inbound".into()],
        start_date: "2026-01-01".into(),
        ..Default::default()
    })
    .unwrap();
    store.create_programme(&sys, &p).await.unwrap().code
}

fn request<'a>(code: &'a str, path: &'a Path, source: Source) -> ImportRequest<'a> {
    ImportRequest {
        programme_code: code,
        path,
        source,
        mapping: None,
        mapping_name: None,
        actor: Actor::system("test"),
        job: None,
    }
}

fn app(store: &Store, data: &Path) -> App {
    App::new(
        store.clone(),
        Settings {
            data_dir: data.to_path_buf(),
            ..Settings::default()
        },
    )
}

async fn totals(store: &Store, code: &str) -> (Agg, Vec<String>) {
    let prog = store.programme_for(code, None).await.unwrap().programme;
    let mut total = Agg::default();
    let mut queues = Vec::new();
    for r in store
        .kpi_aggregates(prog.id, KpiDefinition::standard().id(), None, None)
        .await
        .unwrap()
    {
        total.merge(&r.agg);
        if !queues.contains(&r.queue) {
            queues.push(r.queue.clone());
        }
    }
    (total, queues)
}

/// 2026-01-01 09:00 UTC: inside the programme's dates.
const T: i64 = 1_767_258_000;

#[tokio::test]
async fn implausible_values_in_a_call_csv_each_get_their_line_and_the_good_lines_are_imported() {
    let store = Store::open(&fresh_url().await.unwrap()).await.unwrap();
    let code = programme(&store).await;
    let data = tempfile::tempdir().unwrap();
    let file = data.path().join("llamadas.csv");
    let huge_queue = "q".repeat(10 << 20);
    let mut text = String::from("call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome\n");
    text.push_str(&format!("ok1,Ventas,{T},3,60,5,answered\n")); // line 2
    text.push_str(&format!("big,Ventas,{T},3,1e308,5,answered\n")); // line 3
    text.push_str("old,Ventas,-86400,3,60,5,answered\n"); // line 4: 1969
    text.push_str("far,Ventas,99999999999,3,60,5,answered\n"); // line 5: year 5138
    text.push_str(&format!("long,{huge_queue},{T},3,60,5,answered\n")); // line 6
    text.push_str(&format!("nul,Ven\0tas,{},3,60,5,answered\n", T + 60)); // line 7
    text.push_str(&format!("ok2,Ventas,{},4,0,0,abandoned\n", T + 120)); // line 8
    std::fs::write(&file, text).unwrap();
    let report = app(&store, data.path())
        .import_file(request(&code, &file, Source::Calls), |_| {})
        .await
        .unwrap();
    assert_eq!(report.imported, 3, "{report:?}");
    assert_eq!(report.rejected, 4);
    assert!(!report.mostly_not_understood);
    let issues = store.import_issues(report.batch_id, 0, 100).await.unwrap();
    let rejected: Vec<i64> = issues
        .iter()
        .filter(|i| i.severity == "rejected")
        .map(|i| i.line)
        .collect();
    assert_eq!(rejected, [3, 4, 5, 6]);
    assert!(issues
        .iter()
        .any(|i| i.line == 7 && i.kind == "text_cleaned"));
    assert!(issues.iter().all(|i| i.message.len() < 1000));
    let (agg, queues) = totals(&store, &code).await;
    assert_eq!(agg.offered, 3);
    assert_eq!(queues, ["Ventas"]);
    let b = store.import_batch(report.batch_id).await.unwrap();
    assert!(
        b.max_ts.unwrap() < T + 3600,
        "no year 5138 in the batch period"
    );
}

#[tokio::test]
async fn a_queue_log_with_a_1969_line_a_far_future_call_and_a_nul_in_a_queue_keeps_its_good_calls()
{
    let store = Store::open(&fresh_url().await.unwrap()).await.unwrap();
    let code = programme(&store).await;
    let data = tempfile::tempdir().unwrap();
    let file = data.path().join("queue_log");
    let lines = [
        format!("{T}|c1|ventas|NONE|ENTERQUEUE||+56987651234|1"),
        format!("{}|c1|ventas|SIP/1001|CONNECT|15|c1.2|3", T + 15),
        format!("{}|c1|ventas|SIP/1001|COMPLETECALLER|15|300|1", T + 315),
        format!("{}|c2|ven\0tas|NONE|ENTERQUEUE||+56911112222|1", T + 400),
        format!("{}|c2|ven\0tas|NONE|ABANDON|1|1|20", T + 420),
        "99999999999|c3|ventas|NONE|ENTERQUEUE||+56922223333|1".to_string(),
        "99999999999|c3|ventas|NONE|ABANDON|1|1|20".to_string(),
    ];
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let report = app(&store, data.path())
        .import_file(request(&code, &file, Source::QueueLog), |_| {})
        .await
        .unwrap();
    assert_eq!(report.imported, 2, "{report:?}");
    let issues = store.import_issues(report.batch_id, 0, 100).await.unwrap();
    assert!(
        issues
            .iter()
            .any(|i| i.line == 6 && i.severity == "rejected" && i.kind == "invalid_value"),
        "{issues:?}"
    );
    let (agg, queues) = totals(&store, &code).await;
    assert_eq!(agg.offered, 2);
    assert!(queues.iter().all(|q| !q.contains('\0')), "{queues:?}");
}

#[tokio::test]
async fn a_file_of_many_bad_lines_stores_the_first_of_each_reason_counts_all_and_is_marked() {
    let store = Store::open(&fresh_url().await.unwrap()).await.unwrap();
    let code = programme(&store).await;
    let data = tempfile::tempdir().unwrap();
    let file = data.path().join("basura.csv");
    let bad = 3 * ISSUES_PER_REASON;
    let mut text = String::from("call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome\n");
    text.push_str(&format!("ok1,Ventas,{T},3,60,5,answered\n"));
    for i in 0..bad {
        text.push_str(&format!("x{i},Ventas,no-es-fecha,3,60,5,answered\n"));
    }
    std::fs::write(&file, text).unwrap();
    let report = app(&store, data.path())
        .import_file(request(&code, &file, Source::Calls), |_| {})
        .await
        .unwrap();
    assert_eq!(report.imported, 1);
    assert_eq!(report.rejected, bad as u64);
    assert!(report.mostly_not_understood);
    let stored = store
        .import_issues(report.batch_id, 0, 1_000_000)
        .await
        .unwrap();
    assert_eq!(stored.len(), ISSUES_PER_REASON);
    assert_eq!(stored[0].line, 3);
    let totals = store.import_issue_totals(report.batch_id).await.unwrap();
    assert_eq!(totals.len(), 1);
    assert_eq!(totals[0].total, bad as i64);
    assert_eq!(totals[0].kept, ISSUES_PER_REASON as i64);
    let b = store.import_batch(report.batch_id).await.unwrap();
    assert!(b.mostly_not_understood());
    assert_eq!(b.rejected, bad as i64);
}

#[tokio::test]
async fn deleting_a_batch_removes_its_records_aggregates_and_keys_and_is_audited() {
    let store = Store::open(&fresh_url().await.unwrap()).await.unwrap();
    let code = programme(&store).await;
    let data = tempfile::tempdir().unwrap();
    let a = data.path().join("a.csv");
    let b = data.path().join("b.csv");
    let head = "call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome\n";
    std::fs::write(
        &a,
        format!(
            "{head}a1,Ventas,{T},3,60,5,answered\na2,Ventas,{},4,0,0,abandoned\n",
            T + 60
        ),
    )
    .unwrap();
    std::fs::write(&b, format!("{head}b1,Ventas,{},3,90,5,answered\n", T + 900)).unwrap();
    let app = app(&store, data.path());
    let ra = app
        .import_file(request(&code, &a, Source::Calls), |_| {})
        .await
        .unwrap();
    app.import_file(request(&code, &b, Source::Calls), |_| {})
        .await
        .unwrap();
    assert_eq!(totals(&store, &code).await.0.offered, 3);
    let raw_before = store.import_batch(ra.batch_id).await.unwrap().data_path;
    let deleted = app
        .delete_import_batch_as_operator(&code, ra.batch_id)
        .await
        .unwrap();
    assert_eq!(deleted.id, ra.batch_id);
    assert_eq!(totals(&store, &code).await.0.offered, 1);
    assert!(store.import_batch(ra.batch_id).await.is_err());
    if let Some(rel) = raw_before {
        assert!(!data.path().join(rel).exists(), "raw file removed");
    }
    let prog = store.programme_for(&code, None).await.unwrap().programme;
    let audit = store.audit_for_programme(prog.id, 10).await.unwrap();
    assert!(audit.iter().any(|e| e.entity == "import_batch"
        && e.action == "delete"
        && e.entity_id == ra.batch_id.to_string()));
    // The keys went with the batch: the same file imports again in full.
    let again = app
        .import_file(request(&code, &a, Source::Calls), |_| {})
        .await
        .unwrap();
    assert_eq!((again.imported, again.duplicates), (2, 0));
    assert_eq!(totals(&store, &code).await.0.offered, 3);
    assert!(matches!(
        app.delete_import_batch_as_operator(&code, 999_999).await,
        Err(rumbo_app::Error::NotFound)
    ));
}
