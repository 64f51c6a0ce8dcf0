//! The media audit: what is online now, held against the school's checks,
//! publications and consent as it stands; and the takedown requests that
//! come of it. Communications staff only. Clients send hashes, never
//! pictures.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::State;
use axum::http::StatusCode;
use consent_media::PerceptualHash;
use consent_protocol::{Hash256, MediaKind, Outcome, Purpose, ReceiptId, SignedReceipt, SubjectId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::checks::judge;
use super::error::{ApiError, ApiResult};
use super::extract::{Auditors, Json, Path, Staff};
use super::openapi::{BadRequest, Forbidden, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType};
use super::school::checked_text;
use super::{now, now_unix, schemas, AppState};
use crate::media_audit::{self, Finding, PublishedFile, Resemblance, MAX_FILES};
use crate::policy::{Question, Standing};
use crate::store::{NewTakedown, PictureSeen, Takedown};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(audit))
        .routes(routes!(request_takedown, list_takedowns))
        .routes(routes!(takedown_done))
}

/// The longest file name an audit or a takedown request carries.
const MAX_NAME_CHARS: usize = 1000;

/// Published files to audit.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AuditRequest {
    /// 1 to 500 files, each as the client hashed it (a larger folder is sent
    /// in several requests).
    #[schema(min_items = 1, max_items = 500)]
    files: Vec<FileToAudit>,
}

/// One published file: its hashes, computed on the client.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct FileToAudit {
    /// The file's name or path as the client shows it: echoed back, never
    /// stored or logged.
    #[serde(default)]
    #[schema(max_length = 1000)]
    name: Option<String>,
    /// SHA-256 of the file's bytes.
    #[schema(value_type = schemas::Sha256)]
    sha256: String,
    /// The picture's perceptual hash; absent or null when the client could
    /// not read the file as a picture (then only the very file is found).
    #[serde(default)]
    #[schema(value_type = Option<schemas::PerceptualHash>)]
    phash: Option<String>,
}

/// How a file was matched to its check.
#[derive(Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
enum MatchKind {
    /// By SHA-256: the very file that was checked.
    Exact,
    /// By perceptual hash, within the certain distance: the checked picture,
    /// resized, recompressed or lightly edited.
    Perceptual,
}

/// The check a file matched (or, when uncertain, perhaps matched).
#[derive(Serialize, ToSchema)]
struct CheckSeen {
    /// The check's receipt.
    #[schema(value_type = schemas::ReceiptId)]
    receipt_id: ReceiptId,
    /// When it was checked (Unix seconds).
    checked_at: i64,
    /// The kind of recording it was checked as.
    #[schema(value_type = schemas::MediaKind)]
    media_kind: MediaKind,
    /// The use it was checked for.
    #[schema(value_type = schemas::Purpose)]
    purpose: Purpose,
}

/// Where the matched picture was published.
#[derive(Clone, Serialize, ToSchema)]
struct PublicationSeen {
    /// The publication's id.
    id: i64,
    /// The channel it was published on.
    channel: String,
    /// Its address, when it has one.
    #[schema(required = true)]
    url: Option<String>,
    /// When it was published (Unix seconds).
    published_at: i64,
    /// When it was taken down, if it was.
    #[schema(required = true)]
    taken_down_at: Option<i64>,
}

/// Someone in the matched picture whose consent does not stand now.
#[derive(Serialize, ToSchema)]
struct PersonNow {
    /// The person.
    #[schema(value_type = schemas::PersonId)]
    person: SubjectId,
    /// Their name, unless erased.
    #[schema(required = true)]
    display_name: Option<String>,
    /// Why not, as a check's outcome code (`revoked`, `expired`,
    /// `device_lost`, `no_consent`, ...).
    #[schema(value_type = schemas::Outcome)]
    outcome: Outcome,
    /// Since when (Unix seconds), where known.
    #[schema(required = true)]
    since: Option<i64>,
}

/// The takedown request for a file, if there is one.
#[derive(Serialize, ToSchema)]
struct TakedownSeen {
    /// The request's id.
    id: i64,
    /// When it was asked for (Unix seconds).
    requested_at: i64,
    /// When it was done, if it was.
    #[schema(required = true)]
    done_at: Option<i64>,
}

