//! `bench`: measures the consent platform as its users feel it and writes
//! `BENCHMARKS.md`.

use std::time::Duration;

use anyhow::{Context, Result};
use bench::database::{Engine, DEFAULT_POSTGRES};
use bench::load::Load;
use bench::media::{MediaRun, SEED};
use bench::{criterion_run, freshness, growth, media, report, server_load, server_process, soak, tokens};
use clap::{Parser, Subcommand};

/// Measures the consent platform: tokens, the server under load, growth,
/// revocation freshness, a soak, and the media audit's fingerprints.
///
/// Build the server first: `cargo build --release -p consent-server -p bench`.
#[derive(Parser)]
#[command(after_help = "Examples:\n  cargo run -p bench --release -- all\n  \
    cargo run -p bench --release -- load --seconds 20 --connections 32\n  \
    cargo run -p bench --release -- soak --minutes 5\n  \
    cargo run -p bench --release -- media --pictures /tmp/skimage-pictures")]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Concurrent connections of the load generator.
    #[arg(long, default_value_t = 16, global = true)]
    connections: usize,
    /// Seconds of load per measured row.
    #[arg(long, default_value_t = 10, global = true)]
    seconds: u64,
    /// A PostgreSQL server on which the benchmarks may create and drop
    /// databases named `consent_bench_*`.
    #[arg(long, env = "CONSENT_BENCH_POSTGRES_URL", default_value = DEFAULT_POSTGRES, global = true)]
    postgres_url: String,
    /// Measure on SQLite only.
    #[arg(long, global = true)]
    no_postgres: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Token sizes and criterion verify times against JWT and PASETO.
    Tokens,
    /// Sizes only, without running criterion.
    Sizes,
    /// The server under load: healthz, checks, grants, revocations, scans, a mix.
    Load,
    /// Checks over 1,000 and over 1,000,000 seeded people, on each engine.
    Growth {
        /// School sizes to seed and measure, smallest first.
        #[arg(long, value_delimiter = ',', default_value = "1000,1000000")]
        people: Vec<usize>,
    },
    /// Time from a revocation on one instance to the first deny on another.
    Freshness,
    /// A sustained mixed load; errors and server memory over time.
    Soak {
        /// How long.
        #[arg(long, default_value_t = 5)]
        minutes: u64,
    },
    /// The media audit: generates pictures, transforms them as publishing
    /// does, and measures how well the perceptual hash finds each copy,
    /// that distinct pictures never match, and the speed of fingerprinting
    /// against plain SHA-256. Writes its section of BENCHMARKS.md.
    Media {
        #[command(flatten)]
        set: MediaSet,
        /// The report whose "Media audit" section is replaced.
        #[arg(long, default_value = "BENCHMARKS.md")]
        out: std::path::PathBuf,
    },
    /// Everything, writing BENCHMARKS.md.
    All {
        /// Where to write the report.
        #[arg(long, default_value = "BENCHMARKS.md")]
        out: std::path::PathBuf,
        /// How long the soak runs (0 skips it).
        #[arg(long, default_value_t = 5)]
        soak_minutes: u64,
        /// School sizes for the growth section.
        #[arg(long, value_delimiter = ',', default_value = "1000,1000000")]
        people: Vec<usize>,
        #[command(flatten)]
        media: MediaSet,
    },
}

/// The pictures of the media benchmark.
#[derive(clap::Args)]
struct MediaSet {
    /// How many scenes to generate (0 skips the media benchmark in `all`).
    #[arg(long, default_value_t = 1000)]
    count: usize,
    /// The seed the scenes are drawn from.
    #[arg(long, default_value_t = SEED)]
    seed: u64,
    /// Where the pictures and their copies are written; emptied first.
    #[arg(long, default_value_os_t = std::env::temp_dir().join("consent-media-bench"))]
    dir: std::path::PathBuf,
    /// A folder of further pictures (JPEG, PNG) to add, such as those
    /// scikit-image ships (see BENCHMARKS.md).
    #[arg(long)]
    pictures: Option<std::path::PathBuf>,
}

impl MediaSet {
    fn run(&self) -> MediaRun {
        MediaRun {
            count: self.count,
            seed: self.seed,
            dir: self.dir.clone(),
            pictures: self.pictures.clone(),
        }
    }

    /// The command that measures this set, for the report.
    fn command(&self) -> String {
        let mut command = String::from("cargo run -p bench --release -- media");
        if self.count != 1000 {
            command.push_str(&format!(" --count {}", self.count));
        }
        if self.seed != SEED {
            command.push_str(&format!(" --seed {}", self.seed));
        }
        if let Some(pictures) = &self.pictures {
            command.push_str(&format!(" --pictures {}", pictures.display()));
        }
        command
    }

