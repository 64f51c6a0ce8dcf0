//! What this instance has signed: the last audit log head (size and hash) it
//! signed for each school, kept in a file in the data directory beside the
//! signing key.
//!
//! The server signs whatever head the database holds. Someone who can write
//! the database could remove an entry, re-hash the chain and store the new
//! head; without a memory the server would sign that rewritten history as
//! readily as the true one. So before signing, the server checks that the
//! log it is about to sign extends the last head it signed: the entries
//! after the remembered size, hashed onto the remembered head, must give the
//! database's head. The memory is kept outside the database on purpose: a
//! database attacker can rewrite any row, including one that says what was
//! signed, but not this instance's data directory (see `docs/security.md`).

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use consent_protocol::Hash256;
use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, MutexGuard};

const FILE_NAME: &str = "signed-log-heads.json";

/// A head this instance signed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastSigned {
    /// The log's size.
    pub size: u64,
    /// The head hash at that size.
    pub head: Hash256,
}

/// The last head signed per school, and the file that keeps it.
#[derive(Debug)]
pub struct Memory {
    path: PathBuf,
    heads: BTreeMap<u32, LastSigned>,
}

impl Memory {
    /// The last head signed for `school`, if any.
    pub fn last(&self, school: u32) -> Option<LastSigned> {
        self.heads.get(&school).copied()
    }

    /// Remembers a signed head, on disk before the signature is handed out:
    /// written beside the file, synced, then renamed over it, so a crash
    /// leaves the old memory or the new one, never a torn file.
    pub fn remember(&mut self, school: u32, signed: LastSigned) -> anyhow::Result<()> {
        if self.heads.get(&school) == Some(&signed) {
            return Ok(());
        }
        self.heads.insert(school, signed);
        let next = self.path.with_extension("json.next");
        let mut options = fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options
            .open(&next)
            .with_context(|| format!("creating {}", next.display()))?;
        file.write_all(&serde_json::to_vec(&self.heads)?)?;
        file.sync_all()?;
        fs::rename(&next, &self.path).with_context(|| format!("replacing {}", self.path.display()))?;
        if let Some(dir) = self.path.parent() {
            fs::File::open(dir).and_then(|dir| dir.sync_all())?;
        }
        Ok(())
    }
}

/// The memory, behind a lock: one head is signed at a time on this instance,
/// so two signings cannot both pass the check against the same remembered
/// head and then remember out of order.
#[derive(Debug)]
pub struct SignedHeads(Mutex<Memory>);

impl SignedHeads {
    /// Loads the memory from `data_dir` (empty when the file does not exist yet).
    pub fn load(data_dir: &Path) -> anyhow::Result<Self> {
        let path = data_dir.join(FILE_NAME);
        let heads = match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).with_context(|| {
                format!(
                    "{} is damaged; it records the audit log heads this server signed",
                    path.display()
                )
            })?,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
        };
        Ok(Self(Mutex::new(Memory { path, heads })))
    }

    /// Takes the lock for one signing.
    pub async fn lock(&self) -> MutexGuard<'_, Memory> {
        self.0.lock().await
    }
}
