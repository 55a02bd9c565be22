//! The natural keys of a batch being imported, spilled to disk in sorted runs so that an
//! import's memory does not grow with its file.
//!
//! An import checks each record's 128-bit natural key and commits the batch's keys with it
//! (`import_keys`). Kept in memory they cost 16 bytes a record until the commit (160 MB for
//! 10M calls). A [`KeySpool`] holds at most [`RUN_KEYS`] of them: a full buffer is sorted and
//! written as a run beside the batch's raw records, and [`KeySpool::finish`] merges the runs
//! into one sorted file, finding on the way the keys that occur more than once. The commit
//! reads that file back a chunk at a time ([`BatchKeys::chunks`]). A batch that fits in one
//! run never touches the disk. The files go with the last [`BatchKeys`] that refers to them;
//! a crash leaves them in the spool folder, where the importer's orphan sweep removes them.

use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Keys held in memory before a run is written (16 MB).
pub const RUN_KEYS: usize = 1 << 20;

/// Bytes read or written at a time per run file.
const IO_BUF: usize = 1 << 16;

/// Collects a batch's keys in file order (see the module documentation).
#[derive(Debug)]
pub struct KeySpool {
    dir: PathBuf,
    stem: String,
    buf: Vec<u128>,
    runs: Vec<PathBuf>,
    run_keys: usize,
}

/// A file that is removed when the last handle to it goes.
#[derive(Debug)]
struct KeyFile(PathBuf);

impl Drop for KeyFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

impl KeySpool {
    /// A spool writing its runs to `dir` as `{stem}.keys{n}` (`stem` unique per batch, like
    /// the raw writer's name), sized for about `expected` keys.
    pub fn new(dir: &Path, stem: &str, expected: usize) -> KeySpool {
        KeySpool::with_run(dir, stem, expected, RUN_KEYS)
    }

    /// The same with runs of `run_keys` keys (small runs let tests cross many of them).
    pub fn with_run(dir: &Path, stem: &str, expected: usize, run_keys: usize) -> KeySpool {
        let run_keys = run_keys.max(1);
        KeySpool {
            dir: dir.to_path_buf(),
            stem: stem.to_string(),
            buf: Vec::with_capacity(expected.min(run_keys)),
            runs: Vec::new(),
            run_keys,
        }
    }

    /// Adds one key; writes a run when the buffer is full.
    pub fn push(&mut self, k: u128) -> std::io::Result<()> {
        self.buf.push(k);
        if self.buf.len() >= self.run_keys {
            self.spill()?;
        }
        Ok(())
    }

    fn spill(&mut self) -> std::io::Result<()> {
        self.buf.sort_unstable();
        std::fs::create_dir_all(&self.dir)?;
        let path = self
            .dir
            .join(format!("{}.keys{}", self.stem, self.runs.len()));
        // Recorded first, so a failed write is removed with the others.
        self.runs.push(path.clone());
        let mut w = BufWriter::with_capacity(IO_BUF, File::create(&path)?);
        for k in &self.buf {
            w.write_all(&k.to_be_bytes())?;
        }
        w.flush()?;
        self.buf.clear();
        Ok(())
    }

    /// The keys sorted without repeats, and the keys that were pushed more than once
    /// (sorted).
    pub fn finish(mut self) -> std::io::Result<(BatchKeys, Vec<u128>)> {
        let mut repeated = Vec::new();
        if self.runs.is_empty() {
            let mut keys = std::mem::take(&mut self.buf);
            keys.sort_unstable();
            for w in keys.windows(2) {
                if w[0] == w[1] && repeated.last() != Some(&w[0]) {
                    repeated.push(w[0]);
                }
            }
            keys.dedup();
            keys.shrink_to_fit();
            return Ok((BatchKeys(Inner::Memory(keys)), repeated));
        }
        if !self.buf.is_empty() {
            self.spill()?;
        }
        self.buf = Vec::new();
        let file = KeyFile(self.dir.join(format!("{}.keys", self.stem)));
        let mut out = BufWriter::with_capacity(IO_BUF, File::create(&file.0)?);
        let mut readers = Vec::with_capacity(self.runs.len());
        for r in &self.runs {
            readers.push(BufReader::with_capacity(IO_BUF, File::open(r)?));
        }
        let mut heap = BinaryHeap::with_capacity(readers.len());
        for (i, r) in readers.iter_mut().enumerate() {
            if let Some(k) = read_key(r)? {
                heap.push(Reverse((k, i)));
            }
        }
        let mut last = None;
        let mut len = 0u64;
        while let Some(Reverse((k, i))) = heap.pop() {
            if last == Some(k) {
                if repeated.last() != Some(&k) {
                    repeated.push(k);
                }
            } else {
                out.write_all(&k.to_be_bytes())?;
                len += 1;
                last = Some(k);
            }
            if let Some(next) = read_key(&mut readers[i])? {
                heap.push(Reverse((next, i)));
            }
        }
        out.flush()?;
        Ok((
            BatchKeys(Inner::File {
                file: Arc::new(file),
                len,
            }),
            repeated,
        ))
    }
}

