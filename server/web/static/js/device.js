// This phone's identities: Ed25519 device keys made by WebCrypto as
// non-extractable keys and kept in IndexedDB. Only the public key ever
// leaves the phone; the private key cannot be read out, not even by this
// page's own scripts.
//
// A phone usually holds one identity (the student's, or the parent's); it
// may hold more (a phone re-enrolled after a new code, a shared family
// phone), each under its key id.

import {
  deviceAuthorization,
  keyId,
  messageToSign,
  nowSeconds,
  requestMessage,
  toHex,
} from "./protocol.js";

const DATABASE = "consent-device";
const STORE = "identities";
const ALGORITHM = { name: "Ed25519" };

/**
 * @typedef {object} Identity One device key and what the phone knows of it.
 * @property {string} id the key id, hex (as the server names the device)
 * @property {string} publicKey the 32-byte public key, hex (what enrollment sends)
 * @property {CryptoKeyPair} keyPair WebCrypto keys; the private one is not extractable
 * @property {number} createdAt Unix seconds
 * @property {object} details what the page recorded about it (e.g. the
 *   server's answer to enrollment: person, school, kind, display_name)
 */

/**
 * Why this browser cannot keep a device key, or null when it can: it needs
 * a secure context (https, or http://localhost), IndexedDB, and WebCrypto
 * with Ed25519 (recent Chromium, Safari 17, Firefox 129). The answer's `code` is stable for pages to translate.
 * @returns {Promise<null | {code: "insecure_context" | "no_indexeddb" | "no_webcrypto" | "no_ed25519", message: string}>}
 */
export async function missingSupport() {
  if (!globalThis.isSecureContext) {
    return { code: "insecure_context", message: "the page is not in a secure context (https or localhost)" };
  }
  if (!globalThis.indexedDB) return { code: "no_indexeddb", message: "this browser does not offer IndexedDB" };
  if (!globalThis.crypto?.subtle) return { code: "no_webcrypto", message: "this browser does not offer WebCrypto" };
  try {
    const pair = await crypto.subtle.generateKey(ALGORITHM, false, ["sign", "verify"]);
    const signature = await crypto.subtle.sign(ALGORITHM, pair.privateKey, new Uint8Array([1]));
    if (signature.byteLength !== 64) throw new Error("an Ed25519 signature is 64 bytes");
  } catch (error) {
    return { code: "no_ed25519", message: `this browser cannot make Ed25519 keys: ${error}` };
  }
  return null;
}

function openDatabase() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DATABASE, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "id" });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** Runs `work(store)` in one transaction and resolves with its request's result. */
async function withStore(mode, work) {
  const database = await openDatabase();
  try {
    return await new Promise((resolve, reject) => {
      const transaction = database.transaction(STORE, mode);
      const request = work(transaction.objectStore(STORE));
      transaction.oncomplete = () => resolve(request.result);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  } finally {
    database.close();
  }
}

/**
 * Makes a new device key (non-extractable) and keeps it in IndexedDB.
 * Enroll it by sending `publicKey` with the enrollment code, then record
 * the server's answer with `updateDetails`.
 * @param {object} [details] anything to keep with it
 * @returns {Promise<Identity>}
 */
export async function createIdentity(details = {}) {
  const keyPair = await crypto.subtle.generateKey(ALGORITHM, false, ["sign", "verify"]);
  const publicKey = new Uint8Array(await crypto.subtle.exportKey("raw", keyPair.publicKey));
  const identity = {
    id: await keyId(publicKey),
    publicKey: toHex(publicKey),
    keyPair,
    createdAt: nowSeconds(),
    details,
  };
  await withStore("readwrite", (store) => store.put(identity));
  return identity;
}

/**
 * Every identity on this phone, oldest first.
 * @returns {Promise<Identity[]>}
 */
export async function listIdentities() {
  const all = await withStore("readonly", (store) => store.getAll());
  return all.sort((a, b) => a.createdAt - b.createdAt);
}

/**
 * The identity with key id `id`, or null.
 * @param {string} id
 * @returns {Promise<Identity | null>}
 */
export async function getIdentity(id) {
  return (await withStore("readonly", (store) => store.get(id))) ?? null;
}

/**
 * Replaces what is recorded about identity `id` (e.g. the enrollment answer).
 * @param {string} id
 * @param {object} details
 * @returns {Promise<Identity>}
 */
export async function updateDetails(id, details) {
  const identity = await getIdentity(id);
  if (!identity) throw new Error(`no identity ${id} on this phone`);
  identity.details = details;
  await withStore("readwrite", (store) => store.put(identity));
  return identity;
}

/**
 * Forgets identity `id`: its key is gone for good (after a new enrollment,
 * or when the school cut the device off).
 * @param {string} id
 * @returns {Promise<void>}
 */
export async function removeIdentity(id) {
  await withStore("readwrite", (store) => store.delete(id));
}

/**
 * Signs `message` with the identity's private key.
 * @param {Identity} identity
 * @param {Uint8Array} message
 * @returns {Promise<Uint8Array>} 64 bytes
 */
export async function sign(identity, message) {
  return new Uint8Array(await crypto.subtle.sign(ALGORITHM, identity.keyPair.privateKey, message));
}

/**
 * This identity's signature over `claims` of `kind` (a grant, or a
 * revocation): what goes into `signatures` of a signed object. A guardian
 * co-signing adds theirs after the child's.
 * @param {Identity} identity
 * @param {string} kind `grant` or `revocation`
 * @param {object} claims
 * @returns {Promise<Uint8Array>}
 */
export async function signClaims(identity, kind, claims) {
  return sign(identity, messageToSign(kind, claims));
}

/**
 * `fetch` signed by this device, as the CLI signs its requests: the
 * `Authorization: Consent-Device ...` header covers the method, the path
 * and query as sent, the time and the body's SHA-256. `body`, when given,
 * is sent as JSON.
 * @param {Identity} identity
 * @param {string} path e.g. `/v1/me`
 * @param {{method?: string, body?: unknown}} [options]
 * @returns {Promise<Response>}
 */
export async function signedFetch(identity, path, { method = "GET", body } = {}) {
  const url = new URL(path, location.origin);
  const bytes = body === undefined ? new Uint8Array(0) : new TextEncoder().encode(JSON.stringify(body));
  const time = nowSeconds();
  const signature = await sign(identity, await requestMessage(method, url.pathname + url.search, time, bytes));
  const headers = { authorization: deviceAuthorization(identity.id, time, signature) };
  if (body !== undefined) headers["content-type"] = "application/json";
  return fetch(url, { method, headers, body: body === undefined ? undefined : bytes });
}
