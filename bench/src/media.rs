//! The media audit's robustness and speed: does a published copy of a
//! checked picture (resized, recompressed, cropped, captioned) still match
//! the check, does no other picture match it, and what does fingerprinting
//! cost next to a plain SHA-256 of the same files.
//!
//! Every original is written as PNG and every copy as the file a website
//! would serve; each file is then fingerprinted from disk through
//! [`consent_media::fingerprint_file`], exactly as the CLI does.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use consent_media::fingerprint_file;
use font8x8::UnicodeFonts;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType as PngFilter, PngEncoder};
use image::imageops::{self, FilterType};
use image::{ExtendedColorType, ImageEncoder, Rgb, RgbImage};
use image_hasher::{HashAlg, HasherConfig};
use sha2::{Digest, Sha256};

use crate::scenes;

/// What one run measures.
pub struct MediaRun {
    /// How many scenes to generate.
    pub count: usize,
    /// The seed they are drawn from.
    pub seed: u64,
    /// Where the pictures are written (emptied first).
    pub dir: PathBuf,
    /// A folder of further pictures (JPEG or PNG) to add to the set, such as
    /// those scikit-image ships.
    pub pictures: Option<PathBuf>,
}

/// The seed of the published run.
pub const SEED: u64 = 15;

/// How publishing changes a picture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transform {
    /// Resized to half its width and height.
    Half,
    /// Resized to a quarter of its width and height.
    Quarter,
    /// Recompressed as JPEG at quality 60.
    Jpeg60,
    /// 5% of the width and of the height cut off, half on each side.
    Crop,
    /// A caption on a dark band across the bottom.
    Caption,
    /// The PNG converted to JPEG at the usual default quality.
    PngToJpeg,
    /// What a website does on upload: the long side to 1024 pixels and JPEG
    /// at quality 82 (WordPress's "large" size and its default quality).
    Website,
}

/// Every transform, in the report's order.
pub const TRANSFORMS: [Transform; 7] = [
    Transform::Half,
    Transform::Quarter,
    Transform::Jpeg60,
    Transform::Crop,
    Transform::Caption,
    Transform::PngToJpeg,
    Transform::Website,
];

/// Captions in the words schools write under pictures.
const CAPTIONS: [&str; 6] = [
    "Sportdag 2026 - groep 7b",
    "Schoolreisje naar de Efteling",
    "Kerstviering in de aula",
    "Afscheid groep 8 - juni 2026",
    "Open dag: welkom!",
    "Project Water - groep 5a",
];

impl Transform {
    /// The folder its copies are written to, and the name in the report.
    pub fn name(self) -> &'static str {
        match self {
            Transform::Half => "resized-50",
            Transform::Quarter => "resized-25",
            Transform::Jpeg60 => "jpeg-q60",
            Transform::Crop => "cropped-5",
            Transform::Caption => "caption",
            Transform::PngToJpeg => "png-to-jpeg",
            Transform::Website => "website",
        }
    }

    /// What was done, for the report.
    pub fn description(self) -> &'static str {
        match self {
            Transform::Half => "resized to 50% (Lanczos3), PNG",
            Transform::Quarter => "resized to 25% (Lanczos3), PNG",
            Transform::Jpeg60 => "JPEG at quality 60, full size",
            Transform::Crop => "5% of width and height cut off, split evenly over the edges, PNG",
            Transform::Caption => "a caption in white on a dark band over the bottom 7%, PNG",
            Transform::PngToJpeg => {
                "the PNG converted to JPEG at quality 75 (the default of libjpeg, Pillow and the image crate)"
            }
            Transform::Website => {
                "long side to 1024 px (Lanczos3) and JPEG at quality 82 (WordPress's defaults)"
            }
        }
    }

    /// The share of copies that must be found (the goals); the
    /// website's combination has none of its own.
    pub fn goal(self) -> Option<f64> {
        match self {
            Transform::Half | Transform::Quarter | Transform::Jpeg60 => Some(0.99),
            Transform::Crop | Transform::Caption | Transform::PngToJpeg => Some(0.95),
            Transform::Website => None,
        }
    }

    /// Whether the copy is a JPEG file (measured for speed).
    pub fn is_jpeg(self) -> bool {
        matches!(
            self,
            Transform::Jpeg60 | Transform::PngToJpeg | Transform::Website
        )
    }

    fn extension(self) -> &'static str {
        if self.is_jpeg() {
            "jpg"
        } else {
            "png"
        }
    }

    /// The copy's file, encoded.
    pub fn apply(self, picture: &RgbImage, index: usize) -> Result<Vec<u8>> {
        let (width, height) = picture.dimensions();
        match self {
            Transform::Half => png(&resized(picture, width / 2, height / 2)),
            Transform::Quarter => png(&resized(picture, width / 4, height / 4)),
            Transform::Jpeg60 => jpeg(picture, 60),
            Transform::Crop => {
                let (cut_x, cut_y) = (width / 20, height / 20);
                let cropped =
                    imageops::crop_imm(picture, cut_x / 2, cut_y / 2, width - cut_x, height - cut_y)
                        .to_image();
                png(&cropped)
            }
            Transform::Caption => png(&captioned(picture, CAPTIONS[index % CAPTIONS.len()])),
            Transform::PngToJpeg => jpeg(picture, 75),
            Transform::Website => {
                let long = width.max(height);
                if long <= 1024 {
                    jpeg(picture, 82)
                } else {
                    let factor = 1024.0 / long as f64;
                    let scaled = |side: u32| ((side as f64 * factor).round() as u32).max(1);
                    jpeg(&resized(picture, scaled(width), scaled(height)), 82)
                }
            }
        }
    }
}

