//! The server's signed list of when each person of a school stops needing a
//! guardian: the age rule, carried offline.
//!
//! An offline verifier cannot ask the server whether a person is under the
//! school's age of digital consent, and must not hold birth dates. So the
//! server hands it, per person, one moment: the person needs a guardian's
//! signature until then (the day they reach the consent age), and from then
//! on they decide alone. That one moment decides both directions of the rule:
//! before it a grant needs a guardian's signature; from it a grant signed by
//! a guardian alone is not enough. The server signs a digest of the whole
//! list, so an entry left out, added or altered in the cache is noticed.

use ed25519_dalek::{Signature, SigningKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::ids::{Hash256, KeyId, SchoolId, SubjectId};
use crate::keys::{parse_signature, sign, Keyring, PublicKey};
use crate::text;
use crate::timestamp::Timestamp;
use crate::wire::{Kind, Reader, Writer};

const ENTRIES_DOMAIN: &[u8] = b"school-consent/v1/guardian-dates-entries\0";

/// One person's line: they need a guardian's signature until `until`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct GuardianDate {
    /// The person.
    pub person: SubjectId,
    /// Before this moment a grant for them needs a guardian's signature; from
    /// it on they decide alone. [`GuardianDate::ALWAYS`] when their birth
    /// date is unknown (a missing record never skips a parent's consent).
    pub until: Timestamp,
}

impl GuardianDate {
    /// "Always needs a guardian": the last moment a timestamp can name.
    pub const ALWAYS: Timestamp = Timestamp::from_unix(u32::MAX);

    /// Whether the person needs a guardian's signature at `now`.
    pub fn needs_guardian(&self, now: Timestamp) -> bool {
        now < self.until
    }
}

/// The digest a guardian-dates list commits to: SHA-256 over the entries
/// domain string and, for each entry in order, the person's id (16 bytes)
/// and `until` (u32).
pub fn guardian_dates_digest(entries: &[GuardianDate]) -> Hash256 {
    let mut digest = Sha256::new().chain_update(ENTRIES_DOMAIN);
    for entry in entries {
        digest.update(entry.person.as_bytes());
        digest.update(entry.until.as_unix().to_be_bytes());
    }
    Hash256::from_bytes(digest.finalize().into())
}

/// The claims of a school's guardian-dates list, before the server signs
/// them: "these are, for every person of the school, the moments until which
/// they need a guardian, under a consent age of `consent_age`".
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct GuardianDates {
    /// The school.
    pub school: SchoolId,
    /// The school's age of digital consent when the server signed.
    pub consent_age: u8,
    /// How many people the list holds.
    pub count: u32,
    /// [`guardian_dates_digest`] of the entries.
    pub entries: Hash256,
    /// When the server signed: how fresh the list is.
    pub signed_at: Timestamp,
    /// The server key that signs.
    pub key: KeyId,
}

impl GuardianDates {
    /// The claims of the list holding `entries`, which must be sorted by
    /// person id, each person once.
    pub fn of_entries(
        school: SchoolId,
        consent_age: u8,
        entries: &[GuardianDate],
        signed_at: Timestamp,
        key: KeyId,
    ) -> Result<Self, Error> {
        let list = Self {
            school,
            consent_age,
            count: u32::try_from(entries.len()).map_err(|_| Error::ListMismatch {
                rule: "a list holds at most 2^32 - 1 people",
            })?,
            entries: guardian_dates_digest(entries),
            signed_at,
            key,
        };
        list.check_entries(entries)?;
        Ok(list)
    }

    /// The canonical encoding of the claims: exactly what the signature
    /// covers, after the guardian-dates domain string.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut writer = Writer::new(Kind::GuardianDates);
        writer
            .u32(self.school.0)
            .u8(self.consent_age)
            .u32(self.count)
            .bytes(self.entries.as_bytes())
            .u32(self.signed_at.as_unix())
            .bytes(self.key.as_bytes());
        writer.finish()
    }

    fn read(reader: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(Self {
            school: SchoolId(reader.u32("school id")?),
            consent_age: reader.u8("consent age")?,
            count: reader.u32("person count")?,
            entries: Hash256::from_bytes(reader.array("entries digest")?),
            signed_at: Timestamp::from_unix(reader.u32("signed at")?),
            key: KeyId::from_bytes(reader.array("server key id")?),
        })
    }

    /// Checks that `entries` are exactly the ones signed for: as many, each
    /// person once in increasing id order, with the signed digest.
    fn check_entries(&self, entries: &[GuardianDate]) -> Result<(), Error> {
        if entries.len() != self.count as usize {
            return Err(Error::ListMismatch {
                rule: "the list holds another number of people than the server signed",
            });
        }
        if entries
            .windows(2)
            .any(|pair| pair[0].person.as_bytes() >= pair[1].person.as_bytes())
        {
            return Err(Error::ListMismatch {
                rule: "people are in increasing id order, each once",
            });
        }
        if guardian_dates_digest(entries) != self.entries {
            return Err(Error::ListMismatch {
                rule: "the dates are not the ones the server signed",
            });
        }
        Ok(())
    }
}

