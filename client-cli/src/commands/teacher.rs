//! Teachers and photographers: scan a consent code (online or offline),
//! check media before publishing, record a publication.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result};
use consent_protocol::{
    Error as ProtocolError, GrantSigners, KeyHolder, Keyring, MediaKind, Outcome, PublicKey, SchoolId,
    SignedGrant, SignedReceipt, SignedRevocation, SubjectId, Timestamp,
};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{read_code_photo, Ctx, Done};
use crate::api::{ApiProblem, Auth, Client};
use crate::cli::{CheckArgs, PublishArgs, ScanArgs};
use crate::clock::{self, human_duration};
use crate::offline::{self, Cache};
use crate::output::{self, short, Table};

/// What a scanned code turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// Genuine, within its window and not revoked.
    Valid,
    /// Not signed by keys that may speak for the person, or not a consent code at all.
    NotGenuine {
        /// The protocol's stable code.
        code: &'static str,
        /// Why, for people.
        reason: String,
    },
    /// A genuine code for another school than the teacher's.
    OtherSchool(SchoolId),
    /// Genuine, but outside its validity window.
    OutOfWindow {
        /// `expired`, `not_yet_valid` or `issued_in_future`.
        code: &'static str,
        /// Why, for people.
        reason: String,
    },
    /// Genuine, but withdrawn.
    Revoked {
        /// When the revocation was signed.
        at: Timestamp,
    },
}

impl Finding {
    fn code(&self) -> &'static str {
        match self {
            Finding::Valid => "valid",
            Finding::NotGenuine { code, .. } | Finding::OutOfWindow { code, .. } => code,
            Finding::OtherSchool(_) => "other_school",
            Finding::Revoked { .. } => "revoked",
        }
    }

    fn genuine(&self) -> bool {
        matches!(
            self,
            Finding::Valid | Finding::OutOfWindow { .. } | Finding::Revoked { .. }
        )
    }
}

/// Judges a token against what a verifier knows: the keys, the revocations
/// and the clock. Pure, so that online and offline scans judge alike.
pub fn judge(
    token: &SignedGrant,
    keyring: &Keyring,
    revocations: &[SignedRevocation],
    school: SchoolId,
    now: Timestamp,
) -> Finding {
    let grant = token.unverified();
    if grant.school != school {
        return Finding::OtherSchool(grant.school);
    }
    if let Err(error) = token.verify(keyring, now) {
        return match error {
            ProtocolError::Expired | ProtocolError::NotYetValid | ProtocolError::IssuedInFuture => {
                Finding::OutOfWindow {
                    code: error.code(),
                    reason: error.to_string(),
                }
            }
            other => Finding::NotGenuine {
                code: other.code(),
                reason: other.to_string(),
            },
        };
    }
    match revocations
        .iter()
        .map(SignedRevocation::unverified)
        .filter(|revocation| revocation.withdraws(grant))
        .map(|revocation| revocation.issued_at)
        .min()
    {
        Some(at) => Finding::Revoked { at },
        None => Finding::Valid,
    }
}

#[derive(Deserialize)]
struct PersonName {
    display_name: Option<String>,
}

/// `consent scan`
pub async fn scan(ctx: &Ctx, args: ScanArgs) -> Result<Done> {
    let text = match (args.text, args.photo) {
        (Some(text), _) => text,
        (None, Some(photo)) => read_code_photo(&photo)?,
        (None, None) => unreachable_usage()?,
    };
    let token = match SignedGrant::from_text(&text) {
        Ok(token) => token,
        Err(error) => {
            let finding = Finding::NotGenuine {
                code: error.code(),
                reason: format!("this is not a readable consent code: {error}"),
            };
            report_scan(ctx, None, &finding, None, None)?;
            return Ok(Done::NotAllowed);
        }
    };
    let now = clock::now();
    let (cache, name) = if args.offline {
        let cache = Cache::load(&ctx.paths)?
            .context("there is no offline cache yet: run `consent sync` while online (before the trip)")?;
        (cache, None)
    } else {
        let client = ctx.client()?;
        let cache = offline::sync(&ctx.paths, &client)
            .await
            .context("checking with the server (use --offline to use the cache from `consent sync`)")?;
        let name = person_name(&client, token.unverified().subject).await;
        (cache, name)
    };
    let mut finding = judge(
        &token,
        &cache.keyring(false)?,
        &cache.revocations(),
        cache.school,
        now,
    );
    if let Finding::NotGenuine {
        code: "unknown_key",
        reason,
    } = &mut finding
    {
        if args.offline {
            reason.push_str(" (or by a device enrolled after the last `consent sync`)");
        }
    }
    let age = cache.age_seconds(now);
    let stale = args.offline && age > args.max_age;
    let freshness = Freshness {
        source: if args.offline { "offline" } else { "online" },
        fresh_at: cache.fresh_at(),
        age_seconds: age,
        max_age_seconds: args.max_age,
        stale,
    };
    report_scan(ctx, Some(&token), &finding, name.as_deref(), Some(&freshness))?;
    Ok(if finding == Finding::Valid && !stale {
        Done::Ok
    } else {
        Done::NotAllowed
    })
}

