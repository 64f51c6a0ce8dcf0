//! What the protocol costs on top of Ed25519: decoding and verifying one
//! token against a bare `verify_strict` of the same bytes, and a class of 30
//! tokens one by one against batched.
//!
//! Run with `cargo bench -p consent-protocol --bench verify`.

use consent_protocol::*;
use criterion::{black_box, criterion_group, criterion_main, Criterion};

const NOW: u32 = 1_795_000_000;

struct Class {
    keyring: Keyring,
    tokens: Vec<SignedGrant>,
}

fn class(size: u8) -> Class {
    let mut keyring = Keyring::new();
    let tokens = (0..size)
        .map(|i| {
            let key = SigningKey::from_bytes(&[i + 1; 32]);
            let subject = SubjectId::from_bytes([i; 16]);
            let public = PublicKey::of(&key);
            keyring.add(public, KeyHolder::Person(subject));
            let grant = Grant {
                token_id: TokenId::from_bytes([i ^ 0x5a; 16]),
                school: SchoolId(1),
                subject,
                media: MediaSet::new([MediaKind::Photo]).expect("non-empty"),
                purposes: PurposeSet::new([Purpose::WEBSITE, Purpose::YEARBOOK]).expect("non-empty"),
                issued_at: Timestamp::from_unix(NOW - 1000),
                not_before: Timestamp::from_unix(NOW - 1000),
                not_after: Timestamp::from_unix(NOW + 1_000_000),
                signers: GrantSigners::Subject { key: public.id() },
            };
            SignedGrant::sign(grant, &[&key]).expect("keys match")
        })
        .collect();
    Class { keyring, tokens }
}

fn one_token(c: &mut Criterion) {
    let Class { keyring, tokens } = class(1);
    let token = &tokens[0];
    let text = token.to_text();
    let key =
        ed25519_dalek::VerifyingKey::from_bytes(&SigningKey::from_bytes(&[1; 32]).verifying_key().to_bytes())
            .expect("valid key");
    let message = signed_message(Kind::Grant, &token.unverified().to_bytes());
    let signature = token.signatures()[0];
    let now = Timestamp::from_unix(NOW);

    let mut group = c.benchmark_group("one_token");
    group.bench_function("bare_verify_strict", |b| {
        b.iter(|| key.verify_strict(black_box(&message), black_box(&signature)))
    });
    group.bench_function("decode_text_and_verify", |b| {
        b.iter(|| {
            SignedGrant::from_text(black_box(&text)).and_then(|token| token.verify(&keyring, now).map(|_| ()))
        })
    });
    group.finish();
}

fn class_of_30(c: &mut Criterion) {
    let Class { keyring, tokens } = class(30);
    let now = Timestamp::from_unix(NOW);
    let mut group = c.benchmark_group("class_of_30");
    group.bench_function("one_by_one", |b| {
        b.iter(|| {
            black_box(&tokens)
                .iter()
                .map(|token| token.verify(&keyring, now).is_ok())
                .filter(|ok| *ok)
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
