// Printable enrollment cards for a class: a card per student and per
// parent with name, class, the QR code of the phone app's enrollment link
// (as the enrollment-code API returns it), the code as text, its expiry
// and three steps. Codes are made only when asked: every code made stays
// valid, so reloading the page must not make more of them.

import { $, api, day, drawQr, fromTemplate, reveal, segment, showAdminError, t } from "./admin.js";

const wanted = new URLSearchParams(location.search).get("group");

function name(person) {
  return person.display_name ?? "";
}

async function chooseGroup() {
  const groups = await api("GET", "/v1/groups");
  const select = $("group");
  for (const group of groups) {
    const option = document.createElement("option");
    option.value = group.name;
    option.textContent = group.name;
    select.append(option);
  }
  if (groups.length === 0) {
    showAdminError(t("console-admin-sheets-none"));
    return null;
  }
  if (!wanted) return null;
  const found = groups.find((group) => group.name.toLowerCase() === wanted.toLowerCase());
  if (found) select.value = found.name;
  return found?.name ?? wanted;
}

function card(person, about, code) {
  const item = fromTemplate("card");
  const qr = item.querySelector(".card-qr");
  drawQr(qr, code.link);
  qr.setAttribute("aria-label", t("console-admin-card-qr", { name: name(person) }));
  qr.dataset.link = code.link;
  item.querySelector(".card-name").textContent = name(person);
  item.querySelector(".card-about").textContent = about;
  item.querySelector(".card-code-label").textContent = t("console-admin-card-code");
  item.querySelector(".card-code-value").textContent = code.code;
  item.querySelector(".card-until").textContent = t("console-admin-card-until", { until: day(code.expires_at) });
  item.querySelector(".step1").textContent = t("console-admin-card-step1");
  item.querySelector(".step2").textContent = t("console-admin-card-step2", { address: location.origin });
  item.querySelector(".step3").textContent = t("console-admin-card-step3");
  return item;
}

function sheet(title, cards) {
  const section = fromTemplate("sheet");
  section.querySelector(".sheet-title").textContent = title;
  section.querySelector(".cards").append(...cards);
  $("sheets").append(section);
}

async function make(group, students) {
  const status = $("status");
  // Each student's guardians, each guardian once with all their children here.
  const guardians = new Map();
  for (const student of students) {
    for (const guardian of await api("GET", `/v1/people/${segment(student.id)}/guardians`)) {
      const entry = guardians.get(guardian.id) ?? { person: guardian, children: [] };
      entry.children.push(name(student));
      guardians.set(guardian.id, entry);
    }
  }
  const everyone = [
    ...students.map((person) => ({ person, about: t("console-admin-card-class", { group }) })),
    ...[...guardians.values()].map(({ person, children }) => ({
      person,
      about: t("console-admin-card-parent-of", { children: children.join(", ") }),
      guardian: true,
    })),
  ];
  const studentCards = [];
  const guardianCards = [];
  for (const [index, entry] of everyone.entries()) {
    status.textContent = t("console-admin-sheets-making", { done: index, total: everyone.length });
    const code = await api("POST", `/v1/people/${segment(entry.person.id)}/enrollment-codes`, {});
    (entry.guardian ? guardianCards : studentCards).push(card(entry.person, entry.about, code));
  }
  status.textContent = t("console-admin-sheets-making", { done: everyone.length, total: everyone.length });
  $("sheets").replaceChildren();
  sheet(t("console-admin-sheets-page", { group }), studentCards);
  if (guardianCards.length > 0) sheet(t("console-admin-sheets-guardians", { group }), guardianCards);
  reveal($("print-box"));
  $("print").focus();
}

async function start() {
  const group = await chooseGroup();
  if (!group) return;
  const people = await api("GET", `/v1/people?group=${encodeURIComponent(group)}`);
  const students = people.filter((person) => person.kind === "student" && !person.erased);
  if (students.length === 0) {
    showAdminError(t("console-admin-sheets-empty", { group }));
    return;
  }
  reveal($("make-box"));
  $("make").addEventListener("click", async () => {
    const button = $("make");
    button.disabled = true;
    try {
      await make(group, students);
      $("make-box").hidden = true;
    } catch (error) {
      showAdminError(error);
    } finally {
      button.disabled = false;
    }
  });
}

$("print").addEventListener("click", () => window.print());

start().catch(showAdminError);