    /// Measures and renders the section.
    fn section(&self) -> Result<String> {
        let loadavg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        let started = std::time::Instant::now();
        let result = media::measure(&self.run())?;
        Ok(report::media_section(
            &result,
            &self.command(),
            &loadavg,
            started.elapsed(),
        ))
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    let load = Load {
        connections: cli.connections,
        duration: Duration::from_secs(cli.seconds),
    };
    let engines: Vec<Engine> = if cli.no_postgres {
        vec![Engine::Sqlite]
    } else {
        vec![Engine::Sqlite, Engine::Postgres]
    };
    match cli.command {
        Command::Sizes => tokens::print_size_table()?,
        Command::Tokens => {
            criterion_run::run_token_benchmark()?;
            print!("{}", report::tokens_section()?);
        }
        Command::Load => {
            server_process::server_binary()?;
            let mut results = Vec::new();
            for engine in engines {
                results.push(server_load::measure(engine, &cli.postgres_url, load).await?);
            }
            print!("{}", report::load_section(&results, load));
            let durable_write = report::durable_write_time(&std::env::temp_dir())?;
            print!("{}", report::check_limits(&results, durable_write));
        }
        Command::Growth { people } => {
            print!(
                "{}",
                growth_section(&engines, &people, &cli.postgres_url, load).await?
            );
        }
        Command::Freshness => {
            let result = freshness::measure(&cli.postgres_url).await?;
            print!("{}", report::freshness_section(&result));
        }
        Command::Soak { minutes } => {
            let load = Load {
                duration: Duration::from_secs(minutes * 60),
                ..load
            };
            let result = soak::run(Engine::Sqlite, &cli.postgres_url, load).await?;
            print!("{}", report::soak_section(&result, load));
        }
        Command::Media { set, out } => {
            let section = set.section()?;
            print!("{section}");
            let earlier = std::fs::read_to_string(&out).unwrap_or_default();
            let text = report::with_section(&earlier, "## Media audit", &section);
            std::fs::write(&out, text).with_context(|| format!("writing {}", out.display()))?;
            eprintln!("wrote the media audit's section of {}", out.display());
        }
        Command::All {
            out,
            soak_minutes,
            people,
            media,
        } => {
            server_process::server_binary()?;
            let loadavg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
            let started = std::time::Instant::now();
            let mut sections = Vec::new();
            eprintln!("tokens ...");
            criterion_run::run_token_benchmark()?;
            sections.push(report::tokens_section()?);
            eprintln!("server under load ...");
            let mut results = Vec::new();
            for engine in &engines {
                results.push(server_load::measure(*engine, &cli.postgres_url, load).await?);
            }
            sections.push(report::load_section(&results, load));
            let durable_write = report::durable_write_time(&std::env::temp_dir())?;
            sections.push(report::check_limits(&results, durable_write));
            eprintln!("growth ...");
            sections.push(growth_section(&engines, &people, &cli.postgres_url, load).await?);
            if !cli.no_postgres {
                eprintln!("revocation freshness ...");
                let result = freshness::measure(&cli.postgres_url).await?;
                sections.push(report::freshness_section(&result));
            }
            if soak_minutes > 0 {
                eprintln!("soak ...");
                let soak_load = Load {
                    duration: Duration::from_secs(soak_minutes * 60),
                    ..load
                };
                let result = soak::run(Engine::Sqlite, &cli.postgres_url, soak_load).await?;
                sections.push(report::soak_section(&result, soak_load));
            }
            if media.count > 0 {
                eprintln!("media audit ...");
                sections.push(media.section()?);
            }
            let took = started.elapsed();
            let mut text = document(&sections, load, soak_minutes, &people, &loadavg, took);
            let earlier = std::fs::read_to_string(&out).unwrap_or_default();
            if let Some(by_hand) = report::measured_by_hand(&earlier) {
                text.push('\n');
                text.push_str(by_hand);
            }
            std::fs::write(&out, text).with_context(|| format!("writing {}", out.display()))?;
            eprintln!("wrote {} in {:.1} min", out.display(), took.as_secs_f64() / 60.0);
        }
    }
    Ok(())
}

async fn growth_section(
    engines: &[Engine],
    people: &[usize],
    postgres_url: &str,
    load: Load,
) -> Result<String> {
    let mut results = Vec::new();
    for engine in engines {
        let mut sizes = Vec::new();
        for count in people {
            sizes.push(growth::measure(*engine, postgres_url, *count, load).await?);
        }
        results.push((*engine, sizes));
    }
    Ok(report::growth_section(&results, load))
}

fn document(
    sections: &[String],
    load: Load,
    soak_minutes: u64,
    people: &[usize],
    loadavg: &str,
    took: Duration,
) -> String {
    let people: Vec<String> = people.iter().map(usize::to_string).collect();
    format!(
        "# Benchmarks\n\n\
         What users feel, measured side by side in one run. Written by `cargo run -p bench --release -- all`; \
         nothing in `cargo test` asserts a time.\n\n\
         {machine}\
         - load average when the run began (`/proc/loadavg`): {loadavg}; the machine is shared, so \
         absolute figures move with other work, and the ratios measured in the same run are what count\n\
         - the whole set took {minutes:.1} min\n\n\
         ## How to reproduce\n\n\
         ```sh\n\
         cargo build --release -p consent-server -p bench\n\
         cargo run -p bench --release -- all --connections {connections} --seconds {seconds} --soak-minutes {soak_minutes} --people {people}\n\
         ```\n\n\
         PostgreSQL is read from `--postgres-url` (default `{DEFAULT_POSTGRES}`); the run creates and \
         drops databases named `consent_bench_<pid>_<n>`. Each section also runs on its own: \
         `tokens` (criterion: `cargo bench -p bench --bench tokens`), `load`, `growth`, `freshness`, `soak`, `media` (which rewrites only its own section).\n\n\
         {body}",
        machine = report::machine(),
        loadavg = loadavg.trim(),
        minutes = took.as_secs_f64() / 60.0,
        connections = load.connections,
        seconds = load.duration.as_secs(),
        people = people.join(","),
        body = sections.join("\n"),
    )
}
