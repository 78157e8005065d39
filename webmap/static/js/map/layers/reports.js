// The reports, drawn on one canvas in their agency's colour and symbol;
// grouped on a pixel grid when too many are in view. A click near a point
// opens its popup.
import { AGENCY, T, config } from "../config.js";
import { census, data, onVisible, shownAgencies } from "../data.js";
import { $, el, frDate } from "../dom.js";
import { map } from "../handles.js";
import { registerCard } from "../panels/cards.js";
import { isDrawing } from "./drawing.js";

// Above this many points in view, reports are grouped on a pixel grid:
// drawing 100,000 symbols would cost more than a filter change may take.
const GROUP_ABOVE = 20000;
const GROUP_CELL_PX = 28;

const pane = map.createPane("crossmap-reports");
pane.style.zIndex = 450;

const ReportsCanvas = L.Layer.extend({
  onAdd(m) {
    this.canvas = L.DomUtil.create("canvas", "crossmap-points", pane);
    m.on("moveend resize", this.redraw, this);
    m.on("zoomstart", this.hide, this);
    this.redraw();
  },
  onRemove(m) {
    m.off("moveend resize", this.redraw, this);
    m.off("zoomstart", this.hide, this);
    this.canvas.remove();
    this.canvas = null;
    this.onScreen = null;
    census.drawn = {};
  },
  hide() { this.canvas.style.visibility = "hidden"; },
  redraw() {
    if (!this.canvas) return;
    const size = map.getSize();
    const ratio = window.devicePixelRatio || 1;
    const canvas = this.canvas;
    canvas.width = size.x * ratio;
    canvas.height = size.y * ratio;
    canvas.style.width = `${size.x}px`;
    canvas.style.height = `${size.y}px`;
    L.DomUtil.setPosition(canvas, map.containerPointToLayerPoint([0, 0]));
    canvas.style.visibility = "visible";
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    if (data.grid) { this.onScreen = []; drawSquares(ctx, size); return; }
    census.squares = null;
    const origin = map.getPixelBounds().min;
    const scale = 256 * 2 ** map.getZoom();
    const onScreen = [];
    for (const p of data.visible) {
      if (!shownAgencies.has(p.agency)) continue;
      const x = p.px * scale - origin.x;
      const y = p.py * scale - origin.y;
      if (x < -8 || y < -8 || x > size.x + 8 || y > size.y + 8) continue;
      p.sx = x; p.sy = y;
      onScreen.push(p);
    }
    census.drawn = {};
    census.grouped = onScreen.length > GROUP_ABOVE;
    for (const p of onScreen) census.drawn[p.agency] = (census.drawn[p.agency] || 0) + 1;
    this.onScreen = census.grouped ? [] : onScreen;
    if (census.grouped) drawGroups(ctx, onScreen);
    else {
      // Small symbols when zoomed out, so that dense places stay readable.
      const zoom = map.getZoom();
      const r = zoom < 10 ? 2.5 : zoom < 12 ? 3.5 : 5;
      for (const p of onScreen) drawSymbol(ctx, AGENCY[p.agency], p.sx, p.sy, r);
    }
  },
});

function drawSymbol(ctx, agency, x, y, r) {
  ctx.beginPath();
  switch (agency.symbol) {
    case "square": ctx.rect(x - r * 0.85, y - r * 0.85, r * 1.7, r * 1.7); break;
    case "triangle": ctx.moveTo(x, y - r * 1.1); ctx.lineTo(x + r, y + r * 0.8); ctx.lineTo(x - r, y + r * 0.8); ctx.closePath(); break;
    case "diamond": ctx.moveTo(x, y - r * 1.2); ctx.lineTo(x + r, y); ctx.lineTo(x, y + r * 1.2); ctx.lineTo(x - r, y); ctx.closePath(); break;
    case "cross": ctx.rect(x - r, y - r * 0.35, r * 2, r * 0.7); ctx.rect(x - r * 0.35, y - r, r * 0.7, r * 2); break;
    case "star":
      for (let i = 0; i < 10; i += 1) {
        const radius = i % 2 ? r * 0.5 : r * 1.2;
        const angle = (Math.PI / 5) * i - Math.PI / 2;
        ctx[i ? "lineTo" : "moveTo"](x + radius * Math.cos(angle), y + radius * Math.sin(angle));
      }
      ctx.closePath();
      break;
    default: ctx.arc(x, y, r, 0, 2 * Math.PI);
  }
  ctx.fillStyle = agency.colour;
  ctx.fill("nonzero");
  ctx.lineWidth = 0.8;
  ctx.strokeStyle = "#1a1a1a";
  ctx.stroke();
}

