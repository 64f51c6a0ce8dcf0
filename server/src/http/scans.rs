//! Scanning one consent code: what it says, whether it is genuine and whether
//! it stands, for staff who check codes. A scan records nothing: it is a
//! question, not a decision, so it leaves no receipt and no log entry.

use axum::extract::State;
use consent_protocol::{Error as TokenError, Grant, MediaKind, Outcome, Purpose, SubjectId};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::consent::{read_consent_code, TokenSubmission};
use super::error::{ApiError, ApiResult};
use super::extract::{Json, Publishers, Staff};
use super::openapi::{BadRequest, Forbidden, PayloadTooLarge, Refused, Unauthorized, UnsupportedMediaType};
use super::schemas;
use super::{now, AppState};
use crate::policy::{token_standing, Subject};
use crate::store::{StoreError, StoredGrant};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default().routes(routes!(scan))
}

/// The person a scanned code names.
#[derive(Serialize, ToSchema)]
struct ScannedPerson {
    /// Their id.
    #[schema(value_type = schemas::PersonId)]
    id: SubjectId,
    /// Their name; null once erased.
    #[schema(required = true)]
    display_name: Option<String>,
    /// Their class or group.
    #[schema(required = true)]
    group: Option<String>,
}

/// Whether the consent a scanned code carries stands now.
#[derive(Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
enum ScanStanding {
    /// Neither revoked nor expired.
    Valid,
    /// Withdrawn, or a code that is not genuine and that the server never received.
    Revoked,
    /// Its validity window has ended.
    Expired,
    /// Signed on a device that the school has since cut off as lost: the
    /// person gives consent again from their new device.
    DeviceLost,
    /// Signed by a guardian alone, and the person has since reached the age
    /// of digital consent: it counts once they give it themselves.
    StudentMustConfirm,
}

/// What a scanned code says and whether it may be relied on.
#[derive(Serialize, ToSchema)]
struct Scan {
    /// The signatures are the person's (and their guardian's) own, made with
    /// keys still in use: verification passed, or failed only on the
    /// validity window (`expired`, `not_yet_valid`, `issued_in_future`).
    genuine: bool,
    /// Why verification failed, as the protocol's stable code
    /// (`bad_signature`, `unknown_key`, `revoked_key`, `expired`, ...);
    /// absent when it passed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^[a-z_]+$")]
    error: Option<&'static str>,
    /// The code's claims, as read (trust them only when `genuine`).
    #[schema(value_type = schemas::Grant)]
    grant: Grant,
    /// The person it names.
    person: ScannedPerson,
    /// Whether its consent stands now. A genuine code the server has not
    /// received yet is valid unless the person revoked it.
    standing: ScanStanding,
    /// The person is younger than the school's age of digital consent (or
    /// their birth date is unknown), so a guardian must sign.
    guardian_required: bool,
    /// A guardian signed the code.
    guardian_signed: bool,
    /// The kinds of recording the code allows now: its own, when it
    /// verifies, stands, and has a guardian's signature where one is
    /// required; otherwise none.
    #[schema(value_type = Vec<schemas::MediaKind>)]
    allowed_media: Vec<MediaKind>,
    /// The uses the code allows now, on the same terms.
    #[schema(value_type = Vec<schemas::Purpose>)]
    allowed_purposes: Vec<Purpose>,
}

/// Reads a scanned consent code and says whether it may be relied on now,
/// without recording anything (no receipt, no log entry, the code is not
/// stored).
#[utoipa::path(
    post,
    path = "/v1/scans",
    tag = "checks",
    security(("bearer" = [])),
    request_body = TokenSubmission,
    responses(
        (status = 200, description = "What the code says and whether it stands.", body = Scan),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Refused)
    )
)]
async fn scan(
    State(state): State<AppState>,
    staff: Staff<Publishers>,
    Json(submission): Json<TokenSubmission>,
) -> ApiResult<Json<Scan>> {
    let token = read_consent_code(&submission.token)?;
    let grant = token.unverified();
    if grant.school != staff.member.school {
        return Err(ApiError::bad_request(
            "other_school",
            "this consent code was issued to another school",
        ));
    }
    let school = staff.school.clone();
    let person = state
        .store
        .person(school.id, grant.subject)
        .await
        .map_err(|error| match error {
            StoreError::NotFound => {
                ApiError::bad_request("unknown_person", "the consent code names an unknown person")
            }
            other => other.into(),
        })?;
    let keyring = state.store.keyring_for_grant(school.id, grant).await?;
    let now = now();
    let verification = token.verify(&keyring, now).map(|_| ());
    let genuine = matches!(
        verification,
        Ok(()) | Err(TokenError::Expired | TokenError::NotYetValid | TokenError::IssuedInFuture)
    );

    // Read as checks read them, in one snapshot: a revocation acknowledged
    // before this scan began is always seen.
    let record = state.store.consent_record(school.id, &[person.id]).await?;
    let held = record
        .grants
        .into_iter()
        .find(|held| held.token.unverified().token_id == grant.token_id);
    let revocations = record.revocations;
    let cut_offs = record.keys.cut_offs;
    let subject = Subject::of(&person, school.digital_consent_age);
    // The same rules as a check; a code the server never received (nor can
    // verify) counts as withdrawn from the start.
    let standing = match held {
        None if !genuine && verification != Err(TokenError::RevokedKey) => ScanStanding::Revoked,
        held => {
            let held = held.unwrap_or_else(|| StoredGrant::not_stored(token.clone()));
            match token_standing(&held, &verification, &revocations, &subject, &cut_offs, now).outcome {
                Outcome::Revoked | Outcome::NoConsent => ScanStanding::Revoked,
                Outcome::Expired => ScanStanding::Expired,
                Outcome::DeviceLost => ScanStanding::DeviceLost,
                Outcome::StudentMustConfirm => ScanStanding::StudentMustConfirm,
                _ => ScanStanding::Valid,
            }
        }
    };

    let guardian_required = subject.needs_guardian(now);
    let guardian_signed = grant.signers.has_guardian();
    let allowed =
        verification.is_ok() && standing == ScanStanding::Valid && (guardian_signed || !guardian_required);
    let (allowed_media, allowed_purposes) = if allowed {
        (grant.media.iter().collect(), grant.purposes.iter().collect())
    } else {
        (Vec::new(), Vec::new())
    };
    Ok(Json(Scan {
        genuine,
        error: verification.err().map(|error| error.code()),
        grant: grant.clone(),
        person: ScannedPerson {
            id: person.id,
            display_name: person.display_name,
            group: person.group,
        },
        standing,
        guardian_required,
        guardian_signed,
        allowed_media,
        allowed_purposes,
    }))
}
