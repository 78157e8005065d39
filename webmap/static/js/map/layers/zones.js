// Operation zones: drawn by commanders, saved on the server, listed in the
// side panel; a zone's card tells what it holds under the current filters.
import { T, config, statusLabel } from "../config.js";
import { getJSON, send } from "../api.js";
import { $, el, number } from "../dom.js";
import { map } from "../handles.js";
import { agencyName, categoryName, closeButton, closeCard, countsTable, onClose, registerCard, showCard, showMessage } from "../panels/cards.js";
import { apiQuery, state, writeUrl } from "../state.js";
import { data } from "../data.js";
import { isDrawing, onShape } from "./drawing.js";
import { updateLegend } from "./legend.js";

const STYLE = { color: "#1f2a44", weight: 3, fillOpacity: 0.08 };
const zoneLayer = L.featureGroup().addTo(map);
const zones = {};
let editing = null;

function zoneBody(layer, kind, name) {
  if (kind === "circle") {
    const c = layer.getLatLng();
    return { name, shape: "circle", center: [c.lng, c.lat], radius_m: layer.getRadius() };
  }
  return { name, shape: kind, geometry: layer.toGeoJSON().geometry };
}

// A shape just drawn: name it and save it.
function newZoneCard(layer, kind) {
  layer.addTo(map);
  const input = el("input", { id: "zone-name", required: true, maxlength: 120 });
  const form = el("form", { class: "zone-form" }, el("label", {}, T.zone_name, " ", input), el("button", { type: "submit" }, T.save),
    el("button", { type: "button", onclick: () => { layer.remove(); closeCard(); } }, T.close));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const zone = await send("/api/zones", "POST", zoneBody(layer, kind, input.value));
      layer.remove();
      await loadZones();
      openZone(zone.id);
    } catch (error) { form.append(el("p", { class: "error" }, error.message)); }
  });
  showCard(el("h2", {}, T.zone), form);
  input.focus();
}
onShape(newZoneCard);

/** Ask the zones again, draw and list them. */
export async function loadZones() {
  const collection = await getJSON("/api/zones");
  zoneLayer.clearLayers();
  for (const key of Object.keys(zones)) delete zones[key];
  const list = $("zones");
  list.replaceChildren();
  for (const f of collection.features) {
    const p = f.properties;
    const layer = p.shape === "circle"
      ? L.circle([p.center[1], p.center[0]], { radius: p.radius_m, ...STYLE })
      : L.polygon(f.geometry.coordinates[0].map(([x, y]) => [y, x]), STYLE);
    layer.on("click", (e) => { L.DomEvent.stopPropagation(e); if (!isDrawing()) openZone(f.id); });
    layer.bindTooltip(el("span", {}, p.name)); // a name is free text: never HTML
    layer.addTo(zoneLayer);
    zones[f.id] = { feature: f, layer };
    list.append(el("li", {}, el("button", { type: "button", class: "link", onclick: () => openZone(f.id, true) }, p.name),
      ` · ${number(p.area_km2, 2)} km²`));
  }
  if (!collection.features.length) list.append(el("li", {}, T.no_zone));
  data.zonesShown = collection.features.length > 0;
  updateLegend();
}

async function openZone(id, zoom) {
  const zone = zones[id];
  if (!zone) return;
  state.card = `zone:${id}`;
  if (zoom) map.fitBounds(zone.layer.getBounds(), { padding: [30, 30] });
  writeUrl(true);
  const card = showCard(el("p", {}, T.loading));
  let c;
  try { c = await getJSON(`/api/zones/${id}/contents?${apiQuery(state)}`); } catch (error) { showMessage(error.message); return; }
  const p = c.zone.properties;
  const name = el("input", { id: "zone-name", value: p.name, maxlength: 120 });
  const rename = el("form", { class: "zone-form" }, el("label", {}, T.zone_name, " ", name), el("button", { type: "submit" }, T.save));
  rename.addEventListener("submit", async (e) => {
    e.preventDefault();
    await saveZone(id, zoneBody(zone.layer, p.shape, name.value));
  });
  card.replaceChildren(...[
    el("h2", {}, `${T.zone} : ${p.name}`),
    el("dl", {},
      el("dt", {}, T.area), el("dd", {}, `${number(c.area_km2, 3)} km²`),
      p.radius_m ? [el("dt", {}, T.radius), el("dd", {}, `${number(p.radius_m)} m`)] : null,
      el("dt", {}, T.reports), el("dd", { class: "zone-count" }, number(c.count)),
      el("dt", {}, T.hotspots), el("dd", {}, c.hotspots.length ? c.hotspots.map((h) => `${h.code} (${statusLabel(h.status)}, ${h.count})`).join(", ") : T.none),
      el("dt", {}, T.communes), el("dd", {}, c.communes.map((x) => `${x.name} (${Math.round(x.share * 100)} %)`).join(", ") || T.none)),
    countsTable(T.by_agency, c.by_agency, agencyName),
    countsTable(T.by_category, c.by_category, categoryName),
    config.can_plan ? rename : null,
    el("p", { class: "actions" },
      config.can_plan ? el("button", { type: "button", id: "zone-edit", onclick: () => (editing ? finishEditing(id, p) : startEditing(zone)) }, T.edit_shape) : null,
      config.can_plan ? el("button", { type: "button", onclick: async () => {
        if (!window.confirm(T.confirm_delete)) return;
        await send(`/api/zones/${id}`, "DELETE");
        closeCard();
        await loadZones();
      } }, T.delete) : null,
      el("a", { href: `/signalements?${apiQuery(state)}&zone_id=${id}` }, T.in_table),
      // Viewers may not export (webmap/security/access.py): no link then.
      config.can_export ? el("a", { href: "/api/zones/export.geojson", download: "" }, "GeoJSON") : null,
      closeButton()),
  ].filter((child) => child != null));
}
registerCard("zone", (id, zoom) => openZone(Number(id), zoom));

function startEditing(zone) {
  editing = zone;
  zone.layer.editing.enable();
  // The card sits over the map's right side: the zone being edited is
  // fitted into the rest, so that no handle hides under the card.
  const card = $("card");
  map.fitBounds(zone.layer.getBounds(), { paddingTopLeft: [30, 30], paddingBottomRight: [(card.hidden ? 0 : card.offsetWidth) + 30, 30] });
  $("zone-edit").textContent = T.finish_edit;
}
function stopEditing() {
  if (editing && editing.layer.editing) editing.layer.editing.disable();
  editing = null;
}
onClose(() => { if (editing) stopEditing(); });

async function finishEditing(id, p) {
  const layer = editing.layer;
  stopEditing();
  await saveZone(id, zoneBody(layer, p.shape, p.name));
}
async function saveZone(id, body) {
  try {
    await send(`/api/zones/${id}`, "PUT", body);
    await loadZones();
    openZone(id);
  } catch (error) { showMessage(error.message); }
}
