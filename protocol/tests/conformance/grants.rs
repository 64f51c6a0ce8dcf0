//! Grants: the valid shapes, every canonical rule of the encoding, the
//! signers' roles and keys, and the edges of time.

use super::*;
use ed25519_dalek::Signer;

/// Offsets in a grant's encoding (`docs/protocol.md`, "Grant").
const MEDIA: usize = 38;
const PURPOSES: usize = 39;
const NOT_AFTER: usize = 49;
const SIGNER_COUNT: usize = 53;
const FIRST_ROLE: usize = 54;

fn signed(grant: Grant, keys: &[&SigningKey]) -> String {
    SignedGrant::sign(grant, keys).expect("keys match").to_text()
}

/// The student's grant claims with `count` and the signer entries replaced,
/// followed by one signature per entry (all by the student): encodings no
/// signer makes.
fn with_signers(world: &World, count: u8, entries: &[(u8, KeyId)]) -> String {
    let mut bytes = world.student_grant().to_bytes();
    bytes.truncate(SIGNER_COUNT);
    bytes.push(count);
    for (role, key) in entries {
        bytes.push(*role);
        bytes.extend_from_slice(key.as_bytes());
    }
    let signature = world.student_key.sign(&signed_message(Kind::Grant, &bytes));
    for _ in entries {
        bytes.extend_from_slice(&signature.to_bytes());
    }
    to_text(&bytes)
}

