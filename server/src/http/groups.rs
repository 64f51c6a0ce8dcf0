//! Groups (classes): the list an administrator starts the school year from.

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ApiResult;
use super::extract::{AnyStaff, Json, Staff};
use super::openapi::Unauthorized;
use super::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default().routes(routes!(list_groups))
}

/// A group of the school and how many people it holds.
#[derive(Serialize, ToSchema)]
struct Group {
    /// Its name, as the class list spells it; `GET /v1/people?group=` lists
    /// its people.
    #[schema(examples("3B"))]
    name: String,
    /// Students in it (erased ones not counted).
    #[schema(minimum = 1)]
    students: i64,
    /// Guardians linked to at least one of its students, each counted once.
    #[schema(minimum = 0)]
    guardians: i64,
}

/// The school's groups, by name, each with its number of students and of
/// their guardians. A group exists while a student is in it. Any staff
/// member may list them: teachers check a whole class at once.
#[utoipa::path(
    get,
    path = "/v1/groups",
    tag = "people",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's school's groups.", body = Vec<Group>),
        (status = 401, response = Unauthorized)
    )
)]
async fn list_groups(State(state): State<AppState>, staff: Staff<AnyStaff>) -> ApiResult<Json<Vec<Group>>> {
    let groups = state.store.groups(staff.member.school).await?;
    Ok(Json(
        groups
            .into_iter()
            .map(|group| Group {
                name: group.name,
                students: group.students,
                guardians: group.guardians,
            })
            .collect(),
    ))
}
