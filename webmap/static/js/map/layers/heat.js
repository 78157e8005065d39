// The heat map of the reports shown (leaflet.heat), under the hotspots.
import { onVisible, shownReports } from "../data.js";
import { map } from "../handles.js";
import { PANE } from "./hotspots.js";

export const heatLayer = L.heatLayer ? L.heatLayer([], { radius: 18, blur: 20, maxZoom: 14, pane: PANE }) : null;

/** Give the heat map the reports shown, if it is on the map. */
export function updateHeat() {
  if (heatLayer && map.hasLayer(heatLayer)) heatLayer.setLatLngs(shownReports().map((p) => [p.lat, p.lon]));
}

onVisible(updateHeat);
