//! Which language a page speaks, and its texts: Project Fluent files in
//! `server/web/locales/{nl,en}/`, compiled into the binary. Dutch for Dutch
//! browsers, English otherwise; a `lang` cookie (set by the switch on every
//! page) overrides the browser's choice.

use std::borrow::Cow;
use std::collections::HashMap;

use axum::http::{header, HeaderMap};
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{static_loader, LanguageIdentifier, Loader};

static_loader! {
    static LOCALES = {
        locales: "./web/locales",
        fallback_language: "en",
        // Page texts are HTML-escaped by the templates; the invisible
        // direction marks Fluent adds around arguments are not wanted in
        // Dutch or English.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The messages the phone app's scripts use, sent with each of its pages:
/// the ids of the English file, which the tests hold equal to the Dutch one.
pub const APP_SCRIPT_MESSAGES: &str = include_str!("../../web/locales/en/scripts.ftl");

/// The messages the staff console's pages and scripts use, sent with each
/// console page; one file per part of the console.
pub const CONSOLE_MESSAGES: &str = concat!(
    include_str!("../../web/locales/en/console.ftl"),
    include_str!("../../web/locales/en/console-comms.ftl"),
    include_str!("../../web/locales/en/console-admin.ftl"),
    include_str!("../../web/locales/en/console-teacher.ftl"),
    include_str!("../../web/locales/en/console-media.ftl"),
);

/// A language the app speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// Dutch, the first language of the schools.
    Nl,
    /// English, for everyone else.
    En,
}

impl Lang {
    /// Both, in the order the language switch lists them.
    pub const ALL: [Lang; 2] = [Lang::Nl, Lang::En];

    /// The BCP 47 tag, as in `<html lang>` and the `lang` cookie.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Nl => "nl",
            Lang::En => "en",
        }
    }

    /// The language a tag names, if the app speaks it.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "nl" => Some(Lang::Nl),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language of a request: `?lang=` (the switch), then the `lang`
    /// cookie, then the first language of `Accept-Language` the app speaks,
    /// by preference; English when none is given.
    pub fn of_request(query: Option<&str>, headers: &HeaderMap) -> Lang {
        query
            .and_then(Lang::from_tag)
            .or_else(|| cookie(headers).and_then(Lang::from_tag))
            .or_else(|| accepted(headers))
            .unwrap_or(Lang::En)
    }

    fn id(self) -> LanguageIdentifier {
        // Both tags are valid language identifiers.
        self.tag().parse().unwrap_or_default()
    }

    /// The text of message `id` in this language (the id itself if it is
    /// missing, which the tests rule out).
    pub fn text(self, id: &str) -> String {
        LOCALES
            .try_lookup(&self.id(), id)
            .unwrap_or_else(|| id.to_owned())
    }

    /// Every message of `source` (an English Fluent file), by id, in this
    /// language, as JSON for a page's data block. A Fluent variable
    /// `{ $name }` comes out as `{name}` for the script to fill in. `<` is
    /// escaped so that no text can end the block early.
    pub fn script_messages(self, source: &str) -> String {
        let placeholders: HashMap<Cow<'static, str>, FluentValue<'static>> = source
            .split("{ $")
            .skip(1)
            .filter_map(|rest| rest.split_once(' '))
            .map(|(name, _)| {
                (
                    Cow::Owned(name.to_owned()),
                    FluentValue::from(format!("{{{name}}}")),
                )
            })
            .collect();
        let messages: serde_json::Map<String, serde_json::Value> = message_ids(source)
            .map(|id| {
                let text = LOCALES
                    .try_lookup_with_args(&self.id(), id, &placeholders)
                    .unwrap_or_else(|| id.to_owned());
                (id.to_owned(), text.into())
            })
            .collect();
        serde_json::Value::Object(messages)
            .to_string()
            .replace('<', "\\u003c")
    }
}

/// The ids of the messages in a Fluent file: lines that start a message.
pub fn message_ids(ftl: &str) -> impl Iterator<Item = &str> {
    ftl.lines().filter_map(|line| {
        let (id, _) = line.split_once('=')?;
        let id = id.trim_end();
        let starts_message = id.starts_with(|c: char| c.is_ascii_lowercase())
            && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        starts_message.then_some(id)
    })
}

fn cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| pair.trim().strip_prefix("lang="))
}

