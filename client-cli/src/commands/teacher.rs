//! Teachers and photographers: scan a consent code (online or offline),
//! check media before publishing, record a publication.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result};
use consent_media::{PerceptualHash, PictureError};
use consent_protocol::{
    Error as ProtocolError, Grant, GrantSigners, KeyHolder, Keyring, MediaKind, Outcome, PublicKey, Purpose,
    Revocation, RevocationScope, SchoolId, SignedGrant, SignedReceipt, SignedRevocation, SubjectId,
    Timestamp, MAX_CLOCK_SKEW_SECONDS,
};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{is_enrollment_code, read_code_photo, Ctx, Done};
use crate::api::{ApiProblem, Auth, Client};
use crate::cli::{CheckArgs, PublishArgs, ScanArgs};
use crate::clock::{self, human_duration};
use crate::offline::{self, AgeRule as CachedAgeRule, Cache};
use crate::output::{self, outcome_text, short, Table};

/// What a scanned code turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// Genuine, within its window and not revoked.
    Valid,
    /// Not signed by keys that may speak for the person, or not a consent code at all.
    NotGenuine {
        /// The protocol's stable code (or the server's, online).
        code: String,
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
    /// Signed on a device that the school has since cut off as lost: its
    /// signatures cannot be told apart from a finder's, so the person gives
    /// consent again from their new device.
    DeviceLost,
    /// Genuine, but withdrawn.
    Revoked {
        /// When the revocation was signed (known offline, from the cache).
        at: Option<Timestamp>,
    },
    /// Genuine and standing, but the person is under the school's age of
    /// digital consent (or their birth date is unknown) and no guardian
    /// signed it. Online the server says so; offline the cache's signed
    /// guardian dates do.
    GuardianMissing,
    /// Genuine and standing, but signed by a guardian alone for a person who
    /// has reached the school's age of digital consent: from then on the
    /// person decides, so they must confirm it themselves (by giving consent
    /// with their own device). Online the server says so; offline the
    /// cache's guardian dates do.
    StudentMustConfirm,
    /// Genuine and standing, but the offline cache does not say whether the
    /// person needs a guardian (they were added after the last sync, or the
    /// cache was made by an older client).
    AgeUnknown,
    /// Genuine, but the server allows nothing under it now (for example the
    /// person's record was erased).
    Withheld,
    /// The code could not be read (damaged, badly scanned, cut short): not
    /// forged, just unread; the answer is to scan again.
    Unreadable {
        /// The protocol's stable code.
        code: &'static str,
        /// Why, for people.
        reason: String,
    },
    /// An enrollment code (it enrolls a phone once), not a consent code.
    EnrollmentCode,
}

impl Finding {
    fn code(&self) -> &str {
        match self {
            Finding::Valid => "valid",
            Finding::NotGenuine { code, .. } => code,
            Finding::OutOfWindow { code, .. } => code,
            Finding::OtherSchool(_) => "other_school",
            Finding::Revoked { .. } => "revoked",
            Finding::GuardianMissing => "guardian_missing",
            Finding::DeviceLost => "device_lost",
            Finding::StudentMustConfirm => "student_must_confirm",
            Finding::AgeUnknown => "age_unknown",
            Finding::Withheld => "not_allowed",
            Finding::Unreadable { .. } => "unreadable",
            Finding::EnrollmentCode => "enrollment_code",
        }
    }

    fn genuine(&self) -> bool {
        matches!(
            self,
            Finding::Valid
                | Finding::OutOfWindow { .. }
                | Finding::Revoked { .. }
                | Finding::GuardianMissing
                | Finding::StudentMustConfirm
                | Finding::AgeUnknown
                | Finding::Withheld
        )
    }
}

