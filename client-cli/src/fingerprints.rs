//! Finding the files under the paths a user named and fingerprinting each,
//! for the media audit: a bounded pool of threads, each reading one file at
//! a time, whose results stream out as they are ready.
//!
//! Memory stays bounded however many files there are: one walker lists the
//! folders (one directory's names at a time), at most a few paths wait for a
//! thread, each thread holds one file, and at most [`WAITING_RESULTS`]
//! fingerprints wait to be read. The caller keeps only what it needs.

use std::io::Read;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use consent_media::{Fingerprint, PictureError};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;
use walkdir::WalkDir;

/// At most this many results wait for the caller; the threads pause when
/// it is slower (while it waits for the server, say).
const WAITING_RESULTS: usize = 256;

/// At most this many threads hash at once. Each may hold a picture file of
/// up to `consent_media::MAX_FILE_BYTES` and its decoded pixels, so more
/// cores do not get more threads.
const MOST_THREADS: usize = 8;

/// Why a file was not fingerprinted. Each has a stable [`code`](Self::code).
#[derive(Debug, thiserror::Error)]
pub enum FileProblem {
    /// What the picture reader said (not a picture, damaged, HEIC, too large...).
    #[error(transparent)]
    Picture(#[from] PictureError),
    /// A folder or file could not be listed or opened.
    #[error("cannot read it: {0}")]
    Unreadable(String),
    /// A symbolic link to something outside the folders named: following it
    /// would audit files nobody pointed the audit at.
    #[error("a link to something outside the folder; links are followed only to files inside it")]
    LinkOutOfFolder,
    /// A device, pipe or socket: reading one could wait forever.
    #[error("not a regular file (a device, pipe or socket)")]
    NotAFile,
    /// The picture reader failed on the file instead of reporting a problem.
    #[error("the picture is damaged: the reader failed on it")]
    ReaderFailed,
}

impl FileProblem {
    /// A stable code for scripts and the audit's CSV.
    pub fn code(&self) -> &'static str {
        match self {
            FileProblem::Picture(problem) => problem.code(),
            FileProblem::Unreadable(_) => "unreadable",
            FileProblem::LinkOutOfFolder => "link_out_of_folder",
            FileProblem::NotAFile => "not_a_file",
            FileProblem::ReaderFailed => "damaged",
        }
    }
}

/// One file's result.
#[derive(Debug)]
pub enum Hashed {
    /// A picture and its fingerprints.
    Picture {
        /// The file, as found under the path the user named.
        path: PathBuf,
        /// Its SHA-256 and perceptual hash.
        fingerprint: Fingerprint,
    },
    /// A file that was not read as a picture, and why.
    NotRead {
        /// The file, as found under the path the user named.
        path: PathBuf,
        /// Why.
        problem: FileProblem,
        /// The SHA-256 of a file that could be read, though not as a
        /// picture (a video, a HEIC photo): a check of that very file still
        /// finds it.
        sha256: Option<[u8; 32]>,
    },
}

/// Files being found and fingerprinted; read the results with [`Hashing::next`].
pub struct Hashing {
    results: mpsc::Receiver<Hashed>,
    found: Arc<AtomicU64>,
}

impl Hashing {
    /// Starts finding the files under `paths` (files, or folders read
    /// recursively; hidden files and folders are skipped) and fingerprinting
    /// them on as many threads as there are cores, at most [`MOST_THREADS`].
    pub fn start(paths: Vec<PathBuf>) -> Result<Self> {
        let threads = std::thread::available_parallelism()
            .map_or(1, NonZeroUsize::get)
            .clamp(1, MOST_THREADS);
        Self::start_with(paths, threads)
    }

    /// Like [`Hashing::start`] with `threads` threads (at least one).
    pub fn start_with(paths: Vec<PathBuf>, threads: usize) -> Result<Self> {
        let threads = threads.max(1);
        let (result_sender, results) = mpsc::channel(WAITING_RESULTS);
        let (job_sender, jobs) = sync_channel::<PathBuf>(threads * 2);
        let jobs = Arc::new(Mutex::new(jobs));
        let found = Arc::new(AtomicU64::new(0));
        for index in 0..threads {
            let jobs = Arc::clone(&jobs);
            let results = result_sender.clone();
            std::thread::Builder::new()
                .name(format!("fingerprint-{index}"))
                .spawn(move || fingerprint_each(&jobs, &results))
                .context("cannot start a thread to hash pictures")?;
        }
        let walker_found = Arc::clone(&found);
        // The walker takes the last result sender: once it and every thread
        // are done, the results channel closes and `next` returns `None`.
        std::thread::Builder::new()
            .name("find-files".into())
            .spawn(move || walk(&paths, &job_sender, &result_sender, &walker_found))
            .context("cannot start a thread to find the files")?;
        Ok(Self { results, found })
    }

    /// The next file's result, in the order they are ready; `None` once
    /// every file found has its result.
    pub async fn next(&mut self) -> Option<Hashed> {
        self.results.recv().await
    }

