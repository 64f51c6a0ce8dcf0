// Importing a class list: the CSV file is read in the browser, cut into
// chunks of whole records (each sent with the header line), and sent to
// POST /v1/people/import one chunk at a time, so the progress bar shows
// rows the server has actually taken. Rows the server refuses are named by
// their row in the file (the header is row 1, as in a spreadsheet); the
// rest of their chunk is sent again without them.

import { $, Problem, answer, clearError, fromTemplate, reveal, t } from "./admin.js";
import { explainAdmin, showAdminError } from "./admin.js";

/** Records per request: small enough that the bar moves on a class of 30. */
const CHUNK = 25;

const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? "";

/**
 * The records of a CSV text with the line each starts on. A quoted field
 * may hold line breaks, so records are cut at line breaks outside quotes;
 * fields themselves are left for the server to read. Blank lines are
 * skipped, as the server's reader skips them.
 */
export function records(text) {
  const found = [];
  let start = 0;
  let startLine = 1;
  let line = 1;
  let quoted = false;
  const end = (at) => {
    const record = text.slice(start, at).replace(/\r$/, "");
    if (record.trim() !== "") found.push({ text: record, line: startLine });
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (c === "\n") {
      line++;
      if (!quoted) {
        end(i);
        start = i + 1;
        startLine = line;
      }
    }
  }
  end(text.length);
  return found;
}

async function send(header, chunk) {
  const body = [header, ...chunk.map((record) => record.text)].join("\n") + "\n";
  let response;
  try {
    response = await fetch("/v1/people/import", {
      method: "POST",
      headers: { "content-type": "text/csv; charset=utf-8", accept: "application/json", "x-csrf-token": csrf },
      body,
      credentials: "same-origin",
    });
  } catch {
    throw new Problem("network");
  }
  if (response.status === 401) {
    location.assign(`/console/sign-in?next=${encodeURIComponent(location.pathname)}`);
    throw new Problem("unauthorized", 401);
  }
  return answer(response);
}

/** Sends one chunk; refused rows are taken out and the rest sent again. */
async function importChunk(header, chunk, refused) {
  let rest = chunk;
  while (rest.length > 0) {
    try {
      return await send(header, rest);
    } catch (error) {
      const rows = error instanceof Problem && error.code === "bad_csv" ? error.document?.rows : null;
      if (!rows?.length) throw error;
      // Line 1 of a request is the header; line 2 its first record.
      const bad = new Set(rows.map((row) => row.line - 2));
      for (const row of rows) {
        const record = rest[row.line - 2];
        if (record) refused.push({ line: record.line, code: row.code, detail: row.detail });
      }
      const left = rest.filter((_, index) => !bad.has(index));
      // Rows the chunk does not have: resending would be refused the same way.
      if (left.length === rest.length) throw error;
      rest = left;
    }
  }
  return { created: 0, updated: 0 };
}

function reason(row) {
  const id = `console-admin-row-${row.code.replaceAll("_", "-")}`;
  const text = t(id);
  return text === id ? row.detail : text;
}

async function run(file) {
  let text;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(await file.arrayBuffer());
  } catch {
    showAdminError(t("console-admin-import-not-text"));
    return;
  }
  const all = records(text.replace(/^\uFEFF/, ""));
  const header = all.shift();
  if (!header || all.length === 0) {
    showAdminError(t("console-admin-import-empty"));
    return;
  }
  const bar = $("progress");
  const status = $("progress-text");
  bar.max = all.length;
  bar.value = 0;
  status.textContent = t("console-admin-import-status", { done: 0, total: all.length });
  reveal($("progress-box"));
  const refused = [];
  let created = 0;
  let updated = 0;
  for (let first = 0; first < all.length; first += CHUNK) {
    const chunk = all.slice(first, first + CHUNK);
    let report;
    try {
      report = await importChunk(header.text, chunk, refused);
    } catch (error) {
      showAdminError(`${explainAdmin(error)} ${t("console-admin-import-status", { done: first, total: all.length })}`);
      return;
    }
    created += report.created;
    updated += report.updated;
    bar.value = first + chunk.length;
    status.textContent = t("console-admin-import-status", { done: first + chunk.length, total: all.length });
  }
  $("result-title").textContent = t("console-admin-import-done", { created, updated });
  const rows = $("rows");
  rows.replaceChildren();
  refused.sort((a, b) => a.line - b.line);
  for (const row of refused) {
    const tr = fromTemplate("refused-row");
    tr.querySelector("th").textContent = String(row.line);
    tr.querySelector("td").textContent = reason(row);
    rows.append(tr);
  }
  $("skipped").textContent = t("console-admin-import-skipped", { count: refused.length });
  $("skipped").hidden = refused.length === 0;
  $("rows-box").hidden = refused.length === 0;
  reveal($("result"), true);
}

$("import").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearError();
  $("result").hidden = true;
  const file = $("file").files[0];
  if (!file) {
    showAdminError(t("console-admin-import-no-file"));
    return;
  }
  const button = $("submit");
  button.disabled = true;
  try {
    await run(file);
  } finally {
    button.disabled = false;
  }
});
