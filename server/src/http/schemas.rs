//! How the store's and the protocol's types look in JSON, for the OpenAPI
//! document. The protocol crate stays free of HTTP concerns and the store's
//! types stay plain, so these mirrors describe what their `Serialize` writes;
//! they are never built. `tests/tests/openapi.rs` checks real answers
//! against them, so a mirror that drifts from its type fails a test.

use std::borrow::Cow;

use serde::Serialize;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use crate::media_audit::Finding;

/// Text of lowercase hexadecimal digits: how every id and hash is written.
macro_rules! hex_text {
    ($(#[doc = $doc:literal])+ $name:ident, $digits:literal) => {
        $(#[doc = $doc])+
        #[derive(Serialize)]
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(concat!("^[0-9a-f]{", $digits, "}$")))
                    .min_length(Some($digits))
                    .max_length(Some($digits))
                    .description(Some(concat!($($doc),+).trim()))
                    .into()
            }
        }

        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    };
}

hex_text!(
    /// A person's pseudonymous id: 32 lowercase hexadecimal characters.
    PersonId,
    32
);
hex_text!(
    /// A consent token's id: 32 lowercase hexadecimal characters.
    TokenId,
    32
);
hex_text!(
    /// A revocation's id: 32 lowercase hexadecimal characters.
    RevocationId,
    32
);
hex_text!(
    /// A decision receipt's id: 32 lowercase hexadecimal characters.
    ReceiptId,
    32
);
hex_text!(
    /// A public key's id: 16 lowercase hexadecimal characters.
    KeyId,
    16
);
hex_text!(
    /// A SHA-256 digest: 64 lowercase hexadecimal characters.
    Sha256,
    64
);
hex_text!(
    /// A picture's perceptual hash: 256 bits, each whether one of the 16 × 16
    /// lowest frequencies of a 32 × 32 grey thumbnail lies above their
    /// median, as 64 lowercase hexadecimal characters. It answers only "is this the same
    /// picture" (resized or recompressed): no colour, no detail finer than
    /// about a sixteenth of the picture, and it cannot be turned back into a
    /// recognisable image.
    PerceptualHash,
    64
);
hex_text!(
    /// An Ed25519 public key: 64 lowercase hexadecimal characters.
    PublicKey,
    64
);

/// A signed object's text, as its QR code carries it: `consent:` and
/// unpadded base64url of its bytes.
#[derive(Serialize)]
pub struct ConsentCode;

impl PartialSchema for ConsentCode {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(r"^\s*consent:[A-Za-z0-9_-]*\s*$"))
            .max_length(Some(96 * 1024))
            .description(Some(
                "A signed object (token, revocation, receipt, log head) as text: `consent:` and unpadded base64url.",
            ))
            .into()
    }
}

impl ToSchema for ConsentCode {}

/// A moment, as RFC 3339 text in UTC (`2027-07-31T23:59:59Z`).
#[derive(Serialize)]
pub struct Timestamp;

impl PartialSchema for Timestamp {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(
                utoipa::openapi::schema::KnownFormat::DateTime,
            )))
            .description(Some("A moment, as RFC 3339 text in UTC."))
            .into()
    }
}

impl ToSchema for Timestamp {}

/// A school's number on this server.
#[derive(Serialize)]
pub struct SchoolId;

impl PartialSchema for SchoolId {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(
                utoipa::openapi::schema::KnownFormat::Int64,
            )))
            .minimum(Some(0))
            .maximum(Some(u32::MAX))
            .description(Some("A school's number on this server."))
            .into()
    }
}

impl ToSchema for SchoolId {}

/// A use a recording may be put to: one of the named purposes, or
/// `purpose-N` (N below 16) for one this server has no name for.
#[derive(Serialize)]
pub struct Purpose;

impl PartialSchema for Purpose {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(
                "^(internal|website|social-media|newsletter|yearbook|press|purpose-([0-9]|1[0-5]))$",
            ))
            .examples(["website"])
            .description(Some(
                "A use: internal, website, social-media, newsletter, yearbook, press, or purpose-N (N below 16).",
            ))
            .into()
    }
}

