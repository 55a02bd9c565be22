//! KPIs from stored imports: merge the per-batch aggregates of a programme into figures per
//! (queue, interval), recomputing from retained records when a definition version has no
//! aggregates yet (a version that differs from the stored one only in how system exits
//! count reads the stored aggregates); and the calls behind one figure.
//!
//! Aggregates are stored per batch at 15-minute resolution in the programme's time zone;
//! 30-minute, hourly, daily, weekly and monthly figures merge them (every real time-zone
//! offset is a multiple of 15 minutes, so 15-minute intervals nest exactly). Each output row
//! lists the batches it comes from. Hourly, daily, weekly and monthly figures read the
//! batches' rollups (per local hour, day and month, stored beside the 15-minute rows) when
//! every batch has them in the programme's time zone, so a year reads a few hundred rows; the
//! merged result is cached under the programme's data version ([`crate::cache`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use jiff::tz::TimeZone;
use rumbo_ingest::std_calls::{parse_chunk, Layout};
use rumbo_kpi::{
    attribution_ts, Agg, AggKey, Aggregator, Attribution, Bucketer, CallFacts, DefinitionId,
    Granularity, KpiDefinition, Outcome,
};
use rumbo_store::imports::{AggRow, Batch, StoredAgg};
use rumbo_store::programmes::Programme;
use serde::Serialize;

use crate::imports::{time_error, CALL_SOURCES};
use crate::{App, Error, Result};

/// KPIs of a programme under one definition version.
#[derive(Debug, Clone)]
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
pub fn parse_day(s: &str) -> Result<jiff::civil::Date> {
    s.trim()
        .parse()
        .map_err(|_| Error::invalid("day", "error.date.format"))
}

fn day_start(d: jiff::civil::Date, tz: &TimeZone) -> Result<i64> {
    d.to_zoned(tz.clone())
        .map(|z| z.timestamp().as_second())
        .map_err(|_| Error::invalid("day", "error.date.format"))
}

/// The calls behind one figure.
pub struct CallsQuery<'a> {
    /// Queue of the row: its stints, so a call that passed through several queues is
    /// listed in each with that queue's wait, talk and outcome (empty: every queue's
    /// stints).
    pub queue: &'a str,
    /// Interval start (epoch seconds) as the KPI row gives it.
    pub start: i64,
    /// Interval of the row.
    pub granularity: Granularity,
    /// Definition whose attribution placed the calls in the interval.
    pub definition: &'a KpiDefinition,
}

/// One call as shown in a drill-down.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallOut {
    pub call_id: String,
    pub queue: String,
    pub enter_ts: i64,
    pub wait_s: f64,
    pub talk_s: f64,
    pub hold_s: f64,
    pub wrap_s: f64,
    pub outcome: &'static str,
    pub batch_id: i64,
}

/// The calls behind a figure: counts of all of them, the first [`CALLS_LIMIT`] listed in
/// entry order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallsBehind {
    pub calls: Vec<CallOut>,
    pub total: usize,
    pub answered: usize,
    /// Caller abandons (system exits are counted apart).
    pub abandoned: usize,
    /// System exits: queue timeout, empty queue, exit key.
    pub system_exits: usize,
}

/// At most this many calls are listed (the counts always cover all of them).
pub const CALLS_LIMIT: usize = 2000;

/// Days of 15-minute rows read per query by [`App::programme_interval_totals`].
const INTERVAL_WINDOW_DAYS: i64 = 7;

/// The raw records are indexed by the start of the segment that holds their 15-minute
/// interval of entry: a segment covers this many seconds from its start.
const SEGMENT_S: i64 = rumbo_store::raw::SEGMENT_SECONDS;

/// Per (programme, definition name and version, time zone): the fingerprint of the batches
/// last found to have every rollup, and the newest of them. A later check reads only the
/// batches above it, once the fingerprint of those up to it is found unchanged (a deleted or
/// replaced batch changes it, and then everything is checked again). Batches only gain
/// rollups in the transaction that commits them, so a batch found complete stays complete.
#[derive(Debug, Default)]
pub(crate) struct RollupChecks {
    done: std::sync::Mutex<HashMap<RollupScope, ([i64; 3], i64)>>,
}

/// (programme, definition name, definition version, time zone).
type RollupScope = (i64, String, i64, String);

