//! The offline cache: the school's keys, guardianships, revocations and
//! guardian dates, so a teacher can check consent codes without a network
//! (on a school trip) and reach the same answer as the server.
//!
//! Nothing in it is trusted because the server sent it: every revocation, and
//! the server's signature over each page of the list (which shows that none
//! was left out, and dates the cache), are verified before they are stored.
//! The guardian dates (per person, until when a guardian must sign: the age
//! rule without birth dates) are signed by the server as one list; the
//! signature is checked at sync and again at every scan, so an edited cache
//! file cannot make a child old enough.

use anyhow::{bail, Context, Result};
use consent_protocol::{
    GuardianDate, KeyHolder, Keyring, ListedRevocation, PublicKey, SchoolId, SignedGuardianDates,
    SignedRevocation, SignedRevocationList, SubjectId, Timestamp,
};
use serde::{Deserialize, Serialize};

use crate::api::{ApiProblem, Auth, Client};
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
    /// The last log position the cached list covers.
    up_to: u64,
    /// The server's signed last page of the list at the last sync: its
    /// `signed_at` dates the cache.
    signed_list: String,
    /// Per person, until when a guardian must sign (in person id order).
    #[serde(default)]
    guardian_dates: Vec<GuardianDate>,
    /// The server's signature over `guardian_dates`.
    #[serde(default)]
    signed_guardian_dates: String,
}

/// What the cache says about the age rule for one person.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgeRule {
    /// A guardian must sign until this moment, which has not come yet.
    GuardianNeeded { until: Timestamp },
    /// Old enough to decide alone (since this moment; 1970 when the server
    /// only said "old enough").
    DecidesAlone { since: Timestamp },
    /// The cache holds no date for this person (enrolled after the last
    /// sync, or a cache from before guardian dates existed).
    Unknown,
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
    revocations: Vec<ListedText>,
    signed_list: String,
}

#[derive(Deserialize)]
struct ListedText {
    sequence: u64,
    revocation: String,
}

/// A page of the list as fetched, not yet verified.
struct FetchedPage {
    after: u64,
    page: RevocationPage,
}

#[derive(Deserialize)]
struct OfflineKeys {
    school: SchoolId,
    server_keys: Vec<String>,
    device_keys: Vec<CachedKey>,
    guardianships: Vec<Guardianship>,
    guardian_dates: Vec<GuardianDate>,
    signed_guardian_dates: String,
}

impl Cache {
    /// The stored cache, if any.
    pub fn load(paths: &Paths) -> Result<Option<Self>> {
        read_json(&paths.cache())
    }

    /// The moment the server vouched for the revocation list: the signed
    /// list's `signed_at`. A list that does not decode dates the cache to 1970.
    pub fn fresh_at(&self) -> Timestamp {
        SignedRevocationList::from_text(&self.signed_list)
            .map_or(Timestamp::from_unix(0), |list| list.unverified().signed_at)
    }

    /// Seconds since [`Self::fresh_at`].
    pub fn age_seconds(&self, now: Timestamp) -> u64 {
        u64::from(now.as_unix().saturating_sub(self.fresh_at().as_unix()))
    }

    /// How many revocations are cached.
    pub fn revocation_count(&self) -> usize {
        self.revocations.len()
    }

