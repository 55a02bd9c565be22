//! Format recognition through the import pipeline: the same calls as a pipe queue_log, as the
//! Asterisk realtime table (two variants) and as a PBXware-style dump give the same KPIs byte
//! for byte; the layout is recorded with the batch; a file of no known layout, or of another
//! kind than the one asked for, is refused before a batch exists; a mapping is honoured for a
//! queue_log source.

use std::path::{Path, PathBuf};

use rumbo_app::imports::{ImportRequest, Source};
use rumbo_app::kpis::KpiQuery;
use rumbo_app::{App, Error, Settings};
use rumbo_domain::programme::{NewProgramme, ProgrammeInput};
use rumbo_domain::rut::Rut;
use rumbo_ingest::mapping::{Mapping, RecordKind};
use rumbo_kpi::{Granularity, KpiDefinition};
use rumbo_store::{testing::fresh_url, Actor, Store};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

async fn programme(store: &Store, code: &str) -> String {
    let sys = Actor::system("test");
    let client = match store.clients().await.unwrap().into_iter().next() {
        Some(c) => c,
        None => store
            .create_client(&sys, "Banco Austral", Rut::parse("76.086.428-5").unwrap())
            .await
            .unwrap(),
    };
    let p = NewProgramme::try_from(ProgrammeInput {
        code: code.into(),
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

fn app(store: &Store, dir: &Path) -> App {
    App::new(
        store.clone(),
        Settings {
            data_dir: dir.to_path_buf(),
            ..Settings::default()
        },
    )
}

/// Every KPI aggregate of a programme per 15 minutes, as text.
async fn kpi_text(app: &App, code: &str) -> String {
    let def = KpiDefinition::standard();
    let k = app
        .programme_kpis(KpiQuery {
            programme_code: code,
            definition: &def,
            granularity: Granularity::Minutes(15),
            from: None,
            to: None,
        })
        .await
        .unwrap();
    let mut rows: Vec<_> = k.aggregation.into_rows().into_iter().collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    format!("{rows:#?}")
}

#[tokio::test]
async fn the_same_calls_as_pipe_file_realtime_table_and_pbxware_dump_give_the_same_kpis() {
    let store = Store::open(&fresh_url().await.unwrap()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = app(&store, dir.path());
    let files = [
        ("same_calls/queue_log", "queue-log-pipe"),
        ("same_calls/realtime.csv", "queue-log-realtime"),
        ("same_calls/realtime_data.csv", "queue-log-realtime-data"),
        ("same_calls/pbxware.csv", "queue-log-pbxware"),
    ];
    let mut texts = Vec::new();
    for (i, (file, layout)) in files.iter().enumerate() {
        let code = programme(&store, &format!("SAME-{i}")).await;
        let path = data(file);
        let r = app
            .import_file(request(&code, &path, Source::Auto), |_| {})
            .await
            .unwrap();
        assert_eq!(r.layout, *layout, "{file}");
        assert_eq!(r.source, Source::QueueLog);
        // Ten calls and three agent sessions, as from the pipe file.
        assert_eq!(r.imported, 13, "{file}");
        let prog = store.programme_for(&code, None).await.unwrap().programme;
        let batch = store.import_batch(r.batch_id).await.unwrap();
        assert_eq!(batch.layout.as_deref(), Some(*layout));
        assert_eq!(batch.source, "queue-log");
        assert_eq!(batch.programme_id, prog.id);
        texts.push(kpi_text(&app, &code).await);
    }
    assert!(
        texts[0].contains("\"ventas\"") && texts[0].contains("\"soporte\""),
        "{}",
        texts[0]
    );
    for (t, (file, _)) in texts.iter().zip(files).skip(1) {
        assert_eq!(t, &texts[0], "{file}");
    }
}

#[tokio::test]
async fn a_file_of_no_known_layout_or_of_another_kind_is_refused_before_a_batch() {
    let store = Store::open(&fresh_url().await.unwrap()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = app(&store, dir.path());
    let code = programme(&store, "REFUSE").await;
    let junk = dir.path().join("notes.txt");
    std::fs::write(&junk, "minutes of the weekly meeting\nnothing else\n").unwrap();
    let columns = dir.path().join("people.csv");
    std::fs::write(&columns, "nombre,apellido\nAna,Pérez\n").unwrap();
    let cases = [
        (&junk, Source::Auto, "error.import.unrecognised.no_fields"),
        (
            &junk,
            Source::QueueLog,
            "error.import.unrecognised.no_fields",
        ),
        (
            &columns,
            Source::Auto,
            "error.import.unrecognised.unknown_columns",
        ),
    ];
    for (path, source, key) in cases {
        match app.import_file(request(&code, path, source), |_| {}).await {
            Err(Error::Invalid(list)) => assert_eq!(list.0[0].key, key),
            other => panic!("{other:?}"),
        }
    }
    let pipe = data("same_calls/queue_log");
    match app
        .import_file(request(&code, &pipe, Source::Cdr), |_| {})
        .await
    {
        Err(Error::Invalid(list)) => assert_eq!(list.0[0].key, "error.import.layout_mismatch"),
        other => panic!("{other:?}"),
    }
    let prog = store.programme_for(&code, None).await.unwrap().programme;
    assert!(store.import_batches(prog.id).await.unwrap().is_empty());
    // The kind named explicitly still works when the content is of that kind.
    let r = app
        .import_file(request(&code, &pipe, Source::QueueLog), |_| {})
        .await
        .unwrap();
    assert_eq!((r.layout.as_str(), r.imported), ("queue-log-pipe", 13));
}

#[tokio::test]
async fn a_calls_mapping_is_honoured_for_a_queue_log_source() {
    let store = Store::open(&fresh_url().await.unwrap()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = app(&store, dir.path());
    let code = programme(&store, "MAPPED").await;
    let path = dir.path().join("export.csv");
    std::fs::write(
        &path,
        "Inicio,Cola,Espera,Estado\n2026-01-05 10:00:00,ventas,12,contestada\n2026-01-05 10:01:00,ventas,40,abandonada\n",
    )
    .unwrap();
    let mut m = Mapping::identity(RecordKind::Calls);
    m.columns = [
        ("start", "Inicio"),
        ("queue", "Cola"),
        ("wait", "Espera"),
        ("outcome", "Estado"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    m.answered_values = vec!["contestada".into()];
    m.abandoned_values = vec!["abandonada".into()];
    let mut req = request(&code, &path, Source::QueueLog);
    req.mapping = Some(m);
    req.mapping_name = Some("central".into());
    let r = app.import_file(req, |_| {}).await.unwrap();
    assert_eq!(
        (r.layout.as_str(), r.source, r.imported),
        ("mapping", Source::Calls, 2)
    );
}
