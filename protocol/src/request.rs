//! Signed HTTP requests: how a person's device proves who it is to the server
//! without a password.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::{Signature, SigningKey};
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::ids::{KeyId, SubjectId};
use crate::keys::{parse_signature, sign, KeyHolder, Keyring, PublicKey};
use crate::timestamp::Timestamp;
use crate::wire::Kind;

/// The scheme of a signed request's `Authorization` header, with its space.
pub const AUTHORIZATION_SCHEME: &str = "Consent-Device ";

/// The `Authorization` header of a signed request, read:
/// `Consent-Device key=<key id>, time=<unix seconds>, signature=<base64url>`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct DeviceAuthorization {
    /// The device key's id.
    pub key: KeyId,
    /// When the device signed.
    pub time: Timestamp,
    /// The signature, `R || s`, not yet checked.
    pub signature: [u8; 64],
}

impl DeviceAuthorization {
    /// Reads the header's value. The three parameters `key`, `time` and
    /// `signature` each come once, in any order, separated by commas with
    /// optional spaces or tabs around each; `key` is 16 lowercase hex
    /// digits, `time` 1 to 10 decimal digits up to 2^32 - 1, `signature`
    /// the 86 characters of unpadded, canonical base64url of 64 bytes.
    /// Anything else is `bad_encoding`.
    pub fn parse(value: &str) -> Result<Self, Error> {
        let params = value
            .strip_prefix(AUTHORIZATION_SCHEME)
            .ok_or(Error::BadEncoding)?;
        let (mut key, mut time, mut signature) = (None, None, None);
        for param in params.split(',') {
            let (name, text) = param
                .trim_matches([' ', '\t'])
                .split_once('=')
                .ok_or(Error::BadEncoding)?;
            match name {
                "key" => once(&mut key, text.parse::<KeyId>().map_err(|_| Error::BadEncoding)?)?,
                "time" => once(&mut time, parse_time(text)?)?,
                "signature" => once(&mut signature, parse_signature_text(text)?)?,
                _ => return Err(Error::BadEncoding),
            }
        }
        Ok(Self {
            key: key.ok_or(Error::BadEncoding)?,
            time: time.ok_or(Error::BadEncoding)?,
            signature: signature.ok_or(Error::BadEncoding)?,
        })
    }

    /// Checks the request this header came with, as the server does: the key
    /// is known, not revoked and a person's (`unknown_key`, `revoked_key`,
    /// `signer_not_authorized`), then [`verify_request`]. Returns the person.
    pub fn verify(
        &self,
        keyring: &Keyring,
        method: &str,
        path_and_query: &str,
        body: &[u8],
        now: Timestamp,
    ) -> Result<SubjectId, Error> {
        let key = keyring.active_key(&self.key)?;
        let KeyHolder::Person(person) = keyring.holder(&self.key)? else {
            return Err(Error::SignerNotAuthorized { role: "device" });
        };
        verify_request(key, method, path_and_query, self.time, body, &self.signature, now)?;
        Ok(person)
    }
}

/// Fills `slot`, refusing a parameter given twice.
fn once<T>(slot: &mut Option<T>, value: T) -> Result<(), Error> {
    match slot.replace(value) {
        None => Ok(()),
        Some(_) => Err(Error::BadEncoding),
    }
}

/// The header's `signature`: unpadded, canonical base64url of 64 bytes.
fn parse_signature_text(text: &str) -> Result<[u8; 64], Error> {
    URL_SAFE_NO_PAD
        .decode(text)
        .ok()
        .and_then(|bytes| <[u8; 64]>::try_from(bytes).ok())
        .ok_or(Error::BadEncoding)
}

/// The header's `time`: decimal digits only (no sign), at most ten.
fn parse_time(text: &str) -> Result<Timestamp, Error> {
    if text.is_empty() || text.len() > 10 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::BadEncoding);
    }
    text.parse::<u32>()
        .map(Timestamp::from_unix)
        .map_err(|_| Error::BadEncoding)
}

impl fmt::Display for DeviceAuthorization {
    /// The header's value, as [`Self::parse`] reads it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{AUTHORIZATION_SCHEME}key={}, time={}, signature={}",
            self.key,
            self.time.as_unix(),
            URL_SAFE_NO_PAD.encode(self.signature)
        )
    }
}

/// How far a request's time may lie from the server's clock, either way.
pub const MAX_REQUEST_AGE_SECONDS: u32 = 300;

/// The body that a request signature covers: the method, the path with its
/// query, the moment, and the SHA-256 of the request body, so a signature is
/// bound to one request within a short window.
fn request_body(method: &str, path_and_query: &str, time: Timestamp, body: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(method.len() + path_and_query.len() + 38);
    bytes.extend_from_slice(method.as_bytes());
    bytes.push(0);
    bytes.extend_from_slice(path_and_query.as_bytes());
    bytes.push(0);
    bytes.extend_from_slice(&time.as_unix().to_be_bytes());
    bytes.extend_from_slice(&Sha256::digest(body));
    bytes
}

/// The exact bytes a request signature covers, domain string included.
pub fn request_signed_message(method: &str, path_and_query: &str, time: Timestamp, body: &[u8]) -> Vec<u8> {
    crate::keys::signed_message(Kind::Request, &request_body(method, path_and_query, time, body))
}

/// Signs one request with a device key.
pub fn sign_request(
    key: &SigningKey,
    method: &str,
    path_and_query: &str,
    time: Timestamp,
    body: &[u8],
) -> Signature {
    sign(
        Kind::Request,
        &request_body(method, path_and_query, time, body),
        key,
    )
}

/// Verifies a request signature strictly and that the request was made within
/// [`MAX_REQUEST_AGE_SECONDS`] of `now`.
pub fn verify_request(
    key: &PublicKey,
    method: &str,
    path_and_query: &str,
    time: Timestamp,
    body: &[u8],
    signature: &[u8; 64],
    now: Timestamp,
) -> Result<(), Error> {
    if time > now.plus_seconds(MAX_REQUEST_AGE_SECONDS) {
        return Err(Error::IssuedInFuture);
    }
    if now > time.plus_seconds(MAX_REQUEST_AGE_SECONDS) {
        return Err(Error::Expired);
    }
    let signature = parse_signature(*signature)?;
    key.verify(
        Kind::Request,
        &request_body(method, path_and_query, time, body),
        &signature,
    )
}