/// What the audit found about one file.
#[derive(Serialize, ToSchema)]
struct AuditedFile {
    /// The name sent with it.
    #[schema(required = true)]
    name: Option<String>,
    /// Its SHA-256.
    #[schema(value_type = schemas::Sha256)]
    sha256: Hash256,
    /// What the audit found.
    finding: Finding,
    /// How it was matched to its check: `exact`, `perceptual`, or null when
    /// it was not (never checked, or uncertain).
    #[serde(rename = "match")]
    #[schema(required = true)]
    matched: Option<MatchKind>,
    /// Bits in which its perceptual hash differs from the check's (0 for the
    /// very file); null when never checked.
    #[schema(required = true, minimum = 0, maximum = 256)]
    distance: Option<u32>,
    /// The check it matched, or for `uncertain` the one it perhaps is.
    #[schema(required = true)]
    check: Option<CheckSeen>,
    /// Every publication of that checked file, newest first.
    publications: Vec<PublicationSeen>,
    /// For `consent_withdrawn` and `refused_at_check`: everyone in the check
    /// whose consent does not stand now, why and since when. Empty otherwise.
    people: Vec<PersonNow>,
    /// The takedown request for this file: the open one, else the latest.
    #[schema(required = true)]
    takedown: Option<TakedownSeen>,
}

/// How many files had each finding.
#[derive(Default, Serialize, ToSchema)]
struct AuditSummary {
    /// Files audited.
    files: usize,
    /// Checked, and consent holds.
    consent_holds: usize,
    /// Checked, and someone's consent no longer stands.
    consent_withdrawn: usize,
    /// Checked, and the check did not allow everyone.
    refused_at_check: usize,
    /// Never checked.
    never_checked: usize,
    /// Perhaps a checked picture: a person should look.
    uncertain: usize,
}

impl AuditSummary {
    fn count(&mut self, finding: Finding) {
        self.files += 1;
        *match finding {
            Finding::ConsentHolds => &mut self.consent_holds,
            Finding::ConsentWithdrawn => &mut self.consent_withdrawn,
            Finding::RefusedAtCheck => &mut self.refused_at_check,
            Finding::NeverChecked => &mut self.never_checked,
            Finding::Uncertain => &mut self.uncertain,
        } += 1;
    }
}

/// The audit's answer.
#[derive(Serialize, ToSchema)]
struct AuditAnswer {
    /// One per file sent, in the same order.
    files: Vec<AuditedFile>,
    /// How many files had each finding.
    summary: AuditSummary,
}

fn sha256_of(text: &str, field: &str) -> ApiResult<Hash256> {
    text.parse().map_err(|_| {
        ApiError::bad_request(
            "bad_media_hash",
            format!("{field} is the SHA-256 of the file, 64 lowercase hex characters"),
        )
    })
}

fn phash_of(text: Option<&str>, field: &str) -> ApiResult<Option<PerceptualHash>> {
    text.map(|text| {
        text.parse().map_err(|_| {
            ApiError::bad_request(
                "bad_media_phash",
                format!("{field} is the picture's perceptual hash, 64 lowercase hex characters"),
            )
        })
    })
    .transpose()
}

