// Setting up this phone: a new device key made here (it never leaves the
// phone), its public key sent with the one-time code from the school's
// letter. The code comes from the link the letter's QR code holds
// (`/enroll#code=...`, never sent to a server) or is typed in.

import { createIdentity, removeIdentity, updateDetails } from "../device.js";
import { $, Problem, clearError, enrolledIdentity, post, reveal, showError, t, unsupported } from "./common.js";

const form = $("enroll-form");
const input = $("code");
const codeError = $("code-error");

/** The code's 16 characters, as the server compares them, or null. */
function normalise(text) {
  const code = text.replace(/^consent-enroll:/i, "").replace(/[\s-]/g, "").toUpperCase();
  return /^[0-9A-HJKMNP-TV-Z]{16}$/.test(code) ? code : null;
}

async function enroll(text) {
  clearError();
  codeError.hidden = true;
  const code = normalise(text);
  if (!code) {
    codeError.textContent = t("err-code-format");
    codeError.hidden = false;
    input.setAttribute("aria-invalid", "true");
    input.focus();
    return;
  }
  input.removeAttribute("aria-invalid");
  const existing = await enrolledIdentity();
  if (existing) {
    showError(t("err-already-enrolled", { name: existing.details.display_name ?? "" }));
    return;
  }
  const missing = await unsupported();
  if (missing) {
    showError(missing);
    return;
  }
  const button = form.querySelector("button");
  button.disabled = true;
  button.textContent = t("working");
  let identity;
  try {
    identity = await createIdentity();
    const enrolled = await post("/v1/enroll", { code, public_key: identity.publicKey });
    if (enrolled.key_id !== identity.id) throw new Problem("key_mismatch");
    await updateDetails(identity.id, enrolled);
    // The code is used: keep it out of the address bar and the history.
    history.replaceState(null, "", location.pathname);
    $("enroll-start").hidden = true;
    $("enroll-done-text").textContent = t("enroll-done-text", { name: enrolled.display_name ?? "" });
    reveal($("enroll-done"), true);
  } catch (error) {
    if (identity) await removeIdentity(identity.id).catch(() => {});
    showError(error);
  } finally {
    button.disabled = false;
    button.textContent = button.dataset.label;
  }
}

form.querySelector("button").dataset.label = form.querySelector("button").textContent;
form.addEventListener("submit", (event) => {
  event.preventDefault();
  enroll(input.value);
});

const fromLink = new URLSearchParams(location.hash.slice(1)).get("code");
if (fromLink) {
  input.value = fromLink;
  enroll(fromLink);
} else {
  const existing = await enrolledIdentity().catch(() => null);
  if (existing) showError(t("err-already-enrolled", { name: existing.details.display_name ?? "" }));
  else {
    const missing = await unsupported();
    if (missing) showError(missing);
  }
}
