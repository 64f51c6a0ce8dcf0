//! The data directory and the SQLite files: they hold children's names and
//! birth dates, so they are created readable by the server's user only
//! (directory 0700, files 0600, as the signing key is), and the server warns
//! at start when an existing one is open to others.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::config::Config;
use crate::store::Engine;

/// Creates the data directory (and its missing parents) for the server's
/// user only, and the SQLite database file when the configuration uses one.
///
/// SQLite gives its `-wal` and `-shm` files the database file's permissions,
/// so creating the database file 0600 before SQLite opens it covers all three.
pub fn prepare(config: &Config) -> anyhow::Result<()> {
    let data_dir = config.data_dir();
    create_private_dir(&data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
    if let Some(database) = sqlite_file(&config.database_url()) {
        if let Some(parent) = database.parent().filter(|parent| !parent.as_os_str().is_empty()) {
            create_private_dir(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        create_private_file(&database).with_context(|| format!("creating {}", database.display()))?;
    }
    Ok(())
}

/// Logs a warning for the data directory and each database file that
/// others than the server's user may read or write.
pub fn warn_if_exposed(config: &Config) {
    for (path, mode) in exposed(config) {
        tracing::warn!(
            path = %path.display(),
            mode = format!("{mode:o}"),
            "other users of this machine may read or write the consent record here; \
             restrict it to the server's user (chmod go-rwx)"
        );
    }
}

/// The data directory and database files (`consent.db`, `-wal`, `-shm`)
/// that exist and are open to the group or to others, with their modes.
pub fn exposed(config: &Config) -> Vec<(PathBuf, u32)> {
    let mut paths = vec![config.data_dir()];
    if let Some(database) = sqlite_file(&config.database_url()) {
        for suffix in ["", "-wal", "-shm"] {
            let mut name = database.clone().into_os_string();
            name.push(suffix);
            paths.push(PathBuf::from(name));
        }
    }
    paths
        .into_iter()
        .filter_map(|path| {
            let mode = mode_of(&path)?;
            (mode & 0o077 != 0).then_some((path, mode))
        })
        .collect()
}

/// The file a SQLite database URL names; `None` for PostgreSQL and for
/// databases in memory.
fn sqlite_file(url: &str) -> Option<PathBuf> {
    if Engine::of_url(url) != Some(Engine::Sqlite) {
        return None;
    }
    let options: sqlx::sqlite::SqliteConnectOptions = url.parse().ok()?;
    let file = options.get_filename();
    let memory = url.contains(":memory:") || url.contains("mode=memory");
    (!memory && !file.as_os_str().is_empty()).then(|| file.to_path_buf())
}

#[cfg(unix)]
fn mode_of(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path)
        .ok()
        .map(|meta| meta.permissions().mode() & 0o777)
}

#[cfg(not(unix))]
fn mode_of(_path: &Path) -> Option<u32> {
    None
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Creates an empty file only its owner may read, unless it exists (an
/// existing database is never touched; a wider one is warned about).
fn create_private_file(path: &Path) -> std::io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(error),
    }
}
