//! The phone app for students and parents, end to end in real Chromium at a
//! phone's size against the real server: set up a phone from the printed
//! link, give, show, co-sign and withdraw consent, offline showing, the
//! record and its download, bad input, and the keyboard alone, in Dutch
//! and in English. Every main screen is kept as a screenshot
//! (target/screenshots/) and checked with axe-core. Skipped (and says so)
//! without Chromium, except under `CI=true`.
#![allow(missing_docs, clippy::unwrap_used)]

use consent_protocol::SubjectId;
use consent_tests::browser::{Browser, Language, Screen};
use consent_tests::{media_hash, on_both_databases, Api, Db, TestServer};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use reqwest::StatusCode;
use serde_json::json;

/// What a page says, in each language: the tests read the page as its user does.
fn says(language: Language, dutch: &'static str, english: &'static str) -> &'static str {
    match language {
        Language::Dutch => dutch,
        Language::English => english,
    }
}

/// A school with a teacher; returns the administrator and the teacher.
async fn school(server: &TestServer) -> (Api, Api) {
    let admin = server.admin("De Linde").await;
    let teacher = admin.staff("Tess", "teacher").await;
    (admin, teacher)
}

/// The link a printed enrollment code holds for `person`.
async fn enrollment_link(admin: &Api, person: SubjectId) -> String {
    let code = admin
        .post(&format!("/v1/people/{person}/enrollment-codes"), json!({}))
        .await;
    assert_eq!(code.status, StatusCode::OK, "{code:?}");
    code.body["link"].as_str().unwrap().to_owned()
}

