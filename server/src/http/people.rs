//! People and groups: adding and importing them, guardians, enrollment codes,
//! cutting off lost devices, and erasure on request.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use consent_protocol::{KeyId, SchoolId, SubjectId};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ApiResult, RowProblem};
use super::extract::{secret_hash, Admins, AnyStaff, Json, Path, Query, Staff};
use super::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType,
};
use super::schemas;
use super::school::checked_text;
use super::{now_unix, AppState};
use crate::policy::parse_date;
use crate::store::{DeviceKey, Imported, NewPerson, Person, PersonKind, StaffRole, Store, StoreError};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(list_people, create_person))
        .routes(routes!(import_people))
        .routes(routes!(show_person, erase_person))
        .routes(routes!(list_guardians, link_guardian))
        .routes(routes!(create_enrollment_code))
        .routes(routes!(list_devices))
        .routes(routes!(revoke_key))
}

/// The person staff name with `name`, in their school: by id, by external
/// id (the school's own number, as on the class list) or by full name in any
/// case. `None` when nobody fits; an `ambiguous_person` problem listing
/// everyone it fits when the name is not unique.
pub(super) async fn named_person(store: &Store, school: SchoolId, name: &str) -> ApiResult<Option<Person>> {
    let name = name.trim();
    // A NUL would reach PostgreSQL, which cannot compare it (a 500).
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "bad_person_id",
            "name a person by id, external id or full name: 1 to 200 characters of text",
        ));
    }
    if let Ok(id) = name.parse::<SubjectId>() {
        match store.person(school, id).await {
            Ok(person) => return Ok(Some(person)),
            // It may still be someone's external id.
            Err(StoreError::NotFound) => {}
            Err(other) => return Err(other.into()),
        }
    }
    let mut fits = store.people_named(school, name).await?;
    if fits.len() > 1 {
        return Err(ApiError::AmbiguousPerson {
            name: name.to_owned(),
            candidates: fits,
        });
    }
    Ok(fits.pop())
}

/// The person named in a path: as [`named_person`], and 404 when nobody fits.
async fn path_person(state: &AppState, school: SchoolId, name: &str) -> ApiResult<Person> {
    named_person(&state.store, school, name)
        .await?
        .ok_or(ApiError::NotFound)
}

/// Checks and normalises a new person's fields.
fn checked_person(person: NewPerson) -> ApiResult<NewPerson> {
    Ok(NewPerson {
        kind: person.kind,
        display_name: checked_text("display_name", &person.display_name, 200)?.to_owned(),
        group: checked_group(person.group.as_deref())?,
        birth_date: checked_birth_date(person.birth_date.as_deref())?,
        external_id: checked_external_id(person.external_id.as_deref())?,
    })
}

/// A group, if any: left empty, there is none.
fn checked_group(group: Option<&str>) -> ApiResult<Option<String>> {
    group
        .filter(|group| !group.trim().is_empty())
        .map(|group| checked_text("group", group, 50).map(str::to_owned))
        .transpose()
}

/// The school's own number for a person, if any.
fn checked_external_id(id: Option<&str>) -> ApiResult<Option<String>> {
    id.filter(|id| !id.trim().is_empty())
        .map(|id| checked_text("external_id", id, 100).map(str::to_owned))
        .transpose()
}

/// A birth date, if any, as `YYYY-MM-DD`.
fn checked_birth_date(date: Option<&str>) -> ApiResult<Option<String>> {
    let Some(date) = date.map(str::trim).filter(|date| !date.is_empty()) else {
        return Ok(None);
    };
    if parse_date(date).is_none() {
        return Err(ApiError::bad_request(
            "bad_birth_date",
            "birth_date must be a date such as 2011-04-23",
        ));
    }
    Ok(Some(date.to_owned()))
}

/// Adds a student or guardian with a fresh pseudonymous id.
#[utoipa::path(
    post,
    path = "/v1/people",
    tag = "people",
    security(("bearer" = [])),
    request_body = schemas::NewPerson,
    responses(
        (status = 201, description = "The new person.", body = schemas::Person),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType)
    )
)]
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

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct PeopleFilter {
    /// Only the people of this class or group, named in any case (`3b` is 3B).
    group: Option<String>,
}

/// The school's people, or one group's.
#[utoipa::path(
    get,
    path = "/v1/people",
    tag = "people",
    security(("bearer" = [])),
    params(PeopleFilter),
    responses(
        (status = 200, description = "The people, erased ones included. Birth dates and external ids only for administrators.", body = Vec<schemas::Person>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized)
    )
)]
async fn list_people(
    State(state): State<AppState>,
    staff: Staff<AnyStaff>,
    Query(filter): Query<PeopleFilter>,
) -> ApiResult<Json<Vec<Person>>> {
    let group = filter
        .group
        .as_deref()
        .map(|group| group_name("bad_query", group))
        .transpose()?;
    let people = state.store.people(staff.member.school, group).await?;
    Ok(Json(
        people
            .into_iter()
            .map(|person| seen_by(staff.member.role, person))
            .collect(),
    ))
}

