//! Seeding many people straight into the database, in bulk, with rows the
//! server reads exactly as if they had come through the API: people, their
//! device keys, grants signed with those keys, and the audit log entries the
//! server would have written for each (person created, key registered,
//! grant), hash-chained onto the school's log so that `audit verify` still
//! checks the whole record.

use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use consent_protocol::{next_head, Hash256, PublicKey, SchoolId, SignedGrant, SigningKey, SubjectId};
use consent_server::store::{Engine, LogEvent, PersonKind};
use rand_core::OsRng;
use serde::Serialize;
use sqlx::any::AnyPoolOptions;
use sqlx::Row;

use crate::school::Device;

/// People per seeded class; checks name one whole class.
pub const GROUP_SIZE: usize = 30;

/// People written per transaction.
const CHUNK: usize = 5_000;

/// The name of seeded class number `n`.
pub fn group_name(n: usize) -> String {
    format!("g{n:06}")
}

/// How the seeding went.
pub struct Seeded {
    /// People written.
    pub people: usize,
    /// How long it took.
    pub took: Duration,
}

/// One seeded person: everything their rows need.
struct SeededPerson {
    id: SubjectId,
    group: String,
    public_key: PublicKey,
    grant: SignedGrant,
}

/// The log entry's bytes, exactly as the server's log writes them.
#[derive(Serialize)]
struct EntryBody<'a> {
    at: i64,
    #[serde(flatten)]
    event: &'a LogEvent,
}

/// Writes `count` adult students with a device key and a standing grant each
/// into the only school of the database at `url`.
pub async fn seed_people(url: &str, count: usize) -> Result<Seeded> {
    sqlx::any::install_default_drivers();
    let started = Instant::now();
    let engine = Engine::of_url(url).context("a sqlite: or postgres: URL")?;
    // The server's own statement size: SQLite's cost grows with the square
    // of a statement's placeholders, PostgreSQL's with its round trips.
    let rows_per_statement = engine.rows_per_statement();
    // One connection: the log is one chain, written in order.
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .context("connecting to the database to seed it")?;
    if engine == Engine::Sqlite {
        // Seeding is a bulk load before the server starts; a crash means
        // seeding again. The server itself runs with synchronous = FULL.
        sqlx::query("PRAGMA synchronous = OFF").execute(&pool).await?;
        // Ids, key ids and token ids are random, so every index insert lands
        // on a random page; with SQLite's default 2 MiB page cache that
        // thrashes once the tables outgrow it. 1 GiB holds a million people.
        sqlx::query("PRAGMA cache_size = -1048576").execute(&pool).await?;
    }
    let row = sqlx::query("SELECT id, log_size, log_head FROM schools ORDER BY id")
        .fetch_one(&pool)
        .await
        .context("the school to seed (create it with consent-server admin create first)")?;
    let school = SchoolId(u32::try_from(row.try_get::<i64, _>(0)?).context("school id")?);
    let mut position: i64 = row.try_get(1)?;
    let head: Vec<u8> = row.try_get(2)?;
    let mut head = Hash256::from_bytes(
        head.try_into()
            .map_err(|_| anyhow::anyhow!("log head is not 32 bytes"))?,
    );
    let now = i64::from(crate::school::now().as_unix());

    let mut written = 0;
    while written < count {
        let size = CHUNK.min(count - written);
        let people = sign_people(school, written, size)?;
        let mut tx = pool.begin().await?;
        let mut entries: Vec<(i64, Vec<u8>, Vec<u8>)> = Vec::with_capacity(size * 3);
        for person in &people {
            let events = [
                LogEvent::PersonCreated {
                    person: person.id,
                    kind: PersonKind::Student,
                },
                LogEvent::KeyRegistered {
                    person: person.id,
                    key: person.public_key.id(),
                },
                LogEvent::Grant {
                    token: person.grant.to_text(),
                },
            ];
            for event in &events {
                position += 1;
                let entry = serde_json::to_vec(&EntryBody { at: now, event })?;
                head = next_head(&head, position as u64, &entry);
                entries.push((position, entry, head.as_bytes().to_vec()));
            }
        }
        for batch in people.chunks(rows_per_statement) {
            insert_people(&mut tx, school, batch, written, now).await?;
        }
        for batch in entries.chunks(rows_per_statement) {
            let sql = format!(
                "INSERT INTO log_entries (school_id, position, entry, head, recorded_at) VALUES {}",
                values(batch.len(), 5)
            );
            let mut query = sqlx::query(&sql);
            for (position, entry, head) in batch {
                query = query
                    .bind(i64::from(school.0))
                    .bind(*position)
                    .bind(entry.clone())
                    .bind(head.clone())
                    .bind(now);
            }
            query.execute(&mut *tx).await?;
        }
        // The school's log head moves in the same transaction as its entries,
        // so the log is whole after every commit.
        sqlx::query("UPDATE schools SET log_size = $1, log_head = $2 WHERE id = $3")
            .bind(position)
            .bind(head.as_bytes().to_vec())
            .bind(i64::from(school.0))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        written += size;
        if written % 100_000 == 0 {
            eprintln!("    seeded {written} people in {:.0?}", started.elapsed());
        }
    }
    if engine == Engine::Postgres {
        // Fresh statistics, as autovacuum would gather after a real import.
        sqlx::query("ANALYZE").execute(&pool).await?;
    }
    pool.close().await;
    Ok(Seeded {
        people: count,
        took: started.elapsed(),
    })
}

