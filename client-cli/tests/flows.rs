//! The brief's flows through the real `consent` binary against a real server,
//! each user with their own config folder, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use consent_protocol::{
    Grant, GrantSigners, MediaKind, MediaSet, PublicKey, Purpose, PurposeSet, SchoolId, SignedGrant,
    SigningKey, SubjectId, Timestamp, TokenId,
};
use consent_tests::{Db, TestServer};
use image::imageops::FilterType;
use serde_json::Value;
use support::*;

/// A student's consent is scanned (from a PNG, and from a rotated, scaled
/// JPEG of it), checked and published; after the student revokes it the
/// publication is flagged, taken down, and the audit log still verifies.
async fn consent_flows_from_grant_to_takedown(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = admin(&server).await;
    let sam = add_person(
        &admin,
        &[
            "--name",
            "Sam",
            "--group",
            "3B",
            "--birth-date",
            "2009-05-01",
            "--external-id",
            "1001",
        ],
    )
    .await;
    let nina = add_person(
        &admin,
        &["--name", "Nina", "--group", "3B", "--birth-date", "2009-01-01"],
    )
    .await;
    let teacher = staff_member(&server, &admin, "Tess", "teacher").await;
    let comms = staff_member(&server, &admin, "Cas", "communications").await;

    let student = enrolled(&server, &admin, &sam).await;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(student.config_dir().join("device.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "the private key is readable by its owner only"
        );
    }
    let granted = student
        .run(&[
            "grant",
            "--media",
            "photo,video",
            "--purpose",
            "website,yearbook",
            "--json",
        ])
        .await
        .ok()
        .json();
    let token = granted["token_id"].as_str().unwrap().to_owned();

    // The student shows the code; the teacher scans a picture of it.
    let png = student.file("consent.png");
    student.run_with(&["show", &token, "--png"], &png).await.ok();
    let scanned = teacher
        .run_with(&["scan", "--json", "--photo"], &png)
        .await
        .ok()
        .json();
    assert_eq!(scanned["valid"], true, "{scanned}");
    assert_eq!(scanned["person"], sam.as_str());
    assert_eq!(scanned["display_name"], "Sam");
    assert_eq!(scanned["media"], serde_json::json!(["photo", "video"]));

    let photo = image::open(&png).unwrap().rotate90();
    let (width, height) = (photo.width() * 7 / 10, photo.height() * 7 / 10);
    let jpeg = teacher.file("rotated.jpg");
    photo
        .resize(width, height, FilterType::Triangle)
        .to_rgb8()
        .save_with_format(&jpeg, image::ImageFormat::Jpeg)
        .unwrap();
    let scanned = teacher.run_with(&["scan", "--photo"], &jpeg).await.ok();
    assert!(scanned.stdout.starts_with("VALID"), "{scanned:#?}");
    assert!(
        scanned.stdout.contains("photo, video for website, yearbook"),
        "{scanned:#?}"
    );

    // Checking a photo: allowed for Sam, denied (exit 3) with Nina in it.
    let class_photo = teacher.file("class-photo.jpg");
    std::fs::write(&class_photo, b"not really a JPEG, only its hash counts").unwrap();
    let checked = teacher
        .run_with(
            &["check", "--purpose", "website", "--person", &sam, "--json"],
            &class_photo,
        )
        .await
        .ok()
        .json();
    assert_eq!(checked["allowed"], true);
    let receipt = checked["receipt_id"].as_str().unwrap().to_owned();
    let denied = teacher
        .run_with(
            &[
                "check",
                "--purpose",
                "website",
                "--person",
                &sam,
                "--person",
                &nina,
            ],
            &class_photo,
        )
        .await
        .exits(3);
    assert!(denied.stdout.contains("no consent given"), "{denied:#?}");
    let class = teacher
        .run_with(&["check", "--purpose", "website", "--group", "3B"], &class_photo)
        .await
        .exits(3);
    assert!(class.stdout.contains("1 of 2 may appear"), "{class:#?}");
    assert!(class.stdout.contains("Nina"), "{class:#?}");
    let code = student.run(&["show", "--text"]).await.ok().stdout;
    let by_code = teacher
        .run_with(
            &[
                "check",
                "--purpose",
                "yearbook",
                "--media",
                "video",
                "--code",
                code.trim(),
            ],
            &class_photo,
        )
        .await
        .ok();
    assert!(by_code.stdout.contains("1 of 1 may appear"), "{by_code:#?}");
    let wrong_use = teacher
        .run_with(
            &[
                "check",
                "--purpose",
                "press",
                "--code-photo",
                png.to_str().unwrap(),
            ],
            &class_photo,
        )
        .await
        .exits(3);
    assert!(
        wrong_use.stdout.contains("does not cover this purpose"),
        "{wrong_use:#?}"
    );

    let published = teacher
        .run(&[
            "publish",
            "--receipt",
            &receipt,
            "--channel",
            "website",
            "--url",
            "https://school.example/news/1",
        ])
        .await
        .ok();
    assert!(
        published.stdout.contains("Recorded publication #"),
        "{published:#?}"
    );
    assert_eq!(
        comms
            .run(&["publications", "--flagged", "--json"])
            .await
            .ok()
            .json(),
        serde_json::json!([])
    );

    // The student withdraws; the code no longer scans as valid, publishing
    // again is refused, and the publication is flagged.
    student.run(&["revoke", &token]).await.ok();
    let rescanned = teacher.run_with(&["scan", "--photo"], &png).await.exits(3);
    assert!(rescanned.stdout.starts_with("NOT VALID"), "{rescanned:#?}");
    assert!(rescanned.stdout.contains("withdrawn"), "{rescanned:#?}");
    let refused = teacher
        .run(&["publish", "--receipt", &receipt, "--channel", "website"])
        .await
        .exits(3);
    assert!(refused.stdout.contains("NOT RECORDED"), "{refused:#?}");

    let flagged = comms
        .run(&["publications", "--flagged", "--json"])
        .await
        .ok()
        .json();
    assert_eq!(flagged.as_array().unwrap().len(), 1, "{flagged}");
    assert_eq!(flagged[0]["needs_takedown"], true);
    let listed = comms.run(&["publications", "--flagged"]).await.ok();
    assert!(listed.stdout.contains("TAKE DOWN"), "{listed:#?}");
    let id = flagged[0]["id"].as_i64().unwrap().to_string();
    comms.run(&["takedown", &id]).await.ok();
    assert_eq!(
        comms
            .run(&["publications", "--flagged", "--json"])
            .await
            .ok()
            .json(),
        serde_json::json!([])
    );

    // Paging through the log three entries at a time gives the same answer.
    let verified = comms.run(&["audit", "verify", "--page-size", "3"]).await.ok();
    assert!(verified.stdout.starts_with("OK"), "{verified:#?}");
    let verified = comms.run(&["audit", "verify", "--json"]).await.ok().json();
    assert_eq!(verified["ok"], true);
    assert!(verified["entries"].as_u64().unwrap() >= 5, "{verified}");

    // The student sees all of it in their own record, and can export it.
    let status = student.run(&["status", "--json"]).await.ok().json();
    assert_eq!(status["tokens"][0]["standing"]["status"], "revoked");
    assert_eq!(status["publications"].as_array().unwrap().len(), 1);
    let text = student.run(&["status"]).await.ok();
    assert!(text.stdout.contains("revoked since"), "{text:#?}");
    let export = student.file("record.json");
    student.run_with(&["export"], &export).await.ok();
    let record: Value = serde_json::from_slice(&std::fs::read(&export).unwrap()).unwrap();
    assert_eq!(record["person"]["id"], sam.as_str());
    assert_eq!(record["revocations"].as_array().unwrap().len(), 1);
}

