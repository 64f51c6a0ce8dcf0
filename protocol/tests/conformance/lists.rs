//! The server's signed lists and what is presented beside them: revocation
//! list pages with their revocations, and the guardian dates with their
//! entries.

use super::*;

/// Offsets in a revocation-list page.
const AFTER: usize = 6;
const UP_TO: usize = 14;
const COUNT: usize = 30;
/// Offset of the consent age in guardian dates.
const CONSENT_AGE: usize = 6;

fn listed(sequence: u64, revocation: SignedRevocation) -> ListedRevocation {
    ListedRevocation { sequence, revocation }
}

/// A page signed by the server over exactly `entries`, whatever they are.
fn page(world: &World, after: u64, up_to: u64, log_size: u64, entries: &[ListedRevocation]) -> String {
    let list = RevocationList {
        school: world.school,
        after,
        up_to,
        log_size,
        count: entries.len() as u32,
        entries: revocation_list_digest(entries),
        signed_at: world.now,
        key: PublicKey::of(&world.server_key).id(),
    };
    SignedRevocationList::sign(list, &world.server_key)
        .expect("key matches")
        .to_text()
}

/// The parent's revocation of everything the child gave up to a minute ago.
fn parent_revocation(world: &World) -> SignedRevocation {
    SignedRevocation::sign(
        Revocation {
            id: RevocationId::from_bytes([0x3a; 16]),
            subject: world.child,
            scope: RevocationScope::AllIssuedUpTo(Timestamp::from_unix(NOW - 60)),
            role: Role::Guardian,
            key: PublicKey::of(&world.parent_key).id(),
            ..world.student_revocation().unverified().clone()
        },
        &world.parent_key,
    )
    .expect("key matches")
}

