//! Group commit: concurrent writes to one school's log share one transaction
//! and one durable flush.
//!
//! Every check ends by storing its signed receipt, and every grant and
//! revocation by storing itself, each appended to the school's hash-chained
//! log. Appends to one school's log are serialised (the school's row lock,
//! or SQLite's single writer) and each commit waits for the disk, so one
//! commit per write caps a school at the disk's flushes per second, and on
//! PostgreSQL each holds the school's row lock across its round trips. Here
//! a write is queued; the first write of a school to find no commit in
//! progress starts a writer, which commits every write queued by then in one
//! transaction, then the next group, until the queue is empty. Each write is
//! answered only when the group holding it has committed: it is durable
//! before the answer leaves, exactly as with a commit of its own.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};

use consent_media::PerceptualHash;
use consent_protocol::{RevocationScope, SchoolId, SignedGrant, SignedReceipt, SignedRevocation};
use sqlx::{Any, Transaction};
use tokio::sync::oneshot;

use super::log::{append_all, LogEvent, PERSISTENT_ROWS};
use super::{on_unique, placeholders, Store, StoreError, StoreResult};

/// The most writes one transaction commits; more wait for the next group.
const MAX_GROUP: usize = 128;

/// A signed receipt to store, with what is kept beside it.
#[derive(Clone, Debug)]
pub struct ReceiptToStore {
    /// The signed receipt.
    pub receipt: SignedReceipt,
    /// The perceptual hash of the checked picture, when the client sent
    /// one; kept beside the receipt (not signed in it) for the media audit.
    pub media_phash: Option<PerceptualHash>,
    /// The staff member who checked.
    pub staff: i64,
}

/// A write that appends to its school's log.
#[derive(Clone, Debug)]
pub(super) enum Write {
    /// A check's receipt.
    Receipt(ReceiptToStore),
    /// A verified grant, new to the server.
    Grant(SignedGrant),
    /// A verified revocation, new to the server.
    Revocation(SignedRevocation),
}

impl Write {
    fn school(&self) -> SchoolId {
        match self {
            Write::Receipt(stored) => stored.receipt.unverified().school,
            Write::Grant(token) => token.unverified().school,
            Write::Revocation(signed) => signed.unverified().school,
        }
    }

    fn event(&self) -> LogEvent {
        match self {
            Write::Receipt(stored) => LogEvent::Check {
                receipt: stored.receipt.to_text(),
            },
            Write::Grant(token) => LogEvent::Grant {
                token: token.to_text(),
            },
            Write::Revocation(signed) => LogEvent::Revocation {
                revocation: signed.to_text(),
            },
        }
    }
}

/// A write waiting for its group's commit.
struct Queued {
    write: Write,
    now: i64,
    done: oneshot::Sender<StoreResult<i64>>,
}

/// Writes waiting to be committed, per school. A school is in the map while
/// a writer for it runs.
#[derive(Default)]
pub(super) struct WriteQueue {
    schools: Mutex<HashMap<SchoolId, Vec<Queued>>>,
}

impl fmt::Debug for WriteQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteQueue").finish_non_exhaustive()
    }
}

