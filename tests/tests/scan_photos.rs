//! Reading a consent code from a photo (`POST /v1/scans/photo`, for
//! browsers without a QR decoder of their own), on SQLite and PostgreSQL:
//! a real photo of a real code is read, nothing of it is recorded, and a
//! photo that is none or holds no code gets a clear error.
#![allow(clippy::unwrap_used)]

use std::io::Cursor;

use consent_tests::*;
use image::{GrayImage, ImageFormat, Luma};
use reqwest::StatusCode;
use serde_json::json;

/// Posts `bytes` as a photo of a code, as the console's pages do.
async fn post_photo(api: &Api, content_type: &str, bytes: Vec<u8>) -> Answer {
    answer(send_photo(api, content_type, bytes).await.unwrap()).await
}

/// [`post_photo`], failing as the client does when the server closes the
/// connection before the whole body is sent.
async fn send_photo(api: &Api, content_type: &str, bytes: Vec<u8>) -> reqwest::Result<reqwest::Response> {
    let mut request = api
        .client
        .post(format!("{}/v1/scans/photo", api.base))
        .header("content-type", content_type)
        .body(bytes);
    if let Some(token) = &api.token {
        request = request.bearer_auth(token);
    }
    request.send().await
}

/// A phone photo of a code: the code's PNG pasted, smaller than the frame,
/// on a grey scene, as a JPEG.
fn photo_of_code(text: &str) -> Vec<u8> {
    let code = image::load_from_memory(&consent_qr::render_png(text, 5).unwrap())
        .unwrap()
        .into_luma8();
    let mut scene = GrayImage::from_pixel(code.width() * 2, code.height() * 2, Luma([150]));
    image::imageops::overlay(
        &mut scene,
        &code,
        i64::from(code.width() / 3),
        i64::from(code.height() / 2),
    );
    let mut jpeg = Vec::new();
    scene
        .write_to(&mut Cursor::new(&mut jpeg), ImageFormat::Jpeg)
        .unwrap();
    jpeg
}

/// The audit log's length, read by communications staff.
async fn log_length(comms: &Api) -> usize {
    let log = comms.get("/v1/audit/log").await;
    assert_eq!(log.status, StatusCode::OK, "{log:?}");
    log.body["entries"].as_array().unwrap().len()
}

async fn a_photo_of_a_code_is_read_in_memory_and_leaves_no_trace(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let teacher = admin.staff("Tess", "teacher").await;
    let comms = admin.staff("Cas", "communications").await;
    let sam = admin.person("student", "Sam", "3B", "2008-05-01").await;
    let code = admin.enroll(sam).await.consent().await.to_text();
    let logged = log_length(&comms).await;

    let png = consent_qr::render_png(&code, 4).unwrap();
    let read = post_photo(&teacher, "image/png", png).await;
    assert_eq!(read.status, StatusCode::OK, "{read:?}");
    assert_eq!(read.body, json!({"text": code}));

    let read = post_photo(&comms, "image/jpeg", photo_of_code(&code)).await;
    assert_eq!(read.status, StatusCode::OK, "{read:?}");
    assert_eq!(read.body["text"], code.as_str());

    // A question, not a decision: nothing of it is recorded.
    assert_eq!(log_length(&comms).await, logged);
}

async fn a_photo_that_is_no_photo_or_holds_no_code_gets_a_clear_error(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = server.admin("De Linde").await;
    let teacher = admin.staff("Tess", "teacher").await;

    let not_an_image = post_photo(&teacher, "image/png", b"consent:not a picture at all".to_vec()).await;
    assert_eq!(
        (not_an_image.status, not_an_image.code()),
        (StatusCode::BAD_REQUEST, "image_unreadable"),
        "{not_an_image:?}"
    );
    assert!(
        not_an_image.body["detail"]
            .as_str()
            .unwrap()
            .contains("not a readable JPEG or PNG photo"),
        "{not_an_image:?}"
    );

    let mut blank = Vec::new();
    GrayImage::from_pixel(300, 200, Luma([255]))
        .write_to(&mut Cursor::new(&mut blank), ImageFormat::Png)
        .unwrap();
    let no_code = post_photo(&teacher, "image/png", blank).await;
    assert_eq!(
        (no_code.status, no_code.code()),
        (StatusCode::BAD_REQUEST, "qr_not_found"),
        "{no_code:?}"
    );

    let text = post_photo(&teacher, "text/plain", b"consent:abc".to_vec()).await;
    assert_eq!(text.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{text:?}");

    // A photo over the limit is refused; the server may close the connection
    // before the client has sent it all, and either way stays up.
    match send_photo(&teacher, "image/jpeg", vec![0; 13 * 1024 * 1024]).await {
        Ok(response) => {
            let huge = answer(response).await;
            assert_eq!(
                (huge.status, huge.code()),
                (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
                "{huge:?}"
            );
        }
        Err(error) => assert!(error.is_request(), "{error}"),
    }
    assert_eq!(server.anonymous().get("/healthz").await.status, StatusCode::OK);

    let png = consent_qr::render_png("consent:x", 4).unwrap();
    let stranger = post_photo(&server.anonymous(), "image/png", png.clone()).await;
    assert_eq!(stranger.status, StatusCode::UNAUTHORIZED, "{stranger:?}");
    let refused = post_photo(&admin, "image/png", png).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{refused:?}");
}

on_both_databases!(
    a_photo_of_a_code_is_read_in_memory_and_leaves_no_trace,
    a_photo_that_is_no_photo_or_holds_no_code_gets_a_clear_error,
);
