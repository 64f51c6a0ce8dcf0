//! The media audit: communications hold the files that are online against
//! the school's checks, publications and consent as it stands now, also
//! after the website resized and recompressed them; and take what must go
//! down. Real pictures, made and hashed here as a client would; on SQLite
//! and PostgreSQL.
#![allow(clippy::unwrap_used)]

use consent_media::{fingerprint_bytes, PerceptualHash, CERTAIN_DISTANCE, UNCERTAIN_DISTANCE};
use consent_protocol::{SchoolId, SubjectId};
use consent_server::http::now_unix;
use consent_server::store::Store;
use consent_tests::*;
use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{ImageFormat, Rgb, RgbImage};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const DAY: i64 = 86_400;

/// A picture file, hashed as a client hashes it.
struct Picture {
    bytes: Vec<u8>,
    sha256: String,
    phash: PerceptualHash,
}

impl Picture {
    fn of(bytes: Vec<u8>) -> Self {
        let fingerprint = fingerprint_bytes(&bytes).unwrap();
        Self {
            sha256: hex_of(&fingerprint.sha256),
            phash: fingerprint.perceptual,
            bytes,
        }
    }

    /// The copy a website serves: half the size, as a JPEG of quality 60.
    fn as_published(&self) -> Picture {
        let decoded = image::load_from_memory(&self.bytes).unwrap().to_rgb8();
        let (width, height) = decoded.dimensions();
        let smaller = image::imageops::resize(&decoded, width / 2, height / 2, FilterType::Triangle);
        Picture::of(jpeg(&smaller, 60))
    }

    /// The file as an audit request names it.
    fn file(&self, name: &str) -> Value {
        json!({"name": name, "sha256": self.sha256, "phash": self.phash.to_string()})
    }

    fn distance(&self, other: &Picture) -> u32 {
        self.phash.distance(&other.phash)
    }
}

/// Random grey levels for 16 × 12 blocks: distinct seeds give unrelated scenes.
fn levels(seed: u32) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..16 * 12)
        .map(|_| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 24) as u8
        })
        .collect()
}

/// A 320 × 240 scene of coloured blocks at these levels.
fn draw(levels: &[u8]) -> RgbImage {
    RgbImage::from_fn(320, 240, |x, y| {
        let level = levels[(y / 20 * 16 + x / 20) as usize];
        Rgb([level, level / 2, 255 - level])
    })
}

fn scene(seed: u32) -> RgbImage {
    draw(&levels(seed))
}

fn jpeg(image: &RgbImage, quality: u8) -> Vec<u8> {
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, quality)
        .encode_image(image)
        .unwrap();
    bytes
}

fn png(image: &RgbImage) -> Vec<u8> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    image.write_to(&mut bytes, ImageFormat::Png).unwrap();
    bytes.into_inner()
}

/// A school with its administrator, a teacher and communications staff.
struct School {
    admin: Api,
    teacher: Api,
    comms: Api,
    comms_id: i64,
}

async fn school(server: &TestServer, name: &str) -> School {
    let admin = server.admin(name).await;
    let teacher = admin.staff("Tess", "teacher").await;
    let (comms, comms_id) = admin.staff_member("Cas", "communications").await;
    School {
        admin,
        teacher,
        comms,
        comms_id,
    }
}

impl School {
    /// A student who consented to photos on the website, and the token.
    async fn consenting_student(&self, name: &str) -> (SubjectId, Phone, consent_protocol::SignedGrant) {
        let student = self.admin.person("student", name, "3B", "2009-05-01").await;
        let phone = self.admin.enroll(student).await;
        let token = phone.consent().await;
        (student, phone, token)
    }

