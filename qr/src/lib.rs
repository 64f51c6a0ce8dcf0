//! Draws consent codes as QR codes and reads them back from pictures.
//!
//! A consent code is short ASCII text (`consent:` followed by unpadded
//! base64url). Students show it as a QR code (in a terminal, as SVG or as a
//! PNG); teachers photograph it and [`read_text`] recovers the text. The crate
//! is pure: bytes or strings in, bytes or strings out, no files, no network.
//!
//! Every code is encoded in byte mode at error-correction level M, so the
//! version reported by [`qr_version`] is exactly the version that the
//! renderers draw.

mod decode;
mod encode;

pub use decode::{read_text, MAX_IMAGE_PIXELS};
pub use encode::{qr_version, render_png, render_svg, render_terminal, MAX_MODULE_PIXELS, MIN_MODULE_PIXELS};

/// Why a consent code could not be drawn or read.
///
/// The `Display` text is for people; [`QrError::code`] is for machines and
/// never changes between releases.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QrError {
    /// The text does not fit in the largest QR code (version 40) at
    /// error-correction level M in byte mode.
    #[error("text of {len} bytes is too long for a QR code at error-correction level M")]
    TooLong {
        /// Length of the rejected text in bytes.
        len: usize,
    },
    /// The requested PNG module size is outside
    /// [`MIN_MODULE_PIXELS`]`..=`[`MAX_MODULE_PIXELS`].
    #[error("module size of {pixels} px is outside {MIN_MODULE_PIXELS}..={MAX_MODULE_PIXELS}")]
    ModuleSizeOutOfRange {
        /// The rejected module size in pixels.
        pixels: u32,
    },
    /// The PNG encoder failed; not expected to happen when writing to memory.
    #[error("could not encode the PNG: {0}")]
    PngEncode(String),
    /// The bytes are not a PNG or JPEG picture, or the picture is corrupt.
    #[error("not a readable PNG or JPEG picture: {0}")]
    UnreadableImage(String),
    /// The picture has more pixels than [`MAX_IMAGE_PIXELS`]; it was refused
    /// before being decoded so that memory use stays bounded.
    #[error("picture of {width}x{height} pixels exceeds the limit of {MAX_IMAGE_PIXELS} pixels")]
    ImageTooLarge {
        /// Width of the refused picture in pixels.
        width: u32,
        /// Height of the refused picture in pixels.
        height: u32,
    },
    /// No QR code could be found and decoded in the picture.
    #[error("no readable QR code found in the picture")]
    NoCodeFound,
    /// A QR code was decoded but its payload is not UTF-8 text.
    #[error("the QR code does not contain UTF-8 text")]
    NotText,
}

impl QrError {
    /// A stable machine-readable code for this error, suitable for APIs and
    /// logs; it never changes for a given variant.
    pub fn code(&self) -> &'static str {
        match self {
            QrError::TooLong { .. } => "qr_too_long",
            QrError::ModuleSizeOutOfRange { .. } => "qr_module_size_invalid",
            QrError::PngEncode(_) => "png_encode_failed",
            QrError::UnreadableImage(_) => "image_unreadable",
            QrError::ImageTooLarge { .. } => "image_too_large",
            QrError::NoCodeFound => "qr_not_found",
            QrError::NotText => "qr_not_text",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_are_distinct() {
        let all = [
            QrError::TooLong { len: 1 },
            QrError::ModuleSizeOutOfRange { pixels: 0 },
            QrError::PngEncode(String::new()),
            QrError::UnreadableImage(String::new()),
            QrError::ImageTooLarge { width: 1, height: 1 },
            QrError::NoCodeFound,
            QrError::NotText,
        ];
        let mut codes: Vec<_> = all.iter().map(QrError::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
    }
}
