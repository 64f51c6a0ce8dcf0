//! Verifying a whole class's tokens at once, as a check of a class photo does.

use ed25519_dalek::{Signature, VerifyingKey};

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
    let batch_holds = ed25519_dalek::verify_batch(&message_refs, &signatures, &keys).is_ok();
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
