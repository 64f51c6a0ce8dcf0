//! A person's device: enrollment with a one-time code, and the person's own
//! record (GDPR art. 15 and 20), authenticated by the device's signature.

use axum::extract::State;
use axum::http::StatusCode;
use consent_protocol::{
    verify_grants, KeyId, PublicKey, SchoolId, SignedGrant, SubjectId, PREFIX as CONSENT_PREFIX,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ApiResult};
use super::extract::{secret_hash, ClientAddress, Device, Json};
use super::openapi::{
    BadRequest, Conflict, PayloadTooLarge, Refused, TooManyRequests, Unauthorized, UnsupportedMediaType,
};
use super::people::ENROLLMENT_PREFIX;
use super::schemas;
use super::{now, now_unix, AppState};
use crate::policy::{token_standing, Standing, Subject};
use crate::store::{ConsentRecord, Person, PersonKind, Publication, School, StoreError};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(enroll))
        .routes(routes!(my_record))
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
    ClientAddress(client): ClientAddress,
    Json(request): Json<Enrollment>,
) -> ApiResult<(StatusCode, Json<Enrolled>)> {
    let key = PublicKey::from_hex(request.public_key.trim())?;
    let code = request.code.trim();
    if code.starts_with(CONSENT_PREFIX) {
        // Someone's consent code, scanned by mistake: no guess at a code,
        // so it is not counted against the client.
        return Err(ApiError::bad_request(
            "not_an_enrollment_code",
            "this is a consent code (it shows someone's consent to teachers), not an enrollment code: \
             enroll with the enrollment code the school gave you",
        ));
    }
    // Every attempt counts, before the code is looked at, so that
    // concurrent guesses cannot slip past the limit.
    state.rate_limits.enrollment_attempt(client)?;
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
    /// Whether a consent for this person needs a guardian's signature: a
    /// student younger than the school's age of digital consent (or of
    /// unknown age). False for guardians.
    needs_guardian: bool,
    /// The person's guardians, whose current device keys a consent to be
    /// co-signed names.
    guardians: Vec<GuardianOf>,
}

/// A guardian, as their child's record shows them.
#[derive(Serialize, ToSchema)]
struct GuardianOf {
    /// The guardian's id.
    #[schema(value_type = schemas::PersonId)]
    person: SubjectId,
    /// Their name.
    #[schema(required = true)]
    display_name: Option<String>,
    /// The ids of their device keys that are not cut off.
    #[schema(value_type = Vec<schemas::KeyId>)]
    key_ids: Vec<KeyId>,
}

/// The caller's record, and their children's when the caller is a guardian.
#[derive(Serialize, ToSchema)]
struct MyRecord {
    #[serde(flatten)]
    own: Record,
    /// The records of the caller's children.
    children: Vec<Record>,
}

async fn record(state: &AppState, school: &School, person: Person) -> ApiResult<Record> {
    let people = [person.id];
    let ConsentRecord {
        grants,
        revocations,
        keys: known,
    } = state.store.consent_record(school.id, &people).await?;
    let publications = state.store.publications(school.id, Some(person.id)).await?;
    let now = now();
    let keys = state.store.device_keys_of(school.id, person.id).await?;
    let mut guardians = Vec::new();
    for guardian in state.store.guardians_of(school.id, person.id).await? {
        let guardian = state.store.person(school.id, guardian).await?;
        let keys = state.store.device_keys_of(school.id, guardian.id).await?;
        guardians.push(GuardianOf {
            person: guardian.id,
            display_name: guardian.display_name,
            key_ids: keys
                .iter()
                .filter(|key| !key.revoked)
                .map(|key| key.key_id)
                .collect(),
        });
    }
    let subject = Subject::of(&person, school.digital_consent_age);
    let needs_guardian = person.kind == PersonKind::Student && subject.needs_guardian(now);
    let tokens: Vec<SignedGrant> = grants.iter().map(|grant| grant.token.clone()).collect();
    let results = verify_grants(&tokens, &known.keyring, now);
    Ok(Record {
        needs_guardian,
        guardians,
        keys,
        tokens: grants
            .iter()
            .zip(&results)
            .map(|(grant, verification)| MyToken {
                token_id: grant.token.unverified().token_id.to_string(),
                text: grant.token.to_text(),
                grant: grant.token.unverified().clone(),
                standing: token_standing(grant, verification, &revocations, &subject, &known.cut_offs, now),
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
    let school = state.store.school(device.key.school).await?;
    let mut children = Vec::new();
    for child in state.store.children_of(school.id, device.person.id).await? {
        let child = state.store.person(school.id, child).await?;
        children.push(record(&state, &school, child).await?);
    }
    let own = record(&state, &school, device.person).await?;
    Ok(Json(MyRecord { own, children }))
}
