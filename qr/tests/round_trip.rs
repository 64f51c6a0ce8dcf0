//! Codes drawn by this crate read back from real picture files after the
//! kinds of damage a phone camera does.

mod support;

use consent_qr::{read_text, render_png};
use image::imageops;
use support::*;

/// Renders `text` as a PNG and decodes it into pixels for transforming.
fn rendered(text: &str, module_pixels: u32) -> image::GrayImage {
    let png = render_png(text, module_pixels).expect("text fits in a QR code");
    decode_png(&png)
}

fn assert_reads_back(bytes: &[u8], text: &str, what: &str) {
    match read_text(bytes) {
        Ok(read) => assert_eq!(read, text, "{what}: wrong text"),
        Err(e) => panic!("{what}: {e} ({})", e.code()),
    }
}

#[test]
fn rendered_png_reads_back() {
    for text in [text_178(), text_275()] {
        for px in [2, 4, 8] {
            let png = render_png(&text, px).expect("text fits");
            assert_reads_back(&png, &text, &format!("{px}px modules"));
        }
    }
}

#[test]
fn jpeg_compressed_code_reads_back() {
    for text in [text_178(), text_275()] {
        let img = rendered(&text, 4);
        for quality in [50, 70, 90] {
            assert_reads_back(&to_jpeg(&img, quality), &text, &format!("JPEG q{quality}"));
        }
    }
}

#[test]
fn scaled_down_code_reads_back() {
    for text in [text_178(), text_275()] {
        // 4px modules at 0.5x leave 2px modules, the smallest we promise.
        let img = scale(&rendered(&text, 4), 0.5);
        assert_reads_back(&to_png(&img), &text, "0.5x");
        let img = scale(&rendered(&text, 6), 0.7);
        assert_reads_back(&to_png(&img), &text, "0.7x");
    }
}

#[test]
fn scaled_up_code_reads_back() {
    for text in [text_178(), text_275()] {
        let img = scale(&rendered(&text, 3), 2.3);
        assert_reads_back(&to_png(&img), &text, "2.3x");
        let img = scale(&rendered(&text, 2), 1.37);
        assert_reads_back(&to_png(&img), &text, "1.37x");
    }
}

#[test]
fn code_rotated_by_right_angles_reads_back() {
    for text in [text_178(), text_275()] {
        let img = rendered(&text, 3);
        assert_reads_back(&to_png(&imageops::rotate90(&img)), &text, "90°");
        assert_reads_back(&to_png(&imageops::rotate180(&img)), &text, "180°");
        assert_reads_back(&to_png(&imageops::rotate270(&img)), &text, "270°");
    }
}

#[test]
fn code_rotated_by_arbitrary_angle_reads_back() {
    for text in [text_178(), text_275()] {
        let img = rendered(&text, 4);
        for angle in [10.0, 23.0, 30.0, 45.0, -17.0, 135.0] {
            let rotated = rotate(&img, angle);
            assert_reads_back(&to_png(&rotated), &text, &format!("{angle}° PNG"));
            assert_reads_back(&to_jpeg(&rotated, 70), &text, &format!("{angle}° JPEG q70"));
        }
    }
}

#[test]
fn code_with_salt_and_pepper_noise_reads_back() {
    for text in [text_178(), text_275()] {
        let img = rendered(&text, 4);
        // 1% and 3% of pixels flipped to pure black or white.
        for (fraction, seed) in [(0.01, 1), (0.01, 2), (0.03, 3), (0.03, 4)] {
            let noisy = salt_and_pepper(&img, fraction, seed);
            assert_reads_back(&to_png(&noisy), &text, &format!("{fraction} specks"));
        }
    }
}

#[test]
fn code_with_gaussian_noise_reads_back() {
    for text in [text_178(), text_275()] {
        let img = rendered(&text, 4);
        for (sigma, seed) in [(15.0, 4), (40.0, 5)] {
            let noisy = gaussian_noise(&img, sigma, seed);
            assert_reads_back(&to_png(&noisy), &text, &format!("sigma {sigma}"));
        }
    }
}

#[test]
fn rotated_photo_of_code_reads_back() {
    // A phone photo: code smaller than the frame on a gray desk, resampled by
    // a non-integer factor, tilted, sensor noise, then JPEG.
    for (text, angle, factor, seed) in [
        (text_178(), 17.0, 1.7, 11),
        (text_275(), -28.0, 2.3, 12),
        (text_178(), 95.0, 0.8, 13),
    ] {
        let img = on_background(&rendered(&text, 4), 60, 140);
        let img = scale(&img, factor);
        let img = rotate(&img, angle);
        let img = gaussian_noise(&img, 12.0, seed);
        assert_reads_back(&to_jpeg(&img, 70), &text, &format!("photo {angle}° x{factor}"));
    }
}

#[test]
fn large_photo_is_searched_and_reads_back() {
    // Longer side well above the reduced search size, so the downscaled
    // search path is the one that must find it.
    let text = text_178();
    let img = on_background(&rendered(&text, 12), 500, 200);
    let img = rotate(&img, 12.0);
    assert!(img.width() > 1500);
    assert_reads_back(&to_jpeg(&img, 80), &text, "large photo");
}

#[test]
fn inverted_code_reads_back() {
    // Light modules on dark, as a code photographed off a dark terminal
    // whose quiet zone was cropped away.
    let text = text_178();
    let mut img = rendered(&text, 4);
    imageops::invert(&mut img);
    let img = on_background(&img, 20, 0);
    assert_reads_back(&to_png(&img), &text, "inverted");
}

#[test]
fn code_on_transparent_background_reads_back() {
    let text = text_178();
    let gray = rendered(&text, 4);
    // Black modules, fully transparent (and black) elsewhere.
    let rgba = image::RgbaImage::from_fn(gray.width(), gray.height(), |x, y| {
        let dark = gray.get_pixel(x, y).0[0] < 128;
        image::Rgba([0, 0, 0, if dark { 255 } else { 0 }])
    });
    let mut png = std::io::Cursor::new(Vec::new());
    rgba.write_to(&mut png, image::ImageFormat::Png)
        .expect("PNG encodes");
    assert_reads_back(&png.into_inner(), &text, "transparent");
}

#[test]
fn picture_with_two_codes_gives_one_of_them() {
    let (a, b) = (text_178(), "consent:second".to_string());
    let (ia, ib) = (rendered(&a, 4), rendered(&b, 4));
    let mut canvas = image::GrayImage::from_pixel(
        ia.width() + ib.width(),
        ia.height().max(ib.height()),
        image::Luma([255]),
    );
    imageops::overlay(&mut canvas, &ia, 0, 0);
    imageops::overlay(&mut canvas, &ib, i64::from(ia.width()), 0);
    let read = read_text(&to_png(&canvas)).expect("one of the codes decodes");
    assert!(read == a || read == b, "unexpected text {read:?}");
}
