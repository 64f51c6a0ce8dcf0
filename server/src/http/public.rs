//! What anyone may read: health, readiness and the server's public keys.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use serde::Serialize;

use super::error::ApiResult;
use super::extract::Json;
use super::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/v1/server-keys", get(server_keys))
}

/// The process is up.
async fn healthz() -> &'static str {
    "ok"
}

/// The process can reach its database.
async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    if state.store.is_ready().await {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
    }
}

#[derive(Serialize)]
struct ServerKey {
    key_id: String,
    public_key: String,
}

/// Every key any instance of this server signs with, for offline verifiers.
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
