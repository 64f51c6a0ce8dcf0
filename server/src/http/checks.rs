//! Checking a recording before it is used: a verdict per person and a signed
//! decision receipt.

use std::collections::BTreeMap;

use axum::extract::State;
use consent_media::PerceptualHash;
use consent_protocol::{
    verify_grants_remembering, Hash256, MediaKind, Outcome, Purpose, Receipt, ReceiptId, SignedGrant,
    SignedReceipt, SubjectId, Verdict, MAX_VERDICTS,
};
use rand_core::OsRng;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::consent::read_consent_code;
use super::error::{ApiError, ApiResult};
use super::extract::{Json, Publishers, Staff};
use super::openapi::{
    BadRequest, Conflict, Forbidden, PayloadTooLarge, Refused, Unauthorized, UnsupportedMediaType,
};
use super::people::{group_name, named_person};
use super::schemas;
use super::{now, now_unix, AppState};
use crate::policy::{publication_standing, verdict, Question, Standing, Subject};
use crate::store::{ConsentRecord, Person, PersonKind, ReceiptToStore, School, StoreError};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default().routes(routes!(check))
}

/// What a check asks. Name the people in the recording by id, by scanned
/// code or by group (at least one of them).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    /// SHA-256 of the media file, hex (the file itself never leaves the device).
    #[schema(value_type = schemas::Sha256)]
    pub media_hash: String,
    /// The perceptual hash of the picture, when the client could read the
    /// file as one (clients that do not send it still check), so that
    /// the media audit finds it again after a website resized and
    /// recompressed it. It is kept beside the receipt, not signed in it, and
    /// purged with it; it reveals nothing usable about a face (see
    /// docs/security.md, "The perceptual hash").
    #[serde(default)]
    #[schema(value_type = Option<schemas::PerceptualHash>)]
    pub media_phash: Option<String>,
    /// `photo`, `video` or `audio`.
    #[schema(value_type = schemas::MediaKind)]
    pub media_kind: String,
    /// The intended use: `website`, `social-media`, `yearbook`, ...
    #[schema(value_type = schemas::Purpose)]
    pub purpose: String,
    /// People named by id, external id (the school's own number) or full
    /// name in any case.
    #[serde(default)]
    #[schema(value_type = Vec<schemas::PersonName>)]
    pub people: Vec<String>,
    /// Consent codes scanned from the people in the recording.
    #[serde(default)]
    #[schema(value_type = Vec<schemas::ConsentCode>)]
    pub tokens: Vec<String>,
    /// Whole groups (classes) in the recording, named in any case.
    #[serde(default)]
    pub groups: Vec<String>,
}

/// A verdict with the person's name, for the teacher.
#[derive(Serialize, ToSchema)]
pub struct NamedVerdict {
    /// The person.
    #[schema(value_type = schemas::PersonId)]
    pub person: SubjectId,
    /// Their name, unless erased.
    #[schema(required = true)]
    pub display_name: Option<String>,
    /// Allowed, or why not.
    #[schema(value_type = schemas::Outcome)]
    pub outcome: Outcome,
    /// The token the verdict rests on.
    #[schema(value_type = Option<schemas::TokenId>, required = true)]
    pub token: Option<String>,
}

/// The answer to a check.
#[derive(Serialize, ToSchema)]
pub struct CheckAnswer {
    /// Whether everyone may appear.
    pub allowed: bool,
    /// One verdict per person.
    pub verdicts: Vec<NamedVerdict>,
    /// The receipt's id, to publish with.
    #[schema(value_type = schemas::ReceiptId)]
    pub receipt_id: ReceiptId,
    /// The signed receipt's text.
    #[schema(value_type = schemas::ConsentCode)]
    pub receipt: String,
}

