//! The measurements as Markdown: one table per section, each with its goal
//! and whether it was met, and the machine they were measured on.

use std::fmt::Write as _;
use std::time::Duration;

use anyhow::Result;
use consent_media::{CERTAIN_DISTANCE, UNCERTAIN_DISTANCE};

use crate::criterion_run::median_nanos;
use crate::database::Engine;
use crate::freshness::FreshnessResult;
use crate::growth::GrowthResult;
use crate::load::{millis, Load};
use crate::media::{self, Distances, Hash, MediaResult, Picture, HASHES, TRANSFORMS};
use crate::server_load::{EngineResult, Scenario};
use crate::soak::SoakResult;
use crate::tokens::size_rows;

/// "met" or "**missed**".
fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "**missed**"
    }
}

/// Bytes as MiB with one decimal.
pub fn mib(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / (1024.0 * 1024.0))
}

/// The machine: cores, CPU model, memory, kernel; and the date.
pub fn machine() -> String {
    let run = |program: &str, args: &[&str]| {
        std::process::Command::new(program)
            .args(args)
            .output()
            .ok()
            .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
            .unwrap_or_default()
    };
    let cores = run("nproc", &[]);
    let model = run("lscpu", &[])
        .lines()
        .find(|line| line.starts_with("Model name:"))
        .map(|line| line.trim_start_matches("Model name:").trim().to_owned())
        .unwrap_or_default();
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("MemTotal:"))
                .map(|line| line.trim_start_matches("MemTotal:").trim().to_owned())
        })
        .unwrap_or_default();
    let kernel = run("uname", &["-sr"]);
    let date = run("date", &["-u", "+%Y-%m-%d %H:%M UTC"]);
    let postgres = run("psql", &["--version"]);
    format!(
        "- date: {date}\n- machine: {cores} cores (`nproc`), {model} (`lscpu`), {memory} memory, {kernel}\n\
         - PostgreSQL: {postgres} on the same machine, over loopback\n"
    )
}

/// Token sizes and criterion's verify times, in one table.
pub fn tokens_section() -> Result<String> {
    let mut out = String::from("## Tokens\n\n");
    let bare = median_nanos("tokens", "bare_verify_strict")?;
    let ours = median_nanos("tokens", "consent_decode_and_verify")?;
    let jwt = median_nanos("tokens", "jwt_decode_and_verify")?;
    let paseto = median_nanos("tokens", "paseto_decode_and_verify")?;
    let sizes = size_rows()?;
    let verify = [Some(ours), None, Some(jwt), Some(paseto)];
    out.push_str(
        "The same claims (photo and video, website and yearbook, to the end of the school year) in each \
         format. Verify time is decoding the text and verifying the signature, criterion's median; \
         throughput is relative to a bare `verify_strict` of the same signed bytes in the same run.\n\n",
    );
    out.push_str("| format | QR text (characters) | QR version at level M | decode + verify (µs) | throughput vs bare `verify_strict` |\n|---|---:|---:|---:|---:|\n");
    for (row, time) in sizes.iter().zip(verify) {
        let version = row
            .qr_version
            .map_or_else(|| "too large".to_owned(), |v| v.to_string());
        let (time, share) = time.map_or(("—".to_owned(), "—".to_owned()), |t| {
            (format!("{:.1}", t / 1000.0), format!("{:.1}%", bare / t * 100.0))
        });
        let _ = writeln!(
            out,
            "| {} | {} | {} | {time} | {share} |",
            row.format, row.chars, version
        );
    }
    let _ = writeln!(
        out,
        "| bare `verify_strict` (ed25519-dalek), for reference | — | — | {:.1} | 100% |",
        bare / 1000.0
    );
    let one_by_one = median_nanos("class_of_30", "one_by_one")?;
    let batched = median_nanos("class_of_30", "batched")?;
    let _ = write!(
        out,
        "\nA class of 30 tokens: one by one {:.0} µs, batched {:.0} µs ({:.2}× faster).\n\n",
        one_by_one / 1000.0,
        batched / 1000.0,
        one_by_one / batched
    );
    let share = bare / ours * 100.0;
    let _ = writeln!(
        out,
        "| goal | measured | |\n|---|---|---|\n| decode + verify at least 90% of bare `verify_strict` throughput | {share:.1}% | {} |\n",
        verdict(share >= 90.0)
    );
    Ok(out)
}

fn per_second(measured: &crate::load::Measured) -> String {
    format!("{:.0}", measured.per_second)
}

/// A share of `/healthz` throughput measured before a change, per engine.
struct EarlierShare {
    sqlite: f64,
    postgres: f64,
}

impl EarlierShare {
    fn percent(&self, engine: Engine) -> f64 {
        match engine {
            Engine::Sqlite => self.sqlite,
            Engine::Postgres => self.postgres,
        }
    }
}

/// Checks' share of `/healthz` before issue 17 (BENCHMARKS.md of 2026-11-26:
/// 519 of 59998/s on SQLite, 363 of 54882/s on PostgreSQL). Shares, not
/// rates, so that runs on a differently loaded machine compare.
const EARLIER_CHECK_SHARE: EarlierShare = EarlierShare {
    sqlite: 0.87,
    postgres: 0.66,
};

/// The mix's share of `/healthz` before issue 17 (same run: 357 and 184/s).
const EARLIER_MIX_SHARE: EarlierShare = EarlierShare {
    sqlite: 0.60,
    postgres: 0.34,
};

