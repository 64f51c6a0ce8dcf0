//! The command tree, grouped by who uses it: students and parents, teachers,
//! communications staff and administrators.

use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};
use consent_protocol::{KeyId, MediaKind, Purpose, SubjectId, Timestamp, TokenId};

use crate::clock::parse_duration;
use crate::purposes::{self, parse_media, parse_purpose};

const ROOT_HELP: &str = "\
Commands by who uses them:
  everyone          config set-server, config show, login
  students, parents enroll, grant, cosign, show, revoke, status, export
  teachers          scan, sync, check, publish
  communications    publications, takedown, audit media, audit takedowns, audit takedown-done,
                    audit verify, report coverage
  administrators    people, guardian link, staff, enrollment-codes, device list, device cut-off,
                    school, channels

Staff name people by id, by external id (the student number on the class list)
or by full name, and groups in any case: --person 1001, --person \"Sam de Groot\",
--group 3b.

Exit codes (for scripts):
  0  done; for check and scan: allowed / valid
  1  error (the message says what to do next)
  2  usage error (wrong or missing arguments)
  3  not allowed: a check denied someone, a scanned code is not valid,
     or a publication was refused for missing consent; for audit media:
     a file is not in order (never checked, withdrawn, refused, uncertain, not read)

Environment:
  CONSENT_SERVER      the server's address (instead of --server or the stored one)
  CONSENT_TOKEN       a staff API token (instead of --token or `consent login`)
  CONSENT_CONFIG_DIR  the folder for settings, this device's key and the offline cache

Examples:
  consent config set-server https://consent.school.example
  consent enroll consent-enroll:K7QXM2...     (a student's first step)
  consent grant --media photo --purpose website,yearbook
  consent check class-photo.jpg --purpose website --group 3B";

/// Consent for being photographed, filmed or recorded at school: give it,
/// show it as a QR code, withdraw it, and check it before publishing.
#[derive(Parser, Debug)]
#[command(name = "consent", version, after_help = ROOT_HELP, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Args, Debug)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// The consent server's address [default: the one stored by `consent config set-server`].
    #[arg(long, env = "CONSENT_SERVER", global = true, value_name = "URL")]
    pub server: Option<String>,
    /// A staff API token [default: the one stored by `consent login`].
    #[arg(
        long,
        env = "CONSENT_TOKEN",
        global = true,
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub token: Option<String>,
    /// Print JSON for scripts instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// The folder for settings, this device's key and the offline cache
    /// [default: the platform's config folder, e.g. ~/.config/consent].
    #[arg(long, env = "CONSENT_CONFIG_DIR", global = true, value_name = "DIR")]
    pub config_dir: Option<PathBuf>,
}

/// Every command.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Set or show the server address and settings.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Store a staff API token (teachers, communications, administrators).
    #[command(
        after_help = "The token is checked with the server, then stored in the config folder (mode 0600).\n\n\
Examples:\n  consent login --token cst_3q...\n  consent --server https://consent.school.example login --token cst_3q...\n  echo \"$TOKEN\" | consent login"
    )]
    Login,

    /// Enroll this device with the one-time code the school gave you.
    #[command(
        group(ArgGroup::new("source").required(true).args(["code", "photo"])),
        after_help = "A new key pair is made on this device; only the public key is sent.\n\n\
Examples:\n  consent enroll consent-enroll:K7QXM2...\n  consent enroll --photo enrollment-letter.jpg"
    )]
    Enroll(EnrollArgs),
    /// Give consent: sign a token for media kinds and purposes.
    #[command(
        after_help = format!("The token holds from now until the end of the school year (31 July), or until --until.\n\n\
Purposes (where the recordings may be used):\n{}\n\n\
Examples:\n  consent grant --media photo,video --purpose website,yearbook\n  consent grant --media photo --purpose yearbook --until 2027-07-31\n  consent grant --media photo --purpose website --child 5f0c...\n      (a parent, for a child without a device of their own)\n  consent grant --media photo --purpose yearbook --guardian-key 9ad3... --out pending.txt\n      (a child under the age of digital consent; a parent then runs `consent cosign pending.txt`)", purposes::help_table())
    )]
    Grant(GrantArgs),
    /// Co-sign, as a parent, a consent your child prepared, and submit it.
    #[command(
        after_help = "Shows what you are signing and asks you to confirm (--yes skips the question).\n\n\
Example:\n  consent cosign pending.txt"
    )]
    Cosign(CosignArgs),
    /// Show a consent token as a QR code, or write it as PNG or SVG.
    #[command(after_help = "Without a token id it shows your newest valid token.\n\n\
