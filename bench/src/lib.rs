//! Measurements of the consent platform, as users feel them: tokens against
//! JWT and PASETO, the real server under load on SQLite and PostgreSQL,
//! growth to a million people, revocation freshness across instances, a
//! soak, and the media audit's fingerprints (robustness and speed).
//! `cargo run -p bench --release -- all` runs them and writes
//! `BENCHMARKS.md`.
//!
//! Benchmarks are benchmarks, not timed tests: nothing here asserts a time.

pub mod criterion_run;
pub mod database;
pub mod freshness;
pub mod growth;
pub mod load;
pub mod media;
pub mod report;
pub mod scenes;
pub mod school;
pub mod seed;
pub mod server_load;
pub mod server_process;
pub mod soak;
pub mod tokens;
