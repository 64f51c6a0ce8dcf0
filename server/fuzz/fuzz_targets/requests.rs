//! Any request to the main endpoints, sent through the real router over a
//! real SQLite record, is answered without a panic and without a 5xx; every
//! refusal is an `application/problem+json` document with a stable `code`.
//!
//! One process builds one server state (a school, staff of every role, a
//! student with an enrolled device and a recorded grant, a guardian) in a
//! temporary directory, then drives `consent_server::http::router` in-process.
//! The record is SQLite, or the PostgreSQL database named by
//! `CONSENT_FUZZ_DATABASE_URL` (for example
//! `postgres://postgres@127.0.0.1/fuzz`), which fails differently on text
//! SQLite accepts.
//!
//! An input is: one byte choosing the endpoint, one byte of variations
//! (credential, content type, client address), then the URL part (path
//! parameter and query, appended to the endpoint's path) and the body,
//! separated by the first zero byte. `@P`, `@K`, `@G`, `@D` and `@T` in
//! either are replaced by the student's id, a younger student's id, the
//! guardian's id, the device's key id and a valid grant's text, so that
//! mutations reach past "unknown person" into the handlers' logic.
#![no_main]

use std::net::SocketAddr;
use std::sync::LazyLock;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use consent_protocol::{
    sign_request, Grant, GrantSigners, MediaKind, MediaSet, PublicKey, Purpose, PurposeSet, SchoolId,
    SignedGrant, SigningKey, SubjectId, TokenId,
};
use consent_server::http::{now, router};
use consent_server::store::StaffRole;
use consent_server::{open_state, Config};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};
use tokio::runtime::Runtime;
use tower::ServiceExt;

/// Who an endpoint expects to call it.
#[derive(Clone, Copy)]
enum Caller {
    Nobody,
    Admin,
    Teacher,
    Communications,
    Device,
}

/// An endpoint: method, path with `{}` where the input's URL part goes, its
/// caller and its body's content type.
struct Endpoint(Method, &'static str, Caller, &'static str);

const JSON: &str = "application/json";
const CSV: &str = "text/csv";

static ENDPOINTS: LazyLock<Vec<Endpoint>> = LazyLock::new(|| {
    use Caller::*;
    vec![
        Endpoint(Method::POST, "/v1/grants{}", Nobody, JSON),
        Endpoint(Method::POST, "/v1/revocations{}", Nobody, JSON),
        Endpoint(Method::POST, "/v1/checks{}", Teacher, JSON),
        Endpoint(Method::POST, "/v1/publications{}", Teacher, JSON),
        Endpoint(Method::POST, "/v1/enroll{}", Nobody, JSON),
        Endpoint(Method::POST, "/v1/people/import{}", Admin, CSV),
        Endpoint(Method::POST, "/v1/people{}", Admin, JSON),
        Endpoint(Method::POST, "/v1/scans{}", Teacher, JSON),
        Endpoint(Method::GET, "/v1/me{}", Device, JSON),
        Endpoint(Method::GET, "/v1/people{}", Admin, JSON),
        Endpoint(Method::GET, "/v1/people/{}", Admin, JSON),
        Endpoint(Method::GET, "/v1/revocations{}", Teacher, JSON),
        Endpoint(Method::GET, "/v1/audit/log{}", Communications, JSON),
        Endpoint(Method::GET, "/v1/reports/coverage{}", Admin, JSON),
        Endpoint(Method::GET, "/v1/publications{}", Communications, JSON),
        Endpoint(Method::POST, "/v1/publications/{}/takedown", Communications, JSON),
        Endpoint(Method::POST, "/v1/people/{}/guardians", Admin, JSON),
        Endpoint(Method::POST, "/v1/people/{}/enrollment-codes", Admin, JSON),
        Endpoint(Method::POST, "/v1/people/{}/revocations", Admin, JSON),
        Endpoint(Method::DELETE, "/v1/people/{}", Admin, JSON),
        Endpoint(Method::PATCH, "/v1/school{}", Admin, JSON),
        Endpoint(Method::POST, "/v1/staff{}", Admin, JSON),
        Endpoint(Method::POST, "/v1/staff/{}/tokens", Admin, JSON),
        Endpoint(Method::GET, "/v1/offline-keys{}", Teacher, JSON),
        // Any method on any path, to fuzz routing and its fallbacks. Never as
        // an administrator, who could revoke the fixture's own tokens.
        Endpoint(Method::GET, "{}", Teacher, JSON),
    ]
});

