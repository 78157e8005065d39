// Asks the map's first questions of the API while the page is still loading,
// so that the server computes them while the browser parses the basemap.
// Loaded early by the page (an async module in <head>); api.js takes the
// answers if it asks the same questions (both build them with state.js),
// else asks again. A module runs once per page, whoever imports it first.
// config.js too (state.js reads it): both are then fetched at once.
import "./config.js";
import { apiQuery, parse, reportsQuery } from "./state.js";

function ask(path, query) {
  const answer = fetch(`${path}?${query}`).then((r) => (r.ok ? r.json() : Promise.reject(new Error(String(r.status)))));
  // The page may never take it: an unread failure must not reach the console.
  answer.catch(() => {});
  return { query, answer };
}

const { state } = parse(location.search);
const early = {
  reports: ask("/api/reports", reportsQuery(state)),
  hotspots: state.layers.includes("hotspots") ? ask("/api/hotspots", apiQuery(state)) : null,
};

/** The answer asked early for this kind, if it is this query (once). */
export function take(kind, query) {
  const asked = early[kind];
  early[kind] = null;
  return asked && asked.query === query ? asked.answer : null;
}
