//! Communications staff: audit what is actually published. Each picture in
//! a copy of the website or a social-media download is hashed here and
//! matched by the server against the school's checks, also after the
//! website resized and recompressed it; what must come down goes on the
//! takedown list in the same run.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use consent_media::{PerceptualHash, PictureError};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Ctx, Done, UsageError};
use crate::api::{segment, Auth, Body, Client};
use crate::cli::AuditMediaArgs;
use crate::clock;
use crate::fingerprints::{FileProblem, Hashed, Hashing};
use crate::output::{self, short, standing_text, Table};

/// The server answers for at most this many files per request.
const FILES_PER_REQUEST: usize = 500;

/// Takedown lists name a file in at most this many characters.
const MOST_NAME_CHARS: usize = 1000;

/// Above this many files a terminal shows a progress bar.
const FILES_FOR_A_PROGRESS_BAR: u64 = 20;

/// What the server found for one picture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Finding {
    /// Checked, and everyone in it still consents.
    ConsentHolds,
    /// Checked and allowed, but someone in it no longer consents.
    ConsentWithdrawn,
    /// The check itself did not allow everyone, yet the picture is online.
    RefusedAtCheck,
    /// No check of this school matches it.
    NeverChecked,
    /// Near a checked picture, but not surely the same: a person should look.
    Uncertain,
}

impl Finding {
    /// Whether the picture must come down (and may go on the takedown list).
    fn must_come_down(self) -> bool {
        matches!(
            self,
            Finding::NeverChecked | Finding::ConsentWithdrawn | Finding::RefusedAtCheck
        )
    }

    /// The finding's code, as the server and the takedown list name it.
    fn code(self) -> &'static str {
        match self {
            Finding::ConsentHolds => "consent_holds",
            Finding::ConsentWithdrawn => "consent_withdrawn",
            Finding::RefusedAtCheck => "refused_at_check",
            Finding::NeverChecked => "never_checked",
            Finding::Uncertain => "uncertain",
        }
    }
}

