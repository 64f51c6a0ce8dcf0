//! Groups (classes) as an administrator surveys them: who is in each.

use consent_protocol::SchoolId;
use sqlx::Row;

use super::{Store, StoreResult};

/// A group of the school and how many people it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// Its name, as the class list spells it (`3B`).
    pub name: String,
    /// Students in it (erased ones not counted).
    pub students: i64,
    /// Guardians linked to at least one of those students, each once.
    pub guardians: i64,
}

impl Store {
    /// The school's groups with their students and guardians, by name. A
    /// group exists while a student who is not erased is in it.
    pub async fn groups(&self, school: SchoolId) -> StoreResult<Vec<Group>> {
        let rows = sqlx::query(
            "SELECT p.group_name AS name, COUNT(*) AS students, \
             (SELECT COUNT(DISTINCT g.guardian_id) FROM guardianships g \
              JOIN people c ON c.id = g.child_id \
              WHERE g.school_id = $1 AND c.school_id = $1 AND c.kind = 'student' \
              AND c.erased_at IS NULL AND c.group_name = p.group_name) AS guardians \
             FROM people p WHERE p.school_id = $1 AND p.kind = 'student' \
             AND p.erased_at IS NULL AND p.group_name IS NOT NULL \
             GROUP BY p.group_name ORDER BY p.group_name",
        )
        .bind(i64::from(school.0))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Group {
                    name: row.try_get("name")?,
                    students: row.try_get("students")?,
                    guardians: row.try_get("guardians")?,
                })
            })
            .collect()
    }
}
