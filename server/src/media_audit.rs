//! The media audit's judgement: which check a published file is, and what
//! that says now. Plain functions over plain data, tested without HTTP or a
//! database, beside [`crate::policy`] (which judges the people in it).
//!
//! A file is matched only among its own school's checks: by SHA-256 first
//! (the very file that was checked); else by the perceptual hash, to the
//! check whose picture is nearest, since websites resize and recompress
//! every upload. [`CERTAIN_DISTANCE`] and [`UNCERTAIN_DISTANCE`] come from
//! `consent-media`, whose robustness run (`BENCHMARKS.md`) chose them.
//!
//! Every school's checked pictures are compared in memory, one popcount per
//! pair: a school checks thousands of pictures in its retention period, not
//! millions, so an audit of 500 files is a few million comparisons of 32
//! bytes, milliseconds of work. Were that to grow a hundredfold, an index
//! would replace it: the 256 bits split into blocks stored beside each
//! receipt, since two hashes within distance d agree exactly on at least
//! one of d + 1 blocks (multi-index hashing), or a BK-tree kept in memory.

use std::str::FromStr;

use consent_media::{Likeness, PerceptualHash};
use consent_protocol::Hash256;
use serde::Serialize;
use utoipa::ToSchema;

pub use consent_media::{CERTAIN_DISTANCE, UNCERTAIN_DISTANCE};

use crate::store::CheckedPicture;

/// The most files one audit request may hold.
pub const MAX_FILES: usize = 500;

/// What an audit found about one published file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Finding {
    /// It was checked, everyone in it was allowed, and everyone's consent
    /// still stands.
    ConsentHolds,
    /// It was checked and everyone was allowed, but someone's consent no
    /// longer stands (withdrawn, expired, signed on a lost device, ...).
    ConsentWithdrawn,
    /// It was checked, and the check did not allow everyone in it; yet it
    /// is online.
    RefusedAtCheck,
    /// No check of this picture was found: it was published without one.
    NeverChecked,
    /// A check of a picture that is perhaps this one: a person should look.
    Uncertain,
}

impl Finding {
    /// Every finding, in the order a summary counts them.
    pub const ALL: [Finding; 5] = [
        Finding::ConsentHolds,
        Finding::ConsentWithdrawn,
        Finding::RefusedAtCheck,
        Finding::NeverChecked,
        Finding::Uncertain,
    ];

    /// Its stable code, as the API writes it.
    pub fn code(self) -> &'static str {
        match self {
            Finding::ConsentHolds => "consent_holds",
            Finding::ConsentWithdrawn => "consent_withdrawn",
            Finding::RefusedAtCheck => "refused_at_check",
            Finding::NeverChecked => "never_checked",
            Finding::Uncertain => "uncertain",
        }
    }
}

/// A text that names no finding.
#[derive(Debug, thiserror::Error)]
#[error("a finding is one of consent_holds, consent_withdrawn, refused_at_check, never_checked, uncertain")]
pub struct UnknownFinding;

impl FromStr for Finding {
    type Err = UnknownFinding;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Finding::ALL
            .into_iter()
            .find(|finding| finding.code() == text)
            .ok_or(UnknownFinding)
    }
}

/// A published file as the client hashed it: only hashes reach the server,
/// never the picture.
#[derive(Clone, Copy, Debug)]
pub struct PublishedFile {
    /// The SHA-256 of the file's bytes.
    pub sha256: Hash256,
    /// The perceptual hash of the picture it shows, when the client could
    /// read it as a picture.
    pub phash: Option<PerceptualHash>,
}

/// How a file resembles the checks nearest to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resemblance {
    /// The very file that was checked.
    Exact,
    /// The checked picture, resized, recompressed or lightly edited.
    Perceptual {
        /// Bits in which the perceptual hashes differ.
        distance: u32,
    },
    /// Perhaps the checked picture: a person should look.
    Uncertain {
        /// Bits in which the perceptual hashes differ.
        distance: u32,
    },
}

impl Resemblance {
    /// The perceptual distance: 0 for the very file.
    pub fn distance(self) -> u32 {
        match self {
            Resemblance::Exact => 0,
            Resemblance::Perceptual { distance } | Resemblance::Uncertain { distance } => distance,
        }
    }

    /// Whether the file is the checked picture (exactly or perceptually),
    /// rather than only perhaps.
    pub fn is_match(self) -> bool {
        !matches!(self, Resemblance::Uncertain { .. })
    }
}

/// The checks nearest to a file, all equally near.
#[derive(Debug)]
pub struct Nearest<'a> {
    /// How near they are.
    pub resemblance: Resemblance,
    /// Every check that near; never empty.
    pub checks: Vec<&'a CheckedPicture>,
}