    /// The teacher checks `picture` of `people` for the website, sending
    /// its perceptual hash; returns the answer.
    async fn check(&self, picture: &Picture, people: &[SubjectId]) -> Value {
        let people: Vec<String> = people.iter().map(ToString::to_string).collect();
        let checked = self
            .teacher
            .post(
                "/v1/checks",
                json!({"media_hash": picture.sha256, "media_phash": picture.phash.to_string(),
                       "media_kind": "photo", "purpose": "website", "people": people}),
            )
            .await;
        assert_eq!(checked.status, StatusCode::OK, "{checked:?}");
        checked.body
    }

    /// The teacher publishes a checked picture on the website; returns the
    /// publication's id.
    async fn publish(&self, checked: &Value, url: &str) -> i64 {
        let published = self
            .teacher
            .post(
                "/v1/publications",
                json!({"receipt_id": checked["receipt_id"], "channel": "website", "url": url}),
            )
            .await;
        assert_eq!(published.status, StatusCode::CREATED, "{published:?}");
        published.body["publication"].as_i64().unwrap()
    }

    /// Communications audits `files`; returns the answer's body.
    async fn audit(&self, files: Vec<Value>) -> Value {
        let audited = self.comms.post("/v1/media/audit", json!({"files": files})).await;
        assert_eq!(audited.status, StatusCode::OK, "{audited:?}");
        audited.body
    }

    async fn school_id(&self) -> SchoolId {
        let school = self.admin.get("/v1/school").await;
        SchoolId(school.body["id"].as_u64().unwrap() as u32)
    }
}

async fn a_checked_picture_is_found_as_the_very_file_and_after_the_website_resized_and_recompressed_it(
    db: Db,
) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let school = school(&server, "De Linde").await;
    let (lotte, _, _) = school.consenting_student("Lotte").await;

    let original = Picture::of(jpeg(&scene(1), 90));
    let checked = school.check(&original, &[lotte]).await;
    let publication = school.publish(&checked, "https://school.example/news/1").await;
    // A PNG from the camera roll, checked but not published; the website
    // turned it into a smaller JPEG.
    let drawing = Picture::of(png(&scene(2)));
    let drawing_checked = school.check(&drawing, &[lotte]).await;

    let online = original.as_published();
    let online_drawing = drawing.as_published();
    assert_ne!(online.sha256, original.sha256);
    assert!(online.distance(&original) <= CERTAIN_DISTANCE);

    let answer = school
        .audit(vec![
            original.file("original.jpg"),
            online.file("news/1.jpg"),
            online_drawing.file("drawing.jpg"),
        ])
        .await;
    let files = answer["files"].as_array().unwrap();
    assert_eq!(files.len(), 3);

    let exact = &files[0];
    assert_eq!(exact["name"], "original.jpg");
    assert_eq!(exact["sha256"], original.sha256);
    assert_eq!(exact["finding"], "consent_holds");
    assert_eq!(exact["match"], "exact");
    assert_eq!(exact["distance"], 0);
    assert_eq!(exact["people"], json!([]));
    assert_eq!(exact["takedown"], Value::Null);
    // Of the teacher's check and the publish-time re-check, the one the
    // publication rests on is reported.
    assert_eq!(exact["check"]["media_kind"], "photo");
    assert_eq!(exact["check"]["purpose"], "website");
    assert_ne!(exact["check"]["receipt_id"], checked["receipt_id"]);
    let publications = exact["publications"].as_array().unwrap();
    assert_eq!(publications.len(), 1, "{publications:?}");
    assert_eq!(publications[0]["id"], publication);
    assert_eq!(publications[0]["channel"], "website");
    assert_eq!(publications[0]["url"], "https://school.example/news/1");
    assert_eq!(publications[0]["taken_down_at"], Value::Null);

    let resized = &files[1];
    assert_eq!(resized["finding"], "consent_holds");
    assert_eq!(resized["match"], "perceptual");
    assert_eq!(resized["distance"], online.distance(&original));
    assert_eq!(resized["check"]["receipt_id"], exact["check"]["receipt_id"]);
    assert_eq!(resized["publications"], exact["publications"]);

    let converted = &files[2];
    assert_eq!(converted["finding"], "consent_holds");
    assert_eq!(converted["match"], "perceptual");
    assert_eq!(converted["check"]["receipt_id"], drawing_checked["receipt_id"]);
    assert_eq!(converted["publications"], json!([]));

    assert_eq!(
        answer["summary"],
        json!({"files": 3, "consent_holds": 3, "consent_withdrawn": 0, "refused_at_check": 0,
               "never_checked": 0, "uncertain": 0})
    );
}

