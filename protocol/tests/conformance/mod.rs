//! The published test vectors' format, the one way a vector is run (as a
//! verifier in another language would run it), and the builder that makes
//! each vector by running it: a vector's `valid` and `error` are never
//! written by hand, only recorded from the reference implementation.

pub mod grants;
pub mod keys;
pub mod lists;
pub mod requests;
pub mod revocations;
pub mod server_signed;
pub mod text;

use crate::common::*;
use consent_protocol::*;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
pub struct Vector {
    pub description: String,
    pub kind: String,
    pub text: String,
    /// The moment the verifier checks at.
    pub now: Timestamp,
    /// The signers' public keys, in signing order.
    pub public_keys: Vec<String>,
    /// What the verifier knows: keys, their holders, and which are revoked.
    pub keyring: Vec<KnownKey>,
    /// Which person may sign as guardian for which child.
    pub guardianships: Vec<Guardianship>,
    /// Per signature: the exact bytes it covers, domain string included.
    pub signed_bytes: Vec<String>,
    pub signatures: Vec<String>,
    pub valid: bool,
    pub error: Option<String>,
    /// The decoded claims, for objects that decode.
    pub decoded: Option<Value>,
    /// For a list (`revocation-list`, `guardian-dates`) only, always: what is
    /// presented beside it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entries: Option<Vec<Value>>,
    /// For a signed `request` only: the request the header came with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<RequestFields>,
    /// For a `log-head` only: the log's entries and every head of its chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<LogChain>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
pub struct KnownKey {
    pub public_key: String,
    pub holder: KeyHolder,
    pub revoked: bool,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
pub struct Guardianship {
    pub guardian: SubjectId,
    pub child: SubjectId,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
pub struct RequestFields {
    pub method: String,
    pub path_and_query: String,
    /// The body's exact bytes, hex.
    pub body: String,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
pub struct LogChain {
    /// Entry 1 to n, hex.
    pub entries: Vec<String>,
    /// `head(0)` to `head(n)`, hex.
    pub heads: Vec<String>,
}

/// What decoding a vector's text gives: the claims as JSON, and per
/// signature the bytes it covers, the signature and the key id it names.
pub struct Decoded {
    pub claims: Value,
    pub signed_bytes: Vec<u8>,
    pub signatures: Vec<[u8; 64]>,
    pub key_ids: Vec<KeyId>,
}

fn claims_json(value: &impl Serialize) -> Value {
    serde_json::to_value(value).expect("claims serialize")
}

fn server_signed(claims: Value, kind: Kind, body: Vec<u8>, signature: &Signature, key: KeyId) -> Decoded {
    Decoded {
        claims,
        signed_bytes: signed_message(kind, &body),
        signatures: vec![signature.to_bytes()],
        key_ids: vec![key],
    }
}

/// Step 1 of running a vector: the kind's decoder.
pub fn decode(vector: &Vector) -> Result<Decoded, Error> {
    let text = vector.text.as_str();
    Ok(match vector.kind.as_str() {
        "grant" => {
            let token = SignedGrant::from_text(text)?;
            let grant = token.unverified();
            Decoded {
                claims: claims_json(grant),
                signed_bytes: signed_message(Kind::Grant, &grant.to_bytes()),
                signatures: token.signatures().iter().map(Signature::to_bytes).collect(),
                key_ids: grant.signers.in_order().into_iter().map(|(_, id)| id).collect(),
            }
        }
        "revocation" => {
            let signed = SignedRevocation::from_text(text)?;
            let claims = signed.unverified();
            server_signed(
                claims_json(claims),
                Kind::Revocation,
                claims.to_bytes(),
                signed.signature(),
                claims.key,
            )
        }
        "receipt" => {
            let signed = SignedReceipt::from_text(text)?;
            let claims = signed.unverified();
            server_signed(
                claims_json(claims),
                Kind::Receipt,
                claims.to_bytes(),
                signed.signature(),
                claims.key,
            )
        }
        "log-head" => {
            let signed = SignedLogHead::from_text(text)?;
            let claims = signed.unverified();
            server_signed(
                claims_json(claims),
                Kind::LogHead,
                claims.to_bytes(),
                signed.signature(),
                claims.key,
            )
        }
        "revocation-list" => {
            let signed = SignedRevocationList::from_text(text)?;
            let claims = signed.unverified();
            server_signed(
                claims_json(claims),
                Kind::RevocationList,
                claims.to_bytes(),
                signed.signature(),
                claims.key,
            )
        }
        "guardian-dates" => {
            let signed = SignedGuardianDates::from_text(text)?;
            let claims = signed.unverified();
            server_signed(
                claims_json(claims),
                Kind::GuardianDates,
                claims.to_bytes(),
                signed.signature(),
                claims.key,
            )
        }
        "request" => {
            let header = DeviceAuthorization::parse(text)?;
            let request = vector.request.as_ref().expect("a request vector has its request");
            let body = hex::decode(&request.body).expect("hex body");
            Decoded {
                claims: json!({
                    "key": header.key,
                    "time": header.time,
                    "signature": hex::encode(header.signature),
                }),
                signed_bytes: request_signed_message(
                    &request.method,
                    &request.path_and_query,
                    header.time,
                    &body,
                ),
                signatures: vec![header.signature],
                key_ids: vec![header.key],
            }
        }
        other => panic!("unknown kind {other}"),
    })
}

fn revocation_entries(vector: &Vector) -> Result<Vec<ListedRevocation>, Error> {
    vector
        .entries
        .iter()
        .flatten()
        .map(|entry| {
            Ok(ListedRevocation {
                sequence: entry["sequence"].as_u64().expect("sequence"),
                revocation: SignedRevocation::from_text(
                    entry["revocation"].as_str().expect("revocation text"),
                )?,
            })
        })
        .collect()
}

fn guardian_date_entries(vector: &Vector) -> Vec<GuardianDate> {
    vector
        .entries
        .iter()
        .flatten()
        .map(|entry| serde_json::from_value(entry.clone()).expect("a person and a moment"))
        .collect()
}

/// Runs a vector as `docs/protocol.md` ("Test vectors") says a runner does:
/// decode the text; decode what is presented beside it; load the keyring
/// and the signers' public keys (each key checked); verify at `now`.
/// Returns the decoded claims, or the first error.
pub fn check(vector: &Vector) -> Result<Value, Error> {
    let decoded = decode(vector)?;
    let revocations = match vector.kind.as_str() {
        "revocation-list" => revocation_entries(vector)?,
        _ => vec![],
    };
    let mut keyring = Keyring::new();
    for known in &vector.keyring {
        let id = keyring.add(PublicKey::from_hex(&known.public_key)?, known.holder);
        if known.revoked {
            keyring.revoke(id);
        }
    }
    for key in &vector.public_keys {
        PublicKey::from_hex(key)?;
    }
    for guardianship in &vector.guardianships {
        keyring.add_guardianship(guardianship.guardian, guardianship.child);
    }
    let (text, now) = (vector.text.as_str(), vector.now);
    match vector.kind.as_str() {
        "grant" => SignedGrant::from_text(text)?.verify(&keyring, now).map(drop)?,
        "revocation" => SignedRevocation::from_text(text)?
            .verify(&keyring, now)
            .map(drop)?,
        "receipt" => SignedReceipt::from_text(text)?.verify(&keyring).map(drop)?,
        "log-head" => SignedLogHead::from_text(text)?.verify(&keyring).map(drop)?,
        "revocation-list" => SignedRevocationList::from_text(text)?
            .verify_with_revocations(&keyring, &revocations, now)
            .map(drop)?,
        "guardian-dates" => SignedGuardianDates::from_text(text)?
            .verify(&keyring, &guardian_date_entries(vector))
            .map(drop)?,
        "request" => {
            let request = vector.request.as_ref().expect("a request vector has its request");
            DeviceAuthorization::parse(text)?
                .verify(
                    &keyring,
                    &request.method,
                    &request.path_and_query,
                    &hex::decode(&request.body).expect("hex body"),
                    now,
                )
                .map(drop)?
        }
        other => panic!("unknown kind {other}"),
    }
    Ok(decoded.claims)
}

pub fn hex_key(key: &SigningKey) -> String {
    hex::encode(PublicKey::of(key).to_bytes())
}

/// The key id of any 32 bytes, as the spec defines it, also for bytes that
/// are no acceptable key (so a vector can name a weak key's id).
pub fn raw_key_id(bytes: &[u8; 32]) -> KeyId {
    let digest = Sha256::new()
        .chain_update(b"school-consent/v1/key-id\0")
        .chain_update(bytes)
        .finalize();
    let mut id = [0u8; 8];
    id.copy_from_slice(&digest[..8]);
    KeyId::from_bytes(id)
}

/// The verifier's keyring in the shared world, with `revoked` cut off.
pub fn world_keyring(world: &World, revoked: &[&SigningKey]) -> Vec<KnownKey> {
    [
        (&world.student_key, KeyHolder::Person(world.student)),
        (&world.child_key, KeyHolder::Person(world.child)),
        (&world.parent_key, KeyHolder::Person(world.parent)),
        (&world.classmate_key, KeyHolder::Person(world.classmate)),
        (&world.server_key, KeyHolder::Server),
    ]
    .into_iter()
    .map(|(key, holder)| KnownKey {
        public_key: hex_key(key),
        holder,
        revoked: revoked.iter().any(|r| r.verifying_key() == key.verifying_key()),
    })
    .collect()
}

/// One vector in the making: the input; [`Case::build`] records the rest
/// by running it.
pub struct Case {
    description: String,
    kind: Kind,
    text: String,
    now: Timestamp,
    keyring: Vec<KnownKey>,
    entries: Option<Vec<Value>>,
    request: Option<RequestFields>,
    log: Option<LogChain>,
}

impl Case {
    pub fn new(world: &World, description: &str, kind: Kind, text: String) -> Self {
        Self {
            description: description.to_owned(),
            kind,
            text,
            now: world.now,
            keyring: world_keyring(world, &[]),
            entries: match kind {
                Kind::RevocationList => Some(revocation_list_entries(&world.listed_revocations())),
                Kind::GuardianDates => Some(guardian_dates_entries(&world.guardian_dates_entries())),
                _ => None,
            },
            request: None,
            log: None,
        }
    }

