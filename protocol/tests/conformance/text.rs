//! The text form: white space, the prefix, base64url and the length limit,
//! each with the code it gives and the order they are judged in.

use super::*;

pub fn vectors(world: &World) -> Vec<Vector> {
    let case = |description: &str, text: String| Case::new(world, description, Kind::Grant, text);
    let text = world.signed_student_grant().to_text();
    let body = &text[PREFIX.len()..];
    assert_eq!(body.len() % 4, 2, "the grant's text needs two padding characters");
    let replaced_at = |at: usize, with: char| {
        let mut changed = text.clone();
        changed.replace_range(at..at + 1, &with.to_string());
        changed
    };
    let mut unused_bits = text.clone();
    unused_bits.pop();
    unused_bits.push('B'); // the last character carries 4 unused bits, which must be zero
    let mut one_over = text.clone();
    one_over.pop();
    vec![
        case(
            "valid grant with white space around it (tab, line feed, U+0085, U+3000 before; U+00A0, CR LF after)",
            format!(" \t\n\u{85}\u{3000}{text}\u{a0}\r\n"),
        )
        .build(),
        case(
            "invalid: U+FEFF (a byte order mark) is not white space, so the text does not begin with the prefix",
            format!("\u{feff}{text}"),
        )
        .build(),
        case(
            "invalid: wrong scheme prefix",
            text.replacen("consent:", "consnet:", 1),
        )
        .build(),
        case(
            "invalid: the prefix in capitals (it is compared exactly)",
            text.replacen("consent:", "CONSENT:", 1),
        )
        .build(),
        case(
            "invalid: base64url with its padding (==)",
            format!("{text}=="),
        )
        .build(),
        case(
            "invalid: a character of standard base64 (+), outside the base64url alphabet",
            replaced_at(PREFIX.len() + 10, '+'),
        )
        .build(),
        case(
            "invalid: a character of standard base64 (/), outside the base64url alphabet",
            replaced_at(PREFIX.len() + 10, '/'),
        )
        .build(),
        case(
            "invalid: a space inside the text",
            replaced_at(PREFIX.len() + 10, ' '),
        )
        .build(),
        case(
            "invalid: base64url of a length one more than a multiple of four",
            one_over,
        )
        .build(),
        case(
            "invalid: non-canonical base64url, non-zero unused bits in the last character",
            unused_bits,
        )
        .build(),
        case(
            "invalid: 98,308 bytes of UTF-8 (49,158 characters) with a wrong prefix: the length is counted in bytes \
             and judged first",
            format!("CONSENT:{}", "é".repeat(49_150)),
        )
        .build(),
        case(
            "invalid: exactly 98,304 bytes once the white space around is removed, so not too long; the bytes are \
             all zero (version 0)",
            format!("\u{3000}consent:{}\n", "A".repeat(MAX_TEXT_LEN - PREFIX.len())),
        )
        .build(),
    ]
}
