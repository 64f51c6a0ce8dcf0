//! Properties over generated input: encodings round-trip, only canonical
//! bytes decode, and no change to a signed object goes unnoticed.

mod common;

use common::*;
use consent_protocol::*;
use proptest::prelude::*;

fn grant_strategy() -> impl Strategy<Value = (Grant, bool)> {
    (
        any::<[u8; 16]>(),
        any::<u32>(),
        1u8..8,
        1u16..,
        0u32..2_000_000_000,
        0u32..100_000_000,
        0u32..100_000_000,
        any::<bool>(),
    )
        .prop_map(
            |(token, school, media, purposes, issued, start, length, guardian)| {
                let world = World::new();
                let signers = if guardian {
                    GrantSigners::SubjectAndGuardian {
                        subject: PublicKey::of(&world.child_key).id(),
                        guardian: PublicKey::of(&world.parent_key).id(),
                    }
                } else {
                    GrantSigners::Subject {
                        key: PublicKey::of(&world.child_key).id(),
                    }
                };
                let grant = Grant {
                    token_id: TokenId::from_bytes(token),
                    school: SchoolId(school),
                    subject: world.child,
                    media: MediaSet::from_bits(media).expect("non-empty known bits"),
                    purposes: PurposeSet::from_bits(purposes).expect("non-empty"),
                    issued_at: Timestamp::from_unix(issued),
                    not_before: Timestamp::from_unix(issued.saturating_add(start)),
                    not_after: Timestamp::from_unix(issued.saturating_add(start).saturating_add(length)),
                    signers,
                };
                (grant, guardian)
            },
        )
}

fn sign(world: &World, grant: Grant, guardian: bool) -> SignedGrant {
    let keys: Vec<&SigningKey> = if guardian {
        vec![&world.child_key, &world.parent_key]
    } else {
        vec![&world.child_key]
    };
    SignedGrant::sign(grant, &keys).expect("keys match")
}

/// Verifies a decoded object of any kind the way its verifier would.
fn decode_and_verify(kind: Kind, bytes: &[u8], world: &World, now: Timestamp) -> Result<(), Error> {
    match kind {
        Kind::Grant => SignedGrant::from_bytes(bytes)?
            .verify(&world.keyring, now)
            .map(|_| ()),
        Kind::Revocation => SignedRevocation::from_bytes(bytes)?
            .verify(&world.keyring, now)
            .map(|_| ()),
        Kind::Receipt => SignedReceipt::from_bytes(bytes)?
            .verify(&world.keyring)
            .map(|_| ()),
        Kind::LogHead => SignedLogHead::from_bytes(bytes)?
            .verify(&world.keyring)
            .map(|_| ()),
        Kind::RevocationList => SignedRevocationList::from_bytes(bytes)?
            .verify(&world.keyring, &world.listed_revocations())
            .map(|_| ()),
        Kind::GuardianDates => SignedGuardianDates::from_bytes(bytes)?
            .verify(&world.keyring, &world.guardian_dates_entries())
            .map(|_| ()),
        Kind::Request => unreachable!("requests are signatures, not objects"),
    }
}

fn valid_objects(world: &World) -> Vec<(Kind, Vec<u8>)> {
    vec![
        (Kind::Grant, world.signed_student_grant().to_bytes()),
        (Kind::Grant, world.signed_child_grant().to_bytes()),
        (Kind::Revocation, world.student_revocation().to_bytes()),
        (Kind::Receipt, world.receipt().to_bytes()),
        (Kind::LogHead, world.log_head().to_bytes()),
        (Kind::RevocationList, world.revocation_list().to_bytes()),
        (Kind::GuardianDates, world.guardian_dates().to_bytes()),
    ]
}

proptest! {
    #[test]
    fn grant_round_trips_through_bytes_and_text((grant, guardian) in grant_strategy()) {
        let world = World::new();
        let token = sign(&world, grant, guardian);
        prop_assert_eq!(SignedGrant::from_bytes(&token.to_bytes()), Ok(token.clone()));
        prop_assert_eq!(SignedGrant::from_text(&token.to_text()), Ok(token));
    }

    #[test]
    fn whatever_decodes_re_encodes_to_the_same_bytes(
        bytes in prop::collection::vec(any::<u8>(), 0..320),
        kind_byte in 1u8..7,
    ) {
        let mut bytes = bytes;
        // Start most inputs with a valid header, so that generation reaches the body.
        if bytes.len() >= 2 {
            bytes[0] = VERSION;
            bytes[1] = kind_byte;
        }
        if let Ok(token) = SignedGrant::from_bytes(&bytes) {
            prop_assert_eq!(token.to_bytes(), bytes.clone());
        }
        if let Ok(revocation) = SignedRevocation::from_bytes(&bytes) {
            prop_assert_eq!(revocation.to_bytes(), bytes.clone());
        }
        if let Ok(receipt) = SignedReceipt::from_bytes(&bytes) {
            prop_assert_eq!(receipt.to_bytes(), bytes.clone());
        }
        if let Ok(head) = SignedLogHead::from_bytes(&bytes) {
            prop_assert_eq!(head.to_bytes(), bytes.clone());
        }
        if let Ok(list) = SignedRevocationList::from_bytes(&bytes) {
            prop_assert_eq!(list.to_bytes(), bytes.clone());
        }
    }

    #[test]
    fn any_text_is_refused_or_read_without_panic(text in ".{0,400}") {
        let _ = SignedGrant::from_text(&text);
        let _ = SignedRevocation::from_text(&text);
        let _ = SignedReceipt::from_text(&text);
        let _ = SignedLogHead::from_text(&text);
        let _ = SignedRevocationList::from_text(&text);
    }
}

/// Every change of every byte of every valid object, to every other value,
/// is refused: by the decoder, or by the verifier.
#[test]
fn any_change_to_any_byte_of_a_valid_object_is_refused() {
    let world = World::new();
    for (kind, bytes) in valid_objects(&world) {
        assert_eq!(decode_and_verify(kind, &bytes, &world, world.now), Ok(()));
        for position in 0..bytes.len() {
            for value in 0..=255u8 {
                if value == bytes[position] {
                    continue;
                }
                let mut changed = bytes.clone();
                changed[position] = value;
                assert!(
                    decode_and_verify(kind, &changed, &world, world.now).is_err(),
                    "{kind:?}: byte {position} set to {value:#04x} was accepted"
                );
            }
        }
    }
}

/// Every change of one character of a valid token's QR text is refused.
#[test]
fn any_change_to_a_character_of_the_qr_text_is_refused() {
    let world = World::new();
    let text = world.signed_student_grant().to_text();
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=:+/ ";
    for (position, original) in text.char_indices() {
        for replacement in alphabet.chars().filter(|c| *c != original) {
            let mut changed = text.clone();
            changed.replace_range(position..position + 1, &replacement.to_string());
            let result = SignedGrant::from_text(&changed)
                .and_then(|token| token.verify(&world.keyring, world.now).map(|_| ()));
            assert!(result.is_err(), "{changed} was accepted");
        }
    }
}
