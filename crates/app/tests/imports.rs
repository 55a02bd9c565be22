//! Importing into the store: re-import adds nothing; a `kill -9` during a 1M-call import
//! leaves no batch, and importing again gives exact totals.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use rumbo_domain::programme::{NewProgramme, ProgrammeInput};
use rumbo_domain::rut::Rut;
use rumbo_ingest::import::{import_file, ImportRequest, Source};
use rumbo_ingest::mapping::{Mapping, RecordKind};
use rumbo_kpi::{Agg, KpiDefinition};
use rumbo_store::{testing::fresh_url, Actor, Store};

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/queue_log_sample.log"
);

async fn programme(store: &Store) -> String {
    let sys = Actor::system("test");
    let client = store
        .create_client(&sys, "Banco Austral", Rut::parse("76.086.428-5").unwrap())
        .await
        .unwrap();
    let p = NewProgramme::try_from(ProgrammeInput {
        code: "BCO-SAC".into(),
        name: "Servicio al cliente".into(),
        client_id: Some(client.id),
        channels: vec!["voice_inbound".into()],
        start_date: "2026-01-01".into(),
        ..Default::default()
    })
    .unwrap();
    store.create_programme(&sys, &p).await.unwrap().code
}

fn request<'a>(code: &'a str, path: &'a Path, source: Source, data: &'a Path) -> ImportRequest<'a> {
    ImportRequest {
        programme_code: code,
        path,
        source,
        mapping: None,
        mapping_name: None,
        data_dir: data,
        secret: b"installation-secret",
        actor: Actor::system("test"),
    }
}

async fn totals(store: &Store, code: &str) -> Agg {
    let prog = store.programme_for(code, None).await.unwrap().programme;
    let mut total = Agg::default();
    for r in store
        .kpi_aggregates(prog.id, KpiDefinition::standard().id(), None, None)
        .await
        .unwrap()
    {
        total.merge(&r.agg);
    }
    total
}

