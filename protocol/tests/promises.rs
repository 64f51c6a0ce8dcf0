//! One test per promise the protocol makes, named after it.

mod common;

use common::*;
use consent_protocol::*;
use ed25519_dalek::Signer;

/// The group order L of Ed25519, little-endian, as a signature's `s` is.
const GROUP_ORDER: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

fn add_group_order(s: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut carry = 0u16;
    for i in 0..32 {
        let sum = u16::from(s[i]) + u16::from(GROUP_ORDER[i]) + carry;
        out[i] = sum as u8;
        carry = sum >> 8;
    }
    out
}

#[test]
fn valid_grant_verifies_and_survives_its_qr_text() {
    let world = World::new();
    let token = world.signed_student_grant();
    let read_back = SignedGrant::from_text(&token.to_text()).expect("decodes");
    assert_eq!(read_back, token);
    assert_eq!(
        read_back.verify(&world.keyring, world.now),
        Ok(&world.student_grant())
    );
}

#[test]
fn guardian_cosigned_grant_verifies() {
    let world = World::new();
    let token = SignedGrant::from_text(&world.signed_child_grant().to_text()).expect("decodes");
    let grant = token.verify(&world.keyring, world.now).expect("valid");
    assert!(grant.signers.has_guardian());
}

#[test]
fn single_signer_grant_fits_a_version_9_qr_code() {
    // QR version 9 at error correction M holds 180 bytes.
    let text = World::new().signed_student_grant().to_text();
    assert_eq!(text.len(), 178, "{text}");
}

#[test]
fn guardian_signed_grant_fits_a_version_13_qr_code() {
    // QR version 13 at error correction M holds 331 bytes.
    let text = World::new().signed_child_grant().to_text();
    assert_eq!(text.len(), 275, "{text}");
}

#[test]
fn altered_claim_is_refused() {
    let world = World::new();
    let token = world.signed_student_grant();
    let mut altered = token.unverified().clone();
    altered.purposes = PurposeSet::new([Purpose::PRESS]).expect("non-empty");
    let forged = SignedGrant::from_parts(altered, token.signatures().to_vec()).expect("well-formed");
    assert_eq!(forged.verify(&world.keyring, world.now), Err(Error::BadSignature));
}

#[test]
fn classmate_cannot_grant_for_another_student() {
    let world = World::new();
    let grant = Grant {
        signers: GrantSigners::Subject {
            key: PublicKey::of(&world.classmate_key).id(),
        },
        ..world.student_grant()
    };
    let token = SignedGrant::sign(grant, &[&world.classmate_key]).expect("keys match");
    assert_eq!(
        token.verify(&world.keyring, world.now),
        Err(Error::SignerNotAuthorized { role: "subject" })
    );
}

#[test]
fn guardian_of_one_child_cannot_sign_for_another() {
    let world = World::new();
    let grant = Grant {
        signers: GrantSigners::Guardian {
            key: PublicKey::of(&world.parent_key).id(),
        },
        ..world.student_grant()
    };
    let token = SignedGrant::sign(grant, &[&world.parent_key]).expect("keys match");
    assert_eq!(
        token.verify(&world.keyring, world.now),
        Err(Error::SignerNotAuthorized { role: "guardian" })
    );
}

#[test]
fn token_signed_by_a_revoked_device_key_is_refused() {
    let mut world = World::new();
    world.keyring.revoke(PublicKey::of(&world.student_key).id());
    let token = world.signed_student_grant();
    assert_eq!(token.verify(&world.keyring, world.now), Err(Error::RevokedKey));
}

#[test]
fn token_signed_by_an_unregistered_key_is_refused() {
    let world = World::new();
    let stranger = key(99);
    let grant = Grant {
        signers: GrantSigners::Subject {
            key: PublicKey::of(&stranger).id(),
        },
        ..world.student_grant()
    };
    let token = SignedGrant::sign(grant, &[&stranger]).expect("keys match");
    assert_eq!(token.verify(&world.keyring, world.now), Err(Error::UnknownKey));
}