async fn a_picture_whose_people_withdrew_names_who_and_since_when(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let school = school(&server, "De Linde").await;
    let (sam, sam_phone, sam_token) = school.consenting_student("Sam").await;
    let (noor, _, _) = school.consenting_student("Noor").await;
    let picture = Picture::of(jpeg(&scene(3), 90));
    let checked = school.check(&picture, &[sam, noor]).await;
    let publication = school.publish(&checked, "https://school.example/trip").await;

    let before = now_unix();
    let revoked = sam_phone.revoke(sam_token.unverified().token_id).await;
    assert_eq!(revoked.status, StatusCode::CREATED, "{revoked:?}");

    let answer = school.audit(vec![picture.as_published().file("trip.jpg")]).await;
    let file = &answer["files"][0];
    assert_eq!(file["finding"], "consent_withdrawn", "{file}");
    assert_eq!(file["match"], "perceptual");
    // Only Sam withdrew: Noor's consent stands and she is not listed.
    let people = file["people"].as_array().unwrap();
    assert_eq!(people.len(), 1, "{people:?}");
    assert_eq!(people[0]["person"], sam.to_string());
    assert_eq!(people[0]["display_name"], "Sam");
    assert_eq!(people[0]["outcome"], "revoked");
    let since = people[0]["since"].as_i64().unwrap();
    assert!(since >= before && since <= now_unix(), "{since}");
    // The publication it flags for takedown, as the publications list does.
    assert_eq!(file["publications"][0]["id"], publication);
    let flagged = school.comms.get("/v1/publications?flagged=true").await;
    assert_eq!(flagged.body[0]["id"], publication);
    assert_eq!(answer["summary"]["consent_withdrawn"], 1);
}

async fn a_picture_refused_at_the_check_yet_online_is_named_so(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let school = school(&server, "De Linde").await;
    let (lotte, _, _) = school.consenting_student("Lotte").await;
    let noor = school.admin.person("student", "Noor", "3B", "2009-06-01").await;
    let picture = Picture::of(jpeg(&scene(4), 90));
    let checked = school.check(&picture, &[lotte, noor]).await;
    assert_eq!(checked["allowed"], false);

    let answer = school
        .audit(vec![picture.as_published().file("concert.jpg")])
        .await;
    let file = &answer["files"][0];
    assert_eq!(file["finding"], "refused_at_check", "{file}");
    assert_eq!(file["check"]["receipt_id"], checked["receipt_id"]);
    assert_eq!(
        file["people"],
        json!([{"person": noor.to_string(), "display_name": "Noor", "outcome": "no_consent", "since": null}])
    );
    assert_eq!(answer["summary"]["refused_at_check"], 1);
}

