// Withdrawing consent: the page names the consent and the publications that
// relied on it, and one confirmed action signs a revocation with this
// phone's key and sends it. From the server's answer on, no check allows it.

import { signClaims } from "../device.js";
import { decodeSigned, nowSeconds, randomId, signedText, timestampText } from "../protocol.js";
import {
  $,
  Problem,
  day,
  dayAndTime,
  everyone,
  fromTemplate,
  grantFacts,
  loadRecord,
  nameOf,
  post,
  requireIdentity,
  reveal,
  showError,
  t,
} from "./common.js";

/** The live publications of `person` that `grant` covered. */
function affected(person, grant) {
  return person.publications.filter(
    (publication) =>
      publication.taken_down_at == null &&
      grant.purposes.includes(publication.purpose) &&
      grant.media.includes(publication.media_kind),
  );
}

async function start() {
  const identity = await requireIdentity();
  const { record } = await loadRecord(identity);
  const tokenId = new URLSearchParams(location.hash.slice(1)).get("token");
  const person = everyone(record).find((entry) => entry.tokens.some((token) => token.token_id === tokenId));
  if (!person) throw new Problem("unknown_token");
  const token = person.tokens.find((entry) => entry.token_id === tokenId);
  const grant = decodeSigned("grant", token.text).claims;
  grantFacts($("facts"), grant, nameOf(person.person));
  const publications = affected(person, grant);
  for (const publication of publications) {
    const item = fromTemplate("publication");
    item.textContent = t("publication-line", {
      channel: publication.url ?? publication.channel,
      date: day(publication.published_at),
      state: t("publication-live"),
    });
    $("publications").append(item);
  }
  $("publications-none").hidden = publications.length > 0;
  reveal($("confirm"));

  $("withdraw").addEventListener("click", async () => {
    const button = $("withdraw");
    button.disabled = true;
    try {
      const claims = {
        id: randomId(),
        school: identity.details.school,
        subject: person.person.id,
        scope: { type: "token", value: tokenId },
        issued_at: timestampText(nowSeconds()),
        role: person.person.id === identity.details.person ? "subject" : "guardian",
        key: identity.id,
      };
      const signature = await signClaims(identity, "revocation", claims);
      const accepted = await post("/v1/revocations", {
        revocation: signedText({ kind: "revocation", claims, signatures: [signature] }),
      });
      $("confirm").hidden = true;
      $("withdrawn-text").textContent = `${t("withdrawn-text", { when: dayAndTime(accepted.received_at) })} ${
        publications.length > 0 ? t("withdrawn-flagged", { count: publications.length }) : t("withdrawn-none")
      }`;
      reveal($("withdrawn"), true);
      // Refresh the copy kept on this phone, so that the code no longer shows.
      await loadRecord(identity).catch(() => {});
    } catch (error) {
      showError(error);
    } finally {
      button.disabled = false;
    }
  });
}

// Another link opened on this page names another consent: start again.
addEventListener("hashchange", () => location.reload());

start().catch(showError);