Examples:\n  consent show\n  consent show 3f2a... --png consent.png\n  consent show --svg consent.svg\n  consent show --text")]
    Show(ShowArgs),
    /// Withdraw consent: one token, or all of them.
    #[command(
        group(ArgGroup::new("which").required(true).args(["token_id", "all"])),
        after_help = "From the moment the server acknowledges it, no check allows the token, and\n\
publications that relied on it are flagged for takedown.\n\n\
Examples:\n  consent revoke 3f2a...\n  consent revoke --all\n  consent revoke --all --child 5f0c...     (a parent, for a child)"
    )]
    Revoke(RevokeArgs),
    /// Your tokens, their standing, and where you were published (also your children's).
    #[command(after_help = "Examples:\n  consent status\n  consent status --json")]
    Status,
    /// Save everything the school holds about you as JSON (GDPR art. 15 and 20).
    #[command(
        after_help = "Examples:\n  consent export my-consent-record.json\n  consent export -      (to standard output)"
    )]
    Export(ExportArgs),

    /// Scan a consent code: is it genuine, valid, and what does it allow?
    #[command(
        group(ArgGroup::new("source").required(true).args(["text", "photo"])),
        after_help = "Online (the default) the server judges the code, the age rule included (a child under\n\
the school's age of digital consent needs a parent's signature); nothing is recorded.\n\
With --offline it uses the cache from `consent sync`, always says how old it is,\n\
and refuses to call a code valid when the cache is older than --max-age; the age rule\n\
is checked online only.\n\
Exit code 0 when valid, 3 when not.\n\n\
Examples:\n  consent scan consent:AQE...\n  consent scan --photo code.jpg\n  consent scan --offline --max-age 12h --photo code.jpg"
    )]
    Scan(ScanArgs),
    /// Bring the offline cache of keys and revocations up to date (before a school trip).
    #[command(after_help = "Example:\n  consent sync")]
    Sync,
    /// Check a photo (or video, or recording) before publishing it.
    #[command(
        group(ArgGroup::new("who").required(true).multiple(true).args(["person", "code", "code_photo", "group"])),
        after_help = "The file is hashed here: its SHA-256 and, for a JPEG, PNG or WebP picture, a perceptual\n\
hash by which `consent audit media` later finds the picture after the website resized or\n\
recompressed it. Only the hashes are sent. Prints a verdict per\n\
person and the receipt id to publish with. Exit code 0 when everyone may appear, 3 when not.\n\n\
Examples:\n  consent check class-photo.jpg --purpose website --group 3B\n  consent check match.mp4 --purpose social-media --person 1001 --person \"Yara Bakker\"\n  consent check portrait.jpg --purpose yearbook --code-photo their-code.png"
    )]
    Check(CheckArgs),
    /// Record a publication of checked media (consent is checked again).
    #[command(
        after_help = "The channel must be for the purpose the photo was checked for: a check for the website\n\
does not cover instagram (social-media). `consent channels list` shows each channel's purpose.\n\
Exit code 3 when the channel is for another purpose or someone's consent no longer holds;\n\
nothing is recorded then.\n\n\
Examples:\n  consent publish --receipt 7c1e... --channel website --url https://school.example/news/12\n  consent publish --receipt 7c1e... --channel instagram"
    )]
    Publish(PublishArgs),

    /// Publications with their consent status then and now.
    #[command(
        after_help = "Examples:\n  consent publications\n  consent publications --flagged\n  consent publications --csv > publications.csv"
    )]
    Publications(PublicationsArgs),
    /// Mark a publication as taken down.
    #[command(after_help = "Example:\n  consent takedown 12")]
    Takedown(TakedownArgs),
    /// Audit the published media and the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Reports on consent.
    #[command(subcommand)]
    Report(ReportCommand),

    /// Add, list, import and erase people (administrators).
    #[command(subcommand)]
    People(PeopleCommand),
    /// Link guardians to children (administrators).
    #[command(subcommand)]
    Guardian(GuardianCommand),
    /// Staff accounts and their API tokens (administrators).
    #[command(subcommand)]
    Staff(StaffCommand),
    /// Make one-time enrollment codes, as text or as QR pictures and sheets to print (administrators).
    #[command(
        name = "enrollment-codes",
        group(ArgGroup::new("who").required(true).multiple(true).args(["group", "person"])),
        after_help = "Each code works once, for 14 days. With --out, the folder gets one QR picture per person,\n\
named by the person's external id (their number in the school's administration), else by person\n\
id, and a sheet to print per class (sheet-3B.html: a card per person with name, class, QR code\n\
and what to do). It refuses to write over earlier codes unless --force is given.\n\n\
Examples:\n  consent enrollment-codes --group 3B --out codes-3b/\n  consent enrollment-codes --group 3B --out codes-3b/ --svg\n  consent enrollment-codes --person 1001        (print the code as text)"
    )]
    EnrollmentCodes(EnrollmentCodesArgs),
    /// List a person's devices and cut off a lost or stolen one (administrators).
    #[command(subcommand)]
    Device(DeviceCommand),
    /// The school's settings (administrators).
    #[command(subcommand)]
    School(SchoolCommand),
    /// Where the school publishes, and the purpose consent must cover on each channel.
    #[command(subcommand)]
    Channels(ChannelsCommand),
}

