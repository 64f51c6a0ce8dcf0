//! The media audit in the staff console, end to end in real Chromium at a
//! desk's size against the real server, in Dutch and in English: a
//! communications officer chooses a copy of the website's pictures; the
//! browser fingerprints them itself (only hashes reach the server) and
//! shows, not-in-order first, the picture never checked, the one whose
//! student withdrew, the one the website resized that still holds, and the
//! file that is no picture. One step puts the first two on the takedown
//! list, where they are marked taken down. Every screen is kept as a
//! screenshot (target/screenshots/) and checked with axe-core. Skipped (and
//! says so) without Chromium, except under `CI=true`.
#![allow(missing_docs, clippy::unwrap_used)]

use consent_media::fingerprint_bytes;
use consent_protocol::SubjectId;
use consent_tests::browser::{Browser, Language, Screen};
use consent_tests::pictures::{as_published, encode, scene};
use consent_tests::{hex_of, Api, Db, TestServer};
use fantoccini::key::Key;
use image::ImageFormat;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn says(language: Language, dutch: &'static str, english: &'static str) -> &'static str {
    match language {
        Language::Dutch => dutch,
        Language::English => english,
    }
}

/// The teacher checks `photo` (with its perceptual hash, as the console's
/// check page sends it) for the website and publishes it there.
async fn checked_and_published(teacher: &Api, people: &[SubjectId], photo: &[u8]) -> i64 {
    let fingerprint = fingerprint_bytes(photo).unwrap();
    let people: Vec<String> = people.iter().map(ToString::to_string).collect();
    let check = teacher
        .post(
            "/v1/checks",
            json!({
                "media_hash": hex_of(&fingerprint.sha256),
                "media_phash": fingerprint.perceptual.to_string(),
                "media_kind": "photo",
                "purpose": "website",
                "people": people,
            }),
        )
        .await;
    assert_eq!(check.status, StatusCode::OK, "{check:?}");
    assert_eq!(check.body["allowed"], json!(true), "{check:?}");
    let published = teacher
        .post(
            "/v1/publications",
            json!({"receipt_id": check.body["receipt_id"], "channel": "website"}),
        )
        .await;
    assert_eq!(published.status, StatusCode::CREATED, "{published:?}");
    published.body["publication"].as_i64().unwrap()
}

async fn keep(browser: &Browser, name: &str) {
    browser.screenshot(name).await;
    browser.assert_accessible(name).await;
}

/// The finding shown in each row of the result, by file name.
async fn findings(browser: &Browser) -> Value {
    browser
        .run(
            "const out = {}; for (const row of document.querySelectorAll('#rows tr')) \
             out[row.querySelector('th').textContent] = row.dataset.finding; return out;",
            vec![],
        )
        .await
}

