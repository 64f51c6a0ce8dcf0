//! The server's signed page of a school's revocation list.
//!
//! Each revocation is signed by whoever withdrew consent, so a verifier
//! cannot be fooled into honouring a forged one; but on its own that cannot
//! show that a revocation was *left out*. A signed page closes that gap: the
//! server commits to exactly which revocations the school's log holds in a
//! range of log positions, and to how long the log was when it signed, so an
//! offline verifier knows both that its copy is complete and how fresh it is.

use ed25519_dalek::{Signature, SigningKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::ids::{Hash256, KeyId, SchoolId};
use crate::keys::{parse_signature, sign, Keyring, PublicKey};
use crate::revocation::SignedRevocation;
use crate::text;
use crate::timestamp::Timestamp;
use crate::wire::{Kind, Reader, Writer};

const ENTRIES_DOMAIN: &[u8] = b"school-consent/v1/revocation-list-entries\0";

/// A revocation in the list, at its position in the school's audit log.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ListedRevocation {
    /// The revocation's position in the school's audit log.
    pub sequence: u64,
    /// The signed revocation.
    pub revocation: SignedRevocation,
}

/// The digest a list page commits to: SHA-256 over the entries domain string
/// and, for each entry in order, its sequence number (u64) and the SHA-256 of
/// the signed revocation's bytes.
pub fn revocation_list_digest(entries: &[ListedRevocation]) -> Hash256 {
    let mut digest = Sha256::new().chain_update(ENTRIES_DOMAIN);
    for entry in entries {
        let revocation_hash: [u8; 32] = Sha256::digest(entry.revocation.to_bytes()).into();
        digest.update(entry.sequence.to_be_bytes());
        digest.update(revocation_hash);
    }
    Hash256::from_bytes(digest.finalize().into())
}

/// The claims of one page of a school's revocation list, before the server
/// signs them: "these are all of the school's revocations at log positions
/// after `after`, up to and including `up_to`; the log then held `log_size`
/// entries".
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct RevocationList {
    /// The school whose revocations these are.
    pub school: SchoolId,
    /// The page covers log positions after this one.
    pub after: u64,
    /// The page covers log positions up to and including this one.
    pub up_to: u64,
    /// The size of the school's log when the server signed. When `up_to`
    /// equals it, the page is the last: nothing was left to fetch.
    pub log_size: u64,
    /// How many revocations the page holds.
    pub count: u32,
    /// [`revocation_list_digest`] of the page's revocations.
    pub entries: Hash256,
    /// When the server signed.
    pub signed_at: Timestamp,
    /// The server key that signs.
    pub key: KeyId,
}

impl RevocationList {
    /// The claims of the page holding `entries`, which must be every
    /// revocation at a log position in `after..=up_to`, in order.
    pub fn of_entries(
        school: SchoolId,
        after: u64,
        up_to: u64,
        log_size: u64,
        entries: &[ListedRevocation],
        signed_at: Timestamp,
        key: KeyId,
    ) -> Result<Self, Error> {
        let list = Self {
            school,
            after,
            up_to,
            log_size,
            count: u32::try_from(entries.len()).map_err(|_| Error::ListMismatch {
                rule: "a page holds at most 2^32 - 1 revocations",
            })?,
            entries: revocation_list_digest(entries),
            signed_at,
            key,
        };
        list.check_range()?;
        list.check_entries(entries)?;
        Ok(list)
    }

    /// Whether this is the last page: the server had nothing after `up_to`.
    pub fn is_complete(&self) -> bool {
        self.up_to == self.log_size
    }

