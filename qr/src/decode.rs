use std::io::Cursor;
use std::panic::{self, AssertUnwindSafe};

use image::imageops::{self, FilterType};
use image::{DynamicImage, GrayImage, ImageFormat, ImageReader, Limits};

use crate::QrError;

/// Largest picture, in pixels (width × height), that [`read_text`] accepts.
///
/// 40 megapixels covers every phone camera in a school; anything larger is
/// refused before decoding so a hostile file cannot make us allocate
/// gigabytes.
pub const MAX_IMAGE_PIXELS: u64 = 40_000_000;

/// Pictures whose longer side exceeds this are first searched at a reduced
/// size: a QR code filling a decent part of a phone photo still has several
/// pixels per module after downscaling, and detection is much faster.
const SEARCH_MAX_SIDE: u32 = 1200;

/// Largest longer side ever handed to the detector. rqrr copies the whole
/// picture for every candidate finder-pattern group, and busy pictures (noise,
/// gravel, text) yield candidates in proportion to their area, so its cost
/// grows with the square of the pixel count: 3000×3000 noise takes minutes.
/// Bigger pictures get a second, more detailed search at this size.
const DETAIL_MAX_SIDE: u32 = 2400;

/// Pictures whose longer side is below this are also searched at twice the
/// size, which helps when modules are only 1–2 pixels wide.
const UPSCALE_BELOW_SIDE: u32 = 600;

/// Reads the text of a QR code from a PNG or JPEG picture (format guessed
/// from the bytes).
///
/// Works on photos: the code may be scaled, rotated by any angle, JPEG
/// compressed, slightly noisy, inverted (light on dark, as on a terminal) or
/// drawn on a transparent background. Plain detection is tried first, then
/// fallbacks (downscaling, global threshold, median filter, upscaling,
/// inversion). If the picture holds several codes, the text of the first one
/// that decodes is returned.
///
/// Large pictures are searched at reduced size (longer side 1200 px, then
/// 2400 px) to keep time bounded, so a code must still have about 3 px per
/// module at 2400 px; a code spanning a tenth of a phone photo's width does.
///
/// Never panics on any input bytes, as long as the program is built with
/// `panic = "unwind"` (the default): panics inside the QR detector are caught
/// and treated as "not found".
///
/// # Errors
/// - [`QrError::UnreadableImage`]: not PNG/JPEG, or corrupt.
/// - [`QrError::ImageTooLarge`]: more than [`MAX_IMAGE_PIXELS`] pixels.
/// - [`QrError::NoCodeFound`]: no QR code could be located and decoded.
/// - [`QrError::NotText`]: a code was decoded but holds non-UTF-8 bytes (and
///   no other code in the picture holds text).
pub fn read_text(image_bytes: &[u8]) -> Result<String, QrError> {
    let gray = load_gray(image_bytes)?;
    search(&gray)
}

fn load_gray(bytes: &[u8]) -> Result<GrayImage, QrError> {
    let unreadable = |e: image::ImageError| QrError::UnreadableImage(e.to_string());
    let format = image::guess_format(bytes).map_err(unreadable)?;
    if !matches!(format, ImageFormat::Png | ImageFormat::Jpeg) {
        return Err(QrError::UnreadableImage(format!(
            "{format:?} pictures are not supported, only PNG and JPEG"
        )));
    }

    // Headers are read first so the size check happens before any pixel
    // buffer is allocated.
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(unreadable)?;
    if u64::from(width) * u64::from(height) > MAX_IMAGE_PIXELS {
        return Err(QrError::ImageTooLarge { width, height });
    }

    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    // Belt and braces: the decoder enforces the same bound even if the
    // header lied about the dimensions.
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => QrError::ImageTooLarge { width, height },
        other => unreadable(other),
    })?;
    Ok(to_gray_on_white(img))
}

/// Converts to 8-bit gray, compositing transparent pixels onto white: a code
/// drawn on a transparent background usually has black (0,0,0,0) there, which
/// a plain conversion would turn into a black square.
fn to_gray_on_white(img: DynamicImage) -> GrayImage {
    if !img.color().has_alpha() {
        return img.into_luma8();
    }
    let rgba = img.into_rgba8();
    GrayImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        // Rec. 601 luma, like image's own conversion.
        let luma = (299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b)) / 1000;
        let a = u32::from(a);
        let on_white = (luma * a + 255 * (255 - a)) / 255;
        image::Luma([u8::try_from(on_white).unwrap_or(255)])
    })
}

/// What one detection attempt found.
enum Attempt {
    Text(String),
    /// A code decoded, but to bytes that are not UTF-8.
    Binary,
    Nothing,
}

