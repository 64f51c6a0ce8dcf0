//! People and groups: adding and importing them, guardians, enrollment codes,
//! cutting off lost devices, and erasure on request.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use consent_protocol::{KeyId, SubjectId};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ApiResult};
use super::extract::{secret_hash, Admins, AnyStaff, Json, Path, Query, Staff};
use super::school::checked_text;
use super::{now_unix, AppState};
use crate::policy::parse_date;
use crate::store::{NewPerson, Person, PersonKind};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/people", get(list_people).post(create_person))
        .route("/v1/people/import", post(import_people))
        .route("/v1/people/{id}", get(show_person).delete(erase_person))
        .route("/v1/people/{id}/guardians", post(link_guardian))
        .route("/v1/people/{id}/enrollment-codes", post(create_enrollment_code))
        .route("/v1/keys/{key_id}/revoke", post(revoke_key))
}

fn person_id(text: &str) -> ApiResult<SubjectId> {
    text.parse().map_err(|_| {
        ApiError::bad_request(
            "bad_person_id",
            "a person id is 32 lowercase hexadecimal characters",
        )
    })
}

/// Checks and normalises a new person's fields.
fn checked_person(person: NewPerson) -> ApiResult<NewPerson> {
    let display_name = checked_text("display_name", &person.display_name, 200)?.to_owned();
    let group = person
        .group
        .as_deref()
        .filter(|group| !group.trim().is_empty())
        .map(|group| checked_text("group", group, 50).map(str::to_owned))
        .transpose()?;
    let external_id = person
        .external_id
        .as_deref()
        .filter(|id| !id.trim().is_empty())
        .map(|id| checked_text("external_id", id, 100).map(str::to_owned))
        .transpose()?;
    let birth_date = person.birth_date.filter(|date| !date.trim().is_empty());
    if let Some(date) = &birth_date {
        if parse_date(date.trim()).is_none() {
            return Err(ApiError::bad_request(
                "bad_birth_date",
                "birth_date must be a date such as 2011-04-23",
            ));
        }
    }
    Ok(NewPerson {
        kind: person.kind,
        display_name,
        group,
        birth_date: birth_date.map(|date| date.trim().to_owned()),
        external_id,
    })
}

