//! The audit log with signed heads, and consent coverage reports.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use consent_protocol::{LogHead, Outcome, SchoolId, SignedLogHead};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::checks::{evaluate, question};
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

/// Consent coverage of one group.
#[derive(Serialize, Default, ToSchema)]
struct GroupCoverage {
    /// The group (empty for students in none).
    group: String,
    /// Its students.
    students: usize,
    /// How many of them may appear.
    allowed: usize,
}

/// How many students of each group may appear, for one purpose and media
/// kind (photo unless named), as JSON or `?format=csv`.
#[utoipa::path(
    get,
    path = "/v1/reports/coverage",
    tag = "audit",
    security(("bearer" = [])),
    params(CoverageQuery),
    responses(
        (status = 200, description = "One row per group.", content(
            (Vec<GroupCoverage> = "application/json"),
            (String = "text/csv", example = "group,students,allowed\n3B,2,1\n")
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
        }
    }
    let rows: Vec<GroupCoverage> = groups.into_values().collect();
    match query.format.as_deref() {
        None | Some("json") => Ok(Json(rows).into_response()),
        Some("csv") => {
            let mut writer = csv::Writer::from_writer(Vec::new());
            for row in &rows {
                writer.serialize(row).map_err(|e| ApiError::Internal(e.into()))?;
            }
            let body = writer.into_inner().map_err(|e| ApiError::Internal(e.into()))?;
            Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], body).into_response())
        }
        Some(_) => Err(ApiError::bad_request("bad_format", "format is json or csv")),
    }
}
