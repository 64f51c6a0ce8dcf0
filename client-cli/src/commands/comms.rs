//! Communications staff: audit publications, take them down, verify the
//! audit log, report consent coverage.

use std::io::Write;

use anyhow::{bail, Context, Result};
use consent_protocol::{genesis_head, next_head, Hash256, LogHead, SchoolId, SignedLogHead};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Ctx, Done};
use crate::api::{Auth, Body};
use crate::audit::{differences, StoredRecord, VerifiedHeads};
use crate::cli::{PublicationsArgs, ReportCommand, TakedownArgs};
use crate::clock;
use crate::output::{self, short, standing_text, Table};

#[derive(Deserialize, Serialize)]
struct PersonNow {
    person: String,
    display_name: Option<String>,
    status: String,
    since: Option<i64>,
}

#[derive(Deserialize, Serialize)]
struct AuditedPublication {
    id: i64,
    channel: String,
    purpose: String,
    media_kind: String,
    url: Option<String>,
    published_at: i64,
    taken_down_at: Option<i64>,
    people_now: Vec<PersonNow>,
    needs_takedown: bool,
}

/// `consent publications`
pub async fn publications(ctx: &Ctx, args: PublicationsArgs) -> Result<Done> {
    let client = ctx.client()?;
    let mut query = Vec::new();
    if args.flagged {
        query.push(("flagged", "true"));
    }
    if args.csv {
        query.push(("format", "csv"));
    }
    let url = client.url("/v1/publications", &query)?;
    let answer = client
        .send(Method::GET, url, Auth::Staff, Body::Empty)
        .await
        .context("fetching the publications")?;
    if args.csv {
        std::io::stdout().write_all(&answer.bytes)?;
        return Ok(Done::Ok);
    }
    if ctx.json() {
        output::json(&answer.json::<serde_json::Value>()?)?;
        return Ok(Done::Ok);
    }
    let publications: Vec<AuditedPublication> = answer.json()?;
    if publications.is_empty() {
        println!(
            "{}",
            if args.flagged {
                "Nothing to take down: every live publication still has consent."
            } else {
                "No publications recorded yet."
            }
        );
        return Ok(Done::Ok);
    }
    let mut table = Table::new(&["#", "PUBLISHED", "CHANNEL", "PURPOSE", "PEOPLE", "STATUS"]);
    for publication in &publications {
        let status = if let Some(at) = publication.taken_down_at {
            format!("taken down {}", clock::day(at))
        } else if publication.needs_takedown {
            let who: Vec<String> = publication
                .people_now
                .iter()
                .filter(|person| person.status != "valid")
                .map(|person| {
                    let who = person
                        .display_name
                        .clone()
                        .unwrap_or_else(|| format!("{} (erased)", short(&person.person)));
                    match person.since {
                        Some(since) if since > 0 => {
                            format!(
                                "{who}: {} (since {})",
                                standing_text(&person.status),
                                clock::moment(since)
                            )
                        }
                        _ => format!("{who}: {}", standing_text(&person.status)),
                    }
                })
                .collect();
            format!("TAKE DOWN: {}", who.join("; "))
        } else {
            "live, consent holds".into()
        };
        table.row(vec![
            publication.id.to_string(),
            clock::day(publication.published_at),
            match &publication.url {
                Some(url) => format!("{} {url}", publication.channel),
                None => publication.channel.clone(),
            },
            format!("{} ({})", publication.purpose, publication.media_kind),
            publication.people_now.len().to_string(),
            status,
        ]);
    }
    table.print();
    let flagged = publications.iter().filter(|p| p.needs_takedown).count();
    if flagged > 0 {
        println!("{flagged} to take down; after removing one, run `consent takedown ID`.");
    }
    Ok(Done::Ok)
}

