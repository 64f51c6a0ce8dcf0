//! Signed HTTP requests: how a person's device proves who it is to the server
//! without a password.

use ed25519_dalek::{Signature, SigningKey};
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::keys::{parse_signature, sign, PublicKey};
use crate::timestamp::Timestamp;
use crate::wire::Kind;

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
