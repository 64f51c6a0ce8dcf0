//! Administrators: people and groups, guardians, staff accounts, enrollment
//! codes, lost devices and the school's settings.

use std::collections::HashSet;
use std::path::Path;

use anyhow::{anyhow, Context, Result};
use consent_protocol::{KeyId, SubjectId};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{write_file, Ctx, Done};
use crate::api::{segment, ApiProblem, Auth, Body, Client};
use crate::cli::{
    ChannelsCommand, DeviceCommand, EnrollmentCodesArgs, GuardianCommand, PeopleCommand, SchoolCommand,
    StaffCommand,
};
use crate::clock;
use crate::output::{self, Table};
use crate::sheet::{self, Card};

#[derive(Deserialize, Serialize, Clone)]
struct Person {
    id: SubjectId,
    kind: String,
    display_name: Option<String>,
    group: Option<String>,
    birth_date: Option<String>,
    external_id: Option<String>,
    erased: bool,
}

impl Person {
    fn name(&self) -> &str {
        self.display_name.as_deref().unwrap_or("(erased)")
    }
}

/// `consent people ...`
pub async fn people(ctx: &Ctx, command: PeopleCommand) -> Result<Done> {
    let client = ctx.client()?;
    match command {
        PeopleCommand::Add {
            name,
            kind,
            group,
            birth_date,
            external_id,
        } => {
            let person: Person = client
                .call(
                    Method::POST,
                    "/v1/people",
                    Auth::Staff,
                    &json!({
                        "kind": kind.name(),
                        "display_name": name,
                        "group": group,
                        "birth_date": birth_date,
                        "external_id": external_id,
                    }),
                )
                .await
                .context("adding the person")?;
            if ctx.json() {
                output::json(&person)?;
            } else {
                println!(
                    "Added {} ({}{}): person {}",
                    person.name(),
                    person.kind,
                    person
                        .group
                        .as_deref()
                        .map(|g| format!(", group {g}"))
                        .unwrap_or_default(),
                    person.id
                );
                println!(
                    "Next: an enrollment code for their device: `consent enrollment-codes --person {}`",
                    person.id
                );
            }
        }
        PeopleCommand::List { group } => {
            let people = list(&client, group.as_deref()).await?;
            if ctx.json() {
                output::json(&people)?;
            } else if people.is_empty() {
                println!(
                    "No people{}.",
                    group.map(|g| format!(" in group {g}")).unwrap_or_default()
                );
            } else {
                let mut table = Table::new(&["PERSON", "NAME", "KIND", "GROUP", "BORN", "EXTERNAL ID"]);
                for person in &people {
                    table.row(vec![
                        person.id.to_string(),
                        person.name().to_owned(),
                        person.kind.clone(),
                        person.group.clone().unwrap_or_default(),
                        person.birth_date.clone().unwrap_or_default(),
                        person.external_id.clone().unwrap_or_default(),
                    ]);
                }
                table.print();
            }
        }
        PeopleCommand::Import { file, chunk_size } => {
            import(ctx, &client, &file, usize::from(chunk_size)).await?
        }
        PeopleCommand::Erase { person } => {
            // Look the person up first: once erased, their name is gone.
            let found = find(&client, &person).await?;
            client
                .act(
                    Method::DELETE,
                    &format!("/v1/people/{}", found.id),
                    Auth::Staff,
                    Body::Empty,
                )
                .await
                .with_context(|| format!("erasing {}", found.name()))?;
            if ctx.json() {
                output::json(&json!({"person": found.id, "erased": true}))?;
            } else {
                println!(
                    "Erased the personal data of {} (person {}); the audit log still verifies (it never held names).",
                    found.name(),
                    found.id
                );
            }
        }
    }
    Ok(Done::Ok)
}

/// The person staff named: by id, external id or full name (the server decides).
async fn find(client: &Client, person: &str) -> Result<Person> {
    client
        .get(&format!("/v1/people/{}", segment(person)), &[], Auth::Staff)
        .await
        .with_context(|| format!("looking up {:?}", person.trim()))
}

async fn list(client: &Client, group: Option<&str>) -> Result<Vec<Person>> {
    let query: Vec<(&str, &str)> = group.map(|g| ("group", g)).into_iter().collect();
    client
        .get("/v1/people", &query, Auth::Staff)
        .await
        .context("listing people")
}

#[derive(Deserialize)]
struct ImportReport {
    created: usize,
    updated: usize,
}

