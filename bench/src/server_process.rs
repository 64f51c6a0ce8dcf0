//! The real `consent-server` release binary as a child process, on a free
//! loopback port, over a database it is given.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context, Result};

/// The `consent-server` binary: `CONSENT_BENCH_SERVER` if set (a copy taken
/// right after building, since the target folder may be shared), otherwise
/// the one beside this binary (both in `target/release`).
pub fn server_binary() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("CONSENT_BENCH_SERVER") {
        return Ok(PathBuf::from(path));
    }
    let me = std::env::current_exe().context("locating the bench binary")?;
    let binary = me
        .parent()
        .context("the bench binary has no folder")?
        .join("consent-server");
    if !binary.exists() {
        bail!(
            "{} is missing: build it first with `cargo build --release -p consent-server`",
            binary.display()
        );
    }
    Ok(binary)
}

/// Creates a school and its administrator as an administrator does on the
/// server's host (`consent-server admin create`), returning the API token.
pub fn create_admin(database_url: &str, data_dir: &Path, school: &str) -> Result<String> {
    let output = Command::new(server_binary()?)
        .args(["admin", "create", "--school", school, "--name", "Bench Admin"])
        .env("DATABASE_URL", database_url)
        .env("CONSENT_DATA_DIR", data_dir)
        .env("RUST_LOG", "warn")
        .output()
        .context("running consent-server admin create")?;
    if !output.status.success() {
        bail!(
            "consent-server admin create failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .find(|line| line.starts_with("cst_"))
        .map(str::to_owned)
        .context("admin create printed no API token")
}

/// A running server; stopped when dropped.
pub struct ServerProcess {
    child: Child,
    /// Its base URL, `http://127.0.0.1:PORT`.
    pub url: String,
}

impl ServerProcess {
    /// Starts a server over `database_url`, with its signing key in `data_dir`,
    /// and waits until it listens.
    pub fn start(database_url: &str, data_dir: &Path) -> Result<Self> {
        let mut child = Command::new(server_binary()?)
            .args(["--listen", "127.0.0.1:0"])
            .env("DATABASE_URL", database_url)
            .env("CONSENT_DATA_DIR", data_dir)
            // Request logs at info would cost the server more than the requests.
            .env("RUST_LOG", "warn")
            // The load comes from one address and hands in grants as fast as
            // it can: measure the requests, not the limits that refuse floods.
            .env("CONSENT_MAX_CONNECTIONS_PER_CLIENT", "4096")
            .env("CONSENT_MAX_CONNECTIONS", "4096")
            .env("CONSENT_GRANTS_PER_HOUR", "4000000000")
            .env("CONSENT_LIVE_TOKENS_PER_PERSON", "4000000000")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting consent-server")?;
        let stdout = child.stdout.take().context("the server's stdout")?;
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .context("reading the server's first line")?;
        let Some(url) = line.trim().strip_prefix("listening on ") else {
            let _ = child.kill();
            bail!("the server did not start: {line:?}");
        };
        Ok(Self {
            url: url.to_owned(),
            child,
        })
    }

    /// The process id, to read its memory figures.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Peak resident memory so far (`VmHWM`), in bytes.
    pub fn peak_memory(&self) -> Result<u64> {
        memory_figure(self.pid(), "VmHWM:")
    }

    /// Resident memory now (`VmRSS`), in bytes.
    pub fn memory(&self) -> Result<u64> {
        memory_figure(self.pid(), "VmRSS:")
    }

    /// Stops the server gracefully (SIGTERM, as an operator would) and waits.
    pub fn stop(mut self) -> Result<()> {
        self.terminate()
    }

    fn terminate(&mut self) -> Result<()> {
        if self.child.try_wait()?.is_some() {
            return Ok(());
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        for _ in 0..100 {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.child.kill().context("killing the server")?;
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.terminate();
    }
}

fn memory_figure(pid: u32, field: &str) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|line| line.starts_with(field))
        .with_context(|| format!("no {field} in /proc/{pid}/status"))?;
    let kib: u64 = line
        .trim_start_matches(field)
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .with_context(|| format!("reading {line:?}"))?;
    Ok(kib * 1024)
}
