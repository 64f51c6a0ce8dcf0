//! Revocations: every scope with the roles that sign it, the canonical
//! bytes, the signer's key and role, and the edges of time.

use super::*;

/// Offsets in a token-scope revocation's encoding.
const SCOPE: usize = 38;
const TOKEN_SCOPE_ROLE: usize = 39 + 16 + 4;

fn revocation(world: &World, id: u8) -> Revocation {
    Revocation {
        id: RevocationId::from_bytes([id; 16]),
        ..world.student_revocation().unverified().clone()
    }
}

fn signed(revocation: Revocation, key: &SigningKey) -> String {
    SignedRevocation::sign(revocation, key)
        .expect("key matches")
        .to_text()
}

pub fn vectors(world: &World) -> Vec<Vector> {
    let case = |description: &str, text: String| Case::new(world, description, Kind::Revocation, text);
    let bytes = world.student_revocation().to_bytes();
    let server_id = PublicKey::of(&world.server_key).id();
    let parent_id = PublicKey::of(&world.parent_key).id();
    vec![
        case(
            "valid revocation of one token by the student",
            world.student_revocation().to_text(),
        )
        .build(),
        case(
            "valid revocation of all of a child's tokens, by the school",
            signed(
                Revocation {
                    subject: world.child,
                    scope: RevocationScope::AllIssuedUpTo(world.now),
                    issued_at: world.now,
                    role: Role::School,
                    key: server_id,
                    ..revocation(world, 0x31)
                },
                &world.server_key,
            ),
        )
        .build(),
        case(
            "valid revocation of one of the student's tokens, by the school",
            signed(
                Revocation {
                    role: Role::School,
                    key: server_id,
                    ..revocation(world, 0x33)
                },
                &world.server_key,
            ),
        )
        .build(),
        case(
            "valid revocation of all of a child's tokens by a guardian, up to exactly its own issue time",
            signed(
                Revocation {
                    subject: world.child,
                    scope: RevocationScope::AllIssuedUpTo(Timestamp::from_unix(NOW - 60)),
                    role: Role::Guardian,
                    key: parent_id,
                    ..revocation(world, 0x34)
                },
                &world.parent_key,
            ),
        )
        .build(),
        case(
            "valid revocation issued 300 s after the verifier's clock",
            signed(
                Revocation {
                    issued_at: Timestamp::from_unix(NOW + 300),
                    ..revocation(world, 0x35)
                },
                &world.student_key,
            ),
        )
        .build(),
        case(
            "invalid: a revocation issued 301 s after the verifier's clock",
            signed(
                Revocation {
                    issued_at: Timestamp::from_unix(NOW + 301),
                    ..revocation(world, 0x36)
                },
                &world.student_key,
            ),
        )
        .build(),
        case(
            "invalid: a revocation of everything up to 2100, a moment after its own issue time",
            signed(
                Revocation {
                    scope: RevocationScope::AllIssuedUpTo(Timestamp::from_unix(4_102_444_800)),
                    ..revocation(world, 0x32)
                },
                &world.student_key,
            ),
        )
        .build(),
        case(
            "invalid: issued 301 s ahead and cutting off after its issue time; the issue time is judged first",
            signed(
                Revocation {
                    scope: RevocationScope::AllIssuedUpTo(Timestamp::from_unix(NOW + 400)),
                    issued_at: Timestamp::from_unix(NOW + 301),
                    ..revocation(world, 0x37)
                },
                &world.student_key,
            ),
        )
        .build(),
        case(
            "invalid: a revocation's id altered after signing",
            to_text(&with_byte(&bytes, 2, 0x99)),
        )
        .build(),
        case(
            "invalid: a revocation altered after signing to name the classmate; whether the key may speak for the \
             classmate is judged before the signature (signer_not_authorized)",
            to_text(&with_bytes(&bytes, 22, world.classmate.as_bytes())),
        )
        .build(),
        case(
            "invalid: the student's own key speaks as the school",
            signed(
                Revocation {
                    role: Role::School,
                    ..revocation(world, 0x38)
                },
                &world.student_key,
            ),
        )
        .build(),
        case(
            "invalid: the school's key speaks as the subject",
            signed(
                Revocation {
                    role: Role::Subject,
                    key: server_id,
                    ..revocation(world, 0x3f)
                },
                &world.server_key,
            ),
        )
        .build(),
        case(
            "invalid: a guardian of another child revokes the student's consent",
            signed(
                Revocation {
                    role: Role::Guardian,
                    key: parent_id,
                    ..revocation(world, 0x39)
                },
                &world.parent_key,
            ),
        )
        .build(),
        case(
            "invalid: revoked by the student's key after that key was cut off",
            world.student_revocation().to_text(),
        )
        .revoked(world, &[&world.student_key])
        .build(),
        case(
            "invalid: non-canonical, scope 0",
            to_text(&with_byte(&bytes, SCOPE, 0)),
        )
        .build(),
        case(
            "invalid: non-canonical, scope 3",
            to_text(&with_byte(&bytes, SCOPE, 3)),
        )
        .build(),
        case(
            "invalid: non-canonical, signer role 3",
            to_text(&with_byte(&bytes, TOKEN_SCOPE_ROLE, 3)),
        )
        .build(),
        case(
            "invalid: signer role 3 and the bytes end inside the key id; the role is judged as it is read (non_canonical)",
            to_text(&with_byte(&bytes, TOKEN_SCOPE_ROLE, 3)[..TOKEN_SCOPE_ROLE + 4]),
        )
        .build(),
        case(
            "invalid: a revocation's malleable signature, s + L instead of s",
            to_text(&malleated(&bytes)),
        )
        .build(),
        case(
            "invalid: a grant presented as a revocation",
            world.signed_student_grant().to_text(),
        )
        .build(),
        case(
            "invalid: a revocation truncated inside its signature",
            to_text(&bytes[..bytes.len() - 10]),
        )
        .build(),
    ]
}
