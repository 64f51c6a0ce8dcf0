//! No acknowledged write is lost when the server process is killed: SIGKILL
//! while students grant and revoke and teachers check the class as fast as
//! they can, restart, and every acknowledged grant, revocation and check
//! receipt is there and the log still verifies. Receipts, grants and
//! revocations are committed in groups (`server/src/store/group_commit.rs`):
//! a group cut short by the kill must not hold a write that was answered.
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use consent_protocol::*;
use consent_tests::*;
use reqwest::StatusCode;
use serde_json::json;
use support::{admin_token, start};

#[derive(Default)]
struct Acknowledged {
    grants: Vec<(SubjectId, TokenId)>,
    revocations: Vec<(SubjectId, TokenId)>,
    receipts: Vec<ReceiptId>,
}

/// Concurrent checks of the whole class, so that receipts commit in groups.
const CHECKERS: usize = 3;

async fn killed_server_keeps_every_acknowledged_write(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let Some(database_url) = fresh_database(db, dir.path()).await else {
        return;
    };
    let token = admin_token(dir.path(), &database_url);
    let (mut server, mut url) = start(dir.path(), &database_url);
    let admin = Api {
        base: url.clone(),
        token: Some(token),
        client: reqwest::Client::new(),
    };
    let comms = admin.staff("Cas", "communications").await;
    let teacher = admin.staff("Tess", "teacher").await;
    let mut phones = Vec::new();
    for n in 0..6 {
        let person = admin
            .person("student", &format!("Student {n}"), "3B", "2008-01-01")
            .await;
        phones.push(admin.enroll(person).await);
    }

    let acknowledged = Arc::new(Mutex::new(Acknowledged::default()));
    for round in 0..3 {
        // Every student grants and revokes in a loop until the server dies.
        let mut writers = Vec::new();
        for phone in &phones {
            let mut phone = phone.clone();
            phone.api.base = url.clone();
            let acknowledged = Arc::clone(&acknowledged);
            writers.push(tokio::spawn(async move {
                loop {
                    let token = SignedGrant::sign(
                        phone.grant(&[MediaKind::Photo], &[Purpose::WEBSITE]),
                        &[&phone.key],
                    )
                    .unwrap();
                    let Ok(answer) = try_post(&phone, "/v1/grants", json!({"token": token.to_text()})).await
                    else {
                        break;
                    };
                    assert_eq!(answer, StatusCode::CREATED, "a grant was refused");
                    let id = token.unverified().token_id;
                    acknowledged.lock().unwrap().grants.push((phone.person, id));
                    let revocation =
                        phone.revocation(phone.person, RevocationScope::Token(id), Role::Subject);
                    let Ok(answer) = try_post(
                        &phone,
                        "/v1/revocations",
                        json!({"revocation": revocation.to_text()}),
                    )
                    .await
                    else {
                        break;
                    };
                    assert_eq!(answer, StatusCode::CREATED, "a revocation was refused");
                    acknowledged.lock().unwrap().revocations.push((phone.person, id));
                }
            }));
        }
        for _ in 0..CHECKERS {
            let teacher = Api {
                base: url.clone(),
                ..teacher.clone()
            };
            let acknowledged = Arc::clone(&acknowledged);
            writers.push(tokio::spawn(async move {
                loop {
                    let Ok(response) = teacher
                        .client
                        .post(format!("{}/v1/checks", teacher.base))
                        .bearer_auth(teacher.token.as_deref().unwrap())
                        .json(
                            &json!({"media_hash": media_hash(b"class photo"), "media_kind": "photo",
                                      "purpose": "website", "groups": ["3B"]}),
                        )
                        .send()
                        .await
                    else {
                        break;
                    };
                    assert_eq!(response.status(), StatusCode::OK, "a check was refused");
                    // The answer's body is the acknowledgment: a check whose
                    // body did not arrive whole was not acknowledged.
                    let Ok(body) = response.json::<serde_json::Value>().await else {
                        break;
                    };
                    let id: ReceiptId = body["receipt_id"].as_str().unwrap().parse().unwrap();
                    acknowledged.lock().unwrap().receipts.push(id);
                }
            }));
        }
        // Kill once enough writes were acknowledged in this round.
        let target = (round + 1) * 40;
        while acknowledged.lock().unwrap().grants.len() < target {
            assert!(
                !writers.iter().all(|w| w.is_finished()),
                "every writer stopped before the kill"
            );
            tokio::task::yield_now().await;
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        server.kill().unwrap();
        server.wait().unwrap();
        for writer in writers {
            writer.await.unwrap();
        }

        let (restarted, new_url) = start(dir.path(), &database_url);
        server = restarted;
        url = new_url.clone();
        let comms_now = Api {
            base: new_url.clone(),
            ..comms.clone()
        };

        // Every acknowledged grant and revocation survived.
        let (acked_grants, acked_revocations, acked_receipts) = {
            let acked = acknowledged.lock().unwrap();
            (
                acked.grants.clone(),
                acked.revocations.clone(),
                acked.receipts.clone(),
            )
        };
        assert!(!acked_receipts.is_empty(), "round {round}: no check was answered");
        for phone in &phones {
            let mut phone = phone.clone();
            phone.api.base = new_url.clone();
            let record = phone.signed_get("/v1/me").await;
            assert_eq!(record.status, StatusCode::OK, "{record:?}");
            let tokens: Vec<String> = record.body["tokens"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["token_id"].as_str().unwrap().to_owned())
                .collect();
            for (_, id) in acked_grants.iter().filter(|(person, _)| *person == phone.person) {
                assert!(
                    tokens.contains(&id.to_string()),
                    "round {round}: acknowledged grant {id} was lost"
                );
            }
            let revoked: Vec<String> = record.body["tokens"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|t| t["standing"]["status"] == "revoked")
                .map(|t| t["token_id"].as_str().unwrap().to_owned())
                .collect();
            for (_, id) in acked_revocations
                .iter()
                .filter(|(person, _)| *person == phone.person)
            {
                assert!(
                    revoked.contains(&id.to_string()),
                    "round {round}: acknowledged revocation of {id} was lost"
                );
            }
        }

        // The log still verifies from its first entry to its signed head.
        let log = whole_log(&comms_now).await;
        let (head, chain, entries) = recompute_log(&log);
        assert_eq!(entries as u64, head.size, "round {round}");
        assert_eq!(chain, head.head, "round {round}: the log no longer verifies");

        // Every answered check has its receipt stored and its log entry.
        let logged: HashSet<ReceiptId> = log["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|entry| {
                let entry: serde_json::Value =
                    serde_json::from_str(entry["entry"].as_str().unwrap()).unwrap();
                let text = entry["receipt"].as_str()?;
                Some(SignedReceipt::from_text(text).unwrap().unverified().id)
            })
            .collect();
        let stored = stored_receipts(&database_url).await;
        for id in &acked_receipts {
            assert!(
                logged.contains(id),
                "round {round}: acknowledged check {id} is not in the log"
            );
            assert!(
                stored.contains(id),
                "round {round}: acknowledged receipt {id} was lost"
            );
        }
    }
    server.kill().unwrap();
    server.wait().unwrap();
}