// The server's counts per square (a million reports are not sent): each
// square shaded by its count on a log scale, its count written when it is
// large enough on screen. Only the agencies switched on are counted.
function drawSquares(ctx, size) {
  const squares = [];
  let most = 1;
  for (const cell of data.grid.cells) {
    let n = 0;
    for (const [agency, k] of Object.entries(cell.by_agency)) if (shownAgencies.has(agency)) n += k;
    if (!n) continue;
    const [south, west, north, east] = cell.bounds;
    const a = map.latLngToContainerPoint([north, west]);
    const b = map.latLngToContainerPoint([south, east]);
    if (b.x < 0 || b.y < 0 || a.x > size.x || a.y > size.y) continue;
    squares.push({ n, x: a.x, y: a.y, w: b.x - a.x, h: b.y - a.y });
    most = Math.max(most, n);
  }
  census.drawn = {};
  census.grouped = false;
  census.squares = { drawn: squares.length, cell_m: data.grid.cell_m, reports: squares.reduce((t, q) => t + q.n, 0) };
  ctx.font = "bold 10px sans-serif";
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  for (const q of squares) {
    const shade = Math.log1p(q.n) / Math.log1p(most);
    ctx.fillStyle = `rgba(31, 42, 68, ${0.15 + 0.6 * shade})`;
    ctx.fillRect(q.x, q.y, q.w, q.h);
    ctx.lineWidth = 0.5;
    ctx.strokeStyle = "rgba(255, 255, 255, 0.6)";
    ctx.strokeRect(q.x, q.y, q.w, q.h);
    if (q.w >= 26 && q.h >= 14) {
      ctx.fillStyle = "#fff";
      ctx.fillText(q.n > 9999 ? `${Math.round(q.n / 1000)}k` : String(q.n), q.x + q.w / 2, q.y + q.h / 2);
    }
  }
}

function drawGroups(ctx, points) {
  const cells = new Map();
  for (const p of points) {
    const key = `${Math.floor(p.sx / GROUP_CELL_PX)}:${Math.floor(p.sy / GROUP_CELL_PX)}`;
    let cell = cells.get(key);
    if (!cell) { cell = { n: 0, x: 0, y: 0, by: {} }; cells.set(key, cell); }
    cell.n += 1; cell.x += p.sx; cell.y += p.sy;
    cell.by[p.agency] = (cell.by[p.agency] || 0) + 1;
  }
  ctx.font = "bold 11px sans-serif";
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  for (const cell of cells.values()) {
    const x = cell.x / cell.n, y = cell.y / cell.n;
    const r = Math.min(20, 6 + Math.log10(cell.n) * 5);
    ctx.beginPath();
    ctx.arc(x, y, r, 0, 2 * Math.PI);
    ctx.fillStyle = "rgba(31, 42, 68, 0.75)";
    ctx.fill();
    // The ring tells whose reports dominate the group.
    const [top] = Object.entries(cell.by).sort((a, b) => b[1] - a[1]);
    ctx.lineWidth = 3;
    ctx.strokeStyle = AGENCY[top[0]].colour;
    ctx.stroke();
    ctx.fillStyle = "#fff";
    ctx.fillText(cell.n > 999 ? `${Math.round(cell.n / 1000)}k` : String(cell.n), x, y);
  }
}

export const reportsLayer = new ReportsCanvas();

onVisible(() => { if (map.hasLayer(reportsLayer)) reportsLayer.redraw(); });

function reportPopup(p) {
  const rows = [
    [T.agency, AGENCY[p.agency].name], [T.date, frDate(p.time)],
    [T.category, config.categories[p.category] || p.category], [T.grading, p.grading],
    [T.place, p.place], [T.precision, config.precisions[p.precision] || p.precision],
  ];
  // Accepted at import with "allow outside": flagged, as in the preview.
  if (p.insee && !p.insee.startsWith(config.departement)) rows.push([T.outside, p.insee]);
  return el("table", { class: "popup" }, rows.map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, v))));
}

map.on("click", (event) => {
  if (!reportsLayer.onScreen || isDrawing()) return;
  const point = map.latLngToContainerPoint(event.latlng);
  let best = null, bestDistance = 64;
  for (const p of reportsLayer.onScreen) {
    const d = (p.sx - point.x) ** 2 + (p.sy - point.y) ** 2;
    if (d < bestDistance) { best = p; bestDistance = d; }
  }
  if (best) L.popup().setLatLng([best.lat, best.lon]).setContent(reportPopup(best)).openOn(map);
});

// "card=report:ID" (a row of the table of reports): the report's popup, on
// the map centred on it.
registerCard("report", (id) => {
  $("card").hidden = true;
  const report = data.reports.find((p) => String(p.id) === String(id));
  if (report) L.popup().setLatLng([report.lat, report.lon]).setContent(reportPopup(report)).openOn(map);
});