/// `consent config ...`
#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Store the server's address.
    #[command(after_help = "Example:\n  consent config set-server https://consent.school.example")]
    SetServer {
        /// The address, e.g. https://consent.school.example
        url: String,
    },
    /// Show the settings in force and where each comes from.
    #[command(after_help = "Example:\n  consent config show")]
    Show,
}

/// `consent enroll`
#[derive(Args, Debug)]
pub struct EnrollArgs {
    /// The enrollment code, with or without its `consent-enroll:` prefix, or
    /// the link the printed code holds (`https://.../enroll#code=...`).
    pub code: Option<String>,
    /// A photo or scan (PNG or JPEG) of the enrollment QR code.
    #[arg(long, value_name = "FILE")]
    pub photo: Option<PathBuf>,
    /// Replace this device's existing enrollment.
    #[arg(long)]
    pub force: bool,
}

/// `consent grant`
#[derive(Args, Debug)]
pub struct GrantArgs {
    /// Kinds of recording: photo, video, audio (comma-separated).
    #[arg(long, required = true, value_delimiter = ',', value_name = "KINDS", value_parser = parse_media)]
    pub media: Vec<MediaKind>,
    /// Uses: internal, website, social-media, newsletter, yearbook, press (comma-separated;
    /// what each means is listed below).
    #[arg(long, required = true, value_delimiter = ',', value_name = "PURPOSES", value_parser = parse_purpose)]
    pub purpose: Vec<Purpose>,
    /// Last day the consent holds (2027-07-31, or an RFC 3339 moment) [default: the end of the
    /// school year, 31 July]. It holds from now.
    #[arg(long, value_name = "DATE")]
    pub until: Option<Timestamp>,
    /// As a parent: consent for this child (person id), signed by you alone.
    #[arg(long, value_name = "PERSON_ID", conflicts_with = "guardian_key")]
    pub child: Option<SubjectId>,
    /// As a young child: the key id of the guardian who will co-sign.
    #[arg(long, value_name = "KEY_ID", requires = "out")]
    pub guardian_key: Option<KeyId>,
    /// Where to write the consent waiting for the guardian's co-signature.
    #[arg(long, value_name = "FILE", requires = "guardian_key")]
    pub out: Option<PathBuf>,
}

/// `consent cosign`
#[derive(Args, Debug)]
pub struct CosignArgs {
    /// The file your child made with `consent grant ... --guardian-key ... --out FILE`.
    pub file: PathBuf,
    /// Sign without asking.
    #[arg(long, short)]
    pub yes: bool,
}

