//! Students and parents: enroll a device, give consent (alone, for a child,
//! or with a guardian's co-signature), show it, withdraw it, see the record.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use anyhow::{bail, Context, Result};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use consent_protocol::{
    Grant, GrantSigners, KeyHolder, KeyId, Keyring, MediaSet, PublicKey, Purpose, PurposeSet, Revocation,
    RevocationId, RevocationScope, Role, SchoolId, Signature, SignedGrant, SignedRevocation, SigningKey,
    SubjectId, TokenId,
};
use rand_core::OsRng;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{read_code_photo, write_file, Ctx, Done, UsageError};
use crate::api::{ApiProblem, Auth, Client};
use crate::cli::{CosignArgs, EnrollArgs, ExportArgs, GrantArgs, RevokeArgs, ShowArgs};
use crate::clock;
use crate::config::Device;
use crate::output::{self, Table};
use crate::purposes;

#[derive(Deserialize)]
struct Enrolled {
    person: SubjectId,
    school: SchoolId,
    kind: String,
    display_name: Option<String>,
    key_id: KeyId,
}

/// `consent enroll`
pub async fn enroll(ctx: &Ctx, args: EnrollArgs) -> Result<Done> {
    if let Some(device) = ctx.paths.load_device()? {
        if !args.force {
            bail!(
                "this device is already enrolled for {} (person {}); use --force to replace that enrollment, \
                 or set CONSENT_CONFIG_DIR to another folder for a second person",
                device.display_name.as_deref().unwrap_or("someone"),
                device.person
            );
        }
    }
    let code = match (args.code, args.photo) {
        (Some(code), _) => code,
        (None, Some(photo)) => read_code_photo(&photo)?,
        (None, None) => return Err(UsageError("give the code, or --photo FILE".into()).into()),
    };
    let code = enrollment_code(&code);
    let server = ctx.server()?;
    let client = Client::new(&server, None)?;
    let key = SigningKey::generate(&mut OsRng);
    let public = PublicKey::of(&key);
    let enrolled: Enrolled = client
        .call(
            Method::POST,
            "/v1/enroll",
            Auth::Anonymous,
            &json!({"code": code, "public_key": hex::encode(public.to_bytes())}),
        )
        .await
        .context("enrolling this device")?;
    if enrolled.key_id != public.id() {
        bail!("the server registered another key than this device's; enroll again with a new code");
    }
    let device = Device {
        person: enrolled.person,
        school: enrolled.school,
        key_id: enrolled.key_id,
        kind: enrolled.kind,
        display_name: enrolled.display_name,
        server: server.clone(),
    };
    ctx.paths.save_device(&device, &key)?;
    if ctx.settings.server.is_none() {
        let mut settings = ctx.settings.clone();
        settings.server = Some(server);
        ctx.paths.save_settings(&settings)?;
    }
    if ctx.json() {
        output::json(&device)?;
    } else {
        println!(
            "Enrolled {} ({}) - person {}, school {}",
            device.display_name.as_deref().unwrap_or("?"),
            device.kind,
            device.person,
            device.school
        );
        println!("This device's key id: {}", device.key_id);
        if device.kind == GUARDIAN {
            let record = my_record(&client, &key).await;
            println!("Next: {}", for_your_children(record.ok().as_ref()));
        } else {
            println!(
                "Next: give consent, e.g. `consent grant --media photo --purpose website,yearbook` \
                 (`consent grant --help` says what each purpose means)"
            );
        }
    }
    Ok(Done::Ok)
}

/// The code itself from what was typed or read from the printed QR code:
/// the code, `consent-enroll:` and the code, or the phone app's link
/// (`https://school/enroll#code=...`).
fn enrollment_code(text: &str) -> &str {
    let text = text.trim();
    match text.split_once("#code=") {
        Some((_, code)) => code.split('&').next().unwrap_or(code),
        None => text,
    }
}

