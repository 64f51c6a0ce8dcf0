//! Runs the real `consent-server` binary for tests that need whole processes.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use consent_protocol::SubjectId;
use consent_tests::{media_hash, Api};
use reqwest::StatusCode;
use serde_json::{json, Value};

const SERVER: &str = env!("CARGO_BIN_EXE_consent-server");

/// The real server binary on `database_url`; returns the process and its URL.
pub fn start(data_dir: &Path, database_url: &str) -> (Child, String) {
    let mut child = Command::new(SERVER)
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .expect("the server prints its address")
        .to_owned();
    (child, url)
}

/// Creates the school and its first administrator with `consent-server admin
/// create`, returning the API token it prints.
pub fn admin_token(data_dir: &Path, database_url: &str) -> String {
    let output = Command::new(SERVER)
        .args(["--data-dir"])
        .arg(data_dir)
        .args(["admin", "create", "--school", "De Linde", "--name", "Anna"])
        .env("DATABASE_URL", database_url)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .to_owned()
}

/// A teacher's check of one person on the sports-day photo, for the website.
pub async fn check(teacher: &Api, person: SubjectId) -> Value {
    let answer = teacher
        .post(
            "/v1/checks",
            json!({"media_hash": media_hash(b"sports day"), "media_kind": "photo", "purpose": "website", "people": [person.to_string()]}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    answer.body
}
