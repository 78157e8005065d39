// Emerging cells (space-time trends of /api/emerging): a ring per cell
// that is new, consecutive, intensifying...; cold ones are not drawn.
import { T, statusColour, statusLabel } from "../config.js";
import { data } from "../data.js";
import { el, number } from "../dom.js";
import { map } from "../handles.js";
import { closeButton, registerCard, showCard } from "../panels/cards.js";
import { apiQuery, state, writeUrl } from "../state.js";
import { isDrawing } from "./drawing.js";
import { PANE, renderer } from "./hotspots.js";

export const cellLayer = L.layerGroup();

export function setEmerging(cells) {
  data.emerging = cells;
  cellLayer.clearLayers();
  for (const c of cells) {
    if (!c.category.endsWith("_cold")) {
      L.circleMarker([c.lat, c.lon], { pane: PANE, renderer, radius: 7, color: statusColour(c.category), weight: 3, fill: false })
        .bindTooltip(`${T.cell} · ${statusLabel(c.category)} · ${c.count_recent}/${c.count} · ${c.commune || ""}`)
        .on("click", (e) => { L.DomEvent.stopPropagation(e); if (!isDrawing()) openCell(`${c.lon},${c.lat}`); })
        .addTo(cellLayer);
    }
  }
}

// ---------------------------------------------------------------- a cell's card
/** The card of the emerging cell at "lon,lat": its trend, its commune (the
 * one containing it, named by the server), its counts. */
export function openCell(where, zoom) {
  const cell = (data.emerging || []).find((c) => `${c.lon},${c.lat}` === where);
  if (!cell) return;
  state.card = `cell:${where}`;
  writeUrl(true);
  if (zoom) map.setView([cell.lat, cell.lon], 15);
  showCard(
    el("h2", {}, T.cell),
    el("dl", {},
      el("dt", {}, T.status), el("dd", {}, el("span", { class: "status", style: `--colour:${statusColour(cell.category)}` }, statusLabel(cell.category))),
      el("dt", {}, T.commune), el("dd", { class: "cell-commune" }, cell.commune || "—"),
      el("dt", {}, T.cell_recent), el("dd", {}, number(cell.count_recent)),
      el("dt", {}, T.reports), el("dd", {}, number(cell.count))),
    el("p", { class: "small" }, T.cell_note),
    el("p", { class: "actions" },
      el("button", { type: "button", onclick: () => map.setView([cell.lat, cell.lon], 15) }, T.zoom),
      cell.insee ? el("a", { href: `/signalements?${apiQuery(state)}&insee=${cell.insee}` }, T.in_table) : null,
      closeButton()),
  );
}
registerCard("cell", openCell);
