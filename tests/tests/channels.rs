//! Publishing channels: a publication is checked for its channel's purpose,
//! on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used)]

use consent_protocol::*;
use consent_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// A check of one photo of `person` for `purpose`; returns its receipt id.
async fn receipt(teacher: &Api, person: SubjectId, purpose: &str) -> Value {
    let answer = teacher
        .post(
            "/v1/checks",
            json!({"media_hash": media_hash(b"sports day"), "media_kind": "photo", "purpose": purpose, "people": [person.to_string()]}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    answer.body["receipt_id"].clone()
}

async fn publish(teacher: &Api, receipt: &Value, channel: &str) -> Answer {
    teacher
        .post(
            "/v1/publications",
            json!({"receipt_id": receipt, "channel": channel}),
        )
        .await
}

async fn consent_for_the_website_does_not_cover_instagram(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let teacher = admin.staff("Tess", "teacher").await;
    let comms = admin.staff("Cas", "communications").await;
    // A 17-year-old whose consent covers the website and the yearbook only.
    let student = admin.person("student", "Sam", "3B", "2009-05-01").await;
    admin.enroll(student).await.consent().await;
    let for_website = receipt(&teacher, student, "website").await;

    let refused = publish(&teacher, &for_website, "instagram").await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::CONFLICT, "channel_not_covered"),
        "{refused:?}"
    );
    let detail = refused.body["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("channel instagram is social-media; the check was for website"),
        "{detail}"
    );
    assert_eq!(
        comms.get("/v1/publications").await.body,
        json!([]),
        "nothing was recorded"
    );

    // A check for social media says she may not appear there.
    let for_social = teacher
        .post(
            "/v1/checks",
            json!({"media_hash": media_hash(b"sports day"), "media_kind": "photo", "purpose": "social-media", "people": [student.to_string()]}),
        )
        .await;
    assert_eq!(for_social.body["verdicts"][0]["outcome"], "wrong_purpose");

    // On a channel for the purpose checked, in any case, it is recorded.
    let published = publish(&teacher, &for_website, "Website").await;
    assert_eq!(published.status, StatusCode::CREATED, "{published:?}");
    let listed = comms.get("/v1/publications").await.body;
    assert_eq!(listed[0]["channel"], "website");
    assert_eq!(listed[0]["purpose"], "website");
}

async fn an_unknown_channel_is_refused_with_the_known_ones(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let teacher = admin.staff("Tess", "teacher").await;
    let student = admin.person("student", "Sam", "3B", "2009-05-01").await;
    admin.enroll(student).await.consent().await;
    let for_website = receipt(&teacher, student, "website").await;

    let refused = publish(&teacher, &for_website, "the school's hallway screen").await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::BAD_REQUEST, "unknown_channel"),
        "{refused:?}"
    );
    let known = refused.body["channels"].as_array().unwrap();
    assert!(
        known.contains(&json!({"name": "instagram", "purpose": "social-media"})),
        "{known:?}"
    );
    assert!(refused.body["detail"]
        .as_str()
        .unwrap()
        .contains("website (website)"));
}

async fn administrators_keep_the_schools_channels(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let teacher = admin.staff("Tess", "teacher").await;
    let student = admin.person("student", "Sam", "3B", "2009-05-01").await;
    admin.enroll(student).await.consent().await;

    // Every school starts with channels for each purpose.
    let defaults = teacher.get("/v1/channels").await;
    assert_eq!(defaults.status, StatusCode::OK, "{defaults:?}");
    for (name, purpose) in [
        ("instagram", "social-media"),
        ("tiktok", "social-media"),
        ("website", "website"),
        ("newsletter", "newsletter"),
        ("yearbook", "yearbook"),
    ] {
        assert!(
            defaults
                .body
                .as_array()
                .unwrap()
                .contains(&json!({"name": name, "purpose": purpose})),
            "{name}: {defaults:?}"
        );
    }

    // The hallway screen shows what the website may show.
    let added = admin
        .send(
            Method::PUT,
            "/v1/channels/Hallway%20Screen",
            Some(json!({"purpose": "website"})),
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{added:?}");
    assert_eq!(
        added.body,
        json!({"name": "hallway screen", "purpose": "website"})
    );
    let by_teacher = teacher
        .send(
            Method::PUT,
            "/v1/channels/blog",
            Some(json!({"purpose": "website"})),
        )
        .await;
    assert_eq!(by_teacher.status, StatusCode::FORBIDDEN, "{by_teacher:?}");
    let bad = admin
        .send(
            Method::PUT,
            "/v1/channels/blog",
            Some(json!({"purpose": "everywhere"})),
        )
        .await;
    assert_eq!(bad.code(), "bad_purpose", "{bad:?}");

    let for_website = receipt(&teacher, student, "website").await;
    let published = publish(&teacher, &for_website, "hallway screen").await;
    assert_eq!(published.status, StatusCode::CREATED, "{published:?}");

    // A channel moved to another purpose is checked for that one.
    admin
        .send(
            Method::PUT,
            "/v1/channels/hallway%20screen",
            Some(json!({"purpose": "press"})),
        )
        .await;
    let moved = publish(&teacher, &for_website, "hallway screen").await;
    assert_eq!(moved.code(), "channel_not_covered", "{moved:?}");

    let removed = admin
        .send(Method::DELETE, "/v1/channels/hallway%20screen", None)
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT, "{removed:?}");
    let gone = publish(&teacher, &for_website, "hallway screen").await;
    assert_eq!(gone.code(), "unknown_channel", "{gone:?}");
    let again = admin
        .send(Method::DELETE, "/v1/channels/hallway%20screen", None)
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "{again:?}");
}

on_both_databases!(
    consent_for_the_website_does_not_cover_instagram,
    an_unknown_channel_is_refused_with_the_known_ones,
    administrators_keep_the_schools_channels,
);