async fn insert_people(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    school: SchoolId,
    batch: &[SeededPerson],
    first_number: usize,
    now: i64,
) -> Result<()> {
    let school_id = i64::from(school.0);
    let sql = format!(
        "INSERT INTO people (id, school_id, kind, display_name, group_name, birth_date, external_id, created_at) VALUES {}",
        values(batch.len(), 8)
    );
    let mut query = sqlx::query(&sql);
    for person in batch {
        let id = person.id.to_string();
        query = query
            .bind(id.clone())
            .bind(school_id)
            .bind("student")
            .bind(format!("Student {id}"))
            .bind(person.group.clone())
            .bind("2005-01-01")
            .bind(format!("seed-{first_number}-{id}"))
            .bind(now);
    }
    query.execute(&mut **tx).await?;

    let sql = format!(
        "INSERT INTO device_keys (key_id, school_id, person_id, public_key, registered_at) VALUES {}",
        values(batch.len(), 5)
    );
    let mut query = sqlx::query(&sql);
    for person in batch {
        query = query
            .bind(person.public_key.id().to_string())
            .bind(school_id)
            .bind(person.id.to_string())
            .bind(person.public_key.to_bytes().to_vec())
            .bind(now);
    }
    query.execute(&mut **tx).await?;

    let sql = format!(
        "INSERT INTO grants (token_id, school_id, subject_id, token, issued_at, not_after, received_at) VALUES {}",
        values(batch.len(), 7)
    );
    let mut query = sqlx::query(&sql);
    for person in batch {
        let grant = person.grant.unverified();
        query = query
            .bind(grant.token_id.to_string())
            .bind(school_id)
            .bind(person.id.to_string())
            .bind(person.grant.to_bytes())
            .bind(i64::from(grant.issued_at.as_unix()))
            .bind(i64::from(grant.not_after.as_unix()))
            .bind(now);
    }
    query.execute(&mut **tx).await?;
    Ok(())
}

/// `($1, ..., $k), ($k+1, ...)`: numbered placeholders for `rows` rows of
/// `columns` values, which both engines accept.
fn values(rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|row| {
            let cells: Vec<String> = (1..=columns).map(|c| format!("${}", row * columns + c)).collect();
            format!("({})", cells.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Keys and signed grants for people number `first..first + count`, made on
/// every core: signing is most of the seeding's work.
fn sign_people(school: SchoolId, first: usize, count: usize) -> Result<Vec<SeededPerson>> {
    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    let per_thread = count.div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let start = first + t * per_thread;
                let end = (first + count).min(start + per_thread);
                scope.spawn(move || -> Result<Vec<SeededPerson>> {
                    (start..end)
                        .map(|number| {
                            let device = Device {
                                key: SigningKey::generate(&mut OsRng),
                                person: SubjectId::random(&mut OsRng),
                                school,
                            };
                            Ok(SeededPerson {
                                id: device.person,
                                group: group_name(number / GROUP_SIZE),
                                public_key: PublicKey::of(&device.key),
                                grant: device.grant()?,
                            })
                        })
                        .collect()
                })
            })
            .collect();
        let mut people = Vec::with_capacity(count);
        for handle in handles {
            let part = handle
                .join()
                .map_err(|_| anyhow::anyhow!("a signing thread panicked"))??;
            people.extend(part);
        }
        ensure!(people.len() == count, "signed {} of {count} people", people.len());
        Ok(people)
    })
}

/// Reads the whole audit log through the API as communications staff and
/// recomputes its hash chain from the genesis head, as `consent audit verify`
/// does: every entry's head and the signed head must match. Returns the
/// number of entries checked.
pub async fn verify_audit_log(auditor: &crate::school::StaffClient) -> Result<u64> {
    let mut after = 0i64;
    let mut head: Option<Hash256> = None;
    let claims = loop {
        let response = auditor
            .http
            .get(format!("{}/v1/audit/log?after={after}&limit=5000", auditor.base))
            .bearer_auth(&auditor.token)
            .send()
            .await
            .context("GET /v1/audit/log")?;
        ensure!(
            response.status().is_success(),
            "the audit log answered {}",
            response.status()
        );
        let page: serde_json::Value = response.json().await?;
        let log_head =
            consent_protocol::SignedLogHead::from_text(page["log_head"].as_str().context("log head")?)?;
        let claims = log_head.unverified().clone();
        let entries = page["entries"].as_array().context("entries")?;
        for entry in entries {
            let position = entry["position"].as_i64().context("position")?;
            ensure!(position == after + 1, "the log skips from {after} to {position}");
            let previous = head.unwrap_or_else(|| consent_protocol::genesis_head(claims.school));
            let text = entry["entry"].as_str().context("entry")?;
            let computed = next_head(&previous, position as u64, text.as_bytes());
            let stored: Hash256 = entry["head"]
                .as_str()
                .context("head")?
                .parse()
                .map_err(|e| anyhow::anyhow!("a stored head: {e}"))?;
            ensure!(computed == stored, "the chain breaks at entry {position}");
            head = Some(computed);
            after = position;
        }
        if entries.is_empty() {
            break claims;
        }
    };
    ensure!(
        claims.size == after as u64,
        "the signed head counts {} entries, the log has {after}",
        claims.size
    );
    ensure!(
        Some(claims.head) == head,
        "the signed head does not match the chain"
    );
    Ok(claims.size)
}
