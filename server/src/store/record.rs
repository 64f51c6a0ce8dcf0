//! The stored consent record as one consistent snapshot, for auditors to
//! compare with the state the audit log implies.
//!
//! The log is the record's history; the tables are its present. Someone with
//! database access can change the tables without touching the log (delete a
//! revocation and consent comes back). `consent audit verify` replays the
//! log and compares it with this snapshot, so such a change is reported.

use consent_protocol::{KeyId, PublicKey, SchoolId, SignedGrant, SignedRevocation, SubjectId};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{Engine, Store, StoreError, StoreResult};

/// Everything stored that the audit log also records, as of `log_size`.
#[derive(Clone, Debug)]
pub struct StoredRecord {
    /// The log's size when the snapshot was read: every row below was
    /// written with a log entry at or before this position.
    pub log_size: u64,
    /// The school's age of digital consent.
    pub digital_consent_age: i64,
    /// How long the school keeps records.
    pub retention_days: i64,
    /// Every stored grant.
    pub grants: Vec<SignedGrant>,
    /// Every stored revocation, with its sequence number (log position).
    pub revocations: Vec<(i64, SignedRevocation)>,
    /// Every device key: its id, holder and whether it was cut off.
    pub device_keys: Vec<(KeyId, SubjectId, bool)>,
    /// Every guardian link, as (guardian, child).
    pub guardianships: Vec<(SubjectId, SubjectId)>,
    /// The people whose personal data was erased.
    pub erased: Vec<SubjectId>,
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

fn subject(row: &AnyRow, column: usize) -> StoreResult<SubjectId> {
    row.try_get::<String, _>(column)?.parse().map_err(corrupt)
}

impl Store {
    /// The school's stored record, read in one snapshot: SQLite's read
    /// transaction sees one moment; PostgreSQL needs `REPEATABLE READ` for that.
    pub async fn stored_record(&self, school: SchoolId) -> StoreResult<StoredRecord> {
        let id = i64::from(school.0);
        let mut tx = self.pool.begin().await?;
        if self.engine == Engine::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                .execute(&mut *tx)
                .await?;
        }
        let row =
            sqlx::query("SELECT log_size, digital_consent_age, retention_days FROM schools WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
        let log_size: i64 = row.try_get(0)?;
        let grants = sqlx::query("SELECT token FROM grants WHERE school_id = $1 ORDER BY token_id")
            .bind(id)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|row| SignedGrant::from_bytes(&row.try_get::<Vec<u8>, _>(0)?).map_err(corrupt))
            .collect::<StoreResult<_>>()?;
        let revocations = sqlx::query(
            "SELECT sequence, revocation FROM revocations WHERE school_id = $1 ORDER BY sequence",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|row| {
            let revocation = SignedRevocation::from_bytes(&row.try_get::<Vec<u8>, _>(1)?).map_err(corrupt)?;
            Ok((row.try_get(0)?, revocation))
        })
        .collect::<StoreResult<_>>()?;
        let device_keys = sqlx::query(
            "SELECT public_key, person_id, revoked_at FROM device_keys WHERE school_id = $1 ORDER BY key_id",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|row| {
            let bytes: [u8; 32] = row
                .try_get::<Vec<u8>, _>(0)?
                .try_into()
                .map_err(|_| corrupt("a public key is not 32 bytes"))?;
            let key = PublicKey::from_bytes(&bytes).map_err(corrupt)?;
            let revoked_at: Option<i64> = row.try_get(2)?;
            Ok((key.id(), subject(row, 1)?, revoked_at.is_some()))
        })
        .collect::<StoreResult<_>>()?;
        let guardianships = sqlx::query(
            "SELECT guardian_id, child_id FROM guardianships WHERE school_id = $1 ORDER BY guardian_id, child_id",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|row| Ok((subject(row, 0)?, subject(row, 1)?)))
        .collect::<StoreResult<_>>()?;
        let erased =
            sqlx::query("SELECT id FROM people WHERE school_id = $1 AND erased_at IS NOT NULL ORDER BY id")
                .bind(id)
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|row| subject(row, 0))
                .collect::<StoreResult<_>>()?;
        tx.commit().await?;
        Ok(StoredRecord {
            log_size: u64::try_from(log_size).map_err(corrupt)?,
            digital_consent_age: row.try_get(1)?,
            retention_days: row.try_get(2)?,
            grants,
            revocations,
            device_keys,
            guardianships,
            erased,
        })
    }
}
