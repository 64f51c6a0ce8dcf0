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
mod tests {
    use super::redacted;

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