/// Sends a class list in chunks (each with the header), with a progress bar.
async fn import(ctx: &Ctx, client: &Client, file: &Path, chunk_size: usize) -> Result<()> {
    let text = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_slice());
    let header = reader
        .byte_headers()
        .with_context(|| format!("{} is not a CSV file with a header line", file.display()))?
        .clone();
    let columns: HashSet<&[u8]> = header.iter().map(<[u8]>::trim_ascii).collect();
    for required in ["external_id", "display_name"] {
        if !columns.contains(required.as_bytes()) {
            anyhow::bail!(
                "{} has no {required} column: the first line must be external_id,display_name,group,birth_date",
                file.display()
            );
        }
    }
    let mut rows = Vec::new();
    for record in reader.byte_records() {
        let record = record.with_context(|| format!("{} is not valid CSV", file.display()))?;
        rows.push(record);
    }
    let bar = if ctx.json() {
        ProgressBar::with_draw_target(Some(rows.len() as u64), ProgressDrawTarget::hidden())
    } else {
        ProgressBar::new(rows.len() as u64)
    };
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} people")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message("importing");
    let (mut created, mut updated) = (0, 0);
    for (index, chunk) in rows.chunks(chunk_size).enumerate() {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_byte_record(&header)?;
        for row in chunk {
            writer.write_byte_record(row)?;
        }
        let body = String::from_utf8(writer.into_inner().map_err(|e| anyhow!("{e}"))?)
            .with_context(|| format!("{} is not UTF-8 text", file.display()))?;
        let url = client.url("/v1/people/import", &[])?;
        let answer = client.send(Method::POST, url, Auth::Staff, Body::Csv(body)).await;
        let answer = match answer {
            Ok(answer) => answer,
            Err(error) => {
                bar.abandon();
                let done = index * chunk_size;
                let Some(problem) = error.downcast_ref::<ApiProblem>().filter(|p| p.code == "bad_csv") else {
                    return Err(error.context(format!("importing (the first {done} rows were imported)")));
                };
                return Err(anyhow!(
                    "{} line {}: the first {done} rows were imported, this chunk and the rest were not. \
                     Fix the line and run the import again (people already imported are updated, not duplicated)",
                    file.display(),
                    file_line(&problem.detail, chunk).unwrap_or_else(|| problem.detail.clone())
                ));
            }
        };
        let report: ImportReport = answer.json()?;
        created += report.created;
        updated += report.updated;
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    if ctx.json() {
        output::json(&json!({"created": created, "updated": updated}))?;
    } else {
        println!(
            "Imported {} people from {}: {created} new, {updated} updated.",
            rows.len(),
            file.display()
        );
    }
    Ok(())
}

/// Turns the server's "line N: why" about a chunk into the file's line and why.
fn file_line(detail: &str, chunk: &[csv::ByteRecord]) -> Option<String> {
    let rest = detail.strip_prefix("line ")?;
    let (number, why) = rest.split_once(':')?;
    let line: usize = number.trim().parse().ok()?;
    // Line 1 of a chunk is its header; line 2 its first row.
    let row = chunk.get(line.checked_sub(2)?)?;
    let position = row.position()?;
    Some(format!("{}:{why}", position.line()))
}

/// `consent guardian ...`
pub async fn guardian(ctx: &Ctx, command: GuardianCommand) -> Result<Done> {
    let GuardianCommand::Link { guardian, child } = command;
    let client = ctx.client()?;
    let guardian = find(&client, &guardian).await?;
    let child = find(&client, &child).await?;
    client
        .act(
            Method::POST,
            &format!("/v1/people/{}/guardians", child.id),
            Auth::Staff,
            Body::json(&json!({"guardian": guardian.id}))?,
        )
        .await
        .context("linking the guardian")?;
    if ctx.json() {
        output::json(&json!({"guardian": guardian.id, "child": child.id}))?;
    } else {
        println!(
            "{} is now recorded as a guardian of {}: they can give, co-sign and withdraw consent for them.",
            guardian.name(),
            child.name()
        );
    }
    Ok(Done::Ok)
}

#[derive(Deserialize, Serialize)]
struct StaffMember {
    id: i64,
    name: String,
    role: String,
}

#[derive(Deserialize, Serialize)]
struct IssuedToken {
    id: i64,
    token: String,
    expires_at: i64,
}