/// Parses the question's media kind and purpose.
pub fn question(media_kind: &str, purpose: &str) -> ApiResult<Question> {
    Ok(Question {
        media_kind: media_kind
            .parse::<MediaKind>()
            .map_err(|e| ApiError::bad_request("bad_media_kind", e.to_string()))?,
        purpose: purpose
            .parse::<Purpose>()
            .map_err(|e| ApiError::bad_request("bad_purpose", e.to_string()))?,
        now: now(),
    })
}

/// Checks a recording: who is in it, may each of them appear? The decision
/// is signed, stored and logged; a scanned code the server has not seen yet
/// is verified and recorded.
#[utoipa::path(
    post,
    path = "/v1/checks",
    tag = "checks",
    security(("bearer" = [])),
    request_body = CheckRequest,
    responses(
        (status = 200, description = "The verdict on each person and the signed receipt.", body = CheckAnswer),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Refused)
    )
)]
async fn check(
    State(state): State<AppState>,
    staff: Staff<Publishers>,
    Json(request): Json<CheckRequest>,
) -> ApiResult<Json<CheckAnswer>> {
    let school = staff.school;
    let media_hash: Hash256 = request.media_hash.parse().map_err(|_| {
        ApiError::bad_request(
            "bad_media_hash",
            "media_hash is the SHA-256 of the file, 64 hex characters",
        )
    })?;
    let media_phash = request
        .media_phash
        .as_deref()
        .map(|text| {
            text.parse::<PerceptualHash>().map_err(|_| {
                ApiError::bad_request(
                    "bad_media_phash",
                    "media_phash is the picture's perceptual hash, 64 lowercase hex characters",
                )
            })
        })
        .transpose()?;
    let question = question(&request.media_kind, &request.purpose)?;
    let people = resolve_people(&state, &school, &request).await?;
    let media = CheckedMedia {
        hash: media_hash,
        phash: media_phash,
    };
    let answer = decide(&state, &school, staff.member.id, media, &people, &question).await?;
    Ok(Json(answer))
}

/// The recording a decision is about: its file's SHA-256, and the
/// perceptual hash of the picture when the client sent one.
#[derive(Clone, Copy, Debug)]
pub struct CheckedMedia {
    /// The SHA-256 of the file, signed into the receipt.
    pub hash: Hash256,
    /// The picture's perceptual hash, stored beside the receipt.
    pub phash: Option<PerceptualHash>,
}

/// Evaluates, signs and records a decision on `people`.
pub async fn decide(
    state: &AppState,
    school: &School,
    staff: i64,
    media: CheckedMedia,
    people: &[Person],
    question: &Question,
) -> ApiResult<CheckAnswer> {
    let verdicts = evaluate(state, school, people, question).await?;
    let receipt = Receipt {
        id: ReceiptId::random(&mut OsRng),
        school: school.id,
        checked_at: question.now,
        media_hash: media.hash,
        media_kind: question.media_kind,
        purpose: question.purpose,
        verdicts: verdicts.clone(),
        key: state.key_id(),
    };
    let signed = SignedReceipt::sign(receipt, &state.signing_key)?;
    let to_store = ReceiptToStore {
        receipt: signed.clone(),
        media_phash: media.phash,
        staff,
    };
    state.store.insert_receipt(to_store, now_unix()).await?;
    let names: BTreeMap<SubjectId, Option<String>> = people
        .iter()
        .map(|person| (person.id, person.display_name.clone()))
        .collect();
    Ok(CheckAnswer {
        allowed: signed.unverified().all_allowed(),
        verdicts: signed
            .unverified()
            .verdicts
            .iter()
            .map(|verdict| NamedVerdict {
                person: verdict.subject,
                display_name: names.get(&verdict.subject).cloned().flatten(),
                outcome: verdict.outcome,
                token: verdict.token.map(|token| token.to_string()),
            })
            .collect(),
        receipt_id: signed.unverified().id,
        receipt: signed.to_text(),
    })
}