/// Judges a token against what a verifier knows: the keys, the revocations,
/// the age rule for its person and the clock. Pure, so that online and
/// offline scans judge alike.
pub fn judge(
    token: &SignedGrant,
    keyring: &Keyring,
    revocations: &[SignedRevocation],
    age_rule: CachedAgeRule,
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
            ProtocolError::RevokedKey => Finding::DeviceLost,
            other => Finding::NotGenuine {
                code: other.code().to_owned(),
                reason: other.to_string(),
            },
        };
    }
    match revocations
        .iter()
        .map(SignedRevocation::unverified)
        .filter(|revocation| revocation.withdraws(grant) || may_have_been_held(revocation, grant))
        .map(|revocation| revocation.issued_at)
        .min()
    {
        Some(at) => Finding::Revoked { at: Some(at) },
        None => match (age_rule, &grant.signers) {
            (CachedAgeRule::Unknown, _) => Finding::AgeUnknown,
            (CachedAgeRule::GuardianNeeded { .. }, signers) if !signers.has_guardian() => {
                Finding::GuardianMissing
            }
            (CachedAgeRule::DecidesAlone { .. }, GrantSigners::Guardian { .. }) => {
                Finding::StudentMustConfirm
            }
            _ => Finding::Valid,
        },
    }
}

/// Whether `grant` may be one the server already held when `revocation`
/// ("withdraw all") arrived, which the server withdraws whatever the grant's
/// date. Offline that is not known; a grant dated no more than the allowed
/// clock skew after the cut-off may be such a grant from a fast clock, so it
/// counts as withdrawn: offline, a doubt denies.
fn may_have_been_held(revocation: &Revocation, grant: &Grant) -> bool {
    match revocation.scope {
        RevocationScope::AllIssuedUpTo(moment) => {
            revocation.school == grant.school
                && revocation.subject == grant.subject
                && grant.issued_at
                    <= moment
                        .min(revocation.issued_at)
                        .plus_seconds(MAX_CLOCK_SKEW_SECONDS)
        }
        RevocationScope::Token(_) => false,
    }
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
            let finding = if is_enrollment_code(&text) {
                Finding::EnrollmentCode
            } else if error.unreadable() {
                Finding::Unreadable {
                    code: error.code(),
                    reason: error.to_string(),
                }
            } else {
                Finding::NotGenuine {
                    code: error.code().to_owned(),
                    reason: error.to_string(),
                }
            };
            report_scan(ctx, None, &finding, None, AgeRule::Unknown, None)?;
            return Ok(Done::NotAllowed);
        }
    };
    if !args.offline {
        return scan_online(ctx, &token, args.max_age).await;
    }
    let now = clock::now();
    let cache = Cache::load(&ctx.paths)?
        .context("there is no offline cache yet: run `consent sync` while online (before the trip)")?;
    let cached_age_rule = cache.age_rule(token.unverified().subject, now)?;
    let mut finding = judge(
        &token,
        &cache.keyring()?,
        &cache.revocations(),
        cached_age_rule,
        cache.school,
        now,
    );
    if let Finding::NotGenuine { code, reason } = &mut finding {
        if code == "unknown_key" {
            reason.push_str(" (or by a device enrolled after the last `consent sync`)");
        }
    }
    let age = cache.age_seconds(now);
    let stale = age > args.max_age;
    let freshness = Freshness {
        source: "offline",
        fresh_at: cache.fresh_at(),
        age_seconds: age,
        max_age_seconds: args.max_age,
        stale,
    };
    report_scan(
        ctx,
        Some(&token),
        &finding,
        None,
        AgeRule::Offline(cached_age_rule),
        Some(&freshness),
    )?;
    Ok(if finding == Finding::Valid && !stale {
        Done::Ok
    } else {
        Done::NotAllowed
    })
}

fn unreachable_usage() -> Result<String> {
    Err(super::UsageError("give the code's text, or --photo FILE".into()).into())
}

const ASKING: &str = "checking with the server (use --offline to use the cache from `consent sync`)";

/// Whether a scanned code's consent stands, as the server says.
#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum ServerStanding {
    Valid,
    Revoked,
    Expired,
    DeviceLost,
    StudentMustConfirm,
}

#[derive(Deserialize)]
struct ScannedPerson {
    display_name: Option<String>,
}

