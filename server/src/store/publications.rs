//! Publications: which media was published where, relying on whose consent.

use consent_protocol::{Hash256, ReceiptId, SchoolId, SubjectId, TokenId};
use serde::Serialize;
use sqlx::Row;

use super::log::{append, LogEvent};
use super::{Store, StoreError, StoreResult};

/// A person in a publication and the token their consent rested on.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct PublicationPerson {
    /// The person.
    pub person: SubjectId,
    /// The token that allowed it at publication time.
    pub token: TokenId,
}

/// What is recorded about a publication.
#[derive(Clone, Debug)]
pub struct NewPublication {
    /// SHA-256 of the media file.
    pub media_hash: Hash256,
    /// `photo`, `video` or `audio`.
    pub media_kind: String,
    /// The purpose's name.
    pub purpose: String,
    /// Where it was published (website, instagram, newsletter 2026-12, ...).
    pub channel: String,
    /// The address, when it has one.
    pub url: Option<String>,
    /// The receipt of the publish-time check.
    pub receipt: ReceiptId,
    /// Who is in it.
    pub people: Vec<PublicationPerson>,
}

/// A recorded publication.
#[derive(Clone, Debug, Serialize)]
pub struct Publication {
    /// Its id.
    pub id: i64,
    /// SHA-256 of the media file.
    pub media_hash: String,
    /// `photo`, `video` or `audio`.
    pub media_kind: String,
    /// The purpose's name.
    pub purpose: String,
    /// Where it was published.
    pub channel: String,
    /// The address, when it has one.
    pub url: Option<String>,
    /// The receipt of the publish-time check.
    pub receipt: String,
    /// When (Unix seconds).
    pub published_at: i64,
    /// When it was taken down, if it was.
    pub taken_down_at: Option<i64>,
    /// Who is in it.
    pub people: Vec<PublicationPerson>,
}

const COLUMNS: &str =
    "id, media_hash, media_kind, purpose, channel, url, receipt_id, published_at, taken_down_at";

impl Store {
    /// Records a publication and logs it, returning its id.
    pub async fn insert_publication(
        &self,
        school: SchoolId,
        staff: i64,
        publication: &NewPublication,
        now: i64,
    ) -> StoreResult<i64> {
        let mut tx = self.pool.begin().await?;
        // Take the school's log lock first; the publication's id goes into the entry.
        sqlx::query("UPDATE schools SET log_size = log_size WHERE id = $1")
            .bind(i64::from(school.0))
            .execute(&mut *tx)
            .await?;
        let row = sqlx::query(
            "INSERT INTO publications (school_id, media_hash, media_kind, purpose, channel, url, receipt_id, \
             published_at, published_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(i64::from(school.0))
        .bind(publication.media_hash.to_string())
        .bind(&publication.media_kind)
        .bind(&publication.purpose)
        .bind(&publication.channel)
        .bind(&publication.url)
        .bind(publication.receipt.to_string())
        .bind(now)
        .bind(staff)
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get(0)?;
        for person in &publication.people {
            sqlx::query(
                "INSERT INTO publication_people (publication_id, subject_id, token_id) VALUES ($1, $2, $3)",
            )
            .bind(id)
            .bind(person.person.to_string())
            .bind(person.token.to_string())
            .execute(&mut *tx)
            .await?;
        }
        append(
            &mut tx,
            school,
            &LogEvent::Publication {
                publication: id,
                receipt: publication.receipt,
                channel: publication.channel.clone(),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The school's publications, newest first, optionally only those a
    /// person appears in.
    pub async fn publications(
        &self,
        school: SchoolId,
        person: Option<SubjectId>,
    ) -> StoreResult<Vec<Publication>> {
        let filter = if person.is_some() {
            " AND id IN (SELECT publication_id FROM publication_people WHERE subject_id = $2)"
        } else {
            ""
        };
        let sql = format!("SELECT {COLUMNS} FROM publications WHERE school_id = $1{filter} ORDER BY published_at DESC, id DESC");
        let mut query = sqlx::query(&sql).bind(i64::from(school.0));
        if let Some(person) = person {
            query = query.bind(person.to_string());
        }
        let rows = query.fetch_all(&self.pool).await?;
        let mut publications = Vec::with_capacity(rows.len());
        for row in rows {
            let id: i64 = row.try_get("id")?;
            publications.push(Publication {
                id,
                media_hash: row.try_get("media_hash")?,
                media_kind: row.try_get("media_kind")?,
                purpose: row.try_get("purpose")?,
                channel: row.try_get("channel")?,
                url: row.try_get("url")?,
                receipt: row.try_get("receipt_id")?,
                published_at: row.try_get("published_at")?,
                taken_down_at: row.try_get("taken_down_at")?,
                people: self.publication_people(id).await?,
            });
        }
        Ok(publications)
    }

    async fn publication_people(&self, publication: i64) -> StoreResult<Vec<PublicationPerson>> {
        let rows = sqlx::query(
            "SELECT subject_id, token_id FROM publication_people WHERE publication_id = $1 ORDER BY subject_id",
        )
        .bind(publication)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let person: String = row.try_get(0)?;
                let token: String = row.try_get(1)?;
                Ok(PublicationPerson {
                    person: person
                        .parse()
                        .map_err(|_| StoreError::Corrupt("person id".into()))?,
                    token: token
                        .parse()
                        .map_err(|_| StoreError::Corrupt("token id".into()))?,
                })
            })
            .collect()
    }

    /// Marks a publication of this school as taken down.
    pub async fn take_down(
        &self,
        school: SchoolId,
        publication: i64,
        staff: i64,
        now: i64,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        append(&mut tx, school, &LogEvent::TakeDown { publication }, now).await?;
        let done = sqlx::query(
            "UPDATE publications SET taken_down_at = $1, taken_down_by = $2 \
             WHERE id = $3 AND school_id = $4 AND taken_down_at IS NULL",
        )
        .bind(now)
        .bind(staff)
        .bind(publication)
        .bind(i64::from(school.0))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }
}