async fn a_picture_never_checked_is_said_so_and_a_near_one_is_uncertain_with_its_distance(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let school = school(&server, "De Linde").await;
    let (lotte, _, _) = school.consenting_student("Lotte").await;
    let base = levels(5);
    let original = Picture::of(jpeg(&draw(&base), 90));
    let checked = school.check(&original, &[lotte]).await;

    // The same scene with more and more of it painted over, until it is
    // only perhaps the same picture.
    let repaint = levels(55);
    let edited = (1..base.len())
        .map(|painted| {
            let mut levels = base.clone();
            levels[..painted].copy_from_slice(&repaint[..painted]);
            Picture::of(jpeg(&draw(&levels), 90))
        })
        .find(|edited| {
            let distance = edited.distance(&original);
            distance > CERTAIN_DISTANCE && distance <= UNCERTAIN_DISTANCE
        })
        .expect("an edit in the uncertain band");
    let unrelated = Picture::of(jpeg(&scene(6), 90));
    assert!(unrelated.distance(&original) > UNCERTAIN_DISTANCE);

    let answer = school
        .audit(vec![edited.file("edited.jpg"), unrelated.file("unrelated.jpg")])
        .await;
    let perhaps = &answer["files"][0];
    assert_eq!(perhaps["finding"], "uncertain", "{perhaps}");
    assert_eq!(perhaps["match"], Value::Null);
    assert_eq!(perhaps["distance"], edited.distance(&original));
    assert_eq!(perhaps["check"]["receipt_id"], checked["receipt_id"]);
    assert_eq!(perhaps["people"], json!([]));

    let never = &answer["files"][1];
    assert_eq!(never["finding"], "never_checked", "{never}");
    assert_eq!(never["match"], Value::Null);
    assert_eq!(never["distance"], Value::Null);
    assert_eq!(never["check"], Value::Null);
    assert_eq!(never["publications"], json!([]));
    assert_eq!(
        answer["summary"],
        json!({"files": 2, "consent_holds": 0, "consent_withdrawn": 0, "refused_at_check": 0,
               "never_checked": 1, "uncertain": 1})
    );
}

