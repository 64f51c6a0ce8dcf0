//! The audit log's history cannot be rewritten unnoticed by someone with
//! access to the database: the server refuses to sign a head that does not
//! extend the last one it signed. (Clients' own checks are tested in
//! `client-cli/tests/flows.rs`.)
#![allow(clippy::unwrap_used)]

use consent_protocol::SignedLogHead;
use consent_tests::{Answer, Db, TestServer};
use reqwest::StatusCode;

fn log_size(answer: &Answer) -> u64 {
    SignedLogHead::from_text(answer.body["log_head"].as_str().unwrap())
        .unwrap()
        .unverified()
        .size
}

/// A student gives consent and withdraws it; the log's head is signed. Then
/// the revocation and its log entry are removed in the database and the
/// school's head is set back to the entry before it (what the chain then
/// really hashes to): the server refuses to sign that head, and still
/// refuses after a new entry brings the log back to its old size with
/// another history.
async fn server_refuses_to_sign_a_log_whose_history_was_rewritten(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let comms = admin.staff("Chris", "communications").await;
    let sam = admin.person("student", "Sam", "3B", "2009-05-01").await;
    let phone = admin.enroll(sam).await;
    let token = phone.consent().await;
    assert!(phone
        .revoke(token.unverified().token_id)
        .await
        .status
        .is_success());
    let signed = comms.get("/v1/audit/log").await;
    assert_eq!(signed.status, StatusCode::OK);
    let size = log_size(&signed);

    let school = "(SELECT id FROM schools WHERE name = 'De Linde')";
    let cut = format!(
        "UPDATE schools SET log_size = {before}, log_head = \
         (SELECT head FROM log_entries WHERE school_id = {school} AND position = {before}) WHERE id = {school}",
        before = size - 1
    );
    server
        .tamper(&[
            "DELETE FROM revocations",
            &format!("DELETE FROM log_entries WHERE school_id = {school} AND position = {size}"),
            &cut,
        ])
        .await;
    let refused = comms.get("/v1/audit/log").await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{refused:?}");
    assert_eq!(refused.code(), "log_history_changed");
    assert_eq!(refused.content_type, "application/problem+json");

    // A new entry makes the log as long as the signed one again, with
    // another history: still refused.
    admin.person("student", "Kim", "3B", "2009-05-01").await;
    let refused = comms.get("/v1/audit/log").await;
    assert_eq!(refused.code(), "log_history_changed", "{refused:?}");
}

/// A log that only grew is signed again and again.
async fn server_signs_every_head_that_extends_the_last(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let comms = admin.staff("Chris", "communications").await;
    let first = log_size(&comms.get("/v1/audit/log").await);
    admin.person("student", "Sam", "3B", "2009-05-01").await;
    let second = comms.get("/v1/audit/log").await;
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(log_size(&second), first + 1);
    let server = server.restart().await;
    admin.person("student", "Kim", "3B", "2009-05-01").await;
    let third = comms.get("/v1/audit/log").await;
    assert_eq!(third.status, StatusCode::OK, "{third:?}");
    assert_eq!(log_size(&third), first + 2);
    drop(server);
}

consent_tests::on_both_databases!(
    server_refuses_to_sign_a_log_whose_history_was_rewritten,
    server_signs_every_head_that_extends_the_last,
);
