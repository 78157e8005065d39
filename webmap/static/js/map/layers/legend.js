// The map's legend: one line for each thing drawn — hotspot outlines by
// status (dashed), the solid dark outline of convergent hotspots, emerging
// cells by trend (rings), the saved zones. The choropleth has its own
// legend with its classes (layers/communes.js), the agencies theirs in the
// layer control.
import { T, statusColour, statusLabel } from "../config.js";
import { data } from "../data.js";
import { el } from "../dom.js";
import { map } from "../handles.js";
import { state } from "../state.js";

const legend = L.control({ position: "bottomleft" });
legend.onAdd = () => L.DomUtil.create("div", "legend map-legend");

const swatch = (style) => el("i", { class: "swatch-line", style });

/** Redraw the legend from what the page holds and shows. */
export function updateLegend() {
  const rows = [];
  const spots = state.layers.includes("hotspots") && data.hotspots ? data.hotspots.features : [];
  const statuses = [...new Set(spots.map((f) => f.properties.status))];
  if (statuses.length) rows.push(el("strong", {}, T.hotspots));
  for (const status of statuses) {
    rows.push(el("div", { "data-legend": `hotspot:${status}` },
      swatch(`border:2px dashed ${statusColour(status)};background:${statusColour(status)}40`), ` ${statusLabel(status)}`));
  }
  if (spots.some((f) => f.properties.convergent)) {
    rows.push(el("div", { "data-legend": "convergent" }, swatch("border:3px solid #1a1a1a"), ` ${T.convergent_outline}`));
  }
  const cells = state.layers.includes("cells") && data.emerging ? data.emerging.filter((c) => !c.category.endsWith("_cold")) : [];
  const categories = [...new Set(cells.map((c) => c.category))];
  if (categories.length) rows.push(el("strong", {}, T.cells));
  for (const category of categories) {
    rows.push(el("div", { "data-legend": `cell:${category}` },
      swatch(`border:3px solid ${statusColour(category)};border-radius:50%`), ` ${statusLabel(category)}`));
  }
  if (data.grid && state.layers.includes("reports")) {
    const m = data.grid.cell_m;
    const size = m >= 1000 ? `${m / 1000} km` : `${m} m`;
    rows.push(el("div", { "data-legend": "squares" }, swatch("background:rgba(31,42,68,0.6)"), ` ${T.squares_legend.replace("{size}", size)}`));
  }
  if (data.zonesShown) rows.push(el("div", { "data-legend": "zones" }, swatch("border:3px solid #1f2a44"), ` ${T.zones_legend}`));
  if (!rows.length) { legend.remove(); return; }
  if (!legend.getContainer() || !legend.getContainer().parentNode) legend.addTo(map);
  legend.getContainer().replaceChildren(...rows);
}
