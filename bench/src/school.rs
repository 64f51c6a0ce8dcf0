//! A school set up through the real HTTP API, as its administrator and its
//! students would: staff, a class list, enrolled devices, signed grants.

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use consent_protocol::{
    Grant, GrantSigners, MediaKind, MediaSet, PublicKey, Purpose, PurposeSet, Revocation, RevocationId,
    RevocationScope, Role, SchoolId, SignedGrant, SignedRevocation, SigningKey, SubjectId, Timestamp,
    TokenId,
};
use rand_core::OsRng;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The moment now, as the protocol counts it.
pub fn now() -> Timestamp {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    Timestamp::from_unix(u32::try_from(seconds).unwrap_or(u32::MAX))
}

/// A staff member's view of the server: its URL and their API token.
#[derive(Clone)]
pub struct StaffClient {
    /// The server's base URL.
    pub base: String,
    /// The staff member's API token.
    pub token: String,
    /// A shared HTTP client (it pools connections).
    pub http: reqwest::Client,
}

impl StaffClient {
    /// POSTs JSON and returns the body, failing unless the status is `expected`.
    pub async fn post(&self, path: &str, body: &Value, expected: StatusCode) -> Result<Value> {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .with_context(|| format!("POST {path}"))?;
        expect(response, expected, path).await
    }

    /// Creates a staff member with `role` and returns their client.
    pub async fn staff(&self, name: &str, role: &str) -> Result<StaffClient> {
        let member = self
            .post(
                "/v1/staff",
                &json!({"name": name, "role": role}),
                StatusCode::CREATED,
            )
            .await?;
        let id = member["id"].as_i64().context("staff id")?;
        let token = self
            .post(
                &format!("/v1/staff/{id}/tokens"),
                &json!({"label": "bench"}),
                StatusCode::CREATED,
            )
            .await?;
        Ok(StaffClient {
            token: token["token"].as_str().context("staff token")?.to_owned(),
            ..self.clone()
        })
    }

