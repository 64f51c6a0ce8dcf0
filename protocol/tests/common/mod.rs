//! A small fixed world of people, keys and moments shared by the protocol's tests.
#![allow(dead_code)]

use consent_protocol::*;

/// Moments used throughout: tokens are issued at `ISSUED`, valid from
/// `ISSUED` to `UNTIL`, and checked at `NOW`.
pub const ISSUED: u32 = 1_789_977_600; // 2026-09-21T08:00:00Z
pub const NOW: u32 = 1_794_996_000; // 2026-11-18T10:00:00Z
pub const UNTIL: u32 = 1_817_078_399; // 2027-07-31T23:59:59Z

pub fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

pub fn person(seed: u8) -> SubjectId {
    SubjectId::from_bytes([seed; 16])
}

pub struct World {
    pub school: SchoolId,
    pub student: SubjectId,
    pub student_key: SigningKey,
    pub child: SubjectId,
    pub child_key: SigningKey,
    pub parent: SubjectId,
    pub parent_key: SigningKey,
    pub classmate: SubjectId,
    pub classmate_key: SigningKey,
    pub server_key: SigningKey,
    pub keyring: Keyring,
    pub now: Timestamp,
}

impl World {
    pub fn new() -> Self {
        let world = Self {
            school: SchoolId(7),
            student: person(0x51),
            student_key: key(1),
            child: person(0xc1),
            child_key: key(2),
            parent: person(0x9a),
            parent_key: key(3),
            classmate: person(0x52),
            classmate_key: key(4),
            server_key: key(5),
            keyring: Keyring::new(),
            now: Timestamp::from_unix(NOW),
        };
        let mut keyring = Keyring::new();
        keyring.add(
            PublicKey::of(&world.student_key),
            KeyHolder::Person(world.student),
        );
        keyring.add(PublicKey::of(&world.child_key), KeyHolder::Person(world.child));
        keyring.add(PublicKey::of(&world.parent_key), KeyHolder::Person(world.parent));
        keyring.add(
            PublicKey::of(&world.classmate_key),
            KeyHolder::Person(world.classmate),
        );
        keyring.add(PublicKey::of(&world.server_key), KeyHolder::Server);
        keyring.add_guardianship(world.parent, world.child);
        Self { keyring, ..world }
    }

    /// The student's consent for photos and video on the website and in the yearbook.
    pub fn student_grant(&self) -> Grant {
        Grant {
            token_id: TokenId::from_bytes([0x10; 16]),
            school: self.school,
            subject: self.student,
            media: MediaSet::new([MediaKind::Photo, MediaKind::Video]).expect("non-empty"),
            purposes: PurposeSet::new([Purpose::WEBSITE, Purpose::YEARBOOK]).expect("non-empty"),
            issued_at: Timestamp::from_unix(ISSUED),
            not_before: Timestamp::from_unix(ISSUED),
            not_after: Timestamp::from_unix(UNTIL),
            signers: GrantSigners::Subject {
                key: PublicKey::of(&self.student_key).id(),
            },
        }
    }

    pub fn signed_student_grant(&self) -> SignedGrant {
        SignedGrant::sign(self.student_grant(), &[&self.student_key]).expect("keys match")
    }

    /// The child's consent, signed by the child and co-signed by the parent.
    pub fn child_grant(&self) -> Grant {
        Grant {
            token_id: TokenId::from_bytes([0x20; 16]),
            subject: self.child,
            signers: GrantSigners::SubjectAndGuardian {
                subject: PublicKey::of(&self.child_key).id(),
                guardian: PublicKey::of(&self.parent_key).id(),
            },
            ..self.student_grant()
        }
    }

    pub fn signed_child_grant(&self) -> SignedGrant {
        SignedGrant::sign(self.child_grant(), &[&self.child_key, &self.parent_key]).expect("keys match")
    }

    pub fn student_revocation(&self) -> SignedRevocation {
        let revocation = Revocation {
            id: RevocationId::from_bytes([0x30; 16]),
            school: self.school,
            subject: self.student,
            scope: RevocationScope::Token(TokenId::from_bytes([0x10; 16])),
            issued_at: Timestamp::from_unix(NOW - 60),
            role: Role::Subject,
            key: PublicKey::of(&self.student_key).id(),
        };
        SignedRevocation::sign(revocation, &self.student_key).expect("key matches")
    }

    pub fn receipt(&self) -> SignedReceipt {
        let receipt = Receipt {
            id: ReceiptId::from_bytes([0x40; 16]),
            school: self.school,
            checked_at: self.now,
            media_hash: Hash256::from_bytes([0xee; 32]),
            media_kind: MediaKind::Photo,
            purpose: Purpose::WEBSITE,
            verdicts: vec![
                Verdict {
                    subject: self.student,
                    outcome: Outcome::Allowed,
                    token: Some(TokenId::from_bytes([0x10; 16])),
                },
                Verdict {
                    subject: self.classmate,
                    outcome: Outcome::NoConsent,
                    token: None,
                },
            ],
            key: PublicKey::of(&self.server_key).id(),
        };
        SignedReceipt::sign(receipt, &self.server_key).expect("key matches")
    }

    pub fn log_head(&self) -> SignedLogHead {
        let mut head = genesis_head(self.school);
        for (position, entry) in [b"grant".as_slice(), b"check", b"publication"].iter().enumerate() {
            head = next_head(&head, position as u64 + 1, entry);
        }
        let log_head = LogHead {
            school: self.school,
            size: 3,
            head,
            signed_at: self.now,
            key: PublicKey::of(&self.server_key).id(),
        };
        SignedLogHead::sign(log_head, &self.server_key).expect("key matches")
    }

    /// The student's revocation at log position 4 of the school's log.
    pub fn listed_revocations(&self) -> Vec<ListedRevocation> {
        vec![ListedRevocation {
            sequence: 4,
            revocation: self.student_revocation(),
        }]
    }

    /// The signed page of the school's revocation list holding
    /// [`Self::listed_revocations`], the whole list of a log of 5 entries.
    pub fn revocation_list(&self) -> SignedRevocationList {
        let list = RevocationList::of_entries(
            self.school,
            0,
            5,
            5,
            &self.listed_revocations(),
            self.now,
            PublicKey::of(&self.server_key).id(),
        )
        .expect("the entries fit the page");
        SignedRevocationList::sign(list, &self.server_key).expect("key matches")
    }

    /// When the student and the child stop needing a guardian, in person id order.
    pub fn guardian_dates_entries(&self) -> Vec<GuardianDate> {
        vec![
            GuardianDate {
                person: self.student,
                until: Timestamp::from_unix(0),
            },
            GuardianDate {
                person: self.child,
                until: GuardianDate::ALWAYS,
            },
        ]
    }

    /// The school's signed guardian-dates list of [`Self::guardian_dates_entries`].
    pub fn guardian_dates(&self) -> SignedGuardianDates {
        let list = GuardianDates::of_entries(
            self.school,
            16,
            &self.guardian_dates_entries(),
            self.now,
            PublicKey::of(&self.server_key).id(),
        )
        .expect("the entries are in order");
        SignedGuardianDates::sign(list, &self.server_key).expect("key matches")
    }
}
