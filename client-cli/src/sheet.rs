//! A printable sheet of enrollment codes for one class: a card per person
//! with their name, class, QR code, the code as text and three lines of
//! help, to cut out and hand out. One HTML page that any browser prints on
//! A4, with the QR codes embedded as SVG, so it needs no fonts or files of
//! its own.

use anyhow::Result;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use html_escape::encode_text;

/// One person's card.
pub struct Card<'a> {
    /// Their name.
    pub name: &'a str,
    /// Their class or group.
    pub group: Option<&'a str>,
    /// The QR code's content, exactly as the server gave it.
    pub qr_text: &'a str,
    /// The code to type in when the QR code cannot be scanned.
    pub code: &'a str,
    /// The last day the code works.
    pub valid_until: String,
}

/// The sheet for `title` (the class) as an HTML page.
pub fn render(title: &str, cards: &[Card<'_>]) -> Result<String> {
    let mut html = String::new();
    html.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>Enrollment codes: {title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>Enrollment codes: {title}</h1>\n\
         <p class=\"note\">Cut along the lines and give each person their own card. \
         Each code works once; keep the cards out of sight until they are handed out.</p>\n\
         <main>\n",
        title = encode_text(title),
    ));
    for card in cards {
        let svg = consent_qr::render_svg(card.qr_text)?;
        html.push_str(&format!(
            "<section class=\"card\">\n\
             <h2>{name}</h2>\n<p class=\"group\">{group}</p>\n\
             <img src=\"data:image/svg+xml;base64,{qr}\" alt=\"QR code to enroll {name}'s device\">\n\
             <p class=\"code\">{code}</p>\n\
             <ol>\n\
             <li>Scan this code with the school's consent app, or type: <b>consent enroll {code}</b></li>\n\
             <li>It works once, until {until}, and only for you: keep it to yourself.</li>\n\
             <li>Then choose where photos, video and sound of you may be used; you can change that any time.</li>\n\
             </ol>\n</section>\n",
            name = encode_text(card.name),
            group = card
                .group
                .map(|group| format!("Class {}", encode_text(group)))
                .unwrap_or_default(),
            qr = STANDARD.encode(svg),
            code = encode_text(card.code),
            until = encode_text(&card.valid_until),
        ));
    }
    html.push_str("</main>\n</body>\n</html>\n");
    Ok(html)
}

/// Two cards across, four down, on A4; a card never splits over two pages.
const STYLE: &str = "\
@page { size: A4; margin: 10mm; }
body { font-family: sans-serif; margin: 0; color: #000; }
h1 { font-size: 14pt; margin: 0 0 2mm; }
.note { font-size: 9pt; margin: 0 0 4mm; }
main { display: grid; grid-template-columns: 1fr 1fr; gap: 0; }
.card { border: 1px dashed #666; padding: 4mm; height: 62mm; box-sizing: border-box;
  break-inside: avoid; page-break-inside: avoid; display: grid;
  grid-template-columns: 30mm 1fr; grid-template-rows: auto auto auto 1fr; column-gap: 4mm; }
.card h2 { grid-column: 1 / 3; font-size: 13pt; margin: 0; }
.card .group { grid-column: 1 / 3; font-size: 10pt; margin: 0 0 2mm; }
.card img { grid-row: 3 / 5; width: 30mm; height: 30mm; }
.card .code { font-family: monospace; font-size: 10pt; margin: 0; }
.card ol { font-size: 8.5pt; margin: 1mm 0 0; padding-left: 4mm; }
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped_and_every_card_carries_its_qr_code() {
        let cards = [Card {
            name: "<b>Sam</b> & Co",
            group: Some("3B"),
            qr_text: "consent-enroll:ABCDEFGHJKMNPQRS",
            code: "ABCDEFGHJKMNPQRS",
            valid_until: "2026-12-15".into(),
        }];
        let html = render("3B", &cards).unwrap_or_default();
        assert!(html.contains("&lt;b&gt;Sam&lt;/b&gt; &amp; Co"), "{html}");
        assert!(!html.contains("<b>Sam"), "{html}");
        assert!(html.contains("Class 3B"), "{html}");
        assert!(html.contains("data:image/svg+xml;base64,"), "{html}");
        assert_eq!(html.matches("<li>").count(), 3);
    }
}
