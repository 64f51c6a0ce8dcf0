//! The phone app's pages for students and parents, rendered on the server
//! from askama templates (checked at compile time) in `server/web/templates/`.
//!
//! A page is the same for everyone who speaks its language: who the phone
//! belongs to is known only to the phone (its key and enrollment live in the
//! browser), so the page scripts fill in the person's data from the API,
//! signing their requests as the `consent` client does. There is no endpoint
//! here that reads or changes consent.

use askama::Template;
use axum::extract::RawQuery;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::i18n::Lang;

/// The pages, each at its own address.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(page::<Home>))
        .route("/enroll", get(page::<Enroll>))
        .route("/give", get(page::<Give>))
        .route("/show", get(page::<Show>))
        .route("/cosign", get(page::<Cosign>))
        .route("/withdraw", get(page::<Withdraw>))
        .route("/record", get(page::<Record>))
        .route("/lost", get(page::<Lost>))
        .route("/sw.js", get(service_worker))
}

/// What every page knows: its language and where it is.
pub struct Page {
    /// The language it speaks.
    pub lang: Lang,
    /// Its path, for the language switch.
    pub path: &'static str,
    /// Its script module under `/assets/js/`, without `.js`.
    pub script: &'static str,
    /// The English Fluent source whose messages its script is sent.
    pub messages: &'static str,
}

impl Page {
    /// The text of message `id` in the page's language.
    pub fn t(&self, id: &str) -> String {
        self.lang.text(id)
    }

    /// The language tag, for `<html lang>`.
    pub fn tag(&self) -> &'static str {
        self.lang.tag()
    }

    /// The other language, which the switch offers.
    pub fn other(&self) -> Lang {
        match self.lang {
            Lang::Nl => Lang::En,
            Lang::En => Lang::Nl,
        }
    }

    /// The messages the page script shows, as JSON for a data block.
    pub fn messages(&self) -> String {
        self.lang.script_messages(self.messages)
    }
}

/// A page of the app.
trait AppPage: Template {
    const PATH: &'static str;
    const SCRIPT: &'static str;
    fn new(page: Page) -> Self;
}

macro_rules! pages {
    ($($name:ident: $path:literal, $template:literal, $script:literal;)*) => {$(
        #[derive(Template)]
        #[template(path = $template)]
        struct $name {
            page: Page,
        }

        impl AppPage for $name {
            const PATH: &'static str = $path;
            const SCRIPT: &'static str = $script;
            fn new(page: Page) -> Self {
                Self { page }
            }
        }
    )*};
}

pages! {
    Home: "/", "home.html", "app/home";
    Enroll: "/enroll", "enroll.html", "app/enroll";
    Give: "/give", "give.html", "app/give";
    Show: "/show", "show.html", "app/show";
    Cosign: "/cosign", "cosign.html", "app/cosign";
    Withdraw: "/withdraw", "withdraw.html", "app/withdraw";
    Record: "/record", "record.html", "app/record";
    Lost: "/lost", "lost.html", "app/home";
}

/// How long the language switch is remembered: a year.
const LANG_COOKIE_SECONDS: u32 = 365 * 86_400;

async fn page<P: AppPage>(RawQuery(query): RawQuery, headers: HeaderMap) -> Response {
    let (lang, chosen) = language(query.as_deref(), &headers);
    let rendered = P::new(Page {
        lang,
        path: P::PATH,
        script: P::SCRIPT,
        messages: super::i18n::APP_SCRIPT_MESSAGES,
    })
    .render();
    // The service worker keeps its own copy for offline use; the browser
    // asks again each time so that a new version shows.
    html(rendered, P::PATH, chosen, "no-cache")
}

/// The language of a page request, and the one its `?lang=` chose, if any.
pub fn language<'a>(query: Option<&'a str>, headers: &HeaderMap) -> (Lang, Option<&'a str>) {
    let chosen = query.and_then(|query| query.split('&').find_map(|pair| pair.strip_prefix("lang=")));
    (Lang::of_request(chosen, headers), chosen)
}

/// A rendered page as a response, cached as `cache_control` says; when the
/// language switch chose its language, the choice is remembered in a cookie.
pub fn html(
    rendered: askama::Result<String>,
    path: &str,
    chosen: Option<&str>,
    cache_control: &'static str,
) -> Response {
    let body = match rendered {
        Ok(body) => body,
        Err(error) => {
            tracing::error!(%error, page = path, "a page failed to render");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let mut response = (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, cache_control),
            (header::VARY, "Accept-Language, Cookie"),
        ],
        body,
    )
        .into_response();
    if let Some(lang) = chosen.and_then(Lang::from_tag) {
        let cookie = format!(
            "lang={}; Path=/; Max-Age={LANG_COOKIE_SECONDS}; SameSite=Lax",
            lang.tag()
        );
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().insert(header::SET_COOKIE, value);
        }
    }
    response
}

/// The service worker, served from the root so that it may look after every
/// page (a worker only controls pages under its own folder).
async fn service_worker() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        include_str!("../../web/sw.js"),
    )
        .into_response()
}
