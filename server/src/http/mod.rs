//! The HTTP API: one state, one router assembled from one `router()` per
//! resource, one error type.

mod audit;
mod channels;
mod checks;
mod code_photos;
mod consent;
mod csv_export;
mod devices;
pub mod error;
pub(crate) mod extract;
mod groups;
mod media;
mod openapi;
mod people;
mod public;
mod publications;
pub mod rate_limits;
mod scans;
pub mod schemas;
mod school;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request};
use axum::Router;
use consent_protocol::{KeyId, PublicKey, SigningKey, Timestamp};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::config::Limits;
use crate::signed_heads::SignedHeads;
use crate::store::Store;
use crate::verified_signatures::SignatureCache;
use error::ApiError;
pub use openapi::{openapi, routes};

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The consent record.
    pub store: Store,
    /// The key this instance signs receipts and log heads with.
    pub signing_key: Arc<SigningKey>,
    /// The address phones reach this server at (no trailing slash); links
    /// in enrollment codes point there.
    pub public_url: Arc<str>,
    /// The last audit log head this instance signed per school: it signs
    /// only heads that extend it.
    pub signed_heads: Arc<SignedHeads>,
    /// How often clients may enroll and people may give consent.
    pub rate_limits: Arc<rate_limits::RateLimits>,
    /// How long one request may take, and how many tokens in force one
    /// person may hold.
    pub limits: Arc<Limits>,
    /// The grant signatures this instance verified before.
    pub verified: Arc<SignatureCache>,
}

impl AppState {
    /// State over `store`, signing with `signing_key`, remembering signed
    /// log heads in `signed_heads`, within `limits`, reached by phones at
    /// `public_url` (see [`crate::Config::public_url`]).
    pub fn new(
        store: Store,
        signing_key: SigningKey,
        signed_heads: SignedHeads,
        limits: &Limits,
        public_url: &str,
    ) -> Self {
        Self {
            store,
            signing_key: Arc::new(signing_key),
            signed_heads: Arc::new(signed_heads),
            rate_limits: Arc::new(rate_limits::RateLimits::new(limits)),
            limits: Arc::new(limits.clone()),
            public_url: public_url.trim_end_matches('/').into(),
            verified: Arc::new(SignatureCache::default()),
        }
    }

    /// The link a printed enrollment code holds: the phone app's enrollment
    /// page with the code in the fragment, which browsers never send to a
    /// server, so the code stays out of every access log.
    pub fn enrollment_link(&self, code: &str) -> String {
        format!("{}/enroll#code={code}", self.public_url)
    }

    /// The id of this instance's signing key.
    pub fn key_id(&self) -> KeyId {
        PublicKey::of(&self.signing_key).id()
    }
}

/// The largest request body accepted (a class list of a few thousand people fits).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Every route with its documentation: one `router()` per resource.
fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(public::router())
        .merge(openapi::router())
        .merge(school::router())
        .merge(people::router())
        .merge(groups::router())
        .merge(devices::router())
        .merge(consent::router())
        .merge(checks::router())
        .merge(scans::router())
        .merge(code_photos::router())
        .merge(publications::router())
        .merge(channels::router())
        .merge(audit::router())
        .merge(media::router())
}

/// The whole API, and beside it (outside `/v1`, not in the OpenAPI
/// document) the web app.
pub fn router(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let (routes, _) = api().split_for_parts();
    routes
        .merge(crate::web::router())
        .fallback(|| async { ApiError::NotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            state.limits.request_timeout(),
            within_request_timeout,
        ))
        .layer(CatchPanicLayer::custom(|_| {
            axum::response::IntoResponse::into_response(ApiError::Internal(anyhow::anyhow!(
                "handler panicked"
            )))
        }))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            let id = request
                .headers()
                .get("x-request-id")
                .and_then(|value| value.to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), id)
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

/// Answers a request that takes longer than `timeout` (a slow body
/// included) with a problem document. The handler's future is dropped,
/// which rolls back a transaction it had open.
async fn within_request_timeout(
    axum::extract::State(timeout): axum::extract::State<Duration>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => axum::response::IntoResponse::into_response(ApiError::RequestTimeout(timeout)),
    }
}

/// The current time as Unix seconds.
pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}

/// The current time as the protocol counts it.
pub fn now() -> Timestamp {
    Timestamp::from_unix(u32::try_from(now_unix()).unwrap_or(u32::MAX))
}

/// Issues an API token to a new administrator, for `consent-server admin create`.
pub async fn issue_admin_token(
    store: &Store,
    member: &crate::store::StaffMember,
    valid_days: i64,
) -> Result<school::IssuedToken, ApiError> {
    school::issue_token(store, member, "created on the server host", valid_days).await
}
