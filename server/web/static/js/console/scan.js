// Scan: read a student's consent code with the camera or from a photo, and
// say in words whether it is genuine, whether it stands and what it allows.

import { $, addFact, clearError, day, reveal, showError, t } from "./common.js";
import { cameraAvailable, codeReader, judge, verdict } from "./codes.js";
import { explainTeacher, listOf } from "./teacher.js";

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

codeReader(show);

$("again").addEventListener("click", () => {
  $("result").hidden = true;
  $("reader").hidden = false;
  (cameraAvailable() ? $("camera-start") : $("code-photo")).focus();
});
