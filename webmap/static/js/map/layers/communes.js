// The communes basemap (drawn by folium) painted as a choropleth: reports,
// rate or smoothed rate per commune, with its legend.
import { T } from "../config.js";
import { getJSON } from "../api.js";
import { data } from "../data.js";
import { el, number } from "../dom.js";
import { basemapShown, handles, map } from "../handles.js";
import { apiQuery, state } from "../state.js";

const CHORO = ["#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000"];
const BASEMAP = { color: "#666666", weight: 0.6, fillColor: "#f4f1ea", fillOpacity: 0.6 };
// Over one of the cell's basemaps the communes are outlines only.
const OUTLINES = { ...BASEMAP, fillOpacity: 0 };
const KEYS = { count: "count", rate: "rate_per_1000", smoothed: "smoothed_rate_per_1000" };
const legend = L.control({ position: "bottomright" });
legend.onAdd = () => L.DomUtil.create("div", "legend");

// The communes' tooltip: name, INSEE code, population and, with a
// choropleth, the value mapped (in place of folium's).
const TOOLTIP_VALUE = { count: (c) => number(c.count), rate: (c) => number(c.rate_per_1000, 2), smoothed: (c) => number(c.smoothed_rate_per_1000, 2) };
handles.communes.unbindTooltip();
handles.communes.bindTooltip((layer) => {
  const p = layer.feature.properties;
  const figures = data.communes && data.communes[p.insee];
  const mapped = state.choro && figures ? el("div", { class: "mapped" },
    `${{ count: T.choropleth_count, rate: T.choropleth_rate, smoothed: T.choropleth_smoothed }[state.choro]} : `,
    el("strong", {}, TOOLTIP_VALUE[state.choro](figures))) : null;
  return el("div", {}, el("strong", {}, p.name), ` · ${p.insee} · ${T.population} ${number(p.population)}`, mapped);
}, { sticky: true });
// No tooltip over a card or while drawing a zone.
map.on("draw:drawstart popupopen", () => handles.communes.closeTooltip());

/** Ask the figures of every commune under the current filters, and paint. */
export async function loadCommunes() {
  setCommunes(await getJSON(`/api/communes?${apiQuery(state)}`));
}

export function setCommunes(figures) {
  data.communes = Object.fromEntries(figures.communes.map((c) => [c.insee, c]));
  paintCommunes();
}

// The style is also the layer's option: folium's hover highlight resets
// each commune to it.
function restyle(style) {
  const layer = handles.communes;
  L.setOptions(layer, { style });
  layer.setStyle(style);
}

/** Paint the communes as the state's choropleth says (or as the basemap). */
export function paintCommunes() {
  if (!state.choro || !data.communes) {
    restyle(() => (basemapShown() ? OUTLINES : BASEMAP));
    legend.remove();
    return;
  }
  const key = KEYS[state.choro];
  const values = Object.values(data.communes).map((c) => c[key]).filter((v) => v > 0).sort((a, b) => a - b);
  const breaks = [0.2, 0.4, 0.6, 0.8].map((q) => values[Math.floor(q * (values.length - 1))] || 0);
  const colour = (v) => (v <= 0 ? "#ffffff" : CHORO[breaks.filter((b) => v > b).length]);
  restyle((f) => ({ color: "#666666", weight: 0.6, fillOpacity: 0.75, fillColor: colour((data.communes[f.properties.insee] || {})[key] || 0) }));
  legend.addTo(map);
  const title = { count: T.choropleth_count, rate: T.choropleth_rate, smoothed: T.choropleth_smoothed }[state.choro];
  const digits = state.choro === "count" ? 0 : 2;
  const bounds = [0, ...breaks];
  legend.getContainer().replaceChildren(el("strong", {}, title),
    el("div", {}, el("i", { style: "background:#ffffff" }), " 0"),
    ...CHORO.map((c, i) => el("div", {}, el("i", { style: `background:${c}` }, ""),
      ` > ${number(bounds[i], digits)}${i < 4 ? ` – ${number(bounds[i + 1], digits)}` : ""}`)));
}

// The page map's own handler has already noted the new base layer.
map.on("baselayerchange", () => paintCommunes());
