//! Importing into the store: re-import adds nothing; a `kill -9` during a 1M-call import
//! leaves no batch, and importing again gives exact totals; concurrent imports of one file
//! store each call once; the drill-down reads only the raw segments of its interval.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use rumbo_app::imports::{ImportRequest, Source};
use rumbo_app::{App, Settings};
use rumbo_domain::programme::{NewProgramme, ProgrammeInput};
use rumbo_domain::rut::Rut;
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

/// Programme totals: every queue's rows merged, each call counted once (its call tally).
async fn totals(store: &Store, code: &str) -> Agg {
    let prog = store.programme_for(code, None).await.unwrap().programme;
    let mut total = Agg::default();
    for r in store
        .kpi_aggregates(prog.id, KpiDefinition::standard().id(), None, None)
        .await
        .unwrap()
    {
        total.merge(&r.agg.calls_view());
    }
    total
}

#[tokio::test]
async fn reimporting_the_same_queue_log_adds_nothing() {
    let store = Store::open(&fresh_url().await.unwrap()).await.unwrap();
    let code = programme(&store).await;
    let data = tempfile::tempdir().unwrap();
    let first = app(&store, data.path())
        .import_file(request(&code, Path::new(SAMPLE), Source::QueueLog), |_| {})
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

    let again = app(&store, data.path())
        .import_file(request(&code, Path::new(SAMPLE), Source::QueueLog), |_| {})
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
    let app = app(&store, dir.path());
    let mut req = request(&code, &a, Source::Survey);
    req.mapping = Some(Mapping::identity(RecordKind::Survey));
    assert_eq!(app.import_file(req, |_| {}).await.unwrap().imported, 2);
    let mut req = request(&code, &b, Source::Survey);
    req.mapping = Some(Mapping::identity(RecordKind::Survey));
    let r = app.import_file(req, |_| {}).await.unwrap();
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
    generate_rows(path, ROWS)
}

