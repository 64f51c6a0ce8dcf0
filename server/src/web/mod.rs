//! The phone app for students and parents, served beside the API.

pub mod i18n;
mod pages;

use axum::Router;

/// The app's pages.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    pages::router()
}
