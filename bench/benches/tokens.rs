//! What users feel of token verification, every format in one run: decoding
//! and verifying one consent token against a bare `verify_strict` of the
//! same bytes, the same claims as a JWT (EdDSA) and as PASETO v4.public, and
//! a class of 30 tokens one by one against batched.
//!
//! Run with `cargo bench -p bench --bench tokens`; `cargo run -p bench
//! --release -- tokens` runs it and prints the table.

use base64::Engine as _;
use bench::tokens::{jwt, paseto, paseto_footer, sample_grant};
use consent_protocol::*;
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use pasetors::keys::AsymmetricPublicKey;
use pasetors::token::Public;
use pasetors::token::UntrustedToken;
use pasetors::version4::{PublicToken, V4};

/// Inside the sample grant's validity window.
const NOW: u32 = 1_795_000_000;

fn one_token(c: &mut Criterion) {
    let student = SigningKey::from_bytes(&[7; 32]);
    let public = PublicKey::of(&student);
    let grant = sample_grant(&student, None);
    let mut keyring = Keyring::new();
    keyring.add(public, KeyHolder::Person(grant.subject));
    let token = SignedGrant::sign(grant.clone(), &[&student]).expect("keys match");
    let text = token.to_text();
    let now = Timestamp::from_unix(NOW);

    let dalek = ed25519_dalek::VerifyingKey::from_bytes(&public.to_bytes()).expect("valid key");
    let message = signed_message(Kind::Grant, &token.unverified().to_bytes());
    let signature = token.signatures()[0];

    let jwt_text = jwt(&grant, &student).expect("JWT encodes");
    let jwt_key = jsonwebtoken::DecodingKey::from_ed_components(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(public.to_bytes()),
    )
    .expect("JWT key");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    // Our verifier checks the window against a given moment; the JWT library
    // reads the clock, so the window is checked there too but not pinned.
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    let decode_jwt =
        || jsonwebtoken::decode::<serde_json::Value>(black_box(&jwt_text), &jwt_key, &validation);
    decode_jwt().expect("the JWT verifies");

    let paseto_text = paseto(&grant, &student).expect("PASETO signs");
    let paseto_key = AsymmetricPublicKey::<V4>::from(&public.to_bytes()).expect("PASETO key");
    let footer = paseto_footer(&student);
    let decode_paseto = || {
        let untrusted = UntrustedToken::<Public, V4>::try_from(black_box(paseto_text.as_str()))?;
        let trusted = PublicToken::verify(&paseto_key, &untrusted, Some(footer.as_bytes()), None)?;
        // Claims as data, as the other two formats give them.
        let claims: serde_json::Value =
            serde_json::from_str(trusted.payload()).map_err(|_| pasetors::errors::Error::TokenFormat)?;
        Ok::<_, pasetors::errors::Error>(claims)
    };
    decode_paseto().expect("the PASETO token verifies");

    let mut group = c.benchmark_group("tokens");
    group.bench_function("bare_verify_strict", |b| {
        b.iter(|| dalek.verify_strict(black_box(&message), black_box(&signature)))
    });
    group.bench_function("consent_decode_and_verify", |b| {
        b.iter(|| {
            SignedGrant::from_text(black_box(&text)).and_then(|token| token.verify(&keyring, now).map(|_| ()))
        })
    });
    group.bench_function("jwt_decode_and_verify", |b| b.iter(decode_jwt));
    group.bench_function("paseto_decode_and_verify", |b| b.iter(decode_paseto));
    group.finish();
}

fn class_of_30(c: &mut Criterion) {
    let mut keyring = Keyring::new();
    let tokens: Vec<SignedGrant> = (0..30u8)
        .map(|i| {
            let key = SigningKey::from_bytes(&[i + 1; 32]);
            let mut grant = sample_grant(&key, None);
            grant.subject = SubjectId::from_bytes([i; 16]);
            grant.token_id = TokenId::from_bytes([i ^ 0x5a; 16]);
            keyring.add(PublicKey::of(&key), KeyHolder::Person(grant.subject));
            SignedGrant::sign(grant, &[&key]).expect("keys match")
        })
        .collect();
    let now = Timestamp::from_unix(NOW);
    let mut group = c.benchmark_group("class_of_30");
    group.bench_function("one_by_one", |b| {
        b.iter(|| {
            black_box(&tokens)
                .iter()
                .filter(|token| token.verify(&keyring, now).is_ok())
                .count()
        })
    });
    group.bench_function("batched", |b| {
        b.iter(|| verify_grants(black_box(&tokens), &keyring, now))
    });
    group.finish();
}

// The macro defines an undocumented public function.
#[allow(missing_docs)]
mod group {
    use super::*;
    criterion_group!(benches, one_token, class_of_30);
}
criterion_main!(group::benches);