fn unreachable_usage() -> Result<String> {
    Err(super::UsageError("give the code's text, or --photo FILE".into()).into())
}

async fn person_name(client: &Client, person: SubjectId) -> Option<String> {
    client
        .get::<PersonName>(&format!("/v1/people/{person}"), &[], Auth::Staff)
        .await
        .ok()
        .and_then(|person| person.display_name)
}

/// How fresh the revocation data behind a scan is.
#[derive(Serialize)]
struct Freshness {
    source: &'static str,
    fresh_at: Timestamp,
    age_seconds: u64,
    max_age_seconds: u64,
    stale: bool,
}

fn report_scan(
    ctx: &Ctx,
    token: Option<&SignedGrant>,
    finding: &Finding,
    name: Option<&str>,
    freshness: Option<&Freshness>,
) -> Result<()> {
    let stale = freshness.is_some_and(|f| f.stale);
    let valid = *finding == Finding::Valid && !stale;
    let reason = match finding {
        Finding::Valid if stale => {
            "genuine and not revoked as far as the cache knows, but the cache is too old to say it is valid"
                .to_owned()
        }
        Finding::Valid => "genuine, within its validity period, and not revoked".to_owned(),
        Finding::NotGenuine { reason, .. } | Finding::OutOfWindow { reason, .. } => reason.clone(),
        Finding::OtherSchool(school) => format!("this code was issued to another school (school {school})"),
        Finding::Revoked { at } => format!("the consent was withdrawn on {at}"),
    };
    let grant = token.map(SignedGrant::unverified);
    if ctx.json() {
        return output::json(&json!({
            "valid": valid,
            "genuine": finding.genuine(),
            "status": if stale && *finding == Finding::Valid { "cache_too_old" } else { finding.code() },
            "reason": reason,
            "token_id": grant.map(|g| g.token_id),
            "person": grant.map(|g| g.subject),
            "display_name": name,
            "media": grant.map(|g| g.media),
            "purposes": grant.map(|g| g.purposes),
            "not_before": grant.map(|g| g.not_before),
            "not_after": grant.map(|g| g.not_after),
            "signers": grant.map(|g| g.signers),
            "revocation_data": freshness,
        }));
    }
    let verdict = match (valid, finding.genuine(), stale) {
        (true, _, _) => "VALID",
        (false, true, true) if *finding == Finding::Valid => "NOT CONFIRMED",
        (false, true, _) => "NOT VALID",
        (false, false, _) => "NOT GENUINE",
    };
    println!("{verdict}: {reason}");
    if let Some(grant) = grant {
        let person = match name {
            Some(name) => format!("{} ({name})", grant.subject),
            None => grant.subject.to_string(),
        };
        let media: Vec<String> = grant.media.iter().map(|m| m.to_string()).collect();
        let purposes: Vec<String> = grant.purposes.iter().map(|p| p.to_string()).collect();
        println!("  person:    {person}");
        println!("  allows:    {} for {}", media.join(", "), purposes.join(", "));
        println!("  valid:     {} until {}", grant.not_before, grant.not_after);
        println!(
            "  signed by: {}",
            match grant.signers {
                GrantSigners::Subject { .. } => "the person",
                GrantSigners::Guardian { .. } => "a guardian",
                GrantSigners::SubjectAndGuardian { .. } => "the person and a guardian",
            }
        );
        println!("  token:     {}", grant.token_id);
    }
    if let Some(freshness) = freshness {
        let age = human_duration(freshness.age_seconds);
        if freshness.source == "online" {
            println!(
                "  revocation data: checked with the server just now (as of {}, {age} ago)",
                freshness.fresh_at
            );
        } else {
            println!(
                "  revocation data: offline cache from {} - {age} old (limit {})",
                freshness.fresh_at,
                human_duration(freshness.max_age_seconds)
            );
        }
        if freshness.stale {
            println!(
                "  The cache is older than --max-age: the consent may have been withdrawn since. \
                 Run `consent sync` when online, or scan without --offline."
            );
        }
    }
    Ok(())
}

