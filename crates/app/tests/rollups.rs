//! Rollups and the result cache: every stored rollup (per local hour, day and month) is the
//! exact merge of its batch's 15-minute rows, also across a daylight-saving change; figures
//! read through rollups and the cache equal figures merged from the 15-minute rows, before
//! and after a batch is deleted; the data version moves with every import and deletion, so
//! a cached result never outlives the data it came from.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use rumbo_app::imports::{ImportRequest, Source};
use rumbo_app::kpis::KpiQuery;
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
