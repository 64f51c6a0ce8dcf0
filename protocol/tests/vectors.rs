//! The published test vectors (`protocol/vectors/v1.json`): the file is what
//! `conformance` generates, it matches its schema (`v1.schema.json`), every
//! vector decodes and verifies as it says, and every error code the spec
//! names has a vector, as has every rule the decoders enforce.
//!
//! Regenerate after a deliberate protocol change with
//! `UPDATE_VECTORS=1 cargo test -p consent-protocol --test vectors`.

mod common;
mod conformance;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use conformance::*;
use consent_protocol::*;
use ed25519_dalek::VerifyingKey;

const VECTORS_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/vectors/v1.json");
const SCHEMA_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/vectors/v1.schema.json");
const SPEC: &str = include_str!("../../docs/protocol.md");

fn build_vectors() -> Vec<Vector> {
    let world = World::new();
    let mut vectors = vec![];
    vectors.extend(grants::vectors(&world));
    vectors.extend(text::vectors(&world));
    vectors.extend(keys::vectors(&world));
    vectors.extend(revocations::vectors(&world));
    vectors.extend(server_signed::vectors(&world));
    vectors.extend(lists::vectors(&world));
    vectors.extend(requests::vectors(&world));
    vectors
}

fn published() -> Vec<Vector> {
    let text = std::fs::read_to_string(VECTORS_PATH).expect("vectors file exists");
    serde_json::from_str(&text).expect("vectors parse")
}

#[test]
fn published_vectors_are_the_generated_ones() {
    let generated = serde_json::to_string_pretty(&build_vectors()).expect("vectors serialize") + "\n";
    if std::env::var_os("UPDATE_VECTORS").is_some() {
        std::fs::write(VECTORS_PATH, &generated).expect("write vectors");
    }
    let published = std::fs::read_to_string(VECTORS_PATH).expect("vectors file exists");
    assert!(
        published == generated,
        "protocol/vectors/v1.json is out of date; regenerate it with UPDATE_VECTORS=1 after a deliberate change"
    );
}

#[test]
fn every_published_vector_verifies_as_it_says() {
    let vectors = published();
    let descriptions: BTreeSet<_> = vectors.iter().map(|v| v.description.as_str()).collect();
    assert_eq!(descriptions.len(), vectors.len(), "descriptions are unique");
    for vector in &vectors {
        let result = check(vector);
        match (&result, vector.valid, &vector.error) {
            (Ok(claims), true, None) => assert_eq!(Some(claims), vector.decoded.as_ref()),
            (Err(error), false, Some(code)) => assert_eq!(error.code(), code, "{}", vector.description),
            _ => panic!("{}: got {result:?}", vector.description),
        }
        if vector.valid {
            // The signed bytes and signatures stand on their own: a bare
            // strict Ed25519 verification with `public_keys` agrees.
            assert_eq!(vector.signatures.len(), vector.public_keys.len());
            assert_eq!(vector.signatures.len(), vector.signed_bytes.len());
            for ((message, signature), key) in vector
                .signed_bytes
                .iter()
                .zip(&vector.signatures)
                .zip(&vector.public_keys)
            {
                let key: [u8; 32] = hex::decode(key).expect("hex").try_into().expect("32 bytes");
                let key = VerifyingKey::from_bytes(&key).expect("valid key");
                let signature: [u8; 64] = hex::decode(signature).expect("hex").try_into().expect("64 bytes");
                key.verify_strict(
                    &hex::decode(message).expect("hex"),
                    &Signature::from_bytes(&signature),
                )
                .unwrap_or_else(|_| panic!("{}: bare verification failed", vector.description));
            }
            // One text per object: encoding the decoded object again gives
            // the text, less the white space around it.
            if vector.kind != "request" {
                let bytes = from_text(&vector.text).expect("valid text");
                assert_eq!(to_text(&bytes), vector.text.trim(), "{}", vector.description);
            }
        }
    }
}

/// The log heads' chains recompute from their entries alone, and each
/// signed head commits to the chain's last head.
#[test]
fn every_log_chain_recomputes_and_ends_in_its_signed_head() {
    let mut chains = 0;
    for vector in published().iter().filter(|v| v.valid && v.kind == "log-head") {
        let log = vector.log.as_ref().expect("a valid log head carries its log");
        let decoded = vector.decoded.as_ref().expect("decoded");
        let school = SchoolId(decoded["school"].as_u64().expect("school") as u32);
        let mut head = genesis_head(school);
        assert_eq!(log.heads[0], head.to_string());
        for (position, entry) in log.entries.iter().enumerate() {
            head = next_head(&head, position as u64 + 1, &hex::decode(entry).expect("hex"));
            assert_eq!(
                log.heads[position + 1],
                head.to_string(),
                "{}",
                vector.description
            );
        }
        assert_eq!(log.heads.len(), log.entries.len() + 1);
        assert_eq!(decoded["size"], log.entries.len());
        assert_eq!(decoded["head"], head.to_string());
        chains += 1;
    }
    assert!(chains >= 2);
}