/// `consent show`
#[derive(Args, Debug)]
pub struct ShowArgs {
    /// The token to show [default: your newest valid token].
    pub token_id: Option<TokenId>,
    /// Write the QR code as a PNG picture.
    #[arg(long, value_name = "FILE", conflicts_with = "svg")]
    pub png: Option<PathBuf>,
    /// Write the QR code as an SVG picture.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// Print the code's text (consent:...) instead of drawing it.
    #[arg(long, conflicts_with_all = ["png", "svg"])]
    pub text: bool,
}

/// `consent revoke`
#[derive(Args, Debug)]
pub struct RevokeArgs {
    /// The token to withdraw.
    pub token_id: Option<TokenId>,
    /// Withdraw every token given so far.
    #[arg(long, conflicts_with = "token_id")]
    pub all: bool,
    /// As a parent: withdraw for this child (person id).
    #[arg(long, value_name = "PERSON_ID")]
    pub child: Option<SubjectId>,
}

/// `consent export`
#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Where to write the JSON (`-` for standard output).
    pub file: PathBuf,
}

/// `consent scan`
#[derive(Args, Debug)]
pub struct ScanArgs {
    /// The code's text (consent:...).
    pub text: Option<String>,
    /// A photo or screenshot (PNG or JPEG) of the QR code.
    #[arg(long, value_name = "FILE")]
    pub photo: Option<PathBuf>,
    /// Use the cache from `consent sync` instead of asking the server.
    #[arg(long)]
    pub offline: bool,
    /// The oldest revocation data that may call a code valid offline (90s, 45m, 24h, 7d).
    #[arg(long, value_name = "AGE", default_value = "24h", value_parser = parse_duration)]
    pub max_age: u64,
}

/// `consent check`
#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The media file (it never leaves this computer; only its hashes are sent).
    pub file: PathBuf,
    /// The intended use: internal, website, social-media, newsletter, yearbook, press.
    #[arg(long, value_parser = parse_purpose)]
    pub purpose: Purpose,
    /// The kind of media [default: from the file's extension, else photo].
    #[arg(long, value_name = "KIND", value_parser = parse_media)]
    pub media: Option<MediaKind>,
    /// A person in it: id, external id (student number) or full name (repeatable).
    #[arg(long, value_name = "PERSON")]
    pub person: Vec<String>,
    /// A consent code scanned from a person in it (repeatable).
    #[arg(long, value_name = "TEXT")]
    pub code: Vec<String>,
    /// A photo of a person's consent QR code (repeatable).
    #[arg(long, value_name = "FILE")]
    pub code_photo: Vec<PathBuf>,
    /// A whole group (class) in it, in any case (repeatable).
    #[arg(long, value_name = "GROUP")]
    pub group: Vec<String>,
}

/// `consent publish`
#[derive(Args, Debug)]
pub struct PublishArgs {
    /// The receipt id that `consent check` printed.
    #[arg(long, value_name = "RECEIPT_ID")]
    pub receipt: String,
    /// Where it is published: one of the school's channels (website, instagram,
    /// newsletter, ...; `consent channels list`).
    #[arg(long)]
    pub channel: String,
    /// Its address, when it has one.
    #[arg(long)]
    pub url: Option<String>,
}

/// `consent publications`
#[derive(Args, Debug)]
pub struct PublicationsArgs {
    /// Only those that must be taken down (someone's consent was revoked or expired).
    #[arg(long)]
    pub flagged: bool,
    /// Print CSV (one row per publication, with who no longer has consent).
    #[arg(long, conflicts_with = "json")]
    pub csv: bool,
}

/// `consent takedown`
#[derive(Args, Debug)]
pub struct TakedownArgs {
    /// The publication's number (from `consent publications`).
    pub id: i64,
}

