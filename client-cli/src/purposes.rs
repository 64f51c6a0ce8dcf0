//! Purposes and media kinds in the words of the people who consent: one
//! table of plain descriptions, and parsers that accept any letter case.
//!
//! The protocol names purposes (`internal`, `social-media`, ...) for
//! machines; a 14-year-old deciding where their photo may appear needs to
//! read what each one means, wherever the client names one.

use consent_protocol::{MediaKind, Purpose};

/// What each named purpose allows, in plain words, in bit order.
const DESCRIPTIONS: [(Purpose, &str); 6] = [
    (
        Purpose::INTERNAL,
        "inside the school only: in class, on the school's own screens and in its own systems",
    ),
    (Purpose::WEBSITE, "on the school's public website"),
    (
        Purpose::SOCIAL_MEDIA,
        "on the school's social-media accounts (such as Instagram, Facebook, TikTok or YouTube)",
    ),
    (
        Purpose::NEWSLETTER,
        "in the newsletter, the prospectus and other things the school prints or mails",
    ),
    (Purpose::YEARBOOK, "in the yearbook"),
    (
        Purpose::PRESS,
        "in newspapers, on TV or radio, or on news websites",
    ),
];

/// What `purpose` allows, in plain words.
pub fn describe(purpose: Purpose) -> String {
    DESCRIPTIONS
        .iter()
        .find(|(named, _)| *named == purpose)
        .map(|(_, text)| (*text).to_owned())
        .unwrap_or_else(|| {
            format!(
                "a use this version of the client does not know (number {}); ask the school what it means",
                purpose.bit()
            )
        })
}

/// Every named purpose with what it allows, one per line, for `--help`.
pub fn help_table() -> String {
    let width = Purpose::NAMED
        .iter()
        .map(|purpose| purpose.to_string().len())
        .max()
        .unwrap_or(0);
    DESCRIPTIONS
        .iter()
        .map(|(purpose, text)| format!("  {:<width$}  {text}", purpose.to_string()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The purposes' names, for error messages.
fn names() -> String {
    Purpose::NAMED
        .iter()
        .map(Purpose::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parses a purpose as people type it: `Website`, ` yearbook `, `SOCIAL-MEDIA`.
pub fn parse_purpose(text: &str) -> Result<Purpose, String> {
    let wanted = text.trim().to_ascii_lowercase();
    wanted
        .parse()
        .map_err(|_| format!("unknown purpose {text:?}: use one of {}", names()))
}

/// Parses a media kind in any letter case: `Photo`, `VIDEO`.
pub fn parse_media(text: &str) -> Result<MediaKind, String> {
    text.trim()
        .to_ascii_lowercase()
        .parse()
        .map_err(|_| format!("unknown media kind {text:?}: use photo, video or audio"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purposes_and_media_are_read_in_any_case() {
        assert_eq!(parse_purpose("Website"), Ok(Purpose::WEBSITE));
        assert_eq!(parse_purpose(" SOCIAL-MEDIA "), Ok(Purpose::SOCIAL_MEDIA));
        assert_eq!(parse_media("Photo"), Ok(MediaKind::Photo));
        let unknown = parse_purpose("class").err().unwrap_or_default();
        assert!(unknown.contains("internal, website"), "{unknown}");
    }

    #[test]
    fn every_named_purpose_has_a_plain_description() {
        for purpose in Purpose::NAMED {
            assert!(!describe(purpose).contains("does not know"), "{purpose}");
            assert!(help_table().contains(&format!("  {purpose} ")), "{purpose}");
        }
        let reserved = Purpose::from_bit(9).map(describe).unwrap_or_default();
        assert!(reserved.contains("number 9"), "{reserved}");
    }
}
