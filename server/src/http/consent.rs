//! Consent coming in and going out: grants and revocations signed on a
//! person's device, revocations by the school, and the revocation data
//! offline verifiers carry.

use axum::extract::State;
use axum::http::StatusCode;
use consent_protocol::{
    Grant, GuardianDate, GuardianDates, PublicKey, Revocation, RevocationId, RevocationList, RevocationScope,
    Role, SchoolId, SignedGrant, SignedGuardianDates, SignedRevocation, SignedRevocationList, SubjectId,
    Timestamp, TokenId,
};
use rand_core::OsRng;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ApiResult};
use super::extract::{Admins, AnyStaff, Json, Path, Query, Staff};
use super::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, Refused, TooManyRequests, Unauthorized,
    UnsupportedMediaType,
};
use super::people::{is_enrollment_code, named_person};
use super::schemas;
use super::{now, now_unix, AppState};
use crate::policy::{guardian_needed_until, withdraws, Subject};
use crate::store::{ConsentRecord, PersonKind, StoreError, StoredGrant, StoredRevocation};

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
        (status = 422, response = Refused),
        (status = 429, response = TooManyRequests)
    )
)]
async fn submit_grant(
    State(state): State<AppState>,
    Json(submission): Json<TokenSubmission>,
) -> ApiResult<(StatusCode, Json<Accepted>)> {
    let token = read_consent_code(&submission.token)?;
    let grant = token.unverified();
    let school = state.store.school(grant.school).await.map_err(unknown_school)?;
    let person = state
        .store
        .person(school.id, grant.subject)
        .await
        .map_err(unknown_subject)?;
    if person.erased {
        return Err(unknown_subject(StoreError::NotFound));
    }
    if person.kind != PersonKind::Student {
        // A parent's own device names the parent unless told otherwise:
        // say whom consent is for, rather than "unknown person".
        return Err(ApiError::bad_request(
            "not_a_student",
            "the token names a parent or guardian, but consent is given for a student: \
             a parent signs a token that names their child",
        ));
    }
    let keyring = state.store.keyring_for_grant(school.id, grant).await?;
    let now = now();
    token.verify(&keyring, now)?;
    let subject = Subject::of(&person, school.digital_consent_age);
    if subject.needs_guardian(now) {
        if !grant.signers.has_guardian() {
            return Err(ApiError::bad_request(
                "guardian_missing",
                format!(
                    "this person is younger than {}: a guardian must sign or co-sign the consent",
                    school.digital_consent_age
                ),
            ));
        }
    } else if !grant.signers.has_subject() {
        return Err(student_decides(school.digital_consent_age, "give"));
    }
    // A token that a revocation already on record withdraws would be stored
    // and then count for nothing: say so instead of "recorded".
    // (Grants and revocations in one snapshot, as a check reads them.)
    let record = state.store.consent_record(school.id, &[grant.subject]).await?;
    let held = record
        .grants
        .into_iter()
        .find(|held| held.token == token)
        .unwrap_or_else(|| StoredGrant::not_stored(token.clone()));
    let revocations = record.revocations;
    if let Some(withdrawn) = revocations.iter().find(|stored| withdraws(stored, &held)) {
        return Err(already_withdrawn(&withdrawn.revocation, grant));
    }
    // A phone handing in again what was recorded (its first answer was
    // lost) is told so, whatever the limits below say now.
    if state.store.holds_grant(school.id, &token).await? {
        return Ok((
            StatusCode::OK,
            Json(Accepted {
                token_id: grant.token_id,
                recorded: false,
            }),
        ));
    }
    // Counted only once the signature holds: nobody can spend another
    // person's budget with tokens they could not sign.
    let signers: Vec<_> = grant.signers.in_order().into_iter().map(|(_, key)| key).collect();
    state.rate_limits.grant(person.id, &signers)?;
    if live_tokens(&state, school.id, person.id, now).await? >= state.limits.live_tokens_per_person {
        return Err(ApiError::bad_request(
            "too_many_live_tokens",
            format!(
                "this person already holds {} consent tokens in force, the most one person may; \
                 withdraw the ones no longer needed, then give this one again",
                state.limits.live_tokens_per_person
            ),
        ));
    }
    let recorded = state.store.insert_grant(school.id, &token, now_unix()).await?;
    state.store.record_key_use(&signers, now_unix()).await?;
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

/// Reads a consent code someone scanned, typed or submitted. An enrollment
/// code given by mistake is named as such, so that whoever holds it learns
/// what it is instead of "not a consent code".
pub(super) fn read_consent_code(text: &str) -> ApiResult<SignedGrant> {
    if is_enrollment_code(text) {
        return Err(ApiError::bad_request(
            "not_a_consent_code",
            "this is an enrollment code, which enrolls a person's phone or computer once; \
             it is not a consent code: ask the person to show their consent code",
        ));
    }
    Ok(SignedGrant::from_text(text)?)
}

/// How many of `person`'s tokens are in force (neither withdrawn nor
/// expired), counted exactly only when the unexpired ones reach the cap.
async fn live_tokens(
    state: &AppState,
    school: SchoolId,
    person: SubjectId,
    now: Timestamp,
) -> ApiResult<usize> {
    let cap = state.limits.live_tokens_per_person;
    let unexpired = state
        .store
        .unexpired_grant_count(school, person, i64::from(now.as_unix()))
        .await?;
    if unexpired < cap {
        return Ok(unexpired);
    }
    let ConsentRecord {
        grants: held,
        revocations,
        ..
    } = state.store.consent_record(school, &[person]).await?;
    Ok(held
        .iter()
        .filter(|grant| {
            now <= grant.token.unverified().not_after
                && !revocations.iter().any(|revocation| withdraws(revocation, grant))
        })
        .count())
}

/// From the school's age of digital consent on, a person decides alone: a
/// guardian may no longer give or withdraw consent for them.
fn student_decides(digital_consent_age: i64, what: &str) -> ApiError {
    ApiError::bad_request(
        "student_decides",
        format!(
            "this student is {digital_consent_age} or older and decides alone: a guardian can no longer {what} \
             consent for them; the student does it from their own device"
        ),
    )
}

/// A grant that a recorded revocation already withdraws.
fn already_withdrawn(revocation: &Revocation, grant: &Grant) -> ApiError {
    let detail = match revocation.scope {
        RevocationScope::Token(_) => format!(
            "this consent was withdrawn on {}: give consent again with a new token",
            revocation.issued_at
        ),
        RevocationScope::AllIssuedUpTo(moment) => format!(
            "all consent given up to {moment} was withdrawn, and this token was given at {}: give consent \
             again (if this device's clock is behind, set it right first)",
            grant.issued_at
        ),
    };
    ApiError::bad_request("already_withdrawn", detail)
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
    let person = state
        .store
        .person(school.id, revocation.subject)
        .await
        .map_err(unknown_subject)?;
    let mut keyring = state.store.keyring_for(school.id, &[revocation.subject]).await?;
    state
        .store
        .add_school_keys(&mut keyring, school.id, &[revocation.key])
        .await?;
    let now = now();
    signed.verify(&keyring, now)?;
    if revocation.role == Role::Guardian
        && !Subject::of(&person, school.digital_consent_age).needs_guardian(now)
    {
        return Err(student_decides(school.digital_consent_age, "withdraw"));
    }
    let stored = state
        .store
        .insert_revocation(school.id, &signed, now_unix())
        .await?;
    state.store.record_key_use(&[revocation.key], now_unix()).await?;
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
    params(("id" = schemas::PersonName, Path, description = "The person: id, external id or full name.")),
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
    let subject = named_person(&state.store, school, &id)
        .await?
        .ok_or(ApiError::NotFound)?
        .id;
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
struct ListPage {
    /// Only revocations after this log position: the `up_to` of the page
    /// before (0 unless given).
    after: Option<i64>,
    /// The most revocations to answer with: 1 to 1000 (1000 unless given;
    /// others are clamped).
    limit: Option<i64>,
}

/// One page of the school's revocation list, signed as a whole.
#[derive(Serialize, ToSchema)]
struct RevocationPage {
    /// The school.
    #[schema(value_type = schemas::SchoolId)]
    school: SchoolId,
    /// The revocations, in log order.
    revocations: Vec<ListedRevocationText>,
    /// The last log position this page covers; ask again with `after` set to it.
    up_to: u64,
    /// Whether this is the last page: nothing was left after `up_to`.
    complete: bool,
    /// The server's signature over the page: which log positions it covers,
    /// a digest of exactly these revocations, the log's size and when it was
    /// signed. A verifier checks it before trusting the page, so that a
    /// revocation left out is noticed; its `signed_at` says how fresh the list is.
    #[schema(value_type = schemas::ConsentCode)]
    signed_list: String,
}

/// A revocation in the list.
#[derive(Serialize, ToSchema)]
struct ListedRevocationText {
    /// Its position in the school's audit log.
    sequence: u64,
    /// The signed revocation's text.
    #[schema(value_type = schemas::ConsentCode)]
    revocation: String,
}

/// The most revocations in one page of the list.
const MAX_REVOCATION_PAGE: i64 = 1000;

/// The school's revocations after log position `after`, for offline
/// verifiers to keep their copy current. Each page is signed as a whole, so a
/// verifier can tell that nothing was left out and how fresh its copy is.
/// The list is for the school's staff only: verifying it needs the people's
/// device keys, which only staff may read.
#[utoipa::path(
    get,
    path = "/v1/revocations",
    tag = "consent",
    security(("bearer" = [])),
    params(ListPage),
    responses(
        (status = 200, description = "Up to `limit` revocations, signed as one page.", body = RevocationPage),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized)
    )
)]
async fn revocation_list(
    State(state): State<AppState>,
    staff: Staff<AnyStaff>,
    Query(page): Query<ListPage>,
) -> ApiResult<Json<RevocationPage>> {
    let school = staff.member.school;
    let after = u64::try_from(page.after.unwrap_or(0)).unwrap_or(0);
    let limit = page
        .limit
        .unwrap_or(MAX_REVOCATION_PAGE)
        .clamp(1, MAX_REVOCATION_PAGE);
    // The log's size first: every revocation up to it is already committed
    // (each is written with its log entry in one transaction), so the page
    // below it is complete.
    let (log_size, _) = state.store.log_state(school).await?;
    if after > log_size {
        return Err(ApiError::bad_request(
            "after_beyond_log",
            format!("the school's log holds {log_size} entries; ask for revocations after 0 to {log_size}"),
        ));
    }
    let entries = state
        .store
        .revocation_list_entries(school, after, log_size, limit)
        .await?;
    let up_to = if entries.len() as i64 == limit {
        entries.last().map_or(log_size, |last| last.sequence)
    } else {
        log_size
    };
    let signed = RevocationList::of_entries(school, after, up_to, log_size, &entries, now(), state.key_id())
        .and_then(|list| SignedRevocationList::sign(list, &state.signing_key))
        .map_err(|error| ApiError::Internal(error.into()))?;
    Ok(Json(RevocationPage {
        school,
        revocations: entries
            .iter()
            .map(|entry| ListedRevocationText {
                sequence: entry.sequence,
                revocation: entry.revocation.to_text(),
            })
            .collect(),
        up_to,
        complete: signed.unverified().is_complete(),
        signed_list: signed.to_text(),
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
    /// For each person (not erased) of the school, in id order: until when
    /// they need a guardian's signature. Birth dates never leave the server;
    /// for a person already old enough the moment is 0 (1970).
    guardian_dates: Vec<GuardianDateEntry>,
    /// The server's signature over `guardian_dates` (and the school's
    /// consent age): a verifier checks it before trusting the dates, and
    /// again at every offline scan.
    #[schema(value_type = schemas::ConsentCode)]
    signed_guardian_dates: String,
}

/// One person's line of the age rule, for offline verifiers.
#[derive(Serialize, ToSchema)]
struct GuardianDateEntry {
    /// The person.
    #[schema(value_type = schemas::PersonId)]
    person: SubjectId,
    /// Before this moment a grant for them needs a guardian's signature; from
    /// it on a grant signed by a guardian alone is not enough.
    /// `2106-02-07T06:28:15Z` (the last moment the protocol can name) when
    /// their birth date is unknown: a guardian always signs.
    #[schema(value_type = schemas::Timestamp)]
    until: Timestamp,
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

/// The school's keys, guardian links and signed guardian dates (the age
/// rule, without birth dates), so a teacher's device can verify consent
/// codes offline (on a school trip) and judge them as the server would.
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
    let settings = state.store.school(school).await?;
    let today = now();
    let mut guardian_dates: Vec<GuardianDate> = state
        .store
        .people(school, None)
        .await?
        .into_iter()
        .filter(|person| !person.erased)
        .map(|person| {
            let until = guardian_needed_until(person.birth_date.as_deref(), settings.digital_consent_age);
            GuardianDate {
                person: person.id,
                // Least data: a moment already past says only "old enough",
                // not when they were born.
                until: if until <= today {
                    Timestamp::from_unix(0)
                } else {
                    until
                },
            }
        })
        .collect();
    guardian_dates.sort_by(|a, b| a.person.as_bytes().cmp(b.person.as_bytes()));
    let consent_age = u8::try_from(settings.digital_consent_age)
        .map_err(|_| ApiError::Internal(anyhow::anyhow!("consent age out of range")))?;
    let signed_guardian_dates =
        GuardianDates::of_entries(school, consent_age, &guardian_dates, today, state.key_id())
            .and_then(|list| SignedGuardianDates::sign(list, &state.signing_key))
            .map_err(|error| ApiError::Internal(error.into()))?;
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
        guardian_dates: guardian_dates
            .into_iter()
            .map(|date| GuardianDateEntry {
                person: date.person,
                until: date.until,
            })
            .collect(),
        signed_guardian_dates: signed_guardian_dates.to_text(),
    }))
}