/// The server under load, one table per engine.
pub fn load_section(results: &[EngineResult], load: Load) -> String {
    let mut out = String::from("## Server under load\n\n");
    let _ = write!(
        out,
        "The real `consent-server` release binary on loopback, one fresh database per engine, set up \
         through the API (a teacher; class 3B of 30 students, each with an enrolled device and a grant; \
         class 4A of 30 whose devices grant and revoke; class 5C of 30 whose devices grant and revoke in the mix). Closed loop: {} connections, each sending its \
         next request when the last is answered, {} s per row, the load generator on the same 2 cores. \
         `/healthz` on the same server in the same run is the baseline.\n\n",
        load.connections,
        load.duration.as_secs()
    );
    let mut goals = String::from("| goal | engine | measured | |\n|---|---|---|---|\n");
    for result in results {
        let _ = write!(
            out,
            "### {}\n\n| requests | per second | p50 (ms) | p99 (ms) | errors | throughput vs `/healthz` |\n|---|---:|---:|---:|---:|---:|\n",
            result.engine.name()
        );
        let baseline = result
            .scenarios
            .iter()
            .find(|s| s.scenario == Scenario::Healthz)
            .map_or(0.0, |s| s.measured.per_second);
        for scenario in &result.scenarios {
            let m = &scenario.measured;
            let share = if baseline > 0.0 {
                format!("{:.1}%", m.per_second / baseline * 100.0)
            } else {
                "—".to_owned()
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {share} |",
                scenario.scenario.name(),
                per_second(m),
                millis(m.p50),
                millis(m.p99),
                m.errors
            );
            if let Some(error) = &m.first_error {
                let _ = writeln!(
                    out,
                    "\nFirst unexpected answer ({}): `{error}`\n",
                    scenario.scenario.name()
                );
            }
            if scenario.scenario == Scenario::Check && baseline > 0.0 {
                let share = m.per_second / baseline * 100.0;
                let _ = writeln!(
                    goals,
                    "| checks at least 10% of `/healthz` throughput (from {:.1}%) | {} | {share:.1}% | {} |",
                    EARLIER_CHECK_SHARE.percent(result.engine),
                    result.engine.name(),
                    verdict(share >= 10.0)
                );
            }
            if scenario.scenario == Scenario::Mix && baseline > 0.0 {
                let share = m.per_second / baseline * 100.0;
                let earlier = EARLIER_MIX_SHARE.percent(result.engine);
                let _ = writeln!(
                    goals,
                    "| the mix at least 5× its earlier share of `/healthz` ({earlier:.2}%) | {} | {share:.2}% ({:.1}×) | {} |",
                    result.engine.name(),
                    share / earlier,
                    verdict(share >= 5.0 * earlier)
                );
            }
        }
        let _ = writeln!(
            out,
            "\nServer peak memory (VmHWM): {} MiB.\n",
            mib(result.peak_memory)
        );
    }
    out.push_str(&goals);
    out.push('\n');
    out
}

/// Growth: checks at a thousand and at a million people, on each engine.
pub fn growth_section(results: &[(Engine, Vec<GrowthResult>)], load: Load) -> String {
    let mut out = String::from("## Growth\n\n");
    let _ = write!(
        out,
        "Each school is seeded straight into the database in bulk (`bench/src/seed.rs`): per \
         person a row in `people`, an Ed25519 device key, a grant signed with that key, and the three \
         audit log entries the server would have written (person created, key registered, grant), \
         hash-chained onto the school's log and moving its head in the same transaction, so the log \
         stays whole and `audit verify` covers the seeded record. Then the real server, started on it, \
         checks every class once in turn (\"first checks\": no signature of theirs verified yet on this \
         instance), and then a random whole class of 30 per request, {} connections, {} s (\"checks\"). \
         After the first checks the instance has verified every grant's signature once ({} at the largest \
         size here); its cache of verified signatures holds up to {} (`server/src/verified_signatures.rs`), \
         so at a million people the peak memory is with the cache practically full.\n\n",
        load.connections,
        load.duration.as_secs(),
        results
            .iter()
            .flat_map(|(_, sizes)| sizes.iter().map(|r| r.people))
            .max()
            .unwrap_or(0),
        consent_server::verified_signatures::CAPACITY,
    );
    let mut goals = String::from("| goal | engine | measured | |\n|---|---|---|---|\n");
    for (engine, sizes) in results {
        let _ = write!(
            out,
            "### {}\n\n\
             | people | seeding took | first checks per second | first checks p99 (ms) | checks per second | p50 (ms) | p99 (ms) | errors | server peak memory (MiB) |\n\
             |---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
            engine.name()
        );
        for result in sizes {
            let _ = writeln!(
                out,
                "| {} | {:.1} s | {} | {} | {} | {} | {} | {} | {} |",
                result.people,
                result.seeding.as_secs_f64(),
                per_second(&result.first_checks),
                millis(result.first_checks.p99),
                per_second(&result.checks),
                millis(result.checks.p50),
                millis(result.checks.p99),
                result.checks.errors + result.first_checks.errors,
                mib(result.peak_memory)
            );
        }
        for result in sizes {
            if let Some(error) = result
                .checks
                .first_error
                .as_ref()
                .or(result.first_checks.first_error.as_ref())
            {
                let _ = writeln!(
                    out,
                    "\nFirst unexpected answer at {} people: `{error}`",
                    result.people
                );
            }
            if let Some(entries) = result.log_verified {
                let _ = writeln!(
                    out,
                    "\nAfter seeding {} people the audit log was read back through `/v1/audit/log` and its \
                     hash chain recomputed up to the signed head: {entries} entries, whole.",
                    result.people
                );
            }
        }
        out.push('\n');
        if let (Some(small), Some(large)) = (sizes.first(), sizes.last()) {
            let ratio = large.checks.p99.as_secs_f64() / small.checks.p99.as_secs_f64().max(1e-9);
            if ratio < 1.0 {
                let _ = writeln!(
                    out,
                    "On {} the school of {} answered faster than the school of {}: the goal below \
                     is met, but it shows the smaller school slow rather than growth free; that school \
                     is the one to look at.\n",
                    engine.name(),
                    large.people,
                    small.people
                );
            }
            let peak = sizes.iter().map(|r| r.peak_memory).max().unwrap_or(0);
            let name = engine.name();
            let _ = write!(
                goals,
                "| p99 at {} people within 1.5× the p99 at {} | {name} | {ratio:.2}× | {} |\n\
                 | server peak memory under 200 MiB, signature cache full | {name} | {} MiB | {} |\n\
                 | seeding {} people takes minutes, not hours | {name} | {:.1} min | {} |\n",
                large.people,
                small.people,
                verdict(ratio <= 1.5),
                mib(peak),
                verdict(peak < 200 * 1024 * 1024),
                large.people,
                large.seeding.as_secs_f64() / 60.0,
                verdict(large.seeding < Duration::from_secs(30 * 60)),
            );
        }
    }
    out.push_str(GROWTH_PROFILE);
    out.push('\n');
    out.push_str(&goals);
    out.push('\n');
    out
}

