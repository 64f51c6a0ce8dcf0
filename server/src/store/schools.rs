//! Schools, their settings, staff accounts, API tokens, and the server's keys.

use consent_protocol::{genesis_head, KeyId, PublicKey, SchoolId};
use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::channels::{put_channel, Channel, DEFAULT_CHANNELS};
use super::log::{append, LogEvent};
use super::{on_unique, Store, StoreError, StoreResult};

/// A school and its settings.
#[derive(Clone, Debug, Serialize)]
pub struct School {
    /// The school's number.
    pub id: SchoolId,
    /// Its name.
    pub name: String,
    /// Below this age a consent needs a guardian's signature (13 to 16).
    pub digital_consent_age: i64,
    /// How many days records are kept.
    pub retention_days: i64,
}

/// What a staff account may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    /// Manages the school: people, staff, settings.
    Admin,
    /// Audits publications, takes them down, verifies the log, reports.
    Communications,
    /// Checks photos and records publications.
    Teacher,
}

impl StaffRole {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            StaffRole::Admin => "admin",
            StaffRole::Communications => "communications",
            StaffRole::Teacher => "teacher",
        }
    }

    fn parse(text: &str) -> StoreResult<Self> {
        match text {
            "admin" => Ok(StaffRole::Admin),
            "communications" => Ok(StaffRole::Communications),
            "teacher" => Ok(StaffRole::Teacher),
            other => Err(StoreError::Corrupt(format!("unknown staff role {other}"))),
        }
    }
}

/// A staff account.
#[derive(Clone, Debug, Serialize)]
pub struct StaffMember {
    /// The account's id.
    pub id: i64,
    /// Its school.
    pub school: SchoolId,
    /// The person's name.
    pub name: String,
    /// What it may do.
    pub role: StaffRole,
}

fn school_from(row: &sqlx::any::AnyRow) -> StoreResult<School> {
    let id: i64 = row.try_get("id")?;
    Ok(School {
        id: SchoolId(u32::try_from(id).map_err(|_| StoreError::Corrupt("school id".into()))?),
        name: row.try_get("name")?,
        digital_consent_age: row.try_get("digital_consent_age")?,
        retention_days: row.try_get("retention_days")?,
    })
}

/// An API token in force, and whose it is.
#[derive(Clone, Debug)]
pub struct Credential {
    /// Its holder.
    pub member: StaffMember,
    /// The holder's school.
    pub school: School,
    /// The token's id.
    pub token: i64,
    /// When it stops working (Unix seconds).
    pub expires_at: i64,
}

pub(super) fn staff_from(row: &sqlx::any::AnyRow) -> StoreResult<StaffMember> {
    let school: i64 = row.try_get("school_id")?;
    let role: String = row.try_get("role")?;
    Ok(StaffMember {
        id: row.try_get("id")?,
        school: SchoolId(school as u32),
        name: row.try_get("name")?,
        role: StaffRole::parse(&role)?,
    })
}

