//! `consent-server`: run the consent server, or administer it from its host.

use std::io::IsTerminal;

use anyhow::Context;
use clap::{Parser, Subcommand};
use consent_server::http::now_unix;
use consent_server::store::StaffRole;
use consent_server::{open_store, Config, Server};
use tracing_subscriber::EnvFilter;

/// The consent server: verifies consent before school media is published.
///
/// With no arguments it serves on 127.0.0.1:8080 with a SQLite database in
/// the platform's data directory, created on first start.
#[derive(Parser)]
#[command(
    version,
    after_help = "Examples:\n  consent-server\n  consent-server admin create --school \"De Linde\" --name \"A. de Vries\"\n  consent-server key rotate\n  DATABASE_URL=postgres://consent@db/consent consent-server --listen 0.0.0.0:8080"
)]
struct Cli {
    #[command(flatten)]
    config: Config,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve,
    /// Administer the server from its host.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Manage this instance's signing key.
    #[command(subcommand)]
    Key(KeyCommand),
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Replace the signing key in the data directory with a new one, and
    /// publish the new public key. What the old key signed still verifies;
    /// restart the server to sign with the new key.
    #[command(after_help = "Example:\n  consent-server key rotate && systemctl restart consent-server")]
    Rotate,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a school's administrator (and the school, if it is new) and
    /// print their API token once.
    #[command(
        after_help = "Example:\n  consent-server admin create --school \"De Linde\" --name \"A. de Vries\""
    )]
    Create {
        /// The school's name.
        #[arg(long)]
        school: String,
        /// The administrator's name.
        #[arg(long)]
        name: String,
        /// How many days the token works.
        #[arg(long, default_value_t = 365)]
        valid_days: i64,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        // Colour codes only on a terminal: a log file or journal gets plain text.
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(cli.config).await,
        Command::Admin(AdminCommand::Create {
            school,
            name,
            valid_days,
        }) => create_admin(&cli.config, &school, &name, valid_days).await,
        Command::Key(KeyCommand::Rotate) => {
            let key = consent_server::rotate_signing_key(&cli.config).await?;
            println!("new signing key {key} published; restart the server to sign with it");
            println!("what the old key signed still verifies: its public key stays published");
            Ok(())
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    tracing::info!(?config, "starting");
    let server = Server::bind(&config).await?;
    let address = server.local_addr()?;
    let scheme = if server.is_tls() { "https" } else { "http" };
    // Scripts and tests read this line to find the port.
    println!("listening on {scheme}://{address}");
    server.serve(shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

async fn create_admin(config: &Config, school_name: &str, name: &str, valid_days: i64) -> anyhow::Result<()> {
    anyhow::ensure!(
        (1..=730).contains(&valid_days),
        "--valid-days must be between 1 and 730"
    );
    let store = open_store(config).await?;
    let now = now_unix();
    let school = match store.school_by_name(school_name).await? {
        Some(school) => school,
        None => store
            .create_school(school_name, now)
            .await
            .context("creating the school")?,
    };
    let member = store.create_staff(school.id, name, StaffRole::Admin, now).await?;
    let issued = consent_server::http::issue_admin_token(&store, &member, valid_days)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("school:        {} (id {})", school.name, school.id);
    println!("administrator: {} (staff id {})", member.name, member.id);
    println!("API token (shown once, keep it safe):");
    println!("{}", issued.token);
    store.close().await;
    Ok(())
}
