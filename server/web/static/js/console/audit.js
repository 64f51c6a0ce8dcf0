// The audit log, verified in this browser: the page fetches every entry
// and the signed head, verifies the head's signature against the server's
// published keys (WebCrypto Ed25519), recomputes the hash chain (WebCrypto
// SHA-256) and holds the log against every head this browser verified
// before, then replays it against the school's stored record, as `consent
// audit verify` does. A server that altered, removed or rewrote entries,
// or a database changed behind the log's back, cannot make this page say
// "verified".

import { $, addFact, api, dayAndTime, reveal, showError, t } from "./common.js";
import { decodeSigned, timestampSeconds } from "../protocol.js";
import { LogProblem, VerifiedHeads, serverKeyring, verifiedHead, verifyChain } from "./log_check.js";
import { recordDifferences } from "./record_check.js";

/** Entries asked for per request (the server's most). */
const PAGE_SIZE = 5000;

/**
 * The whole log as of the first answer's signed head: that head is the
 * commitment checked; later pages may carry newer heads of a log that grew
 * meanwhile, and entries past the first head's size are left out.
 */
async function fetchLog(status) {
  const entries = [];
  let logHead = null;
  let size = 0;
  for (;;) {
    const after = entries.length > 0 ? entries[entries.length - 1].position : 0;
    const page = await api("GET", `/v1/audit/log?after=${after}&limit=${PAGE_SIZE}`);
    if (logHead === null) {
      logHead = page.log_head;
      // Only to know when to stop fetching: the head is verified before
      // anything is believed.
      try {
        size = Number(decodeSigned("log-head", logHead).claims.size);
      } catch (error) {
        throw new LogProblem("head-signature", { reason: error.code ?? "bad_encoding" });
      }
    }
    const before = entries.length;
    entries.push(...page.entries.filter((entry) => entry.position > after && entry.position <= size));
    status.textContent = t("console-audit-fetching", { count: entries.length });
    const last = entries.length > 0 ? entries[entries.length - 1].position : 0;
    if (entries.length === before || last >= size) break;
  }
  return { entries, logHead };
}

/** A `LogProblem` in the page's language. */
function problemText(problem) {
  const args = { ...problem.args };
  if (args.signed_at) args.signed_at = dayAndTime(timestampSeconds(args.signed_at));
  return t(`console-audit-problem-${problem.code}`, args);
}

function showFailure(error) {
  $("problem").textContent = problemText(error);
  const differences = error.args?.differences ?? [];
  $("differences").hidden = differences.length === 0;
  $("differences").replaceChildren(
    ...differences.map((difference) => {
      const item = document.createElement("li");
      item.textContent = t(`console-audit-diff-${difference.code}`, difference.args);
      return item;
    }),
  );
  const entry = error.args?.entry;
  $("broken-entry").hidden = entry === undefined;
  if (entry !== undefined) $("broken-entry-text").textContent = entry;
  reveal($("failed"), true);
}

function showVerified(head, remembered) {
  $("verified-title").textContent = t("console-audit-verified", { size: Number(head.size), head: `${head.head.slice(0, 16)}…` });
  $("verified-extends").textContent =
    remembered > 0 ? t("console-audit-verified-extends", { count: remembered }) : t("console-audit-verified-first");
  const facts = $("facts");
  facts.replaceChildren();
  addFact(facts, t("console-audit-size"), String(head.size));
  addFact(facts, t("console-audit-head"), head.head);
  addFact(facts, t("console-audit-key"), head.key);
  addFact(facts, t("console-audit-signed-at"), dayAndTime(timestampSeconds(head.signed_at)));
  reveal($("verified"), true);
}

async function verify() {
  const status = $("status");
  for (const id of ["verified", "failed", "error"]) $(id).hidden = true;
  $("again").disabled = true;
  try {
    const keyring = await serverKeyring(await api("GET", "/v1/server-keys"));
    // The stored record first: the log fetched after it holds every entry
    // up to the record's `log_size` (unless the log was cut, which the
    // chain and the heads verified before report).
    const record = await api("GET", "/v1/audit/record");
    const { entries, logHead } = await fetchLog(status);
    const head = await verifiedHead(logHead, keyring);
    const verified = new VerifiedHeads(head.school);
    const size = Number(head.size);
    const chain = await verifyChain(head.school, entries, head, (done) => {
      status.textContent = t("console-audit-checking", { done, size });
    });
    verified.checkExtends(chain);
    if (record.log_size > size) throw new LogProblem("record-longer", { record: record.log_size, signed: size });
    const differences = recordDifferences(entries, record);
    if (differences.length > 0) throw new LogProblem("record-differs", { differences });
    const earlier = verified.count;
    verified.remember(head);
    status.textContent = "";
    showVerified(head, earlier);
  } catch (error) {
    status.textContent = "";
    if (error instanceof LogProblem) showFailure(error);
    else showError(error);
  } finally {
    $("again").disabled = false;
  }
}

$("again").addEventListener("click", verify);
verify();