impl ToSchema for Purpose {}

/// A kind of recording.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    /// Photographs.
    Photo,
    /// Video recordings.
    Video,
    /// Sound recordings.
    Audio,
}

/// Who signs a grant.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "kebab-case", tag = "by")]
pub enum GrantSigners {
    /// The person consents for themselves.
    Subject {
        /// The person's device key.
        key: KeyId,
    },
    /// A guardian consents for a child who has no key of their own.
    Guardian {
        /// The guardian's device key.
        key: KeyId,
    },
    /// The person signs and a guardian co-signs.
    SubjectAndGuardian {
        /// The person's device key.
        subject: KeyId,
        /// The guardian's device key.
        guardian: KeyId,
    },
}

/// The claims of a consent token: who consents, to what, for how long.
#[derive(Serialize, ToSchema)]
pub struct Grant {
    /// The token's random id.
    token_id: TokenId,
    /// The school the consent is given to.
    school: SchoolId,
    /// The person who may be recorded.
    subject: PersonId,
    /// The kinds of recording allowed.
    #[schema(min_items = 1)]
    media: Vec<MediaKind>,
    /// The uses allowed.
    #[schema(min_items = 1)]
    purposes: Vec<Purpose>,
    /// When the token was made.
    issued_at: Timestamp,
    /// First moment the consent holds.
    not_before: Timestamp,
    /// Last moment the consent holds.
    not_after: Timestamp,
    /// Who signs.
    signers: GrantSigners,
}

/// Allowed, or why not.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A valid consent covers this media kind and purpose.
    Allowed,
    /// The person has never given consent for this school.
    NoConsent,
    /// The consent that would cover this was withdrawn.
    Revoked,
    /// The consent that would cover this has expired.
    Expired,
    /// The consent that would cover this has not started yet.
    NotYetValid,
    /// Consent exists, but not for this kind of recording.
    WrongMediaKind,
    /// Consent exists, but not for this purpose.
    WrongPurpose,
    /// The person is under the age of digital consent and no guardian signed.
    GuardianMissing,
    /// Signed on a device the school has since cut off as lost; the person
    /// gives consent again from their new device.
    DeviceLost,
    /// Signed by a guardian alone, and the person has since reached the age
    /// of digital consent: it counts once they give it themselves.
    StudentMustConfirm,
}

/// The verdict on one person in a checked recording.
#[derive(Serialize, ToSchema)]
pub struct Verdict {
    /// The person.
    subject: PersonId,
    /// Allowed, or why not.
    outcome: Outcome,
    /// The token the verdict rests on, when there is one.
    #[schema(required = true)]
    token: Option<TokenId>,
}

/// The capacity in which a key signs.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The person the consent is about.
    Subject,
    /// A guardian of that person.
    Guardian,
    /// The school, through its server's key.
    School,
}

/// Which of a person's tokens a revocation withdraws.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "kebab-case", tag = "type", content = "value")]
pub enum RevocationScope {
    /// The one token with this id.
    Token(TokenId),
    /// Every token of the person issued at or before this moment.
    AllIssuedUpTo(Timestamp),
}

/// The claims of a revocation.
#[derive(Serialize, ToSchema)]
pub struct Revocation {
    /// The revocation's random id.
    id: RevocationId,
    /// The school the consent was given to.
    school: SchoolId,
    /// The person whose consent is withdrawn.
    subject: PersonId,
    /// Which tokens are withdrawn.
    scope: RevocationScope,
    /// When the revocation was made.
    issued_at: Timestamp,
    /// The capacity the signer acts in.
    role: Role,
    /// The signing key.
    key: KeyId,
}

/// A revocation with the place the server gave it.
#[derive(Serialize, ToSchema)]
pub struct StoredRevocation {
    /// The revocation's claims.
    revocation: Revocation,
    /// The signed revocation's text.
    text: ConsentCode,
    /// Its position in the school's log.
    sequence: i64,
    /// When the server acknowledged it (Unix seconds).
    received_at: i64,
}