/// The kind of person a parent's (or other guardian's) device is enrolled for.
const GUARDIAN: &str = "guardian";

/// What a parent runs to give consent for each of their children: a parent
/// names the child, since consent is never given for the parent themselves.
fn for_your_children(record: Option<&MyRecord>) -> String {
    let children = record
        .map(|record| record.children.as_slice())
        .unwrap_or_default();
    if children.is_empty() {
        return "as a parent you give consent for your child with `consent grant --child CHILD_ID \
                --media photo --purpose website,yearbook`; the school must first link you to your child \
                (then `consent status` shows the child and their id)"
            .to_owned();
    }
    let commands: Vec<String> = children
        .iter()
        .map(|child| {
            format!(
                "`consent grant --child {} --media photo --purpose website,yearbook` (for {})",
                child.person.id,
                child.person.display_name.as_deref().unwrap_or("your child")
            )
        })
        .collect();
    format!(
        "give consent for your child: {}; `consent grant --help` says what each purpose means",
        commands.join(", or ")
    )
}

/// What a grant allows, in words.
fn describe(grant: &Grant) -> Vec<(&'static str, String)> {
    let media: Vec<String> = grant.media.iter().map(|kind| kind.to_string()).collect();
    let purposes: Vec<String> = grant.purposes.iter().map(|purpose| purpose.to_string()).collect();
    let signers = match grant.signers {
        GrantSigners::Subject { key } => format!("the person (key {key})"),
        GrantSigners::Guardian { key } => format!("a guardian (key {key})"),
        GrantSigners::SubjectAndGuardian { subject, guardian } => {
            format!("the person (key {subject}) and a guardian (key {guardian})")
        }
    };
    vec![
        ("person", grant.subject.to_string()),
        (
            "allows",
            format!("{} for {}", media.join(", "), purposes.join(", ")),
        ),
        ("valid", format!("{} until {}", grant.not_before, grant.not_after)),
        ("signed by", signers),
    ]
}

fn print_described(grant: &Grant) {
    for (label, value) in describe(grant) {
        println!("  {:<10} {value}", format!("{label}:"));
        if label == "allows" {
            print_purpose_meanings(grant.purposes.iter(), 13);
        }
    }
}

/// What each purpose means, one line each, indented by `indent` spaces.
fn print_purpose_meanings(chosen: impl Iterator<Item = Purpose>, indent: usize) {
    for purpose in chosen {
        println!("{:indent$}{purpose}: {}", "", purposes::describe(purpose));
    }
}

/// `consent grant`
pub async fn grant(ctx: &Ctx, args: GrantArgs) -> Result<Done> {
    let (device, key) = ctx.paths.enrolled()?;
    if device.kind == GUARDIAN && args.child.is_none() {
        let record = my_record(&ctx.client()?, &key).await;
        return Err(UsageError(format!(
            "this device is enrolled for a parent or guardian, and consent is given for a child, not for a parent; {}",
            for_your_children(record.ok().as_ref())
        ))
        .into());
    }
    let now = clock::now();
    // A token holds from the moment it is made: the server refuses tokens
    // that are not valid yet.
    let not_before = now;
    let not_after = args.until.unwrap_or_else(|| now.end_of_school_year());
    if not_after < now {
        return Err(UsageError(format!("--until ({not_after}) has already passed")).into());
    }
    let media = MediaSet::new(args.media).map_err(|e| UsageError(e.to_string()))?;
    let purposes = PurposeSet::new(args.purpose).map_err(|e| UsageError(e.to_string()))?;
    let (subject, signers) = match (args.child, args.guardian_key) {
        (Some(child), _) => (child, GrantSigners::Guardian { key: device.key_id }),
        (None, Some(guardian)) => {
            if guardian == device.key_id {
                return Err(UsageError(
                    "--guardian-key names this device's own key; give your guardian's key id".into(),
                )
                .into());
            }
            (
                device.person,
                GrantSigners::SubjectAndGuardian {
                    subject: device.key_id,
                    guardian,
                },
            )
        }
        (None, None) => (device.person, GrantSigners::Subject { key: device.key_id }),
    };
    let grant = Grant {
        token_id: TokenId::random(&mut OsRng),
        school: device.school,
        subject,
        media,
        purposes,
        issued_at: now,
        not_before,
        not_after,
        signers,
    };
    if let Some(out) = args.out {
        let signature = grant.signature(&key);
        write_file(&out, pending_text(&grant, &signature).as_bytes())?;
        if ctx.json() {
            output::json(&json!({"token_id": grant.token_id, "pending": out, "grant": grant}))?;
        } else {
            println!("Consent prepared; it needs your guardian's co-signature:");
            print_described(&grant);
            println!(
                "Give {} to your guardian; they check and sign it with `consent cosign {}`.",
                out.display(),
                out.display()
            );
        }
        return Ok(Done::Ok);
    }
    let token = SignedGrant::sign(grant, &[&key]).context("signing the consent")?;
    submit(ctx, &token).await
}

