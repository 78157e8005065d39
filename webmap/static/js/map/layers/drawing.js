// Drawing shapes (zones) and measuring, with leaflet-draw. While drawing,
// hotspots and zones let the mouse through to the map: a click that ends a
// shape must not open a card (layers ask isDrawing()).
import { T } from "../config.js";
import { $, number } from "../dom.js";
import { map } from "../handles.js";

// leaflet-draw speaks English: its words from the catalogue, and French
// number formats (5,26 km, 1 234 m²) for its measures.
function frenchDraw() {
  const d = T.draw;
  const local = L.drawLocal;
  Object.assign(local.draw.toolbar.actions, { title: d.cancel_title, text: d.cancel });
  Object.assign(local.draw.toolbar.finish, { title: d.finish_title, text: d.finish });
  Object.assign(local.draw.toolbar.undo, { title: d.undo_title, text: d.undo });
  local.draw.handlers.circle.tooltip.start = d.circle_start;
  local.draw.handlers.circle.radius = d.radius;
  Object.assign(local.draw.handlers.polygon.tooltip, { start: d.polygon_start, cont: d.polygon_cont, end: d.polygon_end });
  Object.assign(local.draw.handlers.polyline.tooltip, { start: d.line_start, cont: d.line_cont, end: d.line_end });
  local.draw.handlers.polyline.error = d.line_error;
  local.draw.handlers.rectangle.tooltip.start = d.rectangle_start;
  local.draw.handlers.simpleshape.tooltip.end = d.release;
  Object.assign(local.edit.handlers.edit.tooltip, { text: d.edit_text, subtext: d.edit_subtext });
  Object.assign(local.edit.toolbar.actions.cancel, { title: d.cancel, text: d.cancel });
  const fr = (value, digits) => Number(value).toLocaleString("fr-FR", { maximumFractionDigits: digits, minimumFractionDigits: digits });
  L.GeometryUtil.readableDistance = (metres) => (metres >= 1000 ? `${fr(metres / 1000, 2)} km` : `${fr(metres, 0)} m`);
  L.GeometryUtil.readableArea = (area) => (area >= 1e6 ? `${fr(area / 1e6, 2)} km²` : area >= 1e4 ? `${fr(area / 1e4, 2)} ha` : `${fr(area, 0)} m²`);
}
if (window.L && L.drawLocal && T.draw) frenchDraw();

const drawOptions = { shapeOptions: { color: "#1f2a44", weight: 3, fillOpacity: 0.1 }, metric: true, showArea: true, showRadius: true, feet: false };
let drawing = false;
let active = null;
const shapeListeners = [];

export const isDrawing = () => drawing;

/** Call fn(layer, kind) with each shape drawn (not measured). */
export function onShape(fn) { shapeListeners.push(fn); }

/** Start drawing a polygon, rectangle or circle, or measuring a distance or an area. */
export function startDrawing(kind, measure) {
  const handlers = { polygon: L.Draw.Polygon, rectangle: L.Draw.Rectangle, circle: L.Draw.Circle, distance: L.Draw.Polyline, area: L.Draw.Polygon };
  active = { measuring: !!measure, handler: new handlers[kind](map, drawOptions) };
  active.handler.enable();
}

/** The side panel's drawing and measuring buttons. */
export function setupDrawing() {
  for (const b of document.querySelectorAll("[data-draw]")) b.addEventListener("click", () => startDrawing(b.dataset.draw, false));
  for (const b of document.querySelectorAll("[data-measure]")) b.addEventListener("click", () => startDrawing(b.dataset.measure, true));
}

map.on("draw:drawstart", () => { drawing = true; map.getContainer().classList.add("drawing"); });
map.on("draw:drawstop", () => {
  setTimeout(() => { drawing = false; map.getContainer().classList.remove("drawing"); }, 300);
});
map.on("draw:created", (event) => {
  const layer = event.layer;
  if (active && active.measuring) { showMeasure(layer); return; }
  const kind = event.layerType === "circle" ? "circle" : event.layerType === "rectangle" ? "rectangle" : "polygon";
  for (const fn of shapeListeners) fn(layer, kind);
});

function showMeasure(layer) {
  const out = $("measure");
  if (layer instanceof L.Polygon) {
    const area = L.GeometryUtil.geodesicArea(layer.getLatLngs()[0]);
    out.textContent = `${T.area} : ${number(area / 1e6, 3)} km²`;
  } else {
    const points = layer.getLatLngs();
    let total = 0;
    for (let i = 1; i < points.length; i += 1) total += points[i - 1].distanceTo(points[i]);
    out.textContent = `${T.distance} : ${total >= 1000 ? `${number(total / 1000, 2)} km` : `${number(total)} m`}`;
  }
  const shape = layer.addTo(map);
  setTimeout(() => shape.remove(), 8000);
}
