use std::io::Cursor;

use image::{ImageFormat, Luma};
use qrcode::bits::Bits;
use qrcode::render::{svg, unicode::Dense1x2};
use qrcode::{EcLevel, QrCode, Version};

use crate::QrError;

/// Smallest module size accepted by [`render_png`], in pixels.
pub const MIN_MODULE_PIXELS: u32 = 1;

/// Largest module size accepted by [`render_png`], in pixels.
///
/// Chosen so that even a version 40 code (185 modules with quiet zone) stays
/// under [`crate::MAX_IMAGE_PIXELS`], i.e. every PNG this crate writes can be
/// read back by [`crate::read_text`].
pub const MAX_MODULE_PIXELS: u32 = 32;

const EC_LEVEL: EcLevel = EcLevel::M;

/// Encodes in byte mode at the smallest version that fits. Byte mode is forced
/// (instead of qrcode's mixed-segment optimiser) so that the version reported
/// by `qr_version` is the one actually drawn.
fn byte_mode_bits(text: &str) -> Result<Bits, QrError> {
    let data = text.as_bytes();
    for v in 1..=40 {
        let mut bits = Bits::new(Version::Normal(v));
        if bits.push_byte_data(data).is_ok() && bits.push_terminator(EC_LEVEL).is_ok() {
            return Ok(bits);
        }
    }
    Err(QrError::TooLong { len: data.len() })
}

fn encode(text: &str) -> Result<QrCode, QrError> {
    let bits = byte_mode_bits(text)?;
    // The bits were sized for exactly this level, so this only fails if
    // qrcode disagrees with itself; report it as "too long" rather than panic.
    QrCode::with_bits(bits, EC_LEVEL).map_err(|_| QrError::TooLong { len: text.len() })
}

/// Returns the smallest QR version (1..=40) that holds `text` in byte mode at
/// error-correction level M — the version every renderer of this crate draws.
///
/// # Errors
/// [`QrError::TooLong`] if the text does not fit even in version 40.
pub fn qr_version(text: &str) -> Result<u8, QrError> {
    match byte_mode_bits(text)?.version() {
        Version::Normal(v) | Version::Micro(v) => {
            u8::try_from(v).map_err(|_| QrError::TooLong { len: text.len() })
        }
    }
}

/// Draws `text` as a QR code made of Unicode half blocks (`█`, `▀`, `▄` and
/// space), two module rows per line, with a 4-module quiet zone.
///
/// Light modules are drawn as blocks and dark modules as spaces, so the code
/// has the right polarity on the usual light-text-on-dark-background
/// terminal. Every line has the same number of characters; lines are joined
/// by `\n` with no trailing newline.
///
/// # Errors
/// [`QrError::TooLong`] if the text does not fit in a QR code.
pub fn render_terminal(text: &str) -> Result<String, QrError> {
    let code = encode(text)?;
    Ok(code
        .render::<Dense1x2>()
        .dark_color(Dense1x2::Light)
        .light_color(Dense1x2::Dark)
        .quiet_zone(true)
        .build())
}

/// Draws `text` as a standalone SVG document (black modules on white, with
/// quiet zone).
///
/// # Errors
/// [`QrError::TooLong`] if the text does not fit in a QR code.
pub fn render_svg(text: &str) -> Result<String, QrError> {
    let code = encode(text)?;
    Ok(code
        .render::<svg::Color<'_>>()
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .quiet_zone(true)
        .build())
}

/// Draws `text` as an 8-bit grayscale PNG file: black modules on white, each
/// module `module_pixels` square, with a 4-module quiet zone. The result is
/// always readable by [`crate::read_text`].
///
/// # Errors
/// [`QrError::TooLong`] if the text does not fit in a QR code;
/// [`QrError::ModuleSizeOutOfRange`] if `module_pixels` is outside
/// [`MIN_MODULE_PIXELS`]`..=`[`MAX_MODULE_PIXELS`].
pub fn render_png(text: &str, module_pixels: u32) -> Result<Vec<u8>, QrError> {
    if !(MIN_MODULE_PIXELS..=MAX_MODULE_PIXELS).contains(&module_pixels) {
        return Err(QrError::ModuleSizeOutOfRange {
            pixels: module_pixels,
        });
    }
    let code = encode(text)?;
    // qrcode's renderer puts a 4-module quiet zone around every normal
    // (non-micro) version, which is what the QR standard asks for.
    let img = code
        .render::<Luma<u8>>()
        .module_dimensions(module_pixels, module_pixels)
        .quiet_zone(true)
        .build();
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png)
        .map_err(|e| QrError::PngEncode(e.to_string()))?;
    Ok(out.into_inner())
}
