//! What each command does, one module per kind of user.

mod admin;
mod comms;
mod media_audit;
mod setup;
mod subject;
mod teacher;

use std::fmt;
use std::path::Path;

use anyhow::{Context, Result};

use crate::api::Client;
use crate::cli::{AuditCommand, Cli, Command, Global};
use crate::config::{Paths, Settings};

/// How a command ended, when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    /// All well: allowed, valid, done.
    Ok,
    /// The answer is no: a check denied someone, a code is not valid, a
    /// publication was refused, an audited picture is not in order (exit
    /// code 3).
    NotAllowed,
}

/// A mistake in how the command was called that clap cannot see (exit code 2).
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// What every command needs: the options, the config folder and the settings.
pub struct Ctx {
    global: Global,
    paths: Paths,
    settings: Settings,
}

impl Ctx {
    fn new(global: Global) -> Result<Self> {
        let paths = Paths::resolve(global.config_dir.clone())?;
        let settings = paths.load_settings()?;
        Ok(Self {
            global,
            paths,
            settings,
        })
    }

    /// Whether to print JSON.
    pub fn json(&self) -> bool {
        self.global.json
    }

    /// The server's address: `--server`/`CONSENT_SERVER`, else the stored one,
    /// else the one this device enrolled with.
    pub fn server(&self) -> Result<String> {
        if let Some(server) = self
            .global
            .server
            .clone()
            .or_else(|| self.settings.server.clone())
        {
            return Ok(server);
        }
        if let Ok(Some(device)) = self.paths.load_device() {
            return Ok(device.server);
        }
        anyhow::bail!(
            "no server address is set: run `consent config set-server https://consent.school.example`, \
             or pass --server URL (or set CONSENT_SERVER)"
        )
    }

    /// A client for the server, carrying the staff token if there is one.
    pub fn client(&self) -> Result<Client> {
        let token = self.global.token.clone().or_else(|| self.settings.token.clone());
        Client::new(&self.server()?, token)
    }
}

/// Runs the command.
pub async fn run(cli: Cli) -> Result<Done> {
    let ctx = Ctx::new(cli.global)?;
    match cli.command {
        Command::Config(command) => setup::config(&ctx, command),
        Command::Login => setup::login(&ctx).await,
        Command::Enroll(args) => subject::enroll(&ctx, args).await,
        Command::Grant(args) => subject::grant(&ctx, args).await,
        Command::Cosign(args) => subject::cosign(&ctx, args).await,
        Command::Show(args) => subject::show(&ctx, args).await,
        Command::Revoke(args) => subject::revoke(&ctx, args).await,
        Command::Status => subject::status(&ctx).await,
        Command::Export(args) => subject::export(&ctx, args).await,
        Command::Scan(args) => teacher::scan(&ctx, args).await,
        Command::Sync => teacher::sync(&ctx).await,
        Command::Check(args) => teacher::check(&ctx, args).await,
        Command::Publish(args) => teacher::publish(&ctx, args).await,
        Command::Publications(args) => comms::publications(&ctx, args).await,
        Command::Takedown(args) => comms::takedown(&ctx, args).await,
        Command::Audit(AuditCommand::Verify { page_size }) => comms::audit_verify(&ctx, page_size).await,
        Command::Audit(AuditCommand::Media(args)) => media_audit::media(&ctx, args).await,
        Command::Audit(AuditCommand::Takedowns { open }) => media_audit::takedowns(&ctx, open).await,
        Command::Audit(AuditCommand::TakedownDone { id }) => media_audit::takedown_done(&ctx, id).await,
        Command::Report(command) => comms::report(&ctx, command).await,
        Command::People(command) => admin::people(&ctx, command).await,
        Command::Guardian(command) => admin::guardian(&ctx, command).await,
        Command::Staff(command) => admin::staff(&ctx, command).await,
        Command::EnrollmentCodes(args) => admin::enrollment_codes(&ctx, args).await,
        Command::Device(command) => admin::device(&ctx, command).await,
        Command::School(command) => admin::school(&ctx, command).await,
        Command::Channels(command) => admin::channels(&ctx, command).await,
    }
}

/// How an enrollment code's text begins (a consent code's begins `consent:`).
pub const ENROLLMENT_PREFIX: &str = "consent-enroll:";

/// Whether scanned or typed text is an enrollment code: the code with its
/// prefix, or the phone app's link that printed codes hold
/// (`https://.../enroll#code=...`).
fn is_enrollment_code(text: &str) -> bool {
    text.trim_start().starts_with(ENROLLMENT_PREFIX) || text.contains("/enroll#code=")
}

/// Reads the consent code (or enrollment code) in a photo of a QR code.
fn read_code_photo(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    consent_qr::read_text(&bytes).with_context(|| {
        format!(
            "no QR code could be read from {}: photograph the code closer, straight on and in good light",
            path.display()
        )
    })
}

/// Writes `bytes` to a file the user named.
fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}
