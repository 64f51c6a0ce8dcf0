//! Consent policy: may this person appear in this recording, for this
//! purpose, now? Plain functions over plain data, tested without HTTP or a
//! database.

use consent_protocol::{
    Error as TokenError, GuardianDate, MediaKind, Outcome, Purpose, SignedGrant, SubjectId, Timestamp,
    TokenId, Verdict,
};
use time::{Date, Month};

use crate::store::StoredRevocation;

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

/// The outcome of one token for one question.
///
/// `verification` is the token's signature and window check against the
/// school's keys at `question.now` (from [`consent_protocol::verify_grants`]).
pub fn token_outcome(
    token: &SignedGrant,
    verification: &Result<(), TokenError>,
    revocations: &[StoredRevocation],
    needs_guardian: bool,
    question: &Question,
) -> Outcome {
    let grant = token.unverified();
    if revocations
        .iter()
        .any(|stored| stored.revocation.withdraws(grant))
    {
        return Outcome::Revoked;
    }
    match verification {
        Ok(()) => {}
        Err(TokenError::Expired) => return Outcome::Expired,
        Err(TokenError::NotYetValid | TokenError::IssuedInFuture) => return Outcome::NotYetValid,
        Err(TokenError::RevokedKey) => return Outcome::Revoked,
        Err(_) => return Outcome::NoConsent,
    }
    if !grant.media.contains(question.media_kind) {
        Outcome::WrongMediaKind
    } else if !grant.purposes.contains(question.purpose) {
        Outcome::WrongPurpose
    } else if needs_guardian && !grant.signers.has_guardian() {
        Outcome::GuardianMissing
    } else {
        Outcome::Allowed
    }
}

/// The verdict on one person: allowed when any of their tokens allows it;
/// otherwise the reason given by their most recently issued token, or no
/// consent when they have none.
///
/// `tokens` are the person's tokens with their verification results.
pub fn verdict(
    person: SubjectId,
    tokens: &[(&SignedGrant, &Result<(), TokenError>)],
    revocations: &[StoredRevocation],
    needs_guardian: bool,
    question: &Question,
) -> Verdict {
    let outcomes: Vec<(Outcome, &SignedGrant)> = tokens
        .iter()
        .map(|(token, verification)| {
            (
                token_outcome(token, verification, revocations, needs_guardian, question),
                *token,
            )
        })
        .collect();
    let chosen = outcomes
        .iter()
        .find(|(outcome, _)| *outcome == Outcome::Allowed)
        .or_else(|| {
            outcomes
                .iter()
                .max_by_key(|(_, token)| (token.unverified().issued_at, token.unverified().token_id))
        });
    match chosen {
        Some((outcome, token)) => Verdict {
            subject: person,
            outcome: *outcome,
            token: Some(token.unverified().token_id),
        },
        None => Verdict {
            subject: person,
            outcome: Outcome::NoConsent,
            token: None,
        },
    }
}

/// Whether the consent a publication relied on still stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum Standing {
    /// The token is neither revoked nor expired.
    Valid,
    /// The token was revoked.
    Revoked {
        /// When the server acknowledged the revocation (Unix seconds).
        since: i64,
    },
    /// The token's validity window has ended.
    Expired {
        /// The token's `not_after` (Unix seconds).
        since: i64,
    },
}

impl Standing {
    /// Whether a publication relying on it must be taken down.
    pub fn needs_takedown(self) -> bool {
        self != Standing::Valid
    }
}

/// The standing now of the token `token_id` among `tokens`. A token the
/// server does not hold counts as revoked from the start.
pub fn standing(
    token_id: TokenId,
    tokens: &[SignedGrant],
    revocations: &[StoredRevocation],
    now: Timestamp,
) -> Standing {
    let Some(token) = tokens
        .iter()
        .find(|token| token.unverified().token_id == token_id)
    else {
        return Standing::Revoked { since: 0 };
    };
    let grant = token.unverified();
    if let Some(revocation) = revocations
        .iter()
        .filter(|stored| stored.revocation.withdraws(grant))
        .min_by_key(|stored| stored.received_at)
    {
        return Standing::Revoked {
            since: revocation.received_at,
        };
    }
    if now > grant.not_after {
        return Standing::Expired {
            since: i64::from(grant.not_after.as_unix()),
        };
    }
    Standing::Valid
}

#[cfg(test)]
mod tests {
    use super::*;
    use consent_protocol::*;

