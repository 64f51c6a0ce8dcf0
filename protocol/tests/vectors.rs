//! The published test vectors (`protocol/vectors/v1.json`): the file is what
//! this code generates, and every vector decodes and verifies as it says.
//!
//! Regenerate after a deliberate protocol change with
//! `UPDATE_VECTORS=1 cargo test -p consent-protocol --test vectors`.

mod common;

use common::*;
use consent_protocol::*;
use ed25519_dalek::Signer;
use serde::{Deserialize, Serialize};
use serde_json::Value;

const VECTORS_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/vectors/v1.json");

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Vector {
    description: String,
    kind: String,
    text: String,
    /// The moment the verifier checks at.
    now: Timestamp,
    /// The signers' public keys, in signing order.
    public_keys: Vec<String>,
    /// What the verifier knows: keys, their holders, and which are revoked.
    keyring: Vec<KnownKey>,
    /// Which person may sign as guardian for which child.
    guardianships: Vec<Guardianship>,
    /// Per signature: the exact bytes it covers, domain string included.
    signed_bytes: Vec<String>,
    signatures: Vec<String>,
    valid: bool,
    error: Option<String>,
    /// The decoded claims, for objects that decode.
    decoded: Option<Value>,
    /// For a revocation-list page: the revocations presented with it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    entries: Vec<VectorEntry>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct VectorEntry {
    sequence: u64,
    revocation: String,
}

