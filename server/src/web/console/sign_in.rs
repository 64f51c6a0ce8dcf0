//! Signing in to the console and out of it.
//!
//! A staff member signs in once per browser, with their API token or with a
//! one-time code an administrator gave them (`POST
//! /v1/staff/{id}/sign-in-codes`). The browser then holds a session: a new
//! API token of its own, for a school day at most and never longer than the
//! token it was begun with, in an HttpOnly, SameSite=Strict cookie (Secure
//! when the server is reached over HTTPS). Revoking the staff token ends its
//! sessions; signing out revokes the session.

use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Query, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand_core::{OsRng, RngCore};
use serde::Deserialize;

use super::super::i18n::{Lang, CONSOLE_MESSAGES};
use super::super::pages::{html, language, Page};
use super::NO_STORE;
use crate::http::extract::{csrf_token, secret_hash, session_cookie, SESSION_COOKIE};
use crate::http::{now_unix, AppState};
use crate::store::{StaffMember, SESSION_LABEL};

/// The longest a console session lasts: a school day and its evening.
pub const SESSION_SECONDS: i64 = 12 * 3600;

/// Where the sign-in page is.
const SIGN_IN_PATH: &str = "/console/sign-in";

pub fn router() -> Router<AppState> {
    Router::new()
        .route(SIGN_IN_PATH, get(sign_in_page).post(sign_in))
        .route("/console/sign-out", post(sign_out))
}

#[derive(Template)]
#[template(path = "console/sign_in.html")]
struct SignInPage {
    page: Page,
    /// The console page to go to afterwards.
    next: String,
    /// Why the last attempt failed, in the page's language.
    error: Option<String>,
    /// Whether the browser just signed out.
    signed_out: bool,
}

fn render(lang: Lang, chosen: Option<&str>, next: &str, error: Option<&str>, signed_out: bool) -> Response {
    let page = SignInPage {
        page: Page {
            lang,
            path: SIGN_IN_PATH,
            script: "console/sign_in",
            messages: CONSOLE_MESSAGES,
        },
        next: next.to_owned(),
        error: error.map(|id| lang.text(id)),
        signed_out,
    };
    html(page.render(), SIGN_IN_PATH, chosen, NO_STORE)
}

/// `next` when it is a console page of this server, else the console's
/// home: the sign-in page never sends anyone elsewhere.
fn console_path(next: Option<&str>) -> &str {
    match next {
        Some(next)
            if (next == "/console" || next.starts_with("/console/"))
                && !next.contains(['\\', '\r', '\n'])
                && next != SIGN_IN_PATH =>
        {
            next
        }
        _ => "/console",
    }
}

/// What the sign-in page's address may say.
#[derive(Deserialize, Default)]
struct SignInQuery {
    next: Option<String>,
    #[serde(rename = "signed-out")]
    signed_out: Option<String>,
}

async fn sign_in_page(
    RawQuery(raw): RawQuery,
    query: Result<Query<SignInQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let (lang, chosen) = language(raw.as_deref(), &headers);
    let query = query.map(|Query(query)| query).unwrap_or_default();
    let next = console_path(query.next.as_deref());
    render(lang, chosen, next, None, query.signed_out.is_some())
}

/// The sign-in form: one of a one-time code or an API token.
#[derive(Deserialize)]
struct SignInForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    token: String,
    next: Option<String>,
}

/// Whether the browser says the request comes from another site's page. A
/// sign-in forged by another site would sign the victim in as the forger.
fn from_another_site(headers: &HeaderMap) -> bool {
    headers
        .get("sec-fetch-site")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|site| !matches!(site, "same-origin" | "none"))
}