/// What grows with the school, from profiles taken while writing this.
const GROWTH_PROFILE: &str =
    "What grows with the school: a class's 30 people, their grants and keys lie on random pages \
(their ids are random), and at a million people each check reads of the order of a hundred pages, in \
deeper indexes, that the operating system's file cache holds but the CPU's caches do not. On SQLite \
every read starts with a cold page cache at any size (WAL mode drops it whenever another connection \
wrote, and receipts are written all the time, see \"What limits checks\"), so each page is read \
(`pread`) and copied into a fresh buffer. Profile (`perf record --call-graph dwarf`, 3 s of checks \
over a million people on SQLite, 2026-12-02 04:38 UTC): reading pages 14.2% of the server's time, \
allocating their buffers 6.9%, dropping the cache 3.5%, together about a quarter; at a thousand \
people the same three took 5–6%. The next step is to read fewer, closer pages: grants and device keys \
keyed by `(school_id, subject_id, ...)` as `WITHOUT ROWID` tables on SQLite (and `CLUSTER` on \
PostgreSQL), so that a person's record is one page, not an index page and a table page; memory-mapping \
the SQLite file would remove the reads and copies but counts the mapped file as the server's memory. \
The first check of a class also verifies its 30 signatures (once per instance); after that a check \
only looks them up.\n";

/// Revocation freshness across two instances.
pub fn freshness_section(result: &FreshnessResult) -> String {
    let at = |q: f64| {
        let n = result.to_first_deny.len();
        if n == 0 {
            Duration::ZERO
        } else {
            result.to_first_deny[((n as f64 * q).ceil() as usize).clamp(1, n) - 1]
        }
    };
    format!(
        "## Revocation freshness\n\n\
         Two server instances on one PostgreSQL database. For each of {} students, a teacher checks \
         the student over and over on instance B while the student's device revokes on instance A. \
         A check counts as stale when it was sent after A acknowledged the revocation and B still \
         said allowed.\n\n\
         | trials | checks on B sent after the acknowledgment | of them still allowed | ack → first deny on B, median (ms) | max (ms) |\n\
         |---:|---:|---:|---:|---:|\n\
         | {} | {} | {} | {} | {} |\n\n\
         | goal | measured | |\n|---|---|---|\n| the very next check on B denies | {} stale of {} | {} |\n\n",
        result.trials,
        result.trials,
        result.checks_after_ack,
        result.stale_allowed,
        millis(at(0.5)),
        millis(at(1.0)),
        result.stale_allowed,
        result.checks_after_ack,
        verdict(result.stale_allowed == 0)
    )
}

/// The soak: errors and memory over a sustained mix.
pub fn soak_section(result: &SoakResult, load: Load) -> String {
    let first = result.memory_samples.first().copied().unwrap_or(0);
    // Samples are 5 s apart: the twelfth is one minute in, once pools and
    // allocator arenas have warmed up; growth after that would be a leak.
    let minute = result.memory_samples.get(12).copied().unwrap_or(first);
    let last = result.memory_samples.last().copied().unwrap_or(0);
    let peak = result.memory_samples.iter().copied().max().unwrap_or(0);
    let m = &result.measured;
    let mut out = format!(
        "## Soak\n\n\
         {} for {:.0} min, {} connections: four checks, two scans, one grant, one revocation and two \
         `/healthz` in every ten requests. Every answer other than the expected status counts as an \
         error. Resident memory (VmRSS) sampled every 5 s.\n\n\
         | requests | per second | p50 (ms) | p99 (ms) | errors | RSS first (MiB) | RSS at 1 min (MiB) | RSS last (MiB) | RSS peak sampled (MiB) | VmHWM (MiB) | samples |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n\
         | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
        result.engine.name(),
        result.duration.as_secs_f64() / 60.0,
        load.connections,
        m.requests,
        per_second(m),
        millis(m.p50),
        millis(m.p99),
        m.errors,
        mib(first),
        mib(minute),
        mib(last),
        mib(peak),
        mib(result.peak_memory),
        result.memory_samples.len()
    );
    if let Some(error) = &m.first_error {
        let _ = writeln!(out, "\nFirst unexpected answer: `{error}`");
    }
    // Every sixth sample (30 s apart): the shape of the curve tells a leak
    // (steady climb) from caches filling (a rise that flattens).
    let trend: Vec<String> = result
        .memory_samples
        .iter()
        .step_by(6)
        .map(|bytes| mib(*bytes))
        .collect();
    let _ = writeln!(
        out,
        "\nRSS every 30 s (MiB): {}. The database grows all the while (every check, grant and \
         revocation adds rows and log entries), and SQLite's page caches (2 MiB per connection, 4 \
         connections) and its memory-mapped WAL index grow with it; a climb that keeps its slope past \
         those would be a leak.",
        trend.join(", ")
    );
    out.push('\n');
    out
}