    /// How many files were found so far (each gets exactly one result).
    pub fn found(&self) -> u64 {
        self.found.load(Ordering::Relaxed)
    }
}

/// A thread of the pool: fingerprints one file at a time until no paths
/// are left, or nobody reads the results any more.
fn fingerprint_each(jobs: &Mutex<Receiver<PathBuf>>, results: &mpsc::Sender<Hashed>) {
    loop {
        // The lock is held only to take one path, never while hashing.
        let next = match jobs.lock() {
            Ok(jobs) => jobs.recv(),
            Err(_) => return,
        };
        let Ok(path) = next else {
            return;
        };
        // consent-media reports bad pictures as errors; should a decoder
        // still panic on some input, that file gets its line and the run
        // goes on.
        let hashed = match std::panic::catch_unwind(|| consent_media::fingerprint_file(&path)) {
            Ok(Ok(fingerprint)) => Hashed::Picture { path, fingerprint },
            Ok(Err(problem)) => {
                let sha256 = match problem {
                    PictureError::Unreadable(_) => None,
                    _ => sha256_of_file(&path).ok(),
                };
                Hashed::NotRead {
                    path,
                    problem: problem.into(),
                    sha256,
                }
            }
            Err(_) => Hashed::NotRead {
                sha256: sha256_of_file(&path).ok(),
                path,
                problem: FileProblem::ReaderFailed,
            },
        };
        if results.blocking_send(hashed).is_err() {
            return;
        }
    }
}

/// The SHA-256 of a file, read in pieces: a video of gigabytes is never
/// held in memory.
fn sha256_of_file(path: &Path) -> std::io::Result<[u8; 32]> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            return Ok(hasher.finalize().into());
        }
        hasher.update(&buffer[..read]);
    }
}

/// Lists every file under `paths`, in name order, handing pictures to the
/// pool and reporting what cannot be read straight to the results.
fn walk(paths: &[PathBuf], jobs: &SyncSender<PathBuf>, results: &mpsc::Sender<Hashed>, found: &AtomicU64) {
    for root in paths {
        // Links are judged against the folder named, as the file system has it.
        let folder = std::fs::canonicalize(root).ok();
        let entries = WalkDir::new(root)
            .follow_links(false)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|entry| entry.depth() == 0 || !is_hidden(entry.file_name()));
        for entry in entries {
            let next = match entry {
                Ok(entry) => {
                    let kind = entry.file_type();
                    if kind.is_dir() {
                        continue;
                    }
                    let path = entry.into_path();
                    if kind.is_file() {
                        Some(Ok(path))
                    } else if kind.is_symlink() {
                        link_target(&path, folder.as_deref()).map(|target| target.map(|()| path))
                    } else {
                        Some(Err((path, FileProblem::NotAFile)))
                    }
                }
                Err(error) => {
                    let path = error.path().unwrap_or(root).to_path_buf();
                    let reason = error
                        .io_error()
                        .map_or_else(|| error.to_string(), ToString::to_string);
                    Some(Err((path, FileProblem::Unreadable(reason))))
                }
            };
            let sent = match next {
                None => continue,
                Some(Ok(path)) => {
                    found.fetch_add(1, Ordering::Relaxed);
                    jobs.send(path).is_ok()
                }
                Some(Err((path, problem))) => {
                    found.fetch_add(1, Ordering::Relaxed);
                    results
                        .blocking_send(Hashed::NotRead {
                            path,
                            problem,
                            sha256: None,
                        })
                        .is_ok()
                }
            };
            if !sent {
                // Nobody reads the results any more (the audit stopped).
                return;
            }
        }
    }
}

/// What to do with a symbolic link met inside `folder`: `Some(Ok(()))` to
/// fingerprint it (a file inside the folder), `None` to pass over it (a
/// folder inside it, whose files are found under their own names), or the
/// problem to report.
fn link_target(link: &Path, folder: Option<&Path>) -> Option<Result<(), (PathBuf, FileProblem)>> {
    let target = match std::fs::canonicalize(link) {
        Ok(target) => target,
        Err(error) => {
            return Some(Err((
                link.to_path_buf(),
                FileProblem::Unreadable(format!("a link to nothing ({error})")),
            )))
        }
    };
    if !folder.is_some_and(|folder| target.starts_with(folder)) {
        return Some(Err((link.to_path_buf(), FileProblem::LinkOutOfFolder)));
    }
    match std::fs::metadata(&target) {
        Ok(meta) if meta.is_file() => Some(Ok(())),
        Ok(meta) if meta.is_dir() => None,
        Ok(_) => Some(Err((link.to_path_buf(), FileProblem::NotAFile))),
        Err(error) => Some(Err((
            link.to_path_buf(),
            FileProblem::Unreadable(error.to_string()),
        ))),
    }
}

