// The consent protocol in the browser: exactly the bytes docs/protocol.md
// specifies and the Rust crate `consent-protocol` (protocol/src) writes and
// reads, tested against protocol/vectors/v1.json in real Chromium
// (tests/tests/browser_protocol.rs).
//
// Decoded objects have the same shape as the Rust crate's JSON (and so the
// server's API): ids and hashes as lowercase hex, timestamps as RFC 3339
// text ("2027-07-31T23:59:59Z"), media kinds and purposes by name. Errors are
// `ProtocolError`s carrying the crate's stable codes, checked in the crate's
// order, so a refused object gets the same code in Rust and here.
//
// Pure: no dependencies, no storage, no network. Signing keys live in
// device.js; hashing and signature checks use WebCrypto (SHA-256, Ed25519).

/** The protocol version this module writes and reads. */
export const VERSION = 1;

/** The scheme prefix of every consent code. */
export const PREFIX = "consent:";

/** The longest consent text accepted, in UTF-8 bytes (as the Rust crate counts). */
export const MAX_TEXT_LEN = 96 * 1024;

/** How far a signer's clock may run ahead of the verifier's, in seconds. */
export const MAX_CLOCK_SKEW_SECONDS = 300;

/** The scheme of a signed request's `Authorization` header, with its space. */
export const DEVICE_SCHEME = "Consent-Device ";

/** The most verdicts one receipt holds. */
export const MAX_VERDICTS = 2000;

/** The kinds of signed object, by name, with their kind byte. */
export const KINDS = Object.freeze({
  grant: 1,
  revocation: 2,
  receipt: 3,
  "log-head": 4,
  request: 5,
  "revocation-list": 6,
  "guardian-dates": 7,
});

/** Media kinds in bit order: bit 0 photo, 1 video, 2 audio. */
export const MEDIA_KINDS = Object.freeze(["photo", "video", "audio"]);

/** The named purposes in bit order (bits 6 to 15 are `purpose-N`). */
export const NAMED_PURPOSES = Object.freeze(["internal", "website", "social-media", "newsletter", "yearbook", "press"]);

/** Signer roles by byte: 0 subject, 1 guardian, 2 school. */
export const ROLES = Object.freeze(["subject", "guardian", "school"]);

/** Receipt outcomes by byte. */
export const OUTCOMES = Object.freeze([
  "allowed",
  "no_consent",
  "revoked",
  "expired",
  "not_yet_valid",
  "wrong_media_kind",
  "wrong_purpose",
  "guardian_missing",
  "device_lost",
  "student_must_confirm",
]);

/**
 * A refusal with a stable code from docs/protocol.md ("bad_encoding",
 * "truncated", "bad_signature", ...). The message is for people (English,
 * for logs); pages translate the code.
 */
export class ProtocolError extends Error {
  /**
   * @param {string} code the stable code
   * @param {string} message what went wrong
   */
  constructor(code, message) {
    super(message);
    this.name = "ProtocolError";
    /** @type {string} */
    this.code = code;
  }
}

function refuse(code, message) {
  throw new ProtocolError(code, message);
}

// ---------------------------------------------------------------------------
// Bytes, hex, base64url, text form

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const VALUES = new Map([...ALPHABET].map((char, index) => [char, index]));

/**
 * Unpadded base64url (RFC 4648 §5) of `bytes`.
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function base64urlEncode(bytes) {
  let text = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const chunk = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let c = 0; c < chars; c++) text += ALPHABET[(chunk >> (18 - 6 * c)) & 63];
  }
  return text;
}

/**
 * The bytes of unpadded, canonical base64url. Padding, characters outside
 * the alphabet, an impossible length and non-zero unused low bits are all
 * refused with `bad_encoding`, so each byte string has one text.
 * @param {string} text
 * @returns {Uint8Array}
 */
export function base64urlDecode(text) {
  if (text.length % 4 === 1) refuse("bad_encoding", "not valid unpadded base64url");
  const bytes = new Uint8Array(Math.floor((text.length * 6) / 8));
  let bits = 0;
  let count = 0;
  let out = 0;
  for (const char of text) {
    const value = VALUES.get(char);
    if (value === undefined) refuse("bad_encoding", "not valid unpadded base64url");
    bits = ((bits << 6) | value) & 0xfff;
    count += 6;
    if (count >= 8) {
      count -= 8;
      bytes[out++] = (bits >> count) & 0xff;
    }
  }
  if ((bits & ((1 << count) - 1)) !== 0) refuse("bad_encoding", "the last character has unused bits set");
  return bytes;
}

/**
 * Lowercase hexadecimal of `bytes`.
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function toHex(bytes) {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * The bytes of lowercase hexadecimal text of exactly `length` bytes (ids,
 * keys); anything else throws a `TypeError`, as the Rust id parsers refuse it.
 * @param {string} text
 * @param {number} length expected number of bytes
 * @returns {Uint8Array}
 */
