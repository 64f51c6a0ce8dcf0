//! The audit log with signed heads, and consent coverage reports.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use consent_protocol::{LogHead, Outcome, SchoolId, SignedLogHead, SubjectId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::checks::{evaluate, question};
use super::csv_export::csv_response;
use super::error::{ApiError, ApiResult};
use super::extract::{Auditors, Json, Query, Reporters, Staff};
use super::openapi::{BadRequest, Forbidden, Unauthorized};
use super::schemas;
use super::{now, AppState};
use crate::store::{LogEntry, PersonKind};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(audit_log))
        .routes(routes!(coverage))
}

/// The school's log head now, signed by this instance.
async fn signed_log_head(state: &AppState, school: SchoolId) -> ApiResult<SignedLogHead> {
    let (size, head) = state.store.log_state(school).await?;
    let head = LogHead {
        school,
        size,
        head,
        signed_at: now(),
        key: state.key_id(),
    };
    Ok(SignedLogHead::sign(head, &state.signing_key)?)
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
        (status = 403, response = Forbidden)
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
    let school = state.store.school(staff.member.school).await?;
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
