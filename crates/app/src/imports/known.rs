//! The natural keys an import skips: the keys of the programme's committed batches of its
//! family, looked up per record.
//!
//! A committed batch's keys never change (they go only with the batch), so the sorted key list
//! of each batch is kept in a bounded process-wide cache ([`KeyCache`]), stamped with the
//! batch's id, creation time and file hash (a deleted batch's id may be reused on SQLite).
//! An import looks each record's key up by binary search in a few sorted runs: each large
//! batch is a run, and small batches are merged into runs of doubling size ([`KnownKeys`]),
//! instead of reading and hashing every key of the programme (10M keys, about 2 s and 300 MB,
//! for every 200-call upload into a year of data).
//!
//! The runs of each (programme, family) are kept too, with the snapshot they reach
//! ([`FamilyKeys`]): the next import adds only the batches committed since, so a stream of
//! small uploads costs each one its own batches, not every batch before it. Before they are
//! used, they are checked against the database (the count and id sum of the batches up to their
//! snapshot, and the newest one's stamp): a deleted batch makes them be built again.
//! Servers stay stateless: the cache only holds what the database holds, and the commit still
//! checks, under the programme's lock, the keys of every batch committed after the import's
//! snapshot.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Batches with at least this many keys are a run of their own; smaller ones are merged.
pub(crate) const LARGE_BATCH: usize = 50_000;

/// Keys the cache holds at most (16 bytes each: 256 MB). A batch larger than the bound is
/// used by the import that loaded it and not kept.
pub(crate) const CACHE_KEYS: usize = 16_000_000;

/// What identifies a batch's stored keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stamp {
    pub created_at: i64,
    pub file_hash: String,
}

/// The process-wide cache of committed batches' sorted keys.
#[derive(Debug)]
pub struct KeyCache {
    inner: Mutex<Inner>,
    capacity: usize,
    /// Per (programme, family): the merged keys up to a snapshot.
    families: Mutex<HashMap<(i64, String), FamilyKeys>>,
}

impl Default for KeyCache {
    fn default() -> Self {
        KeyCache::with_capacity(CACHE_KEYS)
    }
}

#[derive(Debug, Default)]
struct Inner {
    map: HashMap<i64, (Stamp, Arc<Vec<u128>>, u64)>,
    keys: usize,
    tick: u64,
}

impl KeyCache {
    /// A cache holding at most `capacity` keys.
    pub fn with_capacity(capacity: usize) -> KeyCache {
        KeyCache {
            inner: Mutex::default(),
            capacity,
            families: Mutex::default(),
        }
    }

    /// The keys of batch `id` when cached under the same stamp.
    pub(crate) fn get(&self, id: i64, stamp: &Stamp) -> Option<Arc<Vec<u128>>> {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        g.tick += 1;
        let tick = g.tick;
        match g.map.get_mut(&id) {
            Some((s, v, used)) if s == stamp => {
                *used = tick;
                Some(v.clone())
            }
            _ => None,
        }
    }

    /// Keeps the keys of batch `id` (replacing an entry under another stamp), the least
    /// recently used batches out when over the capacity.
    pub(crate) fn put(&self, id: i64, stamp: Stamp, keys: Arc<Vec<u128>>) {
        if keys.len() > self.capacity {
            return;
        }
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        g.tick += 1;
        let tick = g.tick;
        if let Some((_, old, _)) = g.map.insert(id, (stamp, keys.clone(), tick)) {
            g.keys -= old.len();
        }
        g.keys += keys.len();
        while g.keys > self.capacity {
            let Some(oldest) = g
                .map
                .iter()
                .filter(|(k, _)| **k != id)
                .min_by_key(|(_, (_, _, used))| *used)
                .map(|(k, _)| *k)
            else {
                break;
            };
            if let Some((_, v, _)) = g.map.remove(&oldest) {
                g.keys -= v.len();
            }
        }
    }

