//! The text form of a signed object, as carried by a QR code: `consent:` and
//! unpadded base64url of the object's bytes.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::error::Error;

/// The scheme prefix of every consent code.
pub const PREFIX: &str = "consent:";

/// The longest text accepted, well above the largest object (a receipt for a
/// large group), so that hostile input is refused before it is decoded.
pub const MAX_TEXT_LEN: usize = 96 * 1024;

/// Writes `bytes` as a consent code.
pub fn to_text(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(PREFIX.len() + bytes.len().div_ceil(3) * 4);
    text.push_str(PREFIX);
    URL_SAFE_NO_PAD.encode_string(bytes, &mut text);
    text
}

/// Reads a consent code back into bytes.
///
/// Surrounding white space (as a scanner or a copy-paste may add) is ignored;
/// padding, other alphabets and non-zero trailing bits are refused, so every
/// byte string has exactly one text form.
pub fn from_text(text: &str) -> Result<Vec<u8>, Error> {
    let text = text.trim();
    if text.len() > MAX_TEXT_LEN {
        return Err(Error::TooLong {
            len: text.len(),
            max: MAX_TEXT_LEN,
        });
    }
    let body = text
        .strip_prefix(PREFIX)
        .ok_or(Error::BadPrefix { expected: PREFIX })?;
    URL_SAFE_NO_PAD.decode(body).map_err(|_| Error::BadEncoding)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips_and_refuses_padding_and_other_prefixes() {
        let text = to_text(b"\x01\x02\xff");
        assert_eq!(text, "consent:AQL_");
        assert_eq!(from_text(&text), Ok(b"\x01\x02\xff".to_vec()));
        assert_eq!(from_text("consent:AQI="), Err(Error::BadEncoding));
        assert_eq!(from_text("consent:AQL/"), Err(Error::BadEncoding));
        // "AQJ" has non-zero trailing bits: another spelling of "AQI".
        assert_eq!(from_text("consent:AQJ"), Err(Error::BadEncoding));
        assert_eq!(
            from_text("CONSENT:AQI"),
            Err(Error::BadPrefix { expected: PREFIX })
        );
    }
}
