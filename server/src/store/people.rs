//! People (students and guardians), guardianships, enrollment codes and the
//! device keys people sign with.

use std::collections::BTreeMap;

use consent_protocol::{Grant, KeyHolder, KeyId, Keyring, PublicKey, SchoolId, SubjectId};
use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::log::{append, append_all, LogEvent};
use super::schools::public_key_from;
use super::{asked, distinct_ids, on_unique, placeholders, Store, StoreError, StoreResult};

/// Whether a person is a student or a guardian.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonKind {
    /// A student, who can be photographed.
    Student,
    /// A parent or other guardian.
    Guardian,
}

impl PersonKind {
    fn as_str(self) -> &'static str {
        match self {
            PersonKind::Student => "student",
            PersonKind::Guardian => "guardian",
        }
    }
}

/// A person as the school knows them. After erasure only the id remains.
#[derive(Clone, Debug, Serialize)]
pub struct Person {
    /// The pseudonymous id that tokens carry.
    pub id: SubjectId,
    /// Student or guardian.
    pub kind: PersonKind,
    /// The name staff see; `None` once erased.
    pub display_name: Option<String>,
    /// The class or group, such as `3B`.
    pub group: Option<String>,
    /// Birth date (`YYYY-MM-DD`), for the age of digital consent.
    pub birth_date: Option<String>,
    /// The school's own number for the person (from its administration).
    pub external_id: Option<String>,
    /// Whether the person's data was erased.
    pub erased: bool,
}

/// What is needed to add a person.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPerson {
    /// Student or guardian.
    pub kind: PersonKind,
    /// The name staff see.
    pub display_name: String,
    /// The class or group.
    pub group: Option<String>,
    /// Birth date (`YYYY-MM-DD`).
    pub birth_date: Option<String>,
    /// The school's own number for the person.
    pub external_id: Option<String>,
}

/// A registered device key.
#[derive(Clone, Debug, Serialize)]
pub struct DeviceKey {
    /// The key's id.
    pub key_id: KeyId,
    /// The key.
    pub public_key: PublicKey,
    /// Who holds it.
    pub person: SubjectId,
    /// The holder's school.
    pub school: SchoolId,
    /// Whether it was cut off.
    pub revoked: bool,
    /// When it was enrolled (Unix seconds).
    pub registered_at: i64,
    /// When it last signed something the server accepted (Unix seconds);
    /// `None` when it has not since enrollment.
    pub last_used_at: Option<i64>,
    /// When the school cut it off (Unix seconds).
    pub revoked_at: Option<i64>,
}

/// How an import went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Imported {
    /// People added.
    pub created: usize,
    /// People already known by their external id, updated.
    pub updated: usize,
}

const DEVICE_KEY_COLUMNS: &str = "school_id, person_id, public_key, registered_at, last_used_at, revoked_at";

const PERSON_COLUMNS: &str = "id, kind, display_name, group_name, birth_date, external_id, erased_at";

fn subject_from(text: &str) -> StoreResult<SubjectId> {
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("person id {text}")))
}

fn person_from(row: &sqlx::any::AnyRow) -> StoreResult<Person> {
    let id: String = row.try_get("id")?;
    let kind: String = row.try_get("kind")?;
    let erased_at: Option<i64> = row.try_get("erased_at")?;
    Ok(Person {
        id: subject_from(&id)?,
        kind: if kind == "guardian" {
            PersonKind::Guardian
        } else {
            PersonKind::Student
        },
        display_name: row.try_get("display_name")?,
        group: row.try_get("group_name")?,
        birth_date: row.try_get("birth_date")?,
        external_id: row.try_get("external_id")?,
        erased: erased_at.is_some(),
    })
}

fn device_key_from(row: &sqlx::any::AnyRow) -> StoreResult<DeviceKey> {
    let person: String = row.try_get("person_id")?;
    let school: i64 = row.try_get("school_id")?;
    let revoked_at: Option<i64> = row.try_get("revoked_at")?;
    let public_key = public_key_from(row.try_get("public_key")?)?;
    Ok(DeviceKey {
        key_id: public_key.id(),
        public_key,
        person: subject_from(&person)?,
        school: SchoolId(school as u32),
        revoked: revoked_at.is_some(),
        registered_at: row.try_get("registered_at")?,
        last_used_at: row.try_get("last_used_at")?,
        revoked_at,
    })
}