impl App {
    /// Whether every batch of the programme with 15-minute aggregates under `def` has its
    /// rollups in `time_zone` (then the rollups give the figures). One read of the batch
    /// list, which looks up the rollups of only the batches committed since the last check.
    pub(crate) async fn rollups_complete(
        &self,
        programme_id: i64,
        def: &rumbo_kpi::DefinitionId,
        time_zone: &str,
    ) -> Result<bool> {
        let key = (
            programme_id,
            def.name.clone(),
            i64::from(def.version),
            time_zone.to_string(),
        );
        let known = self
            .rollup_checks
            .done
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .copied();
        let after = known.map_or(0, |(_, upto)| upto);
        let mut c = self
            .store
            .rollup_coverage(programme_id, def, time_zone, after)
            .await?;
        if let Some((fingerprint, _)) = known {
            if c.checked != fingerprint {
                // A batch up to the last check was deleted or replaced: check them all.
                c = self
                    .store
                    .rollup_coverage(programme_id, def, time_zone, 0)
                    .await?;
            }
        }
        if c.missing > 0 {
            return Ok(false);
        }
        self.rollup_checks
            .done
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, (c.all, c.max_id));
        Ok(true)
    }

    /// [`rumbo_store::Store::kpi_rollups`], with the check that every batch has them made
    /// through [`App::rollups_complete`].
    pub(crate) async fn kpi_rollups(
        &self,
        programme_id: i64,
        def: &rumbo_kpi::DefinitionId,
        time_zone: &str,
        grain: &str,
        from: Option<i64>,
        to: Option<i64>,
    ) -> Result<Option<Vec<StoredAgg>>> {
        if !self.rollups_complete(programme_id, def, time_zone).await? {
            return Ok(None);
        }
        Ok(Some(
            self.store
                .kpi_rollup_rows(programme_id, def, time_zone, grain, from, to)
                .await?,
        ))
    }

    /// Reads the stored aggregates of a programme, recomputing missing definition versions
    /// first.
    pub async fn programme_kpis(&self, q: KpiQuery<'_>) -> Result<ProgrammeKpis> {
        Ok((*self.programme_kpis_shared(q).await?).clone())
    }

    /// [`App::programme_kpis`] without a copy: the cached result itself.
    pub async fn programme_kpis_shared(&self, q: KpiQuery<'_>) -> Result<Arc<ProgrammeKpis>> {
        self.kpis_via(q, true).await
    }

    /// The same figures as [`App::programme_kpis`], always merged from the 15-minute rows and
    /// never cached: the reference the rollups are checked against.
    pub async fn programme_kpis_from_intervals(&self, q: KpiQuery<'_>) -> Result<ProgrammeKpis> {
        Ok((*self.kpis_via(q, false).await?).clone())
    }

    async fn kpis_via(&self, q: KpiQuery<'_>, rollups: bool) -> Result<Arc<ProgrammeKpis>> {
        let prog = self
            .store
            .programme_for(q.programme_code, None)
            .await?
            .programme;
        let tz = TimeZone::get(&prog.time_zone).unwrap_or(TimeZone::UTC);
        let stored = self.stored_definition(prog.id, &tz, q.definition).await?;
        let from = q.from.map(|d| day_start(d, &tz)).transpose()?;
        let to = match q.to {
            Some(d) => Some(day_start(
                d.tomorrow()
                    .map_err(|_| Error::invalid("to", "error.date.format"))?,
                &tz,
            )?),
            None => None,
        };
        let key = crate::cache::CacheKey {
            programme_id: prog.id,
            data_version: self.store.data_version(prog.id).await?,
            kind: "programme_kpis",
            params: format!(
                "{:?}|{:?}|{from:?}|{to:?}|{}",
                q.definition, q.granularity, prog.time_zone
            ),
        };
        if rollups {
            if let Some(hit) = self.cache.get::<ProgrammeKpis>(&key) {
                return Ok(hit);
            }
        }
        let grain = rollup_grain(q.granularity, q.from, q.to).filter(|_| rollups);
        let mut rows = None;
        if let Some(grain) = grain {
            rows = self
                .kpi_rollups(prog.id, &stored, &prog.time_zone, grain, from, to)
                .await?;
        }
        let rows = match rows {
            Some(rows) => rows,
            None => {
                self.store
                    .kpi_aggregates(prog.id, &stored, from, to)
                    .await?
            }
        };
        let (definition, granularity) = (q.definition.clone(), q.granularity);
        // Merging is CPU work: off the async workers.
        let kpis = tokio::task::spawn_blocking(move || merge(rows, definition, granularity, tz))
            .await
            .map_err(Error::internal)??;
        let kpis = Arc::new(kpis);
        if rollups {
            self.cache.put(key, kpis.clone());
        }
        Ok(kpis)
    }

    /// The definition whose stored aggregates give `def`'s figures: a definition that differs
    /// from the standard one only in how system exits count reads the standard aggregates (the
    /// figures apply its choices); any other has its own, computed here when missing.
    async fn stored_definition(
        &self,
        programme_id: i64,
        tz: &TimeZone,
        def: &KpiDefinition,
    ) -> Result<DefinitionId> {
        let base = KpiDefinition::standard();
        if def.same_aggregates(&base) {
            return Ok(base.id().clone());
        }
        self.ensure_definition(programme_id, tz, def).await?;
        Ok(def.id().clone())
    }

    /// Figures per 15-minute interval over every queue of a programme under `definition`, for
    /// the days `[from, to]` (programme time zone), by interval start: each call counted once
    /// (the calls view of every (queue, interval) row, merged per interval), as the KPI API's
    /// 15-minute rows merged over queues. The 15-minute rows are read a week at a time, so
    /// memory holds one week's rows and the result (one row per interval), never the whole
    /// period's (queue, interval) rows. The result is cached under the programme's data
    /// version ([`crate::cache`]).
    pub async fn programme_interval_totals(
        &self,
        programme_code: &str,
        definition: &KpiDefinition,
        from: jiff::civil::Date,
        to: jiff::civil::Date,
    ) -> Result<Arc<BTreeMap<i64, Agg>>> {
        let prog = self
            .store
            .programme_for(programme_code, None)
            .await?
            .programme;
        let tz = TimeZone::get(&prog.time_zone).unwrap_or(TimeZone::UTC);
        let stored = self.stored_definition(prog.id, &tz, definition).await?;
        let key = crate::cache::CacheKey {
            programme_id: prog.id,
            data_version: self.store.data_version(prog.id).await?,
            kind: "programme_interval_totals",
            params: format!("{definition:?}|{from}|{to}|{}", prog.time_zone),
        };
        if let Some(hit) = self.cache.get::<BTreeMap<i64, Agg>>(&key) {
            return Ok(hit);
        }
        let end = to
            .tomorrow()
            .map_err(|_| Error::invalid("to", "error.date.format"))?;
        let mut out: BTreeMap<i64, Agg> = BTreeMap::new();
        let mut day = from;
        while day < end {
            let next = day
                .checked_add(jiff::Span::new().days(INTERVAL_WINDOW_DAYS))
                .map_err(|_| Error::invalid("to", "error.date.format"))?
                .min(end);
            // Stored rows are 15-minute intervals already (every offset is a multiple of 15
            // minutes), so a row's start is its interval's start.
            for (start, calls) in self
                .store
                .kpi_interval_totals(
                    prog.id,
                    &stored,
                    day_start(day, &tz)?,
                    day_start(next, &tz)?,
                )
                .await?
            {
                out.entry(start).or_default().merge(&calls);
            }
            day = next;
        }
        let out = Arc::new(out);
        self.cache.put(key, out.clone());
        Ok(out)
    }

    /// Makes sure every batch of the programme has aggregates under `def`: call batches are
    /// recomputed from their retained records; agent time, QA, survey and sales parts (which
    /// no service-level choice changes) are carried over from the batch's standard
    /// aggregates.
    pub async fn ensure_definition(
        &self,
        programme_id: i64,
        tz: &TimeZone,
        def: &KpiDefinition,
    ) -> Result<()> {
        let base = KpiDefinition::standard();
        if def.id() == base.id() {
            return Ok(());
        }
        for batch in self
            .store
            .batches_without_definition(programme_id, def.id())
            .await?
        {
            let mut rows: BTreeMap<(String, i64), Agg> = BTreeMap::new();
            for r in self.store.batch_aggregates(batch.id, base.id()).await? {
                let mut carried = r.agg;
                clear_call_fields(&mut carried, !is_call_batch(&batch));
                rows.insert((r.queue, r.interval_start), carried);
            }
            if is_call_batch(&batch) {
                if let Some(records) = self
                    .store
                    .raw_batch(&self.settings.data_dir, batch.id)
                    .await?
                {
                    recompute_calls(&records.header, &records.bytes, def, tz, &mut rows)?;
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
            self.store.add_aggregates(&batch, &out).await?;
        }
        Ok(())
    }

    /// The calls behind one figure of `programme`: the stints in `q.queue` (or in every
    /// queue) that `q.definition`'s attribution puts in the `q.granularity` interval starting
    /// at `q.start`. Reads only the raw segments of that interval through the index (widened by
    /// the longest call when the attribution is not the entry time).
    pub async fn calls_behind(
        &self,
        programme: &Programme,
        q: CallsQuery<'_>,
    ) -> Result<CallsBehind> {
        let tz = TimeZone::get(&programme.time_zone).unwrap_or(TimeZone::UTC);
        let mut bucketer = Bucketer::new(q.granularity, tz);
        let (start, end) = bucketer.interval_of(q.start).map_err(time_error)?;
        let mut out = CallsBehind::default();
        if start != q.start {
            return Ok(out);
        }
        let margin = match q.definition.attribution {
            Attribution::Enter => 0,
            _ => self.store.raw_max_span(programme.id).await?,
        };
        let segments = self
            .store
            .raw_segments(
                &self.settings.data_dir,
                programme.id,
                CALL_SOURCES,
                q.queue,
                start - margin - SEGMENT_S + 1,
                end,
            )
            .await?;
        let mut layouts: HashMap<String, Option<Layout>> = HashMap::new();
        for s in &segments {
            let layout = layouts
                .entry(s.header.clone())
                .or_insert_with(|| Layout::from_header(s.header.as_bytes()).ok());
            let Some(layout) = layout.as_ref() else {
                tracing::warn!(batch = s.batch_id, "raw records with an unknown header");
                continue;
            };
            collect(
                layout,
                &s.bytes,
                s.batch_id,
                &q,
                &mut bucketer,
                start,
                &mut out,
            );
        }
        // Batches from before the segment index: read whole (there is no index to use).
        for b in self.store.batches_without_segments(programme.id).await? {
            if !is_call_batch(&b) {
                continue;
            }
            match self.store.raw_batch(&self.settings.data_dir, b.id).await {
                Ok(Some(r)) => {
                    if let Ok(layout) = Layout::from_header(r.header.as_bytes()) {
                        collect(&layout, &r.bytes, b.id, &q, &mut bucketer, start, &mut out);
                    }
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(batch = b.id, error = %e, "batch records unreadable"),
            }
        }
        out.calls.sort_by_key(|c| c.enter_ts);
        Ok(out)
    }
}

/// The rollup grain that nests exactly in `g` over the days `[from, to]`: hours for hourly
/// figures, days for daily and weekly ones, months for monthly figures over whole months
/// (days otherwise); none for 15- and 30-minute figures.
fn rollup_grain(
    g: Granularity,
    from: Option<jiff::civil::Date>,
    to: Option<jiff::civil::Date>,
) -> Option<&'static str> {
    match g {
        Granularity::Minutes(60) => Some("hour"),
        Granularity::Day | Granularity::Week => Some("day"),
        Granularity::Month => {
            let whole_start = from.is_none_or(|d| d.day() == 1);
            let whole_end = to.is_none_or(|d| d.tomorrow().is_ok_and(|t| t.day() == 1));
            Some(if whole_start && whole_end {
                "month"
            } else {
                "day"
            })
        }
        Granularity::Minutes(_) => None,
    }
}

/// Merges stored rows (15-minute rows or rollups that nest in `granularity`) per (queue,
/// interval), with the batches behind each row.
fn merge(
    rows: Vec<StoredAgg>,
    definition: KpiDefinition,
    granularity: Granularity,
    tz: TimeZone,
) -> Result<ProgrammeKpis> {
    let mut bucketer = Bucketer::new(granularity, tz);
    let mut aggregation = Aggregator::new(definition, bucketer.clone());
    let mut batches: BTreeMap<AggKey, BTreeSet<i64>> = BTreeMap::new();
    for r in rows {
        let start = bucketer.start_of(r.interval_start).map_err(time_error)?;
        let key = (r.queue, start);
        batches.entry(key.clone()).or_default().insert(r.batch_id);
        aggregation.merge_row(key, &r.agg);
    }
    Ok(ProgrammeKpis {
        aggregation,
        batches,
    })
}

fn collect(
    layout: &Layout,
    bytes: &[u8],
    batch_id: i64,
    q: &CallsQuery<'_>,
    bucketer: &mut Bucketer,
    start: i64,
    out: &mut CallsBehind,
) {
    for line in bytes.split(|&c| c == b'\n') {
        if line.is_empty() {
            continue;
        }
        let Ok(c) = layout.parse_line(line) else {
            continue;
        };
        if !q.queue.is_empty() && c.queue.as_ref() != q.queue.as_bytes() {
            continue;
        }
        let ts = attribution_ts(q.definition, &c.facts);
        if bucketer.start_of(ts).ok() != Some(start) {
            continue;
        }
        out.total += 1;
        match c.facts.outcome {
            Outcome::Answered => out.answered += 1,
            Outcome::Abandoned => out.abandoned += 1,
            Outcome::SystemExit => out.system_exits += 1,
        }
        if out.calls.len() < CALLS_LIMIT {
            out.calls.push(CallOut {
                call_id: String::from_utf8_lossy(&c.call_id).into_owned(),
                queue: String::from_utf8_lossy(&c.queue).into_owned(),
                enter_ts: c.facts.enter_ts,
                wait_s: c.facts.wait_s,
                talk_s: c.facts.talk_s,
                hold_s: c.facts.hold_s,
                wrap_s: c.facts.wrap_s,
                outcome: c.facts.outcome.as_str(),
                batch_id,
            });
        }
    }
}

fn is_call_batch(b: &Batch) -> bool {
    CALL_SOURCES.contains(&b.source.as_str())
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

/// Recomputes the call figures of one batch's retained records under `def`. A record that
/// is one stint of a call with several counts in its own queue; the call is put back
/// together from its stints (by call id; every stint of a call is in the same batch) and
/// counted once, in the row of its first queue, as the import did.
fn recompute_calls(
    header: &str,
    body: &[u8],
    def: &KpiDefinition,
    tz: &TimeZone,
    rows: &mut BTreeMap<(String, i64), Agg>,
) -> Result<()> {
    let layout = Layout::from_header(header.as_bytes()).map_err(Error::internal)?;
    let mut bucketer = Bucketer::new(Granularity::Minutes(15), tz.clone());
    let mut err = None;
    let mut open: HashMap<Vec<u8>, Vec<(u32, String, CallFacts)>> = HashMap::new();
    let issues = parse_chunk(&layout, body, 2, |_, c| {
        let queue = String::from_utf8_lossy(&c.queue).into_owned();
        let start = match bucketer.start_of(attribution_ts(def, &c.facts)) {
            Ok(start) => start,
            Err(e) => {
                err = Some(e);
                return;
            }
        };
        if c.stints <= 1 {
            rows.entry((queue, start))
                .or_default()
                .add_call(def, &c.facts);
            return;
        }
        rows.entry((queue.clone(), start))
            .or_default()
            .add_stint(def, &c.facts);
        let id = c.call_id.into_owned();
        let parts = open.entry(id.clone()).or_default();
        parts.push((c.stint, queue, c.facts));
        if parts.len() < c.stints as usize {
            return;
        }
        let Some(mut parts) = open.remove(&id) else {
            return;
        };
        parts.sort_by_key(|p| p.0);
        let facts: Vec<CallFacts> = parts.iter().map(|p| p.2).collect();
        if let Some(whole) = CallFacts::of_stints(&facts) {
            match bucketer.start_of(attribution_ts(def, &whole)) {
                Ok(start) => rows
                    .entry((parts[0].1.clone(), start))
                    .or_default()
                    .add_whole_call(def, &whole),
                Err(e) => err = Some(e),
            }
        }
    });
    if let Some(e) = err {
        return Err(Error::internal(e));
    }
    if let Some(i) = issues.first() {
        return Err(Error::internal_msg(format!(
            "retained raw records are damaged: {i}"
        )));
    }
    if let Some(id) = open.keys().next() {
        return Err(Error::internal_msg(format!(
            "retained raw records are damaged: call {} lacks stints",
            String::from_utf8_lossy(id)
        )));
    }
    Ok(())
}
