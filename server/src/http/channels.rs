//! The school's publishing channels: where it publishes, and which purpose
//! consent must cover there. Administrators keep the list; everyone on the
//! staff reads it.

use axum::extract::State;
use axum::http::StatusCode;
use consent_protocol::SchoolId;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ApiResult};
use super::extract::{Admins, AnyStaff, Json, Path, Staff};
use super::openapi::{BadRequest, Forbidden, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType};
use super::schemas;
use super::{now_unix, AppState};
use crate::store::{Channel, Store};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(list_channels))
        .routes(routes!(set_channel, remove_channel))
}

/// The most characters in a channel's name.
const MAX_NAME: usize = 50;

/// A channel's name as staff type it, in the lowercase it is stored in:
/// `Instagram` and `instagram` are one channel.
pub(super) fn channel_name(text: &str) -> ApiResult<String> {
    // Lowercase first: a few letters grow when lowercased (İ is i and a dot).
    let name = text.trim().to_lowercase();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "bad_channel",
            format!("a channel's name is 1 to {MAX_NAME} characters of text, such as instagram"),
        ));
    }
    Ok(name)
}

/// The school's channel named `text`, or an `unknown_channel` problem that
/// lists the channels there are.
pub(super) async fn known_channel(store: &Store, school: SchoolId, text: &str) -> ApiResult<Channel> {
    let name = channel_name(text)?;
    match store.channel(school, &name).await? {
        Some(channel) => Ok(channel),
        None => Err(ApiError::UnknownChannel {
            channel: name,
            known: store.channels(school).await?,
        }),
    }
}

/// The school's channels, by name.
#[utoipa::path(
    get,
    path = "/v1/channels",
    tag = "publications",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every channel of the school with its purpose.", body = Vec<schemas::Channel>),
        (status = 401, response = Unauthorized)
    )
)]
async fn list_channels(
    State(state): State<AppState>,
    staff: Staff<AnyStaff>,
) -> ApiResult<Json<Vec<Channel>>> {
    Ok(Json(state.store.channels(staff.member.school).await?))
}

/// The purpose of a channel.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ChannelPurpose {
    /// The purpose publications on the channel are checked for.
    #[schema(value_type = schemas::Purpose)]
    purpose: String,
}

/// Adds a channel, or changes the purpose of one.
#[utoipa::path(
    put,
    path = "/v1/channels/{name}",
    tag = "publications",
    security(("bearer" = [])),
    params(("name" = schemas::ChannelName, Path, description = "The channel's name (any case; stored in lowercase).")),
    request_body = ChannelPurpose,
    responses(
        (status = 200, description = "The channel as it is now.", body = schemas::Channel),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType)
    )
)]
async fn set_channel(
    State(state): State<AppState>,
    staff: Staff<Admins>,
    Path(name): Path<String>,
    Json(request): Json<ChannelPurpose>,
) -> ApiResult<Json<Channel>> {
    let channel = Channel {
        name: channel_name(&name)?,
        purpose: request
            .purpose
            .parse()
            .map_err(|e: consent_protocol::UnknownPurpose| {
                ApiError::bad_request("bad_purpose", e.to_string())
            })?,
    };
    state
        .store
        .set_channel(staff.member.school, &channel, now_unix())
        .await?;
    Ok(Json(channel))
}

/// Removes a channel; nothing can be published on it afterwards.
/// Publications already recorded on it keep its name.
#[utoipa::path(
    delete,
    path = "/v1/channels/{name}",
    tag = "publications",
    security(("bearer" = [])),
    params(("name" = schemas::ChannelName, Path, description = "The channel's name (any case).")),
    responses(
        (status = 204, description = "Removed."),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound)
    )
)]
async fn remove_channel(
    State(state): State<AppState>,
    staff: Staff<Admins>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    state
        .store
        .remove_channel(staff.member.school, &channel_name(&name)?, now_unix())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
