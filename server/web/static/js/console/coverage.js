// Consent coverage: per class and use, the share of students who may
// appear, as a real table with the numbers as text; a cell's colour only
// repeats its share for the eye. One report per use, from the same
// endpoint as `consent report coverage`, whose CSV each use links to.

import { $, api, reveal, showError, t } from "./common.js";
import { USES, cell, mediaName, useName } from "./comms.js";

const MEDIA = ["photo", "video", "audio"];

/** The media kind asked for in the address (`?media=`), photo unless named. */
function chosenMedia() {
  const asked = new URLSearchParams(location.search).get("media");
  return MEDIA.includes(asked) ? asked : "photo";
}

/** The colour band of a share: the same four bands the legend names. */
function band(allowed, students) {
  if (students === 0) return "none";
  if (allowed === students) return "all";
  const share = allowed / students;
  if (share >= 0.8) return "most";
  if (share >= 0.5) return "half";
  return "few";
}

function share(allowed, students) {
  const td = document.createElement("td");
  td.className = `share share-${band(allowed, students)}`;
  const count = document.createElement("span");
  count.textContent = t("console-coverage-cell", { allowed, students });
  const percent = document.createElement("span");
  percent.className = "percent";
  percent.textContent = students === 0 ? "–" : `${Math.floor((allowed * 100) / students)}%`;
  td.append(count, document.createElement("br"), percent);
  return td;
}

function csvLinks(media) {
  return USES.map((use) => {
    const item = document.createElement("li");
    const link = document.createElement("a");
    const query = new URLSearchParams({ purpose: use, media_kind: media, format: "csv" });
    link.href = `/v1/reports/coverage?${query}`;
    link.download = `coverage-${use}-${media}.csv`;
    link.textContent = useName(use);
    item.append(link);
    return item;
  });
}

async function load() {
  const media = chosenMedia();
  $("media").value = media;
  const status = $("status");
  try {
    const reports = await Promise.all(
      USES.map((use) => api("GET", `/v1/reports/coverage?${new URLSearchParams({ purpose: use, media_kind: media })}`)),
    );
    status.textContent = "";
    // Every use reports on the same students: the groups are the same.
    const groups = [...new Set(reports.flatMap((rows) => rows.map((row) => row.group)))].sort();
    if (groups.length === 0) {
      reveal($("empty"));
      return;
    }
    const byUse = reports.map((rows) => new Map(rows.map((row) => [row.group, row])));
    $("caption").textContent = t("console-coverage-caption", { media: mediaName(media) });
    const head = document.createElement("tr");
    const corner = document.createElement("th");
    corner.scope = "col";
    corner.textContent = t("console-coverage-group");
    head.append(corner);
    for (const use of USES) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = useName(use);
      head.append(th);
    }
    $("head").replaceChildren(head);
    const rows = groups.map((group) => {
      const tr = document.createElement("tr");
      tr.append(cell(group === "" ? t("console-coverage-no-group") : group, true));
      for (const rowsOfUse of byUse) {
        const row = rowsOfUse.get(group) ?? { allowed: 0, students: 0 };
        tr.append(share(row.allowed, row.students));
      }
      return tr;
    });
    const total = document.createElement("tr");
    total.className = "total";
    total.append(cell(t("console-coverage-all"), true));
    for (const rowsOfUse of reports) {
      const sum = (field) => rowsOfUse.reduce((all, row) => all + row[field], 0);
      total.append(share(sum("allowed"), sum("students")));
    }
    $("rows").replaceChildren(...rows, total);
    $("downloads").replaceChildren(...csvLinks(media));
    reveal($("report"));
  } catch (error) {
    status.textContent = "";
    showError(error);
  }
}

load();