fn search(full: &GrayImage) -> Result<String, QrError> {
    let (w, h) = full.dimensions();
    if w == 0 || h == 0 {
        return Err(QrError::NoCodeFound);
    }
    let long_side = w.max(h);
    let large = long_side > SEARCH_MAX_SIDE;
    let primary = fit_within(full, SEARCH_MAX_SIDE);

    let small = long_side < UPSCALE_BELOW_SIDE;
    let upscaled = || {
        let (pw, ph) = primary.dimensions();
        imageops::resize(&primary, pw * 3, ph * 3, FilterType::CatmullRom)
    };
    // Each closure builds one variant lazily, cheapest and most likely first,
    // so a clean picture costs a single detection pass.
    let variants: [&dyn Fn() -> Option<GrayImage>; 10] = [
        &|| Some(primary.clone()),
        &|| Some(otsu_threshold(&primary)),
        &|| Some(median3(&primary)),
        &|| Some(otsu_threshold(&median3(&primary))),
        // A second pass removes specks that came in pairs or touched edges.
        &|| Some(median3(&median3(&primary))),
        &|| large.then(|| fit_within(full, DETAIL_MAX_SIDE)),
        &|| small.then(upscaled),
        &|| small.then(|| otsu_threshold(&upscaled())),
        &|| small.then(|| otsu_threshold(&median3(&upscaled()))),
        &|| {
            let mut inverted = primary.clone();
            imageops::invert(&mut inverted);
            Some(inverted)
        },
    ];
    let mut saw_binary = false;
    for make in variants {
        let Some(img) = make() else { continue };
        match detect(img) {
            Attempt::Text(text) => return Ok(text),
            Attempt::Binary => saw_binary = true,
            Attempt::Nothing => {}
        }
    }
    Err(if saw_binary {
        QrError::NotText
    } else {
        QrError::NoCodeFound
    })
}

/// Returns the picture shrunk so its longer side is at most `max_side`, or a
/// copy if it already fits.
fn fit_within(img: &GrayImage, max_side: u32) -> GrayImage {
    let (w, h) = img.dimensions();
    let long_side = w.max(h);
    if long_side <= max_side {
        return img.clone();
    }
    let scale = f64::from(max_side) / f64::from(long_side);
    // Both results are at most `max_side`, so the casts cannot overflow.
    let nw = ((f64::from(w) * scale).round() as u32).clamp(1, max_side);
    let nh = ((f64::from(h) * scale).round() as u32).clamp(1, max_side);
    imageops::resize(img, nw, nh, FilterType::Triangle)
}

fn detect(img: GrayImage) -> Attempt {
    // rqrr has known panics on degenerate capstone groups (e.g. its issue
    // #54); one odd photo must not take the caller down with it.
    panic::catch_unwind(AssertUnwindSafe(move || {
        let mut prepared = rqrr::PreparedImage::prepare(img);
        let mut saw_binary = false;
        for grid in prepared.detect_grids() {
            let mut payload = Vec::new();
            if grid.decode_to(&mut payload).is_err() {
                continue;
            }
            match String::from_utf8(payload) {
                Ok(text) => return Attempt::Text(text),
                Err(_) => saw_binary = true,
            }
        }
        if saw_binary {
            Attempt::Binary
        } else {
            Attempt::Nothing
        }
    }))
    .unwrap_or(Attempt::Nothing)
}

/// Global Otsu binarisation. rqrr's own threshold is a local moving average,
/// which can break up large dark areas or smooth gradients; a global cut is a
/// useful second opinion on evenly lit pictures.
fn otsu_threshold(img: &GrayImage) -> GrayImage {
    let mut hist = [0u64; 256];
    for p in img.pixels() {
        hist[usize::from(p.0[0])] += 1;
    }
    let total: u64 = hist.iter().sum();
    let weighted_total: f64 = hist.iter().enumerate().map(|(v, &n)| v as f64 * n as f64).sum();

    let mut best_t = 127u8;
    let mut best_var = -1.0f64;
    let mut w_bg = 0u64;
    let mut sum_bg = 0.0f64;
    for (t, &n) in hist.iter().enumerate() {
        w_bg += n;
        if w_bg == 0 {
            continue;
        }
        let w_fg = total - w_bg;
        if w_fg == 0 {
            break;
        }
        sum_bg += t as f64 * n as f64;
        let mean_bg = sum_bg / w_bg as f64;
        let mean_fg = (weighted_total - sum_bg) / w_fg as f64;
        let var = w_bg as f64 * w_fg as f64 * (mean_bg - mean_fg).powi(2);
        if var > best_var {
            best_var = var;
            best_t = u8::try_from(t).unwrap_or(u8::MAX);
        }
    }

    let mut out = img.clone();
    for p in out.pixels_mut() {
        p.0[0] = if p.0[0] <= best_t { 0 } else { 255 };
    }
    out
}

/// 3×3 median filter: removes salt-and-pepper specks that would otherwise be
/// mistaken for modules or split finder patterns, while keeping module edges.
fn median3(img: &GrayImage) -> GrayImage {
    let (w, h) = img.dimensions();
    GrayImage::from_fn(w, h, |x, y| {
        let mut window = [0u8; 9];
        let mut i = 0;
        for dy in [-1i64, 0, 1] {
            for dx in [-1i64, 0, 1] {
                // Edges are handled by clamping, i.e. repeating border pixels.
                let sx = (i64::from(x) + dx).clamp(0, i64::from(w) - 1) as u32;
                let sy = (i64::from(y) + dy).clamp(0, i64::from(h) - 1) as u32;
                window[i] = img.get_pixel(sx, sy).0[0];
                i += 1;
            }
        }
        window.sort_unstable();
        image::Luma([window[4]])
    })
}
