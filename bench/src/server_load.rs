//! The server under load: checks of a class photo, grants, revocations, a
//! mix, and `/healthz` on the same server in the same run as the baseline.

use std::sync::Arc;

use anyhow::{ensure, Context, Result};
use reqwest::StatusCode;
use serde_json::json;

use crate::database::{Engine, FreshDatabase};
use crate::load::{self, Load, MakeRequest, Measured, Request};
use crate::school::{BenchSchool, StaffClient};
use crate::server_process::{create_admin, ServerProcess};

/// What users do, one kind of request per run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    /// `GET /healthz`: the cost of HTTP alone, the baseline.
    Healthz,
    /// `POST /v1/checks`: a class photo with 30 people, for the website.
    Check,
    /// `POST /v1/grants`: a student's device submits a fresh consent token.
    Grant,
    /// `POST /v1/revocations`: a student's device withdraws a token.
    Revocation,
    /// `POST /v1/scans`: a teacher scans a consent code.
    Scan,
    /// Six checks, two scans, one grant and one revocation in every ten.
    Mix,
}

impl Scenario {
    /// Every scenario, baseline first.
    pub const ALL: [Scenario; 6] = [
        Scenario::Healthz,
        Scenario::Check,
        Scenario::Grant,
        Scenario::Revocation,
        Scenario::Scan,
        Scenario::Mix,
    ];

    /// Its name in tables.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Healthz => "GET /healthz (baseline)",
            Scenario::Check => "check: class photo, 30 people, one purpose",
            Scenario::Grant => "grant",
            Scenario::Revocation => "revocation",
            Scenario::Scan => "scan",
            Scenario::Mix => "mix (6 checks : 2 scans : 1 grant : 1 revocation)",
        }
    }
}

/// The request `n` of `scenario` against `school`.
pub fn request_maker(school: &Arc<BenchSchool>, scenario: Scenario) -> MakeRequest {
    let school = school.clone();
    Arc::new(move |http: &reqwest::Client, n: u64| {
        let (kind, devices) = match scenario {
            Scenario::Mix => {
                let kind = match n % 10 {
                    0..=5 => Scenario::Check,
                    6 | 7 => Scenario::Scan,
                    8 => Scenario::Grant,
                    _ => Scenario::Revocation,
                };
                (kind, &school.mix_class_devices)
            }
            other => (other, &school.busy_class_devices),
        };
        request_for(&school, devices, http, kind, n)
    })
}

/// The `n`-th request of a single-kind `scenario` (`Mix` sends healthz),
/// grants and revocations coming from `devices`.
pub fn request_for(
    school: &BenchSchool,
    devices: &[crate::school::Device],
    http: &reqwest::Client,
    scenario: Scenario,
    n: u64,
) -> Result<Request> {
    let base = &school.teacher.base;
    let device = &devices[(n as usize) % devices.len()];
    Ok(match scenario {
        Scenario::Healthz | Scenario::Mix => Request {
            builder: http.get(format!("{base}/healthz")),
            expected: StatusCode::OK,
        },
        Scenario::Check => Request {
            builder: check_request(http, &school.teacher, &school.photo_class, n),
            expected: StatusCode::OK,
        },
        Scenario::Grant => Request {
            builder: http
                .post(format!("{base}/v1/grants"))
                .json(&json!({"token": device.grant()?.to_text()})),
            expected: StatusCode::CREATED,
        },
        Scenario::Revocation => {
            let token = consent_protocol::TokenId::random(&mut rand_core::OsRng);
            Request {
                builder: http
                    .post(format!("{base}/v1/revocations"))
                    .json(&json!({"revocation": device.revocation(token)?.to_text()})),
                expected: StatusCode::CREATED,
            }
        }
        Scenario::Scan => {
            let (_, grant) = &school.photo_class_devices[(n as usize) % school.photo_class_devices.len()];
            Request {
                builder: http
                    .post(format!("{base}/v1/scans"))
                    .bearer_auth(&school.teacher.token)
                    .json(&json!({"token": grant.to_text()})),
                expected: StatusCode::OK,
            }
        }
    })
}

/// A check of photo number `n` showing the whole of `group`.
pub fn check_request(
    http: &reqwest::Client,
    teacher: &StaffClient,
    group: &str,
    n: u64,
) -> reqwest::RequestBuilder {
    http.post(format!("{}/v1/checks", teacher.base))
        .bearer_auth(&teacher.token)
        .json(&json!({
            "media_hash": format!("{n:064x}"),
            "media_kind": "photo",
            "purpose": "website",
            "groups": [group],
        }))
}

/// One scenario's figures.
pub struct ScenarioResult {
    /// The scenario.
    pub scenario: Scenario,
    /// What was measured.
    pub measured: Measured,
}

/// Every scenario on one engine, on one server.
pub struct EngineResult {
    /// The engine.
    pub engine: Engine,
    /// One result per scenario, baseline first.
    pub scenarios: Vec<ScenarioResult>,
    /// The server's peak resident memory over the whole run.
    pub peak_memory: u64,
}

/// Starts a server on a fresh database of `engine`, sets up a school through
/// the API and drives each scenario in turn.
pub async fn measure(engine: Engine, postgres_url: &str, load: Load) -> Result<EngineResult> {
    let database = FreshDatabase::create(engine, postgres_url).await?;
    let result = measure_on(&database, load).await;
    database.remove().await?;
    result
}

async fn measure_on(database: &FreshDatabase, load: Load) -> Result<EngineResult> {
    let admin_token = create_admin(&database.url, database.data_dir(), "Bench School")?;
    let server = ServerProcess::start(&database.url, database.data_dir())?;
    let school = Arc::new(BenchSchool::set_up(&server.url, &admin_token).await?);
    let sanity = check_request(&school.teacher.http, &school.teacher, &school.photo_class, 0)
        .send()
        .await?
        .json::<serde_json::Value>()
        .await?;
    ensure!(
        sanity["allowed"] == json!(true) && sanity["verdicts"].as_array().map(Vec::len) == Some(30),
        "the class photo check should allow all 30: {sanity}"
    );
    let mut scenarios = Vec::new();
    for scenario in Scenario::ALL {
        eprintln!("  {} / {} ...", database.engine.name(), scenario.name());
        let measured = load::run(load, request_maker(&school, scenario))
            .await
            .with_context(|| format!("running {}", scenario.name()))?;
        eprintln!(
            "    {:.0}/s p50 {} ms p99 {} ms errors {}",
            measured.per_second,
            load::millis(measured.p50),
            load::millis(measured.p99),
            measured.errors
        );
        scenarios.push(ScenarioResult { scenario, measured });
    }
    let peak_memory = server.peak_memory()?;
    server.stop()?;
    Ok(EngineResult {
        engine: database.engine,
        scenarios,
        peak_memory,
    })
}