fn resized(picture: &RgbImage, width: u32, height: u32) -> RgbImage {
    imageops::resize(picture, width.max(1), height.max(1), FilterType::Lanczos3)
}

/// Draws `text` in white on a dark band over the bottom 7% of the picture,
/// with an 8 × 8 bitmap font scaled to the band.
pub fn captioned(picture: &RgbImage, text: &str) -> RgbImage {
    let mut out = picture.clone();
    let (width, height) = out.dimensions();
    let band = (height * 7 / 100).max(10);
    for y in height - band..height {
        for x in 0..width {
            let Rgb(pixel) = out.get_pixel_mut(x, y);
            // 75% black: the picture still shows faintly through the band.
            *pixel = pixel.map(|c| (u16::from(c) / 4) as u8);
        }
    }
    let characters = text.chars().count().max(1) as u32;
    // Letters 60% of the band high, but never wider than the picture.
    let scale = (band * 6 / 10 / 8)
        .min(width.saturating_sub(band) / (8 * characters))
        .max(1);
    let top = height - band + (band - 8 * scale) / 2;
    let mut left = band / 2;
    for character in text.chars() {
        let glyph = font8x8::BASIC_FONTS.get(character).unwrap_or([0; 8]);
        for (row, bits) in glyph.iter().enumerate() {
            for column in 0..8u32 {
                if bits & (1 << column) == 0 {
                    continue;
                }
                for dy in 0..scale {
                    for dx in 0..scale {
                        let x = left + column * scale + dx;
                        let y = top + row as u32 * scale + dy;
                        if x < width && y < height {
                            out.put_pixel(x, y, Rgb([245, 245, 245]));
                        }
                    }
                }
            }
        }
        left += 8 * scale;
    }
    out
}

fn png(picture: &RgbImage) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    // Fast compression: the files only need to be PNG, and the default
    // level spends most of the run's time on deflate.
    PngEncoder::new_with_quality(&mut bytes, CompressionType::Fast, PngFilter::Adaptive).write_image(
        picture.as_raw(),
        picture.width(),
        picture.height(),
        ExtendedColorType::Rgb8,
    )?;
    Ok(bytes)
}

fn jpeg(picture: &RgbImage, quality: u8) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(Cursor::new(&mut bytes), quality).write_image(
        picture.as_raw(),
        picture.width(),
        picture.height(),
        ExtendedColorType::Rgb8,
    )?;
    Ok(bytes)
}

/// The perceptual hashes measured: the one the audit uses, and one other
/// for comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hash {
    /// `consent_media`'s, taken from `fingerprint_file`: `image_hasher`'s
    /// DCT hash (pHash): 32 × 32 grey pixels, their DCT's lowest 16 × 16
    /// frequencies, each compared with the median.
    InForce,
    /// `image_hasher`'s gradient hash, 16 × 16 bits, Triangle filter: the
    /// audit's first choice, measured to show why it was replaced.
    Gradient,
}

