//! The school's settings, its staff accounts and their API tokens.

use axum::extract::State;
use axum::http::StatusCode;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ApiResult};
use super::extract::{secret_hash, Admins, AnyStaff, Json, Path, Staff};
use super::openapi::{BadRequest, Forbidden, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType};
use super::schemas;
use super::{now_unix, AppState};
use crate::store::{School, StaffMember, StaffRole, Store, SESSION_LABEL};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(show_school, update_school))
        .routes(routes!(list_staff, create_staff))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
        .routes(routes!(create_sign_in_code))
}

/// The caller's school.
#[utoipa::path(
    get,
    path = "/v1/school",
    tag = "school",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's school.", body = schemas::School),
        (status = 401, response = Unauthorized)
    )
)]
async fn show_school(staff: Staff<AnyStaff>) -> ApiResult<Json<School>> {
    Ok(Json(staff.school))
}

/// New settings; a field left out keeps its value.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SchoolSettings {
    /// Below this age a consent needs a guardian's signature (GDPR art. 8).
    #[schema(minimum = 13, maximum = 16)]
    digital_consent_age: Option<i64>,
    /// How many days records are kept after they stop mattering (a publication taken down, a check no publication relies on, a consent that ended);
    /// the server purges them hourly.
    #[schema(minimum = 1, maximum = 36_500)]
    retention_days: Option<i64>,
}

/// Changes the age of digital consent (13 to 16) and the retention period.
#[utoipa::path(
    patch,
    path = "/v1/school",
    tag = "school",
    security(("bearer" = [])),
    request_body = SchoolSettings,
    responses(
        (status = 200, description = "The school with its new settings.", body = schemas::School),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType)
    )
)]
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

/// The school's staff accounts.
#[utoipa::path(
    get,
    path = "/v1/staff",
    tag = "school",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every staff account of the school.", body = Vec<schemas::StaffMember>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden)
    )
)]
async fn list_staff(
    State(state): State<AppState>,
    staff: Staff<Admins>,
) -> ApiResult<Json<Vec<StaffMember>>> {
    Ok(Json(state.store.staff(staff.member.school).await?))
}

/// A new staff account.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewStaff {
    /// The person's name.
    #[schema(
        max_length = 200,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    name: String,
    /// What the account may do.
    #[schema(value_type = schemas::StaffRole)]
    role: StaffRole,
}

/// Creates a staff account; give it a token with `POST /v1/staff/{id}/tokens`.
#[utoipa::path(
    post,
    path = "/v1/staff",
    tag = "school",
    security(("bearer" = [])),
    request_body = NewStaff,
    responses(
        (status = 201, description = "The new account.", body = schemas::StaffMember),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType)
    )
)]
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

/// A new API token's label and validity.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewToken {
    /// What the token is for (`api` unless given).
    #[schema(
        max_length = 200,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    label: Option<String>,
    /// Days until it stops working (365 unless given).
    #[schema(minimum = 1, maximum = 730)]
    valid_days: Option<i64>,
}

/// A new API token, shown once.
#[derive(Serialize, ToSchema)]
pub struct IssuedToken {
    /// The token's id, for revoking it.
    pub id: i64,
    /// The secret; store it now, it is never shown again.
    #[schema(pattern = "^cst_[A-Za-z0-9_-]+$")]
    pub token: String,
    /// When it stops working (Unix seconds).
    pub expires_at: i64,
}

/// Issues an API token to a staff account of the school.
#[utoipa::path(
    post,
    path = "/v1/staff/{id}/tokens",
    tag = "school",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The staff account's id.")),
    request_body = NewToken,
    responses(
        (status = 201, description = "The token; its secret is shown only now.", body = IssuedToken),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType)
    )
)]
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
    if label == SESSION_LABEL {
        return Err(ApiError::bad_request(
            "bad_field",
            format!(
                "the label {SESSION_LABEL:?} is kept for browsers signed in to the console; choose another"
            ),
        ));
    }
    let issued = issue_token(&state.store, &member, label, days).await?;
    Ok((StatusCode::CREATED, Json(issued)))
}

/// A token in force, without its secret (which is not stored).
#[derive(Serialize, ToSchema)]
struct TokenInForce {
    /// The token's id, for `DELETE /v1/tokens/{id}`.
    id: i64,
    /// What it is for, as given when it was issued.
    label: String,
    /// `console_session` for a browser signed in to the console, `api` for
    /// a token an administrator issued.
    #[schema(pattern = "^(api|console_session)$")]
    kind: &'static str,
    /// When it was issued (Unix seconds).
    created_at: i64,
    /// When it stops working (Unix seconds).
    expires_at: i64,
}