    /// The keys as a verifier needs them, cut-off keys marked revoked. (A
    /// listed revocation made before its device was cut off still counts:
    /// `SignedRevocationList::verify_with_revocations` sees to that.)
    pub fn keyring(&self) -> Result<Keyring> {
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
            if key.revoked {
                keyring.revoke(id);
            }
        }
        for link in &self.guardianships {
            keyring.add_guardianship(link.guardian, link.child);
        }
        Ok(keyring)
    }

    /// The age rule for `person` at `now`, from the server's signed guardian
    /// dates. The signature is checked again here, so a cache file edited
    /// after `consent sync` is refused rather than believed.
    pub fn age_rule(&self, person: SubjectId, now: Timestamp) -> Result<AgeRule> {
        if self.signed_guardian_dates.is_empty() {
            return Ok(AgeRule::Unknown);
        }
        let keyring = self.keyring()?;
        SignedGuardianDates::from_text(&self.signed_guardian_dates)
            .and_then(|signed| signed.verify(&keyring, &self.guardian_dates).map(|_| ()))
            .map_err(|error| {
                anyhow::anyhow!(
                    "the cache's guardian dates do not match the server's signature ({}); run `consent sync`",
                    error.code()
                )
            })?;
        let Ok(index) = self
            .guardian_dates
            .binary_search_by(|date| date.person.as_bytes().cmp(person.as_bytes()))
        else {
            return Ok(AgeRule::Unknown);
        };
        let date = self.guardian_dates[index];
        Ok(if date.needs_guardian(now) {
            AgeRule::GuardianNeeded { until: date.until }
        } else {
            AgeRule::DecidesAlone { since: date.until }
        })
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
    let mut after = previous.as_ref().map_or(0, |cache| cache.up_to);
    let mut pages = fetch_pages(client, after).await?;
    let moved = match (&previous, pages.first()) {
        (Some(_), None) => true,
        (Some(cache), Some(first)) => cache.school != first.page.school,
        (None, _) => false,
    };
    if moved {
        // The token now belongs to another school, or the server's log is
        // shorter than the cache (another server behind the same address):
        // start afresh.
        texts.clear();
        after = 0;
        pages = fetch_pages(client, after).await?;
    }
    let school = pages
        .first()
        .map(|fetched| fetched.page.school)
        .context("the server sent no revocation list; try `consent sync` again")?;
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
        up_to: after,
        signed_list: String::new(),
        guardian_dates: keys.guardian_dates,
        signed_guardian_dates: keys.signed_guardian_dates,
    };
    let server_keyring = cache.keyring()?;
    let dates = SignedGuardianDates::from_text(&cache.signed_guardian_dates)
        .and_then(|signed| signed.verify(&server_keyring, &cache.guardian_dates).cloned())
        .map_err(|error| {
            anyhow::anyhow!(
                "the server sent guardian dates that do not verify ({}: {error}); the cache was not updated. \
                 Tell the school's administrator",
                error.code()
            )
        })?;
    if dates.school != school {
        bail!("the server's guardian dates are for another school; the cache was not updated");
    }
    let now = clock::now();
    for fetched in pages {
        let (up_to, new_texts) = verify_page(&fetched, school, &server_keyring, now)?;
        if fetched.after != cache.up_to {
            bail!(
                "the server's revocation list has a gap; the cache was not updated. Try `consent sync` again"
            );
        }
        cache.up_to = up_to;
        cache.signed_list = fetched.page.signed_list;
        texts.extend(new_texts);
    }
    cache.revocations = texts;
    write_private(&paths.cache(), &serde_json::to_vec_pretty(&cache)?)?;
    Ok(cache)
}

/// Verifies one page: the server's signature over it, that its revocations
/// are exactly the ones signed for (none left out), and each revocation's own
/// signature. Returns the last log position it covers and its revocations.
fn verify_page(
    fetched: &FetchedPage,
    school: SchoolId,
    keyring: &Keyring,
    now: Timestamp,
) -> Result<(u64, Vec<String>)> {
    let refused = |what: &str, error: consent_protocol::Error| {
        anyhow::anyhow!(
            "the server sent {what} that does not verify ({}: {error}); the cache was not updated. \
             Tell the school's administrator",
            error.code()
        )
    };
    let page = &fetched.page;
    let entries = page
        .revocations
        .iter()
        .map(|listed| {
            Ok(ListedRevocation {
                sequence: listed.sequence,
                revocation: SignedRevocation::from_text(&listed.revocation)?,
            })
        })
        .collect::<Result<Vec<_>, consent_protocol::Error>>()
        .map_err(|error| refused("a revocation", error))?;
    // The whole check of docs/protocol.md: the page, its revocations, and
    // each revocation's own signature (a key cut off since still counts).
    let list = SignedRevocationList::from_text(&page.signed_list)
        .and_then(|signed| signed.verify_with_revocations(keyring, &entries, now).cloned())
        .map_err(|error| refused("a revocation list", error))?;
    if list.school != school || list.after != fetched.after {
        bail!(
            "the server's revocation list is for another school or another range; the cache was not updated"
        );
    }
    Ok((
        list.up_to,
        page.revocations
            .iter()
            .map(|listed| listed.revocation.clone())
            .collect(),
    ))
}