const PENDING_HEADER: &str = "# A consent waiting for a guardian's co-signature.\n\
# The guardian checks it and signs it with: consent cosign FILE\n";

fn pending_text(grant: &Grant, signature: &Signature) -> String {
    format!(
        "{PENDING_HEADER}claims: {}\nsignature: {}\n",
        URL_SAFE_NO_PAD.encode(grant.to_bytes()),
        URL_SAFE_NO_PAD.encode(signature.to_bytes())
    )
}

/// Reads a file written by `consent grant --guardian-key ... --out FILE`.
fn read_pending(path: &Path) -> Result<(Grant, Signature)> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let field = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(name))
            .map(str::trim)
            .with_context(|| {
                format!(
                    "{} is not a consent waiting for a co-signature (no {name} line); ask for the file again",
                    path.display()
                )
            })
    };
    let damaged = || format!("{} is damaged; ask for the file again", path.display());
    let claims = URL_SAFE_NO_PAD.decode(field("claims:")?).with_context(damaged)?;
    let grant = Grant::from_bytes(&claims).with_context(damaged)?;
    let signature: [u8; 64] = URL_SAFE_NO_PAD
        .decode(field("signature:")?)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .with_context(damaged)?;
    Ok((grant, Signature::from_bytes(&signature)))
}

#[cfg(test)]
mod tests {
    use super::enrollment_code;

    #[test]
    fn the_printed_link_enrolls_like_the_code() {
        for text in [
            "7K3M9QX2HD4RTW8N",
            "consent-enroll:7K3M9QX2HD4RTW8N",
            " https://consent.school.example/enroll#code=7K3M9QX2HD4RTW8N\n",
        ] {
            assert!(enrollment_code(text).ends_with("7K3M9QX2HD4RTW8N"), "{text}");
            assert!(!enrollment_code(text).contains("http"), "{text}");
        }
    }
}

#[derive(Deserialize)]
struct Accepted {
    token_id: TokenId,
    recorded: bool,
}

/// Submits a signed token, keeps a copy on this device and says what it allows.
async fn submit(ctx: &Ctx, token: &SignedGrant) -> Result<Done> {
    let client = ctx.client()?;
    let accepted: Accepted = client
        .call(
            Method::POST,
            "/v1/grants",
            Auth::Anonymous,
            &json!({"token": token.to_text()}),
        )
        .await
        .context("submitting the consent")?;
    let id = accepted.token_id.to_string();
    ctx.paths.save_token(&id, &token.to_text())?;
    if ctx.json() {
        output::json(&json!({
            "token_id": id,
            "recorded": accepted.recorded,
            "text": token.to_text(),
            "grant": token.unverified(),
        }))?;
    } else {
        println!("Consent given: token {id}");
        print_described(token.unverified());
        println!(
            "Show it as a QR code with `consent show {id}`; withdraw it any time with `consent revoke {id}`."
        );
    }
    Ok(Done::Ok)
}

