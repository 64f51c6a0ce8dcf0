// What the teacher's pages share: refusals and verdicts in plain words.

import { explain, lang, t } from "./common.js";

/**
 * A refusal in words: the teacher pages' own message for its code
 * (`teacher-err-<code>`) where there is one, else the console's.
 */
export function explainTeacher(error) {
  const id = `teacher-err-${(error?.code ?? "other").replaceAll("_", "-")}`;
  const text = t(id);
  return text === id ? explain(error) : text;
}

/** Items as a list in words ("photos, videos and sound recordings"). */
export function listOf(items) {
  return new Intl.ListFormat(lang, { type: "conjunction" }).format(items);
}

/** A purpose's name in words. */
export function purposeName(purpose) {
  return t(`teacher-purpose-${purpose}`);
}

/** Why a person may or may not appear, in words. */
export function outcomeWords(outcome) {
  const id = `teacher-outcome-${outcome.replaceAll("_", "-")}`;
  const text = t(id);
  return text === id ? t("teacher-outcome-other") : text;
}
