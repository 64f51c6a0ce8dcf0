//! The staff console's sessions and page guards, over HTTP as a browser
//! speaks it, on SQLite and PostgreSQL: signing in with a token or a
//! one-time code, the cookie's attributes, CSRF on every change, sign-out,
//! expiry, revocation, and every page refusing other roles and strangers.
#![allow(clippy::unwrap_used)]

use consent_server::store::StaffRole;
use consent_server::web::console::PAGES;
use consent_tests::console::{page_without_session, post_sign_in, ConsoleSession};
use consent_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

const ROLES: [(&str, StaffRole); 3] = [
    ("teacher", StaffRole::Teacher),
    ("communications", StaffRole::Communications),
    ("admin", StaffRole::Admin),
];

async fn a_token_signs_in_to_a_strict_http_only_session_that_reaches_the_api(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let teacher = admin.staff("Tess Jansen", "teacher").await;
    let token = teacher.token.clone().unwrap();
    let session = ConsoleSession::sign_in(&server.url, "token", &token).await;

    let cookie = &session.set_cookie;
    assert!(cookie.starts_with("consent_session=css_"), "{cookie}");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
        assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
    }
    assert!(
        !cookie.contains("Secure"),
        "plain HTTP cannot keep a Secure cookie: {cookie}"
    );
    assert_ne!(
        session.cookie,
        format!("consent_session={token}"),
        "a session has its own secret"
    );

    let home = session.page("/console").await;
    assert!(home.html.contains("Tess Jansen"), "{}", home.html);

    // Reads work with the cookie alone; changes need the page's CSRF token.
    assert_eq!(session.get("/v1/school").await.status, StatusCode::OK);
    let student = admin.person("student", "Sam", "3B", "2009-05-01").await;
    let check = json!({"media_hash": media_hash(b"class photo"), "media_kind": "photo",
                       "purpose": "website", "people": [student.to_string()]});
    let forged = session
        .call(Method::POST, "/v1/checks", Some(check.clone()), None)
        .await;
    assert_eq!(
        (forged.status, forged.code()),
        (StatusCode::FORBIDDEN, "csrf_rejected"),
        "{forged:?}"
    );
    let wrong = session
        .call(
            Method::POST,
            "/v1/checks",
            Some(check.clone()),
            Some("not-the-token"),
        )
        .await;
    assert_eq!(wrong.code(), "csrf_rejected", "{wrong:?}");
    let checked = session.post("/v1/checks", check.clone()).await;
    assert_eq!(checked.status, StatusCode::OK, "{checked:?}");

    // The session is the teacher's: what the role may not do, it may not.
    let refused = session
        .post(
            "/v1/people",
            json!({"kind": "student", "display_name": "X", "group": "1A"}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{refused:?}");
}

async fn the_server_behind_https_sets_a_secure_cookie(db: Db) {
    let Some(server) = TestServer::start_with(db, |config| {
        config.public_url = Some("https://consent.school.example".into());
    })
    .await
    else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let teacher = admin.staff("Tess", "teacher").await;
    let (_, cookie) = post_sign_in(&server.url, &[("token", teacher.token.as_deref().unwrap())], &[]).await;
    assert!(cookie.unwrap().ends_with("; Secure"));
}

async fn a_one_time_code_signs_in_once_and_only_the_latest_works(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let (teacher, teacher_id) = admin.staff_member("Tess", "teacher").await;
    let first = admin.sign_in_code(teacher_id).await;
    let code = admin.sign_in_code(teacher_id).await;
    assert_eq!(code.len(), 16);

    let replaced = post_sign_in(&server.url, &[("code", &first)], &[]).await.0;
    assert_eq!(
        replaced.status,
        StatusCode::UNAUTHORIZED,
        "a new code replaces the old one"
    );
    // Typed as people type it: in lower case, in groups.
    let typed = format!("{}-{} {}", &code[..4].to_lowercase(), &code[4..8], &code[8..]);
    let session = ConsoleSession::sign_in(&server.url, "code", &typed).await;
    assert!(session.page("/console").await.html.contains("Tess"));
    let again = post_sign_in(&server.url, &[("code", &code)], &[]).await.0;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    assert!(again.html.contains("does not work"), "{}", again.html);

    // Only administrators hand out codes, and only to their own school.
    let refused = teacher
        .post(&format!("/v1/staff/{teacher_id}/sign-in-codes"), json!({}))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let elsewhere = server.admin("Het Baken").await;
    let foreign = elsewhere
        .post(&format!("/v1/staff/{teacher_id}/sign-in-codes"), json!({}))
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND, "{foreign:?}");
}

