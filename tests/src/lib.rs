//! Test support: a real consent server on a random port over a real SQLite
//! file or a fresh PostgreSQL database, and clients for each kind of user.
//!
//! PostgreSQL tests read the server URL from `CONSENT_TEST_POSTGRES_URL`
//! (for example `postgres://postgres@127.0.0.1/test`) and create a fresh
//! database per test. Without it they are built as ignored tests whose
//! reason says so (see `build.rs`), and `.ci/run` sets
//! `CONSENT_REQUIRE_POSTGRES=1` so that a PostgreSQL run cannot silently not
//! happen.
#![allow(missing_docs, clippy::unwrap_used)]

pub mod browser;
pub mod console;
pub mod pictures;

use std::net::SocketAddr;
use std::path::PathBuf;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use consent_protocol::*;
use consent_server::http::now;
use consent_server::store::StaffRole;
use consent_server::{open_store, Config, Server};
use rand_core::{OsRng, RngCore};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::Connection;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Which database a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Runs each named `async fn(Db)` as two tests: on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::Db::Sqlite).await })*
        }
        mod postgres {
            $($crate::postgres_test!($name);)*
        }
    };
}

/// One PostgreSQL test of [`on_both_databases!`]. Built without
/// `CONSENT_TEST_POSTGRES_URL` (see `build.rs`), it is ignored with the
/// reason, so that the test output never shows `ok` for a run that did not
/// happen.
#[cfg(postgres_configured)]
#[doc(hidden)]
#[macro_export]
macro_rules! postgres_test {
    ($name:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            super::$name($crate::Db::Postgres).await
        }
    };
}

/// One PostgreSQL test of [`on_both_databases!`], ignored: no PostgreSQL
/// server was named when the tests were built.
#[cfg(not(postgres_configured))]
#[doc(hidden)]
#[macro_export]
macro_rules! postgres_test {
    ($name:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        #[ignore = "no PostgreSQL: set CONSENT_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1/test to run it"]
        async fn $name() {
            super::$name($crate::Db::Postgres).await
        }
    };
}

/// A fresh, empty database of the given kind, or `None` when PostgreSQL is
/// not configured (and not required).
pub async fn fresh_database(db: Db, dir: &std::path::Path) -> Option<String> {
    match db {
        Db::Sqlite => Some(format!("sqlite://{}?mode=rwc", dir.join("consent.db").display())),
        Db::Postgres => {
            let Ok(admin_url) = std::env::var("CONSENT_TEST_POSTGRES_URL") else {
                assert!(
                    std::env::var("CONSENT_REQUIRE_POSTGRES").is_err(),
                    "CONSENT_REQUIRE_POSTGRES is set but CONSENT_TEST_POSTGRES_URL is not"
                );
                eprintln!("skipped: set CONSENT_TEST_POSTGRES_URL to run on PostgreSQL");
                return None;
            };
            let mut connection = sqlx::PgConnection::connect(&admin_url)
                .await
                .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at CONSENT_TEST_POSTGRES_URL: {e}"));
            let mut suffix = [0u8; 8];
            OsRng.fill_bytes(&mut suffix);
            let name = format!("consent_test_{}", hex_of(&suffix));
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut connection)
                .await
                .expect("create test database");
            let base = admin_url
                .rsplit_once('/')
                .map_or(admin_url.as_str(), |(base, _)| base);
            Some(format!("{base}/{name}"))
        }
    }
}

/// Bytes as lowercase hexadecimal.
pub fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A running server.
pub struct TestServer {
    pub url: String,
    /// The address the server listens on.
    pub address: SocketAddr,
    pub database_url: String,
    pub data_dir: PathBuf,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<anyhow::Result<()>>>,
    _dir: Option<tempfile::TempDir>,
}

impl TestServer {
    /// A server on a fresh database, or `None` when the database is not available.
    pub async fn start(db: Db) -> Option<Self> {
        Self::start_with(db, |_| {}).await
    }