#[test]
fn tokens_outside_their_window_are_refused() {
    let world = World::new();
    let token = world.signed_student_grant();
    let grant = token.unverified();
    assert_eq!(
        token.verify(&world.keyring, grant.not_after.plus_seconds(1)),
        Err(Error::Expired)
    );
    assert_eq!(
        token.verify(&world.keyring, Timestamp::from_unix(ISSUED - 1)),
        Err(Error::NotYetValid)
    );
    assert_eq!(
        token.verify(
            &world.keyring,
            Timestamp::from_unix(ISSUED - MAX_CLOCK_SKEW_SECONDS - 1)
        ),
        Err(Error::IssuedInFuture)
    );
    let later = Grant {
        not_before: Timestamp::from_unix(NOW + 86_400),
        ..world.student_grant()
    };
    let later = SignedGrant::sign(later, &[&world.student_key]).expect("keys match");
    assert_eq!(later.verify(&world.keyring, world.now), Err(Error::NotYetValid));
}

#[test]
fn window_that_ends_before_it_starts_is_refused() {
    let world = World::new();
    let grant = Grant {
        not_after: Timestamp::from_unix(ISSUED - 1),
        ..world.student_grant()
    };
    assert_eq!(
        SignedGrant::sign(grant, &[&world.student_key]),
        Err(Error::InvalidWindow)
    );
}

#[test]
fn signature_over_another_kind_is_not_accepted_as_a_grant() {
    let world = World::new();
    let grant = world.student_grant();
    let cross = world
        .student_key
        .sign(&[Kind::Revocation.domain(), grant.to_bytes().as_slice()].concat());
    let token = SignedGrant::from_parts(grant, vec![cross]).expect("well-formed");
    assert_eq!(token.verify(&world.keyring, world.now), Err(Error::BadSignature));
}

#[test]
fn receipt_presented_as_a_grant_is_the_wrong_kind() {
    let world = World::new();
    let receipt_text = world.receipt().to_text();
    assert_eq!(
        SignedGrant::from_text(&receipt_text),
        Err(Error::WrongKind {
            expected: "grant",
            found: "receipt"
        })
    );
}

#[test]
fn malleated_signature_is_refused() {
    let world = World::new();
    let mut bytes = world.signed_student_grant().to_bytes();
    let s_start = bytes.len() - 32;
    let bigger = add_group_order(&bytes[s_start..]);
    bytes[s_start..].copy_from_slice(&bigger);
    assert_eq!(SignedGrant::from_bytes(&bytes), Err(Error::MalleableSignature));
}

#[test]
fn small_order_and_non_canonical_public_keys_are_refused() {
    let mut identity = [0u8; 32];
    identity[0] = 1;
    assert_eq!(PublicKey::from_bytes(&identity), Err(Error::WeakKey));
    // y = p + 1 is a non-canonical spelling of y = 1, the identity.
    let mut non_canonical = [0xffu8; 32];
    non_canonical[0] = 0xee;
    non_canonical[31] = 0x7f;
    assert_eq!(PublicKey::from_bytes(&non_canonical), Err(Error::BadPublicKey));
}

#[test]
fn trailing_and_missing_bytes_are_refused() {
    let bytes = World::new().signed_student_grant().to_bytes();
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(
        SignedGrant::from_bytes(&longer),
        Err(Error::TrailingBytes { count: 1 })
    );
    assert!(matches!(
        SignedGrant::from_bytes(&bytes[..bytes.len() - 1]),
        Err(Error::Truncated { .. })
    ));
    assert!(matches!(
        SignedGrant::from_bytes(&[]),
        Err(Error::Truncated { .. })
    ));
}

