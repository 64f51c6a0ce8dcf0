//! Rotating an instance's signing key: the old private key is gone, the new
//! one signs from the next start, and what the old one signed still verifies.
#![allow(clippy::unwrap_used)]

mod support;

use std::process::{Child, Command};

use consent_protocol::*;
use consent_tests::*;
use support::{admin_token, check, start};

const SERVER: &str = env!("CARGO_BIN_EXE_consent-server");

/// A check's signed receipt.
async fn receipt(teacher: &Api, person: SubjectId) -> SignedReceipt {
    SignedReceipt::from_text(check(teacher, person).await["receipt"].as_str().unwrap()).unwrap()
}

async fn published_keys(api: &Api) -> Keyring {
    let mut keyring = Keyring::new();
    for key in api.get("/v1/server-keys").await.body.as_array().unwrap() {
        keyring.add(
            PublicKey::from_hex(key["public_key"].as_str().unwrap()).unwrap(),
            KeyHolder::Server,
        );
    }
    keyring
}

fn stop(mut server: Child) {
    let terminated = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(terminated.success());
    assert!(server.wait().unwrap().success());
}

async fn rotated_key_signs_from_next_start_and_old_signatures_still_verify(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let Some(database_url) = fresh_database(db, dir.path()).await else {
        return;
    };
    let key_file = dir.path().join("server-signing-key");
    let token = admin_token(dir.path(), &database_url);
    let (server, url) = start(dir.path(), &database_url);
    let admin = Api {
        base: url,
        token: Some(token),
        client: reqwest::Client::new(),
    };
    let teacher = admin.staff("Tess", "teacher").await;
    let student = admin.person("student", "Sam", "3B", "2009-05-01").await;
    admin.enroll(student).await.consent().await;
    let before = receipt(&teacher, student).await;
    let old_secret = std::fs::read_to_string(&key_file).unwrap();
    stop(server);

    let rotated = Command::new(SERVER)
        .arg("--data-dir")
        .arg(dir.path())
        .args(["key", "rotate"])
        .env("DATABASE_URL", &database_url)
        .output()
        .unwrap();
    assert!(
        rotated.status.success(),
        "{}",
        String::from_utf8_lossy(&rotated.stderr)
    );
    let new_secret = std::fs::read_to_string(&key_file).unwrap();
    assert_ne!(new_secret, old_secret, "the old private key is gone");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "only the server's user may read the key");
    }
    assert!(!dir.path().join("server-signing-key.next").exists());

    let (server, url) = start(dir.path(), &database_url);
    let teacher = Api { base: url, ..teacher };
    let after = receipt(&teacher, student).await;
    assert_ne!(
        after.unverified().key,
        before.unverified().key,
        "the new key signs"
    );
    assert!(
        String::from_utf8_lossy(&rotated.stdout).contains(&after.unverified().key.to_string()),
        "the command names the new key"
    );
    let keys = published_keys(&teacher).await;
    assert!(
        before.verify(&keys).is_ok(),
        "what the old key signed still verifies"
    );
    assert!(after.verify(&keys).is_ok());
    stop(server);
}

on_both_databases!(rotated_key_signs_from_next_start_and_old_signatures_still_verify);