fn revocation_list_vectors(world: &World) -> Vec<Vector> {
    let case = |description: &str, text: String| Case::new(world, description, Kind::RevocationList, text);
    let student = world.student_revocation();
    let parent = parent_revocation(world);
    let two = [listed(3, student.clone()), listed(4, parent.clone())];
    let two_page = page(world, 0, 4, 6, &two);
    let bytes = world.revocation_list().to_bytes();
    let mut vectors = vec![
        case(
            "valid revocation-list page: the one revocation of a log of five entries",
            world.revocation_list().to_text(),
        )
        .build(),
        case(
            "valid revocation-list page of positions 5 to 9 holding no revocation; entries is present and empty",
            page(world, 5, 9, 9, &[]),
        )
        .entries(vec![])
        .build(),
        case(
            "valid revocation-list page of positions 1 to 4 of a log of six (not the last page), with two revocations",
            two_page.clone(),
        )
        .entries(revocation_list_entries(&two))
        .build(),
        case(
            "valid revocation-list page whose revocation was signed by a key cut off since: a listed revocation \
             still counts",
            world.revocation_list().to_text(),
        )
        .revoked(world, &[&world.student_key])
        .build(),
    ];

    let mut omitted = case(
        "invalid: revocation-list page presented with its revocation left out",
        world.revocation_list().to_text(),
    );
    omitted = omitted.entries(vec![]);
    vectors.push(omitted.build());
    vectors.push(
        case(
            "invalid: revocation-list page altered to cover fewer log positions",
            to_text(&with_byte(&bytes, UP_TO + 7, 3)),
        )
        .build(),
    );
    vectors.push(
        case(
            "invalid: the page's revocation presented at position 6, after the page's last position 5",
            world.revocation_list().to_text(),
        )
        .entries(revocation_list_entries(&[listed(6, student.clone())]))
        .build(),
    );
    vectors.push(
        case(
            "invalid: the page's revocation presented at position 0, which the page (after 0) does not cover",
            world.revocation_list().to_text(),
        )
        .entries(revocation_list_entries(&[listed(0, student.clone())]))
        .build(),
    );
    vectors.push(
        case(
            "invalid: a page's two revocations presented in decreasing positions",
            two_page.clone(),
        )
        .entries(revocation_list_entries(&[
            listed(4, parent.clone()),
            listed(3, student.clone()),
        ]))
        .build(),
    );
    vectors.push(
        case(
            "invalid: a page's two revocations presented at one position",
            two_page.clone(),
        )
        .entries(revocation_list_entries(&[
            listed(3, student.clone()),
            listed(3, parent.clone()),
        ]))
        .build(),
    );
    let elsewhere = SignedRevocation::sign(
        Revocation {
            id: RevocationId::from_bytes([0x3b; 16]),
            school: SchoolId(8),
            ..student.unverified().clone()
        },
        &world.student_key,
    )
    .expect("key matches");
    let elsewhere_entries = [listed(4, elsewhere)];
    vectors.push(
        case(
            "invalid: a page that lists another school's revocation, its digest signed over it",
            page(world, 0, 5, 5, &elsewhere_entries),
        )
        .entries(revocation_list_entries(&elsewhere_entries))
        .build(),
    );
    vectors.push(
        case(
            "invalid: another revocation presented in place of the page's one",
            world.revocation_list().to_text(),
        )
        .entries(revocation_list_entries(&[listed(4, parent.clone())]))
        .build(),
    );
    vectors.push(
        case(
            "invalid: an extra revocation presented beside the page's one",
            world.revocation_list().to_text(),
        )
        .entries(revocation_list_entries(&[
            listed(4, student.clone()),
            listed(5, parent.clone()),
        ]))
        .build(),
    );
    let forged = SignedRevocation::from_bytes(&with_byte(&student.to_bytes(), 2, 0x99)).expect("decodes");
    let forged_entries = [listed(4, forged)];
    vectors.push(
        case(
            "invalid: the page lists a revocation whose own signature fails (its id altered after signing)",
            page(world, 0, 5, 5, &forged_entries),
        )
        .entries(revocation_list_entries(&forged_entries))
        .build(),
    );
    let classmate = SignedRevocation::sign(
        Revocation {
            id: RevocationId::from_bytes([0x3c; 16]),
            key: PublicKey::of(&world.classmate_key).id(),
            ..student.unverified().clone()
        },
        &world.classmate_key,
    )
    .expect("key matches");
    let classmate_entries = [listed(4, classmate)];
    vectors.push(
        case(
            "invalid: the page lists a revocation of the student's consent signed by the classmate",
            page(world, 0, 5, 5, &classmate_entries),
        )
        .entries(revocation_list_entries(&classmate_entries))
        .build(),
    );
    let student_text = student.to_text();
    vectors.push(
        case(
            "invalid: a revocation presented beside the page does not decode (truncated); its own error is the answer",
            world.revocation_list().to_text(),
        )
        .entries(vec![json!({
            "sequence": 4,
            "revocation": &student_text[..student_text.len() - 4],
        })])
        .build(),
    );
    vectors.push(
        case(
            "invalid: non-canonical, a page whose after (6) lies beyond its up_to (5)",
            to_text(&with_byte(&bytes, AFTER + 7, 6)),
        )
        .build(),
    );
    vectors.push(
        case(
            "invalid: non-canonical, a page whose up_to (6) lies beyond the log size (5)",
            to_text(&with_byte(&bytes, UP_TO + 7, 6)),
        )
        .build(),
    );
    vectors.push(
        case(
            "invalid: non-canonical, a page of 5 positions claiming 6 revocations",
            to_text(&with_byte(&bytes, COUNT + 3, 6)),
        )
        .build(),
    );
    vectors.push(
        case(
            "invalid: a page signed by a person's key (a key in the wrong role)",
            SignedRevocationList::sign(
                RevocationList {
                    key: PublicKey::of(&world.student_key).id(),
                    ..world.revocation_list().unverified().clone()
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

fn guardian_dates_vectors(world: &World) -> Vec<Vector> {
    let case = |description: &str, text: String| Case::new(world, description, Kind::GuardianDates, text);
    let entries = world.guardian_dates_entries();
    let text = world.guardian_dates().to_text();
    let bytes = world.guardian_dates().to_bytes();
    let mut reordered = entries.clone();
    reordered.reverse();
    let mut moved = entries.clone();
    moved[1].until = Timestamp::from_unix(NOW);
    let mut extra = entries.clone();
    extra.push(GuardianDate {
        person: person(0xf0),
        until: Timestamp::from_unix(0),
    });
    let empty = GuardianDates::of_entries(
        world.school,
        16,
        &[],
        world.now,
        PublicKey::of(&world.server_key).id(),
    )
    .expect("no entries are in order");
    vec![
        case(
            "valid guardian dates: the student decides alone (until 0), the child always needs a guardian (until 2106-02-07T06:28:15Z)",
            text.clone(),
        )
        .build(),
        case(
            "valid guardian dates of a school without people",
            SignedGuardianDates::sign(empty, &world.server_key)
                .expect("key matches")
                .to_text(),
        )
        .entries(vec![])
        .build(),
        case("invalid: guardian dates presented with a person left out", text.clone())
            .entries(guardian_dates_entries(&entries[..1]))
            .build(),
        case(
            "invalid: guardian dates presented in decreasing person id order",
            text.clone(),
        )
        .entries(guardian_dates_entries(&reordered))
        .build(),
        case(
            "invalid: guardian dates presented with the child's moment changed",
            text.clone(),
        )
        .entries(guardian_dates_entries(&moved))
        .build(),
        case(
            "invalid: guardian dates presented with an extra person",
            text.clone(),
        )
        .entries(guardian_dates_entries(&extra))
        .build(),
        case(
            "invalid: guardian dates altered to a consent age of 12 after signing",
            to_text(&with_byte(&bytes, CONSENT_AGE, 12)),
        )
        .build(),
        case(
            "invalid: guardian dates signed by a person's key (a key in the wrong role)",
            SignedGuardianDates::sign(
                GuardianDates {
                    key: PublicKey::of(&world.student_key).id(),
                    ..world.guardian_dates().unverified().clone()
                },
                &world.student_key,
            )
            .expect("key matches")
            .to_text(),
        )
        .build(),
        case(
            "invalid: guardian dates truncated inside the entries digest",
            to_text(&bytes[..20]),
        )
        .build(),
        case(
            "invalid: a log head presented as guardian dates",
            world.log_head().to_text(),
        )
        .build(),
    ]
}

pub fn vectors(world: &World) -> Vec<Vector> {
    let mut vectors = revocation_list_vectors(world);
    vectors.extend(guardian_dates_vectors(world));
    vectors
}
