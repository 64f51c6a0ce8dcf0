//! Starting the real binary: a taken address says how to choose another,
//! and logs written to a file carry no terminal colour codes.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const SERVER: &str = env!("CARGO_BIN_EXE_consent-server");

#[test]
fn a_taken_address_names_the_listen_flag_and_logs_to_a_file_are_plain() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("first.log");
    let database = format!("sqlite://{}?mode=rwc", dir.path().join("consent.db").display());
    let mut first = Command::new(SERVER)
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("DATABASE_URL", &database)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(first.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let address = line
        .trim()
        .strip_prefix("listening on http://")
        .expect("the server prints its address")
        .to_owned();

    let second = Command::new(SERVER)
        .args(["--listen", &address, "--data-dir"])
        .arg(dir.path())
        .env("DATABASE_URL", &database)
        .output()
        .unwrap();
    first.kill().unwrap();
    first.wait().unwrap();

    assert!(!second.status.success());
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains(&format!("cannot listen on {address}")),
        "{stderr}"
    );
    assert!(stderr.contains("--listen"), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "no colour codes off a terminal: {stderr:?}"
    );

    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("starting"), "{logged}");
    assert!(
        !logged.contains('\u{1b}'),
        "no colour codes in a log file: {logged:?}"
    );
}
