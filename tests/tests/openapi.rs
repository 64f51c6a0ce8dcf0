//! The OpenAPI document: served without a credential, complete (every route
//! the router serves, and nothing else), and true to what the server answers.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use consent_protocol::*;
use consent_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

async fn document(server: &TestServer) -> Value {
    let answer = server.anonymous().get("/v1/openapi.json").await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_eq!(answer.content_type, "application/json");
    answer.body
}

/// Every (method, path) the document names, the method in upper case.
fn documented_routes(document: &Value) -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in METHODS {
            if item.get(method).is_some() {
                routes.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    routes
}

/// Follows `#/...` references until a node that is not one.
fn resolve<'a>(document: &'a Value, mut node: &'a Value) -> &'a Value {
    while let Some(reference) = node.get("$ref").and_then(Value::as_str) {
        node = document
            .pointer(reference.strip_prefix('#').unwrap())
            .unwrap_or_else(|| panic!("{reference} does not resolve"));
    }
    node
}

/// A value for each path parameter, valid for its documented schema.
fn concrete_path(document: &Value, path: &str, operation: &Value) -> String {
    let mut concrete = path.to_owned();
    for parameter in operation["parameters"].as_array().into_iter().flatten() {
        if parameter["in"] != "path" {
            continue;
        }
        let schema = resolve(document, &parameter["schema"]);
        let value = match (schema["type"].as_str(), schema["maxLength"].as_u64()) {
            (Some("integer"), _) => "1".to_owned(),
            (Some("string"), Some(length)) => "a".repeat(length as usize),
            other => panic!("{path}: no sample for a path parameter of type {other:?}"),
        };
        concrete = concrete.replace(&format!("{{{}}}", parameter["name"].as_str().unwrap()), &value);
    }
    assert!(
        !concrete.contains('{'),
        "{path}: a path parameter is undocumented"
    );
    concrete
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_is_openapi_3_and_its_references_resolve() {
    let server = TestServer::start(Db::Sqlite).await.unwrap();
    let document = document(&server).await;
    assert!(
        document["openapi"].as_str().unwrap().starts_with("3."),
        "{}",
        document["openapi"]
    );
    assert!(document["info"]["title"].is_string());
    assert!(document["info"]["version"].is_string());
    let schemes = &document["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(
        (
            &schemes["device"]["type"],
            &schemes["device"]["in"],
            &schemes["device"]["name"]
        ),
        (&json!("apiKey"), &json!("header"), &json!("Authorization"))
    );
    let mut references = Vec::new();
    collect_references(&document, &mut references);
    assert!(!references.is_empty());
    for reference in references {
        resolve(&document, &json!({ "$ref": reference }));
    }
    let mut operation_ids = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            let id = operation["operationId"].as_str().unwrap().to_owned();
            assert!(
                operation_ids.insert(id),
                "{method} {path}: operationId used twice"
            );
            assert!(
                operation["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{method} {path} documents no response"
            );
            if ["post", "put", "patch"].contains(&method) && operation.get("requestBody").is_some() {
                let content = operation["requestBody"]["content"].as_object().unwrap();
                let expected: &[&str] = match path.as_str() {
                    "/v1/people/import" => &["text/csv"],
                    "/v1/scans/photo" => &["image/jpeg", "image/png"],
                    _ => &["application/json"],
                };
                assert_eq!(
                    content.keys().collect::<Vec<_>>(),
                    expected,
                    "{method} {path} body"
                );
            }
        }
    }
}

fn collect_references(node: &Value, references: &mut Vec<String>) {
    match node {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", Value::String(reference)) => references.push(reference.clone()),
                    _ => collect_references(value, references),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_references(item, references)),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documented_routes_are_exactly_the_routes_served() {
    let server = TestServer::start(Db::Sqlite).await.unwrap();
    let document = document(&server).await;
    let documented = documented_routes(&document);
    let served: BTreeSet<(String, String)> = consent_server::http::routes()
        .into_iter()
        .map(|(method, path)| (method.as_str().to_owned(), path))
        .collect();
    assert_eq!(documented, served);
    assert!(documented.contains(&("POST".to_owned(), "/v1/scans".to_owned())));
    assert!(documented.contains(&("GET".to_owned(), "/v1/openapi.json".to_owned())));

    // And the router does answer each of them: its fallbacks answer anything
    // else with 404 `not_found` or 405 `method_not_allowed`.
    let anonymous = server.anonymous();
    for (method, path) in &documented {
        let operation = &document["paths"][path][method.to_lowercase()];
        let concrete = concrete_path(&document, path, operation);
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let body = (method != Method::GET && method != Method::DELETE).then(|| json!({}));
        let answer = anonymous.send(method.clone(), &concrete, body).await;
        assert!(
            answer.code() != "not_found" && answer.code() != "method_not_allowed",
            "{method} {concrete} is documented but not served: {answer:?}"
        );
    }
    let unknown = anonymous.get("/v1/not-a-route").await;
    assert_eq!(unknown.code(), "not_found", "the probe above can tell");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_that_needs_a_credential_refuses_a_caller_without_one_as_documented() {
    let server = TestServer::start(Db::Sqlite).await.unwrap();
    let document = document(&server).await;
    let anonymous = server.anonymous();
    let forged = anonymous.with_token("cst_not-a-real-token");
    let mut checked = 0;
    for (method, path) in documented_routes(&document) {
        let operation = &document["paths"][&path][method.to_lowercase()];
        let schemes: Vec<&str> = operation["security"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|requirement| requirement.as_object().unwrap().keys())
            .map(String::as_str)
            .collect();
        if schemes.is_empty() {
            continue;
        }
        assert!(
            schemes.iter().all(|scheme| ["bearer", "device"].contains(scheme)),
            "{method} {path}: {schemes:?}"
        );
        let documented = resolve(&document, &operation["responses"]["401"]);
        let problem_schema = &documented["content"]["application/problem+json"]["schema"];
        assert!(
            problem_schema.is_object(),
            "{method} {path} does not document its 401 problem"
        );
        let concrete = concrete_path(&document, &path, operation);
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let body = (method != Method::GET && method != Method::DELETE).then(|| json!({}));
        for caller in [&anonymous, &forged] {
            let answer = caller.send(method.clone(), &concrete, body.clone()).await;
            assert_eq!(
                answer.status,
                StatusCode::UNAUTHORIZED,
                "{method} {concrete}: {answer:?}"
            );
            assert_eq!(
                answer.content_type, "application/problem+json",
                "{method} {concrete}"
            );
            assert_eq!(answer.code(), "unauthorized");
            validate(&document, problem_schema, &answer.body, "$")
                .unwrap_or_else(|error| panic!("{method} {concrete}: {error}"));
        }
        checked += 1;
    }
    assert!(checked >= 25, "only {checked} endpoints need a credential");
}

/// Checks `value` against a JSON Schema as utoipa writes them: references,
/// types, objects, arrays, enums, one/all/any-of, patterns and bounds.
fn validate(document: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let target = document
            .pointer(reference.strip_prefix('#').unwrap())
            .ok_or_else(|| format!("{at}: {reference} does not resolve"))?;
        return validate(document, target, value, at);
    }
    if let Some(types) = schema.get("type") {
        let types: Vec<&str> = match types {
            Value::String(one) => vec![one.as_str()],
            Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
            other => return Err(format!("{at}: bad type {other}")),
        };
        let matches = |kind: &str| match kind {
            "null" => value.is_null(),
            "boolean" => value.is_boolean(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "string" => value.is_string(),
            "array" => value.is_array(),
            "object" => value.is_object(),
            _ => false,
        };
        if !types.iter().any(|kind| matches(kind)) {
            return Err(format!("{at}: {value} is not {types:?}"));
        }
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
        if !allowed.contains(value) {
            return Err(format!("{at}: {value} is not one of {allowed:?}"));
        }
    }
    for part in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        validate(document, part, value, at)?;
    }
    if let Some(choices) = schema.get("oneOf").and_then(Value::as_array) {
        let passing = choices
            .iter()
            .filter(|choice| validate(document, choice, value, at).is_ok())
            .count();
        if passing != 1 {
            return Err(format!("{at}: {value} matches {passing} of oneOf {choices:?}"));
        }
    }
    if let Some(choices) = schema.get("anyOf").and_then(Value::as_array) {
        if !choices
            .iter()
            .any(|choice| validate(document, choice, value, at).is_ok())
        {
            return Err(format!("{at}: {value} matches none of anyOf"));
        }
    }
    match value {
        Value::Object(object) => {
            for required in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let name = required.as_str().unwrap();
                if !object.contains_key(name) {
                    return Err(format!("{at}: {name} is missing"));
                }
            }
            let properties = schema.get("properties").and_then(Value::as_object);
            for (name, field) in object {
                match properties.and_then(|properties| properties.get(name)) {
                    Some(property) => validate(document, property, field, &format!("{at}.{name}"))?,
                    None if schema.get("additionalProperties") == Some(&json!(false)) => {
                        return Err(format!("{at}: {name} is not allowed"))
                    }
                    None => {}
                }
            }
        }
        Value::Array(items) => {
            if let Some(item) = schema.get("items") {
                for (index, element) in items.iter().enumerate() {
                    validate(document, item, element, &format!("{at}[{index}]"))?;
                }
            }
            if let Some(least) = schema.get("minItems").and_then(Value::as_u64) {
                if (items.len() as u64) < least {
                    return Err(format!("{at}: fewer than {least} items"));
                }
            }
        }
        Value::String(text) => {
            if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
                if !regex::Regex::new(pattern).unwrap().is_match(text) {
                    return Err(format!("{at}: {text:?} does not match {pattern}"));
                }
            }
            let length = text.chars().count() as u64;
            if schema
                .get("maxLength")
                .and_then(Value::as_u64)
                .is_some_and(|most| length > most)
                || schema
                    .get("minLength")
                    .and_then(Value::as_u64)
                    .is_some_and(|least| length < least)
            {
                return Err(format!("{at}: {text:?} has the wrong length"));
            }
            if schema.get("format") == Some(&json!("date-time")) && text.parse::<Timestamp>().is_err() {
                return Err(format!("{at}: {text:?} is not a moment"));
            }
        }
        Value::Number(number) => {
            let number = number.as_f64().unwrap();
            if schema
                .get("minimum")
                .and_then(Value::as_f64)
                .is_some_and(|least| number < least)
                || schema
                    .get("maximum")
                    .and_then(Value::as_f64)
                    .is_some_and(|most| number > most)
            {
                return Err(format!("{at}: {number} is out of bounds"));
            }
        }
        _ => {}
    }
    Ok(())
}

