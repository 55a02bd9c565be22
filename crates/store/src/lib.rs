//! `rumbo-store`: the one seam between Rumbo and its database.
//!
//! SQLite (one file, WAL, foreign keys on) is the embedded default; PostgreSQL is the multi-user
//! option. Both are reached through sqlx's `Any` driver with the same SQL: `$n` placeholders,
//! times as epoch seconds in 64-bit integers, dates as ISO text, booleans as 0/1 integers.
//! Only this crate names sqlx. Each backend has its own migration folder because DDL differs
//! (identity columns); queries do not.
//!
//! **Invariant:** every write that changes a programme or anything in it records an audit row in
//! the same transaction, so an audit trail can never disagree with the data.

pub mod audit;
pub mod clients;
pub mod closeout;
pub mod control;
pub mod imports;
pub mod jobs;
pub mod keys;
pub mod live;
mod migrate;
pub mod ops;
pub mod plan;
pub mod privacy;
pub mod programmes;
pub mod raw;
pub mod reports;
pub mod settings;
pub mod testing;
pub mod totp;
pub mod users;

use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor};

pub use audit::{Actor, AuditEntry};

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Everything that can go wrong in the store. Callers match on the first variants; `Db` carries
/// the driver's error, opaque, for logs only (never shown to users).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken; the string names the rule (e.g. `programme.code`).
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// A referenced row does not exist (e.g. unknown client).
    #[error("unknown reference: {0}")]
    UnknownReference(&'static str),
    #[error("unsupported database url (expected sqlite:// or postgres://)")]
    UnsupportedUrl,
    #[error("migration {version} failed: {source}")]
    Migration { version: i64, source: DbError },
    #[error("database error: {0}")]
    Db(DbError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// A file the store keeps beside the database (an upload) could not be read or written.
    #[error("file error: {0}")]
    Io(#[from] std::io::Error),
    /// The database did not answer in time (down, restarting, or every connection busy):
    /// worth trying again shortly.
    #[error("database unavailable: {0}")]
    Unavailable(DbError),
}

/// A database driver error: printable and a [`std::error::Error`] for logs, opaque otherwise,
/// so no driver type leaks out of this crate.
#[derive(Debug)]
pub struct DbError(Box<dyn std::error::Error + Send + Sync>);

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for DbError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

// Lets `?` turn driver errors into store errors inside this crate; nothing outside can name
// the driver's error type.
#[doc(hidden)]
impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        let unavailable = match &e {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => true,
            sqlx::Error::Database(d) => d.code().is_some_and(|c| is_outage_code(&c)),
            _ => false,
        };
        if unavailable {
            StoreError::Unavailable(DbError(Box::new(e)))
        } else {
            StoreError::Db(DbError(Box::new(e)))
        }
    }
}

/// PostgreSQL error codes that mean "the server is going away or not there yet" (a restart,
/// a failover, too many connections), not "this query is wrong": class 08 (connection
/// exception), 57P01 to 57P03 (administrator or crash shutdown, cannot connect now) and 53300
/// (too many connections). Callers get "unavailable, try again", never an internal error.
fn is_outage_code(code: &str) -> bool {
    code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "53300")
}

#[cfg(test)]
mod outage_tests {
    use super::is_outage_code;

    #[test]
    fn restarts_and_lost_connections_are_outages_but_bad_queries_are_not() {
        for c in ["08006", "08001", "57P01", "57P02", "57P03", "53300"] {
            assert!(is_outage_code(c), "{c}");
        }
        for c in ["23505", "42601", "22008", "40001", "57014"] {
            assert!(!is_outage_code(c), "{c}");
        }
    }
}

