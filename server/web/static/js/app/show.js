// Showing consent: the token as a large QR code with what it allows and
// until when, in words. It shows at once from the copy kept on this phone
// (also with no network, on a school trip), says how old its status is, and
// refreshes from the school when it can.

import { decodeSigned } from "../protocol.js";
import {
  $,
  addFact,
  day,
  drawQr,
  everyone,
  fromTemplate,
  grantFacts,
  inWords,
  keptRecord,
  loadRecord,
  nameOf,
  requireIdentity,
  reveal,
  sayFreshness,
  showError,
  signersInWords,
  standingInWords,
  t,
} from "./common.js";

let current;

function render({ record, fetchedAt, offline }, identity) {
  current = { record, fetchedAt, offline };
  const people = identity.details.kind === "guardian" ? everyone(record).slice(1) : [record];
  const valid = people.flatMap((person) =>
    person.tokens.filter((token) => token.standing.status === "valid").map((token) => ({ token, person })),
  );
  valid.sort((a, b) => b.token.grant.issued_at.localeCompare(a.token.grant.issued_at));
  const wanted = new URLSearchParams(location.hash.slice(1)).get("token");
  const shown = valid.find((entry) => entry.token.token_id === wanted) ?? valid[0];
  sayFreshness($("freshness"), { fetchedAt, offline });
  $("consent").hidden = !shown;
  $("none").hidden = Boolean(shown);
  if (shown) {
    const { token, person } = shown;
    const grant = decodeSigned("grant", token.text).claims;
    drawQr($("qr"), token.text);
    // For measuring the time to the code on screen (BENCHMARKS.md).
    if (performance.getEntriesByName("qr-shown").length === 0) performance.mark("qr-shown");
    const facts = $("facts");
    facts.replaceChildren();
    grantFacts(facts, grant, nameOf(person.person));
    addFact(facts, t("fact-status"), standingInWords(token.standing));
    addFact(facts, t("fact-signed-by"), signersInWords(grant, person));
    $("withdraw-link").href = `/withdraw#token=${token.token_id}`;
  }
  const others = valid.filter((entry) => entry !== shown);
  const list = $("others-list");
  list.replaceChildren();
  for (const { token, person } of others) {
    const item = fromTemplate("other");
    const link = item.querySelector("a");
    link.href = `/show#token=${token.token_id}`;
    const grant = decodeSigned("grant", token.text).claims;
    link.textContent = `${t("show-for", { name: nameOf(person.person) })}: ${t("token-line", {
      media: inWords(grant.media),
      purposes: inWords(grant.purposes),
      until: day(grant.not_after),
    })}`;
    list.append(item);
  }
  $("others").hidden = others.length === 0;
}

try {
  const identity = await requireIdentity();
  const kept = keptRecord(identity);
  if (kept) render(kept, identity);
  addEventListener("hashchange", () => current && render(current, identity));
  const latest = await loadRecord(identity);
  render(latest, identity);
} catch (error) {
  showError(error);
}
