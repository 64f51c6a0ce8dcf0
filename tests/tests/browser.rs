//! The browser test harness itself: a phone's screen and language, separate
//! profiles for two phones, screenshots, and axe-core finding a real
//! violation. Skipped (and says so) without Chromium, except under `CI=true`.
#![allow(missing_docs, clippy::unwrap_used)]

use consent_tests::browser::{Browser, Language, Screen};
use consent_tests::{Db, TestServer};
use serde_json::json;

/// Any page of the server's origin: the protocol module, shown as text.
fn a_page(server: &TestServer) -> String {
    format!("{}/assets/js/protocol.js", server.url)
}

#[tokio::test]
async fn a_phone_browser_has_the_phone_screen_and_asks_for_its_language() {
    let server = TestServer::start(Db::Sqlite).await.unwrap();
    for (language, screen) in [
        (Language::Dutch, Screen::PHONE),
        (Language::English, Screen::NARROW),
    ] {
        let Some(phone) = Browser::open("harness_screen", language, screen).await else {
            return;
        };
        phone.goto(&a_page(&server)).await;
        // A page for phones declares its viewport; then it is the screen's width.
        let seen = phone
            .run(
                "const viewport = document.createElement('meta');
                 viewport.name = 'viewport';
                 viewport.content = 'width=device-width, initial-scale=1';
                 document.head.append(viewport);
                 await new Promise((resolve) => requestAnimationFrame(resolve));
                 return [window.innerWidth, navigator.language, navigator.languages[0]];",
                vec![],
            )
            .await;
        assert_eq!(seen, json!([screen.width, language.tag(), language.tag()]));
        phone.close().await;
    }
}

#[tokio::test]
async fn two_phones_keep_separate_storage() {
    let server = TestServer::start(Db::Sqlite).await.unwrap();
    let Some(child) = Browser::open("harness_two_phones", Language::Dutch, Screen::PHONE).await else {
        return;
    };
    let Some(parent) = Browser::open("harness_two_phones", Language::English, Screen::PHONE).await else {
        return;
    };
    child.goto(&a_page(&server)).await;
    parent.goto(&a_page(&server)).await;
    child.run("localStorage.setItem('who', 'child');", vec![]).await;
    assert_eq!(
        child.run("return localStorage.getItem('who');", vec![]).await,
        json!("child")
    );
    assert_eq!(
        parent.run("return localStorage.getItem('who');", vec![]).await,
        json!(null)
    );
    child.close().await;
    parent.close().await;
}

#[tokio::test]
async fn screenshots_are_kept_and_axe_finds_a_missing_alternative_text() {
    let server = TestServer::start(Db::Sqlite).await.unwrap();
    let Some(phone) = Browser::open("harness_artifacts", Language::English, Screen::PHONE).await else {
        return;
    };
    phone.goto(&a_page(&server)).await;
    phone
        .run(
            "document.documentElement.lang = 'en';
             document.title = 'harness';
             document.body.replaceChildren();
             const main = document.createElement('main');
             const heading = document.createElement('h1');
             heading.textContent = 'Waiting is polling';
             main.append(heading);
             setTimeout(() => document.body.append(main), 200);",
            vec![],
        )
        .await;
    phone.wait_for("main h1").await;
    phone.wait_for_text("Waiting is polling").await;

    // Typing and clicking, as a person would.
    phone
        .run(
            "const label = document.createElement('label');
             label.textContent = 'Name';
             const field = document.createElement('input');
             field.id = 'name';
             label.append(field);
             const button = document.createElement('button');
             button.textContent = 'Greet';
             button.addEventListener('click', () => {
               const greeting = document.createElement('p');
               greeting.textContent = 'Hello ' + field.value;
               document.querySelector('main').append(greeting);
             });
             document.querySelector('main').append(label, button);",
            vec![],
        )
        .await;
    phone.fill("#name", "Noor").await;
    phone.click("main button").await;
    phone.wait_for_text("Hello Noor").await;
    assert_eq!(phone.path().await, "/assets/js/protocol.js");
    let path = phone.screenshot("heading").await;
    assert!(
        path.ends_with("harness_artifacts/heading.png"),
        "{}",
        path.display()
    );
    assert!(std::fs::read(&path).unwrap().starts_with(b"\x89PNG"));

    let Some(clean) = phone.axe_violations().await else {
        return;
    };
    assert_eq!(clean, Vec::<serde_json::Value>::new());
    phone
        .run("const image = document.createElement('img'); image.src = '/assets/none.png'; document.querySelector('main').append(image);", vec![])
        .await;
    let violations = phone.axe_violations().await.unwrap();
    let ids: Vec<&str> = violations.iter().filter_map(|v| v["id"].as_str()).collect();
    assert_eq!(ids, ["image-alt"]);
    phone.close().await;
}
