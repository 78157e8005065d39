// The card over the map: a hotspot's, a commune's or a zone's details, or
// an error. Other modules register the cards they open (registerCard) so
// that the state's "card" field reopens them after a reload or Back.
import { AGENCY, COMMUNE, T, config, statusColour, statusLabel } from "../config.js";
import { getJSON } from "../api.js";
import { data } from "../data.js";
import { $, el, frDate, frDay, number, svg } from "../dom.js";
import { handles, map } from "../handles.js";
import { isDrawing } from "../layers/drawing.js";
import { loadCommunes } from "../layers/communes.js";
import { apiQuery, state, writeUrl } from "../state.js";

const openers = {};
const closeListeners = [];

/** open(id, zoom) opens the card of kind ("hotspot:H-0001" in the state). */
export function registerCard(kind, open) { openers[kind] = open; }

/** Open the card of this kind and id (zoom: fit the map to it). */
export function openCard(kind, id, zoom) { return openers[kind](id, zoom); }

/** Open the card the state names, or close the card. */
export function openCardFromState() {
  const [kind, id] = (state.card || "").split(/:(.*)/s);
  if (openers[kind]) openers[kind](id);
  else $("card").hidden = true;
}

/** Call fn when the card closes. */
export function onClose(fn) { closeListeners.push(fn); }

/** Show these children in the card. */
export function showCard(...children) {
  const card = $("card");
  // replaceChildren writes a null as the text "null": leave them out.
  card.replaceChildren(...children.filter((child) => child != null));
  card.hidden = false;
  return card;
}

export function closeCard() {
  $("card").hidden = true;
  state.card = "";
  writeUrl(true);
  for (const fn of closeListeners) fn();
}

export function closeButton() {
  return el("button", { type: "button", class: "close", onclick: closeCard }, T.close);
}

export function showMessage(text) {
  showCard(el("p", { class: "error" }, text), closeButton());
}

export function countsTable(title, counts, label) {
  const entries = Object.entries(counts || {}).sort((a, b) => b[1] - a[1]);
  return el("table", { class: "counts" }, el("caption", {}, title),
    entries.map(([k, n]) => el("tr", {}, el("th", {}, label(k)), el("td", {}, number(n)))));
}

export const agencyName = (code) => (AGENCY[code] || { name: code }).name;
export const categoryName = (code) => config.categories[code] || code;

export function sparkline(values, names) {
  const w = 260, h = 40, max = Math.max(1, ...values);
  const step = w / Math.max(1, values.length);
  return svg("svg", { viewBox: `0 0 ${w} ${h}`, class: "sparkline", role: "img", "aria-label": values.join(", ") },
    values.map((v, i) => {
      const height = (v / max) * (h - 2);
      return svg("rect", { x: i * step, y: h - height, width: Math.max(1, step - 1), height },
        svg("title", {}, `${names ? names[i] : i} : ${v}`));
    }));
}

// ---------------------------------------------------------------- hotspot
// "actif depuis le 12/12/2023 · 39 signalements sur la période · persistant":
// the dates and status come from the whole history, the count from the period.
function hotspotLife(p) {
  if (p.dormant) return `${statusLabel("dormant")} · ${T.last_report} ${frDay(p.last_seen)} · ${T.active_since} ${frDay(p.first_seen)}`;
  return `${T.active_since} ${frDay(p.first_seen)} · ${number(p.period_count ?? p.count)} ${T.reports_in_period} · ${statusLabel(p.status)}`;
}

/** Whether the hotspot holds more reports than its communes predict. */
function hotspotRisk(p) {
  if (p.beyond_expected === null || p.beyond_expected === undefined || p.dormant) return null;
  const expected = number(Math.round(p.expected * 10) / 10);
  return el("p", { class: "risk" }, `${p.beyond_expected ? T.beyond_expected : T.not_beyond_expected} (${expected} ${T.expected})`);
}

