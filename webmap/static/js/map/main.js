// The map page's script: reads the state from the URL, fetches reports,
// hotspots and figures from the JSON API, draws them, and writes the state
// back to the URL so that a copied link or a reload shows the same map.
// Native ES modules, no build step; French texts come from the page
// configuration (the server's message catalogue).
//
//   config.js  state.js  api.js  dom.js  data.js  handles.js   shared
//   layers/    one module per map layer (index.js switches them)
//   panels/    the side panel's blocks and the card over the map
//   playback.js, prefetch.js (loaded early by the page)
//
// Every module of the page is imported here, even those main.js does not
// call: the browser then fetches them all at once, instead of one level of
// imports after another (no bundler to flatten them).
import "./config.js";
import "./prefetch.js";
import "./layers/agencies.js";
import "./layers/heat.js";
import "./layers/index.js";
import "./layers/reports.js";
import { ask, getJSON } from "./api.js";
import { census, data, setGrid, setReports } from "./data.js";
import { $ } from "./dom.js";
import { map } from "./handles.js";
import { setCommunes } from "./layers/communes.js";
import { setEmerging } from "./layers/emerging.js";
import { setupDrawing } from "./layers/drawing.js";
import { setHotspots } from "./layers/hotspots.js";
import { updateLabels } from "./layers/labels.js";
import { updateLegend } from "./layers/legend.js";
import { loadZones } from "./layers/zones.js";
import { closeCard, openCardFromState, showMessage } from "./panels/cards.js";
import { setupCharts } from "./panels/charts.js";
import { renderEmerging, setupEmerging } from "./panels/emerging.js";
import { setupExport } from "./panels/export.js";
import { setupFilters, syncControls } from "./panels/filters.js";
import { setupSearch } from "./panels/search.js";
import { playing, setupPlayback, stopPlayback } from "./playback.js";
import { apiQuery, onChange, readUrl, reportsQuery, setViewSource, state, writeUrl } from "./state.js";

// ---------------------------------------------------------------- asking the API
/** The box of reports to ask for: none (the whole filter) until the server
 * has once answered with squares; then the view, half as wide again on
 * each side so that a small pan needs no new question. */
function reportsBox() {
  if (!data.grid && !data.reportsBox) return null;
  const b = map.getBounds().pad(0.5);
  const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v)).toFixed(5);
  return [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90), clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90)].join(",");
}

/** Keep an answer of /api/reports: points, or squares when too many. */
function takeReports(answer, asked, box) {
  if (answer.aggregated) setGrid(answer);
  else setReports(answer);
  data.reportsQuery = asked;
  data.reportsBox = box;
  data.reportsZoom = map.getZoom();
  census.grid = data.grid ? { cells: data.grid.cells.length, cell_m: data.grid.cell_m } : null;
  census.reportsTaken = (census.reportsTaken || 0) + 1;
  updateLegend();
}

/** The view moved: once squares were drawn, the view's own reports (or
 * finer squares) are asked for whenever it leaves the box asked last. */
let reportsToken = 0;
async function followView() {
  if (!data.grid && !data.reportsBox) return;
  if (data.reportsBox) {
    // Points of a box holding the view stay right; squares too, at the
    // zoom they were asked for (their size follows the box).
    const [w, s, e, n] = data.reportsBox.split(",").map(Number);
    const inside = L.latLngBounds([s, w], [n, e]).contains(map.getBounds());
    if (inside && (!data.grid || data.reportsZoom === map.getZoom())) return;
  }
  const box = reportsBox();
  const asked = reportsQuery(state, box);
  if (asked === data.reportsQuery) return;
  const token = ++reportsToken;
  $("busy").hidden = false;
  try {
    const answer = await getJSON(`/api/reports?${asked}`);
    if (token === reportsToken) takeReports(answer, asked, box);
  } catch (error) {
    if (token === reportsToken) showMessage(error.message);
  } finally {
    if (token === reportsToken) $("busy").hidden = true;
  }
}

