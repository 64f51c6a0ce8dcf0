//! The audit log: every grant, revocation, key change, check, publication,
//! takedown and takedown request, hash-chained per school (see `docs/protocol.md`).

use consent_protocol::{next_head, Hash256, KeyId, ReceiptId, SchoolId, SubjectId};
use serde::Serialize;
use sqlx::{Any, Row, Transaction};

use super::{placeholders, Store, StoreError, StoreResult};
use crate::media_audit::Finding;
use crate::store::{PersonKind, Purged, StaffRole};

/// What happened. Entries hold ids, hashes and signed objects, never names,
/// so erasing a person leaves the log whole and verifiable.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LogEvent {
    /// The school was created.
    SchoolCreated,
    /// The school's settings changed.
    SettingsChanged {
        /// Age of digital consent.
        digital_consent_age: i64,
        /// How long records are kept.
        retention_days: i64,
    },
    /// A staff account was created.
    StaffCreated {
        /// The account.
        staff: i64,
        /// Its role.
        role: StaffRole,
    },
    /// An API token was issued to a staff account.
    ApiTokenIssued {
        /// The account.
        staff: i64,
        /// The token's id.
        token: i64,
    },
    /// An API token was revoked.
    ApiTokenRevoked {
        /// The token's id.
        token: i64,
    },
    /// A person was added.
    PersonCreated {
        /// The person.
        person: SubjectId,
        /// Student or guardian.
        kind: PersonKind,
    },
    /// A person's personal data was erased (GDPR art. 17).
    PersonErased {
        /// The person.
        person: SubjectId,
    },
    /// A guardian was linked to a child.
    GuardianLinked {
        /// The guardian.
        guardian: SubjectId,
        /// The child.
        child: SubjectId,
    },
    /// A device key was registered through an enrollment code.
    KeyRegistered {
        /// The key's holder.
        person: SubjectId,
        /// The key.
        key: KeyId,
    },
    /// A device key was cut off.
    KeyRevoked {
        /// The key's holder.
        person: SubjectId,
        /// The key.
        key: KeyId,
    },
    /// A consent token was accepted (its QR text).
    Grant {
        /// The token.
        token: String,
    },
    /// A revocation was accepted (its text).
    Revocation {
        /// The revocation.
        revocation: String,
    },
    /// A check was made (the signed receipt's text).
    Check {
        /// The receipt.
        receipt: String,
    },
    /// Media was published.
    Publication {
        /// The publication.
        publication: i64,
        /// The receipt of the publish-time check.
        receipt: ReceiptId,
        /// Where it was published.
        channel: String,
    },
    /// A publishing channel was added, or its purpose changed.
    ChannelSet {
        /// The channel's name.
        channel: String,
        /// The purpose publications on it are checked for.
        purpose: String,
    },
    /// A publishing channel was removed.
    ChannelRemoved {
        /// The channel's name.
        channel: String,
    },
    /// A publication was taken down.
    TakeDown {
        /// The publication.
        publication: i64,
    },
    /// Communications asked for a published picture to be taken down, after
    /// a media audit. The file's name is not logged: it may name a person.
    TakedownRequested {
        /// The request.
        takedown: i64,
        /// The SHA-256 of the published file.
        sha256: Hash256,
        /// What the audit found (`never_checked`, `consent_withdrawn`, ...).
        finding: Finding,
        /// The publication it names, if any.
        publication: Option<i64>,
    },
    /// A takedown request was carried out. When it named a publication that
    /// was still up, a `take_down` entry for it follows in the same commit.
    TakedownDone {
        /// The request.
        takedown: i64,
    },
    /// Records older than the school's retention period were removed.
    RecordsPurged {
        /// The cut-off: what had stopped mattering before this moment went.
        older_than: i64,
        /// How many of each kind of record went.
        purged: Purged,
    },
}

#[derive(Serialize)]
struct EntryBody<'a> {
    at: i64,
    #[serde(flatten)]
    event: &'a LogEvent,
}

/// One stored log entry.
#[derive(Clone, Debug, Serialize)]
pub struct LogEntry {
    /// 1-based position in the school's log.
    pub position: i64,
    /// The exact bytes that were hashed, as UTF-8 JSON text.
    pub entry: String,
    /// The chain head after this entry.
    pub head: Hash256,
}

/// Multi-row statements of up to this many rows are kept prepared on each
/// connection: groups of receipts come in every size up to the number of
/// checks waiting, and are written again and again; larger ones (imports)
/// are rare.
pub(super) const PERSISTENT_ROWS: usize = 16;

