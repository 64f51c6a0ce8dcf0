//! Test support: runs the real `consent` binary, each user in their own
//! config folder, against a real server.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use consent_tests::TestServer;
use serde_json::Value;

/// One user of the command-line client: their own config folder.
pub struct User {
    dir: tempfile::TempDir,
    server: Option<String>,
}

/// What a run of `consent` gave.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts exit code 0 and returns the run.
    #[track_caller]
    pub fn ok(self) -> Self {
        assert_eq!(self.code, 0, "expected success:\n{self:#?}");
        self
    }

    /// Asserts the exit code and returns the run.
    #[track_caller]
    pub fn exits(self, code: i32) -> Self {
        assert_eq!(self.code, code, "expected exit code {code}:\n{self:#?}");
        self
    }

    /// Standard output as JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{self:#?}"))
    }
}

impl User {
    /// A user of `server`, with an empty config folder.
    pub fn of(server: &TestServer) -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            server: Some(server.url.clone()),
        }
    }

    /// A user with no server address anywhere.
    pub fn without_server() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            server: None,
        }
    }

    /// A staff member logged in with `token`.
    pub async fn staff(server: &TestServer, token: &str) -> Self {
        let user = Self::of(server);
        user.run(&["login", "--token", token]).await.ok();
        user
    }

    /// A file in the user's folder (for pictures and exports).
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The user's config folder.
    pub fn config_dir(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    /// Runs `consent ARGS` and waits for it.
    pub async fn run(&self, args: &[&str]) -> Run {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_consent"));
        command
            .args(args)
            .env("CONSENT_CONFIG_DIR", self.config_dir())
            .env_remove("CONSENT_TOKEN")
            .env_remove("CONSENT_SERVER")
            .stdin(std::process::Stdio::null())
            .current_dir(self.dir.path());
        if let Some(server) = &self.server {
            command.env("CONSENT_SERVER", server);
        }
        let output = command.output().await.expect("the consent binary runs");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Like [`Self::run`] with paths as arguments.
    pub async fn run_with(&self, args: &[&str], path: &Path) -> Run {
        let mut all: Vec<&str> = args.to_vec();
        all.push(path.to_str().unwrap());
        self.run(&all).await
    }
}

/// The school's administrator, logged in through the client.
pub async fn admin(server: &TestServer) -> User {
    let api = server.admin("De Linde").await;
    User::staff(server, api.token.as_deref().unwrap()).await
}

/// Adds a person through the client and returns their id.
pub async fn add_person(admin: &User, args: &[&str]) -> String {
    let mut all = vec!["people", "add", "--json"];
    all.extend_from_slice(args);
    admin.run(&all).await.ok().json()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Adds a staff member with `role` and returns them logged in.
pub async fn staff_member(server: &TestServer, admin: &User, name: &str, role: &str) -> User {
    let member = admin
        .run(&["staff", "add", "--name", name, "--role", role, "--json"])
        .await
        .ok()
        .json();
    let id = member["id"].as_i64().unwrap().to_string();
    let token = admin.run(&["staff", "token", &id, "--json"]).await.ok().json();
    User::staff(server, token["token"].as_str().unwrap()).await
}

/// A one-time enrollment code's text for `person`.
pub async fn enrollment_code(admin: &User, person: &str) -> String {
    let codes = admin
        .run(&["enrollment-codes", "--person", person, "--json"])
        .await
        .ok()
        .json();
    codes[0]["qr_text"].as_str().unwrap().to_owned()
}

/// A person's device, enrolled from the code's text.
pub async fn enrolled(server: &TestServer, admin: &User, person: &str) -> User {
    let code = enrollment_code(admin, person).await;
    let device = User::of(server);
    device.run(&["enroll", &code]).await.ok();
    device
}