#[test]
fn the_vectors_file_matches_its_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(SCHEMA_PATH).expect("schema exists"))
            .expect("schema parses");
    let vectors: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(VECTORS_PATH).expect("vectors exist"))
            .expect("vectors parse");
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    let problems: Vec<String> = validator
        .iter_errors(&vectors)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");
    // The schema refuses what it should: a vector without its kind's extra
    // field, and an unknown error code.
    let mut broken = vectors.clone();
    let list = broken
        .as_array_mut()
        .expect("array")
        .iter_mut()
        .find(|v| v["kind"] == "revocation-list")
        .expect("a list page");
    list.as_object_mut().expect("object").remove("entries");
    assert!(
        !validator.is_valid(&broken),
        "a page without entries passes the schema"
    );
    let mut broken = vectors.clone();
    broken[1]["error"] = "not_a_code".into();
    broken[1]["valid"] = false.into();
    assert!(
        !validator.is_valid(&broken),
        "an unknown error code passes the schema"
    );
}

/// The codes of the spec's error table ("## Errors"), in its order.
fn spec_error_codes() -> Vec<&'static str> {
    let table = SPEC
        .split("\n## Errors\n")
        .nth(1)
        .expect("the spec has an Errors section")
        .split("\n## ")
        .next()
        .expect("the section");
    table
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split_once('`'))
        .map(|(code, _)| code)
        .collect()
}

/// Every error code the spec names has a vector, and every vector's code is
/// one the spec names; prints the count per code.
#[test]
fn every_error_code_in_the_spec_has_a_vector() {
    let codes = spec_error_codes();
    assert!(codes.len() >= 21, "the error table was not found: {codes:?}");
    let mut counts: BTreeMap<&str, usize> = codes.iter().map(|code| (*code, 0)).collect();
    let vectors = published();
    for vector in &vectors {
        if let Some(code) = vector.error.as_deref() {
            *counts.get_mut(code).unwrap_or_else(|| {
                panic!("{}: code {code} is not in the spec's table", vector.description)
            }) += 1;
        }
    }
    let valid = vectors.iter().filter(|v| v.valid).count();
    println!("{} vectors: {valid} valid", vectors.len());
    for (code, count) in &counts {
        println!("{code}: {count}");
    }
    let missing: Vec<_> = counts
        .iter()
        .filter(|(_, count)| **count == 0)
        .map(|(code, _)| code)
        .collect();
    assert!(missing.is_empty(), "no vector for {missing:?}");
}

/// The rules the decoders and list checks enforce, as the crate words them
/// (`rule: "..."` in its source). Each must be what some vector breaks.
fn enforced_rules() -> BTreeSet<&'static str> {
    const SOURCES: [&str; 5] = [
        include_str!("../src/grant.rs"),
        include_str!("../src/revocation.rs"),
        include_str!("../src/receipt.rs"),
        include_str!("../src/revocation_list.rs"),
        include_str!("../src/guardian_dates.rs"),
    ];
    // Rules only a signer can break, never a decoder: they guard the
    // constructors (`from_parts`, `of_entries`).
    const SIGNER_ONLY: [&str; 3] = [
        "a grant carries one signature per signer",
        "a page holds at most 2^32 - 1 revocations",
        "a list holds at most 2^32 - 1 people",
    ];
    SOURCES
        .iter()
        .flat_map(|source| source.split("rule: \"").skip(1))
        .filter_map(|rest| rest.split_once('"').map(|(rule, _)| rule))
        .filter(|rule| !SIGNER_ONLY.contains(rule))
        .collect()
}

/// The rule a vector breaks, if its refusal names one.
fn broken_rule(vector: &Vector) -> Option<&'static str> {
    match check(vector) {
        Err(Error::NonCanonical { rule }) | Err(Error::ListMismatch { rule }) => Some(rule),
        _ => None,
    }
}

#[test]
fn every_canonical_and_list_rule_has_a_vector() {
    let rules = enforced_rules();
    assert!(rules.len() >= 15, "rules not found: {rules:?}");
    let broken: BTreeSet<_> = published().iter().filter_map(broken_rule).collect();
    let missing: Vec<_> = rules.difference(&broken).collect();
    assert!(missing.is_empty(), "no vector breaks {missing:#?}");
}
