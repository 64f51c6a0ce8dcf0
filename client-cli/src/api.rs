//! Talking to the consent server: staff requests carry an API token, device
//! requests are signed with the device's key, and every refusal becomes an
//! [`ApiProblem`] that says what to do next.

use std::fmt;
use std::time::Duration;

use anyhow::{Context, Result};
use consent_protocol::{sign_request, DeviceAuthorization, PublicKey, SigningKey};
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::clock;

/// How a request proves who sends it.
#[derive(Clone, Copy)]
pub enum Auth<'a> {
    /// Nobody in particular (enrollment, public keys).
    Anonymous,
    /// A staff member's API token.
    Staff,
    /// A person's device, by signing the request.
    Device(&'a SigningKey),
}

/// What a request carries.
pub enum Body {
    /// Nothing.
    Empty,
    /// A JSON document.
    Json(Vec<u8>),
    /// A CSV text.
    Csv(String),
}

impl Body {
    /// `value` as JSON.
    pub fn json(value: &impl Serialize) -> Result<Self> {
        Ok(Body::Json(serde_json::to_vec(value)?))
    }
}

/// A client for one server.
pub struct Client {
    base: Url,
    staff_token: Option<String>,
    http: reqwest::Client,
}

/// A successful answer.
pub struct Answer {
    /// The HTTP status (200, 201, ...).
    pub status: u16,
    /// The body.
    pub bytes: Vec<u8>,
}

impl Answer {
    /// The body as JSON of type `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.bytes).context(
            "the server's answer is not the JSON this client expects; is the client older than the server?",
        )
    }
}

/// A refusal from the server: its `application/problem+json` document.
#[derive(Debug, Clone)]
pub struct ApiProblem {
    /// The HTTP status.
    pub status: u16,
    /// The stable code.
    pub code: String,
    /// The server's explanation.
    pub detail: String,
    /// The verdicts, when a publication was refused.
    pub verdicts: Vec<serde_json::Value>,
    device: bool,
    staff: bool,
}

#[derive(Deserialize)]
struct ProblemDocument {
    code: Option<String>,
    detail: Option<String>,
    #[serde(default)]
    verdicts: Vec<serde_json::Value>,
}

impl fmt::Display for ApiProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the server refused: {} (code {}, HTTP {})",
            self.detail, self.code, self.status
        )
    }
}

impl std::error::Error for ApiProblem {}

impl ApiProblem {
    /// What the user can do about it, when there is something to say.
    pub fn hint(&self) -> Option<&'static str> {
        Some(match self.code.as_str() {
            "unauthorized" if self.device => {
                "this device's key is not recognised: ask the school for a new enrollment code and run `consent enroll`"
            }
            "unauthorized" => {
                "your staff token is missing, wrong or expired: run `consent login --token TOKEN` with a token from an administrator (`consent staff token ID`)"
            }
            "forbidden" => "your role may not do this; ask an administrator if you need it",
            "not_found" => "check the id: `consent people list`, `consent status` or `consent publications` show them",
            "revoked_key" => "this key was cut off by the school; ask for a new enrollment code and run `consent enroll`",
            "expired" | "issued_in_future" if self.device => {
                "check this computer's clock: signed requests must be within 5 minutes of the server's time"
            }
            "guardian_missing" => {
                "you are under the age of digital consent, so a guardian must co-sign: run `consent grant ... --guardian-key THEIR_KEY_ID --out pending.txt` and have them run `consent cosign pending.txt` (they see their key id in `consent status`)"
            }
            "student_decides" => {
                "from the age of digital consent the student decides alone: they give or withdraw consent on their own device"
            }
            "already_withdrawn" => {
                "nothing was recorded; give consent again with `consent grant` (check this device's clock first)"
            }
            "cut_off_after_issue" => "set this device's clock right and withdraw again",
            "bad_enrollment_code" => "ask the school for a new enrollment code",
            "not_an_enrollment_code" => {
                "enroll with the enrollment code the school gave you (it starts with consent-enroll:); \
                 the one given is a consent code, the kind `consent show` displays"
            }
            "not_a_consent_code" => {
                "ask the person to show their consent code (`consent show`); an enrollment code only enrolls a device"
            }
            "bad_prefix" | "bad_encoding" | "too_long" | "truncated" | "trailing_bytes" | "non_canonical" => {
                "the code could not be read: scan it again, or copy it whole"
            }
            "too_many_requests" => "wait a minute and try again",
            "consent_missing" => {
                "do not publish it as it is: leave out or blur the people who may not appear, check again, \
                 and publish with the new receipt"
            }
            "bad_csv" => "fix that line and import the file again; people already imported are updated, not duplicated",
            "unknown_group" => "check the group's name with `consent people list`",
            "unknown_person" | "bad_person_id" if self.staff => {
                "name people by id, external id (student number) or full name; `consent people list` shows them"
            }
            "unknown_person" => {
                "the school does not know the person this names: a parent names their child with --child \
                 (`consent status` shows your children and their ids); if the id is right, ask the school"
            }
            "not_a_student" => {
                "as a parent, give consent for your child: `consent grant --child CHILD_ID --media ... --purpose ...` \
                 (`consent status` shows your children and their ids)"
            }
            "ambiguous_person" => "name that person by external id or id instead; `consent people list` shows them",
            "unknown_channel" => {
                "use one of the school's channels (`consent channels list`); an administrator adds one with `consent channels set NAME --purpose PURPOSE`"
            }
            "conflict" => "it is already recorded; nothing was changed",
            "internal" => "the server failed and logged the details; try again, and tell its administrator if it persists",
            "unknown_key" | "signer_not_authorized" | "bad_signature" => {
                "the code was not signed by a key the school knows for this person; ask them to make a new one"
            }
            _ => return None,
        })
    }
}