    pub fn now(mut self, now: u32) -> Self {
        self.now = Timestamp::from_unix(now);
        self
    }

    pub fn revoked(mut self, world: &World, revoked: &[&SigningKey]) -> Self {
        self.keyring = world_keyring(world, revoked);
        self
    }

    pub fn extra_key(mut self, public_key: String, holder: KeyHolder, revoked: bool) -> Self {
        self.keyring.push(KnownKey {
            public_key,
            holder,
            revoked,
        });
        self
    }

    pub fn entries(mut self, entries: Vec<Value>) -> Self {
        self.entries = Some(entries);
        self
    }

    pub fn request(mut self, method: &str, path_and_query: &str, body: &[u8]) -> Self {
        self.request = Some(RequestFields {
            method: method.to_owned(),
            path_and_query: path_and_query.to_owned(),
            body: hex::encode(body),
        });
        self
    }

    pub fn log(mut self, log: LogChain) -> Self {
        self.log = Some(log);
        self
    }

    /// Runs the case and records what the reference implementation says.
    pub fn build(self) -> Vector {
        let mut vector = Vector {
            description: self.description,
            kind: self.kind.name().to_owned(),
            text: self.text,
            now: self.now,
            public_keys: vec![],
            keyring: self.keyring,
            guardianships: vec![],
            signed_bytes: vec![],
            signatures: vec![],
            valid: false,
            error: None,
            decoded: None,
            entries: self.entries,
            request: self.request,
            log: self.log,
        };
        let world = World::new();
        vector.guardianships = vec![Guardianship {
            guardian: world.parent,
            child: world.child,
        }];
        if let Ok(decoded) = decode(&vector) {
            vector.signed_bytes = vec![hex::encode(&decoded.signed_bytes); decoded.signatures.len()];
            vector.signatures = decoded.signatures.iter().map(hex::encode).collect();
            let keyring = &vector.keyring;
            // The keys the signers' key ids name, as listed in the keyring.
            vector.public_keys = decoded
                .key_ids
                .iter()
                .filter_map(|id| {
                    keyring.iter().find(|known| {
                        hex::decode(&known.public_key)
                            .ok()
                            .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
                            .is_some_and(|bytes| raw_key_id(&bytes) == *id)
                    })
                })
                .map(|known| known.public_key.clone())
                .collect();
            vector.decoded = Some(decoded.claims);
        }
        match check(&vector) {
            Ok(_) => (vector.valid, vector.error) = (true, None),
            Err(error) => (vector.valid, vector.error) = (false, Some(error.code().to_owned())),
        }
        vector
    }
}

pub fn revocation_list_entries(listed: &[ListedRevocation]) -> Vec<Value> {
    listed
        .iter()
        .map(|entry| json!({"sequence": entry.sequence, "revocation": entry.revocation.to_text()}))
        .collect()
}

pub fn guardian_dates_entries(dates: &[GuardianDate]) -> Vec<Value> {
    dates.iter().map(claims_json).collect()
}

/// `bytes` with `offset` set to `value`.
pub fn with_byte(bytes: &[u8], offset: usize, value: u8) -> Vec<u8> {
    let mut changed = bytes.to_vec();
    changed[offset] = value;
    changed
}

/// `bytes` with the bytes at `offset` replaced by `values`.
pub fn with_bytes(bytes: &[u8], offset: usize, values: &[u8]) -> Vec<u8> {
    let mut changed = bytes.to_vec();
    changed[offset..offset + values.len()].copy_from_slice(values);
    changed
}

/// The group order L, little-endian.
pub const GROUP_ORDER: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// `bytes` whose last 32 bytes are a signature's `s`, with `s + L` instead:
/// the same signature under a lenient reader, refused as malleable here.
pub fn malleated(bytes: &[u8]) -> Vec<u8> {
    let mut changed = bytes.to_vec();
    let start = changed.len() - 32;
    let mut carry = 0u16;
    for (byte, l) in changed[start..].iter_mut().zip(GROUP_ORDER) {
        let sum = u16::from(*byte) + u16::from(l) + carry;
        *byte = sum as u8;
        carry = sum >> 8;
    }
    changed
}