/// `consent audit ...`
#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Find out, for each published picture, whether it was checked and whether everyone in it
    /// still consents (communications staff).
    #[command(
        after_help = "Point it at a copy of what is online: the website's media library, a download of the\n\
school's social-media pictures. Folders are read recursively; hidden files and folders are skipped,\n\
and links are followed only to files inside the folder. Each JPEG, PNG and WebP picture is hashed\n\
here (its SHA-256 and a perceptual hash, which survives resizing and recompression); only the\n\
hashes are sent, never a picture, never a file name. Every other file gets a line saying why it\n\
was not read.\n\n\
Findings: checked, consent holds; checked, consent since withdrawn; refused at the check (yet it is\n\
online); never checked; uncertain (a near match: look at it yourself). Those not in order come first.\n\
Exit code 0 when every file is in order, 3 when any is not (or a file could not be read).\n\n\
Examples:\n  consent audit media ~/website-export/\n  consent audit media instagram/ newsletter-2025-06.jpg --csv > audit.csv\n  \
consent audit media ~/website-export/ --take-down     (put what must come down on the takedown list)"
    )]
    Media(AuditMediaArgs),
    /// The takedown list: pictures that must come down, from `consent audit media --take-down`.
    #[command(
        after_help = "Open requests first, newest first. When a picture is down, run `consent audit takedown-done ID`.\n\n\
Examples:\n  consent audit takedowns\n  consent audit takedowns --open --json"
    )]
    Takedowns {
        /// Only the requests not yet done.
        #[arg(long)]
        open: bool,
    },
    /// Mark a takedown request as done, once the picture is no longer online.
    #[command(
        name = "takedown-done",
        after_help = "If the request names a publication still recorded as online, that publication is marked\n\
as taken down too.\n\n\
Example:\n  consent audit takedown-done 4"
    )]
    TakedownDone {
        /// The request's number (from `consent audit takedowns`).
        id: i64,
    },
    /// Fetch the whole audit log, recompute its hash chain and check the server's signed head.
    #[command(
        after_help = "Prints OK, or exactly which entry breaks the chain; exit code 1 when it breaks.\n\n\
Examples:\n  consent audit verify\n  consent audit verify --json"
    )]
    Verify {
        /// Entries per request.
        #[arg(long, default_value_t = 1000, hide = true, value_parser = clap::value_parser!(u16).range(1..=5000))]
        page_size: u16,
    },
}

/// `consent audit media`
#[derive(Args, Debug)]
pub struct AuditMediaArgs {
    /// Pictures, or folders of them (read recursively).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Print CSV: one row per file, unread files included.
    #[arg(long, conflicts_with = "json")]
    pub csv: bool,
    /// Put every picture never checked, refused at its check or whose consent was withdrawn on
    /// the takedown list (pictures already on it are not added twice).
    #[arg(long)]
    pub take_down: bool,
}

/// `consent report ...`
#[derive(Subcommand, Debug)]
pub enum ReportCommand {
    /// How many students of each group may appear, for one purpose.
    #[command(
        after_help = "Examples:\n  consent report coverage --purpose website\n  consent report coverage --purpose yearbook --media video --csv > coverage.csv"
    )]
    Coverage {
        /// The use: internal, website, social-media, newsletter, yearbook, press.
        #[arg(long, value_parser = parse_purpose)]
        purpose: Purpose,
        /// The kind of media [default: photo].
        #[arg(long, value_name = "KIND", value_parser = parse_media)]
        media: Option<MediaKind>,
        /// Print CSV (with who may not appear, and a last row `total`).
        #[arg(long, conflicts_with = "json")]
        csv: bool,
    },
}

/// Whether a person is a student or a guardian.
#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum PersonKind {
    /// A student, who can be photographed.
    Student,
    /// A parent or other guardian.
    Guardian,
}

impl PersonKind {
    /// The name the server uses.
    pub fn name(self) -> &'static str {
        match self {
            PersonKind::Student => "student",
            PersonKind::Guardian => "guardian",
        }
    }
}

