//! The staff console: the same API and rules as the `consent` CLI, in the
//! browser, for teachers (on their phones), communications staff and
//! administrators (at a desk).
//!
//! Staff sign in once per browser ([`sign_in`]) and hold a session in an
//! HttpOnly cookie; the pages are rendered on the server for the signed-in
//! role and call the JSON API under `/v1` with that cookie and the
//! session's CSRF token (`js/console/common.js`). The API decides what each
//! role may read and change; a page only refuses to show itself to the
//! roles it is not for.
//!
//! Every page is listed once, in [`PAGES`]: the router, the navigation and
//! the tests that walk every page with every role all read that list.

mod sign_in;

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

use super::i18n::{Lang, CONSOLE_MESSAGES};
use super::pages::{html, language, Page};
use crate::http::extract::{csrf_token, secret_hash, session_cookie};
use crate::http::{now_unix, AppState};
use crate::store::{Credential, StaffRole};

/// A console page: where it is, what it is called (a message id), and the
/// roles it is for.
#[derive(Clone, Copy, Debug)]
pub struct ConsolePage {
    /// Its path.
    pub path: &'static str,
    /// The message id of its title, which is also its name in the menu.
    pub title: &'static str,
    /// Who it is for.
    pub roles: &'static [StaffRole],
}

/// Every staff member.
const EVERYONE: &[StaffRole] = &[StaffRole::Teacher, StaffRole::Communications, StaffRole::Admin];

/// Communications staff: the API lets only them audit publications and
/// the log (`Auditors`).
const COMMUNICATIONS: &[StaffRole] = &[StaffRole::Communications];

/// Who may read coverage reports (the API's `Reporters`).
const REPORTERS: &[StaffRole] = &[StaffRole::Communications, StaffRole::Admin];

/// Administrators only.
const ADMINS: &[StaffRole] = &[StaffRole::Admin];

/// Those who check and publish photos: teachers and communications staff.
const TEACHING: &[StaffRole] = &[StaffRole::Teacher, StaffRole::Communications];

/// The console's routes: its pages, and signing in and out.
pub fn router() -> Router<AppState> {
    pages_router().merge(sign_in::router())
}

/// What every console page knows beside its language: who is signed in,
/// the session's CSRF token for the page script, and the menu.
pub struct Console {
    /// The staff member's name.
    pub name: String,
    /// Their role, for the header.
    pub role: StaffRole,
    /// The token the page script sends with every change it asks for.
    pub csrf: String,
    /// The pages this role may open, and which one this is.
    pub menu: Vec<MenuItem>,
}

/// One entry of the menu.
pub struct MenuItem {
    /// Where it leads.
    pub path: &'static str,
    /// Its name in the page's language.
    pub title: String,
    /// Whether it is the page shown.
    pub current: bool,
}

impl Console {
    /// The message id naming a role.
    pub fn role_title(&self) -> String {
        format!("console-role-{}", self.role.as_str())
    }
}

/// A console page's template.
trait ConsoleTemplate: Template {
    /// Where it is listed in [`PAGES`].
    const LISTED: ConsolePage;
    /// Its script module under `/assets/js/`, without `.js`.
    const SCRIPT: &'static str;
    fn new(page: Page, console: Console) -> Self;
}

/// Declares the console's pages: for each its template type, path,
/// template file, script, title and roles. Out of this one list come
/// [`PAGES`] and the routes.
macro_rules! console_pages {
    ($($name:ident: $path:literal, $template:literal, $script:literal, $title:literal, $roles:expr;)*) => {
        $(
            #[derive(Template)]
            #[template(path = $template)]
            struct $name {
                page: Page,
                console: Console,
            }

            impl ConsoleTemplate for $name {
                const LISTED: ConsolePage = ConsolePage { path: $path, title: $title, roles: $roles };
                const SCRIPT: &'static str = $script;
                fn new(page: Page, console: Console) -> Self {
                    Self { page, console }
                }
            }
        )*

        /// Every console page, in the order of the menu.
        pub const PAGES: &[ConsolePage] = &[$($name::LISTED),*];

        fn pages_router() -> Router<AppState> {
            Router::new()$(.route($path, get(page::<$name>)))*
        }
    };
}

