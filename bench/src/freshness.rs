//! Revocation freshness: two server instances on one PostgreSQL database; a
//! teacher checks a person again and again on instance B while the person
//! revokes on instance A. Counts the checks on B that began after A's
//! acknowledgment and still allowed (the promise: none), and the time from
//! the acknowledgment to B's first denying answer.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::json;

use crate::database::{Engine, FreshDatabase};
use crate::school::{BenchSchool, StaffClient};
use crate::server_process::{create_admin, ServerProcess};

/// What the trials found.
pub struct FreshnessResult {
    /// Revocations tried (one per student of the class).
    pub trials: usize,
    /// Checks on B that began after A acknowledged and still said allowed.
    pub stale_allowed: usize,
    /// Checks on B that began after A acknowledged, in all trials.
    pub checks_after_ack: usize,
    /// Per trial: from A's acknowledgment to B's first denying answer.
    pub to_first_deny: Vec<Duration>,
}

struct Answered {
    sent: Instant,
    answered: Instant,
    allowed: bool,
}

/// Runs one trial per student of a class.
pub async fn measure(postgres_url: &str) -> Result<FreshnessResult> {
    let database = FreshDatabase::create(Engine::Postgres, postgres_url).await?;
    let result = measure_on(&database).await;
    database.remove().await?;
    result
}

async fn measure_on(database: &FreshDatabase) -> Result<FreshnessResult> {
    let admin_token = create_admin(&database.url, database.data_dir(), "Freshness School")?;
    let instance_a = ServerProcess::start(&database.url, database.data_dir())?;
    let instance_b = ServerProcess::start(&database.url, &database.another_data_dir("instance-b")?)?;
    let school = BenchSchool::set_up(&instance_a.url, &admin_token).await?;
    let teacher_on_b = StaffClient {
        base: instance_b.url.clone(),
        ..school.teacher.clone()
    };
    let http = reqwest::Client::new();
    let mut result = FreshnessResult {
        trials: 0,
        stale_allowed: 0,
        checks_after_ack: 0,
        to_first_deny: Vec::new(),
    };
    for (device, grant) in &school.photo_class_devices {
        let answers = Arc::new(Mutex::new(Vec::<Answered>::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let checker = tokio::spawn(check_repeatedly(
            teacher_on_b.clone(),
            device.person.to_string(),
            answers.clone(),
            stop.clone(),
        ));
        // Let B answer "allowed" a few times first.
        tokio::time::sleep(Duration::from_millis(30)).await;
        let revocation = device.revocation(grant.unverified().token_id)?;
        let response = http
            .post(format!("{}/v1/revocations", instance_a.url))
            .json(&json!({"revocation": revocation.to_text()}))
            .send()
            .await
            .context("revoking on instance A")?;
        let acknowledged = Instant::now();
        if response.status() != reqwest::StatusCode::CREATED {
            bail!("instance A refused the revocation: {}", response.status());
        }
        let deadline = acknowledged + Duration::from_secs(5);
        let first_deny = loop {
            let seen = answers
                .lock()
                .map_err(|_| anyhow::anyhow!("checker lock poisoned"))?
                .iter()
                .find(|answer| !answer.allowed)
                .map(|answer| answer.answered);
            if let Some(at) = seen {
                break at;
            }
            if Instant::now() > deadline {
                bail!("instance B still allowed a revoked token 5 s after the acknowledgment");
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        };
        stop.store(true, Ordering::Relaxed);
        checker.await.context("the checker panicked")??;
        let answers = answers
            .lock()
            .map_err(|_| anyhow::anyhow!("checker lock poisoned"))?;
        let after: Vec<_> = answers.iter().filter(|a| a.sent >= acknowledged).collect();
        result.trials += 1;
        result.checks_after_ack += after.len();
        result.stale_allowed += after.iter().filter(|a| a.allowed).count();
        result
            .to_first_deny
            .push(first_deny.saturating_duration_since(acknowledged));
    }
    instance_b.stop()?;
    instance_a.stop()?;
    result.to_first_deny.sort();
    Ok(result)
}

async fn check_repeatedly(
    teacher: StaffClient,
    person: String,
    answers: Arc<Mutex<Vec<Answered>>>,
    stop: Arc<AtomicBool>,
) -> Result<()> {
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let sent = Instant::now();
        let answer = teacher
            .post(
                "/v1/checks",
                &json!({
                    "media_hash": format!("{n:064x}"),
                    "media_kind": "photo",
                    "purpose": "website",
                    "people": [person],
                }),
                reqwest::StatusCode::OK,
            )
            .await?;
        let answered = Instant::now();
        answers
            .lock()
            .map_err(|_| anyhow::anyhow!("checker lock poisoned"))?
            .push(Answered {
                sent,
                answered,
                allowed: answer["allowed"] == json!(true),
            });
    }
    Ok(())
}