/// One token as the server reports it to its holder.
#[derive(Deserialize, Serialize, Clone)]
struct MyToken {
    token_id: TokenId,
    text: String,
    grant: Grant,
    standing: Standing,
}

#[derive(Deserialize, Serialize, Clone)]
struct Standing {
    status: String,
    since: Option<i64>,
}

#[derive(Deserialize, Serialize)]
struct PersonInfo {
    id: SubjectId,
    kind: String,
    display_name: Option<String>,
    group: Option<String>,
}

#[derive(Deserialize, Serialize)]
struct KeyInfo {
    key_id: KeyId,
    public_key: PublicKey,
    revoked: bool,
}

#[derive(Deserialize, Serialize)]
struct PublicationInfo {
    id: i64,
    channel: String,
    purpose: String,
    media_kind: String,
    url: Option<String>,
    published_at: i64,
    taken_down_at: Option<i64>,
}

#[derive(Deserialize, Serialize)]
struct Record {
    person: PersonInfo,
    keys: Vec<KeyInfo>,
    tokens: Vec<MyToken>,
    revocations: Vec<serde_json::Value>,
    publications: Vec<PublicationInfo>,
}

#[derive(Deserialize, Serialize)]
struct MyRecord {
    #[serde(flatten)]
    own: Record,
    #[serde(default)]
    children: Vec<Record>,
}

impl MyRecord {
    fn everyone(&self) -> impl Iterator<Item = &Record> {
        std::iter::once(&self.own).chain(&self.children)
    }
}

async fn my_record(client: &Client, key: &SigningKey) -> Result<MyRecord> {
    client
        .get("/v1/me", &[], Auth::Device(key))
        .await
        .context("fetching your record from the server")
}

/// `consent cosign`
pub async fn cosign(ctx: &Ctx, args: CosignArgs) -> Result<Done> {
    let (device, key) = ctx.paths.enrolled()?;
    let (grant, child_signature) = read_pending(&args.file)?;
    let GrantSigners::SubjectAndGuardian { subject, guardian } = grant.signers else {
        bail!(
            "{} does not ask for a guardian's co-signature",
            args.file.display()
        );
    };
    if guardian != device.key_id {
        bail!(
            "this consent asks for the co-signature of key {guardian}, but this device's key is {}; \
             the child must name your key id (see `consent status`) with --guardian-key",
            device.key_id
        );
    }
    let client = ctx.client()?;
    let record = my_record(&client, &key).await?;
    let child = record
        .children
        .iter()
        .find(|child| child.person.id == grant.subject)
        .with_context(|| {
            format!(
                "you are not recorded as a guardian of person {}; ask the school to link you (`consent guardian link`)",
                grant.subject
            )
        })?;
    let mut keyring = Keyring::new();
    for known in &child.keys {
        let id = keyring.add(known.public_key, KeyHolder::Person(child.person.id));
        if known.revoked {
            keyring.revoke(id);
        }
    }
    keyring.add(PublicKey::of(&key), KeyHolder::Person(device.person));
    keyring.add_guardianship(device.person, child.person.id);
    let name = child
        .person
        .display_name
        .clone()
        .unwrap_or_else(|| "your child".into());
    if !ctx.json() {
        println!("You are co-signing this consent for {name}:");
        print_described(&grant);
    }
    if !args.yes && !confirm("Sign it?")? {
        bail!("not signed; nothing was sent");
    }
    let guardian_signature = grant.signature(&key);
    let token = SignedGrant::from_parts(grant, vec![child_signature, guardian_signature])
        .context("joining the signatures")?;
    token.verify(&keyring, clock::now()).map_err(|error| {
        anyhow::anyhow!(
            "the consent cannot be used ({}: {error}); if the child's signature does not match, the file was \
             altered or was made with key {subject}, which is not your child's current key: ask them to make it again",
            error.code()
        )
    })?;
    submit(ctx, &token).await
}