impl WriteQueue {
    fn lock(&self) -> MutexGuard<'_, HashMap<SchoolId, Vec<Queued>>> {
        // Nothing is left half-changed under this lock: a poisoned one is
        // as good as any.
        self.schools.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Store {
    /// Commits `write` with whichever other writes of its school are
    /// waiting, and returns its log position once it is durable.
    pub(super) async fn commit(&self, write: Write, now: i64) -> StoreResult<i64> {
        let school = write.school();
        let (done, committed) = oneshot::channel();
        let queued = Queued { write, now, done };
        let start_writer = {
            let mut schools = self.writes.lock();
            match schools.get_mut(&school) {
                Some(waiting) => {
                    waiting.push(queued);
                    false
                }
                None => {
                    schools.insert(school, vec![queued]);
                    true
                }
            }
        };
        if start_writer {
            // Its own task: the request that started it may be cancelled
            // (its client gone) while others wait on the group.
            let writer = Writer {
                store: self.clone(),
                school,
                finished: false,
            };
            tokio::spawn(writer.run());
        }
        committed
            .await
            .unwrap_or(Err(StoreError::Database(sqlx::Error::WorkerCrashed)))
    }

    /// Stores `receipt` and logs the check; returns once it is durable.
    pub async fn insert_receipt(&self, receipt: ReceiptToStore, now: i64) -> StoreResult<()> {
        self.commit(Write::Receipt(receipt), now).await.map(|_| ())
    }

    /// Stores `writes` of one school and logs each, in one transaction,
    /// returning their log positions in order.
    async fn write_group(&self, school: SchoolId, writes: &[&Write], now: i64) -> StoreResult<Vec<i64>> {
        if writes.iter().any(|write| write.school() != school) {
            return Err(StoreError::Conflict("a write of another school"));
        }
        let rows_per_statement = self.engine.rows_per_statement();
        let events: Vec<LogEvent> = writes.iter().map(|write| write.event()).collect();
        let mut tx = self.pool.begin().await?;
        let last = append_all(&mut tx, school, &events, now, rows_per_statement).await?;
        let positions: Vec<i64> = (last - writes.len() as i64 + 1..=last).collect();
        let mut receipts = Vec::new();
        let mut grants = Vec::new();
        let mut revocations = Vec::new();
        for (write, &position) in writes.iter().zip(&positions) {
            match write {
                Write::Receipt(stored) => receipts.push(stored),
                Write::Grant(token) => grants.push((token, position)),
                Write::Revocation(signed) => revocations.push((signed, position)),
            }
        }
        for chunk in receipts.chunks(rows_per_statement) {
            insert_receipts(&mut tx, chunk).await?;
        }
        for chunk in grants.chunks(rows_per_statement) {
            insert_grants(&mut tx, chunk, now)
                .await
                .map_err(|e| on_unique(e, "another token with this id exists"))?;
        }
        for chunk in revocations.chunks(rows_per_statement) {
            insert_revocations(&mut tx, chunk, now)
                .await
                .map_err(|e| on_unique(e, "another revocation with this id exists"))?;
        }
        tx.commit().await?;
        Ok(positions)
    }
}

/// Commits one school's queued writes, group after group, until none wait.
struct Writer {
    store: Store,
    school: SchoolId,
    finished: bool,
}

impl Writer {
    async fn run(mut self) {
        loop {
            let group: Vec<Queued> = {
                let mut schools = self.store.writes.lock();
                let waiting = schools.entry(self.school).or_default();
                if waiting.is_empty() {
                    schools.remove(&self.school);
                    self.finished = true;
                    return;
                }
                let take = waiting.len().min(MAX_GROUP);
                waiting.drain(..take).collect()
            };
            let writes: Vec<&Write> = group.iter().map(|queued| &queued.write).collect();
            let now = group.iter().map(|queued| queued.now).max().unwrap_or_default();
            match self.store.write_group(self.school, &writes, now).await {
                Ok(positions) => {
                    for (queued, position) in group.into_iter().zip(positions) {
                        let _ = queued.done.send(Ok(position));
                    }
                }
                Err(error) if group.len() == 1 => {
                    if let Some(queued) = group.into_iter().next() {
                        let _ = queued.done.send(Err(error));
                    }
                }
                // One write that cannot be stored (a duplicate id) must not
                // fail the others: each is tried on its own, and answered
                // with its own outcome.
                Err(_) => {
                    for queued in group {
                        let result = self
                            .store
                            .write_group(self.school, &[&queued.write], queued.now)
                            .await
                            .map(|positions| positions[0]);
                        let _ = queued.done.send(result);
                    }
                }
            }
        }
    }
}

impl Drop for Writer {
    /// A writer that did not finish (it panicked) leaves no school marked as
    /// being written: its waiting writes get an error, and the next write
    /// starts a new writer.
    fn drop(&mut self) {
        if !self.finished {
            self.store.writes.lock().remove(&self.school);
        }
    }
}

/// `rows` rows of `columns` numbered placeholders each.
fn rows_of(rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|row| format!("({})", placeholders(row * columns + 1, columns)))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn insert_receipts(tx: &mut Transaction<'static, Any>, chunk: &[&ReceiptToStore]) -> StoreResult<()> {
    let sql = format!(
        "INSERT INTO receipts (id, school_id, receipt, media_hash, media_phash, checked_at, staff_id) VALUES {}",
        rows_of(chunk.len(), 7)
    );
    let mut insert = sqlx::query(&sql).persistent(chunk.len() <= PERSISTENT_ROWS);
    for stored in chunk {
        let claims = stored.receipt.unverified();
        insert = insert
            .bind(claims.id.to_string())
            .bind(i64::from(claims.school.0))
            .bind(stored.receipt.to_bytes())
            .bind(claims.media_hash.to_string())
            .bind(stored.media_phash.map(|phash| phash.to_string()))
            .bind(i64::from(claims.checked_at.as_unix()))
            .bind(stored.staff);
    }
    insert.execute(&mut **tx).await?;
    Ok(())
}

async fn insert_grants(
    tx: &mut Transaction<'static, Any>,
    chunk: &[(&SignedGrant, i64)],
    now: i64,
) -> Result<(), sqlx::Error> {
    let sql = format!(
        "INSERT INTO grants (token_id, school_id, subject_id, token, issued_at, not_after, received_at, sequence) \
         VALUES {}",
        rows_of(chunk.len(), 8)
    );
    let mut insert = sqlx::query(&sql).persistent(chunk.len() <= PERSISTENT_ROWS);
    for (token, sequence) in chunk {
        let grant = token.unverified();
        insert = insert
            .bind(grant.token_id.to_string())
            .bind(i64::from(grant.school.0))
            .bind(grant.subject.to_string())
            .bind(token.to_bytes())
            .bind(i64::from(grant.issued_at.as_unix()))
            .bind(i64::from(grant.not_after.as_unix()))
            .bind(now)
            .bind(*sequence);
    }
    insert.execute(&mut **tx).await?;
    Ok(())
}

async fn insert_revocations(
    tx: &mut Transaction<'static, Any>,
    chunk: &[(&SignedRevocation, i64)],
    now: i64,
) -> Result<(), sqlx::Error> {
    let sql = format!(
        "INSERT INTO revocations (id, school_id, subject_id, token_id, up_to, revocation, sequence, received_at) \
         VALUES {}",
        rows_of(chunk.len(), 8)
    );
    let mut insert = sqlx::query(&sql).persistent(chunk.len() <= PERSISTENT_ROWS);
    for (signed, sequence) in chunk {
        let revocation = signed.unverified();
        let (token_id, up_to) = match revocation.scope {
            RevocationScope::Token(token) => (Some(token.to_string()), None),
            RevocationScope::AllIssuedUpTo(moment) => (None, Some(i64::from(moment.as_unix()))),
        };
        insert = insert
            .bind(revocation.id.to_string())
            .bind(i64::from(revocation.school.0))
            .bind(revocation.subject.to_string())
            .bind(token_id)
            .bind(up_to)
            .bind(signed.to_bytes())
            .bind(*sequence)
            .bind(now);
    }
    insert.execute(&mut **tx).await?;
    Ok(())
}
