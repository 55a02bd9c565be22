//! Rollups and the result cache: every stored rollup (per local hour, day and month) is the
//! exact merge of its batch's 15-minute rows, also across a daylight-saving change; figures
//! read through rollups and the cache equal figures merged from the 15-minute rows, before
//! and after a batch is deleted; the data version moves with every import and deletion, so
//! a cached result never outlives the data it came from; the KPI report, which reads rollups
//! and merged 15-minute rows, shows the KPI API's figures.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use jiff::civil::date;
use rumbo_app::imports::{ImportRequest, Source};
use rumbo_app::kpis::KpiQuery;
use rumbo_app::report::build::{report_definition, Kind};
use rumbo_app::report::{Block, Cell, Document, Lang};
use rumbo_app::{App, Settings};
use rumbo_domain::programme::{NewProgramme, ProgrammeInput};
use rumbo_domain::rut::Rut;
use rumbo_kpi::{Agg, Bucketer, Granularity, KpiDefinition, Registry};
use rumbo_store::imports::ROLLUP_GRAINS;
use rumbo_store::{testing::fresh_url, Actor, Store};

const ZONE: &str = "America/Santiago";

async fn programme(store: &Store) -> (i64, String) {
    let sys = Actor::system("test");
    let client = store
        .create_client(&sys, "Banco Austral", Rut::parse("76.086.428-5").unwrap())
        .await
        .unwrap();
    let p = NewProgramme::try_from(ProgrammeInput {
        code: "ROLL".into(),
        name: "Rollups".into(),
        client_id: Some(client.id),
        channels: vec!["voice_inbound".into()],
        start_date: "2026-01-01".into(),
        ..Default::default()
    })
    .unwrap();
    let p = store.create_programme(&sys, &p).await.unwrap();
    assert_eq!(p.time_zone, ZONE);
    (p.id, p.code)
}

