//! What the administrator's console pages need from the API: the list of
//! groups, a person's guardians, a staff account's tokens without their secrets, and every bad
//! row of a class list at once; on SQLite and PostgreSQL, and never
//! another school's.
#![allow(clippy::unwrap_used)]

use consent_tests::console::ConsoleSession;
use consent_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// Imports a class list as the console's upload does; answers the server's reply.
async fn import(admin: &Api, csv: &str) -> Answer {
    let response = admin
        .client
        .post(format!("{}/v1/people/import", admin.base))
        .bearer_auth(admin.token.as_deref().unwrap())
        .header("content-type", "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .unwrap();
    answer(response).await
}

/// Links guardian `guardian` (an external id) to student `child`.
async fn link(admin: &Api, guardian: &str, child: &str) {
    let linked = admin
        .post(
            &format!("/v1/people/{child}/guardians"),
            json!({"guardian": guardian}),
        )
        .await;
    assert_eq!(linked.status, StatusCode::NO_CONTENT, "{linked:?}");
}

async fn groups_count_students_and_their_guardians_of_the_callers_school_only(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let imported = import(
        &admin,
        "external_id,display_name,group,birth_date,kind\n\
         1001,Sam de Groot,3B,2011-05-01,student\n\
         1002,Noor Jansen,3B,2011-06-01,student\n\
         1003,Yara Bakker,3B,2011-07-01,student\n\
         1004,Mo Ali,4A,2010-02-03,student\n\
         2001,Els de Groot,,,guardian\n\
         2002,Piet Jansen,,,guardian\n",
    )
    .await;
    assert_eq!(imported.status, StatusCode::OK, "{imported:?}");
    // One guardian of two children in 3B counts once; one of 3B and 4A in both.
    link(&admin, "2001", "1001").await;
    link(&admin, "2001", "1002").await;
    link(&admin, "2002", "1002").await;
    link(&admin, "2002", "1004").await;
    // An erased student is in no group any more.
    let erased = admin.send(Method::DELETE, "/v1/people/1003", None).await;
    assert_eq!(erased.status, StatusCode::NO_CONTENT, "{erased:?}");

    // Another school with a class of the same name.
    let other = server.admin("Het Baken").await;
    other.person("student", "Lot Visser", "3B", "2011-01-01").await;

    let teacher = admin.staff("Tess", "teacher").await;
    for caller in [&admin, &teacher] {
        let groups = caller.get("/v1/groups").await;
        assert_eq!(groups.status, StatusCode::OK, "{groups:?}");
        assert_eq!(
            groups.body,
            json!([
                {"name": "3B", "students": 2, "guardians": 2},
                {"name": "4A", "students": 1, "guardians": 1},
            ])
        );
    }
    assert_eq!(
        other.get("/v1/groups").await.body,
        json!([{"name": "3B", "students": 1, "guardians": 0}])
    );
    assert_eq!(
        server.anonymous().get("/v1/groups").await.status,
        StatusCode::UNAUTHORIZED
    );

    // A student's guardians, a guardian's children; not to another school.
    let names = |answer: Answer| -> Vec<String> {
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
        answer
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["display_name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        names(admin.get("/v1/people/1002/guardians").await),
        ["Els de Groot", "Piet Jansen"]
    );
    assert_eq!(
        names(admin.get("/v1/people/2002/guardians").await),
        ["Mo Ali", "Noor Jansen"]
    );
    assert_eq!(
        other.get("/v1/people/1002/guardians").await.status,
        StatusCode::NOT_FOUND
    );
}

async fn a_staff_accounts_tokens_are_listed_without_secrets_and_only_to_its_school(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let (teacher, id) = admin.staff_member("Tess", "teacher").await;
    let issued = admin
        .post(
            &format!("/v1/staff/{id}/tokens"),
            json!({"label": "laptop", "valid_days": 30}),
        )
        .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{issued:?}");
    let secret = issued.body["token"].as_str().unwrap().to_owned();
    // A browser signed in with a one-time code holds a session.
    let code = admin.sign_in_code(id).await;
    ConsoleSession::sign_in(&server.url, "code", &code).await;

    let listed = admin.get(&format!("/v1/staff/{id}/tokens")).await;
    assert_eq!(listed.status, StatusCode::OK, "{listed:?}");
    let tokens = listed.body.as_array().unwrap();
    let kinds: Vec<(&str, &str)> = tokens
        .iter()
        .map(|t| (t["label"].as_str().unwrap(), t["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("test", "api"),
            ("laptop", "api"),
            ("console session", "console_session")
        ]
    );
    let text = listed.body.to_string();
    assert!(!text.contains(&secret), "a secret is listed: {text}");
    assert!(
        !text.contains(teacher.token.as_deref().unwrap()),
        "a secret is listed: {text}"
    );
    assert!(tokens
        .iter()
        .all(|t| t.get("token").is_none() && t.get("token_hash").is_none()));

    // Revoked, it is no longer listed.
    let laptop = &tokens[1]["id"];
    let revoked = admin
        .send(Method::DELETE, &format!("/v1/tokens/{laptop}"), None)
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT, "{revoked:?}");
    let after: Vec<Value> = admin
        .get(&format!("/v1/staff/{id}/tokens"))
        .await
        .body
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(after.len(), 2);
    assert!(after.iter().all(|t| &t["id"] != laptop));

    // Not to another school's administrator, nor to a teacher.
    let other = server.admin("Het Baken").await;
    let refused = other.get(&format!("/v1/staff/{id}/tokens")).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND, "{refused:?}");
    let refused = teacher.get(&format!("/v1/staff/{id}/tokens")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{refused:?}");

    // An API token cannot pass for a console session.
    let disguised = admin
        .post(
            &format!("/v1/staff/{id}/tokens"),
            json!({"label": "console session"}),
        )
        .await;
    assert_eq!(
        (disguised.status, disguised.code()),
        (StatusCode::BAD_REQUEST, "bad_field")
    );
}

async fn a_class_list_with_bad_rows_names_each_by_line_and_imports_nothing(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let answer = import(
        &admin,
        "external_id,display_name,group,birth_date\n\
         1001,Sam de Groot,3B,2011-05-01\n\
         1002,Noor Jansen,3B,2011-13-45\n\
         1003,,3B,2011-07-01\n\
         1001,Sam again,3B,2011-05-01\n\
         1005,Mo Ali\n",
    )
    .await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::BAD_REQUEST, "bad_csv"),
        "{answer:?}"
    );
    let rows: Vec<(u64, &str)> = answer.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| (row["line"].as_u64().unwrap(), row["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        rows,
        [
            (3, "bad_birth_date"),
            (4, "bad_display_name"),
            (5, "duplicate_external_id"),
            (6, "bad_row"),
        ]
    );
    // The CLI reads the first row from the detail.
    let detail = answer.body["detail"].as_str().unwrap();
    assert!(detail.starts_with("line 3: birth_date"), "{detail}");
    assert!(detail.ends_with("; and 3 more rows"), "{detail}");
    assert_eq!(admin.get("/v1/people").await.body, json!([]));

    let headless = import(&admin, "id,name\n1,Sam\n").await;
    assert_eq!(
        (headless.status, headless.code()),
        (StatusCode::BAD_REQUEST, "bad_csv_header"),
        "{headless:?}"
    );
}

on_both_databases!(
    groups_count_students_and_their_guardians_of_the_callers_school_only,
    a_staff_accounts_tokens_are_listed_without_secrets_and_only_to_its_school,
    a_class_list_with_bad_rows_names_each_by_line_and_imports_nothing,
);
