// What every page shares, the phone app's and the staff console's: the
// page's texts, elements and templates, server problems, dates in words,
// QR codes, and the language switch.

import { encode } from "../vendor/uqr/uqr.mjs";

const messages = JSON.parse(document.getElementById("messages").textContent);

/** The page's language tag (`nl` or `en`). */
export const lang = document.documentElement.lang;

/** Message `id` in the page's language, with `{name}` filled from `values`. */
export function t(id, values = {}) {
  const text = messages[id] ?? id;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

/** The element with `id`. */
export const $ = (id) => document.getElementById(id);

/** Shows `element` and moves the focus to it when asked. */
export function reveal(element, focus = false) {
  element.hidden = false;
  if (focus) element.focus();
}

/** A copy of the page's `<template id=...>` content. */
export function fromTemplate(id) {
  return $(id).content.firstElementChild.cloneNode(true);
}

/** Adds a "label: value" line to a `<dl>`. */
export function addFact(list, label, value) {
  const fact = fromTemplate("fact");
  fact.querySelector("dt").textContent = label;
  fact.querySelector("dd").textContent = value;
  list.append(fact);
}

/**
 * A refusal by the server (a problem document, kept whole in `document`)
 * or no answer at all (`network`).
 */
export class Problem extends Error {
  constructor(code, status = 0, problem = null) {
    super(code);
    this.code = code;
    this.status = status;
    this.document = problem;
  }
}

/**
 * The JSON of an answer, or the server's problem document as a `Problem`
 * (its `code`, its HTTP status).
 */
export async function answer(response) {
  if (response.ok) return response.status === 204 ? null : response.json();
  let problem = null;
  try {
    problem = await response.json();
  } catch {
    // Not a problem document: keep the generic code.
  }
  throw new Problem(problem?.code ?? "other", response.status, problem);
}

/** Shows `text` in the page's error box and moves the focus there. */
export function showErrorText(text, box = $("error")) {
  box.textContent = "";
  const paragraph = document.createElement("p");
  paragraph.textContent = text;
  box.append(paragraph);
  reveal(box, true);
}

/** Hides the page's error box. */
export function clearError(box = $("error")) {
  box.hidden = true;
}

/** Unix seconds or RFC 3339 text as a date in words ("31 July 2027"). */
export function day(moment) {
  const date = typeof moment === "number" ? new Date(moment * 1000) : new Date(moment);
  return new Intl.DateTimeFormat(lang, { dateStyle: "long" }).format(date);
}

/** Unix seconds as a date and time in words. */
export function dayAndTime(moment) {
  return new Intl.DateTimeFormat(lang, { dateStyle: "long", timeStyle: "short" }).format(new Date(moment * 1000));
}

/** How long ago `milliseconds` was, in words ("5 minutes ago"). */
export function ago(milliseconds) {
  const seconds = Math.round((milliseconds - Date.now()) / 1000);
  const format = new Intl.RelativeTimeFormat(lang, { numeric: "auto" });
  const units = [
    ["day", 86400],
    ["hour", 3600],
    ["minute", 60],
  ];
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return format.format(Math.round(seconds / size), unit);
  }
  return format.format(seconds, "second");
}

const SVG = "http://www.w3.org/2000/svg";

/**
 * Draws `text` as a QR code (byte mode, error correction M, as the protocol
 * says) into `figure`: one SVG path, black on white, with the quiet zone.
 */
export function drawQr(figure, text) {
  const { data, size } = encode(text, { ecc: "M", border: 4 });
  let path = "";
  data.forEach((row, y) =>
    row.forEach((dark, x) => {
      if (dark) path += `M${x} ${y}h1v1h-1z`;
    }),
  );
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${size} ${size}`);
  svg.setAttribute("shape-rendering", "crispEdges");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const background = document.createElementNS(SVG, "rect");
  background.setAttribute("width", size);
  background.setAttribute("height", size);
  background.setAttribute("fill", "#fff");
  const modules = document.createElementNS(SVG, "path");
  modules.setAttribute("d", path);
  modules.setAttribute("fill", "#000");
  svg.append(background, modules);
  figure.replaceChildren(svg);
}

// The language switch keeps what follows `#` (an enrollment code, a
// pending consent), which the server never sees.
for (const link of document.querySelectorAll("[data-keep-fragment]")) {
  link.addEventListener("click", () => {
    if (location.hash) link.href = link.href.split("#")[0] + location.hash;
  });
}
