//! Import batches, their data-quality reports, saved column mappings and stored KPI aggregates.
//!
//! The parsing and the batch data files live in `rumbo-ingest`; this module stores what a batch
//! produced. [`Store::commit_import`] writes the batch row, every issue and every aggregate in
//! one transaction (plus an audit row), so a crash leaves the whole batch or nothing.
//! Aggregates are stored per (batch, definition version, queue, 15-minute interval) as exact
//! counts and sums ([`rumbo_kpi::Agg::encode`]); figures are computed when read, by merging the
//! batches' aggregates, so every figure names its definition version and batches.
//! Beside them, the same transaction writes each batch's rollups per (queue, local hour, day
//! and month) in the programme's time zone ([`Store::kpi_rollups`]), and bumps the
//! programme's data version ([`Store::data_version`]), which result caches key on.

use rumbo_kpi::{Agg, Bucketer, DefinitionId, Granularity};
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};

use crate::audit::{self, Actor, Change};
use crate::jobs::{self, JobFence};
use crate::keys::BatchKeys;
use crate::raw::{insert_segments, RawBatch};
use crate::{col, now, Backend, Result, Store, StoreError};

/// Page cache of the connection committing an import on SQLite, in KiB (the default is
/// 2,000 KiB): the B-tree pages the commit touches again stay in memory instead of being
/// spilled to the WAL and written again (14 % fewer page writes for 1M calls). Bounded,
/// so memory does not grow with the file.
pub const IMPORT_CACHE_KIB: i64 = 8 * 1024;

/// SQLite's defaults, which the pool's connections keep outside an import's commit.
const SQLITE_DEFAULT_CACHE: i64 = -2000;
const SQLITE_DEFAULT_AUTOCHECKPOINT: i64 = 1000;

/// Keys per `import_keys` blob (4 MB): a commit holds one blob at a time, so this bounds
/// its memory whatever the size of the file. Readers take blobs of any length.
const KEYS_PER_BLOB: usize = 1 << 18;

fn unpack_keys(blob: &[u8], mut f: impl FnMut(u128)) -> Result<()> {
    if !blob.len().is_multiple_of(16) {
        return Err(StoreError::Corrupt("import key blob length".into()));
    }
    for c in blob.chunks_exact(16) {
        let mut b = [0u8; 16];
        b.copy_from_slice(c);
        f(u128::from_be_bytes(b));
    }
    Ok(())
}

/// Serialises the commits of imports into one programme. SQLite: the write lock that
/// `write_tx` takes (`BEGIN IMMEDIATE`) already serialises every writer.
async fn lock_programme_imports(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    programme_id: i64,
) -> Result<()> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock(7301, CAST($1 AS INTEGER))")
            .bind(programme_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// One data-quality finding of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueRow {
    /// 1-based line in the source file.
    pub line: i64,
    /// `rejected` or `suspicious`.
    pub severity: String,
    /// Reason code (`unparseable`, `time_backwards`, `call_never_ended`, ...).
    pub kind: String,
    /// Human-readable detail.
    pub message: String,
}

/// How many issues of one (severity, reason) a batch had, and how many are stored in full.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueTotal {
    /// `rejected` or `suspicious`.
    pub severity: String,
    /// Reason code.
    pub kind: String,
    /// Every issue of this reason in the file.
    pub total: i64,
    /// The first ones, stored in `import_issues` with their line and message.
    pub kept: i64,
}

/// One aggregate to store.
#[derive(Debug, Clone, PartialEq)]
pub struct AggRow {
    /// Definition name and version that built the aggregate.
    pub definition: DefinitionId,
    /// Queue name (empty for programme-level rows such as agent time without a queue).
    pub queue: String,
    /// 15-minute interval start, epoch seconds.
    pub interval_start: i64,
    /// Counts and exact sums.
    pub agg: Agg,
}

/// What an import produced, ready to be committed.
#[derive(Debug, Clone, Default)]
pub struct NewBatch {
    pub programme_id: i64,
    /// `queue-log`, `cdr`, `calls`, `quality`, `survey` or `sales`.
    pub source: String,
    pub file_name: String,
    /// SHA-256 of the source file.
    pub file_hash: String,
    pub mapping_name: Option<String>,
    /// The layout the importer recognised (`queue-log-pipe`, `cdr-header`, …), if any.
    pub layout: Option<String>,
    pub lines_read: i64,
    pub imported: i64,
    pub rejected: i64,
    pub suspicious: i64,
    pub duplicates: i64,
    /// Retained raw records (batch file beside the database).
    pub data_path: Option<String>,
    /// Sorted natural-key hashes of the imported records (batches from before `import_keys`).
    pub keys_path: Option<String>,
    pub min_ts: Option<i64>,
    pub max_ts: Option<i64>,
    /// The issues kept in full (the first ones of each reason).
    pub issues: Vec<IssueRow>,
    /// Every reason's total (the report is bounded; the totals are exact).
    pub issue_totals: Vec<IssueTotal>,
    /// Lines not understood (unreadable lines and unknown events).
    pub not_understood: i64,
    pub aggregates: Vec<AggRow>,
    /// The job running this import, if any: it is marked done (result `{"batch_id": N}`) in
    /// the batch's own transaction, and the commit is refused if the job's claim was lost.
    pub job: Option<JobFence>,
    /// The 128-bit natural keys of the imported records, sorted and unique (in memory, or
    /// spilled to the spool folder by a [`crate::keys::KeySpool`]).
    pub keys: BatchKeys,
    /// The newest batch of the programme whose keys the import skipped (0 for none): the
    /// commit refuses with `Conflict("import.keys")` when a batch committed after it holds any
    /// of `keys`, so the import can be redone against the new state.
    pub after_batch: i64,
    /// The retained raw records (replaces `data_path` when set).
    pub raw: Option<RawBatch>,
}

