//! The consent rules an outside attacker bent (issue 12: findings 2, 4, 5
//! and 6) and a lost phone handled end to end (issue 11, point 2), each test
//! one promise, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used)]

use consent_protocol::*;
use consent_server::http::now;
use consent_tests::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

const PHOTO: &str = "sports day, 2026-11-20";

async fn check(teacher: &Api, person: SubjectId, purpose: &str) -> Value {
    let answer = teacher
        .post(
            "/v1/checks",
            json!({"media_hash": media_hash(PHOTO.as_bytes()), "media_kind": "photo", "purpose": purpose,
                   "people": [person.to_string()]}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    answer.body
}

async fn outcome(teacher: &Api, person: SubjectId, purpose: &str) -> String {
    let answer = check(teacher, person, purpose).await;
    answer["verdicts"][0]["outcome"].as_str().unwrap().to_owned()
}

async fn link(admin: &Api, guardian: SubjectId, child: SubjectId) {
    let linked = admin
        .post(
            &format!("/v1/people/{child}/guardians"),
            json!({"guardian": guardian.to_string()}),
        )
        .await;
    assert_eq!(linked.status, StatusCode::NO_CONTENT, "{linked:?}");
}

/// A grant for `child` signed by their guardian alone.
fn by_guardian(parent: &Phone, child: SubjectId) -> SignedGrant {
    let grant = Grant {
        subject: child,
        signers: GrantSigners::Guardian { key: parent.key_id() },
        ..parent.grant(&[MediaKind::Photo], &[Purpose::WEBSITE])
    };
    SignedGrant::sign(grant, &[&parent.key]).unwrap()
}

async fn submit_revocation(phone: &Phone, revocation: &SignedRevocation) -> Answer {
    phone
        .api
        .post("/v1/revocations", json!({"revocation": revocation.to_text()}))
        .await
}

/// The standing of `token` in the record `/v1/me` gives `phone`.
async fn my_standing(phone: &Phone, token: TokenId) -> Value {
    let record = phone.signed_get("/v1/me").await;
    assert_eq!(record.status, StatusCode::OK, "{record:?}");
    record.body["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|held| held["token_id"] == token.to_string())
        .map(|held| held["standing"].clone())
        .unwrap()
}

async fn publish(teacher: &Api, person: SubjectId) -> i64 {
    let checked = check(teacher, person, "website").await;
    let published = teacher
        .post(
            "/v1/publications",
            json!({"receipt_id": checked["receipt_id"], "channel": "website"}),
        )
        .await;
    assert_eq!(published.status, StatusCode::CREATED, "{published:?}");
    published.body["publication"].as_i64().unwrap()
}

/// The standing of `person` in publication `id`, as communications staff see it.
async fn published_standing(comms: &Api, id: i64) -> (bool, Value) {
    let all = comms.get("/v1/publications").await.body;
    let publication = all
        .as_array()
        .unwrap()
        .iter()
        .find(|publication| publication["id"] == id)
        .unwrap()
        .clone();
    (
        publication["needs_takedown"].as_bool().unwrap(),
        publication["people_now"][0].clone(),
    )
}

/// Finding 2: a 17-year-old withdrew everything; their parent can neither
/// give consent back nor withdraw it for them.
async fn a_parent_cannot_override_a_student_of_age(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let teacher = admin.staff("Tess", "teacher").await;
    let student = admin.person("student", "Sam", "5A", "2009-05-01").await;
    let parent = admin.person("guardian", "Pia", "", "").await;
    link(&admin, parent, student).await;
    let phone = admin.enroll(student).await;
    let parent_phone = admin.enroll(parent).await;
    phone.consent().await;

    let all = phone.revocation(student, RevocationScope::AllIssuedUpTo(now()), Role::Subject);
    assert_eq!(submit_revocation(&phone, &all).await.status, StatusCode::CREATED);
    let overridden = parent_phone.submit(&by_guardian(&parent_phone, student)).await;
    assert_eq!(
        (overridden.status, overridden.code()),
        (StatusCode::BAD_REQUEST, "student_decides"),
        "{overridden:?}"
    );
    assert_eq!(outcome(&teacher, student, "website").await, "revoked");

    let for_them = parent_phone.revocation(student, RevocationScope::AllIssuedUpTo(now()), Role::Guardian);
    let refused = submit_revocation(&parent_phone, &for_them).await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::BAD_REQUEST, "student_decides"),
        "{refused:?}"
    );
}

/// Finding 2: a parent's consent given while the child was younger stops
/// counting once the child reaches the school's age of digital consent,
/// until the student gives consent themselves; their status says so.
async fn a_guardian_only_consent_stops_counting_on_the_birthday(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let teacher = admin.staff("Tess", "teacher").await;
    let child = admin.person("student", "Yara", "2B", "2012-06-01").await;
    let parent = admin.person("guardian", "Pia", "", "").await;
    link(&admin, parent, child).await;
    let parent_phone = admin.enroll(parent).await;
    let token = by_guardian(&parent_phone, child);
    assert_eq!(parent_phone.submit(&token).await.status, StatusCode::CREATED);
    assert_eq!(outcome(&teacher, child, "website").await, "allowed");

    // Yara is 14: the school lowering its age of digital consent to 13 makes
    // her old enough to decide, as her 16th birthday would.
    let lowered = admin
        .send(
            reqwest::Method::PATCH,
            "/v1/school",
            Some(json!({"digital_consent_age": 13})),
        )
        .await;
    assert_eq!(lowered.status, StatusCode::OK, "{lowered:?}");
    let answer = check(&teacher, child, "website").await;
    assert_eq!(answer["verdicts"][0]["outcome"], "student_must_confirm");
    let receipt = SignedReceipt::from_text(answer["receipt"].as_str().unwrap()).unwrap();
    assert_eq!(
        receipt.unverified().verdicts[0].outcome,
        Outcome::StudentMustConfirm
    );

    let child_phone = admin.enroll(child).await;
    let standing = my_standing(&child_phone, token.unverified().token_id).await;
    assert_eq!(standing["status"], "student_must_confirm");
    assert_eq!(standing["since"], 1_748_736_000); // 2025-06-01, her 13th birthday

    // She confirms by giving consent herself.
    let own = SignedGrant::sign(
        child_phone.grant(&[MediaKind::Photo], &[Purpose::WEBSITE]),
        &[&child_phone.key],
    )
    .unwrap();
    assert_eq!(child_phone.submit(&own).await.status, StatusCode::CREATED);
    assert_eq!(outcome(&teacher, child, "website").await, "allowed");
}

/// Finding 4: a grant dated 200 s ahead by a fast clock does not survive
/// "withdraw all" made now.
async fn withdraw_all_covers_a_grant_dated_ahead(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let teacher = admin.staff("Tess", "teacher").await;
    let student = admin.person("student", "Sam", "5A", "2009-05-01").await;
    let phone = admin.enroll(student).await;
    let mut grant = phone.grant(&[MediaKind::Photo], &[Purpose::WEBSITE]);
    grant.issued_at = now().plus_seconds(200);
    let ahead = SignedGrant::sign(grant, &[&phone.key]).unwrap();
    assert_eq!(phone.submit(&ahead).await.status, StatusCode::CREATED);
    assert_eq!(outcome(&teacher, student, "website").await, "allowed");

    let all = phone.revocation(student, RevocationScope::AllIssuedUpTo(now()), Role::Subject);
    assert_eq!(submit_revocation(&phone, &all).await.status, StatusCode::CREATED);
    assert_eq!(outcome(&teacher, student, "website").await, "revoked");
    assert_eq!(
        my_standing(&phone, ahead.unverified().token_id).await["status"],
        "revoked"
    );

    // The school's "withdraw all" covers it just the same.
    let other = admin.person("student", "Noor", "5A", "2009-03-01").await;
    let other_phone = admin.enroll(other).await;
    let mut grant = other_phone.grant(&[MediaKind::Photo], &[Purpose::WEBSITE]);
    grant.issued_at = now().plus_seconds(200);
    let ahead = SignedGrant::sign(grant, &[&other_phone.key]).unwrap();
    assert_eq!(other_phone.submit(&ahead).await.status, StatusCode::CREATED);
    let by_school = admin
        .post(&format!("/v1/people/{other}/revocations"), json!({}))
        .await;
    assert_eq!(by_school.status, StatusCode::CREATED, "{by_school:?}");
    assert_eq!(outcome(&teacher, other, "website").await, "revoked");
}

/// Finding 5: a revocation may not reach past its own making, and the
/// server never answers "recorded" for consent a revocation already
/// withdraws.
async fn no_revocation_reaches_the_future_and_no_grant_is_born_withdrawn(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let teacher = admin.staff("Tess", "teacher").await;
    let student = admin.person("student", "Sam", "5A", "2009-05-01").await;
    let phone = admin.enroll(student).await;

    let in_2100 = phone.revocation(
        student,
        RevocationScope::AllIssuedUpTo(Timestamp::from_unix(4_102_444_800)),
        Role::Subject,
    );
    let refused = submit_revocation(&phone, &in_2100).await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "cut_off_after_issue"),
        "{refused:?}"
    );
    phone.consent().await;
    assert_eq!(outcome(&teacher, student, "website").await, "allowed");

    // A revocation dated 200 s ahead (within clock skew) with its cut-off
    // then: a grant made now is withdrawn before it arrives, and is refused
    // with the reason rather than recorded.
    let mut ahead = phone.revocation(student, RevocationScope::AllIssuedUpTo(now()), Role::Subject);
    let later = now().plus_seconds(200);
    let claims = Revocation {
        scope: RevocationScope::AllIssuedUpTo(later),
        issued_at: later,
        ..ahead.unverified().clone()
    };
    ahead = SignedRevocation::sign(claims, &phone.key).unwrap();
    assert_eq!(
        submit_revocation(&phone, &ahead).await.status,
        StatusCode::CREATED
    );
    let born_withdrawn = SignedGrant::sign(
        phone.grant(&[MediaKind::Photo], &[Purpose::WEBSITE]),
        &[&phone.key],
    )
    .unwrap();
    let answer = phone.submit(&born_withdrawn).await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::BAD_REQUEST, "already_withdrawn"),
        "{answer:?}"
    );

    // And a token whose id was withdrawn before it was submitted.
    let grant = phone.grant(&[MediaKind::Photo], &[Purpose::WEBSITE]);
    let revoked = phone.revoke(grant.token_id).await;
    assert_eq!(revoked.status, StatusCode::CREATED, "{revoked:?}");
    let answer = phone
        .submit(&SignedGrant::sign(grant, &[&phone.key]).unwrap())
        .await;
    assert_eq!(answer.code(), "already_withdrawn", "{answer:?}");
}

