//! This instance's signing key: created on first start, kept in the data
//! directory, readable only by the server's user, and replaced on rotation.

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
            write_private(&path, &key)?;
            Ok(key)
        }
        Err(error) => Err(error).with_context(|| format!("reading {}", path.display())),
    }
}

/// A new key, not yet in use: publish its public half, then [`replace`] the
/// key in `data_dir` with it.
pub fn generate() -> SigningKey {
    SigningKey::generate(&mut OsRng)
}

/// Makes `key` the key in `data_dir`, destroying the old private key. The
/// file is swapped whole (written beside it, then renamed over it), so a crash
/// leaves either the old key or the new one, never a torn file.
pub fn replace(data_dir: &Path, key: &SigningKey) -> anyhow::Result<()> {
    let path = data_dir.join(FILE_NAME);
    let next = data_dir.join(format!("{FILE_NAME}.next"));
    let _ = fs::remove_file(&next);
    write_private(&next, key)?;
    fs::rename(&next, &path).with_context(|| format!("replacing {}", path.display()))?;
    fs::File::open(data_dir)
        .and_then(|dir| dir.sync_all())
        .with_context(|| format!("syncing {}", data_dir.display()))?;
    Ok(())
}

/// Writes `key` to a new file only its owner may read.
fn write_private(path: &Path, key: &SigningKey) -> anyhow::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(hex::encode(key.to_bytes()).as_bytes())?;
    file.sync_all()?;
    Ok(())
}
