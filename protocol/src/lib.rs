//! The consent platform's protocol: every signed object, its one canonical
//! byte encoding, its QR text form, and its one verifier.
//!
//! The objects are the [`SignedGrant`] (a person's consent token), the
//! [`SignedRevocation`], the server's [`SignedReceipt`] for a check, and the
//! [`SignedLogHead`] of a school's audit log, and the server's
//! [`SignedRevocationList`] page and [`SignedGuardianDates`] for offline verifiers. `docs/protocol.md` specifies the
//! byte layouts; `protocol/vectors/v1.json` holds test vectors.
//!
//! The crate is pure: no I/O, no clock, no global randomness. Callers pass the
//! current time and a random generator where one is needed.

mod batch;
mod error;
mod grant;
mod guardian_dates;
mod ids;
mod keys;
mod log;
mod receipt;
mod request;
mod revocation;
mod revocation_list;
mod scope;
mod text;
mod timestamp;
mod wire;

pub use batch::{verify_grants, verify_grants_remembering, VerifiedSignatures};
pub use ed25519_dalek::{Signature, SigningKey};
pub use error::Error;
pub use grant::{Grant, GrantSigners, SignedGrant, MAX_CLOCK_SKEW_SECONDS};
pub use guardian_dates::{guardian_dates_digest, GuardianDate, GuardianDates, SignedGuardianDates};
pub use ids::{Hash256, KeyId, ParseIdError, ReceiptId, RevocationId, SchoolId, SubjectId, TokenId};
pub use keys::{signed_message, KeyHolder, Keyring, PublicKey, Role};
pub use log::{genesis_head, next_head, LogHead, SignedLogHead};
pub use receipt::{Outcome, Receipt, SignedReceipt, Verdict, MAX_VERDICTS};
pub use request::{
    request_signed_message, sign_request, verify_request, DeviceAuthorization, AUTHORIZATION_SCHEME,
    MAX_REQUEST_AGE_SECONDS,
};
pub use revocation::{Revocation, RevocationScope, SignedRevocation};
pub use revocation_list::{revocation_list_digest, ListedRevocation, RevocationList, SignedRevocationList};
pub use scope::{EmptySet, MediaKind, MediaSet, Purpose, PurposeSet, UnknownMediaKind, UnknownPurpose};
pub use text::{from_text, to_text, MAX_TEXT_LEN, PREFIX};
pub use timestamp::{OutOfRange, ParseTimestampError, Timestamp};
pub use wire::{Kind, VERSION};
