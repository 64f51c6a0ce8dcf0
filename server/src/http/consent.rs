//! Consent coming in and going out: grants and revocations signed on a
//! person's device, revocations by the school, and the revocation data
//! offline verifiers carry.

use axum::extract::State;
use axum::http::StatusCode;
use consent_protocol::{
    PublicKey, Revocation, RevocationId, RevocationScope, Role, SchoolId, SignedGrant, SignedRevocation,
    SubjectId, TokenId,
};
use rand_core::OsRng;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::audit::signed_log_head;
use super::error::{ApiError, ApiResult};
use super::extract::{Admins, AnyStaff, Json, Path, Query, Staff};
use super::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, Refused, Unauthorized, UnsupportedMediaType,
};
use super::people::person_id;
use super::schemas;
use super::{now, now_unix, AppState};
use crate::policy::needs_guardian;
use crate::store::{PersonKind, StoreError, StoredRevocation};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(submit_grant))
        .routes(routes!(submit_revocation, revocation_list))
        .routes(routes!(revoke_for_person))
        .routes(routes!(offline_keys))
}

/// A consent token, as its QR code carries it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct TokenSubmission {
    /// The token's QR text.
    #[schema(value_type = schemas::ConsentCode)]
    pub(super) token: String,
}

/// A token the server holds.
#[derive(Serialize, ToSchema)]
struct Accepted {
    /// The token's id.
    #[schema(value_type = schemas::TokenId)]
    token_id: TokenId,
    /// False when exactly this token was already recorded.
    recorded: bool,
}

/// Accepts a consent token signed on the person's device (and co-signed by a
/// guardian where the age rule demands it).
#[utoipa::path(
    post,
    path = "/v1/grants",
    tag = "consent",
    request_body = TokenSubmission,
    responses(
        (status = 201, description = "Recorded.", body = Accepted),
        (status = 200, description = "Exactly this token was already recorded.", body = Accepted),
        (status = 400, response = BadRequest),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Refused)
    )
)]
async fn submit_grant(
    State(state): State<AppState>,
    Json(submission): Json<TokenSubmission>,
) -> ApiResult<(StatusCode, Json<Accepted>)> {
    let token = SignedGrant::from_text(&submission.token)?;
    let grant = token.unverified();
    let school = state.store.school(grant.school).await.map_err(unknown_school)?;
    let person = state
        .store
        .person(school.id, grant.subject)
        .await
        .map_err(unknown_subject)?;
    if person.erased || person.kind != PersonKind::Student {
        return Err(unknown_subject(StoreError::NotFound));
    }
    let keyring = state.store.keyring_for_grant(school.id, grant).await?;
    let now = now();
    token.verify(&keyring, now)?;
    if needs_guardian(person.birth_date.as_deref(), school.digital_consent_age, now)
        && !grant.signers.has_guardian()
    {
        return Err(ApiError::bad_request(
            "guardian_missing",
            format!(
                "this person is younger than {}: a guardian must sign or co-sign the consent",
                school.digital_consent_age
            ),
        ));
    }
    let recorded = state.store.insert_grant(school.id, &token, now_unix()).await?;
    let status = if recorded {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(Accepted {
            token_id: grant.token_id,
            recorded,
        }),
    ))
}

fn unknown_school(error: StoreError) -> ApiError {
    match error {
        StoreError::NotFound => ApiError::bad_request(
            "unknown_school",
            "the token names a school this server does not know",
        ),
        other => other.into(),
    }
}

fn unknown_subject(error: StoreError) -> ApiError {
    match error {
        StoreError::NotFound => ApiError::bad_request(
            "unknown_person",
            "the token names a person this school does not know",
        ),
        other => other.into(),
    }
}

/// A revocation signed on a person's or a guardian's device.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RevocationSubmission {
    /// The signed revocation's text.
    #[schema(value_type = schemas::ConsentCode)]
    revocation: String,
}

