//! The current time, and durations as people write and read them.

use std::time::{SystemTime, UNIX_EPOCH};

use consent_protocol::Timestamp;

/// Now, as the protocol counts time.
pub fn now() -> Timestamp {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    Timestamp::from_unix(u32::try_from(seconds).unwrap_or(u32::MAX))
}

/// Parses `90s`, `45m`, `24h`, `7d` (or a bare number of seconds) into seconds.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let amount: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a duration: write it like 90s, 45m, 24h or 7d"))?;
    let unit_seconds = match unit.trim() {
        "" | "s" => 1,
        "m" | "min" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "{text:?} is not a duration: write it like 90s, 45m, 24h or 7d"
            ))
        }
    };
    amount
        .checked_mul(unit_seconds)
        .ok_or_else(|| format!("{text:?} is too long a duration"))
}

/// A duration for people: `42 s`, `5 min`, `3 h 12 min`, `2 days`.
pub fn human_duration(seconds: u64) -> String {
    match seconds {
        0..=119 => format!("{seconds} s"),
        120..=7199 => format!("{} min", seconds / 60),
        7200..=172_799 => format!("{} h {} min", seconds / 3600, seconds % 3600 / 60),
        _ => format!("{} days", seconds / 86_400),
    }
}

/// A Unix time as RFC 3339 in UTC.
pub fn moment(unix: i64) -> String {
    u32::try_from(unix).map_or_else(|_| unix.to_string(), |s| Timestamp::from_unix(s).to_string())
}

/// The calendar day of a Unix time (`2027-07-31`).
pub fn day(unix: i64) -> String {
    moment(unix).chars().take(10).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(parse_duration("24h"), Ok(86_400));
        assert_eq!(parse_duration("90s"), Ok(90));
        assert_eq!(parse_duration("90"), Ok(90));
        assert_eq!(parse_duration("7d"), Ok(604_800));
        assert_eq!(parse_duration("45m"), Ok(2700));
        assert!(parse_duration("a while").is_err());
        assert!(parse_duration("3w").is_err());
        assert_eq!(human_duration(5), "5 s");
        assert_eq!(human_duration(3 * 3600 + 720), "3 h 12 min");
    }
}
