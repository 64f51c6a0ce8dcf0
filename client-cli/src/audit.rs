//! What `consent audit verify` checks beyond one signed chain: that every
//! later log extends every head this client verified before (consistency,
//! as Certificate Transparency's clients check it), and that the stored
//! record (grants, revocations, device keys, guardian links, erasures,
//! settings) is exactly what replaying the log gives.
//!
//! Consistency needs no proof from the server: the client fetches the whole
//! log and recomputes every intermediate head, so "the first `n` entries hash
//! to the head remembered at size `n`" is checked directly.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;
use consent_protocol::{
    Hash256, KeyId, LogHead, SchoolId, SignedGrant, SignedRevocation, SubjectId, Timestamp,
};
use serde::{Deserialize, Serialize};

use crate::config::{read_json, write_private, Paths};

/// A log head this client verified.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedHead {
    /// The server it came from.
    pub server: String,
    /// The school whose log it is.
    pub school: SchoolId,
    /// The log's size.
    pub size: u64,
    /// The head hash at that size.
    pub head: Hash256,
    /// When the server signed it.
    pub signed_at: Timestamp,
}

/// Every log head this client has verified, kept in its config folder.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct VerifiedHeads {
    heads: Vec<VerifiedHead>,
}

impl VerifiedHeads {
    /// The heads remembered so far (none on a new client).
    pub fn load(paths: &Paths) -> Result<Self> {
        read_json(&paths.verified_heads()).map(Option::unwrap_or_default)
    }

    /// Stores the heads.
    pub fn save(&self, paths: &Paths) -> Result<()> {
        write_private(&paths.verified_heads(), &serde_json::to_vec_pretty(self)?)
    }

    /// How many heads of this server's school log are remembered.
    pub fn count(&self, server: &str, school: SchoolId) -> usize {
        self.of(server, school).count()
    }

    fn of<'a>(&'a self, server: &'a str, school: SchoolId) -> impl Iterator<Item = &'a VerifiedHead> {
        self.heads
            .iter()
            .filter(move |head| head.server == server && head.school == school)
    }

