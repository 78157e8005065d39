// Place names on the map: the towns at low zoom, every commune closer in,
// and the hotspots' codes once the streets show. Drawn as non-interactive
// labels, redrawn after each move.
import { config } from "../config.js";
import { data } from "../data.js";
import { map } from "../handles.js";

const PANE = "crossmap-labels";
map.createPane(PANE).style.zIndex = 470;
map.getPane(PANE).style.pointerEvents = "none";
const labelLayer = L.layerGroup().addTo(map);
// Smallest population named at each zoom: towns first, villages closer.
const MIN_POPULATION = { 7: 15000, 8: 8000, 9: 3000, 10: 1200, 11: 400 };
const HOTSPOT_CODES_FROM = 13;

function label(latlng, text, kind) {
  return L.marker(latlng, { pane: PANE, interactive: false, keyboard: false,
    icon: L.divIcon({ className: `place-label ${kind}`, html: "<span></span>", iconSize: null }) })
    // A name is text, never HTML.
    .on("add", (e) => { e.target.getElement().firstChild.textContent = text; });
}

/** Name what the zoom allows in the current view. */
export function updateLabels() {
  labelLayer.clearLayers();
  const zoom = Math.floor(map.getZoom()); // zoom snaps by halves
  const view = map.getBounds();
  const least = zoom >= 12 ? 0 : MIN_POPULATION[zoom] ?? Infinity;
  for (const c of config.communes) {
    if (c.population < least) continue;
    const centre = L.latLng((c.bounds[1] + c.bounds[3]) / 2, (c.bounds[0] + c.bounds[2]) / 2);
    if (view.contains(centre)) label(centre, c.name, "commune-label").addTo(labelLayer);
  }
  if (zoom >= HOTSPOT_CODES_FROM && data.hotspots) {
    for (const f of data.hotspots.features) {
      const [lon, lat] = f.properties.centroid;
      if (view.contains([lat, lon])) label([lat, lon], f.id, "hotspot-label").addTo(labelLayer);
    }
  }
}

map.on("moveend", updateLabels);
