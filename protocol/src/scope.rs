//! What a consent covers: media kinds and purposes, each encoded as a bit set.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A kind of recording a person can consent to.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum MediaKind {
    /// Photographs.
    Photo,
    /// Video recordings.
    Video,
    /// Sound recordings.
    Audio,
}

impl MediaKind {
    /// Every media kind, in bit order.
    pub const ALL: [MediaKind; 3] = [MediaKind::Photo, MediaKind::Video, MediaKind::Audio];

    /// The bit index of this kind in a [`MediaSet`] (also its one-byte code in a receipt).
    pub const fn bit(self) -> u8 {
        match self {
            MediaKind::Photo => 0,
            MediaKind::Video => 1,
            MediaKind::Audio => 2,
        }
    }

    /// The kind with this bit index, if any.
    pub fn from_bit(bit: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.bit() == bit)
    }

    /// The name used in text and JSON: `photo`, `video` or `audio`.
    pub const fn name(self) -> &'static str {
        match self {
            MediaKind::Photo => "photo",
            MediaKind::Video => "video",
            MediaKind::Audio => "audio",
        }
    }
}

/// The text names no known media kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown media kind {0:?}: use photo, video or audio")]
pub struct UnknownMediaKind(String);

impl FromStr for MediaKind {
    type Err = UnknownMediaKind;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.name() == text)
            .ok_or_else(|| UnknownMediaKind(text.to_owned()))
    }
}

impl fmt::Display for MediaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A purpose or channel for which a recording may be used.
///
/// Purposes are bit indices 0 to 15. The first six have names; the rest are
/// reserved so that new purposes can be added without a new protocol version.
/// A verifier that does not know a purpose's name still carries it faithfully
/// (it shows as `purpose-N`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Purpose(u8);

impl Purpose {
    /// Internal use in class and within the school.
    pub const INTERNAL: Purpose = Purpose(0);
    /// The school's public website.
    pub const WEBSITE: Purpose = Purpose(1);
    /// The school's social-media accounts.
    pub const SOCIAL_MEDIA: Purpose = Purpose(2);
    /// The newsletter, prospectus and other print.
    pub const NEWSLETTER: Purpose = Purpose(3);
    /// The yearbook.
    pub const YEARBOOK: Purpose = Purpose(4);
    /// The local and national press.
    pub const PRESS: Purpose = Purpose(5);

    /// The named purposes, in bit order.
    pub const NAMED: [Purpose; 6] = [
        Purpose::INTERNAL,
        Purpose::WEBSITE,
        Purpose::SOCIAL_MEDIA,
        Purpose::NEWSLETTER,
        Purpose::YEARBOOK,
        Purpose::PRESS,
    ];

    /// The purpose with bit index `bit`, if it is below 16.
    pub const fn from_bit(bit: u8) -> Option<Self> {
        if bit < 16 {
            Some(Purpose(bit))
        } else {
            None
        }
    }

    /// The bit index of this purpose (also its one-byte code in a receipt).
    pub const fn bit(self) -> u8 {
        self.0
    }

    /// The name of a named purpose.
    pub const fn name(self) -> Option<&'static str> {
        match self.0 {
            0 => Some("internal"),
            1 => Some("website"),
            2 => Some("social-media"),
            3 => Some("newsletter"),
            4 => Some("yearbook"),
            5 => Some("press"),
            _ => None,
        }
    }
}

/// The text names no purpose.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown purpose {0:?}: use internal, website, social-media, newsletter, yearbook, press or purpose-N (N below 16)"
)]
pub struct UnknownPurpose(String);

impl FromStr for Purpose {
    type Err = UnknownPurpose;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if let Some(named) = Self::NAMED.into_iter().find(|p| p.name() == Some(text)) {
            return Ok(named);
        }
        text.strip_prefix("purpose-")
            .filter(|digits| !digits.starts_with('0') || *digits == "0")
            .and_then(|digits| digits.parse::<u8>().ok())
            .and_then(Purpose::from_bit)
            .ok_or_else(|| UnknownPurpose(text.to_owned()))
    }
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "purpose-{}", self.0),
        }
    }
}