/// Holds published files against the school's checks: for each, whether it
/// was checked (the very file, or the checked picture resized and
/// recompressed), and whether everyone in it still consents.
///
/// Only hashes are sent. A file is matched only among this school's
/// checks: by SHA-256 first, else to the check whose picture's perceptual
/// hash is nearest (at most 60 of 256 bits apart: `perceptual`; up to 72:
/// `uncertain`, for a person to look; else `never_checked`). Of equally
/// near checks, one a publication rests on wins, then one that allowed
/// everyone, then the newest. A match is `refused_at_check` when its check
/// did not allow everyone; else `consent_withdrawn` when anyone's consent
/// no longer stands (judged as the publications list judges it: a check for
/// the same media kind and purpose now); else `consent_holds`. The
/// perceptual hash is 256 bits about the broad layout of light and dark in
/// a 32 × 32 grey thumbnail: it reveals nothing usable about a face and
/// cannot be turned back into a picture (docs/security.md, "The perceptual
/// hash").
#[utoipa::path(
    post,
    path = "/v1/media/audit",
    tag = "media",
    security(("bearer" = [])),
    request_body = AuditRequest,
    responses(
        (status = 200, description = "A finding per file, in the order sent, and a summary.", body = AuditAnswer),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType)
    )
)]
async fn audit(
    State(state): State<AppState>,
    staff: Staff<Auditors>,
    Json(request): Json<AuditRequest>,
) -> ApiResult<Json<AuditAnswer>> {
    if request.files.is_empty() {
        return Err(ApiError::bad_request(
            "no_files",
            "send at least one file to audit",
        ));
    }
    if request.files.len() > MAX_FILES {
        return Err(ApiError::bad_request(
            "too_many_files",
            format!("at most {MAX_FILES} files per request; send a larger folder in several"),
        ));
    }
    let mut files = Vec::with_capacity(request.files.len());
    for (index, file) in request.files.into_iter().enumerate() {
        if file
            .name
            .as_ref()
            .is_some_and(|name| name.chars().count() > MAX_NAME_CHARS)
        {
            return Err(ApiError::bad_request(
                "bad_name",
                format!("files[{index}].name is longer than {MAX_NAME_CHARS} characters"),
            ));
        }
        let published = PublishedFile {
            sha256: sha256_of(&file.sha256, &format!("files[{index}].sha256"))?,
            phash: phash_of(file.phash.as_deref(), &format!("files[{index}].phash"))?,
        };
        files.push((file.name, published));
    }
    let school = &staff.school;

    let checked = state.store.checked_pictures(school.id).await?;
    let mut nearest: Vec<_> = files
        .iter()
        .map(|(_, file)| media_audit::nearest(file, &checked))
        .collect();
    // Every candidate's receipt: the preference needs whether its check
    // allowed everyone, and the answer its question and people.
    let candidates: BTreeSet<ReceiptId> = nearest
        .iter()
        .flatten()
        .flat_map(|near| near.checks.iter().map(|check| check.receipt))
        .collect();
    let candidates: Vec<ReceiptId> = candidates.into_iter().collect();
    let receipts: BTreeMap<ReceiptId, SignedReceipt> = state
        .store
        .receipts_with_ids(school.id, &candidates)
        .await?
        .into_iter()
        .map(|receipt| (receipt.unverified().id, receipt))
        .collect();
    // A receipt purged between the two reads is no longer a check.
    for near in nearest.iter_mut().flatten() {
        near.checks.retain(|check| receipts.contains_key(&check.receipt));
    }
    let allowed_everyone = |receipt: &ReceiptId| {
        receipts
            .get(receipt)
            .is_some_and(|r| r.unverified().all_allowed())
    };
    let chosen: Vec<Option<(Resemblance, &SignedReceipt)>> = nearest
        .iter()
        .map(|near| {
            let near = near.as_ref()?;
            let check = media_audit::preferred(&near.checks, |check| allowed_everyone(&check.receipt))?;
            Some((near.resemblance, receipts.get(&check.receipt)?))
        })
        .collect();

    let standings = standings_now(&state, school, &chosen).await?;
    let checked_files: Vec<Hash256> = chosen
        .iter()
        .flatten()
        .map(|(_, receipt)| receipt.unverified().media_hash)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut publications: BTreeMap<String, Vec<PublicationSeen>> = BTreeMap::new();
    for seen in state
        .store
        .publications_of_pictures(school.id, &checked_files)
        .await?
    {
        let PictureSeen {
            id,
            channel,
            url,
            published_at,
            taken_down_at,
            media_hash,
        } = seen;
        publications.entry(media_hash).or_default().push(PublicationSeen {
            id,
            channel,
            url,
            published_at,
            taken_down_at,
        });
    }
    let sent: Vec<Hash256> = files
        .iter()
        .map(|(_, file)| file.sha256)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut takedowns: BTreeMap<String, Takedown> = BTreeMap::new();
    for takedown in state.store.takedowns_of_pictures(school.id, &sent).await? {
        // Open ones come first, then the newest: the first one seen stays.
        takedowns.entry(takedown.sha256.clone()).or_insert(takedown);
    }

    let mut summary = AuditSummary::default();
    let mut audited = Vec::with_capacity(files.len());
    for ((name, file), chosen) in files.into_iter().zip(chosen) {
        let takedown = takedowns.get(&file.sha256.to_string()).map(|t| TakedownSeen {
            id: t.id,
            requested_at: t.requested_at,
            done_at: t.done_at,
        });
        let Some((resemblance, receipt)) = chosen else {
            summary.count(Finding::NeverChecked);
            audited.push(AuditedFile {
                name,
                sha256: file.sha256,
                finding: Finding::NeverChecked,
                matched: None,
                distance: None,
                check: None,
                publications: Vec::new(),
                people: Vec::new(),
                takedown,
            });
            continue;
        };
        let claims = receipt.unverified();
        let people: Vec<PersonNow> = if resemblance.is_match() {
            let question = (claims.media_kind, claims.purpose);
            claims
                .verdicts
                .iter()
                .filter_map(|verdict| standings.get(&(question, verdict.subject)))
                .filter(|now| now.standing.needs_takedown())
                .map(|now| PersonNow {
                    person: now.person,
                    display_name: now.display_name.clone(),
                    outcome: now.standing.outcome,
                    since: now.standing.since,
                })
                .collect()
        } else {
            Vec::new()
        };
        let finding = media_audit::finding(resemblance, claims.all_allowed(), !people.is_empty());
        summary.count(finding);
        audited.push(AuditedFile {
            name,
            sha256: file.sha256,
            finding,
            matched: match resemblance {
                Resemblance::Exact => Some(MatchKind::Exact),
                Resemblance::Perceptual { .. } => Some(MatchKind::Perceptual),
                Resemblance::Uncertain { .. } => None,
            },
            distance: Some(resemblance.distance()),
            check: Some(CheckSeen {
                receipt_id: claims.id,
                checked_at: i64::from(claims.checked_at.as_unix()),
                media_kind: claims.media_kind,
                purpose: claims.purpose,
            }),
            publications: publications
                .get(&claims.media_hash.to_string())
                .cloned()
                .unwrap_or_default(),
            people,
            takedown,
        });
    }
    Ok(Json(AuditAnswer {
        files: audited,
        summary,
    }))
}

