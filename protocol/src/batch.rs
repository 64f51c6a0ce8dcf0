//! Verifying a whole class's tokens at once, as a check of a class photo does.

use ed25519_dalek::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::grant::SignedGrant;
use crate::keys::{has_strict_r, signed_message, Keyring};
use crate::timestamp::Timestamp;
use crate::wire::Kind;

/// Verifies many tokens, returning one result per token, in order, each the
/// same as [`SignedGrant::verify`] would give.
///
/// All signatures are first checked together with Ed25519 batch verification,
/// which is faster than one by one. Batch verification does not itself check
/// what `verify_strict` checks, so keys are strict by construction
/// ([`crate::PublicKey`]) and every signature's R is checked to be canonical
/// and of large order before it joins the batch. If the batch fails, every
/// token is verified on its own to find the ones at fault.
pub fn verify_grants(tokens: &[SignedGrant], keyring: &Keyring, now: Timestamp) -> Vec<Result<(), Error>> {
    let mut results: Vec<Option<Result<(), Error>>> = Vec::with_capacity(tokens.len());
    let mut messages: Vec<Vec<u8>> = Vec::new();
    let mut signatures: Vec<Signature> = Vec::new();
    let mut keys: Vec<VerifyingKey> = Vec::new();
    for token in tokens {
        match batchable(token, keyring) {
            Some(parts) => {
                for (message, signature, key) in parts {
                    messages.push(message);
                    signatures.push(signature);
                    keys.push(key);
                }
                results.push(None);
            }
            // A token that cannot join the batch fails on its own; verifying it
            // alone gives exactly the error `verify` gives.
            None => results.push(Some(token.verify(keyring, now).map(|_| ()))),
        }
    }
    let message_refs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
    // An empty batch would still cost a full scalar multiplication, at every
    // check whose signatures are all remembered; no result depends on it.
    let batch_holds =
        !signatures.is_empty() && ed25519_dalek::verify_batch(&message_refs, &signatures, &keys).is_ok();
    results
        .into_iter()
        .zip(tokens)
        .map(|(result, token)| match result {
            Some(result) => result,
            None if batch_holds => token.unverified().check_window(now),
            None => token.verify(keyring, now).map(|_| ()),
        })
        .collect()
}

/// The (message, signature, key) triples of a token whose signers are all
/// known, active and authorized and whose signatures have a strict R; `None`
/// for any other token.
fn batchable(token: &SignedGrant, keyring: &Keyring) -> Option<Vec<(Vec<u8>, Signature, VerifyingKey)>> {
    let grant = token.unverified();
    let message = signed_message(Kind::Grant, &grant.to_bytes());
    grant
        .signers
        .in_order()
        .into_iter()
        .zip(token.signatures())
        .map(|((role, key_id), signature)| {
            let key = keyring.signer_key(&key_id, role, grant.subject).ok()?;
            has_strict_r(signature).then(|| (message.clone(), *signature, *key.verifying_key()))
        })
        .collect()
}

/// Signatures that were verified before, as a verifier remembers them: by
/// the SHA-256 of the exact key, signature and signed message
/// ([`verify_grants_remembering`]), so that any change to any of the three
/// is a different entry. Implementations decide how many to keep; forgetting
/// one only costs verifying it again.
pub trait VerifiedSignatures {
    /// Whether the signature with this digest verified before.
    fn holds(&self, digest: &[u8; 32]) -> bool;
    /// Remembers that the signature with this digest verified.
    fn remember(&self, digest: [u8; 32]);
}

const VERIFIED_DOMAIN: &[u8] = b"school-consent/v1/verified-signature\0";

/// The digest under which [`VerifiedSignatures`] remembers that `signature`
/// by the key encoded as `key` verified over `message`.
fn verified_digest(key: &[u8; 32], signature: &Signature, message: &[u8]) -> [u8; 32] {
    Sha256::new()
        .chain_update(VERIFIED_DOMAIN)
        .chain_update(key)
        .chain_update(signature.to_bytes())
        .chain_update(message)
        .finalize()
        .into()
}

/// [`verify_grants`], verifying only the signatures that `verified` does not
/// hold, and remembering those that verify.
///
/// Everything else is decided on every call as [`SignedGrant::verify`]
/// decides it: each signer's key must be in `keyring`, not revoked, and
/// authorized to sign for the subject in its role, and the token must be
/// within its validity window at `now`. A token some of whose signatures are
/// not held is verified in full with the others, so its result (and error) is
/// exactly `verify`'s.
pub fn verify_grants_remembering(
    tokens: &[SignedGrant],
    keyring: &Keyring,
    now: Timestamp,
    verified: &impl VerifiedSignatures,
) -> Vec<Result<(), Error>> {
    let mut results: Vec<Option<Result<(), Error>>> = Vec::with_capacity(tokens.len());
    let mut unknown: Vec<SignedGrant> = Vec::new();
    let mut unknown_digests: Vec<Option<Vec<[u8; 32]>>> = Vec::new();
    for token in tokens {
        let grant = token.unverified();
        let message = signed_message(Kind::Grant, &grant.to_bytes());
        let digests: Option<Vec<[u8; 32]>> = grant
            .signers
            .in_order()
            .into_iter()
            .zip(token.signatures())
            .map(|((role, key_id), signature)| {
                let key = keyring.signer_encoding(&key_id, role, grant.subject).ok()?;
                Some(verified_digest(key, signature, &message))
            })
            .collect();
        match digests {
            Some(digests) if digests.iter().all(|digest| verified.holds(digest)) => {
                results.push(Some(grant.check_window(now)));
            }
            digests => {
                results.push(None);
                unknown.push(token.clone());
                unknown_digests.push(digests);
            }
        }
    }
    let checked = verify_grants(&unknown, keyring, now);
    for (result, digests) in checked.iter().zip(unknown_digests) {
        // A token that verified did so with exactly these keys (its signers'
        // keys in the keyring), so each of its signatures holds; so did one
        // refused only for its validity window, which is checked last.
        if matches!(
            result,
            Ok(()) | Err(Error::IssuedInFuture | Error::NotYetValid | Error::Expired)
        ) {
            for digest in digests.into_iter().flatten() {
                verified.remember(digest);
            }
        }
    }
    let mut verified_now = checked.into_iter();
    results
        .into_iter()
        .map(|result| match result {
            Some(result) => result,
            None => verified_now.next().unwrap_or(Err(Error::BadSignature)),
        })
        .collect()
}
