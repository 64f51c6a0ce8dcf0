//! The audit log with signed heads, and consent coverage reports.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use consent_protocol::{
    next_head, Hash256, KeyId, LogHead, Outcome, SchoolId, SignedGrant, SignedLogHead, SubjectId,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::checks::{evaluate, question};
use super::csv_export::csv_response;
use super::error::{ApiError, ApiResult};
use super::extract::{Auditors, Json, Query, Reporters, Staff};
use super::openapi::{BadRequest, Conflict, Forbidden, Unauthorized};
use super::schemas;
use super::{now, AppState};
use crate::signed_heads::LastSigned;
use crate::store::{LogEntry, PersonKind};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(audit_log))
        .routes(routes!(stored_record))
        .routes(routes!(coverage))
}

/// The school's log head now, signed by this instance, if it extends the
/// last head this instance signed for the school (see `signed_heads.rs`).
/// The new head is remembered on disk before the signature leaves.
async fn signed_log_head(state: &AppState, school: SchoolId) -> ApiResult<SignedLogHead> {
    let mut memory = state.signed_heads.lock().await;
    let (size, head) = state.store.log_state(school).await?;
    if let Some(last) = memory.last(school.0) {
        check_extends(state, school, last, size, head).await?;
    }
    let signed = SignedLogHead::sign(
        LogHead {
            school,
            size,
            head,
            signed_at: now(),
            key: state.key_id(),
        },
        &state.signing_key,
    )?;
    memory
        .remember(school.0, LastSigned { size, head })
        .map_err(ApiError::Internal)?;
    Ok(signed)
}

/// Whether the log of `size` entries with head `head` extends `last`: the
/// entries after `last.size`, hashed onto `last.head`, give `head`. Only the
/// entries since the last signing are read, so the check costs what the log
/// grew.
async fn check_extends(
    state: &AppState,
    school: SchoolId,
    last: LastSigned,
    size: u64,
    head: Hash256,
) -> ApiResult<()> {
    let rewritten = |what: String| {
        ApiError::LogHistoryChanged(format!(
            "the audit log does not extend the head this server signed before ({} entries, head {}): {what}. \
             Its history was changed in the database; restore it from a backup",
            last.size, last.head
        ))
    };
    if size < last.size {
        return Err(rewritten(format!("it now holds only {size} entries")));
    }
    let (mut position, mut chain) = (last.size, last.head);
    while position < size {
        let entries = state.store.log_entries(school, position as i64, 5000).await?;
        if entries.is_empty() {
            break;
        }
        for entry in entries.iter().take_while(|entry| entry.position as u64 <= size) {
            if entry.position as u64 != position + 1 {
                return Err(rewritten(format!("entry {} is missing", position + 1)));
            }
            position += 1;
            chain = next_head(&chain, position, entry.entry.as_bytes());
        }
    }
    if position != size || chain != head {
        return Err(rewritten(format!(
            "its entries up to {size} do not hash to its head"
        )));
    }
    Ok(())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct LogPage {
    /// Only entries after this position (0 unless given).
    after: Option<i64>,
    /// The most entries to answer with: 1 to 5000 (1000 unless given; others are clamped).
    limit: Option<i64>,
}

/// A page of the audit log and the signed head of the whole log.
#[derive(Serialize, ToSchema)]
struct LogAnswer {
    /// The entries, in order.
    #[schema(value_type = Vec<schemas::LogEntry>)]
    entries: Vec<LogEntry>,
    /// The signed head of the whole log (not just this page).
    #[schema(value_type = schemas::ConsentCode)]
    log_head: String,
}

/// Entries after position `after` (up to `limit`, at most 5000) and the signed
/// head; a client holding all entries recomputes the chain offline.
#[utoipa::path(
    get,
    path = "/v1/audit/log",
    tag = "audit",
    security(("bearer" = [])),
    params(LogPage),
    responses(
        (status = 200, description = "The entries and the signed log head.", body = LogAnswer),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict)
    )
)]
async fn audit_log(
    State(state): State<AppState>,
    staff: Staff<Auditors>,
    Query(page): Query<LogPage>,
) -> ApiResult<Json<LogAnswer>> {
    let school = staff.member.school;
    // Sign first: every entry up to the head's size is already committed.
    let log_head = signed_log_head(&state, school).await?;
    let limit = page.limit.unwrap_or(1000).clamp(1, 5000);
    let size = log_head.unverified().size as i64;
    let mut entries = state
        .store
        .log_entries(school, page.after.unwrap_or(0).max(0), limit)
        .await?;
    entries.retain(|entry| entry.position <= size);
    Ok(Json(LogAnswer {
        entries,
        log_head: log_head.to_text(),
    }))
}

