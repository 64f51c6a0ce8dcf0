//! What the server signs alone: decision receipts and audit log heads, with
//! the log's chain so that every head can be recomputed from the vectors.

use super::*;
use ed25519_dalek::Signer;

/// Offsets in the shared world's receipt (two verdicts, the first with a token).
const MEDIA_KIND: usize = 58;
const PURPOSE: usize = 59;
const FIRST_OUTCOME: usize = 78;
const SECOND_FLAG: usize = 113;

/// A receipt's claims signed by the server exactly as given: no sorting and
/// no canonical check, so that the encoding rules can be broken.
fn signed_as_is(world: &World, receipt: &Receipt) -> String {
    let mut bytes = receipt.to_bytes();
    let signature = world.server_key.sign(&signed_message(Kind::Receipt, &bytes));
    bytes.extend_from_slice(&signature.to_bytes());
    to_text(&bytes)
}

fn verdict(subject: u8, outcome: Outcome, token: Option<u8>) -> Verdict {
    Verdict {
        subject: person(subject),
        outcome,
        token: token.map(|t| TokenId::from_bytes([t; 16])),
    }
}

/// The chain of a log of `entries` and its heads from `head(0)` on.
pub fn chain(school: SchoolId, entries: &[&[u8]]) -> LogChain {
    let mut heads = vec![genesis_head(school)];
    for (position, entry) in entries.iter().enumerate() {
        let next = next_head(&heads[position], position as u64 + 1, entry);
        heads.push(next);
    }
    LogChain {
        entries: entries.iter().map(hex::encode).collect(),
        heads: heads.iter().map(ToString::to_string).collect(),
    }
}

