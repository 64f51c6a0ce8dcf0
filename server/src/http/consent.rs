//! Consent coming in and going out: grants and revocations signed on a
//! person's device, revocations by the school, and the revocation data
//! offline verifiers carry.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use consent_protocol::{
    PublicKey, Revocation, RevocationId, RevocationScope, Role, SchoolId, SignedGrant, SignedRevocation,
    SubjectId, TokenId,
};
use rand_core::OsRng;
use serde::{Deserialize, Serialize};

use super::audit::signed_log_head;
use super::error::{ApiError, ApiResult};
use super::extract::{Admins, AnyStaff, Json, Path, Query, Staff};
use super::{now, now_unix, AppState};
use crate::policy::needs_guardian;
use crate::store::{PersonKind, StoreError, StoredRevocation};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/grants", post(submit_grant))
        .route("/v1/revocations", post(submit_revocation).get(revocation_list))
        .route("/v1/people/{id}/revocations", post(revoke_for_person))
        .route("/v1/offline-keys", get(offline_keys))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenSubmission {
    /// The token's QR text.
    token: String,
}

#[derive(Serialize)]
struct Accepted {
    token_id: TokenId,
    /// False when exactly this token was already recorded.
    recorded: bool,
}

/// Accepts a consent token signed on the person's device (and co-signed by a
/// guardian where the age rule demands it).
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
    let mut keyring = state.store.keyring_for(school.id, &[person.id]).await?;
    let signers: Vec<_> = grant.signers.in_order().into_iter().map(|(_, key)| key).collect();
    state
        .store
        .add_school_keys(&mut keyring, school.id, &signers)
        .await?;
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevocationSubmission {
    /// The signed revocation's text.
    revocation: String,
}

#[derive(Serialize)]
struct RevocationAccepted {
    sequence: i64,
    received_at: i64,
}

/// Accepts a revocation signed by the person or a guardian. From the moment
/// this answers, no check allows the withdrawn tokens.
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SchoolRevocation {
    /// One token to withdraw; without it, every token of the person is withdrawn.
    token_id: Option<String>,
}

/// The school withdraws a person's consent (for example on a parent's
/// written request), signed with the server's key in the role `school`.
async fn revoke_for_person(
    State(state): State<AppState>,
    staff: Staff<Admins>,
    Path(id): Path<String>,
    Json(request): Json<SchoolRevocation>,
) -> ApiResult<(StatusCode, Json<RevocationAccepted>)> {
    let school = staff.member.school;
    let subject: SubjectId = id.parse().map_err(|_| {
        ApiError::bad_request(
            "bad_person_id",
            "a person id is 32 lowercase hexadecimal characters",
        )
    })?;
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

#[derive(Deserialize)]
struct After {
    after: Option<i64>,
}

#[derive(Serialize)]
struct RevocationList {
    school: SchoolId,
    revocations: Vec<ListedRevocation>,
    /// The last sequence number in this page; ask again with `after` set to it.
    up_to: i64,
    /// The signed log head at the time of this answer: its `signed_at` says
    /// how fresh the list is.
    log_head: String,
}

#[derive(Serialize)]
struct ListedRevocation {
    sequence: i64,
    revocation: String,
}

/// The most revocations in one page of the list.
const REVOCATION_PAGE: i64 = 1000;

/// The school's revocations after sequence number `after`, for offline
/// verifiers to keep their copy current.
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

#[derive(Serialize)]
struct OfflineKeys {
    school: SchoolId,
    server_keys: Vec<String>,
    device_keys: Vec<OfflineKey>,
    guardianships: Vec<Guardianship>,
}

#[derive(Serialize)]
struct OfflineKey {
    public_key: String,
    person: SubjectId,
    revoked: bool,
}

#[derive(Serialize)]
struct Guardianship {
    guardian: SubjectId,
    child: SubjectId,
}

/// The school's keys and guardian links, so a teacher's device can verify
/// consent codes offline (on a school trip).
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