/// `consent sync`
pub async fn sync(ctx: &Ctx) -> Result<Done> {
    let client = ctx.client()?;
    let cache = offline::sync(&ctx.paths, &client)
        .await
        .context("updating the offline cache")?;
    if ctx.json() {
        output::json(&json!({
            "school": cache.school,
            "revocations": cache.revocation_count(),
            "fresh_at": cache.fresh_at(),
        }))?;
    } else {
        println!(
            "Offline cache up to date (revocations: {}), fresh as of {}.",
            cache.revocation_count(),
            cache.fresh_at()
        );
        println!("`consent scan --offline` uses it; run `consent sync` again before it is older than the limit you use (--max-age, default 24h).");
    }
    Ok(Done::Ok)
}

/// The kind of media a file name suggests.
fn media_from_extension(path: &Path) -> MediaKind {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match extension.as_str() {
        "mp4" | "mov" | "m4v" | "avi" | "mkv" | "webm" | "mts" => MediaKind::Video,
        "mp3" | "wav" | "m4a" | "aac" | "ogg" | "flac" | "opus" => MediaKind::Audio,
        _ => MediaKind::Photo,
    }
}

/// SHA-256 of a file, read in pieces.
fn hash_file(path: &Path) -> Result<String> {
    let mut file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = file
            .read(&mut buffer)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hex::encode(hasher.finalize()))
}

#[derive(Deserialize, Serialize)]
struct NamedVerdict {
    person: SubjectId,
    display_name: Option<String>,
    outcome: Outcome,
    token: Option<String>,
}

#[derive(Deserialize, Serialize)]
struct CheckAnswer {
    allowed: bool,
    verdicts: Vec<NamedVerdict>,
    receipt_id: String,
    receipt: String,
}

/// Why someone may not appear, in words.
fn outcome_text(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Allowed => "allowed",
        Outcome::NoConsent => "no consent given",
        Outcome::Revoked => "consent withdrawn",
        Outcome::Expired => "consent expired",
        Outcome::NotYetValid => "consent not valid yet",
        Outcome::WrongMediaKind => "consent does not cover this kind of media",
        Outcome::WrongPurpose => "consent does not cover this purpose",
        Outcome::GuardianMissing => "under the age of digital consent and no guardian signed",
    }
}

#[derive(Deserialize)]
struct ServerKey {
    public_key: String,
}

/// The server's keys, to verify what it signs.
pub(super) async fn server_keyring(client: &Client) -> Result<Keyring> {
    let keys: Vec<ServerKey> = client
        .get("/v1/server-keys", &[], Auth::Anonymous)
        .await
        .context("fetching the server's public keys")?;
    let mut keyring = Keyring::new();
    for key in keys {
        keyring.add(
            PublicKey::from_hex(&key.public_key).context("the server published a damaged key")?,
            KeyHolder::Server,
        );
    }
    Ok(keyring)
}

