//! Consent policy: may this person appear in this recording, for this
//! purpose, now? Plain functions over plain data, tested without HTTP or a
//! database. A check, a scan, a person's own record and a publication's
//! standing all judge with these functions, so they cannot drift apart.

use std::collections::BTreeMap;

use consent_protocol::{
    Error as TokenError, Grant, GuardianDate, KeyId, MediaKind, Outcome, Purpose, RevocationScope, SubjectId,
    Timestamp, Verdict,
};
use serde::ser::SerializeStruct;
use time::{Date, Month};

use crate::store::{Person, StoredGrant, StoredRevocation};

/// Whether a person needs a guardian's signature: younger than the school's
/// age of digital consent on `today`. An unknown or unreadable birth date
/// counts as young, so that a missing record never skips a parent's consent.
pub fn needs_guardian(birth_date: Option<&str>, digital_consent_age: i64, today: Timestamp) -> bool {
    today < guardian_needed_until(birth_date, digital_consent_age)
}

/// The moment a person stops needing a guardian: the start (00:00 UTC) of
/// the day they reach the school's age of digital consent (a 29 February
/// birthday counts from 1 March in other years). Unknown or unreadable birth
/// dates, and moments past 2106, give [`GuardianDate::ALWAYS`]. This one
/// moment is what offline verifiers carry instead of a birth date.
pub fn guardian_needed_until(birth_date: Option<&str>, digital_consent_age: i64) -> Timestamp {
    let Some(born) = birth_date.and_then(parse_date) else {
        return GuardianDate::ALWAYS;
    };
    let Some(year) = i32::try_from(digital_consent_age)
        .ok()
        .and_then(|age| born.year().checked_add(age))
    else {
        return GuardianDate::ALWAYS;
    };
    let birthday = Date::from_calendar_date(year, born.month(), born.day())
        .or_else(|_| Date::from_calendar_date(year, Month::March, 1));
    match birthday {
        Ok(day) => {
            let seconds = day.midnight().assume_utc().unix_timestamp();
            u32::try_from(seconds.max(0)).map_or(GuardianDate::ALWAYS, Timestamp::from_unix)
        }
        Err(_) => GuardianDate::ALWAYS,
    }
}

/// Parses a `YYYY-MM-DD` date.
pub fn parse_date(text: &str) -> Option<Date> {
    let mut parts = text.splitn(3, '-');
    let year = parts.next()?.parse().ok()?;
    let month = Month::try_from(parts.next()?.parse::<u8>().ok()?).ok()?;
    let day = parts.next()?.parse().ok()?;
    Date::from_calendar_date(year, month, day).ok()
}

/// What the policy needs to know about the person a token is for.
#[derive(Clone, Copy, Debug)]
pub struct Subject {
    /// Their record was erased on request: all their consent is withdrawn.
    pub erased: bool,
    /// When they reach the school's age of digital consent
    /// ([`guardian_needed_until`]; [`GuardianDate::ALWAYS`] when their birth
    /// date is unknown, which counts as young).
    pub guardian_needed_until: Timestamp,
}

impl Subject {
    /// The facts about `person` at a school with this age of digital consent.
    pub fn of(person: &Person, digital_consent_age: i64) -> Self {
        Self {
            erased: person.erased,
            guardian_needed_until: guardian_needed_until(person.birth_date.as_deref(), digital_consent_age),
        }
    }

    /// Whether a guardian must sign for them at `now`.
    pub fn needs_guardian(&self, now: Timestamp) -> bool {
        now < self.guardian_needed_until
    }
}

/// What a check is about.
#[derive(Clone, Copy, Debug)]
pub struct Question {
    /// The kind of recording.
    pub media_kind: MediaKind,
    /// The intended use.
    pub purpose: Purpose,
    /// The moment of the check.
    pub now: Timestamp,
}

/// Whether `revocation` withdraws `grant`.
///
/// By what its signer signed (the token it names, or every token issued up
/// to its cut-off); and a revocation of everything also withdraws every
/// grant the server already held when it arrived, whatever moment the
/// grant's signer put on it: a phone with a fast clock cannot date a grant
/// past "withdraw all".
pub fn withdraws(revocation: &StoredRevocation, grant: &StoredGrant) -> bool {
    let claims = &revocation.revocation;
    let token = grant.token.unverified();
    claims.withdraws(token)
        || (matches!(claims.scope, RevocationScope::AllIssuedUpTo(_))
            && claims.school == token.school
            && claims.subject == token.subject
            && grant.sequence < revocation.sequence)
}

