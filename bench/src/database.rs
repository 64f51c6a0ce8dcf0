//! A fresh database per measurement: a SQLite file in a temporary folder, or
//! a PostgreSQL database `consent_bench_<pid>_<n>` dropped afterwards.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::{Context, Result};
use sqlx::Connection;

/// The PostgreSQL server the benchmarks may create databases on.
pub const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";

/// Which database engine a measurement runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// An embedded SQLite file (the default deployment).
    Sqlite,
    /// PostgreSQL (several instances on one record).
    Postgres,
}

impl Engine {
    /// Its name in tables.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "SQLite",
            Engine::Postgres => "PostgreSQL",
        }
    }
}

/// A fresh, empty database and a data folder for a server's signing key.
pub struct FreshDatabase {
    /// The URL a server connects to.
    pub url: String,
    /// The engine.
    pub engine: Engine,
    dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

static NEXT: AtomicU32 = AtomicU32::new(0);

impl FreshDatabase {
    /// Creates one. `postgres_admin_url` names the PostgreSQL server to create
    /// the database on.
    pub async fn create(engine: Engine, postgres_admin_url: &str) -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("consent-bench-")
            .tempdir()
            .context("creating a temporary folder")?;
        match engine {
            Engine::Sqlite => Ok(Self {
                url: format!("sqlite://{}?mode=rwc", dir.path().join("consent.db").display()),
                engine,
                dir,
                postgres: None,
            }),
            Engine::Postgres => {
                // Not consent_test_*: CI drops those databases.
                let name = format!(
                    "consent_bench_{}_{}",
                    std::process::id(),
                    NEXT.fetch_add(1, Ordering::Relaxed)
                );
                let mut admin = sqlx::PgConnection::connect(postgres_admin_url)
                    .await
                    .with_context(|| format!("connecting to PostgreSQL at {postgres_admin_url}"))?;
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .await
                    .with_context(|| format!("creating database {name}"))?;
                admin.close().await?;
                let base = postgres_admin_url
                    .rsplit_once('/')
                    .map_or(postgres_admin_url, |(base, _)| base);
                Ok(Self {
                    url: format!("{base}/{name}"),
                    engine,
                    dir,
                    postgres: Some((postgres_admin_url.to_owned(), name)),
                })
            }
        }
    }

    /// The folder for the first server instance's data (its signing key, and
    /// the SQLite file).
    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// A separate data folder for another server instance on the same database.
    pub fn another_data_dir(&self, name: &str) -> Result<PathBuf> {
        let path = self.dir.path().join(name);
        std::fs::create_dir_all(&path).with_context(|| format!("creating {}", path.display()))?;
        Ok(path)
    }

    /// Drops the PostgreSQL database (the SQLite folder goes with `self`).
    pub async fn remove(self) -> Result<()> {
        if let Some((admin_url, name)) = &self.postgres {
            let mut admin = sqlx::PgConnection::connect(admin_url).await?;
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin)
                .await
                .with_context(|| format!("dropping database {name}"))?;
            admin.close().await?;
        }
        Ok(())
    }
}