export function fromHex(text, length) {
  if (typeof text !== "string" || text.length !== 2 * length || !/^[0-9a-f]*$/.test(text)) {
    throw new TypeError(`expected ${2 * length} lowercase hexadecimal characters`);
  }
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

// The white space Rust's `str::trim` removes (Unicode White_Space), which is
// not quite JavaScript's `trim` (that one also removes U+FEFF, and keeps U+0085).
const WHITE_SPACE = "[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
const SURROUNDING_WHITE_SPACE = new RegExp(`^${WHITE_SPACE}+|${WHITE_SPACE}+$`, "gu");

/**
 * A consent code for `bytes`: `consent:` and unpadded base64url.
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function toText(bytes) {
  return PREFIX + base64urlEncode(bytes);
}

/**
 * The bytes of a consent code. White space around it is ignored (scanners
 * and copy-paste add it); a text over MAX_TEXT_LEN UTF-8 bytes is refused
 * (`too_long`) before anything else, then a wrong prefix (`bad_prefix`),
 * then anything but canonical unpadded base64url (`bad_encoding`).
 * @param {string} text
 * @returns {Uint8Array}
 */
export function fromText(text) {
  const trimmed = text.replace(SURROUNDING_WHITE_SPACE, "");
  const length = new TextEncoder().encode(trimmed).length;
  if (length > MAX_TEXT_LEN) refuse("too_long", `the code is too long: ${length} bytes, at most ${MAX_TEXT_LEN}`);
  if (!trimmed.startsWith(PREFIX)) refuse("bad_prefix", `not a consent code: the text must start with "${PREFIX}"`);
  return base64urlDecode(trimmed.slice(PREFIX.length));
}

// ---------------------------------------------------------------------------
// Timestamps: u32 seconds since 1970, shown as RFC 3339 in UTC

/**
 * RFC 3339 text (`2027-07-31T23:59:59Z`) of Unix seconds.
 * @param {number} seconds whole seconds, 0 to 2^32 - 1
 * @returns {string}
 */
export function timestampText(seconds) {
  return new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
}

/**
 * Unix seconds of RFC 3339 text in UTC with whole seconds, as decoded
 * objects carry them. Throws a `TypeError` for anything else or a moment
 * outside 1970 to 2106.
 * @param {string} text
 * @returns {number}
 */
export function timestampSeconds(text) {
  if (typeof text !== "string" || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(text)) {
    throw new TypeError(`not an RFC 3339 moment in UTC: ${text}`);
  }
  const millis = Date.parse(text);
  const seconds = millis / 1000;
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 0xffffffff || timestampText(seconds) !== text) {
    throw new TypeError(`not a moment the protocol can hold: ${text}`);
  }
  return seconds;
}

/**
 * The default end of a consent given at `seconds`: 31 July, 23:59:59 UTC,
 * of the year the current school year ends (from 1 August on, the next
 * year's), as Unix seconds.
 * @param {number} seconds now, as Unix seconds
 * @returns {number}
 */
export function endOfSchoolYear(seconds) {
  const now = new Date(seconds * 1000);
  const year = now.getUTCMonth() > 6 ? now.getUTCFullYear() + 1 : now.getUTCFullYear();
  return Math.min(Date.UTC(year, 6, 31, 23, 59, 59) / 1000, 0xffffffff);
}

// ---------------------------------------------------------------------------
// Scope: media kinds and purposes

/**
 * The name of purpose bit `bit` (0 to 15): a named purpose or `purpose-N`.
 * @param {number} bit
 * @returns {string}
 */
export function purposeName(bit) {
  return NAMED_PURPOSES[bit] ?? `purpose-${bit}`;
}

/**
 * The bit of a purpose name (`website`, `purpose-9`, ...), as the Rust
 * crate parses it; throws a `TypeError` for an unknown name.
 * @param {string} name
 * @returns {number}
 */
export function purposeBit(name) {
  const named = NAMED_PURPOSES.indexOf(name);
  if (named >= 0) return named;
  const match = /^purpose-(0|[1-9][0-9]*)$/.exec(name);
  if (match && Number(match[1]) < 16) return Number(match[1]);
  throw new TypeError(`unknown purpose ${JSON.stringify(name)}`);
}

function mediaBits(names) {
  let bits = 0;
  for (const name of names) {
    const bit = MEDIA_KINDS.indexOf(name);
    if (bit < 0) throw new TypeError(`unknown media kind ${JSON.stringify(name)}: use photo, video or audio`);
    bits |= 1 << bit;
  }
  if (bits === 0) throw new TypeError("name at least one media kind");
  return bits;
}

function purposeBits(names) {
  let bits = 0;
  for (const name of names) bits |= 1 << purposeBit(name);
  if (bits === 0) throw new TypeError("name at least one purpose");
  return bits;
}

function mediaNames(bits) {
  return MEDIA_KINDS.filter((_, bit) => bits & (1 << bit));
}

function purposeNames(bits) {
  const names = [];
  for (let bit = 0; bit < 16; bit++) if (bits & (1 << bit)) names.push(purposeName(bit));
  return names;
}

// ---------------------------------------------------------------------------
// The byte reader and writer

/** `value` as `size` big-endian bytes. */
function bigEndian(value, size) {
  return new Writer(null).uint(value, size).finish();
}

class Writer {
  /** Starts an object of `kind` with its version and kind bytes, or bare bytes for `null`. */
  constructor(kind) {
    this.bytes = kind === null ? [] : [VERSION, KINDS[kind]];
  }
  raw(bytes) {
    for (const byte of bytes) this.bytes.push(byte);
    return this;
  }
  hex(text, length) {
    return this.raw(fromHex(text, length));
  }
  u8(value) {
    return this.uint(value, 1);
  }
  u16(value) {
    return this.uint(value, 2);
  }
  u32(value) {
    return this.uint(value, 4);
  }
  u64(value) {
    return this.uint(value, 8);
  }
  /** An unsigned integer (a Number, or a BigInt for 64 bits) in `size` big-endian bytes. */
  uint(value, size) {
    const big = typeof value === "bigint" ? value : Number.isInteger(value) ? BigInt(value) : -1n;
    if (big < 0n || big >= 1n << BigInt(8 * size)) throw new TypeError(`${value} does not fit ${8 * size} bits`);
    for (let shift = BigInt(8 * (size - 1)); shift >= 0n; shift -= 8n) this.bytes.push(Number((big >> shift) & 0xffn));
    return this;
  }
  time(text) {
    return this.u32(timestampSeconds(text));
  }
  finish() {
    return Uint8Array.from(this.bytes);
  }
}

