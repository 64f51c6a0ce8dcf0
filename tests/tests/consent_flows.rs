//! The brief's flows over HTTP, each test one promise, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used)]

use consent_protocol::*;
use consent_tests::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

const PHOTO: &str = "class photo 3B, 2026-11-20";

async fn check(teacher: &Api, people: &[SubjectId], purpose: &str) -> Value {
    let people: Vec<String> = people.iter().map(ToString::to_string).collect();
    let answer = teacher
        .post(
            "/v1/checks",
            json!({"media_hash": media_hash(PHOTO.as_bytes()), "media_kind": "photo", "purpose": purpose, "people": people}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    answer.body
}

fn outcome(check: &Value, person: SubjectId) -> String {
    check["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["person"] == person.to_string())
        .map(|v| v["outcome"].as_str().unwrap().to_owned())
        .unwrap()
}

async fn granted_student_and_receipt_check(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let teacher = admin.staff("Tess", "teacher").await;
    let student = admin.person("student", "Sam", "3B", "2009-05-01").await;
    let phone = admin.enroll(student).await;
    phone.consent().await;

    let answer = check(&teacher, &[student], "website").await;
    assert_eq!(answer["allowed"], true);
    assert_eq!(outcome(&answer, student), "allowed");
    let receipt = SignedReceipt::from_text(answer["receipt"].as_str().unwrap()).unwrap();
    let keys: Value = server.anonymous().get("/v1/server-keys").await.body;
    let mut keyring = Keyring::new();
    for key in keys.as_array().unwrap() {
        keyring.add(
            PublicKey::from_hex(key["public_key"].as_str().unwrap()).unwrap(),
            KeyHolder::Server,
        );
    }
    let receipt = receipt
        .verify(&keyring)
        .expect("the receipt is signed by the server");
    assert_eq!(receipt.verdicts[0].outcome, Outcome::Allowed);
    assert_eq!(receipt.media_hash.to_string(), media_hash(PHOTO.as_bytes()));
}

async fn every_refusal_names_its_reason(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let teacher = admin.staff("Tess", "teacher").await;
    let older = admin.person("student", "Olga", "5A", "2008-01-01").await;
    let never = admin.person("student", "Nina", "5A", "2008-01-01").await;
    let young = admin.person("student", "Yara", "1C", "2014-06-01").await;
    admin.enroll(older).await.consent().await;
    let young_phone = admin.enroll(young).await;

    // A 12-year-old cannot consent alone.
    let alone = SignedGrant::sign(
        young_phone.grant(&[MediaKind::Photo], &[Purpose::WEBSITE]),
        &[&young_phone.key],
    )
    .unwrap();
    let refused = young_phone.submit(&alone).await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::BAD_REQUEST, "guardian_missing")
    );

    let answer = check(&teacher, &[older, never], "press").await;
    assert_eq!(answer["allowed"], false);
    assert_eq!(outcome(&answer, older), "wrong_purpose");
    assert_eq!(outcome(&answer, never), "no_consent");
    let video = teacher
        .post(
            "/v1/checks",
            json!({"media_hash": media_hash(b"v"), "media_kind": "video", "purpose": "website", "people": [older.to_string()]}),
        )
        .await;
    assert_eq!(outcome(&video.body, older), "wrong_media_kind");
}

async fn parent_co_signs_for_a_young_child(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let teacher = admin.staff("Tess", "teacher").await;
    let child = admin.person("student", "Yara", "1C", "2014-06-01").await;
    let parent = admin.person("guardian", "Pia", "", "").await;
    let linked = admin
        .post(
            &format!("/v1/people/{child}/guardians"),
            json!({"guardian": parent.to_string()}),
        )
        .await;
    assert_eq!(linked.status, StatusCode::NO_CONTENT, "{linked:?}");
    let child_phone = admin.enroll(child).await;
    let parent_phone = admin.enroll(parent).await;

    let mut grant = child_phone.grant(&[MediaKind::Photo], &[Purpose::YEARBOOK]);
    grant.signers = GrantSigners::SubjectAndGuardian {
        subject: child_phone.key_id(),
        guardian: parent_phone.key_id(),
    };
    // Signed on two devices, joined into one token.
    let child_part = grant.signature(&child_phone.key);
    let parent_part = grant.signature(&parent_phone.key);
    let token = SignedGrant::from_parts(grant, vec![child_part, parent_part]).unwrap();
    let accepted = child_phone.submit(&token).await;
    assert_eq!(accepted.status, StatusCode::CREATED, "{accepted:?}");
    assert_eq!(
        outcome(&check(&teacher, &[child], "yearbook").await, child),
        "allowed"
    );

    // The parent can withdraw it for the child.
    let revocation = parent_phone.revocation(
        child,
        RevocationScope::AllIssuedUpTo(consent_server::http::now()),
        Role::Guardian,
    );
    let revoked = parent_phone
        .api
        .post("/v1/revocations", json!({"revocation": revocation.to_text()}))
        .await;
    assert_eq!(revoked.status, StatusCode::CREATED, "{revoked:?}");
    assert_eq!(
        outcome(&check(&teacher, &[child], "yearbook").await, child),
        "revoked"
    );
}

async fn revoked_token_is_denied_and_its_publication_flagged(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let teacher = admin.staff("Tess", "teacher").await;
    let comms = admin.staff("Cas", "communications").await;
    let student = admin.person("student", "Sam", "3B", "2009-05-01").await;
    let phone = admin.enroll(student).await;
    let token = phone.consent().await;

    let checked = check(&teacher, &[student], "website").await;
    let published = teacher
        .post(
            "/v1/publications",
            json!({"receipt_id": checked["receipt_id"], "channel": "website", "url": "https://school.example/news/1"}),
        )
        .await;
    assert_eq!(published.status, StatusCode::CREATED, "{published:?}");
    let publication = published.body["publication"].as_i64().unwrap();
    assert_eq!(comms.get("/v1/publications?flagged=true").await.body, json!([]));

    let revoked = phone.revoke(token.unverified().token_id).await;
    assert_eq!(revoked.status, StatusCode::CREATED, "{revoked:?}");
    assert_eq!(
        outcome(&check(&teacher, &[student], "website").await, student),
        "revoked"
    );

    let flagged = comms.get("/v1/publications?flagged=true").await.body;
    assert_eq!(flagged.as_array().unwrap().len(), 1, "{flagged}");
    assert_eq!(flagged[0]["id"], publication);
    assert_eq!(flagged[0]["people_now"][0]["status"], "revoked");
    assert!(flagged[0]["people_now"][0]["since"].as_i64().unwrap() > 0);

    // Publishing again with the old receipt is refused: consent is re-checked.
    let again = teacher
        .post(
            "/v1/publications",
            json!({"receipt_id": checked["receipt_id"], "channel": "website"}),
        )
        .await;
    assert_eq!(
        (again.status, again.code()),
        (StatusCode::CONFLICT, "consent_missing")
    );
    assert_eq!(again.body["verdicts"][0]["outcome"], "revoked");

    let taken_down = comms
        .post(&format!("/v1/publications/{publication}/takedown"), json!({}))
        .await;
    assert_eq!(taken_down.status, StatusCode::NO_CONTENT, "{taken_down:?}");
    assert_eq!(comms.get("/v1/publications?flagged=true").await.body, json!([]));
}

async fn revoked_token_is_denied_on_second_instance(db: Db) {
    let Some(first) = TestServer::start(db).await else {
        return;
    };
    let (second, _dir) = first.second_instance().await;
    let admin = first.admin("De Linde").await;
    let teacher_first = admin.staff("Tess", "teacher").await;
    let teacher_second = Api {
        base: second.url.clone(),
        ..teacher_first.clone()
    };
    let student = admin.person("student", "Sam", "3B", "2009-05-01").await;
    let phone = admin.enroll(student).await;
    let token = phone.consent().await;
    assert_eq!(
        outcome(&check(&teacher_second, &[student], "website").await, student),
        "allowed"
    );

    // Checks keep running on the second instance while the revocation lands on the first.
    let checker = {
        let teacher = teacher_second.clone();
        tokio::spawn(async move {
            for _ in 0..20 {
                check(&teacher, &[student], "website").await;
            }
        })
    };
    let revoked = phone.revoke(token.unverified().token_id).await;
    assert_eq!(revoked.status, StatusCode::CREATED, "{revoked:?}");
    // From the acknowledgment on, every check on either instance denies.
    for teacher in [&teacher_second, &teacher_first, &teacher_second] {
        assert_eq!(
            outcome(&check(teacher, &[student], "website").await, student),
            "revoked"
        );
    }
    checker.await.unwrap();
    second.stop().await;
}

async fn audit_log_verifies_offline_and_survives_erasure(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let teacher = admin.staff("Tess", "teacher").await;
    let comms = admin.staff("Cas", "communications").await;
    let student = admin.person("student", "Sam de Groot", "3B", "2009-05-01").await;
    let phone = admin.enroll(student).await;
    let token = phone.consent().await;
    check(&teacher, &[student], "website").await;
    phone.revoke(token.unverified().token_id).await;
    let erased = admin
        .send(reqwest::Method::DELETE, &format!("/v1/people/{student}"), None)
        .await;
    assert_eq!(erased.status, StatusCode::NO_CONTENT, "{erased:?}");
    let person = admin.get(&format!("/v1/people/{student}")).await.body;
    assert_eq!(person["display_name"], Value::Null);
    assert_eq!(person["erased"], true);

    let log = comms.get("/v1/audit/log").await;
    assert_eq!(log.status, StatusCode::OK, "{log:?}");
    let head = SignedLogHead::from_text(log.body["log_head"].as_str().unwrap()).unwrap();
    let entries = log.body["entries"].as_array().unwrap();
    let school = head.unverified().school;
    let mut chain = genesis_head(school);
    for (index, entry) in entries.iter().enumerate() {
        assert_eq!(entry["position"], index as i64 + 1);
        let text = entry["entry"].as_str().unwrap();
        assert!(!text.contains("Sam de Groot"), "the log holds no names: {text}");
        chain = next_head(&chain, index as u64 + 1, text.as_bytes());
    }
    assert_eq!(head.unverified().size, entries.len() as u64);
    assert_eq!(
        head.unverified().head,
        chain,
        "the recomputed chain matches the signed head"
    );
    let kinds: Vec<&str> = entries
        .iter()
        .map(|e| serde_json::from_str::<Value>(e["entry"].as_str().unwrap()).unwrap())
        .map(|e| match e["type"].as_str().unwrap() {
            "grant" => "grant",
            "revocation" => "revocation",
            "check" => "check",
            "person_erased" => "person_erased",
            _ => "other",
        })
        .filter(|kind| *kind != "other")
        .collect();
    assert_eq!(kinds, ["grant", "check", "revocation", "person_erased"]);
}

async fn student_sees_and_exports_their_own_record(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let student = admin.person("student", "Sam", "3B", "2009-05-01").await;
    let phone = admin.enroll(student).await;
    let token = phone.consent().await;
    phone.revoke(token.unverified().token_id).await;
    let record = phone.signed_get("/v1/me").await;
    assert_eq!(record.status, StatusCode::OK, "{record:?}");
    assert_eq!(record.body["person"]["display_name"], "Sam");
    assert_eq!(record.body["tokens"][0]["standing"]["status"], "revoked");
    assert_eq!(record.body["revocations"].as_array().unwrap().len(), 1);

    // An unsigned or forged request sees nothing.
    let anonymous = server.anonymous().get("/v1/me").await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let impostor = Phone {
        key: SigningKey::from_bytes(&[7; 32]),
        ..phone.clone()
    };
    assert_eq!(
        impostor.signed_get("/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn class_list_import_and_coverage_report(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let comms = admin.staff("Cas", "communications").await;
    let csv = "external_id,display_name,group,birth_date\n1,Ada,3B,2009-01-02\n2,Bo,3B,2009-03-04\n3,Cy,4A,2008-05-06\n";
    let response = admin
        .client
        .post(format!("{}/v1/people/import", admin.base))
        .bearer_auth(admin.token.as_deref().unwrap())
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let people = admin.get("/v1/people?group=3B").await.body;
    let ada: SubjectId = people[0]["id"].as_str().unwrap().parse().unwrap();
    admin.enroll(ada).await.consent().await;
    let report = comms.get("/v1/reports/coverage?purpose=website").await;
    let bo = people[1]["id"].as_str().unwrap();
    let cy = admin.get("/v1/people/3").await.body["id"].clone();
    assert_eq!(
        report.body,
        json!([
            {"group": "3B", "students": 2, "allowed": 1, "may_not_appear": [
                {"person": bo, "display_name": "Bo", "outcome": "no_consent"}
            ]},
            {"group": "4A", "students": 1, "allowed": 0, "may_not_appear": [
                {"person": cy, "display_name": "Cy", "outcome": "no_consent"}
            ]}
        ])
    );
    // The CSV says who may not appear, and ends with the school's total.
    let csv = comms.get("/v1/reports/coverage?purpose=website&format=csv").await;
    assert_eq!(
        csv.body,
        json!(
            "group,students,allowed,may_not_appear\n3B,2,1,Bo (no_consent)\n4A,1,0,Cy (no_consent)\ntotal,3,1,\n"
        )
    );
}

/// Grants, revocations and checks of one school arriving at once commit
/// together (`server/src/store/group_commit.rs`); a token handed in several
/// times at once is recorded once and the other submissions are told so,
/// without failing the writes grouped with them.
async fn simultaneous_writes_commit_together(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let teacher = admin.staff("Tess", "teacher").await;
    let mut phones = Vec::new();
    for n in 0..6 {
        let student = admin
            .person("student", &format!("Student {n}"), "3B", "2008-01-01")
            .await;
        phones.push(admin.enroll(student).await);
    }
    let mut withdrawn = Vec::new();
    for phone in &phones {
        withdrawn.push(phone.consent().await);
    }
    let tokens: Vec<SignedGrant> = phones
        .iter()
        .map(|phone| {
            SignedGrant::sign(
                phone.grant(&[MediaKind::Photo], &[Purpose::WEBSITE]),
                &[&phone.key],
            )
            .unwrap()
        })
        .collect();

    let mut grants = Vec::new();
    let mut revocations = Vec::new();
    let mut checks = Vec::new();
    for ((phone, token), earlier) in phones.iter().zip(&tokens).zip(&withdrawn) {
        for _ in 0..3 {
            let (phone, token) = (phone.clone(), token.clone());
            grants.push(tokio::spawn(async move { phone.submit(&token).await }));
        }
        let (teacher, person) = (teacher.clone(), phone.person);
        let (phone, earlier) = (phone.clone(), earlier.unverified().token_id);
        revocations.push(tokio::spawn(async move { phone.revoke(earlier).await }));
        checks.push(tokio::spawn(async move {
            check(&teacher, &[person], "yearbook").await
        }));
    }
    let mut grant_answers = Vec::new();
    for grant in grants {
        grant_answers.push(grant.await.unwrap());
    }
    let mut revocation_answers = Vec::new();
    for revocation in revocations {
        revocation_answers.push(revocation.await.unwrap());
    }
    for check in checks {
        check.await.unwrap();
    }

    for answers in grant_answers.chunks(3) {
        let mut statuses: Vec<StatusCode> = answers.iter().map(|answer| answer.status).collect();
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::OK, StatusCode::CREATED],
            "{answers:?}"
        );
    }
    let mut sequences: Vec<i64> = revocation_answers
        .iter()
        .map(|answer| {
            assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
            answer.body["sequence"].as_i64().unwrap()
        })
        .collect();
    sequences.sort();
    sequences.dedup();
    assert_eq!(
        sequences.len(),
        phones.len(),
        "each revocation has a place of its own"
    );

    let people: Vec<SubjectId> = phones.iter().map(|phone| phone.person).collect();
    let website = check(&teacher, &people, "website").await;
    assert_eq!(website["allowed"], true, "every new grant was stored: {website}");
    // The yearbook token was withdrawn; only the website one is left.
    let yearbook = check(&teacher, &people, "yearbook").await;
    for person in &people {
        assert_eq!(outcome(&yearbook, *person), "wrong_purpose", "{yearbook}");
    }
    let comms = admin.staff("Cas", "communications").await;
    let log = comms.get("/v1/audit/log").await;
    let (head, chain, entries) = recompute_log(&log.body);
    assert_eq!(head.size, entries as u64);
    assert_eq!(head.head, chain, "the log's chain is whole");
}

on_both_databases!(
    simultaneous_writes_commit_together,
    granted_student_and_receipt_check,
    every_refusal_names_its_reason,
    parent_co_signs_for_a_young_child,
    revoked_token_is_denied_and_its_publication_flagged,
    revoked_token_is_denied_on_second_instance,
    audit_log_verifies_offline_and_survives_erasure,
    student_sees_and_exports_their_own_record,
    class_list_import_and_coverage_report,
);
