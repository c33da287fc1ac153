// The panel's service worker: keeps the shell so an installed panel opens offline.
//
// Network first, cache as the fallback: a reachable hub always serves its current files
// (there is no build step to version them), and an unreachable one still gets the shell,
// which then says the hub is unreachable and shows the last free count it saw. The API
// and the WebSocket are never cached: stale data must not pass for live.

// Every file the shell needs to start offline (tests/frontend/test_files.py checks the list).
const CACHE = "parkhub-shell-v1";
const SHELL = [
  "/",
  "/frontend/static/app.js",
  "/frontend/static/connection.js",
  "/frontend/static/data/api.js",
  "/frontend/static/data/auth.js",
  "/frontend/static/data/gates.js",
  "/frontend/static/data/notify.js",
  "/frontend/static/data/occupancy.js",
  "/frontend/static/data/parking.js",
  "/frontend/static/data/plates.js",
  "/frontend/static/data/roles.js",
  "/frontend/static/format.js",
  "/frontend/static/styles.js",
  "/frontend/static/view.js",
  "/frontend/static/views/ph-cameras.js",
  "/frontend/static/views/ph-gates.js",
  "/frontend/static/views/ph-home.js",
  "/frontend/static/views/ph-login.js",
  "/frontend/static/views/ph-lot-map.js",
  "/frontend/static/views/ph-lot.js",
  "/frontend/static/views/ph-notifications.js",
  "/frontend/static/views/ph-onboarding.js",
  "/frontend/static/views/ph-plates.js",
  "/frontend/static/views/ph-sessions.js",
  "/frontend/vendor/lit/index.js",
  "/frontend/vendor/lit-html/lit-html.js",
  "/frontend/vendor/lit-html/is-server.js",
  "/frontend/vendor/lit-element/lit-element.js",
  "/frontend/vendor/@lit/reactive-element/reactive-element.js",
  "/frontend/vendor/@lit/reactive-element/css-tag.js",
  "/frontend/icon.svg",
  "/manifest.webmanifest",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== location.origin) return;
  if (url.pathname.startsWith("/api/") || url.pathname.startsWith("/auth/")) return;
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(request.mode === "navigate" ? "/" : request, copy));
        }
        return response;
      })
      .catch(async () => {
        const cache = await caches.open(CACHE);
        return (await cache.match(request.mode === "navigate" ? "/" : request)) ||
          new Response("offline", { status: 503, headers: { "Content-Type": "text/plain" } });
      }),
  );
});
