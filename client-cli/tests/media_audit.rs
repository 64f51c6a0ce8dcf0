//! `consent audit media` through the real binary against a real server: a
//! copy of the website's pictures is matched to the school's checks, also
//! after the website resized and recompressed them, and what must come down
//! goes on the takedown list in one step.
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use consent_tests::{Db, TestServer};
use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use serde_json::Value;
use support::*;

/// Blocks of pseudo-random colour: distinct seeds give unrelated scenes.
fn scene(seed: u32) -> DynamicImage {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    let blocks: Vec<u8> = (0..12 * 16)
        .map(|_| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 24) as u8
        })
        .collect();
    DynamicImage::ImageRgb8(RgbImage::from_fn(640, 480, |x, y| {
        let level = blocks[(y / 40 * 16 + x / 40) as usize];
        Rgb([level, level / 2, 255 - level])
    }))
}

fn save_jpeg(picture: &DynamicImage, path: &Path, quality: u8) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let file = std::fs::File::create(path).unwrap();
    JpegEncoder::new_with_quality(file, quality)
        .encode_image(&picture.to_rgb8())
        .unwrap();
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(from, to).unwrap();
}

fn shown(path: &Path) -> String {
    path.display().to_string()
}

/// The teacher checks `photo` with `people` in it for the website; returns
/// the receipt id, or `None` when the check refused.
async fn check(teacher: &User, photo: &Path, people: &[&str]) -> Option<String> {
    let mut args = vec!["check", "--purpose", "website", "--json"];
    for person in people {
        args.extend(["--person", person]);
    }
    let run = teacher.run_with(&args, photo).await;
    let answer = run.json();
    match run.code {
        0 => Some(answer["receipt_id"].as_str().unwrap().to_owned()),
        3 => None,
        _ => panic!("the check failed: {run:#?}"),
    }
}

async fn publish(teacher: &User, receipt: &str, url: &str) -> i64 {
    teacher
        .run(&[
            "publish",
            "--receipt",
            receipt,
            "--channel",
            "website",
            "--url",
            url,
            "--json",
        ])
        .await
        .ok()
        .json()["publication"]
        .as_i64()
        .unwrap()
}

/// Writes to `path` a blend of the picture in `checked` with an unrelated
/// scene, as near to it as makes an uncertain match (neither surely the
/// same nor surely different), found with the same hash the client uses.
/// Returns the path and the distance.
fn uncertain_copy(checked: &Path, path: &Path) -> (PathBuf, u32) {
    let original = image::open(checked).unwrap().to_rgb8();
    let theirs = consent_media::fingerprint_file(checked).unwrap().perceptual;
    let other = scene(9).to_rgb8();
    for share in 1..100u32 {
        let blend = RgbImage::from_fn(original.width(), original.height(), |x, y| {
            let (a, b) = (original.get_pixel(x, y), other.get_pixel(x, y));
            Rgb(std::array::from_fn(|c| {
                ((u32::from(a[c]) * (100 - share) + u32::from(b[c]) * share) / 100) as u8
            }))
        });
        blend.save_with_format(path, ImageFormat::Png).unwrap();
        let distance = consent_media::fingerprint_file(path)
            .unwrap()
            .perceptual
            .distance(&theirs);
        if consent_media::Likeness::of(distance) == consent_media::Likeness::Uncertain {
            return (path.to_path_buf(), distance);
        }
    }
    panic!("no blend of the two scenes is an uncertain match");
}

/// Every file of the audit's JSON by its path: the pictures' findings, and
/// the unread files' `not_read:<code>`.
fn by_path(report: &Value) -> BTreeMap<String, Value> {
    let mut files = BTreeMap::new();
    for file in report["files"].as_array().unwrap() {
        files.insert(file["path"].as_str().unwrap().to_owned(), file.clone());
    }
    for file in report["unreadable"].as_array().unwrap() {
        let path = file["path"].as_str().unwrap().to_owned();
        let previous = files.insert(path, file.clone());
        assert!(previous.is_none(), "a file has two lines: {file}");
    }
    files
}