/// Finding 6: whatever makes a check deny flags the publications that
/// relied on it: a device cut off, a person erased.
async fn cut_off_devices_and_erased_people_flag_their_publications(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let teacher = admin.staff("Tess", "teacher").await;
    let comms = admin.staff("Cas", "communications").await;
    let sam = admin.person("student", "Sam", "5A", "2009-05-01").await;
    let noor = admin.person("student", "Noor", "5A", "2009-03-01").await;
    let sams_phone = admin.enroll(sam).await;
    let noors_phone = admin.enroll(noor).await;
    sams_phone.consent().await;
    noors_phone.consent().await;
    let sams = publish(&teacher, sam).await;
    let noors = publish(&teacher, noor).await;
    assert!(!published_standing(&comms, sams).await.0);

    let cut_off = admin
        .post(&format!("/v1/keys/{}/revoke", sams_phone.key_id()), json!({}))
        .await;
    assert_eq!(cut_off.status, StatusCode::NO_CONTENT, "{cut_off:?}");
    let erased = admin
        .send(reqwest::Method::DELETE, &format!("/v1/people/{noor}"), None)
        .await;
    assert!(erased.status.is_success(), "{erased:?}");

    assert_eq!(outcome(&teacher, sam, "website").await, "device_lost");
    assert_eq!(outcome(&teacher, noor, "website").await, "revoked");
    let (flagged, standing) = published_standing(&comms, sams).await;
    assert!(flagged);
    assert_eq!(standing["status"], "device_lost");
    assert!(standing["since"].as_i64().unwrap() > 0);
    let (flagged, standing) = published_standing(&comms, noors).await;
    assert!(flagged);
    assert_eq!(standing["status"], "revoked");
    let listed = comms.get("/v1/publications?flagged=true").await.body;
    assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");
}