/// Every answer is checked against the document as it arrives, and the
/// operations it covered are counted.
struct Conformance {
    document: Value,
    covered: BTreeSet<(String, String)>,
}

impl Conformance {
    /// The documented path that `concrete` is an instance of.
    fn template(&self, method: &str, concrete: &str) -> String {
        let concrete: Vec<&str> = concrete.split('?').next().unwrap().split('/').collect();
        documented_routes(&self.document)
            .into_iter()
            .filter(|(documented, _)| documented == method)
            .map(|(_, path)| path)
            .find(|path| {
                let segments: Vec<&str> = path.split('/').collect();
                segments.len() == concrete.len()
                    && segments
                        .iter()
                        .zip(&concrete)
                        .all(|(template, part)| template.starts_with('{') || template == part)
            })
            .unwrap_or_else(|| panic!("{method} {concrete:?} is not documented"))
    }

    /// Checks that `answer` is a documented answer of `method path`: its
    /// status, its content type, and (for JSON) its body's schema.
    fn check(&mut self, method: Method, path: &str, answer: &Answer) {
        let template = self.template(method.as_str(), path);
        let operation = &self.document["paths"][&template][method.as_str().to_lowercase()];
        let status = answer.status.as_str();
        let response = operation["responses"]
            .get(status)
            .unwrap_or_else(|| panic!("{method} {path}: status {status} is undocumented: {answer:?}"));
        let response = resolve(&self.document, response);
        let media_type = answer.content_type.split(';').next().unwrap().trim();
        match response.get("content") {
            None => assert_eq!(
                answer.body,
                json!(""),
                "{method} {path}: {status} is documented without a body"
            ),
            Some(content) => {
                let documented = content.get(media_type).unwrap_or_else(|| {
                    panic!("{method} {path}: {status} as {media_type} is undocumented: {answer:?}")
                });
                if media_type.ends_with("json") {
                    validate(&self.document, &documented["schema"], &answer.body, "$").unwrap_or_else(
                        |error| panic!("{method} {path} ({status}): {error}\n{}", answer.body),
                    );
                }
            }
        }
        self.covered.insert((method.as_str().to_owned(), template));
    }

