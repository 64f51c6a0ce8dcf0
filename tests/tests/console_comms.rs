//! The communications pages of the staff console, end to end in real
//! Chromium at a desk's size against the real server, in Dutch and in
//! English: the publications with their consent then and now, the takedown
//! worklist worked empty, the coverage heat map and its CSV, and the audit
//! log verified in the browser, which finds an entry altered in the
//! database and refuses a log that does not extend a head it verified.
//! Every screen is kept as a screenshot (target/screenshots/) and checked
//! with axe-core. Skipped (and says so) without Chromium, except under
//! `CI=true`.
#![allow(missing_docs, clippy::unwrap_used)]

use consent_protocol::{
    genesis_head, next_head, Grant, GrantSigners, MediaKind, MediaSet, PublicKey, Purpose, PurposeSet,
    SchoolId, SignedGrant, SigningKey, SubjectId, Timestamp, TokenId,
};
use consent_tests::browser::{Browser, Language, Screen};
use consent_tests::{hex_of, media_hash, Api, Db, Phone, TestServer};
use fantoccini::key::Key;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// What a page says, in each language: the tests read the page as its user does.
fn says(language: Language, dutch: &'static str, english: &'static str) -> &'static str {
    match language {
        Language::Dutch => dutch,
        Language::English => english,
    }
}

/// A school with an administrator, a teacher and a communications officer
/// (with the staff id their sign-in code is for).
struct School {
    admin: Api,
    teacher: Api,
    comms: Api,
    comms_id: i64,
}

async fn school(server: &TestServer) -> School {
    let admin = server.admin("De Linde").await;
    let teacher = admin.staff("Tess", "teacher").await;
    let (comms, comms_id) = admin.staff_member("Chris", "communications").await;
    School {
        admin,
        teacher,
        comms,
        comms_id,
    }
}

/// A student of 3B with a phone that gave consent for website photos.
async fn consenting_student(admin: &Api, name: &str) -> (SubjectId, Phone, SignedGrant) {
    let person = admin.person("student", name, "3B", "2008-05-01").await;
    let phone = admin.enroll(person).await;
    let token = phone.consent().await;
    (person, phone, token)
}

/// The teacher checks a website photo of `people` and publishes it there;
/// returns the publication's id.
async fn published_photo(teacher: &Api, people: &[SubjectId], photo: &[u8], url: &str) -> i64 {
    let people: Vec<String> = people.iter().map(ToString::to_string).collect();
    let check = teacher
        .post(
            "/v1/checks",
            json!({"media_hash": media_hash(photo), "media_kind": "photo", "purpose": "website", "people": people}),
        )
        .await;
    assert_eq!(check.status, StatusCode::OK, "{check:?}");
    let published = teacher
        .post(
            "/v1/publications",
            json!({"receipt_id": check.body["receipt_id"], "channel": "website", "url": url}),
        )
        .await;
    assert_eq!(published.status, StatusCode::CREATED, "{published:?}");
    published.body["publication"].as_i64().unwrap()
}

/// A desktop browser signed in to the console as the communications officer.
async fn signed_in(server: &TestServer, school: &School, test: &str, language: Language) -> Option<Browser> {
    let browser = Browser::open(test, language, Screen::DESKTOP).await?;
    let code = school.admin.sign_in_code(school.comms_id).await;
    browser
        .sign_in_to_console(&format!("{}/console/sign-in#code={code}", server.url))
        .await;
    Some(browser)
}

/// Takes a screenshot named `name` and checks the page with axe-core.
async fn keep(browser: &Browser, name: &str) {
    browser.screenshot(name).await;
    browser.assert_accessible(name).await;
}

/// The log's entries as the API sends them to communications staff.
async fn log_entries(comms: &Api) -> Vec<Value> {
    let log = comms.get("/v1/audit/log?limit=5000").await;
    assert_eq!(log.status, StatusCode::OK, "{log:?}");
    log.body["entries"].as_array().unwrap().clone()
}