    /// Batches and keys held (for tests and metrics).
    pub fn size(&self) -> (usize, usize) {
        let g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        (g.map.len(), g.keys)
    }
}

/// What a cached family's keys were checked against: the fingerprint of the programme's
/// batches up to the snapshot ([`rumbo_store::Store::batch_fingerprint`]) and the stamp of
/// its newest batch (an SQLite id is reused only by a batch that takes the newest's place).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Check {
    pub count: i64,
    pub id_sum: i64,
    pub newest: Option<(i64, Stamp)>,
}

/// The known keys of one (programme, family) up to a snapshot, kept between imports so that
/// the next import adds only the batches committed since.
#[derive(Debug, Clone)]
pub(crate) struct FamilyKeys {
    pub upto: i64,
    pub check: Check,
    pub keys: KnownKeys,
}

/// Families kept at most.
const FAMILIES: usize = 64;

impl KeyCache {
    /// The cached keys of `(programme_id, family)`, whatever snapshot they reach.
    pub(crate) fn family(&self, programme_id: i64, family: &str) -> Option<FamilyKeys> {
        let g = self.families.lock().unwrap_or_else(|e| e.into_inner());
        g.get(&(programme_id, family.to_string())).cloned()
    }

    /// Keeps the keys of `(programme_id, family)` when they reach further than what is kept
    /// (and are not larger than the cache's bound).
    pub(crate) fn put_family(&self, programme_id: i64, family: &str, f: FamilyKeys) {
        if f.keys.len() > self.capacity {
            return;
        }
        let mut g = self.families.lock().unwrap_or_else(|e| e.into_inner());
        let key = (programme_id, family.to_string());
        if g.get(&key).is_some_and(|old| old.upto > f.upto) {
            return;
        }
        if g.len() >= FAMILIES && !g.contains_key(&key) {
            if let Some(k) = g.keys().next().cloned() {
                g.remove(&k);
            }
        }
        g.insert(key, f);
    }

    /// Forgets the keys of `(programme_id, family)` (they did not pass their check).
    pub(crate) fn forget_family(&self, programme_id: i64, family: &str) {
        let mut g = self.families.lock().unwrap_or_else(|e| e.into_inner());
        g.remove(&(programme_id, family.to_string()));
    }
}

/// The keys an import skips: sorted runs, looked up by binary search. A large batch is its
/// own run; small batches are merged as they come, so that a run is at least twice the size
/// of the next one and a programme of N keys has about log2(N) runs, however many small
/// batches it holds (a stream of 200-call uploads gives thousands of batches).
#[derive(Debug, Clone, Default)]
pub(crate) struct KnownKeys {
    runs: Vec<Arc<Vec<u128>>>,
}

impl KnownKeys {
    /// Whether a committed batch holds `k`.
    pub fn contains(&self, k: &u128) -> bool {
        self.runs.iter().any(|v| v.binary_search(k).is_ok())
    }

    /// Keys held.
    pub fn len(&self) -> usize {
        self.runs.iter().map(|r| r.len()).sum()
    }

    /// Runs held (for tests).
    #[cfg(test)]
    fn run_count(&self) -> usize {
        self.runs.len()
    }

    /// Adds one batch's sorted keys. Runs are shared with the cache and never changed: a
    /// merge makes a new run.
    pub fn add_sorted(&mut self, keys: Arc<Vec<u128>>) {
        if keys.is_empty() {
            return;
        }
        if keys.len() >= LARGE_BATCH {
            // Kept where it is (shared with the batch cache); small runs stay after it.
            let at = self
                .runs
                .iter()
                .position(|r| r.len() < LARGE_BATCH)
                .unwrap_or(self.runs.len());
            self.runs.insert(at, keys);
            return;
        }
        let mut run = keys;
        while let Some(last) = self.runs.last() {
            if last.len() >= LARGE_BATCH || last.len() > 2 * run.len() {
                break;
            }
            let last = self.runs.pop().unwrap_or_default();
            run = Arc::new(merge(&last, &run));
        }
        self.runs.push(run);
    }