/// A revocation the server holds.
#[derive(Serialize, ToSchema)]
struct RevocationAccepted {
    /// Its place in the school's revocation list.
    sequence: i64,
    /// When the server acknowledged it (Unix seconds).
    received_at: i64,
}

/// Accepts a revocation signed by the person or a guardian. From the moment
/// this answers, no check allows the withdrawn tokens.
#[utoipa::path(
    post,
    path = "/v1/revocations",
    tag = "consent",
    request_body = RevocationSubmission,
    responses(
        (status = 201, description = "Recorded.", body = RevocationAccepted),
        (status = 400, response = BadRequest),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Refused)
    )
)]
async fn submit_revocation(
    State(state): State<AppState>,
    Json(submission): Json<RevocationSubmission>,
) -> ApiResult<(StatusCode, Json<RevocationAccepted>)> {
    let signed = SignedRevocation::from_text(&submission.revocation)?;
    let revocation = signed.unverified();
    let school = state
        .store
        .school(revocation.school)
        .await
        .map_err(unknown_school)?;
    state
        .store
        .person(school.id, revocation.subject)
        .await
        .map_err(unknown_subject)?;
    let mut keyring = state.store.keyring_for(school.id, &[revocation.subject]).await?;
    state
        .store
        .add_school_keys(&mut keyring, school.id, &[revocation.key])
        .await?;
    signed.verify(&keyring, now())?;
    let stored = state
        .store
        .insert_revocation(school.id, &signed, now_unix())
        .await?;
    Ok((StatusCode::CREATED, Json(accepted(&stored))))
}

fn accepted(stored: &StoredRevocation) -> RevocationAccepted {
    RevocationAccepted {
        sequence: stored.sequence,
        received_at: stored.received_at,
    }
}

/// What the school withdraws.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SchoolRevocation {
    /// One token to withdraw; without it, every token of the person is withdrawn.
    #[schema(value_type = Option<schemas::TokenId>)]
    token_id: Option<String>,
}

/// The school withdraws a person's consent (for example on a parent's
/// written request), signed with the server's key in the role `school`.
#[utoipa::path(
    post,
    path = "/v1/people/{id}/revocations",
    tag = "consent",
    security(("bearer" = [])),
    params(("id" = schemas::PersonId, Path, description = "The person's id.")),
    request_body = SchoolRevocation,
    responses(
        (status = 201, description = "Recorded.", body = RevocationAccepted),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType)
    )
)]
async fn revoke_for_person(
    State(state): State<AppState>,
    staff: Staff<Admins>,
    Path(id): Path<String>,
    Json(request): Json<SchoolRevocation>,
) -> ApiResult<(StatusCode, Json<RevocationAccepted>)> {
    let school = staff.member.school;
    let subject = person_id(&id)?;
    state.store.person(school, subject).await?;
    let now = now();
    let scope = match request.token_id {
        Some(token) => RevocationScope::Token(token.parse().map_err(|_| {
            ApiError::bad_request(
                "bad_token_id",
                "a token id is 32 lowercase hexadecimal characters",
            )
        })?),
        None => RevocationScope::AllIssuedUpTo(now),
    };
    let revocation = Revocation {
        id: RevocationId::random(&mut OsRng),
        school,
        subject,
        scope,
        issued_at: now,
        role: Role::School,
        key: PublicKey::of(&state.signing_key).id(),
    };
    let signed = SignedRevocation::sign(revocation, &state.signing_key)?;
    let stored = state.store.insert_revocation(school, &signed, now_unix()).await?;
    Ok((StatusCode::CREATED, Json(accepted(&stored))))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct After {
    /// Only revocations after this sequence number (0 unless given).
    after: Option<i64>,
}

/// One page of the school's revocation list.
#[derive(Serialize, ToSchema)]
struct RevocationList {
    /// The school.
    #[schema(value_type = schemas::SchoolId)]
    school: SchoolId,
    /// The revocations, in sequence order.
    revocations: Vec<ListedRevocation>,
    /// The last sequence number in this page; ask again with `after` set to it.
    up_to: i64,
    /// The signed log head at the time of this answer: its `signed_at` says
    /// how fresh the list is.
    #[schema(value_type = schemas::ConsentCode)]
    log_head: String,
}

/// A revocation in the list.
#[derive(Serialize, ToSchema)]
struct ListedRevocation {
    /// Its sequence number.
    sequence: i64,
    /// The signed revocation's text.
    #[schema(value_type = schemas::ConsentCode)]
    revocation: String,
}

/// The most revocations in one page of the list.
const REVOCATION_PAGE: i64 = 1000;

/// The school's revocations after sequence number `after`, for offline
/// verifiers to keep their copy current.
#[utoipa::path(
    get,
    path = "/v1/revocations",
    tag = "consent",
    security(("bearer" = [])),
    params(After),
    responses(
        (status = 200, description = "Up to 1000 revocations and the signed log head.", body = RevocationList),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized)
    )
)]
async fn revocation_list(
    State(state): State<AppState>,
    staff: Staff<AnyStaff>,
    Query(after): Query<After>,
) -> ApiResult<Json<RevocationList>> {
    let school = staff.member.school;
    let after = after.after.unwrap_or(0).max(0);
    let log_head = signed_log_head(&state, school).await?;
    let revocations = state
        .store
        .revocations_after(school, after, REVOCATION_PAGE)
        .await?;
    let up_to = revocations.last().map_or(after, |last| last.sequence);
    Ok(Json(RevocationList {
        school,
        revocations: revocations
            .into_iter()
            .map(|stored| ListedRevocation {
                sequence: stored.sequence,
                revocation: stored.text,
            })
            .collect(),
        up_to,
        log_head: log_head.to_text(),
    }))
}