/// `consent check`
pub async fn check(ctx: &Ctx, args: CheckArgs) -> Result<Done> {
    let media_hash = hash_file(&args.file)?;
    let media = args.media.unwrap_or_else(|| media_from_extension(&args.file));
    let mut tokens = args.code;
    for photo in &args.code_photo {
        tokens.push(read_code_photo(photo)?);
    }
    let client = ctx.client()?;
    let answer: CheckAnswer = client
        .call(
            Method::POST,
            "/v1/checks",
            Auth::Staff,
            &json!({
                "media_hash": media_hash,
                "media_kind": media.name(),
                "purpose": args.purpose.to_string(),
                "people": args.person,
                "tokens": tokens,
                "groups": args.group,
            }),
        )
        .await
        .context("checking consent")?;
    // The receipt is the school's signed word: check it says what we asked.
    let receipt =
        SignedReceipt::from_text(&answer.receipt).context("the server's receipt does not decode")?;
    let receipt = receipt
        .verify(&server_keyring(&client).await?)
        .context("the server's receipt does not verify; do not rely on this check")?;
    anyhow::ensure!(
        receipt.media_hash.to_string() == media_hash
            && receipt.purpose == args.purpose
            && receipt.media_kind == media
            && receipt.all_allowed() == answer.allowed,
        "the server's receipt is for another question than the one asked; do not rely on this check"
    );
    if ctx.json() {
        output::json(&answer)?;
    } else {
        let allowed = answer
            .verdicts
            .iter()
            .filter(|v| v.outcome == Outcome::Allowed)
            .count();
        let total = answer.verdicts.len();
        println!(
            "{} {} for {}: {allowed} of {total} may appear.",
            media.name(),
            args.file.display(),
            args.purpose
        );
        print_verdicts(&answer.verdicts);
        println!("Receipt {} (signed by the server, verified)", answer.receipt_id);
        if answer.allowed {
            println!(
                "Next: consent publish --receipt {} --channel {}",
                answer.receipt_id, args.purpose
            );
        } else {
            println!(
                "Do not publish it as it is: leave out or blur the people not allowed, and check again."
            );
        }
    }
    Ok(if answer.allowed {
        Done::Ok
    } else {
        Done::NotAllowed
    })
}

fn print_verdicts(verdicts: &[NamedVerdict]) {
    let mut table = Table::new(&["PERSON", "NAME", "VERDICT", "TOKEN"]);
    for verdict in verdicts {
        table.row(vec![
            verdict.person.to_string(),
            verdict.display_name.clone().unwrap_or_else(|| "-".into()),
            outcome_text(verdict.outcome).to_owned(),
            verdict.token.as_deref().map(short).unwrap_or_default(),
        ]);
    }
    table.print();
}

#[derive(Deserialize, Serialize)]
struct Published {
    publication: i64,
    check: CheckAnswer,
}

/// `consent publish`
pub async fn publish(ctx: &Ctx, args: PublishArgs) -> Result<Done> {
    let client = ctx.client()?;
    let result: Result<Published> = client
        .call(
            Method::POST,
            "/v1/publications",
            Auth::Staff,
            &json!({"receipt_id": args.receipt.trim(), "channel": args.channel, "url": args.url}),
        )
        .await;
    let published = match result {
        Ok(published) => published,
        Err(error) => {
            let Some(problem) = error
                .downcast_ref::<ApiProblem>()
                .filter(|p| p.code == "consent_missing")
            else {
                return Err(error.context("recording the publication"));
            };
            if ctx.json() {
                output::json(
                    &json!({"published": false, "code": problem.code, "verdicts": problem.verdicts}),
                )?;
            } else {
                println!("NOT RECORDED: consent no longer holds for everyone in it. Do not publish it.");
                let verdicts: Vec<NamedVerdict> = problem
                    .verdicts
                    .iter()
                    .filter_map(|v| serde_json::from_value(v.clone()).ok())
                    .map(|v: consent_protocol::Verdict| NamedVerdict {
                        person: v.subject,
                        display_name: None,
                        outcome: v.outcome,
                        token: v.token.map(|t| t.to_string()),
                    })
                    .collect();
                print_verdicts(&verdicts);
            }
            return Ok(Done::NotAllowed);
        }
    };
    if ctx.json() {
        output::json(
            &json!({"published": true, "publication": published.publication, "check": published.check}),
        )?;
    } else {
        println!(
            "Recorded publication #{} on {} (consent checked again just now: all {} allowed; receipt {}).",
            published.publication,
            args.channel,
            published.check.verdicts.len(),
            published.check.receipt_id
        );
    }
    Ok(Done::Ok)
}

#[cfg(test)]
mod tests {
    use consent_protocol::{
        Grant, KeyHolder, MediaSet, Purpose, PurposeSet, Revocation, RevocationId, RevocationScope, Role,
        SigningKey, TokenId,
    };

    use super::*;