async fn communications_works_the_takedown_list_empty(language: Language) {
    let test = format!("console_comms_{}", language.tag());
    let server = TestServer::start(Db::Sqlite).await.unwrap();
    let school = school(&server).await;
    let (sam, sam_phone, sam_token) = consenting_student(&school.admin, "Sam de Groot").await;
    let (kim, _, _) = consenting_student(&school.admin, "Kim Bakker").await;
    school.admin.person("student", "Noor", "3B", "2008-05-01").await;
    let flagged = published_photo(
        &school.teacher,
        &[sam, kim],
        b"class photo 3B",
        "https://school.example/news/class-photo",
    )
    .await;
    let live = published_photo(
        &school.teacher,
        &[kim],
        b"sports day",
        "https://school.example/news/sports",
    )
    .await;
    // Sam withdraws: the class photo must come down, the sports photo not.
    let withdrawn = sam_phone.revoke(sam_token.unverified().token_id).await;
    assert!(withdrawn.status.is_success(), "{withdrawn:?}");

    let Some(browser) = signed_in(&server, &school, &test, language).await else {
        return;
    };

    // Publications: consent at the check, and now.
    browser
        .goto(&format!("{}/console/publications", server.url))
        .await;
    browser.wait_for(&format!("#publication-{flagged}")).await;
    browser.wait_for(&format!("#publication-{live}")).await;
    let shown = browser.visible_text().await;
    for text in [
        says(language, "Alle 2 toegestaan op", "All 2 allowed on"),
        says(
            language,
            "Sam de Groot: ingetrokken sinds",
            "Sam de Groot: withdrawn since",
        ),
        says(language, "Geldt nog voor alle 1", "Still holds for all 1"),
        "https://school.example/news/class-photo",
    ] {
        assert!(shown.contains(text), "{text:?} missing from:\n{shown}");
    }
    keep(&browser, "1-publications").await;

    // The worklist: the class photo, with since when and which use, and
    // no names.
    browser.goto(&format!("{}/console/takedowns", server.url)).await;
    let row = format!("#takedown-{flagged}");
    browser.wait_for(&row).await;
    let shown = browser.visible_text().await;
    assert!(
        shown.contains(says(
            language,
            "ingetrokken: 1 van de 2 mensen erop",
            "withdrawn: 1 of the 2 people in it"
        )),
        "{shown}"
    );
    assert!(
        shown.contains(says(language, "Website (foto)", "Website (photo)")),
        "{shown}"
    );
    assert!(
        !shown.contains("Sam") && !shown.contains("Kim"),
        "the worklist names nobody:\n{shown}"
    );
    assert!(
        browser
            .run("return document.querySelectorAll('#rows tr').length;", vec![])
            .await
            == json!(1),
        "only the class photo is to take down"
    );
    keep(&browser, "2-takedowns").await;

    // Marked taken down from the page, with the keyboard: the list is empty
    // and says so.
    browser
        .wait_for(&format!("{row} button"))
        .await
        .send_keys(&Key::Enter.to_string())
        .await
        .unwrap();
    browser.wait_for("#empty:not([hidden])").await;
    browser
        .wait_for_text(says(
            language,
            "Niets om weg te halen: voor elke publicatie die online staat geldt de toestemming nog.",
            "Nothing to take down: every live publication still has consent.",
        ))
        .await;
    keep(&browser, "3-takedowns-empty").await;
    let still_flagged = school.comms.get("/v1/publications?flagged=true").await;
    assert_eq!(still_flagged.body, json!([]), "{still_flagged:?}");
    let all = school.comms.get("/v1/publications").await;
    let marked = all
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == json!(flagged))
        .unwrap();
    assert!(marked["taken_down_at"].is_i64(), "{marked}");
    // And after a reload it stays empty.
    browser.reload().await;
    browser.wait_for("#empty:not([hidden])").await;

    // Coverage: 3B has three students; Kim alone may appear on the website
    // (Sam withdrew, Noor never gave consent); in the yearbook likewise.
    browser.goto(&format!("{}/console/coverage", server.url)).await;
    browser.wait_for("#report:not([hidden])").await;
    let cells = browser
        .run(
            "return [...document.querySelectorAll('#rows tr')].map((tr) => [...tr.children].map((c) => c.innerText.replace(/\\s+/g, ' ').trim()));",
            vec![],
        )
        .await;
    let of = says(language, "van", "of");
    let one_in_three = format!("1 {of} 3 33%");
    let none_of_three = format!("0 {of} 3 0%");
    assert_eq!(
        cells[0],
        json!([
            "3B",
            none_of_three,
            one_in_three,
            none_of_three,
            none_of_three,
            one_in_three,
            none_of_three
        ]),
        "{cells}"
    );
    assert_eq!(cells.as_array().unwrap().len(), 2, "3B and the total: {cells}");
    keep(&browser, "4-coverage").await;
    // The website's CSV is the coverage endpoint's, through the session.
    let csv = browser
        .run(
            "const link = [...document.querySelectorAll('#downloads a')].find((a) => a.href.includes('purpose=website'));\n\
             const response = await fetch(link.href); return await response.text();",
            vec![],
        )
        .await;
    let csv = csv.as_str().unwrap();
    assert!(csv.starts_with("group,students,allowed,may_not_appear"), "{csv}");
    assert!(csv.contains("3B,3,1,"), "{csv}");

    // The audit log, verified in this browser.
    let size = log_entries(&school.comms).await.len();
    browser.goto(&format!("{}/console/audit", server.url)).await;
    browser.wait_for("#verified:not([hidden])").await;
    let verified = says(
        language,
        "Gecontroleerd in deze browser:",
        "Verified in this browser:",
    );
    browser.wait_for_text(&format!("{verified} {size}")).await;
    keep(&browser, "5-audit-verified").await;
    browser.close().await;
}

