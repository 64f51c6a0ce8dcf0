// Giving consent: the choices are made in a plain form; the page encodes
// the grant exactly as docs/protocol.md says (protocol.js), shows what it
// is about to sign, signs it with this phone's key and sends it to the
// school. A student below the school's age of digital consent signs first
// and hands the consent to a parent's phone to co-sign (cosign.js).

import { signClaims } from "../device.js";
import {
  base64urlEncode,
  encodeClaims,
  endOfSchoolYear,
  nowSeconds,
  randomId,
  signedText,
  timestampText,
} from "../protocol.js";
import {
  $,
  addFact,
  clearError,
  drawQr,
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
  unsupported,
} from "./common.js";

const form = $("give-form");
const review = $("review");
const until = $("until");

let identity;
let record;
let prepared;

function choose(field, choicesId, templateId, name, options) {
  const choices = $(choicesId);
  choices.replaceChildren();
  options.forEach(({ value, label }, index) => {
    const choice = fromTemplate(templateId);
    const input = choice.querySelector("input");
    const id = `${name}-${index}`;
    input.id = id;
    input.value = value;
    input.checked = index === 0;
    const text = choice.querySelector("label");
    text.htmlFor = id;
    text.textContent = label;
    choices.append(choice);
  });
  $(field).hidden = false;
}

function isoDay(seconds) {
  return new Date(seconds * 1000).toISOString().slice(0, 10);
}

async function start() {
  const missing = await unsupported();
  if (missing) throw missing;
  identity = await requireIdentity();
  ({ record } = await loadRecord(identity));
  until.value = isoDay(endOfSchoolYear(nowSeconds()));
  until.min = isoDay(nowSeconds());
  if (identity.details.kind === "guardian") {
    // A parent gives consent for a child, signing alone as their guardian.
    choose(
      "subject-field",
      "subject-choices",
      "subject-choice",
      "subject",
      record.children.map((child) => ({ value: child.person.id, label: t("who-child", { name: nameOf(child.person) }) })),
    );
  } else if (record.needs_guardian) {
    const parents = record.guardians.filter((guardian) => guardian.key_ids.length > 0);
    if (parents.length === 0) {
      showError(t("err-no-guardian"));
      form.querySelector("button[type=submit]").disabled = true;
      return;
    }
    choose(
      "guardian-field",
      "guardian-choices",
      "guardian-choice",
      "guardian",
      parents.map((guardian) => ({ value: guardian.key_ids.at(-1), label: guardian.display_name ?? guardian.person })),
    );
  }
}

function checked(name) {
  return [...form.querySelectorAll(`input[name=${name}]:checked`)].map((input) => input.value);
}

function flag(errorId, input, wrong) {
  $(errorId).hidden = !wrong;
  for (const element of input) {
    if (wrong) element.setAttribute("aria-invalid", "true");
    else element.removeAttribute("aria-invalid");
  }
  return wrong;
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  clearError();
  const media = checked("media");
  const purposes = checked("purpose");
  const now = nowSeconds();
  const last = Date.parse(`${until.value}T23:59:59Z`) / 1000;
  const wrong = [
    flag("media-error", form.querySelectorAll("input[name=media]"), media.length === 0),
    flag("purpose-error", form.querySelectorAll("input[name=purpose]"), purposes.length === 0),
    flag("until-error", [until], !(last >= now)),
  ];
  const first = wrong.indexOf(true);
  if (first >= 0) {
    [form.querySelector("input[name=media]"), form.querySelector("input[name=purpose]"), until][first].focus();
    return;
  }
  const forChild = identity.details.kind === "guardian";
  const subject = forChild ? checked("subject")[0] : identity.details.person;
  const guardianKey = !forChild && record.needs_guardian ? checked("guardian")[0] : null;
  const signers = forChild
    ? { by: "guardian", key: identity.id }
    : guardianKey
      ? { by: "subject-and-guardian", subject: identity.id, guardian: guardianKey }
      : { by: "subject", key: identity.id };
  prepared = {
    token_id: randomId(),
    school: identity.details.school,
    subject,
    media,
    purposes,
    // A consent holds from the moment it is made: the server refuses one
    // that is not valid yet.
    issued_at: timestampText(now),
    not_before: timestampText(now),
    not_after: timestampText(last),
    signers,
  };
  const person = everyone(record).find((entry) => entry.person.id === subject);
  const facts = $("review-facts");
  facts.replaceChildren();
  grantFacts(facts, prepared, nameOf(person.person));
  const me = nameOf(record.person);
  const guardian = record.guardians?.find((entry) => entry.key_ids.includes(guardianKey));
  addFact(
    facts,
    t("fact-signed-by"),
    forChild
      ? t("signer-guardian", { guardian: me })
      : guardianKey
        ? t("signer-both", { name: me, guardian: guardian?.display_name ?? t("a-parent") })
        : t("signer-subject", { name: me }),
  );
  form.hidden = true;
  reveal(review, true);
});

$("change").addEventListener("click", () => {
  review.hidden = true;
  form.hidden = false;
  form.querySelector("input").focus();
});

$("sign").addEventListener("click", async () => {
  clearError();
  const button = $("sign");
  button.disabled = true;
  try {
    const signature = await signClaims(identity, "grant", prepared);
    if (prepared.signers.by === "subject-and-guardian") {
      // The parent's phone gets the claims and this signature in the link's
      // fragment, which never reaches a server.
      const fragment = new URLSearchParams({
        claims: base64urlEncode(encodeClaims("grant", prepared)),
        signature: base64urlEncode(signature),
      });
      const link = `${location.origin}/cosign#${fragment}`;
      $("pending-link").href = link;
      drawQr($("pending-qr"), link);
      review.hidden = true;
      reveal($("pending"), true);
      return;
    }
    const token = signedText({ kind: "grant", claims: prepared, signatures: [signature] });
    await post("/v1/grants", { token });
    review.hidden = true;
    reveal($("given"), true);
  } catch (error) {
    showError(error);
  } finally {
    button.disabled = false;
  }
});

start().catch((error) => {
  form.hidden = true;
  showError(error);
});