#[test]
fn unknown_version_is_refused() {
    let mut bytes = World::new().signed_student_grant().to_bytes();
    bytes[0] = 2;
    assert_eq!(
        SignedGrant::from_bytes(&bytes),
        Err(Error::UnknownVersion {
            found: 2,
            supported: 1
        })
    );
}

#[test]
fn revocation_of_one_token_withdraws_only_that_token() {
    let world = World::new();
    let revocation = SignedRevocation::from_text(&world.student_revocation().to_text()).expect("decodes");
    let revocation = revocation.verify(&world.keyring, world.now).expect("valid");
    assert!(revocation.withdraws(&world.student_grant()));
    let other_token = Grant {
        token_id: TokenId::from_bytes([0x11; 16]),
        ..world.student_grant()
    };
    assert!(!revocation.withdraws(&other_token));
}

#[test]
fn revocation_of_everything_withdraws_tokens_issued_up_to_its_moment() {
    let world = World::new();
    let revocation = Revocation {
        scope: RevocationScope::AllIssuedUpTo(Timestamp::from_unix(ISSUED)),
        ..world.student_revocation().unverified().clone()
    };
    assert!(revocation.withdraws(&world.student_grant()));
    let newer = Grant {
        issued_at: Timestamp::from_unix(ISSUED + 1),
        ..world.student_grant()
    };
    assert!(!revocation.withdraws(&newer));
    let other_school = Grant {
        school: SchoolId(8),
        ..world.student_grant()
    };
    assert!(!revocation.withdraws(&other_school));
}

#[test]
fn a_revocation_never_reaches_past_its_own_issue_time() {
    let world = World::new();
    let claims = Revocation {
        scope: RevocationScope::AllIssuedUpTo(Timestamp::from_unix(4_102_444_800)),
        ..world.student_revocation().unverified().clone()
    };
    let signed = SignedRevocation::sign(claims.clone(), &world.student_key).expect("key matches");
    assert_eq!(
        signed.verify(&world.keyring, world.now),
        Err(Error::CutOffAfterIssue)
    );
    // Even unverified, its cut-off counts only up to when it was made.
    let later = Grant {
        issued_at: claims.issued_at.plus_seconds(1),
        ..world.student_grant()
    };
    assert!(!claims.withdraws(&later));
    assert!(claims.withdraws(&world.student_grant()));
}

#[test]
fn guardian_and_school_may_revoke_but_a_classmate_may_not() {
    let world = World::new();
    let base = Revocation {
        subject: world.child,
        ..world.student_revocation().unverified().clone()
    };
    let by = |role, key: &SigningKey| {
        let revocation = Revocation {
            role,
            key: PublicKey::of(key).id(),
            ..base.clone()
        };
        SignedRevocation::sign(revocation, key)
            .expect("key matches")
            .verify(&world.keyring, world.now)
            .map(|_| ())
    };
    assert_eq!(by(Role::Guardian, &world.parent_key), Ok(()));
    assert_eq!(by(Role::School, &world.server_key), Ok(()));
    assert_eq!(
        by(Role::Subject, &world.classmate_key),
        Err(Error::SignerNotAuthorized { role: "subject" })
    );
    assert_eq!(
        by(Role::School, &world.parent_key),
        Err(Error::SignerNotAuthorized { role: "school" })
    );
}

#[test]
fn receipt_verifies_only_under_a_server_key() {
    let world = World::new();
    let receipt = SignedReceipt::from_text(&world.receipt().to_text()).expect("decodes");
    assert!(!receipt.verify(&world.keyring).expect("valid").all_allowed());
    let mut only_people = Keyring::new();
    only_people.add(PublicKey::of(&world.server_key), KeyHolder::Person(world.student));
    assert_eq!(
        receipt.verify(&only_people),
        Err(Error::SignerNotAuthorized { role: "server" })
    );
}

