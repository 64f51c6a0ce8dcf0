//! The browser's protocol code agrees with the Rust crate on every byte: the
//! test vectors, and every truncation and altered byte of each valid vector,
//! get the same answer from `/assets/js/protocol.js` in real Chromium as from
//! `consent-protocol`; and a key made by `/assets/js/device.js` enrolls,
//! signs a grant, a co-signature, a revocation and requests that the real
//! server accepts, without its private key ever being readable.
//!
//! The scripts are loaded into a page of the server's origin with
//! WebDriver's execute-async and a dynamic `import()`: no test-only page is
//! served.
#![allow(missing_docs, clippy::unwrap_used)]

use consent_protocol::*;
use consent_tests::browser::{Browser, Language, Screen};
use consent_tests::{on_both_databases, Api, Db, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Every vector file (`v1.json` and any beside it), parsed.
fn vector_files() -> Vec<(String, Vec<Value>)> {
    let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/../protocol/vectors");
    let mut files: Vec<_> = std::fs::read_dir(folder)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        // The schema beside them describes the files; it holds no vectors.
        .filter(|path| !path.to_string_lossy().ends_with(".schema.json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no vector files in {folder}");
    files
        .into_iter()
        .map(|path| {
            let vectors = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            (path.display().to_string(), vectors)
        })
        .collect()
}

/// Runs `vector` (with `text` in place of its own) as `docs/protocol.md`
/// ("Test vectors") says a runner does, in JavaScript: the result is
/// `{error, claims, text, heads}` with the stable error code or null, the
/// decoded claims (null when decoding failed), the object encoded again
/// (for a request, the header as given) and, for a log head with its log,
/// the chain's heads recomputed.
const CHECK_IN_JS: &str = r#"
const p = await import("/assets/js/protocol.js");
async function check(vector, text) {
  let signed = null;
  let claims = null;
  try {
    if (vector.kind === "request") {
      const header = p.parseDeviceAuthorization(text);
      claims = { key: header.key, time: header.time, signature: p.toHex(header.signature) };
    } else {
      signed = p.decodeSigned(vector.kind, text);
      claims = signed.claims;
    }
    const listed = vector.kind === "revocation-list" ? p.decodeListedRevocations(vector.entries) : null;
    const keyring = new p.Keyring();
    for (const known of vector.keyring) {
      const id = await keyring.add(p.fromHex(known.public_key, 32), known.holder);
      if (known.revoked) keyring.revoke(id);
    }
    for (const key of vector.public_keys) p.checkPublicKey(p.fromHex(key, 32));
    for (const pair of vector.guardianships) keyring.addGuardianship(pair.guardian, pair.child);
    const now = p.timestampSeconds(vector.now);
    if (vector.kind === "grant") await p.verifyGrant(signed, keyring, now);
    else if (vector.kind === "revocation") await p.verifyRevocation(signed, keyring, now);
    else if (vector.kind === "revocation-list") await p.verifyRevocationList(signed, keyring, listed, now);
    else if (vector.kind === "guardian-dates") await p.verifyGuardianDates(signed, keyring, vector.entries);
    else if (vector.kind === "request") {
      const request = vector.request;
      const body = p.fromHex(request.body, request.body.length / 2);
      await p.verifyRequest(p.parseDeviceAuthorization(text), keyring, request.method, request.path_and_query, body, now);
    } else await p.verifyServerSigned(signed, keyring);
    return { error: null, claims, text: signed ? p.signedText(signed) : text };
  } catch (error) {
    if (!(error instanceof p.ProtocolError)) throw error;
    return { error: error.code, claims, text: signed && p.signedText(signed) };
  }
}
async function chain(vector) {
  if (!vector.log) return null;
  const out = [await p.logGenesisHead(vector.decoded.school)];
  for (const [index, entry] of vector.log.entries.entries()) {
    out.push(await p.logNextHead(out[index], index + 1, p.fromHex(entry, entry.length / 2)));
  }
  return out;
}
"#;

fn bytes_of_hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&text[at..at + 2], 16).unwrap())
        .collect()
}