/// What the school's tables hold that the audit log also records, read in
/// one snapshot as of `log_size`: an auditor replays the log's first
/// `log_size` entries and compares.
#[derive(Serialize, ToSchema)]
struct StoredRecordAnswer {
    /// The log's size when the snapshot was read.
    log_size: u64,
    /// The school's age of digital consent.
    digital_consent_age: i64,
    /// How long the school keeps records, in days.
    retention_days: i64,
    /// Every stored consent token, as its QR text.
    #[schema(value_type = Vec<schemas::ConsentCode>)]
    grants: Vec<String>,
    /// Every stored revocation.
    revocations: Vec<StoredRevocationText>,
    /// Every device key.
    device_keys: Vec<StoredKey>,
    /// Every guardian link.
    guardianships: Vec<StoredGuardianship>,
    /// The people whose personal data was erased.
    #[schema(value_type = Vec<schemas::PersonId>)]
    erased: Vec<SubjectId>,
}

/// A stored revocation and its log position.
#[derive(Serialize, ToSchema)]
struct StoredRevocationText {
    /// Its position in the school's audit log.
    sequence: i64,
    /// The signed revocation's text.
    #[schema(value_type = schemas::ConsentCode)]
    revocation: String,
}

/// A stored device key.
#[derive(Serialize, ToSchema)]
struct StoredKey {
    /// The key's id.
    #[schema(value_type = schemas::KeyId)]
    key_id: KeyId,
    /// Who holds it.
    #[schema(value_type = schemas::PersonId)]
    person: SubjectId,
    /// Whether it was cut off.
    revoked: bool,
}

/// A stored guardian link.
#[derive(Serialize, ToSchema)]
struct StoredGuardianship {
    /// The guardian.
    #[schema(value_type = schemas::PersonId)]
    guardian: SubjectId,
    /// The child.
    #[schema(value_type = schemas::PersonId)]
    child: SubjectId,
}

