//! Publications: recorded after a publish-time re-check, audited against
//! consent as it stands now, and taken down when it no longer holds.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use consent_protocol::{Outcome, ReceiptId, SubjectId, Timestamp};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::channels::known_channel;
use super::checks::{decide, judge, CheckAnswer, CheckedMedia};
use super::csv_export::csv_response;
use super::error::{ApiError, ApiResult};
use super::extract::{Auditors, Json, Path, Publishers, Query, Staff};
use super::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType,
};
use super::schemas;
use super::school::checked_text;
use super::{now, now_unix, AppState};
use crate::policy::{Question, Standing};
use crate::store::{NewPublication, Person, Publication, PublicationPerson};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(publish, list_publications))
        .routes(routes!(take_down))
}

/// A publication to record.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PublishRequest {
    /// The receipt of the check made before publishing.
    #[schema(value_type = schemas::ReceiptId)]
    receipt_id: String,
    /// Where it is published: one of the school's channels (`GET /v1/channels`),
    /// in any case. Its purpose must be the one the receipt's check was for.
    #[schema(value_type = schemas::ChannelName)]
    channel: String,
    /// The address, when it has one.
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    url: Option<String>,
}

/// A recorded publication and the check made at that moment.
#[derive(Serialize, ToSchema)]
struct Published {
    /// The publication's id.
    publication: i64,
    /// The publish-time check.
    check: CheckAnswer,
}

