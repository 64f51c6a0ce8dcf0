//! `consent`: the consent platform's command-line client, for students and
//! parents, teachers, communications staff and school administrators.
//!
//! Exit codes: 0 done (allowed, valid), 1 error, 2 usage, 3 not allowed.

mod api;
mod audit;
mod cli;
mod clock;
mod commands;
mod config;
mod fingerprints;
mod offline;
mod output;
mod purposes;
mod sheet;

use std::process::ExitCode;

use clap::Parser;

use crate::api::ApiProblem;
use crate::commands::{Done, UsageError};

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(Done::Ok) => ExitCode::SUCCESS,
        Ok(Done::NotAllowed) => ExitCode::from(3),
        Err(error) => {
            report(&error);
            if error.downcast_ref::<UsageError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// Prints an error with its causes, and the hint of a server refusal.
fn report(error: &anyhow::Error) {
    eprintln!("error: {error}");
    for cause in error.chain().skip(1) {
        eprintln!("  because: {cause}");
    }
    if let Some(hint) = error.downcast_ref::<ApiProblem>().and_then(ApiProblem::hint) {
        eprintln!("hint: {hint}");
    }
}
