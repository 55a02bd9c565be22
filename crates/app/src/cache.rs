//! A bounded in-process cache of computed results (KPI merges, the views built on them).
//!
//! Servers stay stateless: every key holds the programme's data version
//! ([`rumbo_store::Store::data_version`], bumped in the transaction of every import, batch
//! deletion or new definition version's aggregates), read from the database on each request,
//! so a server never serves figures older than what the database holds and any number of
//! servers may share one database. An entry whose version is past is never asked for again
//! and leaves by the least-recently-used rule.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Entries kept at most (each is one query's result; a year of hourly rows over ten queues
/// is about 90,000 rows, so the bound keeps the cache under a few hundred MB at worst).
pub const CAPACITY: usize = 256;

/// What a cached result depends on: the programme, its data version, the kind of result
/// and every parameter of the query that produced it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    pub programme_id: i64,
    pub data_version: i64,
    pub kind: &'static str,
    pub params: String,
}

type Entry = (Arc<dyn Any + Send + Sync>, u64);

/// The cache: a map with a use counter per entry; least recently used out when full.
#[derive(Debug, Default)]
pub struct ResultCache {
    inner: Mutex<Inner>,
    /// Keys being computed now, each with the gate its computers queue on
    /// ([`ResultCache::get_or_compute`]).
    flights: Mutex<HashMap<CacheKey, Arc<tokio::sync::Mutex<()>>>>,
}

#[derive(Default)]
struct Inner {
    map: HashMap<CacheKey, Entry>,
    tick: u64,
    hits: u64,
    misses: u64,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inner")
            .field("entries", &self.map.len())
            .finish()
    }
}

impl ResultCache {
    /// The value under `key` when present and of type `T`.
    pub fn get<T: Any + Send + Sync>(&self, key: &CacheKey) -> Option<Arc<T>> {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        g.tick += 1;
        let tick = g.tick;
        let found = g.map.get_mut(key).and_then(|(v, used)| {
            *used = tick;
            v.clone().downcast::<T>().ok()
        });
        if found.is_some() {
            g.hits += 1;
        } else {
            g.misses += 1;
        }
        found
    }

    /// Stores `value` under `key`, removing the least recently used entry when full.
    pub fn put<T: Any + Send + Sync>(&self, key: CacheKey, value: Arc<T>) {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        g.tick += 1;
        let tick = g.tick;
        if g.map.len() >= CAPACITY && !g.map.contains_key(&key) {
            // Older versions of the same programme and kind go first: they are never asked
            // for again.
            let oldest = g
                .map
                .iter()
                .min_by_key(|(k, (_, used))| {
                    (
                        !(k.programme_id == key.programme_id
                            && k.kind == key.kind
                            && k.data_version < key.data_version),
                        *used,
                    )
                })
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                g.map.remove(&k);
            }
        }
        g.map.insert(key, (value, tick));
    }

    /// The value under `key`, computed by `compute` when absent. Concurrent callers with the
    /// same key wait for one computation instead of all making it (a new data version
    /// arriving under load would otherwise be computed by every request in flight). A failed
    /// computation is not kept: the next caller tries again.
    pub async fn get_or_compute<T, E, Fut>(
        &self,
        key: CacheKey,
        compute: impl FnOnce() -> Fut,
    ) -> Result<Arc<T>, E>
    where
        T: Any + Send + Sync,
        Fut: std::future::Future<Output = Result<T, E>>,
    {
        if let Some(hit) = self.get::<T>(&key) {
            return Ok(hit);
        }
        let gate = self
            .flights
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(key.clone())
            .or_default()
            .clone();
        let _turn = gate.lock().await;
        // Whatever happens next (a value, an error, the caller going away), the gate leaves
        // the map: callers queued on it find the value in the cache or compute it in turn.
        let _leave = Leave {
            flights: &self.flights,
            key: &key,
        };
        if let Some(hit) = self.get::<T>(&key) {
            return Ok(hit);
        }
        let value = Arc::new(compute().await?);
        self.put(key.clone(), value.clone());
        Ok(value)
    }

    /// (entries, hits, misses) so far.
    pub fn stats(&self) -> (usize, u64, u64) {
        let g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        (g.map.len(), g.hits, g.misses)
    }
}

/// Removes a key's gate from the map of computations in flight when dropped.
struct Leave<'a> {
    flights: &'a Mutex<HashMap<CacheKey, Arc<tokio::sync::Mutex<()>>>>,
    key: &'a CacheKey,
}

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        self.flights
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(self.key);
    }
}

/// A view built from a programme's data (rendered HTML, serialised JSON), kept in the result
/// cache under the programme's data version: the caller names the kind and every parameter
/// the view depends on (language, query, anything read besides the programme's data).
#[derive(Debug, Clone)]
pub struct ViewKey {
    key: CacheKey,
}

