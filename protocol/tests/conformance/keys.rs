//! Keys and signatures where lenient Ed25519 libraries go wrong: a
//! small-order key, a small-order R under a good key, a key encoded with a
//! y coordinate at or above the field prime, bytes that are no point, and a
//! key of mixed order.

use super::*;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::traits::IsIdentity;
use curve25519_dalek::Scalar;
use ed25519_dalek::{Signer, Verifier};
use sha2::Sha512;

/// The identity point (y = 1), of order 1: a weak public key and a
/// small-order R.
const IDENTITY: [u8; 32] = {
    let mut bytes = [0u8; 32];
    bytes[0] = 1;
    bytes
};

/// A point of order 8.
const ORDER_EIGHT: &str = "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a";

/// The field prime 2^255 - 19, little-endian, plus `k`.
fn prime_plus(k: u8) -> [u8; 32] {
    let mut bytes = [0xff; 32];
    bytes[0] = 0xed + k;
    bytes[31] = 0x7f;
    bytes
}

/// The secret scalar of an Ed25519 signing key (RFC 8032 §5.1.5).
fn secret_scalar(key: &SigningKey) -> Scalar {
    let digest = Sha512::digest(key.to_bytes());
    let mut bytes = [0u8; 32];
    bytes.copy_from_slice(&digest[..32]);
    bytes[0] &= 248;
    bytes[31] &= 127;
    bytes[31] |= 64;
    Scalar::from_bytes_mod_order(bytes)
}

fn challenge(r: &[u8; 32], public_key: &[u8; 32], message: &[u8]) -> Scalar {
    Scalar::from_hash(
        Sha512::new()
            .chain_update(r)
            .chain_update(public_key)
            .chain_update(message),
    )
}

/// A signature `R || s` by hand, for a secret scalar whose public key is
/// given (it need not be `a·B`).
fn sign_by_hand(a: &Scalar, public_key: &[u8; 32], message: &[u8], nonce: &[u8]) -> ([u8; 64], Scalar) {
    let r = Scalar::from_hash(Sha512::new().chain_update(nonce).chain_update(message));
    let big_r = EdwardsPoint::mul_base(&r).compress().to_bytes();
    let k = challenge(&big_r, public_key, message);
    let s = r + k * a;
    let mut signature = [0u8; 64];
    signature[..32].copy_from_slice(&big_r);
    signature[32..].copy_from_slice(s.as_bytes());
    (signature, k)
}

fn grant_text(grant: &Grant, signature: [u8; 64]) -> String {
    SignedGrant::from_parts(grant.clone(), vec![Signature::from_bytes(&signature)])
        .expect("well-formed")
        .to_text()
}