async fn create_person(
    State(state): State<AppState>,
    staff: Staff<Admins>,
    Json(person): Json<NewPerson>,
) -> ApiResult<(StatusCode, Json<Person>)> {
    let person = checked_person(person)?;
    let id = SubjectId::random(&mut OsRng);
    let created = state
        .store
        .create_person(staff.member.school, id, &person, now_unix())
        .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[derive(Deserialize)]
struct PeopleFilter {
    group: Option<String>,
}

async fn list_people(
    State(state): State<AppState>,
    staff: Staff<AnyStaff>,
    Query(filter): Query<PeopleFilter>,
) -> ApiResult<Json<Vec<Person>>> {
    Ok(Json(
        state
            .store
            .people(staff.member.school, filter.group.as_deref())
            .await?,
    ))
}

async fn show_person(
    State(state): State<AppState>,
    staff: Staff<AnyStaff>,
    Path(id): Path<String>,
) -> ApiResult<Json<Person>> {
    Ok(Json(
        state.store.person(staff.member.school, person_id(&id)?).await?,
    ))
}

/// Erases a person's personal data (GDPR art. 17). The log stays verifiable:
/// it never held their name.
async fn erase_person(
    State(state): State<AppState>,
    staff: Staff<Admins>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state
        .store
        .erase_person(staff.member.school, person_id(&id)?, now_unix())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// How an import went.
#[derive(Serialize)]
struct ImportReport {
    created: usize,
    updated: usize,
}

#[derive(Deserialize)]
struct ImportRow {
    external_id: String,
    display_name: String,
    group: Option<String>,
    birth_date: Option<String>,
    kind: Option<PersonKind>,
}

/// Imports a class list as CSV with the header
/// `external_id,display_name,group,birth_date` (and optionally `kind`).
/// People already known by their external id are updated. The whole file is
/// checked before anything is written, so a bad row changes nothing.
async fn import_people(
    State(state): State<AppState>,
    staff: Staff<Admins>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<ImportReport>> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with("text/csv") {
        return Err(ApiError::UnsupportedMediaType(
            "send the class list with Content-Type: text/csv",
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(body.as_ref());
    let mut people = Vec::new();
    for (index, row) in reader.deserialize::<ImportRow>().enumerate() {
        let line = index + 2;
        let row = row.map_err(|e| ApiError::bad_request("bad_csv", format!("line {line}: {e}")))?;
        if row.external_id.trim().is_empty() {
            return Err(ApiError::bad_request(
                "bad_csv",
                format!("line {line}: external_id is empty"),
            ));
        }
        let person = checked_person(NewPerson {
            kind: row.kind.unwrap_or(PersonKind::Student),
            display_name: row.display_name,
            group: row.group,
            birth_date: row.birth_date,
            external_id: Some(row.external_id),
        })
        .map_err(|e| ApiError::bad_request("bad_csv", format!("line {line}: {e}")))?;
        people.push(person);
    }
    let school = staff.member.school;
    let (mut created, mut updated) = (0, 0);
    for person in &people {
        if state
            .store
            .update_person_by_external_id(school, person)
            .await?
            .is_some()
        {
            updated += 1;
        } else {
            state
                .store
                .create_person(school, SubjectId::random(&mut OsRng), person, now_unix())
                .await?;
            created += 1;
        }
    }
    Ok(Json(ImportReport { created, updated }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GuardianLink {
    guardian: String,
}

async fn link_guardian(
    State(state): State<AppState>,
    staff: Staff<Admins>,
    Path(child): Path<String>,
    Json(link): Json<GuardianLink>,
) -> ApiResult<StatusCode> {
    let school = staff.member.school;
    let child = state.store.person(school, person_id(&child)?).await?;
    let guardian = state.store.person(school, person_id(&link.guardian)?).await?;
    if guardian.kind != PersonKind::Guardian || child.kind != PersonKind::Student {
        return Err(ApiError::bad_request(
            "bad_guardianship",
            "a guardian (kind guardian) is linked to a student",
        ));
    }
    state
        .store
        .add_guardianship(school, guardian.id, child.id, now_unix())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The prefix of an enrollment code's QR text.
pub const ENROLLMENT_PREFIX: &str = "consent-enroll:";

/// How long an enrollment code works.
const ENROLLMENT_VALID_SECONDS: i64 = 14 * 86_400;

/// Letters that cannot be mistaken for one another (Crockford's base32).
const CODE_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

#[derive(Serialize)]
struct EnrollmentCode {
    person: SubjectId,
    code: String,
    qr_text: String,
    expires_at: i64,
}

#[derive(Deserialize)]
struct CodeFormat {
    format: Option<String>,
}

/// A one-time enrollment code for a person's device, as JSON, or as a QR code
/// with `?format=png` or `?format=svg`. Only its hash is stored.
async fn create_enrollment_code(
    State(state): State<AppState>,
    staff: Staff<Admins>,
    Path(id): Path<String>,
    Query(format): Query<CodeFormat>,
) -> ApiResult<Response> {
    let school = staff.member.school;
    let person = state.store.person(school, person_id(&id)?).await?;
    if person.erased {
        return Err(ApiError::NotFound);
    }
    let mut random = [0u8; 16];
    OsRng.fill_bytes(&mut random);
    let code: String = random
        .iter()
        .map(|byte| CODE_ALPHABET[usize::from(byte % 32)] as char)
        .collect();
    let now = now_unix();
    let expires_at = now + ENROLLMENT_VALID_SECONDS;
    state
        .store
        .create_enrollment_code(school, person.id, &secret_hash(&code), expires_at, now)
        .await?;
    let qr_text = format!("{ENROLLMENT_PREFIX}{code}");
    let qr_failed = |e: consent_qr::QrError| ApiError::Internal(e.into());
    Ok(match format.format.as_deref() {
        None | Some("json") => Json(EnrollmentCode {
            person: person.id,
            code,
            qr_text,
            expires_at,
        })
        .into_response(),
        Some("png") => {
            let png = consent_qr::render_png(&qr_text, 8).map_err(qr_failed)?;
            ([(header::CONTENT_TYPE, "image/png")], png).into_response()
        }
        Some("svg") => {
            let svg = consent_qr::render_svg(&qr_text).map_err(qr_failed)?;
            ([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response()
        }
        Some(_) => return Err(ApiError::bad_request("bad_format", "format is json, png or svg")),
    })
}

/// Cuts off a lost or stolen device: nothing its key signs is accepted again.
async fn revoke_key(
    State(state): State<AppState>,
    staff: Staff<Admins>,
    Path(key_id): Path<String>,
) -> ApiResult<StatusCode> {
    let key_id: KeyId = key_id.parse().map_err(|_| {
        ApiError::bad_request("bad_key_id", "a key id is 16 lowercase hexadecimal characters")
    })?;
    state
        .store
        .revoke_device_key(staff.member.school, key_id, now_unix())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
