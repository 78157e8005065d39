// Hotspots: outlines coloured by status, a solid dark outline when several
// agencies converge. A click opens the hotspot's card.
import { statusColour, statusLabel } from "../config.js";
import { census, data } from "../data.js";
import { $, el, number } from "../dom.js";
import { map } from "../handles.js";
import { openCard } from "../panels/cards.js";
import { isDrawing } from "./drawing.js";

export const PANE = "crossmap-hotspots";
map.createPane(PANE).style.zIndex = 460;

// SVG, not canvas: a canvas over the whole map would take the communes'
// hover and clicks; an SVG lets them through where it draws nothing.
export const renderer = L.svg({ pane: PANE });

export const hotspotLayer = L.geoJSON(null, {
  pane: PANE,
  renderer,
  style: (f) => ({
    color: f.properties.convergent ? "#1a1a1a" : statusColour(f.properties.status),
    weight: f.properties.convergent ? 3 : 2,
    dashArray: f.properties.convergent ? null : "5 3",
    fillColor: statusColour(f.properties.status), fillOpacity: 0.25,
  }),
  onEachFeature: (f, layer) => {
    layer.on("click", (e) => { L.DomEvent.stopPropagation(e); if (!isDrawing()) openCard("hotspot", f.id); });
    layer.bindTooltip(el("span", {}, `${f.id} · ${statusLabel(f.properties.status)} · ${f.properties.period_count ?? f.properties.count}`));
  },
});

export function setHotspots(collection) {
  data.hotspots = collection;
  hotspotLayer.clearLayers();
  if (collection) hotspotLayer.addData(collection);
  $("hotspot-count").textContent = collection ? number(collection.features.length) : "–";
  census.hotspots = collection ? collection.features.length : null;
}
