// Emerging cells (space-time trends of /api/emerging): a ring per cell
// that is new, consecutive, intensifying...; cold ones are not drawn.
import { T, statusColour, statusLabel } from "../config.js";
import { data } from "../data.js";
import { PANE, renderer } from "./hotspots.js";

export const cellLayer = L.layerGroup();

export function setEmerging(cells) {
  data.emerging = cells;
  cellLayer.clearLayers();
  for (const c of cells) {
    if (!c.category.endsWith("_cold")) {
      L.circleMarker([c.lat, c.lon], { pane: PANE, renderer, radius: 7, color: statusColour(c.category), weight: 3, fill: false })
        .bindTooltip(`${T.cell} · ${statusLabel(c.category)} · ${c.count_recent}/${c.count}`).addTo(cellLayer);
    }
  }
}
