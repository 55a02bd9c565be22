//! Fresh, migrated databases for tests (zero2prod's `spawn_app` idea).
//!
//! `DATABASE_URL` chooses the backend: unset or `sqlite…` gives a new SQLite file in the temp
//! folder; `postgres://…/db` gives a new database `<prefix><random>` on that server, created
//! through the given database. The prefix is `RUMBO_TEST_DB_PREFIX` (lower-case letters, digits
//! and `_`; default `rumbo_t_`): `.ci/run` sets one of its own and drops exactly its databases
//! when the run ends, so runs sharing a server never drop each other's.

use rand::Rng;

use crate::{Result, Store};

/// The prefix of test database names (see the module documentation).
pub fn test_db_prefix() -> String {
    std::env::var("RUMBO_TEST_DB_PREFIX")
        .ok()
        .filter(|p| {
            !p.is_empty()
                && p.len() <= 40
                && p.starts_with(|c: char| c.is_ascii_lowercase())
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        })
        .unwrap_or_else(|| "rumbo_t_".into())
}

/// The URL a test store should use: a fresh database every call.
pub async fn fresh_url() -> Result<String> {
    let suffix: u64 = rand::thread_rng().gen();
    let base = std::env::var("DATABASE_URL").unwrap_or_default();
    if base.starts_with("postgres") {
        sqlx::any::install_default_drivers();
        let name = format!("{}{suffix:016x}", test_db_prefix());
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&base).await?;
        sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await?;
        let (prefix, _) = base
            .rsplit_once('/')
            .ok_or(crate::StoreError::UnsupportedUrl)?;
        let query = base
            .split_once('?')
            .map(|(_, q)| format!("?{q}"))
            .unwrap_or_default();
        Ok(format!("{prefix}/{name}{query}"))
    } else {
        let path = std::env::temp_dir().join(format!("rumbo-test-{suffix:016x}.db"));
        Ok(format!("sqlite://{}", path.display()))
    }
}

/// A fresh, migrated store.
pub async fn fresh_store() -> Result<Store> {
    Store::open(&fresh_url().await?).await
}

/// Makes a batch's raw records unreadable: its segments lose their bytes and its file is
/// gone. Tests use it to prove that a read (the drill-down) never touches that batch.
pub async fn break_raw_records(store: &Store, batch_id: i64) -> Result<()> {
    sqlx::query("UPDATE raw_segments SET data = NULL WHERE batch_id = $1")
        .bind(batch_id)
        .execute(store.pool())
        .await?;
    sqlx::query("UPDATE import_batches SET data_path = $2 WHERE id = $1")
        .bind(batch_id)
        .bind("missing/raw-records.raw")
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Moves every batch's commit time `seconds` into the past (tests of retention).
pub async fn age_batches(store: &Store, seconds: i64) -> Result<()> {
    sqlx::query("UPDATE import_batches SET created_at = created_at - $1")
        .bind(seconds)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Everything the database holds, as text: every value of every row of every table (text,
/// numbers, and bytes read as UTF-8), one line per row. Tests use it as "a copy of the
/// database" to prove what such a copy does and does not reveal.
pub async fn database_as_text(store: &Store) -> Result<String> {
    use sqlx::{Column, Row};
    let tables: Vec<String> = match store.backend() {
        crate::Backend::Sqlite => {
            sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                .fetch_all(store.pool())
                .await?
        }
        crate::Backend::Postgres => {
            sqlx::query_scalar(
                "SELECT CAST(table_name AS TEXT) FROM information_schema.tables
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
                 ORDER BY 1",
            )
            .fetch_all(store.pool())
            .await?
        }
    };
    let mut out = String::new();
    for table in tables {
        let rows = sqlx::query(&format!("SELECT * FROM \"{table}\""))
            .fetch_all(store.pool())
            .await?;
        for row in rows {
            out.push_str(&table);
            for (i, c) in row.columns().iter().enumerate() {
                out.push(' ');
                out.push_str(c.name());
                out.push('=');
                if let Ok(Some(v)) = row.try_get::<Option<String>, _>(i) {
                    out.push_str(&v);
                } else if let Ok(Some(v)) = row.try_get::<Option<i64>, _>(i) {
                    out.push_str(&v.to_string());
                } else if let Ok(Some(v)) = row.try_get::<Option<f64>, _>(i) {
                    out.push_str(&v.to_string());
                } else if let Ok(Some(v)) = row.try_get::<Option<Vec<u8>>, _>(i) {
                    out.push_str(&String::from_utf8_lossy(&v));
                } else if let Ok(Some(v)) = row.try_get::<Option<bool>, _>(i) {
                    out.push_str(&v.to_string());
                }
            }
            out.push('\n');
        }
    }
    Ok(out)
}
