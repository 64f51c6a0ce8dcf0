// Verifying a school's audit log in the browser, as `consent audit verify`
// does (client-cli/src/commands/comms.rs `verify_chain`, and
// client-cli/src/audit.rs for the heads verified before): the chain is
// recomputed here from the entries' exact text, so what the page says rests
// on the signed head and this browser's own hashing, not on the server's
// word. The hashing itself is the protocol's (../protocol.js).
//
// A problem is a `LogProblem` with a `code` (the message
// `console-audit-problem-<code>` says it in the page's language) and the
// numbers that message needs.

import { decodeSigned, logGenesisHead, Keyring, fromHex, logNextHead, verifyServerSigned } from "../protocol.js";

/** Why a log does not verify. */
export class LogProblem extends Error {
  /**
   * @param {string} code
   * @param {object} args the message's arguments
   */
  constructor(code, args = {}) {
    super(code);
    this.code = code;
    this.args = args;
  }
}

/**
 * The server's published keys (`GET /v1/server-keys`) as a keyring.
 * @param {Array<{key_id: string, public_key: string}>} keys
 * @returns {Promise<Keyring>}
 */
export async function serverKeyring(keys) {
  const keyring = new Keyring();
  for (const key of keys) {
    await keyring.add(fromHex(key.public_key, 32), { type: "server" });
  }
  return keyring;
}

/**
 * Decodes the signed log head's text and verifies its signature strictly
 * against a server key in `keyring`; the claims (`school`, `size`, `head`,
 * `signed_at`, `key`) when it holds.
 * @param {string} text
 * @param {Keyring} keyring
 */
export async function verifiedHead(text, keyring) {
  try {
    return await verifyServerSigned(decodeSigned("log-head", text), keyring);
  } catch (error) {
    throw new LogProblem("head-signature", { reason: error.code ?? "bad_signature" });
  }
}

/**
 * Recomputes the chain over `entries` (`{position, entry, head}`, from
 * position 1 on) from the school's genesis and checks it against the
 * signed head's claims. Says where it breaks first. Returns the heads after
 * 0, 1, ... n entries, for the check against heads verified before.
 * @param {number} school
 * @param {Array<{position: number, entry: string, head: string}>} entries
 * @param {{size: number | bigint, head: string}} signed
 * @param {(done: number) => void} [progress] told every so many entries
 * @returns {Promise<string[]>}
 */
export async function verifyChain(school, entries, signed, progress) {
  let head = await logGenesisHead(school);
  const heads = [head];
  for (let index = 0; index < entries.length; index++) {
    const entry = entries[index];
    const position = index + 1;
    if (entry.position !== position) {
      throw new LogProblem("entry-missing", { position, found: entry.position });
    }
    head = await logNextHead(head, position, entry.entry);
    heads.push(head);
    if (head !== entry.head) {
      throw new LogProblem("entry-altered", { position, entry: entry.entry });
    }
    if (progress && position % 500 === 0) progress(position);
  }
  if (BigInt(entries.length) !== BigInt(signed.size)) {
    throw new LogProblem("size-mismatch", { signed: Number(signed.size), sent: entries.length });
  }
  if (head !== signed.head) {
    throw new LogProblem("head-mismatch", { recomputed: head, signed: signed.head });
  }
  return heads;
}

/**
 * The heads this browser verified, per school, in `localStorage`
 * (`consent-verified-log-heads/<school>`): the page's origin is the server,
 * so each server keeps its own. Every key any instance signs with counts
 * for one log, so a head is held against all of its school's earlier heads,
 * whichever key signed them.
 */
export class VerifiedHeads {
  /**
   * @param {number} school
   * @param {Storage} [storage]
   */
  constructor(school, storage = localStorage) {
    this.storage = storage;
    this.name = `consent-verified-log-heads/${school}`;
    /** @type {Array<{size: number, head: string, signed_at: string, key: string}>} */
    this.heads = [];
    try {
      const kept = JSON.parse(storage.getItem(this.name) ?? "[]");
      if (Array.isArray(kept)) this.heads = kept;
    } catch {
      // A damaged memory is kept as it is for someone to look at, and
      // nothing verifies against it until it reads again.
      throw new LogProblem("memory-unreadable", {});
    }
  }

  /** How many heads are remembered. */
  get count() {
    return this.heads.length;
  }

  /**
   * Checks that the log whose heads after 0, 1, ... n entries are `chain`
   * holds every remembered log as a prefix.
   * @param {string[]} chain
   */
  checkExtends(chain) {
    const size = chain.length - 1;
    for (const earlier of this.heads) {
      const then = { size, earlier: earlier.size, signed_at: earlier.signed_at };
      if (earlier.size > size) throw new LogProblem("entries-removed", then);
      if (chain[earlier.size] !== earlier.head) {
        throw new LogProblem("history-rewritten", { ...then, then: earlier.head, now: chain[earlier.size] });
      }
    }
  }

  /**
   * Remembers a head that verified.
   * @param {{size: number | bigint, head: string, signed_at: string, key: string}} head
   */
  remember(head) {
    const size = Number(head.size);
    if (!this.heads.some((known) => known.size === size && known.head === head.head)) {
      this.heads.push({ size, head: head.head, signed_at: head.signed_at, key: head.key });
      this.storage.setItem(this.name, JSON.stringify(this.heads));
    }
  }
}
