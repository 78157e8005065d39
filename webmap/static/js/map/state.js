// The page's state: one object, read from and written to the page's
// address, so that a copied link or a reload shows the same map. This is
// the only module that writes history (writeUrl). prefetch.js and the
// Exporter panel build their questions with the same functions.
import { config } from "./config.js";

// Parameters the JSON API reads (webmap/filters.py and the clustering ones).
export const API_KEYS = ["start", "end", "agencies", "categories", "substances", "min_grading", "eps", "min_samples", "time_eps"];
const SCALARS = ["start", "end", "min_grading", "eps", "min_samples", "time_eps", "choro", "card", "convergent"];
const LISTS = ["agencies", "categories", "substances", "layers"];
const ALL_WEEKDAYS = [0, 1, 2, 3, 4, 5, 6];
const ALL_HOURS = [0, 23];
const DEFAULT_LAYERS = ["reports", "hotspots"];
// The server's defaults (config CLUSTERING), as the inputs hold them.
const CLUSTERING = { eps: String(config.clustering.eps), min_samples: String(config.clustering.min_samples) };
const agencyCodes = () => config.agencies.map((a) => a.code);

/** The state of a page opened without parameters. */
export function defaults() {
  return {
    start: "", end: "", agencies: agencyCodes(), categories: [], substances: [],
    min_grading: "", eps: CLUSTERING.eps, min_samples: CLUSTERING.min_samples, time_eps: "",
    weekdays: [...ALL_WEEKDAYS], hours: [...ALL_HOURS], layers: [...DEFAULT_LAYERS], choro: "", card: "",
    convergent: "",
  };
}

/** The state an address's query string describes, and its map view
 * ("zoom/lat/lon", or null). Agencies are kept in the configured order. */
export function parse(search) {
  const p = new URLSearchParams(search);
  const s = defaults();
  for (const key of SCALARS) s[key] = p.get(key) || s[key];
  for (const key of LISTS) {
    if (p.has(key)) s[key] = p.get(key).split(",").filter(Boolean);
  }
  s.agencies = agencyCodes().filter((code) => s.agencies.includes(code));
  if (p.has("weekdays")) s.weekdays = p.get("weekdays").split(",").filter(Boolean).map(Number);
  if (p.has("hours")) s.hours = p.get("hours").split("-").map(Number);
  return { state: s, view: p.get("view") };
}

/** The API parameters of a state; defaults are left out, as the server
 * applies them. */
export function apiParams(s) {
  const p = new URLSearchParams();
  for (const key of API_KEYS) {
    const value = Array.isArray(s[key]) ? s[key].join(",") : s[key];
    if (key === "agencies" && s.agencies.length === config.agencies.length) continue;
    if (key in CLUSTERING && value === CLUSTERING[key]) continue;
    if (value !== "" && value != null) p.set(key, value);
  }
  // Days and hours are filters of the server's too (hotspots, cells and
  // commune figures count the same reports as the points drawn).
  if (s.weekdays.length !== 7) p.set("weekdays", s.weekdays.join(","));
  if (s.hours[0] !== ALL_HOURS[0] || s.hours[1] !== ALL_HOURS[1]) p.set("hours", s.hours.join("-"));
  return p;
}

/** The query of /api/hotspots, /api/emerging, /api/communes... */
export const apiQuery = (s) => apiParams(s).toString();

/** The query of /api/reports: every agency and no clustering parameter, so
 * that switching an agency or changing the radius reuses the reports and
 * asks only for hotspots again. The server answers with counts per square
 * when there are too many reports to send (aggregate=auto); the page then
 * asks for the reports of its view, box ("west,south,east,north"), days
 * and hours included as the server counts them. */
export function reportsQuery(s, box = null) {
  const p = apiParams(s);
  // Days and hours too: the page filters the points itself, at once.
  const local = box ? [] : ["weekdays", "hours"];
  for (const key of ["agencies", "eps", "min_samples", "time_eps", ...local]) p.delete(key);
  p.set("format", "compact");
  p.set("aggregate", "auto");
  if (box) p.set("bbox", box);
  return p.toString();
}

/** The page's own parameters: the API's and those only the page reads. */
export function pageParams(s) {
  const p = apiParams(s);
  if (s.layers.join(",") !== DEFAULT_LAYERS.join(",")) p.set("layers", s.layers.join(","));
  if (s.choro) p.set("choro", s.choro);
  if (s.card) p.set("card", s.card);
  if (s.convergent) p.set("convergent", "1");
  return p;
}

// ---------------------------------------------------------------- the page's state
/** The one state object of the page. Modules change its fields, then call
 * changed() (filters: the data is asked again) or writeUrl() (the rest). */
export const state = defaults();

/** Replace the state by the address's; returns its map view. */
export function readUrl(search = location.search) {
  const { state: read, view } = parse(search);
  Object.assign(state, read);
  return view;
}

// The map's view and bounds, as URL parameters; given by main.js.
let viewParams = () => ({});
export function setViewSource(fn) { viewParams = fn; }

/** Write the state to the address: a new history entry (push) or in place. */
export function writeUrl(push) {
  const p = pageParams(state);
  for (const [key, value] of Object.entries(viewParams())) p.set(key, value);
  const url = `${location.pathname}?${p.toString().replace(/%2C/g, ",").replace(/%2F/g, "/")}`;
  if (url === location.pathname + location.search) return;
  if (push) history.pushState(null, "", url);
  else history.replaceState(null, "", url);
  document.dispatchEvent(new CustomEvent("crossmap:state", { detail: { url } }));
}

const changeListeners = [];
/** Call fn after every change of a filter (main.js asks the API again). */
export function onChange(fn) { changeListeners.push(fn); }

/** A filter changed: write the address and tell the listeners. */
export function changed(push = true) {
  writeUrl(push);
  for (const fn of changeListeners) fn();
}
