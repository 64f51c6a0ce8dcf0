//! The web: the phone app for students and parents (`pages`), the staff
//! console (`console`), and the static assets they load, served beside the
//! JSON API (which stays under `/v1`).
//!
//! Everything here answers with the same security headers: a strict
//! Content-Security-Policy ([`CONTENT_SECURITY_POLICY`]: only this origin,
//! no inline script, never framed), no MIME sniffing, no referrer, and the
//! camera for this origin only (for scanning codes). Responses are
//! compressed (brotli or gzip, as the browser asks).

mod assets;
pub mod console;
pub mod i18n;
mod pages;

use axum::http::{header, HeaderName, HeaderValue};
use axum::Router;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::http::AppState;

/// The Content-Security-Policy of every web response, pages included.
///
/// Scripts, styles, fonts, workers and the manifest come from this origin
/// only, and never inline; images may also be `data:` or `blob:` URLs made
/// by the page itself (a QR code drawn in the browser). The page talks only
/// to this server, submits forms only to it, and may not be framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; \
    script-src 'self'; \
    style-src 'self'; \
    img-src 'self' data: blob:; \
    font-src 'self'; \
    connect-src 'self'; \
    media-src 'self' blob:; \
    manifest-src 'self'; \
    worker-src 'self'; \
    object-src 'none'; \
    base-uri 'none'; \
    form-action 'self'; \
    frame-ancestors 'none'";

/// What the pages may use of the device: the camera (to scan a code) on this
/// origin only, nothing else that asks for permission.
pub const PERMISSIONS_POLICY: &str = "camera=(self), microphone=(), geolocation=(), payment=(), usb=()";

/// The web app's routes: its pages and the assets under `/assets/`, with
/// the security headers and compression every web response gets.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(pages::router())
        .merge(console::router())
        .merge(assets::router())
        .layer(security_header(
            header::CONTENT_SECURITY_POLICY,
            CONTENT_SECURITY_POLICY,
        ))
        .layer(security_header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(security_header(header::REFERRER_POLICY, "no-referrer"))
        .layer(security_header(
            HeaderName::from_static("permissions-policy"),
            PERMISSIONS_POLICY,
        ))
        .layer(security_header(
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ))
        .layer(security_header(
            HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin",
        ))
        .layer(CompressionLayer::new())
}

/// Sets `name: value` on every response that does not set it itself.
fn security_header(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}
