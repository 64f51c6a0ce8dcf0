// What the administrator's pages share: their own error texts, names of
// kinds and roles, and small table helpers.

import { explain, showError, t } from "./common.js";

export * from "./common.js";

/** The words for a problem: this part's own message when it has one. */
export function explainAdmin(error) {
  const code = error?.code;
  if (code) {
    const id = `console-admin-err-${code.replaceAll("_", "-")}`;
    const text = t(id);
    if (text !== id) return text;
  }
  return explain(error);
}

/** Shows `error` (a problem or a text) in the page's error box. */
export function showAdminError(error, box) {
  showError(typeof error === "string" ? error : explainAdmin(error), box);
}

/** "student" or "guardian" in the page's words. */
export function kindName(kind) {
  return t(`console-admin-kind-${kind}`);
}

/** The path segment naming a person or staff member. */
export function segment(value) {
  return encodeURIComponent(String(value));
}

/** Sets the text of the element matching `selector` inside `root`. */
export function fill(root, selector, text) {
  root.querySelector(selector).textContent = text ?? "";
}