#[tokio::test]
async fn reimporting_the_same_queue_log_adds_nothing() {
    let store = Store::open(&fresh_url().await.unwrap()).await.unwrap();
    let code = programme(&store).await;
    let data = tempfile::tempdir().unwrap();
    let first = import_file(
        &store,
        request(&code, Path::new(SAMPLE), Source::QueueLog, data.path()),
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(first.imported, 10 + 3); // ten calls and three agent sessions
    assert_eq!(first.rejected, 4);
    assert_eq!(first.duplicates, 0);
    let t1 = totals(&store, &code).await;
    assert_eq!((t1.offered, t1.answered, t1.abandoned), (10, 6, 4));
    // FCR: ten identified callers' calls; c3's caller called again within 24 h (c4).
    assert_eq!((t1.fcr_contacts, t1.fcr_repeats), (10, 1));
    assert!(t1.staffed.to_f64() > 0.0);

    let again = import_file(
        &store,
        request(&code, Path::new(SAMPLE), Source::QueueLog, data.path()),
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(again.imported, 0);
    assert_eq!(again.duplicates, 13);
    assert_eq!(again.file_hash, first.file_hash);
    assert_eq!(totals(&store, &code).await, t1);

    let prog = store.programme_for(&code, None).await.unwrap().programme;
    let batches = store.import_batches(prog.id).await.unwrap();
    assert_eq!(batches.len(), 2);
    let issues = store.import_issues(first.batch_id, 0, 100).await.unwrap();
    let lines: Vec<i64> = issues
        .iter()
        .filter(|i| i.severity == "rejected")
        .map(|i| i.line)
        .collect();
    assert_eq!(lines, vec![43, 44, 45, 52]);
}

#[tokio::test]
async fn an_overlapping_survey_file_only_adds_new_answers() {
    let store = Store::open(&fresh_url().await.unwrap()).await.unwrap();
    let code = programme(&store).await;
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.csv");
    let b = dir.path().join("b.csv");
    std::fs::write(
        &a,
        "survey_id,ts,queue,csat,nps\ns1,1767225600,Q1,5,10\ns2,1767225700,Q1,2,3\n",
    )
    .unwrap();
    std::fs::write(
        &b,
        "survey_id,ts,queue,csat,nps\ns2,1767225700,Q1,2,3\ns3,1767225800,Q1,4,9\n",
    )
    .unwrap();
    let mut req = request(&code, &a, Source::Survey, dir.path());
    req.mapping = Some(Mapping::identity(RecordKind::Survey));
    assert_eq!(import_file(&store, req, |_| {}).await.unwrap().imported, 2);
    let mut req = request(&code, &b, Source::Survey, dir.path());
    req.mapping = Some(Mapping::identity(RecordKind::Survey));
    let r = import_file(&store, req, |_| {}).await.unwrap();
    assert_eq!((r.imported, r.duplicates), (1, 1));
    let t = totals(&store, &code).await;
    assert_eq!(
        (
            t.csat_answers,
            t.csat_top,
            t.nps_promoters,
            t.nps_detractors
        ),
        (3, 2, 2, 1)
    );
}

const ROWS: u64 = 1_000_000;

fn generate(path: &Path) -> (u64, u64) {
    use std::io::Write;
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(w, "call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome").unwrap();
    let mut answered = 0;
    let mut x: u64 = 12345;
    for i in 0..ROWS {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let ab = (x >> 33).is_multiple_of(8);
        answered += u64::from(!ab);
        let wait = (x >> 40) % 90;
        writeln!(
            w,
            "c{i},Q{:02},{},{}.{},{},{},{}",
            (x >> 20) % 10,
            1_767_225_600 + i * 2,
            wait,
            (x >> 12) % 10,
            if ab { 0 } else { 60 + (x >> 24) % 600 },
            if ab { 0 } else { (x >> 28) % 60 },
            if ab { "abandoned" } else { "answered" }
        )
        .unwrap();
    }
    (ROWS, answered)
}

fn dir_bytes(dir: &Path) -> u64 {
    walk(dir)
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_a_1m_call_import_then_reimport_gives_exact_totals() {
    // Child mode: this same test, re-run by the parent, performs the import.
    if let Ok(url) = std::env::var("RUMBO_IMPORT_CHILD_DB") {
        let file = PathBuf::from(std::env::var("RUMBO_IMPORT_CHILD_FILE").unwrap());
        let data = PathBuf::from(std::env::var("RUMBO_IMPORT_CHILD_DATA").unwrap());
        let store = Store::open(&url).await.unwrap();
        import_file(
            &store,
            request("BCO-SAC", &file, Source::Calls, &data),
            |_| {},
        )
        .await
        .unwrap();
        return;
    }
    let url = fresh_url().await.unwrap();
    let store = Store::open(&url).await.unwrap();
    let code = programme(&store).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("calls.csv");
    let data = dir.path().join("data");
    let (rows, answered) = generate(&file);

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "kill_9_during_a_1m_call_import_then_reimport_gives_exact_totals",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("RUMBO_IMPORT_CHILD_DB", &url)
        .env("RUMBO_IMPORT_CHILD_FILE", &file)
        .env("RUMBO_IMPORT_CHILD_DATA", &data)
        .spawn()
        .unwrap();
    // Kill once the child is well into writing its batch file.
    let start = Instant::now();
    let mut killed = false;
    while start.elapsed() < Duration::from_secs(300) {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        if dir_bytes(&data) > 8 << 20 {
            child.kill().unwrap(); // SIGKILL on Unix
            killed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let _ = child.wait();
    assert!(killed, "the child finished before it could be killed");
    let prog = store.programme_for(&code, None).await.unwrap().programme;
    assert!(
        store.import_batches(prog.id).await.unwrap().is_empty(),
        "a killed import left a batch"
    );
    assert_eq!(totals(&store, &code).await, Agg::default());

    let r = import_file(&store, request(&code, &file, Source::Calls, &data), |_| {})
        .await
        .unwrap();
    assert_eq!((r.imported, r.duplicates, r.rejected), (rows, 0, 0));
    let t = totals(&store, &code).await;
    assert_eq!(
        (t.offered, t.answered, t.abandoned),
        (rows, answered, rows - answered)
    );

    let again = import_file(&store, request(&code, &file, Source::Calls, &data), |_| {})
        .await
        .unwrap();
    assert_eq!((again.imported, again.duplicates), (0, rows));
    assert_eq!(totals(&store, &code).await, t);
}

#[tokio::test]
async fn stored_kpis_merge_batches_and_recompute_another_definition_from_retained_records() {
    use rumbo_ingest::report::{programme_kpis, KpiQuery};
    use rumbo_kpi::{Granularity, Registry};
    let store = Store::open(&fresh_url().await.unwrap()).await.unwrap();
    let code = programme(&store).await;
    let data = tempfile::tempdir().unwrap();
    let r = import_file(
        &store,
        request(&code, Path::new(SAMPLE), Source::QueueLog, data.path()),
        |_| {},
    )
    .await
    .unwrap();
    let reg = Registry::builtin();
    let sl_of = |k: &rumbo_ingest::report::ProgrammeKpis, q: &str| {
        let rows = k.aggregation.sorted_rows();
        let (_, a) = rows
            .iter()
            .find(|((queue, _), _)| queue == q)
            .copied()
            .unwrap();
        a.figures(k.aggregation.definition()).sl
    };
    let query = |def| KpiQuery {
        programme_code: &code,
        definition: def,
        granularity: Granularity::Day,
        from: None,
        to: None,
    };
    let std = programme_kpis(&store, query(reg.resolve("rumbo-standard").unwrap()))
        .await
        .unwrap();
    assert_eq!(sl_of(&std, "ventas"), Some(3.0 / 5.0));
    assert!(std.batches.values().all(|b| b.contains(&r.batch_id)));
    // The offered-denominator definition has no stored aggregates yet: recomputed on demand.
    let offered = programme_kpis(&store, query(reg.resolve("offered-sl").unwrap()))
        .await
        .unwrap();
    assert_eq!(sl_of(&offered, "ventas"), Some(3.0 / 6.0));
    // Agent time is carried over to the new definition's programme-level row.
    let staffed = |k: &rumbo_ingest::report::ProgrammeKpis| -> f64 {
        k.aggregation
            .sorted_rows()
            .iter()
            .filter(|((q, _), _)| q.is_empty())
            .map(|(_, a)| a.staffed.to_f64())
            .sum()
    };
    assert_eq!(staffed(&offered), staffed(&std));
    assert!(staffed(&std) > 0.0);
}