impl Store {
    /// Adds a person with a fresh pseudonymous id.
    pub async fn create_person(
        &self,
        school: SchoolId,
        id: SubjectId,
        person: &NewPerson,
        now: i64,
    ) -> StoreResult<Person> {
        let mut tx = self.pool.begin().await?;
        append(
            &mut tx,
            school,
            &LogEvent::PersonCreated {
                person: id,
                kind: person.kind,
            },
            now,
        )
        .await?;
        let row = sqlx::query(&format!(
            "INSERT INTO people (id, school_id, kind, display_name, group_name, birth_date, external_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {PERSON_COLUMNS}"
        ))
        .bind(id.to_string())
        .bind(i64::from(school.0))
        .bind(person.kind.as_str())
        .bind(&person.display_name)
        .bind(&person.group)
        .bind(&person.birth_date)
        .bind(&person.external_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| on_unique(e, "a person with this external id exists in this school"))?;
        let created = person_from(&row)?;
        tx.commit().await?;
        Ok(created)
    }

    /// Imports a class list in one transaction: people already known by
    /// their external id are updated, the others added with fresh ids (and
    /// logged). Either every row is written or, on any failure, none is.
    /// Rows are written many to a statement, so that a large school's list
    /// takes seconds. Returns how many were added and updated.
    ///
    /// Every person must have an external id, each a different one.
    pub async fn import_people(
        &self,
        school: SchoolId,
        people: &[(SubjectId, NewPerson)],
        now: i64,
    ) -> StoreResult<Imported> {
        let rows_per_statement = self.engine.rows_per_statement();
        let mut tx = self.pool.begin().await?;
        // Updating first takes the write lock before anything is read.
        let mut known = std::collections::HashSet::new();
        for chunk in people.chunks(rows_per_statement) {
            let values: Vec<String> = (0..chunk.len())
                .map(|row| format!("({})", placeholders(row * 4 + 2, 4)))
                .collect();
            // A VALUES list's columns are column1, column2, ... in both engines.
            let sql = format!(
                "UPDATE people SET display_name = v.column2, group_name = v.column3, birth_date = v.column4 \
                 FROM (VALUES {}) AS v \
                 WHERE people.school_id = $1 AND people.external_id = v.column1 AND people.erased_at IS NULL \
                 RETURNING people.external_id",
                values.join(", ")
            );
            let mut update = sqlx::query(&sql).persistent(false).bind(i64::from(school.0));
            for (_, person) in chunk {
                update = update
                    .bind(&person.external_id)
                    .bind(&person.display_name)
                    .bind(&person.group)
                    .bind(&person.birth_date);
            }
            for row in update.fetch_all(&mut *tx).await? {
                known.insert(row.try_get::<String, _>(0)?);
            }
        }
        let new: Vec<&(SubjectId, NewPerson)> = people
            .iter()
            .filter(|(_, person)| !person.external_id.as_ref().is_some_and(|id| known.contains(id)))
            .collect();
        let events: Vec<LogEvent> = new
            .iter()
            .map(|(id, person)| LogEvent::PersonCreated {
                person: *id,
                kind: person.kind,
            })
            .collect();
        if !events.is_empty() {
            append_all(&mut tx, school, &events, now, rows_per_statement).await?;
        }
        for chunk in new.chunks(rows_per_statement) {
            let values: Vec<String> = (0..chunk.len())
                .map(|row| format!("({})", placeholders(row * 8 + 1, 8)))
                .collect();
            let sql = format!(
                "INSERT INTO people (id, school_id, kind, display_name, group_name, birth_date, external_id, \
                 created_at) VALUES {}",
                values.join(", ")
            );
            let mut insert = sqlx::query(&sql).persistent(false);
            for (id, person) in chunk {
                insert = insert
                    .bind(id.to_string())
                    .bind(i64::from(school.0))
                    .bind(person.kind.as_str())
                    .bind(&person.display_name)
                    .bind(&person.group)
                    .bind(&person.birth_date)
                    .bind(&person.external_id)
                    .bind(now);
            }
            insert
                .execute(&mut *tx)
                .await
                .map_err(|e| on_unique(e, "a person with this external id exists in this school"))?;
        }
        tx.commit().await?;
        Ok(Imported {
            created: new.len(),
            updated: known.len(),
        })
    }