/// The checks of `checked` (one school's) nearest to `file`: every check of
/// the same SHA-256; else every check at the smallest perceptual distance,
/// when that is at most [`UNCERTAIN_DISTANCE`]; else none, and the file was
/// never checked. Checks stored without a perceptual hash (from clients that
/// did not send one) are found by SHA-256 only.
pub fn nearest<'a>(file: &PublishedFile, checked: &'a [CheckedPicture]) -> Option<Nearest<'a>> {
    let exact: Vec<&CheckedPicture> = checked
        .iter()
        .filter(|check| check.sha256 == file.sha256)
        .collect();
    if !exact.is_empty() {
        return Some(Nearest {
            resemblance: Resemblance::Exact,
            checks: exact,
        });
    }
    let phash = file.phash?;
    let mut best: Option<(u32, Vec<&CheckedPicture>)> = None;
    for check in checked {
        let Some(theirs) = &check.phash else {
            continue;
        };
        let distance = phash.distance(theirs);
        match &mut best {
            Some((nearest, checks)) if distance == *nearest => checks.push(check),
            Some((nearest, _)) if distance > *nearest => {}
            _ => best = Some((distance, vec![check])),
        }
    }
    let (distance, checks) = best?;
    let resemblance = match Likeness::of(distance) {
        Likeness::Same => Resemblance::Perceptual { distance },
        Likeness::Uncertain => Resemblance::Uncertain { distance },
        Likeness::Different => return None,
    };
    Some(Nearest { resemblance, checks })
}

/// Of equally near checks, the one the audit reports: one that a
/// publication rests on, then one that allowed everyone in it, then the
/// newest (of checks in the same second, the one with the greatest receipt
/// id, so that the answer does not depend on the order rows are read in).
pub fn preferred<'a>(
    checks: &[&'a CheckedPicture],
    allowed_everyone: impl Fn(&CheckedPicture) -> bool,
) -> Option<&'a CheckedPicture> {
    checks.iter().copied().max_by_key(|check| {
        (
            check.published,
            allowed_everyone(check),
            check.checked_at,
            check.receipt,
        )
    })
}

