// Staff accounts and their access: adding an account, its API tokens and
// console sessions (listed without secrets, revocable), a new API token
// shown once, and a one-time console sign-in code as text and QR code.

import { $, api, clearError, day, dayAndTime, drawQr, fromTemplate, reveal, showAdminError, t } from "./admin.js";

let current = null;

function done(text) {
  const box = $("done");
  box.textContent = text;
  reveal(box, true);
}

async function showStaff() {
  const members = await api("GET", "/v1/staff");
  const body = $("staff");
  body.replaceChildren();
  for (const member of members) {
    const row = fromTemplate("staff-row");
    row.querySelector(".name").textContent = member.name;
    row.querySelector(".role").textContent = t(`console-role-${member.role}`);
    const manage = row.querySelector(".manage");
    manage.textContent = t("console-admin-staff-manage", { name: member.name });
    manage.addEventListener("click", () => open(member));
    body.append(row);
  }
}

async function showTokens(member) {
  const tokens = await api("GET", `/v1/staff/${member.id}/tokens`);
  $("no-tokens").hidden = tokens.length > 0;
  $("tokens-box").hidden = tokens.length === 0;
  $("tokens-caption").textContent = t("console-admin-tokens-caption", { name: member.name });
  const body = $("tokens");
  body.replaceChildren();
  for (const token of tokens) {
    const row = fromTemplate("token-row");
    row.querySelector(".label").textContent = token.label;
    row.querySelector(".kind").textContent = t(`console-admin-token-kind-${token.kind.replaceAll("_", "-")}`);
    row.querySelector(".issued").textContent = dayAndTime(token.created_at);
    row.querySelector(".expires").textContent = dayAndTime(token.expires_at);
    const revoke = row.querySelector(".revoke");
    revoke.textContent = t("console-admin-token-revoke");
    revoke.setAttribute("aria-label", t("console-admin-token-revoke-label", { label: token.label, id: token.id }));
    revoke.addEventListener("click", async () => {
      clearError();
      try {
        await api("DELETE", `/v1/tokens/${token.id}`);
        await showTokens(member);
        done(t("console-admin-token-revoked"));
      } catch (error) {
        showAdminError(error);
      }
    });
    body.append(row);
  }
}

async function open(member) {
  clearError();
  current = member;
  $("done").hidden = true;
  $("code-box").hidden = true;
  $("secret-box").hidden = true;
  $("member-title").textContent = t("console-admin-staff-manage", { name: member.name });
  $("tokens-title").textContent = t("console-admin-tokens", { name: member.name });
  try {
    await showTokens(member);
  } catch (error) {
    showAdminError(error);
    return;
  }
  reveal($("member"), true);
}

$("sign-in-code").addEventListener("click", async () => {
  clearError();
  try {
    const code = await api("POST", `/v1/staff/${current.id}/sign-in-codes`);
    $("code-text").textContent = t("console-admin-sign-in-code-text", { name: current.name, until: dayAndTime(code.expires_at) });
    $("code").textContent = code.code;
    const qr = $("code-qr");
    drawQr(qr, code.link);
    qr.setAttribute("role", "img");
    qr.setAttribute("aria-label", code.link);
    qr.dataset.link = code.link;
    $("code-link").href = code.link;
    $("code-link").textContent = code.link;
    reveal($("code-box"));
    $("code-text").focus?.();
  } catch (error) {
    showAdminError(error);
  }
});

$("token-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearError();
  const days = $("token-days").value.trim();
  try {
    const issued = await api("POST", `/v1/staff/${current.id}/tokens`, {
      label: $("token-label").value,
      valid_days: /^\d+$/.test(days) ? Number(days) : 0,
    });
    $("secret-text").textContent = t("console-admin-token-secret", { until: day(issued.expires_at) });
    $("secret").textContent = issued.token;
    reveal($("secret-box"));
    await showTokens(current);
  } catch (error) {
    showAdminError(error);
  }
});

$("add").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearError();
  try {
    const member = await api("POST", "/v1/staff", { name: $("name").value, role: $("role").value });
    $("name").value = "";
    await showStaff();
    await open(member);
    done(t("console-admin-staff-added", { name: member.name }));
  } catch (error) {
    showAdminError(error);
  }
});

showStaff().catch(showAdminError);