class Reader {
  constructor(bytes, kind) {
    this.bytes = bytes;
    this.at = 0;
    const version = this.u8("version");
    if (version !== VERSION) {
      refuse("unknown_version", `unknown protocol version ${version}; this software understands version ${VERSION}`);
    }
    const found = this.u8("kind");
    if (found !== KINDS[kind]) {
      const name = Object.keys(KINDS).find((key) => KINDS[key] === found) ?? "unknown object";
      refuse("wrong_kind", `this is a ${name}, not a ${kind}`);
    }
  }
  take(length, field) {
    if (this.bytes.length - this.at < length) refuse("truncated", `the code ends in the middle of the ${field}`);
    const slice = this.bytes.slice(this.at, this.at + length);
    this.at += length;
    return slice;
  }
  hex(length, field) {
    return toHex(this.take(length, field));
  }
  u8(field) {
    return this.take(1, field)[0];
  }
  u16(field) {
    const [a, b] = this.take(2, field);
    return (a << 8) | b;
  }
  u32(field) {
    const b = this.take(4, field);
    return ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
  }
  /** A u64 as a Number when exact (every realistic log size), else a BigInt. */
  u64(field) {
    let value = 0n;
    for (const byte of this.take(8, field)) value = (value << 8n) | BigInt(byte);
    return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  }
  time(field) {
    return timestampText(this.u32(field));
  }
  signature() {
    return parseSignature(this.take(64, "signature"));
  }
  finish() {
    const rest = this.bytes.length - this.at;
    if (rest !== 0) refuse("trailing_bytes", `the code has ${rest} unexpected bytes after its end`);
  }
}

function nonCanonical(rule) {
  refuse("non_canonical", `the code is not canonical: ${rule}`);
}

// ---------------------------------------------------------------------------
// Claims of each kind: encode (exactly what is signed, after the domain)
// and read

function grantSigners(signers) {
  switch (signers.by) {
    case "subject":
      return [["subject", signers.key]];
    case "guardian":
      return [["guardian", signers.key]];
    case "subject-and-guardian":
      return [
        ["subject", signers.subject],
        ["guardian", signers.guardian],
      ];
    default:
      throw new TypeError(`unknown signers ${JSON.stringify(signers.by)}`);
  }
}

/**
 * The signers of a grant in signing order, each `[role, keyIdHex]`.
 * @param {Grant} grant
 * @returns {Array<[string, string]>}
 */
export function signersInOrder(grant) {
  return grantSigners(grant.signers);
}

