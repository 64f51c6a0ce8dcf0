// Publications: each with consent at the check (everyone in it was
// allowed then, or the server would not have recorded it) and as it stands
// now, from the same list `consent publications` prints.

import { $, api, dayAndTime, day, reveal, showError, t } from "./common.js";
import { cell, mediaName, statusName, useName, where } from "./comms.js";

/** Whose consent no longer stands, one line each. */
function consentNow(publication) {
  const lost = publication.people_now.filter((person) => person.status !== "valid");
  if (lost.length === 0) {
    return document.createTextNode(t("console-publications-now-holds", { count: publication.people_now.length }));
  }
  const list = document.createElement("ul");
  list.className = "plain";
  for (const person of lost) {
    const values = {
      name: person.display_name ?? t("console-comms-erased"),
      status: statusName(person.status),
      date: person.since ? dayAndTime(person.since) : "",
    };
    const item = document.createElement("li");
    item.textContent = t(person.since ? "console-publications-now-lost" : "console-publications-now-lost-undated", values);
    list.append(item);
  }
  return list;
}

/** Live, to take down, or taken down (and when). */
function status(publication) {
  const badge = document.createElement("span");
  if (publication.taken_down_at) {
    badge.className = "badge badge-done";
    badge.textContent = t("console-publications-taken-down", { date: day(publication.taken_down_at) });
  } else if (publication.needs_takedown) {
    badge.className = "badge badge-alert";
    badge.textContent = t("console-publications-take-down");
  } else {
    badge.className = "badge badge-ok";
    badge.textContent = t("console-publications-live");
  }
  return badge;
}

function row(publication) {
  const tr = document.createElement("tr");
  tr.id = `publication-${publication.id}`;
  tr.append(
    cell(String(publication.id), true),
    cell(dayAndTime(publication.published_at)),
    cell(where(publication)),
    cell(`${useName(publication.purpose)} (${mediaName(publication.media_kind)})`),
    cell(t("console-publications-then", { count: publication.people.length, date: day(publication.published_at) })),
    cell(consentNow(publication)),
    cell(status(publication)),
  );
  return tr;
}

async function load() {
  const status = $("status");
  try {
    const publications = await api("GET", "/v1/publications");
    status.textContent = "";
    if (publications.length === 0) {
      reveal($("empty"));
      return;
    }
    publications.sort((a, b) => b.published_at - a.published_at || b.id - a.id);
    $("rows").replaceChildren(...publications.map(row));
    reveal($("list"));
  } catch (error) {
    status.textContent = "";
    showError(error);
  }
}

load();
