//! What anyone may read: health, readiness and the server's public keys.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ApiResult;
use super::extract::Json;
use super::{schemas, AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(server_keys))
}

/// The process is up.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "public",
    responses((status = 200, description = "Always `ok`.", body = String, content_type = "text/plain", example = "ok"))
)]
async fn healthz() -> &'static str {
    "ok"
}

/// The process can reach its database.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "public",
    responses(
        (status = 200, description = "`ready`: the database answers.", body = String, content_type = "text/plain", example = "ready"),
        (status = 503, description = "`database unreachable`.", body = String, content_type = "text/plain", example = "database unreachable")
    )
)]
async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    if state.store.is_ready().await {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
    }
}

/// A key the server signs receipts, log heads and school revocations with.
#[derive(Serialize, ToSchema)]
struct ServerKey {
    /// The key's id.
    #[schema(value_type = schemas::KeyId)]
    key_id: String,
    /// The Ed25519 public key.
    #[schema(value_type = schemas::PublicKey)]
    public_key: String,
}

/// Every key any instance of this server signs with, for offline verifiers.
#[utoipa::path(
    get,
    path = "/v1/server-keys",
    tag = "public",
    responses(
        (status = 200, description = "The server's keys.", body = Vec<ServerKey>)
    )
)]
async fn server_keys(State(state): State<AppState>) -> ApiResult<Json<Vec<ServerKey>>> {
    let keys = state.store.server_keys().await?;
    Ok(Json(
        keys.into_iter()
            .map(|(id, key)| ServerKey {
                key_id: id.to_string(),
                public_key: hex::encode(key.to_bytes()),
            })
            .collect(),
    ))
}