/// Both hashes, in the report's order.
pub const HASHES: [Hash; 2] = [Hash::InForce, Hash::Gradient];

impl Hash {
    /// Its name in the report.
    pub fn name(self) -> &'static str {
        match self {
            Hash::InForce => "DCT and median (pHash), 16 × 16 (in force)",
            Hash::Gradient => "gradient, 16 × 16",
        }
    }
}

/// 256 bits of a hash.
pub type Bits = [u8; 32];

/// How many bits differ.
pub fn distance(a: &Bits, b: &Bits) -> u32 {
    a.iter().zip(b).map(|(a, b)| (a ^ b).count_ones()).sum()
}

/// Where a picture of the set comes from.
#[derive(Clone, Debug)]
enum Source {
    /// A generated scene: its index.
    Scene(u64),
    /// A file from the `--pictures` folder.
    File(PathBuf),
}

/// One picture of the set and the perceptual hashes of its files.
#[derive(Clone, Debug)]
pub struct Picture {
    /// Its name: `scene-00042`, or the file name of an added picture.
    pub name: String,
    /// Its original's width and height.
    pub size: (u32, u32),
    /// Whether it was generated (or added from a folder).
    pub generated: bool,
    /// The hashes of the original (PNG), in [`HASHES`] order.
    pub original: [Bits; 2],
    /// The hashes of each copy, in [`TRANSFORMS`] order.
    pub copies: Vec<[Bits; 2]>,
}

/// Files per second of one way of reading them.
#[derive(Clone, Debug)]
pub struct Speed {
    /// How many threads read the files.
    pub threads: usize,
    /// Plain SHA-256 of each file, read from disk.
    pub sha256: Duration,
    /// Decoding each file, read from disk, and nothing else.
    pub decode: Duration,
    /// Fingerprinting (decode, SHA-256, perceptual hash), read from disk.
    pub fingerprint: Duration,
}

/// Everything one run measured.
pub struct MediaResult {
    /// The run's settings.
    pub seed: u64,
    /// The pictures, in order: the scenes, then the added files.
    pub pictures: Vec<Picture>,
    /// The folder scanned for added pictures, if any.
    pub added_from: Option<PathBuf>,
    /// How long generating, transforming, writing and fingerprinting took.
    pub building: Duration,
    /// How many JPEG copies the speed was measured on, and their bytes.
    pub speed_files: usize,
    /// Their total size.
    pub speed_bytes: u64,
    /// Single-threaded first, then with all cores.
    pub speeds: Vec<Speed>,
}

/// Generates the set, writes every original and copy to `run.dir`,
/// fingerprints each file and measures the speed.
pub fn measure(run: &MediaRun) -> Result<MediaResult> {
    let mut sources: Vec<(String, Source)> = (0..run.count)
        .map(|i| (format!("scene-{i:05}"), Source::Scene(i as u64)))
        .collect();
    if let Some(folder) = &run.pictures {
        sources.extend(added_pictures(folder)?);
    }
    if run.dir.exists() {
        std::fs::remove_dir_all(&run.dir).with_context(|| format!("emptying {}", run.dir.display()))?;
    }
    for folder in std::iter::once("originals").chain(TRANSFORMS.iter().map(|t| t.name())) {
        std::fs::create_dir_all(run.dir.join(folder))?;
    }
    let cores = cores();
    let started = Instant::now();
    let done = AtomicUsize::new(0);
    let results = Mutex::new(Vec::with_capacity(sources.len()));
    in_parallel(sources.len(), cores, |index| {
        let (name, source) = &sources[index];
        let picture = prepare(run, index, name, source)?;
        results
            .lock()
            .map_err(|_| anyhow::anyhow!("a worker panicked"))?
            .push((index, picture));
        let done = done.fetch_add(1, Ordering::Relaxed) + 1;
        if done.is_multiple_of(100) {
            eprintln!("  {done} of {} pictures", sources.len());
        }
        Ok(())
    })?;
    let building = started.elapsed();
    let mut results = results
        .into_inner()
        .map_err(|_| anyhow::anyhow!("a worker panicked"))?;
    results.sort_by_key(|(index, _)| *index);
    let pictures: Vec<Picture> = results.into_iter().map(|(_, picture)| picture).collect();

    let files: Vec<PathBuf> = TRANSFORMS
        .iter()
        .filter(|t| t.is_jpeg())
        .flat_map(|t| {
            pictures.iter().map(|p| {
                run.dir
                    .join(t.name())
                    .join(format!("{}.{}", p.name, t.extension()))
            })
        })
        .collect();
    eprintln!("  speed over {} JPEG files ...", files.len());
    let mut speed_bytes = 0;
    // One read of everything first, so every pass below finds it in the
    // page cache and measures hashing, not the disk.
    for file in &files {
        speed_bytes += std::fs::read(file)?.len() as u64;
    }
    let mut speeds = Vec::new();
    for threads in [1, cores] {
        let sha256 = timed(&files, threads, |path| {
            let bytes = std::fs::read(path)?;
            std::hint::black_box(Sha256::digest(&bytes));
            Ok(())
        })?;
        let decode = timed(&files, threads, |path| {
            std::hint::black_box(image::load_from_memory(&std::fs::read(path)?)?);
            Ok(())
        })?;
        let fingerprint = timed(&files, threads, |path| {
            std::hint::black_box(fingerprint_file(path)?);
            Ok(())
        })?;
        speeds.push(Speed {
            threads,
            sha256,
            decode,
            fingerprint,
        });
        if cores == 1 {
            break;
        }
    }
    Ok(MediaResult {
        seed: run.seed,
        pictures,
        added_from: run.pictures.clone(),
        building,
        speed_files: files.len(),
        speed_bytes,
        speeds,
    })
}

