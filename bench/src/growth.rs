//! Growth: the check benchmark over a school of a thousand people and over
//! one of a million, each seeded in bulk, with the server's peak memory.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{ensure, Result};
use reqwest::StatusCode;

use crate::database::{Engine, FreshDatabase};
use crate::load::{self, Load, MakeRequest, Measured, Request};
use crate::school::StaffClient;
use crate::seed::{self, group_name, GROUP_SIZE};
use crate::server_load::check_request;
use crate::server_process::{create_admin, ServerProcess};

/// The check benchmark at one size.
pub struct GrowthResult {
    /// People in the school.
    pub people: usize,
    /// How long seeding them took.
    pub seeding: Duration,
    /// The first check of every class, in turn, on a server that has
    /// verified none of their signatures yet.
    pub first_checks: Measured,
    /// Checks of a random whole class, after that.
    pub checks: Measured,
    /// The server's peak resident memory.
    pub peak_memory: u64,
    /// Audit log entries whose hash chain was recomputed through the API
    /// after seeding (only for schools of up to `VERIFY_LOG_UP_TO` people).
    pub log_verified: Option<u64>,
}

/// The audit log is read back and verified after seeding up to this many
/// people; beyond, reading millions of entries would take most of the budget,
/// and the same code wrote them.
pub const VERIFY_LOG_UP_TO: usize = 100_000;

/// The longest the first checks of every class may take.
const FIRST_CHECKS_AT_MOST: Duration = Duration::from_secs(20 * 60);

/// Seeds `people` into a fresh database and measures checks of random classes.
pub async fn measure(engine: Engine, postgres_url: &str, people: usize, load: Load) -> Result<GrowthResult> {
    let database = FreshDatabase::create(engine, postgres_url).await?;
    let result = measure_on(&database, people, load).await;
    database.remove().await?;
    result
}

async fn measure_on(database: &FreshDatabase, people: usize, load: Load) -> Result<GrowthResult> {
    let admin_token = create_admin(&database.url, database.data_dir(), "Growth School")?;
    eprintln!("  seeding {people} people on {} ...", database.engine.name());
    let seeded = seed::seed_people(&database.url, people).await?;
    eprintln!("    took {:.1?}", seeded.took);
    let server = ServerProcess::start(&database.url, database.data_dir())?;
    let admin = StaffClient {
        base: server.url.clone(),
        token: admin_token,
        http: reqwest::Client::new(),
    };
    let teacher = Arc::new(admin.staff("Growth Teacher", "teacher").await?);
    let log_verified = if people <= VERIFY_LOG_UP_TO {
        let auditor = admin.staff("Growth Auditor", "communications").await?;
        Some(seed::verify_audit_log(&auditor).await?)
    } else {
        None
    };
    let classes = (people / GROUP_SIZE).max(1);
    let sanity = check_request(&admin.http, &teacher, &group_name(classes - 1), 0)
        .send()
        .await?
        .json::<serde_json::Value>()
        .await?;
    ensure!(
        sanity["allowed"] == serde_json::json!(true),
        "a seeded class should be allowed: {sanity}"
    );
    let first_teacher = Arc::clone(&teacher);
    let first: MakeRequest = Arc::new(move |http: &reqwest::Client, n: u64| {
        Ok(Request {
            builder: check_request(http, &first_teacher, &group_name(n as usize), n),
            expected: StatusCode::OK,
        })
    });
    eprintln!("  the first check of each of {classes} classes ...");
    let first_checks = load::run_until(
        Load {
            duration: FIRST_CHECKS_AT_MOST,
            ..load
        },
        Some(classes as u64),
        first,
    )
    .await?;
    eprintln!(
        "    {:.0}/s p50 {} ms p99 {} ms errors {}",
        first_checks.per_second,
        load::millis(first_checks.p50),
        load::millis(first_checks.p99),
        first_checks.errors
    );
    let make: MakeRequest = Arc::new(move |http: &reqwest::Client, n: u64| {
        // Spread the checks over every class, as a whole school's would be.
        let class = (n.wrapping_mul(2_654_435_761) % classes as u64) as usize;
        Ok(Request {
            builder: check_request(http, &teacher, &group_name(class), n),
            expected: StatusCode::OK,
        })
    });
    eprintln!("  checks over {people} people ...");
    let checks = load::run(load, make).await?;
    eprintln!(
        "    {:.0}/s p50 {} ms p99 {} ms errors {}",
        checks.per_second,
        load::millis(checks.p50),
        load::millis(checks.p99),
        checks.errors
    );
    let peak_memory = server.peak_memory()?;
    server.stop()?;
    Ok(GrowthResult {
        people,
        seeding: seeded.took,
        first_checks,
        checks,
        peak_memory,
        log_verified,
    })
}