    const NOW: u32 = 1_794_996_000; // 2026-11-18T10:00:00Z

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[9; 32])
    }

    fn token(media: &[MediaKind], purposes: &[Purpose], guardian: bool) -> SignedGrant {
        let student = key();
        let parent = SigningKey::from_bytes(&[10; 32]);
        let signers = if guardian {
            GrantSigners::SubjectAndGuardian {
                subject: PublicKey::of(&student).id(),
                guardian: PublicKey::of(&parent).id(),
            }
        } else {
            GrantSigners::Subject {
                key: PublicKey::of(&student).id(),
            }
        };
        let grant = Grant {
            token_id: TokenId::from_bytes([purposes.len() as u8; 16]),
            school: SchoolId(1),
            subject: SubjectId::from_bytes([1; 16]),
            media: MediaSet::new(media.iter().copied()).expect("non-empty"),
            purposes: PurposeSet::new(purposes.iter().copied()).expect("non-empty"),
            issued_at: Timestamp::from_unix(NOW - 100),
            not_before: Timestamp::from_unix(NOW - 100),
            not_after: Timestamp::from_unix(NOW + 100),
            signers,
        };
        let keys: Vec<&SigningKey> = if guardian {
            vec![&student, &parent]
        } else {
            vec![&student]
        };
        SignedGrant::sign(grant, &keys).expect("keys match")
    }

    fn question(purpose: Purpose) -> Question {
        Question {
            media_kind: MediaKind::Photo,
            purpose,
            now: Timestamp::from_unix(NOW),
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
        assert_eq!(token_outcome(&photo_web, &ok, &[], false, &q), Outcome::Allowed);
        assert_eq!(
            token_outcome(&photo_web, &ok, &[], true, &q),
            Outcome::GuardianMissing
        );
        assert_eq!(
            token_outcome(&photo_web, &ok, &[], false, &question(Purpose::PRESS)),
            Outcome::WrongPurpose
        );
        let video = token(&[MediaKind::Video], &[Purpose::WEBSITE], false);
        assert_eq!(
            token_outcome(&video, &ok, &[], false, &q),
            Outcome::WrongMediaKind
        );
        assert_eq!(
            token_outcome(&photo_web, &Err(TokenError::Expired), &[], false, &q),
            Outcome::Expired
        );
        let cosigned = token(&[MediaKind::Photo], &[Purpose::WEBSITE], true);
        assert_eq!(token_outcome(&cosigned, &ok, &[], true, &q), Outcome::Allowed);
    }

    #[test]
    fn revocation_wins_over_a_valid_token() {
        let photo_web = token(&[MediaKind::Photo], &[Purpose::WEBSITE], false);
        let revocation = StoredRevocation {
            revocation: Revocation {
                id: RevocationId::from_bytes([3; 16]),
                school: SchoolId(1),
                subject: SubjectId::from_bytes([1; 16]),
                scope: RevocationScope::Token(photo_web.unverified().token_id),
                issued_at: Timestamp::from_unix(NOW),
                role: Role::Subject,
                key: PublicKey::of(&key()).id(),
            },
            text: String::new(),
            sequence: 1,
            received_at: i64::from(NOW),
        };
        let revocations = [revocation];
        let q = question(Purpose::WEBSITE);
        assert_eq!(
            token_outcome(&photo_web, &Ok(()), &revocations, false, &q),
            Outcome::Revoked
        );
        let tokens = [photo_web];
        assert_eq!(
            standing(tokens[0].unverified().token_id, &tokens, &revocations, q.now),
            Standing::Revoked {
                since: i64::from(NOW)
            }
        );
    }

    #[test]
    fn any_allowing_token_allows_and_otherwise_the_newest_explains() {
        let person = SubjectId::from_bytes([1; 16]);
        let ok = Ok(());
        let web = token(&[MediaKind::Photo], &[Purpose::WEBSITE], false);
        let yearbook = token(&[MediaKind::Photo], &[Purpose::YEARBOOK, Purpose::PRESS], false);
        let q = question(Purpose::YEARBOOK);
        let verdict_yearbook = verdict(person, &[(&web, &ok), (&yearbook, &ok)], &[], false, &q);
        assert_eq!(verdict_yearbook.outcome, Outcome::Allowed);
        assert_eq!(verdict_yearbook.token, Some(yearbook.unverified().token_id));
        let none = verdict(person, &[], &[], false, &q);
        assert_eq!((none.outcome, none.token), (Outcome::NoConsent, None));
        let internal = verdict(person, &[(&web, &ok)], &[], false, &question(Purpose::INTERNAL));
        assert_eq!(internal.outcome, Outcome::WrongPurpose);
    }
}