/// Median time of a durable 4 KiB write (`write` + `fdatasync`) in `dir`,
/// the cost of each acknowledged commit.
pub fn durable_write_time(dir: &std::path::Path) -> Result<Duration> {
    use std::io::Write as _;
    let path = dir.join("fsync-probe");
    let mut file = std::fs::File::create(&path)?;
    let block = [0u8; 4096];
    let mut times = Vec::with_capacity(200);
    for _ in 0..200 {
        let started = std::time::Instant::now();
        file.write_all(&block)?;
        file.sync_data()?;
        times.push(started.elapsed());
    }
    drop(file);
    std::fs::remove_file(&path)?;
    times.sort();
    Ok(times[times.len() / 2])
}

/// What bounds a check, from figures measured in the same run.
pub fn check_limits(results: &[EngineResult], durable_write: Duration) -> String {
    let batched = median_nanos("class_of_30", "batched").ok();
    let mut out = String::from("### What limits checks\n\n");
    for result in results {
        let rate = |scenario| {
            result
                .scenarios
                .iter()
                .find(|s| s.scenario == scenario)
                .map_or(0.0, |s| s.measured.per_second)
        };
        let _ = writeln!(
            out,
            "- {}: `/healthz` {:.0}/s, checks {:.0}/s: a check costs the server about {:.0}× a healthz.",
            result.engine.name(),
            rate(Scenario::Healthz),
            rate(Scenario::Check),
            rate(Scenario::Healthz) / rate(Scenario::Check).max(1e-9)
        );
    }
    if let Some(batched) = batched {
        let _ = writeln!(
            out,
            "- Signatures: verifying a class's 30 tokens takes {:.0} µs of one core (criterion, batched, \
             this run). Each instance now verifies each signature once and remembers it \
             (`server/src/verified_signatures.rs`, at most 2^20 signatures, about 80 bytes each), and \
             parses a device key only when a signature must be verified with it, so a repeated class \
             check does neither; revocations, cut-off keys, guardian links and validity windows are \
             still read and decided at every check.",
            batched / 1000.0
        );
    }
    let _ = writeln!(
        out,
        "- Durability: every check's signed receipt, and every grant and revocation, is durable with its \
         log entry before it is answered. A 4 KiB write + `fdatasync` on this disk took {} ms (median) in \
         this run, and appends to one school's log are serialised, which capped one school at about {:.0} \
         commits/s; concurrent writes of a school (receipts, grants, revocations) join one transaction and \
         one flush (`server/src/store/group_commit.rs`), so the cap applies to groups, not to requests.",
        millis(durable_write),
        1.0 / durable_write.as_secs_f64().max(1e-9)
    );
    out.push_str(CHECK_PROFILE);
    out
}

