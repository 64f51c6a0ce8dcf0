//! The server's configuration: flags, each with an environment fallback.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Where the server listens and keeps its data, and how much it lets
/// clients hold.
#[derive(clap::Args, Clone)]
pub struct Config {
    /// Address and port to listen on.
    #[arg(long, env = "CONSENT_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Directory for the SQLite database and this instance's signing key;
    /// created on first start, readable only by the server's user. Default:
    /// the platform's data directory (on Linux ~/.local/share/consent-server).
    #[arg(long, env = "CONSENT_DATA_DIR")]
    pub data_dir: Option<PathBuf>,

    /// Database: `sqlite:PATH` or `postgres://USER@HOST/DB`. Default: a
    /// SQLite file `consent.db` in the data directory. Use PostgreSQL to run
    /// several server instances on one record.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// The address people's phones reach this server at, such as
    /// `https://consent.school.example`: printed enrollment codes hold a link
    /// to the phone app there. Default: `http://` (`https://` with a
    /// certificate) and the address the server listens on, which only works
    /// on this computer.
    #[arg(long, env = "CONSENT_PUBLIC_URL", value_parser = public_url)]
    pub public_url: Option<String>,

    /// HTTPS: the server's certificate chain and private key.
    #[command(flatten)]
    pub tls: Tls,

    /// What one client, and all clients together, may hold open.
    #[command(flatten)]
    pub limits: Limits,
}

/// The certificate and key to serve HTTPS with; plain HTTP without them.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct Tls {
    /// PEM file with the server's certificate chain (leaf first). With
    /// `--tls-key` the server speaks HTTPS only; phones need HTTPS for the
    /// camera and for keys kept in the browser.
    #[arg(long, env = "CONSENT_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// PEM file with the certificate's private key (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, env = "CONSENT_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

/// What clients may hold and do: connection limits keep clients that open
/// connections and then send nothing, or send slowly, from taking the
/// server down; request and grant limits keep one client from making the
/// server slow for the others.
#[derive(clap::Args, Clone, Debug)]
pub struct Limits {
    /// Seconds a client has to send a request's head (its first line and
    /// headers), on a new connection and between requests on a kept-alive
    /// one: an idle connection is closed after it. With HTTPS it also bounds
    /// the handshake.
    #[arg(long, env = "CONSENT_HEADER_TIMEOUT", default_value_t = Limits::DEFAULT.header_timeout_seconds)]
    pub header_timeout_seconds: u64,

    /// Seconds a connection may wait on the client in the middle of a
    /// request (a body that stops arriving, a response nobody reads) before
    /// it is closed; never less than the request timeout.
    #[arg(long, env = "CONSENT_IDLE_TIMEOUT", default_value_t = Limits::DEFAULT.idle_timeout_seconds)]
    pub idle_timeout_seconds: u64,

    /// Connections the server holds open at once; beyond it new ones are
    /// closed at once, and the log says so. Keep it below the process's
    /// open-file limit (`ulimit -n`).
    #[arg(long, env = "CONSENT_MAX_CONNECTIONS", default_value_t = Limits::DEFAULT.max_connections)]
    pub max_connections: usize,

    /// Connections one client address (IPv6: one /64) may hold open at
    /// once. Behind a school's NAT every phone shares one address: raise it
    /// there.
    #[arg(long, env = "CONSENT_MAX_CONNECTIONS_PER_CLIENT", default_value_t = Limits::DEFAULT.max_connections_per_client)]
    pub max_connections_per_client: usize,

    /// Seconds one request may take, reading its body included; a slower
    /// one is answered `408` with a problem document and writes nothing.
    #[arg(long, env = "CONSENT_REQUEST_TIMEOUT", default_value_t = Limits::DEFAULT.request_timeout_seconds)]
    pub request_timeout_seconds: u64,

    /// Consent tokens one person, and one device, may hand in per hour (all
    /// at once, or spread out); more are answered `429` with `Retry-After`.
    #[arg(long, env = "CONSENT_GRANTS_PER_HOUR", default_value_t = Limits::DEFAULT.grants_per_hour)]
    pub grants_per_hour: u32,

    /// Consent tokens in force (neither withdrawn nor expired) one person
    /// may hold; another is refused (`too_many_live_tokens`) until one is
    /// withdrawn.
    #[arg(long, env = "CONSENT_LIVE_TOKENS_PER_PERSON", default_value_t = Limits::DEFAULT.live_tokens_per_person)]
    pub live_tokens_per_person: usize,
}