/// `consent takedown`
pub async fn takedown(ctx: &Ctx, args: TakedownArgs) -> Result<Done> {
    ctx.client()?
        .act(
            Method::POST,
            &format!("/v1/publications/{}/takedown", args.id),
            Auth::Staff,
            Body::Empty,
        )
        .await
        .with_context(|| format!("marking publication #{} as taken down", args.id))?;
    if ctx.json() {
        output::json(&json!({"publication": args.id, "taken_down": true}))?;
    } else {
        println!("Publication #{} is marked as taken down.", args.id);
    }
    Ok(Done::Ok)
}

/// One entry of the audit log as the server sends it.
#[derive(Clone, Debug, Deserialize)]
pub struct LogEntry {
    /// 1-based position.
    pub position: i64,
    /// The exact text that was hashed.
    pub entry: String,
    /// The chain head after this entry, as the server has it.
    pub head: Hash256,
}

#[derive(Deserialize)]
struct LogPage {
    entries: Vec<LogEntry>,
    log_head: String,
}

/// Recomputes the chain over `entries` from the school's genesis and checks
/// it against the signed head's claims. Says exactly where it breaks.
/// Returns the head after 0, 1, ... n entries, for the consistency check
/// against heads verified before.
pub fn verify_chain(
    school: SchoolId,
    entries: &[LogEntry],
    signed: &LogHead,
) -> Result<Vec<Hash256>, String> {
    let mut head = genesis_head(school);
    let mut heads = Vec::with_capacity(entries.len() + 1);
    heads.push(head);
    for (index, entry) in entries.iter().enumerate() {
        let position = index as u64 + 1;
        if entry.position != position as i64 {
            return Err(format!(
                "entry {position} is missing: after entry {index} the log continues with entry {}",
                entry.position
            ));
        }
        head = next_head(&head, position, entry.entry.as_bytes());
        heads.push(head);
        if head != entry.head {
            return Err(format!(
                "entry {position} breaks the chain: its content (or an earlier entry's) was altered \
                 (recomputed head {head}, the server's {})",
                entry.head
            ));
        }
    }
    if entries.len() as u64 != signed.size {
        return Err(format!(
            "the signed head commits to {} entries, but the server sent {}: entries were removed or added",
            signed.size,
            entries.len()
        ));
    }
    if head != signed.head {
        return Err(format!(
            "the recomputed chain ({head}) does not match the signed head ({}): entries were altered",
            signed.head
        ));
    }
    Ok(heads)
}

