// The layers the side panel switches, by their name in the state.
// A new layer: write its module here beside the others, add it below and a
// checkbox "layer-<name>" to the template (webmap/templates/map/index.html).
import { map } from "../handles.js";
import { state } from "../state.js";
import { cellLayer } from "./emerging.js";
import { heatLayer, updateHeat } from "./heat.js";
import { hotspotLayer } from "./hotspots.js";
import { updateLegend } from "./legend.js";
import { reportsLayer } from "./reports.js";

export const LAYERS = { reports: reportsLayer, hotspots: hotspotLayer, heat: heatLayer, cells: cellLayer };

/** Put on the map the layers the state names, and take off the others. */
export function applyLayers() {
  for (const [name, layer] of Object.entries(LAYERS)) {
    if (!layer) continue; // leaflet.heat missing
    const want = state.layers.includes(name);
    if (want && !map.hasLayer(layer)) map.addLayer(layer);
    if (!want && map.hasLayer(layer)) map.removeLayer(layer);
  }
  updateHeat();
  updateLegend();
}