    /// The canonical encoding of the claims: exactly what the signature
    /// covers, after the revocation-list domain string.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut writer = Writer::new(Kind::RevocationList);
        writer
            .u32(self.school.0)
            .u64(self.after)
            .u64(self.up_to)
            .u64(self.log_size)
            .u32(self.count)
            .bytes(self.entries.as_bytes())
            .u32(self.signed_at.as_unix())
            .bytes(self.key.as_bytes());
        writer.finish()
    }

    fn read(reader: &mut Reader<'_>) -> Result<Self, Error> {
        let list = Self {
            school: SchoolId(reader.u32("school id")?),
            after: reader.u64("first position")?,
            up_to: reader.u64("last position")?,
            log_size: reader.u64("log size")?,
            count: reader.u32("revocation count")?,
            entries: Hash256::from_bytes(reader.array("entries digest")?),
            signed_at: Timestamp::from_unix(reader.u32("signed at")?),
            key: KeyId::from_bytes(reader.array("server key id")?),
        };
        list.check_range()?;
        Ok(list)
    }

    fn check_range(&self) -> Result<(), Error> {
        if self.after > self.up_to || self.up_to > self.log_size {
            return Err(Error::NonCanonical {
                rule: "a list page covers after <= up_to <= log size",
            });
        }
        if u64::from(self.count) > self.up_to - self.after {
            return Err(Error::NonCanonical {
                rule: "a list page holds at most one revocation per log position",
            });
        }
        Ok(())
    }

    /// Checks that `entries` are exactly the revocations the page vouches
    /// for: as many, in increasing log positions inside the page's range, of
    /// the page's school, with the signed digest.
    fn check_entries(&self, entries: &[ListedRevocation]) -> Result<(), Error> {
        if entries.len() != self.count as usize {
            return Err(Error::ListMismatch {
                rule: "the page holds another number of revocations than the server signed",
            });
        }
        let mut previous = self.after;
        for entry in entries {
            if entry.sequence <= previous || entry.sequence > self.up_to {
                return Err(Error::ListMismatch {
                    rule: "revocations are in increasing log positions inside the page's range",
                });
            }
            if entry.revocation.unverified().school != self.school {
                return Err(Error::ListMismatch {
                    rule: "every revocation is of the page's school",
                });
            }
            previous = entry.sequence;
        }
        if revocation_list_digest(entries) != self.entries {
            return Err(Error::ListMismatch {
                rule: "the revocations are not the ones the server signed",
            });
        }
        Ok(())
    }
}

/// A page of the revocation list signed by the server.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SignedRevocationList {
    list: RevocationList,
    signature: Signature,
}

impl SignedRevocationList {
    /// Signs `list` with the server's `key`, which must be the key it names.
    pub fn sign(list: RevocationList, key: &SigningKey) -> Result<Self, Error> {
        if PublicKey::of(key).id() != list.key {
            return Err(Error::UnknownKey);
        }
        let signature = sign(Kind::RevocationList, &list.to_bytes(), key);
        Ok(Self { list, signature })
    }

    /// The claims. They are not verified until [`Self::verify`] says so.
    pub fn unverified(&self) -> &RevocationList {
        &self.list
    }

    /// The signature.
    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    /// The canonical encoding: the claims, then the signature.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = self.list.to_bytes();
        bytes.extend_from_slice(&self.signature.to_bytes());
        bytes
    }

    /// Decodes the canonical encoding; any other byte string is refused.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut reader = Reader::new(bytes, Kind::RevocationList)?;
        let list = RevocationList::read(&mut reader)?;
        let signature = parse_signature(reader.array("signature")?)?;
        reader.finish()?;
        Ok(Self { list, signature })
    }

    /// The text form: `consent:` and unpadded base64url of the bytes.
    pub fn to_text(&self) -> String {
        text::to_text(&self.to_bytes())
    }

    /// Reads a list page from its text form.
    pub fn from_text(text: &str) -> Result<Self, Error> {
        Self::from_bytes(&text::from_text(text)?)
    }

    /// Verifies the page as [`Self::verify`] does, then each revocation on it
    /// as [`SignedRevocation::verify`] does at `now`, in order, except that a
    /// key revoked since still counts: the server accepted the revocation
    /// while the key was active, and a withdrawal never becomes unsafe. This
    /// is the whole check an offline verifier makes of a page.
    pub fn verify_with_revocations(
        &self,
        keyring: &Keyring,
        entries: &[ListedRevocation],
        now: Timestamp,
    ) -> Result<&RevocationList, Error> {
        self.verify(keyring, entries)?;
        for entry in entries {
            entry.revocation.verify_listed(keyring, now)?;
        }
        Ok(&self.list)
    }

    /// Verifies the signature strictly against a server key in `keyring`,
    /// and that `entries` are exactly the revocations the server signed for:
    /// none added, altered, reordered or left out. Each revocation's own
    /// signature is checked by [`Self::verify_with_revocations`].
    pub fn verify(&self, keyring: &Keyring, entries: &[ListedRevocation]) -> Result<&RevocationList, Error> {
        keyring.server_key(&self.list.key)?.verify(
            Kind::RevocationList,
            &self.list.to_bytes(),
            &self.signature,
        )?;
        self.list.check_entries(entries)?;
        Ok(&self.list)
    }
}