/// The server and what the fuzz inputs may refer to.
struct Fixture {
    runtime: Runtime,
    router: Router,
    admin: String,
    teacher: String,
    communications: String,
    device: SigningKey,
    replacements: Vec<(&'static [u8], Vec<u8>)>,
    _dir: tempfile::TempDir,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(Fixture::new);

fuzz_target!(|input: &[u8]| FIXTURE.run(input));

impl Fixture {
    fn new() -> Self {
        // In memory where the system has it: SQLite syncs every write to disk.
        let dir = tempfile::Builder::new()
            .prefix("consent-fuzz")
            .tempdir_in("/dev/shm")
            .or_else(|_| tempfile::tempdir())
            .expect("a temporary directory");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let config = Config {
            data_dir: Some(dir.path().to_path_buf()),
            database_url: std::env::var("CONSENT_FUZZ_DATABASE_URL").ok(),
            ..Config::new(SocketAddr::from(([127, 0, 0, 1], 0)))
        };
        let state = runtime.block_on(open_state(&config)).expect("the server's state");
        let store = state.store.clone();
        let router = router(state);
        let mut fixture = Self {
            runtime,
            router,
            admin: String::new(),
            teacher: String::new(),
            communications: String::new(),
            device: SigningKey::from_bytes(&[7; 32]),
            replacements: Vec::new(),
            _dir: dir,
        };
        fixture.admin = fixture.runtime.block_on(async {
            let now = consent_server::http::now_unix();
            // A database may be reused between runs; each run has its own school.
            let name = format!("Fuzz school {}-{now}", std::process::id());
            let school = store.create_school(&name, now).await.expect("a school");
            let member = store
                .create_staff(school.id, "Admin", StaffRole::Admin, now)
                .await
                .expect("an administrator");
            consent_server::http::issue_admin_token(&store, &member, 365)
                .await
                .expect("a token")
                .token
        });
        fixture.teacher = fixture.staff("teacher");
        fixture.communications = fixture.staff("communications");
        let person = |fixture: &Fixture, kind: &str, name: &str, birth_date: &str| {
            let (status, body) = fixture.setup(
                Method::POST,
                "/v1/people",
                json!({"kind": kind, "display_name": name, "group": "3B", "birth_date": birth_date}),
            );
            assert_eq!(status, StatusCode::CREATED, "{body}");
            body["id"].as_str().expect("an id").to_owned()
        };
        let sam = person(&fixture, "student", "Sam", "2009-05-01");
        let kim = person(&fixture, "student", "Kim", "2018-02-03");
        let pat = person(&fixture, "guardian", "Pat", "1980-01-01");
        for child in [&sam, &kim] {
            let (status, body) = fixture.setup(
                Method::POST,
                &format!("/v1/people/{child}/guardians"),
                json!({"guardian": pat}),
            );
            assert!(status.is_success(), "{body}");
        }
        let (_, code) = fixture.setup(
            Method::POST,
            &format!("/v1/people/{sam}/enrollment-codes"),
            json!({}),
        );
        let public_key = PublicKey::of(&fixture.device);
        let hex: String = public_key.to_bytes().iter().map(|b| format!("{b:02x}")).collect();
        let (status, enrolled) = fixture.setup(
            Method::POST,
            "/v1/enroll",
            json!({"code": code["qr_text"], "public_key": hex}),
        );
        assert_eq!(status, StatusCode::CREATED, "{enrolled}");
        let school = SchoolId(enrolled["school"].as_u64().expect("a school id") as u32);
        let now = now();
        let grant = Grant {
            token_id: TokenId::from_bytes([9; 16]),
            school,
            subject: sam.parse::<SubjectId>().expect("a person id"),
            media: MediaSet::new([MediaKind::Photo]).expect("media"),
            purposes: PurposeSet::new([Purpose::WEBSITE, Purpose::YEARBOOK]).expect("purposes"),
            issued_at: now,
            not_before: now,
            not_after: now.end_of_school_year(),
            signers: GrantSigners::Subject { key: public_key.id() },
        };
        let token = SignedGrant::sign(grant, &[&fixture.device])
            .expect("a grant")
            .to_text();
        let (status, body) = fixture.setup(Method::POST, "/v1/grants", json!({"token": token}));
        assert_eq!(status, StatusCode::CREATED, "{body}");
        fixture.replacements = vec![
            (b"@P", sam.into_bytes()),
            (b"@K", kim.into_bytes()),
            (b"@G", pat.into_bytes()),
            (b"@D", public_key.id().to_string().into_bytes()),
            (b"@T", token.into_bytes()),
        ];
        fixture
    }

    /// A staff member with `role` and their token.
    fn staff(&self, role: &str) -> String {
        let (status, member) = self.setup(Method::POST, "/v1/staff", json!({"name": role, "role": role}));
        assert_eq!(status, StatusCode::CREATED, "{member}");
        let (status, token) = self.setup(
            Method::POST,
            &format!("/v1/staff/{}/tokens", member["id"]),
            json!({"label": "fuzz"}),
        );
        assert_eq!(status, StatusCode::CREATED, "{token}");
        token["token"].as_str().expect("a token").to_owned()
    }

    /// A request as the administrator while setting up.
    fn setup(&self, method: Method, path: &str, body: Value) -> (StatusCode, Value) {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {}", self.admin))
            .header(header::CONTENT_TYPE, JSON)
            .body(Body::from(body.to_string()))
            .expect("a request");
        let (status, _, bytes) = self.send(request, 1);
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    fn send(&self, mut request: Request<Body>, client: u8) -> (StatusCode, String, Vec<u8>) {
        // Serving adds the peer's address; the enrollment limit keys on it.
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, client], 40000))));
        self.runtime.block_on(async {
            let response = self.router.clone().oneshot(request).await.expect("infallible");
            let status = response.status();
            let content_type = response
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .unwrap_or("")
                .to_owned();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .expect("a body");
            (status, content_type, body.to_vec())
        })
    }

    fn replaced(&self, bytes: &[u8], spare_the_student: bool) -> Vec<u8> {
        let mut bytes = bytes.to_vec();
        for (placeholder, value) in &self.replacements {
            if spare_the_student && *placeholder == b"@P" {
                continue;
            }
            while let Some(at) = bytes.windows(placeholder.len()).position(|w| w == *placeholder) {
                bytes.splice(at..at + placeholder.len(), value.iter().copied());
            }
        }
        bytes
    }

    fn run(&self, input: &[u8]) {
        let [choice, variation, rest @ ..] = input else {
            return;
        };
        let Endpoint(method, template, caller, content_type) = &ENDPOINTS[*choice as usize % ENDPOINTS.len()];
        let (url_part, body) = match rest.iter().position(|&b| b == 0) {
            Some(at) => (&rest[..at], &rest[at + 1..]),
            None => (&rest[..0], rest),
        };
        // Erasing or revoking for the student every other input relies on
        // would leave the rest of the run refused as unknown or revoked.
        let destructive = *method == Method::DELETE || template.ends_with("/revocations");
        let url_part = self.replaced(url_part, destructive);
        let body = self.replaced(body, destructive);
        let Ok(url_part) = std::str::from_utf8(&url_part) else {
            return;
        };
        let path = template.replacen("{}", url_part, 1);
        let raw = *template == "{}";
        let method = if raw {
            [
                Method::GET,
                Method::POST,
                Method::PATCH,
                Method::DELETE,
                Method::PUT,
                Method::HEAD,
            ][(variation >> 2) as usize % 6]
                .clone()
        } else {
            method.clone()
        };
        let mut request = Request::builder().method(method.clone()).uri(&path);
        let authorization = match (variation & 3, caller) {
            (1, _) => None,
            (2, Caller::Teacher) => Some(format!("Bearer {}", self.communications)),
            (2, _) => Some(format!("Bearer {}", self.teacher)),
            (3, Caller::Device) => Some(format!("Consent-Device {}", String::from_utf8_lossy(&body))),
            (3, _) => Some(format!("Bearer {}", String::from_utf8_lossy(&body))),
            (_, Caller::Nobody) => None,
            (_, Caller::Admin) => Some(format!("Bearer {}", self.admin)),
            (_, Caller::Teacher) => Some(format!("Bearer {}", self.teacher)),
            (_, Caller::Communications) => Some(format!("Bearer {}", self.communications)),
            (_, Caller::Device) => {
                let time = now();
                let signature = sign_request(&self.device, method.as_str(), &path, time, &body);
                Some(format!(
                    "Consent-Device key={}, time={}, signature={}",
                    PublicKey::of(&self.device).id(),
                    time.as_unix(),
                    URL_SAFE_NO_PAD.encode(signature.to_bytes())
                ))
            }
        };
        if let Some(authorization) = authorization {
            request = request.header(header::AUTHORIZATION, authorization);
        }
        match (variation >> 2) & 3 {
            0 => request = request.header(header::CONTENT_TYPE, *content_type),
            1 => {}
            2 => request = request.header(header::CONTENT_TYPE, "application/json; charset=utf-8"),
            _ => request = request.header(header::CONTENT_TYPE, "text/plain"),
        }
        // What hyper would refuse before the router sees it is not the router's to answer.
        let Ok(request) = request.body(Body::from(body)) else {
            return;
        };
        let (status, content_type, answer) = self.send(request, variation >> 4);
        let shown = String::from_utf8_lossy(&answer);
        assert!(!status.is_server_error(), "{method} {path}: {status} {shown}");
        if method == Method::HEAD {
            return;
        }
        if status.is_client_error() {
            assert_eq!(
                content_type, "application/problem+json",
                "{method} {path}: {status} {shown}"
            );
            let problem: Value = serde_json::from_slice(&answer).expect("a problem document is JSON");
            let code = problem["code"].as_str().expect("a problem has a code");
            assert!(
                !code.is_empty() && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{method} {path}: code {code:?}"
            );
            assert_eq!(problem["status"], status.as_u16(), "{method} {path}: {shown}");
        } else if content_type.starts_with("application/json") {
            serde_json::from_slice::<Value>(&answer).expect("a JSON answer is JSON");
        }
    }
}
