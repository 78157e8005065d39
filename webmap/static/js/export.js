// The "Exporter" control: builds the address of a snapshot (PNG or PDF) or
// of the briefing pack from what the page shows — its filters and layers
// (in the page's address, written by map.js) and the map's bounds — and
// opens it. The server renders it (webmap/snapshots.py).
(function () {
  "use strict";

  // Parameters the server reads like the API (webmap/filters.py and the
  // clustering ones); the page's other state (weekdays, hours, cards) is
  // not part of a snapshot.
  const FILTER_KEYS = ["start", "end", "agencies", "categories", "substances", "min_grading", "bbox", "zone",
    "eps", "min_samples", "time_eps"];
  // Page layers a snapshot can draw; the communes are always the basemap.
  const SNAPSHOT_LAYERS = ["reports", "hotspots"];

  function leafletMap() {
    const handles = window.crossmapHandles;
    if (handles && handles.map) return handles.map;
    for (const key of Object.keys(window)) {
      if (key.startsWith("map_") && window.L && window[key] instanceof window.L.Map) return window[key];
    }
    return null;
  }

  // The question the page is asking, as export parameters.
  function exportParams(form, withView) {
    const page = new URLSearchParams(location.search);
    const params = new URLSearchParams();
    for (const key of FILTER_KEYS) {
      const value = page.get(key);
      if (value && value !== "__none__") params.set(key, value);
    }
    const shown = page.has("layers") ? page.get("layers").split(",") : SNAPSHOT_LAYERS;
    params.set("layers", ["communes", ...SNAPSHOT_LAYERS.filter((name) => shown.includes(name))].join(","));
    const map = leafletMap();
    if (withView && map) {
      const b = map.getBounds();
      params.set("view", [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5)).join(","));
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
    // The cell's own basemap shown as the base layer, if any: the snapshot
    // draws the same one (window.crossmapBasemap, webmap/render/basemap_layers.py).
    if (window.crossmapBasemap) params.set("basemap", window.crossmapBasemap);
    if (window.crossmapUnder) params.set("under", window.crossmapUnder);
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

  function init() {
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

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