    /// The person with this id in this school.
    pub async fn person(&self, school: SchoolId, id: SubjectId) -> StoreResult<Person> {
        let row = sqlx::query(&format!(
            "SELECT {PERSON_COLUMNS} FROM people WHERE school_id = $1 AND id = $2"
        ))
        .bind(i64::from(school.0))
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        person_from(&row)
    }

    /// The school's people sorted by group and name, or only one group
    /// (named in any case: `3b` is 3B) sorted by name.
    ///
    /// Case is folded by the database's `LOWER`, so that an index serves the
    /// lookup: letters A to Z on both engines; PostgreSQL folds other letters
    /// too. One group is not sorted by group first: SQLite (which has no
    /// statistics unless someone runs `ANALYZE`) would then walk the index
    /// by group in order, folding the case of every person in the school,
    /// rather than look the group up (at a million people, a class check
    /// took a second).
    pub async fn people(&self, school: SchoolId, group: Option<&str>) -> StoreResult<Vec<Person>> {
        let (filter, order) = if group.is_some() {
            (
                " AND LOWER(group_name) = LOWER($2)",
                "display_name, group_name, id",
            )
        } else {
            ("", "group_name, display_name, id")
        };
        let sql =
            format!("SELECT {PERSON_COLUMNS} FROM people WHERE school_id = $1{filter} ORDER BY {order}");
        let mut query = sqlx::query(&sql).bind(i64::from(school.0));
        if let Some(group) = group {
            query = query.bind(group.to_owned());
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(person_from).collect()
    }

    /// The school's people with these ids (erased ones included).
    pub async fn people_with_ids(&self, school: SchoolId, ids: &[SubjectId]) -> StoreResult<Vec<Person>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {PERSON_COLUMNS} FROM people WHERE school_id = $1 AND id IN ({})",
            placeholders(2, ids.len())
        );
        let mut query = sqlx::query(&sql).bind(i64::from(school.0));
        for id in ids {
            query = query.bind(id.to_string());
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(person_from).collect()
    }

    /// The school's people (not erased) whose external id is `name`, or
    /// whose display name is `name` in any case (folded as in [`Store::people`]).
    pub async fn people_named(&self, school: SchoolId, name: &str) -> StoreResult<Vec<Person>> {
        let rows = sqlx::query(&format!(
            "SELECT {PERSON_COLUMNS} FROM people WHERE school_id = $1 AND erased_at IS NULL \
             AND (external_id = $2 OR LOWER(display_name) = LOWER($2)) ORDER BY group_name, display_name, id"
        ))
        .bind(i64::from(school.0))
        .bind(name)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(person_from).collect()
    }

    /// Links a guardian to a child of the same school.
    pub async fn add_guardianship(
        &self,
        school: SchoolId,
        guardian: SubjectId,
        child: SubjectId,
        now: i64,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        append(
            &mut tx,
            school,
            &LogEvent::GuardianLinked { guardian, child },
            now,
        )
        .await?;
        sqlx::query("INSERT INTO guardianships (school_id, guardian_id, child_id) VALUES ($1, $2, $3)")
            .bind(i64::from(school.0))
            .bind(guardian.to_string())
            .bind(child.to_string())
            .execute(&mut *tx)
            .await
            .map_err(|e| on_unique(e, "this guardian is already linked to this child"))?;
        tx.commit().await?;
        Ok(())
    }

    /// The children of a guardian.
    pub async fn children_of(&self, school: SchoolId, guardian: SubjectId) -> StoreResult<Vec<SubjectId>> {
        let rows = sqlx::query(
            "SELECT child_id FROM guardianships WHERE school_id = $1 AND guardian_id = $2 ORDER BY child_id",
        )
        .bind(i64::from(school.0))
        .bind(guardian.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| subject_from(&row.try_get::<String, _>(0)?))
            .collect()
    }