async fn one_schools_audit_never_matches_another_schools_media(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let linde = school(&server, "De Linde").await;
    let baken = school(&server, "Het Baken").await;
    let (lotte, _, _) = linde.consenting_student("Lotte").await;
    let (bram, _, _) = baken.consenting_student("Bram").await;
    let ours = Picture::of(jpeg(&scene(7), 90));
    let theirs = Picture::of(jpeg(&scene(8), 90));
    let checked = linde.check(&ours, &[lotte]).await;
    let publication = linde.publish(&checked, "https://linde.example/1").await;
    baken.check(&theirs, &[bram]).await;

    let files = vec![
        ours.file("ours.jpg"),
        ours.as_published().file("ours-online.jpg"),
        theirs.file("theirs.jpg"),
        theirs.as_published().file("theirs-online.jpg"),
    ];
    let at_linde = linde.audit(files.clone()).await;
    let at_baken = baken.audit(files).await;
    let findings = |answer: &Value| -> Vec<String> {
        answer["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|file| file["finding"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        findings(&at_linde),
        ["consent_holds", "consent_holds", "never_checked", "never_checked"]
    );
    assert_eq!(
        findings(&at_baken),
        ["never_checked", "never_checked", "consent_holds", "consent_holds"]
    );

    // Nor reaches its takedowns or names its publications.
    let request = linde
        .comms
        .post(
            "/v1/media/takedowns",
            json!({"sha256": ours.sha256, "finding": "consent_holds", "publication": publication}),
        )
        .await;
    assert_eq!(request.status, StatusCode::CREATED, "{request:?}");
    let id = request.body["id"].as_i64().unwrap();
    let foreign = baken
        .comms
        .post(
            "/v1/media/takedowns",
            json!({"sha256": ours.sha256, "finding": "never_checked", "publication": publication}),
        )
        .await;
    assert_eq!(
        (foreign.status, foreign.code()),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let done = baken
        .comms
        .post(&format!("/v1/media/takedowns/{id}/done"), json!({}))
        .await;
    assert_eq!((done.status, done.code()), (StatusCode::NOT_FOUND, "not_found"));
    let listed = baken.comms.get("/v1/media/takedowns").await;
    assert_eq!(listed.body, json!({"takedowns": []}));
    let at_baken = baken.audit(vec![ours.file("ours.jpg")]).await;
    assert_eq!(at_baken["files"][0]["takedown"], Value::Null);
}

async fn only_communications_staff_audit_media_and_handle_takedowns(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let school = school(&server, "De Linde").await;
    let picture = Picture::of(jpeg(&scene(9), 90));
    let requests = [
        (
            Method::POST,
            "/v1/media/audit",
            Some(json!({"files": [picture.file("a.jpg")]})),
        ),
        (
            Method::POST,
            "/v1/media/takedowns",
            Some(json!({"sha256": picture.sha256, "finding": "never_checked"})),
        ),
        (Method::GET, "/v1/media/takedowns", None),
        (Method::POST, "/v1/media/takedowns/1/done", Some(json!({}))),
    ];
    for (method, path, body) in requests {
        for (role, caller) in [("teacher", &school.teacher), ("admin", &school.admin)] {
            let refused = caller.send(method.clone(), path, body.clone()).await;
            assert_eq!(
                (refused.status, refused.code()),
                (StatusCode::FORBIDDEN, "forbidden"),
                "{method} {path} as {role}"
            );
        }
    }
    let nobody = server
        .anonymous()
        .post("/v1/media/audit", json!({"files": [picture.file("a.jpg")]}))
        .await;
    assert_eq!(nobody.status, StatusCode::UNAUTHORIZED);
    // Nothing the refused calls asked for was recorded.
    let listed = school.comms.get("/v1/media/takedowns").await;
    assert_eq!(listed.body, json!({"takedowns": []}));
}

async fn a_takedown_request_is_made_once_listed_and_when_done_takes_its_publication_down(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let school = school(&server, "De Linde").await;
    let (sam, sam_phone, sam_token) = school.consenting_student("Sam").await;
    let picture = Picture::of(jpeg(&scene(10), 90));
    let checked = school.check(&picture, &[sam]).await;
    let publication = school.publish(&checked, "https://school.example/trip").await;
    sam_phone.revoke(sam_token.unverified().token_id).await;
    let online = picture.as_published();
    let never = Picture::of(jpeg(&scene(11), 90));

    let audited = school
        .audit(vec![
            online.file("uploads/trip.jpg"),
            never.file("uploads/gym.jpg"),
        ])
        .await;
    let withdrawn = &audited["files"][0];
    assert_eq!(withdrawn["finding"], "consent_withdrawn");

    // One step from the finding to a request.
    let asked = json!({"sha256": online.sha256, "phash": online.phash.to_string(), "name": "uploads/trip.jpg",
                       "finding": withdrawn["finding"], "publication": withdrawn["publications"][0]["id"]});
    let first = school.comms.post("/v1/media/takedowns", asked.clone()).await;
    assert_eq!(first.status, StatusCode::CREATED, "{first:?}");
    let trip = first.body["id"].as_i64().unwrap();
    assert_eq!(first.body["sha256"], online.sha256);
    assert_eq!(first.body["name"], "uploads/trip.jpg");
    assert_eq!(first.body["finding"], "consent_withdrawn");
    assert_eq!(first.body["publication"], publication);
    assert_eq!(first.body["requested_by"], school.comms_id);
    assert_eq!(
        (&first.body["done_at"], &first.body["done_by"]),
        (&Value::Null, &Value::Null)
    );
    // Asking again while it is open answers the same request.
    let mut again_asked = asked.clone();
    again_asked["name"] = json!("another name.jpg");
    let again = school.comms.post("/v1/media/takedowns", again_asked).await;
    assert_eq!(again.status, StatusCode::OK, "{again:?}");
    assert_eq!(again.body, first.body);

    let gym = school
        .comms
        .post(
            "/v1/media/takedowns",
            json!({"sha256": never.sha256, "name": "uploads/gym.jpg", "finding": "never_checked"}),
        )
        .await;
    assert_eq!(gym.status, StatusCode::CREATED, "{gym:?}");
    let gym = gym.body["id"].as_i64().unwrap();
    assert_eq!(
        ids(&school.comms.get("/v1/media/takedowns").await.body),
        [gym, trip],
        "open ones, newest first"
    );
    let audited = school.audit(vec![online.file("uploads/trip.jpg")]).await;
    assert_eq!(audited["files"][0]["takedown"]["id"], trip);
    assert_eq!(audited["files"][0]["takedown"]["done_at"], Value::Null);

    // Done: the publication is taken down with it.
    let done = school
        .comms
        .post(&format!("/v1/media/takedowns/{trip}/done"), json!({}))
        .await;
    assert_eq!(done.status, StatusCode::OK, "{done:?}");
    assert_eq!(done.body["id"], trip);
    assert_eq!(done.body["done_by"], school.comms_id);
    let done_at = done.body["done_at"].as_i64().unwrap();
    let publications = school.comms.get("/v1/publications").await.body;
    assert_eq!(publications[0]["id"], publication);
    assert_eq!(publications[0]["taken_down_at"], done_at);
    assert_eq!(publications[0]["needs_takedown"], false);
    let again = school
        .comms
        .post(&format!("/v1/media/takedowns/{trip}/done"), json!({}))
        .await;
    assert_eq!((again.status, &again.body), (StatusCode::OK, &done.body));
    assert_eq!(
        ids(&school.comms.get("/v1/media/takedowns").await.body),
        [gym, trip],
        "open first, then done"
    );
    let audited = school.audit(vec![online.file("uploads/trip.jpg")]).await;
    assert_eq!(audited["files"][0]["takedown"]["done_at"], done_at);
    assert_eq!(audited["files"][0]["publications"][0]["taken_down_at"], done_at);

    // Once done, the same file may be asked for again.
    let renewed = school.comms.post("/v1/media/takedowns", asked).await;
    assert_eq!(renewed.status, StatusCode::CREATED, "{renewed:?}");
    assert_ne!(renewed.body["id"], trip);

    let missing = school
        .comms
        .post("/v1/media/takedowns/999999/done", json!({}))
        .await;
    assert_eq!(
        (missing.status, missing.code()),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let unknown_publication = school
        .comms
        .post(
            "/v1/media/takedowns",
            json!({"sha256": media_hash(b"x"), "finding": "never_checked", "publication": 999999}),
        )
        .await;
    assert_eq!(unknown_publication.status, StatusCode::NOT_FOUND);

    // Each request and each takedown is logged, without file names; the log verifies.
    let log = school.comms.get("/v1/audit/log").await.body;
    let (head, chain, entries) = recompute_log(&log);
    assert_eq!((head.head, head.size), (chain, entries as u64));
    let texts: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["entry"].as_str().unwrap())
        .collect();
    assert!(texts.iter().all(|text| !text.contains("uploads/")), "{texts:?}");
    let types: Vec<String> = texts
        .iter()
        .map(|text| {
            serde_json::from_str::<Value>(text).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let count = |kind: &str| types.iter().filter(|t| *t == kind).count();
    assert_eq!(count("takedown_requested"), 3);
    assert_eq!(count("takedown_done"), 1);
    assert_eq!(count("take_down"), 1);
    let done_entry = types.iter().position(|t| t == "takedown_done").unwrap();
    assert_eq!(
        types[done_entry + 1],
        "take_down",
        "the publication went in the same commit"
    );
}

/// The ids of a takedown list, in order.
fn ids(list: &Value) -> Vec<i64> {
    list["takedowns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect()
}

async fn bad_input_gets_a_problem_with_a_stable_code(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let school = school(&server, "De Linde").await;
    let (lotte, _, _) = school.consenting_student("Lotte").await;
    let picture = Picture::of(jpeg(&scene(12), 90));
    let good = picture.file("a.jpg");
    let with = |field: &str, value: Value| {
        let mut file = good.clone();
        file[field] = value;
        json!({"files": [file]})
    };
    let audits = [
        (json!({"files": []}), "no_files"),
        (json!({"files": vec![good.clone(); 501]}), "too_many_files"),
        (json!({}), "bad_json"),
        (
            with("sha256", json!(picture.sha256.to_uppercase())),
            "bad_media_hash",
        ),
        (with("sha256", json!("abc")), "bad_media_hash"),
        (with("phash", json!("zz".repeat(32))), "bad_media_phash"),
        (with("phash", json!(&picture.sha256[..62])), "bad_media_phash"),
        (with("name", json!("n".repeat(1001))), "bad_name"),
        (with("surprise", json!(1)), "bad_json"),
    ];
    for (body, code) in audits {
        let answer = school.comms.post("/v1/media/audit", body).await;
        assert_eq!(
            (answer.status, answer.code()),
            (StatusCode::BAD_REQUEST, code),
            "{answer:?}"
        );
        assert_eq!(answer.content_type, "application/problem+json");
    }
    // 500 files, and names of 1000 characters, are fine; so is no phash.
    let mut most = vec![good.clone(); 500];
    most[0]["name"] = json!("n".repeat(1000));
    most[1]["phash"] = Value::Null;
    most[2].as_object_mut().unwrap().remove("phash");
    let answer = school.audit(most).await;
    assert_eq!(answer["summary"]["never_checked"], 500);

    let takedowns = [
        (
            json!({"sha256": picture.sha256, "finding": "gone"}),
            "bad_finding",
        ),
        (
            json!({"sha256": "abc", "finding": "never_checked"}),
            "bad_media_hash",
        ),
        (
            json!({"sha256": picture.sha256, "phash": "abc", "finding": "never_checked"}),
            "bad_media_phash",
        ),
        (
            json!({"sha256": picture.sha256, "name": "Sam\u{202E}gpj.exe", "finding": "never_checked"}),
            "misleading_text",
        ),
        (
            json!({"sha256": picture.sha256, "name": " ", "finding": "never_checked"}),
            "bad_field",
        ),
        (json!({"sha256": picture.sha256}), "bad_json"),
    ];
    for (body, code) in takedowns {
        let answer = school.comms.post("/v1/media/takedowns", body).await;
        assert_eq!(
            (answer.status, answer.code()),
            (StatusCode::BAD_REQUEST, code),
            "{answer:?}"
        );
    }
    let bad_path = school.comms.post("/v1/media/takedowns/abc/done", json!({})).await;
    assert_eq!(
        (bad_path.status, bad_path.code()),
        (StatusCode::BAD_REQUEST, "bad_path")
    );

    let check = school
        .teacher
        .post(
            "/v1/checks",
            json!({"media_hash": picture.sha256, "media_phash": "not a hash", "media_kind": "photo",
                   "purpose": "website", "people": [lotte.to_string()]}),
        )
        .await;
    assert_eq!(
        (check.status, check.code()),
        (StatusCode::BAD_REQUEST, "bad_media_phash"),
        "{check:?}"
    );
    // Nothing was recorded by any of them.
    assert_eq!(
        school.comms.get("/v1/media/takedowns").await.body,
        json!({"takedowns": []})
    );
}

async fn a_check_without_a_perceptual_hash_still_works_and_is_found_as_the_very_file(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let school = school(&server, "De Linde").await;
    let (lotte, _, _) = school.consenting_student("Lotte").await;
    let picture = Picture::of(jpeg(&scene(13), 90));
    // A client from before the media audit sends the SHA-256 only.
    let checked = school
        .teacher
        .post(
            "/v1/checks",
            json!({"media_hash": picture.sha256, "media_kind": "photo", "purpose": "website",
                   "people": [lotte.to_string()]}),
        )
        .await;
    assert_eq!(checked.status, StatusCode::OK, "{checked:?}");
    assert_eq!(checked.body["allowed"], true);
    school.publish(&checked.body, "https://school.example/old").await;

    let answer = school
        .audit(vec![
            picture.file("old.jpg"),
            picture.as_published().file("old-online.jpg"),
        ])
        .await;
    assert_eq!(answer["files"][0]["finding"], "consent_holds");
    assert_eq!(answer["files"][0]["match"], "exact");
    // Without a perceptual hash to compare, a resized copy is not found.
    assert_eq!(answer["files"][1]["finding"], "never_checked");
}

async fn done_takedowns_and_perceptual_hashes_go_after_the_retention_period(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let school = school(&server, "De Linde").await;
    let settings = school
        .admin
        .send(Method::PATCH, "/v1/school", Some(json!({"retention_days": 30})))
        .await;
    assert_eq!(settings.status, StatusCode::OK, "{settings:?}");
    let (lotte, _, _) = school.consenting_student("Lotte").await;

    // A check nobody published; a publication taken down through a
    // request; one taken down from the publications list while a request
    // for it is still open.
    let unpublished = Picture::of(jpeg(&scene(14), 90));
    school.check(&unpublished, &[lotte]).await;
    let requested = Picture::of(jpeg(&scene(15), 90));
    let publication = school
        .publish(
            &school.check(&requested, &[lotte]).await,
            "https://school.example/a",
        )
        .await;
    let done = school
        .comms
        .post(
            "/v1/media/takedowns",
            json!({"sha256": requested.sha256, "finding": "consent_holds", "publication": publication}),
        )
        .await;
    let done = done.body["id"].as_i64().unwrap();
    school
        .comms
        .post(&format!("/v1/media/takedowns/{done}/done"), json!({}))
        .await;
    let listed = Picture::of(jpeg(&scene(16), 90));
    let other = school
        .publish(&school.check(&listed, &[lotte]).await, "https://school.example/b")
        .await;
    let open = school
        .comms
        .post(
            "/v1/media/takedowns",
            json!({"sha256": listed.sha256, "finding": "consent_holds", "publication": other}),
        )
        .await;
    assert_eq!(open.status, StatusCode::CREATED, "{open:?}");
    let open = open.body["id"].as_i64().unwrap();
    let taken_down = school
        .comms
        .post(&format!("/v1/publications/{other}/takedown"), json!({}))
        .await;
    assert_eq!(taken_down.status, StatusCode::NO_CONTENT, "{taken_down:?}");

    let store = Store::connect(&server.database_url).await.unwrap();
    let id = school.school_id().await;
    let early = store
        .purge_expired_records(id, now_unix() + 29 * DAY)
        .await
        .unwrap();
    assert_eq!(early.takedowns, 0);
    assert_eq!(
        school.audit(vec![unpublished.as_published().file("u.jpg")]).await["files"][0]["finding"],
        "consent_holds"
    );

    let later = store
        .purge_expired_records(id, now_unix() + 31 * DAY)
        .await
        .unwrap();
    assert_eq!((later.takedowns, later.publications), (1, 2), "{later:?}");
    // The open request stays, without the publication that went.
    let listed_now = school.comms.get("/v1/media/takedowns").await.body;
    assert_eq!(ids(&listed_now), [open]);
    assert_eq!(listed_now["takedowns"][0]["publication"], Value::Null);
    // The perceptual hash went with its receipt: nothing matches any more.
    let answer = school
        .audit(vec![
            unpublished.as_published().file("u.jpg"),
            requested.file("a.jpg"),
        ])
        .await;
    assert_eq!(answer["summary"]["never_checked"], 2, "{answer}");
    store.close().await;
}

on_both_databases!(
    a_checked_picture_is_found_as_the_very_file_and_after_the_website_resized_and_recompressed_it,
    a_picture_whose_people_withdrew_names_who_and_since_when,
    a_picture_refused_at_the_check_yet_online_is_named_so,
    a_picture_never_checked_is_said_so_and_a_near_one_is_uncertain_with_its_distance,
    one_schools_audit_never_matches_another_schools_media,
    only_communications_staff_audit_media_and_handle_takedowns,
    a_takedown_request_is_made_once_listed_and_when_done_takes_its_publication_down,
    bad_input_gets_a_problem_with_a_stable_code,
    a_check_without_a_perceptual_hash_still_works_and_is_found_as_the_very_file,
    done_takedowns_and_perceptual_hashes_go_after_the_retention_period,
);