/// A committed batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub id: i64,
    pub programme_id: i64,
    pub source: String,
    pub file_name: String,
    pub file_hash: String,
    pub mapping_name: Option<String>,
    /// The layout the importer recognised (`None` for batches from before recognition).
    pub layout: Option<String>,
    pub lines_read: i64,
    pub imported: i64,
    pub rejected: i64,
    pub suspicious: i64,
    pub duplicates: i64,
    pub data_path: Option<String>,
    pub keys_path: Option<String>,
    pub min_ts: Option<i64>,
    pub max_ts: Option<i64>,
    pub created_at: i64,
    pub actor: String,
    /// CSV header of the raw records (`None` for batches from before the segment index).
    pub raw_header: Option<String>,
    /// Lines not understood (unreadable lines and unknown events; 0 for older batches).
    pub not_understood: i64,
}

impl Batch {
    /// Whether most of the lines read were not understood: the file is probably not what the
    /// import expected.
    pub fn mostly_not_understood(&self) -> bool {
        self.not_understood.saturating_mul(2) > self.lines_read
    }
}

/// What identifies a committed batch's keys (see [`Store::batch_stamps`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchStamp {
    pub id: i64,
    pub source: String,
    pub created_at: i64,
    pub file_hash: String,
    pub imported: i64,
    /// Whether the batch has a raw-segment header (batches from before it have no stored keys).
    pub has_raw: bool,
}

/// What [`Store::rollup_coverage`] found: fingerprints (count, sum of ids, sum of creation
/// times) of the batches up to `after` and of them all, the newest batch's id, and how many
/// batches above `after` have 15-minute aggregates but no rollups in the time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RollupCoverage {
    pub checked: [i64; 3],
    pub all: [i64; 3],
    pub max_id: i64,
    pub missing: i64,
}

/// A stored aggregate as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredAgg {
    pub batch_id: i64,
    pub queue: String,
    pub interval_start: i64,
    pub agg: Agg,
}

/// A saved column mapping (JSON of `rumbo_ingest::mapping::Mapping`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedMapping {
    pub name: String,
    pub kind: String,
    pub mapping_json: String,
}

fn batch_row(r: &AnyRow) -> Result<Batch> {
    Ok(Batch {
        id: col(r, "id")?,
        programme_id: col(r, "programme_id")?,
        source: col(r, "source")?,
        file_name: col(r, "file_name")?,
        file_hash: col(r, "file_hash")?,
        mapping_name: col(r, "mapping_name")?,
        layout: col(r, "layout")?,
        lines_read: col(r, "lines_read")?,
        imported: col(r, "imported")?,
        rejected: col(r, "rejected")?,
        suspicious: col(r, "suspicious")?,
        duplicates: col(r, "duplicates")?,
        data_path: col(r, "data_path")?,
        keys_path: col(r, "keys_path")?,
        min_ts: col(r, "min_ts")?,
        max_ts: col(r, "max_ts")?,
        created_at: col(r, "created_at")?,
        actor: col(r, "actor")?,
        raw_header: col(r, "raw_header")?,
        not_understood: col(r, "not_understood")?,
    })
}

/// Rows per multi-row INSERT: fewer statements on SQLite, whose anonymous placeholders
/// cost nothing to bind ([`crate::multi_row_insert`]); 50 on PostgreSQL.
pub(crate) fn rows_per_insert(backend: Backend) -> usize {
    match backend {
        Backend::Sqlite => 200,
        Backend::Postgres => 50,
    }
}

async fn insert_aggregates(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    batch_id: i64,
    programme_id: i64,
    rows: &[AggRow],
) -> Result<()> {
    for chunk in rows.chunks(rows_per_insert(backend)) {
        let sql = crate::multi_row_insert(
            backend,
            "INSERT INTO kpi_aggregates (batch_id, programme_id, definition, definition_version, queue, interval_start, counts, sums) VALUES ",
            chunk.len(),
            8,
        );
        let mut q = sqlx::query(&sql);
        for r in chunk {
            let (c, s) = r.agg.encode();
            q = q
                .bind(batch_id)
                .bind(programme_id)
                .bind(r.definition.name.clone())
                .bind(i64::from(r.definition.version))
                .bind(r.queue.clone())
                .bind(r.interval_start)
                .bind(c)
                .bind(s);
        }
        q.execute(&mut **tx).await?;
    }
    insert_rollups(tx, backend, batch_id, programme_id, rows).await?;
    bump_data_version(tx, programme_id).await?;
    Ok(())
}

/// The grains rollups are kept at, by name: local hour, day and month.
pub const ROLLUP_GRAINS: [(&str, Granularity); 3] = [
    ("hour", Granularity::Minutes(60)),
    ("day", Granularity::Day),
    ("month", Granularity::Month),
];

