//! Records are kept no longer than the school's retention period, the log
//! stays whole, and what still stands is never purged; on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used)]

use consent_protocol::SubjectId;
use consent_server::http::now_unix;
use consent_server::store::{Purged, Store};
use consent_tests::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

const DAY: i64 = 86_400;

/// Checks a photo of `person` for the website and publishes it; returns the publication's id.
async fn publish(teacher: &Api, person: SubjectId, photo: &str) -> i64 {
    let checked = teacher
        .post(
            "/v1/checks",
            json!({"media_hash": media_hash(photo.as_bytes()), "media_kind": "photo", "purpose": "website", "people": [person.to_string()]}),
        )
        .await;
    assert_eq!(checked.status, StatusCode::OK, "{checked:?}");
    let published = teacher
        .post(
            "/v1/publications",
            json!({"receipt_id": checked.body["receipt_id"], "channel": "website"}),
        )
        .await;
    assert_eq!(published.status, StatusCode::CREATED, "{published:?}");
    published.body["publication"].as_i64().unwrap()
}

/// The log's entries recomputed from genesis equal its signed head; returns the entries' types.
async fn verified_log_types(comms: &Api) -> Vec<String> {
    let log = comms.get("/v1/audit/log").await.body;
    let (head, chain, entries) = recompute_log(&log);
    assert_eq!(
        (head.head, head.size),
        (chain, entries as u64),
        "the log still verifies"
    );
    log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            serde_json::from_str::<Value>(entry["entry"].as_str().unwrap()).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

async fn records_go_after_the_retention_period_and_what_stands_stays(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let teacher = admin.staff("Tess", "teacher").await;
    let comms = admin.staff("Cas", "communications").await;
    let settings = admin
        .send(
            reqwest::Method::PATCH,
            "/v1/school",
            Some(json!({"retention_days": 30})),
        )
        .await;
    assert_eq!(settings.status, StatusCode::OK, "{settings:?}");

    // Sam's photo is taken down; Noor's stays up.
    let sam = admin.person("student", "Sam", "3B", "2009-05-01").await;
    let sam_phone = admin.enroll(sam).await;
    let sam_token = sam_phone.consent().await;
    let taken_down = publish(&teacher, sam, "trip photo").await;
    let answer = comms
        .post(&format!("/v1/publications/{taken_down}/takedown"), json!({}))
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{answer:?}");
    let noor = admin.person("student", "Noor", "3B", "2009-06-01").await;
    let noor_token = admin.enroll(noor).await.consent().await;
    let standing = publish(&teacher, noor, "concert photo").await;

    let store = Store::connect(&server.database_url).await.unwrap();
    let school = sam_phone.school;
    let now = now_unix();

    // Within the period nothing goes but the used enrollment codes.
    let early = store.purge_expired_records(school, now + 29 * DAY).await.unwrap();
    assert_eq!(
        early,
        Purged {
            enrollment_codes: 2,
            ..Purged::default()
        }
    );

    // After it, the taken-down publication goes, and with it the receipts
    // no publication relies on: both of Sam's (the check and the re-check at
    // publishing) and Noor's first check; Noor's publication keeps its receipt.
    let later = store.purge_expired_records(school, now + 31 * DAY).await.unwrap();
    assert_eq!(
        later,
        Purged {
            publications: 1,
            receipts: 3,
            ..Purged::default()
        }
    );
    let publications = comms.get("/v1/publications").await.body;
    let ids: Vec<i64> = publications
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [standing]);

    // Once their validity has ended, consent tokens go too, but not the one
    // a standing publication names.
    let ended = i64::from(sam_token.unverified().not_after.as_unix());
    assert_eq!(ended, i64::from(noor_token.unverified().not_after.as_unix()));
    let after_validity = store
        .purge_expired_records(school, ended + 31 * DAY)
        .await
        .unwrap();
    assert_eq!(
        after_validity,
        Purged {
            grants: 1,
            ..Purged::default()
        }
    );
    let record = sam_phone.signed_get("/v1/me").await;
    assert_eq!(record.status, StatusCode::OK, "{record:?}");
    assert_eq!(record.body["tokens"], json!([]));
    assert_eq!(record.body["publications"], json!([]));

    // A second purge finds nothing and logs nothing; the log records each
    // purge and still verifies from genesis.
    let again = store
        .purge_expired_records(school, ended + 31 * DAY)
        .await
        .unwrap();
    assert_eq!(again, Purged::default());
    let types = verified_log_types(&comms).await;
    assert_eq!(types.iter().filter(|t| *t == "records_purged").count(), 3);
    store.close().await;
}

async fn retention_period_is_each_schools_own(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let linde = server.admin("De Linde").await;
    let eik = server.admin("De Eik").await;
    let answer = linde
        .send(
            reqwest::Method::PATCH,
            "/v1/school",
            Some(json!({"retention_days": 1})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    let mut phones = Vec::new();
    for admin in [&linde, &eik] {
        let teacher = admin.staff("Tess", "teacher").await;
        let comms = admin.staff("Cas", "communications").await;
        let student = admin.person("student", "Sam", "3B", "2009-05-01").await;
        let phone = admin.enroll(student).await;
        phone.consent().await;
        let publication = publish(&teacher, student, "photo").await;
        comms
            .post(&format!("/v1/publications/{publication}/takedown"), json!({}))
            .await;
        phones.push(phone);
    }
    let store = Store::connect(&server.database_url).await.unwrap();
    let two_days_on = now_unix() + 2 * DAY;
    consent_server::retention::sweep(&store, two_days_on).await;
    // De Linde keeps records a day: its taken-down publication went. De Eik
    // keeps them five years (the default): nothing of its went.
    let linde_again = store
        .purge_expired_records(phones[0].school, two_days_on)
        .await
        .unwrap();
    let eik_again = store
        .purge_expired_records(phones[1].school, two_days_on)
        .await
        .unwrap();
    assert_eq!((linde_again, eik_again), (Purged::default(), Purged::default()));
    let eik_comms = eik.staff("Cas 2", "communications").await;
    assert_eq!(
        eik_comms
            .get("/v1/publications")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let linde_comms = linde.staff("Cas 2", "communications").await;
    assert_eq!(linde_comms.get("/v1/publications").await.body, json!([]));
    store.close().await;
}

on_both_databases!(
    records_go_after_the_retention_period_and_what_stands_stays,
    retention_period_is_each_schools_own,
);