/// The distinct people a check names, by id, by scanned code or by group.
/// A scanned code that the server has not seen yet is verified and recorded.
async fn resolve_people(state: &AppState, school: &School, request: &CheckRequest) -> ApiResult<Vec<Person>> {
    let mut people: BTreeMap<SubjectId, Person> = BTreeMap::new();
    for name in &request.people {
        let person = named_person(&state.store, school.id, name)
            .await?
            .ok_or_else(|| {
                ApiError::bad_request(
                    "unknown_person",
                    format!(
                        "no person {:?} in this school: name people by id, external id or full name",
                        name.trim()
                    ),
                )
            })?;
        people.insert(person.id, person);
    }
    for text in &request.tokens {
        let token = read_consent_code(text)?;
        let grant = token.unverified();
        if grant.school != school.id {
            return Err(ApiError::bad_request(
                "other_school",
                "this consent code was issued to another school",
            ));
        }
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
        if token.verify(&keyring, now()).is_ok() {
            state.store.insert_grant(school.id, &token, now_unix()).await?;
        }
        people.insert(person.id, person);
    }
    for group in &request.groups {
        let members = state
            .store
            .people(school.id, Some(group_name("bad_field", group)?))
            .await?;
        if members.is_empty() {
            return Err(ApiError::bad_request(
                "unknown_group",
                format!("no people in group {group:?}"),
            ));
        }
        for person in members
            .into_iter()
            .filter(|p| p.kind == PersonKind::Student && !p.erased)
        {
            people.insert(person.id, person);
        }
    }
    if people.is_empty() {
        return Err(ApiError::bad_request(
            "no_people",
            "name the people in the recording: by id, code or group",
        ));
    }
    if people.len() > MAX_VERDICTS {
        return Err(ApiError::bad_request(
            "too_many_people",
            format!("at most {MAX_VERDICTS} people per check"),
        ));
    }
    Ok(people.into_values().collect())
}

/// The most people whose records are read in one query.
const CHUNK: usize = 500;

/// The verdict on one person, and since when consent has not stood for them.
pub struct Judgement {
    /// Allowed, or why not.
    pub verdict: Verdict,
    /// The same verdict as a standing, with the moment it began.
    pub standing: Standing,
}

/// The verdict on each of `people`, in their order.
pub async fn evaluate(
    state: &AppState,
    school: &School,
    people: &[Person],
    question: &Question,
) -> ApiResult<Vec<Verdict>> {
    Ok(judge(state, school, people, question)
        .await?
        .into_iter()
        .map(|judgement| judgement.verdict)
        .collect())
}

/// The verdict on each of `people`, in their order, with since when
/// consent has not stood for them.
///
/// Tokens, revocations and keys are read in one snapshot, so a revocation
/// acknowledged before this started is always seen.
pub async fn judge(
    state: &AppState,
    school: &School,
    people: &[Person],
    question: &Question,
) -> ApiResult<Vec<Judgement>> {
    let mut judgements = Vec::with_capacity(people.len());
    for chunk in people.chunks(CHUNK) {
        let ids: Vec<SubjectId> = chunk.iter().map(|person| person.id).collect();
        let ConsentRecord {
            grants,
            revocations,
            keys,
        } = state.store.consent_record(school.id, &ids).await?;
        let tokens: Vec<SignedGrant> = grants.iter().map(|grant| grant.token.clone()).collect();
        let results = verify_grants_remembering(&tokens, &keys.keyring, question.now, &*state.verified);
        for person in chunk {
            let theirs: Vec<_> = grants
                .iter()
                .zip(&results)
                .filter(|(grant, _)| grant.token.unverified().subject == person.id)
                .collect();
            let their_revocations: Vec<_> = revocations
                .iter()
                .filter(|stored| stored.revocation.subject == person.id)
                .cloned()
                .collect();
            let subject = Subject::of(person, school.digital_consent_age);
            let verdict = verdict(person.id, &theirs, &their_revocations, &subject, question);
            let standing =
                publication_standing(&verdict, &theirs, &their_revocations, &subject, &keys.cut_offs);
            judgements.push(Judgement { verdict, standing });
        }
    }
    Ok(judgements)
}
