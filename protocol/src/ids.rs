//! Identifiers: random 128-bit ids for objects and people, school numbers and key ids.

use std::fmt;
use std::str::FromStr;

use rand_core::CryptoRngCore;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a text is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid {kind}: expected {hex_len} lowercase hexadecimal characters")]
pub struct ParseIdError {
    kind: &'static str,
    hex_len: usize,
}

macro_rules! byte_id {
    ($(#[$doc:meta])* $name:ident, $len:expr, $what:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name([u8; $len]);

        impl $name {
            /// Length of the identifier in bytes.
            pub const LEN: usize = $len;

            /// Wraps raw bytes.
            pub const fn from_bytes(bytes: [u8; $len]) -> Self {
                Self(bytes)
            }

            /// The raw bytes.
            pub const fn as_bytes(&self) -> &[u8; $len] {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&hex::encode(self.0))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self)
            }
        }

        impl FromStr for $name {
            type Err = ParseIdError;

            /// Parses the lowercase hexadecimal form that `Display` writes.
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                let error = ParseIdError { kind: $what, hex_len: 2 * $len };
                if text.bytes().any(|b| b.is_ascii_uppercase()) {
                    return Err(error);
                }
                let mut bytes = [0u8; $len];
                hex::decode_to_slice(text, &mut bytes).map_err(|_| error)?;
                Ok(Self(bytes))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

macro_rules! random_id {
    ($($name:ident),*) => {$(
        impl $name {
            /// A fresh identifier drawn from a cryptographic random generator.
            pub fn random(rng: &mut impl CryptoRngCore) -> Self {
                let mut bytes = [0u8; Self::LEN];
                rng.fill_bytes(&mut bytes);
                Self(bytes)
            }
        }
    )*};
}

byte_id!(
    /// The random 128-bit id of one consent grant token.
    TokenId, 16, "token id"
);
byte_id!(
    /// The pseudonymous 128-bit id of a person (a student or a guardian).
    /// It never carries a name.
    SubjectId, 16, "person id"
);
byte_id!(
    /// The random 128-bit id of one revocation.
    RevocationId, 16, "revocation id"
);
byte_id!(
    /// The random 128-bit id of one decision receipt.
    ReceiptId, 16, "receipt id"
);
byte_id!(
    /// The 64-bit id of a public key: the first 8 bytes of a domain-separated
    /// SHA-256 of the key (see [`crate::PublicKey::id`]).
    KeyId, 8, "key id"
);

byte_id!(
    /// A SHA-256 digest: of a photo or video file, or of the audit log.
    Hash256, 32, "SHA-256 hash"
);

random_id!(TokenId, SubjectId, RevocationId, ReceiptId);

/// The number of a school on its server.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SchoolId(pub u32);

impl fmt::Display for SchoolId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_text_round_trips_and_uppercase_is_refused() {
        let id = TokenId::from_bytes([0xab; 16]);
        let text = id.to_string();
        assert_eq!(text, "ab".repeat(16));
        assert_eq!(text.parse::<TokenId>(), Ok(id));
        assert!(text.to_uppercase().parse::<TokenId>().is_err());
        assert!("abc".parse::<TokenId>().is_err());
    }
}
