//! How often one client may try to enroll, and how often one person or one
//! device may give consent: keyed GCRA limiters (`governor`), one per
//! promise, each refusing with a `429` problem document that says when to
//! try again.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use consent_protocol::{KeyId, SubjectId};
use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use super::error::ApiError;
use crate::config::Limits;
use crate::connections::client_key;

type Keyed<K> = RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock>;

/// The server's rate limits.
pub struct RateLimits {
    enrollment: Keyed<IpAddr>,
    grants_per_person: Keyed<SubjectId>,
    grants_per_key: Keyed<KeyId>,
}

/// `n`, which is not zero.
const fn nonzero(n: u32) -> NonZeroU32 {
    match NonZeroU32::new(n) {
        Some(n) => n,
        None => panic!("a quota is at least one"),
    }
}

impl RateLimits {
    /// Enrollment attempts per client address (IPv6: per /64): 20 at once,
    /// then one every three seconds (20 a minute). Guessing an 80-bit code is
    /// hopeless anyway; this keeps one guesser from costing the server more
    /// than a family does, and slows only that guesser.
    pub const ENROLLMENT: Quota = Quota::per_minute(nonzero(20));

    /// Limits over `limits`: grants per person, and per signing device,
    /// `grants_per_hour` at once and then spread over the hour (by default 30,
    /// then one every two minutes). A family gives a handful a year; 20,000
    /// in 30 seconds (a flood that made every check of the class slow) is
    /// refused.
    pub fn new(limits: &Limits) -> Self {
        let grants = Quota::per_hour(NonZeroU32::new(limits.grants_per_hour).unwrap_or(nonzero(1)));
        Self {
            enrollment: RateLimiter::keyed(Self::ENROLLMENT),
            grants_per_person: RateLimiter::keyed(grants),
            grants_per_key: RateLimiter::keyed(grants),
        }
    }

    /// Counts an enrollment attempt from `client`, or refuses it when the
    /// client has tried too often.
    pub fn enrollment_attempt(&self, client: IpAddr) -> Result<(), ApiError> {
        self.enrollment
            .check_key(&client_key(client))
            .map_err(|not_until| {
                too_many(
                    not_until.wait_time_from(DefaultClock::default().now()),
                    "too many enrollment attempts from this address; wait and try again",
                )
            })
    }

    /// Counts a grant for `person` signed by `keys`, or refuses it when the
    /// person or one of the devices has given too many lately.
    pub fn grant(&self, person: SubjectId, keys: &[KeyId]) -> Result<(), ApiError> {
        let now = DefaultClock::default().now();
        self.grants_per_person.check_key(&person).map_err(|not_until| {
            too_many(
                not_until.wait_time_from(now),
                "this person has given consent too often lately; wait and try again",
            )
        })?;
        for key in keys {
            self.grants_per_key.check_key(key).map_err(|not_until| {
                too_many(
                    not_until.wait_time_from(now),
                    "this device has signed consent too often lately; wait and try again",
                )
            })?;
        }
        Ok(())
    }

    /// Forgets the clients, people and devices whose budget is whole again,
    /// so that memory holds only those counted lately.
    pub fn forget_idle(&self) {
        forget_idle(&self.enrollment);
        forget_idle(&self.grants_per_person);
        forget_idle(&self.grants_per_key);
    }
}

fn forget_idle<K: std::hash::Hash + Eq + Clone>(limiter: &Keyed<K>) {
    limiter.retain_recent();
    limiter.shrink_to_fit();
}

fn too_many(retry_after: Duration, detail: &'static str) -> ApiError {
    ApiError::TooManyRequests { detail, retry_after }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn address(n: u32) -> IpAddr {
        IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 + n))
    }

    #[test]
    fn one_client_over_its_limit_does_not_slow_another() {
        let limits = RateLimits::new(&Limits::default());
        let burst = RateLimits::ENROLLMENT.burst_size().get();
        for _ in 0..burst {
            assert!(limits.enrollment_attempt(address(1)).is_ok());
        }
        let refused = limits.enrollment_attempt(address(1)).unwrap_err();
        assert!(matches!(
            refused,
            ApiError::TooManyRequests { retry_after, .. } if retry_after > Duration::ZERO
        ));
        assert!(limits.enrollment_attempt(address(2)).is_ok());
    }

    #[test]
    fn an_ipv6_client_is_limited_by_its_64() {
        let limits = RateLimits::new(&Limits::default());
        let burst = RateLimits::ENROLLMENT.burst_size().get();
        for n in 0..burst {
            let ip: IpAddr = format!("2001:db8:1:2::{n:x}").parse().unwrap();
            assert!(limits.enrollment_attempt(ip).is_ok());
        }
        assert!(limits
            .enrollment_attempt("2001:db8:1:2:ffff::1".parse().unwrap())
            .is_err());
        assert!(limits
            .enrollment_attempt("2001:db8:1:3::1".parse().unwrap())
            .is_ok());
    }
}