impl Drop for KeySpool {
    /// Runs are only a step towards the merged file: they go with the spool.
    fn drop(&mut self) {
        for r in &self.runs {
            let _ = std::fs::remove_file(r);
        }
    }
}

fn read_key(r: &mut impl Read) -> std::io::Result<Option<u128>> {
    let mut b = [0u8; 16];
    match r.read_exact(&mut b) {
        Ok(()) => Ok(Some(u128::from_be_bytes(b))),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
        Err(e) => Err(e),
    }
}

/// The 128-bit natural keys of a batch, sorted and unique: in memory, or in a spool file
/// (see the module documentation).
#[derive(Debug, Clone)]
pub struct BatchKeys(Inner);

#[derive(Debug, Clone)]
enum Inner {
    Memory(Vec<u128>),
    File { file: Arc<KeyFile>, len: u64 },
}

impl Default for BatchKeys {
    fn default() -> Self {
        BatchKeys(Inner::Memory(Vec::new()))
    }
}

impl From<Vec<u128>> for BatchKeys {
    /// Keys held in memory (sorted and made unique here).
    fn from(mut keys: Vec<u128>) -> Self {
        keys.sort_unstable();
        keys.dedup();
        BatchKeys(Inner::Memory(keys))
    }
}

impl BatchKeys {
    /// Number of keys.
    pub fn len(&self) -> u64 {
        match &self.0 {
            Inner::Memory(v) => v.len() as u64,
            Inner::File { len, .. } => *len,
        }
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The keys in ascending order, `n` at a time (the last chunk may be shorter).
    pub fn chunks(&self, n: usize) -> std::io::Result<KeyChunks<'_>> {
        let n = n.max(1);
        Ok(match &self.0 {
            Inner::Memory(v) => KeyChunks::Memory(v.chunks(n)),
            Inner::File { file, len } => KeyChunks::File {
                reader: BufReader::with_capacity(IO_BUF, File::open(&file.0)?),
                left: *len,
                n,
            },
        })
    }
}

impl BatchKeys {
    /// The keys in ascending order as blobs of at most `n` keys, each key as its 16
    /// big-endian bytes (how `import_keys` stores them). A spool file already holds them so:
    /// its blobs are read straight from it, with no copy in between.
    pub fn packed_chunks(&self, n: usize) -> std::io::Result<PackedChunks<'_>> {
        let n = n.max(1);
        Ok(match &self.0 {
            Inner::Memory(v) => PackedChunks::Memory(v.chunks(n)),
            Inner::File { file, len } => PackedChunks::File {
                reader: File::open(&file.0)?,
                left: *len,
                n,
            },
        })
    }
}

/// The blobs of [`BatchKeys::packed_chunks`].
#[derive(Debug)]
pub enum PackedChunks<'a> {
    /// Slices of the keys in memory, packed one at a time.
    Memory(std::slice::Chunks<'a, u128>),
    /// Blobs read from the spool file.
    File { reader: File, left: u64, n: usize },
}

impl Iterator for PackedChunks<'_> {
    type Item = std::io::Result<Vec<u8>>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            PackedChunks::Memory(c) => c.next().map(|keys| {
                let mut out = Vec::with_capacity(keys.len() * 16);
                for k in keys {
                    out.extend_from_slice(&k.to_be_bytes());
                }
                Ok(out)
            }),
            PackedChunks::File { reader, left, n } => read_packed(reader, left, *n),
        }
    }
}