/// Why a token no longer counts for anything, or `None` when it still does:
/// withdrawn (or its person erased), outside its window, signed on a device
/// since cut off, or not verifiable at all.
fn lapse(
    grant: &StoredGrant,
    verification: &Result<(), TokenError>,
    revocations: &[StoredRevocation],
    subject: &Subject,
) -> Option<Outcome> {
    if subject.erased || revocations.iter().any(|stored| withdraws(stored, grant)) {
        return Some(Outcome::Revoked);
    }
    match verification {
        Ok(()) => None,
        Err(TokenError::Expired) => Some(Outcome::Expired),
        Err(TokenError::NotYetValid | TokenError::IssuedInFuture) => Some(Outcome::NotYetValid),
        Err(TokenError::RevokedKey) => Some(Outcome::DeviceLost),
        Err(_) => Some(Outcome::NoConsent),
    }
}

/// Whether the right people signed, for the person's age at `now`: a
/// guardian below the age of digital consent; from that age on the person
/// decides alone, so a guardian's signature alone no longer counts.
fn age_rule(grant: &Grant, subject: &Subject, now: Timestamp) -> Option<Outcome> {
    if subject.needs_guardian(now) {
        (!grant.signers.has_guardian()).then_some(Outcome::GuardianMissing)
    } else {
        (!grant.signers.has_subject()).then_some(Outcome::StudentMustConfirm)
    }
}

/// The outcome of one token for one question.
///
/// `verification` is the token's signature and window check against the
/// school's keys at `question.now` (from [`consent_protocol::verify_grants`]).
pub fn token_outcome(
    grant: &StoredGrant,
    verification: &Result<(), TokenError>,
    revocations: &[StoredRevocation],
    subject: &Subject,
    question: &Question,
) -> Outcome {
    if let Some(lapsed) = lapse(grant, verification, revocations, subject) {
        return lapsed;
    }
    let claims = grant.token.unverified();
    if !claims.media.contains(question.media_kind) {
        Outcome::WrongMediaKind
    } else if !claims.purposes.contains(question.purpose) {
        Outcome::WrongPurpose
    } else {
        age_rule(claims, subject, question.now).unwrap_or(Outcome::Allowed)
    }
}

/// The verdict on one person: allowed when any of their tokens allows it;
/// otherwise the reason given by their most recently issued token (of two
/// issued in the same second, the one the server received last), or no
/// consent when they have none.
///
/// `tokens` are the person's tokens with their verification results.
pub fn verdict(
    person: SubjectId,
    tokens: &[(&StoredGrant, &Result<(), TokenError>)],
    revocations: &[StoredRevocation],
    subject: &Subject,
    question: &Question,
) -> Verdict {
    let outcomes: Vec<(Outcome, &StoredGrant)> = tokens
        .iter()
        .map(|(grant, verification)| {
            (
                token_outcome(grant, verification, revocations, subject, question),
                *grant,
            )
        })
        .collect();
    let chosen = outcomes
        .iter()
        .find(|(outcome, _)| *outcome == Outcome::Allowed)
        .or_else(|| {
            outcomes.iter().max_by_key(|(_, grant)| {
                let claims = grant.token.unverified();
                (claims.issued_at, grant.sequence)
            })
        });
    match chosen {
        Some((outcome, grant)) => Verdict {
            subject: person,
            outcome: *outcome,
            token: Some(grant.token.unverified().token_id),
        },
        None => Verdict {
            subject: person,
            outcome: Outcome::NoConsent,
            token: None,
        },
    }
}

/// Whether consent stands now, and if not, why and since when.
///
/// In JSON: `{"status": "valid"}`, or the outcome's code (`revoked`,
/// `expired`, `device_lost`, `student_must_confirm`, ...) with `since`
/// (Unix seconds) where the moment is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Standing {
    /// `Allowed` while it stands; otherwise why it does not.
    pub outcome: Outcome,
    /// Since when it has not stood: the revocation's arrival, the end of the
    /// window, the device's cut-off, the birthday.
    pub since: Option<i64>,
}

