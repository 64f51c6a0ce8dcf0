// What every page script shares: the page's texts, this phone's enrolled
// identity, the API (signed as the CLI signs), the cached record, dates in
// words, QR codes, and error messages in the user's language.

import { encode } from "../../vendor/uqr/uqr.mjs";
import { listIdentities, missingSupport, signedFetch } from "../device.js";

const messages = JSON.parse(document.getElementById("messages").textContent);

/** The page's language tag (`nl` or `en`). */
export const lang = document.documentElement.lang;

/** Message `id` in the page's language, with `{name}` filled from `values`. */
export function t(id, values = {}) {
  const text = messages[id] ?? id;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

/** The element with `id`. */
export const $ = (id) => document.getElementById(id);

/** Shows `element` and moves the focus to it when asked. */
export function reveal(element, focus = false) {
  element.hidden = false;
  if (focus) element.focus();
}

/** A copy of the page's `<template id=...>` content. */
export function fromTemplate(id) {
  return $(id).content.firstElementChild.cloneNode(true);
}

/** Adds a "label: value" line to a `<dl>`. */
export function addFact(list, label, value) {
  const fact = fromTemplate("fact");
  fact.querySelector("dt").textContent = label;
  fact.querySelector("dd").textContent = value;
  list.append(fact);
}

// The language switch keeps what follows `#` (an enrollment code, a
// pending consent), which the server never sees.
for (const link of document.querySelectorAll("[data-keep-fragment]")) {
  link.addEventListener("click", () => {
    if (location.hash) link.href = link.href.split("#")[0] + location.hash;
  });
}

// Installable and usable offline: the service worker keeps the pages.
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js").catch(() => {});
}

/** A refusal by the server (a problem document) or no answer at all (`network`). */
export class Problem extends Error {
  constructor(code, status = 0) {
    super(code);
    this.code = code;
    this.status = status;
  }
}

/** The message for a problem or a thrown error, in the page's language. */
export function explain(error) {
  const code = error?.code ?? "other";
  const known = {
    network: "err-network",
    no_ed25519: "err-unsupported",
    no_webcrypto: "err-unsupported",
    no_indexeddb: "err-unsupported",
    insecure_context: "err-unsupported",
    bad_enrollment_code: "err-bad-code",
    too_many_requests: "err-too-many",
    unauthorized: "err-cut-off",
    revoked_key: "err-cut-off",
    unknown_key: "err-cut-off",
    guardian_missing: "err-guardian-missing",
    issued_in_future: "err-clock",
    expired: "err-clock",
    not_enrolled: "err-not-enrolled",
    unknown_token: "err-unknown-token",
  };
  return known[code] ? t(known[code]) : t("err-other", { code });
}

/** Shows `error` in the page's error box and moves the focus there. */
export function showError(error, box = $("error")) {
  box.textContent = "";
  const text = document.createElement("p");
  text.textContent = typeof error === "string" ? error : explain(error);
  box.append(text);
  reveal(box, true);
}

/** Hides the page's error box. */
export function clearError(box = $("error")) {
  box.hidden = true;
}

/** Why this browser cannot be used, as a problem, or null. */
export async function unsupported() {
  const missing = await missingSupport();
  if (missing) {
    reveal($("unsupported"));
    return new Problem(missing.code);
  }
  return null;
}

async function answer(response) {
  if (response.ok) return response.status === 204 ? null : response.json();
  let code = "other";
  try {
    code = (await response.json()).code ?? code;
  } catch {
    // Not a problem document: keep the generic code.
  }
  throw new Problem(code, response.status);
}