impl Limits {
    /// The defaults: room for a school's evening of enrollments, and well
    /// inside the usual limit of 1,024 open files.
    pub const DEFAULT: Limits = Limits {
        header_timeout_seconds: 10,
        idle_timeout_seconds: 60,
        max_connections: 512,
        max_connections_per_client: 64,
        request_timeout_seconds: 30,
        grants_per_hour: 30,
        live_tokens_per_person: 20,
    };

    /// How long a request head may take.
    pub fn header_timeout(&self) -> Duration {
        Duration::from_secs(self.header_timeout_seconds.max(1))
    }

    /// How long a connection may wait on its client mid-request: never less
    /// than the request timeout, since the connection also waits (for the
    /// client's next bytes) while its request is handled.
    pub fn idle_timeout(&self) -> Duration {
        self.request_timeout()
            .max(Duration::from_secs(self.idle_timeout_seconds))
    }

    /// How long one request may take.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_seconds.max(1))
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A public address: `http://` or `https://`, a host, perhaps a port and a
/// path; no query or fragment, since links are made by appending to it.
/// Returned without a trailing slash.
pub fn public_url(text: &str) -> Result<String, String> {
    let text = text.trim().trim_end_matches('/');
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .ok_or("the public address starts with https:// (or http:// for a test on one computer)")?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err("the public address names a host, such as https://consent.school.example".into());
    }
    if rest.contains(['?', '#']) || rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(
            "the public address has no query, fragment or spaces, such as https://consent.school.example"
                .into(),
        );
    }
    Ok(text.to_owned())
}

impl Config {
    /// A configuration listening on `listen` with every other setting at its
    /// default (for tests and tools that start a server in-process).
    pub fn new(listen: SocketAddr) -> Self {
        Self {
            listen,
            data_dir: None,
            database_url: None,
            public_url: None,
            tls: Tls::default(),
            limits: Limits::default(),
        }
    }

    /// The data directory in use.
    pub fn data_dir(&self) -> PathBuf {
        self.data_dir.clone().unwrap_or_else(|| {
            directories::ProjectDirs::from("", "", "consent-server")
                .map(|dirs| dirs.data_dir().to_path_buf())
                .unwrap_or_else(|| PathBuf::from("consent-data"))
        })
    }

    /// The public address in use: the one configured, or `http://` and the
    /// listen address.
    pub fn public_url(&self) -> String {
        self.public_url.clone().unwrap_or_else(|| {
            let scheme = if self.tls.tls_cert.is_some() {
                "https"
            } else {
                "http"
            };
            format!("{scheme}://{}", self.listen)
        })
    }

    /// The database URL in use.
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir().join("consent.db").display()
            )
        })
    }
}

impl fmt::Debug for Config {
    /// Never prints a database password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir())
            .field("database_url", &redacted(&self.database_url()))
            .field("public_url", &self.public_url)
            .field("tls", &self.tls)
            .field("limits", &self.limits)
            .finish()
    }
}

/// What stands in for a secret.
const HIDDEN: &str = "***";

/// Whether a connection parameter's value is a secret: a password in any of
/// its spellings (`password`, `sslpassword`, ...), a secret or a token.
fn is_secret(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["pass", "pwd", "secret", "token"]
        .iter()
        .any(|word| name.contains(word))
}

/// The database setting with every secret replaced by `***`: the password in
/// a URL's user part, secret query parameters (`?password=`,
/// `?sslpassword=`, ...) and secret `key=value` pairs of a PostgreSQL
/// connection string (`host=db password=...`).
pub fn redacted(setting: &str) -> String {
    match url::Url::parse(setting) {
        Ok(url) if url.has_authority() || url.query().is_some() => redacted_url(url, setting),
        _ => redacted_conninfo(setting),
    }
}

fn redacted_url(mut url: url::Url, original: &str) -> String {
    let mut changed = false;
    if url.password().is_some() {
        // Only fails for URLs without a host, which have no user part either.
        changed |= url.set_password(Some(HIDDEN)).is_ok();
    }
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    if pairs.iter().any(|(name, _)| is_secret(name)) {
        changed = true;
        let mut query = url.query_pairs_mut();
        query.clear();
        for (name, value) in &pairs {
            query.append_pair(name, if is_secret(name) { HIDDEN } else { value });
        }
    }
    if changed {
        // Percent-escapes stay escaped: `***` reads the same either way.
        url.to_string().replace("%2A%2A%2A", HIDDEN)
    } else {
        // Nothing secret: show the setting exactly as given.
        original.to_owned()
    }
}