/// What a staff member sees of a person: administrators keep the school's
/// records and see all of them; teachers and communications staff need to
/// know who someone is (name, group), not their birth date or the school's
/// own number for them (GDPR art. 5(1)(c), data minimisation).
fn seen_by(role: StaffRole, person: Person) -> Person {
    if role == StaffRole::Admin {
        return person;
    }
    Person {
        birth_date: None,
        external_id: None,
        ..person
    }
}

/// A group name as a filter or a check names it. Stored names are checked
/// text, so a name with control characters names no group; refusing it
/// keeps a NUL, which PostgreSQL cannot compare (a 500), from the database.
pub(super) fn group_name<'a>(code: &'static str, name: &'a str) -> ApiResult<&'a str> {
    if name.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            code,
            "a group name is text without control characters",
        ));
    }
    Ok(name)
}

/// One person of the school.
#[utoipa::path(
    get,
    path = "/v1/people/{id}",
    tag = "people",
    security(("bearer" = [])),
    params(("id" = schemas::PersonName, Path, description = "The person: id, external id or full name.")),
    responses(
        (status = 200, description = "The person.", body = schemas::Person),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound)
    )
)]
async fn show_person(
    State(state): State<AppState>,
    staff: Staff<AnyStaff>,
    Path(id): Path<String>,
) -> ApiResult<Json<Person>> {
    let person = path_person(&state, staff.member.school, &id).await?;
    Ok(Json(seen_by(staff.member.role, person)))
}

/// Erases a person's personal data (GDPR art. 17). The log stays verifiable:
/// it never held their name.
#[utoipa::path(
    delete,
    path = "/v1/people/{id}",
    tag = "people",
    security(("bearer" = [])),
    params(("id" = schemas::PersonName, Path, description = "The person: id, external id or full name.")),
    responses(
        (status = 204, description = "Erased; only the id remains."),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound)
    )
)]
async fn erase_person(
    State(state): State<AppState>,
    staff: Staff<Admins>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let person = path_person(&state, staff.member.school, &id).await?;
    state
        .store
        .erase_person(staff.member.school, person.id, now_unix())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// How an import went.
#[derive(Serialize, ToSchema)]
struct ImportReport {
    /// People added.
    created: usize,
    /// People already known by their external id, updated.
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
/// checked first and then written in one transaction: a bad row, a
/// conflict or a timeout changes nothing, and a list of tens of thousands
/// of people is written in seconds. Bad rows are answered all at once
/// (`bad_csv` with `rows`: line, code and why of each), so that a client
/// can show them all, or send the list again without them.
#[utoipa::path(
    post,
    path = "/v1/people/import",
    tag = "people",
    security(("bearer" = [])),
    request_body(
        content = String,
        content_type = "text/csv",
        description = "A class list: a header line `external_id,display_name,group,birth_date` \
            (and optionally `kind`: `student` or `guardian`), then one person per line.",
        example = "external_id,display_name,group,birth_date\n1,Ada,3B,2009-01-02\n"
    ),
    responses(
        (status = 200, description = "How many people were added and updated.", body = ImportReport),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType)
    )
)]
async fn import_people(
    State(state): State<AppState>,
    staff: Staff<Admins>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<ImportReport>> {
    // An oversized class list gets a problem document, not axum's plain text.
    let body = body?;
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
    let header = reader
        .headers()
        .map_err(|e| ApiError::bad_request("bad_csv_header", format!("line 1: {e}")))?;
    for column in ["external_id", "display_name"] {
        if !header.iter().any(|name| name == column) {
            return Err(ApiError::bad_request(
                "bad_csv_header",
                format!(
                    "line 1 has no {column} column: the first line must be \
                     external_id,display_name,group,birth_date (and optionally kind)"
                ),
            ));
        }
    }
    let mut people = Vec::new();
    let mut problems = Vec::new();
    // Each external id once: a second row for the same person would make
    // the result depend on the order of the rows.
    let mut lines = std::collections::HashMap::new();
    for (index, row) in reader.deserialize::<ImportRow>().enumerate() {
        let line = index + 2;
        let person = match row {
            Ok(row) => checked_row(row),
            Err(e) => Err(("bad_row", ApiError::bad_request("bad_csv", e.to_string()))),
        };
        let person = match person {
            Ok(person) => person,
            Err((code, error)) => {
                problems.push(RowProblem {
                    line,
                    code,
                    detail: error.to_string(),
                });
                continue;
            }
        };
        if let Some(first) = lines.insert(person.external_id.clone(), line) {
            problems.push(RowProblem {
                line,
                code: "duplicate_external_id",
                detail: format!("external_id is already on line {first}"),
            });
            continue;
        }
        people.push((SubjectId::random(&mut OsRng), person));
    }
    // Every bad row at once, so that one round of fixing the list is enough.
    if !problems.is_empty() {
        return Err(ApiError::BadRows { rows: problems });
    }
    let Imported { created, updated } = state
        .store
        .import_people(staff.member.school, &people, now_unix())
        .await?;
    Ok(Json(ImportReport { created, updated }))
}

/// A class list's row as a new person, or the row problem's code and why.
fn checked_row(row: ImportRow) -> Result<NewPerson, (&'static str, ApiError)> {
    if row.external_id.trim().is_empty() {
        return Err((
            "bad_external_id",
            ApiError::bad_request("bad_csv", "external_id is empty"),
        ));
    }
    Ok(NewPerson {
        kind: row.kind.unwrap_or(PersonKind::Student),
        external_id: checked_external_id(Some(&row.external_id)).map_err(|e| ("bad_external_id", e))?,
        display_name: checked_text("display_name", &row.display_name, 200)
            .map_err(|e| ("bad_display_name", e))?
            .to_owned(),
        group: checked_group(row.group.as_deref()).map_err(|e| ("bad_group", e))?,
        birth_date: checked_birth_date(row.birth_date.as_deref()).map_err(|e| ("bad_birth_date", e))?,
    })
}

/// The guardian to link to a student.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct GuardianLink {
    /// The guardian (a person of kind `guardian`): id, external id or full name.
    #[schema(value_type = schemas::PersonName)]
    guardian: String,
}

