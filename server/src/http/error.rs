//! The API's one error type: every failure is an `application/problem+json`
//! response (RFC 9457) with a stable `code`.

use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use consent_protocol::{Purpose, Verdict};
use serde::Serialize;
use utoipa::ToSchema;

use crate::store::{Channel, Person, StoreError};

/// A person as an ambiguous name's problem lists them: name, group and external id.
fn candidate(person: &Person) -> String {
    let mut about: Vec<&str> = Vec::new();
    about.extend(person.group.as_deref());
    about.extend(person.external_id.as_deref());
    format!(
        "{} ({}{}id {})",
        person.display_name.as_deref().unwrap_or("(erased)"),
        about.join(", "),
        if about.is_empty() { "" } else { ", " },
        person.id
    )
}

/// The first bad row as `line N: why` (what the CLI reads), and how many more.
fn bad_rows_detail(rows: &[RowProblem]) -> String {
    let Some(first) = rows.first() else {
        return "the class list has rows that cannot be imported".to_owned();
    };
    let more = match rows.len() - 1 {
        0 => String::new(),
        1 => "; and 1 more row".to_owned(),
        more => format!("; and {more} more rows"),
    };
    format!("line {}: {}{more}", first.line, first.detail)
}

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed: bad JSON, a bad parameter, a bad field.
    #[error("{detail}")]
    BadRequest {
        /// Stable code.
        code: &'static str,
        /// What was wrong, for people.
        detail: String,
    },
    /// A signed object (token, revocation, key) was refused.
    #[error("{0}")]
    Refused(#[from] consent_protocol::Error),
    /// No valid credential was presented.
    #[error("a valid credential is required")]
    Unauthorized,
    /// The credential is valid but its role may not do this.
    #[error("your role may not do this")]
    Forbidden,
    /// A change asked for with a console session cookie came without the
    /// session's CSRF token: perhaps from another site's page.
    #[error("this change needs the console's CSRF token (the X-CSRF-Token header); reload the console page and try again")]
    CsrfRejected,
    /// Nothing with this id exists here.
    #[error("not found")]
    NotFound,
    /// The request conflicts with what is recorded.
    #[error("{0}")]
    Conflict(&'static str),
    /// A publication was refused because someone in it has no consent.
    #[error("not everyone in this recording has consent for this use")]
    ConsentMissing {
        /// The verdict on everyone in it.
        verdicts: Vec<Verdict>,
    },
    /// A publication names a channel the school does not have.
    #[error(
        "there is no channel {channel:?} in this school; its channels are: {}",
        known.iter().map(|c| format!("{} ({})", c.name, c.purpose)).collect::<Vec<_>>().join(", ")
    )]
    UnknownChannel {
        /// The name asked for, in lowercase.
        channel: String,
        /// The school's channels.
        known: Vec<Channel>,
    },
    /// A publication's channel is for another purpose than its check was.
    #[error(
        "channel {} is {}; the check was for {checked}: check it for {} and publish with that receipt",
        channel.name, channel.purpose, channel.purpose
    )]
    ChannelNotCovered {
        /// The channel, with its purpose.
        channel: Channel,
        /// The purpose the receipt's check was for.
        checked: Purpose,
    },
    /// A name staff gave fits more than one person.
    #[error(
        "{name:?} fits {} people: {}; name one by external id or id",
        candidates.len(),
        candidates.iter().map(candidate).collect::<Vec<_>>().join("; ")
    )]
    AmbiguousPerson {
        /// The name given.
        name: String,
        /// Everyone it fits.
        candidates: Vec<Person>,
    },
    /// Rows of a class list that cannot be imported; nothing was.
    #[error("{}", bad_rows_detail(rows))]
    BadRows {
        /// Every bad row, in order; never empty.
        rows: Vec<RowProblem>,
    },
    /// The path exists but not with this method.
    #[error("this method is not allowed on this path")]
    MethodNotAllowed,
    /// The request body is larger than the limit.
    #[error("the request body is too large")]
    PayloadTooLarge,
    /// The body is not JSON (or CSV where CSV is expected).
    #[error("{0}")]
    UnsupportedMediaType(&'static str),
    /// The audit log in the database does not extend the last head this
    /// instance signed: its history was rewritten. The server refuses to
    /// sign it.
    #[error("{0}")]
    LogHistoryChanged(String),
    /// Too many attempts or requests lately; try again after `retry_after`.
    #[error("{detail}")]
    TooManyRequests {
        /// What was counted, for people.
        detail: &'static str,
        /// How long to wait before the next attempt counts.
        retry_after: std::time::Duration,
    },
    /// The request took longer than the server allows; it was stopped, and
    /// its unfinished transaction rolled back.
    #[error(
        "the request took longer than {} seconds and was stopped; what it had not finished was not written",
        .0.as_secs()
    )]
    RequestTimeout(std::time::Duration),
    /// Something failed inside the server. Details are logged, not shown.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    /// A malformed request.
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        ApiError::BadRequest {
            code,
            detail: detail.into(),
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. }
            | ApiError::UnknownChannel { .. }
            | ApiError::AmbiguousPerson { .. }
            | ApiError::BadRows { .. } => StatusCode::BAD_REQUEST,
            ApiError::Refused(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden | ApiError::CsrfRejected => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Conflict(_)
            | ApiError::ConsentMissing { .. }
            | ApiError::ChannelNotCovered { .. }
            | ApiError::LogHistoryChanged(_) => StatusCode::CONFLICT,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest { code, .. } => code,
            ApiError::Refused(error) => error.code(),
            ApiError::Unauthorized => "unauthorized",
            ApiError::Forbidden => "forbidden",
            ApiError::CsrfRejected => "csrf_rejected",
            ApiError::NotFound => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::ConsentMissing { .. } => "consent_missing",
            ApiError::UnknownChannel { .. } => "unknown_channel",
            ApiError::ChannelNotCovered { .. } => "channel_not_covered",
            ApiError::AmbiguousPerson { .. } => "ambiguous_person",
            ApiError::BadRows { .. } => "bad_csv",
            ApiError::LogHistoryChanged(_) => "log_history_changed",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::TooManyRequests { .. } => "too_many_requests",
            ApiError::RequestTimeout(_) => "request_timeout",
            ApiError::Internal(_) => "internal",
        }
    }
}

