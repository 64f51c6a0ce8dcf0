//! Extractors: request bodies and parameters whose failures are problem
//! documents, and the callers a handler accepts. A handler's signature says
//! who may call it.

use std::marker::PhantomData;
use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use consent_protocol::{verify_request, DeviceAuthorization};
use sha2::{Digest, Sha256};

use super::error::ApiError;
use super::AppState;
use crate::store::{DeviceKey, Person, School, StaffMember, StaffRole};

/// A JSON body; malformed JSON is a `bad_json` problem.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

impl<T: serde::Serialize> axum::response::IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

/// Path parameters; malformed ones are a `bad_path` problem.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

/// Query parameters; malformed ones are a `bad_query` problem.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

/// The address of the client: the TCP peer. Behind a reverse proxy that is
/// the proxy. `X-Forwarded-For` is deliberately not read: anyone reaching the
/// server directly could write any address into it.
pub struct ClientAddress(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| Self(peer.ip()))
            .ok_or_else(|| {
                ApiError::Internal(anyhow::anyhow!(
                    "the router is served without the peer's address: serve it with \
                     into_make_service_with_connect_info::<SocketAddr>()"
                ))
            })
    }
}

/// The roles allowed to call an endpoint.
pub trait Roles {
    /// Allowed roles.
    const ALLOWED: &'static [StaffRole];
}

/// Only administrators.
pub struct Admins;
impl Roles for Admins {
    const ALLOWED: &'static [StaffRole] = &[StaffRole::Admin];
}

/// Those who check and publish media: teachers and communications staff.
pub struct Publishers;
impl Roles for Publishers {
    const ALLOWED: &'static [StaffRole] = &[StaffRole::Teacher, StaffRole::Communications];
}

/// Communications staff, who audit publications and the log.
pub struct Auditors;
impl Roles for Auditors {
    const ALLOWED: &'static [StaffRole] = &[StaffRole::Communications];
}

/// Those who read consent coverage reports.
pub struct Reporters;
impl Roles for Reporters {
    const ALLOWED: &'static [StaffRole] = &[StaffRole::Admin, StaffRole::Communications];
}

/// Any staff member of the school.
pub struct AnyStaff;
impl Roles for AnyStaff {
    const ALLOWED: &'static [StaffRole] = &[StaffRole::Admin, StaffRole::Communications, StaffRole::Teacher];
}

/// A staff member whose role is in `R`, presenting a valid API token
/// (`Authorization: Bearer ...`, as the CLI does) or a console session (the
/// [`SESSION_COOKIE`] a browser signed in with). A request that changes
/// something on the strength of the cookie must also carry the session's
/// CSRF token in [`CSRF_HEADER`], which only the console's own pages can
/// read. Everything they reach is scoped to `member.school`.
pub struct Staff<R> {
    /// The caller.
    pub member: StaffMember,
    /// The caller's school, as it was when the request arrived.
    pub school: School,
    roles: PhantomData<R>,
}

/// The cookie a console session lives in: HttpOnly, SameSite=Strict, and
/// Secure when the server is reached over HTTPS.
pub const SESSION_COOKIE: &str = "consent_session";

/// The header that carries a console session's CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The SHA-256 under which an API token or enrollment code is stored.
pub fn secret_hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// The CSRF token of the console session whose secret is `session`: derived
/// from the secret, so nothing more is stored, and useless without it.
pub fn csrf_token(session: &str) -> String {
    let mut digest = Sha256::new();
    digest.update(b"school-consent/console-csrf\0");
    digest.update(session.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.finalize())
}

/// The console session secret in a request's cookies, if any.
pub fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == SESSION_COOKIE && !value.is_empty()).then_some(value)
        })
}

impl<R: Roles> FromRequestParts<AppState> for Staff<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let secret = match bearer(&parts.headers) {
            Some(token) => token,
            None => {
                let session = session_cookie(&parts.headers).ok_or(ApiError::Unauthorized)?;
                if !parts.method.is_safe() {
                    let presented = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
                    if presented != Some(csrf_token(session).as_str()) {
                        return Err(ApiError::CsrfRejected);
                    }
                }
                session
            }
        };
        let credential = state
            .store
            .credential(&secret_hash(secret), super::now_unix())
            .await?
            .ok_or(ApiError::Unauthorized)?;
        let (member, school) = (credential.member, credential.school);
        if !R::ALLOWED.contains(&member.role) {
            return Err(ApiError::Forbidden);
        }
        Ok(Self {
            member,
            school,
            roles: PhantomData,
        })
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// A person's device, proven by a request signature
/// (`Authorization: Consent-Device key=..., time=..., signature=...`, see
/// `docs/protocol.md`). Students and parents have no passwords.
pub struct Device {
    /// The signing key.
    pub key: DeviceKey,
    /// Its holder.
    pub person: Person,
}

/// How far behind the real moment a device's "last used" may be: it is
/// written again only when the stored one is older than this.
pub const KEY_USE_RESOLUTION_SECONDS: i64 = 60;

/// The most a device-signed request body may hold.
const MAX_DEVICE_BODY: usize = 64 * 1024;

impl FromRequest<AppState> for Device {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let (parts, body) = request.into_parts();
        let authorization = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| DeviceAuthorization::parse(value).ok())
            .ok_or(ApiError::Unauthorized)?;
        let body: Bytes = axum::body::to_bytes(body, MAX_DEVICE_BODY)
            .await
            .map_err(|_| ApiError::PayloadTooLarge)?;
        let key = match state.store.device_key(authorization.key).await {
            Ok(key) if !key.revoked => key,
            Ok(_) => return Err(consent_protocol::Error::RevokedKey.into()),
            Err(crate::store::StoreError::NotFound) => return Err(ApiError::Unauthorized),
            Err(other) => return Err(other.into()),
        };
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        verify_request(
            &key.public_key,
            parts.method.as_str(),
            path,
            authorization.time,
            &body,
            &authorization.signature,
            super::now(),
        )
        .map_err(|error| match error {
            consent_protocol::Error::BadSignature => ApiError::Unauthorized,
            other => other.into(),
        })?;
        let person = state.store.person(key.school, key.person).await?;
        // So that an administrator can tell a lost phone from the new one.
        // Written at most once a minute per key, decided on the row just
        // read: a write takes SQLite's one write lock, and a busy phone
        // would otherwise queue every request of the school behind it.
        let now = super::now_unix();
        if key
            .last_used_at
            .is_none_or(|used| used < now - KEY_USE_RESOLUTION_SECONDS)
        {
            state.store.record_key_use(&[key.key_id], now).await?;
        }
        Ok(Self { key, person })
    }
}
