// Finding a person, their guardians (or children) and their phones, and
// cutting off a lost phone: the same API as `consent device list` and
// `consent device cut-off`.

import { $, addFact, api, clearError, dayAndTime, fromTemplate, kindName, reveal, segment, showAdminError, t } from "./admin.js";

const params = new URLSearchParams(location.search);

function name(person) {
  return person.display_name ?? t("console-admin-person-erased");
}

/** A table of people, each a link to their details. */
function list(people, caption) {
  $("list-caption").textContent = caption;
  const body = $("list");
  body.replaceChildren();
  for (const person of people) {
    const row = fromTemplate("person-row");
    const open = row.querySelector(".open");
    open.href = `/console/people?person=${segment(person.id)}`;
    open.textContent = name(person);
    open.addEventListener("click", (event) => {
      event.preventDefault();
      showPerson(person.id);
    });
    row.querySelector(".kind").textContent = kindName(person.kind);
    row.querySelector(".group").textContent = person.group ?? "";
    row.querySelector(".number").textContent = person.external_id ?? "";
    row.querySelector(".born").textContent = person.birth_date ?? "";
    body.append(row);
  }
  reveal($("list-box"));
}

async function showDevices(person) {
  const devices = await api("GET", `/v1/people/${segment(person.id)}/devices`);
  $("no-devices").hidden = devices.length > 0;
  $("devices-box").hidden = devices.length === 0;
  $("devices-caption").textContent = t("console-admin-devices-caption", { name: name(person) });
  const body = $("devices");
  body.replaceChildren();
  for (const device of devices) {
    const row = fromTemplate("device-row");
    row.querySelector(".key").textContent = device.key_id;
    row.querySelector(".enrolled").textContent = dayAndTime(device.registered_at);
    row.querySelector(".used").textContent =
      device.last_used_at == null ? t("console-admin-device-never") : dayAndTime(device.last_used_at);
    row.querySelector(".state").textContent =
      device.revoked_at == null
        ? t("console-admin-device-in-use")
        : t("console-admin-device-cut-off-at", { when: dayAndTime(device.revoked_at) });
    if (device.revoked_at == null) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "button button-inline button-danger cut-off";
      button.textContent = t("console-admin-device-cut-off");
      button.setAttribute("aria-label", t("console-admin-device-cut-off-label", { key: device.key_id }));
      button.addEventListener("click", () => cutOff(person, device.key_id));
      row.querySelector(".act").append(button);
    }
    body.append(row);
  }
}

async function cutOff(person, key) {
  if (!confirm(t("console-admin-device-confirm", { key }))) return;
  clearError();
  try {
    await api("POST", `/v1/keys/${segment(key)}/revoke`);
    await showDevices(person);
  } catch (error) {
    showAdminError(error);
    return;
  }
  const done = $("done");
  done.textContent = t("console-admin-device-cut-off-done", { key, name: name(person) });
  reveal(done, true);
}

async function showPerson(id) {
  clearError();
  $("done").hidden = true;
  let person;
  let linked;
  try {
    person = await api("GET", `/v1/people/${segment(id)}`);
    linked = await api("GET", `/v1/people/${segment(person.id)}/guardians`);
  } catch (error) {
    showAdminError(error.code === "not_found" ? t("console-admin-people-not-found") : error);
    return;
  }
  history.replaceState(null, "", `/console/people?person=${segment(person.id)}`);
  $("list-box").hidden = true;
  $("person-name").textContent = name(person);
  const facts = $("person-facts");
  facts.replaceChildren();
  addFact(facts, t("console-admin-people-kind"), kindName(person.kind));
  if (person.group) addFact(facts, t("console-admin-person-group"), person.group);
  if (person.external_id) addFact(facts, t("console-admin-people-number"), person.external_id);
  if (person.birth_date) addFact(facts, t("console-admin-people-born"), person.birth_date);
  const student = person.kind === "student";
  $("linked-title").textContent = t(student ? "console-admin-person-guardians" : "console-admin-person-children");
  const items = $("linked");
  items.replaceChildren();
  for (const other of linked) {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = `/console/people?person=${segment(other.id)}`;
    link.textContent = other.group ? `${name(other)} (${other.group})` : name(other);
    item.append(link);
    items.append(item);
  }
  if (linked.length === 0) {
    const item = document.createElement("li");
    item.textContent = t(student ? "console-admin-person-no-guardians" : "console-admin-person-no-children");
    items.append(item);
  }
  try {
    await showDevices(person);
  } catch (error) {
    showAdminError(error);
  }
  reveal($("person"), true);
}

$("find").addEventListener("submit", async (event) => {
  event.preventDefault();
  const who = $("who").value.trim();
  if (!who) return;
  $("person").hidden = true;
  $("ambiguous").hidden = true;
  clearError();
  try {
    const person = await api("GET", `/v1/people/${segment(who)}`);
    await showPerson(person.id);
  } catch (error) {
    if (error.code === "ambiguous_person") {
      reveal($("ambiguous"));
      list(error.document.candidates, who);
    } else {
      showAdminError(error.code === "not_found" ? t("console-admin-people-not-found") : error);
    }
  }
});

async function start() {
  const group = params.get("group");
  const person = params.get("person");
  try {
    if (person) await showPerson(person);
    else if (group) list(await api("GET", `/v1/people?group=${encodeURIComponent(group)}`), t("console-admin-people-group-caption", { group }));
  } catch (error) {
    showAdminError(error);
  }
}

start();