fn vector_entries(listed: &[ListedRevocation]) -> Vec<VectorEntry> {
    listed
        .iter()
        .map(|entry| VectorEntry {
            sequence: entry.sequence,
            revocation: entry.revocation.to_text(),
        })
        .collect()
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct KnownKey {
    public_key: String,
    holder: KeyHolder,
    revoked: bool,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Guardianship {
    guardian: SubjectId,
    child: SubjectId,
}

/// The small-order point with y = 1 (the identity), a weak public key.
fn weak_key_hex() -> String {
    let mut identity = [0u8; 32];
    identity[0] = 1;
    hex::encode(identity)
}

fn world_keyring(world: &World, revoked: &[&SigningKey]) -> Vec<KnownKey> {
    [
        (&world.student_key, KeyHolder::Person(world.student)),
        (&world.child_key, KeyHolder::Person(world.child)),
        (&world.parent_key, KeyHolder::Person(world.parent)),
        (&world.classmate_key, KeyHolder::Person(world.classmate)),
        (&world.server_key, KeyHolder::Server),
    ]
    .into_iter()
    .map(|(key, holder)| KnownKey {
        public_key: hex::encode(PublicKey::of(key).to_bytes()),
        holder,
        revoked: revoked.iter().any(|r| r.verifying_key() == key.verifying_key()),
    })
    .collect()
}

/// The kind's decoder, returning the claims as JSON, the signed message and
/// signatures, and the verification result.
struct Decoded {
    claims: Value,
    signed_bytes: Vec<u8>,
    signatures: Vec<Signature>,
    key_ids: Vec<KeyId>,
}

fn decode(kind: &str, text: &str) -> Result<Decoded, Error> {
    let json = |value: &dyn erased::Serializable| value.to_json();
    Ok(match kind {
        "grant" => {
            let token = SignedGrant::from_text(text)?;
            let grant = token.unverified();
            Decoded {
                claims: json(grant),
                signed_bytes: signed_message(Kind::Grant, &grant.to_bytes()),
                signatures: token.signatures().to_vec(),
                key_ids: grant.signers.in_order().into_iter().map(|(_, id)| id).collect(),
            }
        }
        "revocation" => {
            let signed = SignedRevocation::from_text(text)?;
            let revocation = signed.unverified();
            Decoded {
                claims: json(revocation),
                signed_bytes: signed_message(Kind::Revocation, &revocation.to_bytes()),
                signatures: vec![*signed.signature()],
                key_ids: vec![revocation.key],
            }
        }
        "receipt" => {
            let signed = SignedReceipt::from_text(text)?;
            let receipt = signed.unverified();
            Decoded {
                claims: json(receipt),
                signed_bytes: signed_message(Kind::Receipt, &receipt.to_bytes()),
                signatures: vec![*signed.signature()],
                key_ids: vec![receipt.key],
            }
        }
        "revocation-list" => {
            let signed = SignedRevocationList::from_text(text)?;
            let list = signed.unverified();
            Decoded {
                claims: json(list),
                signed_bytes: signed_message(Kind::RevocationList, &list.to_bytes()),
                signatures: vec![*signed.signature()],
                key_ids: vec![list.key],
            }
        }
        "log-head" => {
            let signed = SignedLogHead::from_text(text)?;
            let head = signed.unverified();
            Decoded {
                claims: json(head),
                signed_bytes: signed_message(Kind::LogHead, &head.to_bytes()),
                signatures: vec![*signed.signature()],
                key_ids: vec![head.key],
            }
        }
        other => panic!("unknown kind {other}"),
    })
}

mod erased {
    pub trait Serializable {
        fn to_json(&self) -> serde_json::Value;
    }
    impl<T: serde::Serialize> Serializable for T {
        fn to_json(&self) -> serde_json::Value {
            serde_json::to_value(self).expect("claims serialize")
        }
    }
}

/// Runs the whole verification a vector describes, as a verifier in another
/// language would: decode, parse the keys, build the keyring, verify.
fn check(vector: &Vector) -> Result<Value, Error> {
    let decoded = decode(&vector.kind, &vector.text)?;
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
    let now = vector.now;
    match vector.kind.as_str() {
        "grant" => SignedGrant::from_text(&vector.text)?
            .verify(&keyring, now)
            .map(|_| ())?,
        "revocation" => SignedRevocation::from_text(&vector.text)?
            .verify(&keyring, now)
            .map(|_| ())?,
        "receipt" => SignedReceipt::from_text(&vector.text)?
            .verify(&keyring)
            .map(|_| ())?,
        "revocation-list" => {
            let entries = vector
                .entries
                .iter()
                .map(|entry| {
                    Ok(ListedRevocation {
                        sequence: entry.sequence,
                        revocation: SignedRevocation::from_text(&entry.revocation)?,
                    })
                })
                .collect::<Result<Vec<_>, Error>>()?;
            SignedRevocationList::from_text(&vector.text)?
                .verify(&keyring, &entries)
                .map(|_| ())?
        }
        _ => SignedLogHead::from_text(&vector.text)?
            .verify(&keyring)
            .map(|_| ())?,
    }
    Ok(decoded.claims)
}

fn vector(description: &str, kind: Kind, text: String, world: &World, revoked: &[&SigningKey]) -> Vector {
    vector_with_keys(
        description,
        kind,
        text,
        world,
        world_keyring(world, revoked),
        None,
    )
}

fn vector_with_keys(
    description: &str,
    kind: Kind,
    text: String,
    world: &World,
    keyring: Vec<KnownKey>,
    public_keys: Option<Vec<String>>,
) -> Vector {
    let mut vector = Vector {
        description: description.to_owned(),
        kind: kind.name().to_owned(),
        text,
        now: world.now,
        public_keys: vec![],
        keyring,
        guardianships: vec![Guardianship {
            guardian: world.parent,
            child: world.child,
        }],
        signed_bytes: vec![],
        signatures: vec![],
        valid: false,
        error: None,
        decoded: None,
        entries: match kind {
            Kind::RevocationList => vector_entries(&world.listed_revocations()),
            _ => vec![],
        },
    };
    if let Ok(decoded) = decode(&vector.kind, &vector.text) {
        vector.signed_bytes = vec![hex::encode(&decoded.signed_bytes); decoded.signatures.len()];
        vector.signatures = decoded
            .signatures
            .iter()
            .map(|s| hex::encode(s.to_bytes()))
            .collect();
        vector.public_keys = public_keys.unwrap_or_else(|| {
            decoded
                .key_ids
                .iter()
                .filter_map(|id| {
                    vector
                        .keyring
                        .iter()
                        .find(|known| PublicKey::from_hex(&known.public_key).is_ok_and(|key| key.id() == *id))
                })
                .map(|known| known.public_key.clone())
                .collect()
        });
        vector.decoded = Some(decoded.claims);
    }
    judge(&mut vector);
    vector
}

/// Records whether the vector verifies, and if not, why.
fn judge(vector: &mut Vector) {
    match check(vector) {
        Ok(_) => (vector.valid, vector.error) = (true, None),
        Err(error) => (vector.valid, vector.error) = (false, Some(error.code().to_owned())),
    }
}

fn build_vectors() -> Vec<Vector> {
    let world = World::new();
    let grant = world.signed_student_grant();
    let grant_bytes = grant.to_bytes();
    let mut vectors = vec![
        vector(
            "valid grant: photo and video, website and yearbook, signed by the student",
            Kind::Grant,
            grant.to_text(),
            &world,
            &[],
        ),
        vector(
            "valid grant of a child, signed by the child and co-signed by a guardian",
            Kind::Grant,
            world.signed_child_grant().to_text(),
            &world,
            &[],
        ),
        {
            let by_guardian = Grant {
                token_id: TokenId::from_bytes([0x21; 16]),
                signers: GrantSigners::Guardian {
                    key: PublicKey::of(&world.parent_key).id(),
                },
                ..world.child_grant()
            };
            let token = SignedGrant::sign(by_guardian, &[&world.parent_key]).expect("keys match");
            vector(
                "valid grant of a child without a device, issued by a guardian alone",
                Kind::Grant,
                token.to_text(),
                &world,
                &[],
            )
        },
        vector(
            "valid revocation of one token by the student",
            Kind::Revocation,
            world.student_revocation().to_text(),
            &world,
            &[],
        ),
        {
            let all = Revocation {
                id: RevocationId::from_bytes([0x31; 16]),
                subject: world.child,
                scope: RevocationScope::AllIssuedUpTo(world.now),
                issued_at: world.now,
                role: Role::School,
                key: PublicKey::of(&world.server_key).id(),
                ..world.student_revocation().unverified().clone()
            };
            let signed = SignedRevocation::sign(all, &world.server_key).expect("key matches");
            vector(
                "valid revocation of all of a child's tokens, by the school",
                Kind::Revocation,
                signed.to_text(),
                &world,
                &[],
            )
        },
        vector(
            "valid decision receipt: one person allowed, one without consent",
            Kind::Receipt,
            world.receipt().to_text(),
            &world,
            &[],
        ),
        {
            let mut receipt = world.receipt().unverified().clone();
            receipt.id = ReceiptId::from_bytes([0x41; 16]);
            receipt.verdicts[0].outcome = Outcome::DeviceLost;
            receipt.verdicts[1] = Verdict {
                outcome: Outcome::StudentMustConfirm,
                token: Some(TokenId::from_bytes([0x22; 16])),
                ..receipt.verdicts[1]
            };
            let signed = SignedReceipt::sign(receipt, &world.server_key).expect("key matches");
            vector(
                "valid decision receipt: one consent signed on a device since reported lost, one given by a \
                 guardian alone for a person now old enough to decide",
                Kind::Receipt,
                signed.to_text(),
                &world,
                &[],
            )
        },
        vector(
            "valid signed log head after three entries",
            Kind::LogHead,
            world.log_head().to_text(),
            &world,
            &[],
        ),
        vector(
            "valid revocation-list page: the one revocation of a log of five entries",
            Kind::RevocationList,
            world.revocation_list().to_text(),
            &world,
            &[],
        ),
    ];

    // Invalid vectors.
    let mut tampered = grant_bytes.clone();
    tampered[39..41].copy_from_slice(&0b10_0000u16.to_be_bytes()); // purposes: press
    vectors.push(vector(
        "invalid: purposes changed to press after signing",
        Kind::Grant,
        to_text(&tampered),
        &world,
        &[],
    ));

    let wrong_signer = {
        let signature = world
            .classmate_key
            .sign(&signed_message(Kind::Grant, &world.student_grant().to_bytes()));
        SignedGrant::from_parts(world.student_grant(), vec![signature]).expect("well-formed")
    };
    vectors.push(vector(
        "invalid: signed with another person's key than the one it names",
        Kind::Grant,
        wrong_signer.to_text(),
        &world,
        &[],
    ));

    let stranger = {
        let stranger_key = key(99);
        let grant = Grant {
            signers: GrantSigners::Subject {
                key: PublicKey::of(&stranger_key).id(),
            },
            ..world.student_grant()
        };
        SignedGrant::sign(grant, &[&stranger_key]).expect("keys match")
    };
    vectors.push(vector(
        "invalid: signed by a key the school never registered",
        Kind::Grant,
        stranger.to_text(),
        &world,
        &[],
    ));

    let classmate_signs = {
        let grant = Grant {
            signers: GrantSigners::Subject {
                key: PublicKey::of(&world.classmate_key).id(),
            },
            ..world.student_grant()
        };
        SignedGrant::sign(grant, &[&world.classmate_key]).expect("keys match")
    };
    vectors.push(vector(
        "invalid: a classmate signs a grant for the student",
        Kind::Grant,
        classmate_signs.to_text(),
        &world,
        &[],
    ));

    vectors.push(vector(
        "invalid: the student's device key was revoked",
        Kind::Grant,
        grant.to_text(),
        &world,
        &[&world.student_key],
    ));

    vectors.push(vector(
        "invalid: truncated (last byte missing)",
        Kind::Grant,
        to_text(&grant_bytes[..grant_bytes.len() - 1]),
        &world,
        &[],
    ));

    let mut trailing = grant_bytes.clone();
    trailing.push(0);
    vectors.push(vector(
        "invalid: a byte after the end",
        Kind::Grant,
        to_text(&trailing),
        &world,
        &[],
    ));

    let mut unknown_media = grant_bytes.clone();
    unknown_media[38] |= 0b1000;
    vectors.push(vector(
        "invalid: non-canonical, an unknown media kind bit is set",
        Kind::Grant,
        to_text(&unknown_media),
        &world,
        &[],
    ));

    let mut text = grant.to_text();
    text.pop();
    text.push('B'); // the last character carries 4 unused bits, which must be zero
    vectors.push(vector(
        "invalid: non-canonical base64url, non-zero unused bits in the last character",
        Kind::Grant,
        text,
        &world,
        &[],
    ));

    vectors.push(vector(
        "invalid: wrong scheme prefix",
        Kind::Grant,
        grant.to_text().replacen("consent:", "consnet:", 1),
        &world,
        &[],
    ));

    let mut version_two = grant_bytes.clone();
    version_two[0] = 2;
    vectors.push(vector(
        "invalid: unknown protocol version 2",
        Kind::Grant,
        to_text(&version_two),
        &world,
        &[],
    ));

    let cross_kind = {
        let signature = world.student_key.sign(&signed_message(
            Kind::Revocation,
            &world.student_grant().to_bytes(),
        ));
        SignedGrant::from_parts(world.student_grant(), vec![signature]).expect("well-formed")
    };
    vectors.push(vector(
        "invalid: the grant's claims signed under the revocation domain",
        Kind::Grant,
        cross_kind.to_text(),
        &world,
        &[],
    ));

    vectors.push(vector(
        "invalid: a receipt presented as a grant",
        Kind::Grant,
        world.receipt().to_text(),
        &world,
        &[],
    ));

    let weak = {
        let weak_id = PublicKey::from_hex(&weak_key_hex()).map(|k| k.id());
        assert_eq!(weak_id, Err(Error::WeakKey));
        // The key id of a weak key can never be computed from a parsed key, so
        // the token names an arbitrary id; the verifier refuses the key itself.
        let grant = Grant {
            signers: GrantSigners::Subject {
                key: KeyId::from_bytes([0x01; 8]),
            },
            ..world.student_grant()
        };
        let mut signature = [0u8; 64];
        signature[0] = 1; // R = identity, s = 0: verifies under the identity key
        SignedGrant::from_parts(grant, vec![Signature::from_bytes(&signature)]).expect("well-formed")
    };
    let mut weak_keyring = world_keyring(&world, &[]);
    weak_keyring.push(KnownKey {
        public_key: weak_key_hex(),
        holder: KeyHolder::Person(world.student),
        revoked: false,
    });
    vectors.push(vector_with_keys(
        "invalid: signed under a small-order public key (R = identity, s = 0)",
        Kind::Grant,
        weak.to_text(),
        &world,
        weak_keyring,
        Some(vec![weak_key_hex()]),
    ));

    let mut malleated = grant_bytes.clone();
    let s_start = malleated.len() - 32;
    let mut carry = 0u16;
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    for (byte, l) in malleated[s_start..].iter_mut().zip(L) {
        let sum = u16::from(*byte) + u16::from(l) + carry;
        *byte = sum as u8;
        carry = sum >> 8;
    }
    vectors.push(vector(
        "invalid: malleable signature, s + L instead of s",
        Kind::Grant,
        to_text(&malleated),
        &world,
        &[],
    ));

    let expired = World {
        now: Timestamp::from_unix(UNTIL + 1),
        ..World::new()
    };
    vectors.push(vector(
        "invalid: checked one second after the consent ended",
        Kind::Grant,
        grant.to_text(),
        &expired,
        &[],
    ));

    let early = World {
        now: Timestamp::from_unix(ISSUED - 1),
        ..World::new()
    };
    vectors.push(vector(
        "invalid: checked one second before the consent starts",
        Kind::Grant,
        grant.to_text(),
        &early,
        &[],
    ));

    let not_guardian = {
        let grant = Grant {
            subject: world.student,
            signers: GrantSigners::Guardian {
                key: PublicKey::of(&world.parent_key).id(),
            },
            ..world.student_grant()
        };
        SignedGrant::sign(grant, &[&world.parent_key]).expect("keys match")
    };
    vectors.push(vector(
        "invalid: signed as guardian by a parent of another child",
        Kind::Grant,
        not_guardian.to_text(),
        &world,
        &[],
    ));

    let future_cut_off = Revocation {
        id: RevocationId::from_bytes([0x32; 16]),
        scope: RevocationScope::AllIssuedUpTo(Timestamp::from_unix(4_102_444_800)),
        ..world.student_revocation().unverified().clone()
    };
    vectors.push(vector(
        "invalid: a revocation of everything up to 2100, a moment after its own issue time",
        Kind::Revocation,
        SignedRevocation::sign(future_cut_off, &world.student_key)
            .expect("key matches")
            .to_text(),
        &world,
        &[],
    ));

    let mut forged_receipt = world.receipt().to_bytes();
    let outcome = 2 + 16 + 4 + 4 + 32 + 1 + 1 + 2 + 16 + 16 + 1 + 16; // second verdict's outcome
    forged_receipt[outcome] = Outcome::Allowed.byte();
    vectors.push(vector(
        "invalid: receipt altered to allow a person without consent",
        Kind::Receipt,
        to_text(&forged_receipt),
        &world,
        &[],
    ));

    let mut forged_head = world.log_head().to_bytes();
    forged_head[13] = 2; // size 3 -> 2: an entry dropped
    vectors.push(vector(
        "invalid: log head altered to claim one entry fewer",
        Kind::LogHead,
        to_text(&forged_head),
        &world,
        &[],
    ));

    let mut omitted = vector(
        "invalid: revocation-list page presented with its revocation left out",
        Kind::RevocationList,
        world.revocation_list().to_text(),
        &world,
        &[],
    );
    omitted.entries.clear();
    judge(&mut omitted);
    vectors.push(omitted);

    let mut forged_list = world.revocation_list().to_bytes();
    forged_list[2 + 4 + 8 + 7] = 3; // up_to 5 -> 3: the page claims to cover less
    vectors.push(vector(
        "invalid: revocation-list page altered to cover fewer log positions",
        Kind::RevocationList,
        to_text(&forged_list),
        &world,
        &[],
    ));

    vectors
}

#[test]
fn published_vectors_are_the_generated_ones() {
    let generated = serde_json::to_string_pretty(&build_vectors()).expect("vectors serialize") + "\n";
    if std::env::var_os("UPDATE_VECTORS").is_some() {
        std::fs::write(VECTORS_PATH, &generated).expect("write vectors");
    }
    let published = std::fs::read_to_string(VECTORS_PATH).expect("vectors file exists");
    assert!(
        published == generated,
        "protocol/vectors/v1.json is out of date; regenerate it with UPDATE_VECTORS=1 after a deliberate change"
    );
}

#[test]
fn every_published_vector_verifies_as_it_says() {
    let published = std::fs::read_to_string(VECTORS_PATH).expect("vectors file exists");
    let vectors: Vec<Vector> = serde_json::from_str(&published).expect("vectors parse");
    assert!(vectors.len() >= 20);
    for vector in &vectors {
        let result = check(vector);
        match (&result, vector.valid, &vector.error) {
            (Ok(claims), true, None) => assert_eq!(Some(claims), vector.decoded.as_ref()),
            (Err(error), false, Some(code)) => assert_eq!(error.code(), code, "{}", vector.description),
            _ => panic!("{}: got {result:?}", vector.description),
        }
        // The signed bytes and signatures stand on their own: a bare Ed25519
        // verification over `signed_bytes` with `public_keys` agrees.
        if vector.valid {
            assert_eq!(vector.signatures.len(), vector.public_keys.len());
            for ((message, signature), key) in vector
                .signed_bytes
                .iter()
                .zip(&vector.signatures)
                .zip(&vector.public_keys)
            {
                let key = PublicKey::from_hex(key).expect("valid key");
                let key = ed25519_dalek::VerifyingKey::from_bytes(&key.to_bytes()).expect("valid key");
                let signature: [u8; 64] = hex::decode(signature).expect("hex").try_into().expect("64 bytes");
                key.verify_strict(
                    &hex::decode(message).expect("hex"),
                    &Signature::from_bytes(&signature),
                )
                .unwrap_or_else(|_| panic!("{}: bare verification failed", vector.description));
            }
        }
    }
    let codes: std::collections::BTreeSet<_> = vectors.iter().filter_map(|v| v.error.as_deref()).collect();
    for required in [
        "bad_signature",
        "unknown_key",
        "truncated",
        "non_canonical",
        "wrong_kind",
        "weak_key",
        "malleable_signature",
        "expired",
        "revoked_key",
        "signer_not_authorized",
        "bad_encoding",
        "list_mismatch",
    ] {
        assert!(codes.contains(required), "no vector for {required}");
    }
}
