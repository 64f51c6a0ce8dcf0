//! Scanning a consent code: what it says and whether it stands, with nothing
//! recorded. On SQLite and PostgreSQL.
#![allow(clippy::unwrap_used)]

use consent_protocol::*;
use consent_tests::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn scan(staff: &Api, token: &str) -> Answer {
    staff.post("/v1/scans", json!({"token": token})).await
}

/// The scan of `token`, which must succeed.
async fn scanned(staff: &Api, token: &SignedGrant) -> Value {
    let answer = scan(staff, &token.to_text()).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    answer.body
}

async fn log_size(auditor: &Api) -> u64 {
    let log = auditor.get("/v1/audit/log").await;
    assert_eq!(log.status, StatusCode::OK, "{log:?}");
    SignedLogHead::from_text(log.body["log_head"].as_str().unwrap())
        .unwrap()
        .unverified()
        .size
}

async fn a_valid_token_scans_as_genuine_and_valid(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let teacher = admin.staff("Tess", "teacher").await;
    let sam = admin.person("student", "Sam", "3B", "2009-05-01").await;
    let token = admin.enroll(sam).await.consent().await;

    let scan = scanned(&teacher, &token).await;
    assert_eq!(scan["genuine"], true);
    assert_eq!(scan["error"], Value::Null);
    assert_eq!(scan["standing"], "valid");
    assert_eq!(
        scan["person"],
        json!({"id": sam.to_string(), "display_name": "Sam", "group": "3B"})
    );
    assert_eq!(scan["grant"]["token_id"], token.unverified().token_id.to_string());
    assert_eq!(scan["guardian_required"], false);
    assert_eq!(scan["guardian_signed"], false);
    assert_eq!(scan["allowed_media"], json!(["photo"]));
    assert_eq!(scan["allowed_purposes"], json!(["website", "yearbook"]));
}

async fn a_revoked_token_scans_as_revoked_and_allows_nothing(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let teacher = admin.staff("Tess", "teacher").await;
    let sam = admin.person("student", "Sam", "3B", "2009-05-01").await;
    let phone = admin.enroll(sam).await;
    let token = phone.consent().await;
    let revoked = phone.revoke(token.unverified().token_id).await;
    assert_eq!(revoked.status, StatusCode::CREATED, "{revoked:?}");

    let scan = scanned(&teacher, &token).await;
    assert_eq!(scan["genuine"], true, "revoking does not make a code forged");
    assert_eq!(scan["standing"], "revoked");
    assert_eq!(scan["allowed_media"], json!([]));
    assert_eq!(scan["allowed_purposes"], json!([]));
}

async fn an_altered_token_is_not_genuine(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let teacher = admin.staff("Tess", "teacher").await;
    let sam = admin.person("student", "Sam", "3B", "2009-05-01").await;
    let genuine = admin.enroll(sam).await.consent().await;
    // Press added after signing.
    let mut claims = genuine.unverified().clone();
    claims.purposes = PurposeSet::new([Purpose::WEBSITE, Purpose::YEARBOOK, Purpose::PRESS]).unwrap();
    let altered = SignedGrant::from_parts(claims, genuine.signatures().to_vec()).unwrap();

    let scan = scanned(&teacher, &altered).await;
    assert_eq!(scan["genuine"], false);
    assert_eq!(scan["error"], "bad_signature");
    assert_eq!(scan["grant"]["purposes"], json!(["website", "yearbook", "press"]));
    assert_eq!(scan["allowed_media"], json!([]));
    assert_eq!(scan["allowed_purposes"], json!([]));
}

async fn another_schools_token_is_refused(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin_a = server.admin("De Linde").await;
    let sam = admin_a.person("student", "Sam", "3B", "2009-05-01").await;
    let token_a = admin_a.enroll(sam).await.consent().await;
    let admin_b = server.admin("Het Baken").await;
    let teacher_b = admin_b.staff("Bert", "teacher").await;

    let answer = scan(&teacher_b, &token_a.to_text()).await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::BAD_REQUEST, "other_school"),
        "{answer:?}"
    );
    assert_eq!(answer.content_type, "application/problem+json");
}

async fn a_young_childs_token_without_guardian_allows_nothing(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let teacher = admin.staff("Tess", "teacher").await;
    let yara = admin.person("student", "Yara", "1C", "2014-06-01").await;
    let phone = admin.enroll(yara).await;
    // Signed on the child's own device; the server would refuse to record it.
    let alone = SignedGrant::sign(
        phone.grant(&[MediaKind::Photo], &[Purpose::WEBSITE]),
        &[&phone.key],
    )
    .unwrap();

    let scan = scanned(&teacher, &alone).await;
    assert_eq!(scan["genuine"], true);
    assert_eq!(scan["guardian_required"], true);
    assert_eq!(scan["guardian_signed"], false);
    assert_eq!(scan["allowed_media"], json!([]));
    assert_eq!(scan["allowed_purposes"], json!([]));
}