pub fn vectors(world: &World) -> Vec<Vector> {
    let receipt_case = |description: &str, text: String| Case::new(world, description, Kind::Receipt, text);
    let head_case = |description: &str, text: String| Case::new(world, description, Kind::LogHead, text);
    let receipt = world.receipt().unverified().clone();
    let bytes = world.receipt().to_bytes();
    let student_id = PublicKey::of(&world.student_key).id();
    let mut vectors = vec![
        receipt_case(
            "valid decision receipt: one person allowed, one without consent",
            world.receipt().to_text(),
        )
        .build(),
        {
            let mut changed = receipt.clone();
            changed.id = ReceiptId::from_bytes([0x41; 16]);
            changed.verdicts[0].outcome = Outcome::DeviceLost;
            changed.verdicts[1] = Verdict {
                outcome: Outcome::StudentMustConfirm,
                token: Some(TokenId::from_bytes([0x22; 16])),
                ..changed.verdicts[1]
            };
            receipt_case(
                "valid decision receipt: one consent signed on a device since reported lost, one given by a \
                 guardian alone for a person now old enough to decide",
                SignedReceipt::sign(changed, &world.server_key)
                    .expect("key matches")
                    .to_text(),
            )
            .build()
        },
        receipt_case(
            "valid decision receipt for audio and purpose-15, checked a day after the verifier's clock (a receipt's \
             checked_at is not judged), every outcome once, a revoked verdict naming its token",
            SignedReceipt::sign(
                Receipt {
                    id: ReceiptId::from_bytes([0x42; 16]),
                    checked_at: Timestamp::from_unix(NOW + 86_400),
                    media_kind: MediaKind::Audio,
                    purpose: Purpose::from_bit(15).expect("below 16"),
                    verdicts: vec![
                        verdict(0x01, Outcome::Allowed, Some(0xa1)),
                        verdict(0x02, Outcome::NoConsent, None),
                        verdict(0x03, Outcome::Revoked, Some(0xa3)),
                        verdict(0x04, Outcome::Expired, Some(0xa4)),
                        verdict(0x05, Outcome::NotYetValid, Some(0xa5)),
                        verdict(0x06, Outcome::WrongMediaKind, Some(0xa6)),
                        verdict(0x07, Outcome::WrongPurpose, Some(0xa7)),
                        verdict(0x08, Outcome::GuardianMissing, Some(0xa8)),
                        verdict(0x09, Outcome::DeviceLost, Some(0xa9)),
                        verdict(0x0a, Outcome::StudentMustConfirm, Some(0xaa)),
                    ],
                    ..receipt.clone()
                },
                &world.server_key,
            )
            .expect("canonical")
            .to_text(),
        )
        .build(),
    ];

    vectors.push(
        receipt_case(
            "invalid: receipt altered to say video where the server signed photo",
            to_text(&with_byte(&bytes, MEDIA_KIND, MediaKind::Video.bit())),
        )
        .build(),
    );
    let by_student = Receipt {
        key: student_id,
        ..receipt.clone()
    };
    vectors.push(
        receipt_case(
            "invalid: a receipt signed by a person's key (a key in the wrong role)",
            SignedReceipt::sign(by_student, &world.student_key)
                .expect("key matches")
                .to_text(),
        )
        .build(),
    );
    vectors.push(
        receipt_case(
            "invalid: a receipt signed by a server key that was revoked",
            world.receipt().to_text(),
        )
        .revoked(world, &[&world.server_key])
        .build(),
    );
    let other_server = key(55);
    vectors.push(
        receipt_case(
            "invalid: a receipt signed by a server key the verifier does not know",
            SignedReceipt::sign(
                Receipt {
                    key: PublicKey::of(&other_server).id(),
                    ..receipt.clone()
                },
                &other_server,
            )
            .expect("key matches")
            .to_text(),
        )
        .build(),
    );
    for (description, text) in [
        (
            "invalid: non-canonical, media kind 3",
            to_text(&with_byte(&bytes, MEDIA_KIND, 3)),
        ),
        (
            "invalid: non-canonical, purpose 16",
            to_text(&with_byte(&bytes, PURPOSE, 16)),
        ),
        (
            "invalid: non-canonical, outcome 10",
            to_text(&with_byte(&bytes, FIRST_OUTCOME, 10)),
        ),
        (
            "invalid: non-canonical, token flag 2",
            to_text(&with_byte(&bytes, SECOND_FLAG, 2)),
        ),
    ] {
        vectors.push(receipt_case(description, text).build());
    }
    let mut no_one = receipt.clone();
    no_one.verdicts.clear();
    vectors.push(
        receipt_case(
            "invalid: non-canonical, a verdict count of 0",
            signed_as_is(world, &no_one),
        )
        .build(),
    );
    let mut crowd = receipt.clone();
    crowd.verdicts = (0..=MAX_VERDICTS as u32)
        .map(|n| {
            let mut id = [0u8; 16];
            id[12..].copy_from_slice(&n.to_be_bytes());
            Verdict {
                subject: SubjectId::from_bytes(id),
                outcome: Outcome::NoConsent,
                token: None,
            }
        })
        .collect();
    vectors.push(
        receipt_case(
            "invalid: non-canonical, a verdict count of 2001, every verdict present",
            signed_as_is(world, &crowd),
        )
        .build(),
    );
    let mut unsorted = receipt.clone();
    unsorted.verdicts.reverse();
    let unsorted_text = signed_as_is(world, &unsorted);
    vectors.push(
        receipt_case(
            "invalid: non-canonical, verdicts not sorted by person id",
            unsorted_text.clone(),
        )
        .build(),
    );
    let unsorted_bytes = from_text(&unsorted_text).expect("text");
    vectors.push(
        receipt_case(
            "invalid: verdicts not sorted, and the bytes end inside the key id; the order is judged after the key id \
             is read (truncated)",
            to_text(&unsorted_bytes[..unsorted_bytes.len() - 64 - 4]),
        )
        .build(),
    );
    let mut repeated = receipt.clone();
    repeated.verdicts[1] = Verdict {
        subject: world.student,
        ..repeated.verdicts[1]
    };
    vectors.push(
        receipt_case(
            "invalid: non-canonical, one person named twice",
            signed_as_is(world, &repeated),
        )
        .build(),
    );
    let mut no_token = receipt.clone();
    no_token.verdicts[0].token = None;
    vectors.push(
        receipt_case(
            "invalid: non-canonical, an allowed verdict without a token",
            signed_as_is(world, &no_token),
        )
        .build(),
    );

    // Log heads, each with its log.
    vectors.push(
        head_case(
            "valid signed log head after three entries",
            world.log_head().to_text(),
        )
        .log(chain(world.school, &[b"grant", b"check", b"publication"]))
        .build(),
    );
    let empty = LogHead {
        school: world.school,
        size: 0,
        head: genesis_head(world.school),
        signed_at: world.now,
        key: PublicKey::of(&world.server_key).id(),
    };
    vectors.push(
        head_case(
            "valid signed log head of an empty log: head(0), the genesis head",
            SignedLogHead::sign(empty, &world.server_key)
                .expect("key matches")
                .to_text(),
        )
        .log(chain(world.school, &[]))
        .build(),
    );
    let mut forged_head = world.log_head().to_bytes();
    forged_head[13] = 2; // size 3 -> 2: an entry dropped
    vectors.push(
        head_case(
            "invalid: log head altered to claim one entry fewer",
            to_text(&forged_head),
        )
        .build(),
    );
    vectors.push(
        head_case(
            "invalid: a log head signed by a person's key (a key in the wrong role)",
            SignedLogHead::sign(
                LogHead {
                    key: student_id,
                    ..world.log_head().unverified().clone()
                },
                &world.student_key,
            )
            .expect("key matches")
            .to_text(),
        )
        .build(),
    );
    vectors
}