const CLAIMS = {
  grant: {
    write(writer, grant) {
      writer
        .hex(grant.token_id, 16)
        .u32(grant.school)
        .hex(grant.subject, 16)
        .u8(mediaBits(grant.media))
        .u16(purposeBits(grant.purposes))
        .time(grant.issued_at)
        .time(grant.not_before)
        .time(grant.not_after);
      const signers = grantSigners(grant.signers);
      writer.u8(signers.length);
      for (const [role, key] of signers) writer.u8(ROLES.indexOf(role)).hex(key, 8);
    },
    read(reader) {
      const token_id = reader.hex(16, "token id");
      const school = reader.u32("school id");
      const subject = reader.hex(16, "subject id");
      const media = reader.u8("media kinds");
      if (media === 0 || (media & ~0b111) !== 0) nonCanonical("media kinds must be a non-empty set of photo, video and audio");
      const purposes = reader.u16("purposes");
      if (purposes === 0) nonCanonical("purposes must not be empty");
      const issued = reader.u32("issued at");
      const notBefore = reader.u32("not before");
      const notAfter = reader.u32("not after");
      if (notAfter < notBefore) refuse("invalid_window", "the validity window ends before it starts");
      // As the Rust reader: up to two signers are read before the count and
      // roles are judged, so a short input is `truncated` first.
      const count = reader.u8("signer count");
      const read = [];
      for (let i = 0; i < Math.min(count, 2); i++) {
        const role = reader.u8("signer role");
        read.push([role, reader.hex(8, "signer key id")]);
      }
      let signers;
      if (count === 1 && read[0][0] === 0) signers = { by: "subject", key: read[0][1] };
      else if (count === 1 && read[0][0] === 1) signers = { by: "guardian", key: read[0][1] };
      else if (count === 2 && read[0][0] === 0 && read[1][0] === 1 && read[0][1] !== read[1][1]) {
        signers = { by: "subject-and-guardian", subject: read[0][1], guardian: read[1][1] };
      } else {
        nonCanonical("a grant is signed by the subject, a guardian, or the subject then a guardian with another key");
      }
      return {
        token_id,
        school,
        subject,
        media: mediaNames(media),
        purposes: purposeNames(purposes),
        issued_at: timestampText(issued),
        not_before: timestampText(notBefore),
        not_after: timestampText(notAfter),
        signers,
      };
    },
    signatureCount: (grant) => grantSigners(grant.signers).length,
  },

  revocation: {
    write(writer, revocation) {
      writer.hex(revocation.id, 16).u32(revocation.school).hex(revocation.subject, 16);
      if (revocation.scope.type === "token") writer.u8(1).hex(revocation.scope.value, 16);
      else if (revocation.scope.type === "all-issued-up-to") writer.u8(2).time(revocation.scope.value);
      else throw new TypeError(`unknown revocation scope ${JSON.stringify(revocation.scope.type)}`);
      const role = ROLES.indexOf(revocation.role);
      if (role < 0) throw new TypeError(`unknown role ${JSON.stringify(revocation.role)}`);
      writer.time(revocation.issued_at).u8(role).hex(revocation.key, 8);
    },
    read(reader) {
      const id = reader.hex(16, "revocation id");
      const school = reader.u32("school id");
      const subject = reader.hex(16, "subject id");
      let scope;
      const scopeByte = reader.u8("scope");
      if (scopeByte === 1) scope = { type: "token", value: reader.hex(16, "token id") };
      else if (scopeByte === 2) scope = { type: "all-issued-up-to", value: reader.time("cut-off moment") };
      else nonCanonical("the scope is 1 (one token) or 2 (all tokens up to a moment)");
      const issued_at = reader.time("issued at");
      const role = ROLES[reader.u8("signer role")];
      if (role === undefined) nonCanonical("the signer role is 0 (subject), 1 (guardian) or 2 (school)");
      const key = reader.hex(8, "signer key id");
      return { id, school, subject, scope, issued_at, role, key };
    },
    signatureCount: () => 1,
  },

  receipt: {
    write(writer, receipt) {
      const mediaKind = MEDIA_KINDS.indexOf(receipt.media_kind);
      if (mediaKind < 0) throw new TypeError(`unknown media kind ${JSON.stringify(receipt.media_kind)}`);
      writer
        .hex(receipt.id, 16)
        .u32(receipt.school)
        .time(receipt.checked_at)
        .hex(receipt.media_hash, 32)
        .u8(mediaKind)
        .u8(purposeBit(receipt.purpose))
        .u16(receipt.verdicts.length);
      for (const verdict of receipt.verdicts) {
        const outcome = OUTCOMES.indexOf(verdict.outcome);
        if (outcome < 0) throw new TypeError(`unknown outcome ${JSON.stringify(verdict.outcome)}`);
        writer.hex(verdict.subject, 16).u8(outcome);
        if (verdict.token === null || verdict.token === undefined) writer.u8(0);
        else writer.u8(1).hex(verdict.token, 16);
      }
      writer.hex(receipt.key, 8);
    },
    read(reader) {
      const id = reader.hex(16, "receipt id");
      const school = reader.u32("school id");
      const checked_at = reader.time("checked at");
      const media_hash = reader.hex(32, "media hash");
      const media_kind = MEDIA_KINDS[reader.u8("media kind")];
      if (media_kind === undefined) nonCanonical("the media kind is 0 (photo), 1 (video) or 2 (audio)");
      const purposeByte = reader.u8("purpose");
      if (purposeByte >= 16) nonCanonical("the purpose is below 16");
      const count = reader.u16("verdict count");
      const verdicts = [];
      for (let i = 0; i < Math.min(count, MAX_VERDICTS + 1); i++) {
        const subject = reader.hex(16, "verdict person");
        const outcome = OUTCOMES[reader.u8("verdict outcome")];
        if (outcome === undefined) nonCanonical("the outcome is a known code from 0 to 9");
        const flag = reader.u8("verdict token flag");
        let token = null;
        if (flag === 1) token = reader.hex(16, "verdict token");
        else if (flag !== 0) nonCanonical("the token flag is 0 or 1");
        verdicts.push({ subject, outcome, token });
      }
      const key = reader.hex(8, "server key id");
      if (verdicts.length === 0 || verdicts.length > MAX_VERDICTS) nonCanonical("a receipt names between 1 and 2000 people");
      for (let i = 1; i < verdicts.length; i++) {
        if (verdicts[i - 1].subject >= verdicts[i].subject) nonCanonical("verdicts are sorted by person id, each person once");
      }
      if (verdicts.some((verdict) => verdict.outcome === "allowed" && verdict.token === null)) {
        nonCanonical("an allowed verdict names its token");
      }
      return { id, school, checked_at, media_hash, media_kind, purpose: purposeName(purposeByte), verdicts, key };
    },
    signatureCount: () => 1,
  },

  "log-head": {
    write(writer, head) {
      writer.u32(head.school).u64(head.size).hex(head.head, 32).time(head.signed_at).hex(head.key, 8);
    },
    read(reader) {
      return {
        school: reader.u32("school id"),
        size: reader.u64("log size"),
        head: reader.hex(32, "head hash"),
        signed_at: reader.time("signed at"),
        key: reader.hex(8, "server key id"),
      };
    },
    signatureCount: () => 1,
  },

  "revocation-list": {
    write(writer, list) {
      writer
        .u32(list.school)
        .u64(list.after)
        .u64(list.up_to)
        .u64(list.log_size)
        .u32(list.count)
        .hex(list.entries, 32)
        .time(list.signed_at)
        .hex(list.key, 8);
    },
    read(reader) {
      const list = {
        school: reader.u32("school id"),
        after: reader.u64("first position"),
        up_to: reader.u64("last position"),
        log_size: reader.u64("log size"),
        count: reader.u32("revocation count"),
        entries: reader.hex(32, "entries digest"),
        signed_at: reader.time("signed at"),
        key: reader.hex(8, "server key id"),
      };
      const [after, upTo, size] = [list.after, list.up_to, list.log_size].map(BigInt);
      if (after > upTo || upTo > size) nonCanonical("a list page covers after <= up_to <= log size");
      if (BigInt(list.count) > upTo - after) nonCanonical("a list page holds at most one revocation per log position");
      return list;
    },
    signatureCount: () => 1,
  },

  "guardian-dates": {
    write(writer, dates) {
      writer.u32(dates.school).u8(dates.consent_age).u32(dates.count).hex(dates.entries, 32).time(dates.signed_at).hex(dates.key, 8);
    },
    read(reader) {
      return {
        school: reader.u32("school id"),
        consent_age: reader.u8("consent age"),
        count: reader.u32("person count"),
        entries: reader.hex(32, "entries digest"),
        signed_at: reader.time("signed at"),
        key: reader.hex(8, "server key id"),
      };
    },
    signatureCount: () => 1,
  },
};

function claimsOf(kind) {
  const claims = CLAIMS[kind];
  if (!claims) throw new TypeError(`unknown kind ${JSON.stringify(kind)}`);
  return claims;
}

/**
 * @typedef {object} Grant The claims of a grant token.
 * @property {string} token_id 16 bytes, hex
 * @property {number} school
 * @property {string} subject the person's id, 16 bytes hex
 * @property {string[]} media `photo`, `video`, `audio`
 * @property {string[]} purposes `internal`, `website`, ... or `purpose-N`
 * @property {string} issued_at RFC 3339
 * @property {string} not_before RFC 3339
 * @property {string} not_after RFC 3339
 * @property {{by: "subject", key: string} | {by: "guardian", key: string} | {by: "subject-and-guardian", subject: string, guardian: string}} signers key ids hex
 */

/**
 * @typedef {object} Signed A decoded signed object.
 * @property {string} kind `grant`, `revocation`, `receipt`, `log-head`, `revocation-list` or `guardian-dates`
 * @property {object} claims the claims, shaped as the Rust crate's JSON
 * @property {Uint8Array[]} signatures 64 bytes each, in signing order
 */

/**
 * The canonical encoding of `claims` of `kind`: exactly the bytes every
 * signer signs (after the kind's domain string). For a grant, also the
 * bytes a pending co-signature carries. Throws a `TypeError` for claims
 * that cannot be encoded (an unknown name, a bad id).
 * @param {string} kind
 * @param {object} claims
 * @returns {Uint8Array}
 */
export function encodeClaims(kind, claims) {
  const writer = new Writer(kind);
  claimsOf(kind).write(writer, claims);
  return writer.finish();
}

