//! The media audit's records: each checked picture as an audit compares it,
//! the publications of a picture, and the takedown requests communications
//! make from an audit's findings.

use std::collections::BTreeSet;

use consent_media::PerceptualHash;
use consent_protocol::{Hash256, ReceiptId, SchoolId, SignedReceipt};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::log::{append_all, LogEvent};
use super::{on_unique, placeholders, Store, StoreError, StoreResult};
use crate::media_audit::Finding;

/// The most values one `IN (...)` list binds.
const IN_LIST: usize = 500;

/// A check's picture, as an audit compares published files with it.
#[derive(Clone, Debug)]
pub struct CheckedPicture {
    /// The check's receipt.
    pub receipt: ReceiptId,
    /// The SHA-256 of the checked file.
    pub sha256: Hash256,
    /// The perceptual hash of the checked picture, when the client sent one.
    pub phash: Option<PerceptualHash>,
    /// When it was checked (Unix seconds).
    pub checked_at: i64,
    /// Whether a publication rests on this check.
    pub published: bool,
}

/// Where a picture was published, as an audit reports it.
#[derive(Clone, Debug, Serialize)]
pub struct PictureSeen {
    /// The publication's id.
    pub id: i64,
    /// The channel it was published on.
    pub channel: String,
    /// Its address, when it has one.
    pub url: Option<String>,
    /// When it was published (Unix seconds).
    pub published_at: i64,
    /// When it was taken down, if it was.
    pub taken_down_at: Option<i64>,
    /// The SHA-256 of the published file (not in JSON: the audit groups by it).
    #[serde(skip)]
    pub media_hash: String,
}

/// A takedown request to record.
#[derive(Clone, Debug)]
pub struct NewTakedown {
    /// The SHA-256 of the published file.
    pub sha256: Hash256,
    /// Its perceptual hash, when known.
    pub phash: Option<PerceptualHash>,
    /// The file's name, as the audit showed it.
    pub name: Option<String>,
    /// What the audit found.
    pub finding: Finding,
    /// The publication to take down, when the file is one the school recorded.
    pub publication: Option<i64>,
}

/// A request to take a published picture down, and whether it was done.
#[derive(Clone, Debug, Serialize)]
pub struct Takedown {
    /// Its id.
    pub id: i64,
    /// The SHA-256 of the published file.
    pub sha256: String,
    /// The file's name, as the audit showed it.
    pub name: Option<String>,
    /// What the audit found.
    pub finding: Finding,
    /// The publication to take down, if it names one.
    pub publication: Option<i64>,
    /// When it was asked for (Unix seconds).
    pub requested_at: i64,
    /// The staff member who asked.
    pub requested_by: i64,
    /// When it was done, if it was.
    pub done_at: Option<i64>,
    /// The staff member who did it.
    pub done_by: Option<i64>,
}

const TAKEDOWN_COLUMNS: &str =
    "id, sha256, name, finding, publication_id, requested_at, requested_by, done_at, done_by";

fn takedown_of(row: &AnyRow) -> StoreResult<Takedown> {
    let finding: String = row.try_get("finding")?;
    Ok(Takedown {
        id: row.try_get("id")?,
        sha256: row.try_get("sha256")?,
        name: row.try_get("name")?,
        finding: finding
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("a takedown's finding {finding:?}")))?,
        publication: row.try_get("publication_id")?,
        requested_at: row.try_get("requested_at")?,
        requested_by: row.try_get("requested_by")?,
        done_at: row.try_get("done_at")?,
        done_by: row.try_get("done_by")?,
    })
}

/// Stored text that no longer reads: the database was altered outside the server.
fn corrupt(what: &str, error: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {error}"))
}

