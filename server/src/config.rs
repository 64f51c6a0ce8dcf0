//! The server's configuration: flags, each with an environment fallback.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Where the server listens and keeps its data.
#[derive(clap::Args, Clone)]
pub struct Config {
    /// Address and port to listen on.
    #[arg(long, env = "CONSENT_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Directory for the SQLite database and this instance's signing key;
    /// created on first start. Default: the platform's data directory
    /// (on Linux ~/.local/share/consent-server).
    #[arg(long, env = "CONSENT_DATA_DIR")]
    pub data_dir: Option<PathBuf>,

    /// Database: `sqlite:PATH` or `postgres://USER@HOST/DB`. Default: a
    /// SQLite file `consent.db` in the data directory. Use PostgreSQL to run
    /// several server instances on one record.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// The address people's phones reach this server at, such as
    /// `https://consent.school.example`: printed enrollment codes hold a link
    /// to the phone app there. Default: `http://` and the address the server
    /// listens on, which only works on this computer.
    #[arg(long, env = "CONSENT_PUBLIC_URL", value_parser = public_url)]
    pub public_url: Option<String>,
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
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen))
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
            .finish()
    }
}

/// The URL with any password replaced by `***`.
pub fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::{public_url, redacted};

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
    fn database_passwords_never_reach_the_logs() {
        assert_eq!(
            redacted("postgres://app:s3cret@db/consent"),
            "postgres://app:***@db/consent"
        );
        assert_eq!(redacted("postgres://app@db/consent"), "postgres://app@db/consent");
        assert_eq!(redacted("sqlite://x.db?mode=rwc"), "sqlite://x.db?mode=rwc");
    }
}