/// Hidden files and folders (`.git`, `.DS_Store`, `._IMG_0001.JPG`) are not
/// the school's published media.
fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_str().is_some_and(|name| name.starts_with('.'))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn png(path: &Path, shade: u8) {
        let mut bytes = Vec::new();
        let picture =
            image::RgbImage::from_fn(8, 8, |x, y| image::Rgb([shade, (x * 30) as u8, (y * 30) as u8]));
        image::DynamicImage::ImageRgb8(picture)
            .write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png)
            .unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    async fn all(paths: Vec<PathBuf>, threads: usize) -> Vec<(String, Option<&'static str>)> {
        let mut hashing = Hashing::start_with(paths, threads).unwrap();
        let mut seen = Vec::new();
        while let Some(hashed) = hashing.next().await {
            seen.push(match hashed {
                Hashed::Picture { path, .. } => (path.display().to_string(), None),
                Hashed::NotRead { path, problem, .. } => (path.display().to_string(), Some(problem.code())),
            });
        }
        assert_eq!(
            hashing.found(),
            seen.len() as u64,
            "every file found has one result"
        );
        seen.sort();
        seen
    }

    #[tokio::test]
    async fn every_file_gets_one_result_and_hidden_ones_none() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("2025/june")).unwrap();
        std::fs::create_dir_all(root.join(".thumbnails")).unwrap();
        png(&root.join("2025/june/sports-day.png"), 10);
        png(&root.join("2025/a.png"), 200);
        png(&root.join(".thumbnails/a.png"), 200);
        std::fs::write(root.join("2025/.DS_Store"), b"finder").unwrap();
        std::fs::write(root.join("2025/notes.txt"), b"not a picture").unwrap();
        let seen = all(vec![root.to_path_buf()], 3).await;
        let name = |rest: &str| root.join(rest).display().to_string();
        assert_eq!(
            seen,
            vec![
                (name("2025/a.png"), None),
                (name("2025/june/sports-day.png"), None),
                (name("2025/notes.txt"), Some("not_a_picture")),
            ]
        );
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn links_are_followed_only_to_files_inside_the_folder() {
        let outside = tempfile::tempdir().unwrap();
        png(&outside.path().join("private.png"), 1);
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("site");
        std::fs::create_dir_all(root.join("media")).unwrap();
        png(&root.join("media/a.png"), 2);
        std::os::unix::fs::symlink(root.join("media/a.png"), root.join("latest.png")).unwrap();
        std::os::unix::fs::symlink(root.join("media"), root.join("media-again")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("private.png"), root.join("out.png")).unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("out")).unwrap();
        std::os::unix::fs::symlink(root.join("gone.png"), root.join("broken.png")).unwrap();
        let seen = all(vec![root.clone()], 2).await;
        let name = |rest: &str| root.join(rest).display().to_string();
        assert_eq!(
            seen,
            vec![
                (name("broken.png"), Some("unreadable")),
                (name("latest.png"), None),
                (name("media/a.png"), None),
                (name("out"), Some("link_out_of_folder")),
                (name("out.png"), Some("link_out_of_folder")),
            ]
        );
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_pipe_is_reported_not_waited_on() {
        let dir = tempfile::tempdir().unwrap();
        let pipe = dir.path().join("pipe.jpg");
        let made = std::process::Command::new("mkfifo").arg(&pipe).status();
        if !made.is_ok_and(|status| status.success()) {
            return;
        }
        let seen = all(vec![dir.path().to_path_buf()], 1).await;
        assert_eq!(seen, vec![(pipe.display().to_string(), Some("not_a_file"))]);
    }

    #[tokio::test]
    async fn a_file_that_is_not_a_picture_keeps_its_sha256_to_be_found_by() {
        let dir = tempfile::tempdir().unwrap();
        let video = dir.path().join("match.mp4");
        std::fs::write(&video, b"a video, as far as this test goes").unwrap();
        let mut hashing = Hashing::start_with(vec![video], 1).unwrap();
        let Some(Hashed::NotRead { problem, sha256, .. }) = hashing.next().await else {
            panic!("a video is not read as a picture");
        };
        assert_eq!(problem.code(), "not_a_picture");
        let expected: [u8; 32] = Sha256::digest(b"a video, as far as this test goes").into();
        assert_eq!(sha256, Some(expected));
        assert!(hashing.next().await.is_none());
    }

    #[tokio::test]
    async fn a_missing_path_is_reported_as_unreadable() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nothing-here");
        let seen = all(vec![missing.clone()], 1).await;
        assert_eq!(seen, vec![(missing.display().to_string(), Some("unreadable"))]);
    }

    #[tokio::test]
    async fn results_wait_for_a_slow_reader_without_losing_any() {
        let dir = tempfile::tempdir().unwrap();
        let count = WAITING_RESULTS * 3;
        for index in 0..count {
            std::fs::write(dir.path().join(format!("{index:04}.txt")), b"text").unwrap();
        }
        let mut hashing = Hashing::start_with(vec![dir.path().to_path_buf()], 2).unwrap();
        let mut seen = 0;
        while let Some(_hashed) = hashing.next().await {
            seen += 1;
            if seen % 100 == 0 {
                tokio::task::yield_now().await;
            }
        }
        assert_eq!(seen, count);
    }
}