impl Store {
    /// Every picture the school checked, with its hashes: what an audit
    /// compares published files with.
    pub async fn checked_pictures(&self, school: SchoolId) -> StoreResult<Vec<CheckedPicture>> {
        let published: BTreeSet<String> =
            sqlx::query("SELECT DISTINCT receipt_id FROM publications WHERE school_id = $1")
                .bind(i64::from(school.0))
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|row| row.try_get(0))
                .collect::<Result<_, _>>()?;
        let rows =
            sqlx::query("SELECT id, media_hash, media_phash, checked_at FROM receipts WHERE school_id = $1")
                .bind(i64::from(school.0))
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|row| {
                let id: String = row.try_get(0)?;
                let sha256: String = row.try_get(1)?;
                let phash: Option<String> = row.try_get(2)?;
                Ok(CheckedPicture {
                    receipt: id.parse().map_err(|e| corrupt("a receipt id", e))?,
                    sha256: sha256.parse().map_err(|e| corrupt("a media hash", e))?,
                    phash: phash
                        .map(|text| text.parse())
                        .transpose()
                        .map_err(|e| corrupt("a perceptual hash", e))?,
                    checked_at: row.try_get(3)?,
                    published: published.contains(&id),
                })
            })
            .collect()
    }

    /// The school's receipts with these ids (those that exist), in no order.
    pub async fn receipts_with_ids(
        &self,
        school: SchoolId,
        ids: &[ReceiptId],
    ) -> StoreResult<Vec<SignedReceipt>> {
        let mut receipts = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(IN_LIST) {
            let sql = format!(
                "SELECT receipt FROM receipts WHERE school_id = $1 AND id IN ({})",
                placeholders(2, chunk.len())
            );
            let mut query = sqlx::query(&sql).bind(i64::from(school.0));
            for id in chunk {
                query = query.bind(id.to_string());
            }
            for row in query.fetch_all(&self.pool).await? {
                let bytes: Vec<u8> = row.try_get(0)?;
                receipts.push(SignedReceipt::from_bytes(&bytes).map_err(|e| corrupt("a receipt", e))?);
            }
        }
        Ok(receipts)
    }

    /// The school's publications of files with these SHA-256s, newest first.
    pub async fn publications_of_pictures(
        &self,
        school: SchoolId,
        sha256s: &[Hash256],
    ) -> StoreResult<Vec<PictureSeen>> {
        let mut seen = Vec::new();
        for chunk in sha256s.chunks(IN_LIST) {
            let sql = format!(
                "SELECT id, channel, url, published_at, taken_down_at, media_hash FROM publications \
                 WHERE school_id = $1 AND media_hash IN ({})",
                placeholders(2, chunk.len())
            );
            let mut query = sqlx::query(&sql).bind(i64::from(school.0));
            for sha256 in chunk {
                query = query.bind(sha256.to_string());
            }
            for row in query.fetch_all(&self.pool).await? {
                seen.push(PictureSeen {
                    id: row.try_get(0)?,
                    channel: row.try_get(1)?,
                    url: row.try_get(2)?,
                    published_at: row.try_get(3)?,
                    taken_down_at: row.try_get(4)?,
                    media_hash: row.try_get(5)?,
                });
            }
        }
        seen.sort_by_key(|p| std::cmp::Reverse((p.published_at, p.id)));
        Ok(seen)
    }

    /// Records a request to take a picture down and logs it, unless one for
    /// the same file is still open: then that one is returned, and `false`.
    /// A publication it names must be one of this school's.
    pub async fn request_takedown(
        &self,
        school: SchoolId,
        staff: i64,
        request: &NewTakedown,
        now: i64,
    ) -> StoreResult<(Takedown, bool)> {
        let school_id = i64::from(school.0);
        let mut tx = self.pool.begin().await?;
        // The school's row first: its lock serialises this with every other
        // request of the school, so two requests for one file cannot both
        // find none open.
        lock_school(&mut tx, school).await?;
        if let Some(publication) = request.publication {
            sqlx::query("SELECT id FROM publications WHERE id = $1 AND school_id = $2")
                .bind(publication)
                .bind(school_id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
        }
        let open = sqlx::query(&format!(
            "SELECT {TAKEDOWN_COLUMNS} FROM media_takedowns \
             WHERE school_id = $1 AND sha256 = $2 AND done_at IS NULL"
        ))
        .bind(school_id)
        .bind(request.sha256.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(open) = open {
            return Ok((takedown_of(&open)?, false));
        }
        let row = sqlx::query(
            "INSERT INTO media_takedowns (school_id, sha256, phash, name, finding, publication_id, \
             requested_at, requested_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(school_id)
        .bind(request.sha256.to_string())
        .bind(request.phash.map(|phash| phash.to_string()))
        .bind(request.name.clone())
        .bind(request.finding.code())
        .bind(request.publication)
        .bind(now)
        .bind(staff)
        .fetch_one(&mut *tx)
        .await
        .map_err(|error| on_unique(error, "an open takedown request for this file"))?;
        let id: i64 = row.try_get(0)?;
        let event = LogEvent::TakedownRequested {
            takedown: id,
            sha256: request.sha256,
            finding: request.finding,
            publication: request.publication,
        };
        append_all(&mut tx, school, &[event], now, 1).await?;
        tx.commit().await?;
        Ok((
            Takedown {
                id,
                sha256: request.sha256.to_string(),
                name: request.name.clone(),
                finding: request.finding,
                publication: request.publication,
                requested_at: now,
                requested_by: staff,
                done_at: None,
                done_by: None,
            },
            true,
        ))
    }

    /// The school's takedown requests: open ones first, newest first.
    pub async fn takedowns(&self, school: SchoolId) -> StoreResult<Vec<Takedown>> {
        let rows = sqlx::query(&format!(
            "SELECT {TAKEDOWN_COLUMNS} FROM media_takedowns WHERE school_id = $1 \
             ORDER BY CASE WHEN done_at IS NULL THEN 0 ELSE 1 END, requested_at DESC, id DESC"
        ))
        .bind(i64::from(school.0))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(takedown_of).collect()
    }

    /// The school's takedown requests for files with these SHA-256s: open
    /// ones first, newest first.
    pub async fn takedowns_of_pictures(
        &self,
        school: SchoolId,
        sha256s: &[Hash256],
    ) -> StoreResult<Vec<Takedown>> {
        let mut takedowns = Vec::new();
        for chunk in sha256s.chunks(IN_LIST) {
            let sql = format!(
                "SELECT {TAKEDOWN_COLUMNS} FROM media_takedowns WHERE school_id = $1 AND sha256 IN ({})",
                placeholders(2, chunk.len())
            );
            let mut query = sqlx::query(&sql).bind(i64::from(school.0));
            for sha256 in chunk {
                query = query.bind(sha256.to_string());
            }
            for row in query.fetch_all(&self.pool).await? {
                takedowns.push(takedown_of(&row)?);
            }
        }
        takedowns.sort_by_key(|t| (t.done_at.is_some(), std::cmp::Reverse((t.requested_at, t.id))));
        Ok(takedowns)
    }

    /// Marks a takedown request of this school as done, and logs it. If it
    /// names a publication that is still up, that publication is recorded
    /// as taken down in the same transaction. A request already done is
    /// returned as it is.
    pub async fn takedown_done(
        &self,
        school: SchoolId,
        id: i64,
        staff: i64,
        now: i64,
    ) -> StoreResult<Takedown> {
        let school_id = i64::from(school.0);
        let mut tx = self.pool.begin().await?;
        lock_school(&mut tx, school).await?;
        let row = sqlx::query(&format!(
            "SELECT {TAKEDOWN_COLUMNS} FROM media_takedowns WHERE id = $1 AND school_id = $2"
        ))
        .bind(id)
        .bind(school_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let mut takedown = takedown_of(&row)?;
        if takedown.done_at.is_some() {
            return Ok(takedown);
        }
        sqlx::query("UPDATE media_takedowns SET done_at = $1, done_by = $2 WHERE id = $3 AND school_id = $4")
            .bind(now)
            .bind(staff)
            .bind(id)
            .bind(school_id)
            .execute(&mut *tx)
            .await?;
        let mut events = vec![LogEvent::TakedownDone { takedown: id }];
        if let Some(publication) = takedown.publication {
            let taken_down = sqlx::query(
                "UPDATE publications SET taken_down_at = $1, taken_down_by = $2 \
                 WHERE id = $3 AND school_id = $4 AND taken_down_at IS NULL",
            )
            .bind(now)
            .bind(staff)
            .bind(publication)
            .bind(school_id)
            .execute(&mut *tx)
            .await?;
            if taken_down.rows_affected() > 0 {
                events.push(LogEvent::TakeDown { publication });
            }
        }
        append_all(&mut tx, school, &events, now, self.engine.rows_per_statement()).await?;
        tx.commit().await?;
        takedown.done_at = Some(now);
        takedown.done_by = Some(staff);
        Ok(takedown)
    }

    /// The perceptual hash stored with a receipt of this school, if any.
    pub async fn media_phash_of(
        &self,
        school: SchoolId,
        receipt: ReceiptId,
    ) -> StoreResult<Option<PerceptualHash>> {
        let row = sqlx::query("SELECT media_phash FROM receipts WHERE school_id = $1 AND id = $2")
            .bind(i64::from(school.0))
            .bind(receipt.to_string())
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        let phash: Option<String> = row.try_get(0)?;
        phash
            .map(|text| text.parse())
            .transpose()
            .map_err(|e| corrupt("a perceptual hash", e))
    }
}

/// Writes the school's row, taking its lock (as every log append does)
/// before anything is read; a school that does not exist is not found.
async fn lock_school(tx: &mut Transaction<'static, Any>, school: SchoolId) -> StoreResult<()> {
    let locked = sqlx::query("UPDATE schools SET log_size = log_size WHERE id = $1")
        .bind(i64::from(school.0))
        .execute(&mut **tx)
        .await?;
    if locked.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