async function openHotspot(code, zoom) {
  state.card = `hotspot:${code}`;
  writeUrl(true);
  const card = showCard(el("p", {}, T.loading));
  let f;
  try { f = await getJSON(`/api/hotspots/${encodeURIComponent(code)}?${apiQuery(state)}`); } catch (error) { showMessage(error.message); return; }
  const p = f.properties;
  const bounds = L.geoJSON(f).getBounds();
  if (zoom) map.fitBounds(bounds, { maxZoom: 16, padding: [40, 40] });
  card.replaceChildren(
    el("h2", {}, `${T.hotspot} ${p.code}`, p.convergent ? el("span", { class: "badge" }, T.convergent) : null),
    el("p", { class: "life" }, hotspotLife(p)),
    hotspotRisk(p),
    el("dl", {},
      el("dt", {}, T.status), el("dd", {}, el("span", { class: "status", style: `--colour:${statusColour(p.status)}` }, statusLabel(p.status))),
      el("dt", {}, T.convergence), el("dd", {}, `${p.n_agencies} ${T.agencies_count}`),
      el("dt", {}, T.reports), el("dd", {}, number(p.count)),
      el("dt", {}, T.first_seen), el("dd", {}, frDay(p.first_seen)),
      el("dt", {}, T.last_seen), el("dd", {}, frDay(p.last_seen)),
      el("dt", {}, T.communes), el("dd", {}, p.communes.map((c) => (COMMUNE[c] || { name: c }).name).join(", "))),
    countsTable(T.by_agency, p.by_agency, agencyName),
    el("h3", {}, T.weekly), sparkline(p.weekly.map((w) => w.count), p.weekly.map((w) => w.week)),
    el("details", {}, el("summary", {}, `${T.reports} (${p.reports.length})`),
      el("table", { class: "reports" }, p.reports.slice(0, 200).map((r) => el("tr", {},
        el("td", {}, frDate(r.properties.observed_at)), el("td", {}, (AGENCY[r.properties.agency] || {}).name || r.properties.agency),
        el("td", {}, categoryName(r.properties.category)), el("td", {}, r.properties.grading))))),
    el("p", { class: "actions" },
      el("button", { type: "button", onclick: () => map.fitBounds(bounds, { maxZoom: 16, padding: [40, 40] }) }, T.zoom),
      el("a", { href: `/signalements?${apiQuery(state)}&hotspot=${encodeURIComponent(p.code)}` }, T.in_table),
      el("a", { href: location.href }, T.link), closeButton()),
  );
  card.focus();
}
registerCard("hotspot", openHotspot);

// ---------------------------------------------------------------- commune
async function openCommune(insee, zoom) {
  const commune = COMMUNE[insee];
  if (!commune) return;
  state.card = `commune:${insee}`;
  if (zoom) {
    const [w, s, e, n] = commune.bounds;
    map.fitBounds([[s, w], [n, e]], { padding: [20, 20] });
  }
  writeUrl(true);
  if (!data.communes) await loadCommunes();
  const figures = data.communes[insee] || { count: 0, rate_per_1000: 0, smoothed_rate_per_1000: 0, by_agency: {}, trend: { recent: 0, previous: 0 } };
  const mine = data.reports.filter((p) => p.insee === insee);
  const byCategory = {};
  for (const p of mine) byCategory[p.category] = (byCategory[p.category] || 0) + 1;
  // The server counts the trend on the whole history up to the end of the
  // period: with "90 jours" the 13 weeks before are outside the reports
  // loaded here.
  const { recent, previous } = figures.trend;
  const arrow = recent > previous ? "↗" : recent < previous ? "↘" : "→";
  showCard(
    el("h2", {}, `${T.commune} ${commune.name}`, el("small", {}, ` ${insee}`)),
    el("dl", {},
      el("dt", {}, T.population), el("dd", {}, number(commune.population)),
      el("dt", {}, T.count), el("dd", { class: "commune-count" }, number(figures.count)),
      el("dt", {}, T.rate), el("dd", {}, number(figures.rate_per_1000, 2)),
      el("dt", {}, T.smoothed_rate), el("dd", {}, number(figures.smoothed_rate_per_1000, 2)),
      el("dt", {}, T.trend), el("dd", {}, `${arrow} ${recent} / ${previous}`)),
    countsTable(T.by_agency, figures.by_agency, agencyName),
    countsTable(T.by_category, byCategory, categoryName),
    el("h3", {}, T.vosges_trend),
    sparkline(config.ssmsi.counts, config.ssmsi.years),
    el("p", { class: "small" }, config.ssmsi.years.map((y, i) => `${y} : ${config.ssmsi.counts[i]}`).join(" · ")),
    el("p", { class: "actions" }, el("a", { href: `/signalements?${apiQuery(state)}&insee=${insee}` }, T.in_table), closeButton()),
  );
}
registerCard("commune", openCommune);

// A click on a commune of the basemap opens its card (not while drawing).
handles.communes.on("click", (e) => {
  const insee = e.layer && e.layer.feature && e.layer.feature.properties.insee;
  if (insee && !isDrawing()) openCommune(insee);
});
