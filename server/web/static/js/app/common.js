// What every page of the phone app shares, beside what every page does
// (../page.js, re-exported here): this phone's enrolled identity, the API
// (signed as the CLI signs), the cached record, consent in words, and error
// messages in the user's language.

import { listIdentities, missingSupport, signedFetch } from "../device.js";
import { $, Problem, addFact, ago, answer, day, lang, reveal, showErrorText, t } from "../page.js";

export * from "../page.js";

// Installable and usable offline: the service worker keeps the pages.
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js").catch(() => {});
}

/** Shows `error` (a problem or a text) in the page's error box. */
export function showError(error, box = $("error")) {
  showErrorText(typeof error === "string" ? error : explain(error), box);
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

/** Why this browser cannot be used, as a problem, or null. */
export async function unsupported() {
  const missing = await missingSupport();
  if (missing) {
    reveal($("unsupported"));
    return new Problem(missing.code);
  }
  return null;
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

