// A parent co-signs what their child prepared: the link (or the QR code on
// the child's phone) carries the consent's claims and the child's
// signature in its fragment. This phone checks the child's signature
// against the child's key from the school, shows the child's name and the
// exact scope, adds the parent's signature and sends the consent.

import { signClaims } from "../device.js";
import { base64urlDecode, decodeClaims, fromHex, messageToSign, signedText, verifyStrict } from "../protocol.js";
import {
  $,
  addFact,
  grantFacts,
  loadRecord,
  nameOf,
  post,
  requireIdentity,
  reveal,
  showError,
  t,
  signersInWords,
} from "./common.js";

/** The pending consent in the link, or null when it cannot be read. */
function pending() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  try {
    const claims = decodeClaims("grant", base64urlDecode(fragment.get("claims") ?? ""));
    const signature = base64urlDecode(fragment.get("signature") ?? "");
    if (signature.length !== 64 || claims.signers.by !== "subject-and-guardian") return null;
    return { claims, signature };
  } catch {
    return null;
  }
}

async function start() {
  if (!location.hash) {
    reveal($("how"));
    return;
  }
  const identity = await requireIdentity();
  const request = pending();
  if (!request) throw t("err-cosign-damaged");
  const { claims, signature } = request;
  if (claims.signers.guardian !== identity.id) throw t("err-cosign-not-yours");
  const { record } = await loadRecord(identity);
  const child = record.children.find((entry) => entry.person.id === claims.subject);
  if (!child || claims.school !== identity.details.school) throw t("err-cosign-not-child");
  const childKey = child.keys.find((key) => key.key_id === claims.signers.subject && !key.revoked);
  try {
    if (!childKey) throw new Error("not the child's current key");
    await verifyStrict(fromHex(childKey.public_key, 32), messageToSign("grant", claims), signature);
  } catch {
    throw t("err-cosign-damaged");
  }
  const name = nameOf(child.person);
  $("request-intro").textContent = t("cosign-intro", { child: name });
  grantFacts($("facts"), claims, name);
  addFact($("facts"), t("fact-signed-by"), signersInWords(claims, { ...child, guardians: [{ display_name: nameOf(record.person), key_ids: [identity.id] }] }));
  reveal($("request"));

  $("sign").addEventListener("click", async () => {
    const button = $("sign");
    button.disabled = true;
    try {
      const mine = await signClaims(identity, "grant", claims);
      await post("/v1/grants", { token: signedText({ kind: "grant", claims, signatures: [signature, mine] }) });
      history.replaceState(null, "", location.pathname);
      $("request").hidden = true;
      $("signed-text").textContent = t("cosign-done", { child: name });
      reveal($("signed"), true);
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
