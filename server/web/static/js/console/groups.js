// The school's groups with their students and guardians, and links to each
// group's people and its printable enrollment cards.

import { $, api, fromTemplate, reveal, showAdminError, t } from "./admin.js";

async function show() {
  let groups;
  try {
    groups = await api("GET", "/v1/groups");
  } catch (error) {
    showAdminError(error);
    return;
  }
  if (groups.length === 0) {
    reveal($("none"));
    return;
  }
  const body = $("groups");
  for (const group of groups) {
    const row = fromTemplate("group-row");
    row.querySelector(".name").textContent = group.name;
    row.querySelector(".students").textContent = String(group.students);
    row.querySelector(".guardians").textContent = String(group.guardians);
    const query = `group=${encodeURIComponent(group.name)}`;
    const people = row.querySelector(".people");
    people.href = `/console/people?${query}`;
    people.textContent = t("console-admin-groups-people", { group: group.name });
    const sheet = row.querySelector(".sheet");
    sheet.href = `/console/sheets?${query}`;
    sheet.textContent = t("console-admin-groups-sheet", { group: group.name });
    body.append(row);
  }
  reveal($("groups-box"));
}

show();
