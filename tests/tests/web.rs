//! The web layer: embedded assets with their type, caching and compression,
//! and the security headers every web response carries.
#![allow(missing_docs, clippy::unwrap_used)]

use consent_server::web::CONTENT_SECURITY_POLICY;
use consent_tests::{Db, TestServer};
use reqwest::header::{self, HeaderMap};
use reqwest::StatusCode;

async fn get(url: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers.get(name).map_or("", |value| value.to_str().unwrap())
}

fn assert_security_headers(headers: &HeaderMap) {
    assert_eq!(
        header(headers, "content-security-policy"),
        CONTENT_SECURITY_POLICY
    );
    assert_eq!(header(headers, "x-content-type-options"), "nosniff");
    assert_eq!(header(headers, "referrer-policy"), "no-referrer");
    assert!(header(headers, "permissions-policy").contains("camera=(self)"));
}

#[tokio::test]
async fn an_asset_is_served_with_its_type_cache_tag_and_security_headers() {
    let server = TestServer::start(Db::Sqlite).await.unwrap();
    let url = format!("{}/assets/js/protocol.js", server.url);
    let response = get(&url, &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(header(&headers, "content-type"), "text/javascript; charset=utf-8");
    assert_eq!(header(&headers, "cache-control"), "no-cache");
    assert_security_headers(&headers);
    let etag = header(&headers, "etag").to_owned();
    assert!(etag.starts_with("W/\""), "{etag}");
    let source = response.text().await.unwrap();
    let on_disk = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../server/web/static/js/protocol.js"
    ))
    .unwrap();
    assert_eq!(source, on_disk);

    // The browser's copy is still good: an empty 304 with the same tag.
    let again = get(&url, &[("if-none-match", &etag)]).await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(again.headers(), "etag"), etag);
    assert_security_headers(again.headers());
    assert!(again.bytes().await.unwrap().is_empty());

    // A stale copy gets the whole asset.
    let stale = get(&url, &[("if-none-match", "W/\"0000\"")]).await;
    assert_eq!(stale.status(), StatusCode::OK);
}

#[tokio::test]
async fn assets_are_compressed_as_the_browser_asks() {
    let server = TestServer::start(Db::Sqlite).await.unwrap();
    let url = format!("{}/assets/js/protocol.js", server.url);
    let plain = get(&url, &[]).await.bytes().await.unwrap();
    for encoding in ["br", "gzip"] {
        let response = get(&url, &[("accept-encoding", encoding)]).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(header(response.headers(), "content-encoding"), encoding);
        assert!(header(response.headers(), "vary").contains("accept-encoding"));
        let compressed = response.bytes().await.unwrap();
        assert!(
            compressed.len() < plain.len(),
            "{encoding}: {} bytes",
            compressed.len()
        );
    }
}

#[tokio::test]
async fn an_unknown_asset_is_a_404_problem_with_the_security_headers() {
    let server = TestServer::start(Db::Sqlite).await.unwrap();
    // The URL parser folds `%2e%2e` into `..` on the way; either way the
    // answer is a 404, never a file from outside the assets.
    for path in [
        "/assets/js/nothing-here.js",
        "/assets/",
        "/assets/%2e%2e/Cargo.toml",
        "/assets/..%2f..%2fCargo.toml",
        "/assets/js/%2e%2e/%2e%2e/%2e%2e/Cargo.toml",
    ] {
        let response = get(&format!("{}{path}", server.url), &[]).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(
            header(response.headers(), "content-type"),
            "application/problem+json",
            "{path}"
        );
        if path == "/assets/js/nothing-here.js" {
            assert_security_headers(response.headers());
        }
    }
}

#[tokio::test]
async fn the_api_keeps_its_own_headers_and_the_openapi_document_lists_only_v1() {
    let server = TestServer::start(Db::Sqlite).await.unwrap();
    let document = get(&format!("{}/v1/openapi.json", server.url), &[]).await;
    assert_eq!(document.status(), StatusCode::OK);
    assert!(document.headers().get(header::CONTENT_SECURITY_POLICY).is_none());
    let document: serde_json::Value = document.json().await.unwrap();
    let paths = document["paths"].as_object().unwrap();
    assert!(paths.keys().all(|path| !path.starts_with("/assets")), "{paths:?}");
}