async fn a_scan_records_nothing(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let teacher = admin.staff("Tess", "teacher").await;
    let comms = admin.staff("Cas", "communications").await;
    let sam = admin.person("student", "Sam", "3B", "2009-05-01").await;
    let phone = admin.enroll(sam).await;
    // Never submitted: the server learns of it only through the scan.
    let unseen = SignedGrant::sign(
        phone.grant(&[MediaKind::Photo], &[Purpose::WEBSITE]),
        &[&phone.key],
    )
    .unwrap();
    let before = log_size(&comms).await;

    let scan = scanned(&teacher, &unseen).await;
    assert_eq!(
        (&scan["genuine"], &scan["standing"]),
        (&json!(true), &json!("valid")),
        "a genuine code not yet received stands: {scan}"
    );
    assert_eq!(scan["allowed_purposes"], json!(["website"]));
    let undecodable = SignedGrant::from_text("consent:AAAA").unwrap_err();
    assert_eq!(
        scan_status(&teacher, "consent:AAAA").await,
        (StatusCode::UNPROCESSABLE_ENTITY, undecodable.code().to_owned())
    );

    assert_eq!(log_size(&comms).await, before, "the log is unchanged");
    let record = phone.signed_get("/v1/me").await;
    assert_eq!(
        record.body["tokens"],
        json!([]),
        "the scanned code was not stored"
    );
}

async fn scan_status(staff: &Api, token: &str) -> (StatusCode, String) {
    let answer = scan(staff, token).await;
    (answer.status, answer.code().to_owned())
}

async fn only_those_who_check_codes_may_scan(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let comms = admin.staff("Cas", "communications").await;
    let sam = admin.person("student", "Sam", "3B", "2009-05-01").await;
    let token = admin.enroll(sam).await.consent().await.to_text();

    assert_eq!(scan(&comms, &token).await.status, StatusCode::OK);
    assert_eq!(
        scan_status(&admin, &token).await,
        (StatusCode::FORBIDDEN, "forbidden".to_owned())
    );
    assert_eq!(
        scan_status(&server.anonymous(), &token).await,
        (StatusCode::UNAUTHORIZED, "unauthorized".to_owned())
    );
}

/// A code of the other kind is named for what it is, a damaged code is
/// "could not be read" rather than forged, and a parent's device that signs
/// for the parent is told that consent names a student: in the problem
/// documents, for any client.
async fn a_code_of_the_wrong_kind_or_damaged_is_named_for_what_it_is(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let teacher = admin.staff("Tess", "teacher").await;
    let sam = admin.person("student", "Sam", "3B", "2009-05-01").await;
    let token = admin.enroll(sam).await.consent().await;
    let code = admin
        .post(&format!("/v1/people/{sam}/enrollment-codes"), json!({}))
        .await;
    let enrollment = code.body["qr_text"].as_str().unwrap();

    let scanned = scan(&teacher, enrollment).await;
    assert_eq!(scanned.status, StatusCode::BAD_REQUEST, "{scanned:?}");
    assert_eq!(scanned.code(), "not_a_consent_code");
    assert!(
        scanned.body["detail"]
            .as_str()
            .unwrap()
            .contains("enrollment code"),
        "{scanned:?}"
    );
    let checked = teacher
        .post(
            "/v1/checks",
            json!({"media_hash": media_hash(b"x"), "media_kind": "photo", "purpose": "website", "tokens": [enrollment]}),
        )
        .await;
    assert_eq!(checked.code(), "not_a_consent_code", "{checked:?}");

    let public_key = PublicKey::of(&SigningKey::generate(&mut rand_core::OsRng));
    let enrolled = server
        .anonymous()
        .post(
            "/v1/enroll",
            json!({"code": token.to_text(), "public_key": hex_of(&public_key.to_bytes())}),
        )
        .await;
    assert_eq!(enrolled.status, StatusCode::BAD_REQUEST, "{enrolled:?}");
    assert_eq!(enrolled.code(), "not_an_enrollment_code");
    assert!(
        enrolled.body["detail"].as_str().unwrap().contains("consent code"),
        "{enrolled:?}"
    );
    let mut text = token.to_text();
    text.truncate(text.len() - 10);
    let damaged = scan(&teacher, &text).await;
    assert_eq!(damaged.status, StatusCode::UNPROCESSABLE_ENTITY, "{damaged:?}");
    let detail = damaged.body["detail"].as_str().unwrap();
    assert!(detail.contains("could not be read"), "{damaged:?}");
    assert!(!detail.contains("base64"), "{damaged:?}");

    let pia = admin.person("guardian", "Pia", "", "").await;
    let parent = admin.enroll(pia).await;
    let own = SignedGrant::sign(
        parent.grant(&[MediaKind::Photo], &[Purpose::WEBSITE]),
        &[&parent.key],
    )
    .unwrap();
    let refused = parent.submit(&own).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{refused:?}");
    assert_eq!(refused.code(), "not_a_student");
}

on_both_databases!(
    a_code_of_the_wrong_kind_or_damaged_is_named_for_what_it_is,
    a_valid_token_scans_as_genuine_and_valid,
    a_revoked_token_scans_as_revoked_and_allows_nothing,
    an_altered_token_is_not_genuine,
    another_schools_token_is_refused,
    a_young_childs_token_without_guardian_allows_nothing,
    a_scan_records_nothing,
    only_those_who_check_codes_may_scan,
);
