//! Raw import records behind one seam.
//!
//! An import keeps every accepted record (as a CSV line under a header) so that figures can
//! be recomputed under another KPI definition and a figure can be drilled down to its calls.
//! Records are grouped by (queue, hour) into *segments*: a segment holds the records whose
//! 15-minute interval starts in one UTC hour ([`segment_start`]; batches written before
//! keep one segment per 15-minute interval, which is also a segment start). Every segment
//! is indexed in `raw_segments` by (programme, segment start, queue); the drill-down reads
//! only the segments that can hold the interval it shows, and keeps the records of that
//! interval. An hour of one queue is a few hundred records: four times fewer frames and
//! index rows than per quarter hour, each still small enough to read in well under a
//! millisecond.
//!
//! Where the bytes live depends on the backend ([`RawStore`]): with SQLite (the embedded
//! default) in one file per batch under the data folder, the index row giving the byte range;
//! with PostgreSQL in the index row itself, so no server needs a shared disk. Either way the
//! pipeline writes through a [`RawWriter`] (a spool file grouped by segment), hands the
//! finished [`RawBatch`] to [`Store::commit_import`](crate::Store::commit_import), and reads
//! back with [`Store::raw_segments`] and [`Store::raw_batch`].
//!
//! Each segment is stored as one zstd frame (`import_batches.raw_codec = 'zstd'`; batches
//! from before have `NULL` and plain CSV lines), so a drill-down decompresses only the
//! segments it reads and a whole batch is the concatenation of its frames. The writer
//! compresses and writes on a thread of its own, fed through a bounded channel, so the
//! import's parsing goes on while the previous flush is compressed.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::thread::JoinHandle;

use rumbo_kpi::fxhash::FxBuildHasher;
use sqlx::{Any, Transaction};

use crate::{col, Backend, Result, Store, StoreError};

/// Where raw records are kept. Batch files are recorded relative to the data folder, so the
/// folder can be moved or restored from a backup elsewhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawStore {
    /// One file per batch under `<data_dir>/raw/<programme>/` (SQLite).
    Files { data_dir: PathBuf },
    /// In the database (PostgreSQL); `<data_dir>/spool/<programme>/` holds a batch's records
    /// until its commit.
    Database { data_dir: PathBuf },
}

impl RawStore {
    /// The raw store for a backend, with the data folder of the installation.
    pub fn new(backend: Backend, data_dir: &Path) -> RawStore {
        let data_dir = data_dir.to_path_buf();
        match backend {
            Backend::Sqlite => RawStore::Files { data_dir },
            Backend::Postgres => RawStore::Database { data_dir },
        }
    }

    /// The installation's data folder.
    pub fn data_dir(&self) -> &Path {
        match self {
            RawStore::Files { data_dir } | RawStore::Database { data_dir } => data_dir,
        }
    }

    /// A programme's folder for batches being written, relative to the data folder.
    fn relative_dir(&self, programme_id: i64) -> PathBuf {
        let top = match self {
            RawStore::Files { .. } => "raw",
            RawStore::Database { .. } => "spool",
        };
        Path::new(top).join(programme_id.to_string())
    }

    /// The folder a programme's batches are written to before they are committed.
    pub fn spool_dir(&self, programme_id: i64) -> PathBuf {
        self.data_dir().join(self.relative_dir(programme_id))
    }
}

/// How long a segment is: the records of one queue whose 15-minute intervals start in the
/// same UTC hour share a segment.
pub const SEGMENT_SECONDS: i64 = 3600;

/// The start of the segment that holds the records of a 15-minute interval.
pub fn segment_start(interval_start: i64) -> i64 {
    interval_start.div_euclid(SEGMENT_SECONDS) * SEGMENT_SECONDS
}

/// One written segment: the records of one (queue, segment start) in a byte range of the
/// spool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawPiece {
    pub queue: String,
    /// The [`segment_start`] of the records' 15-minute intervals (epoch seconds); the
    /// interval itself for batches written before hourly segments.
    pub interval_start: i64,
    /// Number of records.
    pub n: i64,
    pub offset: i64,
    pub len: i64,
}

