//! The revocation list offline verifiers keep: every page signed as a whole,
//! so that a revocation left out is noticed, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used)]

use consent_protocol::*;
use consent_tests::*;
use reqwest::StatusCode;
use serde_json::Value;

/// The server's keys, as an offline verifier fetches them.
async fn server_keyring(api: &Api) -> Keyring {
    let keys = api.get("/v1/server-keys").await.body;
    let mut keyring = Keyring::new();
    for key in keys.as_array().unwrap() {
        keyring.add(
            PublicKey::from_hex(key["public_key"].as_str().unwrap()).unwrap(),
            KeyHolder::Server,
        );
    }
    keyring
}

/// A page's revocations as the protocol lists them.
fn entries(page: &Value) -> Vec<ListedRevocation> {
    page["revocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|listed| ListedRevocation {
            sequence: listed["sequence"].as_u64().unwrap(),
            revocation: SignedRevocation::from_text(listed["revocation"].as_str().unwrap()).unwrap(),
        })
        .collect()
}

fn signed_list(page: &Value) -> SignedRevocationList {
    SignedRevocationList::from_text(page["signed_list"].as_str().unwrap()).unwrap()
}

async fn revocation_list_pages_are_signed_and_leave_nothing_out(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let teacher = admin.staff("Tess", "teacher").await;
    let mut revoked = Vec::new();
    for name in ["Sam", "Noor", "Bo"] {
        let student = admin.person("student", name, "3B", "2009-05-01").await;
        let phone = admin.enroll(student).await;
        let token = phone.consent().await;
        let answer = phone.revoke(token.unverified().token_id).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
        revoked.push(token.unverified().token_id);
    }
    let keyring = server_keyring(&teacher).await;

    // Walk the list one revocation a page, as a verifier with a slow link would.
    let mut after = 0;
    let mut listed = Vec::new();
    loop {
        let page = teacher
            .get(&format!("/v1/revocations?after={after}&limit=1"))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{page:?}");
        let entries = entries(&page.body);
        let signed = signed_list(&page.body);
        let list = signed.verify(&keyring, &entries).unwrap().clone();
        assert_eq!(list.after, after, "each page starts where the one before ended");
        assert_eq!(list.up_to, page.body["up_to"].as_u64().unwrap());
        assert_eq!(list.is_complete(), page.body["complete"].as_bool().unwrap());
        if !entries.is_empty() {
            // Leaving the page's revocation out is noticed.
            assert!(matches!(
                signed.verify(&keyring, &[]),
                Err(Error::ListMismatch { .. })
            ));
        }
        listed.extend(entries);
        after = list.up_to;
        if list.is_complete() {
            break;
        }
    }
    let withdrawn: Vec<TokenId> = listed
        .iter()
        .map(|entry| match entry.revocation.unverified().scope {
            RevocationScope::Token(token) => token,
            RevocationScope::AllIssuedUpTo(_) => panic!("only single tokens were revoked"),
        })
        .collect();
    assert_eq!(withdrawn, revoked, "every revocation, in the order acknowledged");

    // One page holds the same, and ends where the log ends.
    let whole = teacher.get("/v1/revocations").await.body;
    let list = signed_list(&whole)
        .verify(&keyring, &entries(&whole))
        .unwrap()
        .clone();
    assert_eq!((list.after, list.count), (0, 3));
    assert!(list.is_complete());
    assert_eq!(list.up_to, after);

    // Nothing new: an empty page that still vouches for freshness.
    let nothing_new = teacher.get(&format!("/v1/revocations?after={after}")).await.body;
    let list = signed_list(&nothing_new).verify(&keyring, &[]).unwrap().clone();
    assert_eq!((list.after, list.up_to, list.count), (after, after, 0));

    // Asking beyond the log's end is a clear refusal, not an empty answer.
    let beyond = teacher.get(&format!("/v1/revocations?after={}", after + 1)).await;
    assert_eq!(beyond.status, StatusCode::BAD_REQUEST, "{beyond:?}");
    assert_eq!(beyond.content_type, "application/problem+json");
    assert_eq!(beyond.body["code"], "after_beyond_log");
}

on_both_databases!(revocation_list_pages_are_signed_and_leave_nothing_out);