/// `consent people ...`
#[derive(Subcommand, Debug)]
pub enum PeopleCommand {
    /// Add a student or guardian.
    #[command(
        after_help = "Examples:\n  consent people add --name \"Sam de Groot\" --group 3B --birth-date 2010-05-01 --external-id 10234\n  consent people add --kind guardian --name \"Pia de Groot\""
    )]
    Add {
        /// The name staff see (never put in a consent code).
        #[arg(long)]
        name: String,
        /// Student or guardian.
        #[arg(long, value_enum, default_value_t = PersonKind::Student)]
        kind: PersonKind,
        /// The class or group, e.g. 3B.
        #[arg(long)]
        group: Option<String>,
        /// Birth date (YYYY-MM-DD), for the age of digital consent.
        #[arg(long, value_name = "DATE")]
        birth_date: Option<String>,
        /// The school's own number for the person.
        #[arg(long, value_name = "ID")]
        external_id: Option<String>,
    },
    /// List people, or one group.
    #[command(after_help = "Examples:\n  consent people list\n  consent people list --group 3B --json")]
    List {
        /// Only this group.
        #[arg(long)]
        group: Option<String>,
    },
    /// Import a class list (CSV: external_id,display_name,group,birth_date[,kind]).
    #[command(
        after_help = "People already known by their external id are updated, so an import can be run again.\n\
The file is sent in chunks (with a progress bar); a bad line stops the import at its chunk.\n\n\
Example:\n  consent people import class-3b.csv"
    )]
    Import {
        /// The CSV file, with a header line.
        file: PathBuf,
        /// Rows per request.
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u16).range(1..=1000))]
        chunk_size: u16,
    },
    /// Erase a person's personal data on request (GDPR art. 17); the audit log stays verifiable.
    #[command(
        after_help = "Examples:\n  consent people erase 1001\n  consent people erase \"Sam de Groot\""
    )]
    Erase {
        /// The person: id, external id (student number) or full name.
        person: String,
    },
}

/// `consent guardian ...`
#[derive(Subcommand, Debug)]
pub enum GuardianCommand {
    /// Record that a guardian may sign for a child.
    #[command(
        after_help = "Examples:\n  consent guardian link --guardian \"Pia Bakker\" --child 1003\n  consent guardian link --guardian 91be... --child 5f0c..."
    )]
    Link {
        /// The guardian: id, external id or full name.
        #[arg(long, value_name = "PERSON")]
        guardian: String,
        /// The child: id, external id (student number) or full name.
        #[arg(long, value_name = "PERSON")]
        child: String,
    },
}

/// A staff member's role.
#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum StaffRole {
    /// Checks photos and records publications.
    Teacher,
    /// Audits publications, takes them down, verifies the log, reports.
    Communications,
    /// Manages the school: people, staff, settings.
    Admin,
}

impl StaffRole {
    /// The name the server uses.
    pub fn name(self) -> &'static str {
        match self {
            StaffRole::Teacher => "teacher",
            StaffRole::Communications => "communications",
            StaffRole::Admin => "admin",
        }
    }
}

/// `consent staff ...`
#[derive(Subcommand, Debug)]
pub enum StaffCommand {
    /// Add a staff account.
    #[command(after_help = "Example:\n  consent staff add --name \"Tess Jansen\" --role teacher")]
    Add {
        /// The person's name.
        #[arg(long)]
        name: String,
        /// What the account may do.
        #[arg(long, value_enum)]
        role: StaffRole,
    },
    /// List staff accounts.
    #[command(after_help = "Example:\n  consent staff list")]
    List,
    /// Issue an API token for a staff account (shown once).
    #[command(
        after_help = "Hand the token to its owner; they run `consent login --token TOKEN`.\n\n\
Example:\n  consent staff token 4 --days 365"
    )]
    Token {
        /// The staff account's number.
        id: i64,
        /// How many days the token works (1 to 730).
        #[arg(long, default_value_t = 365)]
        days: i64,
        /// A label to recognise the token by.
        #[arg(long, default_value = "consent-cli")]
        label: String,
    },
}

/// `consent enrollment-codes`
#[derive(Args, Debug)]
pub struct EnrollmentCodesArgs {
    /// Everyone in this group (in any case).
    #[arg(long)]
    pub group: Option<String>,
    /// One person: id, external id (student number) or full name (repeatable).
    #[arg(long, value_name = "PERSON")]
    pub person: Vec<String>,
    /// Write one QR picture per person into this folder instead of printing the codes.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Write SVG instead of PNG.
    #[arg(long, requires = "out")]
    pub svg: bool,
    /// Write over codes written to the folder before (those codes still work too).
    #[arg(long, requires = "out")]
    pub force: bool,
}