    /// The guardians of a child.
    pub async fn guardians_of(&self, school: SchoolId, child: SubjectId) -> StoreResult<Vec<SubjectId>> {
        let rows = sqlx::query(
            "SELECT guardian_id FROM guardianships WHERE school_id = $1 AND child_id = $2 ORDER BY guardian_id",
        )
        .bind(i64::from(school.0))
        .bind(child.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| subject_from(&row.try_get::<String, _>(0)?))
            .collect()
    }

    /// Erases a person's personal data (GDPR art. 17): name, group, birth
    /// date and external id go; their keys are cut off and guardian links
    /// removed. The id stays, so the log and publications still add up.
    pub async fn erase_person(&self, school: SchoolId, id: SubjectId, now: i64) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        append(&mut tx, school, &LogEvent::PersonErased { person: id }, now).await?;
        let erased = sqlx::query(
            "UPDATE people SET display_name = NULL, group_name = NULL, birth_date = NULL, external_id = NULL, \
             erased_at = $1 WHERE school_id = $2 AND id = $3 AND erased_at IS NULL",
        )
        .bind(now)
        .bind(i64::from(school.0))
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        if erased.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("UPDATE device_keys SET revoked_at = $1 WHERE person_id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM guardianships WHERE guardian_id = $1 OR child_id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM enrollment_codes WHERE person_id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stores the hash of a one-time enrollment code for a person.
    pub async fn create_enrollment_code(
        &self,
        school: SchoolId,
        person: SubjectId,
        code_hash: &[u8],
        expires_at: i64,
        now: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO enrollment_codes (code_hash, school_id, person_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(code_hash.to_vec())
        .bind(i64::from(school.0))
        .bind(person.to_string())
        .bind(now)
        .bind(expires_at)
        .execute(&self.pool)
        .await
        .map_err(|e| on_unique(e, "enrollment code collision"))?;
        Ok(())
    }

    /// Redeems an unused, unexpired enrollment code: registers the device's
    /// key for the code's person and uses the code up, in one transaction.
    pub async fn redeem_enrollment_code(
        &self,
        code_hash: &[u8],
        key: &PublicKey,
        now: i64,
    ) -> StoreResult<Person> {
        let mut tx = self.pool.begin().await?;
        // Using the code up first is the write that takes the lock, and makes
        // a second redemption of the same code find nothing.
        let row = sqlx::query(
            "UPDATE enrollment_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL AND expires_at > $1 \
             RETURNING school_id, person_id",
        )
        .bind(now)
        .bind(code_hash.to_vec())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let school: i64 = row.try_get(0)?;
        let school = SchoolId(school as u32);
        let person = subject_from(&row.try_get::<String, _>(1)?)?;
        append(
            &mut tx,
            school,
            &LogEvent::KeyRegistered {
                person,
                key: key.id(),
            },
            now,
        )
        .await?;
        sqlx::query(
            "INSERT INTO device_keys (key_id, school_id, person_id, public_key, registered_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(key.id().to_string())
        .bind(i64::from(school.0))
        .bind(person.to_string())
        .bind(key.to_bytes().to_vec())
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| on_unique(e, "this device key is already registered"))?;
        let row = sqlx::query(&format!("SELECT {PERSON_COLUMNS} FROM people WHERE id = $1"))
            .bind(person.to_string())
            .fetch_one(&mut *tx)
            .await?;
        let enrolled = person_from(&row)?;
        tx.commit().await?;
        Ok(enrolled)
    }

    /// The device key with this id, in any school.
    pub async fn device_key(&self, key_id: KeyId) -> StoreResult<DeviceKey> {
        let row = sqlx::query(&format!(
            "SELECT {DEVICE_KEY_COLUMNS} FROM device_keys WHERE key_id = $1"
        ))
        .bind(key_id.to_string())
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        device_key_from(&row)
    }

    /// A person's device keys.
    pub async fn device_keys_of(&self, school: SchoolId, person: SubjectId) -> StoreResult<Vec<DeviceKey>> {
        let rows = sqlx::query(&format!(
            "SELECT {DEVICE_KEY_COLUMNS} FROM device_keys \
             WHERE school_id = $1 AND person_id = $2 ORDER BY registered_at, key_id"
        ))
        .bind(i64::from(school.0))
        .bind(person.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(device_key_from).collect()
    }

    /// Cuts off a device key of this school (a lost or stolen device).
    pub async fn revoke_device_key(&self, school: SchoolId, key_id: KeyId, now: i64) -> StoreResult<()> {
        let key = self.device_key(key_id).await?;
        if key.school != school {
            return Err(StoreError::NotFound);
        }
        let mut tx = self.pool.begin().await?;
        append(
            &mut tx,
            school,
            &LogEvent::KeyRevoked {
                person: key.person,
                key: key_id,
            },
            now,
        )
        .await?;
        sqlx::query("UPDATE device_keys SET revoked_at = $1 WHERE key_id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(key_id.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds the school's keys with these ids to `keyring`, so that a signature
    /// by the wrong person is refused as not authorized rather than unknown.
    pub async fn add_school_keys(
        &self,
        keyring: &mut Keyring,
        school: SchoolId,
        key_ids: &[KeyId],
    ) -> StoreResult<()> {
        for key_id in key_ids {
            match self.device_key(*key_id).await {
                Ok(key) if key.school == school => {
                    if keyring.active_key(key_id) == Err(consent_protocol::Error::UnknownKey) {
                        let id = keyring.add(key.public_key, KeyHolder::Person(key.person));
                        if key.revoked {
                            keyring.revoke(id);
                        }
                    }
                }
                Ok(_) | Err(StoreError::NotFound) => {}
                Err(other) => return Err(other),
            }
        }
        Ok(())
    }

    /// Everything needed to verify a grant: the subject's and their guardians'
    /// keys, plus the school's keys its signers name, so that a signature by
    /// the wrong person reads as not authorized rather than unknown.
    pub async fn keyring_for_grant(&self, school: SchoolId, grant: &Grant) -> StoreResult<Keyring> {
        let mut keyring = self.keyring_for(school, &[grant.subject]).await?;
        let signers: Vec<KeyId> = grant.signers.in_order().into_iter().map(|(_, key)| key).collect();
        self.add_school_keys(&mut keyring, school, &signers).await?;
        Ok(keyring)
    }

    /// Everything needed to verify signatures of these people: their keys,
    /// their guardians' keys and links, and the server's keys.
    pub async fn keyring_for(&self, school: SchoolId, people: &[SubjectId]) -> StoreResult<Keyring> {
        Ok(self.keys_of(school, people).await?.keyring)
    }

    /// The keyring of [`Store::keyring_for`], with when each of its cut-off
    /// device keys was cut off.
    ///
    /// One query reads the people's keys, their guardians' keys with the
    /// guardian links, and the server's keys. Keys enter the keyring by their
    /// encoding and are parsed only if a signature must be verified with
    /// them: most signatures of a check were verified before
    /// ([`crate::verified_signatures`]).
    pub async fn keys_of(&self, school: SchoolId, people: &[SubjectId]) -> StoreResult<Keys> {
        let mut keys = Keys::default();
        let ids = distinct_ids(people);
        let sql = if ids.is_empty() {
            SERVER_KEYS.to_owned()
        } else {
            format!("{} {KEYS_OF_ASKED} UNION ALL {SERVER_KEYS}", asked(2, ids.len()))
        };
        let mut query = sqlx::query(&sql);
        if !ids.is_empty() {
            query = query.bind(i64::from(school.0));
            for id in ids {
                query = query.bind(id);
            }
        }
        for row in query.fetch_all(&self.pool).await? {
            keys.add(
                row.try_get("person")?,
                row.try_get("bytes")?,
                row.try_get("at")?,
                row.try_get("ward")?,
            )?;
        }
        Ok(keys)
    }

    /// Notes that these device keys signed something the server accepted
    /// now. At most once a minute per key (the stored moment is kept when it
    /// is under a minute old), so that a busy device does not turn every
    /// request into a write.
    pub async fn record_key_use(&self, keys: &[KeyId], now: i64) -> StoreResult<()> {
        for key in keys {
            sqlx::query(
                "UPDATE device_keys SET last_used_at = $1 WHERE key_id = $2 \
                 AND (last_used_at IS NULL OR last_used_at < $3)",
            )
            .bind(now)
            .bind(key.to_string())
            .bind(now - 60)
            .execute(&self.pool)
            .await?;
        }
        Ok(())
    }
}

/// The keys of the people in `asked` ([`asked`]) for the school bound as
/// `$1`: their own, then their guardians' with the child each is read for,
/// as columns `kind, person, bytes, sequence, at, ward` (what
/// [`Keys::add`] takes), so that [`Store::consent_record`] reads them in
/// the same statement as the grants.
pub(super) const KEYS_OF_ASKED: &str = "\
    SELECT 'key' AS kind, person_id AS person, public_key AS bytes, NULL AS sequence, revoked_at AS at, NULL AS ward \
    FROM asked CROSS JOIN device_keys WHERE device_keys.school_id = $1 AND device_keys.person_id = asked.id \
    UNION ALL \
    SELECT 'key', k.person_id, k.public_key, NULL, k.revoked_at, g.child_id \
    FROM asked CROSS JOIN guardianships g CROSS JOIN device_keys k \
    WHERE g.school_id = $1 AND g.child_id = asked.id AND k.school_id = g.school_id AND k.person_id = g.guardian_id";

/// The server's keys, in the columns of [`KEYS_OF_ASKED`].
pub(super) const SERVER_KEYS: &str = "\
    SELECT 'key' AS kind, NULL AS person, public_key AS bytes, NULL AS sequence, NULL AS at, NULL AS ward \
    FROM server_keys";

/// A keyring and when each of its cut-off device keys was cut off.
#[derive(Default)]
pub struct Keys {
    /// The keys, their holders and guardian links.
    pub keyring: Keyring,
    /// When the school cut off each cut-off key (Unix seconds).
    pub cut_offs: BTreeMap<KeyId, i64>,
}

impl Keys {
    /// Adds one key as stored: a server key when it has no holder; a
    /// guardian's key with the child it is read for (`ward`).
    pub(super) fn add(
        &mut self,
        holder: Option<String>,
        public_key: Vec<u8>,
        revoked_at: Option<i64>,
        ward: Option<String>,
    ) -> StoreResult<()> {
        let encoding: [u8; 32] = public_key
            .try_into()
            .map_err(|_| StoreError::Corrupt("a public key is not 32 bytes".into()))?;
        let Some(holder) = holder else {
            self.keyring.add_encoded(encoding, KeyHolder::Server);
            return Ok(());
        };
        let holder = subject_from(&holder)?;
        let id = self.keyring.add_encoded(encoding, KeyHolder::Person(holder));
        if let Some(at) = revoked_at {
            self.keyring.revoke(id);
            self.cut_offs.insert(id, at);
        }
        if let Some(child) = ward {
            self.keyring.add_guardianship(holder, subject_from(&child)?);
        }
        Ok(())
    }
}

impl Store {
    /// Every device key of the school, for offline verifiers.
    pub async fn school_device_keys(&self, school: SchoolId) -> StoreResult<Vec<DeviceKey>> {
        let rows = sqlx::query(&format!(
            "SELECT {DEVICE_KEY_COLUMNS} FROM device_keys WHERE school_id = $1 ORDER BY key_id"
        ))
        .bind(i64::from(school.0))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(device_key_from).collect()
    }

    /// Every guardian link of the school, as (guardian, child).
    pub async fn school_guardianships(&self, school: SchoolId) -> StoreResult<Vec<(SubjectId, SubjectId)>> {
        let rows = sqlx::query(
            "SELECT guardian_id, child_id FROM guardianships WHERE school_id = $1 ORDER BY guardian_id, child_id",
        )
        .bind(i64::from(school.0))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    subject_from(&row.try_get::<String, _>(0)?)?,
                    subject_from(&row.try_get::<String, _>(1)?)?,
                ))
            })
            .collect()
    }
}
