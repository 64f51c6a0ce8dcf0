//! Soak: a sustained mixed load (checks, scans, grants, revocations,
//! healthz) on one server, counting every unexpected answer and sampling the
//! server's resident memory, to show that nothing fails and nothing grows.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::database::{Engine, FreshDatabase};
use crate::load::{self, Load, MakeRequest, Measured};
use crate::school::BenchSchool;
use crate::server_load::{request_for, Scenario};
use crate::server_process::{create_admin, ServerProcess};

/// How often the server's memory is sampled.
const SAMPLE_EVERY: Duration = Duration::from_secs(5);

/// What a soak found.
pub struct SoakResult {
    /// The engine.
    pub engine: Engine,
    /// How long the load ran.
    pub duration: Duration,
    /// Requests, errors, latency.
    pub measured: Measured,
    /// The server's resident memory, sampled every few seconds, in bytes.
    pub memory_samples: Vec<u64>,
    /// The server's peak resident memory (VmHWM), in bytes.
    pub peak_memory: u64,
}

/// Four checks, two scans, one grant, one revocation and two healthz in every ten.
pub fn soak_mix(school: &Arc<BenchSchool>) -> MakeRequest {
    let school = school.clone();
    Arc::new(move |http: &reqwest::Client, n: u64| {
        let scenario = match n % 10 {
            0..=3 => Scenario::Check,
            4 | 5 => Scenario::Scan,
            6 => Scenario::Grant,
            7 => Scenario::Revocation,
            _ => Scenario::Healthz,
        };
        request_for(&school, &school.busy_class_devices, http, scenario, n)
    })
}

/// Runs the soak on a fresh database of `engine` for `load.duration`.
pub async fn run(engine: Engine, postgres_url: &str, load: Load) -> Result<SoakResult> {
    let database = FreshDatabase::create(engine, postgres_url).await?;
    let result = run_on(&database, load).await;
    database.remove().await?;
    result
}

async fn run_on(database: &FreshDatabase, load: Load) -> Result<SoakResult> {
    let admin_token = create_admin(&database.url, database.data_dir(), "Soak School")?;
    let server = Arc::new(ServerProcess::start(&database.url, database.data_dir())?);
    let school = Arc::new(BenchSchool::set_up(&server.url, &admin_token).await?);
    let samples = Arc::new(Mutex::new(Vec::new()));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (server, samples, done) = (server.clone(), samples.clone(), done.clone());
        tokio::spawn(async move {
            let mut next = Instant::now();
            while !done.load(Ordering::Relaxed) {
                if Instant::now() >= next {
                    if let (Ok(memory), Ok(mut samples)) = (server.memory(), samples.lock()) {
                        samples.push(memory);
                    }
                    next += SAMPLE_EVERY;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let measured = load::run(load, soak_mix(&school)).await?;
    done.store(true, Ordering::Relaxed);
    sampler.await.context("the memory sampler panicked")?;
    let mut memory_samples = samples
        .lock()
        .map_err(|_| anyhow::anyhow!("sampler lock poisoned"))?
        .clone();
    memory_samples.push(server.memory()?);
    let peak_memory = server.peak_memory()?;
    Ok(SoakResult {
        engine: database.engine,
        duration: load.duration,
        measured,
        memory_samples,
        peak_memory,
    })
}