/// The teacher's check of a website photo with `person` in it, through the API.
async fn website_photo_check(teacher: &Api, person: SubjectId) -> serde_json::Value {
    let answer = teacher
        .post(
            "/v1/checks",
            json!({"media_hash": media_hash(b"class photo"), "media_kind": "photo", "purpose": "website", "people": [person.to_string()]}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    answer.body
}

/// The teacher's verdict for `person` on a website photo, through the API.
async fn website_photo_verdict(teacher: &Api, person: SubjectId) -> String {
    let answer = teacher
        .post(
            "/v1/checks",
            json!({"media_hash": media_hash(b"class photo"), "media_kind": "photo", "purpose": "website", "people": [person.to_string()]}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    answer.body["verdicts"][0]["outcome"].as_str().unwrap().to_owned()
}

/// Sets up `phone` from the printed link and waits until it says so.
async fn enroll(phone: &Browser, link: &str) {
    phone.goto(link).await;
    phone.wait_for("#enroll-done:not([hidden])").await;
}

/// Ticks the named boxes on the give page and asks to review.
async fn choose(phone: &Browser, boxes: &[&str]) {
    phone.wait_for("#give-form").await;
    for id in boxes {
        phone.wait_for(&format!("#{id}")).await.click().await.unwrap();
    }
    phone
        .wait_for("#give-form button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    phone.wait_for("#review:not([hidden])").await;
}

/// Takes a screenshot named `name` and checks the page with axe-core.
async fn keep(phone: &Browser, name: &str) {
    phone.screenshot(name).await;
    phone.assert_accessible(name).await;
}

async fn student_enrolls_gives_shows_and_withdraws(language: Language) {
    let test = format!("student_{}", language.tag());
    let server = TestServer::start(Db::Sqlite).await.unwrap();
    let (admin, teacher) = school(&server).await;
    let sam = admin.person("student", "Sam", "3B", "2008-05-01").await;
    let Some(phone) = Browser::open(&test, language, Screen::PHONE).await else {
        return;
    };

    phone.goto(&format!("{}/", server.url)).await;
    phone
        .wait_for_text(says(language, "nog niet ingesteld", "not set up yet"))
        .await;
    keep(&phone, "1-start").await;

    let link = enrollment_link(&admin, sam).await;
    assert!(
        link.starts_with(&format!("{}/enroll#code=", server.url)),
        "{link}"
    );
    enroll(&phone, &link).await;
    phone
        .wait_for_text(says(language, "ingesteld voor Sam", "set up for Sam"))
        .await;
    keep(&phone, "2-enrolled").await;

    phone.goto(&format!("{}/give", server.url)).await;
    keep(&phone, "3-give").await;
    choose(
        &phone,
        &[
            "media-photo",
            "media-video",
            "purpose-website",
            "purpose-yearbook",
        ],
    )
    .await;
    phone
        .wait_for_text(says(language, "foto's en video's", "photos and videos"))
        .await;
    keep(&phone, "4-give-review").await;
    phone.wait_for("#sign").await.click().await.unwrap();
    phone.wait_for("#given:not([hidden])").await;
    assert_eq!(website_photo_verdict(&teacher, sam).await, "allowed");

    phone.goto(&format!("{}/show", server.url)).await;
    phone.wait_for("#qr svg").await;
    phone
        .wait_for_text(says(language, "de website van school", "the school's website"))
        .await;
    keep(&phone, "5-show").await;
    let shown = consent_qr::read_text(&std::fs::read(phone.screenshot("5-show").await).unwrap()).unwrap();
    let token = consent_protocol::SignedGrant::from_text(&shown).unwrap();
    assert_eq!(
        token.unverified().subject,
        sam,
        "the QR code on screen is Sam's consent"
    );

    // The class photo goes on the website.
    let checked = website_photo_check(&teacher, sam).await;
    let published = teacher
        .post(
            "/v1/publications",
            json!({"receipt_id": checked["receipt_id"], "channel": "website", "url": "https://school.example/news/1"}),
        )
        .await;
    assert_eq!(published.status, StatusCode::CREATED, "{published:?}");

    phone.wait_for("#withdraw-link").await.click().await.unwrap();
    phone.wait_for("#confirm:not([hidden])").await;
    phone.wait_for_text("https://school.example/news/1").await;
    keep(&phone, "6-withdraw").await;
    phone.wait_for("#withdraw").await.click().await.unwrap();
    phone.wait_for("#withdrawn:not([hidden])").await;
    phone
        .wait_for_text(says(language, "Ingetrokken op", "Withdrawn on"))
        .await;
    phone
        .wait_for_text(says(
            language,
            "Publicaties die de school moet weghalen: 1.",
            "Publications flagged for the school to take down: 1.",
        ))
        .await;
    keep(&phone, "7-withdrawn").await;
    assert_eq!(website_photo_verdict(&teacher, sam).await, "revoked");
    let comms = admin.staff("Cas", "communications").await;
    let flagged = comms.get("/v1/publications?flagged=true").await.body;
    assert_eq!(flagged[0]["url"], "https://school.example/news/1", "{flagged}");

    phone.goto(&format!("{}/show", server.url)).await;
    phone.wait_for("#none:not([hidden])").await;
    phone.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_student_enrolls_gives_shows_and_withdraws_in_dutch() {
    student_enrolls_gives_shows_and_withdraws(Language::Dutch).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_student_enrolls_gives_shows_and_withdraws_in_english() {
    student_enrolls_gives_shows_and_withdraws(Language::English).await;
}

/// Presses and releases `key` on the phone's keyboard, wherever focus is.
async fn press(phone: &Browser, key: Key) {
    let keys = KeyActions::new("keyboard".to_owned())
        .then(KeyAction::Down { value: key.into() })
        .then(KeyAction::Up { value: key.into() });
    phone.client.perform_actions(keys).await.unwrap();
}

/// Presses Tab until the element matching `selector` has focus. Every
/// control Tab lands on on the way must be on screen and show a focus
/// outline: a keyboard user has to see where they are.
async fn tab_to(phone: &Browser, selector: &str) {
    const MOST_TABS: usize = 40;
    for _ in 0..MOST_TABS {
        press(phone, Key::Tab).await;
        let focused = phone
            .run(
                "const element = document.activeElement;
                 const box = element.getBoundingClientRect();
                 return {
                   wanted: element.matches(args[0]),
                   html: element.outerHTML.slice(0, 120),
                   outline: getComputedStyle(element).outlineStyle,
                   on_screen: box.width > 0 && box.height > 0
                     && box.bottom > 0 && box.top < window.innerHeight,
                 };",
                vec![json!(selector)],
            )
            .await;
        if focused["html"].as_str().unwrap_or("").starts_with("<body") {
            continue; // Past the last control, Tab comes round through the page itself.
        }
        assert_eq!(focused["on_screen"], true, "focused but off screen: {focused}");
        assert_ne!(
            focused["outline"], "none",
            "focused without an outline: {focused}"
        );
        if focused["wanted"] == true {
            return;
        }
    }
    panic!(
        "{MOST_TABS} presses of Tab never reached {selector:?}; the page shows:\n{}",
        phone.visible_text().await
    );
}

/// The phone app promises every flow works with the keyboard alone: a
/// student sets up their phone from the printed link, gives consent, sees
/// the QR code and withdraws it with Tab, Space and Enter, never a click or
/// a tap, and sees where the focus is at every step.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_student_gives_shows_and_withdraws_consent_with_the_keyboard_alone() {
    let server = TestServer::start(Db::Sqlite).await.unwrap();
    let (admin, teacher) = school(&server).await;
    let sam = admin.person("student", "Sam", "3B", "2008-05-01").await;
    let Some(phone) = Browser::open("keyboard", Language::English, Screen::PHONE).await else {
        return;
    };

    // The phone's camera opens the printed link; the page does the rest.
    enroll(&phone, &enrollment_link(&admin, sam).await).await;
    tab_to(&phone, "#enroll-done a[href='/give']").await;
    press(&phone, Key::Enter).await;

    phone.wait_for("#give-form").await;
    for choice in ["#media-photo", "#purpose-website"] {
        tab_to(&phone, choice).await;
        press(&phone, Key::Space).await;
    }
    tab_to(&phone, "#give-form button[type=submit]").await;
    press(&phone, Key::Enter).await;
    phone.wait_for("#review:not([hidden])").await;
    phone.wait_for_text("the school's website").await;
    tab_to(&phone, "#sign").await;
    press(&phone, Key::Enter).await;
    phone.wait_for("#given:not([hidden])").await;
    assert_eq!(website_photo_verdict(&teacher, sam).await, "allowed");
    tab_to(&phone, "#given a[href='/show']").await;
    press(&phone, Key::Enter).await;

    phone.wait_for("#qr svg").await;
    let shown = consent_qr::read_text(&std::fs::read(phone.screenshot("show").await).unwrap()).unwrap();
    let token = consent_protocol::SignedGrant::from_text(&shown).unwrap();
    assert_eq!(
        token.unverified().subject,
        sam,
        "the QR code on screen is Sam's consent"
    );
    tab_to(&phone, "#withdraw-link").await;
    press(&phone, Key::Enter).await;

    phone.wait_for("#confirm:not([hidden])").await;
    tab_to(&phone, "#withdraw").await;
    press(&phone, Key::Enter).await;
    phone.wait_for("#withdrawn:not([hidden])").await;
    phone.wait_for_text("Withdrawn on").await;
    assert_eq!(website_photo_verdict(&teacher, sam).await, "revoked");
    phone.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parent_cosigns_from_their_own_phone_and_a_tampered_request_is_refused() {
    let server = TestServer::start(Db::Sqlite).await.unwrap();
    let (admin, teacher) = school(&server).await;
    let yara = admin.person("student", "Yara", "1A", "2013-09-01").await;
    let pia = admin.person("guardian", "Pia", "", "").await;
    let linked = admin
        .post(
            &format!("/v1/people/{yara}/guardians"),
            json!({"guardian": pia.to_string()}),
        )
        .await;
    assert!(linked.status.is_success(), "{linked:?}");
    let Some(child) = Browser::open("cosign_child", Language::Dutch, Screen::PHONE).await else {
        return;
    };
    let Some(parent) = Browser::open("cosign_parent", Language::English, Screen::PHONE).await else {
        return;
    };
    enroll(&parent, &enrollment_link(&admin, pia).await).await;
    enroll(&child, &enrollment_link(&admin, yara).await).await;

    child.goto(&format!("{}/give", server.url)).await;
    child.wait_for("#guardian-field:not([hidden])").await;
    child.wait_for_text("Welke ouder tekent mee?").await;
    choose(&child, &["media-photo", "purpose-website"]).await;
    child.wait_for_text("Yara en Pia (ouder)").await;
    child.wait_for("#sign").await.click().await.unwrap();
    child.wait_for("#pending:not([hidden]) #pending-qr svg").await;
    keep(&child, "1-waiting-for-parent").await;
    let link = child
        .wait_for("#pending-link")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert!(link.starts_with(&format!("{}/cosign#", server.url)), "{link}");
    // Not valid until the parent signs.
    assert_eq!(website_photo_verdict(&teacher, yara).await, "no_consent");

    // A request changed on its way (here: press added) is refused, in the
    // parent's language, before anything is signed.
    parent.goto(&format!("{}/", server.url)).await;
    let tampered = parent
        .run(
            "const protocol = await import('/assets/js/protocol.js');
             const [base, fragment] = args[0].split('#');
             const params = new URLSearchParams(fragment);
             const claims = protocol.decodeClaims('grant', protocol.base64urlDecode(params.get('claims')));
             claims.purposes.push('press');
             params.set('claims', protocol.base64urlEncode(protocol.encodeClaims('grant', claims)));
             return `${base}#${params}`;",
            vec![json!(link)],
        )
        .await;
    parent.goto(tampered.as_str().unwrap()).await;
    parent
        .wait_for_text("This request was changed or damaged after your child made it")
        .await;
    keep(&parent, "2-tampered").await;

    parent.goto(&link).await;
    parent.wait_for("#request:not([hidden])").await;
    parent
        .wait_for_text("Yara asks you to co-sign this consent")
        .await;
    parent.wait_for_text("the school's website").await;
    keep(&parent, "3-cosign").await;
    parent.wait_for("#sign").await.click().await.unwrap();
    parent.wait_for("#signed:not([hidden])").await;
    keep(&parent, "4-cosigned").await;
    assert_eq!(website_photo_verdict(&teacher, yara).await, "allowed");

    // The parent sees and manages the child from their own phone.
    parent.goto(&format!("{}/record", server.url)).await;
    parent.wait_for_text("Yara (my child)").await;
    parent.wait_for("#people .tokens li").await;
    keep(&parent, "5-record").await;
    let downloaded = parent
        .run(
            "const saved = new Promise((resolve) => {
               URL.createObjectURL = (file) => { resolve(file); return 'about:blank'; };
               HTMLAnchorElement.prototype.click = function () {};
             });
             document.getElementById('download').click();
             return JSON.parse(await (await saved).text());",
            vec![],
        )
        .await;
    assert_eq!(downloaded["person"]["display_name"], "Pia");
    assert_eq!(downloaded["children"][0]["person"]["display_name"], "Yara");
    assert_eq!(downloaded["children"][0]["tokens"].as_array().unwrap().len(), 1);
    child.close().await;
    parent.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_code_still_shows_after_the_server_stops() {
    let server = TestServer::start(Db::Sqlite).await.unwrap();
    let (admin, _) = school(&server).await;
    let sam = admin.person("student", "Sam", "3B", "2008-05-01").await;
    let Some(phone) = Browser::open("offline", Language::English, Screen::PHONE).await else {
        return;
    };
    enroll(&phone, &enrollment_link(&admin, sam).await).await;
    phone.goto(&format!("{}/give", server.url)).await;
    choose(&phone, &["media-photo", "purpose-yearbook"]).await;
    phone.wait_for("#sign").await.click().await.unwrap();
    phone.wait_for("#given:not([hidden])").await;
    phone.goto(&format!("{}/show", server.url)).await;
    phone.wait_for("#qr svg").await;
    // The service worker has kept every page and asset.
    phone
        .run(
            "await navigator.serviceWorker.ready;
             const cache = await caches.open('consent-app-v2');
             while (!(await cache.match('/assets/vendor/uqr/uqr.mjs'))) await new Promise((r) => setTimeout(r, 50));",
            vec![],
        )
        .await;

    server.stop().await;
    phone.client.refresh().await.unwrap();
    phone.wait_for("#qr svg").await;
    phone
        .wait_for_text("No connection: this is the copy kept on this phone")
        .await;
    phone.wait_for_text("the yearbook").await;
    keep(&phone, "show-offline").await;
    phone.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_used_or_mistyped_code_and_a_browser_without_ed25519_get_a_clear_message() {
    let server = TestServer::start(Db::Sqlite).await.unwrap();
    let (admin, _) = school(&server).await;
    let sam = admin.person("student", "Sam", "3B", "2008-05-01").await;
    let link = enrollment_link(&admin, sam).await;
    let Some(first) = Browser::open("bad_input_first", Language::English, Screen::PHONE).await else {
        return;
    };
    enroll(&first, &link).await;
    first.close().await;

    // Used: the same link on another phone. (An expired code gets the same
    // answer from the server, `bad_enrollment_code`, and so the same message.)
    let Some(second) = Browser::open("bad_input", Language::Dutch, Screen::PHONE).await else {
        return;
    };
    second.goto(&link).await;
    second.wait_for_text("Deze code werkt niet").await;
    keep(&second, "1-used-code").await;

    // Mistyped: too short to be a code at all.
    let field = second.wait_for("#code").await;
    field.clear().await.unwrap();
    field.send_keys("7K3M 9QX2").await.unwrap();
    second
        .wait_for("#enroll-form button")
        .await
        .click()
        .await
        .unwrap();
    second.wait_for_text("Een code heeft 16 letters en cijfers").await;
    keep(&second, "2-mistyped-code").await;

    // No Ed25519 in this browser's WebCrypto: the page says so, in Dutch.
    second.goto(&format!("{}/enroll", server.url)).await;
    second.wait_for("#enroll-form").await;
    second
        .run(
            "const refuse = () => Promise.reject(new DOMException('Unrecognized algorithm name', 'NotSupportedError'));
             crypto.subtle.generateKey = refuse;",
            vec![],
        )
        .await;
    let field = second.wait_for("#code").await;
    field.send_keys("7K3M9QX2HD4RTW8N").await.unwrap();
    second
        .wait_for("#enroll-form button")
        .await
        .click()
        .await
        .unwrap();
    second
        .wait_for_text("Deze browser kan geen veilige sleutel voor je toestemming maken")
        .await;
    keep(&second, "3-no-ed25519").await;
    second.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_fits_a_narrow_screen_at_double_text_size_without_accessibility_violations() {
    let server = TestServer::start(Db::Sqlite).await.unwrap();
    for language in [Language::Dutch, Language::English] {
        let Some(phone) = Browser::open("narrow", language, Screen::NARROW).await else {
            return;
        };
        for page in [
            "", "enroll", "give", "show", "cosign", "withdraw", "record", "lost",
        ] {
            phone.goto(&format!("{}/{page}", server.url)).await;
            phone.wait_for("main h1").await;
            // Let the page script finish (each ends in a message or its content).
            phone
                .run(
                    "await new Promise((resolve) => setTimeout(resolve, 300));",
                    vec![],
                )
                .await;
            phone
                .assert_accessible(&format!("/{page} ({})", language.tag()))
                .await;
            let overflow = phone
                .run(
                    "document.documentElement.style.fontSize = '200%';
                     await new Promise((resolve) => requestAnimationFrame(resolve));
                     return document.documentElement.scrollWidth - window.innerWidth;",
                    vec![],
                )
                .await;
            assert!(
                overflow.as_i64().unwrap() <= 0,
                "/{page} is wider than a 320 px screen at 200% text: {overflow} px"
            );
            if page == "lost" {
                phone.screenshot(&format!("lost-{}", language.tag())).await;
            }
        }
        phone.close().await;
    }
}

#[tokio::test]
async fn pages_speak_dutch_to_dutch_browsers_and_remember_the_switch() {
    let server = TestServer::start(Db::Sqlite).await.unwrap();
    let client = reqwest::Client::new();
    let page = |accept: &'static str, query: &'static str, cookie: Option<&'static str>| {
        let mut request = client
            .get(format!("{}/give{query}", server.url))
            .header("accept-language", accept);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send()
    };
    let dutch = page("nl-NL,nl;q=0.9,en;q=0.5", "", None).await.unwrap();
    assert_eq!(dutch.status(), StatusCode::OK);
    assert!(dutch.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("script-src 'self'"));
    let html = dutch.text().await.unwrap();
    assert!(html.contains("<html lang=\"nl\">") && html.contains("Toestemming geven"));
    let english = page("de-DE,de", "", None).await.unwrap().text().await.unwrap();
    assert!(english.contains("<html lang=\"en\">") && english.contains("Give consent"));

    let switched = page("nl", "?lang=en", None).await.unwrap();
    let cookie = switched.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("lang=en;"), "{cookie}");
    assert!(switched.text().await.unwrap().contains("Give consent"));
    let remembered = page("nl", "", Some("lang=en"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(remembered.contains("Give consent"));
    // No inline script: only modules from this origin and a JSON data block.
    assert!(!html.contains("<script>"));
}

async fn the_printed_code_links_to_the_app_and_keeps_the_code_out_of_server_logs(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let (admin, _) = school(&server).await;
    let sam = admin.person("student", "Sam", "3B", "2008-05-01").await;
    let code = admin
        .post(&format!("/v1/people/{sam}/enrollment-codes"), json!({}))
        .await;
    let secret = code.body["code"].as_str().unwrap();
    assert_eq!(code.body["qr_text"], format!("consent-enroll:{secret}"));
    assert_eq!(code.body["link"], format!("{}/enroll#code={secret}", server.url));
    let png = admin
        .client
        .post(format!(
            "{}/v1/people/{sam}/enrollment-codes?format=png",
            server.url
        ))
        .bearer_auth(admin.token.as_deref().unwrap())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let printed = consent_qr::read_text(&png).unwrap();
    assert!(
        printed.starts_with(&format!("{}/enroll#code=", server.url)),
        "{printed}"
    );
    // A teacher who scans the printed link by mistake is told what it is.
    let teacher = admin.staff("Tess", "teacher").await;
    let scanned = teacher.post("/v1/scans", json!({"token": printed})).await;
    assert_eq!(scanned.code(), "not_a_consent_code", "{scanned:?}");
}

async fn a_childs_record_names_the_guardians_who_can_cosign(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let (admin, _) = school(&server).await;
    let yara = admin.person("student", "Yara", "1A", "2013-09-01").await;
    let sam = admin.person("student", "Sam", "3B", "2008-05-01").await;
    let pia = admin.person("guardian", "Pia", "", "").await;
    admin
        .post(
            &format!("/v1/people/{yara}/guardians"),
            json!({"guardian": pia.to_string()}),
        )
        .await;
    let pia_phone = admin.enroll(pia).await;
    let yara_phone = admin.enroll(yara).await;
    let sam_phone = admin.enroll(sam).await;
    let record = yara_phone.signed_get("/v1/me").await.body;
    assert_eq!(record["needs_guardian"], true);
    assert_eq!(record["guardians"][0]["display_name"], "Pia");
    assert_eq!(
        record["guardians"][0]["key_ids"],
        json!([pia_phone.key_id().to_string()])
    );
    let record = sam_phone.signed_get("/v1/me").await.body;
    assert_eq!(record["needs_guardian"], false);
    assert_eq!(record["guardians"], json!([]));
}

// The API parts of the app (the link in printed codes, the record's
// guardians) on both databases; the browser flows above run on SQLite.
on_both_databases!(
    the_printed_code_links_to_the_app_and_keeps_the_code_out_of_server_logs,
    a_childs_record_names_the_guardians_who_can_cosign,
);