/// `consent staff ...`
pub async fn staff(ctx: &Ctx, command: StaffCommand) -> Result<Done> {
    let client = ctx.client()?;
    match command {
        StaffCommand::Add { name, role } => {
            let member: StaffMember = client
                .call(
                    Method::POST,
                    "/v1/staff",
                    Auth::Staff,
                    &json!({"name": name, "role": role.name()}),
                )
                .await
                .context("adding the staff account")?;
            if ctx.json() {
                output::json(&member)?;
            } else {
                println!("Added {} ({}), staff id {}.", member.name, member.role, member.id);
                println!(
                    "Next: issue their API token with `consent staff token {}`",
                    member.id
                );
            }
        }
        StaffCommand::List => {
            let members: Vec<StaffMember> = client
                .get("/v1/staff", &[], Auth::Staff)
                .await
                .context("listing staff")?;
            if ctx.json() {
                output::json(&members)?;
            } else {
                let mut table = Table::new(&["ID", "NAME", "ROLE"]);
                for member in &members {
                    table.row(vec![
                        member.id.to_string(),
                        member.name.clone(),
                        member.role.clone(),
                    ]);
                }
                table.print();
            }
        }
        StaffCommand::Token { id, days, label } => {
            let issued: IssuedToken = client
                .call(
                    Method::POST,
                    &format!("/v1/staff/{id}/tokens"),
                    Auth::Staff,
                    &json!({"label": label, "valid_days": days}),
                )
                .await
                .context("issuing the token")?;
            if ctx.json() {
                output::json(&issued)?;
            } else {
                println!(
                    "API token for staff id {id} (shown once; it works until {}):",
                    clock::day(issued.expires_at)
                );
                println!("{}", issued.token);
                println!("Its owner runs: consent login --token {}", issued.token);
            }
        }
    }
    Ok(Done::Ok)
}

#[derive(Deserialize, Serialize)]
struct EnrollmentCode {
    person: SubjectId,
    code: String,
    qr_text: String,
    /// The phone app's link with the code, which printed codes hold.
    link: String,
    expires_at: i64,
}

