//! The school's publishing channels, each for one purpose: a publication on
//! Instagram needs consent for social media, whatever check came before it.

use consent_protocol::{Purpose, SchoolId};
use serde::Serialize;
use sqlx::{Any, Row, Transaction};

use super::log::{append, LogEvent};
use super::{Store, StoreError, StoreResult};

/// The channels a new school starts with (migration 0005 gave the same to
/// schools that existed before channels did).
pub const DEFAULT_CHANNELS: [(&str, Purpose); 12] = [
    ("internal", Purpose::INTERNAL),
    ("website", Purpose::WEBSITE),
    ("instagram", Purpose::SOCIAL_MEDIA),
    ("facebook", Purpose::SOCIAL_MEDIA),
    ("tiktok", Purpose::SOCIAL_MEDIA),
    ("youtube", Purpose::SOCIAL_MEDIA),
    ("x", Purpose::SOCIAL_MEDIA),
    ("linkedin", Purpose::SOCIAL_MEDIA),
    ("newsletter", Purpose::NEWSLETTER),
    ("prospectus", Purpose::NEWSLETTER),
    ("yearbook", Purpose::YEARBOOK),
    ("press", Purpose::PRESS),
];

/// A place where the school publishes, and the purpose consent must cover there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Channel {
    /// Its name, in lowercase: `instagram`, `website`, ...
    pub name: String,
    /// The purpose a publication on it is checked for.
    pub purpose: Purpose,
}

fn channel_from(row: &sqlx::any::AnyRow) -> StoreResult<Channel> {
    let purpose: String = row.try_get("purpose")?;
    Ok(Channel {
        name: row.try_get("name")?,
        purpose: purpose
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("channel purpose {purpose}")))?,
    })
}

/// Records `channel` for `school` inside `tx`, replacing its purpose if it exists, and logs it.
pub(super) async fn put_channel(
    tx: &mut Transaction<'static, Any>,
    school: SchoolId,
    channel: &Channel,
    now: i64,
) -> StoreResult<()> {
    append(
        tx,
        school,
        &LogEvent::ChannelSet {
            channel: channel.name.clone(),
            purpose: channel.purpose.to_string(),
        },
        now,
    )
    .await?;
    sqlx::query(
        "INSERT INTO channels (school_id, name, purpose) VALUES ($1, $2, $3) \
         ON CONFLICT (school_id, name) DO UPDATE SET purpose = excluded.purpose",
    )
    .bind(i64::from(school.0))
    .bind(&channel.name)
    .bind(channel.purpose.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// The school's channels, by name.
    pub async fn channels(&self, school: SchoolId) -> StoreResult<Vec<Channel>> {
        let rows = sqlx::query("SELECT name, purpose FROM channels WHERE school_id = $1 ORDER BY name")
            .bind(i64::from(school.0))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(channel_from).collect()
    }

    /// The school's channel with this (lowercase) name, if it has one.
    pub async fn channel(&self, school: SchoolId, name: &str) -> StoreResult<Option<Channel>> {
        let row = sqlx::query("SELECT name, purpose FROM channels WHERE school_id = $1 AND name = $2")
            .bind(i64::from(school.0))
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(channel_from).transpose()
    }

    /// Adds a channel, or changes the purpose of one, and logs it.
    pub async fn set_channel(&self, school: SchoolId, channel: &Channel, now: i64) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        put_channel(&mut tx, school, channel, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes a channel and logs it. Publications already recorded on it keep its name.
    pub async fn remove_channel(&self, school: SchoolId, name: &str, now: i64) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        append(
            &mut tx,
            school,
            &LogEvent::ChannelRemoved {
                channel: name.to_owned(),
            },
            now,
        )
        .await?;
        let removed = sqlx::query("DELETE FROM channels WHERE school_id = $1 AND name = $2")
            .bind(i64::from(school.0))
            .bind(name)
            .execute(&mut *tx)
            .await?;
        if removed.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }
}
