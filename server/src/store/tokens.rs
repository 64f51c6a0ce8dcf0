//! A staff account's API tokens and console sessions as an administrator
//! sees them: never their secrets, which are not stored.

use sqlx::Row;

use super::schools::StaffMember;
use super::{Store, StoreResult};

/// The label every console session is stored with; API tokens may not
/// take it, so that the two are told apart.
pub const SESSION_LABEL: &str = "console session";

/// A token in force, without its secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenInForce {
    /// The token's id, for revoking it.
    pub id: i64,
    /// What it is for, as given when it was issued.
    pub label: String,
    /// Whether it is a console session (a browser's sign-in) rather than
    /// an API token issued by an administrator.
    pub session: bool,
    /// When it was issued (Unix seconds).
    pub created_at: i64,
    /// When it stops working (Unix seconds).
    pub expires_at: i64,
}

impl Store {
    /// The tokens of `member` that work at `now`: not revoked, not
    /// expired, oldest first.
    pub async fn tokens_in_force(&self, member: &StaffMember, now: i64) -> StoreResult<Vec<TokenInForce>> {
        let rows = sqlx::query(
            "SELECT id, label, session_of, created_at, expires_at FROM api_tokens \
             WHERE staff_id = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY id",
        )
        .bind(member.id)
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let session_of: Option<i64> = row.try_get("session_of")?;
                let label: String = row.try_get("label")?;
                Ok(TokenInForce {
                    id: row.try_get("id")?,
                    session: session_of.is_some() || label == SESSION_LABEL,
                    label,
                    created_at: row.try_get("created_at")?,
                    expires_at: row.try_get("expires_at")?,
                })
            })
            .collect()
    }
}