/// The Rust crate's answer for `vector` with `text`, run in the same steps:
/// the error code, if any.
fn check_in_rust(vector: &Value, text: &str) -> Option<String> {
    let result = (|| -> Result<(), Error> {
        let kind = vector["kind"].as_str().unwrap();
        match kind {
            "grant" => SignedGrant::from_text(text).map(drop)?,
            "revocation" => SignedRevocation::from_text(text).map(drop)?,
            "receipt" => SignedReceipt::from_text(text).map(drop)?,
            "log-head" => SignedLogHead::from_text(text).map(drop)?,
            "revocation-list" => SignedRevocationList::from_text(text).map(drop)?,
            "guardian-dates" => SignedGuardianDates::from_text(text).map(drop)?,
            _ => DeviceAuthorization::parse(text).map(drop)?,
        }
        let listed = vector["entries"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|_| kind == "revocation-list")
            .map(|entry| {
                Ok(ListedRevocation {
                    sequence: entry["sequence"].as_u64().unwrap(),
                    revocation: SignedRevocation::from_text(entry["revocation"].as_str().unwrap())?,
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let mut keyring = Keyring::new();
        for known in vector["keyring"].as_array().unwrap() {
            let holder: KeyHolder = serde_json::from_value(known["holder"].clone()).unwrap();
            let id = keyring.add(
                PublicKey::from_hex(known["public_key"].as_str().unwrap())?,
                holder,
            );
            if known["revoked"].as_bool().unwrap() {
                keyring.revoke(id);
            }
        }
        for key in vector["public_keys"].as_array().unwrap() {
            PublicKey::from_hex(key.as_str().unwrap())?;
        }
        for pair in vector["guardianships"].as_array().unwrap() {
            keyring.add_guardianship(
                pair["guardian"].as_str().unwrap().parse().unwrap(),
                pair["child"].as_str().unwrap().parse().unwrap(),
            );
        }
        let now: Timestamp = serde_json::from_value(vector["now"].clone()).unwrap();
        match kind {
            "grant" => SignedGrant::from_text(text)?.verify(&keyring, now).map(drop),
            "revocation" => SignedRevocation::from_text(text)?.verify(&keyring, now).map(drop),
            "receipt" => SignedReceipt::from_text(text)?.verify(&keyring).map(drop),
            "log-head" => SignedLogHead::from_text(text)?.verify(&keyring).map(drop),
            "revocation-list" => SignedRevocationList::from_text(text)?
                .verify_with_revocations(&keyring, &listed, now)
                .map(drop),
            "guardian-dates" => {
                let entries: Vec<GuardianDate> = serde_json::from_value(vector["entries"].clone()).unwrap();
                SignedGuardianDates::from_text(text)?
                    .verify(&keyring, &entries)
                    .map(drop)
            }
            _ => {
                let request = &vector["request"];
                DeviceAuthorization::parse(text)?
                    .verify(
                        &keyring,
                        request["method"].as_str().unwrap(),
                        request["path_and_query"].as_str().unwrap(),
                        &bytes_of_hex(request["body"].as_str().unwrap()),
                        now,
                    )
                    .map(drop)
            }
        }
    })();
    result.err().map(|error| error.code().to_owned())
}

/// A browser on a page of `server`'s origin, or `None` when skipped.
async fn browser_on(server: &TestServer, test: &str) -> Option<Browser> {
    let browser = Browser::open(test, Language::English, Screen::PHONE).await?;
    // Any page of the origin will do; the module is imported into it.
    browser
        .goto(&format!("{}/assets/js/protocol.js", server.url))
        .await;
    Some(browser)
}

#[tokio::test]
async fn every_vector_decodes_verifies_and_encodes_the_same_in_the_browser() {
    let server = TestServer::start(Db::Sqlite).await.unwrap();
    let Some(browser) = browser_on(&server, "browser_protocol_vectors").await else {
        return;
    };
    let mut checked = 0;
    for (file, vectors) in vector_files() {
        let results = browser
            .run(
                &format!(
                    "{CHECK_IN_JS}\nconst out = []; for (const v of args[0]) out.push({{...await check(v, v.text), heads: await chain(v)}}); return out;"
                ),
                vec![Value::Array(vectors.clone())],
            )
            .await;
        for (vector, result) in vectors.iter().zip(results.as_array().unwrap()) {
            let what = format!("{file}: {}", vector["description"]);
            // The Rust side agrees on the very same steps.
            assert_eq!(
                check_in_rust(vector, vector["text"].as_str().unwrap()).as_deref(),
                vector["error"].as_str(),
                "{what}: another answer in Rust"
            );
            if vector["valid"].as_bool().unwrap() {
                assert_eq!(result["error"], Value::Null, "{what}: refused in the browser");
                // One text per object: white space around it is not part of it.
                assert_eq!(
                    result["text"].as_str(),
                    vector["text"].as_str().map(str::trim),
                    "{what}: encoded differently"
                );
            } else {
                assert_eq!(result["error"], vector["error"], "{what}: another refusal");
            }
            if !vector["decoded"].is_null() {
                assert_eq!(result["claims"], vector["decoded"], "{what}: decoded differently");
            }
            if !vector["log"].is_null() {
                assert_eq!(result["heads"], vector["log"]["heads"], "{what}: another chain");
            }
            checked += 1;
        }
    }
    assert!(checked >= 150, "only {checked} vectors");
    browser.close().await;
}

/// Every truncation, every byte flipped in two ways, and one byte appended,
/// of each valid vector: each gets the same answer (accepted, or refused with
/// the same code) from the browser as from the Rust crate.
#[tokio::test]
async fn every_altered_byte_of_every_valid_vector_gets_the_same_answer_in_the_browser() {
    let server = TestServer::start(Db::Sqlite).await.unwrap();
    let Some(browser) = browser_on(&server, "browser_protocol_alterations").await else {
        return;
    };
    let mut compared = 0;
    for (file, vectors) in vector_files() {
        // A request's header is no consent code; its alterations are the
        // request vectors themselves.
        for vector in vectors
            .iter()
            .filter(|v| v["valid"].as_bool().unwrap() && v["kind"] != "request")
        {
            let bytes = from_text(vector["text"].as_str().unwrap()).unwrap();
            let mut texts = vec![];
            for length in 0..bytes.len() {
                texts.push(to_text(&bytes[..length]));
            }
            for index in 0..bytes.len() {
                for change in [0x01u8, 0xff] {
                    let mut altered = bytes.clone();
                    altered[index] ^= change;
                    texts.push(to_text(&altered));
                }
            }
            let mut longer = bytes.clone();
            longer.push(0);
            texts.push(to_text(&longer));
            let answers = browser
                .run(
                    &format!("{CHECK_IN_JS}\nconst out = []; for (const t of args[1]) out.push((await check(args[0], t)).error); return out;"),
                    vec![vector.clone(), json!(texts)],
                )
                .await;
            for (text, answer) in texts.iter().zip(answers.as_array().unwrap()) {
                let rust = check_in_rust(vector, text);
                assert_eq!(
                    answer.as_str(),
                    rust.as_deref(),
                    "{file}: {}: {text}",
                    vector["description"]
                );
                compared += 1;
            }
        }
    }
    assert!(compared > 3000, "only {compared} alterations compared");
    browser.close().await;
}

#[tokio::test]
async fn text_forms_are_refused_and_trimmed_as_in_rust() {
    let server = TestServer::start(Db::Sqlite).await.unwrap();
    let Some(browser) = browser_on(&server, "browser_protocol_text").await else {
        return;
    };
    let long = format!("consent:{}", "A".repeat(MAX_TEXT_LEN));
    let texts = [
        "consent:AQL_",
        "consent:AQI=",
        "consent:AQL/",
        "consent:AQJ",
        "consent:A",
        "CONSENT:AQI",
        " \t\n consent:AQI \u{3000}",
        "\u{feff}consent:AQI",
        "\u{85}consent:AQI\u{85}",
        "consent:AQ I",
        "consent:",
        "",
        &long,
    ];
    let answers = browser
        .run(
            r#"const p = await import("/assets/js/protocol.js");
               return args[0].map((text) => {
                 try { return { bytes: p.toHex(p.fromText(text)) }; }
                 catch (error) { return { error: error.code }; }
               });"#,
            vec![json!(texts)],
        )
        .await;
    for (text, answer) in texts.iter().zip(answers.as_array().unwrap()) {
        let rust = match from_text(text) {
            Ok(bytes) => json!({ "bytes": consent_tests::hex_of(&bytes) }),
            Err(error) => json!({ "error": error.code() }),
        };
        assert_eq!(answer, &rust, "{text:?}");
    }
    // And the encoder writes what Rust writes.
    let written = browser
        .run(
            r#"const p = await import("/assets/js/protocol.js");
               return [0, 1, 2, 3, 4, 5].map((n) => p.toText(new Uint8Array(n).map((_, i) => 250 - 37 * i)));"#,
            vec![],
        )
        .await;
    let expected: Vec<String> = (0..6u8)
        .map(|n| to_text(&(0..n).map(|i| 250u8.wrapping_sub(37 * i)).collect::<Vec<u8>>()))
        .collect();
    assert_eq!(written, json!(expected));
    browser.close().await;
}

#[tokio::test]
async fn times_school_years_purposes_and_key_ids_are_as_in_rust() {
    let server = TestServer::start(Db::Sqlite).await.unwrap();
    let Some(browser) = browser_on(&server, "browser_protocol_values").await else {
        return;
    };
    let moments: Vec<u32> = vec![
        0,
        1_785_542_399, // 2026-07-31T23:59:59Z
        1_785_542_400, // 2026-08-01T00:00:00Z
        1_798_761_599, // 2026-12-31T23:59:59Z
        1_767_225_600, // 2026-01-01T00:00:00Z
        4_107_542_399, // 2100-02-28T23:59:59Z
        u32::MAX,
    ];
    let names = [
        "internal",
        "website",
        "social-media",
        "newsletter",
        "yearbook",
        "press",
        "purpose-0",
        "purpose-6",
        "purpose-15",
        "purpose-16",
        "purpose-09",
        "Website",
        "purpose-",
        "",
    ];
    let keys: Vec<String> = (0u8..4)
        .map(|seed| consent_tests::hex_of(&PublicKey::of(&SigningKey::from_bytes(&[seed; 32])).to_bytes()))
        .collect();
    let answer = browser
        .run(
            r#"const p = await import("/assets/js/protocol.js");
               const [moments, names, keys] = args;
               const bit = (name) => { try { return p.purposeBit(name); } catch { return null; } };
               return {
                 texts: moments.map(p.timestampText),
                 back: moments.map((m) => p.timestampSeconds(p.timestampText(m))),
                 ends: moments.map(p.endOfSchoolYear),
                 bits: names.map(bit),
                 names: [...Array(16).keys()].map(p.purposeName),
                 ids: await Promise.all(keys.map((key) => p.keyId(p.fromHex(key, 32)))),
               };"#,
            vec![json!(moments), json!(names), json!(keys)],
        )
        .await;
    let texts: Vec<String> = moments
        .iter()
        .map(|m| Timestamp::from_unix(*m).to_string())
        .collect();
    let ends: Vec<u32> = moments
        .iter()
        .map(|m| Timestamp::from_unix(*m).end_of_school_year().as_unix())
        .collect();
    let bits: Vec<Option<u8>> = names
        .iter()
        .map(|name| name.parse::<Purpose>().ok().map(Purpose::bit))
        .collect();
    let purpose_names: Vec<String> = (0..16)
        .map(|bit| Purpose::from_bit(bit).unwrap().to_string())
        .collect();
    let ids: Vec<String> = keys
        .iter()
        .map(|key| PublicKey::from_hex(key).unwrap().id().to_string())
        .collect();
    assert_eq!(
        answer,
        json!({"texts": texts, "back": moments, "ends": ends, "bits": bits, "names": purpose_names, "ids": ids})
    );
    browser.close().await;
}

/// The audit log's chain (docs/protocol.md): genesis heads of several
/// schools, and the head after entries of every sort of text at small and
/// huge positions, are the same bytes in the browser as in the Rust crate.
#[tokio::test]
async fn the_audit_log_chain_is_hashed_as_in_rust() {
    let server = TestServer::start(Db::Sqlite).await.unwrap();
    let Some(browser) = browser_on(&server, "browser_protocol_log_chain").await else {
        return;
    };
    let schools = [0u32, 1, 7, 65_536, u32::MAX];
    let entries = [
        String::new(),
        "a".to_owned(),
        r#"{"at":1800000000,"type":"grant","token":"consent:AQE"}"#.to_owned(),
        "Zoë, Ünal en Jiří ✓ 🙂 \u{202e}".to_owned(),
        "\u{0}\n\t".to_owned(),
        "x".repeat(70_000),
    ];
    let positions = [1u64, 2, 255, 256, 65_537, (1 << 53) + 1, u64::MAX];
    let answer = browser
        .run(
            r#"const p = await import("/assets/js/protocol.js");
               const [schools, entries, positions] = args;
               const previous = await p.logGenesisHead(7);
               const heads = [];
               for (const entry of entries) {
                 for (const position of positions) heads.push(await p.logNextHead(previous, BigInt(position), entry));
               }
               return { genesis: await Promise.all(schools.map(p.logGenesisHead)), heads, small: await p.logNextHead(previous, 3, "a") };"#,
            vec![
                json!(schools),
                json!(entries),
                json!(positions.iter().map(ToString::to_string).collect::<Vec<_>>()),
            ],
        )
        .await;
    let previous = genesis_head(SchoolId(7));
    let heads: Vec<String> = entries
        .iter()
        .flat_map(|entry| {
            positions
                .iter()
                .map(move |position| next_head(&previous, *position, entry.as_bytes()).to_string())
        })
        .collect();
    let genesis: Vec<String> = schools
        .iter()
        .map(|school| genesis_head(SchoolId(*school)).to_string())
        .collect();
    assert_eq!(
        answer,
        json!({"genesis": genesis, "heads": heads, "small": next_head(&previous, 3, b"a").to_string()})
    );
    browser.close().await;
}

/// The student `name` of a fresh school, with an enrollment code.
async fn student_with_code(admin: &Api, name: &str, birth_date: &str) -> (SubjectId, String) {
    let person = admin.person("student", name, "3B", birth_date).await;
    let code = admin
        .post(&format!("/v1/people/{person}/enrollment-codes"), json!({}))
        .await;
    assert_eq!(code.status, StatusCode::OK, "{code:?}");
    (person, code.body["qr_text"].as_str().unwrap().to_owned())
}

/// In the browser: makes a device key, enrolls it with `args[0]` (the code)
/// and returns the identity's id, public key and the enrollment answer.
const ENROLL_IN_JS: &str = r#"
const device = await import("/assets/js/device.js");
const identity = await device.createIdentity();
const answer = await fetch("/v1/enroll", {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ code: args[0], public_key: identity.publicKey }),
});
const enrolled = await answer.json();
await device.updateDetails(identity.id, enrolled);
return { status: answer.status, id: identity.id, publicKey: identity.publicKey, enrolled };
"#;

/// In the browser: the identity `args[0]` signs a grant for itself
/// (subject), or prepares one for a guardian key `args[1]` to co-sign.
const GRANT_IN_JS: &str = r#"
const p = await import("/assets/js/protocol.js");
const device = await import("/assets/js/device.js");
const identity = await device.getIdentity(args[0]);
const now = p.nowSeconds();
const grant = {
  token_id: p.randomId(),
  school: identity.details.school,
  subject: identity.details.person,
  media: ["photo"],
  purposes: ["website", "yearbook"],
  issued_at: p.timestampText(now),
  not_before: p.timestampText(now),
  not_after: p.timestampText(p.endOfSchoolYear(now)),
  signers: args[1] ? { by: "subject-and-guardian", subject: identity.id, guardian: args[1] } : { by: "subject", key: identity.id },
};
const signature = await device.signClaims(identity, "grant", grant);
return { claims: p.toHex(p.encodeClaims("grant", grant)), signature: p.toHex(signature), token_id: grant.token_id,
         text: args[1] ? null : p.signedText({ kind: "grant", claims: grant, signatures: [signature] }) };
"#;

async fn a_key_made_in_the_browser_is_accepted_by_the_server(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let Some(browser) = browser_on(&server, "browser_protocol_device").await else {
        return;
    };
    let admin = server.admin("Browser school").await;
    let (person, code) = student_with_code(&admin, "Noor", "2008-03-04").await;

    let enrolled = browser.run(ENROLL_IN_JS, vec![json!(code)]).await;
    assert_eq!(enrolled["status"], 201, "{enrolled}");
    assert_eq!(enrolled["enrolled"]["person"], json!(person.to_string()));
    let key_id = enrolled["id"].as_str().unwrap().to_owned();
    let public_key = PublicKey::from_hex(enrolled["publicKey"].as_str().unwrap()).unwrap();
    assert_eq!(
        public_key.id().to_string(),
        key_id,
        "the browser names its key as Rust does"
    );

    // The private key stays in the browser: not extractable, in any format.
    let extractable = browser
        .run(
            r#"const device = await import("/assets/js/device.js");
               const [identity] = await device.listIdentities();
               const refusals = [];
               for (const format of ["pkcs8", "raw", "jwk"]) {
                 try { await crypto.subtle.exportKey(format, identity.keyPair.privateKey); refusals.push("exported"); }
                 catch (error) { refusals.push(error.name); }
               }
               return { extractable: identity.keyPair.privateKey.extractable, refusals };"#,
            vec![],
        )
        .await;
    assert_eq!(
        extractable,
        json!({"extractable": false, "refusals": ["InvalidAccessError", "InvalidAccessError", "InvalidAccessError"]})
    );

    // The key survives a reload (IndexedDB) and signs a grant the server
    // records and verifies with the Rust crate.
    browser.goto(&format!("{}/assets/js/device.js", server.url)).await;
    let grant = browser.run(GRANT_IN_JS, vec![json!(key_id), Value::Null]).await;
    let text = grant["text"].as_str().unwrap();
    let token = SignedGrant::from_text(text).unwrap();
    assert_eq!(token.unverified().subject, person);
    let submitted = server
        .anonymous()
        .post("/v1/grants", json!({"token": text}))
        .await;
    assert_eq!(submitted.status, StatusCode::CREATED, "{submitted:?}");

    // Signed requests: the device reads its own record.
    let record = browser
        .run(
            r#"const device = await import("/assets/js/device.js");
               const identity = await device.getIdentity(args[0]);
               const answer = await device.signedFetch(identity, "/v1/me?include=all");
               return { status: answer.status, body: await answer.json() };"#,
            vec![json!(key_id)],
        )
        .await;
    assert_eq!(record["status"], 200, "{record}");
    assert!(
        record["body"]
            .to_string()
            .contains(grant["token_id"].as_str().unwrap()),
        "{record}"
    );

    // A revocation signed in the browser withdraws it.
    let revoked = browser
        .run(
            r#"const p = await import("/assets/js/protocol.js");
               const device = await import("/assets/js/device.js");
               const identity = await device.getIdentity(args[0]);
               const revocation = { id: p.randomId(), school: identity.details.school, subject: identity.details.person,
                 scope: { type: "token", value: args[1] }, issued_at: p.timestampText(p.nowSeconds()),
                 role: "subject", key: identity.id };
               const signature = await device.signClaims(identity, "revocation", revocation);
               const text = p.signedText({ kind: "revocation", claims: revocation, signatures: [signature] });
               const answer = await fetch("/v1/revocations", { method: "POST", headers: { "content-type": "application/json" },
                 body: JSON.stringify({ revocation: text }) });
               return answer.status;"#,
            vec![json!(key_id), grant["token_id"].clone()],
        )
        .await;
    assert_eq!(revoked, 201);

    // A second identity on the same phone, then forgetting the first.
    let (_, second_code) = student_with_code(&admin, "Sem", "2008-05-06").await;
    let second = browser.run(ENROLL_IN_JS, vec![json!(second_code)]).await;
    assert_eq!(second["status"], 201, "{second}");
    let kept = browser
        .run(
            r#"const device = await import("/assets/js/device.js");
               await device.removeIdentity(args[0]);
               return (await device.listIdentities()).map((identity) => identity.id);"#,
            vec![json!(key_id)],
        )
        .await;
    assert_eq!(kept, json!([second["id"]]));
    browser.close().await;
}

async fn a_child_and_a_parent_co_sign_in_two_browsers(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let Some(child_phone) = browser_on(&server, "browser_protocol_cosign").await else {
        return;
    };
    let Some(parent_phone) = browser_on(&server, "browser_protocol_cosign").await else {
        return;
    };
    let admin = server.admin("Co-sign school").await;
    let (child, child_code) = student_with_code(&admin, "Mila", "2014-02-03").await;
    let parent = admin.person("guardian", "Mila's mother", "", "").await;
    let link = admin
        .post(
            &format!("/v1/people/{child}/guardians"),
            json!({"guardian": parent.to_string()}),
        )
        .await;
    assert!(link.status.is_success(), "{link:?}");
    let parent_code = admin
        .post(&format!("/v1/people/{parent}/enrollment-codes"), json!({}))
        .await;
    let child_device = child_phone.run(ENROLL_IN_JS, vec![json!(child_code)]).await;
    let parent_device = parent_phone
        .run(ENROLL_IN_JS, vec![parent_code.body["qr_text"].clone()])
        .await;
    assert_eq!(
        (child_device["status"].clone(), parent_device["status"].clone()),
        (json!(201), json!(201))
    );

    // The child prepares and signs; the parent's phone decodes the claims,
    // adds its signature after the child's, and submits.
    let pending = child_phone
        .run(
            GRANT_IN_JS,
            vec![child_device["id"].clone(), parent_device["id"].clone()],
        )
        .await;
    let submitted = parent_phone
        .run(
            r#"const p = await import("/assets/js/protocol.js");
               const device = await import("/assets/js/device.js");
               const identity = await device.getIdentity(args[0]);
               const claims = p.decodeClaims("grant", p.fromHex(args[1], args[1].length / 2));
               const signature = await device.signClaims(identity, "grant", claims);
               const text = p.signedText({ kind: "grant", claims, signatures: [p.fromHex(args[2], 64), signature] });
               const answer = await fetch("/v1/grants", { method: "POST", headers: { "content-type": "application/json" },
                 body: JSON.stringify({ token: text }) });
               return { status: answer.status, text };"#,
            vec![parent_device["id"].clone(), pending["claims"].clone(), pending["signature"].clone()],
        )
        .await;
    assert_eq!(submitted["status"], 201, "{submitted}");
    let token = SignedGrant::from_text(submitted["text"].as_str().unwrap()).unwrap();
    assert!(matches!(
        token.unverified().signers,
        GrantSigners::SubjectAndGuardian { .. }
    ));
    child_phone.close().await;
    parent_phone.close().await;
}

#[tokio::test]
async fn a_browser_without_ed25519_is_told_so() {
    let server = TestServer::start(Db::Sqlite).await.unwrap();
    let Some(browser) = browser_on(&server, "browser_protocol_support").await else {
        return;
    };
    let support = browser
        .run(
            r#"const device = await import("/assets/js/device.js");
               const before = await device.missingSupport();
               const generateKey = crypto.subtle.generateKey.bind(crypto.subtle);
               crypto.subtle.generateKey = (algorithm, ...rest) =>
                 algorithm.name === "Ed25519" ? Promise.reject(new DOMException("Unrecognized name", "NotSupportedError")) : generateKey(algorithm, ...rest);
               const after = await device.missingSupport();
               return [before, after && after.code];"#,
            vec![],
        )
        .await;
    assert_eq!(support, json!([null, "no_ed25519"]));
    browser.close().await;
}

on_both_databases!(
    a_key_made_in_the_browser_is_accepted_by_the_server,
    a_child_and_a_parent_co_sign_in_two_browsers
);
