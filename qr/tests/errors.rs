//! Bad input gives the promised typed error, never a panic.

mod support;

use consent_qr::{
    qr_version, read_text, render_png, render_svg, render_terminal, QrError, MAX_MODULE_PIXELS,
};
use support::*;

fn error_code(bytes: &[u8]) -> &'static str {
    read_text(bytes).expect_err("should not read a code").code()
}

#[test]
fn garbage_bytes_are_unreadable_image() {
    assert_eq!(error_code(b""), "image_unreadable");
    assert_eq!(error_code(b"consent:AQEf not a picture"), "image_unreadable");
    let mut rng = Rng::new(5);
    let noise: Vec<u8> = (0..4096).map(|_| rng.next() as u8).collect();
    assert_eq!(error_code(&noise), "image_unreadable");
}

#[test]
fn truncated_png_is_unreadable_image() {
    let png = render_png(&text_178(), 4).expect("fits");
    assert_eq!(error_code(&png[..png.len() / 2]), "image_unreadable");
    assert_eq!(error_code(&png[..20]), "image_unreadable");
}

#[test]
fn other_picture_formats_are_unreadable_image() {
    // A valid GIF header: recognised as a picture, but not one we accept.
    assert_eq!(
        error_code(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
        "image_unreadable"
    );
}

#[test]
fn blank_white_picture_has_no_code() {
    let white = image::GrayImage::from_pixel(300, 200, image::Luma([255]));
    assert_eq!(error_code(&to_png(&white)), "qr_not_found");
    assert_eq!(error_code(&to_jpeg(&white, 70)), "qr_not_found");
}

#[test]
fn noise_picture_has_no_code() {
    let mut rng = Rng::new(8);
    let img = image::GrayImage::from_fn(200, 200, |_, _| image::Luma([rng.next() as u8]));
    assert_eq!(error_code(&to_png(&img)), "qr_not_found");
}

#[test]
fn one_pixel_picture_has_no_code() {
    let img = image::GrayImage::from_pixel(1, 1, image::Luma([0]));
    assert_eq!(error_code(&to_png(&img)), "qr_not_found");
}

/// CRC-32 as PNG chunks use it, so a header can be edited validly.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn huge_picture_is_refused_before_decoding() {
    // A real PNG whose header is edited to claim 50,000 x 50,000 pixels
    // (2.5 gigapixels); the pixel data is never looked at.
    let mut png = to_png(&image::GrayImage::from_pixel(8, 8, image::Luma([255])));
    // Signature (8) + IHDR length (4), then "IHDR", width, height.
    png[16..20].copy_from_slice(&50_000u32.to_be_bytes());
    png[20..24].copy_from_slice(&50_000u32.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    let err = read_text(&png).expect_err("must refuse");
    assert_eq!(err.code(), "image_too_large");
    assert!(matches!(
        err,
        QrError::ImageTooLarge {
            width: 50_000,
            height: 50_000
        }
    ));
}

#[test]
fn mutated_pictures_never_panic() {
    // Fuzz-like: flip random bytes of real PNG and JPEG files. Any Ok or Err
    // is acceptable; reaching the end of the loop is the promise.
    let img = decode_png(&render_png("consent:AQEf", 3).expect("fits"));
    let mut rng = Rng::new(21);
    for original in [to_png(&img), to_jpeg(&img, 70)] {
        for _ in 0..60 {
            let mut bytes = original.clone();
            for _ in 0..=(rng.next() % 8) {
                let i = (rng.next() as usize) % bytes.len();
                bytes[i] = rng.next() as u8;
            }
            if rng.next() & 3 == 0 {
                bytes.truncate((rng.next() as usize) % bytes.len());
            }
            let _ = read_text(&bytes);
        }
    }
}

#[test]
fn non_utf8_payload_is_not_text() {
    // Our renderers only take &str, so draw the binary code with qrcode directly.
    let code =
        qrcode::QrCode::with_error_correction_level([0xff, 0xfe, 0x80, 0x00, 0xc3], qrcode::EcLevel::M)
            .expect("fits");
    let img = code.render::<image::Luma<u8>>().module_dimensions(4, 4).build();
    assert_eq!(error_code(&to_png(&img)), "qr_not_text");
}

#[test]
fn too_long_text_is_refused_by_every_renderer() {
    let text = "a".repeat(2332);
    assert_eq!(qr_version(&text), Err(QrError::TooLong { len: 2332 }));
    assert_eq!(render_terminal(&text).map_err(|e| e.code()), Err("qr_too_long"));
    assert_eq!(render_svg(&text).map_err(|e| e.code()), Err("qr_too_long"));
    assert_eq!(render_png(&text, 4).map_err(|e| e.code()), Err("qr_too_long"));
}

#[test]
fn module_size_outside_range_is_refused() {
    assert_eq!(
        render_png("consent:x", 0),
        Err(QrError::ModuleSizeOutOfRange { pixels: 0 })
    );
    assert_eq!(
        render_png("consent:x", MAX_MODULE_PIXELS + 1).map_err(|e| e.code()),
        Err("qr_module_size_invalid")
    );
    assert!(render_png("consent:x", MAX_MODULE_PIXELS).is_ok());
}

#[test]
fn largest_png_we_render_is_accepted_by_the_reader() {
    let side = u64::from((177 + 8) * MAX_MODULE_PIXELS);
    assert!(side * side <= consent_qr::MAX_IMAGE_PIXELS);
}