/// The raw records of a batch, written and durable, ready to be committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawBatch {
    /// The spool file (with SQLite, the batch's file for good).
    pub path: PathBuf,
    /// The same, relative to the data folder (as recorded with the batch).
    pub relative: PathBuf,
    /// CSV header the records are written under.
    pub header: String,
    pub pieces: Vec<RawPiece>,
    /// Longest wait + talk + hold of the batch's calls, in seconds.
    pub max_span: i64,
}

/// Flush the buffered segments once they hold this many bytes. The import waits at its end
/// for the last flushes to be compressed, so they are kept small.
const FLUSH_BYTES: usize = 4 << 20;

/// The codec of segments written by [`RawWriter`] (`import_batches.raw_codec`).
pub const CODEC: &str = "zstd";

/// zstd level: 1 compresses call CSV about 4:1 at several hundred MB/s per core.
const LEVEL: i32 = 1;

/// One flush: segments sorted by (queue, segment start), with their record counts.
type Flush = Vec<(String, i64, i64, Vec<u8>)>;

/// What the compressing thread hands back: the pieces written and whether a file exists.
type Written = std::io::Result<(Vec<RawPiece>, bool)>;

/// Writes records grouped by (queue, segment) into a spool file, one zstd frame per segment.
pub struct RawWriter {
    path: PathBuf,
    relative: PathBuf,
    header: String,
    queues: HashMap<String, u32, FxBuildHasher>,
    names: Vec<String>,
    open: HashMap<(u32, i64), (i64, Vec<u8>), FxBuildHasher>,
    buffered: usize,
    max_span: i64,
    /// The compressing thread, started at the first flush.
    worker: Option<(SyncSender<Flush>, JoinHandle<Written>)>,
}

/// Compresses flushes into `path` as they arrive (the other end of the writer's channel).
fn compress_into(path: &Path, flushes: std::sync::mpsc::Receiver<Flush>) -> Written {
    let mut out: Option<BufWriter<File>> = None;
    let mut pieces = Vec::new();
    let mut written = 0i64;
    let mut zstd = zstd::bulk::Compressor::new(LEVEL)?;
    let mut frame = Vec::new();
    for flush in flushes {
        if out.is_none() {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            out = Some(BufWriter::with_capacity(1 << 20, File::create(path)?));
        }
        let Some(file) = out.as_mut() else {
            continue;
        };
        for (queue, interval_start, n, bytes) in flush {
            frame.clear();
            frame.reserve(zstd::zstd_safe::compress_bound(bytes.len()));
            zstd.compress_to_buffer(&bytes, &mut frame)?;
            file.write_all(&frame)?;
            pieces.push(RawPiece {
                queue,
                interval_start,
                n,
                offset: written,
                len: frame.len() as i64,
            });
            written += frame.len() as i64;
        }
    }
    match out {
        Some(mut file) => {
            file.flush()?;
            file.get_ref().sync_all()?;
            Ok((pieces, true))
        }
        None => Ok((pieces, false)),
    }
}

impl RawWriter {
    /// A writer for a new batch of `programme_id`; `name` must be unique (the file's stem).
    pub fn new(raw: &RawStore, programme_id: i64, name: &str, header: &str) -> RawWriter {
        let relative = raw.relative_dir(programme_id).join(format!("{name}.raw"));
        RawWriter {
            path: raw.data_dir().join(&relative),
            relative,
            header: header.to_string(),
            queues: HashMap::default(),
            names: Vec::new(),
            open: HashMap::default(),
            buffered: 0,
            max_span: 0,
            worker: None,
        }
    }

    /// The spool file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The header the records are written under.
    pub fn header(&self) -> &str {
        &self.header
    }