#[test]
fn receipt_naming_a_person_twice_or_allowing_without_a_token_is_refused() {
    let world = World::new();
    let mut receipt = world.receipt().unverified().clone();
    receipt.verdicts.push(receipt.verdicts[0]);
    assert!(matches!(
        SignedReceipt::sign(receipt, &world.server_key),
        Err(Error::NonCanonical { .. })
    ));
    let mut receipt = world.receipt().unverified().clone();
    receipt.verdicts[0].token = None;
    assert!(matches!(
        SignedReceipt::sign(receipt, &world.server_key),
        Err(Error::NonCanonical { .. })
    ));
}

#[test]
fn log_head_changes_when_an_entry_is_altered_or_dropped() {
    let school = SchoolId(7);
    let chain = |entries: &[&[u8]]| {
        entries
            .iter()
            .enumerate()
            .fold(genesis_head(school), |head, (i, entry)| {
                next_head(&head, i as u64 + 1, entry)
            })
    };
    let original = chain(&[b"grant", b"check", b"publication"]);
    assert_ne!(original, chain(&[b"grant", b"check!", b"publication"]));
    assert_ne!(original, chain(&[b"grant", b"publication"]));
    assert_ne!(original, chain(&[b"check", b"grant", b"publication"]));
    assert_ne!(genesis_head(school), genesis_head(SchoolId(8)));
    let world = World::new();
    let head = SignedLogHead::from_text(&world.log_head().to_text()).expect("decodes");
    assert_eq!(head.verify(&world.keyring).expect("valid").head, original);
}

#[test]
fn batch_verification_gives_the_same_answers_as_one_by_one() {
    let mut world = World::new();
    let mut tokens = vec![world.signed_student_grant(), world.signed_child_grant()];
    let tampered = {
        let mut grant = world.student_grant();
        grant.token_id = TokenId::from_bytes([0x12; 16]);
        SignedGrant::from_parts(grant, world.signed_student_grant().signatures().to_vec())
            .expect("well-formed")
    };
    tokens.push(tampered);
    let classmate_grant = Grant {
        subject: world.classmate,
        signers: GrantSigners::Subject {
            key: PublicKey::of(&world.classmate_key).id(),
        },
        ..world.student_grant()
    };
    tokens.push(SignedGrant::sign(classmate_grant, &[&world.classmate_key]).expect("keys match"));
    world.keyring.revoke(PublicKey::of(&world.classmate_key).id());

    let one_by_one: Vec<_> = tokens
        .iter()
        .map(|token| token.verify(&world.keyring, world.now).map(|_| ()))
        .collect();
    assert_eq!(verify_grants(&tokens, &world.keyring, world.now), one_by_one);
    assert_eq!(
        one_by_one,
        vec![Ok(()), Ok(()), Err(Error::BadSignature), Err(Error::RevokedKey)]
    );
    let valid = &tokens[..2];
    assert_eq!(
        verify_grants(valid, &world.keyring, world.now),
        vec![Ok(()), Ok(())]
    );
    let late = world
        .signed_student_grant()
        .unverified()
        .not_after
        .plus_seconds(1);
    assert_eq!(
        verify_grants(valid, &world.keyring, late),
        vec![Err(Error::Expired), Err(Error::Expired)]
    );
}

/// A verifier's memory of signatures that verified, as a test sees it.
#[derive(Default)]
struct Remembered(std::sync::Mutex<std::collections::HashSet<[u8; 32]>>);

impl Remembered {
    fn len(&self) -> usize {
        self.0.lock().expect("not poisoned").len()
    }
}

impl VerifiedSignatures for Remembered {
    fn holds(&self, digest: &[u8; 32]) -> bool {
        self.0.lock().expect("not poisoned").contains(digest)
    }
    fn remember(&self, digest: [u8; 32]) {
        self.0.lock().expect("not poisoned").insert(digest);
    }
}