    /// Checks that the log whose heads after 0, 1, ... n entries are `chain`
    /// contains every remembered log of this server and school as a prefix.
    pub fn check_extends(&self, server: &str, school: SchoolId, chain: &[Hash256]) -> Result<(), String> {
        for earlier in self.of(server, school) {
            let size = chain.len() as u64 - 1;
            match usize::try_from(earlier.size).ok().and_then(|at| chain.get(at)) {
                None => {
                    return Err(format!(
                        "the log now holds {size} entries, but on {} this client verified it with {}: \
                         entries were removed",
                        earlier.signed_at, earlier.size
                    ))
                }
                Some(head) if *head != earlier.head => {
                    return Err(format!(
                        "the log's first {} entries are not the ones this client verified on {} \
                         (head then {}, now {head}): its history was rewritten",
                        earlier.size, earlier.signed_at, earlier.head
                    ))
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// Remembers a head that verified.
    pub fn remember(&mut self, server: &str, head: &LogHead) {
        let verified = VerifiedHead {
            server: server.to_owned(),
            school: head.school,
            size: head.size,
            head: head.head,
            signed_at: head.signed_at,
        };
        if !self
            .of(server, head.school)
            .any(|known| known.size == verified.size && known.head == verified.head)
        {
            self.heads.push(verified);
        }
    }
}

/// The school's stored record, as `GET /v1/audit/record` answers.
#[derive(Clone, Debug, Deserialize)]
pub struct StoredRecord {
    /// The log's size when it was read.
    pub log_size: u64,
    digital_consent_age: i64,
    retention_days: i64,
    grants: Vec<String>,
    revocations: Vec<StoredRevocation>,
    device_keys: Vec<StoredKey>,
    guardianships: Vec<Guardianship>,
    erased: Vec<SubjectId>,
}

#[derive(Clone, Debug, Deserialize)]
struct StoredRevocation {
    sequence: u64,
    revocation: String,
}

#[derive(Clone, Debug, Deserialize)]
struct StoredKey {
    key_id: KeyId,
    person: SubjectId,
    revoked: bool,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
struct Guardianship {
    guardian: SubjectId,
    child: SubjectId,
}

/// The log entries `consent audit verify` replays (the others change
/// nothing it compares).
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Event {
    SettingsChanged {
        digital_consent_age: i64,
        retention_days: i64,
    },
    GuardianLinked {
        guardian: SubjectId,
        child: SubjectId,
    },
    KeyRegistered {
        person: SubjectId,
        key: KeyId,
    },
    KeyRevoked {
        key: KeyId,
    },
    PersonErased {
        person: SubjectId,
    },
    Grant {
        token: String,
    },
    Revocation {
        revocation: String,
    },
    RecordsPurged {
        older_than: i64,
        purged: Purged,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct Purged {
    grants: u64,
}

/// A grant as the log recorded it.
struct LoggedGrant {
    position: u64,
    text: String,
    not_after: i64,
    /// A later retention purge may have removed it lawfully.
    purgeable: bool,
}

/// The state the log implies.
struct Implied {
    digital_consent_age: i64,
    retention_days: i64,
    grants: BTreeMap<String, LoggedGrant>,
    revocations: BTreeMap<String, (u64, String)>,
    keys: BTreeMap<KeyId, (SubjectId, bool)>,
    guardianships: BTreeSet<Guardianship>,
    erased: BTreeSet<SubjectId>,
}

/// A new school's settings, as the schema creates them (the log's
/// `school_created` entry carries none).
const DEFAULT_CONSENT_AGE: i64 = 16;
const DEFAULT_RETENTION_DAYS: i64 = 1825;

/// Replays the log's entries (each the exact text that was hashed, from
/// position 1 on) into the state they imply.
fn replay<'a>(entries: impl Iterator<Item = (u64, &'a str)>) -> Result<Implied, String> {
    let mut state = Implied {
        digital_consent_age: DEFAULT_CONSENT_AGE,
        retention_days: DEFAULT_RETENTION_DAYS,
        grants: BTreeMap::new(),
        revocations: BTreeMap::new(),
        keys: BTreeMap::new(),
        guardianships: BTreeSet::new(),
        erased: BTreeSet::new(),
    };
    for (position, text) in entries {
        let event: Event = serde_json::from_str(text)
            .map_err(|error| format!("log entry {position} does not read: {error}"))?;
        let unreadable = |what: &str, error: consent_protocol::Error| {
            format!(
                "log entry {position} holds {what} that does not decode ({})",
                error.code()
            )
        };
        match event {
            Event::SettingsChanged {
                digital_consent_age,
                retention_days,
            } => {
                state.digital_consent_age = digital_consent_age;
                state.retention_days = retention_days;
            }
            Event::GuardianLinked { guardian, child } => {
                state.guardianships.insert(Guardianship { guardian, child });
            }
            Event::KeyRegistered { person, key } => {
                state.keys.insert(key, (person, false));
            }
            Event::KeyRevoked { key } => {
                if let Some((_, revoked)) = state.keys.get_mut(&key) {
                    *revoked = true;
                }
            }
            Event::PersonErased { person } => {
                state.erased.insert(person);
                for (holder, revoked) in state.keys.values_mut() {
                    *revoked |= *holder == person;
                }
                state
                    .guardianships
                    .retain(|link| link.guardian != person && link.child != person);
            }
            Event::Grant { token } => {
                let grant = SignedGrant::from_text(&token).map_err(|error| unreadable("a grant", error))?;
                let claims = grant.unverified();
                state.grants.insert(
                    claims.token_id.to_string(),
                    LoggedGrant {
                        position,
                        not_after: i64::from(claims.not_after.as_unix()),
                        text: grant.to_text(),
                        purgeable: false,
                    },
                );
            }
            Event::Revocation { revocation } => {
                let signed = SignedRevocation::from_text(&revocation)
                    .map_err(|error| unreadable("a revocation", error))?;
                state
                    .revocations
                    .insert(signed.unverified().id.to_string(), (position, signed.to_text()));
            }
            Event::RecordsPurged { older_than, purged } => {
                if purged.grants > 0 {
                    for grant in state.grants.values_mut() {
                        grant.purgeable |= grant.not_after < older_than;
                    }
                }
            }
            Event::Other => {}
        }
    }
    Ok(state)
}

/// Replays the log's first `stored.log_size` entries and lists every way the
/// stored record differs from the state they imply. `entries` are the
/// verified entries, from position 1 on.
pub fn differences<'a>(
    entries: impl Iterator<Item = (u64, &'a str)>,
    stored: &StoredRecord,
) -> Result<Vec<String>, String> {
    let implied = replay(entries.take_while(|(position, _)| *position <= stored.log_size))?;
    let mut found = Vec::new();

    if stored.digital_consent_age != implied.digital_consent_age {
        found.push(format!(
            "the age of digital consent is {} in the database, but the log last set it to {}",
            stored.digital_consent_age, implied.digital_consent_age
        ));
    }
    if stored.retention_days != implied.retention_days {
        found.push(format!(
            "records are kept {} days in the database, but the log last set {} days",
            stored.retention_days, implied.retention_days
        ));
    }

    let mut stored_grants = BTreeMap::new();
    for text in &stored.grants {
        let grant = SignedGrant::from_text(text)
            .map_err(|error| format!("a stored grant does not decode ({})", error.code()))?;
        stored_grants.insert(grant.unverified().token_id.to_string(), grant.to_text());
    }
    for (id, logged) in &implied.grants {
        match stored_grants.get(id) {
            None if logged.purgeable => {}
            None => found.push(format!(
                "grant {id} (log entry {}) is missing from the database",
                logged.position
            )),
            Some(text) if *text != logged.text => found.push(format!(
                "grant {id} in the database differs from the one in log entry {}",
                logged.position
            )),
            Some(_) => {}
        }
    }
    for id in stored_grants
        .keys()
        .filter(|id| !implied.grants.contains_key(*id))
    {
        found.push(format!(
            "grant {id} is in the database, but the log never recorded it"
        ));
    }

    let mut stored_revocations = BTreeMap::new();
    for stored in &stored.revocations {
        let signed = SignedRevocation::from_text(&stored.revocation)
            .map_err(|error| format!("a stored revocation does not decode ({})", error.code()))?;
        stored_revocations.insert(
            signed.unverified().id.to_string(),
            (stored.sequence, signed.to_text()),
        );
    }
    for (id, logged) in &implied.revocations {
        match stored_revocations.get(id) {
            None => found.push(format!(
                "revocation {id} (log entry {}) is missing from the database: the consent it withdrew would count again",
                logged.0
            )),
            Some(stored) if stored != logged => found.push(format!(
                "revocation {id} in the database differs from the one in log entry {}",
                logged.0
            )),
            Some(_) => {}
        }
    }
    for id in stored_revocations
        .keys()
        .filter(|id| !implied.revocations.contains_key(*id))
    {
        found.push(format!(
            "revocation {id} is in the database, but the log never recorded it"
        ));
    }

    let stored_keys: BTreeMap<KeyId, (SubjectId, bool)> = stored
        .device_keys
        .iter()
        .map(|key| (key.key_id, (key.person, key.revoked)))
        .collect();
    let state = |revoked: bool| if revoked { "cut off" } else { "in use" };
    for (key, logged) in &implied.keys {
        match stored_keys.get(key) {
            None => found.push(format!(
                "device key {key} is registered in the log but missing from the database"
            )),
            Some(stored) if stored.0 != logged.0 => found.push(format!(
                "device key {key} belongs to {} in the database, but the log registered it to {}",
                stored.0, logged.0
            )),
            Some(stored) if stored.1 != logged.1 => found.push(format!(
                "device key {key} is {} in the database, but {} by the log",
                state(stored.1),
                state(logged.1)
            )),
            Some(_) => {}
        }
    }
    for key in stored_keys.keys().filter(|key| !implied.keys.contains_key(*key)) {
        found.push(format!(
            "device key {key} is in the database, but the log never registered it"
        ));
    }

    let stored_links: BTreeSet<Guardianship> = stored.guardianships.iter().copied().collect();
    for link in implied.guardianships.difference(&stored_links) {
        found.push(format!(
            "{} is guardian of {} by the log, but not in the database",
            link.guardian, link.child
        ));
    }
    for link in stored_links.difference(&implied.guardianships) {
        found.push(format!(
            "{} is guardian of {} in the database, but the log never linked them",
            link.guardian, link.child
        ));
    }

    let stored_erased: BTreeSet<SubjectId> = stored.erased.iter().copied().collect();
    for person in implied.erased.difference(&stored_erased) {
        found.push(format!(
            "person {person} was erased by the log, but not in the database"
        ));
    }
    for person in stored_erased.difference(&implied.erased) {
        found.push(format!(
            "person {person} is erased in the database, but the log never erased them"
        ));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use consent_protocol::{
        genesis_head, next_head, Grant, GrantSigners, MediaKind, MediaSet, PublicKey, Purpose, PurposeSet,
        SigningKey, TokenId,
    };
    use serde_json::json;

    use super::*;

    const SERVER: &str = "https://consent.example";
    const SCHOOL: SchoolId = SchoolId(7);

    fn chain(entries: &[&str]) -> Vec<Hash256> {
        let mut heads = vec![genesis_head(SCHOOL)];
        for (index, entry) in entries.iter().enumerate() {
            let next = next_head(heads.last().expect("genesis"), index as u64 + 1, entry.as_bytes());
            heads.push(next);
        }
        heads
    }

    fn remembered(heads: &[Hash256], size: u64) -> VerifiedHeads {
        let mut verified = VerifiedHeads::default();
        verified.remember(
            SERVER,
            &LogHead {
                school: SCHOOL,
                size,
                head: heads[size as usize],
                signed_at: Timestamp::from_unix(1_800_000_000),
                key: PublicKey::of(&SigningKey::from_bytes(&[1; 32])).id(),
            },
        );
        verified
    }

    #[test]
    fn a_later_log_must_contain_every_verified_log_as_a_prefix() {
        let verified = remembered(&chain(&["a", "b"]), 2);
        assert!(verified
            .check_extends(SERVER, SCHOOL, &chain(&["a", "b", "c"]))
            .is_ok());
        assert!(verified
            .check_extends(SERVER, SCHOOL, &chain(&["a", "b"]))
            .is_ok());
        let shorter = verified
            .check_extends(SERVER, SCHOOL, &chain(&["a"]))
            .expect_err("a removed entry is refused");
        assert!(shorter.contains("entries were removed"), "{shorter}");
        let rewritten = verified
            .check_extends(SERVER, SCHOOL, &chain(&["a", "x", "c"]))
            .expect_err("a rewritten entry is refused");
        assert!(rewritten.contains("history was rewritten"), "{rewritten}");
        // Another server's or school's log is another log.
        assert!(verified
            .check_extends("https://other.example", SCHOOL, &chain(&["x"]))
            .is_ok());
        assert!(verified
            .check_extends(SERVER, SchoolId(8), &chain(&["x"]))
            .is_ok());
    }

    fn grant(not_after: u32) -> String {
        let key = SigningKey::from_bytes(&[2; 32]);
        let grant = Grant {
            token_id: TokenId::from_bytes([3; 16]),
            school: SCHOOL,
            subject: SubjectId::from_bytes([4; 16]),
            media: MediaSet::new([MediaKind::Photo]).expect("non-empty"),
            purposes: PurposeSet::new([Purpose::WEBSITE]).expect("non-empty"),
            issued_at: Timestamp::from_unix(1000),
            not_before: Timestamp::from_unix(1000),
            not_after: Timestamp::from_unix(not_after),
            signers: GrantSigners::Subject {
                key: PublicKey::of(&key).id(),
            },
        };
        SignedGrant::sign(grant, &[&key]).expect("signs").to_text()
    }

    fn record(value: serde_json::Value) -> StoredRecord {
        serde_json::from_value(value).expect("a record")
    }

    #[test]
    fn replaying_the_log_names_every_difference_from_the_database() {
        let person = SubjectId::from_bytes([4; 16]);
        let parent = SubjectId::from_bytes([5; 16]);
        let key = PublicKey::of(&SigningKey::from_bytes(&[2; 32])).id();
        let entries = [
            json!({"at": 1, "type": "school_created"}).to_string(),
            json!({"at": 2, "type": "key_registered", "person": person, "key": key}).to_string(),
            json!({"at": 3, "type": "guardian_linked", "guardian": parent, "child": person}).to_string(),
            json!({"at": 4, "type": "grant", "token": grant(2000)}).to_string(),
            json!({"at": 5, "type": "key_revoked", "person": person, "key": key}).to_string(),
        ];
        let logged = || {
            entries
                .iter()
                .enumerate()
                .map(|(i, e)| (i as u64 + 1, e.as_str()))
        };
        let faithful = json!({
            "log_size": 5, "digital_consent_age": 16, "retention_days": 1825,
            "grants": [grant(2000)], "revocations": [],
            "device_keys": [{"key_id": key, "person": person, "revoked": true}],
            "guardianships": [{"guardian": parent, "child": person}], "erased": [],
        });
        assert_eq!(differences(logged(), &record(faithful.clone())), Ok(vec![]));

        let mut tampered = faithful.clone();
        tampered["grants"] = json!([]);
        tampered["device_keys"][0]["revoked"] = json!(false);
        tampered["guardianships"] = json!([]);
        tampered["erased"] = json!([parent]);
        let found = differences(logged(), &record(tampered)).expect("the log replays");
        assert_eq!(found.len(), 4, "{found:#?}");
        assert!(found[0].contains("is missing from the database"), "{found:#?}");
        assert!(
            found[1].contains("is in use in the database, but cut off by the log"),
            "{found:#?}"
        );

        // A grant that ended before a later purge's cut-off may be gone.
        let purge = json!({"at": 6, "type": "records_purged", "older_than": 3000,
            "purged": {"publications": 0, "receipts": 0, "grants": 1, "enrollment_codes": 0}})
        .to_string();
        let mut purged = faithful;
        purged["grants"] = json!([]);
        purged["log_size"] = json!(6);
        let with_purge = logged().chain([(6, purge.as_str())]);
        assert_eq!(differences(with_purge, &record(purged)), Ok(vec![]));
    }
}
