/**
 * The studio's service worker. It precaches the app, the bundled corpus and
 * models (the list Workbox writes into __WB_MANIFEST at build time), so the
 * studio works offline after one visit; and it serves every precached
 * response, the page itself included, with the cross-origin isolation
 * headers, so that on a static host that cannot set headers the page is
 * isolated from its second visit on (the approach of coi-serviceworker).
 */
import { clientsClaim } from 'workbox-core';
import { addPlugins, cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { ISOLATION_HEADERS } from './isolation.ts';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: (string | { url: string; revision: string | null })[] };

/** The response with the isolation headers (an opaque response has no headers to change). */
function isolated(response: Response): Response {
  if (response.type === 'opaque' || response.type === 'opaqueredirect' || response.status === 0) return response;
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(ISOLATION_HEADERS)) headers.set(name, value);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

self.skipWaiting();
clientsClaim();
cleanupOutdatedCaches();
addPlugins([{ handlerWillRespond: async ({ response }) => isolated(response) }]);
// Every query parameter is the app's own state (view, model, seed…).
precacheAndRoute(self.__WB_MANIFEST, { ignoreURLParametersMatching: [/.*/] });
registerRoute(new NavigationRoute(createHandlerBoundToURL('index.html')));
