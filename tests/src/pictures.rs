//! Pictures for the media audit's tests: photo-like scenes, distinct for
//! each seed, encoded as a school's website would serve them.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};

/// A photo-like scene: a sky and ground gradient, figures and a little
/// noise, so that JPEG has edges and texture to round. Each seed gives
/// another scene.
pub fn scene(width: u32, height: u32, seed: u32) -> DynamicImage {
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

/// `picture` encoded as `format` with the encoder's defaults.
pub fn encode(picture: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut bytes = Vec::new();
    picture
        .write_to(&mut Cursor::new(&mut bytes), format)
        .expect("an in-memory picture encodes");
    bytes
}

/// `picture` as a website republishes it: shrunk to half its size and
/// recompressed as JPEG at quality 60.
pub fn as_published(picture: &DynamicImage) -> Vec<u8> {
    let smaller = picture.resize(
        picture.width() / 2,
        picture.height() / 2,
        image::imageops::FilterType::Triangle,
    );
    let mut bytes = Vec::new();
    smaller
        .to_rgb8()
        .write_with_encoder(JpegEncoder::new_with_quality(&mut bytes, 60))
        .expect("an in-memory picture encodes");
    bytes
}