#[test]
fn remembered_signatures_give_the_same_answers_and_nothing_altered_or_revoked_gets_through() {
    let world = World::new();
    let student = world.signed_student_grant();
    let child = world.signed_child_grant();
    let remembered = Remembered::default();
    let tokens = vec![student.clone(), child.clone()];
    let answers = vec![Ok(()), Ok(())];
    assert_eq!(
        verify_grants_remembering(&tokens, &world.keyring, world.now, &remembered),
        answers
    );
    // The student's signature and the child's and parent's.
    assert_eq!(remembered.len(), 3);
    assert_eq!(
        verify_grants_remembering(&tokens, &world.keyring, world.now, &remembered),
        answers
    );
    assert_eq!(remembered.len(), 3, "a second check verifies nothing again");

    // The same signature on an altered grant is a different signature.
    let mut altered = world.student_grant();
    altered.purposes = PurposeSet::new([Purpose::WEBSITE, Purpose::SOCIAL_MEDIA]).expect("some");
    let altered = SignedGrant::from_parts(altered, student.signatures().to_vec()).expect("well-formed");
    assert_eq!(
        verify_grants_remembering(&[altered], &world.keyring, world.now, &remembered),
        vec![Err(Error::BadSignature)]
    );
    // So is the same grant under another key registered with the same id's holder.
    let mut other_keys = Keyring::new();
    other_keys.add(
        PublicKey::of(&world.classmate_key),
        KeyHolder::Person(world.student),
    );
    assert_eq!(
        verify_grants_remembering(
            std::slice::from_ref(&student),
            &other_keys,
            world.now,
            &remembered
        ),
        vec![student.verify(&other_keys, world.now).map(|_| ())]
    );

    // Whatever the keyring says now still counts: a revoked key, a guardian
    // link that is gone, the validity window.
    let mut revoked = world.keyring.clone();
    revoked.revoke(PublicKey::of(&world.student_key).id());
    assert_eq!(
        verify_grants_remembering(&tokens, &revoked, world.now, &remembered),
        vec![Err(Error::RevokedKey), Ok(())]
    );
    let mut unlinked = Keyring::new();
    unlinked.add(PublicKey::of(&world.child_key), KeyHolder::Person(world.child));
    unlinked.add(PublicKey::of(&world.parent_key), KeyHolder::Person(world.parent));
    assert_eq!(
        verify_grants_remembering(std::slice::from_ref(&child), &unlinked, world.now, &remembered),
        vec![child.verify(&unlinked, world.now).map(|_| ())]
    );
    assert!(child.verify(&unlinked, world.now).is_err());
    let late = student.unverified().not_after.plus_seconds(1);
    assert_eq!(
        verify_grants_remembering(&tokens, &world.keyring, late, &remembered),
        vec![Err(Error::Expired), Err(Error::Expired)]
    );
}

#[test]
fn keys_registered_by_their_encoding_are_parsed_and_refused_when_used() {
    let world = World::new();
    let student = world.signed_student_grant();
    let mut keyring = Keyring::new();
    let id = keyring.add_encoded(
        PublicKey::of(&world.student_key).to_bytes(),
        KeyHolder::Person(world.student),
    );
    assert_eq!(id, PublicKey::of(&world.student_key).id());
    assert_eq!(student.verify(&keyring, world.now).map(|_| ()), Ok(()));
    assert_eq!(
        verify_grants(std::slice::from_ref(&student), &keyring, world.now),
        vec![Ok(())]
    );

    // An encoding that is no key is refused where the key is needed.
    let mut not_a_point = [0u8; 32];
    not_a_point[0] = 2;
    let mut bad = Keyring::new();
    let id = bad.add_encoded(not_a_point, KeyHolder::Person(world.student));
    assert_eq!(bad.active_key(&id), Err(Error::BadPublicKey));
    assert!(PublicKey::from_bytes(&not_a_point).is_err());
    let remembered = Remembered::default();
    let mut grant = world.student_grant();
    grant.signers = GrantSigners::Subject { key: id };
    let signed = SignedGrant::from_parts(grant, student.signatures().to_vec()).expect("well-formed");
    assert_eq!(
        verify_grants_remembering(&[signed], &bad, world.now, &remembered),
        vec![Err(Error::BadPublicKey)]
    );
    assert_eq!(remembered.len(), 0);
}