/// What the rest of a check costs, from a profile taken while writing this.
const CHECK_PROFILE: &str =
    "- Round trips: a class check reads in three statements on either engine (staff and school \
together; the class; its grants, revocations and keys with guardian links and server keys in one \
`UNION ALL`, so one snapshot: `Store::consent_record`), then its share of a group commit; about 14 \
before issue 17. sqlx's pool pinged each connection before handing it out (`test_before_acquire`, on \
by default): a second round trip per statement, on SQLite a hop to the connection's thread and back. \
It is off now; a connection that died fails its statement instead and is not reused. Checks on SQLite \
went from 801/s to 1,196/s in back-to-back runs.\n\
- Lock waits: SQLite as sqlx bundles it counted every allocation under one process-wide mutex and \
kept one page cache for all connections behind another, so under load the four connections waited on \
each other (`pthread_mutex` and the kernel's futex wakeups, a tenth of the server's time). It is built \
without both now (`.cargo/config.toml`); lock waits fell from 4.2% to 0.5% of the profile.\n\
- Temporary indexes: the consent record named a class's 30 people in four `IN ($2, ...)` lists, and \
SQLite builds a temporary index for each list at every run of the statement (opening a B-tree in \
memory and allocating its pages). The people are now a `VALUES` table that each branch joins first \
(`asked` in `server/src/store/mod.rs`). And an empty Ed25519 batch, verified at every check whose \
signatures were all remembered, still cost a full scalar multiplication; it is skipped \
(`consent_protocol::verify_grants`). In profiles of the same load before and after (`--call-graph \
dwarf`, 2026-12-02 04:30 and 05:14 UTC), the temporary B-trees (3.1% of the server's time), the empty \
batch (2.6%) and most of glibc's `malloc_consolidate` (4.4% → 1.1%) are gone: about 9% of a check's \
cost. Throughput did not show it beyond this machine's spread: alternating the two server binaries \
(05:21–05:27 UTC), checks on SQLite ran at 1,826/s and 1,675/s before, 1,815/s and 1,194/s after (in \
that last run `/healthz` fell by a fifth as well).\n\
- Profile of SQLite checks (`perf record -F 999 -g` on the server for 6 s of the check load, release \
build, 2026-12-02 05:14 UTC on a quiet machine; profiling slows checks by about a fifth): the kernel \
36.3% (thread switches 14.7%, wakeups 6.8%), `malloc`/`free` 17.1%, SQLite 11.4%, sqlx and its \
channels 8.4%, Ed25519 and SHA 4.0% (signing the receipt, hashing the log), copying 3.2%, hyper and \
axum 2.5%, tokio 2.0%, the server's own code 2.0%, hex and base64 1.1%, JSON 1.0%, lock waits 0.5%, \
the signature cache 0.5%, the rest 9.1%. By thread (`--call-graph dwarf`): SQLite's connection \
threads 44–48%, tokio's workers 52–56%. sqlx runs each SQLite connection on a thread of its own: a \
statement is handed to it and every row handed back through a channel, each a wakeup, which on this \
2-core machine costs more than the statement; every row is then copied into an `Any` row of owned \
values. And in WAL mode SQLite drops a connection's whole page cache whenever another connection wrote \
since its last read: with receipts committed all the time, every read starts cold, fetching its pages \
from the operating system into freshly allocated buffers (`pcache1Alloc` is SQLite's largest caller of \
`malloc`). Memory-mapping the file (`PRAGMA mmap_size`) was tried: checks 1,940/s, within the spread \
above, and the mapped pages count as the server's memory (46 MiB peak instead of 24–29); not kept.\n\
- So what limits checks on SQLite is handing statements and rows between threads and allocating \
them, not cryptography nor the disk. 10% of `/healthz` needs a check at ten healthz's cost, 25% at \
four. The next steps, in order of what they would save: (1) SQLite on the calling thread, rusqlite in \
one `spawn_blocking` per check, its three reads in one hop and typed rows without the `Any` \
conversion: it removes the switches, wakeups and channels (about 30% of the profile) and most row \
allocations; (2) the class's people, grants and keys kept per instance under a record version that \
every logged change to them moves in the same transaction, read together with the staff credential at \
every check (so a revocation on any instance still wins the next check), which leaves one read per \
check: what 25% would take; its cost is the growth goal, since a million people do not fit in \
200 MiB and most checks of a large school would miss; (3) an allocator with per-thread caches: \
mimalloc was tried and not kept, since it raised the server's peak memory from 60 to 113 MiB at 20,000 \
people and its gain was within this machine's run-to-run spread.\n\
- Profile of PostgreSQL checks (`perf record -F 499 -a -g`, 4 s of the check load, 2026-12-02 04:52 \
UTC): PostgreSQL's backends take 68% of the machine and the server 26.5%. Within PostgreSQL, planning \
takes 38% of the machine (`GetCachedPlan` → `standard_planner`), executing 11%, reading the socket \
3.6%, committing 1.8%. It plans every statement at every call (`plan_cache_mode = force_custom_plan` \
on the server's connections) because a kept generic plan goes stale: with generic plans allowed \
(`auto`), checks ran at 1,471/s (2.4% of `/healthz`, against 770/s) but the mix fell to 187/s, since \
the consent record's generic plan, made while the tables were nearly empty, hashes all of the \
school's grants and revocations (a hash join over `school_id = $1`), and PostgreSQL keeps it until an \
`ANALYZE` invalidates it (autovacuum looks once a minute); before it planned per call, the mix fell to 97/s the \
same way. Running `ANALYZE` on those tables every 2 s beside generic plans did not save it (the \
mix at 338/s, 05:29 UTC), and why the kept plans stayed wrong with fresh statistics was not found \
in this session. The next step on PostgreSQL is to find it (the kept plans, logged by `auto_explain`) \
and so keep plans that stay right as a school grows: about 1.9× the checks, as generic plans gave.\n\
- The mix's grants and revocations come from a class of its own (5C), so that they do not read the \
hundreds of tokens and revocations per student that the grant and revocation rows leave in class 4A \
(a real student holds a few). The mix is limited by what limits checks, and its grants by their \
durable write and signature verification.\n\n";

