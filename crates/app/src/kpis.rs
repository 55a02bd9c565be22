//! Store-backed KPIs: merge the stored per-batch aggregates of a programme into
//! figures per (queue, interval), recomputing from retained records when a
//! definition version has no aggregates yet.
//!
//! Aggregates are stored per batch at 15-minute resolution in the programme's
//! time zone; 30-minute, hourly, daily, weekly and monthly figures merge them
//! (every real time-zone offset is a multiple of 15 minutes, so 15-minute
//! intervals nest exactly). Each output row lists the batches it comes from.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use jiff::tz::TimeZone;
use rumbo_kpi::{Agg, AggKey, Aggregator, Bucketer, Granularity, KpiDefinition};
use rumbo_store::imports::{AggRow, Batch};
use rumbo_store::Store;

use crate::import::ImportError;
use crate::std_calls::{parse_chunk, Layout};
use crate::IngestError;

/// KPIs of a programme under one definition version.
#[derive(Debug)]
pub struct ProgrammeKpis {
    /// Aggregates per (queue, interval); the queue `""` holds programme-level agent time.
    pub aggregation: Aggregator,
    /// Batches contributing to each row (drill-down to the data-quality reports).
    pub batches: BTreeMap<AggKey, BTreeSet<i64>>,
}

/// Query parameters.
pub struct KpiQuery<'a> {
    /// Programme code.
    pub programme_code: &'a str,
    /// Definition (its name and version are looked up in the stored aggregates).
    pub definition: &'a KpiDefinition,
    /// Output interval.
    pub granularity: Granularity,
    /// First day (inclusive), programme time zone.
    pub from: Option<jiff::civil::Date>,
    /// Last day (inclusive), programme time zone.
    pub to: Option<jiff::civil::Date>,
}

/// Parses a `YYYY-MM-DD` day (for `--from` / `--to` and page filters).
pub fn parse_day(s: &str) -> Result<jiff::civil::Date, ImportError> {
    s.trim()
        .parse()
        .map_err(|_| ImportError::Invalid(format!("expected a day as YYYY-MM-DD, got {s:?}")))
}

fn day_start(d: jiff::civil::Date, tz: &TimeZone) -> Result<i64, ImportError> {
    d.to_zoned(tz.clone())
        .map(|z| z.timestamp().as_second())
        .map_err(|e| ImportError::Invalid(format!("date {d}: {e}")))
}

/// Reads the stored aggregates of a programme, recomputing missing definition versions first.
pub async fn programme_kpis(store: &Store, q: KpiQuery<'_>) -> Result<ProgrammeKpis, ImportError> {
    let prog = store.programme_for(q.programme_code, None).await?.programme;
    let tz = TimeZone::get(&prog.time_zone).unwrap_or(TimeZone::UTC);
    ensure_definition(store, prog.id, &tz, q.definition).await?;
    let from = q.from.map(|d| day_start(d, &tz)).transpose()?;
    let to = match q.to {
        Some(d) => Some(day_start(
            d.tomorrow()
                .map_err(|e| ImportError::Invalid(e.to_string()))?,
            &tz,
        )?),
        None => None,
    };
    let rows = store
        .kpi_aggregates(prog.id, q.definition.id(), from, to)
        .await?;
    let mut bucketer = Bucketer::new(q.granularity, tz);
    let mut aggregation = Aggregator::new(q.definition.clone(), bucketer.clone());
    let mut batches: BTreeMap<AggKey, BTreeSet<i64>> = BTreeMap::new();
    for r in rows {
        let start = bucketer
            .start_of(r.interval_start)
            .map_err(|e| ImportError::Invalid(e.to_string()))?;
        let key = (r.queue, start);
        batches.entry(key.clone()).or_default().insert(r.batch_id);
        aggregation.merge_row(key, &r.agg);
    }
    Ok(ProgrammeKpis {
        aggregation,
        batches,
    })
}

/// Makes sure every batch of the programme has aggregates under `def`: call batches are
/// recomputed from their retained file; agent time, QA, survey and sales parts (which no
/// service-level choice changes) are carried over from the batch's standard aggregates.
pub async fn ensure_definition(
    store: &Store,
    programme_id: i64,
    tz: &TimeZone,
    def: &KpiDefinition,
) -> Result<(), ImportError> {
    let base = KpiDefinition::standard();
    if def.id() == base.id() {
        return Ok(());
    }
    for batch in store
        .batches_without_definition(programme_id, def.id())
        .await?
    {
        let mut rows: BTreeMap<(String, i64), Agg> = BTreeMap::new();
        for r in store.batch_aggregates(batch.id, base.id()).await? {
            let mut carried = r.agg;
            clear_call_fields(&mut carried, !is_call_batch(&batch));
            rows.insert((r.queue, r.interval_start), carried);
        }
        if is_call_batch(&batch) {
            if let Some(path) = &batch.data_path {
                recompute_calls(Path::new(path), def, tz, &mut rows)?;
            }
        }
        let out: Vec<AggRow> = rows
            .into_iter()
            .map(|((queue, interval_start), agg)| AggRow {
                definition: def.id().clone(),
                queue,
                interval_start,
                agg,
            })
            .collect();
        store.add_aggregates(&batch, &out).await?;
    }
    Ok(())
}

fn is_call_batch(b: &Batch) -> bool {
    matches!(b.source.as_str(), "queue-log" | "cdr" | "calls")
}

fn clear_call_fields(a: &mut Agg, keep_sales: bool) {
    let keep = Agg {
        sales: if keep_sales { a.sales } else { 0 },
        staffed: a.staffed,
        paused: a.paused,
        busy: a.busy,
        fcr_contacts: a.fcr_contacts,
        fcr_repeats: a.fcr_repeats,
        qa_count: a.qa_count,
        qa_sum: a.qa_sum,
        csat_answers: a.csat_answers,
        csat_top: a.csat_top,
        nps_answers: a.nps_answers,
        nps_promoters: a.nps_promoters,
        nps_detractors: a.nps_detractors,
        ..Agg::default()
    };
    // Sales from sales files stay; sales flagged on calls are recounted with the calls.
    *a = keep;
}

fn recompute_calls(
    path: &Path,
    def: &KpiDefinition,
    tz: &TimeZone,
    rows: &mut BTreeMap<(String, i64), Agg>,
) -> Result<(), ImportError> {
    let bytes = std::fs::read(path).map_err(IngestError::from)?;
    let header_end = bytes
        .iter()
        .position(|&c| c == b'\n')
        .unwrap_or(bytes.len());
    let layout = Layout::from_header(&bytes[..header_end])?;
    let mut bucketer = Bucketer::new(Granularity::Minutes(15), tz.clone());
    let mut err = None;
    let body = bytes.get(header_end + 1..).unwrap_or(&[]);
    let issues = parse_chunk(&layout, body, 2, |_, c| {
        let ts = rumbo_kpi::attribution_ts(def, &c.facts);
        match bucketer.start_of(ts) {
            Ok(start) => rows
                .entry((String::from_utf8_lossy(&c.queue).into_owned(), start))
                .or_default()
                .add_call(def, &c.facts),
            Err(e) => err = Some(e),
        }
    });
    if let Some(e) = err {
        return Err(ImportError::Invalid(e.to_string()));
    }
    if let Some(i) = issues.first() {
        return Err(ImportError::Invalid(format!(
            "retained batch file {} is damaged: {i}",
            path.display()
        )));
    }
    Ok(())
}
