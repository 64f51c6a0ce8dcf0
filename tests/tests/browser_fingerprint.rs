//! The browser computes the same perceptual hash as the Rust crate: the
//! console's media audit and check (`/assets/js/fingerprint.js`) and the
//! CLI (`consent-media`) must find the same picture, whoever hashed it.
//!
//! For PNG both decoders give the same pixels and both shrink them in the
//! same 32-bit arithmetic, so the hashes are equal bit for bit (the cosine
//! transform differs only in rounding, which could flip a bit only for a
//! frequency within rounding of the median). For JPEG, Chromium's decoder and the `image` crate's round
//! a few pixels differently; the hashes may differ in a few bits, far below
//! the distance at which two pictures count as the same.
#![allow(missing_docs, clippy::unwrap_used)]

use base64::Engine as _;
use consent_media::{fingerprint_bytes, Likeness, PerceptualHash};
use consent_tests::browser::{Browser, Language, Screen};
use consent_tests::pictures::{encode, scene};
use consent_tests::{Db, TestServer};
use image::ImageFormat;
use serde_json::{json, Value};

/// At most this many bits may differ between Chromium's and the crate's
/// hash of the same JPEG: a twentieth of the distance that still counts as
/// the same picture.
const JPEG_DECODER_BITS: u32 = 6;

/// `jpeg` with an EXIF segment saying its pixels are shown turned by
/// `orientation` (6: a quarter turn clockwise, as phones store portraits).
fn with_orientation(jpeg: &[u8], orientation: u8) -> Vec<u8> {
    let tiff = [
        b'I',
        b'I',
        42,
        0,
        8,
        0,
        0,
        0, // little-endian TIFF, first IFD at 8
        1,
        0, // one entry
        0x12,
        0x01,
        3,
        0,
        1,
        0,
        0,
        0,
        orientation,
        0,
        0,
        0, // Orientation, SHORT, 1
        0,
        0,
        0,
        0, // no next IFD
    ];
    let length = (2 + 6 + tiff.len()) as u16;
    let mut out = jpeg[..2].to_vec(); // SOI
    out.extend_from_slice(&[0xff, 0xe1]);
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&tiff);
    out.extend_from_slice(&jpeg[2..]);
    out
}

const HASH_IN_JS: &str = r#"
const { perceptualHash } = await import("/assets/js/fingerprint.js");
const out = [];
for (const [type, base64] of args[0]) {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  try {
    out.push({ hash: await perceptualHash(new Blob([bytes], { type })) });
  } catch (error) {
    out.push({ error: error.code ?? String(error) });
  }
}
return out;
"#;

async fn hashes_in_the_browser(browser: &Browser, files: &[(&str, Vec<u8>)]) -> Vec<Value> {
    let files: Vec<Value> = files
        .iter()
        .map(|(kind, bytes)| json!([kind, base64::engine::general_purpose::STANDARD.encode(bytes)]))
        .collect();
    let answer = browser.run(HASH_IN_JS, vec![Value::Array(files)]).await;
    answer.as_array().unwrap().clone()
}

#[tokio::test]
async fn the_browser_hashes_pictures_as_the_crate_does() {
    let server = TestServer::start(Db::Sqlite).await.unwrap();
    let Some(browser) = Browser::open("browser_fingerprint", Language::English, Screen::PHONE).await else {
        return;
    };
    browser
        .goto(&format!("{}/assets/js/fingerprint.js", server.url))
        .await;
    // Odd sizes, portrait and landscape, a thumbnail smaller than most
    // icons, and exactly the hash's own 32 × 32 thumbnail (copied, not shrunk).
    let sizes = [(640, 480), (333, 517), (1200, 800), (40, 30), (32, 32)];
    let mut files = Vec::new();
    for (seed, &(width, height)) in sizes.iter().enumerate() {
        let picture = scene(width, height, seed as u32 + 1);
        files.push(("image/png", encode(&picture, ImageFormat::Png)));
        files.push(("image/jpeg", encode(&picture, ImageFormat::Jpeg)));
    }
    // A portrait as a phone stores it: landscape pixels and an EXIF
    // orientation. Both sides hash the picture as shown.
    let landscape = scene(400, 300, 42);
    files.push((
        "image/jpeg",
        with_orientation(&encode(&landscape, ImageFormat::Jpeg), 6),
    ));
    let as_shown = fingerprint_bytes(&encode(&landscape.rotate90(), ImageFormat::Jpeg)).unwrap();
    let as_stored = fingerprint_bytes(&encode(&landscape, ImageFormat::Jpeg)).unwrap();
    let turned = fingerprint_bytes(files.last().unwrap().1.as_slice()).unwrap();
    assert_eq!(
        Likeness::of(turned.perceptual.distance(&as_shown.perceptual)),
        Likeness::Same
    );
    assert_eq!(
        Likeness::of(turned.perceptual.distance(&as_stored.perceptual)),
        Likeness::Different
    );

    let answers = hashes_in_the_browser(&browser, &files).await;
    let mut worst_jpeg = 0;
    for ((kind, bytes), answer) in files.iter().zip(&answers) {
        let rust = fingerprint_bytes(bytes).unwrap().perceptual;
        let browser_hash: PerceptualHash = answer["hash"]
            .as_str()
            .unwrap_or_else(|| panic!("{kind}: the browser refused it: {answer}"))
            .parse()
            .unwrap();
        let distance = rust.distance(&browser_hash);
        if *kind == "image/png" {
            assert_eq!(browser_hash, rust, "a PNG hashed differently in the browser");
        } else {
            assert!(distance <= JPEG_DECODER_BITS, "a JPEG differs in {distance} bits");
            assert_eq!(Likeness::of(distance), Likeness::Same);
            worst_jpeg = worst_jpeg.max(distance);
        }
    }
    println!("JPEG: Chromium's hash and the crate's differ in at most {worst_jpeg} of 256 bits");
    browser.close().await;
}

#[tokio::test]
async fn the_browser_refuses_what_is_not_a_picture_with_the_crates_code() {
    let server = TestServer::start(Db::Sqlite).await.unwrap();
    let Some(browser) = Browser::open("browser_fingerprint_refusals", Language::English, Screen::PHONE).await
    else {
        return;
    };
    browser
        .goto(&format!("{}/assets/js/fingerprint.js", server.url))
        .await;
    let jpeg = encode(&scene(64, 48, 7), ImageFormat::Jpeg);
    let files = [
        ("text/csv", b"name,group\nAnna,3B\n".to_vec()),
        ("image/jpeg", jpeg[..20].to_vec()),
    ];
    let answers = hashes_in_the_browser(&browser, &files).await;
    for ((_, bytes), answer) in files.iter().zip(&answers) {
        let rust = fingerprint_bytes(bytes).unwrap_err();
        assert!(
            answer["error"].is_string(),
            "the browser hashed a broken file: {answer}"
        );
        // The browser cannot tell a damaged picture from a non-picture: both
        // fail to decode. Either way the file gets a line, not a hash.
        assert!(["not_a_picture", "damaged"].contains(&rust.code()));
    }
    browser.close().await;
}