/// Issue 11, point 2: the administrator lists the student's devices, cuts
/// off the lost one, the student enrolls a new phone; every surface then
/// says the old consent was signed on a device reported lost, and new
/// consent from the new phone counts again.
async fn a_lost_phone_is_listed_cut_off_and_every_surface_says_so(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let teacher = admin.staff("Tess", "teacher").await;
    let comms = admin.staff("Cas", "communications").await;
    let sam = admin.person("student", "Sam", "5A", "2009-05-01").await;
    let lost = admin.enroll(sam).await;
    let token = lost.consent().await;
    let publication = publish(&teacher, sam).await;

    let devices = admin.get(&format!("/v1/people/{sam}/devices")).await;
    assert_eq!(devices.status, StatusCode::OK, "{devices:?}");
    let devices = devices.body.as_array().unwrap().clone();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0]["key_id"], lost.key_id().to_string());
    assert!(devices[0]["registered_at"].as_i64().unwrap() > 0);
    assert!(
        devices[0]["last_used_at"].as_i64().is_some(),
        "signing the grant counts as use: {devices:?}"
    );
    assert_eq!(devices[0]["revoked_at"], Value::Null);
    let teacher_cannot = teacher.get(&format!("/v1/people/{sam}/devices")).await;
    assert_eq!(teacher_cannot.status, StatusCode::FORBIDDEN);

    let cut_off = admin
        .post(&format!("/v1/keys/{}/revoke", lost.key_id()), json!({}))
        .await;
    assert_eq!(cut_off.status, StatusCode::NO_CONTENT, "{cut_off:?}");
    let new_phone = admin.enroll(sam).await;
    let devices = admin.get(&format!("/v1/people/{sam}/devices")).await.body;
    assert_eq!(devices.as_array().unwrap().len(), 2, "{devices}");
    let device = |key: KeyId| {
        devices
            .as_array()
            .unwrap()
            .iter()
            .find(|device| device["key_id"] == key.to_string())
            .unwrap()
            .clone()
    };
    assert!(
        device(lost.key_id())["revoked_at"].as_i64().is_some(),
        "{devices}"
    );
    assert_eq!(device(new_phone.key_id())["revoked_at"], Value::Null, "{devices}");

    // The teacher's check, with a receipt that says it too.
    let answer = check(&teacher, sam, "website").await;
    assert_eq!(answer["verdicts"][0]["outcome"], "device_lost");
    let receipt = SignedReceipt::from_text(answer["receipt"].as_str().unwrap()).unwrap();
    assert_eq!(receipt.unverified().verdicts[0].outcome, Outcome::DeviceLost);
    // A scan of the old code.
    let scan = teacher.post("/v1/scans", json!({"token": token.to_text()})).await;
    assert_eq!(scan.status, StatusCode::OK, "{scan:?}");
    assert_eq!(scan.body["standing"], "device_lost");
    assert_eq!(scan.body["allowed_purposes"], json!([]));
    // The publication.
    let (flagged, standing) = published_standing(&comms, publication).await;
    assert!(flagged);
    assert_eq!(standing["status"], "device_lost");
    // The student's own record, on the new phone.
    let standing = my_standing(&new_phone, token.unverified().token_id).await;
    assert_eq!(standing["status"], "device_lost");
    assert!(standing["since"].as_i64().unwrap() > 0);

    // Consent given again from the new phone counts, and the publication
    // stands again on it.
    new_phone.consent().await;
    assert_eq!(outcome(&teacher, sam, "website").await, "allowed");
    let (flagged, standing) = published_standing(&comms, publication).await;
    assert!(!flagged, "{standing}");
    assert_eq!(standing["status"], "valid");
}

on_both_databases!(
    a_parent_cannot_override_a_student_of_age,
    a_guardian_only_consent_stops_counting_on_the_birthday,
    withdraw_all_covers_a_grant_dated_ahead,
    no_revocation_reaches_the_future_and_no_grant_is_born_withdrawn,
    cut_off_devices_and_erased_people_flag_their_publications,
    a_lost_phone_is_listed_cut_off_and_every_surface_says_so,
);
