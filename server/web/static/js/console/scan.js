// Scan: read a student's consent code with the camera or from a photo, and
// say in words whether it is genuine, whether it stands and what it allows.

import { $, addFact, clearError, day, reveal, showError, t } from "./common.js";
import { cameraAvailable, judge, readPhoto, scanLive, verdict } from "./codes.js";
import { explainTeacher, listOf } from "./teacher.js";

let stopCamera = null;

function cameraStopped() {
  stopCamera?.();
  stopCamera = null;
  $("camera").hidden = true;
  $("camera-stop").hidden = true;
  $("camera-start").hidden = !cameraAvailable();
}

async function show(text) {
  clearError();
  $("reading").textContent = t("teacher-scan-checking");
  try {
    const scan = await judge(text);
    const { tone, headline, why } = verdict(scan);
    $("result-notice").className = `notice notice-${tone}`;
    $("result-title").textContent = t(headline);
    const reason = t(why);
    $("result-why").textContent = reason === why ? t("teacher-scan-error-other") : reason;
    const facts = $("result-facts");
    facts.replaceChildren();
    const person = scan.person;
    addFact(facts, t("teacher-fact-who"), person.display_name ?? t("teacher-erased"));
    if (person.group) addFact(facts, t("teacher-fact-class"), person.group);
    addFact(facts, t("teacher-fact-genuine"), t(scan.genuine ? "teacher-yes" : "teacher-no"));
    addFact(facts, t("teacher-fact-standing"), t(`teacher-standing-${scan.standing.replaceAll("_", "-")}`));
    addFact(
      facts,
      t("teacher-fact-allows"),
      scan.allowed_media.length
        ? t("teacher-allows", {
            media: listOf(scan.allowed_media.map((kind) => t(`teacher-media-${kind}`))),
            purposes: listOf(scan.allowed_purposes.map((purpose) => t(`teacher-purpose-${purpose}`))),
          })
        : t("teacher-allows-nothing"),
    );
    addFact(facts, t("teacher-fact-until"), day(scan.grant.not_after));
    addFact(
      facts,
      t("teacher-fact-guardian"),
      t(scan.guardian_signed ? "teacher-guardian-signed" : scan.guardian_required ? "teacher-guardian-needed" : "teacher-guardian-not-needed"),
    );
    $("reader").hidden = true;
    reveal($("result"), true);
  } catch (error) {
    showError(explainTeacher(error));
  } finally {
    $("reading").textContent = "";
  }
}

$("camera-start").hidden = !cameraAvailable();
$("camera-start").addEventListener("click", async () => {
  clearError();
  try {
    reveal($("camera"));
    $("camera-start").hidden = true;
    $("camera-stop").hidden = false;
    stopCamera = await scanLive($("video"), (text) => {
      cameraStopped();
      show(text);
    });
  } catch {
    cameraStopped();
    showError(t("teacher-camera-refused"));
  }
});
$("camera-stop").addEventListener("click", cameraStopped);

$("code-photo").addEventListener("change", async (event) => {
  const file = event.target.files[0];
  if (!file) return;
  clearError();
  $("reading").textContent = t("teacher-scan-reading");
  try {
    const text = await readPhoto(file);
    await show(text);
  } catch (error) {
    $("reading").textContent = "";
    showError(explainTeacher(error));
  } finally {
    event.target.value = "";
  }
});

$("again").addEventListener("click", () => {
  $("result").hidden = true;
  $("reader").hidden = false;
  (cameraAvailable() ? $("camera-start") : $("code-photo")).focus();
});