/// Asks a yes/no question on the terminal; without a terminal, asks for --yes.
fn confirm(question: &str) -> Result<bool> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(UsageError("no terminal to confirm on: run again with --yes to sign".into()).into());
    }
    print!("{question} [y/N] ");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes"))
}

/// `consent show`
pub async fn show(ctx: &Ctx, args: ShowArgs) -> Result<Done> {
    let (_, key) = ctx.paths.enrolled()?;
    let text = match args.token_id {
        Some(id) => match ctx.paths.load_token(&id.to_string()) {
            Some(text) => text,
            None => {
                let record = my_record(&ctx.client()?, &key).await?;
                let token = record
                    .everyone()
                    .flat_map(|person| &person.tokens)
                    .find(|token| token.token_id == id)
                    .with_context(|| {
                        format!("no token {id} among yours or your children's (see `consent status`)")
                    })?;
                // A code that no longer counts is not shown as if it did.
                if token.standing.status != "valid" {
                    bail!(
                        "token {id} no longer counts: {}; `consent status` shows how to give it again",
                        output::standing_text(&token.standing.status)
                    );
                }
                token.text.clone()
            }
        },
        None => newest_valid_token(ctx, &key).await?,
    };
    let token = SignedGrant::from_text(&text).context("the stored token is damaged; use `consent status`")?;
    let id = token.unverified().token_id.to_string();
    if let Some(path) = &args.png {
        write_file(path, &consent_qr::render_png(&text, 8)?)?;
    } else if let Some(path) = &args.svg {
        write_file(path, consent_qr::render_svg(&text)?.as_bytes())?;
    }
    let file = args.png.as_ref().or(args.svg.as_ref());
    if ctx.json() {
        output::json(&json!({"token_id": id, "text": text, "file": file}))?;
    } else if args.text {
        println!("{text}");
    } else if let Some(file) = file {
        println!("Wrote token {id} as a QR code to {}", file.display());
    } else {
        println!("{}", consent_qr::render_terminal(&text)?);
        println!("Token {id}");
        print_described(token.unverified());
    }
    Ok(Done::Ok)
}

/// The newest of the person's own tokens that still stands; offline, the
/// newest one kept on this device.
async fn newest_valid_token(ctx: &Ctx, key: &SigningKey) -> Result<String> {
    let record = match my_record(&ctx.client()?, key).await {
        Ok(record) => record,
        Err(error) if error.downcast_ref::<ApiProblem>().is_none() => {
            let now = clock::now();
            let local = ctx.paths.saved_tokens().into_iter().rfind(|text| {
                SignedGrant::from_text(text).is_ok_and(|token| token.unverified().check_window(now).is_ok())
            });
            return match local {
                Some(text) => {
                    eprintln!(
                        "warning: the server cannot be reached; showing the newest token kept on this device \
                         (it may have been revoked since)"
                    );
                    Ok(text)
                }
                None => Err(error),
            };
        }
        Err(error) => return Err(error),
    };
    record
        .own
        .tokens
        .iter()
        .filter(|token| token.standing.status == "valid")
        .max_by_key(|token| token.grant.issued_at)
        .map(|token| token.text.clone())
        .context("you have no valid consent token: give one with `consent grant`, or name a token id from `consent status`")
}

