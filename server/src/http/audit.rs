//! The audit log with signed heads, and consent coverage reports.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use consent_protocol::{LogHead, Outcome, SchoolId, SignedLogHead};
use serde::{Deserialize, Serialize};

use super::checks::{evaluate, question};
use super::error::{ApiError, ApiResult};
use super::extract::{Auditors, Json, Query, Reporters, Staff};
use super::{now, AppState};
use crate::store::{LogEntry, PersonKind};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/audit/log", get(audit_log))
        .route("/v1/reports/coverage", get(coverage))
}

/// The school's log head now, signed by this instance.
pub async fn signed_log_head(state: &AppState, school: SchoolId) -> ApiResult<SignedLogHead> {
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

#[derive(Deserialize)]
struct LogPage {
    after: Option<i64>,
    limit: Option<i64>,
}

#[derive(Serialize)]
struct LogAnswer {
    entries: Vec<LogEntry>,
    /// The signed head of the whole log (not just this page).
    log_head: String,
}

/// Entries after position `after` (up to `limit`, at most 5000) and the signed
/// head; a client holding all entries recomputes the chain offline.
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

#[derive(Deserialize)]
struct CoverageQuery {
    purpose: String,
    media_kind: Option<String>,
    format: Option<String>,
}

/// Consent coverage of one group.
#[derive(Serialize, Default)]
struct GroupCoverage {
    group: String,
    students: usize,
    allowed: usize,
}

/// How many students of each group may appear, for one purpose and media
/// kind (photo unless named), as JSON or `?format=csv`.
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