let refreshToken = 0;
/** Ask the API what the state's filters select, and draw it. */
async function refresh() {
  const token = ++refreshToken;
  reportsToken += 1; // an answer to an earlier move is now stale
  document.documentElement.dataset.state = "loading";
  $("busy").hidden = false;
  const query = apiQuery(state);
  try {
    const t0 = performance.now();
    // Reports are fetched for every agency and without the clustering
    // parameters (reportsQuery): switching an agency or changing the radius
    // then reuses them, and only hotspots are asked again.
    const box = reportsBox();
    const reportsAsked = reportsQuery(state, box);
    const hotspots = state.layers.includes("hotspots") ? ask("hotspots", "/api/hotspots", query) : null;
    if (hotspots) hotspots.catch(() => {}); // awaited below; reports may fail first
    const reports = reportsAsked === data.reportsQuery ? null : await ask("reports", "/api/reports", reportsAsked);
    if (token !== refreshToken) return;
    const t1 = performance.now();
    // Asked once reports and hotspots are under way: the server has the
    // filtered reports in its cache by then.
    const emerging = getJSON(`/api/emerging?${query}`).catch(() => ({ cells: [] }));
    const communes = state.choro ? getJSON(`/api/communes?${query}`) : null;
    // How well the hotspots forecast, one sentence under their count: a
    // dozen clustering runs over the history, so the map does not wait for
    // it, and playback asks it once, at its end.
    // <html data-forecast="pending"> until it is written (tests wait for it).
    $("backtest-line").textContent = "";
    document.documentElement.dataset.forecast = "done";
    if (state.layers.includes("hotspots") && !playing()) {
      document.documentElement.dataset.forecast = "pending";
      getJSON(`/api/backtest?${query}`)
        .catch(() => null)
        .then((forecast) => {
          if (token !== refreshToken) return;
          $("backtest-line").textContent = forecast ? forecast.sentence : "";
          document.documentElement.dataset.forecast = "done";
        });
    }
    if (reports) {
      takeReports(reports, reportsAsked, box);
      // Squares of the whole filter do not know the page's days and hours:
      // ask for the view's, which do.
      const daysOrHours = state.weekdays.length !== 7 || state.hours[0] !== 0 || state.hours[1] !== 23;
      if (!box && data.grid && daysOrHours) followView();
    }
    const t2 = performance.now();
    setHotspots(await hotspots);
    const t3 = performance.now();
    const [cells, figures] = await Promise.all([emerging, communes]);
    if (token !== refreshToken) return;
    setEmerging(cells.cells);
    renderEmerging();
    updateLegend();
    updateLabels();
    if (figures) setCommunes(figures);
    // Where the time goes, for bench/bench_map_browser.py.
    census.timings = { since_navigation: performance.now(), reports_fetch: t1 - t0, reports_draw: t2 - t1, hotspots: t3 - t2, rest: performance.now() - t3 };
    census.refreshes += 1;
    document.documentElement.dataset.state = "ready";
  } catch (error) {
    if (token !== refreshToken) return;
    showMessage(error.message);
    document.documentElement.dataset.state = "error";
  } finally {
    if (token === refreshToken) $("busy").hidden = true;
  }
}

// Filters often change several at once (a slider, then the other): ask once.
let changeTimer = null;
onChange(() => {
  clearTimeout(changeTimer);
  changeTimer = setTimeout(refresh, 20);
});

// ---------------------------------------------------------------- start
// The map's view in the page's address.
setViewSource(() => {
  const c = map.getCenter();
  return {
    view: `${map.getZoom()}/${c.lat.toFixed(5)}/${c.lng.toFixed(5)}`,
    bounds: map.getBounds().toBBoxString().split(",").map((v) => Number(v).toFixed(5)).join(","),
  };
});

function restoreView(view) {
  const parts = (view || "").split("/").map(Number);
  if (parts.length === 3 && parts.every(Number.isFinite)) map.setView([parts[1], parts[2]], parts[0], { animate: false });
}

const view = readUrl();
setupFilters();
setupEmerging();
setupCharts();
setupSearch();
setupDrawing();
setupPlayback();
setupExport();
syncControls();
restoreView(view);
map.on("moveend", () => { writeUrl(false); followView(); });
window.addEventListener("popstate", () => {
  stopPlayback();
  restoreView(readUrl());
  syncControls();
  refresh().then(openCardFromState);
});
document.addEventListener("keydown", (e) => { if (e.key === "Escape" && !$("card").hidden) closeCard(); });
writeUrl(false);
refresh().then(openCardFromState);
loadZones();
census.scriptStart = performance.now();
// What the page holds and drew, for the browser tests and the benchmark.
window.crossmap = { map, state, census, refresh, data, stopPlayback };
