//! The teacher's console pages, on a phone: scan a code (live from the
//! camera, or from a photo the server reads in memory), check a class photo
//! hashed in the browser, blur who may not appear, and publish the edited
//! photo. In real Chromium at 390 × 844, in Dutch and English, with
//! screenshots (target/screenshots/) and axe-core; skipped (and says so)
//! without Chromium, except under `CI=true`. The API the scan page reads
//! photos with is tested in `scan_photos.rs`.
#![allow(missing_docs, clippy::unwrap_used)]

use std::io::Cursor;
use std::path::Path;

use consent_protocol::{RevocationScope, SubjectId};
use consent_tests::browser::{Browser, Language, Screen};
use consent_tests::*;
use fantoccini::actions::{InputSource, PointerAction, TouchActions, MOUSE_BUTTON_LEFT};
use image::{GrayImage, ImageFormat, Luma, Rgb, RgbImage};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// What a page says, in each language.
fn says(language: Language, dutch: &'static str, english: &'static str) -> &'static str {
    match language {
        Language::Dutch => dutch,
        Language::English => english,
    }
}

/// A phone photo of a code: the code's PNG pasted, smaller than the frame,
/// on a grey scene, as a JPEG.
fn photo_of_code(text: &str) -> Vec<u8> {
    let code = image::load_from_memory(&consent_qr::render_png(text, 5).unwrap())
        .unwrap()
        .into_luma8();
    let mut scene = GrayImage::from_pixel(code.width() * 2, code.height() * 2, Luma([150]));
    image::imageops::overlay(
        &mut scene,
        &code,
        i64::from(code.width() / 3),
        i64::from(code.height() / 2),
    );
    let mut jpeg = Vec::new();
    scene
        .write_to(&mut Cursor::new(&mut jpeg), ImageFormat::Jpeg)
        .unwrap();
    jpeg
}

/// Takes a screenshot named `name` and checks the page with axe-core.
async fn keep(phone: &Browser, name: &str) {
    phone.screenshot(name).await;
    phone.assert_accessible(name).await;
}

/// A teacher signed in to the console on a phone, or `None` without Chromium.
async fn teacher_phone(admin: &Api, test: &str, language: Language) -> Option<Browser> {
    teacher_phone_with(admin, test, language, &[], None).await
}

async fn teacher_phone_with(
    admin: &Api,
    test: &str,
    language: Language,
    arguments: &[String],
    downloads: Option<&Path>,
) -> Option<Browser> {
    let (_, id) = admin.staff_member("Tess", "teacher").await;
    let code = admin
        .post(&format!("/v1/staff/{id}/sign-in-codes"), json!({}))
        .await;
    assert_eq!(code.status, StatusCode::CREATED, "{code:?}");
    let link = code.body["link"].as_str().unwrap().to_owned();
    let phone = Browser::open_with(test, language, Screen::PHONE, arguments, downloads).await?;
    phone.sign_in_to_console(&link).await;
    Some(phone)
}

/// Writes `bytes` to `name` in `folder` and returns its path as text.
fn file(folder: &Path, name: &str, bytes: &[u8]) -> String {
    let path = folder.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.display().to_string()
}

/// Hands `path` to the file field `selector`, as picking a photo does.
async fn pick(phone: &Browser, selector: &str, path: &str) {
    phone.wait_for(selector).await.send_keys(path).await.unwrap();
}