/// The JPEG and PNG files in `folder`, by name.
fn added_pictures(folder: &Path) -> Result<Vec<(String, Source)>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(folder).with_context(|| format!("reading {}", folder.display()))? {
        let path = entry?.path();
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        if matches!(extension.as_deref(), Some("png" | "jpg" | "jpeg")) {
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("picture")
                .to_owned();
            found.push((stem, Source::File(path)));
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    if found.is_empty() {
        bail!("no JPEG or PNG pictures in {}", folder.display());
    }
    Ok(found)
}

/// Draws or reads one picture, writes it and its copies, and fingerprints them.
fn prepare(run: &MediaRun, index: usize, name: &str, source: &Source) -> Result<Picture> {
    let picture = match source {
        Source::Scene(i) => scenes::scene(run.seed, *i),
        Source::File(path) => image::open(path)
            .with_context(|| format!("reading {}", path.display()))?
            .to_rgb8(),
    };
    let gradient = HasherConfig::new()
        .hash_alg(HashAlg::Gradient)
        .hash_size(16, 16)
        .resize_filter(FilterType::Triangle)
        .to_hasher();
    let write_and_hash = |path: PathBuf, bytes: Vec<u8>| -> Result<[Bits; 2]> {
        std::fs::write(&path, &bytes)?;
        let in_force = *fingerprint_file(&path)
            .with_context(|| format!("fingerprinting {}", path.display()))?
            .perceptual
            .as_bytes();
        let decoded = image::load_from_memory(&bytes)?;
        let mut other = [0; 32];
        other.copy_from_slice(gradient.hash_image(&decoded).as_bytes());
        Ok([in_force, other])
    };
    let original = write_and_hash(
        run.dir.join("originals").join(format!("{name}.png")),
        png(&picture)?,
    )?;
    let mut copies = Vec::with_capacity(TRANSFORMS.len());
    for transform in TRANSFORMS {
        let path = run
            .dir
            .join(transform.name())
            .join(format!("{name}.{}", transform.extension()));
        copies.push(write_and_hash(path, transform.apply(&picture, index)?)?);
    }
    Ok(Picture {
        name: name.to_owned(),
        size: picture.dimensions(),
        generated: matches!(source, Source::Scene(_)),
        original,
        copies,
    })
}

/// The cores this process may use.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Runs `work` on every index in 0..count, on `threads` threads, each
/// taking the next index as it finishes one; stops at the first error.
fn in_parallel(count: usize, threads: usize, work: impl Fn(usize) -> Result<()> + Sync) -> Result<()> {
    let next = AtomicUsize::new(0);
    let failed = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= count {
                    break;
                }
                if let Err(error) = work(index) {
                    next.store(count, Ordering::Relaxed);
                    if let Ok(mut failed) = failed.lock() {
                        failed.get_or_insert(error);
                    }
                    break;
                }
            });
        }
    });
    match failed.into_inner() {
        Ok(Some(error)) => Err(error),
        Ok(None) => Ok(()),
        Err(_) => bail!("a worker panicked"),
    }
}

