//! The one error type of the protocol: every decode or verify failure, each with a stable code.

use thiserror::Error;

/// Why a consent object was refused.
///
/// [`Error::code`] gives a stable, machine-readable code for each variant; the
/// codes are part of the protocol (see `docs/protocol.md`) and never change
/// meaning. The `Display` text is for people and may be reworded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Error {
    /// The text does not start with the `consent:` scheme prefix.
    #[error("not a consent code: the text must start with \"{expected}\"")]
    BadPrefix {
        /// The prefix that was expected.
        expected: &'static str,
    },
    /// The text after the prefix is not unpadded base64url.
    #[error("the code could not be read: it holds characters a consent code never has")]
    BadEncoding,
    /// The text or byte string is longer than any valid object.
    #[error("the code could not be read: {len} bytes is longer than any consent code ({max} at most)")]
    TooLong {
        /// Length received.
        len: usize,
        /// Largest length accepted.
        max: usize,
    },
    /// The bytes end before the object does.
    #[error("the code could not be read completely: it ends in the middle of the {field}")]
    Truncated {
        /// The field that was being read.
        field: &'static str,
    },
    /// Bytes remain after the object's last field.
    #[error("the code could not be read: it has {count} unexpected bytes after its end")]
    TrailingBytes {
        /// How many bytes remained.
        count: usize,
    },
    /// The version byte names a protocol version this software does not know.
    #[error("unknown protocol version {found}; this software understands version {supported}")]
    UnknownVersion {
        /// The version found.
        found: u8,
        /// The version this software speaks.
        supported: u8,
    },
    /// The object is of another kind than the one expected (for example a
    /// revocation presented where a grant was expected).
    #[error("this is a {found}, not a {expected}")]
    WrongKind {
        /// The kind that was expected.
        expected: &'static str,
        /// The kind found (or "unknown object").
        found: &'static str,
    },
    /// The bytes are not the one canonical encoding of the value.
    #[error("the code is not canonical: {rule}")]
    NonCanonical {
        /// The encoding rule that was broken.
        rule: &'static str,
    },
    /// The validity window ends before it starts.
    #[error("the validity window ends before it starts")]
    InvalidWindow,
    /// A signature's scalar `s` is not reduced modulo the group order, so the
    /// signature is a malleated copy of another one.
    #[error("a signature is malleable (its s value is not reduced)")]
    MalleableSignature,
    /// The bytes are not a valid Ed25519 public key encoding.
    #[error("the public key is not a valid Ed25519 point")]
    BadPublicKey,
    /// The public key has small order, so anything could verify under it.
    #[error("the public key is weak (small order) and is never accepted")]
    WeakKey,
    /// A signature does not verify.
    #[error("a signature does not match the content: the code was forged or altered")]
    BadSignature,
    /// The signing key is not known to the verifier.
    #[error("the code was signed by an unknown key")]
    UnknownKey,
    /// The signing key was cut off (for example a lost device).
    #[error("the code was signed by a key that has been revoked")]
    RevokedKey,
    /// The key is genuine but its holder may not sign in the role claimed
    /// (for example one student signing for another).
    #[error("the signer is not allowed to sign this in the role {role}")]
    SignerNotAuthorized {
        /// The role the signature claimed.
        role: &'static str,
    },
    /// The validity window has not started yet.
    #[error("the consent is not valid yet")]
    NotYetValid,
    /// The validity window has ended.
    #[error("the consent has expired")]
    Expired,
    /// The object claims to be issued later than now (beyond clock skew).
    #[error("the code claims to be issued in the future")]
    IssuedInFuture,
    /// A revocation of everything up to a moment names a moment after its
    /// own issue time: it would withdraw consent not given yet.
    #[error("the revocation withdraws consent up to a moment after it was made")]
    CutOffAfterIssue,
    /// The entries beside a signed list (a revocation-list page or the
    /// guardian dates) are not the ones the server signed for: one was
    /// added, altered, reordered or left out.
    #[error("the list does not match its signature: {rule}")]
    ListMismatch {
        /// What does not match.
        rule: &'static str,
    },
}

impl Error {
    /// Whether the text could not be read as the object at all (damaged,
    /// cut short, of another kind or version), as opposed to read and then
    /// refused (a signature, a key, the validity window). A damaged or badly
    /// scanned code is unreadable, which is not the same as forged: the
    /// answer to it is to scan again.
    pub fn unreadable(&self) -> bool {
        matches!(
            self,
            Error::BadPrefix { .. }
                | Error::BadEncoding
                | Error::TooLong { .. }
                | Error::Truncated { .. }
                | Error::TrailingBytes { .. }
                | Error::UnknownVersion { .. }
                | Error::WrongKind { .. }
                | Error::NonCanonical { .. }
        )
    }

    /// The stable, machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Error::BadPrefix { .. } => "bad_prefix",
            Error::BadEncoding => "bad_encoding",
            Error::TooLong { .. } => "too_long",
            Error::Truncated { .. } => "truncated",
            Error::TrailingBytes { .. } => "trailing_bytes",
            Error::UnknownVersion { .. } => "unknown_version",
            Error::WrongKind { .. } => "wrong_kind",
            Error::NonCanonical { .. } => "non_canonical",
            Error::InvalidWindow => "invalid_window",
            Error::MalleableSignature => "malleable_signature",
            Error::BadPublicKey => "bad_public_key",
            Error::WeakKey => "weak_key",
            Error::BadSignature => "bad_signature",
            Error::UnknownKey => "unknown_key",
            Error::RevokedKey => "revoked_key",
            Error::SignerNotAuthorized { .. } => "signer_not_authorized",
            Error::NotYetValid => "not_yet_valid",
            Error::Expired => "expired",
            Error::IssuedInFuture => "issued_in_future",
            Error::CutOffAfterIssue => "cut_off_after_issue",
            Error::ListMismatch { .. } => "list_mismatch",
        }
    }
}