async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<SignInForm>, FormRejection>,
) -> Response {
    let (lang, _) = language(None, &headers);
    let Ok(Form(form)) = form else {
        return failed(lang, "/console", "console-sign-in-missing");
    };
    let next = console_path(form.next.as_deref()).to_owned();
    if from_another_site(&headers) {
        return failed(lang, &next, "console-sign-in-cross-site");
    }
    let now = now_unix();
    let code: String = form
        .code
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let token = form.token.trim();
    let found = if !code.is_empty() {
        state
            .store
            .redeem_sign_in_code(&secret_hash(&code), now)
            .await
            .map(|member| member.map(|member| (member, None, now + SESSION_SECONDS)))
    } else if !token.is_empty() {
        state
            .store
            .credential(&secret_hash(token), now)
            .await
            .map(|credential| {
                credential.map(|credential| {
                    let ends = credential.expires_at.min(now + SESSION_SECONDS);
                    (credential.member, Some(credential.token), ends)
                })
            })
    } else {
        return failed(lang, &next, "console-sign-in-missing");
    };
    match found {
        Ok(Some((member, session_of, expires_at))) => {
            match begin_session(&state, &member, session_of, expires_at, now).await {
                Ok(cookie) => {
                    let mut response = Redirect::to(&next).into_response();
                    response.headers_mut().insert(header::SET_COOKIE, cookie);
                    response
                }
                Err(error) => {
                    tracing::error!(%error, "could not begin a console session");
                    StatusCode::INTERNAL_SERVER_ERROR.into_response()
                }
            }
        }
        Ok(None) => failed(lang, &next, "console-sign-in-refused"),
        Err(error) => {
            tracing::error!(%error, "could not sign in to the console");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// The sign-in page again, saying why (message `reason`), as a 401.
fn failed(lang: Lang, next: &str, reason: &str) -> Response {
    let mut response = render(lang, None, next, Some(reason), false);
    *response.status_mut() = StatusCode::UNAUTHORIZED;
    response
}

/// Stores a new session for `member` and returns the cookie that holds it.
async fn begin_session(
    state: &AppState,
    member: &StaffMember,
    session_of: Option<i64>,
    expires_at: i64,
    now: i64,
) -> anyhow::Result<HeaderValue> {
    let mut secret = [0u8; 32];
    OsRng.fill_bytes(&mut secret);
    let session = format!("css_{}", URL_SAFE_NO_PAD.encode(secret));
    state
        .store
        .create_api_token(
            member,
            SESSION_LABEL,
            &secret_hash(&session),
            expires_at,
            session_of,
            now,
        )
        .await?;
    cookie(state, &session, expires_at - now)
}

/// The session cookie holding `value` for `seconds`.
fn cookie(state: &AppState, value: &str, seconds: i64) -> anyhow::Result<HeaderValue> {
    let secure = if state.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; Max-Age={seconds}; HttpOnly; SameSite=Strict{secure}"
    ))
    .map_err(Into::into)
}

#[derive(Deserialize)]
struct SignOutForm {
    #[serde(default)]
    csrf: String,
}

async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<SignOutForm>, FormRejection>,
) -> Response {
    let Some(session) = session_cookie(&headers) else {
        return Redirect::to(SIGN_IN_PATH).into_response();
    };
    // Only the console's own page knows the token: another site cannot sign
    // anyone out.
    let presented = form.ok().map(|Form(form)| form.csrf);
    if presented.as_deref() != Some(csrf_token(session).as_str()) {
        return Redirect::to("/console").into_response();
    }
    let now = now_unix();
    match state.store.credential(&secret_hash(session), now).await {
        Ok(Some(credential)) => {
            let revoked = state
                .store
                .revoke_api_token(credential.member.school, credential.token, now)
                .await;
            if let Err(error) = revoked {
                tracing::error!(%error, "could not end a console session");
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
        }
        Ok(None) => {}
        Err(error) => {
            tracing::error!(%error, "could not read a console session");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    }
    let mut response = Redirect::to(&format!("{SIGN_IN_PATH}?signed-out")).into_response();
    if let Ok(expired) = cookie(&state, "", 0) {
        response.headers_mut().insert(header::SET_COOKIE, expired);
    }
    response
}
