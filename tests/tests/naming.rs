//! Staff name people as the school knows them (student number, full name)
//! and groups in any case, and see names rather than ids, on SQLite and
//! PostgreSQL.
#![allow(clippy::unwrap_used)]

use consent_protocol::*;
use consent_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// Imports a class list as the administrator's CSV upload does.
async fn import(admin: &Api, csv: &str) {
    let response = admin
        .client
        .post(format!("{}/v1/people/import", admin.base))
        .bearer_auth(admin.token.as_deref().unwrap())
        .header("content-type", "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

const CLASS: &str = "external_id,display_name,group,birth_date\n\
    1001,Sam de Groot,3B,2009-05-01\n\
    1002,Noor Jansen,3B,2009-06-01\n\
    1044,Sam de Groot,4A,2008-02-03\n\
    1003,Yara Bakker,1C,2014-06-01\n";

async fn check(teacher: &Api, people: Value, groups: Value) -> Answer {
    teacher
        .post(
            "/v1/checks",
            json!({"media_hash": media_hash(b"class photo"), "media_kind": "photo", "purpose": "website", "people": people, "groups": groups}),
        )
        .await
}

fn names(check: &Answer) -> Vec<&str> {
    let mut names: Vec<&str> = check.body["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["display_name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    names
}

async fn staff_name_people_by_student_number_or_full_name(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let teacher = admin.staff("Tess", "teacher").await;
    import(&admin, CLASS).await;
    // Another school's student number 1002 names nobody here.
    let other = server.admin("Het Baken").await;
    import(
        &other,
        "external_id,display_name,group,birth_date\n2002,Ada Smit,2A,2009-01-01\n",
    )
    .await;

    let checked = check(&teacher, json!(["1002", "yara bakker"]), json!([])).await;
    assert_eq!(checked.status, StatusCode::OK, "{checked:?}");
    assert_eq!(names(&checked), ["Noor Jansen", "Yara Bakker"]);

    for unknown in ["2002", "Ada Smit", "Nobody"] {
        let refused = check(&teacher, json!([unknown]), json!([])).await;
        assert_eq!(
            (refused.status, refused.code()),
            (StatusCode::BAD_REQUEST, "unknown_person"),
            "{unknown}: {refused:?}"
        );
    }

    // Wherever staff name a person: looking them up, guardians, codes, erasure.
    let yara = admin.get("/v1/people/1003").await;
    assert_eq!(yara.body["display_name"], "Yara Bakker", "{yara:?}");
    let pia = admin.person("guardian", "Pia Bakker", "", "").await;
    let linked = admin
        .post(
            "/v1/people/Yara%20Bakker/guardians",
            json!({"guardian": "pia bakker"}),
        )
        .await;
    assert_eq!(linked.status, StatusCode::NO_CONTENT, "{linked:?}");
    let code = admin
        .post("/v1/people/pia%20bakker/enrollment-codes", json!({}))
        .await;
    assert_eq!(code.body["person"], pia.to_string(), "{code:?}");
    let erased = admin.send(Method::DELETE, "/v1/people/1002", None).await;
    assert_eq!(erased.status, StatusCode::NO_CONTENT, "{erased:?}");
    let gone = admin.get("/v1/people/Noor%20Jansen").await;
    assert_eq!(
        gone.status,
        StatusCode::NOT_FOUND,
        "an erased name names nobody: {gone:?}"
    );
}

async fn a_name_that_fits_several_people_is_refused_with_the_candidates(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let teacher = admin.staff("Tess", "teacher").await;
    import(&admin, CLASS).await;

    let refused = check(&teacher, json!(["Sam de Groot"]), json!([])).await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::BAD_REQUEST, "ambiguous_person"),
        "{refused:?}"
    );
    let candidates: Vec<&str> = refused.body["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["external_id"].as_str().unwrap())
        .collect();
    assert_eq!(candidates, ["1001", "1044"]);
    let detail = refused.body["detail"].as_str().unwrap();
    assert!(detail.contains("Sam de Groot (3B, 1001, id "), "{detail}");
    assert!(detail.contains("Sam de Groot (4A, 1044, id "), "{detail}");

    // The student number tells them apart.
    let checked = check(&teacher, json!(["1044"]), json!([])).await;
    assert_eq!(checked.status, StatusCode::OK, "{checked:?}");
    let lookup = admin.get("/v1/people/sam%20de%20groot").await;
    assert_eq!(lookup.code(), "ambiguous_person", "{lookup:?}");
}

async fn groups_are_found_in_any_case(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let teacher = admin.staff("Tess", "teacher").await;
    import(&admin, CLASS).await;

    let checked = check(&teacher, json!([]), json!(["3b"])).await;
    assert_eq!(checked.status, StatusCode::OK, "{checked:?}");
    assert_eq!(names(&checked), ["Noor Jansen", "Sam de Groot"]);
    let listed = teacher.get("/v1/people?group=3b").await.body;
    assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");
    assert_eq!(listed[0]["group"], "3B");
}

async fn the_takedown_list_names_people(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let teacher = admin.staff("Tess", "teacher").await;
    let comms = admin.staff("Cas", "communications").await;
    import(&admin, CLASS).await;
    let sam: SubjectId = admin.get("/v1/people/1001").await.body["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let phone = admin.enroll(sam).await;
    let token = phone.consent().await;
    let checked = check(&teacher, json!(["1001"]), json!([])).await;
    let published = teacher
        .post(
            "/v1/publications",
            json!({"receipt_id": checked.body["receipt_id"], "channel": "website", "url": "https://school.example/news/1"}),
        )
        .await;
    assert_eq!(published.status, StatusCode::CREATED, "{published:?}");
    phone.revoke(token.unverified().token_id).await;

    let flagged = comms.get("/v1/publications?flagged=true").await.body;
    assert_eq!(
        flagged[0]["people_now"][0]["display_name"], "Sam de Groot",
        "{flagged}"
    );

    // The same list as CSV, one row per publication, naming who withdrew.
    let csv = comms.get("/v1/publications?flagged=true&format=csv").await;
    assert_eq!(csv.status, StatusCode::OK, "{csv:?}");
    assert!(csv.content_type.starts_with("text/csv"), "{csv:?}");
    let text = csv.body.as_str().unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("publication,published_at,channel,purpose,media_kind,url,people,status,taken_down_at,consent_lost")
    );
    let row = lines.next().unwrap();
    assert!(
        row.contains(",website,website,photo,https://school.example/news/1,1,take_down,,Sam de Groot: revoked since 20"),
        "{row}"
    );
    assert_eq!(lines.next(), None);
}

on_both_databases!(
    staff_name_people_by_student_number_or_full_name,
    a_name_that_fits_several_people_is_refused_with_the_candidates,
    groups_are_found_in_any_case,
    the_takedown_list_names_people,
);