/// The website's pictures: a checked one as it was checked and as the
/// website resized and recompressed it, one whose student withdrew, one
/// refused at its check, one never checked, a text file and a JPEG cut off
/// in its header. Each gets the right finding; hidden files get none; the
/// run exits 3; JSON and CSV parse; `--take-down` lists exactly the three
/// that must come down, and closing one marks its publication taken down.
async fn each_published_picture_is_matched_to_its_check_and_what_must_come_down_is_listed(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = admin(&server).await;
    let sam = add_person(
        &admin,
        &["--name", "Sam", "--group", "3B", "--birth-date", "2009-05-01"],
    )
    .await;
    let nina = add_person(
        &admin,
        &["--name", "Nina", "--group", "3B", "--birth-date", "2009-01-01"],
    )
    .await;
    let omar = add_person(
        &admin,
        &["--name", "Omar", "--group", "3B", "--birth-date", "2009-03-01"],
    )
    .await;
    let teacher = staff_member(&server, &admin, "Tess", "teacher").await;
    let comms = staff_member(&server, &admin, "Cas", "communications").await;
    enrolled(&server, &admin, &sam)
        .await
        .run(&["grant", "--media", "photo,video", "--purpose", "website"])
        .await
        .ok();
    let nina_phone = enrolled(&server, &admin, &nina).await;
    nina_phone
        .run(&["grant", "--media", "photo", "--purpose", "website"])
        .await
        .ok();

    // The teacher's originals, each checked with its perceptual hash.
    let sports_day = teacher.file("sports-day.jpg");
    save_jpeg(&scene(1), &sports_day, 92);
    let choir = teacher.file("choir.jpg");
    save_jpeg(&scene(2), &choir, 92);
    let trip = teacher.file("trip.png");
    scene(3).save_with_format(&trip, ImageFormat::Png).unwrap();
    let receipt = check(&teacher, &sports_day, &[&sam]).await.unwrap();
    publish(&teacher, &receipt, "https://school.example/news/sports-day").await;
    let receipt = check(&teacher, &choir, &[&sam, &nina]).await.unwrap();
    let choir_publication = publish(&teacher, &receipt, "https://school.example/news/choir").await;
    assert_eq!(
        check(&teacher, &trip, &[&sam, &omar]).await,
        None,
        "Omar never consented"
    );
    // A video is checked by its SHA-256 alone; the audit finds that very file.
    let clip = teacher.file("clip.mp4");
    std::fs::write(&clip, b"\0\0\0\x18ftypmp42 a video of the match").unwrap();
    check(&teacher, &clip, &[&sam]).await.unwrap();
    // Nina withdraws her consent after the choir photo went online.
    nina_phone.run(&["revoke", "--all"]).await.ok();

    // What the website holds now.
    let site = comms.file("site");
    copy(&sports_day, &site.join("2025/sports-day.jpg"));
    let resized = scene(1).resize(320, 240, FilterType::Triangle);
    save_jpeg(&resized, &site.join("2025/sports-day-320.jpg"), 60);
    copy(&choir, &site.join("news/choir.jpg"));
    copy(&trip, &site.join("news/trip.png"));
    save_jpeg(&scene(4), &site.join("news/never-checked.jpg"), 80);
    let (similar, near) = uncertain_copy(&sports_day, &site.join("news/similar.png"));
    std::fs::write(site.join("news/credits.txt"), "photos: Tess\n").unwrap();
    copy(&clip, &site.join("news/clip.mp4"));
    let whole = std::fs::read(&sports_day).unwrap();
    std::fs::write(site.join("news/cut-off.jpg"), &whole[..300]).unwrap();
    copy(&sports_day, &site.join(".thumbnails/sports-day.jpg"));
    std::fs::write(site.join("news/.DS_Store"), "finder").unwrap();
    let path = |rest: &str| shown(&site.join(rest));

    let run = comms
        .run_with(&["audit", "media", "--json"], &site)
        .await
        .exits(3);
    let report = run.json();
    let files = by_path(&report);
    assert_eq!(
        files.keys().cloned().collect::<Vec<_>>(),
        [
            "2025/sports-day-320.jpg",
            "2025/sports-day.jpg",
            "news/choir.jpg",
            "news/clip.mp4",
            "news/credits.txt",
            "news/cut-off.jpg",
            "news/never-checked.jpg",
            "news/similar.png",
            "news/trip.png",
        ]
        .map(path),
        "every file has one line, hidden ones none"
    );
    let exact = &files[&path("2025/sports-day.jpg")];
    assert_eq!(exact["finding"], "consent_holds", "{exact}");
    assert_eq!(exact["match"], "exact");
    assert_eq!(exact["check"]["purpose"], "website");
    assert_eq!(
        exact["publications"][0]["url"],
        "https://school.example/news/sports-day"
    );
    assert_eq!(exact["people"], serde_json::json!([]));
    let copy_online = &files[&path("2025/sports-day-320.jpg")];
    assert_eq!(copy_online["finding"], "consent_holds", "{copy_online}");
    assert_eq!(copy_online["match"], "perceptual");
    assert_eq!(copy_online["check"]["receipt_id"], exact["check"]["receipt_id"]);
    assert!(copy_online["distance"].as_u64().unwrap() <= 40, "{copy_online}");
    let withdrawn = &files[&path("news/choir.jpg")];
    assert_eq!(withdrawn["finding"], "consent_withdrawn", "{withdrawn}");
    assert_eq!(withdrawn["people"].as_array().unwrap().len(), 1, "{withdrawn}");
    assert_eq!(withdrawn["people"][0]["display_name"], "Nina");
    assert_eq!(withdrawn["people"][0]["outcome"], "revoked");
    assert_eq!(files[&path("news/trip.png")]["finding"], "refused_at_check");
    let never = &files[&path("news/never-checked.jpg")];
    assert_eq!(never["finding"], "never_checked", "{never}");
    assert_eq!(never["check"], Value::Null);
    assert_eq!(files[&path("news/credits.txt")]["code"], "not_a_picture");
    let video = &files[&path("news/clip.mp4")];
    assert_eq!(video["finding"], "consent_holds", "{video}");
    assert_eq!(video["match"], "exact");
    assert_eq!(video["check"]["media_kind"], "video");
    assert_eq!(files[&path("news/cut-off.jpg")]["code"], "damaged");
    let uncertain = &files[&shown(&similar)];
    assert_eq!(uncertain["finding"], "uncertain", "{uncertain}");
    assert_eq!(uncertain["match"], Value::Null);
    assert_eq!(uncertain["distance"], near);
    assert_eq!(uncertain["check"]["receipt_id"], exact["check"]["receipt_id"]);
    assert_eq!(
        report["summary"],
        serde_json::json!({"files": 9, "consent_holds": 3, "consent_withdrawn": 1, "refused_at_check": 1,
                           "never_checked": 1, "uncertain": 1, "not_read": 2})
    );

    // For people: the summary, then a table with what is not in order first,
    // each file named as found under the path given (here a relative one).
    let text = comms.run(&["audit", "media", "site"]).await.exits(3);
    let lines: Vec<&str> = text.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "9 files: 1 never checked, 1 consent since withdrawn, 1 refused at the check, 1 uncertain, \
         2 not read, 3 consent holds.",
        "{text:#?}"
    );
    assert!(lines[1].trim_start().starts_with("FILE"), "{text:#?}");
    let row = |rest: &str| {
        lines
            .iter()
            .position(|line| line.trim_start().starts_with(&format!("site/{rest} ")))
            .unwrap_or_else(|| panic!("no line for {rest}: {text:#?}"))
    };
    assert_eq!(
        row("news/never-checked.jpg"),
        2,
        "never checked comes first: {text:#?}"
    );
    assert!(row("news/choir.jpg") < row("news/trip.png"));
    assert!(row("news/trip.png") < row("news/similar.png"));
    assert!(row("news/similar.png") < row("news/credits.txt"));
    assert!(lines[row("news/similar.png")].contains(&format!("uncertain (distance {near})")));
    assert!(row("news/cut-off.jpg") < row("2025/sports-day.jpg"));
    assert!(lines[row("news/choir.jpg")].contains("checked, consent since withdrawn"));
    assert!(lines[row("news/choir.jpg")].contains("Nina: consent withdrawn (since "));
    assert!(lines[row("news/credits.txt")].contains("not read: not a picture"));
    assert!(lines[row("2025/sports-day-320.jpg")].contains("checked, consent holds"));
    assert!(lines[row("2025/sports-day-320.jpg")].contains("a resized or re-encoded copy, distance"));
    assert!(text.stdout.contains("run again with --take-down"), "{text:#?}");
    assert!(
        text.stdout.contains("Look at the uncertain ones yourself"),
        "{text:#?}"
    );

    // One row per file in CSV, unread files included.
    let csv = comms.run_with(&["audit", "media", "--csv"], &site).await.exits(3);
    let mut reader = csv::Reader::from_reader(csv.stdout.as_bytes());
    let header = reader.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|title| title == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let findings: BTreeMap<String, String> = rows
        .iter()
        .map(|row| (row[column("path")].to_owned(), row[column("finding")].to_owned()))
        .collect();
    assert_eq!(rows.len(), 9);
    assert_eq!(findings[&path("news/choir.jpg")], "consent_withdrawn");
    assert_eq!(findings[&path("news/cut-off.jpg")], "not_read");

    // One step onto the takedown list, per file; never twice.
    let taken = comms
        .run_with(&["audit", "media", "--take-down"], &site)
        .await
        .exits(3);
    assert_eq!(
        taken.stdout.matches("requested").count(),
        3,
        "one request each for never checked, withdrawn and refused; none for uncertain: {taken:#?}"
    );
    let list = comms.run(&["audit", "takedowns", "--json"]).await.ok().json();
    let items = list["takedowns"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{list}");
    let choir_item = items
        .iter()
        .find(|item| item["finding"] == "consent_withdrawn")
        .unwrap();
    assert_eq!(choir_item["name"], path("news/choir.jpg").as_str());
    assert_eq!(choir_item["publication"], choir_publication);
    let again = comms
        .run_with(&["audit", "media", "--take-down"], &site)
        .await
        .exits(3);
    assert_eq!(
        again.stdout.matches("on the takedown list already").count(),
        3,
        "{again:#?}"
    );
    assert_eq!(
        comms.run(&["audit", "takedowns", "--json"]).await.ok().json()["takedowns"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let listed = comms.run(&["audit", "takedowns"]).await.ok();
    assert!(
        listed.stdout.contains("checked, consent since withdrawn"),
        "{listed:#?}"
    );
    assert!(listed.stdout.contains("3 open"), "{listed:#?}");

    // Once the choir photo is down, closing its request marks its publication taken down.
    let id = choir_item["id"].as_i64().unwrap().to_string();
    let done = comms.run(&["audit", "takedown-done", &id]).await.ok();
    assert!(
        done.stdout.contains(&format!(
            "Publication #{choir_publication} is recorded as taken down."
        )),
        "{done:#?}"
    );
    let publications = comms.run(&["publications", "--json"]).await.ok().json();
    let choir_now = publications
        .as_array()
        .unwrap()
        .iter()
        .find(|publication| publication["id"] == choir_publication)
        .unwrap();
    assert!(choir_now["taken_down_at"].is_i64(), "{choir_now}");
    let open = comms
        .run(&["audit", "takedowns", "--open", "--json"])
        .await
        .ok()
        .json();
    assert_eq!(open["takedowns"].as_array().unwrap().len(), 2, "{open}");

    // A teacher may not audit.
    let refused = teacher.run_with(&["audit", "media"], &site).await.exits(1);
    assert!(refused.stderr.contains("forbidden"), "{refused:#?}");
}

/// A folder of 10,000 files (tiny pictures and text) ends, and every file
/// gets exactly one row.
async fn ten_thousand_files_each_get_a_line_and_the_run_ends(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = admin(&server).await;
    let comms = staff_member(&server, &admin, "Cas", "communications").await;
    let site = comms.file("media-library");
    let mut expected = BTreeSet::new();
    let mut pictures = 0;
    for index in 0..10_000u32 {
        let folder = site.join(format!("{:02}", index % 40));
        if index < 40 {
            std::fs::create_dir_all(&folder).unwrap();
        }
        let file: PathBuf = if index % 5 == 0 {
            // A tiny picture: hashing it costs next to nothing.
            let file = folder.join(format!("{index:05}.png"));
            let [a, b, c, _] = index.to_le_bytes();
            RgbImage::from_fn(8, 8, |x, y| {
                Rgb([
                    a ^ (x * 31) as u8,
                    b ^ (y * 17) as u8,
                    c.wrapping_add((x * y) as u8),
                ])
            })
            .save_with_format(&file, ImageFormat::Png)
            .unwrap();
            pictures += 1;
            file
        } else {
            let file = folder.join(format!("{index:05}.html"));
            std::fs::write(&file, format!("<p>page {index}</p>")).unwrap();
            file
        };
        expected.insert(shown(&file));
    }

    let run = comms.run_with(&["audit", "media", "--csv"], &site).await.exits(3);
    let mut reader = csv::Reader::from_reader(run.stdout.as_bytes());
    let header = reader.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|title| title == name).unwrap();
    let mut seen = BTreeSet::new();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for row in reader.records() {
        let row = row.unwrap();
        assert!(
            seen.insert(row[column("path")].to_owned()),
            "two rows for {}",
            &row[0]
        );
        *counts.entry(row[column("finding")].to_owned()).or_default() += 1;
    }
    assert_eq!(seen.len(), 10_000);
    assert_eq!(seen, expected, "every file, and only those, has its row");
    // The school checked nothing yet: every picture is never checked.
    assert_eq!(counts["never_checked"], pictures);
    assert_eq!(counts["not_read"], 10_000 - pictures);
}

consent_tests::on_both_databases!(
    each_published_picture_is_matched_to_its_check_and_what_must_come_down_is_listed,
    ten_thousand_files_each_get_a_line_and_the_run_ends,
);

/// Each audit command explains itself with an example; a path that does not
/// exist is a usage error (exit 2) before anything is read or sent.
#[tokio::test]
async fn audit_commands_explain_themselves_and_a_missing_path_is_a_usage_error() {
    let user = User::without_server();
    for command in ["media", "takedowns", "takedown-done"] {
        let help = user.run(&["audit", command, "--help"]).await.ok();
        assert!(
            help.stdout.contains("Example"),
            "audit {command} --help has an example:\n{}",
            help.stdout
        );
    }
    let missing = user
        .run(&[
            "--server",
            "http://127.0.0.1:9",
            "audit",
            "media",
            "no-such-folder",
        ])
        .await
        .exits(2);
    assert!(
        missing.stderr.contains("no-such-folder does not exist"),
        "{missing:#?}"
    );
    let both = user
        .run(&["audit", "media", ".", "--csv", "--json"])
        .await
        .exits(2);
    assert!(both.stderr.contains("cannot be used with"), "{both:#?}");
}