    /// A server on a fresh database with its configuration adjusted by
    /// `configure` (limits, TLS), or `None` when the database is not available.
    pub async fn start_with(db: Db, configure: impl FnOnce(&mut Config)) -> Option<Self> {
        // Server logs go to the test's output, shown when a test fails.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("warn"))
            .with_test_writer()
            .try_init();
        let dir = tempfile::tempdir().unwrap();
        let database_url = fresh_database(db, dir.path()).await?;
        let mut config = Self::config(&database_url, dir.path().to_path_buf());
        configure(&mut config);
        let mut server = Self::launch(config).await;
        server._dir = Some(dir);
        Some(server)
    }

    /// Another server instance on an existing database, with its own data directory.
    pub async fn start_on(database_url: &str, data_dir: PathBuf) -> Self {
        Self::launch(Self::config(database_url, data_dir)).await
    }

    fn config(database_url: &str, data_dir: PathBuf) -> Config {
        Config {
            data_dir: Some(data_dir),
            database_url: Some(database_url.to_owned()),
            ..Config::new("127.0.0.1:0".parse::<SocketAddr>().unwrap())
        }
    }

    async fn launch(config: Config) -> Self {
        let server = Server::bind(&config).await.expect("server starts");
        let address = server.local_addr().unwrap();
        // A certificate names the host, not the address: HTTPS goes to localhost.
        let url = if server.is_tls() {
            format!("https://localhost:{}", address.port())
        } else {
            format!("http://{address}")
        };
        let (shutdown, signal) = oneshot::channel::<()>();
        let handle = tokio::spawn(server.serve(async move {
            let _ = signal.await;
        }));
        Self {
            url,
            address,
            database_url: config.database_url(),
            data_dir: config.data_dir(),
            shutdown: Some(shutdown),
            handle: Some(handle),
            _dir: None,
        }
    }

    /// A second instance on the same database.
    pub async fn second_instance(&self) -> (Self, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        (
            Self::start_on(&self.database_url, dir.path().to_path_buf()).await,
            dir,
        )
    }

    /// Stops the server gracefully.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(handle) = self.handle.take() {
            handle.await.unwrap().unwrap();
        }
    }

    /// Runs SQL statements on the server's database directly, as someone
    /// with access to the database (not through the server) would.
    pub async fn tamper(&self, statements: &[&str]) {
        sqlx::any::install_default_drivers();
        let mut connection = sqlx::AnyConnection::connect(&self.database_url)
            .await
            .expect("the database opens");
        for statement in statements {
            sqlx::query(statement)
                .execute(&mut connection)
                .await
                .unwrap_or_else(|e| panic!("{statement}: {e}"));
        }
        connection.close().await.unwrap();
    }

    /// Stops the server and starts it again on the same address, database
    /// and data directory (a client's remembered server address still fits).
    pub async fn restart(mut self) -> Self {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(handle) = self.handle.take() {
            handle.await.unwrap().unwrap();
        }
        let config = Config {
            listen: self.address,
            ..Self::config(&self.database_url, self.data_dir.clone())
        };
        let server = Server::bind(&config).await.expect("server starts again");
        let (shutdown, signal) = oneshot::channel::<()>();
        self.handle = Some(tokio::spawn(server.serve(async move {
            let _ = signal.await;
        })));
        self.shutdown = Some(shutdown);
        self
    }

    /// A client without credentials.
    pub fn anonymous(&self) -> Api {
        Api {
            base: self.url.clone(),
            token: None,
            client: reqwest::Client::new(),
        }
    }

    /// A client without credentials whose connections come from `address`
    /// (any of 127.0.0.0/8 reaches the server on Linux), to be told apart
    /// from other clients by the server.
    pub fn anonymous_from(&self, address: std::net::IpAddr) -> Api {
        Api {
            client: reqwest::Client::builder().local_address(address).build().unwrap(),
            ..self.anonymous()
        }
    }

    /// Creates a school (if new) and an administrator, as `consent-server
    /// admin create` does on the host, and returns the administrator's client.
    pub async fn admin(&self, school: &str) -> Api {
        let config = Config {
            data_dir: Some(self.data_dir.clone()),
            database_url: Some(self.database_url.clone()),
            ..Config::new("127.0.0.1:0".parse().unwrap())
        };
        let store = open_store(&config).await.unwrap();
        let now = consent_server::http::now_unix();
        let school = match store.school_by_name(school).await.unwrap() {
            Some(school) => school,
            None => store.create_school(school, now).await.unwrap(),
        };
        let member = store
            .create_staff(school.id, "Admin", StaffRole::Admin, now)
            .await
            .unwrap();
        let issued = consent_server::http::issue_admin_token(&store, &member, 30)
            .await
            .unwrap();
        store.close().await;
        Api {
            token: Some(issued.token),
            ..self.anonymous()
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// A client speaking JSON to the server, with an optional staff token.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub token: Option<String>,
    pub client: reqwest::Client,
}

/// A response: status, body as JSON (or a JSON string of the text), headers.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
    pub content_type: String,
}