/// A `key=value key='quoted value'` connection string with secret values
/// hidden. Values may be single-quoted with `\'` and `\\` escapes, as
/// libpq reads them; a secret's whole value goes, quotes and all.
fn redacted_conninfo(setting: &str) -> String {
    let mut out = String::with_capacity(setting.len());
    let mut rest = setting;
    while let Some(equals) = rest.find('=') {
        let name = rest[..equals]
            .trim_end()
            .rsplit(char::is_whitespace)
            .next()
            .unwrap_or("");
        out.push_str(&rest[..=equals]);
        let value = &rest[equals + 1..];
        let end = value_end(value);
        if is_secret(name) {
            out.push_str(HIDDEN);
        } else {
            out.push_str(&value[..end]);
        }
        rest = &value[end..];
    }
    out.push_str(rest);
    out
}

/// Where a connection-string value starting at `value` ends.
fn value_end(value: &str) -> usize {
    let mut chars = value.char_indices().peekable();
    // Spaces after `=` belong to no value.
    while chars.next_if(|(_, c)| *c == ' ').is_some() {}
    if chars.next_if(|(_, c)| *c == '\'').is_some() {
        while let Some((index, c)) = chars.next() {
            match c {
                '\\' => {
                    chars.next();
                }
                '\'' => return index + 1,
                _ => {}
            }
        }
        return value.len();
    }
    chars
        .find(|(_, c)| c.is_whitespace())
        .map_or(value.len(), |(index, _)| index)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::{public_url, redacted, Limits};
    use std::time::Duration;
    #[test]
    fn a_public_address_is_a_web_address_links_can_be_appended_to() {
        assert_eq!(
            public_url("https://consent.school.example/").unwrap(),
            "https://consent.school.example"
        );
        assert_eq!(
            public_url("http://192.168.1.20:8080/consent").unwrap(),
            "http://192.168.1.20:8080/consent"
        );
        for bad in [
            "consent.school.example",
            "https://",
            "https:///x",
            "https://a.example/?x=1",
            "https://a.example/#x",
            "ftp://a.example",
        ] {
            assert!(public_url(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn a_connection_is_never_cut_before_its_request_may_end() {
        let limits = Limits {
            idle_timeout_seconds: 5,
            request_timeout_seconds: 30,
            ..Limits::default()
        };
        assert_eq!(limits.idle_timeout(), Duration::from_secs(30));
        assert_eq!(Limits::default().idle_timeout(), Duration::from_secs(60));
    }

    #[test]
    fn a_password_in_the_user_part_never_reaches_the_logs() {
        assert_eq!(
            redacted("postgres://app:s3cret@db/consent"),
            "postgres://app:***@db/consent"
        );
        // An unescaped `@` in the password: the last one ends the user part.
        assert_eq!(
            redacted("postgres://app:p@ss@db:5432/consent"),
            "postgres://app:***@db:5432/consent"
        );
    }

    #[test]
    fn a_password_in_the_query_never_reaches_the_logs() {
        let shown = redacted("postgres://app@db/consent?password=s3cret&sslmode=require");
        assert_eq!(shown, "postgres://app@db/consent?password=***&sslmode=require");
        let shown = redacted("postgresql://db/consent?user=app&sslpassword=k3y%26pass&PassWord=x");
        assert_eq!(
            shown,
            "postgresql://db/consent?user=app&sslpassword=***&PassWord=***"
        );
        let both = redacted("postgres://app:one@db/consent?password=two");
        assert!(!both.contains("one") && !both.contains("two"), "{both}");
    }

    #[test]
    fn a_password_in_a_connection_string_never_reaches_the_logs() {
        assert_eq!(
            redacted("host=db user=app password=s3cret dbname=consent"),
            "host=db user=app password=*** dbname=consent"
        );
        assert_eq!(
            redacted("host=db password = 'with \\' quote and space' sslpassword=x"),
            "host=db password =*** sslpassword=***"
        );
    }

    #[test]
    fn settings_without_secrets_are_shown_as_given() {
        for setting in [
            "postgres://app@db/consent",
            "postgres://app@db/consent?sslmode=require&application_name=consent",
            "sqlite://x.db?mode=rwc",
            "sqlite:///var/lib/consent server/consent.db?mode=rwc",
            "host=db user=app dbname=consent",
        ] {
            assert_eq!(redacted(setting), setting);
        }
    }
}
