//! Where the client keeps its settings, this device's key and its offline
//! cache: one folder, the platform's config dir unless `CONSENT_CONFIG_DIR`
//! (or `--config-dir`) names another.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use consent_protocol::{KeyId, PublicKey, SchoolId, SigningKey, SubjectId};
use serde::{Deserialize, Serialize};

/// The client's folder and the files in it.
#[derive(Clone, Debug)]
pub struct Paths {
    dir: PathBuf,
}

impl Paths {
    /// The folder named by the flag or environment, else the platform's
    /// config dir (`~/.config/consent` on Linux).
    pub fn resolve(chosen: Option<PathBuf>) -> Result<Self> {
        let dir = match chosen {
            Some(dir) => dir,
            None => directories::ProjectDirs::from("nl", "school-consent", "consent")
                .map(|dirs| dirs.config_dir().to_path_buf())
                .context("cannot find a home folder for the settings: set CONSENT_CONFIG_DIR")?,
        };
        Ok(Self { dir })
    }

    /// The folder itself.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn settings(&self) -> PathBuf {
        self.dir.join("config.json")
    }

    fn device(&self) -> PathBuf {
        self.dir.join("device.json")
    }

    fn key(&self) -> PathBuf {
        self.dir.join("device.key")
    }

    /// The offline cache of keys and revocations (`consent sync`).
    pub fn cache(&self) -> PathBuf {
        self.dir.join("offline-cache.json")
    }

    /// Every audit log head this client has verified (`consent audit verify`).
    pub fn verified_heads(&self) -> PathBuf {
        self.dir.join("verified-log-heads.json")
    }

    fn token(&self, id: &str) -> PathBuf {
        self.dir.join("tokens").join(format!("{id}.txt"))
    }

    /// The stored settings, or the defaults when none are stored yet.
    pub fn load_settings(&self) -> Result<Settings> {
        read_json(&self.settings()).map(Option::unwrap_or_default)
    }

    /// Stores the settings (readable by the owner only: they hold the staff token).
    pub fn save_settings(&self, settings: &Settings) -> Result<()> {
        write_private(&self.settings(), &to_json(settings)?)
    }

    /// This device's enrollment, if it has one.
    pub fn load_device(&self) -> Result<Option<Device>> {
        read_json(&self.device())
    }

    /// The device's enrollment and signing key, or an error that says how to enroll.
    pub fn enrolled(&self) -> Result<(Device, SigningKey)> {
        let Some(device) = self.load_device()? else {
            bail!(
                "this device is not enrolled: run `consent enroll CODE` (or `consent enroll --photo code.png`) \
                 with the enrollment code the school gave you"
            );
        };
        let text = fs::read_to_string(self.key())
            .with_context(|| format!("reading this device's key from {}", self.key().display()))?;
        let mut seed = [0u8; 32];
        hex::decode_to_slice(text.trim(), &mut seed)
            .with_context(|| format!("the key file {} is damaged; enroll again", self.key().display()))?;
        let key = SigningKey::from_bytes(&seed);
        if PublicKey::of(&key).id() != device.key_id {
            bail!(
                "the key in {} does not match the enrollment in {}; enroll again",
                self.key().display(),
                self.device().display()
            );
        }
        Ok((device, key))
    }

    /// Stores a freshly enrolled device: the private key (mode 0600) first,
    /// then the enrollment that names it.
    pub fn save_device(&self, device: &Device, key: &SigningKey) -> Result<()> {
        write_private(
            &self.key(),
            format!("{}\n", hex::encode(key.to_bytes())).as_bytes(),
        )?;
        write_private(&self.device(), &to_json(device)?)
    }

    /// Keeps a copy of a token's QR text, so it can be shown without a network.
    pub fn save_token(&self, id: &str, text: &str) -> Result<()> {
        write_private(&self.token(id), format!("{text}\n").as_bytes())
    }

    /// A token's QR text kept by [`Self::save_token`].
    pub fn load_token(&self, id: &str) -> Option<String> {
        fs::read_to_string(self.token(id))
            .ok()
            .map(|text| text.trim().to_owned())
    }

    /// Every token kept on this device, newest file last.
    pub fn saved_tokens(&self) -> Vec<String> {
        let Ok(entries) = fs::read_dir(self.dir.join("tokens")) else {
            return Vec::new();
        };
        let mut files: Vec<_> = entries
            .filter_map(|entry| entry.ok())
            .filter_map(|entry| Some((entry.metadata().ok()?.modified().ok()?, entry.path())))
            .collect();
        files.sort();
        files
            .into_iter()
            .filter_map(|(_, path)| fs::read_to_string(path).ok())
            .map(|text| text.trim().to_owned())
            .collect()
    }
}

/// What `consent config` and `consent login` store.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Settings {
    /// The server's address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// A staff member's API token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// This device's enrollment: whose key it holds.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Device {
    /// The person the device belongs to.
    pub person: SubjectId,
    /// Their school.
    pub school: SchoolId,
    /// The id of the device's key.
    pub key_id: KeyId,
    /// `student` or `guardian`.
    pub kind: String,
    /// The person's name as the school knows it.
    pub display_name: Option<String>,
    /// The server the device enrolled with.
    pub server: String,
}

fn to_json<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(value)?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Reads a JSON file, `None` when it does not exist.
pub fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Option<T>> {
    match fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is damaged; remove it and try again", path.display()))
            .map(Some),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error).with_context(|| format!("reading {}", path.display())),
    }
}

/// Writes a file that only its owner may read (mode 0600 on Unix), through a
/// temporary file and a rename, so a crash never leaves half a file.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    create_private_dir(dir)?;
    let temporary = path.with_extension("tmp");
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(&temporary)
        .with_context(|| format!("cannot write {}", temporary.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", temporary.display()))?;
    fs::rename(&temporary, path).with_context(|| format!("cannot write {}", path.display()))
}

fn create_private_dir(dir: &Path) -> Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .with_context(|| format!("cannot create the folder {}", dir.display()))
}
