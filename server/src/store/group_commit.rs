//! Group commit of check receipts: concurrent checks of one school share one
//! transaction and one durable flush.
//!
//! Every check ends by storing its signed receipt and appending it to the
//! school's hash-chained log. Appends to one school's log are serialised (the
//! school's row lock, or SQLite's single writer) and each commit waits for
//! the disk, so one commit per check caps a school's checks at the disk's
//! flushes per second. Here a check queues its receipt; the first check of a
//! school to find no commit in progress starts a writer, which commits every
//! receipt queued by then in one transaction, then the next group, until the
//! queue is empty. Each check is answered only when the group holding its
//! receipt has committed: its receipt and log entry are durable before the
//! answer leaves, exactly as with a commit of its own.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use consent_media::PerceptualHash;
use consent_protocol::{SchoolId, SignedReceipt};
use tokio::sync::oneshot;

use super::log::{append_all, LogEvent};
use super::{placeholders, Store, StoreError, StoreResult};

/// The most receipts one transaction commits; more wait for the next group.
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

/// A receipt waiting for its group's commit.
struct Queued {
    receipt: ReceiptToStore,
    now: i64,
    done: oneshot::Sender<StoreResult<()>>,
}

/// Receipts waiting to be committed, per school. A school is in the map
/// while a writer for it runs.
#[derive(Default)]
pub struct ReceiptQueue {
    schools: Mutex<HashMap<SchoolId, Vec<Queued>>>,
}

impl ReceiptQueue {
    fn lock(&self) -> MutexGuard<'_, HashMap<SchoolId, Vec<Queued>>> {
        // Nothing is left half-changed under this lock: a poisoned one is
        // as good as any.
        self.schools.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stores `receipt` and logs the check, with whichever other receipts
    /// of its school are waiting, and returns once it is durable.
    pub async fn commit(
        self: &Arc<Self>,
        store: &Store,
        receipt: ReceiptToStore,
        now: i64,
    ) -> StoreResult<()> {
        let school = receipt.receipt.unverified().school;
        let (done, committed) = oneshot::channel();
        let queued = Queued { receipt, now, done };
        let start_writer = {
            let mut schools = self.lock();
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
            // Its own task: the check that started it may be cancelled (its
            // client gone) while others wait on the group.
            let writer = Writer {
                queue: Arc::clone(self),
                school,
                finished: false,
            };
            tokio::spawn(writer.run(store.clone()));
        }
        committed
            .await
            .unwrap_or(Err(StoreError::Database(sqlx::Error::WorkerCrashed)))
    }
}

/// Commits one school's queued receipts, group after group, until none wait.
struct Writer {
    queue: Arc<ReceiptQueue>,
    school: SchoolId,
    finished: bool,
}

impl Writer {
    async fn run(mut self, store: Store) {
        loop {
            let group: Vec<Queued> = {
                let mut schools = self.queue.lock();
                let waiting = schools.entry(self.school).or_default();
                if waiting.is_empty() {
                    schools.remove(&self.school);
                    self.finished = true;
                    return;
                }
                let take = waiting.len().min(MAX_GROUP);
                waiting.drain(..take).collect()
            };
            let receipts: Vec<&ReceiptToStore> = group.iter().map(|queued| &queued.receipt).collect();
            let now = group.iter().map(|queued| queued.now).max().unwrap_or_default();
            match store.insert_receipts(self.school, &receipts, now).await {
                Ok(()) => {
                    for queued in group {
                        let _ = queued.done.send(Ok(()));
                    }
                }
                Err(error) if group.len() == 1 => {
                    if let Some(queued) = group.into_iter().next() {
                        let _ = queued.done.send(Err(error));
                    }
                }
                // One receipt that cannot be stored must not fail the others:
                // each is tried on its own, and answered with its own outcome.
                Err(_) => {
                    for queued in group {
                        let result = store
                            .insert_receipts(self.school, &[&queued.receipt], queued.now)
                            .await;
                        let _ = queued.done.send(result);
                    }
                }
            }
        }
    }
}

impl Drop for Writer {
    /// A writer that did not finish (it panicked) leaves no school marked as
    /// being written: its waiting checks get an error, and the next check
    /// starts a new writer.
    fn drop(&mut self) {
        if !self.finished {
            self.queue.lock().remove(&self.school);
        }
    }
}

impl Store {
    /// Stores signed receipts of one school (each with the staff member who
    /// checked and the picture's perceptual hash) and logs each check, in
    /// one transaction.
    pub async fn insert_receipts(
        &self,
        school: SchoolId,
        receipts: &[&ReceiptToStore],
        now: i64,
    ) -> StoreResult<()> {
        if receipts.is_empty() {
            return Ok(());
        }
        let rows_per_statement = self.engine.rows_per_statement();
        let events: Vec<LogEvent> = receipts
            .iter()
            .map(|stored| LogEvent::Check {
                receipt: stored.receipt.to_text(),
            })
            .collect();
        let mut tx = self.pool.begin().await?;
        append_all(&mut tx, school, &events, now, rows_per_statement).await?;
        for chunk in receipts.chunks(rows_per_statement) {
            let values: Vec<String> = (0..chunk.len())
                .map(|row| format!("({})", placeholders(row * 7 + 1, 7)))
                .collect();
            let sql = format!(
                "INSERT INTO receipts (id, school_id, receipt, media_hash, media_phash, checked_at, staff_id) \
                 VALUES {}",
                values.join(", ")
            );
            let mut insert = sqlx::query(&sql).persistent(chunk.len() <= super::log::PERSISTENT_ROWS);
            for stored in chunk {
                let claims = stored.receipt.unverified();
                if claims.school != school {
                    return Err(StoreError::Conflict("a receipt of another school"));
                }
                insert = insert
                    .bind(claims.id.to_string())
                    .bind(i64::from(claims.school.0))
                    .bind(stored.receipt.to_bytes())
                    .bind(claims.media_hash.to_string())
                    .bind(stored.media_phash.map(|phash| phash.to_string()))
                    .bind(i64::from(claims.checked_at.as_unix()))
                    .bind(stored.staff);
            }
            insert.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