/// Calls every 7 minutes from `from` for `days` days over three queues (seeded).
fn calls(path: &Path, prefix: &str, from: i64, days: i64, seed: u64) {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(w, "call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome").unwrap();
    let mut x = seed;
    let mut ts = from;
    let mut i = 0;
    while ts < from + days * 86_400 {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let q = (x >> 33) % 3;
        let wait = (x >> 20) % 90;
        if (x >> 40).is_multiple_of(10) {
            writeln!(w, "{prefix}{i},Q{q},{ts},{wait}.5,0,0,abandoned").unwrap();
        } else {
            let talk = 30 + (x >> 8) % 600;
            writeln!(
                w,
                "{prefix}{i},Q{q},{ts},{wait},{talk}.25,{},answered",
                (x >> 50) % 60
            )
            .unwrap();
        }
        ts += 420;
        i += 1;
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

async fn import(app: &App, code: &str, path: &Path) -> i64 {
    app.import_file(
        ImportRequest {
            programme_code: code,
            path,
            source: Source::Calls,
            mapping: None,
            mapping_name: None,
            actor: Actor::system("test"),
            job: None,
        },
        |_| {},
    )
    .await
    .unwrap()
    .batch_id
}

/// Every rollup row equals the merge of its batch's 15-minute rows, and every 15-minute row
/// is covered.
async fn assert_rollups_are_exact(store: &Store, programme_id: i64) {
    let def = KpiDefinition::standard();
    let tz = jiff::tz::TimeZone::get(ZONE).unwrap();
    let fine = store
        .kpi_aggregates(programme_id, def.id(), None, None)
        .await
        .unwrap();
    assert!(!fine.is_empty());
    for (grain, g) in ROLLUP_GRAINS {
        let mut want: BTreeMap<(i64, String, i64), Agg> = BTreeMap::new();
        let mut b = Bucketer::new(g, tz.clone());
        for r in &fine {
            want.entry((
                r.batch_id,
                r.queue.clone(),
                b.start_of(r.interval_start).unwrap(),
            ))
            .or_default()
            .merge(&r.agg);
        }
        let got: BTreeMap<(i64, String, i64), Agg> = store
            .kpi_rollups(programme_id, def.id(), ZONE, grain, None, None)
            .await
            .unwrap()
            .expect("every batch has rollups")
            .into_iter()
            .map(|r| ((r.batch_id, r.queue, r.interval_start), r.agg))
            .collect();
        assert_eq!(got.len(), want.len(), "{grain}: rows");
        assert!(
            got == want,
            "{grain}: a rollup differs from its 15-minute rows"
        );
    }
}

/// Figures through rollups and the cache equal figures merged from the 15-minute rows.
async fn assert_same_figures(app: &App, code: &str) {
    let reg = Registry::builtin();
    let d = |s: &str| Some(s.parse::<jiff::civil::Date>().unwrap());
    for def in ["rumbo-standard@v1", "offered-sl"] {
        let def = reg.resolve(def).unwrap();
        for by in ["1h", "day", "week", "month"] {
            for (from, to) in [
                (None, None),
                (d("2026-03-10"), d("2026-04-20")),
                (d("2026-03-01"), d("2026-04-30")),
                (d("2026-04-05"), d("2026-04-05")),
            ] {
                let q = || KpiQuery {
                    programme_code: code,
                    definition: def,
                    granularity: Granularity::parse(by).unwrap(),
                    from,
                    to,
                };
                let fast = app.programme_kpis(q()).await.unwrap();
                let again = app.programme_kpis_shared(q()).await.unwrap();
                let slow = app.programme_kpis_from_intervals(q()).await.unwrap();
                let ctx = format!("{} by {by} {from:?}..{to:?}", def.id());
                assert!(!slow.aggregation.is_empty(), "{ctx}: no rows");
                assert_eq!(
                    fast.aggregation.sorted_rows(),
                    slow.aggregation.sorted_rows(),
                    "{ctx}"
                );
                assert_eq!(fast.batches, slow.batches, "{ctx}: batches");
                assert_eq!(
                    again.aggregation.sorted_rows(),
                    slow.aggregation.sorted_rows(),
                    "{ctx}: cached"
                );
            }
        }
    }
}

#[tokio::test]
async fn rollups_equal_their_15_minute_rows_and_figures_stay_identical_through_imports_and_deletions(
) {
    let store = Store::open(&fresh_url().await.unwrap()).await.unwrap();
    let (pid, code) = programme(&store).await;
    let data = tempfile::tempdir().unwrap();
    let app = app(&store, data.path());
    // 2026-03-01 00:00 UTC; Chile leaves summer time on 2026-04-05.
    let march = 1_772_323_200;
    let (a, b) = (data.path().join("a.csv"), data.path().join("b.csv"));
    calls(&a, "a", march, 40, 1);
    calls(&b, "b", march + 30 * 86_400, 40, 2);
    let v0 = store.data_version(pid).await.unwrap();
    let first = import(&app, &code, &a).await;
    let v1 = store.data_version(pid).await.unwrap();
    assert!(v1 > v0, "an import moves the data version");
    assert_same_figures(&app, &code).await;
    let second = import(&app, &code, &b).await;
    let v2 = store.data_version(pid).await.unwrap();
    assert!(v2 > v1);
    assert_rollups_are_exact(&store, pid).await;
    // The cached figures of before the second import are not served after it.
    assert_same_figures(&app, &code).await;
    assert_rollups_are_exact(&store, pid).await;

    store
        .delete_import_batch(&Actor::system("test"), second)
        .await
        .unwrap();
    assert!(store.data_version(pid).await.unwrap() > v2);
    let left = store
        .kpi_rollups(pid, KpiDefinition::standard().id(), ZONE, "day", None, None)
        .await
        .unwrap()
        .unwrap();
    assert!(!left.is_empty() && left.iter().all(|r| r.batch_id == first));
    assert_same_figures(&app, &code).await;
    assert_rollups_are_exact(&store, pid).await;

    // Rollups of another time zone do not exist: the 15-minute rows answer instead.
    assert!(store
        .kpi_rollups(
            pid,
            KpiDefinition::standard().id(),
            "UTC",
            "day",
            None,
            None
        )
        .await
        .unwrap()
        .is_none());
}

/// The figure cells of a KPI report row as the report writes them.
fn report_cells(a: &Agg, def: &KpiDefinition) -> Vec<Cell> {
    let f = a.figures(def);
    let pct = |x: Option<f64>| x.map_or(Cell::Empty, |v| Cell::percent(v, 1));
    let num = |x: Option<f64>, d: u8| x.map_or(Cell::Empty, |v| Cell::num(v, d));
    vec![
        Cell::Int(a.offered as i64),
        Cell::Int(a.answered as i64),
        Cell::Int(a.caller_abandons() as i64),
        pct(f.sl),
        num(f.asa_s, 1),
        num(f.aht_s, 0),
        pct(f.abandon_rate),
    ]
}

fn report_table<'a>(doc: &'a Document, title: &str) -> &'a [Vec<Cell>] {
    doc.sections
        .iter()
        .flat_map(|s| &s.blocks)
        .find_map(|b| match b {
            Block::Table(t) if t.title == title => Some(t.rows.as_slice()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no table {title}"))
}

/// The KPI report's figures are the KPI API's for the same period and granularity: its daily
/// table is the API's daily figures merged over queues, its queue table the API's figures of
/// each queue over the period, its 15-minute detail the API's 15-minute figures merged over
/// queues, its summary their total; over two overlapping batches and the change to winter time
/// (a 25-hour day). The report reads rollups and merged 15-minute rows, the reference here
/// merges every (queue, 15-minute) row.
#[tokio::test]
async fn the_kpi_report_shows_the_kpi_apis_figures() {
    let store = Store::open(&fresh_url().await.unwrap()).await.unwrap();
    let (_, code) = programme(&store).await;
    let data = tempfile::tempdir().unwrap();
    let app = app(&store, data.path());
    let march = 1_772_323_200;
    let (a, b) = (data.path().join("a.csv"), data.path().join("b.csv"));
    calls(&a, "a", march, 40, 3);
    calls(&b, "b", march + 30 * 86_400, 40, 4);
    import(&app, &code, &a).await;
    import(&app, &code, &b).await;
    let prog = store.programme_for(&code, None).await.unwrap().programme;
    let tz = jiff::tz::TimeZone::get(ZONE).unwrap();
    let def = report_definition();
    let (from, to) = (date(2026, 3, 10), date(2026, 4, 20));
    let doc = app
        .report_document(&prog, Kind::Kpi, from, to, Lang::En)
        .await
        .unwrap();
    let api = |granularity| {
        app.programme_kpis_from_intervals(KpiQuery {
            programme_code: &code,
            definition: &def,
            granularity,
            from: Some(from),
            to: Some(to),
        })
    };

    let days = api(Granularity::Day).await.unwrap();
    let mut daily: BTreeMap<jiff::civil::Date, Agg> = BTreeMap::new();
    let mut queues: BTreeMap<String, Agg> = BTreeMap::new();
    let mut total = Agg::default();
    for ((queue, start), agg) in days.aggregation.sorted_rows() {
        let day = jiff::Timestamp::from_second(*start)
            .unwrap()
            .to_zoned(tz.clone())
            .date();
        daily.entry(day).or_default().merge(&agg.calls_view());
        queues.entry(queue.clone()).or_default().merge(agg);
        total.merge(&agg.calls_view());
    }
    assert_eq!(daily.len(), 42);
    let want: Vec<Vec<Cell>> = daily
        .iter()
        .map(|(d, a)| [vec![Cell::Date(*d)], report_cells(a, &def)].concat())
        .collect();
    assert_eq!(report_table(&doc, "report.table.daily"), want.as_slice());
    let want: Vec<Vec<Cell>> = queues
        .iter()
        .map(|(q, a)| [vec![Cell::text(q.clone())], report_cells(a, &def)].concat())
        .collect();
    assert_eq!(want.len(), 3);
    assert_eq!(report_table(&doc, "report.table.queues"), want.as_slice());

    let fine = api(Granularity::Minutes(15)).await.unwrap();
    let mut intervals: BTreeMap<i64, Agg> = BTreeMap::new();
    for ((_, start), agg) in fine.aggregation.sorted_rows() {
        intervals
            .entry(*start)
            .or_default()
            .merge(&agg.calls_view());
    }
    assert_eq!(intervals.len(), 42 * 96 + 4, "the 25-hour day is there");
    let want: Vec<Vec<Cell>> = intervals
        .iter()
        .map(|(s, a)| {
            let local = jiff::Timestamp::from_second(*s)
                .unwrap()
                .to_zoned(tz.clone())
                .datetime();
            [vec![Cell::DateTime(local)], report_cells(a, &def)].concat()
        })
        .collect();
    assert_eq!(
        report_table(&doc, "report.table.intervals"),
        want.as_slice()
    );
    for _cached in 0..2 {
        assert_eq!(
            *app.programme_interval_totals(&code, &def, from, to)
                .await
                .unwrap(),
            intervals
        );
    }

    let figures = doc
        .sections
        .iter()
        .flat_map(|s| &s.blocks)
        .find_map(|b| match b {
            Block::Figures(f) => Some(f),
            _ => None,
        })
        .unwrap();
    let figure = |label: &str| {
        figures
            .iter()
            .find(|f| f.label == label)
            .map(|f| f.value.clone())
            .unwrap()
    };
    let tf = total.figures(&def);
    assert_eq!(
        figure("report.kpi.offered"),
        Cell::Int(total.offered as i64)
    );
    assert_eq!(
        figure("report.kpi.answered"),
        Cell::Int(total.answered as i64)
    );
    assert_eq!(
        figure("report.kpi.abandoned"),
        Cell::Int(total.caller_abandons() as i64)
    );
    assert_eq!(
        figure("report.kpi.sl"),
        tf.sl.map_or(Cell::Empty, |v| Cell::percent(v, 1))
    );
    assert_eq!(
        figure("report.kpi.aht"),
        tf.aht_s.map_or(Cell::Empty, |v| Cell::num(v, 0))
    );
}