/**
 * Decodes the claims alone (a grant waiting for a co-signature travels as
 * these bytes); any other byte string is refused with its stable code.
 * @param {string} kind
 * @param {Uint8Array} bytes
 * @returns {object}
 */
export function decodeClaims(kind, bytes) {
  const reader = new Reader(bytes, kind);
  const claims = claimsOf(kind).read(reader);
  reader.finish();
  return claims;
}

/**
 * The canonical encoding of a signed object: the claims, then each
 * signature.
 * @param {Signed} signed
 * @returns {Uint8Array}
 */
export function encodeSigned(signed) {
  const claims = encodeClaims(signed.kind, signed.claims);
  if (signed.signatures.length !== claimsOf(signed.kind).signatureCount(signed.claims)) {
    throw new TypeError("one signature per signer is needed");
  }
  const bytes = new Uint8Array(claims.length + 64 * signed.signatures.length);
  bytes.set(claims);
  signed.signatures.forEach((signature, index) => {
    if (signature.length !== 64) throw new TypeError("a signature is 64 bytes");
    bytes.set(signature, claims.length + 64 * index);
  });
  return bytes;
}

/**
 * Decodes a signed object of `kind` from its bytes or its `consent:` text;
 * any other input is refused with the stable code the Rust crate gives.
 * Nothing is verified yet.
 * @param {string} kind
 * @param {Uint8Array | string} input
 * @returns {Signed}
 */
export function decodeSigned(kind, input) {
  const bytes = typeof input === "string" ? fromText(input) : input;
  const reader = new Reader(bytes, kind);
  const definition = claimsOf(kind);
  const claims = definition.read(reader);
  const signatures = [];
  for (let i = 0; i < definition.signatureCount(claims); i++) signatures.push(reader.signature());
  reader.finish();
  return { kind, claims, signatures };
}

/**
 * The `consent:` text of a signed object (what a QR code shows).
 * @param {Signed} signed
 * @returns {string}
 */
export function signedText(signed) {
  return toText(encodeSigned(signed));
}

/**
 * The exact bytes a signature of `kind` covers: `school-consent/v1/<kind>`,
 * a zero byte, then `body`.
 * @param {string} kind
 * @param {Uint8Array} body
 * @returns {Uint8Array}
 */
export function signedMessage(kind, body) {
  if (!(kind in KINDS)) throw new TypeError(`unknown kind ${JSON.stringify(kind)}`);
  const domain = new TextEncoder().encode(`school-consent/v1/${kind}\0`);
  const message = new Uint8Array(domain.length + body.length);
  message.set(domain);
  message.set(body, domain.length);
  return message;
}

/**
 * What a signer of `kind` claims signs: `signedMessage(kind, encodeClaims(kind, claims))`.
 * @param {string} kind
 * @param {object} claims
 * @returns {Uint8Array}
 */
export function messageToSign(kind, claims) {
  return signedMessage(kind, encodeClaims(kind, claims));
}

// ---------------------------------------------------------------------------
// Keys, key ids, strict Ed25519

const P = 2n ** 255n - 19n;
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const D = (-121665n * modPow(121666n, P - 2n, P)) % P;
const SQRT_MINUS_ONE = modPow(2n, (P - 1n) / 4n, P);

function mod(value, modulus) {
  const rest = value % modulus;
  return rest >= 0n ? rest : rest + modulus;
}

function modPow(base, exponent, modulus) {
  let result = 1n;
  let square = mod(base, modulus);
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * square) % modulus;
    square = (square * square) % modulus;
  }
  return result;
}

function littleEndian(bytes) {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
  return value;
}

// The encodings of the eight points of small order, as canonical bytes.
const SMALL_ORDER = new Set([
  "0100000000000000000000000000000000000000000000000000000000000000",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "0000000000000000000000000000000000000000000000000000000000000000",
  "0000000000000000000000000000000000000000000000000000000000000080",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
]);

/** Whether 32 bytes are the one encoding that compressing their point gives. */
function isCanonicalEncoding(bytes) {
  const y = littleEndian(bytes) & ((1n << 255n) - 1n);
  const signSet = (bytes[31] & 0x80) !== 0;
  return y < P && !(signSet && (y === 1n || y === P - 1n));
}

/** Whether 32 bytes decompress to a point of the curve. */
function isOnCurve(bytes) {
  const y = mod(littleEndian(bytes) & ((1n << 255n) - 1n), P);
  const yy = (y * y) % P;
  const u = mod(yy - 1n, P);
  const v = mod(D * yy + 1n, P);
  // x = u v^3 (u v^7)^((p-5)/8), then fix up by sqrt(-1) (RFC 8032 §5.1.3).
  const v3 = (v * v * v) % P;
  let x = (((u * v3) % P) * modPow((u * v3 * v3 * v) % P, (P - 5n) / 8n, P)) % P;
  const check = (v * x * x) % P;
  if (check === u) return true;
  if (check === mod(-u, P)) {
    x = (x * SQRT_MINUS_ONE) % P;
    return true;
  }
  return false;
}

/**
 * Checks a 32-byte Ed25519 public key as the protocol demands: a curve
 * point (`bad_public_key`), canonically encoded (`bad_public_key`), not of
 * small order (`weak_key`). Returns the same bytes.
 * @param {Uint8Array} bytes
 * @returns {Uint8Array}
 */
export function checkPublicKey(bytes) {
  if (bytes.length !== 32 || !isCanonicalEncoding(bytes) || !isOnCurve(bytes)) {
    refuse("bad_public_key", "the public key is not a valid Ed25519 point");
  }
  if (SMALL_ORDER.has(toHex(bytes))) refuse("weak_key", "the public key is weak (small order) and is never accepted");
  return bytes;
}

/**
 * Checks a signature's encoding: its `s` must be below the group order
 * (`malleable_signature` otherwise). Returns the same bytes.
 * @param {Uint8Array} bytes 64 bytes, R || s
 * @returns {Uint8Array}
 */