console_pages! {
    Home: "/console", "console/home.html", "console/common", "console-home-title", EVERYONE;
    Publications: "/console/publications", "console/publications.html", "console/publications", "console-publications-title", COMMUNICATIONS;
    Media: "/console/media", "console/media.html", "console/media", "console-media-title", COMMUNICATIONS;
    Takedowns: "/console/takedowns", "console/takedowns.html", "console/takedowns", "console-takedowns-title", COMMUNICATIONS;
    Coverage: "/console/coverage", "console/coverage.html", "console/coverage", "console-coverage-title", REPORTERS;
    Audit: "/console/audit", "console/audit.html", "console/audit", "console-audit-title", COMMUNICATIONS;
    Import: "/console/import", "console/import.html", "console/import", "console-admin-import-title", ADMINS;
    Groups: "/console/groups", "console/groups.html", "console/groups", "console-admin-groups-title", ADMINS;
    People: "/console/people", "console/people.html", "console/people", "console-admin-people-title", ADMINS;
    StaffPage: "/console/staff", "console/staff.html", "console/staff", "console-admin-staff-title", ADMINS;
    Settings: "/console/settings", "console/settings.html", "console/settings", "console-admin-settings-title", ADMINS;
    Sheets: "/console/sheets", "console/sheets.html", "console/sheets", "console-admin-sheets-title", ADMINS;
    Scan: "/console/scan", "console/scan.html", "console/scan", "teacher-scan-title", TEACHING;
    Check: "/console/check", "console/check.html", "console/check", "teacher-check-title", TEACHING;
}

/// The page shown to a signed-in role a page is not for.
#[derive(Template)]
#[template(path = "console/forbidden.html")]
struct Forbidden {
    page: Page,
    console: Console,
    /// The roles the page is for, in words.
    for_roles: String,
}

/// Console pages are never stored: they carry the session's CSRF token.
const NO_STORE: &str = "no-store";

/// The signed-in staff member of a request, from the session cookie: `None`
/// without a session in force.
async fn signed_in(state: &AppState, headers: &HeaderMap) -> Result<Option<(Credential, String)>, Response> {
    let Some(session) = session_cookie(headers) else {
        return Ok(None);
    };
    match state.store.credential(&secret_hash(session), now_unix()).await {
        Ok(credential) => Ok(credential.map(|credential| (credential, csrf_token(session)))),
        Err(error) => {
            tracing::error!(%error, "could not read a console session");
            Err(StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
    }
}

/// The sign-in page, coming back to `path` afterwards.
fn to_sign_in(path: &str) -> Response {
    Redirect::to(&format!("/console/sign-in?next={path}")).into_response()
}

async fn page<P: ConsoleTemplate>(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let (lang, chosen) = language(query.as_deref(), &headers);
    let (credential, csrf) = match signed_in(&state, &headers).await {
        Ok(Some(signed_in)) => signed_in,
        Ok(None) => return to_sign_in(P::LISTED.path),
        Err(response) => return response,
    };
    let role = credential.member.role;
    let console = Console {
        name: credential.member.name,
        role,
        csrf,
        menu: menu(lang, role, P::LISTED.path),
    };
    let path = P::LISTED.path;
    let page = Page {
        lang,
        path,
        script: P::SCRIPT,
        messages: CONSOLE_MESSAGES,
    };
    if P::LISTED.roles.contains(&role) {
        return html(P::new(page, console).render(), path, chosen, NO_STORE);
    }
    let for_roles = roles_in_words(lang, P::LISTED.roles);
    let mut response = html(
        Forbidden {
            page: Page {
                script: "console/common",
                ..page
            },
            console,
            for_roles,
        }
        .render(),
        path,
        chosen,
        NO_STORE,
    );
    *response.status_mut() = StatusCode::FORBIDDEN;
    response
}

/// The pages `role` may open, in the order of [`PAGES`].
fn menu(lang: Lang, role: StaffRole, current: &str) -> Vec<MenuItem> {
    PAGES
        .iter()
        .filter(|page| page.roles.contains(&role))
        .map(|page| MenuItem {
            path: page.path,
            title: lang.text(page.title),
            current: page.path == current,
        })
        .collect()
}

/// Roles in words ("teachers, administrators").
fn roles_in_words(lang: Lang, roles: &[StaffRole]) -> String {
    roles
        .iter()
        .map(|role| lang.text(&format!("console-roles-{}", role.as_str())))
        .collect::<Vec<_>>()
        .join(", ")
}
