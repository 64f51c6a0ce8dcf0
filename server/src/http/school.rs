//! The school's settings, its staff accounts and their API tokens.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ApiResult};
use super::extract::{secret_hash, Admins, AnyStaff, Json, Path, Staff};
use super::{now_unix, AppState};
use crate::store::{School, StaffMember, StaffRole, Store};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/school", get(show_school).patch(update_school))
        .route("/v1/staff", get(list_staff).post(create_staff))
        .route("/v1/staff/{id}/tokens", post(create_token))
        .route("/v1/tokens/{id}", axum::routing::delete(revoke_token))
}

/// The caller's school.
async fn show_school(State(state): State<AppState>, staff: Staff<AnyStaff>) -> ApiResult<Json<School>> {
    Ok(Json(state.store.school(staff.member.school).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SchoolSettings {
    digital_consent_age: Option<i64>,
    retention_days: Option<i64>,
}

/// Changes the age of digital consent (13 to 16) and the retention period.
async fn update_school(
    State(state): State<AppState>,
    staff: Staff<Admins>,
    Json(settings): Json<SchoolSettings>,
) -> ApiResult<Json<School>> {
    let school = state.store.school(staff.member.school).await?;
    let age = settings.digital_consent_age.unwrap_or(school.digital_consent_age);
    let retention = settings.retention_days.unwrap_or(school.retention_days);
    if !(13..=16).contains(&age) {
        return Err(ApiError::bad_request(
            "bad_consent_age",
            "the age of digital consent must be between 13 and 16 (GDPR art. 8)",
        ));
    }
    if !(1..=36_500).contains(&retention) {
        return Err(ApiError::bad_request(
            "bad_retention",
            "retention_days must be between 1 and 36500",
        ));
    }
    Ok(Json(
        state
            .store
            .update_settings(school.id, age, retention, now_unix())
            .await?,
    ))
}

async fn list_staff(
    State(state): State<AppState>,
    staff: Staff<Admins>,
) -> ApiResult<Json<Vec<StaffMember>>> {
    Ok(Json(state.store.staff(staff.member.school).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewStaff {
    name: String,
    role: StaffRole,
}

async fn create_staff(
    State(state): State<AppState>,
    staff: Staff<Admins>,
    Json(new): Json<NewStaff>,
) -> ApiResult<(StatusCode, Json<StaffMember>)> {
    let name = checked_text("name", &new.name, 200)?;
    let member = state
        .store
        .create_staff(staff.member.school, name, new.role, now_unix())
        .await?;
    Ok((StatusCode::CREATED, Json(member)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewToken {
    label: Option<String>,
    valid_days: Option<i64>,
}

/// A new API token, shown once.
#[derive(Serialize)]
pub struct IssuedToken {
    /// The token's id, for revoking it.
    pub id: i64,
    /// The secret; store it now, it is never shown again.
    pub token: String,
    /// When it stops working (Unix seconds).
    pub expires_at: i64,
}

async fn create_token(
    State(state): State<AppState>,
    staff: Staff<Admins>,
    Path(staff_id): Path<i64>,
    Json(request): Json<NewToken>,
) -> ApiResult<(StatusCode, Json<IssuedToken>)> {
    let member = state.store.staff_member(staff.member.school, staff_id).await?;
    let days = request.valid_days.unwrap_or(365);
    if !(1..=730).contains(&days) {
        return Err(ApiError::bad_request(
            "bad_validity",
            "valid_days must be between 1 and 730",
        ));
    }
    let label = checked_text("label", request.label.as_deref().unwrap_or("api"), 200)?;
    let issued = issue_token(&state.store, &member, label, days).await?;
    Ok((StatusCode::CREATED, Json(issued)))
}

/// Creates a random API token for `member`; only its hash is stored.
pub async fn issue_token(
    store: &Store,
    member: &StaffMember,
    label: &str,
    days: i64,
) -> ApiResult<IssuedToken> {
    let mut secret = [0u8; 32];
    OsRng.fill_bytes(&mut secret);
    let token = format!("cst_{}", URL_SAFE_NO_PAD.encode(secret));
    let now = now_unix();
    let expires_at = now + days * 86_400;
    let id = store
        .create_api_token(member, label, &secret_hash(&token), expires_at, now)
        .await?;
    Ok(IssuedToken {
        id,
        token,
        expires_at,
    })
}

async fn revoke_token(
    State(state): State<AppState>,
    staff: Staff<Admins>,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    state
        .store
        .revoke_api_token(staff.member.school, id, now_unix())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Trims `value` and refuses it when empty, too long or holding control characters.
pub fn checked_text<'a>(field: &'static str, value: &'a str, max: usize) -> ApiResult<&'a str> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "bad_field",
            format!("{field} must be 1 to {max} characters of text"),
        ));
    }
    Ok(value)
}
