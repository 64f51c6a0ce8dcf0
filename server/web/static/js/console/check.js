// Check a photo before it is used, blur who may not appear, publish it.
//
// The photo never leaves this phone: the page hashes it here (WebCrypto
// SHA-256) and sends only the hash and who is in it. When someone may not
// appear, the teacher blurs their face on the page; the edited photo is a
// new file with its own hash, and that hash, with only the people still
// recognisable, is what is checked again and published.

import { $, api, clearError, fromTemplate, reveal, showError, t } from "./common.js";
import { codeReader, judge } from "./codes.js";
import { Editor } from "./blur.js";
import { perceptualHash, perceptualHashOfBitmap, sha256 } from "../fingerprint.js";
import { explainTeacher, listOf, outcomeWords, purposeName } from "./teacher.js";

/** The page's state: the photo, who is in it, the last check. */
const state = {
  hash: null,
  phash: null,
  editor: null,
  people: [],
  scanned: new Map(),
  check: null,
  names: new Map(),
  edited: null,
  channels: [],
};

/** `hash` shortened for people: enough to tell two photos apart. */
const short = (hash) => `${hash.slice(0, 8)}…${hash.slice(-8)}`;

async function photoChosen(event) {
  const file = event.target.files[0];
  if (!file) return;
  clearError();
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    showError(t("teacher-err-image-unreadable"));
    return;
  }
  state.hash = await sha256(file);
  // The perceptual hash lets the media audit find this photo after the
  // website resized it; a check without it still works.
  state.phash = phashOf(bitmap);
  // A fresh canvas for each photo, back in the photo's place: the last
  // photo's editor keeps listening to its own.
  const old = $("photo");
  const canvas = old.cloneNode(false);
  old.remove();
  canvas.tabIndex = -1;
  canvas.removeAttribute("aria-describedby");
  canvas.setAttribute("aria-label", t("teacher-photo-label"));
  $("photo-place").append(canvas);
  state.editor = new Editor(canvas, bitmap, blurred);
  blurred(0);
  canvas.hidden = false;
  $("fingerprint").textContent = t("teacher-photo-fingerprint", { hash: short(state.hash) });
  $("fingerprint").dataset.hash = state.hash;
  for (const step of ["verdicts-step", "blur-step", "edited-step", "publish", "published"]) $(step).hidden = true;
  reveal($("who"));
}

async function loadPeople() {
  try {
    state.people = (await api("GET", "/v1/people")).filter((person) => person.kind === "student" && !person.erased);
  } catch (error) {
    showError(explainTeacher(error));
    return;
  }
  const groups = [...new Set(state.people.map((person) => person.group).filter(Boolean))];
  groups.sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  for (const group of groups) $("group").append(new Option(group, group));
}

function groupChosen() {
  const group = $("group").value;
  const members = $("members");
  members.replaceChildren();
  $("members-field").hidden = !group;
  const inGroup = state.people
    .filter((person) => person.group === group)
    .sort((a, b) => a.display_name.localeCompare(b.display_name));
  for (const person of inGroup) {
    const choice = fromTemplate("member");
    const input = choice.querySelector("input");
    input.id = `member-${person.id}`;
    input.value = person.id;
    const label = choice.querySelector("label");
    label.htmlFor = input.id;
    label.textContent = person.display_name;
    members.append(choice);
  }
}

async function codeRead(text) {
  clearError();
  try {
    const scan = await judge(text);
    const name = scan.person.display_name ?? t("teacher-erased");
    if (!state.scanned.has(scan.person.id)) {
      state.scanned.set(scan.person.id, text.trim());
      const item = document.createElement("li");
      item.textContent = name;
      $("scanned").append(item);
    }
    $("reading").textContent = t("teacher-codes-added", { name });
  } catch (error) {
    $("reading").textContent = "";
    showError(explainTeacher(error));
  }
}

