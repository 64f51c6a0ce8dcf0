//! Any bytes given to the guardian-dates decoder are refused or decode
//! to a value that encodes back to exactly those bytes; nothing panics.
#![no_main]

use consent_protocol::SignedGuardianDates;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(decoded) = SignedGuardianDates::from_bytes(bytes) {
        assert_eq!(decoded.to_bytes(), bytes, "decoding is not canonical");
    }
});
