//! Storage: the consent record in SQLite or PostgreSQL, behind one type whose
//! methods are named after what the domain needs.
//!
//! Both engines run the same SQL through sqlx's `Any` driver; only the
//! migrations differ (`migrations/sqlite`, `migrations/postgres`). Every write
//! that the audit log must see happens in one transaction with its log entry,
//! so an acknowledged write is always in the log and the log never names a
//! write that did not happen.

mod channels;
mod consent;
mod group_commit;
mod groups;
mod log;
mod media;
mod people;
mod publications;
mod record;
mod retention;
mod schools;
mod sign_in_codes;
mod tokens;

use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};
use std::str::FromStr;

pub use channels::{Channel, DEFAULT_CHANNELS};
pub use consent::{ConsentRecord, StoredGrant, StoredRevocation};
pub use group_commit::ReceiptToStore;
pub use groups::Group;
pub use log::{LogEntry, LogEvent};
pub use media::{CheckedPicture, NewTakedown, PictureSeen, Takedown};
pub use people::{DeviceKey, Imported, Keys, NewPerson, Person, PersonKind};
pub use publications::{NewPublication, Publication, PublicationPerson};
pub use record::StoredRecord;
pub use retention::Purged;
pub use schools::{Credential, School, StaffMember, StaffRole};
pub use tokens::{TokenInForce, SESSION_LABEL};

/// A storage failure, as the HTTP layer needs to tell them apart.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The thing asked for does not exist (in this school).
    #[error("not found")]
    NotFound,
    /// The write conflicts with what is stored (a duplicate, a used code, ...).
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// The database failed; the details are logged, never shown to clients.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Stored bytes no longer decode; the database was altered outside the server.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

/// Result of a storage call.
pub type StoreResult<T> = Result<T, StoreError>;

/// Which database engine a URL selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server, for several server instances.
    Postgres,
}

impl Engine {
    /// The engine a database URL names.
    pub fn of_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Engine::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Some(Engine::Postgres)
        } else {
            None
        }
    }
}

impl Engine {
    /// How many rows one multi-row statement writes (at most 8 values a
    /// row). SQLite reads `$N` placeholders as names and looks each one up
    /// among the statement's others, so a statement costs it the square of
    /// its placeholders: small statements. PostgreSQL pays a round trip and
    /// a plan per statement: large ones, far below its 65,535 parameters.
    pub fn rows_per_statement(self) -> usize {
        match self {
            Engine::Sqlite => 25,
            Engine::Postgres => 1_000,
        }
    }
}

/// The consent record.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    engine: Engine,
    /// Writes to a school's log waiting to be committed in groups.
    writes: Arc<group_commit::WriteQueue>,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

impl Store {
    /// Connects and brings the schema up to date.
    ///
    /// SQLite runs in WAL mode with `synchronous = FULL`, so a write that was
    /// acknowledged survives the process being killed or the power failing.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let engine = Engine::of_url(url)
            .ok_or_else(|| anyhow::anyhow!("DATABASE_URL must start with sqlite: or postgres:"))?;
        let options = AnyConnectOptions::from_str(url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(match engine {
                Engine::Sqlite => 4,
                Engine::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(10))
            // A ping before every acquire is a round trip (on SQLite a hop to
            // the connection's thread and back) for each statement, as much
            // as the statement itself. A connection that died (PostgreSQL
            // restarted) fails its statement instead and is not reused.
            .test_before_acquire(false)
            .after_connect(move |connection, _| {
                Box::pin(async move {
                    match engine {
                        Engine::Sqlite => {
                            for pragma in [
                                "PRAGMA journal_mode = WAL",
                                "PRAGMA synchronous = FULL",
                                "PRAGMA foreign_keys = ON",
                                "PRAGMA busy_timeout = 15000",
                            ] {
                                connection.execute(pragma).await?;
                            }
                        }
                        // Statements stay prepared on a connection for its
                        // life, and after five runs PostgreSQL would keep one
                        // generic plan for each: one made while a school's
                        // grants and revocations were a few rows is a scan of
                        // the whole table, and stays one as they grow by
                        // thousands (BENCHMARKS.md, "What limits checks").
                        // Planned per call, each statement looks its rows up
                        // by index, at a price: planning is the larger part
                        // of PostgreSQL's work in a check (BENCHMARKS.md).
                        Engine::Postgres => {
                            connection
                                .execute("SET plan_cache_mode = force_custom_plan")
                                .await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        match engine {
            Engine::Sqlite => SQLITE_MIGRATIONS.run(&pool).await?,
            Engine::Postgres => POSTGRES_MIGRATIONS.run(&pool).await?,
        }
        Ok(Self {
            pool,
            engine,
            writes: Arc::default(),
        })
    }

    /// The engine in use.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// Whether the database answers.
    pub async fn is_ready(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    /// Closes every connection, waiting for those in use.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Numbered placeholders `$first, ..., $(first + count - 1)`, for `IN` lists.
/// Both engines accept numbered placeholders; sqlx's query builder writes `?`
/// under the `Any` driver, which PostgreSQL refuses.
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The people a statement reads rows of, as a table to join:
/// `WITH asked(id) AS NOT MATERIALIZED (VALUES ($first), ...)`, one
/// placeholder per distinct id ([`distinct_ids`]). Each statement joins it
/// `asked CROSS JOIN <table>`, which SQLite keeps in that order: a search
/// of the table's index per id. An `IN ($2, ...)` list instead costs SQLite
/// a temporary index built at every run of the statement: a seventh of
/// SQLite's time in a class check (BENCHMARKS.md, "What limits checks").
fn asked(first: usize, count: usize) -> String {
    let rows = (first..first + count)
        .map(|n| format!("(${n})"))
        .collect::<Vec<_>>()
        .join(", ");
    format!("WITH asked(id) AS NOT MATERIALIZED (VALUES {rows})")
}

/// The distinct ids among `people`, as [`asked`] binds them: a repeated id
/// would repeat its rows.
fn distinct_ids(people: &[consent_protocol::SubjectId]) -> Vec<String> {
    let distinct: std::collections::BTreeSet<_> = people.iter().collect();
    distinct.into_iter().map(ToString::to_string).collect()
}

/// Maps a unique-constraint violation to a conflict, keeping other errors.
fn on_unique(error: sqlx::Error, conflict: &'static str) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(conflict),
        _ => StoreError::Database(error),
    }
}
