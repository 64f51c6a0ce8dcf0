// The start page: says whether this phone is set up, and shows the actions
// that fit (setting up, or giving, showing and co-signing consent).

import { $, enrolledIdentity, t, unsupported } from "./common.js";

const status = $("device-status");
const identity = await enrolledIdentity().catch(() => null);
const states = new Set();
if (identity) {
  states.add("enrolled");
  if (identity.details.kind === "guardian") states.add("guardian");
  status.textContent = t("device-enrolled", { name: identity.details.display_name ?? "" });
} else {
  states.add("not-enrolled");
  status.textContent = t("device-not-enrolled");
  await unsupported();
}
for (const item of document.querySelectorAll("[data-when]")) {
  item.hidden = !states.has(item.dataset.when);
}