impl Standing {
    /// Whether a publication relying on it must be taken down.
    pub fn needs_takedown(self) -> bool {
        self.outcome != Outcome::Allowed
    }

    /// The status word in JSON: `valid`, or the outcome's code.
    pub fn status(self) -> &'static str {
        match self.outcome {
            Outcome::Allowed => "valid",
            other => other.code(),
        }
    }

    /// The standing `outcome` gives `grant`, with the moment it began.
    pub fn of(
        outcome: Outcome,
        grant: Option<&StoredGrant>,
        revocations: &[StoredRevocation],
        subject: &Subject,
        cut_offs: &BTreeMap<KeyId, i64>,
    ) -> Self {
        let since = grant.and_then(|grant| {
            let claims = grant.token.unverified();
            match outcome {
                Outcome::Revoked => revocations
                    .iter()
                    .filter(|stored| withdraws(stored, grant))
                    .map(|stored| stored.received_at)
                    .min(),
                Outcome::Expired => Some(i64::from(claims.not_after.as_unix())),
                Outcome::DeviceLost => claims
                    .signers
                    .in_order()
                    .iter()
                    .filter_map(|(_, key)| cut_offs.get(key).copied())
                    .min(),
                Outcome::StudentMustConfirm => (subject.guardian_needed_until != GuardianDate::ALWAYS)
                    .then(|| i64::from(subject.guardian_needed_until.as_unix())),
                _ => None,
            }
        });
        Self { outcome, since }
    }
}

impl serde::Serialize for Standing {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut fields = serializer.serialize_struct("Standing", 2)?;
        fields.serialize_field("status", self.status())?;
        match self.since {
            Some(since) => fields.serialize_field("since", &since)?,
            None => fields.skip_field("since")?,
        }
        fields.end()
    }
}

/// A token's standing as its holder sees it: whether it counts now for what
/// it says it allows (the same rules as a check, for the token's own media
/// kinds and purposes).
pub fn token_standing(
    grant: &StoredGrant,
    verification: &Result<(), TokenError>,
    revocations: &[StoredRevocation],
    subject: &Subject,
    cut_offs: &BTreeMap<KeyId, i64>,
    now: Timestamp,
) -> Standing {
    let outcome = lapse(grant, verification, revocations, subject)
        .or_else(|| age_rule(grant.token.unverified(), subject, now))
        .unwrap_or(Outcome::Allowed);
    Standing::of(outcome, Some(grant), revocations, subject, cut_offs)
}