/// The app's language the browser prefers most, by `q` weight; ties go to
/// the earlier one.
fn accepted(headers: &HeaderMap) -> Option<Lang> {
    let value = headers.get(header::ACCEPT_LANGUAGE)?.to_str().ok()?;
    let mut best: Option<(Lang, f32)> = None;
    for entry in value.split(',') {
        let mut parts = entry.split(';');
        let Some(lang) = parts.next().and_then(Lang::from_tag) else {
            continue;
        };
        let weight = parts
            .find_map(|param| param.trim().strip_prefix("q="))
            .and_then(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if weight > 0.0 && best.is_none_or(|(_, top)| weight > top) {
            best = Some((lang, weight));
        }
    }
    best.map(|(lang, _)| lang)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::BTreeSet;

    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn dutch_browsers_get_dutch_and_everyone_else_english() {
        let lang = |accept: &str| Lang::of_request(None, &headers(&[(header::ACCEPT_LANGUAGE, accept)]));
        assert_eq!(lang("nl-NL,nl;q=0.9,en;q=0.8"), Lang::Nl);
        assert_eq!(lang("nl-BE"), Lang::Nl);
        assert_eq!(lang("en-GB,en;q=0.9"), Lang::En);
        assert_eq!(lang("de-DE,de;q=0.9"), Lang::En);
        assert_eq!(lang("de,en;q=0.5,nl;q=0.7"), Lang::Nl);
        assert_eq!(lang("nl;q=0,en;q=0.1"), Lang::En);
        assert_eq!(Lang::of_request(None, &HeaderMap::new()), Lang::En);
    }

    #[test]
    fn the_switch_and_its_cookie_beat_the_browser() {
        let dutch_browser = headers(&[
            (header::ACCEPT_LANGUAGE, "nl"),
            (header::COOKIE, "theme=x; lang=en"),
        ]);
        assert_eq!(Lang::of_request(None, &dutch_browser), Lang::En);
        assert_eq!(Lang::of_request(Some("nl"), &dutch_browser), Lang::Nl);
        assert_eq!(Lang::of_request(Some("fr"), &dutch_browser), Lang::En);
    }

    /// Dutch and English are both complete: every message in one file is in
    /// the other.
    #[test]
    fn dutch_and_english_have_the_same_messages() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/web/locales");
        let files: BTreeSet<_> = std::fs::read_dir(format!("{root}/en"))
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert!(!files.is_empty());
        for file in files {
            let ids = |lang: &str| -> BTreeSet<String> {
                let path = format!("{root}/{lang}/{}", file.to_string_lossy());
                let text = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("{path} is missing"));
                message_ids(&text).map(str::to_owned).collect()
            };
            let (nl, en) = (ids("nl"), ids("en"));
            assert_eq!(
                nl.symmetric_difference(&en).collect::<Vec<_>>(),
                Vec::<&String>::new(),
                "{file:?}"
            );
        }
    }

    /// The text of every template, in every folder.
    fn templates(folder: &std::path::Path) -> Vec<String> {
        let mut texts = Vec::new();
        for entry in std::fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                texts.extend(templates(&path));
            } else {
                texts.push(std::fs::read_to_string(path).unwrap());
            }
        }
        texts
    }

    /// Every text a template asks for exists in both languages.
    #[test]
    fn every_text_the_pages_use_is_translated() {
        let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/web/templates");
        let mut used = BTreeSet::new();
        for text in templates(std::path::Path::new(folder)) {
            for piece in text.split("t(\"").skip(1) {
                used.insert(piece.split('"').next().unwrap().to_owned());
            }
        }
        assert!(used.len() > 20, "{used:?}");
        for id in used {
            for lang in Lang::ALL {
                assert!(
                    LOCALES.try_lookup(&lang.id(), &id).is_some(),
                    "{id} is missing in {}",
                    lang.tag()
                );
            }
        }
    }

    #[test]
    fn script_messages_cannot_end_their_data_block() {
        let json = Lang::En.script_messages(APP_SCRIPT_MESSAGES);
        assert!(!json.contains('<'));
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert!(parsed.as_object().unwrap().len() > 5);
        assert_eq!(parsed["device-enrolled"], "This phone is set up for {name}.");
        let dutch: serde_json::Value =
            serde_json::from_str(&Lang::Nl.script_messages(APP_SCRIPT_MESSAGES)).unwrap();
        assert_eq!(
            dutch["device-enrolled"],
            "Deze telefoon is ingesteld voor {name}."
        );
    }
}