async fn signing_out_revoking_the_token_or_expiry_ends_a_session(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let (_, comms_id) = admin.staff_member("Cas", "communications").await;
    let issued = admin
        .post(&format!("/v1/staff/{comms_id}/tokens"), json!({"label": "desk"}))
        .await;
    let token = issued.body["token"].as_str().unwrap().to_owned();
    let token_id = issued.body["id"].as_i64().unwrap();

    // Signing out needs the page's token; another site cannot sign anyone out.
    let session = ConsoleSession::sign_in(&server.url, "token", &token).await;
    let forged = session.sign_out("forged").await;
    assert_eq!(forged.location.as_deref(), Some("/console"));
    assert_eq!(session.get("/v1/school").await.status, StatusCode::OK);
    let signed_out = session.sign_out(&session.csrf).await;
    assert_eq!(
        signed_out.location.as_deref(),
        Some("/console/sign-in?signed-out")
    );
    assert_eq!(session.get("/v1/school").await.status, StatusCode::UNAUTHORIZED);
    let page = session.page("/console").await;
    assert_eq!(page.location.as_deref(), Some("/console/sign-in?next=/console"));

    // Revoking the staff token ends every session begun with it.
    let one = ConsoleSession::sign_in(&server.url, "token", &token).await;
    let two = ConsoleSession::sign_in(&server.url, "token", &token).await;
    let revoked = admin
        .send(Method::DELETE, &format!("/v1/tokens/{token_id}"), None)
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT, "{revoked:?}");
    for session in [&one, &two] {
        assert_eq!(session.get("/v1/school").await.status, StatusCode::UNAUTHORIZED);
        assert_eq!(session.page("/console").await.status, StatusCode::SEE_OTHER);
    }

    // A session ends when its time is up.
    let (teacher, _) = admin.staff_member("Tess", "teacher").await;
    let session = ConsoleSession::sign_in(&server.url, "token", teacher.token.as_deref().unwrap()).await;
    server
        .tamper(&[
            "UPDATE api_tokens SET expires_at = 1 WHERE label = 'console session' AND revoked_at IS NULL",
        ])
        .await;
    assert_eq!(session.get("/v1/school").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        teacher.get("/v1/school").await.status,
        StatusCode::OK,
        "the token itself is in force"
    );
}

async fn a_sign_in_that_another_site_forged_is_refused(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let teacher = admin.staff("Tess", "teacher").await;
    let token = teacher.token.as_deref().unwrap();
    let (page, cookie) = post_sign_in(
        &server.url,
        &[("token", token)],
        &[("sec-fetch-site", "cross-site")],
    )
    .await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(cookie.is_none());
    let (page, _) = post_sign_in(&server.url, &[("token", "cst_wrong")], &[]).await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    let (page, _) = post_sign_in(&server.url, &[("code", "")], &[]).await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    // The page goes back only to the console, never elsewhere.
    let (page, _) = post_sign_in(
        &server.url,
        &[("token", token), ("next", "https://evil.example/")],
        &[],
    )
    .await;
    assert_eq!(page.location.as_deref(), Some("/console"));
    let (page, _) = post_sign_in(
        &server.url,
        &[("token", token), ("next", "//evil.example/console")],
        &[],
    )
    .await;
    assert_eq!(page.location.as_deref(), Some("/console"));
}

async fn a_session_reaches_only_its_own_school(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let linde = server.admin("De Linde").await;
    let baken = server.admin("Het Baken").await;
    let theirs = baken.person("student", "Noor", "2A", "2010-01-01").await;
    let admin_token = linde.token.clone().unwrap();
    let session = ConsoleSession::sign_in(&server.url, "token", &admin_token).await;
    let answer = session.get(&format!("/v1/people/{theirs}")).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND, "{answer:?}");
    let listed = session.get("/v1/people").await;
    assert!(!listed.body.to_string().contains("Noor"), "{listed:?}");
}

/// Every page of the console, with every role and with none: the roles it
/// is for see it, the others get a page that says who it is for, and a
/// browser without a session is sent to sign in and brought back.
async fn every_console_page_refuses_other_roles_and_strangers(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let mut sessions = Vec::new();
    for (name, role) in ROLES {
        let staff = admin.staff(&format!("Staff {name}"), name).await;
        let session = ConsoleSession::sign_in(&server.url, "token", staff.token.as_deref().unwrap()).await;
        sessions.push((role, session));
    }
    assert!(!PAGES.is_empty());
    for page in PAGES {
        let stranger = page_without_session(&server.url, page.path).await;
        assert_eq!(stranger.status, StatusCode::SEE_OTHER, "{}", page.path);
        assert_eq!(
            stranger.location.as_deref(),
            Some(format!("/console/sign-in?next={}", page.path).as_str())
        );
        for (role, session) in &sessions {
            let seen = session.page(&format!("{}?lang=en", page.path)).await;
            if page.roles.contains(role) {
                assert_eq!(seen.status, StatusCode::OK, "{} as {role:?}", page.path);
                assert!(!seen.html.contains("<h1>Not for your role</h1>"));
            } else {
                assert_eq!(seen.status, StatusCode::FORBIDDEN, "{} as {role:?}", page.path);
                assert!(seen.html.contains("<h1>Not for your role</h1>"), "{}", seen.html);
            }
        }
    }
}

on_both_databases!(
    a_token_signs_in_to_a_strict_http_only_session_that_reaches_the_api,
    the_server_behind_https_sets_a_secure_cookie,
    a_one_time_code_signs_in_once_and_only_the_latest_works,
    signing_out_revoking_the_token_or_expiry_ends_a_session,
    a_sign_in_that_another_site_forged_is_refused,
    a_session_reaches_only_its_own_school,
    every_console_page_refuses_other_roles_and_strangers,
);
