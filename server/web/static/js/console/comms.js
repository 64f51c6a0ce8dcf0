// Words the communications pages share: uses, kinds of recording and why
// consent no longer stands, in the page's language.

import { t } from "./common.js";

export { NAMED_PURPOSES as USES } from "../protocol.js";

/** A message by id, or `fallback` when the page has no such message. */
function known(id, fallback) {
  const text = t(id);
  return text === id ? fallback : text;
}

/** A use (purpose) in words. */
export const useName = (purpose) => known(`console-comms-use-${purpose}`, purpose);

/** A kind of recording in words. */
export const mediaName = (kind) => known(`console-comms-media-${kind}`, kind);

/** Why a person's consent does (`valid`) or does not stand, in words. */
export const statusName = (status) => known(`console-comms-status-${status}`, status);

/** A cell of a table row: a `<td>` (or `<th scope="row">`) holding `content`. */
export function cell(content, header = false) {
  const element = document.createElement(header ? "th" : "td");
  if (header) element.scope = "row";
  if (content instanceof Node) element.append(content);
  else element.textContent = content;
  return element;
}

/** Where a publication is: its channel, and its address as a link when it has one. */
export function where(publication) {
  const place = document.createElement("span");
  place.textContent = publication.channel;
  if (publication.url) {
    // A teacher typed the address: only a web address becomes a link.
    const web = /^https?:$/.test(URL.parse(publication.url)?.protocol ?? "");
    const link = document.createElement(web ? "a" : "span");
    if (web) {
      link.href = publication.url;
      link.rel = "noreferrer noopener";
    }
    link.textContent = publication.url;
    link.className = "break";
    place.append(document.createElement("br"), link);
  }
  return place;
}