/// Records a publication. The channel must be one of the school's, for the
/// purpose the receipt's check was for (`channel_not_covered` otherwise: a
/// check for the website does not cover Instagram). Consent is checked again
/// at this moment, for the channel's purpose and the receipt's media and
/// people; if anyone is no longer allowed, nothing is recorded and the
/// answer says who and why.
#[utoipa::path(
    post,
    path = "/v1/publications",
    tag = "publications",
    security(("bearer" = [])),
    request_body = PublishRequest,
    responses(
        (status = 201, description = "Recorded, with the publish-time check.", body = Published),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType)
    )
)]
async fn publish(
    State(state): State<AppState>,
    staff: Staff<Publishers>,
    Json(request): Json<PublishRequest>,
) -> ApiResult<(StatusCode, Json<Published>)> {
    let school = staff.school.clone();
    let receipt_id: ReceiptId = request.receipt_id.parse().map_err(|_| {
        ApiError::bad_request(
            "bad_receipt_id",
            "a receipt id is 32 lowercase hexadecimal characters",
        )
    })?;
    let channel = known_channel(&state.store, school.id, &request.channel).await?;
    let url = request
        .url
        .as_deref()
        .map(|url| checked_text("url", url, 2000).map(str::to_owned))
        .transpose()?;
    let earlier = state.store.receipt(school.id, receipt_id).await?;
    let earlier = earlier.unverified();
    // The publish-time receipt is of the same picture: it keeps the
    // perceptual hash, so that the audit finds the published copy by it.
    let media = CheckedMedia {
        hash: earlier.media_hash,
        phash: state.store.media_phash_of(school.id, receipt_id).await?,
    };
    // A check for the website says nothing about Instagram: the channel's
    // purpose must be the one the receipt's check was for.
    if channel.purpose != earlier.purpose {
        return Err(ApiError::ChannelNotCovered {
            channel,
            checked: earlier.purpose,
        });
    }
    let mut people = Vec::with_capacity(earlier.verdicts.len());
    for verdict in &earlier.verdicts {
        people.push(state.store.person(school.id, verdict.subject).await?);
    }
    let question = Question {
        media_kind: earlier.media_kind,
        purpose: channel.purpose,
        now: now(),
    };
    let check = decide(&state, &school, staff.member.id, media, &people, &question).await?;
    if !check.allowed {
        let receipt = consent_protocol::SignedReceipt::from_text(&check.receipt)?;
        return Err(ApiError::ConsentMissing {
            verdicts: receipt.unverified().verdicts.clone(),
        });
    }
    let publication = NewPublication {
        media_hash: earlier.media_hash,
        media_kind: earlier.media_kind.to_string(),
        purpose: channel.purpose.to_string(),
        channel: channel.name,
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

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct PublicationFilter {
    /// Only publications that must be taken down.
    flagged: Option<bool>,
    /// `json` (the default) or `csv`.
    #[param(value_type = Option<schemas::ReportFormat>)]
    format: Option<String>,
}

/// A person in a publication, with whether their consent still stands.
#[derive(Serialize, ToSchema)]
struct PersonStanding {
    /// The person.
    #[schema(value_type = schemas::PersonId)]
    person: SubjectId,
    /// Their name, unless erased.
    #[schema(required = true)]
    display_name: Option<String>,
    /// The token their consent rested on.
    #[schema(value_type = schemas::TokenId)]
    token: String,
    #[serde(flatten)]
    #[schema(value_type = schemas::Standing)]
    standing: Standing,
}

/// A publication with its consent status then (all allowed, or it would not
/// have been recorded) and now.
#[derive(Serialize, ToSchema)]
struct AuditedPublication {
    #[serde(flatten)]
    #[schema(value_type = schemas::Publication)]
    publication: Publication,
    /// Whether each person's consent stands now.
    people_now: Vec<PersonStanding>,
    /// Live, and a check now would not allow someone in it (their consent
    /// was withdrawn, expired, signed on a device since reported lost, ...).
    needs_takedown: bool,
}

/// The publications CSV's columns: one row per publication.
const PUBLICATION_COLUMNS: [&str; 10] = [
    "publication",
    "published_at",
    "channel",
    "purpose",
    "media_kind",
    "url",
    "people",
    "status",
    "taken_down_at",
    "consent_lost",
];

/// Every publication, or with `?flagged=true` those that must come down, as
/// JSON or `?format=csv` (one row per publication; `consent_lost` names who
/// no longer has consent, and since when).
#[utoipa::path(
    get,
    path = "/v1/publications",
    tag = "publications",
    security(("bearer" = [])),
    params(PublicationFilter),
    responses(
        (status = 200, description = "The publications, each with consent as it stands now.", content(
            (Vec<AuditedPublication> = "application/json"),
            (String = "text/csv", example = "publication,published_at,channel,purpose,media_kind,url,people,status,taken_down_at,consent_lost\n\
                1,2026-11-20T10:00:00Z,website,website,photo,https://school.example/news/1,1,take_down,,Sam de Groot: revoked since 2026-11-21T08:00:00Z\n")
        )),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden)
    )
)]
async fn list_publications(
    State(state): State<AppState>,
    staff: Staff<Auditors>,
    Query(filter): Query<PublicationFilter>,
) -> ApiResult<Response> {
    let format = filter.format.as_deref().unwrap_or("json");
    if !matches!(format, "json" | "csv") {
        return Err(ApiError::bad_request("bad_format", "format is json or csv"));
    }
    let school = staff.school.clone();
    let publications = state.store.publications(school.id, None).await?;
    let now = now();
    let mut audited = Vec::with_capacity(publications.len());
    for publication in publications {
        // The same judgement as a check for this media kind and purpose
        // now: whatever makes a check deny flags the publication.
        let question = question(&publication.media_kind, &publication.purpose, now)?;
        let ids: Vec<SubjectId> = publication.people.iter().map(|p| p.person).collect();
        let people: BTreeMap<SubjectId, Person> = state
            .store
            .people_with_ids(school.id, &ids)
            .await?
            .into_iter()
            .map(|person| (person.id, person))
            .collect();
        let people: Vec<Person> = ids
            .iter()
            .map(|id| people.get(id).cloned().ok_or(ApiError::NotFound))
            .collect::<ApiResult<_>>()?;
        let judgements = judge(&state, &school, &people, &question).await?;
        let people_now: Vec<PersonStanding> = publication
            .people
            .iter()
            .zip(people.iter().zip(judgements))
            .map(|(appearing, (person, judgement))| PersonStanding {
                person: appearing.person,
                display_name: person.display_name.clone(),
                token: appearing.token.to_string(),
                standing: judgement.standing,
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
    if format == "json" {
        return Ok(Json(audited).into_response());
    }
    let rows: Vec<Vec<String>> = audited.iter().map(publication_row).collect();
    csv_response(&PUBLICATION_COLUMNS, &rows)
}

/// A moment as a spreadsheet reads it: RFC 3339 in UTC.
fn moment(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|at| at.format(&Rfc3339).ok())
        .unwrap_or_else(|| unix.to_string())
}

/// One publication as a row of [`PUBLICATION_COLUMNS`].
fn publication_row(audited: &AuditedPublication) -> Vec<String> {
    let publication = &audited.publication;
    let status = if publication.taken_down_at.is_some() {
        "taken_down"
    } else if audited.needs_takedown {
        "take_down"
    } else {
        "live"
    };
    let lost: Vec<String> = audited
        .people_now
        .iter()
        .filter(|p| p.standing.needs_takedown())
        .map(|p| {
            let name = p.display_name.as_deref().unwrap_or("(erased)");
            match p.standing.since {
                Some(since) if since > 0 => {
                    format!("{name}: {} since {}", p.standing.status(), moment(since))
                }
                _ => format!("{name}: {}", p.standing.status()),
            }
        })
        .collect();
    vec![
        publication.id.to_string(),
        moment(publication.published_at),
        publication.channel.clone(),
        publication.purpose.clone(),
        publication.media_kind.clone(),
        publication.url.clone().unwrap_or_default(),
        publication.people.len().to_string(),
        status.to_owned(),
        publication.taken_down_at.map(moment).unwrap_or_default(),
        lost.join("; "),
    ]
}

/// The question a stored publication was checked for, asked again at `now`.
fn question(media_kind: &str, purpose: &str, now: Timestamp) -> ApiResult<Question> {
    let corrupt =
        |what: &str| ApiError::Internal(anyhow::anyhow!("stored publication has an unknown {what}"));
    Ok(Question {
        media_kind: media_kind.parse().map_err(|_| corrupt("media kind"))?,
        purpose: purpose.parse().map_err(|_| corrupt("purpose"))?,
        now,
    })
}

/// Marks a publication as taken down.
#[utoipa::path(
    post,
    path = "/v1/publications/{id}/takedown",
    tag = "publications",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The publication's id.")),
    responses(
        (status = 204, description = "Taken down."),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound)
    )
)]
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
