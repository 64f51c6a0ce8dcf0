//! The administrator's console end to end in real Chromium at a desk's
//! size, in Dutch and in English: import a class list with a bad row,
//! see the group, make and print its enrollment cards (QR codes that
//! decode to the enrollment link), give a new teacher a sign-in code with
//! which they sign in, cut off a lost phone and change the school's
//! settings. Every screen is kept as a screenshot (target/screenshots/)
//! and checked with axe-core. Skipped (and says so) without Chromium,
//! except under `CI=true`.
#![allow(missing_docs, clippy::unwrap_used)]

use consent_tests::browser::{screenshot_folder, Browser, Language, Screen};
use consent_tests::{Api, TestServer};
use fantoccini::wd::{PrintConfiguration, PrintMargins, PrintSize};
use reqwest::StatusCode;
use serde_json::json;

/// What a page says, in each language: the tests read the page as its user does.
fn says(language: Language, dutch: &'static str, english: &'static str) -> &'static str {
    match language {
        Language::Dutch => dutch,
        Language::English => english,
    }
}

/// A class of 30 students of 3B, and on row 5 (the header is row 1) a
/// birth date that is no date.
fn class_list() -> String {
    let mut csv = String::from("external_id,display_name,group,birth_date\n");
    for n in 1..=31 {
        if n == 4 {
            csv.push_str("1004,Bram Bos,3B,2011-13-45\n");
        } else {
            csv.push_str(&format!(
                "{},Leerling {n:02},3B,2011-0{}-1{}\n",
                1000 + n,
                n % 9 + 1,
                n % 10
            ));
        }
    }
    csv
}

/// The console sign-in link of a new staff member with `role`.
async fn sign_in_link(admin: &Api, name: &str, role: &str) -> String {
    let (_, id) = admin.staff_member(name, role).await;
    let code = admin
        .post(&format!("/v1/staff/{id}/sign-in-codes"), json!({}))
        .await;
    assert_eq!(code.status, StatusCode::CREATED, "{code:?}");
    code.body["link"].as_str().unwrap().to_owned()
}