/// An administrator imports a class list in chunks, prints enrollment codes
/// for the class, a student enrolls from the picture of theirs, and the
/// coverage report counts them; a cut-off device is refused.
async fn class_list_import_enrollment_codes_and_coverage(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = admin(&server).await;
    let comms = staff_member(&server, &admin, "Cas", "communications").await;
    let mut csv = String::from("external_id,display_name,group,birth_date\n");
    for n in 0..60 {
        let group = if n < 3 { "3B" } else { "4A" };
        csv.push_str(&format!(
            "{},Student {n},{group},2009-02-{:02}\n",
            2000 + n,
            n % 28 + 1
        ));
    }
    let file = admin.file("class.csv");
    std::fs::write(&file, &csv).unwrap();
    let imported = admin
        .run_with(&["people", "import", "--json"], &file)
        .await
        .ok()
        .json();
    assert_eq!(imported, serde_json::json!({"created": 60, "updated": 0}));
    // Importing again updates the same people (chunks of 7 this time).
    let again = admin
        .run_with(&["people", "import", "--chunk-size", "7"], &file)
        .await
        .ok();
    assert!(again.stdout.contains("0 new, 60 updated"), "{again:#?}");
    let class = admin
        .run(&["people", "list", "--group", "3B", "--json"])
        .await
        .ok()
        .json();
    assert_eq!(class.as_array().unwrap().len(), 3);

    // A bad line is named by its line in the file.
    std::fs::write(&file, format!("{csv}2099,Late,4A,not-a-date\n")).unwrap();
    let bad = admin.run_with(&["people", "import"], &file).await.exits(1);
    assert!(bad.stderr.contains("line 62"), "{bad:#?}");

    let codes = admin.file("codes");
    admin
        .run(&[
            "enrollment-codes",
            "--group",
            "3B",
            "--out",
            codes.to_str().unwrap(),
        ])
        .await
        .ok();
    for external in ["2000", "2001", "2002"] {
        assert!(codes.join(format!("{external}.png")).exists(), "{external}.png");
    }
    let student = User::of(&server);
    let enrolled = student
        .run_with(&["enroll", "--json", "--photo"], &codes.join("2001.png"))
        .await
        .ok()
        .json();
    assert_eq!(enrolled["display_name"], "Student 1");
    student
        .run(&["grant", "--media", "photo", "--purpose", "website"])
        .await
        .ok();
    // The printed code worked once.
    let reused = User::of(&server)
        .run_with(&["enroll", "--photo"], &codes.join("2001.png"))
        .await
        .exits(1);
    assert!(reused.stderr.contains("bad_enrollment_code"), "{reused:#?}");

    let report = comms
        .run(&["report", "coverage", "--purpose", "website", "--json"])
        .await
        .ok()
        .json();
    let counts: Vec<(&str, u64, u64)> = report
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["group"].as_str().unwrap(),
                row["students"].as_u64().unwrap(),
                row["allowed"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(counts, [("3B", 3, 1), ("4A", 57, 0)]);
    let csv_report = comms
        .run(&["report", "coverage", "--purpose", "website", "--csv"])
        .await
        .ok();
    let lines: Vec<&str> = csv_report.stdout.lines().collect();
    assert_eq!(lines[0], "group,students,allowed,may_not_appear");
    assert_eq!(lines[1], "3B,3,1,Student 0 (no_consent); Student 2 (no_consent)");
    assert_eq!(lines.last(), Some(&"total,60,1,"));
    let table = comms
        .run(&["report", "coverage", "--purpose", "website"])
        .await
        .ok();
    assert!(table.stdout.contains("1 of 3"), "{table:#?}");
    assert!(table.stdout.contains("Who may not appear:"), "{table:#?}");
    assert!(table.stdout.contains("no consent given"), "{table:#?}");

    // The school's settings, and cutting off a lost device.
    let school = admin
        .run(&["school", "set", "--consent-age", "15", "--json"])
        .await
        .ok()
        .json();
    assert_eq!(school["digital_consent_age"], 15);
    let key = enrolled["key_id"].as_str().unwrap();
    admin.run(&["device", "cut-off", key]).await.ok();
    let refused = student.run(&["status"]).await.exits(1);
    assert!(refused.stderr.contains("revoked_key"), "{refused:#?}");
    assert!(refused.stderr.contains("hint:"), "{refused:#?}");
}

/// Offline, a scan says valid with a fresh cache, always states the cache's
/// age, and refuses to say valid once the cache is older than --max-age.
async fn offline_scan_trusts_only_a_fresh_cache(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = admin(&server).await;
    let teacher = staff_member(&server, &admin, "Tess", "teacher").await;
    let sam = add_person(
        &admin,
        &["--name", "Sam", "--group", "3B", "--birth-date", "2009-05-01"],
    )
    .await;
    let student = enrolled(&server, &admin, &sam).await;
    let granted = student
        .run(&["grant", "--media", "photo", "--purpose", "website", "--json"])
        .await
        .ok()
        .json();
    let code = granted["text"].as_str().unwrap().to_owned();

    let missing = teacher.run(&["scan", "--offline", &code]).await.exits(1);
    assert!(missing.stderr.contains("consent sync"), "{missing:#?}");
    teacher.run(&["sync"]).await.ok();
    let fresh = teacher.run(&["scan", "--offline", &code]).await.ok();
    assert!(fresh.stdout.starts_with("VALID"), "{fresh:#?}");
    assert!(fresh.stdout.contains("offline cache from"), "{fresh:#?}");
    assert!(
        fresh.stdout.contains("age rule:  old enough to consent alone"),
        "{fresh:#?}"
    );

    // A revocation made after the sync is seen after the next sync.
    student.run(&["revoke", "--all"]).await.ok();
    teacher.run(&["sync", "--json"]).await.ok();
    let revoked = teacher
        .run(&["scan", "--offline", "--json", &code])
        .await
        .exits(3)
        .json();
    assert_eq!(revoked["status"], "revoked", "{revoked}");
    assert_eq!(revoked["genuine"], true);

    // Let the cache age past a one-second limit.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let stale = teacher
        .run(&["scan", "--offline", "--max-age", "1s", "--json", &code])
        .await
        .exits(3)
        .json();
    assert_eq!(stale["valid"], false);
    assert_eq!(stale["revocation_data"]["stale"], true);
    assert!(stale["revocation_data"]["age_seconds"].as_u64().unwrap() >= 2);

    let second = add_person(
        &admin,
        &["--name", "Bo", "--group", "3B", "--birth-date", "2009-03-01"],
    )
    .await;
    let other = enrolled(&server, &admin, &second).await;
    let code = other
        .run(&["grant", "--media", "photo", "--purpose", "website", "--json"])
        .await
        .ok()
        .json()["text"]
        .as_str()
        .unwrap()
        .to_owned();
    teacher.run(&["sync"]).await.ok();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let old = teacher
        .run(&["scan", "--offline", "--max-age", "1s", &code])
        .await
        .exits(3);
    assert!(old.stdout.starts_with("NOT CONFIRMED"), "{old:#?}");
    assert!(old.stdout.contains("older than --max-age"), "{old:#?}");
    // The same cache within a generous limit says valid.
    teacher
        .run(&["scan", "--offline", "--max-age", "1h", &code])
        .await
        .ok();
}

/// A child under the age of digital consent cannot consent alone; the child
/// prepares the consent, the parent co-signs it, and can withdraw it.
async fn parent_co_signs_for_a_young_child(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = admin(&server).await;
    let teacher = staff_member(&server, &admin, "Tess", "teacher").await;
    let yara = add_person(
        &admin,
        &["--name", "Yara", "--group", "1C", "--birth-date", "2014-06-01"],
    )
    .await;
    let pia = add_person(&admin, &["--kind", "guardian", "--name", "Pia"]).await;
    admin
        .run(&["guardian", "link", "--guardian", &pia, "--child", &yara])
        .await
        .ok();
    let child = enrolled(&server, &admin, &yara).await;
    let parent = enrolled(&server, &admin, &pia).await;

    let alone = child
        .run(&["grant", "--media", "photo", "--purpose", "yearbook"])
        .await
        .exits(1);
    assert!(alone.stderr.contains("guardian_missing"), "{alone:#?}");
    assert!(alone.stderr.contains("--guardian-key"), "{alone:#?}");

    let parent_status = parent.run(&["status", "--json"]).await.ok().json();
    let parent_key = parent_status["keys"][0]["key_id"].as_str().unwrap().to_owned();
    assert_eq!(parent_status["children"][0]["person"]["id"], yara.as_str());
    let pending = child.file("pending.txt");
    child
        .run_with(
            &[
                "grant",
                "--media",
                "photo",
                "--purpose",
                "yearbook",
                "--guardian-key",
                &parent_key,
                "--out",
            ],
            &pending,
        )
        .await
        .ok();
    // Without a terminal the parent must confirm with --yes.
    parent.run_with(&["cosign"], &pending).await.exits(2);
    let signed = parent.run_with(&["cosign", "--yes"], &pending).await.ok();
    assert!(signed.stdout.contains("for Yara"), "{signed:#?}");
    assert!(signed.stdout.contains("Consent given"), "{signed:#?}");

    let photo = teacher.file("yearbook.jpg");
    std::fs::write(&photo, b"yearbook portrait").unwrap();
    teacher
        .run_with(&["check", "--purpose", "yearbook", "--person", &yara], &photo)
        .await
        .ok();
    let mine = child.run(&["status", "--json"]).await.ok().json();
    assert_eq!(mine["tokens"][0]["standing"]["status"], "valid");
    // The child can show it; the code carries both signatures.
    let shown = child.run(&["show", "--text"]).await.ok();
    assert!(shown.stdout.starts_with("consent:"), "{shown:#?}");

    // A parent can also consent alone for their child, and withdraw it all.
    parent
        .run(&[
            "grant",
            "--child",
            &yara,
            "--media",
            "video",
            "--purpose",
            "internal",
        ])
        .await
        .ok();
    parent.run(&["revoke", "--all", "--child", &yara]).await.ok();
    let denied = teacher
        .run_with(&["check", "--purpose", "yearbook", "--person", &yara], &photo)
        .await
        .exits(3);
    assert!(denied.stdout.contains("consent withdrawn"), "{denied:#?}");
}

/// A consent code signed on `device` by its owner alone, never submitted:
/// what a young child's device makes, which the server refuses to record.
fn signed_alone_on(device: &User) -> String {
    signed_on(device, None)
}

/// A consent code signed on `device`: by its owner for themselves, or (with
/// `child`) by its owner as the child's guardian alone. Never submitted.
fn signed_on(device: &User, child: Option<&str>) -> String {
    let dir = device.config_dir();
    let enrollment: Value = serde_json::from_slice(&std::fs::read(dir.join("device.json")).unwrap()).unwrap();
    let seed = hex::decode(std::fs::read_to_string(dir.join("device.key")).unwrap().trim()).unwrap();
    let key = SigningKey::from_bytes(&seed.try_into().unwrap());
    let own: SubjectId = serde_json::from_value(enrollment["person"].clone()).unwrap();
    let person: SubjectId = child.map_or(own, |child| child.parse().unwrap());
    let school: SchoolId = serde_json::from_value(enrollment["school"].clone()).unwrap();
    let signers = match child {
        None => GrantSigners::Subject {
            key: PublicKey::of(&key).id(),
        },
        Some(_) => GrantSigners::Guardian {
            key: PublicKey::of(&key).id(),
        },
    };
    let seconds = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let now = Timestamp::from_unix(u32::try_from(seconds).unwrap());
    let grant = Grant {
        token_id: TokenId::from_bytes(*b"signed-alone-001"),
        school,
        subject: person,
        media: MediaSet::new([MediaKind::Photo]).unwrap(),
        purposes: PurposeSet::new([Purpose::YEARBOOK]).unwrap(),
        issued_at: now,
        not_before: now,
        not_after: now.end_of_school_year(),
        signers,
    };
    SignedGrant::sign(grant, &[&key]).unwrap().to_text()
}

/// Online, a scan applies the age rule: a young child's code a parent gave
/// is valid; one the child signed alone is not (exit 3), and the output says
/// a parent must co-sign. Offline the cache's signed guardian dates say the same.
async fn online_scan_applies_the_age_rule(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = admin(&server).await;
    let teacher = staff_member(&server, &admin, "Tess", "teacher").await;
    let yara = add_person(
        &admin,
        &["--name", "Yara", "--group", "1C", "--birth-date", "2014-06-01"],
    )
    .await;
    let pia = add_person(&admin, &["--kind", "guardian", "--name", "Pia"]).await;
    admin
        .run(&["guardian", "link", "--guardian", &pia, "--child", &yara])
        .await
        .ok();
    let child = enrolled(&server, &admin, &yara).await;
    let parent = enrolled(&server, &admin, &pia).await;

    // Given by the parent alone.
    let granted = parent
        .run(&[
            "grant",
            "--child",
            &yara,
            "--media",
            "photo",
            "--purpose",
            "yearbook",
            "--json",
        ])
        .await
        .ok()
        .json();
    let by_parent = granted["text"].as_str().unwrap().to_owned();
    let scanned = teacher.run(&["scan", &by_parent]).await.ok();
    assert!(scanned.stdout.starts_with("VALID"), "{scanned:#?}");
    assert!(scanned.stdout.contains("(Yara)"), "{scanned:#?}");
    assert!(scanned.stdout.contains("a guardian signed"), "{scanned:#?}");
    let scanned = teacher.run(&["scan", "--json", &by_parent]).await.ok().json();
    assert_eq!(scanned["valid"], true, "{scanned}");
    assert_eq!(scanned["guardian_required"], true);
    assert_eq!(scanned["guardian_signed"], true);

    // Signed by the child alone: `consent grant` submits, and the server
    // refuses that, so the child's device key signs it here.
    let alone = signed_alone_on(&child);
    let refused = teacher.run(&["scan", &alone]).await.exits(3);
    assert!(
        refused
            .stdout
            .starts_with("NOT VALID: needs a parent's co-signature"),
        "{refused:#?}"
    );
    assert!(
        refused.stdout.contains(&format!("consent grant --child {yara}")),
        "says what to do: {refused:#?}"
    );
    let refused = teacher.run(&["scan", "--json", &alone]).await.exits(3).json();
    assert_eq!(refused["valid"], false, "{refused}");
    assert_eq!(refused["genuine"], true);
    assert_eq!(refused["status"], "guardian_missing");
    assert_eq!(refused["guardian_required"], true);
    assert_eq!(refused["guardian_signed"], false);

    // Offline the cache's guardian dates give the same answer.
    teacher.run(&["sync"]).await.ok();
    let offline = teacher.run(&["scan", "--offline", &alone]).await.exits(3);
    assert!(
        offline
            .stdout
            .starts_with("NOT VALID: needs a parent's co-signature"),
        "{offline:#?}"
    );
    assert!(
        offline.stdout.contains("a guardian must sign until 2030-06-01"),
        "{offline:#?}"
    );
    let offline = teacher
        .run(&["scan", "--offline", "--json", &alone])
        .await
        .exits(3)
        .json();
    assert_eq!(offline["status"], "guardian_missing", "{offline}");
    assert_eq!(offline["guardian_required"], true);
    assert_eq!(offline["guardian_signed"], false);
}

/// The same codes scanned online and offline (after `consent sync`) get the
/// same verdict, age rule included: a 12-year-old's own code, a parent's
/// code for them, a 17-year-old's own code, and the own code of a student
/// whose birth date the school never recorded. Offline, a code a parent
/// signed alone for a student who has reached the consent age is not valid:
/// the student must confirm it.
async fn online_and_offline_scans_of_the_same_codes_agree(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = admin(&server).await;
    let teacher = staff_member(&server, &admin, "Tess", "teacher").await;
    let young = add_person(&admin, &["--name", "Yara", "--birth-date", "2014-06-01"]).await;
    let older = add_person(&admin, &["--name", "Otto", "--birth-date", "2009-01-15"]).await;
    let unknown = add_person(&admin, &["--name", "Uma"]).await;
    let parent = add_person(&admin, &["--kind", "guardian", "--name", "Pia"]).await;
    for child in [&young, &older] {
        admin
            .run(&["guardian", "link", "--guardian", &parent, "--child", child])
            .await
            .ok();
    }
    let young_device = enrolled(&server, &admin, &young).await;
    let older_device = enrolled(&server, &admin, &older).await;
    let unknown_device = enrolled(&server, &admin, &unknown).await;
    let parent_device = enrolled(&server, &admin, &parent).await;
    let codes = [
        (signed_on(&young_device, None), "guardian_missing"),
        (signed_on(&parent_device, Some(&young)), "valid"),
        (signed_on(&older_device, None), "valid"),
        (signed_on(&unknown_device, None), "guardian_missing"),
    ];
    teacher.run(&["sync"]).await.ok();
    for (code, expected) in &codes {
        let online = teacher.run(&["scan", "--json", code]).await.json();
        let offline = teacher.run(&["scan", "--offline", "--json", code]).await.json();
        assert_eq!(online["status"], *expected, "online: {online}");
        assert_eq!(offline["status"], *expected, "offline: {offline}");
        for field in ["valid", "genuine", "guardian_required", "guardian_signed"] {
            assert_eq!(online[field], offline[field], "{field}: {online} / {offline}");
        }
    }
    let by_parent_for_older = signed_on(&parent_device, Some(&older));
    let offline = teacher
        .run(&["scan", "--offline", &by_parent_for_older])
        .await
        .exits(3);
    assert!(
        offline
            .stdout
            .starts_with("NOT VALID: given by a parent alone; the student is now old enough to decide"),
        "{offline:#?}"
    );
    assert!(
        offline.stdout.contains("must give consent themselves"),
        "{offline:#?}"
    );
}

/// A student gives consent and withdraws it; communications staff verify
/// the audit log. Returns the staff member, the server, and the log's size.
async fn consent_given_withdrawn_and_verified(server: &TestServer) -> (User, u64) {
    let admin = admin(server).await;
    let comms = staff_member(server, &admin, "Chris", "communications").await;
    let sam = add_person(&admin, &["--name", "Sam", "--birth-date", "2009-05-01"]).await;
    let student = enrolled(server, &admin, &sam).await;
    student
        .run(&["grant", "--media", "photo", "--purpose", "website"])
        .await
        .ok();
    student.run(&["revoke", "--all"]).await.ok();
    let verified = comms.run(&["audit", "verify", "--json"]).await.ok().json();
    assert_eq!(verified["ok"], true, "{verified}");
    let size = verified["size"].as_u64().unwrap();
    (comms, size)
}

/// Someone with access to the database deletes the revocations (consent
/// would count again) and lowers the school's consent age. The log still
/// chains, but `consent audit verify` replays it, compares the state it
/// implies with the database's, and names each difference.
async fn audit_verify_reports_records_changed_behind_the_logs_back(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let (comms, _) = consent_given_withdrawn_and_verified(&server).await;
    server
        .tamper(&[
            "DELETE FROM revocations",
            "UPDATE schools SET digital_consent_age = 13",
        ])
        .await;
    let failed = comms.run(&["audit", "verify"]).await.exits(1);
    assert!(
        failed
            .stderr
            .contains("is missing from the database: the consent it withdrew would count again"),
        "{failed:#?}"
    );
    assert!(
        failed
            .stderr
            .contains("the age of digital consent is 13 in the database, but the log last set it to 16"),
        "{failed:#?}"
    );
    let failed = comms.run(&["audit", "verify", "--json"]).await.exits(1).json();
    assert_eq!(failed["ok"], false, "{failed}");
}

/// Someone with access to the database removes the revocation and its log
/// entry and sets the school's head back to the entry before it: a shorter
/// log that chains. The server that signed the longer log refuses to sign
/// it; and when a server signs it anyway (this one after losing its memory
/// of what it signed), the client refuses it, because it does not extend
/// the head the client verified before.
async fn audit_verify_refuses_a_log_that_does_not_extend_a_verified_head(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let (comms, size) = consent_given_withdrawn_and_verified(&server).await;
    let school = "(SELECT id FROM schools)";
    server
        .tamper(&[
            "DELETE FROM revocations",
            &format!("DELETE FROM log_entries WHERE position = {size}"),
            &format!(
                "UPDATE schools SET log_size = {before}, log_head = \
                 (SELECT head FROM log_entries WHERE school_id = {school} AND position = {before})",
                before = size - 1
            ),
        ])
        .await;
    let refused = comms.run(&["audit", "verify"]).await.exits(1);
    assert!(refused.stderr.contains("log_history_changed"), "{refused:#?}");

    std::fs::remove_file(server.data_dir.join("signed-log-heads.json")).unwrap();
    let server = server.restart().await;
    // (At its start the server may log a retention purge of used
    // enrollment codes, so the log is shorter or as long with another
    // history: refused either way.)
    let refused = comms.run(&["audit", "verify"]).await.exits(1);
    assert!(refused.stderr.contains("this client verified"), "{refused:#?}");
    drop(server);
}

/// A teacher cannot do an administrator's work, and the error says why.
async fn refusals_name_the_code_and_what_to_do(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = admin(&server).await;
    let teacher = staff_member(&server, &admin, "Tess", "teacher").await;
    let refused = teacher.run(&["people", "add", "--name", "Eve"]).await.exits(1);
    assert!(refused.stderr.contains("forbidden"), "{refused:#?}");
    assert!(
        refused.stderr.contains("hint: your role may not do this"),
        "{refused:#?}"
    );
    let cut_short = teacher.run(&["scan", "consent:AQEAAAA"]).await.exits(3);
    assert!(
        cut_short
            .stdout
            .starts_with("UNREADABLE: could not read the code, scan it again"),
        "{cut_short:#?}"
    );
    let bad_login = User::of(&server)
        .run(&["login", "--token", "cst_wrong"])
        .await
        .exits(1);
    assert!(bad_login.stderr.contains("unauthorized"), "{bad_login:#?}");
    assert!(
        bad_login.stderr.contains("consent login --token"),
        "{bad_login:#?}"
    );
}

/// A parent is told to name their child, both right after enrolling and
/// when they try to consent without --child; never to run a staff command.
async fn a_parent_is_told_to_name_their_child(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = admin(&server).await;
    let yara = add_person(
        &admin,
        &["--name", "Yara", "--group", "1C", "--birth-date", "2014-06-01"],
    )
    .await;
    let pia = add_person(&admin, &["--kind", "guardian", "--name", "Pia"]).await;
    admin
        .run(&["guardian", "link", "--guardian", &pia, "--child", &yara])
        .await
        .ok();
    let code = enrollment_code(&admin, &pia).await;
    let parent = User::of(&server);
    let enrolled = parent.run(&["enroll", &code]).await.ok();
    let for_yara = format!("consent grant --child {yara} --media photo --purpose website,yearbook");
    assert!(enrolled.stdout.contains(&for_yara), "{enrolled:#?}");
    assert!(enrolled.stdout.contains("(for Yara)"), "{enrolled:#?}");

    let alone = parent
        .run(&["grant", "--media", "photo", "--purpose", "website,yearbook"])
        .await
        .exits(2);
    assert!(alone.stderr.contains("enrolled for a parent"), "{alone:#?}");
    assert!(alone.stderr.contains(&for_yara), "{alone:#?}");
    assert!(!alone.stderr.contains("people list"), "{alone:#?}");
    parent
        .run(&[
            "grant",
            "--child",
            &yara,
            "--media",
            "photo",
            "--purpose",
            "website",
        ])
        .await
        .ok();
}

/// A scan names a code of the other kind, and says a damaged code could not
/// be read (scan again) rather than calling it forged; enrolling with a
/// consent code says what that code is.
async fn scans_name_the_kind_of_code_and_unreadable_is_not_forged(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = admin(&server).await;
    let teacher = staff_member(&server, &admin, "Tess", "teacher").await;
    let sam = add_person(
        &admin,
        &["--name", "Sam", "--group", "3B", "--birth-date", "2009-05-01"],
    )
    .await;
    let student = enrolled(&server, &admin, &sam).await;
    let code = student
        .run(&["grant", "--media", "photo", "--purpose", "website", "--json"])
        .await
        .ok()
        .json()["text"]
        .as_str()
        .unwrap()
        .to_owned();

    let enrollment = enrollment_code(&admin, &sam).await;
    let scanned = teacher.run(&["scan", &enrollment]).await.exits(3);
    assert!(
        scanned
            .stdout
            .starts_with("NOT A CONSENT CODE: this is an enrollment code"),
        "{scanned:#?}"
    );
    let scanned = teacher
        .run(&["scan", "--json", &enrollment])
        .await
        .exits(3)
        .json();
    assert_eq!(scanned["status"], "enrollment_code", "{scanned}");

    let mistaken = User::of(&server).run(&["enroll", &code]).await.exits(1);
    assert!(
        mistaken.stderr.contains("not_an_enrollment_code"),
        "{mistaken:#?}"
    );
    assert!(
        mistaken.stderr.contains("this is a consent code"),
        "{mistaken:#?}"
    );
    // The enrollment code still works afterwards.
    User::of(&server).run(&["enroll", &enrollment]).await.ok();

    let damaged = format!("{}*{}", &code[..20], &code[20..]);
    let unreadable = teacher.run(&["scan", &damaged]).await.exits(3);
    assert!(
        unreadable
            .stdout
            .starts_with("UNREADABLE: could not read the code, scan it again"),
        "{unreadable:#?}"
    );
    assert!(!unreadable.stdout.contains("base64"), "{unreadable:#?}");
    let unreadable = teacher.run(&["scan", "--json", &damaged]).await.exits(3).json();
    assert_eq!(unreadable["status"], "unreadable", "{unreadable}");
    assert_eq!(unreadable["error"], "bad_encoding", "{unreadable}");

    // A readable code whose signature does not match is still not genuine.
    let mut bytes = consent_protocol::from_text(&code).unwrap();
    let last = bytes.len() - 40;
    bytes[last] ^= 1;
    let forged = consent_protocol::to_text(&bytes);
    let refused = teacher.run(&["scan", &forged]).await.exits(3);
    assert!(refused.stdout.starts_with("NOT GENUINE"), "{refused:#?}");
}

/// Purposes and media kinds are read in any letter case, and each purpose
/// is explained in plain words where the student chooses and sees it.
async fn purposes_are_read_in_any_case_and_explained(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = admin(&server).await;
    let sam = add_person(
        &admin,
        &["--name", "Sam", "--group", "3B", "--birth-date", "2009-05-01"],
    )
    .await;
    let student = enrolled(&server, &admin, &sam).await;
    let help = student.run(&["grant", "--help"]).await.ok();
    for meaning in [
        "internal      inside the school only",
        "website       on the school's public website",
        "social-media  on the school's social-media accounts",
    ] {
        assert!(help.stdout.contains(meaning), "{meaning}: {}", help.stdout);
    }
    let granted = student
        .run(&["grant", "--media", "Photo", "--purpose", "Website,YEARBOOK"])
        .await
        .ok();
    assert!(
        granted.stdout.contains("photo for website, yearbook"),
        "{granted:#?}"
    );
    assert!(
        granted.stdout.contains("website: on the school's public website"),
        "{granted:#?}"
    );
    let shown = student.run(&["show"]).await.ok();
    assert!(shown.stdout.contains("yearbook: in the yearbook"), "{shown:#?}");
    let status = student.run(&["status"]).await.ok();
    assert!(
        status.stdout.contains("website: on the school's public website"),
        "{status:#?}"
    );
    let unknown = student
        .run(&["grant", "--media", "photo", "--purpose", "class"])
        .await
        .exits(2);
    assert!(unknown.stderr.contains("internal, website"), "{unknown:#?}");
}

/// A refused publication names each person and gives the true reason: "no
/// consent given" for someone who never gave any, "withdrawn" for someone
/// who withdrew it.
async fn a_refused_publication_names_each_person_and_why(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = admin(&server).await;
    let teacher = staff_member(&server, &admin, "Tess", "teacher").await;
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
    let student = enrolled(&server, &admin, &sam).await;
    student
        .run(&["grant", "--media", "photo", "--purpose", "website"])
        .await
        .ok();
    let photo = teacher.file("photo.jpg");
    std::fs::write(&photo, b"two students").unwrap();
    let receipt = |answer: Value| answer["receipt_id"].as_str().unwrap().to_owned();

    let never = teacher
        .run_with(
            &["check", "--purpose", "website", "--person", &nina, "--json"],
            &photo,
        )
        .await
        .exits(3)
        .json();
    let refused = teacher
        .run(&["publish", "--receipt", &receipt(never), "--channel", "website"])
        .await
        .exits(3);
    assert!(refused.stdout.contains("Nina"), "{refused:#?}");
    assert!(refused.stdout.contains("no consent given"), "{refused:#?}");
    assert!(!refused.stdout.contains("no longer"), "{refused:#?}");

    let allowed = teacher
        .run_with(
            &["check", "--purpose", "website", "--person", &sam, "--json"],
            &photo,
        )
        .await
        .ok()
        .json();
    let allowed = receipt(allowed);
    student.run(&["revoke", "--all"]).await.ok();
    let refused = teacher
        .run(&["publish", "--receipt", &allowed, "--channel", "website"])
        .await
        .exits(3);
    assert!(
        refused.stdout.contains("1 of 1 people in it may not appear"),
        "{refused:#?}"
    );
    assert!(refused.stdout.contains("Sam"), "{refused:#?}");
    assert!(refused.stdout.contains("consent withdrawn"), "{refused:#?}");
    let refused = teacher
        .run(&["publish", "--receipt", &allowed, "--channel", "website", "--json"])
        .await
        .exits(3)
        .json();
    assert_eq!(refused["verdicts"][0]["display_name"], "Sam", "{refused}");
}

/// Printed enrollment codes come with a sheet per class that names each
/// person, and writing codes again over earlier ones is refused (nothing is
/// made) unless --force says so.
async fn enrollment_sheets_name_each_person_and_earlier_codes_are_kept(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = admin(&server).await;
    for (name, external) in [("Sam de Groot", "1001"), ("Yara <Bakker>", "1003")] {
        add_person(
            &admin,
            &[
                "--name",
                name,
                "--group",
                "3B",
                "--birth-date",
                "2009-05-01",
                "--external-id",
                external,
            ],
        )
        .await;
    }
    let lone = add_person(
        &admin,
        &["--name", "Bo", "--group", "4A", "--external-id", "2001"],
    )
    .await;
    let codes = admin.file("codes");
    let out = codes.to_str().unwrap();
    let wrote = admin
        .run(&["enrollment-codes", "--group", "3B", "--out", out])
        .await
        .ok();
    assert!(wrote.stdout.contains("Wrote 2 enrollment codes"), "{wrote:#?}");
    assert!(wrote.stdout.contains("sheet-3B.html"), "{wrote:#?}");
    let sheet = std::fs::read_to_string(codes.join("sheet-3B.html")).unwrap();
    assert!(sheet.contains("Sam de Groot"), "{sheet}");
    assert!(sheet.contains("Yara &lt;Bakker&gt;"), "{sheet}");
    assert!(sheet.contains("Class 3B"), "{sheet}");
    assert_eq!(sheet.matches("data:image/svg+xml;base64,").count(), 2);
    assert_eq!(sheet.matches("<li>").count(), 6, "three lines of help per card");

    let before = std::fs::read(codes.join("1001.png")).unwrap();
    let again = admin
        .run(&["enrollment-codes", "--group", "3B", "--out", out])
        .await
        .exits(1);
    assert!(again.stderr.contains("already exists"), "{again:#?}");
    assert!(
        again.stderr.contains("codes printed earlier still work"),
        "{again:#?}"
    );
    assert!(again.stderr.contains("--force"), "{again:#?}");
    assert_eq!(std::fs::read(codes.join("1001.png")).unwrap(), before);
    // The earlier code still enrolls.
    User::of(&server)
        .run_with(&["enroll", "--photo"], &codes.join("1001.png"))
        .await
        .ok();

    admin
        .run(&["enrollment-codes", "--group", "3B", "--out", out, "--force"])
        .await
        .ok();
    assert_ne!(std::fs::read(codes.join("1001.png")).unwrap(), before);
    let one = admin
        .run(&["enrollment-codes", "--person", &lone, "--out", out])
        .await
        .ok();
    assert!(one.stdout.contains("Wrote 1 enrollment code to"), "{one:#?}");
    assert!(codes.join("sheet-4A.html").exists());
}

/// Staff name people by student number or full name and groups in any case;
/// a photo checked for the website cannot be recorded as posted on Instagram.
async fn staff_name_people_and_channels_as_the_school_does(db: Db) {
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = admin(&server).await;
    let file = admin.file("class.csv");
    std::fs::write(
        &file,
        "external_id,display_name,group,birth_date\n1001,Sam de Groot,3B,2009-05-01\n\
         1002,Noor Jansen,3B,2009-06-01\n1044,Sam de Groot,4A,2008-02-03\n",
    )
    .unwrap();
    admin.run_with(&["people", "import"], &file).await.ok();
    let pia = add_person(&admin, &["--kind", "guardian", "--name", "Pia Jansen"]).await;
    let linked = admin
        .run(&["guardian", "link", "--guardian", "pia jansen", "--child", "1002"])
        .await
        .ok();
    assert!(
        linked
            .stdout
            .starts_with("Pia Jansen is now recorded as a guardian of Noor Jansen"),
        "{linked:#?}"
    );
    let teacher = staff_member(&server, &admin, "Tess", "teacher").await;
    let comms = staff_member(&server, &admin, "Cas", "communications").await;
    let sam = enrolled(&server, &admin, "1001").await;
    sam.run(&["grant", "--media", "photo", "--purpose", "website"])
        .await
        .ok();
    let photo = teacher.file("sports-day.jpg");
    std::fs::write(&photo, b"sports day").unwrap();

    let class = teacher
        .run_with(&["check", "--purpose", "website", "--group", "3b"], &photo)
        .await
        .exits(3);
    assert!(class.stdout.contains("1 of 2 may appear"), "{class:#?}");
    let ambiguous = teacher
        .run_with(
            &["check", "--purpose", "website", "--person", "Sam de Groot"],
            &photo,
        )
        .await
        .exits(1);
    assert!(ambiguous.stderr.contains("ambiguous_person"), "{ambiguous:#?}");
    assert!(
        ambiguous.stderr.contains("Sam de Groot (4A, 1044, id "),
        "{ambiguous:#?}"
    );
    assert!(
        ambiguous.stderr.contains("hint: name that person by external id"),
        "{ambiguous:#?}"
    );
    let checked = teacher
        .run_with(&["check", "--purpose", "website", "--person", "1001"], &photo)
        .await
        .ok();
    assert!(checked.stdout.contains("Sam de Groot"), "{checked:#?}");
    let receipt = checked
        .stdout
        .lines()
        .find_map(|line| line.strip_prefix("Next: consent publish --receipt "))
        .and_then(|rest| rest.strip_suffix(" --channel website"))
        .unwrap_or_else(|| panic!("{checked:#?}"))
        .to_owned();

    let on_instagram = teacher
        .run(&["publish", "--receipt", &receipt, "--channel", "instagram"])
        .await
        .exits(3);
    assert!(
        on_instagram
            .stdout
            .starts_with("NOT RECORDED: channel instagram is social-media; the check was for website"),
        "{on_instagram:#?}"
    );
    let unknown = teacher
        .run(&["publish", "--receipt", &receipt, "--channel", "instagramm"])
        .await
        .exits(1);
    assert!(unknown.stderr.contains("unknown_channel"), "{unknown:#?}");
    assert!(unknown.stderr.contains("consent channels list"), "{unknown:#?}");
    teacher
        .run(&["publish", "--receipt", &receipt, "--channel", "website"])
        .await
        .ok();

    // Administrators keep the channels; a check lists those for its purpose.
    let listed = teacher.run(&["channels", "list"]).await.ok();
    assert!(
        listed
            .stdout
            .lines()
            .any(|line| line.trim_start().starts_with("instagram ") && line.ends_with(" social-media")),
        "{listed:#?}"
    );
    admin
        .run(&["channels", "set", "Hallway Screen", "--purpose", "website"])
        .await
        .ok();
    let again = teacher
        .run_with(&["check", "--purpose", "website", "--person", "1001"], &photo)
        .await
        .ok();
    assert!(
        again
            .stdout
            .contains("(channels for website: hallway screen, website)"),
        "{again:#?}"
    );

    // The takedown list names people, also as CSV.
    sam.run(&["revoke", "--all"]).await.ok();
    let flagged = comms.run(&["publications", "--flagged"]).await.ok();
    assert!(
        flagged
            .stdout
            .contains("TAKE DOWN: Sam de Groot: consent withdrawn (since"),
        "{flagged:#?}"
    );
    let csv = comms.run(&["publications", "--csv"]).await.ok();
    assert!(
        csv.stdout
            .starts_with("publication,published_at,channel,purpose,media_kind,url,people,status"),
        "{csv:#?}"
    );
    assert!(csv.stdout.contains("Sam de Groot: revoked since"), "{csv:#?}");

    let erased = admin.run(&["people", "erase", "1044"]).await.ok();
    assert!(
        erased
            .stdout
            .starts_with("Erased the personal data of Sam de Groot"),
        "{erased:#?}"
    );
    let _ = pia;
}

/// A lost phone: the administrator lists the student's devices, cuts off
/// the lost one; the teacher's check, the scan (online and offline), the
/// publications and the new phone's status and show all say the consent was
/// signed on a device reported lost, and status offers the same choices again.
async fn a_lost_phone_is_cut_off_and_every_surface_says_so(db: Db) {
    const LOST: &str = "signed on a device that was reported lost; give consent again from the new phone";
    let Some(server) = TestServer::start(db).await else {
        return;
    };
    let admin = admin(&server).await;
    let teacher = staff_member(&server, &admin, "Tess", "teacher").await;
    let comms = staff_member(&server, &admin, "Cas", "communications").await;
    let sam = add_person(
        &admin,
        &["--name", "Sam", "--group", "3B", "--birth-date", "2009-05-01"],
    )
    .await;
    let lost = enrolled(&server, &admin, &sam).await;
    let granted = lost
        .run(&[
            "grant",
            "--media",
            "photo,video",
            "--purpose",
            "website,yearbook",
            "--json",
        ])
        .await
        .ok()
        .json();
    let token = granted["token_id"].as_str().unwrap().to_owned();
    let code = granted["text"].as_str().unwrap().to_owned();
    let photo = teacher.file("photo.jpg");
    std::fs::write(&photo, b"sports day").unwrap();
    let receipt = teacher
        .run_with(
            &["check", "--purpose", "website", "--person", &sam, "--json"],
            &photo,
        )
        .await
        .ok()
        .json()["receipt_id"]
        .as_str()
        .unwrap()
        .to_owned();
    teacher
        .run(&["publish", "--receipt", &receipt, "--channel", "website"])
        .await
        .ok();
    teacher.run(&["sync"]).await.ok();

    let listed = admin.run(&["device", "list", "--person", &sam]).await.ok();
    let key_id = admin
        .run(&["device", "list", "--person", &sam, "--json"])
        .await
        .ok()
        .json()[0]["key_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        listed.stdout.contains(&key_id) && listed.stdout.contains("in use"),
        "{listed:#?}"
    );
    let help = admin.run(&["device", "cut-off", "--help"]).await.ok();
    assert!(help.stdout.contains("consent device list --person"), "{help:#?}");
    assert!(!help.stdout.contains("consent status"), "{help:#?}");
    admin.run(&["device", "cut-off", &key_id]).await.ok();
    let new_phone = enrolled(&server, &admin, &sam).await;

    let checked = teacher
        .run_with(&["check", "--purpose", "website", "--person", &sam], &photo)
        .await
        .exits(3);
    assert!(checked.stdout.contains(LOST), "{checked:#?}");
    let scanned = teacher.run(&["scan", &code]).await.exits(3);
    assert!(
        scanned.stdout.starts_with(&format!("NOT VALID: {LOST}")),
        "{scanned:#?}"
    );
    teacher.run(&["sync"]).await.ok();
    let offline = teacher.run(&["scan", "--offline", &code]).await.exits(3);
    assert!(
        offline.stdout.starts_with(&format!("NOT VALID: {LOST}")),
        "{offline:#?}"
    );
    let flagged = comms.run(&["publications", "--flagged"]).await.ok();
    assert!(flagged.stdout.contains(LOST), "{flagged:#?}");

    let status = new_phone.run(&["status"]).await.ok();
    assert!(
        status.stdout.contains(&format!("token {token} is void: {LOST}")),
        "{status:#?}"
    );
    assert!(
        status
            .stdout
            .contains("consent grant --media photo,video --purpose website,yearbook"),
        "{status:#?}"
    );
    let shown = new_phone.run(&["show", &token]).await.exits(1);
    assert!(shown.stderr.contains(LOST), "{shown:#?}");
    new_phone.run(&["show"]).await.exits(1);

    new_phone
        .run(&["grant", "--media", "photo,video", "--purpose", "website,yearbook"])
        .await
        .ok();
    let renewed = new_phone.run(&["status"]).await.ok();
    assert!(!renewed.stdout.contains("consent grant"), "{renewed:#?}");
    new_phone.run(&["show"]).await.ok();
    teacher
        .run_with(&["check", "--purpose", "website", "--person", &sam], &photo)
        .await
        .ok();
}

consent_tests::on_both_databases!(
    a_lost_phone_is_cut_off_and_every_surface_says_so,
    staff_name_people_and_channels_as_the_school_does,
    consent_flows_from_grant_to_takedown,
    class_list_import_enrollment_codes_and_coverage,
    offline_scan_trusts_only_a_fresh_cache,
    parent_co_signs_for_a_young_child,
    online_scan_applies_the_age_rule,
    online_and_offline_scans_of_the_same_codes_agree,
    audit_verify_reports_records_changed_behind_the_logs_back,
    audit_verify_refuses_a_log_that_does_not_extend_a_verified_head,
    refusals_name_the_code_and_what_to_do,
    a_parent_is_told_to_name_their_child,
    scans_name_the_kind_of_code_and_unreadable_is_not_forged,
    purposes_are_read_in_any_case_and_explained,
    a_refused_publication_names_each_person_and_why,
    enrollment_sheets_name_each_person_and_earlier_codes_are_kept,
);

/// Without a server address the client says how to set one; bad arguments exit 2.
#[tokio::test]
async fn usage_and_setup_errors_say_what_to_do() {
    let user = User::without_server();
    let missing = user.run(&["status"]).await.exits(1);
    assert!(missing.stderr.contains("not enrolled"), "{missing:#?}");
    let no_server = user.run(&["publications"]).await.exits(1);
    assert!(
        no_server.stderr.contains("consent config set-server"),
        "{no_server:#?}"
    );
    user.run(&["grant", "--media", "photo"]).await.exits(2);
    user.run(&["check", "photo.jpg", "--purpose", "website"])
        .await
        .exits(2);
    user.run(&["scan", "--max-age", "soon", "consent:x"])
        .await
        .exits(2);

    user.run(&["config", "set-server", "http://127.0.0.1:9"])
        .await
        .ok();
    let shown = user.run(&["config", "show", "--json"]).await.ok().json();
    assert_eq!(shown["server"], "http://127.0.0.1:9");
    assert_eq!(shown["staff_token"], "none");
    let unreachable = user.run(&["--token", "cst_x", "publications"]).await.exits(1);
    assert!(
        unreachable.stderr.contains("cannot reach the consent server"),
        "{unreachable:#?}"
    );

    for command in [
        "config",
        "login",
        "enroll",
        "grant",
        "cosign",
        "show",
        "revoke",
        "status",
        "export",
        "scan",
        "sync",
        "check",
        "publish",
        "publications",
        "takedown",
        "audit",
        "report",
        "people",
        "guardian",
        "staff",
        "enrollment-codes",
        "device",
        "school",
        "channels",
    ] {
        let help = user.run(&[command, "--help"]).await.ok();
        assert!(
            help.stdout.contains("Example") || help.stdout.contains("Commands:"),
            "{command} --help has an example:\n{}",
            help.stdout
        );
    }
}