/// `consent enrollment-codes`
pub async fn enrollment_codes(ctx: &Ctx, args: EnrollmentCodesArgs) -> Result<Done> {
    let client = ctx.client()?;
    let mut people = match &args.group {
        Some(group) => {
            let members = list(&client, Some(group)).await?;
            if members.is_empty() {
                anyhow::bail!("no people in group {group:?}; check the name with `consent people list`");
            }
            members
        }
        None => Vec::new(),
    };
    for person in &args.person {
        people.push(find(&client, person).await?);
    }
    people.retain(|person| !person.erased);
    let Some(out) = &args.out else {
        let mut codes = Vec::new();
        for person in &people {
            let code: EnrollmentCode = client
                .call(
                    Method::POST,
                    &format!("/v1/people/{}/enrollment-codes", person.id),
                    Auth::Staff,
                    &json!({}),
                )
                .await
                .with_context(|| format!("making an enrollment code for {}", person.name()))?;
            codes.push((person, code));
        }
        if ctx.json() {
            let list: Vec<_> = codes
                .iter()
                .map(|(person, code)| {
                    json!({
                        "person": person.id,
                        "display_name": person.display_name,
                        "group": person.group,
                        "external_id": person.external_id,
                        "code": code.code,
                        "qr_text": code.qr_text,
                        "expires_at": code.expires_at,
                    })
                })
                .collect();
            output::json(&list)?;
        } else {
            let mut table = Table::new(&["NAME", "PERSON", "CODE", "VALID UNTIL"]);
            for (person, code) in &codes {
                table.row(vec![
                    person.name().to_owned(),
                    person.id.to_string(),
                    code.qr_text.clone(),
                    clock::day(code.expires_at),
                ]);
            }
            table.print();
            println!("Each code works once; the person runs `consent enroll CODE`.");
        }
        return Ok(Done::Ok);
    };
    let format = if args.svg { "svg" } else { "png" };
    // Every file's name first, so that nothing is made when one is taken.
    let mut used = HashSet::new();
    let mut pictures = Vec::with_capacity(people.len());
    for person in &people {
        let mut stem = person
            .external_id
            .as_deref()
            .map(file_stem)
            .filter(|stem| !stem.is_empty())
            .unwrap_or_else(|| person.id.to_string());
        if !used.insert(stem.clone()) {
            stem = format!("{stem}-{}", person.id);
            used.insert(stem.clone());
        }
        pictures.push(out.join(format!("{stem}.{format}")));
    }
    let mut groups: Vec<Option<&str>> = people.iter().map(|person| person.group.as_deref()).collect();
    groups.sort();
    groups.dedup();
    let sheets: Vec<(Option<&str>, std::path::PathBuf)> = groups
        .into_iter()
        .map(|group| {
            let name = match group {
                Some(group) => format!("sheet-{}.html", file_stem(group)),
                None => "sheet.html".to_owned(),
            };
            (group, out.join(name))
        })
        .collect();
    if !args.force {
        if let Some(taken) = pictures
            .iter()
            .chain(sheets.iter().map(|(_, path)| path))
            .find(|path| path.exists())
        {
            anyhow::bail!(
                "{} already exists: codes were written to {} before. Nothing was made or changed, and the \
                 codes printed earlier still work (each once, until it expires). Choose another folder, or \
                 add --force to write new codes over these files (the earlier codes then still work too, \
                 until they are used or expire).",
                taken.display(),
                out.display()
            );
        }
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create the folder {}", out.display()))?;
    let bar = if ctx.json() {
        ProgressBar::with_draw_target(Some(people.len() as u64), ProgressDrawTarget::hidden())
    } else {
        ProgressBar::new(people.len() as u64)
    };
    let mut codes = Vec::with_capacity(people.len());
    for (person, path) in people.iter().zip(&pictures) {
        let code: EnrollmentCode = client
            .call(
                Method::POST,
                &format!("/v1/people/{}/enrollment-codes", person.id),
                Auth::Staff,
                &json!({}),
            )
            .await
            .with_context(|| format!("making an enrollment code for {}", person.name()))?;
        // The picture shows exactly what the server asked to be in the QR
        // code: the link to the phone app, so a phone's camera opens it.
        let picture = if args.svg {
            consent_qr::render_svg(&code.link)?.into_bytes()
        } else {
            consent_qr::render_png(&code.link, 8)?
        };
        write_file(path, &picture)?;
        codes.push(code);
        bar.inc(1);
    }
    bar.finish_and_clear();
    for (group, path) in &sheets {
        let cards: Vec<Card<'_>> = people
            .iter()
            .zip(&codes)
            .filter(|(person, _)| person.group.as_deref() == *group)
            .map(|(person, code)| Card {
                name: person.name(),
                group: person.group.as_deref(),
                qr_text: &code.link,
                code: &code.code,
                valid_until: clock::day(code.expires_at),
            })
            .collect();
        let title = group.map_or_else(
            || "people without a class".to_owned(),
            |group| format!("class {group}"),
        );
        write_file(path, sheet::render(&title, &cards)?.as_bytes())?;
    }
    if ctx.json() {
        let written: Vec<_> = people
            .iter()
            .zip(&pictures)
            .map(|(person, path)| json!({"person": person.id, "display_name": person.display_name, "file": path}))
            .collect();
        let sheets: Vec<_> = sheets.iter().map(|(_, path)| path).collect();
        output::json(&json!({"codes": written, "sheets": sheets}))?;
    } else {
        let count = codes.len();
        println!(
            "Wrote {count} enrollment {} to {} ({format}, one per person, each valid once for 14 days).",
            if count == 1 { "code" } else { "codes" },
            out.display()
        );
        for (_, path) in &sheets {
            println!(
                "Print {} for the cards to hand out (name, class, QR code and what to do).",
                path.display()
            );
        }
    }
    Ok(Done::Ok)
}

/// A safe file name from an external id.
fn file_stem(text: &str) -> String {
    text.trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A device key as an administrator sees it.
#[derive(Deserialize, Serialize)]
struct DeviceKey {
    key_id: KeyId,
    registered_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

/// `consent device ...`
pub async fn device(ctx: &Ctx, command: DeviceCommand) -> Result<Done> {
    match command {
        DeviceCommand::List { person } => list_devices(ctx, &person).await,
        DeviceCommand::CutOff { key_id } => cut_off(ctx, key_id).await,
    }
}

/// `consent device list`
async fn list_devices(ctx: &Ctx, person: &str) -> Result<Done> {
    let client = ctx.client()?;
    let who = find(&client, person).await?;
    let person = who.id;
    let devices: Vec<DeviceKey> = client
        .get(&format!("/v1/people/{person}/devices"), &[], Auth::Staff)
        .await
        .with_context(|| format!("fetching the devices of {}", who.name()))?;
    if ctx.json() {
        output::json(&devices)?;
        return Ok(Done::Ok);
    }
    let name = who.name();
    if devices.is_empty() {
        println!(
            "{name} has no enrolled device; give them a code with `consent enrollment-codes --person {person}`."
        );
        return Ok(Done::Ok);
    }
    println!("Devices of {name} (person {person}), oldest first:");
    let mut table = Table::new(&["KEY ID", "ENROLLED", "LAST USED", "STATE"]);
    for device in &devices {
        table.row(vec![
            device.key_id.to_string(),
            clock::moment(device.registered_at),
            device
                .last_used_at
                .map_or_else(|| "never".to_owned(), clock::moment),
            match device.revoked_at {
                Some(at) => format!("cut off {}", clock::moment(at)),
                None => "in use".to_owned(),
            },
        ]);
    }
    table.print_indented(2);
    if devices.iter().any(|device| device.revoked_at.is_none()) {
        println!("Cut off a lost one with `consent device cut-off KEY_ID`.");
    }
    Ok(Done::Ok)
}

/// `consent device cut-off`
async fn cut_off(ctx: &Ctx, key_id: KeyId) -> Result<Done> {
    ctx.client()?
        .act(
            Method::POST,
            &format!("/v1/keys/{key_id}/revoke"),
            Auth::Staff,
            Body::Empty,
        )
        .await
        .with_context(|| format!("cutting off key {key_id}"))?;
    if ctx.json() {
        output::json(&json!({"key_id": key_id, "revoked": true}))?;
    } else {
        println!(
            "Key {key_id} is cut off: nothing it signed or signs is accepted again, and every check says its \
             consent was signed on a device that was reported lost."
        );
        println!(
            "Give the person a new enrollment code (`consent enrollment-codes --person PERSON_ID`); \
             from the new phone they give consent again."
        );
    }
    Ok(Done::Ok)
}

#[derive(Deserialize, Serialize)]
struct School {
    id: u32,
    name: String,
    digital_consent_age: i64,
    retention_days: i64,
}

/// `consent school ...`
pub async fn school(ctx: &Ctx, command: SchoolCommand) -> Result<Done> {
    let client = ctx.client()?;
    let school: School = match command {
        SchoolCommand::Show => client
            .get("/v1/school", &[], Auth::Staff)
            .await
            .context("fetching the school's settings")?,
        SchoolCommand::Set {
            consent_age,
            retention_days,
        } => client
            .call(
                Method::PATCH,
                "/v1/school",
                Auth::Staff,
                &json!({"digital_consent_age": consent_age, "retention_days": retention_days}),
            )
            .await
            .context("changing the school's settings")?,
    };
    if ctx.json() {
        output::json(&school)?;
    } else {
        println!("{} (school {})", school.name, school.id);
        println!(
            "  age of digital consent: {} (younger students need a guardian's signature)",
            school.digital_consent_age
        );
        println!("  records kept:           {} days", school.retention_days);
    }
    Ok(Done::Ok)
}

/// A publishing channel and the purpose consent must cover there.
#[derive(Deserialize, Serialize)]
pub(super) struct Channel {
    pub(super) name: String,
    pub(super) purpose: String,
}

/// The school's channels.
pub(super) async fn channel_list(client: &Client) -> Result<Vec<Channel>> {
    client
        .get("/v1/channels", &[], Auth::Staff)
        .await
        .context("listing the school's channels")
}

/// `consent channels ...`
pub async fn channels(ctx: &Ctx, command: ChannelsCommand) -> Result<Done> {
    let client = ctx.client()?;
    match command {
        ChannelsCommand::List => {
            let channels = channel_list(&client).await?;
            if ctx.json() {
                output::json(&channels)?;
            } else {
                let mut table = Table::new(&["CHANNEL", "PURPOSE"]);
                for channel in &channels {
                    table.row(vec![channel.name.clone(), channel.purpose.clone()]);
                }
                table.print();
                println!("A publication on a channel needs a check for its purpose.");
            }
        }
        ChannelsCommand::Set { name, purpose } => {
            let channel: Channel = client
                .call(
                    Method::PUT,
                    &format!("/v1/channels/{}", segment(&name)),
                    Auth::Staff,
                    &json!({"purpose": purpose.to_string()}),
                )
                .await
                .with_context(|| format!("setting channel {:?}", name.trim()))?;
            if ctx.json() {
                output::json(&channel)?;
            } else {
                println!(
                    "Channel {} is for {}: publications on it are checked for {}.",
                    channel.name, channel.purpose, channel.purpose
                );
            }
        }
        ChannelsCommand::Remove { name } => {
            client
                .act(
                    Method::DELETE,
                    &format!("/v1/channels/{}", segment(&name)),
                    Auth::Staff,
                    Body::Empty,
                )
                .await
                .with_context(|| format!("removing channel {:?}", name.trim()))?;
            if ctx.json() {
                output::json(&json!({"channel": name.trim().to_lowercase(), "removed": true}))?;
            } else {
                println!(
                    "Channel {} is removed; nothing more can be published on it.",
                    name.trim().to_lowercase()
                );
            }
        }
    }
    Ok(Done::Ok)
}