/// The whole audit log, page by page, as one answer.
async fn whole_log(comms: &Api) -> serde_json::Value {
    let mut entries: Vec<serde_json::Value> = Vec::new();
    loop {
        let page = comms
            .get(&format!("/v1/audit/log?limit=5000&after={}", entries.len()))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{page:?}");
        let more = page.body["entries"].as_array().unwrap().clone();
        if more.is_empty() {
            return json!({"entries": entries, "log_head": page.body["log_head"]});
        }
        entries.extend(more);
    }
}

/// The ids of the stored receipts, read from the database itself.
async fn stored_receipts(database_url: &str) -> HashSet<ReceiptId> {
    use sqlx::{Connection, Row};
    sqlx::any::install_default_drivers();
    let mut connection = sqlx::AnyConnection::connect(database_url).await.unwrap();
    let rows = sqlx::query("SELECT id FROM receipts")
        .fetch_all(&mut connection)
        .await
        .unwrap();
    connection.close().await.unwrap();
    rows.iter()
        .map(|row| row.get::<String, _>(0).parse().unwrap())
        .collect()
}

async fn try_post(phone: &Phone, path: &str, body: serde_json::Value) -> Result<StatusCode, reqwest::Error> {
    let response = phone
        .api
        .client
        .post(format!("{}{path}", phone.api.base))
        .json(&body)
        .send()
        .await?;
    Ok(response.status())
}

on_both_databases!(killed_server_keeps_every_acknowledged_write);