/// The media audit: how well a published copy matches its check, how far
/// distinct pictures stay apart, and the speed of fingerprinting.
pub fn media_section(result: &MediaResult, command: &str, loadavg: &str, took: Duration) -> String {
    let distances = Distances::of(&result.pictures, Hash::InForce);
    let scenes: Vec<&Picture> = result.pictures.iter().filter(|p| p.generated).collect();
    let added: Vec<&Picture> = result.pictures.iter().filter(|p| !p.generated).collect();
    let portrait = scenes.iter().filter(|p| p.size.1 > p.size.0).count();
    let machine: String = machine()
        .lines()
        .filter(|line| !line.starts_with("- PostgreSQL"))
        .map(|line| format!("{line}\n"))
        .collect();
    let mut out = String::from("## Media audit\n\n");
    let _ = write!(
        out,
        "Does a published copy of a checked picture still match its check, and does no other picture \
         match? Written by `{command}` (this section only; `all` runs it too). Every file is \
         fingerprinted from disk through `consent_media::fingerprint_file`, as the CLI does; the \
         perceptual hash is `image_hasher`'s DCT hash against the median (pHash), 16 × 16 bits of a 32 × 32 thumbnail shrunk with the Triangle filter.\n\n\
         {machine}\
         - load average when the run began (`/proc/loadavg`): {loadavg}\n\
         - the run took {minutes:.1} min, of which {building:.1} min generating, transforming, writing \
         and fingerprinting the set on {cores} threads\n\n",
        loadavg = loadavg.trim(),
        minutes = took.as_secs_f64() / 60.0,
        building = result.building.as_secs_f64() / 60.0,
        cores = media::cores(),
    );
    let _ = write!(
        out,
        "The set: {} distinct pictures. {} generated scenes (`bench/src/scenes.rs`, seed {}): {} \
         landscape 1200 × 800 and {} portrait 800 × 1200; a sky and ground or a classroom's wall and \
         floor in gradients, textured grass, paving or planks, field lines, buildings with windows, \
         trees, and one to ten people (heads and hair as ellipses, rounded bodies, arms and legs, six \
         skin tones, varied clothes, larger nearer the camera), then a lens's softness, light falling \
         across, a vignette and sensor grain.",
        result.pictures.len(),
        scenes.len(),
        result.seed,
        scenes.len() - portrait,
        portrait,
    );
    if !added.is_empty() {
        let names: Vec<&str> = added.iter().map(|p| p.name.as_str()).collect();
        let _ = write!(
            out,
            " And {} photographs that scikit-image ships (`skimage/data`, at their own sizes, from \
             512 × 512 down): {}. To add them: `python3 -m venv /tmp/skimage-venv && \
             /tmp/skimage-venv/bin/pip install scikit-image` (0.26.0 here) and copy those files from its \
             `skimage/data` into the folder given as `--pictures`. Left out: the drawn ones (chessboards, \
             colour chart, phantom, logo, horse silhouette), `microaneurysms` (102 × 102) and \
             `motorcycle_right`, the scene of `motorcycle_left` seen from a few centimetres aside.",
            added.len(),
            names.join(", ")
        );
    }
    out.push_str(" Each original is written as PNG; each copy as below.\n\n");
    let _ = writeln!(
        out,
        "### Copies found\n\n\
         A copy is found when its distance to its original is at most `CERTAIN_DISTANCE` = \
         {CERTAIN_DISTANCE} of 256 bits; between that and `UNCERTAIN_DISTANCE` = {UNCERTAIN_DISTANCE} \
         the audit calls it uncertain, for a person to look at.\n\n\
         | copy | how | found | uncertain | missed | distance median | p99 | max | goal | |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|---|"
    );
    let mut goals = String::from("| goal | measured | |\n|---|---|---|\n");
    for (t, transform) in TRANSFORMS.iter().enumerate() {
        let mut same = distances.same[t].clone();
        same.sort_unstable();
        let n = same.len().max(1) as f64;
        let found = same.iter().filter(|&&d| d <= CERTAIN_DISTANCE).count();
        let uncertain = same
            .iter()
            .filter(|&&d| d > CERTAIN_DISTANCE && d <= UNCERTAIN_DISTANCE)
            .count();
        let missed = same.len() - found - uncertain;
        let at = |q: f64| {
            same.get(((same.len() as f64 * q).ceil() as usize).clamp(1, same.len().max(1)) - 1)
                .copied()
                .unwrap_or(0)
        };
        let recall = found as f64 / n;
        let (goal, met) = match transform.goal() {
            Some(goal) => {
                let _ = writeln!(
                    goals,
                    "| {} found at least {:.0}% | {:.1}% | {} |",
                    transform.name(),
                    goal * 100.0,
                    recall * 100.0,
                    verdict(recall >= goal)
                );
                (format!("{:.0}%", goal * 100.0), verdict(recall >= goal))
            }
            None => ("—".to_owned(), ""),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {:.1}% | {:.1}% | {:.1}% | {} | {} | {} | {goal} | {met} |",
            transform.name(),
            transform.description(),
            recall * 100.0,
            uncertain as f64 / n * 100.0,
            missed as f64 / n * 100.0,
            at(0.5),
            at(0.99),
            at(1.0),
        );
    }
    let _ = writeln!(
        out,
        "\n### Distinct pictures never match\n\n\
         Every pair of distinct pictures: the originals against each other, and every copy against \
         every original but its own.\n\n\
         | pairs | how many | false matches (≤ {CERTAIN_DISTANCE}) | uncertain ({}–{UNCERTAIN_DISTANCE}) | smallest distance |\n\
         |---|---:|---:|---:|---:|",
        CERTAIN_DISTANCE + 1
    );
    let mut total = [0u64; 257];
    for (row, histogram) in distances.distinct.iter().enumerate() {
        let label = match row {
            0 => "original against original".to_owned(),
            t => format!("{} copy against another original", TRANSFORMS[t - 1].name()),
        };
        out.push_str(&distinct_row(&label, histogram));
        for (sum, count) in total.iter_mut().zip(histogram) {
            *sum += count;
        }
    }
    out.push_str(&distinct_row("**all**", &total));
    let false_matches: u64 = total[..=CERTAIN_DISTANCE as usize].iter().sum();
    let _ = writeln!(
        goals,
        "| no false match over the whole set | {false_matches} of {} pairs | {} |",
        total.iter().sum::<u64>(),
        verdict(false_matches == 0)
    );
    let closest: Vec<String> = distances
        .closest
        .iter()
        .map(|(distance, transform, a, b)| match transform {
            Some(t) => format!("{a} ({}) and {b}: {distance}", t.name()),
            None => format!("{a} and {b}: {distance}"),
        })
        .collect();
    let _ = writeln!(out, "\nThe closest distinct pairs: {}.\n", closest.join("; "));

    let _ = writeln!(
        out,
        "### Choosing the thresholds\n\n\
         For each distance, the share of each transform's copies within it of their original, and how \
         many pairs of distinct pictures lie within it (of {}).\n",
        total.iter().sum::<u64>()
    );
    out.push_str("| distance ≤ |");
    for transform in TRANSFORMS {
        let _ = write!(out, " {} |", transform.name());
    }
    out.push_str(" distinct pairs |\n|---:|");
    out.push_str(&"---:|".repeat(TRANSFORMS.len() + 1));
    out.push('\n');
    let mut limits: Vec<u32> = (1..=12).map(|i| i * 8).collect();
    limits.extend([CERTAIN_DISTANCE, UNCERTAIN_DISTANCE]);
    limits.sort_unstable();
    limits.dedup();
    for limit in limits {
        let marked = if limit == CERTAIN_DISTANCE {
            format!("**{limit}** (certain)")
        } else if limit == UNCERTAIN_DISTANCE {
            format!("**{limit}** (uncertain)")
        } else {
            limit.to_string()
        };
        let _ = write!(out, "| {marked} |");
        for same in &distances.same {
            let within = same.iter().filter(|&&d| d <= limit).count();
            let _ = write!(out, " {:.1}% |", within as f64 / same.len().max(1) as f64 * 100.0);
        }
        let _ = writeln!(out, " {} |", total[..=limit as usize].iter().sum::<u64>());
    }
    out.push('\n');
    out.push_str(MEDIA_THRESHOLDS);

    let _ = write!(
        out,
        "\n### The same files under another hash\n\n\
         The audit's hash against `image_hasher`'s gradient hash (16 × 16, Triangle), its first choice, \
         computed on the same files in the same run (measured only; the audit does not use it). For each, the smallest distance \
         between distinct pictures over all {} pairs, and the share of each transform's copies found at \
         the most generous threshold with no false match on this set: one below that smallest \
         distance.\n\n| hash | smallest distinct distance | threshold |",
        total.iter().sum::<u64>()
    );
    for transform in TRANSFORMS {
        let _ = write!(out, " {} |", transform.name());
    }
    out.push_str("\n|---|---:|---:|");
    out.push_str(&"---:|".repeat(TRANSFORMS.len()));
    out.push('\n');
    for hash in HASHES {
        let measured = Distances::of(&result.pictures, hash);
        let smallest = (0..=256usize)
            .find(|&d| measured.distinct.iter().any(|histogram| histogram[d] > 0))
            .unwrap_or(257) as u32;
        let threshold = smallest.saturating_sub(1);
        let _ = write!(out, "| {} | {smallest} | {threshold} |", hash.name());
        for same in &measured.same {
            let found = same.iter().filter(|&&d| d <= threshold).count();
            let _ = write!(out, " {:.1}% |", found as f64 / same.len().max(1) as f64 * 100.0);
        }
        out.push('\n');
    }
    out.push('\n');
    out.push_str(MEDIA_OTHER_HASH);

    let _ = writeln!(
        out,
        "\n### Speed\n\n\
         The {} JPEG copies (`jpeg-q60`, `png-to-jpeg`, `website`: {} MiB), read from disk after one \
         read of all of them, so from the page cache. Fingerprinting is what the audit does per file on \
         the client: read, SHA-256, decode, perceptual hash.\n\n\
         | threads | SHA-256 only (files/s) | decoding only (files/s) | fingerprint (files/s) | fingerprint ÷ SHA-256 |\n\
         |---:|---:|---:|---:|---:|",
        result.speed_files,
        mib(result.speed_bytes)
    );
    for speed in &result.speeds {
        let rate = |time: Duration| result.speed_files as f64 / time.as_secs_f64().max(1e-9);
        let _ = writeln!(
            out,
            "| {} | {:.0} | {:.1} | {:.1} | {:.1}% ({:.0}× slower) |",
            speed.threads,
            rate(speed.sha256),
            rate(speed.decode),
            rate(speed.fingerprint),
            rate(speed.fingerprint) / rate(speed.sha256) * 100.0,
            speed.fingerprint.as_secs_f64() / speed.sha256.as_secs_f64().max(1e-9),
        );
    }
    if let (Some(one), Some(all)) = (result.speeds.first(), result.speeds.last()) {
        let per_second = result.speed_files as f64 / one.fingerprint.as_secs_f64().max(1e-9);
        let _ = writeln!(
            out,
            "\nReading and decoding take {:.0}% of a fingerprint's time on one thread, SHA-256 {:.1}%; the rest is \
             the perceptual hash (grey, then a resize to 32 × 32 pixels and its cosine transform). One core fingerprints {:.0} \
             published pictures a second, a website's media library of 10,000 files in {:.1} min; {} \
             threads {:.0} a second. A thread beyond the first helps only as far as a core is free, \
             and this machine is shared (see the load average).",
            one.decode.as_secs_f64() / one.fingerprint.as_secs_f64().max(1e-9) * 100.0,
            one.sha256.as_secs_f64() / one.fingerprint.as_secs_f64().max(1e-9) * 100.0,
            per_second,
            10_000.0 / per_second.max(1e-9) / 60.0,
            all.threads,
            result.speed_files as f64 / all.fingerprint.as_secs_f64().max(1e-9),
        );
    }
    let _ = write!(out, "\n{goals}\n");
    out
}