impl crate::App {
    /// The key of view `kind` with `params` at the programme's current data version (one
    /// indexed read of the database, so every server agrees on what is current).
    pub async fn view_key(
        &self,
        programme_id: i64,
        kind: &'static str,
        params: String,
    ) -> crate::Result<ViewKey> {
        Ok(ViewKey {
            key: CacheKey {
                programme_id,
                data_version: self.store.data_version(programme_id).await?,
                kind,
                params,
            },
        })
    }

    /// The key of view `kind` with `params` that name everything the view depends on,
    /// versions included (read by the caller), kept apart from any programme's entries.
    pub fn view_key_named(&self, kind: &'static str, params: String) -> ViewKey {
        ViewKey {
            key: CacheKey {
                programme_id: -1,
                data_version: 0,
                kind,
                params,
            },
        }
    }

    /// The view kept under `key`, if any.
    pub fn cached_view(&self, key: &ViewKey) -> Option<Arc<String>> {
        self.cache.get::<String>(&key.key)
    }

    /// Keeps a view under `key`.
    pub fn keep_view(&self, key: ViewKey, view: Arc<String>) {
        self.cache.put(key.key, view);
    }

    /// The view kept under `key`, rendered by `render` when absent (once for all the
    /// requests asking for it meanwhile, [`ResultCache::get_or_compute`]); a failed render is
    /// not kept.
    pub async fn view_or_render<E, Fut>(
        &self,
        key: ViewKey,
        render: impl FnOnce() -> Fut,
    ) -> Result<Arc<String>, E>
    where
        Fut: std::future::Future<Output = Result<String, E>>,
    {
        self.cache.get_or_compute(key.key, render).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(p: i64, v: i64, params: &str) -> CacheKey {
        CacheKey {
            programme_id: p,
            data_version: v,
            kind: "t",
            params: params.into(),
        }
    }

    #[test]
    fn a_value_is_found_under_its_exact_key_and_type_only() {
        let c = ResultCache::default();
        c.put(key(1, 1, "a"), Arc::new(5u32));
        assert_eq!(c.get::<u32>(&key(1, 1, "a")).as_deref(), Some(&5));
        assert!(
            c.get::<u32>(&key(1, 2, "a")).is_none(),
            "newer data version"
        );
        assert!(c.get::<u32>(&key(2, 1, "a")).is_none(), "other programme");
        assert!(c.get::<u64>(&key(1, 1, "a")).is_none(), "other type");
    }

    #[test]
    fn the_cache_never_holds_more_than_its_capacity_and_drops_the_least_recently_used() {
        let c = ResultCache::default();
        for i in 0..CAPACITY as i64 {
            c.put(key(1, 1, &i.to_string()), Arc::new(i));
        }
        // Touch entry 0, so entry 1 is now the least recently used.
        assert!(c.get::<i64>(&key(1, 1, "0")).is_some());
        c.put(key(1, 1, "new"), Arc::new(-1i64));
        assert_eq!(c.stats().0, CAPACITY);
        assert!(c.get::<i64>(&key(1, 1, "0")).is_some());
        assert!(c.get::<i64>(&key(1, 1, "1")).is_none());
        assert!(c.get::<i64>(&key(1, 1, "new")).is_some());
    }

    #[tokio::test]
    async fn concurrent_callers_of_one_key_compute_it_once_and_a_failure_is_not_kept() {
        use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
        let c = Arc::new(ResultCache::default());
        let runs = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (c, runs) = (c.clone(), runs.clone());
            tasks.push(tokio::spawn(async move {
                c.get_or_compute(key(1, 1, "k"), || async {
                    runs.fetch_add(1, SeqCst);
                    // Long enough for every other caller to arrive while this one computes.
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    Ok::<_, ()>(7u32)
                })
                .await
                .map(|v| *v)
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap(), Ok(7));
        }
        assert_eq!(runs.load(SeqCst), 1, "one computation for eight callers");

        let failed = c
            .get_or_compute(key(1, 1, "e"), || async { Err::<u32, _>("no") })
            .await;
        assert!(failed.is_err());
        let again = c
            .get_or_compute(key(1, 1, "e"), || async { Ok::<u32, &str>(3) })
            .await;
        assert_eq!(again.as_deref(), Ok(&3), "the failure was not kept");
        assert!(c.flights.lock().unwrap().is_empty(), "no gate left behind");
    }

    #[test]
    fn entries_of_an_older_data_version_leave_first() {
        let c = ResultCache::default();
        c.put(key(1, 1, "old"), Arc::new(0i64));
        for i in 1..CAPACITY as i64 {
            c.put(key(2, 1, &i.to_string()), Arc::new(i));
        }
        // The old entry is the most recently used, yet it goes first: a newer version of
        // its programme arrives, so it will never be asked for again.
        assert!(c.get::<i64>(&key(1, 1, "old")).is_some());
        c.put(key(1, 2, "fresh"), Arc::new(1i64));
        assert!(c.get::<i64>(&key(1, 1, "old")).is_none());
        assert!(c.get::<i64>(&key(2, 1, "1")).is_some());
    }
}