    /// Imports a class of `size` adult students as a CSV class list and
    /// returns their ids, in order.
    pub async fn import_class(&self, group: &str, size: usize) -> Result<Vec<SubjectId>> {
        let mut csv = String::from("external_id,display_name,group,birth_date\n");
        for n in 0..size {
            // Adults: their own signature suffices, as for most secondary students.
            csv.push_str(&format!(
                "{group}-{n},Student {n} of {group},{group},2005-01-01\n"
            ));
        }
        let response = self
            .http
            .post(format!("{}/v1/people/import", self.base))
            .bearer_auth(&self.token)
            .header("content-type", "text/csv")
            .body(csv)
            .send()
            .await
            .context("POST /v1/people/import")?;
        expect(response, StatusCode::OK, "/v1/people/import").await?;
        let response = self
            .http
            .get(format!("{}/v1/people?group={group}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .context("GET /v1/people")?;
        let listed = expect(response, StatusCode::OK, "/v1/people").await?;
        let people = listed
            .as_array()
            .or_else(|| listed["people"].as_array())
            .context("the people list")?;
        people
            .iter()
            .map(|person| {
                person["id"]
                    .as_str()
                    .context("a person's id")?
                    .parse::<SubjectId>()
                    .map_err(|e| anyhow::anyhow!("a person's id: {e}"))
            })
            .collect()
    }

    /// Enrolls a fresh device for `person` through an enrollment code.
    pub async fn enroll(&self, person: SubjectId) -> Result<Device> {
        let code = self
            .post(
                &format!("/v1/people/{person}/enrollment-codes"),
                &json!({}),
                StatusCode::OK,
            )
            .await?;
        let key = SigningKey::generate(&mut OsRng);
        // Each family enrolls from its own phone: the server allows one
        // address 20 attempts a minute, and a benchmark school enrolls
        // sixty. Any 127.x.y.z reaches the loopback server on Linux.
        let n = ENROLLED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let phone = std::net::Ipv4Addr::new(127, 1, (n / 250 % 250) as u8, (n % 250 + 1) as u8);
        let http = reqwest::Client::builder()
            .local_address(std::net::IpAddr::V4(phone))
            .build()
            .context("a client on its own loopback address")?;
        let response = http
            .post(format!("{}/v1/enroll", self.base))
            .json(&json!({
                "code": code["qr_text"].as_str().context("enrollment code")?,
                "public_key": hex::encode(PublicKey::of(&key).to_bytes()),
            }))
            .send()
            .await
            .context("POST /v1/enroll")?;
        let enrolled = expect(response, StatusCode::CREATED, "/v1/enroll").await?;
        let school = enrolled["school"].as_u64().context("the enrolled school")?;
        Ok(Device {
            key,
            person,
            school: SchoolId(u32::try_from(school).context("school id")?),
        })
    }
}

async fn expect(response: reqwest::Response, expected: StatusCode, path: &str) -> Result<Value> {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    if status != expected {
        bail!("{path} answered {status}, expected {expected}: {text}");
    }
    Ok(serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// Devices enrolled so far by this process, to give each its own address.
static ENROLLED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// A student's enrolled device: their key, which only they hold.
#[derive(Clone)]
pub struct Device {
    /// The device's key.
    pub key: SigningKey,
    /// Whose device it is.
    pub person: SubjectId,
    /// Their school.
    pub school: SchoolId,
}

impl Device {
    /// A fresh consent token for photos on the website and in the yearbook,
    /// valid to the end of the school year.
    pub fn grant(&self) -> Result<SignedGrant> {
        let now = now();
        let grant = Grant {
            token_id: TokenId::random(&mut OsRng),
            school: self.school,
            subject: self.person,
            media: MediaSet::new([MediaKind::Photo]).context("media")?,
            purposes: PurposeSet::new([Purpose::WEBSITE, Purpose::YEARBOOK]).context("purposes")?,
            issued_at: now,
            not_before: now,
            not_after: now.end_of_school_year(),
            signers: GrantSigners::Subject {
                key: PublicKey::of(&self.key).id(),
            },
        };
        Ok(SignedGrant::sign(grant, &[&self.key])?)
    }

    /// A signed withdrawal of one of this person's tokens.
    pub fn revocation(&self, token: TokenId) -> Result<SignedRevocation> {
        let revocation = Revocation {
            id: RevocationId::random(&mut OsRng),
            school: self.school,
            subject: self.person,
            scope: RevocationScope::Token(token),
            issued_at: now(),
            role: Role::Subject,
            key: PublicKey::of(&self.key).id(),
        };
        Ok(SignedRevocation::sign(revocation, &self.key)?)
    }

    /// Submits a grant as the device does (no staff token).
    pub async fn submit(&self, http: &reqwest::Client, base: &str, token: &SignedGrant) -> Result<()> {
        let response = http
            .post(format!("{base}/v1/grants"))
            .json(&json!({"token": token.to_text()}))
            .send()
            .await
            .context("POST /v1/grants")?;
        expect(response, StatusCode::CREATED, "/v1/grants").await?;
        Ok(())
    }
}

/// A school ready for load: a teacher, and classes whose every student has
/// an enrolled device and a standing grant.
pub struct BenchSchool {
    /// The administrator.
    pub admin: StaffClient,
    /// A teacher, who checks and scans.
    pub teacher: StaffClient,
    /// The class in the photo that is checked (30 students, all consenting).
    pub photo_class: String,
    /// The devices of the photo class, with their grants.
    pub photo_class_devices: Vec<(Device, SignedGrant)>,
    /// Another class whose students grant and revoke under load, so the
    /// checked class keeps its consent.
    pub busy_class_devices: Vec<Device>,
    /// A third class whose students grant and revoke in the mix: the busy
    /// class has by then gathered hundreds of tokens and revocations per
    /// student, which each of their grants reads, where a real student
    /// holds a few.
    pub mix_class_devices: Vec<Device>,
}

/// The size of a class in a class photo.
pub const CLASS_SIZE: usize = 30;

impl BenchSchool {
    /// Sets up a school on the server at `base` with the administrator's token.
    pub async fn set_up(base: &str, admin_token: &str) -> Result<Self> {
        let http = reqwest::Client::new();
        let admin = StaffClient {
            base: base.to_owned(),
            token: admin_token.to_owned(),
            http: http.clone(),
        };
        let teacher = admin.staff("Bench Teacher", "teacher").await?;
        let photo_class = "3B".to_owned();
        let mut photo_class_devices = Vec::new();
        for person in admin.import_class(&photo_class, CLASS_SIZE).await? {
            let device = admin.enroll(person).await?;
            let grant = device.grant()?;
            device.submit(&http, base, &grant).await?;
            photo_class_devices.push((device, grant));
        }
        let mut busy_class_devices = Vec::new();
        for person in admin.import_class("4A", CLASS_SIZE).await? {
            busy_class_devices.push(admin.enroll(person).await?);
        }
        let mut mix_class_devices = Vec::new();
        for person in admin.import_class("5C", CLASS_SIZE).await? {
            mix_class_devices.push(admin.enroll(person).await?);
        }
        Ok(Self {
            admin,
            teacher,
            photo_class,
            photo_class_devices,
            busy_class_devices,
            mix_class_devices,
        })
    }
}