/// Bytes that must be escaped in one segment of a path: besides what URLs
/// never hold raw, `/`, `?`, `#` and `%`, so that a person named `1/2` or
/// `50%` stays one segment.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// `text` (a person's name, a channel's name) as one path segment.
pub fn segment(text: &str) -> String {
    utf8_percent_encode(text.trim(), SEGMENT).to_string()
}

impl Client {
    /// A client for the server at `base`, with an optional staff token.
    pub fn new(base: &str, staff_token: Option<String>) -> Result<Self> {
        let mut base = Url::parse(base.trim()).with_context(|| {
            format!("{base:?} is not a server address; use one like https://consent.school.example")
        })?;
        anyhow::ensure!(
            matches!(base.scheme(), "http" | "https"),
            "the server address must start with https:// (or http:// on a trusted network)"
        );
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let http = reqwest::Client::builder()
            .user_agent(concat!("consent-cli/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .build()
            .context("cannot set up HTTPS")?;
        Ok(Self {
            base,
            staff_token,
            http,
        })
    }

    /// The server's address.
    pub fn base(&self) -> &str {
        self.base.as_str()
    }

    /// The full address of `path` (which starts with `/v1/...`) with `query`.
    pub fn url(&self, path: &str, query: &[(&str, &str)]) -> Result<Url> {
        let mut url = self
            .base
            .join(path.trim_start_matches('/'))
            .with_context(|| format!("bad path {path}"))?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        Ok(url)
    }

    /// Sends a request and returns the answer, or the server's refusal as an [`ApiProblem`].
    pub async fn send(&self, method: Method, url: Url, auth: Auth<'_>, body: Body) -> Result<Answer> {
        let mut request = self.http.request(method.clone(), url.clone());
        let bytes: &[u8] = match &body {
            Body::Empty => b"",
            Body::Json(bytes) => bytes,
            Body::Csv(text) => text.as_bytes(),
        };
        match auth {
            Auth::Anonymous => {}
            Auth::Staff => {
                let token = self.staff_token.as_deref().context(
                    "this needs a staff API token: run `consent login --token TOKEN` (an administrator makes one with `consent staff token ID`), or set CONSENT_TOKEN",
                )?;
                request = request.bearer_auth(token);
            }
            Auth::Device(key) => {
                let path_and_query = match url.query() {
                    Some(query) => format!("{}?{query}", url.path()),
                    None => url.path().to_owned(),
                };
                let time = clock::now();
                let header = DeviceAuthorization {
                    key: PublicKey::of(key).id(),
                    time,
                    signature: sign_request(key, method.as_str(), &path_and_query, time, bytes).to_bytes(),
                };
                request = request.header(reqwest::header::AUTHORIZATION, header.to_string());
            }
        }
        request = match body {
            Body::Empty => request,
            Body::Json(bytes) => request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(bytes),
            Body::Csv(text) => request
                .header(reqwest::header::CONTENT_TYPE, "text/csv; charset=utf-8")
                .body(text),
        };
        let response = request.send().await.with_context(|| {
            format!(
                "cannot reach the consent server at {}: is the address right (`consent config show`) and the network up?",
                self.base
            )
        })?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .with_context(|| format!("the connection to {} broke off; try again", self.base))?
            .to_vec();
        if status.is_success() {
            return Ok(Answer {
                status: status.as_u16(),
                bytes,
            });
        }
        let document: Option<ProblemDocument> = serde_json::from_slice(&bytes).ok();
        let (code, detail, verdicts) = match document {
            Some(problem) => (
                problem
                    .code
                    .unwrap_or_else(|| format!("http_{}", status.as_u16())),
                problem.detail.unwrap_or_default(),
                problem.verdicts,
            ),
            None => (
                format!("http_{}", status.as_u16()),
                String::from_utf8_lossy(&bytes).chars().take(300).collect(),
                Vec::new(),
            ),
        };
        Err(ApiProblem {
            status: status.as_u16(),
            code,
            detail,
            verdicts,
            device: matches!(auth, Auth::Device(_)),
            staff: matches!(auth, Auth::Staff),
        }
        .into())
    }

    /// GET `path` and read the JSON answer.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        auth: Auth<'_>,
    ) -> Result<T> {
        let url = self.url(path, query)?;
        self.send(Method::GET, url, auth, Body::Empty).await?.json()
    }

    /// Sends `body` as JSON with `method` and reads the JSON answer.
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        auth: Auth<'_>,
        body: &impl Serialize,
    ) -> Result<T> {
        let url = self.url(path, &[])?;
        self.send(method, url, auth, Body::json(body)?).await?.json()
    }

    /// Sends a request whose answer has no body (204).
    pub async fn act(&self, method: Method, path: &str, auth: Auth<'_>, body: Body) -> Result<()> {
        let url = self.url(path, &[])?;
        self.send(method, url, auth, body).await.map(drop)
    }
}