export function parseSignature(bytes) {
  if (littleEndian(bytes.slice(32)) >= L) refuse("malleable_signature", "a signature is malleable (its s value is not reduced)");
  return bytes;
}

/**
 * The SHA-256 of `bytes`.
 * @param {Uint8Array} bytes
 * @returns {Promise<Uint8Array>}
 */
export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

/**
 * A key's id: hex of the first 8 bytes of
 * SHA-256(`school-consent/v1/key-id` || 0x00 || public key).
 * @param {Uint8Array} publicKey 32 bytes
 * @returns {Promise<string>}
 */
export async function keyId(publicKey) {
  const domain = new TextEncoder().encode("school-consent/v1/key-id\0");
  const input = new Uint8Array(domain.length + publicKey.length);
  input.set(domain);
  input.set(publicKey, domain.length);
  return toHex((await sha256(input)).slice(0, 8));
}

/**
 * Verifies `signature` over `message` with `publicKey` as
 * ed25519-dalek's `verify_strict` does: the key passes `checkPublicKey`,
 * `s` is reduced, R is a canonical encoding of a point not of small order,
 * and `[s]B = R + [k]A` (checked by WebCrypto). Throws `bad_signature`
 * (or the key's or signature's code) when it does not verify.
 * @param {Uint8Array} publicKey 32 bytes
 * @param {Uint8Array} message
 * @param {Uint8Array} signature 64 bytes
 * @returns {Promise<void>}
 */
export async function verifyStrict(publicKey, message, signature) {
  checkPublicKey(publicKey);
  parseSignature(signature);
  const r = signature.slice(0, 32);
  if (!isCanonicalEncoding(r) || SMALL_ORDER.has(toHex(r))) {
    refuse("bad_signature", "a signature does not match the content: the code was forged or altered");
  }
  const key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
  const valid = await crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
  if (!valid) refuse("bad_signature", "a signature does not match the content: the code was forged or altered");
}

// ---------------------------------------------------------------------------
// The keyring and verifying each kind

/**
 * The keys a verifier knows, who holds each (`{type: "person", id}` or
 * `{type: "server"}`, as the Rust crate's JSON), which are revoked, and who
 * is whose guardian.
 */
export class Keyring {
  constructor() {
    /** @type {Map<string, {publicKey: Uint8Array, holder: {type: string, id?: string}, revoked: boolean}>} */
    this.keys = new Map();
    /** @type {Set<string>} "guardian child" pairs */
    this.guardianships = new Set();
  }

  /**
   * Registers a key (checked with `checkPublicKey`) held by `holder`;
   * returns its id.
   * @param {Uint8Array} publicKey
   * @param {{type: "person", id: string} | {type: "server"}} holder
   * @returns {Promise<string>}
   */
  async add(publicKey, holder) {
    checkPublicKey(publicKey);
    const id = await keyId(publicKey);
    this.keys.set(id, { publicKey, holder, revoked: false });
    return id;
  }

  /**
   * Marks a key as revoked: nothing it signed is accepted any more.
   * @param {string} id
   */
  revoke(id) {
    const entry = this.keys.get(id);
    if (entry) entry.revoked = true;
  }

  /**
   * Records that `guardian` may sign for `child` (person ids, hex).
   * @param {string} guardian
   * @param {string} child
   */
  addGuardianship(guardian, child) {
    this.guardianships.add(`${guardian} ${child}`);
  }

  /**
   * The key with this id if known and not revoked (`unknown_key`, `revoked_key`).
   * @param {string} id
   * @returns {Uint8Array}
   */
  activeKey(id) {
    const entry = this.keys.get(id);
    if (!entry) refuse("unknown_key", "the code was signed by an unknown key");
    if (entry.revoked) refuse("revoked_key", "the code was signed by a key that has been revoked");
    return entry.publicKey;
  }

  /**
   * The key with this id if it is active and its holder may sign in `role`
   * for `subject` (`signer_not_authorized` otherwise). With `listed`, a key
   * revoked since still counts: for a revocation the server listed on a
   * signed page (docs/protocol.md, "Revocation list page").
   * @param {string} id
   * @param {string} role `subject`, `guardian` or `school`
   * @param {string} subject
   * @param {boolean} [listed]
   * @returns {Uint8Array}
   */
  signerKey(id, role, subject, listed = false) {
    const entry = this.keys.get(id);
    if (!entry) refuse("unknown_key", "the code was signed by an unknown key");
    const key = listed ? entry.publicKey : this.activeKey(id);
    const holder = entry.holder;
    const allowed =
      (role === "subject" && holder.type === "person" && holder.id === subject) ||
      (role === "guardian" && holder.type === "person" && this.guardianships.has(`${holder.id} ${subject}`)) ||
      (role === "school" && holder.type === "server");
    if (!allowed) refuse("signer_not_authorized", `the signer is not allowed to sign this in the role ${role}`);
    return key;
  }

  /**
   * The server key with this id, if active and the server's.
   * @param {string} id
   * @returns {Uint8Array}
   */
  serverKey(id) {
    const key = this.activeKey(id);
    if (this.keys.get(id).holder.type !== "server") refuse("signer_not_authorized", "the signer is not allowed to sign this in the role server");
    return key;
  }
}

/**
 * Checks a grant's validity window at `now` (Unix seconds):
 * `issued_in_future`, `not_yet_valid`, `expired`.
 * @param {Grant} grant
 * @param {number} now
 */
export function checkWindow(grant, now) {
  if (timestampSeconds(grant.issued_at) > now + MAX_CLOCK_SKEW_SECONDS) {
    refuse("issued_in_future", "the code claims to be issued in the future");
  }
  if (now < timestampSeconds(grant.not_before)) refuse("not_yet_valid", "the consent is not valid yet");
  if (now > timestampSeconds(grant.not_after)) refuse("expired", "the consent has expired");
}

/**
 * Verifies a decoded grant: each signature strictly, by a key the keyring
 * lets sign in its role for the subject, then the window at `now` (Unix
 * seconds). Returns the claims only when all of it holds.
 * @param {Signed} signed
 * @param {Keyring} keyring
 * @param {number} now
 * @returns {Promise<Grant>}
 */