async fn an_administrator_prepares_a_class(language: Language, test: &str) {
    let Some(server) = TestServer::start(consent_tests::Db::Sqlite).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let Some(browser) = Browser::open(test, language, Screen::DESKTOP).await else {
        return;
    };
    browser
        .sign_in_to_console(&sign_in_link(&admin, "Anna", "admin").await)
        .await;

    // Import the class list: 30 people, row 5 refused with its reason.
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("3B.csv");
    std::fs::write(&file, class_list()).unwrap();
    browser.goto(&format!("{}/console/import", server.url)).await;
    browser
        .wait_for("#file")
        .await
        .send_keys(file.to_str().unwrap())
        .await
        .unwrap();
    browser.assert_accessible("the import page").await;
    browser.click("#submit").await;
    browser
        .wait_for_text(says(
            language,
            "Klaar: 30 nieuw, 0 bijgewerkt.",
            "Done: 30 new, 0 updated.",
        ))
        .await;
    let refused = browser
        .run(
            "return [...document.querySelectorAll('#rows tr')].map((row) => row.innerText);",
            vec![],
        )
        .await;
    assert_eq!(
        refused,
        json!([says(
            language,
            "5\tde geboortedatum is geen datum zoals 2011-04-23",
            "5\tthe birth date is not a date such as 2011-04-23"
        )])
    );
    let progress = browser
        .run(
            "const bar = document.getElementById('progress'); return [bar.value, bar.max];",
            vec![],
        )
        .await;
    assert_eq!(progress, json!([31, 31]));
    browser.screenshot("import").await;
    browser.assert_accessible("the import's result").await;

    // Two parents, one of them of two children.
    for (guardian, children) in [
        ("Ouder Een", &["1001", "1002"][..]),
        ("Ouder Twee", &["1003"][..]),
    ] {
        let id = admin.person("guardian", guardian, "", "").await;
        for child in children {
            let linked = admin
                .post(
                    &format!("/v1/people/{child}/guardians"),
                    json!({"guardian": id.to_string()}),
                )
                .await;
            assert_eq!(linked.status, StatusCode::NO_CONTENT, "{linked:?}");
        }
    }

    // The group, with links to its people and its cards.
    browser.goto(&format!("{}/console/groups", server.url)).await;
    browser.wait_for("#groups tr").await;
    let row = browser
        .run("return document.querySelector('#groups tr').innerText;", vec![])
        .await;
    let row = row.as_str().unwrap();
    assert!(row.starts_with("3B\t30\t2\t"), "{row}");
    browser.screenshot("groups").await;
    browser.assert_accessible("the groups page").await;

    // The cards: nothing is made until asked, and earlier codes stay valid.
    browser.click("#groups a.sheet").await;
    browser
        .wait_for_text(says(language, "blijven werken", "keep working"))
        .await;
    assert_eq!(browser.path().await, "/console/sheets?group=3B");
    browser
        .assert_accessible("the sheet page before codes are made")
        .await;
    browser.click("#make").await;
    browser.wait_for("#print-box:not([hidden])").await;
    let cards = browser
        .run("return document.querySelectorAll('.card').length;", vec![])
        .await;
    assert_eq!(cards, json!(32), "30 students and 2 parents");
    browser
        .wait_for_text(says(
            language,
            "ouder of verzorger van Leerling 01, Leerling 02",
            "parent or guardian of Leerling 01, Leerling 02",
        ))
        .await;
    // The first card's QR code, as a camera sees it (drawn again alone and
    // larger, above the page), holds the enrollment link with the code
    // printed beside it.
    let code = browser
        .run(
            "const box = document.createElement('div');\n\
             box.id = 'qr-check';\n\
             Object.assign(box.style, {position: 'fixed', left: '0', top: '0', width: '320px', zIndex: '10', background: '#fff'});\n\
             box.append(document.querySelector('.card-qr svg').cloneNode(true));\n\
             document.body.append(box);\n\
             return document.querySelector('.card-code-value').textContent;",
            vec![],
        )
        .await;
    let qr = browser.wait_for("#qr-check").await.screenshot().await.unwrap();
    std::fs::write(screenshot_folder().join(test).join("card-qr.png"), &qr).unwrap();
    let link = consent_qr::read_text(&qr).unwrap();
    assert_eq!(
        link,
        format!("{}/enroll#code={}", server.url, code.as_str().unwrap())
    );
    browser
        .run("document.getElementById('qr-check').remove();", vec![])
        .await;
    browser.screenshot("sheet").await;
    browser.assert_accessible("the sheet page with cards").await;
    // Printed on A4: eight cards a page, the parents on a page of their own.
    let pdf = browser
        .client
        .print(
            PrintConfiguration::builder()
                .size(PrintSize {
                    width: 21.0,
                    height: 29.7,
                })
                .margins(PrintMargins {
                    top: 0.0,
                    bottom: 0.0,
                    left: 0.0,
                    right: 0.0,
                })
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    let folder = screenshot_folder().join(test);
    std::fs::write(folder.join("sheet.pdf"), &pdf).unwrap();
    // The page tree's count: 30 students on four pages, then the parents.
    let text = String::from_utf8_lossy(&pdf);
    let pages: Vec<u32> = regex::Regex::new(r"/Count (\d+)")
        .unwrap()
        .captures_iter(&text)
        .map(|found| found[1].parse().unwrap())
        .collect();
    assert_eq!(pages.iter().max(), Some(&5), "{pages:?}");

    // A new teacher gets a sign-in code and signs in with it.
    browser.goto(&format!("{}/console/staff", server.url)).await;
    browser.fill("#name", "Tess Teacher").await;
    browser.click("#add button[type=submit]").await;
    browser
        .wait_for_text(says(
            language,
            "Tess Teacher is toegevoegd",
            "Tess Teacher was added",
        ))
        .await;
    browser.click("#sign-in-code").await;
    browser.wait_for("#code-box:not([hidden])").await;
    let link = browser
        .run("return document.getElementById('code-qr').dataset.link;", vec![])
        .await;
    let link = link.as_str().unwrap().to_owned();
    let code = browser
        .run("return document.getElementById('code').textContent;", vec![])
        .await;
    assert_eq!(
        link,
        format!("{}/console/sign-in#code={}", server.url, code.as_str().unwrap())
    );
    let qr = browser.wait_for("#code-qr").await.screenshot().await.unwrap();
    assert_eq!(consent_qr::read_text(&qr).unwrap(), link);
    browser.screenshot("staff-sign-in-code").await;
    browser
        .assert_accessible("the staff page with a sign-in code")
        .await;
    let teacher = Browser::open(&format!("{test}_teacher"), language, Screen::DESKTOP)
        .await
        .unwrap();
    teacher.sign_in_to_console(&link).await;
    teacher.wait_for_text("Tess Teacher").await;
    teacher.close().await;
    // Their browser session is listed, without its secret, and revocable.
    browser.reload().await;
    browser.click("#staff tr:last-child .manage").await;
    browser
        .wait_for_text(says(
            language,
            "aangemeld in een browser",
            "signed in in a browser",
        ))
        .await;
    browser.screenshot("staff-tokens").await;
    browser.assert_accessible("the staff page with tokens").await;

    // A lost phone is found by the student's number and cut off.
    let student = admin.get("/v1/people/1007").await.body["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let phone = admin.enroll(student).await;
    browser.goto(&format!("{}/console/people", server.url)).await;
    browser.fill("#who", "1007").await;
    browser.click("#find button[type=submit]").await;
    browser.wait_for(".cut-off").await;
    browser.assert_accessible("a person with a phone").await;
    browser.click(".cut-off").await;
    browser.client.accept_alert().await.unwrap();
    browser
        .wait_for_text(&format!(
            "{} {}",
            says(language, "Telefoon", "Phone"),
            phone.key_id()
        ))
        .await;
    browser
        .wait_for_text(says(language, "is afgesloten", "is cut off"))
        .await;
    let devices = admin.get(&format!("/v1/people/{student}/devices")).await.body;
    assert!(devices[0]["revoked_at"].is_i64(), "{devices}");
    browser.screenshot("person-cut-off").await;
    browser.assert_accessible("a person with a phone cut off").await;

    // The school's settings.
    browser.goto(&format!("{}/console/settings", server.url)).await;
    browser.wait_for_text("De Linde").await;
    browser.fill("#age", "15").await;
    browser.click("#settings button[type=submit]").await;
    browser.wait_for("#done:not([hidden])").await;
    assert_eq!(admin.get("/v1/school").await.body["digital_consent_age"], 15);
    browser.fill("#age", "12").await;
    browser.click("#settings button[type=submit]").await;
    browser
        .wait_for_text(says(language, "tussen 13 en 16", "between 13 and 16"))
        .await;
    browser.screenshot("settings").await;
    browser.assert_accessible("the settings page").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_imports_a_class_prints_its_cards_lets_a_teacher_in_and_cuts_off_a_lost_phone_in_dutch(
) {
    an_administrator_prepares_a_class(Language::Dutch, "console_admin_nl").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_imports_a_class_prints_its_cards_lets_a_teacher_in_and_cuts_off_a_lost_phone_in_english(
) {
    an_administrator_prepares_a_class(Language::English, "console_admin_en").await;
}
