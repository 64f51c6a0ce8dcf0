//! Points in time as the protocol encodes them: whole seconds since the Unix epoch, in 32 bits.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::{format_description::well_known::Rfc3339, Month, OffsetDateTime, Time};

/// A moment in UTC, with one-second precision, from 1970 to 2106.
///
/// The protocol encodes it as an unsigned 32-bit count of seconds since
/// 1970-01-01T00:00:00Z, which keeps a grant small enough for a small QR code.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Timestamp(u32);

/// The moment is outside the range a [`Timestamp`] can hold (1970 to 2106).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the moment lies outside 1970-01-01 to 2106-02-07, the range of the protocol's clock")]
pub struct OutOfRange;

impl Timestamp {
    /// The moment `seconds` after the Unix epoch.
    pub const fn from_unix(seconds: u32) -> Self {
        Self(seconds)
    }

    /// Seconds since the Unix epoch.
    pub const fn as_unix(self) -> u32 {
        self.0
    }

    /// Converts a calendar moment, truncating sub-second precision.
    pub fn from_datetime(moment: OffsetDateTime) -> Result<Self, OutOfRange> {
        u32::try_from(moment.unix_timestamp())
            .map(Self)
            .map_err(|_| OutOfRange)
    }

    /// The same moment as a calendar date and time in UTC.
    pub fn to_datetime(self) -> OffsetDateTime {
        // Every u32 second count lies within `OffsetDateTime`'s range.
        OffsetDateTime::from_unix_timestamp(i64::from(self.0)).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// This moment plus `seconds`, saturating at the end of the range.
    pub const fn plus_seconds(self, seconds: u32) -> Self {
        Self(self.0.saturating_add(seconds))
    }

    /// The default end of a consent given at this moment: the last second of
    /// 31 July (UTC) that ends the current school year. On 31 July itself that
    /// is the same day; from 1 August on, the next year's 31 July.
    pub fn end_of_school_year(self) -> Self {
        let now = self.to_datetime();
        let year = if now.month() > Month::July {
            now.year() + 1
        } else {
            now.year()
        };
        time::Date::from_calendar_date(year, Month::July, 31)
            .ok()
            .and_then(|day| {
                Time::from_hms(23, 59, 59)
                    .ok()
                    .map(|t| day.with_time(t).assume_utc())
            })
            .and_then(|end| Self::from_datetime(end).ok())
            .unwrap_or(Self(u32::MAX))
    }
}

impl fmt::Display for Timestamp {
    /// Writes RFC 3339, for example `2027-07-31T23:59:59Z`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_datetime().format(&Rfc3339) {
            Ok(text) => f.write_str(&text),
            Err(_) => write!(f, "@{}", self.0),
        }
    }
}

impl std::str::FromStr for Timestamp {
    type Err = ParseTimestampError;

    /// Parses RFC 3339 (`2027-07-31T23:59:59Z`, any offset) or a plain date
    /// (`2027-07-31`, read as the end of that day in UTC).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if let Ok(moment) = OffsetDateTime::parse(text, &Rfc3339) {
            return Self::from_datetime(moment).map_err(|_| ParseTimestampError);
        }
        let date_format = time::macros::format_description!("[year]-[month]-[day]");
        let day = time::Date::parse(text, &date_format).map_err(|_| ParseTimestampError)?;
        let end = Time::from_hms(23, 59, 59).map_err(|_| ParseTimestampError)?;
        Self::from_datetime(day.with_time(end).assume_utc()).map_err(|_| ParseTimestampError)
    }
}

/// The text is not an RFC 3339 moment or a date within the protocol's range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a date (2027-07-31) or moment (2027-07-31T12:00:00Z) between 1970 and 2106")]
pub struct ParseTimestampError;

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("valid moment")
    }

    #[test]
    fn school_year_ends_on_the_coming_31_july() {
        assert_eq!(
            at("2026-11-25T10:00:00Z").end_of_school_year(),
            at("2027-07-31T23:59:59Z")
        );
        assert_eq!(
            at("2027-03-01T00:00:00Z").end_of_school_year(),
            at("2027-07-31T23:59:59Z")
        );
        assert_eq!(
            at("2027-07-31T12:00:00Z").end_of_school_year(),
            at("2027-07-31T23:59:59Z")
        );
        assert_eq!(
            at("2027-08-01T00:00:00Z").end_of_school_year(),
            at("2028-07-31T23:59:59Z")
        );
    }

    #[test]
    fn plain_date_means_end_of_that_day() {
        assert_eq!(at("2027-07-31"), at("2027-07-31T23:59:59Z"));
        assert!("2200-01-01".parse::<Timestamp>().is_err());
        assert!("yesterday".parse::<Timestamp>().is_err());
    }
}