/// Whether a publication's consent for one person stands: exactly the
/// verdict a check for the publication's media kind and purpose gives now,
/// and since when it has not.
pub fn publication_standing(
    verdict: &Verdict,
    tokens: &[(&StoredGrant, &Result<(), TokenError>)],
    revocations: &[StoredRevocation],
    subject: &Subject,
    cut_offs: &BTreeMap<KeyId, i64>,
) -> Standing {
    let grant = tokens
        .iter()
        .map(|(grant, _)| *grant)
        .find(|grant| Some(grant.token.unverified().token_id) == verdict.token);
    Standing::of(verdict.outcome, grant, revocations, subject, cut_offs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use consent_protocol::*;

    const NOW: u32 = 1_794_996_000; // 2026-11-18T10:00:00Z

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[9; 32])
    }

    fn parent() -> SigningKey {
        SigningKey::from_bytes(&[10; 32])
    }

    fn stored(token: SignedGrant, sequence: i64) -> StoredGrant {
        StoredGrant { token, sequence }
    }

    fn signed(
        media: &[MediaKind],
        purposes: &[Purpose],
        signers: GrantSigners,
        issued_at: u32,
    ) -> SignedGrant {
        let grant = Grant {
            token_id: TokenId::from_bytes([(purposes.len() as u8).wrapping_add(issued_at as u8); 16]),
            school: SchoolId(1),
            subject: SubjectId::from_bytes([1; 16]),
            media: MediaSet::new(media.iter().copied()).expect("non-empty"),
            purposes: PurposeSet::new(purposes.iter().copied()).expect("non-empty"),
            issued_at: Timestamp::from_unix(issued_at),
            not_before: Timestamp::from_unix(NOW - 100),
            not_after: Timestamp::from_unix(NOW + 100),
            signers,
        };
        let (student, parent) = (key(), parent());
        let keys: Vec<&SigningKey> = match signers {
            GrantSigners::Subject { .. } => vec![&student],
            GrantSigners::Guardian { .. } => vec![&parent],
            GrantSigners::SubjectAndGuardian { .. } => vec![&student, &parent],
        };
        SignedGrant::sign(grant, &keys).expect("keys match")
    }

    fn by_student() -> GrantSigners {
        GrantSigners::Subject {
            key: PublicKey::of(&key()).id(),
        }
    }

    fn by_parent() -> GrantSigners {
        GrantSigners::Guardian {
            key: PublicKey::of(&parent()).id(),
        }
    }

    fn token(media: &[MediaKind], purposes: &[Purpose], guardian: bool) -> StoredGrant {
        let signers = if guardian {
            GrantSigners::SubjectAndGuardian {
                subject: PublicKey::of(&key()).id(),
                guardian: PublicKey::of(&parent()).id(),
            }
        } else {
            by_student()
        };
        stored(signed(media, purposes, signers, NOW - 100), 1)
    }

    fn young() -> Subject {
        Subject {
            erased: false,
            guardian_needed_until: GuardianDate::ALWAYS,
        }
    }

    fn adult() -> Subject {
        Subject {
            erased: false,
            guardian_needed_until: Timestamp::from_unix(NOW - 1_000),
        }
    }

    fn question(purpose: Purpose) -> Question {
        Question {
            media_kind: MediaKind::Photo,
            purpose,
            now: Timestamp::from_unix(NOW),
        }
    }

    fn revoke_all(up_to: u32, issued_at: u32, sequence: i64) -> StoredRevocation {
        StoredRevocation {
            revocation: Revocation {
                id: RevocationId::from_bytes([3; 16]),
                school: SchoolId(1),
                subject: SubjectId::from_bytes([1; 16]),
                scope: RevocationScope::AllIssuedUpTo(Timestamp::from_unix(up_to)),
                issued_at: Timestamp::from_unix(issued_at),
                role: Role::School,
                key: PublicKey::of(&key()).id(),
            },
            text: String::new(),
            sequence,
            received_at: i64::from(NOW),
        }
    }

    #[test]
    fn sixteen_year_old_decides_alone_fifteen_year_old_does_not() {
        let today = Timestamp::from_unix(NOW);
        assert!(!needs_guardian(Some("2010-11-18"), 16, today));
        assert!(needs_guardian(Some("2010-11-19"), 16, today));
        assert!(!needs_guardian(Some("2013-01-01"), 13, today));
        assert!(needs_guardian(None, 16, today));
        assert!(needs_guardian(Some("not a date"), 16, today));
    }

    #[test]
    fn a_guardian_is_needed_until_the_first_moment_of_the_consent_birthday() {
        // 2026-11-18T00:00:00Z, the 16th birthday of someone born 2010-11-18.
        let birthday = Timestamp::from_unix(1_794_960_000);
        assert_eq!(guardian_needed_until(Some("2010-11-18"), 16), birthday);
        assert!(needs_guardian(
            Some("2010-11-18"),
            16,
            Timestamp::from_unix(birthday.as_unix() - 1)
        ));
        assert!(!needs_guardian(Some("2010-11-18"), 16, birthday));
        // Born on 29 February: 1 March in a year without one, as the age count has it.
        let march = guardian_needed_until(Some("2012-02-29"), 13);
        assert_eq!(march.to_datetime().date().to_string(), "2025-03-01");
        assert!(needs_guardian(
            Some("2012-02-29"),
            13,
            Timestamp::from_unix(march.as_unix() - 1)
        ));
        assert!(!needs_guardian(Some("2012-02-29"), 13, march));
        assert_eq!(guardian_needed_until(None, 16), GuardianDate::ALWAYS);
        assert_eq!(
            guardian_needed_until(Some("2101-01-01"), 16),
            GuardianDate::ALWAYS
        );
    }

    #[test]
    fn each_refusal_names_its_reason() {
        let ok = Ok(());
        let photo_web = token(&[MediaKind::Photo], &[Purpose::WEBSITE], false);
        let q = question(Purpose::WEBSITE);
        assert_eq!(
            token_outcome(&photo_web, &ok, &[], &adult(), &q),
            Outcome::Allowed
        );
        assert_eq!(
            token_outcome(&photo_web, &ok, &[], &young(), &q),
            Outcome::GuardianMissing
        );
        assert_eq!(
            token_outcome(&photo_web, &ok, &[], &adult(), &question(Purpose::PRESS)),
            Outcome::WrongPurpose
        );
        let video = token(&[MediaKind::Video], &[Purpose::WEBSITE], false);
        assert_eq!(
            token_outcome(&video, &ok, &[], &adult(), &q),
            Outcome::WrongMediaKind
        );
        assert_eq!(
            token_outcome(&photo_web, &Err(TokenError::Expired), &[], &adult(), &q),
            Outcome::Expired
        );
        let cosigned = token(&[MediaKind::Photo], &[Purpose::WEBSITE], true);
        assert_eq!(token_outcome(&cosigned, &ok, &[], &young(), &q), Outcome::Allowed);
    }

    #[test]
    fn a_consent_signed_on_a_lost_device_is_void_and_says_so() {
        let photo_web = token(&[MediaKind::Photo], &[Purpose::WEBSITE], false);
        let lost = Err(TokenError::RevokedKey);
        let q = question(Purpose::WEBSITE);
        assert_eq!(
            token_outcome(&photo_web, &lost, &[], &adult(), &q),
            Outcome::DeviceLost
        );
        let cut_offs = BTreeMap::from([(PublicKey::of(&key()).id(), i64::from(NOW - 5))]);
        assert_eq!(
            token_standing(&photo_web, &lost, &[], &adult(), &cut_offs, q.now),
            Standing {
                outcome: Outcome::DeviceLost,
                since: Some(i64::from(NOW - 5))
            }
        );
        // Erasure withdraws, whatever else is true of the token.
        let erased = Subject {
            erased: true,
            ..adult()
        };
        assert_eq!(
            token_outcome(&photo_web, &lost, &[], &erased, &q),
            Outcome::Revoked
        );
    }

    #[test]
    fn a_guardian_alone_stops_counting_on_the_birthday() {
        let ok = Ok(());
        let q = question(Purpose::WEBSITE);
        let by_parent = stored(
            signed(&[MediaKind::Photo], &[Purpose::WEBSITE], by_parent(), NOW - 100),
            1,
        );
        assert_eq!(
            token_outcome(&by_parent, &ok, &[], &young(), &q),
            Outcome::Allowed
        );
        assert_eq!(
            token_outcome(&by_parent, &ok, &[], &adult(), &q),
            Outcome::StudentMustConfirm
        );
        assert_eq!(
            token_standing(&by_parent, &ok, &[], &adult(), &BTreeMap::new(), q.now),
            Standing {
                outcome: Outcome::StudentMustConfirm,
                since: Some(i64::from(NOW - 1_000))
            }
        );
        // Co-signed by the student while younger: it was theirs all along.
        let cosigned = token(&[MediaKind::Photo], &[Purpose::WEBSITE], true);
        assert_eq!(token_outcome(&cosigned, &ok, &[], &adult(), &q), Outcome::Allowed);
    }

    #[test]
    fn revocation_wins_over_a_valid_token() {
        let photo_web = token(&[MediaKind::Photo], &[Purpose::WEBSITE], false);
        let revocation = StoredRevocation {
            revocation: Revocation {
                id: RevocationId::from_bytes([3; 16]),
                school: SchoolId(1),
                subject: SubjectId::from_bytes([1; 16]),
                scope: RevocationScope::Token(photo_web.token.unverified().token_id),
                issued_at: Timestamp::from_unix(NOW),
                role: Role::Subject,
                key: PublicKey::of(&key()).id(),
            },
            text: String::new(),
            sequence: 2,
            received_at: i64::from(NOW),
        };
        let revocations = [revocation];
        let q = question(Purpose::WEBSITE);
        assert_eq!(
            token_outcome(&photo_web, &Ok(()), &revocations, &adult(), &q),
            Outcome::Revoked
        );
        assert_eq!(
            token_standing(
                &photo_web,
                &Ok(()),
                &revocations,
                &adult(),
                &BTreeMap::new(),
                q.now
            ),
            Standing {
                outcome: Outcome::Revoked,
                since: Some(i64::from(NOW))
            }
        );
    }

    #[test]
    fn withdraw_all_covers_every_grant_held_whatever_its_clock_said() {
        let ahead = stored(
            signed(&[MediaKind::Photo], &[Purpose::WEBSITE], by_student(), NOW + 200),
            5,
        );
        // Cut-off now, arrived after the grant: withdrawn although issued "later".
        assert!(withdraws(&revoke_all(NOW, NOW, 6), &ahead));
        // A grant that arrived after the revocation and was issued after its
        // cut-off is new consent.
        assert!(!withdraws(&revoke_all(NOW, NOW, 4), &ahead));
        // One issued before the cut-off is withdrawn whenever it arrives.
        let older = stored(
            signed(&[MediaKind::Photo], &[Purpose::WEBSITE], by_student(), NOW - 100),
            9,
        );
        assert!(withdraws(&revoke_all(NOW, NOW, 4), &older));
        // A cut-off dated past its own making reaches no further than that.
        assert!(!withdraws(&revoke_all(4_102_444_800, NOW, 4), &ahead));
    }

    #[test]
    fn any_allowing_token_allows_and_otherwise_the_newest_explains() {
        let person = SubjectId::from_bytes([1; 16]);
        let ok = Ok(());
        let web = token(&[MediaKind::Photo], &[Purpose::WEBSITE], false);
        let yearbook = token(&[MediaKind::Photo], &[Purpose::YEARBOOK, Purpose::PRESS], false);
        let q = question(Purpose::YEARBOOK);
        let verdict_yearbook = verdict(person, &[(&web, &ok), (&yearbook, &ok)], &[], &adult(), &q);
        assert_eq!(verdict_yearbook.outcome, Outcome::Allowed);
        assert_eq!(verdict_yearbook.token, Some(yearbook.token.unverified().token_id));
        let none = verdict(person, &[], &[], &adult(), &q);
        assert_eq!((none.outcome, none.token), (Outcome::NoConsent, None));
        let internal = verdict(
            person,
            &[(&web, &ok)],
            &[],
            &adult(),
            &question(Purpose::INTERNAL),
        );
        assert_eq!(internal.outcome, Outcome::WrongPurpose);
    }

    #[test]
    fn of_two_refused_tokens_issued_in_one_second_the_one_received_last_explains() {
        let person = SubjectId::from_bytes([1; 16]);
        let ok = Ok(());
        let lost = Err(TokenError::RevokedKey);
        // Given in the same second: the first withdrawn, the second signed
        // on the phone that was then lost. Token ids are random, so only
        // the order of arrival can say which one the person gave last (here
        // the later one has the smaller id).
        let first = stored(
            signed(
                &[MediaKind::Photo],
                &[Purpose::WEBSITE, Purpose::YEARBOOK],
                by_student(),
                NOW - 50,
            ),
            1,
        );
        let second = stored(
            signed(&[MediaKind::Photo], &[Purpose::WEBSITE], by_student(), NOW - 50),
            2,
        );
        assert_ne!(
            first.token.unverified().token_id,
            second.token.unverified().token_id
        );
        let withdrawn = StoredRevocation {
            revocation: Revocation {
                id: RevocationId::from_bytes([3; 16]),
                school: SchoolId(1),
                subject: person,
                scope: RevocationScope::Token(first.token.unverified().token_id),
                issued_at: Timestamp::from_unix(NOW - 40),
                role: Role::Subject,
                key: PublicKey::of(&key()).id(),
            },
            text: String::new(),
            sequence: 3,
            received_at: i64::from(NOW - 40),
        };
        for tokens in [
            [(&first, &ok), (&second, &lost)],
            [(&second, &lost), (&first, &ok)],
        ] {
            let said = verdict(
                person,
                &tokens,
                std::slice::from_ref(&withdrawn),
                &adult(),
                &question(Purpose::WEBSITE),
            );
            assert_eq!(said.outcome, Outcome::DeviceLost);
            assert_eq!(said.token, Some(second.token.unverified().token_id));
        }
    }
}