/// The next at most `n` packed keys (16 big-endian bytes each) of a spool file with `left`
/// keys still to read; `None` at the end. An error ends the chunks.
fn read_packed(
    reader: &mut impl Read,
    left: &mut u64,
    n: usize,
) -> Option<std::io::Result<Vec<u8>>> {
    if *left == 0 {
        return None;
    }
    let take = (*left).min(n as u64) as usize;
    let mut bytes = vec![0u8; take * 16];
    if let Err(e) = reader.read_exact(&mut bytes) {
        *left = 0;
        return Some(Err(e));
    }
    *left -= take as u64;
    Some(Ok(bytes))
}

/// The chunks of [`BatchKeys::chunks`].
#[derive(Debug)]
pub enum KeyChunks<'a> {
    /// Slices of the keys in memory.
    Memory(std::slice::Chunks<'a, u128>),
    /// Chunks read from the spool file.
    File {
        reader: BufReader<File>,
        left: u64,
        n: usize,
    },
}

impl<'a> Iterator for KeyChunks<'a> {
    type Item = std::io::Result<Cow<'a, [u128]>>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            KeyChunks::Memory(c) => c.next().map(|s| Ok(Cow::Borrowed(s))),
            KeyChunks::File { reader, left, n } => {
                let bytes = match read_packed(reader, left, *n)? {
                    Ok(b) => b,
                    Err(e) => return Some(Err(e)),
                };
                let keys = bytes
                    .chunks_exact(16)
                    .map(|c| {
                        let mut b = [0u8; 16];
                        b.copy_from_slice(c);
                        u128::from_be_bytes(b)
                    })
                    .collect();
                Some(Ok(Cow::Owned(keys)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(k: &BatchKeys, n: usize) -> Vec<u128> {
        k.chunks(n)
            .unwrap()
            .flat_map(|c| c.unwrap().into_owned())
            .collect()
    }

    #[test]
    fn spilled_runs_merge_into_the_sorted_unique_keys_with_the_repeated_ones() {
        let dir = tempfile::tempdir().unwrap();
        for run in [1, 3, 7, 1000, RUN_KEYS] {
            let mut spool = KeySpool::with_run(dir.path(), "b1", 10, run);
            let mut x: u64 = 11;
            let mut all = Vec::new();
            for _ in 0..500 {
                x = x
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                // A small key space, so some keys repeat; big values test the byte order.
                let k = (u128::from((x >> 33) % 400) << 100) | 5;
                spool.push(k).unwrap();
                all.push(k);
            }
            let (keys, repeated) = spool.finish().unwrap();
            let mut want = all.clone();
            want.sort_unstable();
            let mut want_repeated: Vec<u128> = want
                .windows(2)
                .filter(|w| w[0] == w[1])
                .map(|w| w[0])
                .collect();
            want_repeated.dedup();
            want.dedup();
            assert_eq!(keys.len(), want.len() as u64, "run = {run}");
            assert_eq!(repeated, want_repeated, "run = {run}");
            for n in [1, 64, 100_000] {
                assert_eq!(collect(&keys, n), want, "run = {run}, chunk = {n}");
                let packed: Vec<u8> = keys
                    .packed_chunks(n)
                    .unwrap()
                    .flat_map(|c| c.unwrap())
                    .collect();
                let expected: Vec<u8> = want.iter().flat_map(|k| k.to_be_bytes()).collect();
                assert_eq!(packed, expected, "run = {run}, packed chunk = {n}");
            }
            // Only the merged file stays, and it goes with the keys.
            let files = || std::fs::read_dir(dir.path()).unwrap().count();
            assert_eq!(files(), usize::from(run < 500));
            let copy = keys.clone();
            drop(keys);
            assert_eq!(collect(&copy, 50), want);
            drop(copy);
            assert_eq!(files(), 0, "run = {run}");
        }
    }

    #[test]
    fn an_abandoned_spool_removes_its_runs_and_an_empty_one_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = KeySpool::with_run(dir.path(), "b2", 0, 2);
        for k in 0..5 {
            spool.push(k).unwrap();
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
        drop(spool);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let (keys, repeated) = KeySpool::new(dir.path(), "b3", 0).finish().unwrap();
        assert!(keys.is_empty() && repeated.is_empty());
        assert_eq!(keys.chunks(10).unwrap().count(), 0);
        assert_eq!(BatchKeys::from(vec![3, 1, 3]).len(), 2);
    }
}
