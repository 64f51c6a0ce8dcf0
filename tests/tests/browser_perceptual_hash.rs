//! The browser computes the same perceptual hash as the Rust crate: the
//! console's media audit and check (`/assets/js/perceptual_hash.js`) and the
//! CLI (`consent-media`) must find the same picture, whoever hashed it.
//!
//! For PNG both decoders give the same pixels, so the hashes must be equal
//! bit for bit. For JPEG, Chromium's decoder and the `image` crate's round
//! a few pixels differently; the hashes may differ in a few bits, far below
//! the distance at which two pictures count as the same.
#![allow(missing_docs, clippy::unwrap_used)]

use std::io::Cursor;

use base64::Engine as _;
use consent_media::{fingerprint_bytes, Likeness, PerceptualHash};
use consent_tests::browser::{Browser, Language, Screen};
use consent_tests::{Db, TestServer};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use serde_json::{json, Value};

/// At most this many bits may differ between Chromium's and the crate's
/// hash of the same JPEG: a twentieth of the distance that still counts as
/// the same picture.
const JPEG_DECODER_BITS: u32 = 6;

/// A photo-like scene: a sky and ground gradient, a sun, figures and a
/// little noise, so that JPEG has edges and texture to round.
fn scene(width: u32, height: u32, seed: u32) -> DynamicImage {
    let mut state = seed.wrapping_mul(2_654_435_761) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    };
    let figures: Vec<(f32, f32, f32, [u8; 3])> = (0..6)
        .map(|_| {
            let x = (next() % 1000) as f32 / 1000.0;
            let y = 0.4 + (next() % 500) as f32 / 1000.0;
            let r = 0.05 + (next() % 100) as f32 / 1000.0;
            (x, y, r, [next() as u8, next() as u8, next() as u8])
        })
        .collect();
    let noise: Vec<u8> = (0..4096).map(|_| (next() % 24) as u8).collect();
    DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |x, y| {
        let (u, v) = (x as f32 / width as f32, y as f32 / height as f32);
        let grain = noise[((x * 31 + y * 17) % 4096) as usize];
        let mut pixel = if v < 0.45 {
            [(90.0 + 100.0 * v) as u8, (140.0 + 80.0 * v) as u8, 230]
        } else {
            [(60.0 + 60.0 * u) as u8, (120.0 + 50.0 * v) as u8, 50]
        };
        for &(fx, fy, r, colour) in &figures {
            let (dx, dy) = (u - fx, (v - fy) * height as f32 / width as f32);
            if dx * dx + dy * dy < r * r {
                pixel = colour;
            }
        }
        Rgb(pixel.map(|c| c.saturating_add(grain)))
    }))
}

fn encode(picture: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut bytes = Vec::new();
    picture.write_to(&mut Cursor::new(&mut bytes), format).unwrap();
    bytes
}

const HASH_IN_JS: &str = r#"
const { perceptualHash } = await import("/assets/js/perceptual_hash.js");
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
    let Some(browser) = Browser::open("browser_perceptual_hash", Language::English, Screen::PHONE).await
    else {
        return;
    };
    browser
        .goto(&format!("{}/assets/js/perceptual_hash.js", server.url))
        .await;
    // Odd sizes, portrait and landscape, a thumbnail smaller than most
    // icons, and exactly the hash's own 17 × 16 (which is copied, not shrunk).
    let sizes = [(640, 480), (333, 517), (1200, 800), (40, 30), (17, 16)];
    let mut files = Vec::new();
    for (seed, &(width, height)) in sizes.iter().enumerate() {
        let picture = scene(width, height, seed as u32 + 1);
        files.push(("image/png", encode(&picture, ImageFormat::Png)));
        files.push(("image/jpeg", encode(&picture, ImageFormat::Jpeg)));
    }
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
    let Some(browser) = Browser::open(
        "browser_perceptual_hash_refusals",
        Language::English,
        Screen::PHONE,
    )
    .await
    else {
        return;
    };
    browser
        .goto(&format!("{}/assets/js/perceptual_hash.js", server.url))
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
