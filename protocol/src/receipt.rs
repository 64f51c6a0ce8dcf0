//! The server's signed decision on one check: may these people appear in this
//! recording, for this purpose?

use ed25519_dalek::{Signature, SigningKey};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::ids::{Hash256, KeyId, ReceiptId, SchoolId, SubjectId, TokenId};
use crate::keys::{parse_signature, sign, Keyring, PublicKey};
use crate::scope::{MediaKind, Purpose};
use crate::text;
use crate::timestamp::Timestamp;
use crate::wire::{Kind, Reader, Writer};

/// The most people one receipt can name: a whole year group on one photo.
pub const MAX_VERDICTS: usize = 2000;

/// The verdict for one person: allowed, or why not.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A valid consent covers this media kind and purpose.
    Allowed,
    /// The person has never given consent for this school.
    NoConsent,
    /// The consent that would cover this was withdrawn.
    Revoked,
    /// The consent that would cover this has expired.
    Expired,
    /// The consent that would cover this has not started yet.
    NotYetValid,
    /// Consent exists, but not for this kind of recording.
    WrongMediaKind,
    /// Consent exists, but not for this purpose.
    WrongPurpose,
    /// The person is under the age of digital consent and no guardian signed.
    GuardianMissing,
    /// The consent was signed on a device that the school has since cut off
    /// as lost or stolen: its signatures cannot be told apart from a
    /// finder's, so the person gives consent again from their new device.
    DeviceLost,
    /// The person has reached the age of digital consent and decides alone;
    /// the consent was signed by a guardian alone, and the person has not
    /// given it themselves.
    StudentMustConfirm,
}

impl Outcome {
    const ALL: [Outcome; 10] = [
        Outcome::Allowed,
        Outcome::NoConsent,
        Outcome::Revoked,
        Outcome::Expired,
        Outcome::NotYetValid,
        Outcome::WrongMediaKind,
        Outcome::WrongPurpose,
        Outcome::GuardianMissing,
        Outcome::DeviceLost,
        Outcome::StudentMustConfirm,
    ];

    /// The one-byte code in a receipt.
    pub const fn byte(self) -> u8 {
        match self {
            Outcome::Allowed => 0,
            Outcome::NoConsent => 1,
            Outcome::Revoked => 2,
            Outcome::Expired => 3,
            Outcome::NotYetValid => 4,
            Outcome::WrongMediaKind => 5,
            Outcome::WrongPurpose => 6,
            Outcome::GuardianMissing => 7,
            Outcome::DeviceLost => 8,
            Outcome::StudentMustConfirm => 9,
        }
    }

    fn from_byte(byte: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|outcome| outcome.byte() == byte)
    }

    /// The stable code, as in JSON: `allowed`, `no_consent`, `revoked`, ...
    pub const fn code(self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::NoConsent => "no_consent",
            Outcome::Revoked => "revoked",
            Outcome::Expired => "expired",
            Outcome::NotYetValid => "not_yet_valid",
            Outcome::WrongMediaKind => "wrong_media_kind",
            Outcome::WrongPurpose => "wrong_purpose",
            Outcome::GuardianMissing => "guardian_missing",
            Outcome::DeviceLost => "device_lost",
            Outcome::StudentMustConfirm => "student_must_confirm",
        }
    }
}

/// The verdict on one person in a checked recording.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Verdict {
    /// The person.
    pub subject: SubjectId,
    /// Allowed, or why not.
    pub outcome: Outcome,
    /// The token the verdict rests on: always present when allowed, and
    /// present otherwise when a token came close (revoked, expired, ...).
    pub token: Option<TokenId>,
}

/// The claims of a decision receipt, before the server signs them.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Receipt {
    /// The receipt's random id.
    pub id: ReceiptId,
    /// The school that checked.
    pub school: SchoolId,
    /// When the check was made.
    pub checked_at: Timestamp,
    /// SHA-256 of the media file (the media itself never reaches the server).
    pub media_hash: Hash256,
    /// The kind of recording.
    pub media_kind: MediaKind,
    /// The intended use.
    pub purpose: Purpose,
    /// One verdict per person, sorted by person id, each person once.
    pub verdicts: Vec<Verdict>,
    /// The server key that signs the receipt.
    pub key: KeyId,
}

impl Receipt {
    /// Whether every person in the recording may appear.
    pub fn all_allowed(&self) -> bool {
        self.verdicts
            .iter()
            .all(|verdict| verdict.outcome == Outcome::Allowed)
    }