/// A school's guardian-dates list signed by the server.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SignedGuardianDates {
    list: GuardianDates,
    signature: Signature,
}

impl SignedGuardianDates {
    /// Signs `list` with the server's `key`, which must be the key it names.
    pub fn sign(list: GuardianDates, key: &SigningKey) -> Result<Self, Error> {
        if PublicKey::of(key).id() != list.key {
            return Err(Error::UnknownKey);
        }
        let signature = sign(Kind::GuardianDates, &list.to_bytes(), key);
        Ok(Self { list, signature })
    }

    /// The claims. They are not verified until [`Self::verify`] says so.
    pub fn unverified(&self) -> &GuardianDates {
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
        let mut reader = Reader::new(bytes, Kind::GuardianDates)?;
        let list = GuardianDates::read(&mut reader)?;
        let signature = parse_signature(reader.array("signature")?)?;
        reader.finish()?;
        Ok(Self { list, signature })
    }

    /// The text form: `consent:` and unpadded base64url of the bytes.
    pub fn to_text(&self) -> String {
        text::to_text(&self.to_bytes())
    }

    /// Reads a list from its text form.
    pub fn from_text(text: &str) -> Result<Self, Error> {
        Self::from_bytes(&text::from_text(text)?)
    }

    /// Verifies the signature strictly against a server key in `keyring`,
    /// and that `entries` are exactly the ones the server signed for: none
    /// added, altered, reordered or left out.
    pub fn verify(&self, keyring: &Keyring, entries: &[GuardianDate]) -> Result<&GuardianDates, Error> {
        keyring.server_key(&self.list.key)?.verify(
            Kind::GuardianDates,
            &self.list.to_bytes(),
            &self.signature,
        )?;
        self.list.check_entries(entries)?;
        Ok(&self.list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeyHolder;

    fn world() -> (SigningKey, Keyring, Vec<GuardianDate>, SignedGuardianDates) {
        let server = SigningKey::from_bytes(&[1; 32]);
        let mut keyring = Keyring::new();
        keyring.add(PublicKey::of(&server), KeyHolder::Server);
        let entries = vec![
            GuardianDate {
                person: SubjectId::from_bytes([1; 16]),
                until: Timestamp::from_unix(1_900_000_000),
            },
            GuardianDate {
                person: SubjectId::from_bytes([2; 16]),
                until: GuardianDate::ALWAYS,
            },
        ];
        let list = GuardianDates::of_entries(
            SchoolId(7),
            16,
            &entries,
            Timestamp::from_unix(1_800_000_000),
            PublicKey::of(&server).id(),
        )
        .expect("entries are sorted");
        let signed = SignedGuardianDates::sign(list, &server).expect("key matches");
        (server, keyring, entries, signed)
    }

    #[test]
    fn a_whole_list_verifies_and_round_trips() {
        let (_, keyring, entries, signed) = world();
        assert!(signed.verify(&keyring, &entries).is_ok());
        assert_eq!(SignedGuardianDates::from_text(&signed.to_text()), Ok(signed));
    }

    #[test]
    fn a_list_with_a_person_left_out_moved_or_altered_is_refused() {
        let (_, keyring, entries, signed) = world();
        let left_out = &entries[..1];
        let mut moved = entries.clone();
        moved[0].until = Timestamp::from_unix(0);
        let mut reordered = entries.clone();
        reordered.reverse();
        for wrong in [left_out.to_vec(), moved, reordered] {
            assert_eq!(
                signed.verify(&keyring, &wrong).map(|_| ()).map_err(|e| e.code()),
                Err("list_mismatch")
            );
        }
    }

    #[test]
    fn a_list_signed_by_a_person_is_refused() {
        let (_, mut keyring, entries, signed) = world();
        let student = SigningKey::from_bytes(&[2; 32]);
        keyring.add(
            PublicKey::of(&student),
            KeyHolder::Person(SubjectId::from_bytes([1; 16])),
        );
        let mut claims = signed.unverified().clone();
        claims.key = PublicKey::of(&student).id();
        let forged = SignedGuardianDates::sign(claims, &student).expect("key matches");
        assert!(forged.verify(&keyring, &entries).is_err());
    }

    #[test]
    fn a_person_needs_a_guardian_until_the_moment_and_not_from_it() {
        let (_, _, entries, _) = world();
        let until = entries[0].until;
        assert!(entries[0].needs_guardian(Timestamp::from_unix(until.as_unix() - 1)));
        assert!(!entries[0].needs_guardian(until));
        assert!(entries[1].needs_guardian(Timestamp::from_unix(u32::MAX - 1)));
    }
}
