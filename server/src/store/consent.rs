//! Consent tokens and revocations as received, and the receipts of checks.

use consent_protocol::{
    ListedRevocation, ReceiptId, Revocation, SchoolId, SignedGrant, SignedReceipt, SignedRevocation,
    SubjectId,
};
use serde::Serialize;
use sqlx::Row;

use super::group_commit::Write;
use super::people::{Keys, KEYS_OF_ASKED, SERVER_KEYS};
use super::{asked, distinct_ids, Store, StoreError, StoreResult};

/// A grant as the server holds it, with the place the server gave it.
#[derive(Clone, Debug)]
pub struct StoredGrant {
    /// The signed token (verified on arrival).
    pub token: SignedGrant,
    /// Its position in the school's log: a revocation of everything at a
    /// later position withdraws it, whatever moment its signer's clock gave it.
    pub sequence: i64,
}

impl StoredGrant {
    /// A token the server has not stored (a code scanned just now): it
    /// counts as arriving after everything the server holds.
    pub fn not_stored(token: SignedGrant) -> Self {
        Self {
            token,
            sequence: i64::MAX,
        }
    }
}

/// A revocation with the place the server gave it.
#[derive(Clone, Debug, Serialize)]
pub struct StoredRevocation {
    /// The revocation's claims (its signature was verified on arrival).
    pub revocation: Revocation,
    /// The signed revocation's text.
    pub text: String,
    /// Its position in the school's log, which orders the revocation list.
    pub sequence: i64,
    /// When the server acknowledged it (Unix seconds).
    pub received_at: i64,
}

/// What a verdict on some people rests on ([`Store::consent_record`]).
#[derive(Default)]
pub struct ConsentRecord {
    /// Their grants, in the order they were issued.
    pub grants: Vec<StoredGrant>,
    /// Every revocation concerning them, in log order.
    pub revocations: Vec<StoredRevocation>,
    /// The keys that verify their grants, and when cut-off ones were cut off.
    pub keys: Keys,
}

fn corrupt(error: consent_protocol::Error) -> StoreError {
    StoreError::Corrupt(error.to_string())
}

fn stored_revocation(bytes: &[u8], sequence: i64, received_at: i64) -> StoreResult<StoredRevocation> {
    let signed = SignedRevocation::from_bytes(bytes).map_err(corrupt)?;
    Ok(StoredRevocation {
        revocation: signed.unverified().clone(),
        text: signed.to_text(),
        sequence,
        received_at,
    })
}

impl Store {
    /// Stores a verified grant and logs it. Returns `false` when exactly this
    /// token was stored before (a resubmission changes nothing).
    pub async fn insert_grant(&self, school: SchoolId, token: &SignedGrant, now: i64) -> StoreResult<bool> {
        let grant = token.unverified();
        if let Some(existing) = self.grant(school, &grant.token_id.to_string()).await? {
            return if existing == *token {
                Ok(false)
            } else {
                Err(StoreError::Conflict("another token with this id exists"))
            };
        }
        if grant.school != school {
            return Err(StoreError::Conflict("a token of another school"));
        }
        match self.commit(Write::Grant(token.clone()), now).await {
            Ok(_) => Ok(true),
            // The same token handed in twice at once: the other one landed.
            Err(StoreError::Conflict(_)) if self.holds_grant(school, token).await? => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// Whether exactly this token is stored already.
    pub async fn holds_grant(&self, school: SchoolId, token: &SignedGrant) -> StoreResult<bool> {
        let stored = self
            .grant(school, &token.unverified().token_id.to_string())
            .await?;
        Ok(stored.as_ref() == Some(token))
    }

    async fn grant(&self, school: SchoolId, token_id: &str) -> StoreResult<Option<SignedGrant>> {
        let row = sqlx::query("SELECT token FROM grants WHERE school_id = $1 AND token_id = $2")
            .bind(i64::from(school.0))
            .bind(token_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| SignedGrant::from_bytes(&row.try_get::<Vec<u8>, _>(0)?).map_err(corrupt))
            .transpose()
    }

    /// Stores a verified revocation and logs it; its log position becomes its
    /// sequence number. Returns the stored revocation (the earlier one when
    /// exactly this revocation was stored before).
    pub async fn insert_revocation(
        &self,
        school: SchoolId,
        signed: &SignedRevocation,
        now: i64,
    ) -> StoreResult<StoredRevocation> {
        let revocation = signed.unverified();
        if let Some(existing) = self.revocation(school, &revocation.id.to_string()).await? {
            return if existing.text == signed.to_text() {
                Ok(existing)
            } else {
                Err(StoreError::Conflict("another revocation with this id exists"))
            };
        }
        if revocation.school != school {
            return Err(StoreError::Conflict("a revocation of another school"));
        }
        let sequence = match self.commit(Write::Revocation(signed.clone()), now).await {
            Ok(sequence) => sequence,
            Err(StoreError::Conflict(conflict)) => {
                // The same revocation handed in twice at once: the other one landed.
                return match self.revocation(school, &revocation.id.to_string()).await? {
                    Some(existing) if existing.text == signed.to_text() => Ok(existing),
                    _ => Err(StoreError::Conflict(conflict)),
                };
            }
            Err(error) => return Err(error),
        };
        Ok(StoredRevocation {
            revocation: revocation.clone(),
            text: signed.to_text(),
            sequence,
            received_at: now,
        })
    }

    async fn revocation(&self, school: SchoolId, id: &str) -> StoreResult<Option<StoredRevocation>> {
        let row = sqlx::query(
            "SELECT revocation, sequence, received_at FROM revocations WHERE school_id = $1 AND id = $2",
        )
        .bind(i64::from(school.0))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            let bytes: Vec<u8> = row.try_get("revocation")?;
            stored_revocation(&bytes, row.try_get("sequence")?, row.try_get("received_at")?)
        })
        .transpose()
    }