/// A row of a class list that cannot be imported, and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct RowProblem {
    /// Its line in the CSV sent: the header is line 1, the first person line 2.
    #[schema(minimum = 2)]
    pub line: usize,
    /// Why, as a stable code: `bad_row` (not a row of the header's columns,
    /// or an unknown `kind`), `bad_external_id`, `bad_display_name`,
    /// `bad_group`, `bad_birth_date` or `duplicate_external_id`.
    #[schema(pattern = "^[a-z_]+$")]
    pub code: &'static str,
    /// Why, for people; may be reworded.
    pub detail: String,
}

/// A problem document (RFC 9457), the body of every error answer.
#[derive(Serialize, ToSchema)]
pub struct Problem<'a> {
    /// `urn:school-consent:problem:` and the code.
    #[serde(rename = "type")]
    #[schema(pattern = "^urn:school-consent:problem:[a-z_]+$")]
    kind: String,
    /// The HTTP status's reason phrase.
    title: &'a str,
    /// The HTTP status code.
    #[schema(minimum = 400, maximum = 599)]
    status: u16,
    /// What went wrong, for people; may be reworded.
    detail: String,
    /// The stable, machine-readable code (`bad_json`, `unauthorized`,
    /// `bad_signature`, `consent_missing`, ...).
    #[schema(pattern = "^[a-z_]+$")]
    code: &'a str,
    /// With `consent_missing`: the verdict on everyone in the recording.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<super::schemas::Verdict>>)]
    verdicts: Option<&'a [Verdict]>,
    /// With `unknown_channel`: the school's channels.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<super::schemas::Channel>>)]
    channels: Option<&'a [Channel]>,
    /// With `ambiguous_person`: everyone the name fits.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<super::schemas::Person>>)]
    candidates: Option<&'a [Person]>,
    /// With `bad_csv` about rows: every row that cannot be imported.
    #[serde(skip_serializing_if = "Option::is_none")]
    rows: Option<&'a [RowProblem]>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            ApiError::Internal(error) => tracing::error!(error = format!("{error:#}"), "internal error"),
            ApiError::LogHistoryChanged(detail) => {
                tracing::error!(
                    detail,
                    "refused to sign an audit log head: the log's history was rewritten"
                )
            }
            _ => {}
        }
        let problem = Problem {
            kind: format!("urn:school-consent:problem:{}", self.code()),
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: self.to_string(),
            code: self.code(),
            verdicts: match &self {
                ApiError::ConsentMissing { verdicts } => Some(verdicts),
                _ => None,
            },
            channels: match &self {
                ApiError::UnknownChannel { known, .. } => Some(known),
                _ => None,
            },
            candidates: match &self {
                ApiError::AmbiguousPerson { candidates, .. } => Some(candidates),
                _ => None,
            },
            rows: match &self {
                ApiError::BadRows { rows } => Some(rows),
                _ => None,
            },
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response =
            (status, [(header::CONTENT_TYPE, "application/problem+json")], body).into_response();
        if let ApiError::TooManyRequests { retry_after, .. } = &self {
            // Whole seconds, rounded up: an early retry would be refused again.
            let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds.max(1)));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::Conflict(what) => ApiError::Conflict(what),
            other => ApiError::Internal(other.into()),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                ApiError::UnsupportedMediaType("send JSON with Content-Type: application/json")
            }
            _ => ApiError::bad_request("bad_json", rejection.body_text()),
        }
    }
}

impl From<BytesRejection> for ApiError {
    fn from(rejection: BytesRejection) -> Self {
        match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
            _ => ApiError::bad_request("bad_body", rejection.body_text()),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        ApiError::bad_request("bad_path", rejection.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::bad_request("bad_query", rejection.body_text())
    }
}

/// Result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;