/** The check's request for the people named on the form. */
function question() {
  const group = $("group").value;
  const boxes = [...document.querySelectorAll('#members input[name="member"]')];
  const ticked = boxes.filter((box) => box.checked).map((box) => box.value);
  const request = { media_kind: "photo", purpose: $("purpose").value, people: [], groups: [], tokens: [...state.scanned.values()] };
  if (group && ticked.length === boxes.length) request.groups.push(group);
  else request.people.push(...ticked);
  return request;
}

/** Checks `hash` for `request` and shows the verdicts; answers the check. */
/** The perceptual hash of a decoded photo, or null when it cannot be made. */
function phashOf(bitmap) {
  try {
    return perceptualHashOfBitmap(bitmap);
  } catch {
    return null;
  }
}

async function check(hash, request, phash) {
  const answer = await api("POST", "/v1/checks", { ...request, media_hash: hash, media_phash: phash ?? undefined });
  state.check = { ...answer, hash, purpose: request.purpose };
  for (const verdict of answer.verdicts) state.names.set(verdict.person, verdict.display_name ?? t("teacher-erased"));
  const list = $("verdicts");
  list.replaceChildren();
  for (const verdict of answer.verdicts) {
    const item = fromTemplate("verdict");
    item.classList.add(verdict.outcome === "allowed" ? "verdict-ok" : "verdict-no");
    item.querySelector(".verdict-name").textContent = state.names.get(verdict.person);
    item.querySelector(".verdict-state").textContent =
      verdict.outcome === "allowed" ? t("teacher-verdict-allowed") : t("teacher-verdict-refused", { why: outcomeWords(verdict.outcome) });
    list.append(item);
  }
  const refused = answer.verdicts.filter((verdict) => verdict.outcome !== "allowed");
  $("summary").className = `notice ${refused.length ? "notice-error" : "notice-ok"}`;
  $("summary-text").textContent = refused.length
    ? t("teacher-summary-refused", { count: refused.length, purpose: purposeName(request.purpose) })
    : t("teacher-summary-allowed", { count: answer.verdicts.length, purpose: purposeName(request.purpose) });
  return refused;
}

async function checkPhoto(event) {
  event.preventDefault();
  clearError();
  cameraStopped();
  const request = question();
  if (!request.people.length && !request.groups.length && !request.tokens.length) {
    showError(t("teacher-err-no-people"));
    return;
  }
  let refused;
  try {
    refused = await check(state.hash, request, state.phash);
  } catch (error) {
    showError(explainTeacher(error));
    return;
  }
  state.edited = null;
  $("edited-step").hidden = true;
  reveal($("verdicts-step"), true);
  if (refused.length) startBlurring(refused);
  else readyToPublish();
}

function startBlurring(refused) {
  $("publish").hidden = true;
  const choices = $("blurred");
  choices.replaceChildren();
  for (const verdict of refused) {
    const choice = fromTemplate("blurred-person");
    const input = choice.querySelector("input");
    input.id = `blurred-${verdict.person}`;
    input.value = verdict.person;
    const label = choice.querySelector("label");
    label.htmlFor = input.id;
    label.textContent = state.names.get(verdict.person);
    choices.append(choice);
  }
  const canvas = $("photo");
  $("blur-place").append(canvas);
  state.editor.active = true;
  canvas.tabIndex = 0;
  canvas.setAttribute("aria-describedby", "blur-keys");
  canvas.setAttribute("aria-label", t("teacher-blur-photo-label"));
  reveal($("blur-step"));
}

function blurred(count) {
  $("undo").disabled = count === 0;
  $("blur-count").textContent = count ? t("teacher-blur-count", { count }) : "";
}

