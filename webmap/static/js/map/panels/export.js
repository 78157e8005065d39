// The "Exporter" control: builds the address of a snapshot (PNG or PDF) or
// of the briefing pack from the page's state (filters and layers) and the
// map's bounds, and opens it. The server renders it (webmap/snapshots.py).
import { basemapShown, map, underShown } from "../handles.js";
import { pageParams, state } from "../state.js";

// One state, one contract (webmap/services/snapshots.py): the snapshot and
// the briefing get the page's whole state, as its address holds it —
// period, days, hours, agencies, categories, substances, grading,
// clustering, layers, choropleth, card, "convergents seulement" — and the
// map's bounds. The communes (the basemap) and the saved zones are always
// on the page, so on paper too.
function exportParams(form, withView) {
  const params = pageParams(state);
  params.set("layers", ["communes", ...state.layers, "zones"].join(","));
  // The period as the page writes it ("du … au …", the data's ends when
  // open): the snapshot and the pack then print the same dates.
  for (const key of ["start", "end"]) {
    const shown = document.getElementById(key).value;
    if (!params.get(key) && shown) params.set(key, shown);
  }
  if (withView) {
    const b = map.getBounds();
    params.set("bounds", [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5)).join(","));
  }
  // An internet tile layer switched on in the layer control (only the
  // configured ones are offered); the server adds it if it can reach it.
  const tileNames = JSON.parse(form.dataset.tileLayers || "[]");
  for (const label of document.querySelectorAll(".leaflet-control-layers label")) {
    const input = label.querySelector("input");
    if (input && input.checked && tileNames.includes(label.textContent.trim())) {
      params.set("tiles", label.textContent.trim());
      break;
    }
  }
  // The cell's own basemap as the page shows it: the snapshot draws the same.
  if (basemapShown()) params.set("basemap", basemapShown());
  if (underShown()) params.set("under", underShown());
  const title = form.elements.title.value.trim();
  if (title) params.set("title", title);
  return params;
}

function snapshotUrl(form) {
  const params = exportParams(form, true);
  const [kind, paper, orientation] = form.elements.format.value.split(":");
  if (kind === "png") {
    params.set("size", form.elements.size.value.trim());
    return `${form.dataset.pngUrl}?${params}`;
  }
  params.set("paper", paper);
  params.set("orientation", orientation);
  return `${form.dataset.pdfUrl}?${params}`;
}

export function setupExport() {
  const form = document.getElementById("export-form");
  if (!form) return;
  const size = form.querySelector(".export-size");
  const showSize = () => { size.hidden = form.elements.format.value !== "png"; };
  form.elements.format.addEventListener("change", showSize);
  showSize();
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    window.open(snapshotUrl(form), "_blank", "noopener");
  });
  document.getElementById("export-briefing").addEventListener("click", () => {
    window.open(`${form.dataset.briefingUrl}?${exportParams(form, false)}`, "_blank", "noopener");
  });
  // For tests and other scripts: the address the button would open.
  form.snapshotUrl = () => snapshotUrl(form);
}