/// Every page of the list after log position `after`, up to the last one.
/// Empty when the server's log is shorter than `after`.
async fn fetch_pages(client: &Client, after: u64) -> Result<Vec<FetchedPage>> {
    let mut after = after;
    let mut pages = Vec::new();
    loop {
        let after_text = after.to_string();
        let page: RevocationPage = match client
            .get("/v1/revocations", &[("after", after_text.as_str())], Auth::Staff)
            .await
        {
            Ok(page) => page,
            Err(error)
                if error
                    .downcast_ref::<ApiProblem>()
                    .is_some_and(|problem| problem.code == "after_beyond_log") =>
            {
                return Ok(Vec::new());
            }
            Err(error) => return Err(error.context("fetching the school's revocations")),
        };
        // Read the claimed range without trusting it; verify_page checks it.
        let claims = SignedRevocationList::from_text(&page.signed_list)
            .map(|signed| signed.unverified().clone())
            .map_err(|error| {
                anyhow::anyhow!("the server's revocation list does not decode ({})", error.code())
            })?;
        let last = claims.is_complete() || claims.up_to <= after;
        let next = claims.up_to;
        pages.push(FetchedPage { after, page });
        if last {
            return Ok(pages);
        }
        after = next;
    }
}

#[cfg(test)]
mod tests {
    use consent_protocol::{
        KeyHolder, Keyring, ListedRevocation, PublicKey, Revocation, RevocationId, RevocationList,
        RevocationScope, Role, SchoolId, SignedRevocation, SignedRevocationList, SigningKey, SubjectId,
        Timestamp, TokenId,
    };

    use super::{verify_page, FetchedPage, ListedText, RevocationPage};

    struct World {
        student: SigningKey,
        keyring: Keyring,
        listed: ListedRevocation,
        signed_list: SignedRevocationList,
        now: Timestamp,
    }

    const SCHOOL: SchoolId = SchoolId(7);

    fn world() -> World {
        let server = SigningKey::from_bytes(&[1; 32]);
        let student = SigningKey::from_bytes(&[2; 32]);
        let subject = SubjectId::from_bytes([3; 16]);
        let now = Timestamp::from_unix(1_800_000_000);
        let mut keyring = Keyring::new();
        keyring.add(PublicKey::of(&server), KeyHolder::Server);
        keyring.add(PublicKey::of(&student), KeyHolder::Person(subject));
        let revocation = Revocation {
            id: RevocationId::from_bytes([4; 16]),
            school: SCHOOL,
            subject,
            scope: RevocationScope::Token(TokenId::from_bytes([5; 16])),
            issued_at: now,
            role: Role::Subject,
            key: PublicKey::of(&student).id(),
        };
        let listed = ListedRevocation {
            sequence: 2,
            revocation: SignedRevocation::sign(revocation, &student).expect("key matches"),
        };
        let list = RevocationList::of_entries(
            SCHOOL,
            0,
            3,
            3,
            std::slice::from_ref(&listed),
            now,
            PublicKey::of(&server).id(),
        )
        .expect("entries fit");
        let signed_list = SignedRevocationList::sign(list, &server).expect("key matches");
        World {
            student,
            keyring,
            listed,
            signed_list,
            now,
        }
    }

    fn page(world: &World, revocations: &[&ListedRevocation]) -> FetchedPage {
        FetchedPage {
            after: 0,
            page: RevocationPage {
                school: SCHOOL,
                revocations: revocations
                    .iter()
                    .map(|listed| ListedText {
                        sequence: listed.sequence,
                        revocation: listed.revocation.to_text(),
                    })
                    .collect(),
                signed_list: world.signed_list.to_text(),
            },
        }
    }

    #[test]
    fn a_whole_page_verifies() {
        let world = world();
        let fetched = page(&world, &[&world.listed]);
        let (up_to, texts) = verify_page(&fetched, SCHOOL, &world.keyring, world.now).expect("verifies");
        assert_eq!((up_to, texts.len()), (3, 1));
    }

    #[test]
    fn a_page_with_its_revocation_left_out_is_refused() {
        let world = world();
        let error = verify_page(&page(&world, &[]), SCHOOL, &world.keyring, world.now)
            .expect_err("an omission is noticed");
        assert!(error.to_string().contains("list_mismatch"), "{error}");
    }

    #[test]
    fn a_page_signed_by_anyone_but_the_server_is_refused() {
        let world = world();
        let mut list = world.signed_list.unverified().clone();
        list.key = PublicKey::of(&world.student).id();
        let forged = SignedRevocationList::sign(list, &world.student).expect("key matches");
        let mut fetched = page(&world, &[&world.listed]);
        fetched.page.signed_list = forged.to_text();
        assert!(verify_page(&fetched, SCHOOL, &world.keyring, world.now).is_err());
    }

    #[test]
    fn a_page_for_another_range_is_refused() {
        let world = world();
        let mut fetched = page(&world, &[&world.listed]);
        fetched.after = 1;
        assert!(verify_page(&fetched, SCHOOL, &world.keyring, world.now).is_err());
    }
}
