//! The consent grant token: who consents, to what, for how long, signed by
//! the person and, for a young child, a guardian.

use ed25519_dalek::{Signature, SigningKey};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::ids::{KeyId, SchoolId, SubjectId, TokenId};
use crate::keys::{parse_signature, sign, Keyring, PublicKey, Role};
use crate::scope::{MediaSet, PurposeSet};
use crate::text;
use crate::timestamp::Timestamp;
use crate::wire::{Kind, Reader, Writer};

/// How far a signer's clock may run ahead of the verifier's before an
/// `issued_at` counts as in the future.
pub const MAX_CLOCK_SKEW_SECONDS: u32 = 300;

/// Who signs a grant. One QR code always carries the whole token, so a
/// guardian's co-signature travels inside it.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "by")]
pub enum GrantSigners {
    /// The person consents for themselves.
    Subject {
        /// The person's device key.
        key: KeyId,
    },
    /// A guardian consents for a child who has no key of their own.
    Guardian {
        /// The guardian's device key.
        key: KeyId,
    },
    /// The person signs and a guardian co-signs (a child under the age of
    /// digital consent with a device of their own).
    SubjectAndGuardian {
        /// The person's device key; signs first.
        subject: KeyId,
        /// The guardian's device key; signs second.
        guardian: KeyId,
    },
}

impl GrantSigners {
    /// The signers in signing order, each with the role it signs in.
    pub fn in_order(&self) -> Vec<(Role, KeyId)> {
        match *self {
            GrantSigners::Subject { key } => vec![(Role::Subject, key)],
            GrantSigners::Guardian { key } => vec![(Role::Guardian, key)],
            GrantSigners::SubjectAndGuardian { subject, guardian } => {
                vec![(Role::Subject, subject), (Role::Guardian, guardian)]
            }
        }
    }

    /// Whether a guardian signs the grant.
    pub fn has_guardian(&self) -> bool {
        !matches!(self, GrantSigners::Subject { .. })
    }

    /// Whether the person themselves signs the grant.
    pub fn has_subject(&self) -> bool {
        !matches!(self, GrantSigners::Guardian { .. })
    }
}

/// What a person consents to: the claims of a grant token, before signing.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Grant {
    /// The token's random id.
    pub token_id: TokenId,
    /// The school the consent is given to.
    pub school: SchoolId,
    /// The person who may be recorded (pseudonymous).
    pub subject: SubjectId,
    /// The kinds of recording allowed.
    pub media: MediaSet,
    /// The uses allowed.
    pub purposes: PurposeSet,
    /// When the token was made.
    pub issued_at: Timestamp,
    /// First moment the consent holds.
    pub not_before: Timestamp,
    /// Last moment the consent holds.
    pub not_after: Timestamp,
    /// Who signs.
    pub signers: GrantSigners,
}

impl Grant {
    /// The canonical encoding of the claims: exactly what every signer signs,
    /// after the grant domain string.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut writer = Writer::new(Kind::Grant);
        writer
            .bytes(self.token_id.as_bytes())
            .u32(self.school.0)
            .bytes(self.subject.as_bytes())
            .u8(self.media.bits())
            .u16(self.purposes.bits())
            .u32(self.issued_at.as_unix())
            .u32(self.not_before.as_unix())
            .u32(self.not_after.as_unix());
        let signers = self.signers.in_order();
        writer.u8(signers.len() as u8);
        for (role, key) in signers {
            writer.u8(role.byte()).bytes(key.as_bytes());
        }
        writer.finish()
    }

    /// Decodes claims encoded by [`Self::to_bytes`] (a grant waiting for a
    /// co-signature travels as these bytes); any other byte string is refused.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut reader = Reader::new(bytes, Kind::Grant)?;
        let grant = Self::read(&mut reader)?;
        reader.finish()?;
        Ok(grant)
    }

    /// One signer's signature over the claims, for a signer who co-signs a
    /// grant that another device made.
    pub fn signature(&self, key: &SigningKey) -> Signature {
        sign(Kind::Grant, &self.to_bytes(), key)
    }

    fn read(reader: &mut Reader<'_>) -> Result<Self, Error> {
        let token_id = TokenId::from_bytes(reader.array("token id")?);
        let school = SchoolId(reader.u32("school id")?);
        let subject = SubjectId::from_bytes(reader.array("subject id")?);
        let media = MediaSet::from_bits(reader.u8("media kinds")?).ok_or(Error::NonCanonical {
            rule: "media kinds must be a non-empty set of photo, video and audio",
        })?;
        let purposes = PurposeSet::from_bits(reader.u16("purposes")?).ok_or(Error::NonCanonical {
            rule: "purposes must not be empty",
        })?;
        let issued_at = Timestamp::from_unix(reader.u32("issued at")?);
        let not_before = Timestamp::from_unix(reader.u32("not before")?);
        let not_after = Timestamp::from_unix(reader.u32("not after")?);
        if not_after < not_before {
            return Err(Error::InvalidWindow);
        }
        let count = reader.u8("signer count")?;
        let mut signers = Vec::with_capacity(2);
        for _ in 0..count.min(2) {
            let role = reader.u8("signer role")?;
            let key = KeyId::from_bytes(reader.array("signer key id")?);
            signers.push((Role::from_byte(role), key));
        }
        let signers = match (count, signers.as_slice()) {
            (1, [(Some(Role::Subject), key)]) => GrantSigners::Subject { key: *key },
            (1, [(Some(Role::Guardian), key)]) => GrantSigners::Guardian { key: *key },
            (2, [(Some(Role::Subject), subject), (Some(Role::Guardian), guardian)])
                if subject != guardian =>
            {
                GrantSigners::SubjectAndGuardian {
                    subject: *subject,
                    guardian: *guardian,
                }
            }
            _ => {
                return Err(Error::NonCanonical {
                    rule: "a grant is signed by the subject, a guardian, or the subject then a guardian with another key",
                })
            }
        };
        Ok(Self {
            token_id,
            school,
            subject,
            media,
            purposes,
            issued_at,
            not_before,
            not_after,
            signers,
        })
    }

    /// Checks the validity window against `now`.
    pub fn check_window(&self, now: Timestamp) -> Result<(), Error> {
        if self.issued_at > now.plus_seconds(MAX_CLOCK_SKEW_SECONDS) {
            Err(Error::IssuedInFuture)
        } else if now < self.not_before {
            Err(Error::NotYetValid)
        } else if now > self.not_after {
            Err(Error::Expired)
        } else {
            Ok(())
        }
    }
}

