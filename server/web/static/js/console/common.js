// What every console page shares, beside what every page does (../page.js,
// re-exported here): the JSON API with the signed-in session, and errors in
// the page's language.
//
// The session lives in an HttpOnly cookie the browser sends by itself; a
// change also carries the session's CSRF token, which the server put in
// this page's <meta name="csrf-token">. A page no other site can read is
// the only place that token is.

import { Problem, answer, showErrorText, t } from "../page.js";

export * from "../page.js";

const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? "";

/**
 * Calls the API: `method` on `path`, with `body` as JSON when given.
 * Answers the JSON (null for 204); throws a `Problem` for a refusal. An
 * ended session goes back to the sign-in page, returning here afterwards.
 */
export async function api(method, path, body) {
  const headers = { accept: "application/json" };
  if (method !== "GET") headers["x-csrf-token"] = csrf;
  if (body !== undefined) headers["content-type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch {
    throw new Problem("network");
  }
  if (response.status === 401) {
    location.assign(`/console/sign-in?next=${encodeURIComponent(location.pathname)}`);
    throw new Problem("unauthorized", 401);
  }
  return answer(response);
}

/** The message for a problem, in the page's language; `detail` is the server's words. */
export function explain(error) {
  const code = error?.code ?? "other";
  if (code === "network") return t("console-err-network");
  if (code === "unauthorized") return t("console-err-signed-out");
  if (code === "forbidden") return t("console-err-forbidden");
  const specific = `console-err-${code.replaceAll("_", "-")}`;
  const text = t(specific);
  return text === specific ? t("console-err-other", { code }) : text;
}

/** Shows `error` (a problem or a text) in the page's error box. */
export function showError(error, box) {
  showErrorText(typeof error === "string" ? error : explain(error), box);
}