/// One row of the distinct pairs' table.
fn distinct_row(label: &str, histogram: &[u64; 257]) -> String {
    let pairs: u64 = histogram.iter().sum();
    let matches: u64 = histogram[..=CERTAIN_DISTANCE as usize].iter().sum();
    let uncertain: u64 = histogram[CERTAIN_DISTANCE as usize + 1..=UNCERTAIN_DISTANCE as usize]
        .iter()
        .sum();
    let smallest = histogram
        .iter()
        .position(|&count| count > 0)
        .map_or_else(|| "—".to_owned(), |d| d.to_string());
    format!("| {label} | {pairs} | {matches} | {uncertain} | {smallest} |\n")
}

/// Why the thresholds are where they are (kept in step with the doc comment
/// of `consent_media::CERTAIN_DISTANCE`).
const MEDIA_THRESHOLDS: &str = "The thresholds (`media/src/perceptual_hash.rs`) come from this table, in the published run. Resizing and \
recompression move a copy at most 10 bits from its original; a caption at a median of 20 and up to 66; a 5% \
crop, which changes the scale and place of everything in the picture, at a median of 40 and up to 98. \
Distinct pictures come no closer than 76: each bit compares a frequency with the median of all 256, so half \
the bits are set whatever the picture, and even mostly flat pictures do not fall together. A false match \
reports an unchecked picture as checked, the error the audit exists to find; so `CERTAIN_DISTANCE` is 60, \
sixteen bits below the closest distinct pair, where 99.5% of the crops and 99.9% of the captions are found, \
and `UNCERTAIN_DISTANCE` is 72, within which lie all but one crop in a thousand and no pair of distinct \
pictures: a person is asked about the rare far crop and never about an unrelated picture.\n";

