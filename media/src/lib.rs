//! Fingerprints of pictures for the media audit: the SHA-256 of the exact
//! file and a perceptual hash of what the picture shows.
//!
//! Websites and social media resize and recompress every upload, so the
//! SHA-256 a teacher checked no longer matches the file that is online. The
//! perceptual hash (the DCT hash of `image_hasher`, pHash) changes by only a
//! few bits under such edits, so a published copy is found by the Hamming
//! distance between hashes ([`PerceptualHash::distance`], judged by
//! [`Likeness::of`]). Both are computed on the client: only hashes leave the
//! machine, never a picture.
//!
//! The phone and the console compute the same hash in the browser
//! (`server/web/static/js/fingerprint.js`); a browser test holds
//! the two equal.

mod perceptual_hash;
mod picture;

pub use perceptual_hash::{
    Likeness, PerceptualHash, PerceptualHashError, CERTAIN_DISTANCE, UNCERTAIN_DISTANCE,
};
pub use picture::{
    fingerprint_bytes, fingerprint_file, Fingerprint, PictureError, MAX_FILE_BYTES, MAX_PIXELS,
};