/// `consent revoke`
pub async fn revoke(ctx: &Ctx, args: RevokeArgs) -> Result<Done> {
    let (device, key) = ctx.paths.enrolled()?;
    let client = ctx.client()?;
    let now = clock::now();
    let (subject, scope) = match args.token_id {
        Some(token_id) => {
            let record = my_record(&client, &key).await?;
            let holder = record
                .everyone()
                .find(|person| person.tokens.iter().any(|token| token.token_id == token_id))
                .map(|person| person.person.id)
                .with_context(|| {
                    format!("no token {token_id} among yours or your children's (see `consent status`)")
                })?;
            (holder, RevocationScope::Token(token_id))
        }
        None => (
            args.child.unwrap_or(device.person),
            RevocationScope::AllIssuedUpTo(now),
        ),
    };
    if let Some(child) = args.child {
        if child != subject {
            return Err(UsageError(format!(
                "token belongs to person {subject}, not to --child {child}"
            ))
            .into());
        }
    }
    let role = if subject == device.person {
        Role::Subject
    } else {
        Role::Guardian
    };
    let revocation = Revocation {
        id: RevocationId::random(&mut OsRng),
        school: device.school,
        subject,
        scope,
        issued_at: now,
        role,
        key: device.key_id,
    };
    let signed = SignedRevocation::sign(revocation, &key).context("signing the revocation")?;
    #[derive(Deserialize)]
    struct RevocationAccepted {
        received_at: i64,
    }
    let accepted: RevocationAccepted = client
        .call(
            Method::POST,
            "/v1/revocations",
            Auth::Anonymous,
            &json!({"revocation": signed.to_text()}),
        )
        .await
        .context("withdrawing the consent")?;
    let what = match scope {
        RevocationScope::Token(token) => format!("token {token}"),
        RevocationScope::AllIssuedUpTo(_) => "every consent given so far".to_owned(),
    };
    if ctx.json() {
        output::json(&json!({
            "revoked": what,
            "person": subject,
            "received_at": accepted.received_at,
            "revocation": signed.to_text(),
        }))?;
    } else {
        println!(
            "Withdrawn: {what} (person {subject}), at {}.",
            clock::moment(accepted.received_at)
        );
        println!("From now on no check allows it; publications that relied on it are flagged for takedown.");
    }
    Ok(Done::Ok)
}

/// `consent status`
pub async fn status(ctx: &Ctx) -> Result<Done> {
    let (_, key) = ctx.paths.enrolled()?;
    let record = my_record(&ctx.client()?, &key).await?;
    if ctx.json() {
        output::json(&record)?;
        return Ok(Done::Ok);
    }
    print_record(&record.own, "");
    for child in &record.children {
        println!();
        print_record(child, "Child: ");
    }
    Ok(Done::Ok)
}

/// For each token that no longer counts though nobody withdrew it (signed
/// on a lost device, or by a parent alone before the student came of age),
/// why, and the command that gives the same consent again; none once a
/// valid token covers the same choices.
fn renewals(record: &Record, child: bool) -> Vec<(String, String)> {
    let list = |items: Vec<String>| items.join(",");
    record
        .tokens
        .iter()
        .filter(|token| {
            matches!(
                token.standing.status.as_str(),
                "device_lost" | "student_must_confirm"
            )
        })
        .filter(|token| {
            !record.tokens.iter().any(|other| {
                other.standing.status == "valid"
                    && token.grant.media.iter().all(|m| other.grant.media.contains(m))
                    && token
                        .grant
                        .purposes
                        .iter()
                        .all(|p| other.grant.purposes.contains(p))
            })
        })
        .map(|token| {
            let choices = format!(
                "--media {} --purpose {}",
                list(token.grant.media.iter().map(|m| m.to_string()).collect()),
                list(token.grant.purposes.iter().map(|p| p.to_string()).collect()),
            );
            let by_parent_alone = matches!(token.grant.signers, GrantSigners::Guardian { .. });
            let command = match (token.standing.status.as_str(), child) {
                ("device_lost", true) if by_parent_alone => {
                    format!("consent grant --child {} {choices}", record.person.id)
                }
                (_, true) => format!("on their own phone: consent grant {choices}"),
                (_, false) => format!("consent grant {choices}"),
            };
            (
                format!(
                    "token {} is void: {}",
                    token.token_id,
                    output::standing_text(&token.standing.status)
                ),
                command,
            )
        })
        .collect()
}