    /// How many stored grants of `person` have not expired at `now` (Unix
    /// seconds), withdrawn ones included: a cheap upper bound on the tokens
    /// in force.
    pub async fn unexpired_grant_count(
        &self,
        school: SchoolId,
        person: SubjectId,
        now: i64,
    ) -> StoreResult<usize> {
        let row = sqlx::query(
            "SELECT COUNT(*) FROM grants WHERE school_id = $1 AND subject_id = $2 AND not_after >= $3",
        )
        .bind(i64::from(school.0))
        .bind(person.to_string())
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Ok(usize::try_from(row.try_get::<i64, _>(0)?).unwrap_or(usize::MAX))
    }

    /// Everything a verdict on these people rests on, read in one statement
    /// (one snapshot, one round trip): their grants, in the order they were
    /// issued; every revocation concerning them, in log order; and the keys
    /// that verify them (their own, their guardians' with the guardian links,
    /// and the server's).
    pub async fn consent_record(&self, school: SchoolId, people: &[SubjectId]) -> StoreResult<ConsentRecord> {
        let mut record = ConsentRecord::default();
        if people.is_empty() {
            return Ok(record);
        }
        let ids = distinct_ids(people);
        let sql = format!(
            "{} \
             SELECT 'grant' AS kind, subject_id AS person, token AS bytes, sequence, NULL AS at, NULL AS ward \
             FROM asked CROSS JOIN grants WHERE grants.school_id = $1 AND grants.subject_id = asked.id \
             UNION ALL \
             SELECT 'revocation', subject_id, revocation, sequence, received_at, NULL \
             FROM asked CROSS JOIN revocations \
             WHERE revocations.school_id = $1 AND revocations.subject_id = asked.id \
             UNION ALL {KEYS_OF_ASKED} UNION ALL {SERVER_KEYS}",
            asked(2, ids.len())
        );
        let mut query = sqlx::query(&sql).bind(i64::from(school.0));
        for id in ids {
            query = query.bind(id);
        }
        for row in query.fetch_all(&self.pool).await? {
            let kind: String = row.try_get("kind")?;
            let bytes: Vec<u8> = row.try_get("bytes")?;
            match kind.as_str() {
                "grant" => record.grants.push(StoredGrant {
                    token: SignedGrant::from_bytes(&bytes).map_err(corrupt)?,
                    sequence: row.try_get("sequence")?,
                }),
                "revocation" => record.revocations.push(stored_revocation(
                    &bytes,
                    row.try_get("sequence")?,
                    row.try_get("at")?,
                )?),
                _ => record.keys.add(
                    row.try_get("person")?,
                    bytes,
                    row.try_get("at")?,
                    row.try_get("ward")?,
                )?,
            }
        }
        record.grants.sort_by_cached_key(|grant| {
            let claims = grant.token.unverified();
            (claims.issued_at, claims.token_id.to_string())
        });
        record.revocations.sort_by_key(|stored| stored.sequence);
        Ok(record)
    }

    /// The school's revocations at log positions after `after` and up to
    /// `up_to`, in order, at most `limit` of them: a page of the revocation list.
    pub async fn revocation_list_entries(
        &self,
        school: SchoolId,
        after: u64,
        up_to: u64,
        limit: i64,
    ) -> StoreResult<Vec<ListedRevocation>> {
        let rows = sqlx::query(
            "SELECT revocation, sequence FROM revocations WHERE school_id = $1 AND sequence > $2 AND sequence <= $3 \
             ORDER BY sequence LIMIT $4",
        )
        .bind(i64::from(school.0))
        .bind(position(after)?)
        .bind(position(up_to)?)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let bytes: Vec<u8> = row.try_get("revocation")?;
                let sequence: i64 = row.try_get("sequence")?;
                Ok(ListedRevocation {
                    sequence: u64::try_from(sequence)
                        .map_err(|_| StoreError::Corrupt(format!("log position {sequence}")))?,
                    revocation: SignedRevocation::from_bytes(&bytes).map_err(corrupt)?,
                })
            })
            .collect()
    }

    /// A stored receipt of this school.
    pub async fn receipt(&self, school: SchoolId, id: ReceiptId) -> StoreResult<SignedReceipt> {
        let row = sqlx::query("SELECT receipt FROM receipts WHERE school_id = $1 AND id = $2")
            .bind(i64::from(school.0))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        SignedReceipt::from_bytes(&row.try_get::<Vec<u8>, _>(0)?).map_err(corrupt)
    }
}

/// A log position as the database stores it.
fn position(value: u64) -> StoreResult<i64> {
    i64::try_from(value).map_err(|_| StoreError::Corrupt(format!("log position {value} is out of range")))
}