impl Answer {
    /// The problem code of an error answer.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
}

impl Api {
    /// The same server with another staff token.
    pub fn with_token(&self, token: &str) -> Api {
        Api {
            token: Some(token.to_owned()),
            ..self.clone()
        }
    }

    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        answer(request.send().await.expect("server answers")).await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(Method::POST, path, Some(body)).await
    }

    /// Creates a staff member with `role` and returns a client with their token.
    pub async fn staff(&self, name: &str, role: &str) -> Api {
        self.staff_member(name, role).await.0
    }

    /// Creates a staff member with `role`; returns a client with their token
    /// and their staff id.
    pub async fn staff_member(&self, name: &str, role: &str) -> (Api, i64) {
        let member = self.post("/v1/staff", json!({"name": name, "role": role})).await;
        assert_eq!(member.status, StatusCode::CREATED, "{member:?}");
        let id = member.body["id"].as_i64().unwrap();
        let token = self
            .post(&format!("/v1/staff/{id}/tokens"), json!({"label": "test"}))
            .await;
        assert_eq!(token.status, StatusCode::CREATED, "{token:?}");
        (self.with_token(token.body["token"].as_str().unwrap()), id)
    }

    /// A one-time console sign-in code for staff member `id` (as an
    /// administrator).
    pub async fn sign_in_code(&self, id: i64) -> String {
        let code = self
            .post(&format!("/v1/staff/{id}/sign-in-codes"), json!({}))
            .await;
        assert_eq!(code.status, StatusCode::CREATED, "{code:?}");
        code.body["code"].as_str().unwrap().to_owned()
    }

    /// Adds a student (or guardian) and returns their id.
    pub async fn person(&self, kind: &str, name: &str, group: &str, birth_date: &str) -> SubjectId {
        let person = self
            .post(
                "/v1/people",
                json!({"kind": kind, "display_name": name, "group": group, "birth_date": birth_date}),
            )
            .await;
        assert_eq!(person.status, StatusCode::CREATED, "{person:?}");
        person.body["id"].as_str().unwrap().parse().unwrap()
    }

    /// Enrolls a new device for `person` and returns it.
    pub async fn enroll(&self, person: SubjectId) -> Phone {
        let code = self
            .post(&format!("/v1/people/{person}/enrollment-codes"), json!({}))
            .await;
        assert_eq!(code.status, StatusCode::OK, "{code:?}");
        let key = SigningKey::generate(&mut OsRng);
        let phone = Phone {
            key,
            person,
            school: SchoolId(0),
            api: Api {
                token: None,
                ..self.clone()
            },
        };
        let enrolled = phone.enroll(code.body["qr_text"].as_str().unwrap()).await;
        assert_eq!(enrolled.status, StatusCode::CREATED, "{enrolled:?}");
        Phone {
            school: SchoolId(enrolled.body["school"].as_u64().unwrap() as u32),
            ..phone
        }
    }
}

/// Reads a response as an [`Answer`].
pub async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let bytes = response.bytes().await.unwrap_or_default();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    Answer {
        status,
        body,
        content_type,
    }
}