/// Whether consent still stands: `valid`, or why not and since when.
#[derive(Serialize, ToSchema)]
pub struct Standing {
    /// `valid`, or the reason it no longer stands, as a check's outcome
    /// code: `revoked`, `expired`, `device_lost` (signed on a device since
    /// reported lost), `student_must_confirm` (signed by a guardian alone
    /// before the person reached the age of digital consent), ...
    status: StandingStatus,
    /// Since when it has not stood (Unix seconds), where known: the
    /// revocation's arrival, the end of the window, the device's cut-off,
    /// the birthday.
    since: Option<i64>,
}

/// The status word of a [`Standing`].
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StandingStatus {
    /// It stands.
    Valid,
    /// No consent that could count.
    NoConsent,
    /// Withdrawn (or the person's record was erased).
    Revoked,
    /// Its validity window has ended.
    Expired,
    /// Its validity window has not begun.
    NotYetValid,
    /// Not for this kind of recording.
    WrongMediaKind,
    /// Not for this purpose.
    WrongPurpose,
    /// Under the age of digital consent, and no guardian signed.
    GuardianMissing,
    /// Signed on a device since reported lost.
    DeviceLost,
    /// Signed by a guardian alone; the person now decides and has not confirmed it.
    StudentMustConfirm,
}

/// Student or guardian.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PersonKind {
    /// A student, who can be photographed.
    Student,
    /// A parent or other guardian.
    Guardian,
}

/// A person as the school knows them. After erasure only the id remains.
#[derive(Serialize, ToSchema)]
pub struct Person {
    /// The pseudonymous id that tokens carry.
    id: PersonId,
    /// Student or guardian.
    kind: PersonKind,
    /// The name staff see; null once erased.
    #[schema(required = true)]
    display_name: Option<String>,
    /// The class or group, such as `3B`.
    #[schema(required = true)]
    group: Option<String>,
    /// Birth date (`YYYY-MM-DD`).
    #[schema(required = true)]
    birth_date: Option<String>,
    /// The school's own number for the person.
    #[schema(required = true)]
    external_id: Option<String>,
    /// Whether the person's data was erased.
    erased: bool,
}

/// A new person.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPerson {
    /// Student or guardian.
    kind: PersonKind,
    /// The name staff see.
    #[schema(
        max_length = 200,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    display_name: String,
    /// The class or group; blank means none.
    #[schema(max_length = 50, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$")]
    group: Option<String>,
    /// Birth date (`YYYY-MM-DD`); blank means unknown.
    #[schema(
        pattern = r"^\s*([0-9]{4}-(0?[1-9]|1[0-2])-(0?[1-9]|[12][0-9]|3[01]))?\s*$",
        examples("2014-06-01")
    )]
    birth_date: Option<String>,
    /// The school's own number for the person; blank means none.
    #[schema(max_length = 100, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$")]
    external_id: Option<String>,
}

/// A registered device key.
#[derive(Serialize, ToSchema)]
pub struct DeviceKey {
    /// The key's id.
    key_id: KeyId,
    /// The key.
    public_key: PublicKey,
    /// Who holds it.
    person: PersonId,
    /// The holder's school.
    school: SchoolId,
    /// Whether it was cut off.
    revoked: bool,
    /// When it was enrolled (Unix seconds).
    registered_at: i64,
    /// When it last signed something the server accepted (Unix seconds).
    #[schema(required = true)]
    last_used_at: Option<i64>,
    /// When the school cut it off (Unix seconds).
    #[schema(required = true)]
    revoked_at: Option<i64>,
}

/// A school and its settings.
#[derive(Serialize, ToSchema)]
pub struct School {
    /// The school's number.
    id: SchoolId,
    /// Its name.
    name: String,
    /// Below this age a consent needs a guardian's signature (13 to 16).
    digital_consent_age: i64,
    /// How many days records are kept after they stop mattering (a publication taken down, a check no publication relies on, a consent that ended);
    /// the server purges them hourly.
    retention_days: i64,
}

/// What a staff account may do.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    /// Manages the school: people, staff, settings.
    Admin,
    /// Audits publications, takes them down, verifies the log, reports.
    Communications,
    /// Checks photos and records publications.
    Teacher,
}

