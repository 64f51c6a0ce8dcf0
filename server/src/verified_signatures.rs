//! The signatures this instance has verified, so that a class photo's thirty
//! tokens are verified once per instance rather than at every check.
//!
//! An entry is the SHA-256 of the exact key, signature and signed message
//! ([`consent_protocol::verify_grants_remembering`]): a row altered in the
//! database is a different entry, misses, and is verified (and refused) as
//! if nothing were remembered. Only that arithmetic is remembered. Which keys
//! are cut off, who is whose guardian, revocations and validity windows are
//! read from the database and decided at every check, so a revocation
//! acknowledged on any instance still wins the very next check.

use std::num::NonZeroUsize;
use std::sync::Mutex;

use consent_protocol::VerifiedSignatures;
use lru::LruCache;

/// How many verified signatures an instance remembers: enough for every
/// token of a school of a million people. The least recently used is
/// forgotten first; a forgotten signature is only verified again.
pub const CAPACITY: usize = 1 << 20;

/// About what one remembered signature costs in memory: the 32-byte digest,
/// the recency list's two links and its allocation, and its slot in the
/// hash table.
pub const BYTES_PER_ENTRY: usize = 80;

/// A bounded, least-recently-used set of verified signature digests.
pub struct SignatureCache {
    entries: Mutex<LruCache<[u8; 32], ()>>,
}

impl SignatureCache {
    /// An empty cache remembering at most `capacity` signatures (at least one).
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(LruCache::new(
                NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN),
            )),
        }
    }

    /// How many signatures it remembers now.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether it remembers none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<[u8; 32], ()>> {
        // The cache holds no invariant a panicking holder could break: a
        // poisoned lock is as good as any.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Default for SignatureCache {
    fn default() -> Self {
        Self::new(CAPACITY)
    }
}

impl VerifiedSignatures for SignatureCache {
    fn holds(&self, digest: &[u8; 32]) -> bool {
        self.lock().get(digest).is_some()
    }

    fn remember(&self, digest: [u8; 32]) {
        self.lock().put(digest, ());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forgets_the_least_recently_used_beyond_its_bound() {
        let cache = SignatureCache::new(2);
        cache.remember([1; 32]);
        cache.remember([2; 32]);
        assert!(cache.holds(&[1; 32]));
        cache.remember([3; 32]);
        assert_eq!(cache.len(), 2);
        assert!(cache.holds(&[1; 32]));
        assert!(!cache.holds(&[2; 32]));
        assert!(cache.holds(&[3; 32]));
    }
}