fn print_record(record: &Record, prefix: &str) {
    let person = &record.person;
    println!(
        "{prefix}{} ({}{}) - person {}",
        person.display_name.as_deref().unwrap_or("(erased)"),
        person.kind,
        person
            .group
            .as_deref()
            .map(|group| format!(", group {group}"))
            .unwrap_or_default(),
        person.id
    );
    for key in &record.keys {
        println!(
            "  device key: {}{}",
            key.key_id,
            if key.revoked { " (cut off)" } else { "" }
        );
    }
    if record.tokens.is_empty() {
        if person.kind == "student" {
            println!("  no consent given");
        }
    } else {
        let mut table = Table::new(&["TOKEN", "STANDING", "MEDIA", "PURPOSES", "UNTIL"]);
        for token in &record.tokens {
            let standing = match token.standing.since {
                Some(since) if since > 0 => format!("{} since {}", token.standing.status, clock::day(since)),
                _ => token.standing.status.clone(),
            };
            table.row(vec![
                token.token_id.to_string(),
                standing,
                token
                    .grant
                    .media
                    .iter()
                    .map(|m| m.to_string())
                    .collect::<Vec<_>>()
                    .join(","),
                token
                    .grant
                    .purposes
                    .iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join(","),
                token.grant.not_after.to_string().chars().take(10).collect(),
            ]);
        }
        println!("  consent tokens:");
        table.print_indented(2);
        let mut used: Vec<Purpose> = record
            .tokens
            .iter()
            .flat_map(|token| token.grant.purposes.iter())
            .collect();
        used.sort();
        used.dedup();
        println!("  the purposes mean:");
        print_purpose_meanings(used.into_iter(), 4);
        for (why, command) in renewals(record, !prefix.is_empty()) {
            println!("  {why}. To give the same consent again:");
            println!("    {command}");
        }
    }
    if !record.revocations.is_empty() {
        println!("  revocations: {}", record.revocations.len());
    }
    if record.publications.is_empty() {
        if person.kind == "student" {
            println!("  not published anywhere");
        }
    } else {
        let mut table = Table::new(&["#", "PUBLISHED", "CHANNEL", "PURPOSE", "STATE", "URL"]);
        for publication in &record.publications {
            table.row(vec![
                publication.id.to_string(),
                clock::day(publication.published_at),
                publication.channel.clone(),
                format!("{} ({})", publication.purpose, publication.media_kind),
                match publication.taken_down_at {
                    Some(at) => format!("taken down {}", clock::day(at)),
                    None => "live".into(),
                },
                publication.url.clone().unwrap_or_default(),
            ]);
        }
        println!("  published in:");
        table.print_indented(2);
    }
}

/// `consent export`
pub async fn export(ctx: &Ctx, args: ExportArgs) -> Result<Done> {
    let (_, key) = ctx.paths.enrolled()?;
    let client = ctx.client()?;
    let url = client.url("/v1/me", &[])?;
    let answer = client
        .send(Method::GET, url, Auth::Device(&key), crate::api::Body::Empty)
        .await
        .context("fetching your record from the server")?;
    let record: serde_json::Value = answer.json()?;
    let mut pretty = serde_json::to_vec_pretty(&record)?;
    pretty.push(b'\n');
    if args.file.as_os_str() == "-" {
        std::io::stdout().write_all(&pretty)?;
        return Ok(Done::Ok);
    }
    write_file(&args.file, &pretty)?;
    let count = |field: &str| record[field].as_array().map_or(0, Vec::len);
    if ctx.json() {
        output::json(
            &json!({"file": args.file, "tokens": count("tokens"), "revocations": count("revocations"), "publications": count("publications")}),
        )?;
    } else {
        println!(
            "Wrote your record to {}: {} tokens, {} revocations, {} publications{}.",
            args.file.display(),
            count("tokens"),
            count("revocations"),
            count("publications"),
            match count("children") {
                0 => String::new(),
                n => format!(", and the records of {n} children"),
            }
        );
    }
    Ok(Done::Ok)
}
