// One empty layer per agency in the layer control: adding or removing it
// shows or hides that agency's points (on the reports canvas, the heat map,
// the counts and charts). The control's labels carry the counts shown.
import { config } from "../config.js";
import { applyLocalFilters, onVisible, shownAgencies } from "../data.js";
import { $, number } from "../dom.js";
import { layerControl, map } from "../handles.js";
import { changed, state } from "../state.js";

const agencyLayers = {};
const labels = {};

function agencyLabel(agency, count) {
  const swatch = `<span class="swatch symbol-${agency.symbol}" style="--colour:${agency.colour}"></span>`;
  const shown = count == null ? "" : ` <span class="count">(${number(count)})</span>`;
  return `${swatch}${agency.name.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`)}${shown}`;
}

for (const agency of config.agencies) {
  const layer = L.layerGroup();
  layer.agency = agency.code;
  agencyLayers[agency.code] = layer;
  labels[agency.code] = agencyLabel(agency, null);
  layerControl.addOverlay(layer, labels[agency.code]);
}

// The control has no way to rename an entry: when a count changes, every
// agency entry is taken out and put back, in order, with its new label.
function relabel(counts) {
  const next = Object.fromEntries(config.agencies.map((a) => [a.code, agencyLabel(a, counts[a.code] || 0)]));
  if (config.agencies.every((a) => next[a.code] === labels[a.code])) return;
  for (const agency of config.agencies) layerControl.removeLayer(agencyLayers[agency.code]);
  for (const agency of config.agencies) {
    labels[agency.code] = next[agency.code];
    layerControl.addOverlay(agencyLayers[agency.code], labels[agency.code]);
  }
}

onVisible((counts) => {
  for (const agency of config.agencies) {
    const out = $(`count-${agency.code}`);
    if (out) out.textContent = number(shownAgencies.has(agency.code) ? counts[agency.code] || 0 : 0);
  }
  relabel(counts);
});

// Leaflet's layer control fires overlayadd/overlayremove for layers added
// by code too: while this module switches a layer itself, those events are
// not a user's action (else each load pushed one history entry per agency).
let switching = false;

// Show or hide an agency's layer, and remember it in shownAgencies.
function show(code, on) {
  if (on) shownAgencies.add(code); else shownAgencies.delete(code);
  switching = true;
  try {
    if (on && !map.hasLayer(agencyLayers[code])) agencyLayers[code].addTo(map);
    if (!on && map.hasLayer(agencyLayers[code])) map.removeLayer(agencyLayers[code]);
  } finally {
    switching = false;
  }
}

/** Switch an agency on or off (the layer control and the side panel both do). */
export function setAgency(code, on) {
  show(code, on);
  state.agencies = config.agencies.map((a) => a.code).filter((c) => shownAgencies.has(c));
  const box = $(`agency-${code}`);
  if (box) box.checked = on;
  applyLocalFilters();
  changed();
}

/** Show the agencies the state names (after a reload or Back). */
export function syncAgencies() {
  // A copy: switching a layer on calls setAgency, which rewrites state.agencies.
  const wanted = new Set(state.agencies);
  for (const a of config.agencies) {
    const on = wanted.has(a.code);
    $(`agency-${a.code}`).checked = on;
    if (on !== map.hasLayer(agencyLayers[a.code])) show(a.code, on);
  }
}

map.on("overlayadd overlayremove", (event) => {
  if (event.layer.agency && !switching) setAgency(event.layer.agency, event.type === "overlayadd");
});
