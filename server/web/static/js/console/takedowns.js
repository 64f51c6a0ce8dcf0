// The takedown worklist: publications whose consent fell away, the oldest
// first, each with since when and which use lost its consent. Only what
// the task needs shows: where it is, for what, why (how many people, for
// which reason), never who; names are on the publications page for the
// rare question "who?".

import { $, api, clearError, day, dayAndTime, reveal, showError, t } from "./common.js";
import { cell, mediaName, statusName, useName, where } from "./comms.js";

/** Since when the publication must come down: the first consent that fell away. */
function since(publication) {
  const moments = publication.people_now
    .filter((person) => person.status !== "valid" && person.since)
    .map((person) => person.since);
  return moments.length > 0 ? Math.min(...moments) : null;
}

/** Why, without names: each reason with how many of the people in it. */
function why(publication) {
  const counts = new Map();
  for (const person of publication.people_now) {
    if (person.status !== "valid") counts.set(person.status, (counts.get(person.status) ?? 0) + 1);
  }
  const list = document.createElement("ul");
  list.className = "plain";
  for (const [status, count] of counts) {
    const item = document.createElement("li");
    item.textContent = t("console-takedowns-why", {
      status: statusName(status),
      count,
      total: publication.people_now.length,
    });
    list.append(item);
  }
  return list;
}

function markButton(publication) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "button";
  button.textContent = t("console-takedowns-mark");
  button.setAttribute("aria-label", t("console-takedowns-mark-label", { id: publication.id, channel: publication.channel }));
  button.dataset.publication = String(publication.id);
  button.addEventListener("click", () => markTakenDown(publication, button));
  return button;
}

function row(publication) {
  const tr = document.createElement("tr");
  tr.id = `takedown-${publication.id}`;
  const moment = since(publication);
  const place = where(publication);
  const hash = document.createElement("span");
  hash.className = "small break";
  hash.textContent = t("console-takedowns-hash", { hash: publication.media_hash });
  place.append(document.createElement("br"), hash);
  tr.append(
    cell(moment ? dayAndTime(moment) : t("console-takedowns-since-unknown"), true),
    cell(place),
    cell(`${useName(publication.purpose)} (${mediaName(publication.media_kind)})`),
    cell(why(publication)),
    cell(day(publication.published_at)),
    cell(markButton(publication)),
  );
  return tr;
}

function showEmptyWhenDone() {
  if ($("rows").children.length === 0) {
    $("list").hidden = true;
    reveal($("empty"));
  }
}

async function markTakenDown(publication, button) {
  clearError();
  button.disabled = true;
  try {
    await api("POST", `/v1/publications/${publication.id}/takedown`);
  } catch (error) {
    button.disabled = false;
    showError(error);
    return;
  }
  const next = $(`takedown-${publication.id}`).nextElementSibling?.querySelector("button");
  $(`takedown-${publication.id}`).remove();
  $("done").textContent = t("console-takedowns-marked", { id: publication.id });
  showEmptyWhenDone();
  // The focus stays in the list, on the next item, or moves to the message
  // that the list is empty.
  (next ?? $("empty")).focus();
}

/** A takedown request from the media audit: a picture online that must come down. */
function mediaRow(takedown) {
  const tr = document.createElement("tr");
  tr.id = `media-takedown-${takedown.id}`;
  const name = takedown.name ?? takedown.sha256;
  const file = document.createElement("span");
  file.textContent = name;
  const hash = document.createElement("span");
  hash.className = "small break";
  hash.textContent = t("console-takedowns-hash", { hash: takedown.sha256 });
  file.append(document.createElement("br"), hash);
  const button = document.createElement("button");
  button.type = "button";
  button.className = "button";
  button.textContent = t("console-takedowns-mark");
  button.setAttribute("aria-label", t("console-takedowns-media-mark-label", { name }));
  button.addEventListener("click", () => markMediaTakenDown(takedown, name, button));
  tr.append(
    cell(file, true),
    cell(t(`console-media-finding-${takedown.finding.replaceAll("_", "-")}`)),
    cell(day(takedown.requested_at)),
    cell(button),
  );
  return tr;
}

async function markMediaTakenDown(takedown, name, button) {
  clearError();
  button.disabled = true;
  try {
    await api("POST", `/v1/media/takedowns/${takedown.id}/done`);
  } catch (error) {
    button.disabled = false;
    showError(error);
    return;
  }
  const row = $(`media-takedown-${takedown.id}`);
  const next = row.nextElementSibling?.querySelector("button");
  row.remove();
  $("media-done").textContent = t("console-takedowns-media-marked", { name });
  if ($("media-rows").children.length === 0) {
    $("media-list").hidden = true;
    reveal($("media-empty"));
  }
  (next ?? $("media-empty")).focus();
  // Marking a picture that was a publication takes that publication down too.
  if (takedown.publication) loadPublications();
}

async function loadMedia() {
  const { takedowns } = await api("GET", "/v1/media/takedowns");
  const open = takedowns.filter((takedown) => !takedown.done_at).sort((a, b) => a.requested_at - b.requested_at || a.id - b.id);
  $("media-rows").replaceChildren(...open.map(mediaRow));
  if (open.length) reveal($("media-list"));
  else reveal($("media-empty"));
}

async function load() {
  try {
    await Promise.all([loadPublications(), loadMedia()]);
  } catch (error) {
    showError(error);
  } finally {
    $("status").textContent = "";
  }
}

async function loadPublications() {
  const flagged = await api("GET", "/v1/publications?flagged=true");
  // Oldest first: the longest without consent; then by publication.
  const order = (publication) => since(publication) ?? publication.published_at;
  flagged.sort((a, b) => order(a) - order(b) || a.id - b.id);
  $("rows").replaceChildren(...flagged.map(row));
  reveal($("list"));
  showEmptyWhenDone();
}

load();
