//! A closed-loop load generator: a fixed number of connections, each sending
//! its next request as soon as the previous one is answered, for a fixed
//! time, only to the loopback server under test.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use reqwest::StatusCode;

/// One request to send, and the status that counts as success.
pub struct Request {
    /// The prepared request.
    pub builder: reqwest::RequestBuilder,
    /// The status a correct server answers with.
    pub expected: StatusCode,
}

/// Makes the `n`-th request of a run (`n` counts across all connections).
pub type MakeRequest = Arc<dyn Fn(&reqwest::Client, u64) -> Result<Request> + Send + Sync>;

/// How hard and how long to drive the server.
#[derive(Clone, Copy, Debug)]
pub struct Load {
    /// Concurrent connections, each with one request in flight.
    pub connections: usize,
    /// How long to measure.
    pub duration: Duration,
}

/// What one run measured.
#[derive(Clone, Debug, Default)]
pub struct Measured {
    /// Answers received in time.
    pub requests: u64,
    /// Answers with another status than expected, or transport failures.
    pub errors: u64,
    /// Answered requests per second.
    pub per_second: f64,
    /// Median latency.
    pub p50: Duration,
    /// 99th percentile latency.
    pub p99: Duration,
    /// The first unexpected answer, to say what went wrong.
    pub first_error: Option<String>,
}

/// Drives `make` with `load` and measures it.
pub async fn run(load: Load, make: MakeRequest) -> Result<Measured> {
    run_until(load, None, make).await
}

/// Drives `make` with `load` until `limit` requests (numbered 0 to
/// `limit - 1`) have been sent, or the time is up, and measures it.
pub async fn run_until(load: Load, limit: Option<u64>, make: MakeRequest) -> Result<Measured> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(load.connections)
        .timeout(Duration::from_secs(30))
        .build()
        .context("building the HTTP client")?;
    let counter = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + load.duration;
    let mut tasks = Vec::with_capacity(load.connections);
    for _ in 0..load.connections {
        let http = http.clone();
        let make = make.clone();
        let counter = counter.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies: Vec<u32> = Vec::new();
            let mut errors = 0u64;
            let mut first_error = None;
            while Instant::now() < deadline {
                let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if limit.is_some_and(|limit| n >= limit) {
                    break;
                }
                let request = make(&http, n)?;
                let sent = Instant::now();
                let outcome = request.builder.send().await;
                let ok = match outcome {
                    Ok(response) => {
                        let status = response.status();
                        let body = response.bytes().await;
                        if status == request.expected && body.is_ok() {
                            true
                        } else {
                            if first_error.is_none() {
                                first_error = Some(format!(
                                    "{status}: {}",
                                    String::from_utf8_lossy(&body.unwrap_or_default())
                                ));
                            }
                            false
                        }
                    }
                    Err(error) => {
                        first_error.get_or_insert_with(|| error.to_string());
                        false
                    }
                };
                let latency = sent.elapsed();
                latencies.push(u32::try_from(latency.as_micros()).unwrap_or(u32::MAX));
                if !ok {
                    errors += 1;
                }
            }
            anyhow::Ok((latencies, errors, first_error))
        }));
    }
    let mut latencies = Vec::new();
    let mut measured = Measured::default();
    for task in tasks {
        let (theirs, errors, first_error) = task.await.context("a load connection panicked")??;
        latencies.extend(theirs);
        measured.errors += errors;
        if measured.first_error.is_none() {
            measured.first_error = first_error;
        }
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    measured.requests = latencies.len() as u64;
    measured.per_second = measured.requests as f64 / elapsed.as_secs_f64();
    measured.p50 = percentile(&latencies, 0.50);
    measured.p99 = percentile(&latencies, 0.99);
    Ok(measured)
}

/// The `q` quantile of sorted latencies in microseconds.
pub fn percentile(sorted_micros: &[u32], q: f64) -> Duration {
    if sorted_micros.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted_micros.len() as f64) * q).ceil() as usize;
    let index = rank.clamp(1, sorted_micros.len()) - 1;
    Duration::from_micros(u64::from(sorted_micros[index]))
}

/// A duration in milliseconds with two decimals, for tables.
pub fn millis(duration: Duration) -> String {
    format!("{:.2}", duration.as_secs_f64() * 1000.0)
}
