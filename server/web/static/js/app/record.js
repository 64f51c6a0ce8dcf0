// My record: every consent, withdrawal and publication the school keeps
// about this person, and about each of a parent's children, and a download
// of all of it as JSON (GDPR art. 15 and 20), straight from the API.

import { decodeSigned } from "../protocol.js";
import {
  $,
  day,
  everyone,
  fromTemplate,
  inWords,
  loadRecord,
  nameOf,
  requireIdentity,
  sayFreshness,
  showError,
  standingInWords,
  t,
} from "./common.js";

function line(text) {
  const item = fromTemplate("line");
  item.textContent = text;
  return item;
}

function withdrawal(stored) {
  const revocation = decodeSigned("revocation", stored.text).claims;
  const date = day(stored.received_at);
  if (revocation.role === "school") return t("withdrawal-by-school", { date });
  if (revocation.scope.type === "token") return t("withdrawal-one", { date });
  return t("withdrawal-all", { date: day(revocation.scope.value) });
}

function person(entry, isMe) {
  const section = fromTemplate("person");
  const name = nameOf(entry.person);
  section.querySelector(".person-name").textContent = isMe ? t("who-me", { name }) : t("who-child", { name });
  const tokens = section.querySelector(".tokens");
  for (const token of entry.tokens) {
    const grant = decodeSigned("grant", token.text).claims;
    const item = fromTemplate("token");
    item.querySelector(".what").textContent = t("token-line", {
      media: inWords(grant.media),
      purposes: inWords(grant.purposes),
      until: day(grant.not_after),
    });
    item.querySelector(".state").textContent = `(${standingInWords(token.standing)})`;
    if (token.standing.status === "valid") {
      item.querySelector(".show-link").href = `/show#token=${token.token_id}`;
      item.querySelector(".withdraw-link").href = `/withdraw#token=${token.token_id}`;
    } else {
      item.querySelector(".links").remove();
    }
    tokens.append(item);
  }
  section.querySelector(".empty-tokens").hidden = entry.tokens.length > 0;
  const withdrawals = section.querySelector(".withdrawals");
  for (const stored of entry.revocations) withdrawals.append(line(withdrawal(stored)));
  section.querySelector(".empty-withdrawals").hidden = entry.revocations.length > 0;
  const publications = section.querySelector(".publications");
  for (const publication of entry.publications) {
    publications.append(
      line(
        t("publication-line", {
          channel: publication.url ?? publication.channel,
          date: day(publication.published_at),
          state:
            publication.taken_down_at == null
              ? t("publication-live")
              : t("publication-down", { date: day(publication.taken_down_at) }),
        }),
      ),
    );
  }
  section.querySelector(".empty-publications").hidden = entry.publications.length > 0;
  if (entry.person.kind !== "student") {
    for (const part of section.querySelectorAll("h3, ul, p")) part.remove();
  }
  return section;
}

try {
  const identity = await requireIdentity();
  const loaded = await loadRecord(identity);
  const { record } = loaded;
  sayFreshness($("freshness"), loaded);
  const people = everyone(record).map((entry, index) => person(entry, index === 0));
  $("people").replaceChildren(...people);
  const download = $("download");
  download.hidden = false;
  download.addEventListener("click", () => {
    const file = new Blob([`${JSON.stringify(record, null, 2)}\n`], { type: "application/json" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(file);
    link.download = `consent-record-${record.person.id}.json`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  });
} catch (error) {
  showError(error);
}
