// What the page holds: the reports of the current filters (and those the
// page's own day and hour filters keep), hotspots, emerging cells and
// commune figures, and the census the browser tests and the benchmark read.
import { state } from "./state.js";

export const data = { reports: [], visible: [], hotspots: null, communes: null, emerging: null, reportsQuery: null,
  // The server's counts per square when the view held too many reports to
  // send (/api/reports?aggregate=auto), else null; and the box the reports
  // or squares were asked for (null: the whole filter).
  grid: null, reportsBox: null, reportsZoom: null };

// What was drawn and how long it took, for tests and bench/bench_map_browser.py.
export const census = { drawn: {}, grouped: false, refreshes: 0 };

// Agencies switched on (the layer control and the side panel). Their
// reports stay in data.visible; layers and counts skip the others.
export const shownAgencies = new Set();

/** The visible reports of the agencies switched on. */
export const shownReports = () => data.visible.filter((p) => shownAgencies.has(p.agency));

const visibleListeners = [];
/** Call fn whenever the visible reports change (filters, agencies, data). */
export function onVisible(fn) { visibleListeners.push(fn); }

/** Take the API's compact answer (/api/reports?format=compact): one array
 * per field, far quicker to fetch and parse than 100,000 GeoJSON features. */
export function setReports(columns) {
  data.grid = null;
  const { id, lon, lat, observed_at: seconds, utc_offset: offset, insee, place, lookup } = columns;
  const [agency, category, grading, precision] = ["agency", "category", "grading", "precision"]
    .map((key) => columns[key].map((code) => lookup[key][code]));
  const reports = new Array(columns.count);
  for (let i = 0; i < columns.count; i += 1) {
    const projected = L.CRS.EPSG3857.latLngToPoint(L.latLng(lat[i], lon[i]), 0);
    const time = seconds[i] * 1000;
    // Paris wall-clock time read as UTC: its day and hour, without Intl.
    const local = new Date(time + offset[i] * 60000);
    reports[i] = { id: id[i], lon: lon[i], lat: lat[i], px: projected.x / 256, py: projected.y / 256, agency: agency[i],
      category: category[i], grading: grading[i], precision: precision[i], insee: insee[i], place: place[i],
      time, weekday: (local.getUTCDay() + 6) % 7, hour: local.getUTCHours() };
  }
  data.reports = reports;
  applyLocalFilters();
}

/** Weekday and hour filters are the page's own (deals keep hours, and the
 * API filters by day): keep the reports they let through, then tell the
 * layers and panels. */
export function applyLocalFilters() {
  // Squares are counted by the server, days and hours included.
  if (data.grid) { setGrid(data.grid); return; }
  const days = new Set(state.weekdays);
  const [h0, h1] = state.hours;
  data.visible = data.reports.filter((p) => days.has(p.weekday) && (h0 <= h1 ? p.hour >= h0 && p.hour <= h1 : p.hour >= h0 || p.hour <= h1));
  const counts = {};
  for (const p of data.visible) counts[p.agency] = (counts[p.agency] || 0) + 1;
  census.shown = counts;
  census.total = shownReports().length;
  for (const fn of visibleListeners) fn(counts);
}

/** Take the server's counts per square instead of points: the layers draw
 * the squares, the counts of the side panel add them up. */
export function setGrid(grid) {
  data.grid = grid;
  data.reports = [];
  data.visible = [];
  const counts = {};
  for (const cell of grid.cells) {
    for (const [agency, n] of Object.entries(cell.by_agency)) counts[agency] = (counts[agency] || 0) + n;
  }
  census.shown = counts;
  census.total = Object.entries(counts).reduce((sum, [agency, n]) => sum + (shownAgencies.has(agency) ? n : 0), 0);
  for (const fn of visibleListeners) fn(counts);
}
