//! The static assets (scripts, styles, icons) in `server/web/static/`,
//! embedded in the binary at build time and served at `/assets/{path}`.
//!
//! Caching: every asset carries an `ETag` made from the SHA-256 of its
//! content and `Cache-Control: no-cache`, so a browser keeps its copy and
//! asks once per use whether it changed (`If-None-Match`), getting an empty
//! `304 Not Modified` while it has not. Names stay stable, so ES modules can
//! import each other by plain relative paths and a new binary's assets are
//! picked up at once. The tag is weak (`W/`) because compression changes
//! the bytes sent, not what they mean.

use std::borrow::Cow;

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use headers::{ETag, HeaderMapExt, IfNoneMatch};
use rust_embed::RustEmbed;

use crate::http::error::ApiError;
use crate::http::AppState;

/// The files under `server/web/static/`. Debug builds read them from disk on
/// each request (edit and reload); release builds hold them in the binary.
#[derive(RustEmbed)]
#[folder = "web/static/"]
struct StaticAssets;

/// `GET /assets/{*path}`.
pub(super) fn router() -> Router<AppState> {
    Router::new().route("/assets/{*path}", get(asset))
}

/// One asset, or a 404 problem document when there is none by that name.
async fn asset(Path(path): Path<String>, request: HeaderMap) -> Response {
    let Some(file) = StaticAssets::get(&path) else {
        return ApiError::NotFound.into_response();
    };
    let hash = file.metadata.sha256_hash();
    let tag = format!("W/\"{}\"", hex::encode(&hash[..16]));
    let etag: ETag = tag
        .parse()
        .unwrap_or_else(|_| unreachable!("hex in quotes is a valid ETag"));

    let mut headers = HeaderMap::new();
    headers.typed_insert(etag.clone());
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    let unchanged = request
        .typed_get::<IfNoneMatch>()
        .is_some_and(|if_none_match| !if_none_match.precondition_passes(&etag));
    if unchanged {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    if let Ok(content_type) = HeaderValue::from_str(&content_type(file.metadata.mimetype())) {
        headers.insert(header::CONTENT_TYPE, content_type);
    }
    let body: Cow<'static, [u8]> = file.data;
    (headers, body).into_response()
}

/// The Content-Type for a file of `mime` type: text is always UTF-8, and
/// JavaScript is `text/javascript` (RFC 9239), whatever the guess said.
fn content_type(mime: &str) -> String {
    match mime {
        "application/javascript" | "text/javascript" => "text/javascript; charset=utf-8".to_owned(),
        text if text.starts_with("text/") || text.ends_with("json") || text.ends_with("+xml") => {
            format!("{text}; charset=utf-8")
        }
        other => other.to_owned(),
    }
}
