//! Several server processes on one database: a revocation acknowledged by one
//! is honoured by the very next check on the other, also while checks run;
//! and SIGTERM stops a server cleanly.
#![allow(clippy::unwrap_used)]

mod support;

use std::process::Command;

use consent_tests::*;
use reqwest::StatusCode;
use support::{admin_token, check, start};

async fn revocation_on_one_process_is_honoured_by_the_other(db: Db) {
    let first_dir = tempfile::tempdir().unwrap();
    let second_dir = tempfile::tempdir().unwrap();
    let Some(database_url) = fresh_database(db, first_dir.path()).await else {
        return;
    };
    let token = admin_token(first_dir.path(), &database_url);
    let (mut first, first_url) = start(first_dir.path(), &database_url);
    let (mut second, second_url) = start(second_dir.path(), &database_url);
    let admin = Api {
        base: first_url,
        token: Some(token),
        client: reqwest::Client::new(),
    };
    let teacher = Api {
        base: second_url,
        ..admin.staff("Tess", "teacher").await
    };
    let student = admin.person("student", "Sam", "3B", "2009-05-01").await;
    let phone = admin.enroll(student).await;
    let token = phone.consent().await;
    assert_eq!(
        check(&teacher, student).await["verdicts"][0]["outcome"],
        "allowed"
    );

    // Each process signs with its own key; both are published.
    let keys = teacher.get("/v1/server-keys").await.body;
    assert_eq!(keys.as_array().unwrap().len(), 2, "{keys}");

    let background = {
        let teacher = teacher.clone();
        tokio::spawn(async move {
            for _ in 0..25 {
                check(&teacher, student).await;
            }
        })
    };
    let revoked = phone.revoke(token.unverified().token_id).await;
    assert_eq!(revoked.status, StatusCode::CREATED, "{revoked:?}");
    for _ in 0..3 {
        assert_eq!(
            check(&teacher, student).await["verdicts"][0]["outcome"],
            "revoked"
        );
    }
    background.await.unwrap();

    for server in [&mut first, &mut second] {
        let terminated = Command::new("kill")
            .args(["-TERM", &server.id().to_string()])
            .status()
            .unwrap();
        assert!(terminated.success());
        assert!(
            server.wait().unwrap().success(),
            "SIGTERM stops the server cleanly"
        );
    }
}

on_both_databases!(revocation_on_one_process_is_honoured_by_the_other);