/// What the comparison says.
const MEDIA_OTHER_HASH: &str = "The gradient hash, the audit's first choice, compares neighbouring cells of a 17 × 16 thumbnail. Two mostly \
flat pictures lit from one side (scikit-image's scanned `page` and a generated empty field at sunset) share \
most of its bits and lie 36 apart, while a 5% crop shifts its grid by up to half a cell and moves a copy a \
median of 28: no threshold finds 95% of the crops without a false match. The DCT hash moves a crop about as \
far but keeps distinct pictures twice as far apart, so it replaced the gradient hash, in the CLI and in the \
browser alike (`server/web/static/js/fingerprint.js`, held to the crate by \
`tests/tests/browser_fingerprint.rs`).\n";

/// `document` with its section headed `heading` (a `## ` line) replaced by
/// `section`; without one, `section` goes before the sections measured by
/// hand, or at the end.
pub fn with_section(document: &str, heading: &str, section: &str) -> String {
    let section = format!("{}\n\n", section.trim_end());
    let starts_at = |title: &str| {
        if document.starts_with(&format!("{title}\n")) {
            Some(0)
        } else {
            document.find(&format!("\n{title}\n")).map(|at| at + 1)
        }
    };
    if let Some(begin) = starts_at(heading) {
        let after = begin + heading.len();
        let end = document[after..]
            .find("\n## ")
            .map_or(document.len(), |at| after + at + 1);
        format!("{}{section}{}", &document[..begin], &document[end..])
    } else if let Some(begin) = starts_at("## The phone app") {
        format!("{}{section}{}", &document[..begin], &document[begin..])
    } else if document.is_empty() {
        section
    } else {
        format!("{}\n\n{section}", document.trim_end())
    }
}

/// The sections of an earlier BENCHMARKS.md that `all` does not measure
/// (the phone app's, taken with Lighthouse and a browser): from the first of
/// them to the end, so that a new run keeps them instead of erasing them.
pub fn measured_by_hand(earlier: &str) -> Option<&str> {
    const FIRST_BY_HAND: &str = "\n## The phone app\n";
    earlier.find(FIRST_BY_HAND).map(|at| &earlier[at + 1..])
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_new_run_keeps_what_was_measured_by_hand() {
        let earlier = "# Benchmarks\n\n## Soak\nold\n\n## The phone app\n\nLighthouse 100\n";
        assert_eq!(
            super::measured_by_hand(earlier),
            Some("## The phone app\n\nLighthouse 100\n")
        );
        assert_eq!(super::measured_by_hand("# Benchmarks\n\n## Soak\n"), None);
    }

    #[test]
    fn a_media_run_replaces_its_own_section_and_nothing_else() {
        let earlier =
            "# Benchmarks\n\n## Soak\nold\n\n## Media audit\nold media\n\n## The phone app\nby hand\n";
        assert_eq!(
            super::with_section(earlier, "## Media audit", "## Media audit\nnew\n"),
            "# Benchmarks\n\n## Soak\nold\n\n## Media audit\nnew\n\n## The phone app\nby hand\n"
        );
    }

    #[test]
    fn a_first_media_run_goes_before_what_was_measured_by_hand() {
        let earlier = "# Benchmarks\n\n## Soak\nold\n\n## The phone app\nby hand\n";
        assert_eq!(
            super::with_section(earlier, "## Media audit", "## Media audit\nnew"),
            "# Benchmarks\n\n## Soak\nold\n\n## Media audit\nnew\n\n## The phone app\nby hand\n"
        );
        assert_eq!(
            super::with_section("# Benchmarks\n", "## Media audit", "## Media audit\nnew"),
            "# Benchmarks\n\n## Media audit\nnew\n\n"
        );
    }
}
