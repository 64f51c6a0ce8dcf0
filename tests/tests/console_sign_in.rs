//! Signing in to the staff console and out again in real Chromium, with the
//! link of a one-time code an administrator handed over, in Dutch and in
//! English, axe-clean, with screenshots. Skipped (and says so) without
//! Chromium, except under `CI=true`.
#![allow(missing_docs, clippy::unwrap_used)]

use consent_tests::browser::{Browser, Language, Screen};
use consent_tests::{Db, TestServer};
use reqwest::StatusCode;
use serde_json::json;

async fn signs_in_with_a_code_link_and_out(language: Language, test: &str) {
    let server = TestServer::start(Db::Sqlite).await.unwrap();
    let admin = server.admin("De Linde").await;
    let (_, teacher) = admin.staff_member("Tess Jansen", "teacher").await;
    let code = admin
        .post(&format!("/v1/staff/{teacher}/sign-in-codes"), json!({}))
        .await;
    assert_eq!(code.status, StatusCode::CREATED, "{code:?}");
    let link = code.body["link"].as_str().unwrap();
    assert!(link.ends_with(&format!(
        "/console/sign-in#code={}",
        code.body["code"].as_str().unwrap()
    )));
    let Some(browser) = Browser::open(test, language, Screen::PHONE).await else {
        return;
    };
    let says = |dutch: &'static str, english: &'static str| match language {
        Language::Dutch => dutch,
        Language::English => english,
    };

    // A browser without a session is sent to sign in first.
    browser.goto(&format!("{}/console", server.url)).await;
    browser.wait_for("form[action='/console/sign-in']").await;
    assert_eq!(browser.path().await, "/console/sign-in?next=/console");

    browser.goto(link).await;
    let filled = browser
        .run("return document.getElementById('code').value;", vec![])
        .await;
    assert_eq!(filled, code.body["code"], "the link fills in the code");
    assert_eq!(
        browser.path().await,
        "/console/sign-in",
        "the code leaves the address bar"
    );
    browser.screenshot("sign-in").await;
    browser.assert_accessible("the sign-in page").await;

    browser
        .click("form[action='/console/sign-in'] button[type=submit]")
        .await;
    browser.wait_for("meta[name='csrf-token']").await;
    browser.wait_for_text("Tess Jansen").await;
    browser.wait_for_text(says("docent", "teacher")).await;
    browser.screenshot("home").await;
    browser.assert_accessible("the console's home").await;

    // The code worked once.
    browser.click(".sign-out button").await;
    browser
        .wait_for_text(says("Je bent uitgelogd.", "You are signed out."))
        .await;
    browser.goto(link).await;
    browser
        .click("form[action='/console/sign-in'] button[type=submit]")
        .await;
    browser
        .wait_for_text(says(
            "Die code of dat token werkt niet",
            "That code or token does not work",
        ))
        .await;
    browser.screenshot("code-used").await;
    browser.assert_accessible("a refused sign-in").await;
    browser.close().await;
}

#[tokio::test]
async fn a_teacher_signs_in_with_a_code_link_and_out_in_dutch() {
    signs_in_with_a_code_link_and_out(Language::Dutch, "console_sign_in_nl").await;
}

#[tokio::test]
async fn a_teacher_signs_in_with_a_code_link_and_out_in_english() {
    signs_in_with_a_code_link_and_out(Language::English, "console_sign_in_en").await;
}
