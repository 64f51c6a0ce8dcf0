//! The audit log's hash chain and its signed head.
//!
//! Each school's log is a chain: the head after n entries is
//! SHA-256(`school-consent/v1/log-entry` || 0x00 || previous head || n as u64
//! || SHA-256(entry)), starting from a genesis head bound to the school. A
//! signed head commits the server to the log's size and head; anyone holding
//! the entries can recompute the chain and compare.

use ed25519_dalek::{Signature, SigningKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::ids::{Hash256, KeyId, SchoolId};
use crate::keys::{parse_signature, sign, Keyring, PublicKey};
use crate::text;
use crate::timestamp::Timestamp;
use crate::wire::{Kind, Reader, Writer};

const GENESIS_DOMAIN: &[u8] = b"school-consent/v1/log-genesis\0";
const ENTRY_DOMAIN: &[u8] = b"school-consent/v1/log-entry\0";

/// The head of a school's empty log.
pub fn genesis_head(school: SchoolId) -> Hash256 {
    let digest = Sha256::new()
        .chain_update(GENESIS_DOMAIN)
        .chain_update(school.0.to_be_bytes())
        .finalize();
    Hash256::from_bytes(digest.into())
}

/// The head after appending `entry` as the entry with 1-based position
/// `position` to a log whose head was `previous`.
pub fn next_head(previous: &Hash256, position: u64, entry: &[u8]) -> Hash256 {
    let entry_hash: [u8; 32] = Sha256::digest(entry).into();
    let digest = Sha256::new()
        .chain_update(ENTRY_DOMAIN)
        .chain_update(previous.as_bytes())
        .chain_update(position.to_be_bytes())
        .chain_update(entry_hash)
        .finalize();
    Hash256::from_bytes(digest.into())
}

/// The claims of a log head, before the server signs them.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct LogHead {
    /// The school whose log this is.
    pub school: SchoolId,
    /// How many entries the log holds.
    pub size: u64,
    /// The chain head after the last entry.
    pub head: Hash256,
    /// When the server signed.
    pub signed_at: Timestamp,
    /// The server key that signs.
    pub key: KeyId,
}

impl LogHead {
    /// The canonical encoding of the claims: exactly what the signature
    /// covers, after the log-head domain string.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut writer = Writer::new(Kind::LogHead);
        writer
            .u32(self.school.0)
            .u64(self.size)
            .bytes(self.head.as_bytes())
            .u32(self.signed_at.as_unix())
            .bytes(self.key.as_bytes());
        writer.finish()
    }

    fn read(reader: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(Self {
            school: SchoolId(reader.u32("school id")?),
            size: reader.u64("log size")?,
            head: Hash256::from_bytes(reader.array("head hash")?),
            signed_at: Timestamp::from_unix(reader.u32("signed at")?),
            key: KeyId::from_bytes(reader.array("server key id")?),
        })
    }
}

/// A log head signed by the server.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SignedLogHead {
    head: LogHead,
    signature: Signature,
}

impl SignedLogHead {
    /// Signs `head` with the server's `key`, which must be the key it names.
    pub fn sign(head: LogHead, key: &SigningKey) -> Result<Self, Error> {
        if PublicKey::of(key).id() != head.key {
            return Err(Error::UnknownKey);
        }
        let signature = sign(Kind::LogHead, &head.to_bytes(), key);
        Ok(Self { head, signature })
    }

    /// The claims. They are not verified until [`Self::verify`] says so.
    pub fn unverified(&self) -> &LogHead {
        &self.head
    }

    /// The signature.
    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    /// The canonical encoding: the claims, then the signature.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = self.head.to_bytes();
        bytes.extend_from_slice(&self.signature.to_bytes());
        bytes
    }

    /// Decodes the canonical encoding; any other byte string is refused.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut reader = Reader::new(bytes, Kind::LogHead)?;
        let head = LogHead::read(&mut reader)?;
        let signature = parse_signature(reader.array("signature")?)?;
        reader.finish()?;
        Ok(Self { head, signature })
    }

    /// The text form: `consent:` and unpadded base64url of the bytes.
    pub fn to_text(&self) -> String {
        text::to_text(&self.to_bytes())
    }

    /// Reads a log head from its text form.
    pub fn from_text(text: &str) -> Result<Self, Error> {
        Self::from_bytes(&text::from_text(text)?)
    }

    /// Verifies the signature strictly against a server key in `keyring`.
    pub fn verify(&self, keyring: &Keyring) -> Result<&LogHead, Error> {
        keyring
            .server_key(&self.head.key)?
            .verify(Kind::LogHead, &self.head.to_bytes(), &self.signature)?;
        Ok(&self.head)
    }
}