impl Store {
    /// Creates a school with default settings and the default channels.
    pub async fn create_school(&self, name: &str, now: i64) -> StoreResult<School> {
        let mut tx = self.pool.begin().await?;
        // The genesis head depends on the id, which is known only after the insert.
        let row =
            sqlx::query("INSERT INTO schools (name, log_head, created_at) VALUES ($1, $2, $3) RETURNING id")
                .bind(name)
                .bind(vec![0u8; 32])
                .bind(now)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| on_unique(e, "a school with this name exists"))?;
        let id: i64 = row.try_get(0)?;
        let school = SchoolId(u32::try_from(id).map_err(|_| StoreError::Conflict("too many schools"))?);
        sqlx::query("UPDATE schools SET log_head = $1 WHERE id = $2")
            .bind(genesis_head(school).as_bytes().to_vec())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        append(&mut tx, school, &LogEvent::SchoolCreated, now).await?;
        for (name, purpose) in DEFAULT_CHANNELS {
            let channel = Channel {
                name: name.to_owned(),
                purpose,
            };
            put_channel(&mut tx, school, &channel, now).await?;
        }
        tx.commit().await?;
        self.school(school).await
    }

    /// The school with this id.
    pub async fn school(&self, id: SchoolId) -> StoreResult<School> {
        let row =
            sqlx::query("SELECT id, name, digital_consent_age, retention_days FROM schools WHERE id = $1")
                .bind(i64::from(id.0))
                .fetch_optional(&self.pool)
                .await?
                .ok_or(StoreError::NotFound)?;
        school_from(&row)
    }

    /// The school with this name, if any.
    pub async fn school_by_name(&self, name: &str) -> StoreResult<Option<School>> {
        let row =
            sqlx::query("SELECT id, name, digital_consent_age, retention_days FROM schools WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?;
        row.as_ref().map(school_from).transpose()
    }

    /// Changes the age of digital consent and the retention period.
    pub async fn update_settings(
        &self,
        school: SchoolId,
        digital_consent_age: i64,
        retention_days: i64,
        now: i64,
    ) -> StoreResult<School> {
        let mut tx = self.pool.begin().await?;
        append(
            &mut tx,
            school,
            &LogEvent::SettingsChanged {
                digital_consent_age,
                retention_days,
            },
            now,
        )
        .await?;
        sqlx::query("UPDATE schools SET digital_consent_age = $1, retention_days = $2 WHERE id = $3")
            .bind(digital_consent_age)
            .bind(retention_days)
            .bind(i64::from(school.0))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.school(school).await
    }

    /// Creates a staff account.
    pub async fn create_staff(
        &self,
        school: SchoolId,
        name: &str,
        role: StaffRole,
        now: i64,
    ) -> StoreResult<StaffMember> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "INSERT INTO staff (school_id, name, role, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING id, school_id, name, role",
        )
        .bind(i64::from(school.0))
        .bind(name)
        .bind(role.as_str())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let member = staff_from(&row)?;
        append(
            &mut tx,
            school,
            &LogEvent::StaffCreated {
                staff: member.id,
                role,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(member)
    }

    /// The school's staff accounts.
    pub async fn staff(&self, school: SchoolId) -> StoreResult<Vec<StaffMember>> {
        let rows =
            sqlx::query("SELECT id, school_id, name, role FROM staff WHERE school_id = $1 ORDER BY id")
                .bind(i64::from(school.0))
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(staff_from).collect()
    }

    /// The staff account with this id in this school.
    pub async fn staff_member(&self, school: SchoolId, id: i64) -> StoreResult<StaffMember> {
        let row = sqlx::query("SELECT id, school_id, name, role FROM staff WHERE school_id = $1 AND id = $2")
            .bind(i64::from(school.0))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        staff_from(&row)
    }

    /// Stores the hash of a new API token for a staff account; returns its
    /// id. A console session is a token too, begun with the staff token
    /// `session_of` when there is one.
    pub async fn create_api_token(
        &self,
        member: &StaffMember,
        label: &str,
        token_hash: &[u8],
        expires_at: i64,
        session_of: Option<i64>,
        now: i64,
    ) -> StoreResult<i64> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "INSERT INTO api_tokens (staff_id, token_hash, label, created_at, expires_at, session_of) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(member.id)
        .bind(token_hash.to_vec())
        .bind(label)
        .bind(now)
        .bind(expires_at)
        .bind(session_of)
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get(0)?;
        append(
            &mut tx,
            member.school,
            &LogEvent::ApiTokenIssued {
                staff: member.id,
                token: id,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Revokes an API token of this school, and the console sessions begun
    /// with it.
    pub async fn revoke_api_token(&self, school: SchoolId, token: i64, now: i64) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        append(&mut tx, school, &LogEvent::ApiTokenRevoked { token }, now).await?;
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL \
             AND staff_id IN (SELECT id FROM staff WHERE school_id = $3)",
        )
        .bind(now)
        .bind(token)
        .bind(i64::from(school.0))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE session_of = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(token)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// What an unexpired, unrevoked API token stands for, with its holder's
    /// school (read together: every staff request needs both). A console
    /// session also needs the staff token it was begun with to be in force:
    /// revoking that token ends its sessions even if a revocation of the
    /// session itself were lost.
    pub async fn credential(&self, token_hash: &[u8], now: i64) -> StoreResult<Option<Credential>> {
        let row = sqlx::query(
            "SELECT s.id, s.school_id, s.name, s.role, t.id AS token_id, t.expires_at, \
             c.name AS school_name, c.digital_consent_age, c.retention_days \
             FROM api_tokens t JOIN staff s ON s.id = t.staff_id \
             JOIN schools c ON c.id = s.school_id \
             LEFT JOIN api_tokens parent ON parent.id = t.session_of \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > $2 \
             AND (t.session_of IS NULL OR (parent.revoked_at IS NULL AND parent.expires_at > $2))",
        )
        .bind(token_hash.to_vec())
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            let member = staff_from(&row)?;
            Ok(Credential {
                school: School {
                    id: member.school,
                    name: row.try_get("school_name")?,
                    digital_consent_age: row.try_get("digital_consent_age")?,
                    retention_days: row.try_get("retention_days")?,
                },
                member,
                token: row.try_get("token_id")?,
                expires_at: row.try_get("expires_at")?,
            })
        })
        .transpose()
    }

    /// Publishes a server key so verifiers can find it.
    pub async fn register_server_key(&self, key: &PublicKey, now: i64) -> StoreResult<()> {
        let inserted =
            sqlx::query("INSERT INTO server_keys (key_id, public_key, created_at) VALUES ($1, $2, $3)")
                .bind(key.id().to_string())
                .bind(key.to_bytes().to_vec())
                .bind(now)
                .execute(&self.pool)
                .await;
        match inserted {
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(db)) if db.is_unique_violation() => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    /// Every server key, oldest first.
    pub async fn server_keys(&self) -> StoreResult<Vec<(KeyId, PublicKey)>> {
        let rows = sqlx::query("SELECT public_key FROM server_keys ORDER BY created_at, key_id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                let bytes: Vec<u8> = row.try_get(0)?;
                let key = public_key_from(bytes)?;
                Ok((key.id(), key))
            })
            .collect()
    }
}

pub(super) fn public_key_from(bytes: Vec<u8>) -> StoreResult<PublicKey> {
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt("a public key is not 32 bytes".into()))?;
    PublicKey::from_bytes(&bytes).map_err(|e| StoreError::Corrupt(e.to_string()))
}
