//! Any text read from a QR code is refused or names a valid object of some
//! kind whose text form is the same text; nothing panics.
#![no_main]

use consent_protocol::{SignedGrant, SignedLogHead, SignedReceipt, SignedRevocation};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let canonical = text.trim();
    if let Ok(grant) = SignedGrant::from_text(text) {
        assert_eq!(grant.to_text(), canonical);
    }
    if let Ok(revocation) = SignedRevocation::from_text(text) {
        assert_eq!(revocation.to_text(), canonical);
    }
    if let Ok(receipt) = SignedReceipt::from_text(text) {
        assert_eq!(receipt.to_text(), canonical);
    }
    if let Ok(head) = SignedLogHead::from_text(text) {
        assert_eq!(head.to_text(), canonical);
    }
});
