//! Publications: recorded after a publish-time re-check, audited against
//! consent as it stands now, and taken down when it no longer holds.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use consent_protocol::{Outcome, ReceiptId, SubjectId};
use serde::{Deserialize, Serialize};

use super::checks::{decide, CheckAnswer};
use super::error::{ApiError, ApiResult};
use super::extract::{Auditors, Json, Path, Publishers, Query, Staff};
use super::school::checked_text;
use super::{now, now_unix, AppState};
use crate::policy::{standing, Question, Standing};
use crate::store::{NewPublication, Publication, PublicationPerson};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/publications", post(publish).get(list_publications))
        .route("/v1/publications/{id}/takedown", post(take_down))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PublishRequest {
    /// The receipt of the check made before publishing.
    receipt_id: String,
    /// Where it is published: `website`, `instagram`, `newsletter 2026-12`, ...
    channel: String,
    /// The address, when it has one.
    url: Option<String>,
}

#[derive(Serialize)]
struct Published {
    publication: i64,
    check: CheckAnswer,
}

/// Records a publication. Consent is checked again at this moment, for the
/// same media, purpose and people as the receipt; if anyone is no longer
/// allowed, nothing is recorded and the answer says who and why.
async fn publish(
    State(state): State<AppState>,
    staff: Staff<Publishers>,
    Json(request): Json<PublishRequest>,
) -> ApiResult<(StatusCode, Json<Published>)> {
    let school = state.store.school(staff.member.school).await?;
    let receipt_id: ReceiptId = request.receipt_id.parse().map_err(|_| {
        ApiError::bad_request(
            "bad_receipt_id",
            "a receipt id is 32 lowercase hexadecimal characters",
        )
    })?;
    let channel = checked_text("channel", &request.channel, 200)?.to_owned();
    let url = request
        .url
        .as_deref()
        .map(|url| checked_text("url", url, 2000).map(str::to_owned))
        .transpose()?;
    let earlier = state.store.receipt(school.id, receipt_id).await?;
    let earlier = earlier.unverified();
    let mut people = Vec::with_capacity(earlier.verdicts.len());
    for verdict in &earlier.verdicts {
        people.push(state.store.person(school.id, verdict.subject).await?);
    }
    let question = Question {
        media_kind: earlier.media_kind,
        purpose: earlier.purpose,
        now: now(),
    };
    let check = decide(
        &state,
        &school,
        staff.member.id,
        earlier.media_hash,
        &people,
        &question,
    )
    .await?;
    if !check.allowed {
        let receipt = consent_protocol::SignedReceipt::from_text(&check.receipt)?;
        return Err(ApiError::ConsentMissing {
            verdicts: receipt.unverified().verdicts.clone(),
        });
    }
    let publication = NewPublication {
        media_hash: earlier.media_hash,
        media_kind: earlier.media_kind.to_string(),
        purpose: earlier.purpose.to_string(),
        channel,
        url,
        receipt: check.receipt_id,
        people: check
            .verdicts
            .iter()
            .filter(|verdict| verdict.outcome == Outcome::Allowed)
            .filter_map(|verdict| {
                Some(PublicationPerson {
                    person: verdict.person,
                    token: verdict.token.as_deref()?.parse().ok()?,
                })
            })
            .collect(),
    };
    let id = state
        .store
        .insert_publication(school.id, staff.member.id, &publication, now_unix())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Published {
            publication: id,
            check,
        }),
    ))
}

#[derive(Deserialize)]
struct PublicationFilter {
    /// Only publications that must be taken down.
    flagged: Option<bool>,
}

/// A person in a publication, with whether their consent still stands.
#[derive(Serialize)]
struct PersonStanding {
    person: SubjectId,
    token: String,
    #[serde(flatten)]
    standing: Standing,
}

/// A publication with its consent status then (all allowed, or it would not
/// have been recorded) and now.
#[derive(Serialize)]
struct AuditedPublication {
    #[serde(flatten)]
    publication: Publication,
    people_now: Vec<PersonStanding>,
    /// Live, and someone's consent has since been revoked or has expired.
    needs_takedown: bool,
}

/// Every publication, or with `?flagged=true` those that must come down.
async fn list_publications(
    State(state): State<AppState>,
    staff: Staff<Auditors>,
    Query(filter): Query<PublicationFilter>,
) -> ApiResult<Json<Vec<AuditedPublication>>> {
    let school = staff.member.school;
    let publications = state.store.publications(school, None).await?;
    let now = now();
    let mut audited = Vec::with_capacity(publications.len());
    for publication in publications {
        let ids: Vec<SubjectId> = publication.people.iter().map(|p| p.person).collect();
        let tokens = state.store.grants_of(school, &ids).await?;
        let revocations = state.store.revocations_of(school, &ids).await?;
        let people_now: Vec<PersonStanding> = publication
            .people
            .iter()
            .map(|p| PersonStanding {
                person: p.person,
                token: p.token.to_string(),
                standing: standing(p.token, &tokens, &revocations, now),
            })
            .collect();
        let needs_takedown =
            publication.taken_down_at.is_none() && people_now.iter().any(|p| p.standing.needs_takedown());
        if filter.flagged.unwrap_or(false) && !needs_takedown {
            continue;
        }
        audited.push(AuditedPublication {
            publication,
            people_now,
            needs_takedown,
        });
    }
    Ok(Json(audited))
}

/// Marks a publication as taken down.
async fn take_down(
    State(state): State<AppState>,
    staff: Staff<Auditors>,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    state
        .store
        .take_down(staff.member.school, id, staff.member.id, now_unix())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
