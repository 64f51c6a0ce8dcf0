// The stored record against the log, in the browser, as `consent audit
// verify` compares them (client-cli/src/audit.rs `differences`): the log's
// first `log_size` entries are replayed into the grants, revocations, device
// keys, guardian links, erasures and settings they imply, and every way the
// school's stored record (`GET /v1/audit/record`) differs is listed. Run only
// on entries whose chain verified.
//
// A difference is `{code, args}`: the message `console-audit-diff-<code>`
// says it in the page's language.

import { decodeSigned, signedText, timestampSeconds } from "../protocol.js";
import { LogProblem } from "./log_check.js";

/** A new school's settings, as the schema creates them (the log's
 * `school_created` entry carries none). */
const DEFAULT_CONSENT_AGE = 16;
const DEFAULT_RETENTION_DAYS = 1825;

/** A signed object's id and canonical text, or `null` when it does not decode. */
function canonical(kind, text, idOf) {
  try {
    const signed = decodeSigned(kind, text);
    return { id: idOf(signed.claims), text: signedText(signed), claims: signed.claims };
  } catch {
    return null;
  }
}

const grantOf = (text) => canonical("grant", text, (claims) => claims.token_id);
const revocationOf = (text) => canonical("revocation", text, (claims) => claims.id);

/** The state the log's entries (`{position, entry}`, from 1 on) imply. */
function replay(entries) {
  const state = {
    age: DEFAULT_CONSENT_AGE,
    retention: DEFAULT_RETENTION_DAYS,
    grants: new Map(),
    revocations: new Map(),
    keys: new Map(),
    guardianships: new Set(),
    erased: new Set(),
  };
  for (const { position, entry } of entries) {
    let event;
    try {
      event = JSON.parse(entry);
    } catch {
      throw new LogProblem("entry-unreadable", { position });
    }
    switch (event.type) {
      case "settings_changed":
        state.age = event.digital_consent_age;
        state.retention = event.retention_days;
        break;
      case "guardian_linked":
        state.guardianships.add(`${event.guardian} ${event.child}`);
        break;
      case "key_registered":
        state.keys.set(event.key, { person: event.person, revoked: false });
        break;
      case "key_revoked": {
        const key = state.keys.get(event.key);
        if (key) key.revoked = true;
        break;
      }
      case "person_erased":
        state.erased.add(event.person);
        for (const key of state.keys.values()) key.revoked ||= key.person === event.person;
        for (const link of [...state.guardianships]) {
          if (link.split(" ").includes(event.person)) state.guardianships.delete(link);
        }
        break;
      case "grant": {
        const grant = grantOf(event.token);
        if (!grant) throw new LogProblem("entry-unreadable", { position });
        state.grants.set(grant.id, {
          position,
          text: grant.text,
          notAfter: timestampSeconds(grant.claims.not_after),
          purgeable: false,
        });
        break;
      }
      case "revocation": {
        const revocation = revocationOf(event.revocation);
        if (!revocation) throw new LogProblem("entry-unreadable", { position });
        state.revocations.set(revocation.id, { position, text: revocation.text });
        break;
      }
      case "records_purged":
        if (event.purged?.grants > 0) {
          for (const grant of state.grants.values()) grant.purgeable ||= grant.notAfter < event.older_than;
        }
        break;
      default:
      // The other entries change nothing the record holds.
    }
  }
  return state;
}

/**
 * Every way `record` differs from what the log's verified `entries` imply.
 * @param {Array<{position: number, entry: string}>} entries
 * @param {object} record the answer of `GET /v1/audit/record`
 * @returns {Array<{code: string, args: object}>}
 */
export function recordDifferences(entries, record) {
  const implied = replay(entries.filter((entry) => entry.position <= record.log_size));
  const found = [];
  const differ = (code, args) => found.push({ code, args });

  if (record.digital_consent_age !== implied.age) {
    differ("age", { stored: record.digital_consent_age, logged: implied.age });
  }
  if (record.retention_days !== implied.retention) {
    differ("retention", { stored: record.retention_days, logged: implied.retention });
  }

  const storedGrants = new Map();
  for (const text of record.grants) {
    const grant = grantOf(text);
    if (!grant) throw new LogProblem("record-unreadable", {});
    storedGrants.set(grant.id, grant.text);
  }
  for (const [id, logged] of implied.grants) {
    const stored = storedGrants.get(id);
    if (stored === undefined) {
      if (!logged.purgeable) differ("grant-missing", { id, position: logged.position });
    } else if (stored !== logged.text) {
      differ("grant-differs", { id, position: logged.position });
    }
  }
  for (const id of storedGrants.keys()) {
    if (!implied.grants.has(id)) differ("grant-unlogged", { id });
  }

  const storedRevocations = new Map();
  for (const stored of record.revocations) {
    const revocation = revocationOf(stored.revocation);
    if (!revocation) throw new LogProblem("record-unreadable", {});
    storedRevocations.set(revocation.id, { position: stored.sequence, text: revocation.text });
  }
  for (const [id, logged] of implied.revocations) {
    const stored = storedRevocations.get(id);
    if (stored === undefined) differ("revocation-missing", { id, position: logged.position });
    else if (stored.position !== logged.position || stored.text !== logged.text) {
      differ("revocation-differs", { id, position: logged.position });
    }
  }
  for (const id of storedRevocations.keys()) {
    if (!implied.revocations.has(id)) differ("revocation-unlogged", { id });
  }

  const storedKeys = new Map(record.device_keys.map((key) => [key.key_id, key]));
  for (const [key, logged] of implied.keys) {
    const stored = storedKeys.get(key);
    if (stored === undefined) differ("key-missing", { key });
    else if (stored.person !== logged.person) differ("key-holder", { key, stored: stored.person, logged: logged.person });
    else if (stored.revoked !== logged.revoked) differ(stored.revoked ? "key-cut-off" : "key-in-use", { key });
  }
  for (const key of storedKeys.keys()) {
    if (!implied.keys.has(key)) differ("key-unlogged", { key });
  }

  const storedLinks = new Set(record.guardianships.map((link) => `${link.guardian} ${link.child}`));
  for (const link of implied.guardianships) {
    if (!storedLinks.has(link)) {
      const [guardian, child] = link.split(" ");
      differ("guardian-missing", { guardian, child });
    }
  }
  for (const link of storedLinks) {
    if (!implied.guardianships.has(link)) {
      const [guardian, child] = link.split(" ");
      differ("guardian-unlogged", { guardian, child });
    }
  }

  const storedErased = new Set(record.erased);
  for (const person of implied.erased) {
    if (!storedErased.has(person)) differ("erased-missing", { person });
  }
  for (const person of storedErased) {
    if (!implied.erased.has(person)) differ("erased-unlogged", { person });
  }
  return found;
}