/// Everything an offline verifier needs to check the school's consent codes.
#[derive(Serialize, ToSchema)]
struct OfflineKeys {
    /// The school.
    #[schema(value_type = schemas::SchoolId)]
    school: SchoolId,
    /// The server's public keys.
    #[schema(value_type = Vec<schemas::PublicKey>)]
    server_keys: Vec<String>,
    /// Every device key of the school's people.
    device_keys: Vec<OfflineKey>,
    /// Who is whose guardian.
    guardianships: Vec<Guardianship>,
}

/// A device key, for offline verification.
#[derive(Serialize, ToSchema)]
struct OfflineKey {
    /// The key.
    #[schema(value_type = schemas::PublicKey)]
    public_key: String,
    /// Its holder.
    #[schema(value_type = schemas::PersonId)]
    person: SubjectId,
    /// Whether it was cut off.
    revoked: bool,
}

/// A guardian and their child.
#[derive(Serialize, ToSchema)]
struct Guardianship {
    /// The guardian.
    #[schema(value_type = schemas::PersonId)]
    guardian: SubjectId,
    /// The child.
    #[schema(value_type = schemas::PersonId)]
    child: SubjectId,
}

/// The school's keys and guardian links, so a teacher's device can verify
/// consent codes offline (on a school trip).
#[utoipa::path(
    get,
    path = "/v1/offline-keys",
    tag = "consent",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The school's keys and guardianships.", body = OfflineKeys),
        (status = 401, response = Unauthorized)
    )
)]
async fn offline_keys(State(state): State<AppState>, staff: Staff<AnyStaff>) -> ApiResult<Json<OfflineKeys>> {
    let school = staff.member.school;
    let server_keys = state.store.server_keys().await?;
    let device_keys = state.store.school_device_keys(school).await?;
    let guardianships = state.store.school_guardianships(school).await?;
    Ok(Json(OfflineKeys {
        school,
        server_keys: server_keys
            .iter()
            .map(|(_, key)| hex::encode(key.to_bytes()))
            .collect(),
        device_keys: device_keys
            .into_iter()
            .map(|key| OfflineKey {
                public_key: hex::encode(key.public_key.to_bytes()),
                person: key.person,
                revoked: key.revoked,
            })
            .collect(),
        guardianships: guardianships
            .into_iter()
            .map(|(guardian, child)| Guardianship { guardian, child })
            .collect(),
    }))
}