/** A JSON request without credentials (enrolling, submitting signed objects). */
export async function post(path, body) {
  let response;
  try {
    response = await fetch(path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch {
    throw new Problem("network");
  }
  return answer(response);
}

/** A request signed with this phone's device key. */
export async function signed(identity, path, options) {
  let response;
  try {
    response = await signedFetch(identity, path, options);
  } catch {
    throw new Problem("network");
  }
  return answer(response);
}

/** This phone's enrolled identity (the newest), or null. */
export async function enrolledIdentity() {
  const identities = await listIdentities();
  return identities.filter((identity) => identity.details?.person).at(-1) ?? null;
}

/** The identity, or a `not_enrolled` problem. */
export async function requireIdentity() {
  const identity = await enrolledIdentity();
  if (!identity) throw new Problem("not_enrolled");
  return identity;
}

const RECORD_KEY = "consent.record";

/** The copy of the record kept on this phone for `identity`, or null. */
export function keptRecord(identity) {
  const kept = JSON.parse(localStorage.getItem(RECORD_KEY) ?? "null");
  return kept?.key === identity.id ? { record: kept.record, fetchedAt: kept.fetchedAt, offline: true } : null;
}

/**
 * The person's record: fresh from the server when it answers, else the copy
 * kept on this phone. Returns `{record, fetchedAt, offline}`.
 */
export async function loadRecord(identity) {
  try {
    const record = await signed(identity, "/v1/me");
    const kept = { key: identity.id, record, fetchedAt: Date.now() };
    localStorage.setItem(RECORD_KEY, JSON.stringify(kept));
    return { record, fetchedAt: kept.fetchedAt, offline: false };
  } catch (error) {
    const kept = keptRecord(identity);
    if (error.code === "network" && kept) return kept;
    throw error;
  }
}

/** Everyone in a record: the person, then their children. */
export function everyone(record) {
  return [record, ...(record.children ?? [])];
}

/** A person's name as the record has it. */
export function nameOf(person) {
  return person.display_name ?? person.id;
}

/** Unix seconds or RFC 3339 text as a date in words ("31 July 2027"). */
export function day(moment) {
  const date = typeof moment === "number" ? new Date(moment * 1000) : new Date(moment);
  return new Intl.DateTimeFormat(lang, { dateStyle: "long" }).format(date);
}

/** Unix seconds as a date and time in words. */
export function dayAndTime(moment) {
  return new Intl.DateTimeFormat(lang, { dateStyle: "long", timeStyle: "short" }).format(new Date(moment * 1000));
}

/** How long ago `milliseconds` was, in words ("5 minutes ago"). */
export function ago(milliseconds) {
  const seconds = Math.round((milliseconds - Date.now()) / 1000);
  const format = new Intl.RelativeTimeFormat(lang, { numeric: "auto" });
  const units = [
    ["day", 86400],
    ["hour", 3600],
    ["minute", 60],
  ];
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return format.format(Math.round(seconds / size), unit);
  }
  return format.format(seconds, "second");
}

/** Names in a list in words ("photos and videos"). */
export function inWords(ids) {
  return new Intl.ListFormat(lang, { type: "conjunction" }).format(ids.map((id) => t(`name-${id}`)));
}

/** What a grant allows, as facts for a `<dl>`. */
export function grantFacts(list, grant, who) {
  if (who) addFact(list, t("fact-person"), who);
  addFact(list, t("fact-media"), inWords(grant.media));
  addFact(list, t("fact-purposes"), inWords(grant.purposes));
  addFact(list, t("fact-from"), day(grant.not_before));
  addFact(list, t("fact-until"), day(grant.not_after));
}

/** A token's standing in words ("valid", "withdrawn on 3 May 2027"). */
export function standingInWords(standing) {
  if (standing.status === "revoked") return t("standing-revoked", { date: day(standing.since) });
  if (standing.status === "expired") return t("standing-expired", { date: day(standing.since) });
  return t("standing-valid");
}

/** Who signed a grant, in words, from the record of its subject. */
export function signersInWords(grant, person) {
  const name = nameOf(person.person);
  const guardian = (key) =>
    person.guardians?.find((entry) => entry.key_ids.includes(key))?.display_name ?? t("a-parent");
  if (grant.signers.by === "subject") return t("signer-subject", { name });
  if (grant.signers.by === "guardian") return t("signer-guardian", { guardian: guardian(grant.signers.key) });
  return t("signer-both", { name, guardian: guardian(grant.signers.guardian) });
}

/** Says how fresh the status shown is, from when the record was fetched. */
export function sayFreshness(element, { fetchedAt, offline }) {
  if (offline) element.textContent = t("fresh-offline", { when: ago(fetchedAt) });
  else if (Date.now() - fetchedAt < 60_000) element.textContent = t("fresh-now");
  else element.textContent = t("fresh-when", { when: ago(fetchedAt) });
}

const SVG = "http://www.w3.org/2000/svg";

/**
 * Draws `text` as a QR code (byte mode, error correction M, as the protocol
 * says) into `figure`: one SVG path, black on white, with the quiet zone.
 */
export function drawQr(figure, text) {
  const { data, size } = encode(text, { ecc: "M", border: 4 });
  let path = "";
  data.forEach((row, y) =>
    row.forEach((dark, x) => {
      if (dark) path += `M${x} ${y}h1v1h-1z`;
    }),
  );
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${size} ${size}`);
  svg.setAttribute("shape-rendering", "crispEdges");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const background = document.createElementNS(SVG, "rect");
  background.setAttribute("width", size);
  background.setAttribute("height", size);
  background.setAttribute("fill", "#fff");
  const modules = document.createElementNS(SVG, "path");
  modules.setAttribute("d", path);
  modules.setAttribute("fill", "#000");
  svg.append(background, modules);
  figure.replaceChildren(svg);
}