    const NOW: Timestamp = Timestamp::from_unix(1_800_000_000);
    const SCHOOL: SchoolId = SchoolId(1);

    fn student() -> (SigningKey, SubjectId) {
        (SigningKey::from_bytes(&[3; 32]), SubjectId::from_bytes([1; 16]))
    }

    fn keyring() -> Keyring {
        let (key, person) = student();
        let mut keyring = Keyring::new();
        keyring.add(PublicKey::of(&key), KeyHolder::Person(person));
        keyring
    }

    fn token(signer: &SigningKey) -> SignedGrant {
        let (_, person) = student();
        let grant = Grant {
            token_id: TokenId::from_bytes([2; 16]),
            school: SCHOOL,
            subject: person,
            media: MediaSet::new([MediaKind::Photo]).expect("non-empty"),
            purposes: PurposeSet::new([Purpose::WEBSITE]).expect("non-empty"),
            issued_at: NOW,
            not_before: NOW,
            not_after: NOW.plus_seconds(1000),
            signers: GrantSigners::Subject {
                key: PublicKey::of(signer).id(),
            },
        };
        SignedGrant::sign(grant, &[signer]).expect("signs")
    }

    fn revocation(scope: RevocationScope) -> SignedRevocation {
        let (key, person) = student();
        let revocation = Revocation {
            id: RevocationId::from_bytes([4; 16]),
            school: SCHOOL,
            subject: person,
            scope,
            issued_at: NOW.plus_seconds(10),
            role: Role::Subject,
            key: PublicKey::of(&key).id(),
        };
        SignedRevocation::sign(revocation, &key).expect("signs")
    }

    #[test]
    fn a_genuine_current_unrevoked_code_is_valid() {
        let (key, _) = student();
        assert_eq!(judge(&token(&key), &keyring(), &[], SCHOOL, NOW), Finding::Valid);
    }

    #[test]
    fn a_revocation_of_the_token_or_of_everything_withdraws_it() {
        let (key, _) = student();
        let token = token(&key);
        let one = revocation(RevocationScope::Token(TokenId::from_bytes([2; 16])));
        let all = revocation(RevocationScope::AllIssuedUpTo(NOW));
        let other = revocation(RevocationScope::Token(TokenId::from_bytes([9; 16])));
        for revocation in [one, all] {
            assert_eq!(
                judge(&token, &keyring(), &[revocation], SCHOOL, NOW),
                Finding::Revoked {
                    at: NOW.plus_seconds(10)
                }
            );
        }
        assert_eq!(judge(&token, &keyring(), &[other], SCHOOL, NOW), Finding::Valid);
    }

    #[test]
    fn an_expired_code_is_genuine_but_not_valid() {
        let (key, _) = student();
        let finding = judge(&token(&key), &keyring(), &[], SCHOOL, NOW.plus_seconds(2000));
        assert!(
            matches!(finding, Finding::OutOfWindow { code: "expired", .. }),
            "{finding:?}"
        );
        assert!(finding.genuine());
    }

    #[test]
    fn a_code_signed_by_an_unknown_or_other_key_is_not_genuine() {
        let (key, _) = student();
        let finding = judge(&token(&key), &Keyring::new(), &[], SCHOOL, NOW);
        assert!(
            matches!(
                finding,
                Finding::NotGenuine {
                    code: "unknown_key",
                    ..
                }
            ),
            "{finding:?}"
        );
        // A classmate signing for the student.
        let classmate = SigningKey::from_bytes(&[5; 32]);
        let mut keys = keyring();
        keys.add(
            PublicKey::of(&classmate),
            KeyHolder::Person(SubjectId::from_bytes([6; 16])),
        );
        let finding = judge(&token(&classmate), &keys, &[], SCHOOL, NOW);
        assert!(
            matches!(
                finding,
                Finding::NotGenuine {
                    code: "signer_not_authorized",
                    ..
                }
            ),
            "{finding:?}"
        );
        assert!(!finding.genuine());
    }

    #[test]
    fn a_code_for_another_school_is_said_to_be_so() {
        let (key, _) = student();
        assert_eq!(
            judge(&token(&key), &keyring(), &[], SchoolId(2), NOW),
            Finding::OtherSchool(SCHOOL)
        );
    }
}