/// A staff account.
#[derive(Serialize, ToSchema)]
pub struct StaffMember {
    /// The account's id.
    id: i64,
    /// Its school.
    school: SchoolId,
    /// The person's name.
    name: String,
    /// What it may do.
    role: StaffRole,
}

/// A person in a publication and the token their consent rested on.
#[derive(Serialize, ToSchema)]
pub struct PublicationPerson {
    /// The person.
    person: PersonId,
    /// The token that allowed it at publication time.
    token: TokenId,
}

/// A recorded publication.
#[derive(Serialize, ToSchema)]
pub struct Publication {
    /// Its id.
    id: i64,
    /// SHA-256 of the media file.
    media_hash: Sha256,
    /// `photo`, `video` or `audio`.
    media_kind: MediaKind,
    /// The purpose.
    purpose: Purpose,
    /// Where it was published.
    channel: String,
    /// The address, when it has one.
    #[schema(required = true)]
    url: Option<String>,
    /// The receipt of the publish-time check.
    receipt: ReceiptId,
    /// When (Unix seconds).
    published_at: i64,
    /// When it was taken down, if it was.
    #[schema(required = true)]
    taken_down_at: Option<i64>,
    /// Who is in it.
    people: Vec<PublicationPerson>,
}

/// A channel's name: text, stored in lowercase (`instagram`, `website`).
#[derive(Serialize)]
pub struct ChannelName;

impl PartialSchema for ChannelName {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(50))
            .pattern(Some(r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"))
            .examples(["instagram"])
            .description(Some("A publishing channel's name, in any case: `Instagram` and `instagram` are one channel."))
            .into()
    }
}

impl ToSchema for ChannelName {}

/// A place where the school publishes, and the purpose consent must cover there.
#[derive(Serialize, ToSchema)]
pub struct Channel {
    /// Its name, in lowercase.
    name: ChannelName,
    /// The purpose a publication on it is checked for.
    purpose: Purpose,
}

/// A person as staff name them: their id, their external id (the number on
/// the class list) or their full name in any case, when only one person has it.
#[derive(Serialize)]
pub struct PersonName;

impl PartialSchema for PersonName {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(200))
            .examples(["1001"])
            .description(Some(
                "A person: their id (32 hex characters), their external id (the school's own number, \
                 such as a student number) or their full name in any case when only one person has it.",
            ))
            .into()
    }
}

impl ToSchema for PersonName {}

/// One entry of a school's audit log.
#[derive(Serialize, ToSchema)]
pub struct LogEntry {
    /// 1-based position in the school's log.
    #[schema(minimum = 1)]
    position: i64,
    /// The exact bytes that were hashed, as UTF-8 JSON text.
    entry: String,
    /// The chain head after this entry.
    head: Sha256,
}

/// How to answer with an enrollment code.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EnrollmentCodeFormat {
    /// The code as JSON.
    Json,
    /// Its QR code as a PNG image.
    Png,
    /// Its QR code as an SVG image.
    Svg,
}

/// How to answer with a report.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportFormat {
    /// JSON.
    Json,
    /// CSV with a header line.
    Csv,
}

/// A PNG image.
pub struct PngImage;

impl PartialSchema for PngImage {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .content_media_type("image/png")
            .into()
    }
}

impl ToSchema for PngImage {}

/// A request to take a published picture down, and whether it was done.
#[derive(Serialize, ToSchema)]
pub struct Takedown {
    /// Its id.
    id: i64,
    /// SHA-256 of the published file.
    sha256: Sha256,
    /// The file's name, as the audit showed it.
    #[schema(required = true)]
    name: Option<String>,
    /// What the audit found.
    finding: Finding,
    /// The publication to take down, if it names one.
    #[schema(required = true)]
    publication: Option<i64>,
    /// When it was asked for (Unix seconds).
    requested_at: i64,
    /// The staff member who asked (their id).
    requested_by: i64,
    /// When it was done, if it was.
    #[schema(required = true)]
    done_at: Option<i64>,
    /// The staff member who did it (their id).
    #[schema(required = true)]
    done_by: Option<i64>,
}
