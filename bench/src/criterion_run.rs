//! Runs the criterion token benchmark (`benches/tokens.rs`) and reads its
//! estimates back, so the token table comes from criterion's own figures.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

/// The target folder this binary was built into (`target/release/..`), where
/// `cargo bench` from the same workspace writes criterion's estimates.
pub fn target_dir() -> Result<PathBuf> {
    let me = std::env::current_exe().context("locating the bench binary")?;
    me.parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .context("the bench binary is not in target/release")
}

/// `cargo bench -p bench --bench tokens`, with short warm-up and measurement
/// times so the whole set stays within its time budget.
pub fn run_token_benchmark() -> Result<()> {
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .args([
            "bench",
            "-p",
            "bench",
            "--bench",
            "tokens",
            "--",
            "--noplot",
            "--warm-up-time",
            "1",
            "--measurement-time",
            "4",
        ])
        .env("CARGO_TARGET_DIR", target_dir()?)
        .status()
        .context("running cargo bench")?;
    if !status.success() {
        bail!("cargo bench -p bench --bench tokens failed");
    }
    Ok(())
}

/// The median time of criterion benchmark `group/function`, in nanoseconds.
/// The median, not the mean: on a shared machine a neighbour's burst moves
/// the mean of one benchmark and not the other, and the ratio with it.
pub fn median_nanos(group: &str, function: &str) -> Result<f64> {
    let path = target_dir()?
        .join("criterion")
        .join(group)
        .join(function)
        .join("new")
        .join("estimates.json");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let estimates: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    estimates["median"]["point_estimate"]
        .as_f64()
        .with_context(|| format!("no median in {}", path.display()))
}