    async fn send(&mut self, api: &Api, method: Method, path: &str, body: Option<Value>) -> Answer {
        let answer = api.send(method.clone(), path, body).await;
        self.check(method, path, &answer);
        answer
    }

    async fn get(&mut self, api: &Api, path: &str) -> Answer {
        self.send(api, Method::GET, path, None).await
    }

    async fn post(&mut self, api: &Api, path: &str, body: Value) -> Answer {
        self.send(api, Method::POST, path, Some(body)).await
    }

    /// A request with a raw body, as the CSV import takes it.
    async fn post_raw(
        &mut self,
        api: &Api,
        path: &str,
        content_type: &str,
        body: impl Into<Vec<u8>>,
    ) -> Answer {
        let response = api
            .client
            .post(format!("{}{path}", api.base))
            .bearer_auth(api.token.as_deref().unwrap())
            .header("content-type", content_type)
            .body(body.into())
            .send()
            .await
            .unwrap();
        let answer = Answer {
            status: response.status(),
            content_type: response.headers()["content-type"].to_str().unwrap().to_owned(),
            body: serde_json::from_slice(&response.bytes().await.unwrap()).unwrap(),
        };
        self.check(Method::POST, path, &answer);
        answer
    }

    /// A request whose body is not JSON text (an image or CSV).
    async fn get_bytes(&mut self, api: &Api, method: Method, path: &str) -> (String, Vec<u8>) {
        let response = api
            .client
            .request(method.clone(), format!("{}{path}", api.base))
            .bearer_auth(api.token.as_deref().unwrap())
            .send()
            .await
            .unwrap();
        let answer = Answer {
            status: response.status(),
            content_type: response.headers()["content-type"].to_str().unwrap().to_owned(),
            body: json!(null),
        };
        let bytes = response.bytes().await.unwrap().to_vec();
        self.check(method, path, &answer);
        (answer.content_type, bytes)
    }
}