/// A person's consent now, for one media kind and purpose.
struct StandingNow {
    person: SubjectId,
    display_name: Option<String>,
    standing: Standing,
}

/// Whether the consent of everyone in the matched checks stands now, for
/// each check's media kind and purpose: exactly the judgement the
/// publications list makes. People are judged once per kind and purpose,
/// however many files show them.
async fn standings_now(
    state: &AppState,
    school: &crate::store::School,
    chosen: &[Option<(Resemblance, &SignedReceipt)>],
) -> ApiResult<BTreeMap<((MediaKind, Purpose), SubjectId), StandingNow>> {
    let mut asked: BTreeMap<(MediaKind, Purpose), BTreeSet<SubjectId>> = BTreeMap::new();
    for (resemblance, receipt) in chosen.iter().flatten() {
        if resemblance.is_match() {
            let claims = receipt.unverified();
            asked
                .entry((claims.media_kind, claims.purpose))
                .or_default()
                .extend(claims.verdicts.iter().map(|verdict| verdict.subject));
        }
    }
    let now = now();
    let mut standings = BTreeMap::new();
    for ((media_kind, purpose), ids) in asked {
        let ids: Vec<SubjectId> = ids.into_iter().collect();
        let people = state.store.people_with_ids(school.id, &ids).await?;
        if people.len() != ids.len() {
            return Err(ApiError::Internal(anyhow::anyhow!(
                "a person named in a stored receipt is missing"
            )));
        }
        let question = Question {
            media_kind,
            purpose,
            now,
        };
        let judgements = judge(state, school, &people, &question).await?;
        for (person, judgement) in people.into_iter().zip(judgements) {
            standings.insert(
                ((media_kind, purpose), person.id),
                StandingNow {
                    person: person.id,
                    display_name: person.display_name,
                    standing: judgement.standing,
                },
            );
        }
    }
    Ok(standings)
}

