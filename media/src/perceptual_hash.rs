//! The perceptual hash, its text form and how near two of them are.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use image::imageops::FilterType;
use image::{DynamicImage, GrayImage, RgbImage};
use image_hasher::{HashAlg, Hasher, HasherConfig};

/// Width and height of the hash in bits: the picture is shrunk to 32 × 32
/// grey pixels, and of its discrete cosine transform the 16 × 16 lowest
/// frequencies are each compared with their median, 256 bits.
const SIDE: u32 = 16;
const BYTES: usize = (SIDE * SIDE / 8) as usize;

/// At most this many of the 256 bits differ between a picture and a
/// published copy of it for the copy to count as the same picture.
///
/// Chosen from the robustness run in `BENCHMARKS.md` ("Media audit": 1,018
/// distinct pictures, seven published copies of each). Copies resized to 50%
/// or 25% or recompressed as JPEG lie at most 10 bits from their original; a
/// caption at a median of 20, a 5% crop at a median of 40. Distinct pictures
/// lie 76 bits apart and more. A false match would report an unchecked
/// picture as checked, the very error the audit exists to find, so the
/// threshold stays sixteen bits below the closest distinct pair; there it
/// finds 99.5% of the crops and 99.9% of the captions.
pub const CERTAIN_DISTANCE: u32 = 60;

/// Up to this distance a picture is reported as an uncertain match, for a
/// person to look at; above it, as a different picture. In the same run all
/// but one crop in a thousand lie within it, and no pair of distinct
/// pictures.
pub const UNCERTAIN_DISTANCE: u32 = 72;

/// A 256-bit DCT hash of a picture (pHash: the low frequencies against
/// their median). Its text form is 64 lowercase hexadecimal characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PerceptualHash([u8; BYTES]);

impl PerceptualHash {
    /// Hashes a decoded picture.
    pub fn of(picture: &DynamicImage) -> Self {
        // Planning the transform is the costly part: plan it once.
        static HASHER: OnceLock<Hasher> = OnceLock::new();
        let hasher = HASHER.get_or_init(|| {
            HasherConfig::new()
                .hash_alg(HashAlg::Median)
                .preproc_dct()
                .hash_size(SIDE, SIDE)
                .resize_filter(FilterType::Triangle)
                .to_hasher()
        });
        let hash = hasher.hash_image(&grey(picture));
        let mut bytes = [0; BYTES];
        bytes.copy_from_slice(hash.as_bytes());
        Self(bytes)
    }

    /// The hash's bytes.
    pub fn as_bytes(&self) -> &[u8; BYTES] {
        &self.0
    }

    /// The number of bits in which the two hashes differ (0 to 256).
    pub fn distance(&self, other: &Self) -> u32 {
        self.0
            .iter()
            .zip(other.0.iter())
            .map(|(a, b)| (a ^ b).count_ones())
            .sum()
    }
}

/// The picture's grey levels, computed here rather than by the `image`
/// crate (whose conversion follows the picture's colour space and may change
/// between versions): the browser computes exactly this formula, so that
/// both hash the same grey picture. Rec. 709 weights on the sRGB values,
/// in integers, alpha ignored.
fn grey(picture: &DynamicImage) -> GrayImage {
    let level = |[r, g, b]: [u8; 3]| {
        let weighted = 2126 * u32::from(r) + 7152 * u32::from(g) + 722 * u32::from(b);
        image::Luma([(weighted / 10_000) as u8])
    };
    let (width, height) = (picture.width(), picture.height());
    match picture {
        DynamicImage::ImageLuma8(grey) => grey.clone(),
        DynamicImage::ImageRgb8(rgb) => {
            GrayImage::from_fn(width, height, |x, y| level(rgb.get_pixel(x, y).0))
        }
        DynamicImage::ImageRgba8(rgba) => GrayImage::from_fn(width, height, |x, y| {
            let [r, g, b, _] = rgba.get_pixel(x, y).0;
            level([r, g, b])
        }),
        other => {
            let rgb: RgbImage = other.to_rgb8();
            GrayImage::from_fn(width, height, |x, y| level(rgb.get_pixel(x, y).0))
        }
    }
}

/// How alike two pictures are, judged by their hashes' distance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Likeness {
    /// The same picture, perhaps resized, recompressed or lightly edited.
    Same,
    /// Perhaps the same picture: a person should look.
    Uncertain,
    /// Different pictures.
    Different,
}

impl Likeness {
    /// Judges a distance between two hashes.
    pub fn of(distance: u32) -> Self {
        if distance <= CERTAIN_DISTANCE {
            Likeness::Same
        } else if distance <= UNCERTAIN_DISTANCE {
            Likeness::Uncertain
        } else {
            Likeness::Different
        }
    }
}

impl fmt::Display for PerceptualHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for PerceptualHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PerceptualHash({self})")
    }
}

/// A perceptual hash's text was not 64 lowercase hexadecimal characters.
#[derive(Debug, thiserror::Error)]
#[error("a perceptual hash is {} lowercase hexadecimal characters", BYTES * 2)]
pub struct PerceptualHashError;

impl FromStr for PerceptualHash {
    type Err = PerceptualHashError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.len() != BYTES * 2 || text.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(PerceptualHashError);
        }
        let mut bytes = [0; BYTES];
        hex::decode_to_slice(text, &mut bytes).map_err(|_| PerceptualHashError)?;
        Ok(Self(bytes))
    }
}

impl serde::Serialize for PerceptualHash {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for PerceptualHash {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    /// Blocks of random grey levels: distinct seeds give unrelated scenes.
    fn scene(seed: u32) -> DynamicImage {
        let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        let blocks: Vec<u8> = (0..12 * 16)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (state >> 24) as u8
            })
            .collect();
        DynamicImage::ImageRgb8(RgbImage::from_fn(320, 240, |x, y| {
            let level = blocks[(y / 20 * 16 + x / 20) as usize];
            Rgb([level, level / 2, 255 - level])
        }))
    }

    #[test]
    fn the_text_form_reads_back_and_refuses_anything_else() {
        let hash = PerceptualHash::of(&scene(1));
        let text = hash.to_string();
        assert_eq!(text.len(), 64);
        assert_eq!(text.parse::<PerceptualHash>().ok(), Some(hash));
        assert!(text.to_uppercase().parse::<PerceptualHash>().is_err());
        assert!(text[..62].parse::<PerceptualHash>().is_err());
        assert!(format!("{}zz", &text[..62]).parse::<PerceptualHash>().is_err());
    }

    #[test]
    fn a_resized_copy_is_the_same_picture_and_another_scene_is_not() {
        let original = scene(1);
        let smaller = original.resize_exact(160, 120, FilterType::Triangle);
        let near = PerceptualHash::of(&original).distance(&PerceptualHash::of(&smaller));
        assert_eq!(Likeness::of(near), Likeness::Same, "distance {near}");
        let far = PerceptualHash::of(&original).distance(&PerceptualHash::of(&scene(9)));
        assert_eq!(Likeness::of(far), Likeness::Different, "distance {far}");
    }
}