/// A student's guardians; a guardian's children. Erased people are left out.
#[utoipa::path(
    get,
    path = "/v1/people/{id}/guardians",
    tag = "people",
    security(("bearer" = [])),
    params(("id" = schemas::PersonName, Path, description = "The student (or guardian): id, external id or full name.")),
    responses(
        (status = 200, description = "For a student their guardians; for a guardian their children.", body = Vec<schemas::Person>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound)
    )
)]
async fn list_guardians(
    State(state): State<AppState>,
    staff: Staff<Admins>,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<Person>>> {
    let school = staff.member.school;
    let person = path_person(&state, school, &id).await?;
    let linked = match person.kind {
        PersonKind::Student => state.store.guardians_of(school, person.id).await?,
        PersonKind::Guardian => state.store.children_of(school, person.id).await?,
    };
    let mut people = state.store.people_with_ids(school, &linked).await?;
    people.retain(|person| !person.erased);
    people.sort_by(|a, b| a.display_name.cmp(&b.display_name));
    Ok(Json(people))
}

/// Links a guardian to a student, so the guardian can consent and revoke for them.
#[utoipa::path(
    post,
    path = "/v1/people/{id}/guardians",
    tag = "people",
    security(("bearer" = [])),
    params(("id" = schemas::PersonName, Path, description = "The student: id, external id or full name.")),
    request_body = GuardianLink,
    responses(
        (status = 204, description = "Linked."),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType)
    )
)]
async fn link_guardian(
    State(state): State<AppState>,
    staff: Staff<Admins>,
    Path(child): Path<String>,
    Json(link): Json<GuardianLink>,
) -> ApiResult<StatusCode> {
    let school = staff.member.school;
    let child = path_person(&state, school, &child).await?;
    let guardian = named_person(&state.store, school, &link.guardian)
        .await?
        .ok_or_else(|| {
            ApiError::bad_request(
                "unknown_person",
                format!("no guardian {:?} in this school", link.guardian.trim()),
            )
        })?;
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

/// Whether scanned or typed text is an enrollment code: the code with its
/// prefix, or the phone app's link that printed codes hold
/// ([`AppState::enrollment_link`]).
pub fn is_enrollment_code(text: &str) -> bool {
    text.trim_start().starts_with(ENROLLMENT_PREFIX) || text.contains("/enroll#code=")
}

/// How long an enrollment code works.
const ENROLLMENT_VALID_SECONDS: i64 = 14 * 86_400;

/// Letters that cannot be mistaken for one another (Crockford's base32).
const CODE_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A random one-time code of 16 letters of [`CODE_ALPHABET`] (80 bits):
/// short enough to type from paper, too many to guess.
pub fn one_time_code() -> String {
    let mut random = [0u8; 16];
    OsRng.fill_bytes(&mut random);
    random
        .iter()
        .map(|byte| CODE_ALPHABET[usize::from(byte % 32)] as char)
        .collect()
}

/// A one-time enrollment code.
#[derive(Serialize, ToSchema)]
struct EnrollmentCode {
    /// Whose device it enrolls.
    #[schema(value_type = schemas::PersonId)]
    person: SubjectId,
    /// The code to type in.
    #[schema(pattern = "^[0-9A-HJKMNP-TV-Z]{16}$")]
    code: String,
    /// The code with its prefix, `consent-enroll:` and the code, as the
    /// `consent` command-line client takes it.
    #[schema(pattern = "^consent-enroll:[0-9A-HJKMNP-TV-Z]{16}$")]
    qr_text: String,
    /// The link the printed QR code holds: the phone app's enrollment page
    /// on the server's public address, with the code after `#code=` (a
    /// fragment, which browsers never send to a server).
    #[schema(examples("https://consent.school.example/enroll#code=7K3M9QX2HD4RTW8N"))]
    link: String,
    /// When it stops working (Unix seconds).
    expires_at: i64,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct CodeFormat {
    /// `json` (the default), `png` or `svg`.
    #[param(value_type = Option<schemas::EnrollmentCodeFormat>)]
    format: Option<String>,
}

/// A one-time enrollment code for a person's device, as JSON, or as a QR code
/// with `?format=png` or `?format=svg`. Only its hash is stored.
#[utoipa::path(
    post,
    path = "/v1/people/{id}/enrollment-codes",
    tag = "people",
    security(("bearer" = [])),
    params(("id" = schemas::PersonName, Path, description = "The person: id, external id or full name."), CodeFormat),
    responses(
        (status = 200, description = "The code, valid for 14 days, in the format asked for.", content(
            (EnrollmentCode = "application/json"),
            (schemas::PngImage = "image/png"),
            (String = "image/svg+xml")
        )),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict)
    )
)]
async fn create_enrollment_code(
    State(state): State<AppState>,
    staff: Staff<Admins>,
    Path(id): Path<String>,
    Query(format): Query<CodeFormat>,
) -> ApiResult<Response> {
    // Refuse a bad format before a code is stored that nobody would see.
    let format = format.format.as_deref().unwrap_or("json");
    if !matches!(format, "json" | "png" | "svg") {
        return Err(ApiError::bad_request("bad_format", "format is json, png or svg"));
    }
    let school = staff.member.school;
    let person = path_person(&state, school, &id).await?;
    if person.erased {
        return Err(ApiError::NotFound);
    }
    let code = one_time_code();
    let now = now_unix();
    let expires_at = now + ENROLLMENT_VALID_SECONDS;
    state
        .store
        .create_enrollment_code(school, person.id, &secret_hash(&code), expires_at, now)
        .await?;
    let qr_text = format!("{ENROLLMENT_PREFIX}{code}");
    let link = state.enrollment_link(&code);
    let qr_failed = |e: consent_qr::QrError| ApiError::Internal(e.into());
    // The printed code holds the link, so a phone's own camera opens the app.
    Ok(match format {
        "png" => {
            let png = consent_qr::render_png(&link, 8).map_err(qr_failed)?;
            ([(header::CONTENT_TYPE, "image/png")], png).into_response()
        }
        "svg" => {
            let svg = consent_qr::render_svg(&link).map_err(qr_failed)?;
            ([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response()
        }
        _ => Json(EnrollmentCode {
            person: person.id,
            code,
            qr_text,
            link,
            expires_at,
        })
        .into_response(),
    })
}

/// A person's devices, oldest first: when each was enrolled, when it last
/// signed something, and whether it was cut off. An administrator finds the
/// lost phone here (by its dates) to cut it off.
#[utoipa::path(
    get,
    path = "/v1/people/{id}/devices",
    tag = "people",
    security(("bearer" = [])),
    params(("id" = schemas::PersonName, Path, description = "The person: id, external id or full name.")),
    responses(
        (status = 200, description = "The person's device keys.", body = Vec<schemas::DeviceKey>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound)
    )
)]
async fn list_devices(
    State(state): State<AppState>,
    staff: Staff<Admins>,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<DeviceKey>>> {
    let school = staff.member.school;
    let person = path_person(&state, school, &id).await?;
    Ok(Json(state.store.device_keys_of(school, person.id).await?))
}

/// Cuts off a lost or stolen device: nothing its key signs is accepted again.
#[utoipa::path(
    post,
    path = "/v1/keys/{key_id}/revoke",
    tag = "people",
    security(("bearer" = [])),
    params(("key_id" = schemas::KeyId, Path, description = "The device key's id.")),
    responses(
        (status = 204, description = "Cut off."),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound)
    )
)]
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