    /// The canonical encoding of the claims: exactly what the signature
    /// covers, after the receipt domain string.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut writer = Writer::new(Kind::Receipt);
        writer
            .bytes(self.id.as_bytes())
            .u32(self.school.0)
            .u32(self.checked_at.as_unix())
            .bytes(self.media_hash.as_bytes())
            .u8(self.media_kind.bit())
            .u8(self.purpose.bit())
            .u16(self.verdicts.len() as u16);
        for verdict in &self.verdicts {
            writer
                .bytes(verdict.subject.as_bytes())
                .u8(verdict.outcome.byte());
            match verdict.token {
                Some(token) => writer.u8(1).bytes(token.as_bytes()),
                None => writer.u8(0),
            };
        }
        writer.bytes(self.key.as_bytes());
        writer.finish()
    }

    /// Checks the rules that make the encoding canonical.
    fn check_canonical(&self) -> Result<(), Error> {
        if self.verdicts.is_empty() || self.verdicts.len() > MAX_VERDICTS {
            return Err(Error::NonCanonical {
                rule: "a receipt names between 1 and 2000 people",
            });
        }
        if self
            .verdicts
            .windows(2)
            .any(|pair| pair[0].subject >= pair[1].subject)
        {
            return Err(Error::NonCanonical {
                rule: "verdicts are sorted by person id, each person once",
            });
        }
        if self
            .verdicts
            .iter()
            .any(|verdict| verdict.outcome == Outcome::Allowed && verdict.token.is_none())
        {
            return Err(Error::NonCanonical {
                rule: "an allowed verdict names its token",
            });
        }
        Ok(())
    }

    fn read(reader: &mut Reader<'_>) -> Result<Self, Error> {
        let id = ReceiptId::from_bytes(reader.array("receipt id")?);
        let school = SchoolId(reader.u32("school id")?);
        let checked_at = Timestamp::from_unix(reader.u32("checked at")?);
        let media_hash = Hash256::from_bytes(reader.array("media hash")?);
        let media_kind = MediaKind::from_bit(reader.u8("media kind")?).ok_or(Error::NonCanonical {
            rule: "the media kind is 0 (photo), 1 (video) or 2 (audio)",
        })?;
        let purpose = Purpose::from_bit(reader.u8("purpose")?).ok_or(Error::NonCanonical {
            rule: "the purpose is below 16",
        })?;
        let count = usize::from(reader.u16("verdict count")?);
        let mut verdicts = Vec::with_capacity(count.min(MAX_VERDICTS));
        for _ in 0..count.min(MAX_VERDICTS + 1) {
            let subject = SubjectId::from_bytes(reader.array("verdict person")?);
            let outcome = Outcome::from_byte(reader.u8("verdict outcome")?).ok_or(Error::NonCanonical {
                rule: "the outcome is a known code from 0 to 9",
            })?;
            let token = match reader.u8("verdict token flag")? {
                0 => None,
                1 => Some(TokenId::from_bytes(reader.array("verdict token")?)),
                _ => {
                    return Err(Error::NonCanonical {
                        rule: "the token flag is 0 or 1",
                    })
                }
            };
            verdicts.push(Verdict {
                subject,
                outcome,
                token,
            });
        }
        let key = KeyId::from_bytes(reader.array("server key id")?);
        let receipt = Self {
            id,
            school,
            checked_at,
            media_hash,
            media_kind,
            purpose,
            verdicts,
            key,
        };
        receipt.check_canonical()?;
        Ok(receipt)
    }
}

/// A decision receipt signed by the server.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SignedReceipt {
    receipt: Receipt,
    signature: Signature,
}

impl SignedReceipt {
    /// Sorts the verdicts by person and signs with the server's `key`, which
    /// must be the key the receipt names. Refuses a receipt that names a
    /// person twice, no one, more than [`MAX_VERDICTS`] people, or an allowed
    /// verdict without its token.
    pub fn sign(mut receipt: Receipt, key: &SigningKey) -> Result<Self, Error> {
        if PublicKey::of(key).id() != receipt.key {
            return Err(Error::UnknownKey);
        }
        receipt.verdicts.sort_by_key(|verdict| verdict.subject);
        receipt.check_canonical()?;
        let signature = sign(Kind::Receipt, &receipt.to_bytes(), key);
        Ok(Self { receipt, signature })
    }

    /// The claims. They are not verified until [`Self::verify`] says so.
    pub fn unverified(&self) -> &Receipt {
        &self.receipt
    }

    /// The signature.
    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    /// The canonical encoding: the claims, then the signature.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = self.receipt.to_bytes();
        bytes.extend_from_slice(&self.signature.to_bytes());
        bytes
    }

    /// Decodes the canonical encoding; any other byte string is refused.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut reader = Reader::new(bytes, Kind::Receipt)?;
        let receipt = Receipt::read(&mut reader)?;
        let signature = parse_signature(reader.array("signature")?)?;
        reader.finish()?;
        Ok(Self { receipt, signature })
    }

    /// The text form: `consent:` and unpadded base64url of the bytes.
    pub fn to_text(&self) -> String {
        text::to_text(&self.to_bytes())
    }

    /// Reads a receipt from its text form.
    pub fn from_text(text: &str) -> Result<Self, Error> {
        Self::from_bytes(&text::from_text(text)?)
    }

    /// Verifies the signature strictly against a server key in `keyring`.
    pub fn verify(&self, keyring: &Keyring) -> Result<&Receipt, Error> {
        keyring.server_key(&self.receipt.key)?.verify(
            Kind::Receipt,
            &self.receipt.to_bytes(),
            &self.signature,
        )?;
        Ok(&self.receipt)
    }
}