/// `consent audit verify`
pub async fn audit_verify(ctx: &Ctx, page_size: u16) -> Result<Done> {
    let page_size = page_size.to_string();
    let client = ctx.client()?;
    let keyring = super::teacher::server_keyring(&client).await?;
    // The stored record first: the log fetched after it holds every entry
    // up to the record's `log_size` (unless the log was cut, which the chain
    // and consistency checks report).
    let record: StoredRecord = client
        .get("/v1/audit/record", &[], Auth::Staff)
        .await
        .context("fetching the stored record to compare with the log")?;
    let mut entries: Vec<LogEntry> = Vec::new();
    let mut signed: Option<SignedLogHead> = None;
    loop {
        let after = entries.last().map_or(0, |entry| entry.position).to_string();
        let page: LogPage = client
            .get(
                "/v1/audit/log",
                &[("after", after.as_str()), ("limit", page_size.as_str())],
                Auth::Staff,
            )
            .await
            .context("fetching the audit log")?;
        // The first answer's head is the commitment checked; later pages may
        // carry newer heads of a log that grew meanwhile.
        let head = match &signed {
            Some(head) => head.clone(),
            None => {
                let head = SignedLogHead::from_text(&page.log_head)
                    .context("the server's signed log head does not decode")?;
                signed = Some(head.clone());
                head
            }
        };
        let size = head.unverified().size as i64;
        let before = entries.len();
        let last = entries.last().map_or(0, |entry| entry.position);
        entries.extend(
            page.entries
                .into_iter()
                .filter(|entry| entry.position > last && entry.position <= size),
        );
        if entries.len() == before || entries.last().map_or(0, |entry| entry.position) >= size {
            break;
        }
    }
    let Some(signed) = signed else {
        bail!("the server sent no log head");
    };
    let head = signed.unverified().clone();
    let mut verified = VerifiedHeads::load(&ctx.paths)?;
    let outcome = signed
        .verify(&keyring)
        .map_err(|error| {
            format!("the log head's signature does not verify against the server's keys: {error}")
        })
        .and_then(|_| verify_chain(head.school, &entries, &head))
        .and_then(|chain| verified.check_extends(client.base(), head.school, &chain))
        .and_then(|()| {
            if record.log_size > head.size {
                return Err(format!(
                    "the database's record is of a log of {} entries, longer than the signed head's {}",
                    record.log_size, head.size
                ));
            }
            differences(
                entries
                    .iter()
                    .map(|entry| (entry.position as u64, entry.entry.as_str())),
                &record,
            )
        })
        .and_then(|found| {
            if found.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "the database differs from what the log records ({} difference{}):\n  {}",
                    found.len(),
                    if found.len() == 1 { "" } else { "s" },
                    found.join("\n  ")
                ))
            }
        });
    if outcome.is_ok() {
        verified.remember(client.base(), &head);
        verified.save(&ctx.paths)?;
    }
    if ctx.json() {
        output::json(&json!({
            "ok": outcome.is_ok(),
            "problem": outcome.as_ref().err(),
            "heads_remembered": verified.count(client.base(), head.school),
            "school": head.school,
            "entries": entries.len(),
            "size": head.size,
            "head": head.head,
            "signed_at": head.signed_at,
            "key": head.key,
        }))?;
    }
    match outcome {
        Ok(()) => {
            if !ctx.json() {
                println!(
                    "OK: the audit log's {} entries form an unbroken chain, and its head is signed by the server \
                     (key {}, at {}).",
                    head.size, head.key, head.signed_at
                );
                println!(
                    "It extends every earlier head this client verified ({} remembered), and the database's \
                     grants, revocations, keys and guardian links are exactly what the log records.",
                    verified.count(client.base(), head.school)
                );
            }
            Ok(Done::Ok)
        }
        Err(problem) => bail!("the audit log does not verify: {problem}"),
    }
}

#[derive(Deserialize, Serialize)]
struct MayNotAppear {
    person: String,
    display_name: Option<String>,
    outcome: consent_protocol::Outcome,
}

#[derive(Deserialize, Serialize)]
struct GroupCoverage {
    group: String,
    students: usize,
    allowed: usize,
    may_not_appear: Vec<MayNotAppear>,
}

/// `consent report coverage`
pub async fn report(ctx: &Ctx, command: ReportCommand) -> Result<Done> {
    let ReportCommand::Coverage { purpose, media, csv } = command;
    let client = ctx.client()?;
    let purpose = purpose.to_string();
    let media = media.map_or("photo", |kind| kind.name());
    let mut query = vec![("purpose", purpose.as_str()), ("media_kind", media)];
    if csv {
        query.push(("format", "csv"));
    }
    let url = client.url("/v1/reports/coverage", &query)?;
    let answer = client
        .send(Method::GET, url, Auth::Staff, Body::Empty)
        .await
        .context("fetching the coverage report")?;
    if csv {
        std::io::stdout().write_all(&answer.bytes)?;
        return Ok(Done::Ok);
    }
    let rows: Vec<GroupCoverage> = answer.json()?;
    if ctx.json() {
        output::json(&rows)?;
        return Ok(Done::Ok);
    }
    println!("Who may appear in {media}s for {purpose}:");
    let mut table = Table::new(&["GROUP", "MAY APPEAR", "SHARE"]);
    for row in &rows {
        table.row(vec![
            if row.group.is_empty() {
                "(no group)".into()
            } else {
                row.group.clone()
            },
            format!("{} of {}", row.allowed, row.students),
            percent(row.allowed, row.students),
        ]);
    }
    let (allowed, students) = rows
        .iter()
        .fold((0, 0), |(a, s), row| (a + row.allowed, s + row.students));
    table.row(vec![
        "all".into(),
        format!("{allowed} of {students}"),
        percent(allowed, students),
    ]);
    table.print();
    let absent: Vec<(&GroupCoverage, &MayNotAppear)> = rows
        .iter()
        .flat_map(|row| row.may_not_appear.iter().map(move |who| (row, who)))
        .collect();
    if !absent.is_empty() {
        println!("\nWho may not appear:");
        let mut table = Table::new(&["GROUP", "NAME", "WHY NOT"]);
        for (row, who) in absent {
            table.row(vec![
                row.group.clone(),
                who.display_name
                    .clone()
                    .unwrap_or_else(|| short(&who.person).to_owned()),
                output::outcome_text(who.outcome).to_owned(),
            ]);
        }
        table.print();
    }
    Ok(Done::Ok)
}