    /// Adds keys in any order (batches from before stored keys).
    pub fn add_unsorted(&mut self, mut keys: Vec<u128>) {
        keys.sort_unstable();
        keys.dedup();
        self.add_sorted(Arc::new(keys));
    }
}

/// Two sorted lists merged into one (sorted; a key in both is kept once).
fn merge(a: &[u128], b: &[u128]) -> Vec<u128> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => {
                out.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(b[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(t: i64) -> Stamp {
        Stamp {
            created_at: t,
            file_hash: "h".into(),
        }
    }

    #[test]
    fn a_batch_is_found_only_under_its_own_stamp() {
        let c = KeyCache::default();
        c.put(7, stamp(1), Arc::new(vec![1, 2, 3]));
        assert!(c.get(7, &stamp(1)).is_some());
        assert!(
            c.get(7, &stamp(2)).is_none(),
            "a reused id is another batch"
        );
        c.put(7, stamp(2), Arc::new(vec![4]));
        assert_eq!(c.size(), (1, 1));
    }

    #[test]
    fn the_least_recently_used_batches_leave_when_over_the_bound() {
        let c = KeyCache::with_capacity(100);
        c.put(1, stamp(1), Arc::new(vec![0; 45]));
        c.put(2, stamp(1), Arc::new(vec![0; 45]));
        assert!(c.get(1, &stamp(1)).is_some());
        c.put(3, stamp(1), Arc::new(vec![0; 45]));
        assert!(
            c.get(2, &stamp(1)).is_none(),
            "batch 2 was used least recently"
        );
        assert!(c.get(1, &stamp(1)).is_some() && c.get(3, &stamp(1)).is_some());
        assert_eq!(c.size(), (2, 90));
        c.put(4, stamp(1), Arc::new(vec![0; 101]));
        assert!(
            c.get(4, &stamp(1)).is_none(),
            "larger than the bound: not kept"
        );
    }

    #[test]
    fn keys_are_found_in_small_and_large_batches() {
        let mut k = KnownKeys::default();
        k.add_sorted(Arc::new(vec![5, 9]));
        k.add_sorted(Arc::new(
            (0..LARGE_BATCH as u128).map(|i| i * 2 + 100).collect(),
        ));
        k.add_unsorted(vec![7, 3, 7]);
        assert!(k.contains(&5) && k.contains(&9) && k.contains(&100) && k.contains(&102));
        assert!(k.contains(&3) && k.contains(&7));
        assert!(!k.contains(&101) && !k.contains(&6));
        assert_eq!(k.len(), LARGE_BATCH + 4);
    }

    #[test]
    fn thousands_of_small_batches_make_a_few_runs_and_every_key_is_found() {
        let mut k = KnownKeys::default();
        let mut all = Vec::new();
        for b in 0..4000u128 {
            // Interleaved keys: every batch's range overlaps the others'.
            let keys: Vec<u128> = (0..200u128).map(|i| i * 4000 + b).collect();
            all.extend_from_slice(&keys);
            k.add_sorted(Arc::new(keys));
        }
        assert!(k.run_count() <= 24, "{} runs", k.run_count());
        assert_eq!(k.len(), all.len());
        assert!(all.iter().all(|x| k.contains(x)));
        assert!(!k.contains(&(4000 * 200)));
    }

    #[test]
    fn a_merge_never_changes_a_shared_run() {
        let shared = Arc::new(vec![1, 3]);
        let mut k = KnownKeys::default();
        k.add_sorted(shared.clone());
        let before = k.clone();
        k.add_sorted(Arc::new(vec![2]));
        assert_eq!(*shared, vec![1, 3]);
        assert!(before.contains(&1) && !before.contains(&2));
        assert!(k.contains(&2));
    }
}