/// Appends `event` to the school's log inside `tx`, returning its position.
pub(super) async fn append(
    tx: &mut Transaction<'static, Any>,
    school: SchoolId,
    event: &LogEvent,
    now: i64,
) -> StoreResult<i64> {
    append_all(tx, school, std::slice::from_ref(event), now, 1).await
}

/// Appends `events` to the school's log inside `tx`, in order, returning the
/// position of the last (the log's size after them), writing
/// `rows_per_statement` entries with each statement
/// ([`super::Engine::rows_per_statement`]).
///
/// The first statement writes the school's row, which takes the write lock
/// (SQLite) or the row lock (PostgreSQL) before anything is read: appends to
/// one school's log are serialised, and SQLite never has to upgrade a read
/// transaction (which would fail rather than wait).
pub(super) async fn append_all(
    tx: &mut Transaction<'static, Any>,
    school: SchoolId,
    events: &[LogEvent],
    now: i64,
    rows_per_statement: usize,
) -> StoreResult<i64> {
    let row =
        sqlx::query("UPDATE schools SET log_size = log_size + $2 WHERE id = $1 RETURNING log_size, log_head")
            .bind(i64::from(school.0))
            .bind(events.len() as i64)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(StoreError::NotFound)?;
    let size: i64 = row.try_get(0)?;
    let mut head = hash_from(row.try_get(1)?)?;
    let first = size - events.len() as i64 + 1;
    let mut entries = Vec::with_capacity(events.len());
    for (position, event) in (first..).zip(events) {
        let entry = serde_json::to_vec(&EntryBody { at: now, event })
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        head = next_head(&head, position as u64, &entry);
        entries.push((position, entry, head));
    }
    sqlx::query("UPDATE schools SET log_head = $1 WHERE id = $2")
        .bind(head.as_bytes().to_vec())
        .bind(i64::from(school.0))
        .execute(&mut **tx)
        .await?;
    for chunk in entries.chunks(rows_per_statement.max(1)) {
        let values: Vec<String> = (0..chunk.len())
            .map(|row| format!("({})", placeholders(row * 5 + 1, 5)))
            .collect();
        let sql = format!(
            "INSERT INTO log_entries (school_id, position, entry, head, recorded_at) VALUES {}",
            values.join(", ")
        );
        let mut insert = sqlx::query(&sql).persistent(chunk.len() <= PERSISTENT_ROWS);
        for (position, entry, head) in chunk {
            insert = insert
                .bind(i64::from(school.0))
                .bind(*position)
                .bind(entry.clone())
                .bind(head.as_bytes().to_vec())
                .bind(now);
        }
        insert.execute(&mut **tx).await?;
    }
    Ok(size)
}

pub(super) fn hash_from(bytes: Vec<u8>) -> StoreResult<Hash256> {
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt("a hash is not 32 bytes".into()))?;
    Ok(Hash256::from_bytes(bytes))
}

impl Store {
    /// Up to `limit` entries after position `after`, in order.
    pub async fn log_entries(&self, school: SchoolId, after: i64, limit: i64) -> StoreResult<Vec<LogEntry>> {
        let rows = sqlx::query(
            "SELECT position, entry, head FROM log_entries WHERE school_id = $1 AND position > $2 \
             ORDER BY position LIMIT $3",
        )
        .bind(i64::from(school.0))
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|row| {
                let entry: Vec<u8> = row.try_get(1)?;
                Ok(LogEntry {
                    position: row.try_get(0)?,
                    entry: String::from_utf8(entry).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    head: hash_from(row.try_get(2)?)?,
                })
            })
            .collect()
    }

    /// The log's current size and head.
    pub async fn log_state(&self, school: SchoolId) -> StoreResult<(u64, Hash256)> {
        let row = sqlx::query("SELECT log_size, log_head FROM schools WHERE id = $1")
            .bind(i64::from(school.0))
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        let size: i64 = row.try_get(0)?;
        Ok((size as u64, hash_from(row.try_get(1)?)?))
    }

    /// Records `event` in its own transaction.
    pub async fn log(&self, school: SchoolId, event: LogEvent, now: i64) -> StoreResult<i64> {
        let mut tx = self.pool.begin().await?;
        let position = append(&mut tx, school, &event, now).await?;
        tx.commit().await?;
        Ok(position)
    }
}