/// The server's answer to `POST /v1/scans`.
#[derive(Deserialize)]
struct ServerScan {
    genuine: bool,
    #[serde(default)]
    error: Option<String>,
    grant: Grant,
    person: ScannedPerson,
    standing: ServerStanding,
    guardian_required: bool,
    guardian_signed: bool,
    allowed_media: Vec<MediaKind>,
    allowed_purposes: Vec<Purpose>,
}

/// An online scan: the server judges the code with everything it knows,
/// the age rule included, and records nothing.
async fn scan_online(ctx: &Ctx, token: &SignedGrant, max_age: u64) -> Result<Done> {
    let client = ctx.client()?;
    let grant = token.unverified();
    let answer: Result<ServerScan> = client
        .call(
            Method::POST,
            "/v1/scans",
            Auth::Staff,
            &json!({"token": token.to_text()}),
        )
        .await;
    let (finding, name, age_rule) = match answer {
        Ok(scan) => {
            anyhow::ensure!(
                scan.grant == *grant,
                "the server answered about another code than the one scanned; do not rely on this scan"
            );
            let age_rule = AgeRule::Checked {
                required: scan.guardian_required,
            };
            (online_finding(&scan), scan.person.display_name, age_rule)
        }
        Err(error) => {
            let refused = error
                .downcast_ref::<ApiProblem>()
                .and_then(|problem| refused_scan(problem, grant));
            match refused {
                Some(finding) => (finding, None, AgeRule::Unknown),
                None => return Err(error.context(ASKING)),
            }
        }
    };
    let freshness = Freshness {
        source: "online",
        fresh_at: clock::now(),
        age_seconds: 0,
        max_age_seconds: max_age,
        stale: false,
    };
    report_scan(
        ctx,
        Some(token),
        &finding,
        name.as_deref(),
        age_rule,
        Some(&freshness),
    )?;
    Ok(if finding == Finding::Valid {
        Done::Ok
    } else {
        Done::NotAllowed
    })
}

/// What the server's answer means, judged as strictly as [`judge`]: valid
/// only when genuine, standing, co-signed where the age rule asks it, and
/// allowing something.
fn online_finding(scan: &ServerScan) -> Finding {
    // A device cut off as lost makes its signatures unverifiable; say that,
    // not "not genuine".
    match scan.standing {
        ServerStanding::DeviceLost => return Finding::DeviceLost,
        ServerStanding::StudentMustConfirm => return Finding::StudentMustConfirm,
        _ => {}
    }
    let error = scan.error.as_deref();
    if let Some(window) = error.and_then(window_error).filter(|_| scan.genuine) {
        return Finding::OutOfWindow {
            code: window.code(),
            reason: window.to_string(),
        };
    }
    if !scan.genuine || error.is_some() {
        let code = error.unwrap_or("not_genuine").to_owned();
        return Finding::NotGenuine {
            reason: verification_reason(&code),
            code,
        };
    }
    match scan.standing {
        ServerStanding::Revoked => Finding::Revoked { at: None },
        ServerStanding::Expired => Finding::OutOfWindow {
            code: ProtocolError::Expired.code(),
            reason: ProtocolError::Expired.to_string(),
        },
        ServerStanding::Valid if scan.guardian_required && !scan.guardian_signed => Finding::GuardianMissing,
        ServerStanding::Valid if scan.allowed_media.is_empty() || scan.allowed_purposes.is_empty() => {
            Finding::Withheld
        }
        ServerStanding::Valid => Finding::Valid,
        ServerStanding::DeviceLost => Finding::DeviceLost,
        ServerStanding::StudentMustConfirm => Finding::StudentMustConfirm,
    }
}

/// The validity-window error a code names, if it names one.
fn window_error(code: &str) -> Option<ProtocolError> {
    Some(match code {
        "expired" => ProtocolError::Expired,
        "not_yet_valid" => ProtocolError::NotYetValid,
        "issued_in_future" => ProtocolError::IssuedInFuture,
        _ => return None,
    })
}