/// The API tokens and console sessions of a staff account that work now,
/// oldest first; never their secrets.
#[utoipa::path(
    get,
    path = "/v1/staff/{id}/tokens",
    tag = "school",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The staff account's id.")),
    responses(
        (status = 200, description = "The account's tokens in force.", body = Vec<TokenInForce>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound)
    )
)]
async fn list_tokens(
    State(state): State<AppState>,
    staff: Staff<Admins>,
    Path(staff_id): Path<i64>,
) -> ApiResult<Json<Vec<TokenInForce>>> {
    let member = state.store.staff_member(staff.member.school, staff_id).await?;
    let tokens = state.store.tokens_in_force(&member, now_unix()).await?;
    Ok(Json(
        tokens
            .into_iter()
            .map(|token| TokenInForce {
                id: token.id,
                label: token.label,
                kind: if token.session { "console_session" } else { "api" },
                created_at: token.created_at,
                expires_at: token.expires_at,
            })
            .collect(),
    ))
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
        .create_api_token(member, label, &secret_hash(&token), expires_at, None, now)
        .await?;
    Ok(IssuedToken {
        id,
        token,
        expires_at,
    })
}

/// How long a console sign-in code works: long enough to hand it over on
/// paper or in person, short enough that a lost one soon stops mattering.
const SIGN_IN_CODE_VALID_SECONDS: i64 = 3 * 86_400;

/// A one-time code to sign in to the console with.
#[derive(Serialize, ToSchema)]
pub struct SignInCode {
    /// The code to type in; it works once.
    #[schema(pattern = "^[0-9A-HJKMNP-TV-Z]{16}$")]
    pub code: String,
    /// The console's sign-in page with the code after `#code=` (a fragment,
    /// which browsers never send to a server).
    #[schema(examples("https://consent.school.example/console/sign-in#code=7K3M9QX2HD4RTW8N"))]
    pub link: String,
    /// When it stops working (Unix seconds).
    pub expires_at: i64,
}

/// A one-time code with which a staff member signs in to the web console,
/// valid for three days; a new code replaces the one issued before. Only
/// its hash is stored.
#[utoipa::path(
    post,
    path = "/v1/staff/{id}/sign-in-codes",
    tag = "school",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The staff account's id.")),
    responses(
        (status = 201, description = "The code; it is shown only now.", body = SignInCode),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound)
    )
)]
async fn create_sign_in_code(
    State(state): State<AppState>,
    staff: Staff<Admins>,
    Path(staff_id): Path<i64>,
) -> ApiResult<(StatusCode, Json<SignInCode>)> {
    let member = state.store.staff_member(staff.member.school, staff_id).await?;
    let code = super::people::one_time_code();
    let now = now_unix();
    let expires_at = now + SIGN_IN_CODE_VALID_SECONDS;
    state
        .store
        .create_sign_in_code(&member, &secret_hash(&code), expires_at, now)
        .await?;
    let link = format!("{}/console/sign-in#code={code}", state.public_url);
    Ok((
        StatusCode::CREATED,
        Json(SignInCode {
            code,
            link,
            expires_at,
        }),
    ))
}

/// Revokes an API token of the school: it stops working at once.
#[utoipa::path(
    delete,
    path = "/v1/tokens/{id}",
    tag = "school",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The token's id.")),
    responses(
        (status = 204, description = "Revoked."),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound)
    )
)]
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

/// Trims `value` and refuses it when empty, too long, holding control
/// characters or characters that reorder the text, or showing nothing.
pub fn checked_text<'a>(field: &'static str, value: &'a str, max: usize) -> ApiResult<&'a str> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "bad_field",
            format!("{field} must be 1 to {max} characters of text"),
        ));
    }
    // A right-to-left override shows "Sam\u{202E}gpj.exe" as "Samexe.jpg":
    // what staff read would not be what is stored.
    if value.chars().any(reorders_text) {
        return Err(ApiError::bad_request(
            "misleading_text",
            format!(
                "{field} may not contain characters that reorder the text around them \
                 (right-to-left overrides, embeddings or isolates); type it without them"
            ),
        ));
    }
    if unicode_width::UnicodeWidthStr::width(value) == 0 {
        return Err(ApiError::bad_request(
            "misleading_text",
            format!("{field} must contain characters one can see, not only invisible ones"),
        ));
    }
    Ok(value)
}

/// Whether `c` is an explicit bidirectional formatting character (an
/// embedding, override or isolate, or the end of one).
fn reorders_text(c: char) -> bool {
    use unicode_bidi::BidiClass::{FSI, LRE, LRI, LRO, PDF, PDI, RLE, RLI, RLO};
    matches!(
        unicode_bidi::bidi_class(c),
        LRE | RLE | LRO | RLO | PDF | LRI | RLI | FSI | PDI
    )
}
