//! Signed requests: the header's form, the signed bytes (method and path as
//! sent, the body's hash), the time window either way, and the keys.

use super::*;

const ME: &str = "/v1/me";

fn header(
    key: &SigningKey,
    method: &str,
    path_and_query: &str,
    time: u32,
    body: &[u8],
) -> DeviceAuthorization {
    let time = Timestamp::from_unix(time);
    DeviceAuthorization {
        key: PublicKey::of(key).id(),
        time,
        signature: sign_request(key, method, path_and_query, time, body).to_bytes(),
    }
}

pub fn vectors(world: &World) -> Vec<Vector> {
    let case = |description: &str, header: String, method: &str, path: &str, body: &[u8]| {
        Case::new(world, description, Kind::Request, header).request(method, path, body)
    };
    let get = |description: &str, text: String| case(description, text, "GET", ME, b"");
    let student = &world.student_key;
    let good = header(student, "GET", ME, NOW, b"");
    let good_text = good.to_string();
    let signature_text = good_text
        .rsplit_once("signature=")
        .expect("a signature")
        .1
        .to_owned();
    let query = "/v1/me?include=all&name=Sam%20de%20Groot";
    let body = br#"{"purposes":["website"]}"#;
    assert!(
        signature_text.contains(['-', '_']),
        "the signature shows a character that standard base64 spells otherwise"
    );
    let mut malleable = good;
    malleable.signature = malleated(&good.signature).try_into().expect("64 bytes");
    vec![
        get(
            "valid signed request: GET /v1/me without a body",
            good_text.clone(),
        )
        .build(),
        case(
            "valid signed request: POST with a percent-encoded query, signed as sent, and a body",
            header(student, "POST", query, NOW, body).to_string(),
            "POST",
            query,
            body,
        )
        .build(),
        get(
            "valid signed request with its parameters in another order and tabs around them",
            format!(
                "Consent-Device signature={signature_text},\ttime={NOW} ,key={}",
                good.key
            ),
        )
        .build(),
        get(
            "valid signed request made 300 s before the server's clock",
            header(student, "GET", ME, NOW - 300, b"").to_string(),
        )
        .build(),
        get(
            "valid signed request made 300 s after the server's clock",
            header(student, "GET", ME, NOW + 300, b"").to_string(),
        )
        .build(),
        get(
            "invalid: a signed request made 301 s before the server's clock",
            header(student, "GET", ME, NOW - 301, b"").to_string(),
        )
        .build(),
        get(
            "invalid: a signed request made 301 s after the server's clock",
            header(student, "GET", ME, NOW + 301, b"").to_string(),
        )
        .build(),
        case(
            "invalid: signed for /v1/me, sent to /v1/me?include=all",
            good_text.clone(),
            "GET",
            "/v1/me?include=all",
            b"",
        )
        .build(),
        case(
            "invalid: signed as GET, sent as get (the method's bytes as sent)",
            good_text.clone(),
            "get",
            ME,
            b"",
        )
        .build(),
        case(
            "invalid: signed with one body, sent with another",
            header(student, "POST", ME, NOW, body).to_string(),
            "POST",
            ME,
            b"{}",
        )
        .build(),
        get(
            "invalid: the signature with base64 padding (==)",
            format!("{good_text}=="),
        )
        .build(),
        get(
            "invalid: the signature in standard base64 (+ and /)",
            good_text.replace('-', "+").replace('_', "/"),
        )
        .build(),
        get("invalid: time given twice", format!("{good_text}, time={NOW}")).build(),
        get(
            "invalid: time with a plus sign",
            good_text.replace(&format!("time={NOW}"), &format!("time=+{NOW}")),
        )
        .build(),
        get(
            "invalid: the key id in capitals",
            good_text.replace(&good.key.to_string(), &good.key.to_string().to_uppercase()),
        )
        .build(),
        get(
            "invalid: the scheme in lower case",
            good_text.replacen("Consent-Device", "consent-device", 1),
        )
        .build(),
        get(
            "invalid: a signed request's malleable signature, s + L instead of s",
            malleable.to_string(),
        )
        .build(),
        get(
            "invalid: signed by a key the server never registered",
            header(&key(99), "GET", ME, NOW, b"").to_string(),
        )
        .build(),
        get(
            "invalid: signed by a device key that was cut off",
            good_text.clone(),
        )
        .revoked(world, &[student])
        .build(),
        get(
            "invalid: signed by the server's key, which is no device",
            header(&world.server_key, "GET", ME, NOW, b"").to_string(),
        )
        .build(),
    ]
}