/// A request to take a published picture down.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct TakedownRequest {
    /// SHA-256 of the published file.
    #[schema(value_type = schemas::Sha256)]
    sha256: String,
    /// Its perceptual hash, when known; kept with the request and purged
    /// with it.
    #[serde(default)]
    #[schema(value_type = Option<schemas::PerceptualHash>)]
    phash: Option<String>,
    /// The file's name as the audit showed it; kept with the request, never
    /// logged.
    #[serde(default)]
    #[schema(
        max_length = 1000,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    name: Option<String>,
    /// What the audit found (`never_checked`, `consent_withdrawn`, ...).
    #[schema(value_type = Finding)]
    finding: String,
    /// The publication to take down, when the audit named one: done, the
    /// request records it as taken down.
    #[serde(default)]
    publication: Option<i64>,
}

/// Asks for a published picture to be taken down, as an audit's finding
/// suggests. While a request for the same file (SHA-256) is open, asking
/// again answers that one (200) instead of making another (201). A
/// publication named must be one of this school's. Logged, without the
/// file's name.
#[utoipa::path(
    post,
    path = "/v1/media/takedowns",
    tag = "media",
    security(("bearer" = [])),
    request_body = TakedownRequest,
    responses(
        (status = 201, description = "Requested.", body = schemas::Takedown),
        (status = 200, description = "A request for this file was open already: that one.", body = schemas::Takedown),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType)
    )
)]
async fn request_takedown(
    State(state): State<AppState>,
    staff: Staff<Auditors>,
    Json(request): Json<TakedownRequest>,
) -> ApiResult<(StatusCode, Json<Takedown>)> {
    let finding: Finding = request
        .finding
        .parse()
        .map_err(|error: media_audit::UnknownFinding| {
            ApiError::bad_request("bad_finding", error.to_string())
        })?;
    let name = request
        .name
        .as_deref()
        .map(|name| checked_text("name", name, MAX_NAME_CHARS).map(str::to_owned))
        .transpose()?;
    let takedown = NewTakedown {
        sha256: sha256_of(&request.sha256, "sha256")?,
        phash: phash_of(request.phash.as_deref(), "phash")?,
        name,
        finding,
        publication: request.publication,
    };
    let (takedown, created) = state
        .store
        .request_takedown(staff.school.id, staff.member.id, &takedown, now_unix())
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(takedown)))
}

/// The school's takedown requests.
#[derive(Serialize, ToSchema)]
struct Takedowns {
    /// Open requests first, then done ones; newest first within each.
    #[schema(value_type = Vec<schemas::Takedown>)]
    takedowns: Vec<Takedown>,
}

/// The school's takedown requests: open ones first, newest first. Done
/// requests are kept for the school's retention period.
#[utoipa::path(
    get,
    path = "/v1/media/takedowns",
    tag = "media",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The requests.", body = Takedowns),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden)
    )
)]
async fn list_takedowns(State(state): State<AppState>, staff: Staff<Auditors>) -> ApiResult<Json<Takedowns>> {
    Ok(Json(Takedowns {
        takedowns: state.store.takedowns(staff.school.id).await?,
    }))
}

/// Records a takedown request as done. If it names a publication that is
/// still up, that publication is recorded as taken down at the same moment.
/// A request already done is answered as it is. Logged.
#[utoipa::path(
    post,
    path = "/v1/media/takedowns/{id}/done",
    tag = "media",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The request's id.")),
    responses(
        (status = 200, description = "Done.", body = schemas::Takedown),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound)
    )
)]
async fn takedown_done(
    State(state): State<AppState>,
    staff: Staff<Auditors>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Takedown>> {
    let takedown = state
        .store
        .takedown_done(staff.school.id, id, staff.member.id, now_unix())
        .await?;
    Ok(Json(takedown))
}
