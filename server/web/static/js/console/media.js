// The media audit: point the console at a copy of the website's pictures
// (a folder, some files, or a folder dropped on the page) and learn, for
// each, whether it was checked and whether everyone in it still consents.
//
// The pictures never leave this computer: each is fingerprinted here (its
// SHA-256 and perceptual hash, ../fingerprint.js) and only those go to the
// server, in batches. A finding that is not in order becomes a takedown
// request in one step.

import { $, api, clearError, day, reveal, showError, t } from "./common.js";
import { cell, statusName, useName } from "./comms.js";
import { PictureError, fingerprint } from "../fingerprint.js";

/** The server answers at most this many files per request. */
const BATCH = 500;

/** Pictures decoded at once: enough to overlap reading and decoding. */
const AT_ONCE = 2;

/** Findings that need someone to act, worst first. */
const NOT_IN_ORDER = ["never_checked", "refused_at_check", "consent_withdrawn", "uncertain", "not_read"];

/** Findings a takedown request is made for. */
const TAKE_DOWN = new Set(["never_checked", "refused_at_check", "consent_withdrawn"]);

let results = [];

/** Every file in a dropped folder, read through the entries API. */
async function filesIn(entry) {
  if (entry.isFile) {
    const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
    return [{ file, name: entry.fullPath.replace(/^\//, "") }];
  }
  if (!entry.isDirectory) return [];
  const reader = entry.createReader();
  const files = [];
  // readEntries answers in pieces until it answers nothing.
  for (;;) {
    const entries = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (entries.length === 0) return files;
    for (const inner of entries) if (!inner.name.startsWith(".")) files.push(...(await filesIn(inner)));
  }
}

/** A chosen file with its path as the user knows it: inside the chosen folder. */
const chosen = (file) => ({ file, name: file.webkitRelativePath || file.name });

/** Audits `files` (`{file, name}`), hidden files and folders left out. */
async function audit(files) {
  clearError();
  files = files.filter(({ name }) => !name.split("/").some((part) => part.startsWith(".")));
  if (files.length === 0) {
    showError(t("console-media-none-chosen"));
    return;
  }
  $("result").hidden = true;
  const progress = $("progress");
  progress.max = files.length;
  progress.value = 0;
  reveal($("working"));
  results = [];
  const pending = [];
  let next = 0;
  let hashed = 0;
  const send = async (batch) => {
    const answer = await api("POST", "/v1/media/audit", { files: batch.map((item) => item.request) });
    answer.files.forEach((finding, i) => Object.assign(batch[i], { finding }));
  };
  const sending = [];
  const worker = async () => {
    while (next < files.length) {
      const { file, name } = files[next];
      next += 1;
      const item = { name };
      try {
        const { sha256, phash } = await fingerprint(file);
        item.request = { name: item.name, sha256, phash };
        pending.push(item);
      } catch (error) {
        item.unread = error instanceof PictureError ? error.code : "unreadable";
      }
      results.push(item);
      hashed += 1;
      progress.value = hashed;
      $("progress-label").textContent = t("console-media-progress", { done: hashed, total: files.length });
      if (pending.length >= BATCH) sending.push(send(pending.splice(0, BATCH)));
    }
  };
  try {
    await Promise.all(Array.from({ length: AT_ONCE }, worker));
    if (pending.length) sending.push(send(pending.splice(0)));
    await Promise.all(sending);
  } catch (error) {
    $("working").hidden = true;
    showError(error);
    return;
  }
  $("working").hidden = true;
  show();
}

/** The finding's code: the server's, or `not_read` for a file not read. */
const findingOf = (item) => (item.unread ? "not_read" : item.finding.finding);

function badge(item) {
  const finding = findingOf(item);
  const span = document.createElement("span");
  const alert = finding !== "consent_holds" && finding !== "uncertain" && finding !== "not_read";
  span.className = `badge ${alert ? "badge-alert" : finding === "consent_holds" ? "badge-ok" : "badge-warn"}`;
  span.textContent = t(`console-media-finding-${finding.replaceAll("_", "-")}`);
  const words = document.createElement("span");
  words.append(span);
  const detail = document.createElement("span");
  detail.className = "small";
  if (item.unread) detail.textContent = t(`console-media-unread-${item.unread.replaceAll("_", "-")}`);
  else if (item.finding.match === "perceptual" || finding === "uncertain")
    detail.textContent = t("console-media-distance", { distance: item.finding.distance });
  if (detail.textContent) words.append(document.createElement("br"), detail);
  return words;
}

function checkCell(item) {
  const check = item.finding?.check;
  if (!check) return "–";
  return t("console-media-checked", { date: day(check.checked_at), use: useName(check.purpose) });
}

function publishedCell(item) {
  const publications = item.finding?.publications ?? [];
  if (!item.finding) return "–";
  if (publications.length === 0) return t("console-media-no-publication");
  const list = document.createElement("ul");
  list.className = "plain";
  for (const publication of publications) {
    const entry = document.createElement("li");
    entry.textContent = t(publication.taken_down_at ? "console-media-publication-down" : "console-media-publication", {
      id: publication.id,
      channel: publication.channel,
      date: day(publication.published_at),
    });
    list.append(entry);
  }
  return list;
}

function peopleCell(item) {
  const people = item.finding?.people ?? [];
  if (people.length === 0) return "–";
  const list = document.createElement("ul");
  list.className = "plain";
  for (const person of people) {
    const entry = document.createElement("li");
    const name = person.display_name ?? t("console-comms-erased");
    entry.textContent = person.since
      ? t("console-media-person-since", { name, status: statusName(person.outcome), date: day(person.since) })
      : t("console-media-person", { name, status: statusName(person.outcome) });
    list.append(entry);
  }
  return list;
}

function actionCell(item) {
  const takedown = item.finding?.takedown;
  if (takedown) {
    return t(takedown.done_at ? "console-media-takedown-done" : "console-media-takedown-requested", {
      date: day(takedown.done_at ?? takedown.requested_at),
    });
  }
  if (!item.finding || !TAKE_DOWN.has(item.finding.finding)) return "";
  const button = document.createElement("button");
  button.type = "button";
  button.className = "button";
  button.textContent = t("console-media-take-down");
  button.setAttribute("aria-label", t("console-media-take-down-label", { name: item.name }));
  button.addEventListener("click", async () => {
    button.disabled = true;
    if (await requestTakedown(item)) {
      $("done").textContent = t("console-media-take-down-made", { name: item.name });
      show();
      // The row is drawn again: the focus goes to what was done.
      $("done").focus();
    } else button.disabled = false;
  });
  return button;
}

/** Makes a takedown request for `item`; false (with the error shown) when refused. */
async function requestTakedown(item) {
  clearError();
  const { finding } = item;
  try {
    const made = await api("POST", "/v1/media/takedowns", {
      sha256: finding.sha256,
      phash: item.request.phash,
      name: item.name,
      finding: finding.finding,
      publication: finding.publications.find((publication) => !publication.taken_down_at)?.id,
    });
    finding.takedown = { id: made.id, requested_at: made.requested_at, done_at: made.done_at };
    return true;
  } catch (error) {
    showError(error);
    return false;
  }
}

function row(item, index) {
  const tr = document.createElement("tr");
  tr.id = `file-${index}`;
  tr.dataset.finding = findingOf(item);
  tr.append(
    cell(item.name, true),
    cell(badge(item)),
    cell(checkCell(item)),
    cell(publishedCell(item)),
    cell(peopleCell(item)),
    cell(actionCell(item)),
  );
  return tr;
}

function show() {
  const rank = (item) => {
    const at = NOT_IN_ORDER.indexOf(findingOf(item));
    return at === -1 ? NOT_IN_ORDER.length : at;
  };
  results.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
  const counts = new Map();
  for (const item of results) counts.set(findingOf(item), (counts.get(findingOf(item)) ?? 0) + 1);
  const wrong = results.filter((item) => findingOf(item) !== "consent_holds").length;
  $("summary").textContent = wrong
    ? t("console-media-summary-wrong", { total: results.length, wrong })
    : t("console-media-summary-fine", { total: results.length });
  $("counts").replaceChildren(
    ...[...NOT_IN_ORDER, "consent_holds"]
      .filter((finding) => counts.has(finding))
      .map((finding) => {
        const entry = document.createElement("li");
        entry.textContent = t(`console-media-count-${finding.replaceAll("_", "-")}`, { count: counts.get(finding) });
        return entry;
      }),
  );
  const open = results.filter((item) => item.finding && TAKE_DOWN.has(item.finding.finding) && !item.finding.takedown);
  $("take-down-all").textContent = t("console-media-take-down-all", { count: open.length });
  $("take-down-all-place").hidden = open.length < 2;
  $("rows").replaceChildren(...results.map(row));
  const first = $("result").hidden;
  reveal($("result"));
  if (first) {
    // The findings are what the officer came for: they start at the top.
    $("result-heading").focus({ preventScroll: true });
    $("result").scrollIntoView({ block: "start" });
  }
}

async function takeDownAll() {
  const button = $("take-down-all");
  button.disabled = true;
  const open = results.filter((item) => item.finding && TAKE_DOWN.has(item.finding.finding) && !item.finding.takedown);
  let made = 0;
  for (const item of open) {
    if (!(await requestTakedown(item))) break;
    made += 1;
  }
  button.disabled = false;
  $("done").textContent = t("console-media-take-down-all-made", { count: made });
  show();
  $("done").focus();
}

$("folder").addEventListener("change", (event) => audit([...event.target.files].map(chosen)));
$("files").addEventListener("change", (event) => audit([...event.target.files].map(chosen)));
$("take-down-all").addEventListener("click", takeDownAll);
const drop = $("drop");
for (const target of [drop, document.body]) {
  target.addEventListener("dragover", (event) => {
    event.preventDefault();
    drop.classList.add("drop-over");
  });
}
document.body.addEventListener("dragleave", () => drop.classList.remove("drop-over"));
document.body.addEventListener("drop", async (event) => {
  event.preventDefault();
  drop.classList.remove("drop-over");
  const entries = [...event.dataTransfer.items].map((item) => item.webkitGetAsEntry()).filter(Boolean);
  const files = [];
  for (const entry of entries) files.push(...(await filesIn(entry)));
  audit(files);
});