export async function verifyGrant(signed, keyring, now) {
  const message = messageToSign("grant", signed.claims);
  const signers = signersInOrder(signed.claims);
  for (let i = 0; i < signers.length; i++) {
    const [role, id] = signers[i];
    await verifyStrict(keyring.signerKey(id, role, signed.claims.subject), message, signed.signatures[i]);
  }
  checkWindow(signed.claims, now);
  return signed.claims;
}

/**
 * Verifies a decoded revocation: strictly, by a key that may act in its
 * role for the subject, not dated after `now` + 300 s, and with a cut-off
 * no later than its own issue time. Never expires. With `listed` (a
 * revocation on a signed page), a key revoked since still counts.
 * @param {Signed} signed
 * @param {Keyring} keyring
 * @param {number} now Unix seconds
 * @param {boolean} [listed]
 * @returns {Promise<object>} the claims
 */
export async function verifyRevocation(signed, keyring, now, listed = false) {
  const revocation = signed.claims;
  const key = keyring.signerKey(revocation.key, revocation.role, revocation.subject, listed);
  await verifyStrict(key, messageToSign("revocation", revocation), signed.signatures[0]);
  if (timestampSeconds(revocation.issued_at) > now + MAX_CLOCK_SKEW_SECONDS) {
    refuse("issued_in_future", "the code claims to be issued in the future");
  }
  if (
    revocation.scope.type === "all-issued-up-to" &&
    timestampSeconds(revocation.scope.value) > timestampSeconds(revocation.issued_at)
  ) {
    refuse("cut_off_after_issue", "the revocation withdraws consent up to a moment after it was made");
  }
  return revocation;
}

/**
 * Verifies a server-signed object (a `receipt`, `log-head`,
 * `revocation-list` or `guardian-dates`) strictly against a server key in
 * the keyring; the lists' entries are checked by their own functions.
 * @param {Signed} signed
 * @param {Keyring} keyring
 * @returns {Promise<object>} the claims
 */
export async function verifyServerSigned(signed, keyring) {
  const key = keyring.serverKey(signed.claims.key);
  await verifyStrict(key, messageToSign(signed.kind, signed.claims), signed.signatures[0]);
  return signed.claims;
}

/** SHA-256 of the concatenation of `parts`, as hex. */
async function digestOf(parts) {
  const input = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    input.set(part, at);
    at += part.length;
  }
  return toHex(await sha256(input));
}

/**
 * Decodes the revocations presented beside a revocation-list page
 * (`{sequence, revocation}` with the revocation's `consent:` text), each
 * refused with its own code when it does not decode.
 * @param {Array<{sequence: number, revocation: string}>} entries
 * @returns {Array<{sequence: number, revocation: Signed}>}
 */
export function decodeListedRevocations(entries) {
  return entries.map((entry) => ({ sequence: entry.sequence, revocation: decodeSigned("revocation", entry.revocation) }));
}

/**
 * The digest a revocation-list page commits to, over decoded revocations
 * with their log positions.
 * @param {Array<{sequence: number, revocation: Signed}>} listed
 * @returns {Promise<string>} hex
 */
export async function revocationListDigest(listed) {
  const parts = [new TextEncoder().encode("school-consent/v1/revocation-list-entries\0")];
  for (const entry of listed) {
    parts.push(bigEndian(entry.sequence, 8));
    parts.push(await sha256(encodeSigned(entry.revocation)));
  }
  return digestOf(parts);
}

/**
 * Verifies a revocation-list page as an offline verifier does: strictly
 * against a server key; then that `listed` (from `decodeListedRevocations`)
 * are exactly the revocations it was signed for (`list_mismatch`: their
 * number, then each one's position and school, then the digest); then each
 * revocation as `verifyRevocation` does at `now`, a key revoked since
 * still counting.
 * @param {Signed} signed
 * @param {Keyring} keyring
 * @param {Array<{sequence: number, revocation: Signed}>} listed
 * @param {number} now Unix seconds
 * @returns {Promise<object>} the claims
 */
export async function verifyRevocationList(signed, keyring, listed, now) {
  const list = await verifyServerSigned(signed, keyring);
  if (listed.length !== list.count) {
    refuse("list_mismatch", "the page holds another number of revocations than the server signed");
  }
  let previous = BigInt(list.after);
  for (const entry of listed) {
    const sequence = BigInt(entry.sequence);
    if (sequence <= previous || sequence > BigInt(list.up_to)) {
      refuse("list_mismatch", "revocations are in increasing log positions inside the page's range");
    }
    if (entry.revocation.claims.school !== list.school) refuse("list_mismatch", "every revocation is of the page's school");
    previous = sequence;
  }
  if ((await revocationListDigest(listed)) !== list.entries) {
    refuse("list_mismatch", "the revocations are not the ones the server signed");
  }
  for (const entry of listed) await verifyRevocation(entry.revocation, keyring, now, true);
  return list;
}

/**
 * The digest guardian dates commit to, over `{person, until}` entries
 * (person id hex, `until` RFC 3339).
 * @param {Array<{person: string, until: string}>} entries
 * @returns {Promise<string>} hex
 */
export async function guardianDatesDigest(entries) {
  const parts = [new TextEncoder().encode("school-consent/v1/guardian-dates-entries\0")];
  for (const entry of entries) {
    parts.push(fromHex(entry.person, 16));
    parts.push(bigEndian(timestampSeconds(entry.until), 4));
  }
  return digestOf(parts);
}

/**
 * Verifies guardian dates strictly against a server key, then that
 * `entries` are exactly the ones signed for (`list_mismatch`: their
 * number, strictly increasing person ids, the digest).
 * @param {Signed} signed
 * @param {Keyring} keyring
 * @param {Array<{person: string, until: string}>} entries
 * @returns {Promise<object>} the claims
 */
export async function verifyGuardianDates(signed, keyring, entries) {
  const dates = await verifyServerSigned(signed, keyring);
  if (entries.length !== dates.count) refuse("list_mismatch", "the list holds another number of people than the server signed");
  for (let i = 1; i < entries.length; i++) {
    if (entries[i - 1].person >= entries[i].person) refuse("list_mismatch", "people are in increasing id order, each once");
  }
  if ((await guardianDatesDigest(entries)) !== dates.entries) {
    refuse("list_mismatch", "the dates are not the ones the server signed");
  }
  return dates;
}

