//! The API's OpenAPI 3.1 document, served at `GET /v1/openapi.json`.
//!
//! Every resource's `router()` registers its handlers with `routes!`, which
//! takes each handler's path and methods from its `#[utoipa::path]`: the
//! routes served and the operations documented come from one source and
//! cannot drift apart. [`ApiDoc`] adds what no handler carries: the security
//! schemes, the problem responses and the tags.

use std::sync::LazyLock;

use axum::http::{header, Method};
use axum::response::{IntoResponse, Response};
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi, ToResponse};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ApiResult, Problem};
use super::{schemas, AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default().routes(routes!(openapi_json))
}

/// What the document says beyond its operations.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "School consent server",
        description = "The system of record for consent to photograph, film and record students: \
            people and their devices, consent tokens and revocations, checks before publishing, \
            publications, the audit log and reports.\n\n\
            Staff authenticate with an API token (`bearer`); a student's or guardian's device \
            signs its requests (`device`). Every error is an `application/problem+json` document \
            with a stable `code`."
    ),
    modifiers(&SecuritySchemes),
    components(
        // Schemas only query parameters name: nothing else collects them.
        schemas(Problem, schemas::EnrollmentCodeFormat, schemas::ReportFormat),
        responses(
            BadRequest,
            Unauthorized,
            Forbidden,
            NotFound,
            Conflict,
            PayloadTooLarge,
            UnsupportedMediaType,
            Refused,
            TooManyRequests,
            RequestTimeout,
            Internal
        )
    ),
    tags(
        (name = "public", description = "Health, readiness, public keys and this document: no credential."),
        (name = "school", description = "The school's settings, staff accounts and API tokens."),
        (name = "people", description = "Students and guardians, guardianships, enrollment codes, lost devices, erasure."),
        (name = "devices", description = "A person's device: enrollment, and the person's own record."),
        (name = "consent", description = "Consent tokens and revocations, and the data offline verifiers carry."),
        (name = "checks", description = "Checking a recording, or one scanned code, against consent."),
        (name = "publications", description = "Publications, their audit against consent now, takedowns."),
        (name = "audit", description = "The hash-chained audit log and consent coverage reports."),
        (name = "media", description = "The media audit: published files (their hashes, never the pictures) held against checks, publications and consent now; takedown requests.")
    )
)]
pub struct ApiDoc;

/// The two ways to prove who calls.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("cst_...")
                    .description(Some(
                        "A staff member's API token: `Authorization: Bearer cst_...`. \
                         The role decides which endpoints answer; the school is the token's.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "device",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "A request signed by a person's enrolled device: \
                 `Authorization: Consent-Device key=<key id>, time=<unix seconds>, signature=<base64url>`, \
                 the signature covering the method, path, time and body (see docs/protocol.md).",
            ))),
        );
    }
}

/// Declares a reusable problem response: its component name is the type's.
macro_rules! problem_response {
    ($($(#[doc = $doc:literal])+ $name:ident;)+) => {$(
        $(#[doc = $doc])+
        pub struct $name;

        impl<'r> ToResponse<'r> for $name {
            fn response() -> (&'r str, RefOr<utoipa::openapi::Response>) {
                let description = concat!($($doc),+).trim();
                (
                    stringify!($name),
                    ResponseBuilder::new()
                        .description(description)
                        .content(
                            "application/problem+json",
                            ContentBuilder::new()
                                .schema(Some(Ref::from_schema_name("Problem")))
                                .build(),
                        )
                        .into(),
                )
            }
        }
    )+};
}

problem_response! {
    /// The request is malformed: bad JSON (`bad_json`), a bad path or query
    /// parameter (`bad_path`, `bad_query`, `bad_person_id`, ...) or a field
    /// the server refuses; `code` says which. A name that fits several people
    /// is `ambiguous_person` (with `candidates`); a channel the school does
    /// not have is `unknown_channel` (with `channels`).
    BadRequest;
    /// No valid credential was presented (`unauthorized`).
    Unauthorized;
    /// The credential is valid but its role may not do this (`forbidden`).
    Forbidden;
    /// Nothing with this id exists in the caller's school (`not_found`).
    NotFound;
    /// The request conflicts with what is recorded (`conflict`), or a
    /// publication was refused: its channel is for another purpose than its
    /// check (`channel_not_covered`), or someone in it no longer has consent
    /// (`consent_missing`, with `verdicts`); or the audit log's history was
    /// rewritten in the database and the server refuses to sign its head
    /// (`log_history_changed`).
    Conflict;
    /// The request body is larger than the limit (`payload_too_large`).
    PayloadTooLarge;
    /// The body is not of the content type this endpoint reads
    /// (`unsupported_media_type`).
    UnsupportedMediaType;
    /// A signed object (token, revocation, key, request signature) was
    /// refused; `code` is the protocol's stable code (`bad_encoding`,
    /// `bad_signature`, `expired`, `revoked_key`, `weak_key`, ...).
    Refused;
    /// Too many attempts or requests lately (`too_many_requests`); the
    /// `Retry-After` header says how many seconds to wait.
    TooManyRequests;
    /// The request took longer than the server allows (`request_timeout`,
    /// any endpoint); it was stopped and its unfinished writes were not made.
    RequestTimeout;
    /// Something failed inside the server (`internal`); details are logged,
    /// never shown.
    Internal;
}

/// The whole document: [`ApiDoc`] with every operation the router serves.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut document = super::api().into_openapi();
    for item in document.paths.paths.values_mut() {
        for operation in operations_mut(item) {
            // Any handler can fail inside: a database failure, or a panic
            // that the router's catch-panic layer answers.
            operation
                .responses
                .responses
                .entry("500".to_owned())
                .or_insert_with(|| Ref::from_response_name("Internal").into());
        }
    }
    document
}

/// Every (method, path) the router serves, as the document names them
/// (`/v1/people/{id}`).
pub fn routes() -> Vec<(Method, String)> {
    let document = openapi();
    let mut routes = Vec::new();
    for (path, item) in &document.paths.paths {
        let methods = [
            (Method::GET, &item.get),
            (Method::PUT, &item.put),
            (Method::POST, &item.post),
            (Method::DELETE, &item.delete),
            (Method::OPTIONS, &item.options),
            (Method::HEAD, &item.head),
            (Method::PATCH, &item.patch),
            (Method::TRACE, &item.trace),
        ];
        for (method, operation) in methods {
            if operation.is_some() {
                routes.push((method, path.clone()));
            }
        }
    }
    routes
}

fn operations_mut(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
}

/// The document as served, built once.
static DOCUMENT: LazyLock<Result<String, serde_json::Error>> = LazyLock::new(|| openapi().to_json());

/// This document.
#[utoipa::path(
    get,
    path = "/v1/openapi.json",
    tag = "public",
    responses(
        (status = 200, description = "The OpenAPI 3.1 document of this API.", body = Object, content_type = "application/json")
    )
)]
async fn openapi_json() -> ApiResult<Response> {
    match &*DOCUMENT {
        Ok(text) => Ok(([(header::CONTENT_TYPE, "application/json")], text.as_str()).into_response()),
        Err(error) => Err(ApiError::Internal(anyhow::anyhow!(
            "serializing the OpenAPI document: {error}"
        ))),
    }
}