impl StoreError {
    /// True when the error is a unique-constraint violation.
    pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
        matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// How long a caller waits for a database connection before `StoreError::Unavailable`: short
/// enough that, with the request's own work, an outage is answered (503) within 2 s.
pub const ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(1500);

/// A handle on the database: cheap to clone, shared by every request.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// Whether a checkpoint after an import is running (at most one at a time: a stream of
    /// small imports asks for one after each commit).
    checkpointing: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

/// Seconds since the Unix epoch, UTC.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl Store {
    /// Opens (creating if needed) the database at `url` and applies pending migrations.
    ///
    /// `url` is `sqlite://PATH` (or a bare path ending in `.db`) or `postgres://…`.
    pub async fn open(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let (backend, url) = normalise_url(url)?;
        let max = if backend == Backend::Sqlite { 8 } else { 16 };
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            // A request waits at most this long for a connection: an outage or a saturated
            // pool answers "unavailable, try again" quickly instead of hanging.
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // The page size applies to a new, empty database only (before WAL is
                        // set); an existing one keeps its own. 16 KiB pages: a quarter of the
                        // page writes of 4 KiB for an import's key blobs and B-trees.
                        conn.execute(
                            "PRAGMA page_size=16384; \
                             PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; \
                             PRAGMA busy_timeout=10000; PRAGMA synchronous=NORMAL;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        let store = Store {
            pool,
            backend,
            checkpointing: Default::default(),
        };
        migrate::run(&store).await?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Starts a transaction that will write. On SQLite it takes the write lock up front
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads and then writes while another
    /// connection still holds the lock (e.g. a rollback not yet finished) fails at once with
    /// SQLITE_BUSY instead of waiting, so every write transaction starts immediate.
    pub(crate) async fn write_tx(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// Is the database reachable? Used by `/readyz`.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes every connection (graceful shutdown; lets SQLite checkpoint its WAL).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Consistent online copy of an SQLite database into `dest` (`VACUUM INTO`).
    pub async fn backup_to(&self, dest: &std::path::Path) -> Result<()> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::UnsupportedUrl);
        }
        let dest = dest.to_string_lossy().replace('\'', "''");
        sqlx::query(&format!("VACUUM INTO '{dest}'"))
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

fn normalise_url(url: &str) -> Result<(Backend, String)> {
    let url = url.trim();
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok((Backend::Postgres, url.to_string()))
    } else if let Some(rest) = url.strip_prefix("sqlite:") {
        let rest = rest.trim_start_matches("//");
        let sep = if rest.contains('?') { '&' } else { '?' };
        let url = if rest.contains("mode=") {
            format!("sqlite://{rest}")
        } else {
            format!("sqlite://{rest}{sep}mode=rwc")
        };
        Ok((Backend::Sqlite, url))
    } else if !url.contains("://") && !url.is_empty() {
        Ok((Backend::Sqlite, format!("sqlite://{url}?mode=rwc")))
    } else {
        Err(StoreError::UnsupportedUrl)
    }
}

/// `head` (an `INSERT … VALUES `) followed by `rows` groups of `cols` placeholders, for
/// multi-row inserts: numbered on PostgreSQL (`($1,$2),($3,$4)…`), anonymous on SQLite
/// (`(?,?),(?,?)…`, bound in the same order). sqlx's SQLite driver asks SQLite for the name
/// of every parameter it binds, and SQLite finds a name by walking the statement's list of
/// named parameters: numbered ones cost time quadratic in the parameters of a statement
/// (a sixth of a 1M-call import), anonymous ones nothing.
pub(crate) fn multi_row_insert(backend: Backend, head: &str, rows: usize, cols: usize) -> String {
    let mut sql = String::with_capacity(head.len() + rows * cols * 5);
    if backend == Backend::Sqlite {
        sql.push_str(head);
        let group = format!("({})", vec!["?"; cols].join(","));
        for r in 0..rows {
            if r > 0 {
                sql.push(',');
            }
            sql.push_str(&group);
        }
        return sql;
    }
    sql.push_str(head);
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        sql.push('(');
        for c in 0..cols {
            if c > 0 {
                sql.push(',');
            }
            sql.push_str(&format!("${}", r * cols + c + 1));
        }
        sql.push(')');
    }
    sql
}

/// Reads a column, turning a type mismatch into [`StoreError::Corrupt`].
pub(crate) fn col<'r, T>(row: &'r AnyRow, name: &str) -> Result<T>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    use sqlx::Row;
    row.try_get(name)
        .map_err(|e| StoreError::Corrupt(format!("column {name}: {e}")))
}

/// Reads a text column holding a value's text form (a string enum's wire name, an ISO date),
/// turning text that does not parse into [`StoreError::Corrupt`].
pub(crate) fn parsed_col<T>(row: &AnyRow, name: &str) -> Result<T>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    let text: String = col(row, name)?;
    parse_stored(name, &text)
}