fn percent(part: usize, whole: usize) -> String {
    (part * 100)
        .checked_div(whole)
        .map_or_else(|| "-".into(), |share| format!("{share}%"))
}

#[cfg(test)]
mod tests {
    use consent_protocol::{KeyId, Timestamp};

    use super::*;

    fn log(texts: &[&str]) -> (Vec<LogEntry>, LogHead) {
        let school = SchoolId(7);
        let mut head = genesis_head(school);
        let entries: Vec<LogEntry> = texts
            .iter()
            .enumerate()
            .map(|(index, text)| {
                head = next_head(&head, index as u64 + 1, text.as_bytes());
                LogEntry {
                    position: index as i64 + 1,
                    entry: (*text).to_owned(),
                    head,
                }
            })
            .collect();
        let signed = LogHead {
            school,
            size: entries.len() as u64,
            head,
            signed_at: Timestamp::from_unix(1_800_000_000),
            key: KeyId::from_bytes([1; 8]),
        };
        (entries, signed)
    }

    #[test]
    fn an_intact_log_verifies() {
        let (entries, head) = log(&["a", "b", "c"]);
        assert!(verify_chain(SchoolId(7), &entries, &head).is_ok());
    }

    #[test]
    fn an_altered_entry_is_named() {
        let (mut entries, head) = log(&["a", "b", "c"]);
        entries[1].entry = "B".into();
        let problem = verify_chain(SchoolId(7), &entries, &head).expect_err("the log must not verify");
        assert!(problem.starts_with("entry 2 breaks the chain"), "{problem}");
    }

    #[test]
    fn a_removed_entry_is_named() {
        let (mut entries, head) = log(&["a", "b", "c"]);
        entries.remove(1);
        let problem = verify_chain(SchoolId(7), &entries, &head).expect_err("the log must not verify");
        assert!(problem.starts_with("entry 2 is missing"), "{problem}");
        let (mut entries, head) = log(&["a", "b", "c"]);
        entries.pop();
        let problem = verify_chain(SchoolId(7), &entries, &head).expect_err("the log must not verify");
        assert!(problem.contains("commits to 3 entries"), "{problem}");
    }

    #[test]
    fn a_rewritten_chain_fails_against_the_signed_head() {
        let (_, head) = log(&["a", "b", "c"]);
        let (rewritten, _) = log(&["a", "x", "c"]);
        let problem = verify_chain(SchoolId(7), &rewritten, &head).expect_err("the log must not verify");
        assert!(problem.contains("does not match the signed head"), "{problem}");
    }

    #[test]
    fn another_schools_log_does_not_verify() {
        let (entries, head) = log(&["a"]);
        assert!(verify_chain(SchoolId(8), &entries, &head).is_err());
    }
}
