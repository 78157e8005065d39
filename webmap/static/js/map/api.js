// The JSON API client.
import { T } from "./config.js";
import { census } from "./data.js";
import { take } from "./prefetch.js";

/** The JSON answer of url; an Error with the server's message if it fails. */
export async function getJSON(url, options) {
  const response = await fetch(url, options);
  if (!response.ok && response.status !== 204) {
    let message = `${T.error} (${response.status})`;
    try { message = (await response.json()).error || message; } catch (e) { /* not JSON */ }
    throw new Error(message);
  }
  return response.status === 204 ? null : response.json();
}

/** GET path?query, or the answer prefetch.js already asked for it. */
export function ask(kind, path, query) {
  const early = take(kind, query);
  if (early) {
    census.prefetched = (census.prefetched || 0) + 1;
    return early;
  }
  return getJSON(`${path}?${query}`);
}

/** Headers of a JSON request that changes something (CSRF token). */
export function csrfHeaders() {
  return { "Content-Type": "application/json", "X-CSRFToken": document.querySelector('meta[name="csrf-token"]').content };
}

/** JSON body sent with method to url, with the CSRF token. */
export const send = (url, method, body) => getJSON(url, { method, headers: csrfHeaders(), body: body === undefined ? undefined : JSON.stringify(body) });
