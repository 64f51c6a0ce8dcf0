//! Keeping records no longer than the school's retention period.
//!
//! A record is purged once it has stopped mattering for longer than the
//! school's `retention_days`: a publication taken down that long ago, a check
//! that long ago that no standing publication relies on, a consent token that
//! ended that long ago and that no publication names, a takedown request
//! done that long ago. A check's perceptual hash is stored in its receipt's
//! row and goes with it. Enrollment codes go as soon as they are used or
//! expired. The audit log is not purged: it holds
//! ids, hashes and signed objects, never names, and stays whole so that it
//! keeps verifying; each purge is itself logged, with what it removed.

use consent_protocol::SchoolId;
use serde::Serialize;
use sqlx::{Any, Row, Transaction};

use super::log::{append, LogEvent};
use super::{Store, StoreResult};

/// How many records one purge removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Purged {
    /// Publications taken down before the cut-off.
    pub publications: u64,
    /// Receipts of checks made before the cut-off that no publication relies on.
    pub receipts: u64,
    /// Consent tokens whose validity ended before the cut-off.
    pub grants: u64,
    /// Enrollment codes used or expired.
    pub enrollment_codes: u64,
    /// Takedown requests done before the cut-off.
    pub takedowns: u64,
}

impl Purged {
    fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

const SECONDS_PER_DAY: i64 = 86_400;

impl Store {
    /// Every school's id, for work done school by school.
    pub async fn school_ids(&self) -> StoreResult<Vec<SchoolId>> {
        let rows = sqlx::query("SELECT id FROM schools ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                let id: i64 = row.try_get(0)?;
                Ok(SchoolId(u32::try_from(id).unwrap_or(u32::MAX)))
            })
            .collect()
    }

    /// Removes the school's records older than its retention period at
    /// `now`, and logs what was removed, in one transaction.
    pub async fn purge_expired_records(&self, school: SchoolId, now: i64) -> StoreResult<Purged> {
        let mut tx = self.pool.begin().await?;
        // Writing the school's row first takes its lock (as every log append
        // does), so two instances purging at once do not both log a purge.
        let row =
            sqlx::query("UPDATE schools SET log_size = log_size WHERE id = $1 RETURNING retention_days")
                .bind(i64::from(school.0))
                .fetch_optional(&mut *tx)
                .await?;
        let Some(row) = row else {
            return Ok(Purged::default());
        };
        let retention_days: i64 = row.try_get(0)?;
        let cutoff = now.saturating_sub(retention_days.saturating_mul(SECONDS_PER_DAY));
        let school_id = i64::from(school.0);

        let takedowns = execute(
            &mut tx,
            "DELETE FROM media_takedowns WHERE school_id = $1 AND done_at < $2",
            school_id,
            cutoff,
        )
        .await?;
        // An open request may name a publication taken down otherwise (by
        // `POST /v1/publications/{id}/takedown`) and purged now: it keeps
        // its file's hash and finding, and loses only the reference.
        execute(
            &mut tx,
            "UPDATE media_takedowns SET publication_id = NULL WHERE school_id = $1 AND publication_id IN \
             (SELECT id FROM publications WHERE school_id = $1 AND taken_down_at < $2)",
            school_id,
            cutoff,
        )
        .await?;
        execute(
            &mut tx,
            "DELETE FROM publication_people WHERE publication_id IN \
             (SELECT id FROM publications WHERE school_id = $1 AND taken_down_at < $2)",
            school_id,
            cutoff,
        )
        .await?;
        let purged = Purged {
            publications: execute(
                &mut tx,
                "DELETE FROM publications WHERE school_id = $1 AND taken_down_at < $2",
                school_id,
                cutoff,
            )
            .await?,
            receipts: execute(
                &mut tx,
                "DELETE FROM receipts WHERE school_id = $1 AND checked_at < $2 \
                 AND id NOT IN (SELECT receipt_id FROM publications)",
                school_id,
                cutoff,
            )
            .await?,
            grants: execute(
                &mut tx,
                "DELETE FROM grants WHERE school_id = $1 AND not_after < $2 \
                 AND token_id NOT IN (SELECT token_id FROM publication_people)",
                school_id,
                cutoff,
            )
            .await?,
            enrollment_codes: execute(
                &mut tx,
                "DELETE FROM enrollment_codes WHERE school_id = $1 AND (used_at IS NOT NULL OR expires_at < $2)",
                school_id,
                now,
            )
            .await?,
            takedowns,
        };
        if !purged.is_empty() {
            append(
                &mut tx,
                school,
                &LogEvent::RecordsPurged {
                    older_than: cutoff,
                    purged,
                },
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(purged)
    }
}

/// Runs a delete bound to the school and a moment; returns the rows removed.
async fn execute(
    tx: &mut Transaction<'static, Any>,
    sql: &str,
    school: i64,
    moment: i64,
) -> StoreResult<u64> {
    Ok(sqlx::query(sql)
        .bind(school)
        .bind(moment)
        .execute(&mut **tx)
        .await?
        .rows_affected())
}