#[tokio::test]
async fn communications_works_the_takedown_list_empty_in_dutch() {
    communications_works_the_takedown_list_empty(Language::Dutch).await;
}

#[tokio::test]
async fn communications_works_the_takedown_list_empty_in_english() {
    communications_works_the_takedown_list_empty(Language::English).await;
}

/// `UPDATE` of one log entry's stored bytes (SQLite's blob literal).
fn set_entry(position: i64, text: &str) -> String {
    format!(
        "UPDATE log_entries SET entry = X'{}' WHERE position = {position}",
        hex_of(text.as_bytes())
    )
}

async fn the_browser_finds_an_altered_entry_and_refuses_a_rewritten_history(language: Language) {
    let test = format!("console_audit_{}", language.tag());
    let server = TestServer::start(Db::Sqlite).await.unwrap();
    let school = school(&server).await;
    let (_, phone, token) = consenting_student(&school.admin, "Sam de Groot").await;
    let withdrawn = phone.revoke(token.unverified().token_id).await;
    assert!(withdrawn.status.is_success(), "{withdrawn:?}");
    let Some(browser) = signed_in(&server, &school, &test, language).await else {
        return;
    };
    let audit = format!("{}/console/audit", server.url);
    browser.goto(&audit).await;
    browser.wait_for("#verified:not([hidden])").await;

    // Someone with the database backdates the withdrawal's log entry.
    let entries = log_entries(&school.comms).await;
    let revocation = entries
        .iter()
        .find(|entry| {
            entry["entry"]
                .as_str()
                .unwrap()
                .contains(r#""type":"revocation""#)
        })
        .unwrap();
    let position = revocation["position"].as_i64().unwrap();
    let original = revocation["entry"].as_str().unwrap().to_owned();
    let at: Value = serde_json::from_str::<Value>(&original).unwrap()["at"].clone();
    let backdated = original.replacen(&format!(r#""at":{at}"#), r#""at":1700000000"#, 1);
    assert_ne!(
        backdated, original,
        "the entry has its time as \"at\": {original}"
    );
    server.tamper(&[&set_entry(position, &backdated)]).await;
    browser.reload().await;
    browser.wait_for("#failed:not([hidden])").await;
    browser
        .wait_for_text(&format!(
            "{} {position} {}",
            says(language, "Regel", "Entry"),
            says(language, "breekt de keten", "breaks the chain")
        ))
        .await;
    browser.wait_for_text(r#""at":1700000000"#).await;
    assert!(browser
        .wait_for("#verified")
        .await
        .attr("hidden")
        .await
        .unwrap()
        .is_some());
    keep(&browser, "1-audit-altered-entry").await;

    // Put back, the log verifies again.
    server.tamper(&[&set_entry(position, &original)]).await;
    browser.reload().await;
    browser.wait_for("#verified:not([hidden])").await;

    // The withdrawal deleted from the database behind the log's back: the
    // log still verifies, the record does not.
    server.tamper(&["DELETE FROM revocations"]).await;
    browser.reload().await;
    browser.wait_for("#failed:not([hidden])").await;
    browser
        .wait_for_text(says(
            language,
            "ontbreekt in de database: de toestemming die ze introk, zou weer tellen",
            "is missing from the database: the consent it withdrew would count again",
        ))
        .await;
    keep(&browser, "2-audit-record-differs").await;

    // Now the history is rewritten: the last entry removed (the withdrawal
    // is gone already), the school's head set back, and the server's own memory
    // of what it signed deleted, so that it signs the shorter log. This browser
    // remembers the longer one and refuses.
    let size = log_entries(&school.comms).await.len();
    let before = size - 1;
    server
        .tamper(&[
            &format!("DELETE FROM log_entries WHERE position = {size}"),
            &format!(
                "UPDATE schools SET log_size = {before}, log_head = \
                 (SELECT head FROM log_entries WHERE school_id = schools.id AND position = {before}) \
                 WHERE name = 'De Linde'"
            ),
        ])
        .await;
    std::fs::remove_file(server.data_dir.join("signed-log-heads.json")).unwrap();
    let server = server.restart().await;
    browser.goto(&audit).await;
    browser.wait_for("#failed:not([hidden])").await;
    // (At its start the server may log a retention purge, so the log is
    // shorter, or as long with another history: refused either way.)
    let shown = browser.visible_text().await;
    let refused = [
        says(language, "er zijn regels weggehaald", "entries were removed"),
        says(
            language,
            "de geschiedenis is herschreven",
            "its history was rewritten",
        ),
    ];
    assert!(refused.iter().any(|words| shown.contains(words)), "{shown}");
    keep(&browser, "3-audit-rewritten-history").await;
    browser.close().await;
    drop(server);
}

#[tokio::test]
async fn the_browser_finds_an_altered_entry_and_refuses_a_rewritten_history_in_dutch() {
    the_browser_finds_an_altered_entry_and_refuses_a_rewritten_history(Language::Dutch).await;
}

#[tokio::test]
async fn the_browser_finds_an_altered_entry_and_refuses_a_rewritten_history_in_english() {
    the_browser_finds_an_altered_entry_and_refuses_a_rewritten_history(Language::English).await;
}

/// A log of `texts` for school 7 as the server sends it, and its head.
fn log_of(texts: &[&str]) -> (Value, Value) {
    let mut head = genesis_head(SchoolId(7));
    let entries: Vec<Value> = texts
        .iter()
        .enumerate()
        .map(|(index, text)| {
            head = next_head(&head, index as u64 + 1, text.as_bytes());
            json!({"position": index + 1, "entry": text, "head": head.to_string()})
        })
        .collect();
    (
        json!(entries),
        json!({"size": texts.len(), "head": head.to_string()}),
    )
}

/// The browser's log check finds what `consent audit verify` finds, by the
/// same rules (client-cli/src/commands/comms.rs and audit.rs tests): an
/// intact log verifies; an altered, a missing and a dropped last entry, a
/// rewritten chain and another school's log are each named; a log that does
/// not extend a remembered head is refused.
#[tokio::test]
async fn the_browser_log_check_names_what_the_cli_names() {
    let server = TestServer::start(Db::Sqlite).await.unwrap();
    let Some(browser) = Browser::open("console_log_check", Language::English, Screen::DESKTOP).await else {
        return;
    };
    browser
        .goto(&format!("{}/assets/js/protocol.js", server.url))
        .await;
    let (intact, head) = log_of(&["a", "b", "c"]);
    let mut altered = intact.clone();
    altered[1]["entry"] = json!("B");
    let mut missing = intact.clone();
    missing.as_array_mut().unwrap().remove(1);
    let mut dropped = intact.clone();
    dropped.as_array_mut().unwrap().pop();
    let (rewritten, _) = log_of(&["a", "x", "c"]);
    let (shorter, _) = log_of(&["a"]);
    let answer = browser
        .run(
            r#"const check = await import("/assets/js/console/log_check.js");
               const [head, cases, extensions] = args;
               const outcome = async (run) => {
                 try { return { ok: await run() }; }
                 catch (error) {
                   if (!(error instanceof check.LogProblem)) throw error;
                   return { code: error.code, position: error.args.position ?? null };
                 }
               };
               const chains = [];
               for (const [school, entries] of cases) {
                 chains.push(await outcome(async () => (await check.verifyChain(school, entries, head)).length));
               }
               // Heads remembered in a storage of the test's own.
               const kept = new Map();
               const storage = { getItem: (k) => kept.get(k) ?? null, setItem: (k, v) => kept.set(k, v) };
               const memory = new check.VerifiedHeads(7, storage);
               const verified = await check.verifyChain(7, cases[0][1], head);
               memory.checkExtends(verified);
               memory.remember({ size: 3, head: head.head, signed_at: "2027-01-01T00:00:00Z", key: "0102030405060708" });
               const again = new check.VerifiedHeads(7, storage);
               const later = [];
               for (const entries of extensions) {
                 let chain = [await (await import("/assets/js/protocol.js")).logGenesisHead(7)];
                 for (const entry of entries) chain.push(entry.head);
                 later.push(await outcome(async () => { again.checkExtends(chain); return chain.length - 1; }));
               }
               return { chains, remembered: again.count, later, otherSchool: new check.VerifiedHeads(8, storage).count };"#,
            vec![
                head.clone(),
                json!([[7, intact], [7, altered], [7, missing], [7, dropped], [7, rewritten], [8, intact]]),
                json!([log_of(&["a", "b", "c", "d"]).0, log_of(&["a", "x", "c", "d"]).0, shorter]),
            ],
        )
        .await;
    assert_eq!(
        answer,
        json!({
            "chains": [
                {"ok": 4},
                {"code": "entry-altered", "position": 2},
                {"code": "entry-missing", "position": 2},
                {"code": "size-mismatch", "position": null},
                {"code": "head-mismatch", "position": null},
                {"code": "entry-altered", "position": 1},
            ],
            "remembered": 1,
            "later": [
                {"ok": 4},
                {"code": "history-rewritten", "position": null},
                {"code": "entries-removed", "position": null},
            ],
            "otherSchool": 0,
        })
    );
    browser.close().await;
}

/// A website-photo grant for person 04… ending at `not_after`.
fn grant_text(not_after: u32) -> String {
    let key = SigningKey::from_bytes(&[2; 32]);
    let grant = Grant {
        token_id: TokenId::from_bytes([3; 16]),
        school: SchoolId(7),
        subject: SubjectId::from_bytes([4; 16]),
        media: MediaSet::new([MediaKind::Photo]).unwrap(),
        purposes: PurposeSet::new([Purpose::WEBSITE]).unwrap(),
        issued_at: Timestamp::from_unix(1000),
        not_before: Timestamp::from_unix(1000),
        not_after: Timestamp::from_unix(not_after),
        signers: GrantSigners::Subject {
            key: PublicKey::of(&key).id(),
        },
    };
    SignedGrant::sign(grant, &[&key]).unwrap().to_text()
}

/// The browser replays the log against the stored record as the CLI does
/// (client-cli/src/audit.rs, `replaying_the_log_names_every_difference_from_the_database`):
/// a faithful record has no difference; a grant deleted, a key switched
/// back on, a guardian link deleted, an erasure and a consent age made up
/// are each named; a grant a later purge may have removed is not.
#[tokio::test]
async fn the_browser_record_check_names_what_the_cli_names() {
    let server = TestServer::start(Db::Sqlite).await.unwrap();
    let Some(browser) = Browser::open("console_record_check", Language::English, Screen::DESKTOP).await
    else {
        return;
    };
    browser
        .goto(&format!("{}/assets/js/protocol.js", server.url))
        .await;
    let person = SubjectId::from_bytes([4; 16]);
    let parent = SubjectId::from_bytes([5; 16]);
    let key = PublicKey::of(&SigningKey::from_bytes(&[2; 32])).id();
    let texts = [
        json!({"at": 1, "type": "school_created"}).to_string(),
        json!({"at": 2, "type": "key_registered", "person": person, "key": key}).to_string(),
        json!({"at": 3, "type": "guardian_linked", "guardian": parent, "child": person}).to_string(),
        json!({"at": 4, "type": "grant", "token": grant_text(2000)}).to_string(),
        json!({"at": 5, "type": "key_revoked", "person": person, "key": key}).to_string(),
    ];
    let entries: Vec<Value> = texts
        .iter()
        .enumerate()
        .map(|(index, text)| json!({"position": index + 1, "entry": text}))
        .collect();
    let faithful = json!({
        "log_size": 5, "digital_consent_age": 16, "retention_days": 1825,
        "grants": [grant_text(2000)], "revocations": [],
        "device_keys": [{"key_id": key, "person": person, "revoked": true}],
        "guardianships": [{"guardian": parent, "child": person}], "erased": [],
    });
    let mut tampered = faithful.clone();
    tampered["grants"] = json!([]);
    tampered["device_keys"][0]["revoked"] = json!(false);
    tampered["guardianships"] = json!([]);
    tampered["erased"] = json!([parent]);
    tampered["digital_consent_age"] = json!(13);
    let purge = json!({"at": 6, "type": "records_purged", "older_than": 3000,
        "purged": {"publications": 0, "receipts": 0, "grants": 1, "enrollment_codes": 0}});
    let mut purged_entries = entries.clone();
    purged_entries.push(json!({"position": 6, "entry": purge.to_string()}));
    let mut purged = faithful.clone();
    purged["grants"] = json!([]);
    purged["log_size"] = json!(6);
    let answer = browser
        .run(
            r#"const { recordDifferences } = await import("/assets/js/console/record_check.js");
               return args.map(([entries, record]) => recordDifferences(entries, record).map((d) => d.code));"#,
            vec![
                json!([entries, faithful]),
                json!([entries, tampered]),
                json!([purged_entries, purged]),
            ],
        )
        .await;
    assert_eq!(
        answer,
        json!([
            [],
            [
                "age",
                "grant-missing",
                "key-in-use",
                "guardian-missing",
                "erased-unlogged"
            ],
            []
        ])
    );
    browser.close().await;
}
