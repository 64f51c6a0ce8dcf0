//! Settings: the server's address and a staff member's API token.

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, Result};
use serde::Deserialize;
use serde_json::json;

use super::{Ctx, Done, UsageError};
use crate::api::{Auth, Client};
use crate::cli::ConfigCommand;
use crate::config::read_json;
use crate::output;

/// `consent config ...`
pub fn config(ctx: &Ctx, command: ConfigCommand) -> Result<Done> {
    match command {
        ConfigCommand::SetServer { url } => {
            Client::new(&url, None)?;
            let mut settings = ctx.settings.clone();
            settings.server = Some(url.trim().to_owned());
            ctx.paths.save_settings(&settings)?;
            if ctx.json() {
                output::json(&json!({"server": settings.server}))?;
            } else {
                println!("Server set to {}", url.trim());
            }
        }
        ConfigCommand::Show => show(ctx)?,
    }
    Ok(Done::Ok)
}

fn show(ctx: &Ctx) -> Result<()> {
    let (server, server_from) = match (&ctx.global.server, &ctx.settings.server) {
        (Some(server), _) => (Some(server.clone()), "--server or CONSENT_SERVER"),
        (None, Some(server)) => (Some(server.clone()), "stored"),
        (None, None) => (None, "not set"),
    };
    let token_from = match (&ctx.global.token, &ctx.settings.token) {
        (Some(_), _) => "set by --token or CONSENT_TOKEN",
        (None, Some(_)) => "stored by `consent login`",
        (None, None) => "none",
    };
    let device = ctx.paths.load_device()?;
    let cache: Option<crate::offline::Cache> = read_json(&ctx.paths.cache())?;
    if ctx.json() {
        return output::json(&json!({
            "config_dir": ctx.paths.dir(),
            "server": server,
            "server_from": server_from,
            "staff_token": token_from,
            "device": device,
            "offline_cache": cache.as_ref().map(|cache| json!({
                "fresh_at": cache.fresh_at().to_string(),
                "revocations": cache.revocation_count(),
            })),
        }));
    }
    println!("config folder: {}", ctx.paths.dir().display());
    println!(
        "server:        {} ({server_from})",
        server.as_deref().unwrap_or("-")
    );
    println!("staff token:   {token_from}");
    match device {
        Some(device) => println!(
            "device:        enrolled for {} ({}, person {}), key id {}",
            device.display_name.as_deref().unwrap_or("?"),
            device.kind,
            device.person,
            device.key_id
        ),
        None => println!("device:        not enrolled"),
    }
    match cache {
        Some(cache) => println!(
            "offline cache: revocations: {}, fresh as of {}",
            cache.revocation_count(),
            cache.fresh_at()
        ),
        None => println!("offline cache: none (run `consent sync`)"),
    }
    Ok(())
}

#[derive(Deserialize)]
struct School {
    id: u32,
    name: String,
}

/// `consent login`: checks a staff token with the server and stores it.
pub async fn login(ctx: &Ctx) -> Result<Done> {
    let token = match &ctx.global.token {
        Some(token) => token.clone(),
        None => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                eprintln!("Paste your staff API token and press Enter:");
            }
            let mut line = String::new();
            stdin.lock().read_line(&mut line).context("reading the token")?;
            line.trim().to_owned()
        }
    };
    if token.is_empty() {
        return Err(UsageError("give the token: `consent login --token TOKEN`".into()).into());
    }
    let server = ctx.server()?;
    let client = Client::new(&server, Some(token.clone()))?;
    let school: School = client
        .get("/v1/school", &[], Auth::Staff)
        .await
        .context("checking the token with the server")?;
    let mut settings = ctx.settings.clone();
    settings.token = Some(token);
    settings.server = Some(server.clone());
    ctx.paths.save_settings(&settings)?;
    if ctx.json() {
        output::json(&json!({"server": server, "school": {"id": school.id, "name": school.name}}))?;
    } else {
        println!("Logged in to {} (school {}) at {server}", school.name, school.id);
    }
    Ok(Done::Ok)
}