    /// Adds one record (a CSV line without its newline) of a (queue, 15-minute interval) to
    /// its segment; `span` is how far after entry the call ended (wait + talk + hold,
    /// seconds).
    pub fn push(
        &mut self,
        queue: &str,
        interval_start: i64,
        span: i64,
        record: &[u8],
    ) -> std::io::Result<()> {
        let seg = self.segment(queue, interval_start);
        seg.0 += 1;
        seg.1.extend_from_slice(record);
        seg.1.push(b'\n');
        self.buffered += record.len() + 1;
        self.max_span = self.max_span.max(span);
        if self.buffered >= FLUSH_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    /// Adds `n` records already grouped for one (queue, segment) (`records`: CSV lines, each
    /// ending in a newline, in file order); `max_span` is the longest span among them. The same as pushing them one by one: importers that group records on several
    /// threads hand each group over in file order.
    pub fn push_records(
        &mut self,
        queue: &str,
        interval_start: i64,
        n: i64,
        max_span: i64,
        records: &[u8],
    ) -> std::io::Result<()> {
        let seg = self.segment(queue, interval_start);
        seg.0 += n;
        seg.1.extend_from_slice(records);
        self.buffered += records.len();
        self.max_span = self.max_span.max(max_span);
        if self.buffered >= FLUSH_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    /// The open segment that holds (queue, interval), created empty if missing.
    fn segment(&mut self, queue: &str, interval_start: i64) -> &mut (i64, Vec<u8>) {
        let interval_start = segment_start(interval_start);
        let q = match self.queues.get(queue) {
            Some(&q) => q,
            None => {
                let q = self.names.len() as u32;
                self.queues.insert(queue.to_string(), q);
                self.names.push(queue.to_string());
                q
            }
        };
        self.open.entry((q, interval_start)).or_default()
    }

    /// Hands the buffered segments to the compressing thread (waiting while it still holds
    /// the previous flush, so at most two flushes are in memory besides the one being filled).
    fn flush(&mut self) -> std::io::Result<()> {
        if self.open.is_empty() {
            return Ok(());
        }
        let mut segs: Vec<_> = self.open.drain().collect();
        segs.sort_by(|a, b| {
            (&self.names[a.0 .0 as usize], a.0 .1).cmp(&(&self.names[b.0 .0 as usize], b.0 .1))
        });
        let flush: Flush = segs
            .into_iter()
            .map(|((q, start), (n, bytes))| (self.names[q as usize].clone(), start, n, bytes))
            .collect();
        self.buffered = 0;
        if self.worker.is_none() {
            let (tx, rx) = sync_channel::<Flush>(1);
            let path = self.path.clone();
            let handle = std::thread::Builder::new()
                .name("raw-zstd".into())
                .spawn(move || compress_into(&path, rx))?;
            self.worker = Some((tx, handle));
        }
        let sent = match &self.worker {
            Some((tx, _)) => tx.send(flush).is_ok(),
            None => false,
        };
        if !sent {
            // The thread stopped on an error: finishing reports it.
            return self.finish_worker().map(|_| ());
        }
        Ok(())
    }

    /// Waits for the compressing thread; its pieces, or `None` when it never started.
    fn finish_worker(&mut self) -> std::io::Result<Option<Vec<RawPiece>>> {
        let Some((tx, handle)) = self.worker.take() else {
            return Ok(None);
        };
        drop(tx);
        match handle.join() {
            Ok(Ok((pieces, true))) => Ok(Some(pieces)),
            Ok(Ok((_, false))) => Ok(None),
            Ok(Err(e)) => Err(e),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }

    /// Writes what is buffered and makes the file durable; `None` when nothing was pushed.
    pub fn finish(mut self) -> std::io::Result<Option<RawBatch>> {
        self.flush()?;
        let Some(pieces) = self.finish_worker()? else {
            return Ok(None);
        };
        Ok(Some(RawBatch {
            path: std::mem::take(&mut self.path),
            relative: std::mem::take(&mut self.relative),
            header: std::mem::take(&mut self.header),
            pieces,
            max_span: self.max_span,
        }))
    }
}

impl Drop for RawWriter {
    /// An abandoned writer (a failed pass) stops its thread; the caller removes the spool.
    fn drop(&mut self) {
        let _ = self.finish_worker();
    }
}

/// Compresses one segment's records (a rewrite after an erasure writes the same codec).
pub(crate) fn compress(bytes: &[u8]) -> Result<Vec<u8>> {
    zstd::bulk::compress(bytes, LEVEL).map_err(io_corrupt)
}

/// The records of one stored segment: decompressed when the batch's codec says so.
pub(crate) fn decode(codec: Option<&str>, bytes: Vec<u8>) -> Result<Vec<u8>> {
    match codec {
        None => Ok(bytes),
        Some(CODEC) => zstd::stream::decode_all(&bytes[..]).map_err(io_corrupt),
        Some(other) => Err(StoreError::Corrupt(format!(
            "raw records: unknown codec {other}"
        ))),
    }
}

impl RawBatch {
    /// Removes the spool file (after a PostgreSQL commit, or when an import is abandoned).
    pub fn discard(&self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Indexes (and on PostgreSQL stores) a batch's raw records inside its commit transaction.
pub(crate) async fn insert_segments(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    batch_id: i64,
    programme_id: i64,
    raw: &RawBatch,
) -> Result<()> {
    let in_db = backend == Backend::Postgres;
    let mut file = if in_db {
        Some(std::io::BufReader::with_capacity(
            1 << 20,
            File::open(&raw.path).map_err(io_corrupt)?,
        ))
    } else {
        None
    };
    for chunk in raw.pieces.chunks(crate::imports::rows_per_insert(backend)) {
        let sql = crate::multi_row_insert(
            backend,
            "INSERT INTO raw_segments (batch_id, programme_id, queue, interval_start, n, byte_offset, byte_len, data) VALUES ",
            chunk.len(),
            8,
        );
        let mut q = sqlx::query(&sql);
        for p in chunk {
            let data: Option<Vec<u8>> = match file.as_mut() {
                Some(f) => {
                    let mut buf = vec![0u8; p.len as usize];
                    f.read_exact(&mut buf).map_err(io_corrupt)?;
                    Some(buf)
                }
                None => None,
            };
            q = q
                .bind(batch_id)
                .bind(programme_id)
                .bind(p.queue.clone())
                .bind(p.interval_start)
                .bind(p.n)
                .bind(p.offset)
                .bind(p.len)
                .bind(data);
        }
        q.execute(&mut **tx).await?;
    }
    sqlx::query("UPDATE import_batches SET raw_codec = $2 WHERE id = $1")
        .bind(batch_id)
        .bind(CODEC)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn io_corrupt(e: std::io::Error) -> StoreError {
    StoreError::Corrupt(format!("raw records: {e}"))
}

/// The raw records of one segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawSegment {
    pub batch_id: i64,
    /// Source of the batch (`queue-log`, `calls`, …).
    pub source: String,
    pub queue: String,
    pub interval_start: i64,
    /// CSV header of the records.
    pub header: String,
    /// Records, one per line.
    pub bytes: Vec<u8>,
}

/// All raw records of one batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecords {
    pub header: String,
    pub bytes: Vec<u8>,
}

fn read_range(path: &Path, offset: i64, len: i64) -> Result<Vec<u8>> {
    let mut f = File::open(path).map_err(io_corrupt)?;
    f.seek(SeekFrom::Start(offset as u64)).map_err(io_corrupt)?;
    let mut buf = vec![0u8; len.max(0) as usize];
    f.read_exact(&mut buf).map_err(io_corrupt)?;
    Ok(buf)
}

impl Store {
    /// The raw store of this database with the installation's data folder.
    pub fn raw_store(&self, data_dir: &Path) -> RawStore {
        RawStore::new(self.backend(), data_dir)
    }

    /// Raw segments of a programme's batches from `sources` with a segment start in
    /// `[from, to)` (a segment holds up to [`SEGMENT_SECONDS`] of 15-minute intervals), of one queue (or all when `queue` is empty): read through the index,
    /// never by scanning batches.
    pub async fn raw_segments(
        &self,
        data_dir: &Path,
        programme_id: i64,
        sources: &[&str],
        queue: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<RawSegment>> {
        let rows = sqlx::query(
            "SELECT s.batch_id, s.queue, s.interval_start, s.byte_offset, s.byte_len, s.data,
                    b.source, b.data_path, b.raw_header, b.raw_codec
             FROM raw_segments s JOIN import_batches b ON b.id = s.batch_id
             WHERE s.programme_id = $1 AND s.interval_start >= $2 AND s.interval_start < $3
               AND ($4 = '' OR s.queue = $4)
             ORDER BY s.batch_id, s.byte_offset",
        )
        .bind(programme_id)
        .bind(from)
        .bind(to)
        .bind(queue)
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::new();
        for r in &rows {
            let source: String = col(r, "source")?;
            if !sources.contains(&source.as_str()) {
                continue;
            }
            let data: Option<Vec<u8>> = col(r, "data")?;
            let bytes = match data {
                Some(d) => d,
                None => {
                    let path: Option<String> = col(r, "data_path")?;
                    let path = path.ok_or_else(|| {
                        StoreError::Corrupt("raw segment without data or file".into())
                    })?;
                    read_range(
                        &data_dir.join(path),
                        col(r, "byte_offset")?,
                        col(r, "byte_len")?,
                    )?
                }
            };
            let codec: Option<String> = col(r, "raw_codec")?;
            let bytes = decode(codec.as_deref(), bytes)?;
            out.push(RawSegment {
                batch_id: col(r, "batch_id")?,
                source,
                queue: col(r, "queue")?,
                interval_start: col(r, "interval_start")?,
                header: col::<Option<String>>(r, "raw_header")?.unwrap_or_default(),
                bytes,
            });
        }
        Ok(out)
    }

    /// Every raw record of a batch (for recomputing it under another definition), or `None`
    /// when the batch retained none. Batches from before the segment index (a CSV file with
    /// its header line) are read too. Relative batch files are under `data_dir`.
    pub async fn raw_batch(&self, data_dir: &Path, batch_id: i64) -> Result<Option<RawRecords>> {
        let b = sqlx::query(
            "SELECT data_path, raw_header, raw_codec FROM import_batches WHERE id = $1",
        )
        .bind(batch_id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)?;
        let path: Option<String> = col(&b, "data_path")?;
        let header: Option<String> = col(&b, "raw_header")?;
        let codec: Option<String> = col(&b, "raw_codec")?;
        match (header, path) {
            // One frame per segment, back to back: decoding the file decodes them all.
            (Some(header), Some(path)) => Ok(Some(RawRecords {
                header,
                bytes: decode(
                    codec.as_deref(),
                    tokio::fs::read(data_dir.join(path))
                        .await
                        .map_err(io_corrupt)?,
                )?,
            })),
            (Some(header), None) => {
                let rows = sqlx::query(
                    "SELECT data FROM raw_segments WHERE batch_id = $1 ORDER BY byte_offset",
                )
                .bind(batch_id)
                .fetch_all(self.pool())
                .await?;
                let mut bytes = Vec::new();
                for r in &rows {
                    let d: Option<Vec<u8>> = col(r, "data")?;
                    bytes.extend_from_slice(&decode(codec.as_deref(), d.unwrap_or_default())?);
                }
                Ok(Some(RawRecords { header, bytes }))
            }
            (None, Some(path)) => {
                let mut bytes = tokio::fs::read(data_dir.join(path))
                    .await
                    .map_err(io_corrupt)?;
                let end = bytes
                    .iter()
                    .position(|&c| c == b'\n')
                    .unwrap_or(bytes.len());
                let header = String::from_utf8_lossy(&bytes[..end])
                    .trim_end_matches('\r')
                    .to_string();
                bytes.drain(..(end + 1).min(bytes.len()));
                Ok(Some(RawRecords { header, bytes }))
            }
            (None, None) => Ok(None),
        }
    }

    /// The longest wait + talk + hold of any call of the programme (seconds): how far an
    /// attribution other than entry can move a call from its entry interval.
    pub async fn raw_max_span(&self, programme_id: i64) -> Result<i64> {
        let v: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(raw_max_span) FROM import_batches WHERE programme_id = $1",
        )
        .bind(programme_id)
        .fetch_one(self.pool())
        .await?;
        Ok(v.unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_grouped_by_queue_and_hour_one_zstd_frame_each() {
        let dir = tempfile::tempdir().unwrap();
        let raw = RawStore::Files {
            data_dir: dir.path().to_path_buf(),
        };
        let mut w = RawWriter::new(&raw, 7, "b1", "call_id,queue");
        w.push("Q2", 4500, 10, b"a,Q2").unwrap();
        w.push("Q1", 900, 30, b"b,Q1").unwrap();
        w.push("Q2", 0, 5, b"c,Q2").unwrap();
        w.push("Q2", 2700, 1, b"d,Q2").unwrap();
        w.push("Q2", 3600, 1, b"e,Q2").unwrap();
        let b = w.finish().unwrap().unwrap();
        let file = std::fs::read(&b.path).unwrap();
        // The frames back to back decode to the segments in (queue, hour) order, each
        // segment's records in the order they came.
        assert_eq!(
            decode(Some(CODEC), file.clone()).unwrap(),
            b"b,Q1\nc,Q2\nd,Q2\na,Q2\ne,Q2\n"
        );
        let got: Vec<_> = b
            .pieces
            .iter()
            .map(|p| {
                let range = p.offset as usize..(p.offset + p.len) as usize;
                let plain = decode(Some(CODEC), file[range].to_vec()).unwrap();
                (p.queue.as_str(), p.interval_start, p.n, plain)
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("Q1", 0, 1, b"b,Q1\n".to_vec()),
                ("Q2", 0, 2, b"c,Q2\nd,Q2\n".to_vec()),
                ("Q2", 3600, 2, b"a,Q2\ne,Q2\n".to_vec())
            ]
        );
        let last = b.pieces.last().unwrap();
        assert_eq!((last.offset + last.len) as usize, file.len());
        assert_eq!(b.max_span, 30);
        assert_eq!(b.relative, Path::new("raw/7/b1.raw"));
        assert_eq!(b.path, dir.path().join("raw/7/b1.raw"));
    }

    #[test]
    fn call_records_take_a_fraction_of_their_plain_size() {
        let dir = tempfile::tempdir().unwrap();
        let raw = RawStore::Files {
            data_dir: dir.path().to_path_buf(),
        };
        let mut w = RawWriter::new(&raw, 1, "big", "call_id,queue,enter_ts,wait_s");
        let mut plain = 0;
        for i in 0..200_000i64 {
            let line = format!(
                "{},Q{:02},{},{}.{}",
                1_000_000 + i,
                i % 12,
                1_767_225_600 + i * 13,
                i % 97,
                i % 10
            );
            plain += line.len() + 1;
            w.push(
                &format!("Q{:02}", i % 12),
                (1_767_225_600 + i * 13) / 900 * 900,
                0,
                line.as_bytes(),
            )
            .unwrap();
        }
        let b = w.finish().unwrap().unwrap();
        let stored = std::fs::metadata(&b.path).unwrap().len() as usize;
        assert!(
            stored * 3 < plain * 2,
            "{stored} bytes stored for {plain} plain"
        );
        let n: i64 = b.pieces.iter().map(|p| p.n).sum();
        assert_eq!(n, 200_000);
    }

    #[test]
    fn segments_of_batches_from_before_compression_are_read_as_they_are() {
        assert_eq!(decode(None, b"a,Q1\n".to_vec()).unwrap(), b"a,Q1\n");
        assert!(decode(Some("lz9"), b"x".to_vec()).is_err());
        assert!(decode(Some(CODEC), b"not a frame".to_vec()).is_err());
    }

    #[test]
    fn a_writer_without_records_writes_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let raw = RawStore::Database {
            data_dir: dir.path().to_path_buf(),
        };
        let w = RawWriter::new(&raw, 1, "empty", "h");
        let path = w.path().to_path_buf();
        assert!(w.finish().unwrap().is_none());
        assert!(!path.exists());
    }
}