#[test]
fn every_error_has_a_distinct_stable_code() {
    let errors = [
        Error::BadPrefix { expected: PREFIX },
        Error::BadEncoding,
        Error::TooLong { len: 0, max: 0 },
        Error::Truncated { field: "x" },
        Error::TrailingBytes { count: 1 },
        Error::UnknownVersion {
            found: 0,
            supported: 1,
        },
        Error::WrongKind {
            expected: "grant",
            found: "receipt",
        },
        Error::NonCanonical { rule: "x" },
        Error::InvalidWindow,
        Error::MalleableSignature,
        Error::BadPublicKey,
        Error::WeakKey,
        Error::BadSignature,
        Error::UnknownKey,
        Error::RevokedKey,
        Error::SignerNotAuthorized { role: "subject" },
        Error::NotYetValid,
        Error::Expired,
        Error::IssuedInFuture,
        Error::CutOffAfterIssue,
        Error::ListMismatch { rule: "x" },
    ];
    let codes: std::collections::BTreeSet<_> = errors.iter().map(Error::code).collect();
    assert_eq!(codes.len(), errors.len());
    assert!(codes
        .iter()
        .all(|code| code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')));
}

#[test]
fn claims_waiting_for_a_co_signature_round_trip() {
    let world = World::new();
    let grant = world.child_grant();
    assert_eq!(Grant::from_bytes(&grant.to_bytes()), Ok(grant.clone()));
    let mut longer = grant.to_bytes();
    longer.push(0);
    assert_eq!(Grant::from_bytes(&longer), Err(Error::TrailingBytes { count: 1 }));
    let child_part = grant.signature(&world.child_key);
    let parent_part = grant.signature(&world.parent_key);
    let token = SignedGrant::from_parts(grant, vec![child_part, parent_part]).expect("well-formed");
    assert!(token.verify(&world.keyring, world.now).is_ok());
}

#[test]
fn revocation_list_refuses_an_omitted_added_altered_or_reordered_revocation() {
    let world = World::new();
    let list = world.revocation_list();
    let listed = world.listed_revocations();
    assert!(list.verify(&world.keyring, &listed).is_ok());
    assert!(list.unverified().is_complete());

    let omitted: Vec<ListedRevocation> = Vec::new();
    let mut added = listed.clone();
    added.push(ListedRevocation {
        sequence: 5,
        revocation: world.student_revocation(),
    });
    let mut moved = listed.clone();
    moved[0].sequence = 3;
    let mut outside = listed.clone();
    outside[0].sequence = 6;
    for entries in [omitted, added, moved, outside] {
        assert!(
            matches!(
                list.verify(&world.keyring, &entries),
                Err(Error::ListMismatch { .. })
            ),
            "{entries:?} was accepted"
        );
    }
}

#[test]
fn revocation_list_is_signed_by_a_server_key_only() {
    let world = World::new();
    let mut list = world.revocation_list().unverified().clone();
    list.key = PublicKey::of(&world.student_key).id();
    let by_student = SignedRevocationList::sign(list, &world.student_key).expect("key matches");
    assert!(by_student
        .verify(&world.keyring, &world.listed_revocations())
        .is_err());
}

#[test]
fn revocation_list_page_range_must_hold_together() {
    let world = World::new();
    let entries = world.listed_revocations();
    let key = PublicKey::of(&world.server_key).id();
    for (after, up_to, log_size) in [(5, 4, 5), (0, 6, 5), (4, 4, 5)] {
        assert!(
            RevocationList::of_entries(world.school, after, up_to, log_size, &entries, world.now, key)
                .is_err(),
            "({after}, {up_to}, {log_size}) was accepted"
        );
    }
}
