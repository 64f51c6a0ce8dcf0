//! Real picture files, read as the audit reads them: every format the
//! audit promises, and every kind of bad file answered with its code.

use std::io::Cursor;

use consent_media::{fingerprint_bytes, fingerprint_file, Likeness, PerceptualHash};
use consent_media::{CERTAIN_DISTANCE, UNCERTAIN_DISTANCE};
use image::{DynamicImage, ImageBuffer, ImageFormat, Luma, Rgb, Rgba};

/// A picture with structure at the hash's scale: bands and a diagonal.
fn picture(width: u32, height: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(ImageBuffer::from_fn(width, height, |x, y| {
        let band = ((x * 7 / width) * 37 + (y * 5 / height) * 53) % 256;
        Rgb([band as u8, ((x + y) % 256) as u8, (255 - band) as u8])
    }))
}

fn encoded(picture: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut bytes = Vec::new();
    picture
        .write_to(&mut Cursor::new(&mut bytes), format)
        .expect("encodes");
    bytes
}

#[test]
fn a_webp_picture_is_read_like_the_same_png() {
    let picture = picture(300, 200);
    let webp = fingerprint_bytes(&encoded(&picture, ImageFormat::WebP)).expect("a WebP");
    let png = fingerprint_bytes(&encoded(&picture, ImageFormat::Png)).expect("a PNG");
    // Lossless WebP holds the same pixels, so the same perceptual hash;
    // the files differ, so their SHA-256 do.
    assert_eq!(webp.perceptual, png.perceptual);
    assert_ne!(webp.sha256, png.sha256);
}

#[test]
fn a_file_is_fingerprinted_exactly_as_its_bytes_are() {
    let folder = tempfile::tempdir().expect("a folder");
    let path = folder.path().join("sportdag.jpg");
    let bytes = encoded(&picture(320, 240), ImageFormat::Jpeg);
    std::fs::write(&path, &bytes).expect("written");
    assert_eq!(
        fingerprint_file(&path).expect("a picture"),
        fingerprint_bytes(&bytes).expect("a picture")
    );
}

#[test]
fn a_jpeg_copy_of_a_png_is_the_same_picture() {
    let picture = picture(640, 480);
    let png = fingerprint_bytes(&encoded(&picture, ImageFormat::Png)).expect("a PNG");
    let jpeg = fingerprint_bytes(&encoded(&picture, ImageFormat::Jpeg)).expect("a JPEG");
    let distance = png.perceptual.distance(&jpeg.perceptual);
    assert_eq!(Likeness::of(distance), Likeness::Same, "distance {distance}");
}

#[test]
fn grey_transparent_and_sixteen_bit_pngs_are_read() {
    let grey = DynamicImage::ImageLuma8(ImageBuffer::from_fn(64, 48, |x, _| Luma([(x * 4) as u8])));
    let transparent = DynamicImage::ImageRgba8(ImageBuffer::from_fn(64, 48, |x, y| {
        Rgba([(x * 4) as u8, (y * 5) as u8, 90, (x * 2) as u8])
    }));
    let deep = DynamicImage::ImageRgb16(ImageBuffer::from_fn(64, 48, |x, y| {
        Rgb([(x * 1000) as u16, (y * 1300) as u16, 40_000])
    }));
    for picture in [grey, transparent, deep] {
        let bytes = encoded(&picture, ImageFormat::Png);
        fingerprint_bytes(&bytes).unwrap_or_else(|e| panic!("{:?}: {e}", picture.color()));
    }
}

#[test]
fn a_one_pixel_picture_gets_a_hash_not_a_panic() {
    let dot = DynamicImage::ImageRgb8(ImageBuffer::from_pixel(1, 1, Rgb([200, 10, 10])));
    for format in [ImageFormat::Png, ImageFormat::Jpeg, ImageFormat::WebP] {
        fingerprint_bytes(&encoded(&dot, format)).unwrap_or_else(|e| panic!("{format:?}: {e}"));
    }
}

#[test]
fn a_missing_file_and_a_folder_are_unreadable() {
    let folder = tempfile::tempdir().expect("a folder");
    let missing = fingerprint_file(&folder.path().join("gone.jpg")).expect_err("missing");
    assert_eq!(missing.code(), "unreadable");
    let itself = fingerprint_file(folder.path()).expect_err("a folder");
    assert_eq!(itself.code(), "unreadable", "{itself}");
}

#[test]
fn an_empty_file_and_a_gif_are_not_pictures_the_audit_reads() {
    assert_eq!(fingerprint_bytes(b"").expect_err("empty").code(), "not_a_picture");
    // A one-pixel GIF: a picture, but not in a format the audit reads.
    let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";
    assert_eq!(fingerprint_bytes(gif).expect_err("a GIF").code(), "not_a_picture");
}

#[test]
fn a_truncated_webp_is_damaged() {
    let webp = encoded(&picture(300, 200), ImageFormat::WebP);
    let error = fingerprint_bytes(&webp[..webp.len() / 2]).expect_err("cut in half");
    assert_eq!(error.code(), "damaged", "{error}");
}

#[test]
fn a_jpeg_claiming_twenty_thousand_pixels_square_is_refused_before_decoding() {
    let mut jpeg = encoded(&picture(64, 48), ImageFormat::Jpeg);
    // The baseline frame header: FF C0, length, precision, height, width.
    let frame = jpeg
        .windows(2)
        .position(|pair| pair == [0xFF, 0xC0])
        .expect("a baseline JPEG");
    jpeg[frame + 5..frame + 7].copy_from_slice(&20_000u16.to_be_bytes());
    jpeg[frame + 7..frame + 9].copy_from_slice(&20_000u16.to_be_bytes());
    let error = fingerprint_bytes(&jpeg).expect_err("too large");
    assert_eq!(error.code(), "too_many_pixels", "{error}");
}

#[test]
fn the_thresholds_divide_same_uncertain_and_different() {
    const { assert!(CERTAIN_DISTANCE < UNCERTAIN_DISTANCE && UNCERTAIN_DISTANCE < 256) };
    assert_eq!(Likeness::of(0), Likeness::Same);
    assert_eq!(Likeness::of(CERTAIN_DISTANCE), Likeness::Same);
    assert_eq!(Likeness::of(CERTAIN_DISTANCE + 1), Likeness::Uncertain);
    assert_eq!(Likeness::of(UNCERTAIN_DISTANCE), Likeness::Uncertain);
    assert_eq!(Likeness::of(UNCERTAIN_DISTANCE + 1), Likeness::Different);
    assert_eq!(Likeness::of(256), Likeness::Different);
}

#[test]
fn the_distance_counts_differing_bits_both_ways() {
    let zeros: PerceptualHash = "0".repeat(64).parse().expect("hex");
    let ones: PerceptualHash = "f".repeat(64).parse().expect("hex");
    let half: PerceptualHash = format!("{}{}", "f".repeat(32), "0".repeat(32))
        .parse()
        .expect("hex");
    assert_eq!(zeros.distance(&ones), 256);
    assert_eq!(zeros.distance(&half), 128);
    assert_eq!(half.distance(&zeros), 128);
    assert_eq!(ones.distance(&ones), 0);
}