/// The finding for a file whose nearest check resembles it as
/// `resemblance`: uncertain unless it matches; for a match, refused at the
/// check if that check did not allow everyone in it; else withdrawn if
/// anyone's consent no longer stands now; else consent holds.
pub fn finding(
    resemblance: Resemblance,
    allowed_everyone_at_check: bool,
    anyone_no_longer_stands: bool,
) -> Finding {
    if !resemblance.is_match() {
        Finding::Uncertain
    } else if !allowed_everyone_at_check {
        Finding::RefusedAtCheck
    } else if anyone_no_longer_stands {
        Finding::ConsentWithdrawn
    } else {
        Finding::ConsentHolds
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use consent_protocol::ReceiptId;

    fn phash(byte: u8) -> PerceptualHash {
        hex_hash(&[byte; 32])
    }

    fn hex_hash(bytes: &[u8; 32]) -> PerceptualHash {
        bytes
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
            .parse()
            .unwrap()
    }

    /// `base` with its first `bits` bits flipped.
    fn flipped(base: u8, bits: u32) -> PerceptualHash {
        let mut bytes = [base; 32];
        for bit in 0..bits {
            bytes[(bit / 8) as usize] ^= 1 << (bit % 8);
        }
        hex_hash(&bytes)
    }

    fn sha(byte: u8) -> Hash256 {
        Hash256::from_bytes([byte; 32])
    }

    fn check(
        id: u8,
        sha256: u8,
        phash: Option<PerceptualHash>,
        checked_at: i64,
        published: bool,
    ) -> CheckedPicture {
        CheckedPicture {
            receipt: ReceiptId::from_bytes([id; 16]),
            sha256: sha(sha256),
            phash,
            checked_at,
            published,
        }
    }

    #[test]
    fn the_same_file_is_an_exact_match_even_when_a_nearer_hash_exists() {
        let checked = [
            check(1, 7, Some(flipped(0, 30)), 10, false),
            check(2, 8, Some(phash(0)), 10, false),
        ];
        let file = PublishedFile {
            sha256: sha(7),
            phash: Some(phash(0)),
        };
        let nearest = nearest(&file, &checked).unwrap();
        assert_eq!(nearest.resemblance, Resemblance::Exact);
        assert_eq!(nearest.resemblance.distance(), 0);
        assert_eq!(nearest.checks.len(), 1);
        assert_eq!(nearest.checks[0].receipt, checked[0].receipt);
    }

    #[test]
    fn distances_are_judged_by_the_media_crates_thresholds() {
        let file = |bits| PublishedFile {
            sha256: sha(99),
            phash: Some(flipped(0, bits)),
        };
        let checked = [check(1, 1, Some(phash(0)), 10, false)];
        let at = |bits| nearest(&file(bits), &checked).map(|n| n.resemblance);
        assert_eq!(at(0), Some(Resemblance::Perceptual { distance: 0 }));
        assert_eq!(
            at(CERTAIN_DISTANCE),
            Some(Resemblance::Perceptual {
                distance: CERTAIN_DISTANCE
            })
        );
        assert_eq!(
            at(CERTAIN_DISTANCE + 1),
            Some(Resemblance::Uncertain {
                distance: CERTAIN_DISTANCE + 1
            })
        );
        assert_eq!(
            at(UNCERTAIN_DISTANCE),
            Some(Resemblance::Uncertain {
                distance: UNCERTAIN_DISTANCE
            })
        );
        assert_eq!(at(UNCERTAIN_DISTANCE + 1), None);
    }

    #[test]
    fn the_smallest_distance_wins_and_ties_are_all_kept() {
        let checked = [
            check(1, 1, Some(flipped(0, 20)), 10, false),
            check(2, 2, Some(flipped(0, 5)), 10, false),
            check(3, 3, Some(flipped(0, 5)), 11, false),
            check(4, 4, None, 12, false),
        ];
        let file = PublishedFile {
            sha256: sha(99),
            phash: Some(phash(0)),
        };
        let nearest = nearest(&file, &checked).unwrap();
        assert_eq!(nearest.resemblance, Resemblance::Perceptual { distance: 5 });
        let ids: Vec<_> = nearest.checks.iter().map(|c| c.receipt).collect();
        assert_eq!(ids, [checked[1].receipt, checked[2].receipt]);
    }

    #[test]
    fn without_perceptual_hashes_only_the_same_file_matches() {
        let checked = [check(1, 1, None, 10, false)];
        let with_hash = PublishedFile {
            sha256: sha(2),
            phash: Some(phash(0)),
        };
        assert!(nearest(&with_hash, &checked).is_none());
        let checked = [check(1, 1, Some(phash(0)), 10, false)];
        let without_hash = PublishedFile {
            sha256: sha(2),
            phash: None,
        };
        assert!(nearest(&without_hash, &checked).is_none());
        assert!(nearest(&without_hash, &[]).is_none());
    }

    #[test]
    fn ties_prefer_a_published_check_then_one_that_allowed_everyone_then_the_newest() {
        let refused_new = check(1, 1, None, 30, false);
        let allowed_old = check(2, 1, None, 10, false);
        let allowed_new = check(3, 1, None, 20, false);
        let published_refused = check(4, 1, None, 5, true);
        let allowed =
            |c: &CheckedPicture| c.receipt != refused_new.receipt && c.receipt != published_refused.receipt;

        let all = [&refused_new, &allowed_old, &allowed_new, &published_refused];
        assert_eq!(
            preferred(&all, allowed).unwrap().receipt,
            published_refused.receipt
        );
        let unpublished = [&refused_new, &allowed_old, &allowed_new];
        assert_eq!(
            preferred(&unpublished, allowed).unwrap().receipt,
            allowed_new.receipt
        );
        let refused_only = [&refused_new];
        assert_eq!(
            preferred(&refused_only, allowed).unwrap().receipt,
            refused_new.receipt
        );
        assert!(preferred(&[], allowed).is_none());
    }

    #[test]
    fn a_match_is_refused_withdrawn_or_holding_in_that_order() {
        let exact = Resemblance::Exact;
        assert_eq!(finding(exact, false, true), Finding::RefusedAtCheck);
        assert_eq!(finding(exact, false, false), Finding::RefusedAtCheck);
        assert_eq!(finding(exact, true, true), Finding::ConsentWithdrawn);
        assert_eq!(finding(exact, true, false), Finding::ConsentHolds);
        let near = Resemblance::Perceptual { distance: 12 };
        assert_eq!(finding(near, true, false), Finding::ConsentHolds);
        let perhaps = Resemblance::Uncertain { distance: 50 };
        assert_eq!(finding(perhaps, true, false), Finding::Uncertain);
        assert_eq!(finding(perhaps, false, true), Finding::Uncertain);
    }

    #[test]
    fn findings_read_back_from_their_codes() {
        for finding in Finding::ALL {
            assert_eq!(finding.code().parse::<Finding>().ok(), Some(finding));
            assert_eq!(
                serde_json::to_value(finding).unwrap(),
                serde_json::json!(finding.code())
            );
        }
        assert!("Never_checked".parse::<Finding>().is_err());
    }
}
