//! A person's device: enrollment with a one-time code, and the person's own
//! record (GDPR art. 15 and 20), authenticated by the device's signature.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use consent_protocol::{KeyId, PublicKey, SchoolId, SubjectId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ApiResult};
use super::extract::{secret_hash, Device, Json};
use super::openapi::{
    BadRequest, Conflict, PayloadTooLarge, Refused, TooManyRequests, Unauthorized, UnsupportedMediaType,
};
use super::people::ENROLLMENT_PREFIX;
use super::schemas;
use super::{now, now_unix, AppState};
use crate::policy::{standing, Standing};
use crate::store::{Person, PersonKind, Publication, StoreError};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(enroll))
        .routes(routes!(my_record))
}

/// Limits failed enrollment attempts across the server, so that guessing a
/// code (80 random bits) is slower still than its entropy makes it.
#[derive(Default)]
pub struct AttemptLimiter {
    window: Mutex<(Option<Instant>, u32)>,
}

impl AttemptLimiter {
    /// Failed attempts allowed per minute.
    pub const FAILURES_PER_MINUTE: u32 = 20;

    fn over_limit(&self) -> bool {
        let mut window = self
            .window
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match window.0 {
            Some(start) if start.elapsed() < Duration::from_secs(60) => window.1 >= Self::FAILURES_PER_MINUTE,
            _ => {
                *window = (Some(Instant::now()), 0);
                false
            }
        }
    }

    fn record_failure(&self) {
        let mut window = self
            .window
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        window.1 += 1;
    }
}

/// A device asking to be enrolled.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Enrollment {
    /// The code, with or without its `consent-enroll:` prefix.
    #[schema(examples("consent-enroll:7K3M9QX2HD4RTW8N"))]
    code: String,
    /// The device's Ed25519 public key, hex.
    #[schema(value_type = schemas::PublicKey)]
    public_key: String,
}

/// An enrolled device.
#[derive(Serialize, ToSchema)]
struct Enrolled {
    /// Whose device it is.
    #[schema(value_type = schemas::PersonId)]
    person: SubjectId,
    /// Their school.
    #[schema(value_type = schemas::SchoolId)]
    school: SchoolId,
    /// Student or guardian.
    #[schema(value_type = schemas::PersonKind)]
    kind: PersonKind,
    /// Their name.
    #[schema(required = true)]
    display_name: Option<String>,
    /// The registered key's id.
    #[schema(value_type = schemas::KeyId)]
    key_id: KeyId,
}

/// Registers a device's public key with a one-time enrollment code.
#[utoipa::path(
    post,
    path = "/v1/enroll",
    tag = "devices",
    request_body = Enrollment,
    responses(
        (status = 201, description = "The device is enrolled; it signs its requests from now on.", body = Enrolled),
        (status = 400, response = BadRequest),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Refused),
        (status = 429, response = TooManyRequests)
    )
)]
async fn enroll(
    State(state): State<AppState>,
    Json(request): Json<Enrollment>,
) -> ApiResult<(StatusCode, Json<Enrolled>)> {
    let key = PublicKey::from_hex(request.public_key.trim())?;
    if state.enrollment_attempts.over_limit() {
        return Err(ApiError::TooManyRequests);
    }
    let code = request.code.trim();
    let code = code
        .strip_prefix(ENROLLMENT_PREFIX)
        .unwrap_or(code)
        .to_ascii_uppercase();
    let person = match state
        .store
        .redeem_enrollment_code(&secret_hash(&code), &key, now_unix())
        .await
    {
        Ok(person) => person,
        Err(StoreError::NotFound) => {
            state.enrollment_attempts.record_failure();
            return Err(ApiError::bad_request(
                "bad_enrollment_code",
                "this enrollment code is unknown, used or expired; ask the school for a new one",
            ));
        }
        Err(other) => return Err(other.into()),
    };
    let school = state.store.device_key(key.id()).await?.school;
    Ok((
        StatusCode::CREATED,
        Json(Enrolled {
            person: person.id,
            school,
            kind: person.kind,
            display_name: person.display_name,
            key_id: key.id(),
        }),
    ))
}

/// One token as its holder sees it.
#[derive(Serialize, ToSchema)]
struct MyToken {
    /// The token's id.
    #[schema(value_type = schemas::TokenId)]
    token_id: String,
    /// The token's QR text.
    #[schema(value_type = schemas::ConsentCode)]
    text: String,
    /// Its claims.
    #[schema(value_type = schemas::Grant)]
    grant: consent_protocol::Grant,
    /// Whether it still stands.
    #[schema(value_type = schemas::Standing)]
    standing: Standing,
}

/// Everything the school holds about one person.
#[derive(Serialize, ToSchema)]
struct Record {
    /// The person.
    #[schema(value_type = schemas::Person)]
    person: Person,
    /// The person's device keys (a guardian co-signs with the child's key id).
    #[schema(value_type = Vec<schemas::DeviceKey>)]
    keys: Vec<crate::store::DeviceKey>,
    /// Their consent tokens.
    tokens: Vec<MyToken>,
    /// Their revocations.
    #[schema(value_type = Vec<schemas::StoredRevocation>)]
    revocations: Vec<crate::store::StoredRevocation>,
    /// The publications they appear in.
    #[schema(value_type = Vec<schemas::Publication>)]
    publications: Vec<Publication>,
}

/// The caller's record, and their children's when the caller is a guardian.
#[derive(Serialize, ToSchema)]
struct MyRecord {
    #[serde(flatten)]
    own: Record,
    /// The records of the caller's children.
    children: Vec<Record>,
}

async fn record(state: &AppState, school: SchoolId, person: Person) -> ApiResult<Record> {
    let people = [person.id];
    let tokens = state.store.grants_of(school, &people).await?;
    let revocations = state.store.revocations_of(school, &people).await?;
    let publications = state.store.publications(school, Some(person.id)).await?;
    let now = now();
    let keys = state.store.device_keys_of(school, person.id).await?;
    Ok(Record {
        keys,
        tokens: tokens
            .iter()
            .map(|token| MyToken {
                token_id: token.unverified().token_id.to_string(),
                text: token.to_text(),
                grant: token.unverified().clone(),
                standing: standing(token.unverified().token_id, &tokens, &revocations, now),
            })
            .collect(),
        revocations,
        publications,
        person,
    })
}

/// The caller's own record: every token, revocation and publication they
/// appear in (GDPR art. 15), as JSON they can keep (art. 20).
#[utoipa::path(
    get,
    path = "/v1/me",
    tag = "devices",
    security(("device" = [])),
    responses(
        (status = 200, description = "The caller's record, with their children's.", body = MyRecord),
        (status = 401, response = Unauthorized),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Refused)
    )
)]
async fn my_record(State(state): State<AppState>, device: Device) -> ApiResult<Json<MyRecord>> {
    let school = device.key.school;
    let mut children = Vec::new();
    for child in state.store.children_of(school, device.person.id).await? {
        let child = state.store.person(school, child).await?;
        children.push(record(&state, school, child).await?);
    }
    let own = record(&state, school, device.person).await?;
    Ok(Json(MyRecord { own, children }))
}
