//! The offline cache: the school's keys, guardianships and revocations, so a
//! teacher can check consent codes without a network (on a school trip).
//!
//! Nothing in it is trusted because the server sent it: every revocation and
//! the log head that dates the cache are verified before they are stored.

use anyhow::{bail, Context, Result};
use consent_protocol::{
    KeyHolder, Keyring, PublicKey, SchoolId, SignedLogHead, SignedRevocation, SubjectId, Timestamp,
};
use serde::{Deserialize, Serialize};

use crate::api::{Auth, Client};
use crate::clock;
use crate::config::{read_json, write_private, Paths};

/// What `consent sync` keeps.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Cache {
    /// The server it came from.
    pub server: String,
    /// The teacher's school.
    pub school: SchoolId,
    server_keys: Vec<String>,
    device_keys: Vec<CachedKey>,
    guardianships: Vec<Guardianship>,
    /// Verified revocations, as text.
    revocations: Vec<String>,
    /// The last revocation sequence number fetched.
    up_to: i64,
    /// The signed log head of the last sync: its `signed_at` dates the cache.
    log_head: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct CachedKey {
    public_key: String,
    person: SubjectId,
    revoked: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Guardianship {
    guardian: SubjectId,
    child: SubjectId,
}

#[derive(Deserialize)]
struct RevocationPage {
    school: SchoolId,
    revocations: Vec<ListedRevocation>,
    up_to: i64,
    log_head: String,
}

#[derive(Deserialize)]
struct ListedRevocation {
    revocation: String,
}

#[derive(Deserialize)]
struct OfflineKeys {
    school: SchoolId,
    server_keys: Vec<String>,
    device_keys: Vec<CachedKey>,
    guardianships: Vec<Guardianship>,
}

impl Cache {
    /// The stored cache, if any.
    pub fn load(paths: &Paths) -> Result<Option<Self>> {
        read_json(&paths.cache())
    }

    /// The moment the server vouched for the revocation list: the signed log
    /// head's `signed_at`. A head that does not decode dates the cache to 1970.
    pub fn fresh_at(&self) -> Timestamp {
        SignedLogHead::from_text(&self.log_head)
            .map_or(Timestamp::from_unix(0), |head| head.unverified().signed_at)
    }

    /// Seconds since [`Self::fresh_at`].
    pub fn age_seconds(&self, now: Timestamp) -> u64 {
        u64::from(now.as_unix().saturating_sub(self.fresh_at().as_unix()))
    }

    /// How many revocations are cached.
    pub fn revocation_count(&self) -> usize {
        self.revocations.len()
    }

    /// The keys as a verifier needs them. With `for_revocations`, keys cut off
    /// since are still accepted: a revocation made before a device was lost
    /// still withdraws consent (revocation wins; withdrawing is never unsafe).
    pub fn keyring(&self, for_revocations: bool) -> Result<Keyring> {
        let mut keyring = Keyring::new();
        for key in &self.server_keys {
            keyring.add(
                PublicKey::from_hex(key)
                    .context("the cache holds a damaged server key; run `consent sync`")?,
                KeyHolder::Server,
            );
        }
        for key in &self.device_keys {
            let id = keyring.add(
                PublicKey::from_hex(&key.public_key)
                    .context("the cache holds a damaged device key; run `consent sync`")?,
                KeyHolder::Person(key.person),
            );
            if key.revoked && !for_revocations {
                keyring.revoke(id);
            }
        }
        for link in &self.guardianships {
            keyring.add_guardianship(link.guardian, link.child);
        }
        Ok(keyring)
    }

    /// The cached revocations (each verified when it was cached).
    pub fn revocations(&self) -> Vec<SignedRevocation> {
        self.revocations
            .iter()
            .filter_map(|text| SignedRevocation::from_text(text).ok())
            .collect()
    }
}

/// Brings the cache up to date: revocations since the last sync, then every
/// key and guardianship; verifies them all and stores the result.
pub async fn sync(paths: &Paths, client: &Client) -> Result<Cache> {
    let previous = Cache::load(paths)
        .ok()
        .flatten()
        .filter(|cache| cache.server == client.base());
    let mut texts = previous
        .as_ref()
        .map(|cache| cache.revocations.clone())
        .unwrap_or_default();
    let mut up_to = previous.as_ref().map_or(0, |cache| cache.up_to);
    let mut fetched = fetch_revocations(client, up_to).await?;
    if previous.as_ref().is_some_and(|cache| cache.school != fetched.0) {
        // The token now belongs to another school: start afresh.
        texts.clear();
        up_to = 0;
        fetched = fetch_revocations(client, up_to).await?;
    }
    let (school, new_texts, new_up_to, log_head) = fetched;
    // Keys after revocations: every key that signed a fetched revocation is
    // then in the key list (keys are only ever added).
    let keys: OfflineKeys = client
        .get("/v1/offline-keys", &[], Auth::Staff)
        .await
        .context("fetching the school's keys")?;
    if keys.school != school {
        bail!("the server answered for two different schools; try `consent sync` again");
    }
    let mut cache = Cache {
        server: client.base().to_owned(),
        school,
        server_keys: keys.server_keys,
        device_keys: keys.device_keys,
        guardianships: keys.guardianships,
        revocations: Vec::new(),
        up_to: new_up_to.max(up_to),
        log_head,
    };
    let head = SignedLogHead::from_text(&cache.log_head).context("the server's log head does not decode")?;
    let head = head
        .verify(&cache.keyring(false)?)
        .context("the server's signed log head does not verify; the cache was not updated")?;
    if head.school != school {
        bail!("the server's log head is for another school; the cache was not updated");
    }
    let keyring = cache.keyring(true)?;
    let now = clock::now();
    for text in &new_texts {
        let revocation = SignedRevocation::from_text(text)
            .and_then(|signed| signed.verify(&keyring, now).map(|r| r.school))
            .map_err(|error| {
                anyhow::anyhow!(
                    "the server sent a revocation that does not verify ({}: {error}); the cache was not updated. \
                     Tell the school's administrator",
                    error.code()
                )
            })?;
        if revocation != school {
            bail!("the server sent a revocation for another school; the cache was not updated");
        }
    }
    texts.extend(new_texts);
    cache.revocations = texts;
    write_private(&paths.cache(), &serde_json::to_vec_pretty(&cache)?)?;
    Ok(cache)
}

/// Every revocation after `after`, page by page, with the school and the
/// signed log head of the last page.
async fn fetch_revocations(client: &Client, after: i64) -> Result<(SchoolId, Vec<String>, i64, String)> {
    let mut after = after;
    let mut texts = Vec::new();
    loop {
        let after_text = after.to_string();
        let page: RevocationPage = client
            .get("/v1/revocations", &[("after", after_text.as_str())], Auth::Staff)
            .await
            .context("fetching the school's revocations")?;
        if page.revocations.is_empty() || page.up_to <= after {
            return Ok((page.school, texts, after, page.log_head));
        }
        texts.extend(page.revocations.into_iter().map(|listed| listed.revocation));
        after = page.up_to;
    }
}