macro_rules! text_serde {
    ($ty:ty) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
text_serde!(MediaKind);
text_serde!(Purpose);

/// A non-empty set of media kinds, encoded as one byte (bit 0 photo, 1 video, 2 audio).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(try_from = "Vec<MediaKind>", into = "Vec<MediaKind>")]
pub struct MediaSet(u8);

/// A set of media kinds or purposes must name at least one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("name at least one {0}")]
pub struct EmptySet(&'static str);

impl MediaSet {
    const KNOWN_BITS: u8 = 0b111;

    /// The set of the given kinds; empty input is refused.
    pub fn new(kinds: impl IntoIterator<Item = MediaKind>) -> Result<Self, EmptySet> {
        let bits = kinds.into_iter().fold(0u8, |bits, kind| bits | 1 << kind.bit());
        Self::from_bits(bits).ok_or(EmptySet("media kind"))
    }

    /// The set with these bits, if it is non-empty and names only known kinds.
    pub const fn from_bits(bits: u8) -> Option<Self> {
        if bits == 0 || bits & !Self::KNOWN_BITS != 0 {
            None
        } else {
            Some(Self(bits))
        }
    }

    /// The encoded byte.
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Whether `kind` is in the set.
    pub const fn contains(self, kind: MediaKind) -> bool {
        self.0 & (1 << kind.bit()) != 0
    }

    /// The kinds in the set, in bit order.
    pub fn iter(self) -> impl Iterator<Item = MediaKind> {
        MediaKind::ALL
            .into_iter()
            .filter(move |kind| self.contains(*kind))
    }
}

impl TryFrom<Vec<MediaKind>> for MediaSet {
    type Error = EmptySet;
    fn try_from(kinds: Vec<MediaKind>) -> Result<Self, EmptySet> {
        Self::new(kinds)
    }
}

impl From<MediaSet> for Vec<MediaKind> {
    fn from(set: MediaSet) -> Self {
        set.iter().collect()
    }
}

/// A non-empty set of purposes, encoded as a big-endian 16-bit word (bit i is purpose i).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(try_from = "Vec<Purpose>", into = "Vec<Purpose>")]
pub struct PurposeSet(u16);

impl PurposeSet {
    /// The set of the given purposes; empty input is refused.
    pub fn new(purposes: impl IntoIterator<Item = Purpose>) -> Result<Self, EmptySet> {
        let bits = purposes
            .into_iter()
            .fold(0u16, |bits, purpose| bits | 1 << purpose.bit());
        Self::from_bits(bits).ok_or(EmptySet("purpose"))
    }

    /// The set with these bits, if it is non-empty.
    pub const fn from_bits(bits: u16) -> Option<Self> {
        if bits == 0 {
            None
        } else {
            Some(Self(bits))
        }
    }

    /// The encoded word.
    pub const fn bits(self) -> u16 {
        self.0
    }

    /// Whether `purpose` is in the set.
    pub const fn contains(self, purpose: Purpose) -> bool {
        self.0 & (1 << purpose.bit()) != 0
    }

    /// The purposes in the set, in bit order.
    pub fn iter(self) -> impl Iterator<Item = Purpose> {
        (0..16u8)
            .filter_map(Purpose::from_bit)
            .filter(move |purpose| self.contains(*purpose))
    }
}

impl TryFrom<Vec<Purpose>> for PurposeSet {
    type Error = EmptySet;
    fn try_from(purposes: Vec<Purpose>) -> Result<Self, EmptySet> {
        Self::new(purposes)
    }
}

impl From<PurposeSet> for Vec<Purpose> {
    fn from(set: PurposeSet) -> Self {
        set.iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purpose_names_round_trip_and_reserved_bits_get_a_number() {
        for bit in 0..16 {
            let purpose = Purpose::from_bit(bit).expect("bit below 16");
            assert_eq!(purpose.to_string().parse::<Purpose>(), Ok(purpose));
        }
        assert_eq!(
            Purpose::from_bit(9).map(|p| p.to_string()),
            Some("purpose-9".into())
        );
        assert!("purpose-16".parse::<Purpose>().is_err());
        assert!("purpose-09".parse::<Purpose>().is_err());
        assert!("Website".parse::<Purpose>().is_err());
    }

    #[test]
    fn sets_refuse_empty_and_unknown_media_bits() {
        assert!(MediaSet::new([]).is_err());
        assert!(PurposeSet::new([]).is_err());
        assert!(MediaSet::from_bits(0b1000).is_none());
        let set = MediaSet::new([MediaKind::Video, MediaKind::Photo]).expect("non-empty");
        assert_eq!(set.bits(), 0b011);
        assert!(!set.contains(MediaKind::Audio));
    }
}
