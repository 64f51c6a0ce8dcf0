//! Reading a picture file and fingerprinting it, within bounded memory and
//! without panicking on any input.

use std::fs::File;
use std::io::{Cursor, Read};
use std::path::Path;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use sha2::{Digest, Sha256};

use crate::PerceptualHash;

/// Files larger than this are not read (256 MiB): no published picture is
/// that large, and reading one would hold it all in memory.
pub const MAX_FILE_BYTES: u64 = 256 << 20;

/// Pictures with more pixels than this (64 megapixels, 8,000 × 8,000) are
/// not decoded: decoding one holds width × height × 4 bytes.
pub const MAX_PIXELS: u64 = 64_000_000;

/// The fingerprints of one picture file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fingerprint {
    /// SHA-256 of the file's exact bytes.
    pub sha256: [u8; 32],
    /// The perceptual hash of the picture it shows.
    pub perceptual: PerceptualHash,
}

/// Why a file could not be fingerprinted. Each has a stable [`code`](Self::code).
#[derive(Debug, thiserror::Error)]
pub enum PictureError {
    /// The file could not be read.
    #[error("cannot read the file: {0}")]
    Unreadable(#[from] std::io::Error),
    /// The file is larger than [`MAX_FILE_BYTES`].
    #[error("the file is {bytes} bytes; pictures of over {} MiB are not read", MAX_FILE_BYTES >> 20)]
    FileTooLarge {
        /// Its size.
        bytes: u64,
    },
    /// A HEIC/HEIF picture (iPhone): no maintained pure-Rust decoder exists.
    #[error("HEIC pictures are not read; export it as JPEG first")]
    Heic,
    /// Not a JPEG, PNG or WebP picture.
    #[error("not a picture (JPEG, PNG and WebP are read)")]
    NotAPicture,
    /// The picture has more than [`MAX_PIXELS`] pixels.
    #[error("the picture is {width} × {height} pixels; pictures of over {} megapixels are not read", MAX_PIXELS / 1_000_000)]
    TooManyPixels {
        /// Its width.
        width: u32,
        /// Its height.
        height: u32,
    },
    /// The picture is damaged (truncated, corrupt).
    #[error("the picture is damaged: {0}")]
    Damaged(String),
}

impl PictureError {
    /// A stable code for scripts and for the audit's table.
    pub fn code(&self) -> &'static str {
        match self {
            PictureError::Unreadable(_) => "unreadable",
            PictureError::FileTooLarge { .. } => "file_too_large",
            PictureError::Heic => "heic_not_read",
            PictureError::NotAPicture => "not_a_picture",
            PictureError::TooManyPixels { .. } => "too_many_pixels",
            PictureError::Damaged(_) => "damaged",
        }
    }
}

/// Reads and fingerprints a picture file.
pub fn fingerprint_file(path: &Path) -> Result<Fingerprint, PictureError> {
    let file = File::open(path)?;
    let size = file.metadata()?.len();
    if size > MAX_FILE_BYTES {
        return Err(PictureError::FileTooLarge { bytes: size });
    }
    let mut bytes = Vec::with_capacity(size as usize);
    // `take` bounds the read even if the file grows while it is read.
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    fingerprint_bytes(&bytes)
}

/// Fingerprints a picture held in memory.
pub fn fingerprint_bytes(bytes: &[u8]) -> Result<Fingerprint, PictureError> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(PictureError::FileTooLarge {
            bytes: bytes.len() as u64,
        });
    }
    let sha256: [u8; 32] = Sha256::digest(bytes).into();
    if is_heic(bytes) {
        return Err(PictureError::Heic);
    }
    let format = match image::guess_format(bytes) {
        Ok(format @ (ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP)) => format,
        _ => return Err(PictureError::NotAPicture),
    };
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|e| PictureError::Damaged(e.to_string()))?;
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(PictureError::TooManyPixels { width, height });
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    reader.limits(limits);
    let damaged = |e: image::ImageError| PictureError::Damaged(e.to_string());
    let mut decoder = reader.into_decoder().map_err(damaged)?;
    // A phone stores a portrait photo as landscape pixels with an EXIF
    // orientation; websites turn the pixels when they recompress. Hashing
    // the picture as it is shown (as browsers do) matches both.
    let orientation = decoder.orientation().map_err(damaged)?;
    let mut picture = DynamicImage::from_decoder(decoder).map_err(damaged)?;
    picture.apply_orientation(orientation);
    Ok(Fingerprint {
        sha256,
        perceptual: PerceptualHash::of(&picture),
    })
}

/// HEIF files are ISO boxes whose first (`ftyp`) names a HEIF brand.
fn is_heic(bytes: &[u8]) -> bool {
    bytes.len() >= 12
        && &bytes[4..8] == b"ftyp"
        && matches!(
            &bytes[8..12],
            b"heic" | b"heix" | b"hevc" | b"heim" | b"heis" | b"mif1" | b"msf1"
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageBuffer, Rgb};

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let picture = DynamicImage::ImageRgb8(ImageBuffer::from_fn(width, height, |x, y| {
            Rgb([(x % 256) as u8, (y % 256) as u8, ((x * y) % 256) as u8])
        }));
        let mut bytes = Vec::new();
        picture
            .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Jpeg)
            .expect("encodes");
        bytes
    }

    #[test]
    fn a_jpeg_is_fingerprinted_with_the_sha256_of_its_bytes() {
        let bytes = jpeg(64, 48);
        let fingerprint = fingerprint_bytes(&bytes).expect("a picture");
        assert_eq!(fingerprint.sha256, <[u8; 32]>::from(Sha256::digest(&bytes)));
    }

    #[test]
    fn text_is_not_a_picture() {
        let error = fingerprint_bytes(b"name,group\nAnna,3B\n").expect_err("text");
        assert_eq!(error.code(), "not_a_picture");
    }

    #[test]
    fn a_truncated_jpeg_is_reported_not_a_panic() {
        let bytes = jpeg(64, 48);
        for cut in [2, 20, 200, bytes.len() / 2, bytes.len() - 2] {
            // A decoder may fill in a cut-off tail; it must never panic.
            let _ = fingerprint_bytes(&bytes[..cut]);
        }
        assert_eq!(
            fingerprint_bytes(&bytes[..20]).expect_err("cut").code(),
            "damaged"
        );
    }

    #[test]
    fn a_picture_of_twenty_thousand_pixels_square_is_refused_before_decoding() {
        // A PNG header claiming 20,000 × 20,000: refused from the header,
        // without the 1.6 GB decoding it would take.
        let mut header = Vec::new();
        header.extend_from_slice(&20_000u32.to_be_bytes());
        header.extend_from_slice(&20_000u32.to_be_bytes());
        header.extend_from_slice(&[8, 2, 0, 0, 0]);
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend(chunk(b"IHDR", &header));
        png.extend(chunk(b"IDAT", &[]));
        png.extend(chunk(b"IEND", &[]));
        let error = fingerprint_bytes(&png).expect_err("too large");
        assert_eq!(error.code(), "too_many_pixels", "{error}");
    }

    #[test]
    fn a_heic_file_gets_its_own_advice() {
        let mut heic = vec![0, 0, 0, 24];
        heic.extend_from_slice(b"ftypheic\0\0\0\0mif1heic");
        assert_eq!(
            fingerprint_bytes(&heic).expect_err("heic").code(),
            "heic_not_read"
        );
    }

    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
        chunk.extend_from_slice(kind);
        chunk.extend_from_slice(data);
        let crc = crc32(&chunk[4..]);
        chunk.extend_from_slice(&crc.to_be_bytes());
        chunk
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for &byte in bytes {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
}
