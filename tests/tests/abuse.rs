//! Abuse by people the server knows: an enrolled student flooding grants, a
//! class list too large or wrong to import halfway, names that hide what
//! they say. On SQLite and PostgreSQL.
#![allow(clippy::unwrap_used)]

use consent_protocol::{MediaKind, Purpose, SignedGrant};
use consent_tests::{on_both_databases, recompute_log, Api, Db, Phone, TestServer};
use reqwest::StatusCode;
use serde_json::json;

on_both_databases!(
    a_student_flooding_grants_is_refused_and_others_are_not,
    a_person_holds_only_so_many_tokens_in_force,
    an_import_with_a_bad_row_anywhere_writes_nothing,
    a_large_class_list_is_imported_whole,
    names_that_hide_or_reorder_their_text_are_refused,
);

/// A fresh grant for photos on the website, signed and submitted.
async fn give(phone: &Phone) -> (SignedGrant, consent_tests::Answer) {
    let token = SignedGrant::sign(
        phone.grant(&[MediaKind::Photo], &[Purpose::WEBSITE]),
        &[&phone.key],
    )
    .unwrap();
    let answer = phone.submit(&token).await;
    (token, answer)
}

async fn a_student_flooding_grants_is_refused_and_others_are_not(db: Db) {
    let Some(server) = TestServer::start_with(db, |config| config.limits.grants_per_hour = 5).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let sam = admin.person("student", "Sam", "3B", "2009-05-01").await;
    let sam = admin.enroll(sam).await;
    let mut refused = None;
    for _ in 0..10 {
        let (token, answer) = give(&sam).await;
        if answer.status == StatusCode::TOO_MANY_REQUESTS {
            refused = Some(token);
            break;
        }
        assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
        // Withdrawn at once, so that only the rate can refuse.
        let revoked = sam.revoke(token.unverified().token_id).await;
        assert_eq!(revoked.status, StatusCode::CREATED, "{revoked:?}");
    }
    let refused = refused.expect("a flood of grants is refused");
    let response = sam
        .api
        .client
        .post(format!("{}/v1/grants", server.url))
        .json(&json!({"token": refused.to_text()}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait >= 1);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    let problem: serde_json::Value = response.json().await.unwrap();
    assert_eq!(problem["code"], "too_many_requests");
    assert_eq!(problem["status"], 429);
    // Nothing of the refused token was recorded.
    let record = sam.signed_get("/v1/me").await;
    let tokens = record.body["tokens"].as_array().unwrap();
    assert!(tokens
        .iter()
        .all(|token| token["token_id"] != refused.unverified().token_id.to_string()));

    let ada = admin.person("student", "Ada", "3B", "2009-06-01").await;
    let ada = admin.enroll(ada).await;
    let (_, answer) = give(&ada).await;
    assert_eq!(
        answer.status,
        StatusCode::CREATED,
        "another student is not slowed: {answer:?}"
    );
}

async fn a_person_holds_only_so_many_tokens_in_force(db: Db) {
    let Some(server) = TestServer::start_with(db, |config| config.limits.live_tokens_per_person = 3).await
    else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let sam = admin.person("student", "Sam", "3B", "2009-05-01").await;
    let sam = admin.enroll(sam).await;
    let mut given = Vec::new();
    for _ in 0..3 {
        let (token, answer) = give(&sam).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
        given.push(token);
    }
    let (_, refused) = give(&sam).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{refused:?}");
    assert_eq!(refused.code(), "too_many_live_tokens");
    // A token already recorded, handed in again, is still answered as such.
    let again = sam.submit(&given[2]).await;
    assert_eq!(again.status, StatusCode::OK, "{again:?}");
    assert_eq!(again.body["recorded"], false);
    // A withdrawn token is no longer in force: room for a new one.
    let revoked = sam.revoke(given[0].unverified().token_id).await;
    assert_eq!(revoked.status, StatusCode::CREATED, "{revoked:?}");
    let (_, answer) = give(&sam).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");

    let ada = admin.person("student", "Ada", "3B", "2009-06-01").await;
    let ada = admin.enroll(ada).await;
    let (_, answer) = give(&ada).await;
    assert_eq!(
        answer.status,
        StatusCode::CREATED,
        "another student is not limited: {answer:?}"
    );
}

async fn import(admin: &Api, csv: &str) -> consent_tests::Answer {
    let response = admin
        .client
        .post(format!("{}/v1/people/import", admin.base))
        .bearer_auth(admin.token.as_deref().unwrap())
        .header("content-type", "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status();
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    consent_tests::Answer {
        status,
        body: response.json().await.unwrap(),
        content_type,
    }
}

/// A class list of `rows` students with external ids from `first`.
fn class_list(first: usize, rows: usize) -> String {
    let mut csv = String::from("external_id,display_name,group,birth_date\n");
    for n in first..first + rows {
        csv.push_str(&format!("{n},Student {n},{},2010-01-{:02}\n", n % 40, n % 28 + 1));
    }
    csv
}

async fn an_import_with_a_bad_row_anywhere_writes_nothing(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let bad_last_rows = [
        ("9999,Bad Date,3B,2010-13-45\n", "bad_csv"),
        // The same person twice: the last row would silently win.
        ("1,Student One Again,3B,2010-01-01\n", "bad_csv"),
    ];
    for (bad, code) in bad_last_rows {
        let csv = class_list(1, 2_000) + bad;
        let answer = import(&admin, &csv).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{answer:?}");
        assert_eq!(answer.code(), code);
        assert!(
            answer.body["detail"].as_str().unwrap().starts_with("line 2002:"),
            "{answer:?}"
        );
        assert_eq!(admin.get("/v1/people").await.body, json!([]));
    }
    // The log holds nothing of them either, and still verifies.
    let comms = admin.staff("Cas", "communications").await;
    let log = comms.get("/v1/audit/log").await.body;
    let (head, chain, entries) = recompute_log(&log);
    assert_eq!((head.head, head.size), (chain, entries as u64));
    assert!(!log.to_string().contains("person_created"));
}

async fn a_large_class_list_is_imported_whole(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let known = admin
        .post(
            "/v1/people",
            json!({"kind": "student", "display_name": "Old Name", "external_id": "5"}),
        )
        .await;
    assert_eq!(known.status, StatusCode::CREATED, "{known:?}");
    let rows = 20_000;
    let answer = import(&admin, &class_list(1, rows)).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_eq!(answer.body, json!({"created": rows - 1, "updated": 1}));
    let people = admin.get("/v1/people").await.body;
    let people = people.as_array().unwrap();
    assert_eq!(people.len(), rows);
    let five = people.iter().find(|p| p["external_id"] == "5").unwrap();
    assert_eq!(five["display_name"], "Student 5");
    assert_eq!(five["id"], known.body["id"]);
    // Imported again, everyone is known: all updated, nobody added.
    let again = import(&admin, &class_list(1, rows)).await;
    assert_eq!(again.body, json!({"created": 0, "updated": rows}));
    // Every added person is in the log, and the log verifies.
    let comms = admin.staff("Cas", "communications").await;
    let mut after = 0;
    let mut created = 0;
    loop {
        let page = comms.get(&format!("/v1/audit/log?after={after}")).await;
        assert_eq!(page.status, StatusCode::OK, "{page:?}");
        let entries = page.body["entries"].as_array().unwrap().clone();
        let Some(last) = entries.last() else { break };
        after = last["position"].as_i64().unwrap();
        created += entries
            .iter()
            .filter(|entry| entry["entry"].as_str().unwrap().contains("\"person_created\""))
            .count();
    }
    assert_eq!(created, rows);
}

async fn names_that_hide_or_reorder_their_text_are_refused(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    for name in [
        // A right-to-left override makes "Sam" read as something else.
        "Sam\u{202E}gnp.exe",
        "\u{2067}Ada\u{2069}",
        // Nothing a person could see.
        "\u{200B}\u{200B}",
        "\u{2060}\u{FEFF}",
    ] {
        let answer = admin
            .post("/v1/people", json!({"kind": "student", "display_name": name}))
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{name:?}: {answer:?}");
        assert_eq!(answer.code(), "misleading_text", "{name:?}");
    }
    let csv = "external_id,display_name,group,birth_date\n1,Sam\u{202E}x,3B,2010-01-01\n";
    let answer = import(&admin, csv).await;
    assert_eq!(answer.code(), "bad_csv", "{answer:?}");
    // Names in any script still work, joiners included.
    for name in ["Zoë de Vries", "محمد", "👩\u{200D}🔬 Kim", "Ångström-Ødegaard"] {
        let answer = admin
            .post("/v1/people", json!({"kind": "student", "display_name": name}))
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{name:?}: {answer:?}");
    }
}
