//! Versioned migrations, embedded in the binary and applied at start.
//!
//! Each backend has its own folder (`migrations/sqlite`, `migrations/postgres`) with files of the
//! same numbers, applied in ascending order (a gap in the numbering is allowed: each version is
//! checked on its own); a migration runs in one transaction together with its bookkeeping row,
//! so a failed migration leaves nothing behind.

use crate::{now, Backend, DbError, Result, Store, StoreError};

/// (version, name, sqlite sql, postgres sql)
const MIGRATIONS: &[(i64, &str, &str, &str)] = &[
    (
        1,
        "foundation",
        include_str!("../migrations/sqlite/0001_foundation.sql"),
        include_str!("../migrations/postgres/0001_foundation.sql"),
    ),
    (
        2,
        "plan",
        include_str!("../migrations/sqlite/0002_plan.sql"),
        include_str!("../migrations/postgres/0002_plan.sql"),
    ),
    (
        3,
        "imports",
        include_str!("../migrations/sqlite/0003_imports.sql"),
        include_str!("../migrations/postgres/0003_imports.sql"),
    ),
    (
        4,
        "import_keys_raw_segments",
        include_str!("../migrations/sqlite/0004_import_keys_raw_segments.sql"),
        include_str!("../migrations/postgres/0004_import_keys_raw_segments.sql"),
    ),
    (
        5,
        "jobs",
        include_str!("../migrations/sqlite/0005_jobs.sql"),
        include_str!("../migrations/postgres/0005_jobs.sql"),
    ),
    (
        6,
        "account_controls",
        include_str!("../migrations/sqlite/0006_account_controls.sql"),
        include_str!("../migrations/postgres/0006_account_controls.sql"),
    ),
    (
        7,
        "import_safety",
        include_str!("../migrations/sqlite/0007_import_safety.sql"),
        include_str!("../migrations/postgres/0007_import_safety.sql"),
    ),
    (
        8,
        "privacy",
        include_str!("../migrations/sqlite/0008_privacy.sql"),
        include_str!("../migrations/postgres/0008_privacy.sql"),
    ),
    (
        9,
        "totp",
        include_str!("../migrations/sqlite/0009_totp.sql"),
        include_str!("../migrations/postgres/0009_totp.sql"),
    ),
    (
        10,
        "control",
        include_str!("../migrations/sqlite/0010_control.sql"),
        include_str!("../migrations/postgres/0010_control.sql"),
    ),
    (
        11,
        "import_layout",
        include_str!("../migrations/sqlite/0011_import_layout.sql"),
        include_str!("../migrations/postgres/0011_import_layout.sql"),
    ),
    (
        12,
        "rollups",
        include_str!("../migrations/sqlite/0012_rollups.sql"),
        include_str!("../migrations/postgres/0012_rollups.sql"),
    ),
    (
        13,
        "raw_codec",
        include_str!("../migrations/sqlite/0013_raw_codec.sql"),
        include_str!("../migrations/postgres/0013_raw_codec.sql"),
    ),
    (
        14,
        "live",
        include_str!("../migrations/sqlite/0014_live.sql"),
        include_str!("../migrations/postgres/0014_live.sql"),
    ),
    (
        15,
        "reports",
        include_str!("../migrations/sqlite/0015_reports.sql"),
        include_str!("../migrations/postgres/0015_reports.sql"),
    ),
    (
        16,
        "closeout_lessons",
        include_str!("../migrations/sqlite/0016_closeout_lessons.sql"),
        include_str!("../migrations/postgres/0016_closeout_lessons.sql"),
    ),
    (
        18,
        "roles",
        include_str!("../migrations/sqlite/0018_roles.sql"),
        include_str!("../migrations/postgres/0018_roles.sql"),
    ),
    (
        19,
        "state_versions",
        include_str!("../migrations/sqlite/0019_state_versions.sql"),
        include_str!("../migrations/postgres/0019_state_versions.sql"),
    ),
];

pub(crate) async fn run(store: &Store) -> Result<()> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )
    .execute(store.pool())
    .await?;
    for &(version, name, sqlite, postgres) in MIGRATIONS {
        let mut tx = store.write_tx().await?;
        if store.backend() == Backend::Postgres {
            // Serialise concurrent starters on the same database.
            sqlx::query("SELECT pg_advisory_xact_lock(4242)")
                .execute(&mut *tx)
                .await?;
        }
        let done: Option<i64> =
            sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                .bind(version)
                .fetch_optional(&mut *tx)
                .await?;
        if done.is_some() {
            // Release the advisory lock now: a dropped transaction is rolled back only when
            // its connection is next used, and the next migration may take another one.
            tx.rollback().await?;
            continue;
        }
        let sql = match store.backend() {
            Backend::Sqlite => sqlite,
            Backend::Postgres => postgres,
        };
        sqlx::raw_sql(sql)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::Migration {
                version,
                source: DbError(Box::new(e)),
            })?;
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        )
        .bind(version)
        .bind(name)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        tracing::info!(version, name, "applied migration");
    }
    Ok(())
}