/// Walks every operation once or more, as each kind of user would, and checks
/// each answer against the document.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_is_one_the_document_describes() {
    let server = TestServer::start(Db::Sqlite).await.unwrap();
    let mut api = Conformance {
        document: document(&server).await,
        covered: BTreeSet::new(),
    };
    let anonymous = server.anonymous();
    let admin = server.admin("De Linde").await;
    let teacher = admin.staff("Tess", "teacher").await;
    let comms = admin.staff("Cas", "communications").await;

    // What anyone may read.
    for path in ["/healthz", "/readyz", "/v1/server-keys", "/v1/openapi.json"] {
        let answer = api.get(&anonymous, path).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
    }

    // The school and its staff.
    api.get(&admin, "/v1/school").await;
    api.send(
        &admin,
        Method::PATCH,
        "/v1/school",
        Some(json!({"retention_days": 400})),
    )
    .await;
    api.send(
        &admin,
        Method::PATCH,
        "/v1/school",
        Some(json!({"digital_consent_age": 12})),
    )
    .await;
    api.get(&admin, "/v1/staff").await;
    api.get(&teacher, "/v1/staff").await;
    let member = api
        .post(&admin, "/v1/staff", json!({"name": "Rik", "role": "teacher"}))
        .await;
    let member = member.body["id"].as_i64().unwrap();
    let issued = api
        .post(
            &admin,
            &format!("/v1/staff/{member}/tokens"),
            json!({"label": "laptop", "valid_days": 30}),
        )
        .await;
    api.post(&admin, "/v1/staff/999999/tokens", json!({})).await;
    api.post(&admin, &format!("/v1/staff/{member}/sign-in-codes"), json!({}))
        .await;
    api.post(&teacher, &format!("/v1/staff/{member}/sign-in-codes"), json!({}))
        .await;
    api.post(&admin, "/v1/staff/999999/sign-in-codes", json!({}))
        .await;
    api.get(&admin, &format!("/v1/staff/{member}/tokens")).await;
    api.get(&teacher, &format!("/v1/staff/{member}/tokens")).await;
    api.get(&admin, "/v1/staff/999999/tokens").await;
    api.send(
        &admin,
        Method::DELETE,
        &format!("/v1/tokens/{}", issued.body["id"]),
        None,
    )
    .await;

    // People.
    let sam = api
        .post(
            &admin,
            "/v1/people",
            json!({"kind": "student", "display_name": "Sam", "group": "3B", "birth_date": "2009-05-01", "external_id": "17"}),
        )
        .await;
    let sam: SubjectId = sam.body["id"].as_str().unwrap().parse().unwrap();
    api.post(
        &admin,
        "/v1/people",
        json!({"kind": "student", "display_name": "Sam again", "external_id": "17"}),
    )
    .await;
    let yara = admin.person("student", "Yara", "1C", "2014-06-01").await;
    let pia = admin.person("guardian", "Pia", "", "").await;
    let csv = "external_id,display_name,group,birth_date\n30,Ada,3B,2009-01-02\n31,Bo,4A,2008-03-04\n";
    api.post_raw(&admin, "/v1/people/import", "text/csv", csv).await;
    api.post_raw(&admin, "/v1/people/import", "text/plain", csv).await;
    api.get(&teacher, "/v1/people?group=3B").await;
    api.get(&teacher, &format!("/v1/people/{sam}")).await;
    api.get(&teacher, "/v1/people/not-an-id").await;
    api.get(&teacher, &format!("/v1/people/{}", "ab".repeat(16)))
        .await;
    api.post(
        &admin,
        &format!("/v1/people/{yara}/guardians"),
        json!({"guardian": pia.to_string()}),
    )
    .await;
    api.post(
        &admin,
        &format!("/v1/people/{yara}/guardians"),
        json!({"guardian": pia.to_string()}),
    )
    .await;
    let codes = format!("/v1/people/{sam}/enrollment-codes");
    let (png, image) = api
        .get_bytes(&admin, Method::POST, &format!("{codes}?format=png"))
        .await;
    assert_eq!((png.as_str(), &image[1..4]), ("image/png", &b"PNG"[..]));
    let (svg, _) = api
        .get_bytes(&admin, Method::POST, &format!("{codes}?format=svg"))
        .await;
    assert_eq!(svg, "image/svg+xml");
    api.post(&admin, &format!("{codes}?format=gif"), json!({})).await;
    let code = api.post(&admin, &codes, json!({})).await;

    // A device enrolls, consents and reads its record.
    let key = SigningKey::generate(&mut rand_core::OsRng);
    let public_key: String = PublicKey::of(&key)
        .to_bytes()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let enrolled = api
        .post(
            &anonymous,
            "/v1/enroll",
            json!({"code": code.body["qr_text"], "public_key": public_key}),
        )
        .await;
    assert_eq!(enrolled.status, StatusCode::CREATED, "{enrolled:?}");
    api.post(
        &anonymous,
        "/v1/enroll",
        json!({"code": code.body["qr_text"], "public_key": public_key}),
    )
    .await;
    let phone = Phone {
        key,
        person: sam,
        school: SchoolId(enrolled.body["school"].as_u64().unwrap() as u32),
        api: anonymous.clone(),
    };
    let token = SignedGrant::sign(
        phone.grant(&[MediaKind::Photo], &[Purpose::WEBSITE, Purpose::YEARBOOK]),
        &[&phone.key],
    )
    .unwrap();
    let submission = json!({"token": token.to_text()});
    let recorded = api.post(&anonymous, "/v1/grants", submission.clone()).await;
    assert_eq!(recorded.status, StatusCode::CREATED);
    let again = api.post(&anonymous, "/v1/grants", submission).await;
    assert_eq!(again.status, StatusCode::OK);
    api.post(&anonymous, "/v1/grants", json!({"token": "consent:AAAA"}))
        .await;
    let record = phone.signed_get("/v1/me").await;
    api.check(Method::GET, "/v1/me", &record);
    assert_eq!(record.status, StatusCode::OK, "{record:?}");
    api.get(&anonymous, "/v1/me").await;
    let parent = admin.enroll(pia).await;
    api.check(Method::GET, "/v1/me", &parent.signed_get("/v1/me").await);

    // A check, a scan and a publication.
    let check = json!({"media_hash": media_hash(b"photo"), "media_kind": "photo", "purpose": "website", "people": [sam.to_string()], "groups": ["1C"]});
    let checked = api.post(&teacher, "/v1/checks", check.clone()).await;
    api.post(&admin, "/v1/checks", check).await;
    api.post(
        &teacher,
        "/v1/checks",
        json!({"media_hash": "00", "media_kind": "photo", "purpose": "website"}),
    )
    .await;
    api.post(&teacher, "/v1/scans", json!({"token": token.to_text()}))
        .await;
    api.post(&teacher, "/v1/scans", json!({"token": "hello"})).await;
    let photo = consent_qr::render_png(&token.to_text(), 4).unwrap();
    api.post_raw(&teacher, "/v1/scans/photo", "image/png", photo)
        .await;
    api.post_raw(&teacher, "/v1/scans/photo", "image/jpeg", "not a photo")
        .await;
    api.post_raw(&teacher, "/v1/scans/photo", "text/plain", "not a photo")
        .await;
    let phash = "0f".repeat(32);
    let allowed = api
        .post(
            &teacher,
            "/v1/checks",
            json!({"media_hash": media_hash(b"photo"), "media_phash": phash, "media_kind": "photo", "purpose": "website", "people": [sam.to_string()]}),
        )
        .await;
    let published = api
        .post(
            &teacher,
            "/v1/publications",
            json!({"receipt_id": allowed.body["receipt_id"], "channel": "website", "url": "https://school.example/1"}),
        )
        .await;
    assert_eq!(published.status, StatusCode::CREATED, "{published:?}");
    api.post(
        &teacher,
        "/v1/publications",
        json!({"receipt_id": checked.body["receipt_id"], "channel": "website"}),
    )
    .await;
    api.post(
        &teacher,
        "/v1/publications",
        json!({"receipt_id": "ab".repeat(16), "channel": "website"}),
    )
    .await;

    // Consent withdrawn, by the person and by the school.
    let revoked = phone.revoke(token.unverified().token_id).await;
    api.check(Method::POST, "/v1/revocations", &revoked);
    assert_eq!(revoked.status, StatusCode::CREATED, "{revoked:?}");
    api.post(&anonymous, "/v1/revocations", json!({"revocation": "consent:"}))
        .await;
    api.post(
        &admin,
        &format!("/v1/people/{yara}/revocations"),
        json!({"token_id": null}),
    )
    .await;
    api.post(
        &admin,
        &format!("/v1/people/{yara}/revocations"),
        json!({"token_id": "not-an-id"}),
    )
    .await;
    api.get(&teacher, "/v1/revocations?after=0").await;
    api.get(&teacher, "/v1/revocations?after=many").await;
    api.get(&teacher, "/v1/offline-keys").await;
    api.post(&teacher, "/v1/scans", json!({"token": token.to_text()}))
        .await;
    api.check(Method::GET, "/v1/me", &phone.signed_get("/v1/me").await);

    // Publications audited and taken down; the log; reports.
    let refused = api
        .post(
            &teacher,
            "/v1/publications",
            json!({"receipt_id": allowed.body["receipt_id"], "channel": "website"}),
        )
        .await;
    assert_eq!(refused.code(), "consent_missing", "{refused:?}");
    let flagged = api.get(&comms, "/v1/publications?flagged=true").await;
    assert_eq!(flagged.body[0]["people_now"][0]["status"], "revoked");
    api.get(&comms, "/v1/publications").await;
    api.get(&teacher, "/v1/publications").await;
    let (csv, _) = api
        .get_bytes(&comms, Method::GET, "/v1/publications?format=csv")
        .await;
    assert!(csv.starts_with("text/csv"), "{csv}");
    api.get(&comms, "/v1/publications?format=xml").await;

    // Channels: each for a purpose; names and channels staff get wrong.
    let on_instagram = api
        .post(
            &teacher,
            "/v1/publications",
            json!({"receipt_id": allowed.body["receipt_id"], "channel": "instagram"}),
        )
        .await;
    assert_eq!(on_instagram.code(), "channel_not_covered", "{on_instagram:?}");
    let nowhere = api
        .post(
            &teacher,
            "/v1/publications",
            json!({"receipt_id": allowed.body["receipt_id"], "channel": "nowhere"}),
        )
        .await;
    assert_eq!(nowhere.code(), "unknown_channel", "{nowhere:?}");
    api.get(&teacher, "/v1/channels").await;
    api.send(
        &admin,
        Method::PUT,
        "/v1/channels/Hallway%20screen",
        Some(json!({"purpose": "website"})),
    )
    .await;
    api.send(
        &admin,
        Method::PUT,
        "/v1/channels/blog",
        Some(json!({"purpose": "nowhere"})),
    )
    .await;
    api.send(&admin, Method::DELETE, "/v1/channels/hallway%20screen", None)
        .await;
    api.send(&admin, Method::DELETE, "/v1/channels/hallway%20screen", None)
        .await;
    admin.person("student", "Sam", "5A", "2009-05-01").await;
    let ambiguous = api
        .post(
            &teacher,
            "/v1/checks",
            json!({"media_hash": media_hash(b"photo"), "media_kind": "photo", "purpose": "website", "people": ["sam"]}),
        )
        .await;
    assert_eq!(ambiguous.code(), "ambiguous_person", "{ambiguous:?}");
    let publication = published.body["publication"].as_i64().unwrap();
    let takedown = format!("/v1/publications/{publication}/takedown");
    api.post(&comms, &takedown, json!({})).await;
    api.post(&comms, &takedown, json!({})).await;
    api.post(&comms, "/v1/publications/abc/takedown", json!({})).await;
    api.get(&comms, "/v1/audit/log?after=2&limit=10").await;
    api.get(&comms, "/v1/audit/record").await;
    api.get(&comms, "/v1/reports/coverage?purpose=website").await;
    let (csv, report) = api
        .get_bytes(
            &comms,
            Method::GET,
            "/v1/reports/coverage?purpose=website&media_kind=photo&format=csv",
        )
        .await;
    assert!(csv.starts_with("text/csv"), "{csv}");
    assert!(report.starts_with(b"group,students,allowed,may_not_appear\n"));
    api.get(&comms, "/v1/reports/coverage").await;

    // The media audit and takedown requests.
    let audited = api
        .post(
            &comms,
            "/v1/media/audit",
            json!({"files": [
                {"name": "photo.jpg", "sha256": media_hash(b"photo"), "phash": phash},
                {"sha256": media_hash(b"near"), "phash": format!("ff{}", "0f".repeat(31))},
                {"sha256": media_hash(b"never checked"), "phash": null},
            ]}),
        )
        .await;
    assert_eq!(audited.status, StatusCode::OK, "{audited:?}");
    api.post(&comms, "/v1/media/audit", json!({"files": []})).await;
    api.post(&teacher, "/v1/media/audit", json!({"files": []})).await;
    let takedown = json!({"sha256": media_hash(b"photo"), "phash": phash, "name": "photo.jpg",
                          "finding": "consent_withdrawn", "publication": publication});
    let requested = api.post(&comms, "/v1/media/takedowns", takedown.clone()).await;
    assert_eq!(requested.status, StatusCode::CREATED, "{requested:?}");
    api.post(&comms, "/v1/media/takedowns", takedown).await;
    api.post(
        &comms,
        "/v1/media/takedowns",
        json!({"sha256": "abc", "finding": "uncertain"}),
    )
    .await;
    api.post(
        &comms,
        "/v1/media/takedowns",
        json!({"sha256": media_hash(b"y"), "finding": "uncertain", "publication": 999999}),
    )
    .await;
    api.get(&comms, "/v1/media/takedowns").await;
    api.get(&teacher, "/v1/media/takedowns").await;
    let done = format!("/v1/media/takedowns/{}/done", requested.body["id"]);
    api.post(&comms, &done, json!({})).await;
    api.post(&comms, "/v1/media/takedowns/999999/done", json!({}))
        .await;
    api.post(&comms, "/v1/media/takedowns/abc/done", json!({})).await;

    // Groups and guardians.
    api.get(&admin, "/v1/groups").await;
    api.get(&admin, &format!("/v1/people/{sam}/guardians")).await;
    api.get(&teacher, &format!("/v1/people/{sam}/guardians")).await;
    api.get(&admin, "/v1/people/xyz/guardians").await;

    // Lost devices and erasure.
    let devices = api.get(&admin, &format!("/v1/people/{sam}/devices")).await;
    assert_eq!(devices.status, StatusCode::OK, "{devices:?}");
    api.get(&teacher, &format!("/v1/people/{sam}/devices")).await;
    api.get(&admin, "/v1/people/xyz/devices").await;
    api.post(&admin, &format!("/v1/keys/{}/revoke", phone.key_id()), json!({}))
        .await;
    api.get(&admin, &format!("/v1/people/{sam}/devices")).await;
    api.post(&admin, "/v1/keys/xyz/revoke", json!({})).await;
    api.send(&admin, Method::DELETE, &format!("/v1/people/{sam}"), None)
        .await;
    let erased = api.get(&admin, &format!("/v1/people/{sam}")).await;
    assert_eq!(erased.body["erased"], true);

    assert_eq!(
        api.covered,
        documented_routes(&api.document),
        "every documented operation was exercised"
    );
}