/// How long `work` takes over all `files` on `threads` threads.
fn timed(files: &[PathBuf], threads: usize, work: impl Fn(&Path) -> Result<()> + Sync) -> Result<Duration> {
    let started = Instant::now();
    in_parallel(files.len(), threads, |i| work(&files[i]))?;
    Ok(started.elapsed())
}

/// The distances between pictures that a threshold must tell apart.
pub struct Distances {
    /// Per transform, each copy's distance to its own original.
    pub same: Vec<Vec<u32>>,
    /// How many pairs of distinct pictures lie at each distance (0..=256):
    /// originals against each other, then each transform's copies against
    /// every other original, in [`TRANSFORMS`] order.
    pub distinct: Vec<[u64; 257]>,
    /// The closest pairs of distinct pictures: distance, the copy's
    /// transform (None for two originals), the two names.
    pub closest: Vec<(u32, Option<Transform>, String, String)>,
}

/// How many of the closest distinct pairs the report names.
const CLOSEST: usize = 5;

impl Distances {
    /// Every distance the report needs, for one of the [`HASHES`].
    pub fn of(pictures: &[Picture], hash: Hash) -> Self {
        let h = HASHES.iter().position(|&k| k == hash).unwrap_or(0);
        let same = (0..TRANSFORMS.len())
            .map(|t| {
                pictures
                    .iter()
                    .map(|p| distance(&p.original[h], &p.copies[t][h]))
                    .collect()
            })
            .collect();
        let mut distinct = vec![[0u64; 257]; TRANSFORMS.len() + 1];
        let mut closest: Vec<(u32, Option<Transform>, String, String)> = Vec::new();
        let mut note = |d: u32, transform: Option<Transform>, a: &str, b: &str| {
            if closest.len() < CLOSEST || d < closest[closest.len() - 1].0 {
                closest.push((d, transform, a.to_owned(), b.to_owned()));
                closest.sort_by_key(|c| c.0);
                closest.truncate(CLOSEST);
            }
        };
        for (i, a) in pictures.iter().enumerate() {
            for b in &pictures[i + 1..] {
                let d = distance(&a.original[h], &b.original[h]);
                distinct[0][d as usize] += 1;
                note(d, None, &a.name, &b.name);
            }
        }
        for (t, transform) in TRANSFORMS.iter().enumerate() {
            for (i, copy) in pictures.iter().enumerate() {
                for (j, other) in pictures.iter().enumerate() {
                    if i != j {
                        let d = distance(&copy.copies[t][h], &other.original[h]);
                        distinct[t + 1][d as usize] += 1;
                        note(d, Some(*transform), &copy.name, &other.name);
                    }
                }
            }
        }
        Self {
            same,
            distinct,
            closest,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_copy_is_a_picture_the_audit_reads() {
        let picture = scenes::scene(SEED, 0);
        for transform in TRANSFORMS {
            let bytes = transform.apply(&picture, 0).expect("encodes");
            let fingerprint =
                consent_media::fingerprint_bytes(&bytes).unwrap_or_else(|e| panic!("{transform:?}: {e}"));
            assert_eq!(fingerprint.sha256, <[u8; 32]>::from(Sha256::digest(&bytes)));
        }
    }

    #[test]
    fn a_caption_darkens_the_bottom_and_writes_in_it() {
        let picture = RgbImage::from_pixel(400, 300, Rgb([200, 200, 200]));
        let captioned = captioned(&picture, "Sportdag 2026 - groep 7b");
        assert_eq!(captioned.get_pixel(200, 10), &Rgb([200, 200, 200]));
        let band: Vec<&Rgb<u8>> = (0..400).map(|x| captioned.get_pixel(x, 290)).collect();
        assert!(band.contains(&&Rgb([50, 50, 50])));
        let letters = (279..300)
            .flat_map(|y| (0..400).map(move |x| (x, y)))
            .filter(|&(x, y)| captioned.get_pixel(x, y) == &Rgb([245, 245, 245]))
            .count();
        assert!(letters > 100, "{letters} pixels of text");
    }
}
