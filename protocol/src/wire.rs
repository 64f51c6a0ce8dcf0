//! The byte reader and writer behind every object's one canonical encoding.
//!
//! Integers are big-endian and fixed-width, so every value has exactly one
//! encoding; the reader refuses short input and leftover bytes.

use crate::error::Error;

/// The protocol version this software writes and reads.
pub const VERSION: u8 = 1;

/// The kinds of signed object. The kind byte follows the version byte in every
/// object, and the kind's domain string prefixes every signed message.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    /// A consent grant token.
    Grant,
    /// A revocation of consent.
    Revocation,
    /// A server's decision receipt.
    Receipt,
    /// A server's signed audit log head.
    LogHead,
    /// A device's signed HTTP request (a signature only, never an object).
    Request,
    /// A server's signed page of a school's revocation list.
    RevocationList,
    /// A server's signed list of when each person stops needing a guardian.
    GuardianDates,
}

impl Kind {
    /// The kind byte.
    pub const fn byte(self) -> u8 {
        match self {
            Kind::Grant => 1,
            Kind::Revocation => 2,
            Kind::Receipt => 3,
            Kind::LogHead => 4,
            Kind::Request => 5,
            Kind::RevocationList => 6,
            Kind::GuardianDates => 7,
        }
    }

    /// The kind's name, as used in errors and test vectors.
    pub const fn name(self) -> &'static str {
        match self {
            Kind::Grant => "grant",
            Kind::Revocation => "revocation",
            Kind::Receipt => "receipt",
            Kind::LogHead => "log-head",
            Kind::Request => "request",
            Kind::RevocationList => "revocation-list",
            Kind::GuardianDates => "guardian-dates",
        }
    }

    /// The domain-separation prefix of every message signed for this kind:
    /// `school-consent/v1/<name>` followed by a zero byte.
    pub const fn domain(self) -> &'static [u8] {
        match self {
            Kind::Grant => b"school-consent/v1/grant\0",
            Kind::Revocation => b"school-consent/v1/revocation\0",
            Kind::Receipt => b"school-consent/v1/receipt\0",
            Kind::LogHead => b"school-consent/v1/log-head\0",
            Kind::Request => b"school-consent/v1/request\0",
            Kind::RevocationList => b"school-consent/v1/revocation-list\0",
            Kind::GuardianDates => b"school-consent/v1/guardian-dates\0",
        }
    }

    fn from_byte(byte: u8) -> Option<Self> {
        [
            Kind::Grant,
            Kind::Revocation,
            Kind::Receipt,
            Kind::LogHead,
            Kind::Request,
            Kind::RevocationList,
            Kind::GuardianDates,
        ]
        .into_iter()
        .find(|kind| kind.byte() == byte)
    }
}

/// Writes fields in order.
pub(crate) struct Writer(Vec<u8>);

impl Writer {
    pub(crate) fn new(kind: Kind) -> Self {
        let mut bytes = Vec::with_capacity(256);
        bytes.extend_from_slice(&[VERSION, kind.byte()]);
        Self(bytes)
    }

    pub(crate) fn bytes(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.extend_from_slice(bytes);
        self
    }

    pub(crate) fn u8(&mut self, value: u8) -> &mut Self {
        self.0.push(value);
        self
    }

    pub(crate) fn u16(&mut self, value: u16) -> &mut Self {
        self.bytes(&value.to_be_bytes())
    }

    pub(crate) fn u32(&mut self, value: u32) -> &mut Self {
        self.bytes(&value.to_be_bytes())
    }

    pub(crate) fn u64(&mut self, value: u64) -> &mut Self {
        self.bytes(&value.to_be_bytes())
    }

    pub(crate) fn finish(self) -> Vec<u8> {
        self.0
    }
}

/// Reads fields in order, refusing short input.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Starts reading an object of `kind`, checking the version and kind bytes.
    pub(crate) fn new(bytes: &'a [u8], kind: Kind) -> Result<Self, Error> {
        let mut reader = Self { rest: bytes };
        let version = reader.u8("version")?;
        if version != VERSION {
            return Err(Error::UnknownVersion {
                found: version,
                supported: VERSION,
            });
        }
        let found = reader.u8("kind")?;
        if found != kind.byte() {
            return Err(Error::WrongKind {
                expected: kind.name(),
                found: Kind::from_byte(found).map_or("unknown object", Kind::name),
            });
        }
        Ok(reader)
    }

    pub(crate) fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], Error> {
        let (head, rest) = self
            .rest
            .split_first_chunk::<N>()
            .ok_or(Error::Truncated { field })?;
        self.rest = rest;
        Ok(*head)
    }

    pub(crate) fn u8(&mut self, field: &'static str) -> Result<u8, Error> {
        self.array::<1>(field).map(|[byte]| byte)
    }

    pub(crate) fn u16(&mut self, field: &'static str) -> Result<u16, Error> {
        self.array(field).map(u16::from_be_bytes)
    }

    pub(crate) fn u32(&mut self, field: &'static str) -> Result<u32, Error> {
        self.array(field).map(u32::from_be_bytes)
    }

    pub(crate) fn u64(&mut self, field: &'static str) -> Result<u64, Error> {
        self.array(field).map(u64::from_be_bytes)
    }

    /// Ends reading: leftover bytes are an error.
    pub(crate) fn finish(self) -> Result<(), Error> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(Error::TrailingBytes {
                count: self.rest.len(),
            })
        }
    }
}