/// [`parsed_col`] for a nullable column.
pub(crate) fn parsed_opt_col<T>(row: &AnyRow, name: &str) -> Result<Option<T>>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    let text: Option<String> = col(row, name)?;
    text.map(|t| parse_stored(name, &t)).transpose()
}

/// Parses a stored text; what does not parse is corrupt data, never a user error.
pub(crate) fn parse_stored<T>(what: &str, text: &str) -> Result<T>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|e| StoreError::Corrupt(format!("{what} {text:?}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text of every public item declared in this crate's sources: signatures up to their
    /// body, public fields, and whole enum definitions (variants are public).
    fn public_items() -> Vec<(String, String)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            for (i, line) in lines.iter().enumerate() {
                let t = line.trim_start();
                if !t.starts_with("pub ") || t.starts_with("pub mod") || t.starts_with("pub use") {
                    continue;
                }
                let indent = line.len() - t.len();
                let whole = t.starts_with("pub enum");
                // A field of a public struct is one line.
                let field = t.trim_end().ends_with(',');
                let mut item = String::new();
                for l in &lines[i..] {
                    item.push_str(l);
                    item.push('\n');
                    let closes = field
                        || l.trim_end().ends_with(';')
                        || if whole {
                            l.len() - l.trim_start().len() == indent && l.trim() == "}"
                        } else {
                            l.trim_end().ends_with('{')
                        };
                    if closes {
                        break;
                    }
                }
                let name = path.file_name().unwrap().to_string_lossy().to_string();
                out.push((name, item));
            }
        }
        out
    }

    #[test]
    fn no_public_item_names_a_driver_type() {
        let items = public_items();
        assert!(items.iter().any(|(_, i)| i.contains("fn programmes_for")));
        for (file, item) in items {
            for word in ["sqlx", "AnyRow", "AnyPool", "Transaction", "Any>"] {
                assert!(
                    !item.contains(word),
                    "{file}: public item names {word}:\n{item}"
                );
            }
        }
    }

    #[test]
    fn multi_row_inserts_number_their_placeholders_in_order() {
        assert_eq!(
            multi_row_insert(Backend::Postgres, "INSERT INTO t (a, b) VALUES ", 2, 2),
            "INSERT INTO t (a, b) VALUES ($1,$2),($3,$4)"
        );
        assert_eq!(
            multi_row_insert(Backend::Sqlite, "INSERT INTO t (a, b) VALUES ", 2, 2),
            "INSERT INTO t (a, b) VALUES (?,?),(?,?)"
        );
    }

    #[test]
    fn bare_paths_and_sqlite_urls_open_in_create_mode() {
        assert_eq!(
            normalise_url("rumbo.db").unwrap(),
            (Backend::Sqlite, "sqlite://rumbo.db?mode=rwc".into())
        );
        assert_eq!(
            normalise_url("sqlite://./x.db").unwrap(),
            (Backend::Sqlite, "sqlite://./x.db?mode=rwc".into())
        );
        assert_eq!(
            normalise_url("postgres://u@h/db").unwrap().0,
            Backend::Postgres
        );
        assert!(normalise_url("mysql://x").is_err());
    }

    #[tokio::test]
    async fn new_sqlite_databases_have_16_kib_pages_and_existing_ones_keep_theirs() {
        let url = testing::fresh_url().await.unwrap();
        if !url.starts_with("sqlite") {
            return;
        }
        let page_size = |store: Store| async move {
            let n: i64 = sqlx::query_scalar("PRAGMA page_size")
                .fetch_one(store.pool())
                .await
                .unwrap();
            store.close().await;
            n
        };
        assert_eq!(page_size(Store::open(&url).await.unwrap()).await, 16384);
        // A database created before, with 4 KiB pages in WAL, opens and migrates as it is.
        let old = testing::fresh_url().await.unwrap();
        let (_, full) = normalise_url(&old).unwrap();
        sqlx::any::install_default_drivers();
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&full)
            .await
            .unwrap();
        conn.execute(
            "PRAGMA page_size=4096; PRAGMA journal_mode=WAL; CREATE TABLE before (x INTEGER)",
        )
        .await
        .unwrap();
        sqlx::Connection::close(conn).await.unwrap();
        let store = Store::open(&old).await.unwrap();
        assert!(store.import_batches(1).await.unwrap().is_empty());
        assert_eq!(page_size(store).await, 4096);
    }
}