/// `consent device ...`
#[derive(Subcommand, Debug)]
pub enum DeviceCommand {
    /// A person's devices: when each was enrolled and last used, and whether it was cut off.
    #[command(
        after_help = "Find the lost phone here by its dates, then cut it off by its key id.\n\n\
Examples:\n  consent device list --person 1001\n  consent device list --person \"Sam de Groot\""
    )]
    List {
        /// The person: id, external id (student number) or full name.
        #[arg(long, value_name = "PERSON")]
        person: String,
    },
    /// Cut off a device key: nothing it signed or signs is accepted again.
    #[command(
        name = "cut-off",
        after_help = "Find the key id with `consent device list --person PERSON` (each device with when it was\n\
enrolled and last used). Consent signed on the cut-off device no longer counts anywhere; the person\n\
enrolls a new phone with a new code and gives consent again from it.\n\n\
Examples:\n  consent device list --person 1001\n  consent device cut-off 9ad3c0e1f2a4b5c6"
    )]
    CutOff {
        /// The key id, from `consent device list`.
        key_id: KeyId,
    },
}

/// `consent school ...`
#[derive(Subcommand, Debug)]
pub enum SchoolCommand {
    /// Show the school's settings.
    #[command(after_help = "Example:\n  consent school show")]
    Show,
    /// Change the school's settings.
    #[command(
        group(ArgGroup::new("setting").required(true).multiple(true).args(["consent_age", "retention_days"])),
        after_help = "Example:\n  consent school set --consent-age 16 --retention-days 3650"
    )]
    Set {
        /// The age of digital consent, 13 to 16 (GDPR art. 8); below it a guardian signs.
        #[arg(long, value_name = "AGE")]
        consent_age: Option<i64>,
        /// How many days records are kept after they stop mattering (a publication
        /// taken down, a check no publication relies on, a consent that ended).
        #[arg(long, value_name = "DAYS")]
        retention_days: Option<i64>,
    },
}

/// `consent channels ...`
#[derive(Subcommand, Debug)]
pub enum ChannelsCommand {
    /// List the school's channels with the purpose each is for.
    #[command(after_help = "Example:\n  consent channels list")]
    List,
    /// Add a channel, or change the purpose of one (administrators).
    #[command(
        after_help = "Publications on the channel are then checked for that purpose.\n\n\
Examples:\n  consent channels set \"hallway screen\" --purpose website\n  consent channels set mastodon --purpose social-media"
    )]
    Set {
        /// The channel's name (any case; stored in lowercase).
        name: String,
        /// The purpose consent must cover there: internal, website, social-media, newsletter, yearbook, press.
        #[arg(long, value_parser = parse_purpose)]
        purpose: Purpose,
    },
    /// Remove a channel (administrators); publications recorded on it keep its name.
    #[command(after_help = "Example:\n  consent channels remove linkedin")]
    Remove {
        /// The channel's name.
        name: String,
    },
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::Cli;

    /// A stand-in of the right type for a placeholder in the README
    /// (`PIA_ID`, `PIA_KEY_ID`, `TEACHER_STAFF_ID`); other words as written.
    fn filled_in(word: &str) -> String {
        let placeholder = word.chars().all(|c| c.is_ascii_uppercase() || c == '_');
        if !placeholder {
            word.to_owned()
        } else if word.ends_with("KEY_ID") {
            "9ad3c0e1f2a4b5c6".to_owned()
        } else if word.ends_with("STAFF_ID") {
            "2".to_owned()
        } else {
            "5f0c".repeat(8)
        }
    }

    /// The README's walkthrough runs the client as `as USER ARGS...`: every
    /// such line must be a command, with options and values, that this CLI
    /// takes, so that README and CLI cannot drift apart unnoticed.
    #[test]
    fn every_command_in_the_readme_is_one_the_cli_takes() {
        let mut commands = 0;
        for line in include_str!("../../README.md").lines() {
            let Some(rest) = line.strip_prefix("as ") else {
                continue;
            };
            let command = rest.split(" #").next().unwrap_or(rest);
            let words = shell_words::split(command).unwrap_or_else(|e| panic!("README: `{line}`: {e}"));
            let args =
                std::iter::once("consent".to_owned()).chain(words.iter().skip(1).map(|w| filled_in(w)));
            if let Err(error) = Cli::try_parse_from(args) {
                panic!("README: `{line}` is not a command the CLI takes:\n{error}");
            }
            commands += 1;
        }
        assert!(commands >= 25, "only {commands} commands found in the README");
    }
}