async function blurDone() {
  clearError($("blur-error"));
  const gone = new Set([...document.querySelectorAll('#blurred input[name="blurred"]:checked')].map((box) => box.value));
  const still = state.check.verdicts.map((verdict) => verdict.person).filter((person) => !gone.has(person));
  if (!still.length) {
    showError(t("teacher-err-nobody-left"), $("blur-error"));
    return;
  }
  const photo = await state.editor.photo();
  const hash = await sha256(photo);
  if (state.edited) URL.revokeObjectURL(state.edited.url);
  state.edited = { url: URL.createObjectURL(photo), hash };
  $("download").href = state.edited.url;
  $("edited-fingerprint").textContent = t("teacher-photo-fingerprint", { hash: short(hash) });
  $("edited-fingerprint").dataset.hash = hash;
  let refused;
  try {
    refused = await check(
      hash,
      { media_kind: "photo", purpose: state.check.purpose, people: still, groups: [], tokens: [] },
      await perceptualHash(photo).catch(() => null),
    );
  } catch (error) {
    showError(explainTeacher(error), $("blur-error"));
    return;
  }
  reveal($("edited-step"));
  if (refused.length) {
    startBlurring(refused);
    reveal($("verdicts-step"), true);
  } else {
    $("blur-step").hidden = true;
    readyToPublish();
    reveal($("edited-step"), true);
  }
}

async function readyToPublish() {
  $("publish-which").textContent = state.edited ? t("teacher-publish-edited") : t("teacher-publish-original");
  if (!state.channels.length) {
    try {
      state.channels = await api("GET", "/v1/channels");
    } catch (error) {
      showError(explainTeacher(error));
      return;
    }
  }
  const select = $("channel");
  select.replaceChildren();
  // The channels this check covers first: the others would be refused.
  const covered = state.channels.filter((channel) => channel.purpose === state.check.purpose);
  const others = state.channels.filter((channel) => channel.purpose !== state.check.purpose);
  for (const channel of [...covered, ...others]) {
    select.append(new Option(t("teacher-channel-option", { channel: channel.name, purpose: purposeName(channel.purpose) }), channel.name));
  }
  reveal($("publish"));
}

/** A refused publication in words: who lost consent, or which channel does not fit. */
function refusal(error) {
  const problem = error.document;
  if (error.code === "consent_missing" && problem?.verdicts) {
    const who = problem.verdicts
      .filter((verdict) => verdict.outcome !== "allowed")
      .map((verdict) => t("teacher-refused-person", { name: state.names.get(verdict.subject) ?? verdict.subject, why: outcomeWords(verdict.outcome) }));
    return t("teacher-err-consent-missing", { who: listOf(who) });
  }
  if (error.code === "channel_not_covered") {
    const channel = state.channels.find((known) => known.name === $("channel").value);
    return t("teacher-err-channel-not-covered", {
      channel: $("channel").value,
      purpose: channel ? purposeName(channel.purpose) : "",
      checked: purposeName(state.check.purpose),
    });
  }
  return explainTeacher(error);
}

async function publish(event) {
  event.preventDefault();
  clearError($("publish-error"));
  const url = $("url").value.trim();
  let published;
  try {
    published = await api("POST", "/v1/publications", {
      receipt_id: state.check.receipt_id,
      channel: $("channel").value,
      url: url || null,
    });
  } catch (error) {
    showError(refusal(error), $("publish-error"));
    return;
  }
  $("published-text").textContent = t("teacher-published-text", {
    number: published.publication,
    channel: $("channel").value,
    count: published.check.verdicts.length,
  });
  $("publish").hidden = true;
  reveal($("published"), true);
}

$("photo-take").addEventListener("change", photoChosen);
$("photo-pick").addEventListener("change", photoChosen);
$("group").addEventListener("change", groupChosen);
$("who").addEventListener("submit", checkPhoto);
const cameraStopped = codeReader(codeRead);
$("blur-size").addEventListener("input", (event) => state.editor?.setSize(Number(event.target.value) / 100));
$("undo").addEventListener("click", () => state.editor?.undo());
$("blur-done").addEventListener("click", blurDone);
$("publish").addEventListener("submit", publish);
loadPeople();
