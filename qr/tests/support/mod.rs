//! Picture transforms that stand in for a phone camera: scaling, rotation,
//! noise and JPEG compression. Deterministic, so failures reproduce.
#![allow(dead_code)] // each test binary uses a different subset

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::{self, FilterType};
use image::{GrayImage, ImageFormat, Luma};

/// A realistic consent code: `consent:` plus `payload_len` base64url chars.
pub fn consent_text(payload_len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut rng = Rng::new(payload_len as u64);
    let payload: String = (0..payload_len)
        .map(|_| char::from(ALPHABET[(rng.next() % 64) as usize]))
        .collect();
    format!("consent:{payload}")
}

/// 178 characters: a typical signed consent token.
pub fn text_178() -> String {
    consent_text(170)
}

/// 275 characters: a token near the upper end of what the protocol emits.
pub fn text_275() -> String {
    consent_text(267)
}

pub fn decode_png(bytes: &[u8]) -> GrayImage {
    image::load_from_memory_with_format(bytes, ImageFormat::Png)
        .expect("test PNG decodes")
        .into_luma8()
}

pub fn to_png(img: &GrayImage) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png).expect("PNG encodes");
    out.into_inner()
}

pub fn to_jpeg(img: &GrayImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(img)
        .expect("JPEG encodes");
    out
}

/// Resamples by a (possibly non-integer) factor with smooth interpolation,
/// as a camera or a screenshot tool would.
pub fn scale(img: &GrayImage, factor: f64) -> GrayImage {
    let w = ((f64::from(img.width()) * factor).round() as u32).max(1);
    let h = ((f64::from(img.height()) * factor).round() as u32).max(1);
    imageops::resize(img, w, h, FilterType::Triangle)
}

/// Rotates counter-clockwise by `degrees` about the centre with bilinear
/// interpolation, growing the canvas so nothing is cut off and filling the
/// new corners with white.
pub fn rotate(img: &GrayImage, degrees: f64) -> GrayImage {
    let (w, h) = (f64::from(img.width()), f64::from(img.height()));
    let (sin, cos) = degrees.to_radians().sin_cos();
    let nw = (w * cos.abs() + h * sin.abs()).ceil();
    let nh = (w * sin.abs() + h * cos.abs()).ceil();
    let (cx, cy) = (w / 2.0, h / 2.0);
    let (ncx, ncy) = (nw / 2.0, nh / 2.0);
    GrayImage::from_fn(nw as u32, nh as u32, |x, y| {
        // Inverse mapping: where in the source does this output pixel come from?
        let dx = f64::from(x) + 0.5 - ncx;
        let dy = f64::from(y) + 0.5 - ncy;
        let sx = cos * dx - sin * dy + cx - 0.5;
        let sy = sin * dx + cos * dy + cy - 0.5;
        Luma([bilinear_or_white(img, sx, sy)])
    })
}

fn bilinear_or_white(img: &GrayImage, sx: f64, sy: f64) -> u8 {
    let sample = |x: i64, y: i64| -> f64 {
        if x < 0 || y < 0 || x >= i64::from(img.width()) || y >= i64::from(img.height()) {
            255.0
        } else {
            f64::from(img.get_pixel(x as u32, y as u32).0[0])
        }
    };
    let (x0, y0) = (sx.floor(), sy.floor());
    let (fx, fy) = (sx - x0, sy - y0);
    let (x0, y0) = (x0 as i64, y0 as i64);
    let top = sample(x0, y0) * (1.0 - fx) + sample(x0 + 1, y0) * fx;
    let bottom = sample(x0, y0 + 1) * (1.0 - fx) + sample(x0 + 1, y0 + 1) * fx;
    (top * (1.0 - fy) + bottom * fy).round().clamp(0.0, 255.0) as u8
}

/// Sets `fraction` of the pixels to pure black or white at random.
pub fn salt_and_pepper(img: &GrayImage, fraction: f64, seed: u64) -> GrayImage {
    let mut rng = Rng::new(seed);
    let mut out = img.clone();
    for p in out.pixels_mut() {
        if rng.unit() < fraction {
            p.0[0] = if rng.next() & 1 == 0 { 0 } else { 255 };
        }
    }
    out
}

/// Adds gaussian noise with standard deviation `sigma` (in gray levels).
pub fn gaussian_noise(img: &GrayImage, sigma: f64, seed: u64) -> GrayImage {
    let mut rng = Rng::new(seed);
    let mut out = img.clone();
    for p in out.pixels_mut() {
        let v = f64::from(p.0[0]) + rng.gaussian() * sigma;
        p.0[0] = v.round().clamp(0.0, 255.0) as u8;
    }
    out
}

/// Pastes the picture onto a larger mid-gray "desk" so the code does not
/// fill the frame, like a real photo.
pub fn on_background(img: &GrayImage, margin: u32, gray: u8) -> GrayImage {
    let mut out = GrayImage::from_pixel(img.width() + 2 * margin, img.height() + 2 * margin, Luma([gray]));
    imageops::overlay(&mut out, img, i64::from(margin), i64::from(margin));
    out
}

/// Small deterministic PRNG (xorshift64*), so tests need no extra crate.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal, by Box–Muller.
    pub fn gaussian(&mut self) -> f64 {
        let u1 = self.unit().max(f64::MIN_POSITIVE);
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}