/// The school's stored grants, revocations, device keys, guardian links,
/// erasures and settings, as one snapshot, so that `consent audit verify`
/// can replay the log and report every difference (a row deleted, added or
/// altered outside the server). For auditors only.
#[utoipa::path(
    get,
    path = "/v1/audit/record",
    tag = "audit",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The stored record as of `log_size`.", body = StoredRecordAnswer),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden)
    )
)]
async fn stored_record(
    State(state): State<AppState>,
    staff: Staff<Auditors>,
) -> ApiResult<Json<StoredRecordAnswer>> {
    let record = state.store.stored_record(staff.member.school).await?;
    Ok(Json(StoredRecordAnswer {
        log_size: record.log_size,
        digital_consent_age: record.digital_consent_age,
        retention_days: record.retention_days,
        grants: record.grants.iter().map(SignedGrant::to_text).collect(),
        revocations: record
            .revocations
            .iter()
            .map(|(sequence, revocation)| StoredRevocationText {
                sequence: *sequence,
                revocation: revocation.to_text(),
            })
            .collect(),
        device_keys: record
            .device_keys
            .into_iter()
            .map(|(key_id, person, revoked)| StoredKey {
                key_id,
                person,
                revoked,
            })
            .collect(),
        guardianships: record
            .guardianships
            .into_iter()
            .map(|(guardian, child)| StoredGuardianship { guardian, child })
            .collect(),
        erased: record.erased,
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct CoverageQuery {
    /// The use to report on.
    #[param(value_type = schemas::Purpose)]
    purpose: String,
    /// The kind of recording (`photo` unless given).
    #[param(value_type = Option<schemas::MediaKind>)]
    media_kind: Option<String>,
    /// `json` (the default) or `csv`.
    #[param(value_type = Option<schemas::ReportFormat>)]
    format: Option<String>,
}

/// A student who may not appear, and why.
#[derive(Serialize, ToSchema)]
struct MayNotAppear {
    /// The student.
    #[schema(value_type = schemas::PersonId)]
    person: SubjectId,
    /// Their name.
    #[schema(required = true)]
    display_name: Option<String>,
    /// Why not.
    #[schema(value_type = schemas::Outcome)]
    outcome: Outcome,
}

/// Consent coverage of one group.
#[derive(Serialize, Default, ToSchema)]
struct GroupCoverage {
    /// The group (empty for students in none).
    group: String,
    /// Its students.
    students: usize,
    /// How many of them may appear.
    allowed: usize,
    /// The students who may not appear, by name, with the reason.
    may_not_appear: Vec<MayNotAppear>,
}

/// The coverage CSV's columns; its last row, `total`, adds up every group.
const COVERAGE_COLUMNS: [&str; 4] = ["group", "students", "allowed", "may_not_appear"];

/// How many students of each group may appear, for one purpose and media
/// kind (photo unless named), and who may not, as JSON or `?format=csv`
/// (with a last row `total`).
#[utoipa::path(
    get,
    path = "/v1/reports/coverage",
    tag = "audit",
    security(("bearer" = [])),
    params(CoverageQuery),
    responses(
        (status = 200, description = "One row per group; the CSV ends with a row `total`.", content(
            (Vec<GroupCoverage> = "application/json"),
            (String = "text/csv", example = "group,students,allowed,may_not_appear\n3B,2,1,Sam de Groot (revoked)\ntotal,2,1,\n")
        )),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden)
    )
)]
async fn coverage(
    State(state): State<AppState>,
    staff: Staff<Reporters>,
    Query(query): Query<CoverageQuery>,
) -> ApiResult<Response> {
    let school = staff.school.clone();
    let question = question(query.media_kind.as_deref().unwrap_or("photo"), &query.purpose)?;
    let format = query.format.as_deref().unwrap_or("json");
    if !matches!(format, "json" | "csv") {
        return Err(ApiError::bad_request("bad_format", "format is json or csv"));
    }
    let students: Vec<_> = state
        .store
        .people(school.id, None)
        .await?
        .into_iter()
        .filter(|person| person.kind == PersonKind::Student && !person.erased)
        .collect();
    let verdicts = evaluate(&state, &school, &students, &question).await?;
    let mut groups: BTreeMap<String, GroupCoverage> = BTreeMap::new();
    for (person, verdict) in students.iter().zip(&verdicts) {
        let name = person.group.clone().unwrap_or_default();
        let group = groups.entry(name.clone()).or_insert_with(|| GroupCoverage {
            group: name,
            ..GroupCoverage::default()
        });
        group.students += 1;
        if verdict.outcome == Outcome::Allowed {
            group.allowed += 1;
        } else {
            group.may_not_appear.push(MayNotAppear {
                person: person.id,
                display_name: person.display_name.clone(),
                outcome: verdict.outcome,
            });
        }
    }
    let rows: Vec<GroupCoverage> = groups.into_values().collect();
    if format == "json" {
        return Ok(Json(rows).into_response());
    }
    let mut cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            let who: Vec<String> = row
                .may_not_appear
                .iter()
                .map(|absent| {
                    format!(
                        "{} ({})",
                        absent.display_name.as_deref().unwrap_or("(erased)"),
                        absent.outcome.code()
                    )
                })
                .collect();
            vec![
                row.group.clone(),
                row.students.to_string(),
                row.allowed.to_string(),
                who.join("; "),
            ]
        })
        .collect();
    cells.push(vec![
        "total".into(),
        rows.iter().map(|row| row.students).sum::<usize>().to_string(),
        rows.iter().map(|row| row.allowed).sum::<usize>().to_string(),
        String::new(),
    ]);
    csv_response(&COVERAGE_COLUMNS, &cells)
}