/// Writes the rollups of a batch's 15-minute `rows` (every grain of [`ROLLUP_GRAINS`]) in
/// the programme's current time zone: each rollup row is the exact merge of the 15-minute
/// rows it covers.
async fn insert_rollups(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    batch_id: i64,
    programme_id: i64,
    rows: &[AggRow],
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let zone: String = sqlx::query_scalar("SELECT time_zone FROM programmes WHERE id = $1")
        .bind(programme_id)
        .fetch_one(&mut **tx)
        .await?;
    let tz = jiff::tz::TimeZone::get(&zone).unwrap_or(jiff::tz::TimeZone::UTC);
    // Rows in key order (as imports give them) merge into the rollup row before them; any
    // other order leaves a rollup key more than once, and the sort brings those together.
    type Key<'r> = (&'static str, &'r DefinitionId, &'r str, i64);
    let mut out: Vec<(Key<'_>, Agg)> = Vec::new();
    for (grain, g) in ROLLUP_GRAINS {
        let mut bucketer = Bucketer::new(g, tz.clone());
        for r in rows {
            let start = bucketer
                .start_of(r.interval_start)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let key = (grain, &r.definition, r.queue.as_str(), start);
            match out.last_mut() {
                Some((k, agg)) if *k == key => agg.merge(&r.agg),
                _ => out.push((key, r.agg)),
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.dedup_by(|later, kept| {
        let same = later.0 == kept.0;
        if same {
            kept.1.merge(&later.1);
        }
        same
    });
    for chunk in out.chunks(rows_per_insert(backend)) {
        let sql = crate::multi_row_insert(
            backend,
            "INSERT INTO kpi_rollups (batch_id, programme_id, definition, definition_version, time_zone, grain, queue, interval_start, counts, sums) VALUES ",
            chunk.len(),
            10,
        );
        let mut q = sqlx::query(&sql);
        for ((grain, def, queue, start), agg) in chunk {
            let (c, s) = agg.encode();
            q = q
                .bind(batch_id)
                .bind(programme_id)
                .bind(def.name.clone())
                .bind(i64::from(def.version))
                .bind(zone.clone())
                .bind(grain.to_string())
                .bind(queue.to_string())
                .bind(*start)
                .bind(c)
                .bind(s);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Counts a change to a programme's stored figures (in the transaction that makes it).
async fn bump_data_version(tx: &mut Transaction<'_, Any>, programme_id: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO programme_data_versions (programme_id, version) VALUES ($1, 1)
         ON CONFLICT (programme_id) DO UPDATE SET version = programme_data_versions.version + 1",
    )
    .bind(programme_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn stored_agg(r: &AnyRow) -> Result<StoredAgg> {
    let counts: String = col(r, "counts")?;
    let sums: String = col(r, "sums")?;
    Ok(StoredAgg {
        batch_id: col(r, "batch_id")?,
        queue: col(r, "queue")?,
        interval_start: col(r, "interval_start")?,
        agg: Agg::decode(&counts, &sums).map_err(|e| StoreError::Corrupt(e.to_string()))?,
    })
}

impl Store {
    /// The programme's data version: a counter bumped in every transaction that changes its
    /// stored figures (an import, a batch deletion, the aggregates of a new definition
    /// version). Equal versions mean equal figures, on any server.
    pub async fn data_version(&self, programme_id: i64) -> Result<i64> {
        let v: Option<i64> = sqlx::query_scalar(
            "SELECT version FROM programme_data_versions WHERE programme_id = $1",
        )
        .bind(programme_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(v.unwrap_or(0))
    }

    /// The programme's data version and state version in one read. The state version is
    /// bumped (by triggers, in the writing transaction) by every change to its plan items,
    /// alarm rules, alarms and corrective actions: with the data version, the programme row
    /// and the day, it names everything the cockpit shows.
    pub async fn versions(&self, programme_id: i64) -> Result<(i64, i64)> {
        let (data, state): (i64, i64) = sqlx::query_as(
            "SELECT CAST(COALESCE((SELECT version FROM programme_data_versions WHERE programme_id = $1), 0) AS BIGINT),
                    CAST(COALESCE((SELECT version FROM programme_state_versions WHERE programme_id = $1), 0) AS BIGINT)",
        )
        .bind(programme_id)
        .fetch_one(self.pool())
        .await?;
        Ok((data, state))
    }

    /// Whether the batches of a programme have their rollups under `def` in `time_zone`,
    /// checking only batches with an id above `after` for missing rollups, in one read (one
    /// snapshot). It also returns a fingerprint of the batches up to `after` and of them all,
    /// so the caller can tell whether the part it checked before is unchanged
    /// ([`RollupCoverage`]).
    pub async fn rollup_coverage(
        &self,
        programme_id: i64,
        def: &DefinitionId,
        time_zone: &str,
        after: i64,
    ) -> Result<RollupCoverage> {
        let r = sqlx::query(
            "SELECT
               CAST(COALESCE(SUM(CASE WHEN b.id <= $5 THEN 1 ELSE 0 END), 0) AS BIGINT) AS n_old,
               CAST(COALESCE(SUM(CASE WHEN b.id <= $5 THEN b.id ELSE 0 END), 0) AS BIGINT) AS s_old,
               CAST(COALESCE(SUM(CASE WHEN b.id <= $5 THEN b.created_at ELSE 0 END), 0) AS BIGINT) AS c_old,
               CAST(COUNT(*) AS BIGINT) AS n_all,
               CAST(COALESCE(SUM(b.id), 0) AS BIGINT) AS s_all,
               CAST(COALESCE(SUM(b.created_at), 0) AS BIGINT) AS c_all,
               CAST(COALESCE(MAX(b.id), 0) AS BIGINT) AS max_id,
               CAST(COALESCE(SUM(CASE WHEN b.id <= $5 THEN 0 ELSE
                 CASE WHEN EXISTS (SELECT 1 FROM kpi_aggregates a WHERE a.batch_id = b.id AND a.definition = $2 AND a.definition_version = $3)
                       AND NOT EXISTS (SELECT 1 FROM kpi_rollups r WHERE r.batch_id = b.id AND r.definition = $2 AND r.definition_version = $3 AND r.time_zone = $4)
                 THEN 1 ELSE 0 END END), 0) AS BIGINT) AS missing
             FROM import_batches b WHERE b.programme_id = $1",
        )
        .bind(programme_id)
        .bind(def.name.clone())
        .bind(i64::from(def.version))
        .bind(time_zone)
        .bind(after)
        .fetch_one(self.pool())
        .await?;
        Ok(RollupCoverage {
            checked: [col(&r, "n_old")?, col(&r, "s_old")?, col(&r, "c_old")?],
            all: [col(&r, "n_all")?, col(&r, "s_all")?, col(&r, "c_all")?],
            max_id: col(&r, "max_id")?,
            missing: col(&r, "missing")?,
        })
    }

    /// The rollups of a programme at `grain` (`hour`, `day` or `month`) in `time_zone`, with
    /// interval starts in `[from, to)`; `None` when some batch with 15-minute aggregates under
    /// `def` has no rollups in that time zone (it was stored before rollups existed, or under
    /// another time zone): then only the 15-minute rows give the right figures.
    pub async fn kpi_rollups(
        &self,
        programme_id: i64,
        def: &DefinitionId,
        time_zone: &str,
        grain: &str,
        from: Option<i64>,
        to: Option<i64>,
    ) -> Result<Option<Vec<StoredAgg>>> {
        let c = self
            .rollup_coverage(programme_id, def, time_zone, 0)
            .await?;
        if c.missing > 0 {
            return Ok(None);
        }
        self.kpi_rollup_rows(programme_id, def, time_zone, grain, from, to)
            .await
            .map(Some)
    }

    /// The rollup rows of [`Store::kpi_rollups`] without the check that every batch has
    /// them (the caller made it, e.g. with [`Store::rollup_coverage`]).
    pub async fn kpi_rollup_rows(
        &self,
        programme_id: i64,
        def: &DefinitionId,
        time_zone: &str,
        grain: &str,
        from: Option<i64>,
        to: Option<i64>,
    ) -> Result<Vec<StoredAgg>> {
        let rows = sqlx::query(
            "SELECT batch_id, queue, interval_start, counts, sums FROM kpi_rollups
             WHERE programme_id = $1 AND definition = $2 AND definition_version = $3
               AND time_zone = $4 AND grain = $5
               AND interval_start >= $6 AND interval_start < $7
             ORDER BY queue, interval_start, batch_id",
        )
        .bind(programme_id)
        .bind(def.name.clone())
        .bind(i64::from(def.version))
        .bind(time_zone)
        .bind(grain)
        .bind(from.unwrap_or(i64::MIN))
        .bind(to.unwrap_or(i64::MAX))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(stored_agg).collect()
    }

    /// Commits a batch with its issues and aggregates in one transaction; returns its id.
    /// With `b.job`, fails with `Conflict("job.claim")` and commits nothing when that job is no
    /// longer held by its fence (another worker took it over).
    ///
    /// Exactly once: under a per-programme lock, the keys of every batch committed after
    /// `b.after_batch` are compared with `b.keys`; any overlap refuses the commit with
    /// `StoreError::Conflict("import.keys")` (nothing is written) and the caller redoes the
    /// import against the new state.
    ///
    /// On SQLite the commit's connection keeps up to [`IMPORT_CACHE_KIB`] KiB of pages in
    /// memory for the transaction (instead of spilling them to the WAL and writing them
    /// again), and does not checkpoint inside the commit: the WAL is checkpointed right after,
    /// passively and off the caller's path (`checkpoint_in_background`).
    pub async fn commit_import(&self, actor: &Actor, b: &NewBatch) -> Result<i64> {
        let mut conn = self.pool().acquire().await?;
        if self.backend() == Backend::Postgres {
            return self.commit_import_on(&mut conn, actor, b).await;
        }
        sqlx::query(&format!(
            "PRAGMA cache_size = -{IMPORT_CACHE_KIB}; PRAGMA wal_autocheckpoint = 0"
        ))
        .execute(&mut *conn)
        .await?;
        let committed = self.commit_import_on(&mut conn, actor, b).await;
        // Back to the pool's settings (`PRAGMA cache_size = -2000` frees the pages above it);
        // a connection that cannot be reset is closed rather than returned as it is.
        let reset = sqlx::query(&format!(
            "PRAGMA cache_size = {SQLITE_DEFAULT_CACHE}; PRAGMA wal_autocheckpoint = {SQLITE_DEFAULT_AUTOCHECKPOINT}"
        ))
        .execute(&mut *conn)
        .await;
        if reset.is_err() {
            conn.close_on_drop();
        }
        drop(conn);
        if committed.is_ok() {
            self.checkpoint_in_background();
        }
        committed
    }

    /// Copies the WAL into the database file on a task of its own (`PRAGMA
    /// wal_checkpoint(PASSIVE)`: it waits for no reader or writer), so the import that wrote
    /// the pages does not wait for them to be written a second time.
    /// One at a time: while one runs, later commits' frames wait for the next import's
    /// checkpoint (or the pool's own autocheckpoint).
    fn checkpoint_in_background(&self) {
        use std::sync::atomic::Ordering;
        if self.checkpointing.swap(true, Ordering::AcqRel) {
            return;
        }
        let pool = self.pool().clone();
        let running = self.checkpointing.clone();
        tokio::spawn(async move {
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&pool)
                .await
            {
                tracing::debug!(error = %e, "checkpoint after an import");
            }
            running.store(false, Ordering::Release);
        });
    }

    async fn commit_import_on(
        &self,
        conn: &mut sqlx::pool::PoolConnection<Any>,
        actor: &Actor,
        b: &NewBatch,
    ) -> Result<i64> {
        use sqlx::Connection;
        let mut tx = match self.backend() {
            Backend::Sqlite => conn.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => conn.begin().await?,
        };
        lock_programme_imports(&mut tx, self.backend(), b.programme_id).await?;
        if !b.keys.is_empty() {
            let newer: Vec<i64> = sqlx::query_scalar(
                "SELECT id FROM import_batches WHERE programme_id = $1 AND id > $2 ORDER BY id",
            )
            .bind(b.programme_id)
            .bind(b.after_batch)
            .fetch_all(&mut *tx)
            .await?;
            for batch in newer {
                let blobs: Vec<Vec<u8>> = sqlx::query_scalar(
                    "SELECT keys FROM import_keys WHERE batch_id = $1 ORDER BY seq",
                )
                .bind(batch)
                .fetch_all(&mut *tx)
                .await?;
                let mut clash = false;
                for ours in b.keys.chunks(KEYS_PER_BLOB)? {
                    let ours = ours?;
                    for blob in &blobs {
                        unpack_keys(blob, |k| clash |= ours.binary_search(&k).is_ok())?;
                    }
                }
                if clash {
                    return Err(StoreError::Conflict("import.keys"));
                }
            }
        }
        let data_path = match &b.raw {
            Some(raw) if self.backend() == Backend::Sqlite => {
                Some(raw.relative.to_string_lossy().into_owned())
            }
            Some(_) => None,
            None => b.data_path.clone(),
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO import_batches (programme_id, source, file_name, file_hash, mapping_name, lines_read, imported, rejected, suspicious, duplicates, data_path, keys_path, min_ts, max_ts, created_at, actor, raw_header, raw_max_span, layout, not_understood)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) RETURNING id",
        )
        .bind(b.programme_id)
        .bind(&b.source)
        .bind(&b.file_name)
        .bind(&b.file_hash)
        .bind(&b.mapping_name)
        .bind(b.lines_read)
        .bind(b.imported)
        .bind(b.rejected)
        .bind(b.suspicious)
        .bind(b.duplicates)
        .bind(&data_path)
        .bind(&b.keys_path)
        .bind(b.min_ts)
        .bind(b.max_ts)
        .bind(now())
        .bind(&actor.label)
        .bind(b.raw.as_ref().map(|r| r.header.clone()))
        .bind(b.raw.as_ref().map(|r| r.max_span))
        .bind(&b.layout)
        .bind(b.not_understood)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                StoreError::UnknownReference("programme")
            }
            _ => e.into(),
        })?;
        for chunk in b.issues.chunks(rows_per_insert(self.backend())) {
            let sql = crate::multi_row_insert(
                self.backend(),
                "INSERT INTO import_issues (batch_id, line, severity, kind, message) VALUES ",
                chunk.len(),
                5,
            );
            let mut q = sqlx::query(&sql);
            for r in chunk {
                q = q
                    .bind(id)
                    .bind(r.line)
                    .bind(r.severity.clone())
                    .bind(r.kind.clone())
                    .bind(r.message.clone());
            }
            q.execute(&mut *tx).await?;
        }
        for t in &b.issue_totals {
            sqlx::query(
                "INSERT INTO import_issue_totals (batch_id, severity, kind, total, kept) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(&t.severity)
            .bind(&t.kind)
            .bind(t.total)
            .bind(t.kept)
            .execute(&mut *tx)
            .await?;
        }
        let started = std::time::Instant::now();
        insert_aggregates(&mut tx, self.backend(), id, b.programme_id, &b.aggregates).await?;
        let aggregates_s = started.elapsed().as_secs_f64();
        for (seq, blob) in b.keys.packed_chunks(KEYS_PER_BLOB)?.enumerate() {
            let blob = blob?;
            sqlx::query("INSERT INTO import_keys (batch_id, seq, n, keys) VALUES ($1, $2, $3, $4)")
                .bind(id)
                .bind(seq as i64)
                .bind((blob.len() / 16) as i64)
                .bind(blob)
                .execute(&mut *tx)
                .await?;
        }
        let keys_s = started.elapsed().as_secs_f64() - aggregates_s;
        if let Some(raw) = &b.raw {
            insert_segments(&mut tx, self.backend(), id, b.programme_id, raw).await?;
        }
        let segments_s = started.elapsed().as_secs_f64() - aggregates_s - keys_s;
        audit::record(
            &mut tx,
            actor,
            Change {
                entity: "import_batch",
                entity_id: id.to_string(),
                programme_id: Some(b.programme_id),
                action: "create",
                before: None,
                after: Some(serde_json::json!({
                    "source": b.source, "file_name": b.file_name, "file_hash": b.file_hash,
                    "lines_read": b.lines_read, "imported": b.imported, "rejected": b.rejected,
                    "suspicious": b.suspicious, "duplicates": b.duplicates,
                })),
            },
        )
        .await?;
        if let Some(fence) = &b.job {
            let result = serde_json::json!({ "batch_id": id }).to_string();
            jobs::complete_in_tx(&mut tx, fence, &result).await?;
        }
        let before_commit = started.elapsed().as_secs_f64();
        tx.commit().await?;
        tracing::debug!(
            batch = id,
            rows = b.aggregates.len(),
            segments = b.raw.as_ref().map_or(0, |r| r.pieces.len()),
            aggregates_s,
            keys_s,
            segments_s,
            commit_s = started.elapsed().as_secs_f64() - before_commit,
            "import commit steps"
        );
        Ok(id)
    }

    /// The newest batch of a programme (0 when none): an import's snapshot.
    pub async fn newest_batch(&self, programme_id: i64) -> Result<i64> {
        let v: Option<i64> =
            sqlx::query_scalar("SELECT MAX(id) FROM import_batches WHERE programme_id = $1")
                .bind(programme_id)
                .fetch_one(self.pool())
                .await?;
        Ok(v.unwrap_or(0))
    }

    /// Calls `f` with every natural key stored for a batch; returns how many there were.
    /// Reads one blob (at most 1M keys) at a time.
    pub async fn for_each_batch_key(&self, batch_id: i64, mut f: impl FnMut(u128)) -> Result<u64> {
        let seqs: Vec<i64> =
            sqlx::query_scalar("SELECT seq FROM import_keys WHERE batch_id = $1 ORDER BY seq")
                .bind(batch_id)
                .fetch_all(self.pool())
                .await?;
        let mut n = 0;
        for seq in seqs {
            let blob: Vec<u8> =
                sqlx::query_scalar("SELECT keys FROM import_keys WHERE batch_id = $1 AND seq = $2")
                    .bind(batch_id)
                    .bind(seq)
                    .fetch_one(self.pool())
                    .await?;
            unpack_keys(&blob, |k| {
                n += 1;
                f(k)
            })?;
        }
        Ok(n)
    }

    /// Adds aggregates of a (new) definition version to an existing batch (recomputation).
    pub async fn add_aggregates(&self, batch: &Batch, rows: &[AggRow]) -> Result<()> {
        let mut tx = self.write_tx().await?;
        insert_aggregates(&mut tx, self.backend(), batch.id, batch.programme_id, rows).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Batches of a programme, newest first.
    pub async fn import_batches(&self, programme_id: i64) -> Result<Vec<Batch>> {
        let rows =
            sqlx::query("SELECT * FROM import_batches WHERE programme_id = $1 ORDER BY id DESC")
                .bind(programme_id)
                .fetch_all(self.pool())
                .await?;
        rows.iter().map(batch_row).collect()
    }

    /// The first and last record instants (UTC epoch seconds) over a programme's batches;
    /// `None` without data. One aggregate read, whatever the number of batches.
    pub async fn data_span(&self, programme_id: i64) -> Result<Option<(i64, i64)>> {
        let r = sqlx::query(
            "SELECT MIN(min_ts) AS lo, MAX(max_ts) AS hi FROM import_batches WHERE programme_id = $1",
        )
        .bind(programme_id)
        .fetch_one(self.pool())
        .await?;
        let lo: Option<i64> = col(&r, "lo")?;
        let hi: Option<i64> = col(&r, "hi")?;
        Ok(lo.zip(hi))
    }

    /// The batches of a programme that rejected any line, newest first: (id, created_at,
    /// imported, rejected).
    pub async fn batches_with_rejections(
        &self,
        programme_id: i64,
    ) -> Result<Vec<(i64, i64, i64, i64)>> {
        let rows = sqlx::query(
            "SELECT id, created_at, imported, rejected FROM import_batches WHERE programme_id = $1 AND rejected > 0 ORDER BY id DESC",
        )
        .bind(programme_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    col(r, "id")?,
                    col(r, "created_at")?,
                    col(r, "imported")?,
                    col(r, "rejected")?,
                ))
            })
            .collect()
    }

    /// What identifies each batch of a programme with an id in `(after, upto]`, oldest first.
    /// An import reads only this to find the keys it must skip.
    pub async fn batch_stamps(
        &self,
        programme_id: i64,
        after: i64,
        upto: i64,
    ) -> Result<Vec<BatchStamp>> {
        let rows = sqlx::query(
            "SELECT id, source, created_at, file_hash, imported, raw_header FROM import_batches WHERE programme_id = $1 AND id > $2 AND id <= $3 ORDER BY id",
        )
        .bind(programme_id)
        .bind(after)
        .bind(upto)
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(BatchStamp {
                id: col(r, "id")?,
                source: col(r, "source")?,
                created_at: col(r, "created_at")?,
                file_hash: col(r, "file_hash")?,
                imported: col(r, "imported")?,
                has_raw: col::<Option<String>>(r, "raw_header")?.is_some(),
            });
        }
        Ok(out)
    }

    /// A fingerprint of a programme's batches with an id up to `upto`: how many there are, the
    /// sum of their ids, and the id, creation time and file hash of the newest. It changes when
    /// a batch up to `upto` is deleted (ids only grow; on SQLite a deleted newest batch's id
    /// may be taken again, by a batch with another stamp).
    pub async fn batch_fingerprint(
        &self,
        programme_id: i64,
        upto: i64,
    ) -> Result<(i64, i64, Option<(i64, i64, String)>)> {
        let r = sqlx::query(
            "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(id), 0) AS BIGINT) AS s FROM import_batches WHERE programme_id = $1 AND id <= $2",
        )
        .bind(programme_id)
        .bind(upto)
        .fetch_one(self.pool())
        .await?;
        let newest = sqlx::query(
            "SELECT id, created_at, file_hash FROM import_batches WHERE programme_id = $1 AND id <= $2 ORDER BY id DESC LIMIT 1",
        )
        .bind(programme_id)
        .bind(upto)
        .fetch_optional(self.pool())
        .await?
        .map(|r| -> Result<_> { Ok((col(&r, "id")?, col(&r, "created_at")?, col(&r, "file_hash")?)) })
        .transpose()?;
        Ok((col(&r, "n")?, col(&r, "s")?, newest))
    }

    /// Batches of a programme from before the raw-segment index that kept a data file
    /// (the drill-down reads them whole).
    pub async fn batches_without_segments(&self, programme_id: i64) -> Result<Vec<Batch>> {
        let rows = sqlx::query(
            "SELECT * FROM import_batches WHERE programme_id = $1 AND raw_header IS NULL AND data_path IS NOT NULL ORDER BY id DESC",
        )
        .bind(programme_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(batch_row).collect()
    }

    /// One batch.
    pub async fn import_batch(&self, id: i64) -> Result<Batch> {
        let r = sqlx::query("SELECT * FROM import_batches WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        batch_row(&r)
    }

    /// The data-quality report of a batch, by line, paged.
    pub async fn import_issues(
        &self,
        batch_id: i64,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<IssueRow>> {
        let rows = sqlx::query(
            "SELECT line, severity, kind, message FROM import_issues WHERE batch_id = $1 ORDER BY line, kind LIMIT $2 OFFSET $3",
        )
        .bind(batch_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(IssueRow {
                    line: col(r, "line")?,
                    severity: col(r, "severity")?,
                    kind: col(r, "kind")?,
                    message: col(r, "message")?,
                })
            })
            .collect()
    }

    /// Every reason's issue total of a batch, rejected first, most frequent first.
    pub async fn import_issue_totals(&self, batch_id: i64) -> Result<Vec<IssueTotal>> {
        let rows = sqlx::query(
            "SELECT severity, kind, total, kept FROM import_issue_totals WHERE batch_id = $1 ORDER BY severity, total DESC, kind",
        )
        .bind(batch_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(IssueTotal {
                    severity: col(r, "severity")?,
                    kind: col(r, "kind")?,
                    total: col(r, "total")?,
                    kept: col(r, "kept")?,
                })
            })
            .collect()
    }

    /// Deletes a batch with everything that came from it — its issues, keys, raw-record
    /// index (and, on PostgreSQL, the raw records) and aggregates, so figures are recomputed
    /// from the batches that remain — and audits the deletion, in one transaction. Returns
    /// the batch as it was; the caller removes its raw file from the data folder (SQLite).
    pub async fn delete_import_batch(&self, actor: &Actor, batch_id: i64) -> Result<Batch> {
        let mut tx = self.write_tx().await?;
        let r = sqlx::query("SELECT * FROM import_batches WHERE id = $1")
            .bind(batch_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let b = batch_row(&r)?;
        lock_programme_imports(&mut tx, self.backend(), b.programme_id).await?;
        sqlx::query("DELETE FROM import_batches WHERE id = $1")
            .bind(batch_id)
            .execute(&mut *tx)
            .await?;
        bump_data_version(&mut tx, b.programme_id).await?;
        audit::record(
            &mut tx,
            actor,
            Change {
                entity: "import_batch",
                entity_id: batch_id.to_string(),
                programme_id: Some(b.programme_id),
                action: "delete",
                before: Some(serde_json::json!({
                    "source": b.source, "file_name": b.file_name, "file_hash": b.file_hash,
                    "lines_read": b.lines_read, "imported": b.imported, "rejected": b.rejected,
                    "suspicious": b.suspicious, "duplicates": b.duplicates,
                })),
                after: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(b)
    }

    /// Every data/keys file referenced by a committed batch (to find orphans of crashed imports).
    pub async fn import_file_paths(&self) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT data_path, keys_path FROM import_batches")
            .fetch_all(self.pool())
            .await?;
        let mut out = Vec::new();
        for r in &rows {
            for c in ["data_path", "keys_path"] {
                if let Some(p) = col::<Option<String>>(r, c)? {
                    out.push(p);
                }
            }
        }
        Ok(out)
    }

    /// Stored aggregates of a programme under one definition version, optionally limited to
    /// interval starts in `[from, to)`.
    pub async fn kpi_aggregates(
        &self,
        programme_id: i64,
        def: &DefinitionId,
        from: Option<i64>,
        to: Option<i64>,
    ) -> Result<Vec<StoredAgg>> {
        let rows = sqlx::query(
            "SELECT batch_id, queue, interval_start, counts, sums FROM kpi_aggregates
             WHERE programme_id = $1 AND definition = $2 AND definition_version = $3
               AND interval_start >= $4 AND interval_start < $5
             ORDER BY queue, interval_start, batch_id",
        )
        .bind(programme_id)
        .bind(def.name.clone())
        .bind(i64::from(def.version))
        .bind(from.unwrap_or(i64::MIN))
        .bind(to.unwrap_or(i64::MAX))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let counts: String = col(r, "counts")?;
                let sums: String = col(r, "sums")?;
                Ok(StoredAgg {
                    batch_id: col(r, "batch_id")?,
                    queue: col(r, "queue")?,
                    interval_start: col(r, "interval_start")?,
                    agg: Agg::decode(&counts, &sums)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                })
            })
            .collect()
    }

    /// The 15-minute aggregates of a programme under one definition version with interval
    /// starts in `[from, to)`, merged over queues and batches with each call counted once (the
    /// calls view of every row, [`Agg::calls_view`]): one row per interval, in interval order.
    /// The database groups the rows of an interval into one result row (their encoded
    /// aggregates joined), so a result row per interval crosses the driver, not one per
    /// (batch, queue, interval).
    pub async fn kpi_interval_totals(
        &self,
        programme_id: i64,
        def: &DefinitionId,
        from: i64,
        to: i64,
    ) -> Result<Vec<(i64, Agg)>> {
        // `counts` and `sums` are comma-separated numbers: '/' and ';' never occur in them.
        let joined = match self.backend() {
            Backend::Sqlite => "group_concat(counts || '/' || sums, ';')",
            Backend::Postgres => "string_agg(counts || '/' || sums, ';')",
        };
        let sql = format!(
            "SELECT interval_start, {joined} AS parts FROM kpi_aggregates
             WHERE programme_id = $1 AND definition = $2 AND definition_version = $3
               AND interval_start >= $4 AND interval_start < $5
             GROUP BY interval_start ORDER BY interval_start"
        );
        let rows = sqlx::query(&sql)
            .bind(programme_id)
            .bind(def.name.clone())
            .bind(i64::from(def.version))
            .bind(from)
            .bind(to)
            .fetch_all(self.pool())
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let start: i64 = col(r, "interval_start")?;
            let parts: String = col(r, "parts")?;
            let mut total = Agg::default();
            for part in parts.split(';') {
                let (counts, sums) = part
                    .split_once('/')
                    .ok_or_else(|| StoreError::Corrupt(format!("aggregate {part:?}")))?;
                let agg =
                    Agg::decode(counts, sums).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                total.merge(&agg.calls_view());
            }
            out.push((start, total));
        }
        Ok(out)
    }

    /// The aggregates of one batch under one definition version.
    pub async fn batch_aggregates(
        &self,
        batch_id: i64,
        def: &DefinitionId,
    ) -> Result<Vec<StoredAgg>> {
        let rows = sqlx::query(
            "SELECT batch_id, queue, interval_start, counts, sums FROM kpi_aggregates
             WHERE batch_id = $1 AND definition = $2 AND definition_version = $3
             ORDER BY queue, interval_start",
        )
        .bind(batch_id)
        .bind(def.name.clone())
        .bind(i64::from(def.version))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let counts: String = col(r, "counts")?;
                let sums: String = col(r, "sums")?;
                Ok(StoredAgg {
                    batch_id: col(r, "batch_id")?,
                    queue: col(r, "queue")?,
                    interval_start: col(r, "interval_start")?,
                    agg: Agg::decode(&counts, &sums)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                })
            })
            .collect()
    }

    /// Batches of a programme that have no aggregates yet under a definition version
    /// (they need a recomputation from their retained records).
    pub async fn batches_without_definition(
        &self,
        programme_id: i64,
        def: &DefinitionId,
    ) -> Result<Vec<Batch>> {
        let rows = sqlx::query(
            "SELECT b.* FROM import_batches b WHERE b.programme_id = $1 AND b.imported > 0 AND NOT EXISTS
               (SELECT 1 FROM kpi_aggregates a WHERE a.batch_id = b.id AND a.definition = $2 AND a.definition_version = $3)
             ORDER BY b.id",
        )
        .bind(programme_id)
        .bind(def.name.clone())
        .bind(i64::from(def.version))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(batch_row).collect()
    }

    /// Saves (or replaces) a named column mapping, for one programme or for all (`None`).
    pub async fn save_mapping(
        &self,
        actor: &Actor,
        programme_id: Option<i64>,
        m: &SavedMapping,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let existing: Option<i64> = match programme_id {
            Some(p) => {
                sqlx::query_scalar(
                    "SELECT id FROM import_mappings WHERE programme_id = $1 AND name = $2",
                )
                .bind(p)
                .bind(m.name.clone())
                .fetch_optional(&mut *tx)
                .await?
            }
            None => {
                sqlx::query_scalar(
                    "SELECT id FROM import_mappings WHERE programme_id IS NULL AND name = $1",
                )
                .bind(m.name.clone())
                .fetch_optional(&mut *tx)
                .await?
            }
        };
        match existing {
            Some(id) => {
                sqlx::query(
                    "UPDATE import_mappings SET kind = $1, mapping_json = $2 WHERE id = $3",
                )
                .bind(m.kind.clone())
                .bind(m.mapping_json.clone())
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query(
                    "INSERT INTO import_mappings (programme_id, name, kind, mapping_json, created_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(programme_id)
                .bind(m.name.clone())
                .bind(m.kind.clone())
                .bind(m.mapping_json.clone())
                .bind(now())
                .execute(&mut *tx)
                .await?;
            }
        }
        audit::record(
            &mut tx,
            actor,
            Change {
                entity: "import_mapping",
                entity_id: m.name.clone(),
                programme_id,
                action: if existing.is_some() {
                    "update"
                } else {
                    "create"
                },
                before: None,
                after: serde_json::from_str(&m.mapping_json).ok(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A saved mapping by name: the programme's own first, then a shared one.
    pub async fn mapping(&self, programme_id: i64, name: &str) -> Result<SavedMapping> {
        let r = sqlx::query(
            "SELECT name, kind, mapping_json FROM import_mappings
             WHERE name = $1 AND (programme_id = $2 OR programme_id IS NULL)
             ORDER BY CASE WHEN programme_id IS NULL THEN 1 ELSE 0 END LIMIT 1",
        )
        .bind(name)
        .bind(programme_id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(SavedMapping {
            name: col(&r, "name")?,
            kind: col(&r, "kind")?,
            mapping_json: col(&r, "mapping_json")?,
        })
    }

    /// Mappings usable by a programme (its own and shared ones).
    pub async fn mappings(&self, programme_id: i64) -> Result<Vec<SavedMapping>> {
        let rows = sqlx::query(
            "SELECT name, kind, mapping_json FROM import_mappings WHERE programme_id = $1 OR programme_id IS NULL ORDER BY name",
        )
        .bind(programme_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SavedMapping {
                    name: col(r, "name")?,
                    kind: col(r, "kind")?,
                    mapping_json: col(r, "mapping_json")?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use rumbo_domain::programme::{NewProgramme, ProgrammeInput};
    use rumbo_domain::rut::Rut;

    use super::*;
    use crate::testing::fresh_store;

    /// A programme of a new client, in `time_zone` (the default zone when `None`).
    async fn programme(store: &Store, sys: &Actor, code: &str, time_zone: Option<&str>) -> i64 {
        let client = store
            .create_client(sys, "Banco Austral", Rut::parse("76.086.428-5").unwrap())
            .await
            .unwrap();
        let p = NewProgramme::try_from(ProgrammeInput {
            code: code.into(),
            name: code.into(),
            client_id: Some(client.id),
            channels: vec!["voice_inbound".into()],
            start_date: "2026-01-01".into(),
            time_zone: time_zone.map(str::to_string),
            ..Default::default()
        })
        .unwrap();
        store.create_programme(sys, &p).await.unwrap().id
    }

    #[tokio::test]
    async fn an_import_commit_leaves_every_sqlite_connection_with_the_default_cache_and_checkpoints(
    ) {
        let store = fresh_store().await.unwrap();
        if store.backend() != Backend::Sqlite {
            return;
        }
        let sys = Actor::system("test");
        let programme_id = programme(&store, &sys, "CACHE-1", None).await;
        let id = store
            .commit_import(
                &sys,
                &NewBatch {
                    programme_id,
                    source: "calls".into(),
                    file_name: "f.csv".into(),
                    file_hash: "h".into(),
                    imported: 3,
                    keys: vec![1u128, 2, 3].into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(store.newest_batch(programme_id).await.unwrap(), id);
        // Every connection the pool can hold, at once: the one that committed is among them.
        let mut held = Vec::new();
        for _ in 0..8 {
            held.push(store.pool().acquire().await.unwrap());
        }
        for conn in &mut held {
            let cache: i64 = sqlx::query_scalar("PRAGMA cache_size")
                .fetch_one(&mut **conn)
                .await
                .unwrap();
            let autocheckpoint: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
                .fetch_one(&mut **conn)
                .await
                .unwrap();
            assert_eq!(
                (cache, autocheckpoint),
                (SQLITE_DEFAULT_CACHE, SQLITE_DEFAULT_AUTOCHECKPOINT)
            );
        }
    }

    #[tokio::test]
    async fn rollups_are_the_exact_merge_of_their_rows_whatever_order_the_rows_come_in() {
        let store = fresh_store().await.unwrap();
        let sys = Actor::system("test");
        let programme_id = programme(&store, &sys, "ROLL-1", Some("UTC")).await;
        let def = rumbo_kpi::KpiDefinition::standard().id().clone();
        let row = |queue: &str, interval_start: i64, offered: u64, talk: f64| {
            let mut agg = Agg {
                offered,
                ..Agg::default()
            };
            agg.talk.add(talk);
            AggRow {
                definition: def.clone(),
                queue: queue.into(),
                interval_start,
                agg,
            }
        };
        // 2026-01-01 00:00 UTC; the rows of each hour and queue are far apart in the list.
        let t = 1_767_225_600;
        let rows = vec![
            row("Q1", t + 900, 1, 10.5),
            row("Q2", t, 2, 20.0),
            row("Q1", t + 3600, 4, 40.0),
            row("Q1", t, 8, 80.25),
            row("Q2", t + 2700, 16, 160.0),
            row("Q1", t + 2700, 32, 320.0),
        ];
        store
            .commit_import(
                &sys,
                &NewBatch {
                    programme_id,
                    source: "calls".into(),
                    file_name: "f.csv".into(),
                    file_hash: "h".into(),
                    imported: 63,
                    aggregates: rows,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let got = |grain: &'static str| {
            let store = &store;
            let def = &def;
            async move {
                let mut rows: Vec<(String, i64, u64, f64)> = store
                    .kpi_rollup_rows(programme_id, def, "UTC", grain, None, None)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|r| {
                        (
                            r.queue,
                            r.interval_start,
                            r.agg.offered,
                            r.agg.talk.to_f64(),
                        )
                    })
                    .collect();
                rows.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
                rows
            }
        };
        assert_eq!(
            got("hour").await,
            vec![
                ("Q1".to_string(), t, 8 + 1 + 32, 80.25 + 10.5 + 320.0),
                ("Q1".to_string(), t + 3600, 4, 40.0),
                ("Q2".to_string(), t, 2 + 16, 180.0),
            ]
        );
        assert_eq!(
            got("day").await,
            vec![
                ("Q1".to_string(), t, 45, 450.75),
                ("Q2".to_string(), t, 18, 180.0),
            ]
        );
        assert_eq!(got("month").await, got("day").await);
    }
}
