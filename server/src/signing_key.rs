//! This instance's signing key: created on first start, kept in the data
//! directory, readable only by the server's user.

use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::Context;
use consent_protocol::SigningKey;
use rand_core::OsRng;

const FILE_NAME: &str = "server-signing-key";

/// Loads the key from `data_dir`, or creates and saves a new one.
pub fn load_or_create(data_dir: &Path) -> anyhow::Result<SigningKey> {
    let path = data_dir.join(FILE_NAME);
    match fs::read_to_string(&path) {
        Ok(text) => {
            let mut secret = [0u8; 32];
            hex::decode_to_slice(text.trim(), &mut secret)
                .with_context(|| format!("{} is not a 64-character hex key", path.display()))?;
            Ok(SigningKey::from_bytes(&secret))
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            fs::create_dir_all(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
            let key = SigningKey::generate(&mut OsRng);
            let mut options = fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options
                .open(&path)
                .with_context(|| format!("creating {}", path.display()))?;
            file.write_all(hex::encode(key.to_bytes()).as_bytes())?;
            file.sync_all()?;
            Ok(key)
        }
        Err(error) => Err(error).with_context(|| format!("reading {}", path.display())),
    }
}