pub fn vectors(world: &World) -> Vec<Vector> {
    let case = |description: &str, text: String| Case::new(world, description, Kind::Grant, text);
    let mut vectors = vec![];

    // A small-order key: R = identity, s = 0 verifies under it for any
    // message. The grant names the weak key's own id.
    let weak = hex::encode(IDENTITY);
    let weak_grant = Grant {
        signers: GrantSigners::Subject {
            key: raw_key_id(&IDENTITY),
        },
        ..world.student_grant()
    };
    let mut identity_signature = [0u8; 64];
    identity_signature[..32].copy_from_slice(&IDENTITY);
    vectors.push(
        case(
            "invalid: signed under a small-order public key (the identity) that the grant names, with R = identity and s = 0",
            grant_text(&weak_grant, identity_signature),
        )
        .extra_key(weak.clone(), KeyHolder::Person(world.student), false)
        .build(),
    );

    // A small-order R under the student's good key: with R the identity and
    // s = k·a, the cofactorless equation [s]B = R + [k]A holds, so a
    // verifier that does not refuse a small-order R accepts it.
    let student_public = PublicKey::of(&world.student_key).to_bytes();
    let message = signed_message(Kind::Grant, &world.student_grant().to_bytes());
    let k = challenge(&IDENTITY, &student_public, &message);
    let s = k * secret_scalar(&world.student_key);
    let mut small_r = [0u8; 64];
    small_r[..32].copy_from_slice(&IDENTITY);
    small_r[32..].copy_from_slice(s.as_bytes());
    assert!(
        world
            .student_key
            .verifying_key()
            .verify(&message, &Signature::from_bytes(&small_r))
            .is_ok(),
        "lenient verification accepts the small-order R"
    );
    vectors.push(
        case(
            "invalid: a good key, but the signature's R is the identity (small order); it satisfies [s]B = R + [k]A",
            grant_text(&world.student_grant(), small_r),
        )
        .build(),
    );

    // A y coordinate at or above the field prime: the same point as y - p,
    // which is not of small order, but not its canonical encoding.
    let non_canonical = (2..=18)
        .map(prime_plus)
        .find(|bytes| {
            CompressedEdwardsY(*bytes)
                .decompress()
                .is_some_and(|point| !point.is_small_order())
        })
        .expect("some y below 19 is on the curve");
    let signature = world.student_key.sign(&message).to_bytes();
    vectors.push(
        case(
            "invalid: the signer's key is listed with y at or above the field prime (a non-canonical encoding of a point of large order)",
            grant_text(
                &Grant {
                    signers: GrantSigners::Subject {
                        key: raw_key_id(&non_canonical),
                    },
                    ..world.student_grant()
                },
                signature,
            ),
        )
        .extra_key(hex::encode(non_canonical), KeyHolder::Person(world.student), false)
        .build(),
    );
    let off_curve = (2..=40u8)
        .map(|y| {
            let mut bytes = [0u8; 32];
            bytes[0] = y;
            bytes
        })
        .find(|bytes| CompressedEdwardsY(*bytes).decompress().is_none())
        .expect("some small y is off the curve");
    vectors.push(
        case(
            "invalid: the signer's key is listed as 32 bytes that are no point of the curve",
            grant_text(
                &Grant {
                    signers: GrantSigners::Subject {
                        key: raw_key_id(&off_curve),
                    },
                    ..world.student_grant()
                },
                signature,
            ),
        )
        .extra_key(hex::encode(off_curve), KeyHolder::Person(world.student), false)
        .build(),
    );

    // A key of mixed order, A = a·B + T with T of order 8: accepted as a
    // key; an honest signature verifies under the cofactorless equation
    // only when [k]T is the identity (k a multiple of 8), which a
    // cofactored verifier does not notice.
    let torsion = CompressedEdwardsY(
        hex::decode(ORDER_EIGHT)
            .expect("hex")
            .try_into()
            .expect("32 bytes"),
    )
    .decompress()
    .expect("a point");
    assert!(torsion.is_small_order() && !(torsion * Scalar::from(4u8)).is_identity());
    let a = secret_scalar(&key(77));
    let mixed = (EdwardsPoint::mul_base(&a) + torsion).compress().to_bytes();
    let mixed_id = PublicKey::from_bytes(&mixed)
        .expect("a mixed-order key is accepted")
        .id();
    let mixed_grant = |token: u8| Grant {
        token_id: TokenId::from_bytes([token; 16]),
        signers: GrantSigners::Subject { key: mixed_id },
        ..world.student_grant()
    };
    let sign_mixed = |token: u8| {
        let grant = mixed_grant(token);
        let message = signed_message(Kind::Grant, &grant.to_bytes());
        let (signature, k) = sign_by_hand(&a, &mixed, &message, &[token]);
        (grant, signature, k.as_bytes()[0] % 8 == 0)
    };
    let (good, good_signature, _) = (0x60..=0xff)
        .map(sign_mixed)
        .find(|(_, _, multiple)| *multiple)
        .expect("one k in eight is a multiple of 8");
    let (bad, bad_signature, _) = (0x60..=0xff)
        .map(sign_mixed)
        .find(|(_, _, multiple)| !*multiple)
        .expect("most k are not multiples of 8");
    let mixed_hex = hex::encode(mixed);
    vectors.push(
        case(
            "valid grant signed under a key of mixed order (a point of large order plus one of order 8): the key is accepted, and this signature satisfies the cofactorless equation",
            grant_text(&good, good_signature),
        )
        .extra_key(mixed_hex.clone(), KeyHolder::Person(world.student), false)
        .build(),
    );
    vectors.push(
        case(
            "invalid: signed under a key of mixed order, and [k]A differs from the honest signer's by a point of order 8: a cofactored verifier accepts it, the cofactorless equation does not",
            grant_text(&bad, bad_signature),
        )
        .extra_key(mixed_hex, KeyHolder::Person(world.student), false)
        .build(),
    );
    vectors
}
