//! The same consent claims in three token formats: ours, JWT and PASETO.

use anyhow::{Context, Result};
use consent_protocol::{
    Grant, GrantSigners, MediaKind, MediaSet, PublicKey, Purpose, PurposeSet, SchoolId, SignedGrant,
    SigningKey, SubjectId, Timestamp, TokenId,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use pasetors::keys::{AsymmetricKeyPair, AsymmetricSecretKey};
use pasetors::version4::V4;
use serde_json::json;

/// A student's typical consent: photo and video, website and yearbook, for the school year.
pub fn sample_grant(student: &SigningKey, guardian: Option<&SigningKey>) -> Grant {
    let issued = Timestamp::from_unix(1_794_996_000);
    let signers = match guardian {
        None => GrantSigners::Subject {
            key: PublicKey::of(student).id(),
        },
        Some(guardian) => GrantSigners::SubjectAndGuardian {
            subject: PublicKey::of(student).id(),
            guardian: PublicKey::of(guardian).id(),
        },
    };
    Grant {
        token_id: TokenId::from_bytes([0x3c; 16]),
        school: SchoolId(42),
        subject: SubjectId::from_bytes([0x5e; 16]),
        media: MediaSet::new([MediaKind::Photo, MediaKind::Video]).expect("non-empty"),
        purposes: PurposeSet::new([Purpose::WEBSITE, Purpose::YEARBOOK]).expect("non-empty"),
        issued_at: issued,
        not_before: issued,
        not_after: issued.end_of_school_year(),
        signers,
    }
}

/// The grant's claims as JSON, with the short claim names JWTs use.
fn json_claims(grant: &Grant) -> serde_json::Value {
    json!({
        "jti": grant.token_id.to_string(),
        "sch": grant.school.0,
        "sub": grant.subject.to_string(),
        "med": grant.media,
        "pur": grant.purposes,
        "iat": grant.issued_at.as_unix(),
        "nbf": grant.not_before.as_unix(),
        "exp": grant.not_after.as_unix(),
    })
}

/// The grant's claims as a JWT signed with EdDSA, the key id in its header.
pub fn jwt(grant: &Grant, key: &SigningKey) -> Result<String> {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(PublicKey::of(key).id().to_string());
    let der = pkcs8_der(key);
    let encoding_key = EncodingKey::from_ed_der(&der);
    jsonwebtoken::encode(&header, &json_claims(grant), &encoding_key).context("encode JWT")
}

/// The PKCS#8 v1 DER wrapping of an Ed25519 private key (RFC 8410).
fn pkcs8_der(key: &SigningKey) -> Vec<u8> {
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
    ];
    der.extend_from_slice(key.as_bytes());
    der
}

/// The grant's claims as a PASETO v4.public token, the key id in its footer.
pub fn paseto(grant: &Grant, key: &SigningKey) -> Result<String> {
    let mut keypair_bytes = key.to_bytes().to_vec();
    keypair_bytes.extend_from_slice(&PublicKey::of(key).to_bytes());
    let secret = AsymmetricSecretKey::<V4>::from(&keypair_bytes).context("PASETO key")?;
    let public = pasetors::keys::AsymmetricPublicKey::<V4>::from(&PublicKey::of(key).to_bytes())
        .context("PASETO public key")?;
    let pair = AsymmetricKeyPair { public, secret };
    let footer = paseto_footer(key);
    let message = json_claims(grant).to_string();
    pasetors::version4::PublicToken::sign(&pair.secret, message.as_bytes(), Some(footer.as_bytes()), None)
        .context("sign PASETO")
}

/// The PASETO footer naming the signing key.
pub fn paseto_footer(key: &SigningKey) -> String {
    json!({ "kid": PublicKey::of(key).id().to_string() }).to_string()
}

/// One row of the size table.
pub struct SizeRow {
    /// The format.
    pub format: &'static str,
    /// Characters of QR text.
    pub chars: usize,
    /// Smallest QR version at error correction M.
    pub qr_version: Option<u8>,
}

/// Sizes of the sample grant in every format.
pub fn size_rows() -> Result<Vec<SizeRow>> {
    let student = SigningKey::from_bytes(&[7; 32]);
    let parent = SigningKey::from_bytes(&[8; 32]);
    let single = SignedGrant::sign(sample_grant(&student, None), &[&student])?.to_text();
    let cosigned = SignedGrant::sign(sample_grant(&student, Some(&parent)), &[&student, &parent])?.to_text();
    let jwt = jwt(&sample_grant(&student, None), &student)?;
    let paseto = paseto(&sample_grant(&student, None), &student)?;
    Ok([
        ("consent token, one signer", single),
        ("consent token, child and guardian", cosigned),
        ("JWT (EdDSA), one signer", jwt),
        ("PASETO v4.public, one signer", paseto),
    ]
    .into_iter()
    .map(|(format, text)| SizeRow {
        format,
        chars: text.len(),
        qr_version: consent_qr::qr_version(&text).ok(),
    })
    .collect())
}

/// Prints the size table as Markdown.
pub fn print_size_table() -> Result<()> {
    println!("| format | QR text (characters) | QR version at level M |");
    println!("|---|---:|---:|");
    for row in size_rows()? {
        let version = row
            .qr_version
            .map_or_else(|| "too large".to_owned(), |v| v.to_string());
        println!("| {} | {} | {} |", row.format, row.chars, version);
    }
    Ok(())
}
