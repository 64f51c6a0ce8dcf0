// Prints the figures of one Lighthouse JSON report that BENCHMARKS.md
// records: the three category scores, the paints, and the bytes the first
// load transferred (compressed, as on the wire), by resource.
import { readFileSync } from "node:fs";

const report = JSON.parse(readFileSync(process.argv[2], "utf8"));
const score = (id) => Math.round(report.categories[id].score * 100);
const audit = (id) => report.audits[id];
const kilobytes = (bytes) => (bytes / 1024).toFixed(1);

console.log(report.finalDisplayedUrl ?? report.requestedUrl);
if (report.runtimeError) console.log(`  runtime error: ${report.runtimeError.code} ${report.runtimeError.message}`);
console.log(
  `  performance ${score("performance")}  accessibility ${score("accessibility")}  best practices ${score("best-practices")}`,
);
console.log(
  `  first contentful paint ${audit("first-contentful-paint").displayValue}  largest contentful paint ${audit("largest-contentful-paint").displayValue}`,
);
const requests = audit("network-requests").details?.items ?? [];
const total = requests.reduce((sum, request) => sum + (request.transferSize ?? 0), 0);
console.log(`  transferred ${kilobytes(total)} KB in ${requests.length} requests`);
for (const request of requests) {
  console.log(`    ${kilobytes(request.transferSize ?? 0).padStart(7)} KB  ${request.resourceType ?? "?"}  ${request.url}`);
}
for (const [id, entry] of Object.entries(report.audits)) {
  if (entry.score !== null && entry.score < 1 && entry.scoreDisplayMode === "binary") {
    console.log(`  failed: ${id}: ${entry.title}`);
  }
}
