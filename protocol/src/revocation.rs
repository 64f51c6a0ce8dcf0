//! Withdrawing consent: one token, or every token a person issued up to a moment.

use ed25519_dalek::{Signature, SigningKey};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::grant::{Grant, MAX_CLOCK_SKEW_SECONDS};
use crate::ids::{KeyId, RevocationId, SchoolId, SubjectId, TokenId};
use crate::keys::{parse_signature, sign, Keyring, PublicKey, Role};
use crate::text;
use crate::timestamp::Timestamp;
use crate::wire::{Kind, Reader, Writer};

/// Which of a person's tokens a revocation withdraws.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "type", content = "value")]
pub enum RevocationScope {
    /// The one token with this id.
    Token(TokenId),
    /// Every token of the person issued at or before this moment.
    AllIssuedUpTo(Timestamp),
}

/// The claims of a revocation, before signing.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Revocation {
    /// The revocation's random id.
    pub id: RevocationId,
    /// The school the consent was given to.
    pub school: SchoolId,
    /// The person whose consent is withdrawn.
    pub subject: SubjectId,
    /// Which tokens are withdrawn.
    pub scope: RevocationScope,
    /// When the revocation was made.
    pub issued_at: Timestamp,
    /// The capacity the signer acts in: the subject, a guardian, or the school.
    pub role: Role,
    /// The signing key.
    pub key: KeyId,
}

const SCOPE_TOKEN: u8 = 1;
const SCOPE_ALL: u8 = 2;

impl Revocation {
    /// The canonical encoding of the claims: exactly what the signature
    /// covers, after the revocation domain string.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut writer = Writer::new(Kind::Revocation);
        writer
            .bytes(self.id.as_bytes())
            .u32(self.school.0)
            .bytes(self.subject.as_bytes());
        match self.scope {
            RevocationScope::Token(token) => writer.u8(SCOPE_TOKEN).bytes(token.as_bytes()),
            RevocationScope::AllIssuedUpTo(moment) => writer.u8(SCOPE_ALL).u32(moment.as_unix()),
        };
        writer
            .u32(self.issued_at.as_unix())
            .u8(self.role.byte())
            .bytes(self.key.as_bytes());
        writer.finish()
    }

    /// Whether this revocation withdraws `grant`, by what the signer signed:
    /// the token it names, or every token issued at or before its cut-off.
    ///
    /// The cut-off never counts beyond the revocation's own issue time, so
    /// that a revocation dated into the future (which [`SignedRevocation::verify`]
    /// refuses) cannot withdraw consent given after it either.
    pub fn withdraws(&self, grant: &Grant) -> bool {
        self.school == grant.school
            && self.subject == grant.subject
            && match self.scope {
                RevocationScope::Token(token) => token == grant.token_id,
                RevocationScope::AllIssuedUpTo(moment) => grant.issued_at <= moment.min(self.issued_at),
            }
    }

    fn read(reader: &mut Reader<'_>) -> Result<Self, Error> {
        let id = RevocationId::from_bytes(reader.array("revocation id")?);
        let school = SchoolId(reader.u32("school id")?);
        let subject = SubjectId::from_bytes(reader.array("subject id")?);
        let scope = match reader.u8("scope")? {
            SCOPE_TOKEN => RevocationScope::Token(TokenId::from_bytes(reader.array("token id")?)),
            SCOPE_ALL => RevocationScope::AllIssuedUpTo(Timestamp::from_unix(reader.u32("cut-off moment")?)),
            _ => {
                return Err(Error::NonCanonical {
                    rule: "the scope is 1 (one token) or 2 (all tokens up to a moment)",
                })
            }
        };
        let issued_at = Timestamp::from_unix(reader.u32("issued at")?);
        let role = Role::from_byte(reader.u8("signer role")?).ok_or(Error::NonCanonical {
            rule: "the signer role is 0 (subject), 1 (guardian) or 2 (school)",
        })?;
        let key = KeyId::from_bytes(reader.array("signer key id")?);
        Ok(Self {
            id,
            school,
            subject,
            scope,
            issued_at,
            role,
            key,
        })
    }
}

/// A signed revocation.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SignedRevocation {
    revocation: Revocation,
    signature: Signature,
}

impl SignedRevocation {
    /// Signs `revocation` with `key`, which must be the key it names.
    pub fn sign(revocation: Revocation, key: &SigningKey) -> Result<Self, Error> {
        if PublicKey::of(key).id() != revocation.key {
            return Err(Error::UnknownKey);
        }
        let signature = sign(Kind::Revocation, &revocation.to_bytes(), key);
        Ok(Self {
            revocation,
            signature,
        })
    }

    /// The claims. They are not verified until [`Self::verify`] says so.
    pub fn unverified(&self) -> &Revocation {
        &self.revocation
    }

    /// The signature.
    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    /// The canonical encoding: the claims, then the signature.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = self.revocation.to_bytes();
        bytes.extend_from_slice(&self.signature.to_bytes());
        bytes
    }

    /// Decodes the canonical encoding; any other byte string is refused.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut reader = Reader::new(bytes, Kind::Revocation)?;
        let revocation = Revocation::read(&mut reader)?;
        let signature = parse_signature(reader.array("signature")?)?;
        reader.finish()?;
        Ok(Self {
            revocation,
            signature,
        })
    }

    /// The text form: `consent:` and unpadded base64url of the bytes.
    pub fn to_text(&self) -> String {
        text::to_text(&self.to_bytes())
    }

    /// Reads a revocation from its text form.
    pub fn from_text(text: &str) -> Result<Self, Error> {
        Self::from_bytes(&text::from_text(text)?)
    }

    /// Verifies the signature strictly, against a key in `keyring` that may
    /// act in the claimed role for the subject; that the revocation is not
    /// dated in the future; and that a cut-off lies at or before its own
    /// issue time (a revocation withdraws consent given so far, never consent
    /// still to come). A revocation never expires.
    pub fn verify(&self, keyring: &Keyring, now: Timestamp) -> Result<&Revocation, Error> {
        let revocation = &self.revocation;
        keyring.active_key(&revocation.key)?;
        self.verify_listed(keyring, now)
    }

    /// As [`Self::verify`], for a revocation the server listed on a signed
    /// page: a key revoked since still counts (see `docs/protocol.md`).
    pub(crate) fn verify_listed(&self, keyring: &Keyring, now: Timestamp) -> Result<&Revocation, Error> {
        let revocation = &self.revocation;
        keyring
            .known_signer_key(&revocation.key, revocation.role, revocation.subject)?
            .verify(Kind::Revocation, &revocation.to_bytes(), &self.signature)?;
        if revocation.issued_at > now.plus_seconds(MAX_CLOCK_SKEW_SECONDS) {
            return Err(Error::IssuedInFuture);
        }
        if let RevocationScope::AllIssuedUpTo(moment) = revocation.scope {
            if moment > revocation.issued_at {
                return Err(Error::CutOffAfterIssue);
            }
        }
        Ok(revocation)
    }
}