/**
 * The head of a school's empty audit log, hex.
 * @param {number} school
 * @returns {Promise<string>}
 */
export async function logGenesisHead(school) {
  return digestOf([new TextEncoder().encode("school-consent/v1/log-genesis\0"), bigEndian(school, 4)]);
}

/**
 * The head after appending `entry` at 1-based `position` to a log whose
 * head was `previous` (hex), hex.
 * @param {string} previous
 * @param {number | bigint} position
 * @param {Uint8Array | string} entry the exact bytes recorded (a string is taken as UTF-8)
 * @returns {Promise<string>}
 */
export async function logNextHead(previous, position, entry) {
  const bytes = typeof entry === "string" ? new TextEncoder().encode(entry) : entry;
  return digestOf([
    new TextEncoder().encode("school-consent/v1/log-entry\0"),
    fromHex(previous, 32),
    bigEndian(position, 8),
    await sha256(bytes),
  ]);
}

// ---------------------------------------------------------------------------
// Signed requests (device authentication)

/**
 * The message a device signs for one request: the request domain, then
 * `method || 0 || pathAndQuery || 0 || time (u32) || SHA-256(body)`.
 * @param {string} method `GET`, `POST`, ...
 * @param {string} pathAndQuery as sent, e.g. `/v1/me`
 * @param {number} time Unix seconds
 * @param {Uint8Array} body the request body's exact bytes (empty for none)
 * @returns {Promise<Uint8Array>}
 */
export async function requestMessage(method, pathAndQuery, time, body) {
  const encoder = new TextEncoder();
  const head = encoder.encode(`${method}\0${pathAndQuery}\0`);
  const timeBytes = bigEndian(time, 4);
  const digest = await sha256(body);
  const bytes = new Uint8Array(head.length + 4 + 32);
  bytes.set(head);
  bytes.set(timeBytes, head.length);
  bytes.set(digest, head.length + 4);
  return signedMessage("request", bytes);
}

/**
 * Reads a signed request's `Authorization` header value as the server
 * does: `Consent-Device ` then the parameters `key` (16 lowercase hex
 * digits), `time` (1 to 10 decimal digits, at most 2^32 - 1) and
 * `signature` (unpadded, canonical base64url of 64 bytes), each once, in
 * any order, separated by commas with optional spaces or tabs around each.
 * Anything else is `bad_encoding`.
 * @param {string} value
 * @returns {{key: string, time: string, signature: Uint8Array}} `time` as RFC 3339
 */
export function parseDeviceAuthorization(value) {
  const malformed = () => refuse("bad_encoding", "not a Consent-Device authorization");
  if (!value.startsWith(DEVICE_SCHEME)) malformed();
  const found = {};
  for (const param of value.slice(DEVICE_SCHEME.length).split(",")) {
    const trimmed = param.replace(/^[ \t]+|[ \t]+$/g, "");
    const equals = trimmed.indexOf("=");
    if (equals < 0) malformed();
    const [name, text] = [trimmed.slice(0, equals), trimmed.slice(equals + 1)];
    if (!["key", "time", "signature"].includes(name) || name in found) malformed();
    if (name === "key" && !/^[0-9a-f]{16}$/.test(text)) malformed();
    if (name === "time" && (!/^[0-9]{1,10}$/.test(text) || Number(text) > 0xffffffff)) malformed();
    if (name === "signature") {
      let bytes;
      try {
        bytes = base64urlDecode(text);
      } catch {
        malformed();
      }
      if (bytes.length !== 64) malformed();
      found.signature = bytes;
    } else {
      found[name] = text;
    }
  }
  if (!("key" in found && "time" in found && "signature" in found)) malformed();
  return { key: found.key, time: timestampText(Number(found.time)), signature: found.signature };
}

/**
 * Verifies a signed request as the server does: the key is known, not
 * revoked and a person's; the time lies within 300 s of `now` either way
 * (`issued_in_future` after, `expired` before); `s` is reduced; the
 * signature verifies strictly over the request's message.
 * @param {{key: string, time: string, signature: Uint8Array}} header from `parseDeviceAuthorization`
 * @param {Keyring} keyring
 * @param {string} method as sent
 * @param {string} pathAndQuery as sent
 * @param {Uint8Array} body the exact bytes sent
 * @param {number} now Unix seconds
 * @returns {Promise<string>} the person's id
 */
export async function verifyRequest(header, keyring, method, pathAndQuery, body, now) {
  const key = keyring.activeKey(header.key);
  const holder = keyring.keys.get(header.key).holder;
  if (holder.type !== "person") refuse("signer_not_authorized", "the signer is not allowed to sign this in the role device");
  const time = timestampSeconds(header.time);
  if (time > now + MAX_CLOCK_SKEW_SECONDS) refuse("issued_in_future", "the request claims to be made in the future");
  if (now > time + MAX_CLOCK_SKEW_SECONDS) refuse("expired", "the request is too old");
  parseSignature(header.signature);
  await verifyStrict(key, await requestMessage(method, pathAndQuery, time, body), header.signature);
  return holder.id;
}

/**
 * The `Authorization` header value of a signed request.
 * @param {string} keyIdHex the device key's id
 * @param {number} time Unix seconds the request was signed at
 * @param {Uint8Array} signature 64 bytes
 * @returns {string}
 */
export function deviceAuthorization(keyIdHex, time, signature) {
  return `${DEVICE_SCHEME}key=${keyIdHex}, time=${time}, signature=${base64urlEncode(signature)}`;
}

// ---------------------------------------------------------------------------
// Making grants and revocations

/**
 * 16 random bytes as hex: a new token or revocation id.
 * @returns {string}
 */
export function randomId() {
  return toHex(crypto.getRandomValues(new Uint8Array(16)));
}

/**
 * The current time as the protocol counts it (Unix seconds).
 * @returns {number}
 */
export function nowSeconds() {
  return Math.floor(Date.now() / 1000);
}