/// `rows` calls two seconds apart from 2026-01-01 00:00 UTC over ten queues; returns the
/// number of rows and of answered calls.
fn generate_rows(path: &Path, rows: u64) -> (u64, u64) {
    use std::io::Write;
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(w, "call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome").unwrap();
    let mut answered = 0;
    let mut x: u64 = 12345;
    for i in 0..rows {
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
    (rows, answered)
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
        app(&store, &data)
            .import_file(request("BCO-SAC", &file, Source::Calls), |_| {})
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

    let r = app(&store, &data)
        .import_file(request(&code, &file, Source::Calls), |_| {})
        .await
        .unwrap();
    assert_eq!((r.imported, r.duplicates, r.rejected), (rows, 0, 0));
    let t = totals(&store, &code).await;
    assert_eq!(
        (t.offered, t.answered, t.abandoned),
        (rows, answered, rows - answered)
    );

    let again = app(&store, &data)
        .import_file(request(&code, &file, Source::Calls), |_| {})
        .await
        .unwrap();
    assert_eq!((again.imported, again.duplicates), (0, rows));
    assert_eq!(totals(&store, &code).await, t);
}

#[tokio::test]
async fn stored_kpis_merge_batches_and_recompute_another_definition_from_retained_records() {
    use rumbo_app::kpis::{KpiQuery, ProgrammeKpis};
    use rumbo_kpi::{Granularity, Registry};
    let store = Store::open(&fresh_url().await.unwrap()).await.unwrap();
    let code = programme(&store).await;
    let data = tempfile::tempdir().unwrap();
    let r = app(&store, data.path())
        .import_file(request(&code, Path::new(SAMPLE), Source::QueueLog), |_| {})
        .await
        .unwrap();
    let reg = Registry::builtin();
    let sl_of = |k: &ProgrammeKpis, q: &str| {
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
    let std = app(&store, data.path())
        .programme_kpis(query(reg.resolve("rumbo-standard").unwrap()))
        .await
        .unwrap();
    // ventas: c1 (15 s), c2 (30 s), c9 (10 s), c10 (4 s) answered, c3 (3 s, short) and c4
    // (40 s) abandoned, and the first stints of c5 (timed out after 60 s) and c6 (answered
    // after 5 s, then transferred to soporte).
    assert_eq!(sl_of(&std, "ventas"), Some(4.0 / 7.0));
    assert!(std.batches.values().all(|b| b.contains(&r.batch_id)));
    // The offered-denominator definition has no stored aggregates yet: recomputed on demand.
    let offered = app(&store, data.path())
        .programme_kpis(query(reg.resolve("offered-sl").unwrap()))
        .await
        .unwrap();
    assert_eq!(sl_of(&offered, "ventas"), Some(4.0 / 8.0));
    // Agent time is carried over to the new definition's programme-level row.
    let staffed = |k: &ProgrammeKpis| -> f64 {
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

/// Every raw call record retained for a programme, counted through the store's seam.
async fn retained_records(store: &Store, data: &Path, code: &str) -> u64 {
    let prog = store.programme_for(code, None).await.unwrap().programme;
    let mut n = 0;
    for b in store.import_batches(prog.id).await.unwrap() {
        if let Some(r) = store.raw_batch(data, b.id).await.unwrap() {
            n += r.bytes.iter().filter(|&&c| c == b'\n').count() as u64;
        }
    }
    n
}

async fn stored_keys(store: &Store, code: &str) -> u64 {
    let prog = store.programme_for(code, None).await.unwrap().programme;
    let mut n = 0;
    for b in store.import_batches(prog.id).await.unwrap() {
        n += store.for_each_batch_key(b.id, |_| {}).await.unwrap();
    }
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_cli_and_three_web_imports_of_one_file_at_the_same_time_store_each_call_once() {
    let url = fresh_url().await.unwrap();
    let store = Store::open(&url).await.unwrap();
    let code = programme(&store).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("calls.csv");
    let data = dir.path().join("data");
    let (rows, answered) = generate_rows(&file, 40_000);
    let start = std::sync::Arc::new(std::sync::Barrier::new(5));
    // Two command-line imports: separate threads, runtimes and connection pools, as two
    // `rumbo import` processes would have.
    let cli: Vec<_> = (0..2)
        .map(|_| {
            let (url, file, data, code, start) = (
                url.clone(),
                file.clone(),
                data.clone(),
                code.clone(),
                start.clone(),
            );
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    let store = Store::open(&url).await.unwrap();
                    start.wait();
                    app(&store, &data)
                        .import_file(request(&code, &file, Source::Calls), |_| {})
                        .await
                        .unwrap()
                })
            })
        })
        .collect();
    // Three web uploads: tasks of one server sharing its store.
    let web_app = app(&store, &data);
    let web: Vec<_> = (0..3)
        .map(|_| {
            let (app, file, code, start) =
                (web_app.clone(), file.clone(), code.clone(), start.clone());
            tokio::spawn(async move {
                tokio::task::block_in_place(|| start.wait());
                app.import_file(request(&code, &file, Source::Calls), |_| {})
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut reports = Vec::new();
    for h in web {
        reports.push(h.await.unwrap());
    }
    for h in cli {
        reports.push(h.join().unwrap());
    }
    let mut imported: Vec<u64> = reports.iter().map(|r| r.imported).collect();
    imported.sort_unstable();
    assert_eq!(imported, vec![0, 0, 0, 0, rows], "{reports:?}");
    for r in &reports {
        assert_eq!(r.imported + r.duplicates, rows, "{r:?}");
    }
    let t = totals(&store, &code).await;
    assert_eq!(
        (t.offered, t.answered, t.abandoned),
        (rows, answered, rows - answered)
    );
    assert_eq!(stored_keys(&store, &code).await, rows);
    assert_eq!(retained_records(&store, &data, &code).await, rows);
}

fn write_calls(path: &Path, rows: &[(String, &str, i64, f64, f64)]) {
    use std::io::Write;
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(w, "call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome").unwrap();
    for (id, q, ts, wait, talk) in rows {
        let outcome = if *talk > 0.0 { "answered" } else { "abandoned" };
        writeln!(w, "{id},{q},{ts},{wait},{talk},5,{outcome}").unwrap();
    }
}

#[tokio::test]
async fn the_calls_behind_a_figure_come_from_the_index_without_reading_other_batches() {
    use rumbo_app::kpis::{CallsQuery, KpiQuery};
    use rumbo_kpi::{Granularity, KpiDefinition};
    let store = Store::open(&fresh_url().await.unwrap()).await.unwrap();
    let code = programme(&store).await;
    let dir = tempfile::tempdir().unwrap();
    let app = app(&store, dir.path());
    let day1 = 1_767_268_800; // 2026-01-01 09:00 in Santiago
    let calls: Vec<_> = (0..1_500i64)
        .map(|i| {
            let wait = ((i * 37) % 700) as f64;
            let talk = if i % 9 == 0 {
                0.0
            } else {
                30.0 + (i % 400) as f64
            };
            (
                format!("a{i}"),
                ["Q1", "Q2"][(i % 2) as usize],
                day1 + i * 29,
                wait,
                talk,
            )
        })
        .collect();
    let a = dir.path().join("a.csv");
    write_calls(&a, &calls);
    let later: Vec<_> = (0..500i64)
        .map(|i| (format!("b{i}"), "Q1", day1 + 9 * 86_400 + i * 60, 3.0, 60.0))
        .collect();
    let b = dir.path().join("b.csv");
    write_calls(&b, &later);
    app.import_file(request(&code, &a, Source::Calls), |_| {})
        .await
        .unwrap();
    let other = app
        .import_file(request(&code, &b, Source::Calls), |_| {})
        .await
        .unwrap();
    let mut by_answer = KpiDefinition::named("by-answer").unwrap();
    by_answer.attribution = rumbo_kpi::Attribution::Answer;
    let standard = KpiDefinition::standard();
    let mut figures = Vec::new();
    for (def, g) in [
        (&standard, Granularity::Minutes(15)),
        (&standard, Granularity::Minutes(60)),
        (&by_answer, Granularity::Minutes(15)),
    ] {
        let k = app
            .programme_kpis(KpiQuery {
                programme_code: &code,
                definition: def,
                granularity: g,
                from: None,
                to: Some("2026-01-02".parse().unwrap()),
            })
            .await
            .unwrap();
        for ((queue, start), agg) in k.aggregation.sorted_rows() {
            figures.push((def.clone(), g, queue.clone(), *start, *agg));
        }
    }
    // The other batch's records become unreadable: drilling into its day fails, so any
    // drill-down below that read them would fail too.
    rumbo_store::testing::break_raw_records(&store, other.batch_id)
        .await
        .unwrap();
    let p = store.programme_for(&code, None).await.unwrap().programme;
    let broken = app
        .calls_behind(
            &p,
            CallsQuery {
                queue: "Q1",
                start: later[0].2 - later[0].2 % 900,
                granularity: Granularity::Minutes(15),
                definition: &standard,
            },
        )
        .await;
    assert!(broken.is_err(), "the broken batch is read when asked for");
    assert!(figures.len() > 100);
    let mut seen = 0;
    for (def, g, queue, start, agg) in &figures {
        let d = app
            .calls_behind(
                &p,
                CallsQuery {
                    queue,
                    start: *start,
                    granularity: *g,
                    definition: def,
                },
            )
            .await
            .unwrap();
        assert_eq!(
            (d.total as u64, d.answered as u64, d.abandoned as u64),
            (agg.offered, agg.answered, agg.abandoned),
            "{} {g:?} {queue} {start}",
            def.id()
        );
        assert_eq!(d.calls.len(), d.total);
        assert!(d.calls.windows(2).all(|w| w[0].enter_ts <= w[1].enter_ts));
        assert!(d.calls.iter().all(|c| &c.queue == queue));
        seen += d.total;
    }
    assert_eq!(seen, 3 * calls.len());
}

#[tokio::test]
async fn a_call_repeated_inside_a_file_is_counted_once_and_reported() {
    let store = Store::open(&fresh_url().await.unwrap()).await.unwrap();
    let code = programme(&store).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("calls.csv");
    let t = 1_767_268_800;
    write_calls(
        &file,
        &[
            ("x1".into(), "Q1", t, 3.0, 60.0),
            ("x2".into(), "Q1", t + 10, 4.0, 0.0),
            ("x1".into(), "Q1", t + 20, 5.0, 70.0),
            ("x3".into(), "Q2", t + 30, 6.0, 80.0),
        ],
    );
    let r = app(&store, dir.path())
        .import_file(request(&code, &file, Source::Calls), |_| {})
        .await
        .unwrap();
    assert_eq!((r.imported, r.duplicates, r.suspicious), (3, 1, 1));
    let issues = store.import_issues(r.batch_id, 0, 10).await.unwrap();
    assert_eq!(
        issues
            .iter()
            .map(|i| (i.line, i.kind.as_str()))
            .collect::<Vec<_>>(),
        vec![(4, "duplicate_key")]
    );
    let t = totals(&store, &code).await;
    assert_eq!((t.offered, t.answered, t.abandoned), (3, 2, 1));
    assert_eq!(stored_keys(&store, &code).await, 3);
    assert_eq!(retained_records(&store, dir.path(), &code).await, 3);
}

#[tokio::test]
async fn batches_from_before_the_key_table_still_stop_duplicates_and_answer_drill_downs() {
    use rumbo_app::kpis::CallsQuery;
    use rumbo_kpi::{Granularity, KpiDefinition};
    use rumbo_store::imports::NewBatch;
    let store = Store::open(&fresh_url().await.unwrap()).await.unwrap();
    let code = programme(&store).await;
    let dir = tempfile::tempdir().unwrap();
    let prog = store.programme_for(&code, None).await.unwrap().programme;
    // An old batch: its records in a CSV file with its header, no stored keys, no segments.
    let t = 1_767_268_800;
    let old_file = dir.path().join("old.csv");
    std::fs::write(
        &old_file,
        format!(
            "call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome\nold1,Q1,{t},3,60,5,answered\nold2,Q1,{},4,0,0,abandoned\n",
            t + 60
        ),
    )
    .unwrap();
    store
        .commit_import(
            &Actor::system("test"),
            &NewBatch {
                programme_id: prog.id,
                source: "calls".into(),
                file_name: "old.csv".into(),
                file_hash: "h".into(),
                lines_read: 2,
                imported: 2,
                data_path: Some(old_file.to_string_lossy().into_owned()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let new_file = dir.path().join("new.csv");
    write_calls(
        &new_file,
        &[
            ("old2".into(), "Q1", t + 60, 4.0, 0.0),
            ("new1".into(), "Q1", t + 120, 5.0, 70.0),
        ],
    );
    let app = app(&store, &dir.path().join("data"));
    let r = app
        .import_file(request(&code, &new_file, Source::Calls), |_| {})
        .await
        .unwrap();
    assert_eq!((r.imported, r.duplicates), (1, 1));
    let d = app
        .calls_behind(
            &prog,
            CallsQuery {
                queue: "Q1",
                start: t - t % 900,
                granularity: Granularity::Minutes(15),
                definition: &KpiDefinition::standard(),
            },
        )
        .await
        .unwrap();
    let mut ids: Vec<_> = d.calls.iter().map(|c| c.call_id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, vec!["new1", "old1", "old2"]);
}

#[tokio::test]
async fn an_empty_file_and_an_image_are_refused_before_any_batch_exists() {
    let store = Store::open(&fresh_url().await.unwrap()).await.unwrap();
    let code = programme(&store).await;
    let data = tempfile::tempdir().unwrap();
    let empty = data.path().join("vacio.log");
    std::fs::write(&empty, b"").unwrap();
    let png = data.path().join("captura.csv");
    std::fs::write(&png, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();
    for (path, source, key) in [
        (&empty, Source::QueueLog, "error.import.empty"),
        (&empty, Source::Calls, "error.import.empty"),
        (&png, Source::Calls, "error.import.binary"),
        (&png, Source::QueueLog, "error.import.binary"),
    ] {
        let err = app(&store, data.path())
            .import_file(request(&code, path, source), |_| {})
            .await
            .unwrap_err();
        match err {
            rumbo_app::Error::Invalid(i) => assert_eq!(i.0[0].key, key, "{path:?}"),
            other => panic!("{path:?}: {other:?}"),
        }
    }
    let prog = store.programme_for(&code, None).await.unwrap().programme;
    assert!(store.import_batches(prog.id).await.unwrap().is_empty());
}

#[tokio::test]
async fn the_system_exit_versions_of_a_definition_read_the_stored_aggregates_without_recomputing() {
    use rumbo_app::kpis::KpiQuery;
    use rumbo_kpi::{Granularity, Registry};
    let store = Store::open(&fresh_url().await.unwrap()).await.unwrap();
    let code = programme(&store).await;
    let data = tempfile::tempdir().unwrap();
    app(&store, data.path())
        .import_file(request(&code, Path::new(SAMPLE), Source::QueueLog), |_| {})
        .await
        .unwrap();
    let prog = store.programme_for(&code, None).await.unwrap().programme;
    let reg = Registry::builtin();
    let figures = |spec: &'static str| {
        let store = &store;
        let code = &code;
        let data = data.path();
        let def = reg.resolve(spec).unwrap().clone();
        async move {
            let k = app(store, data)
                .programme_kpis(KpiQuery {
                    programme_code: code,
                    definition: &def,
                    granularity: Granularity::Day,
                    from: None,
                    to: None,
                })
                .await
                .unwrap();
            let rows = k.aggregation.sorted_rows();
            let (_, soporte) = rows
                .iter()
                .find(|((q, _), _)| q == "soporte")
                .copied()
                .unwrap();
            (*soporte, soporte.figures(&def))
        }
    };
    let (a1, f1) = figures("rumbo-standard@v1").await;
    let (a2, f2) = figures("rumbo-standard@v2").await;
    // soporte: the stints of c5 and c6 answered after 10 s and 5 s in soporte (their waits
    // in ventas are not soporte's), an EXITWITHKEY at 8 s and an EXITEMPTY at 2 s (short).
    assert_eq!(a1, a2, "the same stored aggregates");
    assert_eq!(
        (a2.offered, a2.system_exits, a2.caller_abandons()),
        (4, 2, 0)
    );
    assert_eq!((f1.abandon_rate, f2.abandon_rate), (Some(0.5), Some(0.0)));
    assert_eq!((f1.sl, f2.sl), (Some(2.0 / 3.0), Some(2.0 / 4.0)));
    let v2 = KpiDefinition::standard_v2();
    assert_eq!(
        store
            .batches_without_definition(prog.id, v2.id())
            .await
            .unwrap()
            .len(),
        1,
        "nothing was recomputed or stored for version 2"
    );
}

/// An attended transfer from `ventas` to `soporte` under one call id: Ana answers in ventas
/// after 5 s and talks 70 s; Bob answers the second leg in soporte after 10 s and talks
/// 130 s, while the first leg is still connected.
const ATTENDED_TWO_QUEUES: &str = "\
1767272400|x1|ventas|NONE|ENTERQUEUE||56911112222|1
1767272405|x1|ventas|Ana|CONNECT|5|x1.2|3
1767272460|x1|soporte|NONE|ENTERQUEUE||56911112222|1
1767272470|x1|soporte|Bob|CONNECT|10|x1.3|2
1767272475|x1|ventas|Ana|ATTENDEDTRANSFER|BRIDGE|x1.3|5|70|1
1767272600|x1|soporte|Bob|COMPLETECALLER|10|130|1
";

#[tokio::test]
async fn a_call_through_two_queues_is_a_stint_in_each_queue_and_one_call_in_programme_totals() {
    use rumbo_app::kpis::{CallsQuery, KpiQuery};
    use rumbo_kpi::{Granularity, Registry};
    let store = Store::open(&fresh_url().await.unwrap()).await.unwrap();
    let code = programme(&store).await;
    let data = tempfile::tempdir().unwrap();
    let file = data.path().join("attended.log");
    std::fs::write(&file, ATTENDED_TWO_QUEUES).unwrap();
    let app = app(&store, data.path());
    let r = app
        .import_file(request(&code, &file, Source::QueueLog), |_| {})
        .await
        .unwrap();
    assert_eq!(r.imported, 1, "one call");
    let again = app
        .import_file(request(&code, &file, Source::QueueLog), |_| {})
        .await
        .unwrap();
    assert_eq!((again.imported, again.duplicates), (0, 1));

    // The same figures from the stored aggregates (standard) and from the retained records
    // recomputed under another definition (offered-sl).
    let reg = Registry::builtin();
    for spec in ["rumbo-standard", "offered-sl"] {
        let k = app
            .programme_kpis(KpiQuery {
                programme_code: &code,
                definition: reg.resolve(spec).unwrap(),
                granularity: Granularity::Day,
                from: None,
                to: None,
            })
            .await
            .unwrap();
        let mut all = Agg::default();
        let mut queues = std::collections::BTreeMap::new();
        for ((q, _), a) in k.aggregation.sorted_rows() {
            all.merge(&a.calls_view());
            queues
                .entry(q.clone())
                .or_insert_with(Agg::default)
                .merge(a);
        }
        let leg = |q: &str| {
            let a = &queues[q];
            (
                a.offered,
                a.answered,
                a.wait_answered.to_f64(),
                a.talk.to_f64(),
            )
        };
        assert_eq!(leg("ventas"), (1, 1, 5.0, 70.0), "{spec}");
        assert_eq!(leg("soporte"), (1, 1, 10.0, 130.0), "{spec}");
        assert_eq!(
            (all.offered, all.answered, all.abandoned),
            (1, 1, 0),
            "{spec}: one call over all queues"
        );
        assert_eq!(
            (all.wait_answered.to_f64(), all.talk.to_f64()),
            (15.0, 200.0),
            "{spec}"
        );
        assert_eq!((all.fcr_contacts, all.sales), (1, 0), "{spec}");
    }

    // The drill-down to a queue lists the stint in that queue.
    let p = store.programme_for(&code, None).await.unwrap().programme;
    let standard = KpiDefinition::standard();
    for (queue, talk) in [("ventas", 70.0), ("soporte", 130.0)] {
        let d = app
            .calls_behind(
                &p,
                CallsQuery {
                    queue,
                    start: 1_767_272_400,
                    granularity: Granularity::Minutes(15),
                    definition: &standard,
                },
            )
            .await
            .unwrap();
        assert_eq!((d.total, d.answered), (1, 1), "{queue}");
        let c = &d.calls[0];
        assert_eq!(
            (c.call_id.as_str(), c.queue.as_str(), c.talk_s),
            ("x1", queue, talk)
        );
    }

    // Each retained stint names the agent of its own leg.
    let raw = store
        .raw_batch(data.path(), r.batch_id)
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8(raw.bytes).unwrap();
    let mut legs: Vec<(&str, &str)> = text
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[1], f[8])
        })
        .collect();
    legs.sort();
    assert_eq!(legs, vec![("soporte", "Bob"), ("ventas", "Ana")]);
}

#[tokio::test]
async fn later_imports_skip_the_keys_of_cached_batches_and_forget_a_deleted_batch() {
    let store = Store::open(&fresh_url().await.unwrap()).await.unwrap();
    let code = programme(&store).await;
    let dir = tempfile::tempdir().unwrap();
    let app = app(&store, &dir.path().join("data"));
    // Large enough to be searched in its sorted key list rather than hashed per import.
    let big = dir.path().join("big.csv");
    generate_rows(&big, 60_000);
    let r = app
        .import_file(request(&code, &big, Source::Calls), |_| {})
        .await
        .unwrap();
    assert_eq!((r.imported, r.duplicates), (60_000, 0));
    let big_batch = r.batch_id;

    // Ten calls of the big file and five new ones, twice through the same (cached) app.
    let small = |name: &str, new: &[&str]| {
        let path = dir.path().join(name);
        let mut rows: Vec<(String, &str, i64, f64, f64)> = (59_990..60_000)
            .map(|i| (format!("c{i}"), "Q01", 1_767_225_600 + i * 2, 3.0, 60.0))
            .collect();
        for id in new {
            rows.push((id.to_string(), "Q01", 1_767_300_000, 4.0, 70.0));
        }
        write_calls(&path, &rows);
        path
    };
    let a = small("a.csv", &["n0", "n1", "n2", "n3", "n4"]);
    let r = app
        .import_file(request(&code, &a, Source::Calls), |_| {})
        .await
        .unwrap();
    assert_eq!((r.imported, r.duplicates), (5, 10));
    let r = app
        .import_file(request(&code, &a, Source::Calls), |_| {})
        .await
        .unwrap();
    assert_eq!(
        (r.imported, r.duplicates),
        (0, 15),
        "the small batch counts too"
    );

    // Once the big batch is deleted its calls are new again, for this app and a fresh one.
    app.delete_import_batch_as_operator(&code, big_batch)
        .await
        .unwrap();
    let b = small("b.csv", &["n0", "n5"]);
    let r = app
        .import_file(request(&code, &b, Source::Calls), |_| {})
        .await
        .unwrap();
    assert_eq!((r.imported, r.duplicates), (11, 1));
    let r = app
        .import_file(request(&code, &big, Source::Calls), |_| {})
        .await
        .unwrap();
    assert_eq!((r.imported, r.duplicates), (59_990, 10));
    let t = totals(&store, &code).await;
    assert_eq!(t.offered, 60_000 + 6);
}

#[tokio::test]
async fn a_stream_of_small_imports_skips_every_earlier_key_and_a_deleted_or_replaced_batch_is_forgotten(
) {
    let store = Store::open(&fresh_url().await.unwrap()).await.unwrap();
    let code = programme(&store).await;
    let dir = tempfile::tempdir().unwrap();
    let app = app(&store, &dir.path().join("data"));
    let file = |name: &str, ids: std::ops::Range<i64>| {
        let path = dir.path().join(name);
        let rows: Vec<(String, &str, i64, f64, f64)> = ids
            .map(|i| (format!("s{i}"), "Q01", 1_767_225_600 + i * 7, 3.0, 60.0))
            .collect();
        write_calls(&path, &rows);
        path
    };
    // Forty small batches, each a new run merged into the cached ones.
    let mut last = 0;
    for b in 0..40 {
        let r = app
            .import_file(
                request(
                    &code,
                    &file(&format!("b{b}.csv"), b * 5..b * 5 + 5),
                    Source::Calls,
                ),
                |_| {},
            )
            .await
            .unwrap();
        assert_eq!((r.imported, r.duplicates), (5, 0));
        last = r.batch_id;
    }
    // Every earlier call is known, through this app's cache and through a fresh app's.
    let all = file("all.csv", 0..200);
    for a in [&app, &crate::app(&store, &dir.path().join("data"))] {
        let r = a
            .import_file(request(&code, &all, Source::Calls), |_| {})
            .await
            .unwrap();
        assert_eq!((r.imported, r.duplicates), (0, 200));
        a.delete_import_batch_as_operator(&code, r.batch_id)
            .await
            .unwrap();
    }
    // A batch in the middle deleted: its calls are new again.
    let middle = last - 20;
    app.delete_import_batch_as_operator(&code, middle)
        .await
        .unwrap();
    let r = app
        .import_file(request(&code, &all, Source::Calls), |_| {})
        .await
        .unwrap();
    assert_eq!((r.imported, r.duplicates), (5, 195));
    let refill = r.batch_id;
    // The newest batch deleted and its id (on SQLite) taken by a batch of other calls: the
    // deleted calls are new again and the new batch's are known.
    app.delete_import_batch_as_operator(&code, refill)
        .await
        .unwrap();
    let other = app
        .import_file(
            request(&code, &file("other.csv", 500..503), Source::Calls),
            |_| {},
        )
        .await
        .unwrap();
    assert_eq!(other.imported, 3);
    let r = app
        .import_file(
            request(&code, &file("mixed.csv", 495..503), Source::Calls),
            |_| {},
        )
        .await
        .unwrap();
    assert_eq!((r.imported, r.duplicates), (5, 3));
    let r = app
        .import_file(request(&code, &all, Source::Calls), |_| {})
        .await
        .unwrap();
    assert_eq!(
        (r.imported, r.duplicates),
        (5, 195),
        "the middle batch's calls again"
    );
    let t = totals(&store, &code).await;
    assert_eq!(t.offered, 200 + 8);
}

/// A standard call CSV of `rows` lines over twelve queues with, among them, unreadable
/// lines, implausible times (more than the report keeps of one reason), queue names with
/// control characters, CRLF line ends, calls an earlier batch holds and, when `repeats`,
/// calls written twice; the last line has no newline.
fn write_mixed_calls(path: &Path, rows: u64, repeats: bool) {
    use std::io::Write;
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(w, "call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome").unwrap();
    let mut x: u64 = 777;
    for i in 0..rows {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let ts = 1_767_225_600 + i * 3;
        let queue = format!("Q{:02}", (x >> 20) % 12);
        let id = if repeats && i % 501 == 7 {
            format!("c{}", i / 2)
        } else {
            format!("c{i}")
        };
        let end = if i % 7 == 3 { "\r\n" } else { "\n" };
        let line = match i % 97 {
            5 => "not,a,call".to_string(),
            11 => format!("{id},{queue},{ts},x,1,2,answered"),
            _ if i % 29 == 13 => format!("{id},{queue},4102444800,3,60,5,answered"),
            _ if i % 1013 == 17 => format!("{id},Q\u{1}{queue},{ts},3.5,61,5,answered"),
            _ => {
                let ab = (x >> 33).is_multiple_of(6);
                format!(
                    "{id},{queue},{ts},{}.{},{},{},{}",
                    (x >> 40) % 90,
                    (x >> 12) % 10,
                    if ab { 0 } else { 60 + (x >> 24) % 600 },
                    if ab { 0 } else { (x >> 28) % 60 },
                    if ab { "abandoned" } else { "answered" }
                )
            }
        };
        if i + 1 == rows {
            write!(w, "{line}").unwrap();
        } else {
            write!(w, "{line}{end}").unwrap();
        }
    }
}

/// Everything an import stored: the report, the batch's issues, aggregates, keys and raw
/// records.
async fn import_with_threads(
    threads: usize,
    earlier: &Path,
    file: &Path,
) -> (
    rumbo_app::imports::ImportReport,
    Vec<rumbo_store::imports::IssueRow>,
    Vec<(String, i64, Agg)>,
    Vec<u128>,
    Option<(String, Vec<u8>)>,
) {
    let store = Store::open(&fresh_url().await.unwrap()).await.unwrap();
    let code = programme(&store).await;
    let data = tempfile::tempdir().unwrap();
    let app = App::new(
        store.clone(),
        Settings {
            data_dir: data.path().to_path_buf(),
            import_threads: threads,
            ..Settings::default()
        },
    );
    app.import_file(request(&code, earlier, Source::Calls), |_| {})
        .await
        .unwrap();
    let report = app
        .import_file(request(&code, file, Source::Calls), |_| {})
        .await
        .unwrap();
    let issues = store
        .import_issues(report.batch_id, 0, 100_000)
        .await
        .unwrap();
    let prog = store.programme_for(&code, None).await.unwrap().programme;
    let aggregates = store
        .kpi_aggregates(prog.id, KpiDefinition::standard().id(), None, None)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.batch_id == report.batch_id)
        .map(|r| (r.queue, r.interval_start, r.agg))
        .collect();
    let mut keys = Vec::new();
    store
        .for_each_batch_key(report.batch_id, |k| keys.push(k))
        .await
        .unwrap();
    let raw = store
        .raw_batch(data.path(), report.batch_id)
        .await
        .unwrap()
        .map(|r| (r.header, r.bytes));
    (report, issues, aggregates, keys, raw)
}

/// Issues with the end of the plausible range (now, when the import ran) taken out of
/// their messages.
fn without_now(issues: &[rumbo_store::imports::IssueRow]) -> Vec<rumbo_store::imports::IssueRow> {
    issues
        .iter()
        .map(|i| {
            let mut i = i.clone();
            if let Some(at) = i.message.find("plausible range") {
                i.message.truncate(at);
            }
            i
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standard_file_read_on_several_threads_stores_what_one_thread_stores() {
    let dir = tempfile::tempdir().unwrap();
    let earlier = dir.path().join("earlier.csv");
    write_calls(
        &earlier,
        &[
            ("c101".into(), "Q01", 1_767_225_900, 3.0, 60.0),
            ("c20001".into(), "Q02", 1_767_285_600, 4.0, 0.0),
        ],
    );
    for repeats in [false, true] {
        let file = dir.path().join(format!("mixed-{repeats}.csv"));
        write_mixed_calls(&file, 40_000, repeats);
        let one = import_with_threads(1, &earlier, &file).await;
        for threads in [2, 3] {
            let many = import_with_threads(threads, &earlier, &file).await;
            assert_eq!(
                one.0, many.0,
                "report, {threads} threads, repeats {repeats}"
            );
            assert_eq!(
                without_now(&one.1),
                without_now(&many.1),
                "issues, {threads} threads"
            );
            assert_eq!(one.2, many.2, "aggregates, {threads} threads");
            assert_eq!(one.3, many.3, "keys, {threads} threads");
            assert_eq!(one.4, many.4, "raw records, {threads} threads");
        }
        let (report, issues, aggregates, keys, raw) = one;
        // The file's mix is all there: both earlier calls skipped, bad lines with their
        // numbers, the report bounded per reason, every queue aggregated.
        assert_eq!(report.lines_read, 40_000);
        assert_eq!(report.duplicates > 2, repeats, "{}", report.duplicates);
        assert!(report.duplicates >= 2);
        assert!(report.rejected > 1_000 + 400, "{}", report.rejected);
        assert_eq!(keys.len() as u64, report.imported);
        assert!(issues
            .iter()
            .any(|i| i.line == 7 && i.kind == "unparseable"));
        assert!(issues
            .iter()
            .any(|i| i.line == 15 && i.kind == "invalid_value"));
        let implausible = issues
            .iter()
            .filter(|i| i.severity == "rejected" && i.kind == "invalid_value")
            .count();
        assert_eq!(implausible, 1_000);
        let queues: std::collections::BTreeSet<&str> =
            aggregates.iter().map(|a| a.0.as_str()).collect();
        assert!(queues.len() > 12, "cleaned queue names are queues too");
        let records = raw.unwrap().1.iter().filter(|&&c| c == b'\n').count() as u64;
        assert_eq!(records, report.imported);
    }
}
