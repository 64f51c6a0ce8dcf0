//! Reading a consent code from a photo of it, for a browser that cannot
//! decode QR codes itself. The picture is decoded in memory and dropped
//! when the answer is sent: it is never stored, and never logged (the
//! request log names only the method and the path).

use std::sync::LazyLock;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderMap};
use consent_qr::QrError;
use serde::Serialize;
use tokio::sync::Semaphore;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ApiResult};
use super::extract::{Json, Publishers, Staff};
use super::openapi::{BadRequest, Forbidden, PayloadTooLarge, Unauthorized, UnsupportedMediaType};
use super::schemas;
use super::AppState;

/// The largest photo accepted. A phone's full-size photo of a code fits;
/// the console sends a smaller copy anyway.
pub const MAX_PHOTO_BYTES: usize = 12 * 1024 * 1024;

/// How many photos are decoded at once. Searching a busy photo for a code
/// takes a core for up to seconds; a few at a time keep the server
/// answering everyone else while a class is being scanned.
const DECODES_AT_ONCE: usize = 2;

static DECODING: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(DECODES_AT_ONCE));

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(read_code_photo))
        .layer(DefaultBodyLimit::max(MAX_PHOTO_BYTES))
}

/// The text of the code found in a photo.
#[derive(Serialize, ToSchema)]
struct CodeText {
    /// The code's text, as a scanner reads it; send it to `POST /v1/scans`
    /// to learn what it says and whether it stands.
    #[schema(value_type = schemas::ConsentCode)]
    text: String,
}

/// Reads the QR code in a photo (PNG or JPEG, at most 12 MiB and 40
/// megapixels) and answers its text. The photo is decoded in memory and
/// dropped at once: never stored, never logged. Nothing is judged here:
/// `POST /v1/scans` says what the code is worth.
#[utoipa::path(
    post,
    path = "/v1/scans/photo",
    tag = "checks",
    security(("bearer" = [])),
    request_body(
        description = "A photo of a consent code.",
        content(
            (Vec<u8> = "image/jpeg"),
            (Vec<u8> = "image/png")
        )
    ),
    responses(
        (status = 200, description = "The text of the code in the photo.", body = CodeText),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType)
    )
)]
async fn read_code_photo(
    _staff: Staff<Publishers>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<CodeText>> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    if !(content_type.starts_with("image/jpeg") || content_type.starts_with("image/png")) {
        return Err(ApiError::UnsupportedMediaType(
            "send the photo as it is, with Content-Type: image/jpeg or image/png",
        ));
    }
    let photo = body?;
    let _turn = DECODING
        .acquire()
        .await
        .map_err(|error| ApiError::Internal(error.into()))?;
    // The decoder works for up to seconds: off the async threads. The
    // photo moves into the task and is dropped there, whatever the outcome.
    let text = tokio::task::spawn_blocking(move || consent_qr::read_text(&photo))
        .await
        .map_err(|error| ApiError::Internal(error.into()))?
        .map_err(unread)?;
    Ok(Json(CodeText { text }))
}

/// Why no code was read, in words that say what to do.
fn unread(error: QrError) -> ApiError {
    match error {
        QrError::ImageTooLarge { .. } => {
            ApiError::bad_request("image_too_large", format!("{error}: send a smaller photo"))
        }
        QrError::UnreadableImage(_) => ApiError::bad_request(
            "image_unreadable",
            "this is not a readable JPEG or PNG photo: take the photo again",
        ),
        QrError::NoCodeFound => ApiError::bad_request(
            "qr_not_found",
            "no QR code was found in the photo: photograph the code closer, straight on and in good light",
        ),
        QrError::NotText => ApiError::bad_request(
            "qr_not_text",
            "the QR code in the photo holds no text, so it is not a consent code",
        ),
        other => ApiError::Internal(other.into()),
    }
}