pub fn vectors(world: &World) -> Vec<Vector> {
    let grant = world.signed_student_grant();
    let bytes = grant.to_bytes();
    let student_id = PublicKey::of(&world.student_key).id();
    let parent_id = PublicKey::of(&world.parent_key).id();
    let case = |description: &str, text: String| Case::new(world, description, Kind::Grant, text);
    let mut vectors = vec![
        case(
            "valid grant: photo and video, website and yearbook, signed by the student",
            grant.to_text(),
        )
        .build(),
        case(
            "valid grant of a child, signed by the child and co-signed by a guardian",
            world.signed_child_grant().to_text(),
        )
        .build(),
        case(
            "valid grant of a child without a device, issued by a guardian alone",
            signed(
                Grant {
                    token_id: TokenId::from_bytes([0x21; 16]),
                    signers: GrantSigners::Guardian { key: parent_id },
                    ..world.child_grant()
                },
                &[&world.parent_key],
            ),
        )
        .build(),
        case(
            "valid grant: every media kind and all sixteen purposes, the reserved ones decoded as purpose-6 to purpose-15",
            signed(
                Grant {
                    token_id: TokenId::from_bytes([0x11; 16]),
                    media: MediaSet::from_bits(0b111).expect("known kinds"),
                    purposes: PurposeSet::from_bits(0xffff).expect("non-empty"),
                    ..world.student_grant()
                },
                &[&world.student_key],
            ),
        )
        .build(),
        case(
            "valid grant: a window of one second (not_before = not_after), checked at that second",
            signed(
                Grant {
                    token_id: TokenId::from_bytes([0x12; 16]),
                    issued_at: Timestamp::from_unix(NOW),
                    not_before: Timestamp::from_unix(NOW),
                    not_after: Timestamp::from_unix(NOW),
                    ..world.student_grant()
                },
                &[&world.student_key],
            ),
        )
        .build(),
        case("valid grant checked at exactly its not_after", grant.to_text())
            .now(UNTIL)
            .build(),
        case("valid grant checked at exactly its not_before", grant.to_text())
            .now(ISSUED)
            .build(),
        case(
            "valid grant issued 300 s after the verifier's clock (a signer's clock may run 300 s fast)",
            signed(
                Grant {
                    token_id: TokenId::from_bytes([0x13; 16]),
                    issued_at: Timestamp::from_unix(NOW + 300),
                    ..world.student_grant()
                },
                &[&world.student_key],
            ),
        )
        .build(),
        case(
            "invalid: issued 301 s after the verifier's clock",
            signed(
                Grant {
                    token_id: TokenId::from_bytes([0x14; 16]),
                    issued_at: Timestamp::from_unix(NOW + 301),
                    ..world.student_grant()
                },
                &[&world.student_key],
            ),
        )
        .build(),
        case(
            "invalid: issued 301 s ahead and not valid before then either; the issue time is judged first",
            signed(
                Grant {
                    token_id: TokenId::from_bytes([0x15; 16]),
                    issued_at: Timestamp::from_unix(NOW + 301),
                    not_before: Timestamp::from_unix(NOW + 301),
                    ..world.student_grant()
                },
                &[&world.student_key],
            ),
        )
        .build(),
        case("invalid: checked one second after the consent ended", grant.to_text())
            .now(UNTIL + 1)
            .build(),
        case("invalid: checked one second before the consent starts", grant.to_text())
            .now(ISSUED - 1)
            .build(),
    ];

    // Altered, mis-signed and misattributed.
    vectors.push(
        case(
            "invalid: purposes changed to press after signing",
            to_text(&with_bytes(&bytes, PURPOSES, &0b10_0000u16.to_be_bytes())),
        )
        .build(),
    );
    let classmate_signature = world
        .classmate_key
        .sign(&signed_message(Kind::Grant, &world.student_grant().to_bytes()));
    vectors.push(
        case(
            "invalid: signed with another person's key than the one it names",
            SignedGrant::from_parts(world.student_grant(), vec![classmate_signature])
                .expect("well-formed")
                .to_text(),
        )
        .build(),
    );
    let stranger_key = key(99);
    vectors.push(
        case(
            "invalid: signed by a key the school never registered",
            signed(
                Grant {
                    signers: GrantSigners::Subject {
                        key: PublicKey::of(&stranger_key).id(),
                    },
                    ..world.student_grant()
                },
                &[&stranger_key],
            ),
        )
        .build(),
    );
    vectors.push(
        case(
            "invalid: a classmate signs a grant for the student",
            signed(
                Grant {
                    signers: GrantSigners::Subject {
                        key: PublicKey::of(&world.classmate_key).id(),
                    },
                    ..world.student_grant()
                },
                &[&world.classmate_key],
            ),
        )
        .build(),
    );
    vectors.push(
        case(
            "invalid: signed as guardian by a parent of another child",
            signed(
                Grant {
                    signers: GrantSigners::Guardian { key: parent_id },
                    ..world.student_grant()
                },
                &[&world.parent_key],
            ),
        )
        .build(),
    );
    vectors.push(
        case(
            "invalid: the server's key signs as the subject (a key in the wrong role)",
            signed(
                Grant {
                    signers: GrantSigners::Subject {
                        key: PublicKey::of(&world.server_key).id(),
                    },
                    ..world.student_grant()
                },
                &[&world.server_key],
            ),
        )
        .build(),
    );
    vectors.push(
        case("invalid: the student's device key was revoked", grant.to_text())
            .revoked(world, &[&world.student_key])
            .build(),
    );
    let cross_kind = world.student_key.sign(&signed_message(
        Kind::Revocation,
        &world.student_grant().to_bytes(),
    ));
    vectors.push(
        case(
            "invalid: the grant's claims signed under the revocation domain",
            SignedGrant::from_parts(world.student_grant(), vec![cross_kind])
                .expect("well-formed")
                .to_text(),
        )
        .build(),
    );

    // Co-signed grants.
    let child_grant = world.child_grant();
    let child_signature = child_grant.signature(&world.child_key);
    vectors.push(
        case(
            "invalid: co-signed grant whose second (guardian's) signature was made by the classmate's key",
            SignedGrant::from_parts(
                child_grant.clone(),
                vec![child_signature, child_grant.signature(&world.classmate_key)],
            )
            .expect("well-formed")
            .to_text(),
        )
        .build(),
    );
    vectors.push(
        case(
            "invalid: co-signed grant whose guardian's key was revoked",
            world.signed_child_grant().to_text(),
        )
        .revoked(world, &[&world.parent_key])
        .build(),
    );
    vectors.push(
        case(
            "invalid: co-signed grant whose guardian's signature comes first and the child's second",
            SignedGrant::from_parts(
                child_grant.clone(),
                vec![child_grant.signature(&world.parent_key), child_signature],
            )
            .expect("well-formed")
            .to_text(),
        )
        .build(),
    );

    // The encoding's rules, and which one wins when several are broken.
    vectors.push(
        case(
            "invalid: truncated (last byte missing)",
            to_text(&bytes[..bytes.len() - 1]),
        )
        .build(),
    );
    vectors.push(case("invalid: no bytes at all after the prefix", "consent:".into()).build());
    let mut trailing = bytes.clone();
    trailing.push(0);
    vectors.push(case("invalid: a byte after the end", to_text(&trailing)).build());
    vectors.push(
        case(
            "invalid: unknown protocol version 2",
            to_text(&with_byte(&bytes, 0, 2)),
        )
        .build(),
    );
    vectors.push(
        case(
            "invalid: version 0, and kind byte 9 too; the version is judged first",
            to_text(&with_byte(&with_byte(&bytes, 0, 0), 1, 9)),
        )
        .build(),
    );
    vectors.push(
        case(
            "invalid: a receipt presented as a grant",
            world.receipt().to_text(),
        )
        .build(),
    );
    for (kind, why) in [
        (0u8, "kind byte 0, no kind"),
        (
            5,
            "kind byte 5, reserved for signed requests, which are never objects",
        ),
        (8, "kind byte 8, not assigned"),
        (0xff, "kind byte 255, not assigned"),
    ] {
        vectors.push(case(&format!("invalid: {why}"), to_text(&with_byte(&bytes, 1, kind))).build());
    }
    vectors.push(
        case(
            "invalid: non-canonical, an unknown media kind bit is set",
            to_text(&with_byte(&bytes, MEDIA, bytes[MEDIA] | 0b1000)),
        )
        .build(),
    );
    vectors.push(
        case(
            "invalid: non-canonical, no media kind",
            to_text(&with_byte(&bytes, MEDIA, 0)),
        )
        .build(),
    );
    let mut no_media_trailing = with_byte(&bytes, MEDIA, 0);
    no_media_trailing.push(0);
    vectors.push(
        case(
            "invalid: no media kind and a byte after the end; the field read first wins (non_canonical)",
            to_text(&no_media_trailing),
        )
        .build(),
    );
    vectors.push(
        case(
            "invalid: non-canonical, no purpose",
            to_text(&with_bytes(&bytes, PURPOSES, &[0, 0])),
        )
        .build(),
    );
    let before_start = ISSUED - 1;
    vectors.push(
        case(
            "invalid: not_after one second before not_before",
            to_text(&with_bytes(&bytes, NOT_AFTER, &before_start.to_be_bytes())),
        )
        .build(),
    );
    let mut window_and_count = with_bytes(&bytes, NOT_AFTER, &before_start.to_be_bytes());
    window_and_count[SIGNER_COUNT] = 0;
    vectors.push(
        case(
            "invalid: not_after before not_before and a signer count of 0; the window is read first (invalid_window)",
            to_text(&window_and_count),
        )
        .build(),
    );
    vectors.push(
        case(
            "invalid: non-canonical, signer count 0",
            with_signers(world, 0, &[]),
        )
        .build(),
    );
    vectors.push(
        case(
            "invalid: non-canonical, signer count 3 (subject, guardian, guardian)",
            with_signers(world, 3, &[(0, student_id), (1, parent_id), (1, parent_id)]),
        )
        .build(),
    );
    vectors.push(
        case(
            "invalid: signer count 3 and the bytes end inside the second signer entry; at most two entries are read, so truncated wins",
            {
                let mut short = world.student_grant().to_bytes();
                short.truncate(SIGNER_COUNT);
                short.extend_from_slice(&[3, 0]);
                short.extend_from_slice(student_id.as_bytes());
                short.extend_from_slice(&[1, 0, 0, 0]);
                to_text(&short)
            },
        )
        .build(),
    );
    vectors.push(
        case(
            "invalid: non-canonical, two signers with one key id",
            with_signers(world, 2, &[(0, student_id), (1, student_id)]),
        )
        .build(),
    );
    vectors.push(
        case(
            "invalid: non-canonical, two signers with roles out of order (guardian, then subject)",
            with_signers(world, 2, &[(1, parent_id), (0, student_id)]),
        )
        .build(),
    );
    vectors.push(
        case(
            "invalid: non-canonical, two subjects",
            with_signers(world, 2, &[(0, student_id), (0, parent_id)]),
        )
        .build(),
    );
    vectors.push(
        case(
            "invalid: non-canonical, a lone signer in role 2 (school), which never signs a grant",
            with_signers(world, 1, &[(2, student_id)]),
        )
        .build(),
    );
    vectors.push(
        case(
            "invalid: non-canonical, a lone signer in role 3, which does not exist",
            to_text(&with_byte(&bytes, FIRST_ROLE, 3)),
        )
        .build(),
    );
    let malleable = malleated(&bytes);
    vectors.push(
        case(
            "invalid: malleable signature, s + L instead of s",
            to_text(&malleable),
        )
        .build(),
    );
    let mut malleable_trailing = malleable.clone();
    malleable_trailing.push(0);
    vectors.push(
        case(
            "invalid: malleable signature and a byte after the end; the signature is judged as it is read",
            to_text(&malleable_trailing),
        )
        .build(),
    );
    vectors
}