/// A grant with all its signatures: the consent token a QR code carries.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SignedGrant {
    grant: Grant,
    signatures: Vec<Signature>,
}

impl SignedGrant {
    /// Signs `grant` with `keys`, one per signer, in signing order.
    ///
    /// Refuses keys that do not match the grant's signers and an invalid
    /// validity window, so that every token made here also decodes.
    pub fn sign(grant: Grant, keys: &[&SigningKey]) -> Result<Self, Error> {
        let signers = grant.signers.in_order();
        if signers.len() != keys.len()
            || signers
                .iter()
                .zip(keys)
                .any(|((_, id), key)| PublicKey::of(key).id() != *id)
        {
            return Err(Error::UnknownKey);
        }
        let signatures = keys.iter().map(|key| grant.signature(key)).collect();
        Self::from_parts(grant, signatures)
    }

    /// Joins claims and signatures made on different devices (a child's and a
    /// guardian's), in signing order. Signatures are checked by [`Self::verify`].
    pub fn from_parts(grant: Grant, signatures: Vec<Signature>) -> Result<Self, Error> {
        if grant.not_after < grant.not_before {
            return Err(Error::InvalidWindow);
        }
        if signatures.len() != grant.signers.in_order().len() {
            return Err(Error::NonCanonical {
                rule: "a grant carries one signature per signer",
            });
        }
        for signature in &signatures {
            parse_signature(signature.to_bytes())?;
        }
        Ok(Self { grant, signatures })
    }

    /// The claims. They are not verified until [`Self::verify`] says so.
    pub fn unverified(&self) -> &Grant {
        &self.grant
    }

    /// The signatures, in signing order.
    pub fn signatures(&self) -> &[Signature] {
        &self.signatures
    }

    /// The canonical encoding: the claims, then each signature.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = self.grant.to_bytes();
        for signature in &self.signatures {
            bytes.extend_from_slice(&signature.to_bytes());
        }
        bytes
    }

    /// Decodes the canonical encoding; any other byte string is refused.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut reader = Reader::new(bytes, Kind::Grant)?;
        let grant = Grant::read(&mut reader)?;
        let mut signatures = Vec::with_capacity(2);
        for _ in grant.signers.in_order() {
            signatures.push(parse_signature(reader.array("signature")?)?);
        }
        reader.finish()?;
        Ok(Self { grant, signatures })
    }

    /// The QR text: `consent:` and unpadded base64url of the bytes.
    pub fn to_text(&self) -> String {
        text::to_text(&self.to_bytes())
    }

    /// Reads a token from its QR text.
    pub fn from_text(text: &str) -> Result<Self, Error> {
        Self::from_bytes(&text::from_text(text)?)
    }

    /// Verifies every signature strictly against keys in `keyring` held by the
    /// subject or their guardian, and the validity window against `now`.
    /// Returns the claims only when all of it holds.
    pub fn verify(&self, keyring: &Keyring, now: Timestamp) -> Result<&Grant, Error> {
        let body = self.grant.to_bytes();
        for ((role, key_id), signature) in self.grant.signers.in_order().into_iter().zip(&self.signatures) {
            keyring
                .signer_key(&key_id, role, self.grant.subject)?
                .verify(Kind::Grant, &body, signature)?;
        }
        self.grant.check_window(now)?;
        Ok(&self.grant)
    }
}
