// Time from navigation to the consent QR code on screen (the show page's
// `qr-shown` performance mark), in headless Chromium at a phone's size:
// cold (no HTTP cache, no service worker), warm (everything cached, server
// up), and from the phone's cache with the server gone.
//
// Usage: node web-tests/time-to-qr.mjs BASE_URL ENROLLMENT_LINK [RUNS]
// It sets up a phone from the link, gives consent, then measures. Before
// the last phase it prints "STOP THE SERVER" and waits until BASE_URL no
// longer answers.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import puppeteer from "puppeteer-core";

const [base, link, runsText = "5"] = process.argv.slice(2);
const runs = Number(runsText);
const browser = await puppeteer.launch({
  executablePath: process.env.CHROME_PATH ?? "/usr/bin/chromium",
  headless: true,
  userDataDir: mkdtempSync(join(tmpdir(), "time-to-qr-")),
  args: ["--no-sandbox", "--disable-dev-shm-usage", "--lang=en"],
});
const page = await browser.newPage();
await page.setViewport({ width: 390, height: 844, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });

await page.goto(link);
await page.waitForSelector("#enroll-done:not([hidden])");
await page.goto(`${base}/give`);
await page.waitForSelector("#media-photo");
for (const id of ["#media-photo", "#purpose-website"]) await page.click(id);
await page.click("#give-form button[type=submit]");
await page.waitForSelector("#sign");
await page.click("#sign");
await page.waitForSelector("#given:not([hidden])");

async function timeToQr(navigate) {
  await navigate();
  await page.waitForSelector("#qr svg");
  return page.evaluate(() => performance.getEntriesByName("qr-shown")[0].startTime);
}

const cdp = await page.createCDPSession();
async function forgetEverything() {
  await page.evaluate(async () => {
    for (const registration of await navigator.serviceWorker.getRegistrations()) await registration.unregister();
    for (const name of await caches.keys()) await caches.delete(name);
  });
  await cdp.send("Network.clearBrowserCache");
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const report = (name, values) =>
  console.log(`${name}: median ${median(values).toFixed(0)} ms (${values.map((v) => v.toFixed(0)).join(", ")})`);

const cold = [];
for (let i = 0; i < runs; i++) {
  await page.goto(`${base}/lost`);
  await forgetEverything();
  cold.push(await timeToQr(() => page.goto(`${base}/show`)));
}
report("cold load", cold);

// Let the service worker take the page over and keep its copy.
await page.evaluate(async () => {
  await navigator.serviceWorker.ready;
  const cache = await caches.open("consent-app-v1");
  while (!(await cache.match("/assets/vendor/uqr/uqr.mjs"))) await new Promise((r) => setTimeout(r, 50));
});
const warm = [];
for (let i = 0; i < runs; i++) warm.push(await timeToQr(() => page.reload()));
report("warm, server up", warm);

console.log("STOP THE SERVER");
for (;;) {
  try {
    await fetch(`${base}/healthz`);
    await new Promise((r) => setTimeout(r, 200));
  } catch {
    break;
  }
}
const offline = [];
for (let i = 0; i < runs; i++) offline.push(await timeToQr(() => page.reload()));
report("from the phone's cache, server stopped", offline);
await browser.close();
