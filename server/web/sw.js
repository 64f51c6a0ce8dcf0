// The phone app's service worker: keeps a copy of every page and asset, so
// that the app opens and shows the consent QR code with no network (a
// school trip). Pages and assets come from the network when it answers
// (always the newest), from the copy when it does not. The API (/v1) is
// never cached here: the pages keep their own copy of the person's record
// and say how old it is. Nor is the staff console (/console): its pages
// carry a signed-in session's CSRF token and the school's data.

const CACHE = "consent-app-v2";
const PAGES = ["/", "/enroll", "/give", "/show", "/cosign", "/withdraw", "/record", "/lost"];
const ASSETS = [
  "/assets/css/app.css",
  "/assets/manifest.webmanifest",
  "/assets/icons/icon.svg",
  "/assets/icons/icon-192.png",
  "/assets/js/page.js",
  "/assets/js/protocol.js",
  "/assets/js/device.js",
  "/assets/vendor/uqr/uqr.mjs",
  ...["common", "home", "enroll", "give", "show", "cosign", "withdraw", "record"].map(
    (name) => `/assets/js/app/${name}.js`,
  ),
];
// How long to wait for the network before showing the copy.
const NETWORK_WAIT_MS = 3000;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll([...PAGES, ...ASSETS]))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

function fromNetwork(request) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the network is too slow")), NETWORK_WAIT_MS);
    fetch(request).then(
      (response) => {
        clearTimeout(timer);
        resolve(response);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

async function networkThenCopy(request) {
  const cache = await caches.open(CACHE);
  const url = new URL(request.url);
  // A page is kept under its path alone: `?lang=` only switches language.
  const key = request.mode === "navigate" ? url.pathname : request;
  try {
    const response = await fromNetwork(request);
    if (response.ok) await cache.put(key, response.clone());
    return response;
  } catch (error) {
    const copy = await cache.match(key, { ignoreSearch: true });
    if (copy) return copy;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== location.origin) return;
  if (url.pathname.startsWith("/v1/") || url.pathname === "/sw.js") return;
  if (url.pathname === "/console" || url.pathname.startsWith("/console/")) return;
  event.respondWith(networkThenCopy(event.request));
});
