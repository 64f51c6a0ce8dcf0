//! One-time codes that let a staff member sign in to the console without
//! handling an API token: an administrator hands one over, it works once.

use sqlx::Row;

use super::{schools::staff_from, Store, StoreResult};
use crate::store::StaffMember;

impl Store {
    /// Stores the hash of a new sign-in code for `member`. Codes issued to
    /// them before stop working: only the latest one handed over counts.
    pub async fn create_sign_in_code(
        &self,
        member: &StaffMember,
        code_hash: &[u8],
        expires_at: i64,
        now: i64,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM staff_sign_in_codes WHERE staff_id = $1")
            .bind(member.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO staff_sign_in_codes (staff_id, code_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(member.id)
        .bind(code_hash.to_vec())
        .bind(now)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Uses up an unexpired sign-in code: the staff member it was issued to,
    /// once; `None` for a code that is unknown, used or expired.
    pub async fn redeem_sign_in_code(&self, code_hash: &[u8], now: i64) -> StoreResult<Option<StaffMember>> {
        let mut tx = self.pool.begin().await?;
        let used = sqlx::query(
            "UPDATE staff_sign_in_codes SET used_at = $1 \
             WHERE code_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING staff_id",
        )
        .bind(now)
        .bind(code_hash.to_vec())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(used) = used else {
            return Ok(None);
        };
        let staff_id: i64 = used.try_get(0)?;
        let row = sqlx::query("SELECT id, school_id, name, role FROM staff WHERE id = $1")
            .bind(staff_id)
            .fetch_one(&mut *tx)
            .await?;
        let member = staff_from(&row)?;
        tx.commit().await?;
        Ok(Some(member))
    }
}