/// A finding's code in words (codes the client does not know stay as they are).
fn finding_words(code: &str) -> &str {
    match code {
        "consent_holds" => "checked, consent holds",
        "consent_withdrawn" => "checked, consent since withdrawn",
        "refused_at_check" => "refused at the check",
        "never_checked" => "never checked",
        "uncertain" => "uncertain",
        other => other,
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
struct CheckFound {
    receipt_id: String,
    checked_at: i64,
    media_kind: String,
    purpose: String,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
struct PublicationFound {
    id: i64,
    channel: String,
    url: Option<String>,
    published_at: i64,
    taken_down_at: Option<i64>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
struct PersonFound {
    person: String,
    display_name: Option<String>,
    outcome: String,
    since: Option<i64>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
struct TakedownFound {
    id: i64,
    requested_at: i64,
    done_at: Option<i64>,
}

/// The server's answer for one file (`POST /v1/media/audit`).
#[derive(Clone, Debug, Deserialize, Serialize)]
struct FileFound {
    sha256: String,
    finding: Finding,
    #[serde(rename = "match")]
    matched: Option<String>,
    distance: Option<u32>,
    check: Option<CheckFound>,
    #[serde(default)]
    publications: Vec<PublicationFound>,
    #[serde(default)]
    people: Vec<PersonFound>,
    takedown: Option<TakedownFound>,
}

#[derive(Deserialize)]
struct AuditAnswer {
    files: Vec<FileFound>,
}

/// A takedown request as the server keeps it (`/v1/media/takedowns`).
#[derive(Clone, Debug, Deserialize, Serialize)]
struct TakedownItem {
    id: i64,
    sha256: String,
    name: Option<String>,
    finding: String,
    publication: Option<i64>,
    requested_at: i64,
    requested_by: serde_json::Value,
    done_at: Option<i64>,
    done_by: serde_json::Value,
}

#[derive(Deserialize, Serialize)]
struct TakedownList {
    takedowns: Vec<TakedownItem>,
}

/// What `--take-down` did for one file.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "snake_case", tag = "result")]
enum TakedownRequest {
    /// A new request on the takedown list.
    Requested { id: i64 },
    /// The file was on the list already, still open.
    AlreadyRequested { id: i64 },
    /// The request failed; the rest of the run went on.
    Failed { problem: String },
}

/// One file of the audit and what became of it.
struct Audited {
    path: PathBuf,
    result: Result<Matched, FileProblem>,
}

/// A file the server answered for: a picture, or a file not read as one
/// that is the very file of a check (a video checked as it is online).
struct Matched {
    phash: Option<PerceptualHash>,
    found: FileFound,
    takedown_request: Option<TakedownRequest>,
}

impl Audited {
    /// Not in order first, the finding that matters most (never checked)
    /// first of all; files that hold last.
    fn rank(&self) -> u8 {
        match &self.result {
            Ok(matched) => match matched.found.finding {
                Finding::NeverChecked => 0,
                Finding::ConsentWithdrawn => 1,
                Finding::RefusedAtCheck => 2,
                Finding::Uncertain => 3,
                Finding::ConsentHolds => 5,
            },
            Err(_) => 4,
        }
    }

    fn in_order(&self) -> bool {
        matches!(&self.result, Ok(matched) if matched.found.finding == Finding::ConsentHolds)
    }

    fn display_path(&self) -> String {
        self.path.display().to_string()
    }
}

/// Counts per finding, and of files not read.
#[derive(Default, Serialize)]
struct Summary {
    files: usize,
    consent_holds: usize,
    consent_withdrawn: usize,
    refused_at_check: usize,
    never_checked: usize,
    uncertain: usize,
    not_read: usize,
}

impl Summary {
    fn of(files: &[Audited]) -> Self {
        let mut summary = Summary {
            files: files.len(),
            ..Summary::default()
        };
        for file in files {
            let count = match &file.result {
                Ok(matched) => match matched.found.finding {
                    Finding::ConsentHolds => &mut summary.consent_holds,
                    Finding::ConsentWithdrawn => &mut summary.consent_withdrawn,
                    Finding::RefusedAtCheck => &mut summary.refused_at_check,
                    Finding::NeverChecked => &mut summary.never_checked,
                    Finding::Uncertain => &mut summary.uncertain,
                },
                Err(_) => &mut summary.not_read,
            };
            *count += 1;
        }
        summary
    }

    fn line(&self) -> String {
        format!(
            "{} file{}: {} never checked, {} consent since withdrawn, {} refused at the check, \
             {} uncertain, {} not read, {} consent holds.",
            self.files,
            if self.files == 1 { "" } else { "s" },
            self.never_checked,
            self.consent_withdrawn,
            self.refused_at_check,
            self.uncertain,
            self.not_read,
            self.consent_holds,
        )
    }
}

/// `consent audit media`
pub async fn media(ctx: &Ctx, args: AuditMediaArgs) -> Result<Done> {
    for path in &args.paths {
        if std::fs::symlink_metadata(path).is_err() {
            return Err(UsageError(format!(
                "{} does not exist: name pictures or folders of them",
                path.display()
            ))
            .into());
        }
    }
    let client = ctx.client()?;
    let bar = progress_bar();
    let mut hashing = Hashing::start(args.paths.clone())?;
    let mut files: Vec<Audited> = Vec::new();
    let mut batch: Vec<ToAudit> = Vec::with_capacity(FILES_PER_REQUEST);
    // The bar is on standard error, so it shows beside --json and --csv
    // written to a file, and never when standard error is not a terminal.
    let terminal = std::io::stderr().is_terminal();
    let mut bar_shown = false;
    while let Some(hashed) = hashing.next().await {
        let found = hashing.found();
        if terminal && !bar_shown && found > FILES_FOR_A_PROGRESS_BAR {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            bar_shown = true;
        }
        bar.set_length(found);
        bar.inc(1);
        let to_audit = match hashed {
            Hashed::Picture { path, fingerprint } => ToAudit {
                path,
                sha256: fingerprint.sha256,
                phash: Some(fingerprint.perceptual),
                problem: None,
            },
            Hashed::NotRead {
                path,
                problem,
                sha256: Some(sha256),
            } => ToAudit {
                path,
                sha256,
                phash: None,
                problem: Some(problem),
            },
            Hashed::NotRead {
                path,
                problem,
                sha256: None,
            } => {
                files.push(Audited {
                    path,
                    result: Err(problem),
                });
                continue;
            }
        };
        batch.push(to_audit);
        if batch.len() == FILES_PER_REQUEST {
            audit_batch(&client, &mut batch, &mut files).await?;
        }
    }
    audit_batch(&client, &mut batch, &mut files).await?;
    if args.take_down {
        take_down(&client, &mut files, &bar).await;
    }
    bar.finish_and_clear();
    files.sort_by(|a, b| a.rank().cmp(&b.rank()).then_with(|| a.path.cmp(&b.path)));

    if args.csv {
        write_csv(&files)?;
    } else if ctx.json() {
        output::json(&report_json(&files))?;
    } else {
        print_report(&files, args.take_down);
    }
    let failed = files
        .iter()
        .filter(|file| {
            matches!(
                &file.result,
                Ok(Matched {
                    takedown_request: Some(TakedownRequest::Failed { .. }),
                    ..
                })
            )
        })
        .count();
    if failed > 0 {
        bail!(
            "{failed} takedown request{} failed (see the list above); run the audit again with --take-down: \
             files already on the takedown list are not added twice",
            if failed == 1 { "" } else { "s" }
        );
    }
    Ok(if files.iter().all(Audited::in_order) {
        Done::Ok
    } else {
        Done::NotAllowed
    })
}

/// A progress bar that shows only once it is moved to a terminal.
fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::hidden());
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} files")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message("auditing");
    bar
}

/// A file to ask the server about.
struct ToAudit {
    path: PathBuf,
    sha256: [u8; 32],
    /// Absent for a file not read as a picture.
    phash: Option<PerceptualHash>,
    /// Why it was not read as a picture, if it was not.
    problem: Option<FileProblem>,
}

/// Asks the server about the files in `batch` (emptying it) and adds them,
/// with its answers, to `files`. Only the hashes are sent: file names can
/// name children, and the server needs none to match. A file not read as a
/// picture keeps its line saying why, unless it is the very file of a
/// check (found by its SHA-256).
async fn audit_batch(client: &Client, batch: &mut Vec<ToAudit>, files: &mut Vec<Audited>) -> Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let request: Vec<serde_json::Value> = batch
        .iter()
        .map(|file| {
            json!({
                "sha256": hex::encode(file.sha256),
                "phash": file.phash,
            })
        })
        .collect();
    let answer: AuditAnswer = client
        .call(
            Method::POST,
            "/v1/media/audit",
            Auth::Staff,
            &json!({ "files": request }),
        )
        .await
        .context("asking the server about the pictures")?;
    if answer.files.len() != batch.len() {
        bail!(
            "the server answered for {} files when asked about {}; is the client older than the server?",
            answer.files.len(),
            batch.len()
        );
    }
    for (file, found) in batch.drain(..).zip(answer.files) {
        let result = match file.problem {
            Some(problem) if found.matched.as_deref() != Some("exact") => Err(problem),
            _ => Ok(Matched {
                phash: file.phash,
                found,
                takedown_request: None,
            }),
        };
        files.push(Audited {
            path: file.path,
            result,
        });
    }
    Ok(())
}

/// Puts every file that must come down on the takedown list, unless it is
/// there already, and records per file what happened.
async fn take_down(client: &Client, files: &mut [Audited], bar: &ProgressBar) {
    bar.set_message("takedown requests");
    for file in files.iter_mut() {
        let name = truncated(&without_controls(&file.display_path()), MOST_NAME_CHARS);
        let Ok(matched) = &mut file.result else {
            continue;
        };
        let found = &mut matched.found;
        if !found.finding.must_come_down() {
            continue;
        }
        if let Some(open) = found.takedown.as_ref().filter(|item| item.done_at.is_none()) {
            matched.takedown_request = Some(TakedownRequest::AlreadyRequested { id: open.id });
            continue;
        }
        // The request names a publication only when exactly one is still
        // up: marking the request done then marks that one taken down.
        let live: Vec<i64> = found
            .publications
            .iter()
            .filter(|publication| publication.taken_down_at.is_none())
            .map(|publication| publication.id)
            .collect();
        let mut body = json!({
            "sha256": found.sha256,
            "name": name,
            "finding": found.finding.code(),
        });
        if let Some(phash) = matched.phash {
            body["phash"] = json!(phash);
        }
        if let [only] = live.as_slice() {
            body["publication"] = json!(only);
        }
        let outcome = async {
            let url = client.url("/v1/media/takedowns", &[])?;
            let answer = client
                .send(Method::POST, url, Auth::Staff, Body::json(&body)?)
                .await?;
            let item: TakedownItem = answer.json()?;
            anyhow::Ok((answer.status, item))
        }
        .await;
        matched.takedown_request = Some(match outcome {
            Ok((status, item)) => {
                found.takedown = Some(TakedownFound {
                    id: item.id,
                    requested_at: item.requested_at,
                    done_at: item.done_at,
                });
                if status == 201 {
                    TakedownRequest::Requested { id: item.id }
                } else {
                    TakedownRequest::AlreadyRequested { id: item.id }
                }
            }
            Err(error) => TakedownRequest::Failed {
                problem: format!("{error:#}"),
            },
        });
    }
}

/// Why a file was not read, short enough for a table: a damaged picture's
/// decoder detail is left to JSON and CSV.
fn reason(problem: &FileProblem) -> String {
    match problem {
        FileProblem::Picture(PictureError::Damaged(_)) | FileProblem::ReaderFailed => {
            "the picture is damaged (cut off or corrupt)".into()
        }
        other => one_line(&other.to_string()),
    }
}

/// `text` on one line: decoders end their messages with a newline, and a
/// file name may hold one; either would break a table's row.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `text` with each control character as `?`: in a file name one would
/// break a table's row (or move the cursor), and the takedown list refuses
/// them. JSON and CSV carry the name as it is.
fn without_controls(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// `text` cut to at most `chars` characters.
fn truncated(text: &str, chars: usize) -> String {
    text.chars().take(chars).collect()
}

/// The finding in words, with what became of its takedown.
fn finding_text(file: &Audited) -> String {
    let matched = match &file.result {
        Ok(matched) => matched,
        Err(problem) => return format!("not read: {} ({})", reason(problem), problem.code()),
    };
    let found = &matched.found;
    let mut text = match (found.finding, found.distance) {
        (Finding::Uncertain, Some(distance)) => format!("uncertain (distance {distance})"),
        (finding, _) => finding_words(finding.code()).to_owned(),
    };
    match (&matched.takedown_request, &found.takedown) {
        (Some(TakedownRequest::Requested { id }), _) => text.push_str(&format!("; takedown #{id} requested")),
        (Some(TakedownRequest::AlreadyRequested { id }), _) => {
            text.push_str(&format!("; on the takedown list already (#{id})"))
        }
        (Some(TakedownRequest::Failed { problem }), _) => {
            text.push_str(&format!("; TAKEDOWN REQUEST FAILED: {problem}"))
        }
        (None, Some(item)) => match item.done_at {
            Some(done) => text.push_str(&format!("; takedown #{} done {}", item.id, clock::day(done))),
            None => text.push_str(&format!("; on the takedown list (#{})", item.id)),
        },
        (None, None) => {}
    }
    text
}

/// The check a picture matched: its day and purpose, and how it matched.
fn check_text(found: &FileFound) -> String {
    let Some(check) = &found.check else {
        return "-".into();
    };
    let mut text = format!(
        "{} {}, {}",
        check.media_kind,
        clock::day(check.checked_at),
        check.purpose
    );
    match (found.matched.as_deref(), found.distance) {
        (Some("perceptual"), Some(distance)) => {
            text.push_str(&format!(" (a resized or re-encoded copy, distance {distance})"))
        }
        (Some("exact"), _) => text.push_str(" (this exact file)"),
        _ => {}
    }
    text
}

fn publications_text(found: &FileFound) -> String {
    if found.publications.is_empty() {
        return "-".into();
    }
    found
        .publications
        .iter()
        .map(|publication| {
            let mut text = format!("#{} {}", publication.id, publication.channel);
            if let Some(url) = &publication.url {
                text.push_str(&format!(" {url}"));
            }
            match publication.taken_down_at {
                Some(at) => text.push_str(&format!(", taken down {}", clock::day(at))),
                None => text.push_str(&format!(", {}", clock::day(publication.published_at))),
            }
            text
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn person_name(person: &PersonFound) -> String {
    person
        .display_name
        .clone()
        .unwrap_or_else(|| format!("{} (erased)", short(&person.person)))
}

fn people_text(found: &FileFound) -> String {
    if found.people.is_empty() {
        return "-".into();
    }
    found
        .people
        .iter()
        .map(|person| {
            let why = standing_text(&person.outcome);
            match person.since {
                Some(since) if since > 0 => {
                    format!("{}: {why} (since {})", person_name(person), clock::day(since))
                }
                _ => format!("{}: {why}", person_name(person)),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn print_report(files: &[Audited], took_down: bool) {
    let summary = Summary::of(files);
    println!("{}", summary.line());
    if files.is_empty() {
        println!("No files found.");
        return;
    }
    let mut table = Table::new(&["FILE", "FINDING", "CHECK", "PUBLISHED", "WHO MAY NOT APPEAR"]);
    for file in files {
        let (check, published, people) = match &file.result {
            Ok(matched) => (
                check_text(&matched.found),
                publications_text(&matched.found),
                people_text(&matched.found),
            ),
            Err(_) => ("-".into(), "-".into(), "-".into()),
        };
        table.row(vec![
            without_controls(&file.display_path()),
            finding_text(file),
            check,
            published,
            people,
        ]);
    }
    table.print();
    let must_come_down = summary.never_checked + summary.consent_withdrawn + summary.refused_at_check;
    if must_come_down > 0 && !took_down {
        println!(
            "{must_come_down} must come down: run again with --take-down to put them on the takedown list \
             (`consent audit takedowns`)."
        );
    }
    if summary.uncertain > 0 {
        println!(
            "Look at the uncertain ones yourself: each is near a checked picture, but not surely the same."
        );
    }
}

/// The whole audit as one JSON document: files (in the table's order),
/// summary, and the files not read.
fn report_json(files: &[Audited]) -> serde_json::Value {
    let mut audited = Vec::new();
    let mut unreadable = Vec::new();
    for file in files {
        match &file.result {
            Ok(matched) => {
                let mut entry = serde_json::to_value(&matched.found).unwrap_or_default();
                if let Some(object) = entry.as_object_mut() {
                    object.insert("path".into(), json!(file.display_path()));
                    object.insert("phash".into(), json!(matched.phash));
                    object.insert("takedown_request".into(), json!(matched.takedown_request));
                }
                audited.push(entry);
            }
            Err(problem) => unreadable.push(json!({
                "path": file.display_path(),
                "code": problem.code(),
                "message": one_line(&problem.to_string()),
            })),
        }
    }
    json!({
        "files": audited,
        "summary": Summary::of(files),
        "unreadable": unreadable,
    })
}

const CSV_HEADER: [&str; 16] = [
    "path",
    "finding",
    "match",
    "distance",
    "checked_at",
    "media_kind",
    "purpose",
    "receipt_id",
    "publications",
    "who_may_not_appear",
    "takedown",
    "takedown_done_at",
    "sha256",
    "phash",
    "problem_code",
    "problem",
];

/// One row per file, unread files included (finding `not_read`).
fn write_csv(files: &[Audited]) -> Result<()> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(CSV_HEADER)?;
    for file in files {
        let row: Vec<String> = match &file.result {
            Ok(matched) => {
                let found = &matched.found;
                let check = found.check.as_ref();
                let takedown = match (&matched.takedown_request, &found.takedown) {
                    (Some(TakedownRequest::Failed { problem }), _) => format!("failed: {problem}"),
                    (_, Some(item)) => item.id.to_string(),
                    (_, None) => String::new(),
                };
                vec![
                    file.display_path(),
                    found.finding.code().into(),
                    found.matched.clone().unwrap_or_default(),
                    found.distance.map(|d| d.to_string()).unwrap_or_default(),
                    check.map(|c| clock::moment(c.checked_at)).unwrap_or_default(),
                    check.map(|c| c.media_kind.clone()).unwrap_or_default(),
                    check.map(|c| c.purpose.clone()).unwrap_or_default(),
                    check.map(|c| c.receipt_id.clone()).unwrap_or_default(),
                    if found.publications.is_empty() {
                        String::new()
                    } else {
                        publications_text(found)
                    },
                    if found.people.is_empty() {
                        String::new()
                    } else {
                        people_text(found)
                    },
                    takedown,
                    found
                        .takedown
                        .as_ref()
                        .and_then(|item| item.done_at)
                        .map(clock::moment)
                        .unwrap_or_default(),
                    found.sha256.clone(),
                    matched.phash.map(|phash| phash.to_string()).unwrap_or_default(),
                    String::new(),
                    String::new(),
                ]
            }
            Err(problem) => {
                let mut row = vec![file.display_path(), "not_read".into()];
                row.resize(CSV_HEADER.len() - 2, String::new());
                row.push(problem.code().into());
                row.push(one_line(&problem.to_string()));
                row
            }
        };
        writer.write_record(row.iter().map(|cell| neutralised(cell)))?;
    }
    let bytes = writer.into_inner().context("writing the CSV")?;
    match std::io::stdout().lock().write_all(&bytes) {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => Err(error.into()),
        _ => Ok(()),
    }
}

/// What a spreadsheet reads as the start of a formula (as the server's CSV
/// export has it): `=`, `+`, `-`, `@`, tab and carriage return.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// `cell` as a spreadsheet shows it and never runs it: a file named
/// `=HYPERLINK(...).jpg` reaches the spreadsheet as text.
fn neutralised(cell: &str) -> String {
    if cell.starts_with(FORMULA_STARTS) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

/// `consent audit takedowns`
pub async fn takedowns(ctx: &Ctx, open: bool) -> Result<Done> {
    let client = ctx.client()?;
    let mut list: TakedownList = client
        .get("/v1/media/takedowns", &[], Auth::Staff)
        .await
        .context("fetching the takedown list")?;
    if open {
        list.takedowns.retain(|item| item.done_at.is_none());
    }
    if ctx.json() {
        output::json(&list)?;
        return Ok(Done::Ok);
    }
    if list.takedowns.is_empty() {
        println!(
            "{}",
            if open {
                "Nothing to take down: no request is open."
            } else {
                "The takedown list is empty: `consent audit media PATH --take-down` fills it."
            }
        );
        return Ok(Done::Ok);
    }
    let mut table = Table::new(&["#", "FILE", "FINDING", "PUBLICATION", "REQUESTED", "DONE"]);
    for item in &list.takedowns {
        table.row(vec![
            item.id.to_string(),
            item.name
                .clone()
                .unwrap_or_else(|| format!("sha256 {}", short(&item.sha256))),
            finding_words(&item.finding).to_owned(),
            item.publication.map_or_else(|| "-".into(), |id| format!("#{id}")),
            format!(
                "{} by {}",
                clock::day(item.requested_at),
                staff_text(&item.requested_by)
            ),
            match item.done_at {
                Some(done) => format!("{} by {}", clock::day(done), staff_text(&item.done_by)),
                None => "open".into(),
            },
        ]);
    }
    table.print();
    let open_items = list
        .takedowns
        .iter()
        .filter(|item| item.done_at.is_none())
        .count();
    if open_items > 0 {
        println!(
            "{open_items} open; once a picture is no longer online, run `consent audit takedown-done ID`."
        );
    }
    Ok(Done::Ok)
}

/// A staff member as the takedown list names them (a name or a number).
fn staff_text(staff: &serde_json::Value) -> String {
    match staff {
        serde_json::Value::String(name) => name.clone(),
        serde_json::Value::Number(id) => format!("staff #{id}"),
        serde_json::Value::Object(object) => object
            .get("display_name")
            .or_else(|| object.get("name"))
            .and_then(serde_json::Value::as_str)
            .map_or_else(|| staff.to_string(), str::to_owned),
        _ => "-".into(),
    }
}

/// `consent audit takedown-done`
pub async fn takedown_done(ctx: &Ctx, id: i64) -> Result<Done> {
    let client = ctx.client()?;
    let url = client.url(
        &format!("/v1/media/takedowns/{}/done", segment(&id.to_string())),
        &[],
    )?;
    let item: TakedownItem = client
        .send(Method::POST, url, Auth::Staff, Body::Empty)
        .await
        .with_context(|| format!("marking takedown request #{id} as done"))?
        .json()?;
    if ctx.json() {
        output::json(&item)?;
        return Ok(Done::Ok);
    }
    let name = item
        .name
        .clone()
        .unwrap_or_else(|| format!("sha256 {}", short(&item.sha256)));
    println!("Takedown request #{} ({name}) is done.", item.id);
    if let Some(publication) = item.publication {
        println!("Publication #{publication} is recorded as taken down.");
    }
    Ok(Done::Ok)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn found(finding: Finding) -> FileFound {
        FileFound {
            sha256: "ab".repeat(32),
            finding,
            matched: None,
            distance: None,
            check: None,
            publications: Vec::new(),
            people: Vec::new(),
            takedown: None,
        }
    }

    fn audited(path: &str, finding: Option<Finding>) -> Audited {
        Audited {
            path: PathBuf::from(path),
            result: match finding {
                Some(finding) => Ok(Matched {
                    phash: "00".repeat(32).parse().ok(),
                    found: found(finding),
                    takedown_request: None,
                }),
                None => Err(FileProblem::NotAFile),
            },
        }
    }

    #[test]
    fn the_servers_answer_reads_as_the_contract_has_it() {
        let answer: AuditAnswer = serde_json::from_value(json!({"files": [{
            "name": null, "sha256": "ab".repeat(32), "finding": "consent_withdrawn",
            "match": "perceptual", "distance": 9,
            "check": {"receipt_id": "r1", "checked_at": 1_750_000_000, "media_kind": "photo", "purpose": "website"},
            "publications": [{"id": 1, "channel": "website", "url": null, "published_at": 1_750_000_100, "taken_down_at": null}],
            "people": [{"person": "5f0c", "display_name": "Nina", "outcome": "revoked", "since": 1_750_000_200}],
            "takedown": null
        }], "summary": {"files": 1, "consent_holds": 0, "consent_withdrawn": 1, "refused_at_check": 0, "never_checked": 0, "uncertain": 0}}))
        .unwrap();
        let file = &answer.files[0];
        assert_eq!(file.finding, Finding::ConsentWithdrawn);
        assert_eq!(
            check_text(file),
            "photo 2025-06-15, website (a resized or re-encoded copy, distance 9)"
        );
        assert_eq!(people_text(file), "Nina: consent withdrawn (since 2025-06-15)");
        assert_eq!(publications_text(file), "#1 website, 2025-06-15");
    }

    #[test]
    fn files_not_in_order_come_first_never_checked_first_of_all() {
        let mut files = vec![
            audited("a-holds.jpg", Some(Finding::ConsentHolds)),
            audited("b-unread.txt", None),
            audited("c-uncertain.jpg", Some(Finding::Uncertain)),
            audited("d-withdrawn.jpg", Some(Finding::ConsentWithdrawn)),
            audited("e-never.jpg", Some(Finding::NeverChecked)),
            audited("f-refused.jpg", Some(Finding::RefusedAtCheck)),
        ];
        files.sort_by(|a, b| a.rank().cmp(&b.rank()).then_with(|| a.path.cmp(&b.path)));
        let order: Vec<String> = files.iter().map(Audited::display_path).collect();
        assert_eq!(
            order,
            [
                "e-never.jpg",
                "d-withdrawn.jpg",
                "f-refused.jpg",
                "c-uncertain.jpg",
                "b-unread.txt",
                "a-holds.jpg"
            ]
        );
        let summary = Summary::of(&files);
        assert_eq!(
            summary.line(),
            "6 files: 1 never checked, 1 consent since withdrawn, 1 refused at the check, 1 uncertain, \
             1 not read, 1 consent holds."
        );
    }

    #[test]
    fn findings_read_in_words() {
        let mut uncertain = audited("x.jpg", Some(Finding::Uncertain));
        if let Ok(matched) = &mut uncertain.result {
            matched.found.distance = Some(52);
        }
        assert_eq!(finding_text(&uncertain), "uncertain (distance 52)");
        let mut never = audited("y.jpg", Some(Finding::NeverChecked));
        if let Ok(matched) = &mut never.result {
            matched.takedown_request = Some(TakedownRequest::Requested { id: 4 });
        }
        assert_eq!(finding_text(&never), "never checked; takedown #4 requested");
        assert_eq!(
            finding_text(&audited("z", None)),
            "not read: not a regular file (a device, pipe or socket) (not_a_file)"
        );
        let damaged = Audited {
            path: PathBuf::from("cut.jpg"),
            result: Err(FileProblem::Picture(PictureError::Damaged(
                "Format error decoding Jpeg: I/O errors Not enough bytes\n".into(),
            ))),
        };
        assert_eq!(
            finding_text(&damaged),
            "not read: the picture is damaged (cut off or corrupt) (damaged)"
        );
    }

    #[test]
    fn a_file_named_like_a_formula_reaches_the_spreadsheet_as_text() {
        assert_eq!(neutralised("=HYPERLINK(\"x\").jpg"), "'=HYPERLINK(\"x\").jpg");
        assert_eq!(neutralised("site/a.jpg"), "site/a.jpg");
    }
}
