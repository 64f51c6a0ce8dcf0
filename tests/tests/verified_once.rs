//! Each signature is verified once per instance (issue 17), and nothing
//! that remembering lets through: a grant altered in the database after its
//! signature was remembered is refused, and a revocation or a cut-off
//! acknowledged right after a check wins the very next one. A device's "last
//! used" is written at most once a minute and is never older than that.
#![allow(clippy::unwrap_used)]

use consent_protocol::*;
use consent_server::http::now;
use consent_tests::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

const PHOTO: &str = "school trip, 2026-12-01";

async fn check(teacher: &Api, person: SubjectId, purpose: &str) -> String {
    let answer = teacher
        .post(
            "/v1/checks",
            json!({"media_hash": media_hash(PHOTO.as_bytes()), "media_kind": "photo", "purpose": purpose,
                   "people": [person.to_string()]}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    answer.body["verdicts"][0]["outcome"].as_str().unwrap().to_owned()
}

/// A blob literal in the server's database.
fn blob(db: Db, bytes: &[u8]) -> String {
    match db {
        Db::Sqlite => format!("X'{}'", hex_of(bytes)),
        Db::Postgres => format!("'\\x{}'::bytea", hex_of(bytes)),
    }
}

async fn a_grant_altered_after_its_signature_was_remembered_is_refused(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let teacher = admin.staff("Tess", "teacher").await;
    let sam = admin.person("student", "Sam", "3B", "2009-05-01").await;
    let phone = admin.enroll(sam).await;
    let token = phone.consent().await;
    // Checked twice: the second check finds the signature remembered.
    assert_eq!(check(&teacher, sam, "website").await, "allowed");
    assert_eq!(check(&teacher, sam, "website").await, "allowed");
    assert_eq!(check(&teacher, sam, "social-media").await, "wrong_purpose");

    // Someone with access to the database widens the stored grant to social
    // media and keeps its signature.
    let mut widened = token.unverified().clone();
    widened.purposes = PurposeSet::new([Purpose::WEBSITE, Purpose::YEARBOOK, Purpose::SOCIAL_MEDIA]).unwrap();
    let widened = SignedGrant::from_parts(widened, token.signatures().to_vec()).unwrap();
    let token_id = token.unverified().token_id;
    server
        .tamper(&[&format!(
            "UPDATE grants SET token = {} WHERE token_id = '{token_id}'",
            blob(db, &widened.to_bytes())
        )])
        .await;
    assert_eq!(check(&teacher, sam, "social-media").await, "no_consent");
    assert_eq!(check(&teacher, sam, "website").await, "no_consent");

    // The original row back, with one byte of its signature changed.
    let mut signature = token.signatures()[0].to_bytes();
    signature[5] ^= 0x01;
    let forged = SignedGrant::from_parts(
        token.unverified().clone(),
        vec![Signature::from_bytes(&signature)],
    )
    .unwrap();
    server
        .tamper(&[&format!(
            "UPDATE grants SET token = {} WHERE token_id = '{token_id}'",
            blob(db, &forged.to_bytes())
        )])
        .await;
    assert_eq!(check(&teacher, sam, "website").await, "no_consent");

    // And the row as the student signed it is allowed again.
    server
        .tamper(&[&format!(
            "UPDATE grants SET token = {} WHERE token_id = '{token_id}'",
            blob(db, &token.to_bytes())
        )])
        .await;
    assert_eq!(check(&teacher, sam, "website").await, "allowed");
}

async fn a_revocation_or_a_cut_off_right_after_a_remembered_check_wins(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let teacher = admin.staff("Tess", "teacher").await;
    let sam = admin.person("student", "Sam", "3B", "2009-05-01").await;
    let kim = admin.person("student", "Kim", "3B", "2009-06-01").await;
    let sams_phone = admin.enroll(sam).await;
    let kims_phone = admin.enroll(kim).await;
    let sams_token = sams_phone.consent().await;
    kims_phone.consent().await;
    for _ in 0..2 {
        assert_eq!(check(&teacher, sam, "website").await, "allowed");
        assert_eq!(check(&teacher, kim, "website").await, "allowed");
    }

    let revoked = sams_phone.revoke(sams_token.unverified().token_id).await;
    assert_eq!(revoked.status, StatusCode::CREATED, "{revoked:?}");
    assert_eq!(check(&teacher, sam, "website").await, "revoked");

    let cut_off = admin
        .post(&format!("/v1/keys/{}/revoke", kims_phone.key_id()), json!({}))
        .await;
    assert_eq!(cut_off.status, StatusCode::NO_CONTENT, "{cut_off:?}");
    assert_eq!(check(&teacher, kim, "website").await, "device_lost");
}

fn last_used(devices: &Value) -> i64 {
    devices[0]["last_used_at"].as_i64().unwrap()
}

async fn a_devices_last_use_is_written_once_a_minute_and_never_older(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let sam = admin.person("student", "Sam", "3B", "2009-05-01").await;
    let phone = admin.enroll(sam).await;
    let devices = format!("/v1/people/{sam}/devices");
    let key = phone.key_id();

    // Used 30 s ago: a request now leaves it (it is within a minute).
    let half_a_minute_ago = i64::from(now().as_unix()) - 30;
    server
        .tamper(&[&format!(
            "UPDATE device_keys SET last_used_at = {half_a_minute_ago} WHERE key_id = '{key}'"
        )])
        .await;
    assert_eq!(phone.signed_get("/v1/me").await.status, StatusCode::OK);
    assert_eq!(last_used(&admin.get(&devices).await.body), half_a_minute_ago);

    // Used two minutes ago: a request now moves it to now.
    let two_minutes_ago = i64::from(now().as_unix()) - 120;
    server
        .tamper(&[&format!(
            "UPDATE device_keys SET last_used_at = {two_minutes_ago} WHERE key_id = '{key}'"
        )])
        .await;
    let before = i64::from(now().as_unix());
    assert_eq!(phone.signed_get("/v1/me").await.status, StatusCode::OK);
    assert!(last_used(&admin.get(&devices).await.body) >= before);
}

on_both_databases!(
    a_grant_altered_after_its_signature_was_remembered_is_refused,
    a_revocation_or_a_cut_off_right_after_a_remembered_check_wins,
    a_devices_last_use_is_written_once_a_minute_and_never_older
);
