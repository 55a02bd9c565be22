//! The natural keys an import skips: the keys of the programme's committed batches of its
//! family, looked up per record.
//!
//! A committed batch's keys never change (they go only with the batch), so the sorted key list
//! of each batch is kept in a bounded process-wide cache ([`KeyCache`]), stamped with the
//! batch's id, creation time and file hash (a deleted batch's id may be reused on SQLite).
//! An import then looks each record's key up by binary search in the large batches' lists
//! and in one hash set of the small batches' keys, instead of reading and hashing every key
//! of the programme (10M keys, about 2 s and 300 MB, for every 200-call upload into a year
//! of data). Servers stay stateless: the cache only holds what the database holds for a
//! batch id and stamp, and the commit still checks, under the programme's lock, the keys of
//! every batch committed after the import's snapshot.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use rumbo_kpi::fxhash::FxBuildHasher;

/// Batches with at least this many keys are searched in their sorted list; smaller ones are
/// merged into one hash set per import.
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

/// The keys an import skips.
#[derive(Debug, Default)]
pub(crate) struct KnownKeys {
    /// Keys of small batches (and of batches from before stored keys).
    pub small: HashSet<u128, FxBuildHasher>,
    /// Sorted keys of large batches.
    pub large: Vec<Arc<Vec<u128>>>,
}

impl KnownKeys {
    /// Whether a committed batch holds `k`.
    pub fn contains(&self, k: &u128) -> bool {
        self.small.contains(k) || self.large.iter().any(|v| v.binary_search(k).is_ok())
    }

    /// Adds one batch's sorted keys.
    pub fn add_sorted(&mut self, keys: Arc<Vec<u128>>) {
        if keys.len() >= LARGE_BATCH {
            self.large.push(keys);
        } else {
            self.small.extend(keys.iter().copied());
        }
    }
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
        assert!(k.contains(&5) && k.contains(&9) && k.contains(&100) && k.contains(&102));
        assert!(!k.contains(&101) && !k.contains(&6));
        assert_eq!(k.large.len(), 1);
    }
}