async fn communications_audits_the_website_copy(language: Language) {
    let test = format!("console_media_{}", language.tag());
    let server = TestServer::start(Db::Sqlite).await.unwrap();
    let admin = server.admin("De Linde").await;
    let teacher = admin.staff("Tess", "teacher").await;
    let (comms, comms_id) = admin.staff_member("Chris", "communications").await;
    let sam = admin.person("student", "Sam de Groot", "3B", "2008-05-01").await;
    let sam_phone = admin.enroll(sam).await;
    let sam_token = sam_phone.consent().await;
    let kim = admin.person("student", "Kim Bakker", "3B", "2008-05-01").await;
    admin.enroll(kim).await.consent().await;

    let class_photo = scene(1200, 800, 1);
    let sports_day = encode(&scene(1200, 800, 2), ImageFormat::Jpeg);
    checked_and_published(&teacher, &[kim], &encode(&class_photo, ImageFormat::Png)).await;
    checked_and_published(&teacher, &[sam, kim], &sports_day).await;
    let withdrawn = sam_phone.revoke(sam_token.unverified().token_id).await;
    assert!(withdrawn.status.is_success(), "{withdrawn:?}");

    // The website's copy: the class photo as the website resized and
    // recompressed it, the sports day photo as it was checked, a photo
    // nobody checked, and a file that is no picture.
    let folder = tempfile::tempdir().unwrap();
    let files = [
        ("class-3b.jpg", as_published(&class_photo)),
        ("sports-day.jpg", sports_day),
        (
            "never-checked.jpg",
            encode(&scene(900, 600, 3), ImageFormat::Jpeg),
        ),
        ("notes.txt", b"not a picture".to_vec()),
    ];
    for (name, bytes) in &files {
        std::fs::write(folder.path().join(name), bytes).unwrap();
    }

    let Some(browser) = Browser::open(&test, language, Screen::DESKTOP).await else {
        return;
    };
    let code = admin.sign_in_code(comms_id).await;
    browser
        .sign_in_to_console(&format!("{}/console/sign-in#code={code}", server.url))
        .await;
    browser.goto(&format!("{}/console/media", server.url)).await;
    keep(&browser, "1-choose").await;

    let paths: Vec<String> = files
        .iter()
        .map(|(name, _)| folder.path().join(name).display().to_string())
        .collect();
    browser
        .wait_for("#files")
        .await
        .send_keys(&paths.join("\n"))
        .await
        .unwrap();
    browser.wait_for("#result:not([hidden])").await;
    assert_eq!(
        findings(&browser).await,
        json!({
            "class-3b.jpg": "consent_holds",
            "sports-day.jpg": "consent_withdrawn",
            "never-checked.jpg": "never_checked",
            "notes.txt": "not_read",
        })
    );
    let shown = browser.visible_text().await;
    for text in [
        says(
            language,
            "3 van de 4 foto's hebben u nodig.",
            "3 of 4 pictures need you.",
        ),
        says(
            language,
            "Sam de Groot: ingetrokken sinds",
            "Sam de Groot: withdrawn since",
        ),
        says(language, "Nooit gecontroleerd", "Never checked"),
    ] {
        assert!(shown.contains(text), "{text:?} missing from:\n{shown}");
    }
    // Not in order first: the never-checked picture leads the table.
    let first = browser
        .run(
            "return document.querySelector('#rows tr th').textContent;",
            vec![],
        )
        .await;
    assert_eq!(first, json!("never-checked.jpg"));
    keep(&browser, "2-findings").await;
    // A communications officer may look on a phone too: the same findings,
    // the table scrolling sideways inside its own box, the page not.
    if let Some(phone) = Browser::open(&format!("{test}_phone"), language, Screen::PHONE).await {
        let code = admin.sign_in_code(comms_id).await;
        phone
            .sign_in_to_console(&format!("{}/console/sign-in#code={code}", server.url))
            .await;
        phone.goto(&format!("{}/console/media", server.url)).await;
        phone
            .wait_for("#files")
            .await
            .send_keys(&paths.join("\n"))
            .await
            .unwrap();
        phone.wait_for("#result:not([hidden])").await;
        assert_eq!(findings(&phone).await, findings(&browser).await);
        keep(&phone, "findings-phone").await;
        let sideways = phone
            .run(
                "return document.documentElement.scrollWidth > window.innerWidth;",
                vec![],
            )
            .await;
        assert_eq!(sideways, json!(false), "the page scrolls sideways on a phone");
        phone.close().await;
    }

    // One step: both go on the takedown list.
    // By keyboard: Enter on the button, as on every button below.
    browser
        .wait_for("#take-down-all")
        .await
        .send_keys(&Key::Enter.to_string())
        .await
        .unwrap();
    browser
        .wait_for_text(says(
            language,
            "Op de lijst om weg te halen gezet: 2 foto's.",
            "Added to the takedown list: 2 pictures.",
        ))
        .await;
    let focused = browser.run("return document.activeElement.id;", vec![]).await;
    assert_eq!(focused, json!("done"), "the focus is on what was done");
    let requests = comms.get("/v1/media/takedowns").await;
    assert_eq!(
        requests.body["takedowns"].as_array().map(Vec::len),
        Some(2),
        "{requests:?}"
    );
    keep(&browser, "3-requested").await;

    // The takedown list shows both; marking the withdrawn one taken down
    // also takes its publication down.
    browser.goto(&format!("{}/console/takedowns", server.url)).await;
    browser.wait_for("#media-list:not([hidden])").await;
    let rows = browser
        .run(
            "return document.querySelectorAll('#media-rows tr').length;",
            vec![],
        )
        .await;
    assert_eq!(rows, json!(2));
    keep(&browser, "4-takedowns").await;
    for name in ["never-checked.jpg", "sports-day.jpg"] {
        browser
            .wait_for("#media-rows tr button")
            .await
            .send_keys(&Key::Enter.to_string())
            .await
            .unwrap();
        browser
            .wait_for_text(&match language {
                Language::Dutch => format!("{name} is gemeld als weggehaald."),
                Language::English => format!("{name} is marked as taken down."),
            })
            .await;
    }
    browser.wait_for("#media-empty:not([hidden])").await;
    keep(&browser, "5-takedowns-done").await;
    // The sports day publication came down with its picture.
    let flagged = comms.get("/v1/publications?flagged=true").await;
    assert_eq!(flagged.body, json!([]), "{flagged:?}");
    browser.close().await;
}

#[tokio::test]
async fn communications_audits_the_website_copy_in_dutch() {
    communications_audits_the_website_copy(Language::Dutch).await;
}

#[tokio::test]
async fn communications_audits_the_website_copy_in_english() {
    communications_audits_the_website_copy(Language::English).await;
}