/// A student's or parent's device: a key pair whose public half the server knows.
#[derive(Clone)]
pub struct Phone {
    pub key: SigningKey,
    pub person: SubjectId,
    pub school: SchoolId,
    pub api: Api,
}

impl Phone {
    pub fn key_id(&self) -> KeyId {
        PublicKey::of(&self.key).id()
    }

    async fn enroll(&self, code: &str) -> Answer {
        self.api
            .post(
                "/v1/enroll",
                json!({"code": code, "public_key": hex_of(&PublicKey::of(&self.key).to_bytes())}),
            )
            .await
    }

    /// A grant for `media` and `purposes`, valid to the end of the school year.
    pub fn grant(&self, media: &[MediaKind], purposes: &[Purpose]) -> Grant {
        let now = now();
        Grant {
            token_id: TokenId::random(&mut OsRng),
            school: self.school,
            subject: self.person,
            media: MediaSet::new(media.iter().copied()).unwrap(),
            purposes: PurposeSet::new(purposes.iter().copied()).unwrap(),
            issued_at: now,
            not_before: now,
            not_after: now.end_of_school_year(),
            signers: GrantSigners::Subject { key: self.key_id() },
        }
    }

    /// Signs and submits a grant for photos on the website and in the yearbook.
    pub async fn consent(&self) -> SignedGrant {
        let token = SignedGrant::sign(
            self.grant(&[MediaKind::Photo], &[Purpose::WEBSITE, Purpose::YEARBOOK]),
            &[&self.key],
        )
        .unwrap();
        let answer = self.submit(&token).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
        token
    }

    pub async fn submit(&self, token: &SignedGrant) -> Answer {
        self.api
            .post("/v1/grants", json!({"token": token.to_text()}))
            .await
    }

    /// A revocation of one token, signed by this device in `role` for `subject`.
    pub fn revocation(&self, subject: SubjectId, scope: RevocationScope, role: Role) -> SignedRevocation {
        let revocation = Revocation {
            id: RevocationId::random(&mut OsRng),
            school: self.school,
            subject,
            scope,
            issued_at: now(),
            role,
            key: self.key_id(),
        };
        SignedRevocation::sign(revocation, &self.key).unwrap()
    }

    pub async fn revoke(&self, token: TokenId) -> Answer {
        let revocation = self.revocation(self.person, RevocationScope::Token(token), Role::Subject);
        self.api
            .post("/v1/revocations", json!({"revocation": revocation.to_text()}))
            .await
    }

    /// A request signed by this device.
    pub async fn signed_get(&self, path: &str) -> Answer {
        let time = now();
        let signature = sign_request(&self.key, "GET", path, time, b"");
        let header = format!(
            "Consent-Device key={}, time={}, signature={}",
            self.key_id(),
            time.as_unix(),
            URL_SAFE_NO_PAD.encode(signature.to_bytes())
        );
        let response = self
            .api
            .client
            .get(format!("{}{path}", self.api.base))
            .header("authorization", header)
            .send()
            .await
            .unwrap();
        answer(response).await
    }
}

/// A photo's SHA-256, as a check names it.
pub fn media_hash(content: &[u8]) -> String {
    use sha2::Digest;
    hex_of(&sha2::Sha256::digest(content))
}

/// An `/v1/audit/log` answer's chain recomputed from genesis: the signed
/// head's claims (not verified here), the recomputed head, and how many
/// entries the answer held. The log verifies when the head and size match.
pub fn recompute_log(log: &Value) -> (LogHead, Hash256, usize) {
    let head = SignedLogHead::from_text(log["log_head"].as_str().unwrap()).unwrap();
    let entries = log["entries"].as_array().unwrap();
    let mut chain = genesis_head(head.unverified().school);
    for (index, entry) in entries.iter().enumerate() {
        chain = next_head(
            &chain,
            index as u64 + 1,
            entry["entry"].as_str().unwrap().as_bytes(),
        );
    }
    (head.unverified().clone(), chain, entries.len())
}