async fn teacher_scans_a_photo_of_a_code(language: Language) {
    let test = format!("teacher_scan_{}", language.tag());
    let server = TestServer::start(Db::Sqlite).await.unwrap();
    let admin = server.admin("De Linde").await;
    let sam = admin.person("student", "Sam de Groot", "3B", "2008-05-01").await;
    let code = admin.enroll(sam).await.consent().await.to_text();
    let Some(phone) = teacher_phone(&admin, &test, language).await else {
        return;
    };
    let folder = tempfile::tempdir().unwrap();

    phone.goto(&format!("{}/console/scan", server.url)).await;
    phone.wait_for("#code-photo").await;
    keep(&phone, "1-scan").await;

    pick(
        &phone,
        "#code-photo",
        &file(folder.path(), "code.jpg", &photo_of_code(&code)),
    )
    .await;
    phone.wait_for("#result:not([hidden])").await;
    phone
        .wait_for_text(says(language, "Echt en geldig", "Genuine and valid"))
        .await;
    phone.wait_for_text("Sam de Groot").await;
    phone
        .wait_for_text(says(
            language,
            "foto's voor de website van de school en het jaarboek",
            "photos for the school's website and the yearbook",
        ))
        .await;
    keep(&phone, "2-valid").await;

    // A photo with no code in it: said in words, and the page stays usable.
    phone.click("#again").await;
    let mut blank = Vec::new();
    GrayImage::from_pixel(300, 200, Luma([200]))
        .write_to(&mut Cursor::new(&mut blank), ImageFormat::Png)
        .unwrap();
    pick(&phone, "#code-photo", &file(folder.path(), "blank.png", &blank)).await;
    phone.wait_for("#error:not([hidden])").await;
    phone
        .wait_for_text(says(
            language,
            "Er is geen code in de foto gevonden",
            "No code was found in the photo",
        ))
        .await;
    keep(&phone, "3-no-code").await;
    phone.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn teacher_scans_a_photo_of_a_code_in_dutch() {
    teacher_scans_a_photo_of_a_code(Language::Dutch).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn teacher_scans_a_photo_of_a_code_in_english() {
    teacher_scans_a_photo_of_a_code(Language::English).await;
}

/// A video file for Chromium's fake camera: the code's QR image centred on
/// a grey 640 × 480 frame, as YUV 4:2:0 (luma only; neutral colour).
fn camera_film(text: &str) -> Vec<u8> {
    let (width, height) = (640u32, 480u32);
    let module = (2..=6)
        .rev()
        .find(|&pixels| {
            let png = consent_qr::render_png(text, pixels).unwrap();
            image::load_from_memory(&png).unwrap().height() <= 440
        })
        .unwrap();
    let code = image::load_from_memory(&consent_qr::render_png(text, module).unwrap())
        .unwrap()
        .into_luma8();
    let mut frame = GrayImage::from_pixel(width, height, Luma([128]));
    image::imageops::overlay(
        &mut frame,
        &code,
        i64::from((width - code.width()) / 2),
        i64::from((height - code.height()) / 2),
    );
    let mut film = format!("YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n").into_bytes();
    for _ in 0..2 {
        film.extend_from_slice(b"FRAME\n");
        film.extend_from_slice(frame.as_raw());
        film.extend(std::iter::repeat_n(128u8, (width * height / 2) as usize));
    }
    film
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn teacher_scans_a_code_live_with_the_camera() {
    let server = TestServer::start(Db::Sqlite).await.unwrap();
    let admin = server.admin("De Linde").await;
    let sam = admin.person("student", "Sam de Groot", "3B", "2008-05-01").await;
    let phone_of_sam = admin.enroll(sam).await;
    let token = phone_of_sam.consent().await;
    let revoked = phone_of_sam.revoke(token.unverified().token_id).await;
    assert_eq!(revoked.status, StatusCode::CREATED, "{revoked:?}");
    let folder = tempfile::tempdir().unwrap();
    let film = file(folder.path(), "code.y4m", &camera_film(&token.to_text()));
    let arguments = [
        "--use-fake-ui-for-media-stream".to_owned(),
        "--use-fake-device-for-media-stream".to_owned(),
        format!("--use-file-for-fake-video-capture={film}"),
    ];
    let Some(phone) = teacher_phone_with(&admin, "teacher_camera", Language::English, &arguments, None).await
    else {
        return;
    };

    phone.goto(&format!("{}/console/scan", server.url)).await;
    phone.click("#camera-start").await;
    phone.wait_for("#result:not([hidden])").await;
    phone.wait_for_text("Withdrawn").await;
    phone.wait_for_text("Sam de Groot").await;
    phone.wait_for_text("no, withdrawn").await;
    keep(&phone, "withdrawn").await;
    let camera_off = phone
        .run(
            "return document.getElementById('video').srcObject === null;",
            vec![],
        )
        .await;
    assert_eq!(camera_off, json!(true), "the camera is off once a code is read");
    phone.close().await;
}

/// Where the faces are in the class photo: (name, centre x, centre y).
const FACES: [(&str, u32, u32); 4] = [
    ("Ada Smit", 180, 330),
    ("Bo Visser", 460, 330),
    ("Cas Bakker", 740, 330),
    ("Dee Mulder", 1020, 330),
];

/// How big a face is drawn.
const FACE_RADIUS: u32 = 70;

/// A class photo: four round "faces" of fine, sharp pattern on a plain
/// wall, as a PNG. A face the browser pixelates loses the pattern.
fn class_photo() -> Vec<u8> {
    let mut photo = RgbImage::from_fn(1200, 800, |_, y| {
        if y > 520 {
            Rgb([90, 110, 140])
        } else {
            Rgb([225, 215, 195])
        }
    });
    for (index, (_, cx, cy)) in FACES.iter().enumerate() {
        let tint = [40 * index as u8, 80, 200 - 40 * index as u8];
        for y in cy - FACE_RADIUS..=cy + FACE_RADIUS {
            for x in cx - FACE_RADIUS..=cx + FACE_RADIUS {
                let (dx, dy) = (x.abs_diff(*cx), y.abs_diff(*cy));
                if dx * dx + dy * dy <= FACE_RADIUS * FACE_RADIUS {
                    let light = (x / 4 + y / 4) % 2 == 0;
                    photo.put_pixel(x, y, if light { Rgb([250, 230, 210]) } else { Rgb(tint) });
                }
            }
        }
    }
    let mut png = Vec::new();
    photo
        .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .unwrap();
    png
}

/// How much a face's middle varies (standard deviation of its luma): the
/// drawn pattern varies a lot, a pixelated face hardly.
fn detail(photo: &image::DynamicImage, cx: u32, cy: u32) -> f64 {
    let gray = photo.to_luma8();
    let half = FACE_RADIUS / 2;
    let values: Vec<f64> = (cy - half..cy + half)
        .flat_map(|y| (cx - half..cx + half).map(move |x| (x, y)))
        .map(|(x, y)| f64::from(gray.get_pixel(x, y).0[0]))
        .collect();
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / values.len() as f64).sqrt()
}

/// Taps the photo on the phone where the image's pixel (x, y) is shown.
async fn tap_photo(phone: &Browser, x: u32, y: u32) {
    let canvas = phone.wait_for("#photo").await;
    let offset = phone
        .run(
            "const canvas = document.getElementById('photo');\
             canvas.scrollIntoView({block: 'center'});\
             const box = canvas.getBoundingClientRect();\
             const [x, y] = args;\
             return [x * box.width / canvas.width - box.width / 2, y * box.height / canvas.height - box.height / 2];",
            vec![json!(x), json!(y)],
        )
        .await;
    let tap = TouchActions::new("finger".to_owned())
        .then(PointerAction::MoveToElement {
            element: canvas,
            duration: None,
            x: offset[0].as_f64().unwrap().round(),
            y: offset[1].as_f64().unwrap().round(),
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        });
    phone.client.perform_actions(tap).await.unwrap();
}

/// Chooses `value` in the `<select>` matching `selector`, as a person does.
async fn choose(phone: &Browser, selector: &str, value: &str) {
    phone
        .wait_for(selector)
        .await
        .select_by_value(value)
        .await
        .unwrap_or_else(|e| panic!("choosing {value} in {selector}: {e}"));
}

/// A class of four for the class photo: Ada and Bo gave consent for the
/// website, Cas and Dee did not. Answers their ids in the order of [`FACES`].
async fn class_of_four(admin: &Api) -> Vec<SubjectId> {
    let mut ids = Vec::new();
    for (index, (name, _, _)) in FACES.iter().enumerate() {
        let id = admin.person("student", name, "3B", "2008-05-01").await;
        if index < 2 {
            admin.enroll(id).await.consent().await;
        }
        ids.push(id);
    }
    ids
}

async fn teacher_checks_blurs_and_publishes_a_class_photo(language: Language) {
    let test = format!("teacher_check_{}", language.tag());
    let server = TestServer::start(Db::Sqlite).await.unwrap();
    let admin = server.admin("De Linde").await;
    let comms = admin.staff("Cas", "communications").await;
    let class = class_of_four(&admin).await;
    let downloads = tempfile::tempdir().unwrap();
    let Some(phone) = teacher_phone_with(&admin, &test, language, &[], Some(downloads.path())).await else {
        return;
    };
    let folder = tempfile::tempdir().unwrap();
    let original = class_photo();

    phone.goto(&format!("{}/console/check", server.url)).await;
    phone.wait_for("#photo-pick").await;
    keep(&phone, "1-check").await;
    pick(
        &phone,
        "#photo-pick",
        &file(folder.path(), "class.png", &original),
    )
    .await;
    phone.wait_for("#who:not([hidden])").await;
    let shown = phone
        .wait_for("#fingerprint")
        .await
        .attr("data-hash")
        .await
        .unwrap();
    assert_eq!(
        shown.as_deref(),
        Some(media_hash(&original).as_str()),
        "hashed in the browser"
    );

    choose(&phone, "#purpose", "website").await;
    choose(&phone, "#group", "3B").await;
    phone.wait_for("#members-field:not([hidden])").await;
    phone.wait_for_text("Dee Mulder").await;
    keep(&phone, "2-who").await;
    phone.click("#who button[type=submit]").await;
    phone.wait_for("#blur-step:not([hidden])").await;
    phone
        .wait_for_text(says(
            language,
            "mag er niet op: er is geen toestemming gegeven",
            "may not appear: no consent was given",
        ))
        .await;
    keep(&phone, "3-verdicts").await;

    // The two without consent: a tap on each face, and ticked as blurred.
    for (name, x, y) in &FACES[2..] {
        tap_photo(&phone, *x, *y).await;
        let person = class[FACES.iter().position(|face| face.0 == *name).unwrap()];
        phone.click(&format!("#blurred-{person}")).await;
    }
    phone
        .wait_for_text(says(language, "Vervaagde plekken: 2", "Blurred spots: 2"))
        .await;
    phone
        .run("document.getElementById('blur-step').scrollIntoView();", vec![])
        .await;
    keep(&phone, "4-blurred").await;
    phone.click("#blur-done").await;
    phone.wait_for("#publish:not([hidden])").await;
    phone.wait_for("#edited-step:not([hidden])").await;
    keep(&phone, "5-edited-checked").await;

    // The downloaded file is the edited photo: the two faces without
    // consent are pixelated, the others untouched.
    phone.click("#download").await;
    let edited = downloaded(downloads.path(), "photo-blurred.jpg").await;
    let edited_hash = media_hash(&edited);
    assert_ne!(edited_hash, media_hash(&original));
    let shown = phone
        .wait_for("#edited-fingerprint")
        .await
        .attr("data-hash")
        .await
        .unwrap();
    assert_eq!(shown.as_deref(), Some(edited_hash.as_str()));
    let before = image::load_from_memory(&original).unwrap();
    let after = image::load_from_memory(&edited).unwrap();
    assert_eq!((after.width(), after.height()), (1200, 800), "full size");
    for (index, (name, x, y)) in FACES.iter().enumerate() {
        let (was, is) = (detail(&before, *x, *y), detail(&after, *x, *y));
        if index < 2 {
            assert!(is > was * 0.8, "{name} may appear and is untouched: {was} → {is}");
        } else {
            assert!(
                is < was * 0.2,
                "{name} is pixelated beyond recognition: {was} → {is}"
            );
        }
    }

    // A channel for another purpose is refused, in words.
    choose(&phone, "#channel", "instagram").await;
    phone.click("#publish button[type=submit]").await;
    phone.wait_for("#publish-error:not([hidden])").await;
    phone
        .wait_for_text(says(
            language,
            "instagram is voor sociale media van de school, en de foto is gecontroleerd voor de website van de school",
            "instagram is for the school's social media, and the photo was checked for the school's website",
        ))
        .await;
    keep(&phone, "6-channel-refused").await;

    choose(&phone, "#channel", "website").await;
    phone.fill("#url", "https://school.example/news/sports-day").await;
    phone.click("#publish button[type=submit]").await;
    phone.wait_for("#published:not([hidden])").await;
    keep(&phone, "7-published").await;

    // Through the API: the publication is the edited photo's hash, with
    // only the two who consented in it.
    let publications = comms.get("/v1/publications").await;
    assert_eq!(publications.status, StatusCode::OK, "{publications:?}");
    let publications = publications.body.as_array().unwrap().clone();
    assert_eq!(publications.len(), 1, "{publications:?}");
    let publication = &publications[0];
    assert_eq!(publication["media_hash"], edited_hash.as_str());
    assert_eq!(publication["channel"], "website");
    let mut people: Vec<String> = publication["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(person_id)
        .collect();
    people.sort();
    let mut consenting = vec![class[0].to_string(), class[1].to_string()];
    consenting.sort();
    assert_eq!(people, consenting, "{publication}");
    phone.close().await;
}

/// The file `name` once the browser has finished saving it in `folder`.
async fn downloaded(folder: &Path, name: &str) -> Vec<u8> {
    let path = folder.join(name);
    let deadline = std::time::Instant::now() + consent_tests::browser::WAIT_LIMIT;
    loop {
        // Chromium writes to a `.crdownload` file and renames it when done.
        if let Ok(bytes) = std::fs::read(&path) {
            if !bytes.is_empty() {
                return bytes;
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no download {} in {}",
            name,
            folder.display()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// A publication's person as an id, whatever the listing wraps it in.
fn person_id(person: &Value) -> String {
    person
        .get("person")
        .or_else(|| person.get("id"))
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no id in {person}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn teacher_blurs_two_without_consent_and_publishes_the_edited_photo_in_dutch() {
    teacher_checks_blurs_and_publishes_a_class_photo(Language::Dutch).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn teacher_blurs_two_without_consent_and_publishes_the_edited_photo_in_english() {
    teacher_checks_blurs_and_publishes_a_class_photo(Language::English).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishing_is_refused_in_words_when_consent_fell_away_since_the_check() {
    let server = TestServer::start(Db::Sqlite).await.unwrap();
    let admin = server.admin("De Linde").await;
    let comms = admin.staff("Cas", "communications").await;
    let ada = admin.person("student", "Ada Smit", "4A", "2008-05-01").await;
    let phone_of_ada = admin.enroll(ada).await;
    let token = phone_of_ada.consent().await;
    let Some(phone) = teacher_phone(&admin, "teacher_consent_fell_away", Language::English).await else {
        return;
    };
    let folder = tempfile::tempdir().unwrap();

    phone.goto(&format!("{}/console/check", server.url)).await;
    pick(
        &phone,
        "#photo-pick",
        &file(folder.path(), "ada.png", &class_photo()),
    )
    .await;
    choose(&phone, "#group", "4A").await;
    phone.wait_for_text("Ada Smit").await;
    phone.click("#who button[type=submit]").await;
    phone.wait_for("#publish:not([hidden])").await;
    phone.wait_for_text("Everyone in the photo may appear").await;

    let revocation = phone_of_ada.revocation(
        ada,
        RevocationScope::Token(token.unverified().token_id),
        consent_protocol::Role::Subject,
    );
    let withdrawn = phone_of_ada
        .api
        .post("/v1/revocations", json!({"revocation": revocation.to_text()}))
        .await;
    assert_eq!(withdrawn.status, StatusCode::CREATED, "{withdrawn:?}");

    phone.click("#publish button[type=submit]").await;
    phone.wait_for("#publish-error:not([hidden])").await;
    phone
        .wait_for_text("not everyone may appear any more. Ada Smit (the consent was withdrawn)")
        .await;
    keep(&phone, "refused").await;
    assert_eq!(comms.get("/v1/publications").await.body, json!([]));
    phone.close().await;
}