/// Why a code failed verification, in the protocol's words where it can.
fn verification_reason(code: &str) -> String {
    let error = match code {
        "bad_signature" => ProtocolError::BadSignature,
        "unknown_key" => ProtocolError::UnknownKey,
        "revoked_key" => ProtocolError::RevokedKey,
        "malleable_signature" => ProtocolError::MalleableSignature,
        "bad_public_key" => ProtocolError::BadPublicKey,
        "weak_key" => ProtocolError::WeakKey,
        "signer_not_authorized" => {
            return "the code was signed by a key that may not sign for this person".to_owned()
        }
        other => return format!("the code does not verify ({other})"),
    };
    error.to_string()
}

/// A refusal that is itself the answer about the code.
fn refused_scan(problem: &ApiProblem, grant: &Grant) -> Option<Finding> {
    Some(match (problem.status, problem.code.as_str()) {
        (400, "other_school") => Finding::OtherSchool(grant.school),
        (400, "unknown_person") => Finding::NotGenuine {
            code: problem.code.clone(),
            reason: "the code names a person this school does not know".to_owned(),
        },
        (422, code) => Finding::NotGenuine {
            code: code.to_owned(),
            reason: format!("the server refused the code: {}", problem.detail),
        },
        _ => return None,
    })
}

/// What a scan knows about the age rule (a guardian must sign for a person
/// under the school's age of digital consent).
#[derive(Clone, Copy)]
enum AgeRule {
    /// The server checked it: whether a guardian's signature is required.
    Checked { required: bool },
    /// Offline: what the cache's signed guardian dates say.
    Offline(CachedAgeRule),
    /// The scan did not get that far.
    Unknown,
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
    age_rule: AgeRule,
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
        Finding::Revoked { at: Some(at) } => format!("the consent was withdrawn on {at}"),
        Finding::Revoked { at: None } => "the consent was withdrawn".to_owned(),
        Finding::GuardianMissing => "needs a parent's co-signature: the person is under the school's age of \
             digital consent (or their birth date is unknown) and no guardian signed this code"
            .to_owned(),
        Finding::DeviceLost => output::DEVICE_LOST.to_owned(),
        Finding::StudentMustConfirm => output::STUDENT_MUST_CONFIRM.to_owned(),
        Finding::AgeUnknown => "the offline cache does not say whether this person needs a parent's \
             signature (they were added after the last `consent sync`, or the cache is from an older client)"
            .to_owned(),
        Finding::Withheld => {
            "the server allows nothing under this code now (the person's record may have been erased)"
                .to_owned()
        }
        Finding::Unreadable { reason, .. } => {
            format!(
                "could not read the code, scan it again (hold it steady, closer, in good light): {reason}"
            )
        }
        Finding::EnrollmentCode => "this is an enrollment code, which enrolls a person's phone or computer \
             once (`consent enroll`); it says nothing about consent: ask the person to show their consent \
             code (`consent show`)"
            .to_owned(),
    };
    let grant = token.map(SignedGrant::unverified);
    let next = match (finding, grant) {
        (Finding::GuardianMissing, Some(grant)) => Some(format!(
            "a parent gives this consent with `consent grant --child {} --media {} --purpose {}`, \
             or co-signs the child's own (`consent grant ... --guardian-key` then `consent cosign`); \
             then scan the new code",
            grant.subject,
            grant
                .media
                .iter()
                .map(|m| m.to_string())
                .collect::<Vec<_>>()
                .join(","),
            grant
                .purposes
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join(","),
        )),
        (Finding::DeviceLost, Some(_)) => {
            Some("the person gives consent again from their new phone; then scan the new code".to_owned())
        }
        (Finding::StudentMustConfirm, Some(grant)) => Some(format!(
            "the student gives consent on their own phone with `consent grant --media {} --purpose {}`; \
             then scan the new code",
            grant
                .media
                .iter()
                .map(|m| m.to_string())
                .collect::<Vec<_>>()
                .join(","),
            grant
                .purposes
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join(","),
        )),
        (Finding::AgeUnknown, _) => Some("scan online, or run `consent sync` and scan again".to_owned()),
        _ => None,
    };
    let guardian_required = match age_rule {
        AgeRule::Checked { required } => Some(required),
        AgeRule::Offline(CachedAgeRule::GuardianNeeded { .. }) => Some(true),
        AgeRule::Offline(CachedAgeRule::DecidesAlone { .. }) => Some(false),
        AgeRule::Offline(CachedAgeRule::Unknown) | AgeRule::Unknown => None,
    };
    if ctx.json() {
        return output::json(&json!({
            "valid": valid,
            "genuine": finding.genuine(),
            "status": if stale && *finding == Finding::Valid { "cache_too_old" } else { finding.code() },
            "reason": reason,
            "error": match finding {
                Finding::Unreadable { code, .. } => Some(*code),
                Finding::NotGenuine { code, .. } => Some(code.as_str()),
                _ => None,
            },
            "next": next,
            "token_id": grant.map(|g| g.token_id),
            "person": grant.map(|g| g.subject),
            "display_name": name,
            "media": grant.map(|g| g.media),
            "purposes": grant.map(|g| g.purposes),
            "not_before": grant.map(|g| g.not_before),
            "not_after": grant.map(|g| g.not_after),
            "signers": grant.map(|g| g.signers),
            "guardian_required": guardian_required,
            "guardian_signed": grant.map(|g| g.signers.has_guardian()),
            "revocation_data": freshness,
        }));
    }
    let verdict = match (valid, finding.genuine(), stale) {
        (true, _, _) => "VALID",
        // Whether a lost device's signature is the person's or a finder's
        // cannot be told: not valid, which is all that is known.
        (false, false, _) if *finding == Finding::DeviceLost => "NOT VALID",
        (false, true, true) if *finding == Finding::Valid => "NOT CONFIRMED",
        (false, true, _) => "NOT VALID",
        (false, _, _) if matches!(finding, Finding::Unreadable { .. }) => "UNREADABLE",
        (false, _, _) if *finding == Finding::EnrollmentCode => "NOT A CONSENT CODE",
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
        let signed = grant.signers.has_guardian();
        let rule = match age_rule {
            AgeRule::Checked { required: false } => Some("old enough to consent alone".to_owned()),
            AgeRule::Checked { required: true } if signed => {
                Some("under the age of digital consent; a guardian signed".to_owned())
            }
            AgeRule::Checked { required: true } => {
                Some("under the age of digital consent; no guardian signed".to_owned())
            }
            AgeRule::Offline(CachedAgeRule::GuardianNeeded { until }) if signed => Some(format!(
                "a guardian must sign until {}; a guardian signed",
                until.to_datetime().date()
            )),
            AgeRule::Offline(CachedAgeRule::GuardianNeeded { until }) => Some(format!(
                "a guardian must sign until {}; no guardian signed",
                until.to_datetime().date()
            )),
            AgeRule::Offline(CachedAgeRule::DecidesAlone { .. }) => {
                Some("old enough to consent alone".to_owned())
            }
            AgeRule::Offline(CachedAgeRule::Unknown) => Some("not in the offline cache".to_owned()),
            AgeRule::Unknown => None,
        };
        if let Some(rule) = rule {
            println!("  age rule:  {rule}");
        }
        println!("  token:     {}", grant.token_id);
    }
    if let Some(next) = next {
        println!("  next:      {next}");
    }
    if let Some(freshness) = freshness {
        let age = human_duration(freshness.age_seconds);
        if freshness.source == "online" {
            println!(
                "  revocation data: checked with the server just now ({})",
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

/// The SHA-256 of a media file and, for a photo that consent-media reads
/// (JPEG, PNG, WebP), its perceptual hash, by which the media audit finds
/// the photo again after the website resized or recompressed it. Anything
/// else (a video, a recording, a HEIC photo) is checked by its SHA-256
/// alone, streamed so that a video of gigabytes is never held in memory.
fn hash_media(path: &Path, media: MediaKind) -> Result<(String, Option<PerceptualHash>)> {
    if media == MediaKind::Photo {
        match consent_media::fingerprint_file(path) {
            Ok(fingerprint) => return Ok((hex::encode(fingerprint.sha256), Some(fingerprint.perceptual))),
            Err(
                problem
                @ (PictureError::Heic | PictureError::TooManyPixels { .. } | PictureError::Damaged(_)),
            ) => {
                eprintln!(
                    "note: {}: {problem}; only its SHA-256 is sent, so `consent audit media` will find only exact copies of it",
                    path.display()
                );
            }
            Err(_) => {}
        }
    }
    Ok((hash_file(path)?, None))
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
    let media = args.media.unwrap_or_else(|| media_from_extension(&args.file));
    let (media_hash, media_phash) = hash_media(&args.file, media)?;
    let mut tokens = args.code;
    for photo in &args.code_photo {
        tokens.push(read_code_photo(photo)?);
    }
    let client = ctx.client()?;
    let mut question = json!({
        "media_hash": media_hash,
        "media_kind": media.name(),
        "purpose": args.purpose.to_string(),
        "people": args.person,
        "tokens": tokens,
        "groups": args.group,
    });
    if let Some(phash) = media_phash {
        question["media_phash"] = json!(phash);
    }
    let answer: CheckAnswer = client
        .call(Method::POST, "/v1/checks", Auth::Staff, &question)
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
            // Only a channel for the purpose checked takes this receipt.
            let channels: Vec<String> = super::admin::channel_list(&client)
                .await?
                .into_iter()
                .filter(|channel| channel.purpose == args.purpose.to_string())
                .map(|channel| channel.name)
                .collect();
            match channels.as_slice() {
                [] => println!(
                    "The school has no channel for {}: an administrator adds one with \
                     `consent channels set NAME --purpose {}`.",
                    args.purpose, args.purpose
                ),
                [only] => println!(
                    "Next: consent publish --receipt {} --channel {only}",
                    answer.receipt_id
                ),
                [first, ..] => println!(
                    "Next: consent publish --receipt {} --channel {first}   (channels for {}: {})",
                    answer.receipt_id,
                    args.purpose,
                    channels.join(", ")
                ),
            }
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

#[derive(Deserialize)]
struct PersonName {
    display_name: Option<String>,
}

/// The verdicts of a refused publication, each with the person's name
/// (looked up by id; a name that cannot be looked up is left out).
async fn named(client: &Client, verdicts: &[serde_json::Value]) -> Vec<NamedVerdict> {
    let mut named = Vec::with_capacity(verdicts.len());
    for verdict in verdicts {
        let Ok(verdict) = serde_json::from_value::<consent_protocol::Verdict>(verdict.clone()) else {
            continue;
        };
        let person: Option<PersonName> = client
            .get(&format!("/v1/people/{}", verdict.subject), &[], Auth::Staff)
            .await
            .ok();
        named.push(NamedVerdict {
            person: verdict.subject,
            display_name: person.and_then(|person| person.display_name),
            outcome: verdict.outcome,
            token: verdict.token.map(|token| token.to_string()),
        });
    }
    named
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
            if let Some(problem) = error
                .downcast_ref::<ApiProblem>()
                .filter(|p| p.code == "channel_not_covered")
            {
                if ctx.json() {
                    output::json(
                        &json!({"published": false, "code": problem.code, "detail": problem.detail}),
                    )?;
                } else {
                    println!("NOT RECORDED: {}.", problem.detail);
                }
                return Ok(Done::NotAllowed);
            }
            let Some(problem) = error
                .downcast_ref::<ApiProblem>()
                .filter(|p| p.code == "consent_missing")
            else {
                return Err(error.context("recording the publication"));
            };
            let verdicts = named(&client, &problem.verdicts).await;
            if ctx.json() {
                output::json(&json!({"published": false, "code": problem.code, "verdicts": verdicts}))?;
            } else {
                let refused = verdicts
                    .iter()
                    .filter(|verdict| verdict.outcome != Outcome::Allowed)
                    .count();
                println!(
                    "NOT RECORDED: {refused} of {} people in it may not appear (why, per person, below). \
                     Do not publish it as it is.",
                    verdicts.len()
                );
                print_verdicts(&verdicts);
                println!(
                    "Leave out or blur the people who may not appear, check again, and publish with the new receipt."
                );
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
    const OLD_ENOUGH: CachedAgeRule = CachedAgeRule::DecidesAlone {
        since: Timestamp::from_unix(0),
    };

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
        assert_eq!(
            judge(&token(&key), &keyring(), &[], OLD_ENOUGH, SCHOOL, NOW),
            Finding::Valid
        );
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
                judge(&token, &keyring(), &[revocation], OLD_ENOUGH, SCHOOL, NOW),
                Finding::Revoked {
                    at: Some(NOW.plus_seconds(10))
                }
            );
        }
        assert_eq!(
            judge(&token, &keyring(), &[other], OLD_ENOUGH, SCHOOL, NOW),
            Finding::Valid
        );
    }

    #[test]
    fn an_expired_code_is_genuine_but_not_valid() {
        let (key, _) = student();
        let finding = judge(
            &token(&key),
            &keyring(),
            &[],
            OLD_ENOUGH,
            SCHOOL,
            NOW.plus_seconds(2000),
        );
        assert!(
            matches!(finding, Finding::OutOfWindow { code: "expired", .. }),
            "{finding:?}"
        );
        assert!(finding.genuine());
    }

    #[test]
    fn a_code_signed_by_an_unknown_or_other_key_is_not_genuine() {
        let (key, _) = student();
        let finding = judge(&token(&key), &Keyring::new(), &[], OLD_ENOUGH, SCHOOL, NOW);
        assert!(
            matches!(&finding, Finding::NotGenuine { code, .. } if code == "unknown_key"),
            "{finding:?}"
        );
        // A classmate signing for the student.
        let classmate = SigningKey::from_bytes(&[5; 32]);
        let mut keys = keyring();
        keys.add(
            PublicKey::of(&classmate),
            KeyHolder::Person(SubjectId::from_bytes([6; 16])),
        );
        let finding = judge(&token(&classmate), &keys, &[], OLD_ENOUGH, SCHOOL, NOW);
        assert!(
            matches!(&finding, Finding::NotGenuine { code, .. } if code == "signer_not_authorized"),
            "{finding:?}"
        );
        assert!(!finding.genuine());
    }

    #[test]
    fn offline_a_withdraw_all_covers_a_code_dated_ahead_by_a_fast_clock() {
        let (key, _) = student();
        let mut ahead = token(&key).unverified().clone();
        ahead.issued_at = NOW.plus_seconds(200);
        let ahead = SignedGrant::sign(ahead, &[&key]).expect("signs");
        let all = revocation(RevocationScope::AllIssuedUpTo(NOW));
        assert!(matches!(
            judge(
                &ahead,
                &keyring(),
                std::slice::from_ref(&all),
                OLD_ENOUGH,
                SCHOOL,
                NOW
            ),
            Finding::Revoked { .. }
        ));
        let mut later = token(&key).unverified().clone();
        later.issued_at = NOW.plus_seconds(10 + MAX_CLOCK_SKEW_SECONDS + 1);
        later.not_before = NOW;
        let later = SignedGrant::sign(later, &[&key]).expect("signs");
        assert_eq!(
            judge(
                &later,
                &keyring(),
                &[all],
                OLD_ENOUGH,
                SCHOOL,
                NOW.plus_seconds(400)
            ),
            Finding::Valid
        );
    }

    #[test]
    fn a_code_signed_on_a_lost_device_says_so_online_and_offline() {
        let (key, person) = student();
        let mut keys = Keyring::new();
        let id = keys.add(PublicKey::of(&key), KeyHolder::Person(person));
        keys.revoke(id);
        let finding = judge(&token(&key), &keys, &[], OLD_ENOUGH, SCHOOL, NOW);
        assert_eq!(finding, Finding::DeviceLost);
        assert_eq!(finding.code(), "device_lost");
        let mut online = server_scan(ServerStanding::DeviceLost, false, false);
        online.genuine = false;
        online.error = Some("revoked_key".into());
        assert_eq!(online_finding(&online), Finding::DeviceLost);
        assert_eq!(
            online_finding(&server_scan(ServerStanding::StudentMustConfirm, false, false)),
            Finding::StudentMustConfirm
        );
    }

    #[test]
    fn a_code_for_another_school_is_said_to_be_so() {
        let (key, _) = student();
        assert_eq!(
            judge(&token(&key), &keyring(), &[], OLD_ENOUGH, SchoolId(2), NOW),
            Finding::OtherSchool(SCHOOL)
        );
    }

    #[test]
    fn offline_the_cached_age_rule_decides_as_the_server_would() {
        let (key, person) = student();
        let parent = SigningKey::from_bytes(&[5; 32]);
        let parent_id = SubjectId::from_bytes([6; 16]);
        let mut keys = keyring();
        keys.add(PublicKey::of(&parent), KeyHolder::Person(parent_id));
        keys.add_guardianship(parent_id, person);
        let own = token(&key);
        let mut by_parent = token(&key).unverified().clone();
        by_parent.signers = GrantSigners::Guardian {
            key: PublicKey::of(&parent).id(),
        };
        let by_parent = SignedGrant::sign(by_parent, &[&parent]).expect("signs");
        let young = CachedAgeRule::GuardianNeeded {
            until: NOW.plus_seconds(86_400),
        };
        let judged = |token: &SignedGrant, rule| judge(token, &keys, &[], rule, SCHOOL, NOW);
        assert_eq!(judged(&own, young), Finding::GuardianMissing);
        assert_eq!(judged(&by_parent, young), Finding::Valid);
        assert_eq!(judged(&own, OLD_ENOUGH), Finding::Valid);
        assert_eq!(judged(&by_parent, OLD_ENOUGH), Finding::StudentMustConfirm);
        assert_eq!(judged(&own, CachedAgeRule::Unknown), Finding::AgeUnknown);
        assert!(Finding::StudentMustConfirm.genuine() && Finding::AgeUnknown.genuine());
    }

    fn server_scan(standing: ServerStanding, required: bool, signed: bool) -> ServerScan {
        let (key, _) = student();
        ServerScan {
            genuine: true,
            error: None,
            grant: token(&key).unverified().clone(),
            person: ScannedPerson { display_name: None },
            standing,
            guardian_required: required,
            guardian_signed: signed,
            allowed_media: if required && !signed {
                vec![]
            } else {
                vec![MediaKind::Photo]
            },
            allowed_purposes: if required && !signed {
                vec![]
            } else {
                vec![Purpose::WEBSITE]
            },
        }
    }

    #[test]
    fn online_a_young_childs_code_without_a_guardian_is_not_valid() {
        assert_eq!(
            online_finding(&server_scan(ServerStanding::Valid, true, false)),
            Finding::GuardianMissing
        );
        assert_eq!(
            online_finding(&server_scan(ServerStanding::Valid, true, true)),
            Finding::Valid
        );
        assert_eq!(
            online_finding(&server_scan(ServerStanding::Valid, false, false)),
            Finding::Valid
        );
        assert!(Finding::GuardianMissing.genuine());
    }

    #[test]
    fn online_the_servers_answer_is_read_strictly() {
        assert_eq!(
            online_finding(&server_scan(ServerStanding::Revoked, false, false)),
            Finding::Revoked { at: None }
        );
        let mut forged = server_scan(ServerStanding::Revoked, false, false);
        forged.genuine = false;
        forged.error = Some("bad_signature".into());
        assert!(
            matches!(&online_finding(&forged), Finding::NotGenuine { code, .. } if code == "bad_signature"),
        );
        let mut expired = server_scan(ServerStanding::Expired, false, false);
        expired.error = Some("expired".into());
        assert!(matches!(
            online_finding(&expired),
            Finding::OutOfWindow { code: "expired", .. }
        ));
        let mut erased = server_scan(ServerStanding::Valid, false, false);
        erased.allowed_media.clear();
        erased.allowed_purposes.clear();
        assert_eq!(online_finding(&erased), Finding::Withheld);
    }
}
