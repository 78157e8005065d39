// The "Graphiques" block: reports per week by agency (stacked bars) and an
// hour × weekday table of the reports shown, redrawn while it is open.
import { DAY, T, config } from "../config.js";
import { onVisible, shownReports } from "../data.js";
import { $, el, frDay, number, svg } from "../dom.js";
import { state } from "../state.js";

// Monday 00:00 UTC of a time's week.
const monday = (t) => { const d = new Date(t); const day = (d.getUTCDay() + 6) % 7; return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - day); };

// The period the filters cover, as times (for partial weeks).
function periodEnds() {
  const from = Date.parse(state.start || config.first_day);
  const to = Date.parse(state.end || config.last_day) + DAY - 1;
  return [from, to];
}

/** Stacked bars of reports per week and agency, with a scale, dates, a
 * legend, and partial weeks (cut by the period's ends) drawn pale. */
function weeklyChart(points, width = 300, height = 120) {
  const weeks = new Map();
  for (const p of points) {
    const w = monday(p.time);
    if (!weeks.has(w)) weeks.set(w, {});
    weeks.get(w)[p.agency] = (weeks.get(w)[p.agency] || 0) + 1;
  }
  const keys = [...weeks.keys()].sort((a, b) => a - b);
  const first = keys[0], last = keys[keys.length - 1];
  const all = [];
  if (keys.length) for (let w = first; w <= last; w += 7 * DAY) all.push(w);
  const totals = all.map((w) => Object.values(weeks.get(w) || {}).reduce((a, b) => a + b, 0));
  const max = Math.max(1, ...totals);
  const [from, to] = periodEnds();
  const partial = (w) => w < from || w + 7 * DAY - 1 > to;
  const left = 30, bottom = 16, plot = width - left - 4;
  const step = plot / Math.max(1, all.length);
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height + bottom + 4}`, class: "chart", role: "img",
    "aria-label": `${T.weekly_chart} : max ${max}` });
  // Scale: 0, half and the highest week, with grid lines.
  for (const v of [0, Math.round(max / 2), max]) {
    const y = 4 + height - (v / max) * height;
    chart.append(svg("line", { x1: left, x2: width - 4, y1: y, y2: y, stroke: "#ddd", "stroke-width": 0.6 }));
    chart.append(svg("text", { x: left - 3, y: y + 3, "text-anchor": "end" }, number(v)));
  }
  all.forEach((w, i) => {
    let y = 4 + height;
    const pale = partial(w);
    for (const agency of config.agencies) {
      const n = (weeks.get(w) || {})[agency.code] || 0;
      if (!n) continue;
      const h = (n / max) * height;
      y -= h;
      chart.append(svg("rect", { x: left + i * step, y, width: Math.max(0.8, step - 0.5), height: h, fill: agency.colour,
        "fill-opacity": pale ? 0.35 : 1, class: pale ? "partial" : null },
      svg("title", {}, `${T.week} ${frDay(new Date(w).toISOString())}${pale ? ` (${T.partial_week})` : ""} · ${agency.name} : ${n}`)));
    }
  });
  // Dates: the first, middle and last weeks.
  const ticks = all.length > 2 ? [0, Math.floor((all.length - 1) / 2), all.length - 1] : all.map((_, i) => i);
  for (const i of ticks) {
    const anchor = i === 0 ? "start" : i === all.length - 1 ? "end" : "middle";
    const x = anchor === "start" ? left : anchor === "end" ? width - 4 : left + (i + 0.5) * step;
    chart.append(svg("text", { x, y: height + bottom, "text-anchor": anchor }, frDay(new Date(all[i]).toISOString())));
  }
  const shown = config.agencies.filter((a) => points.some((p) => p.agency === a.code));
  const legend = el("p", { class: "chart-legend" }, shown.map((a) => el("span", {},
    el("i", { style: `background:${a.colour}` }), ` ${a.name} `)));
  const note = all.some(partial) ? el("p", { class: "small" }, T.partial_note) : null;
  return [chart, legend, note];
}

function hoursTable(points) {
  const grid = Array.from({ length: 7 }, () => new Array(24).fill(0));
  for (const p of points) grid[p.weekday][p.hour] += 1;
  const top = Math.max(1, ...grid.flat());
  const shade = (n) => `background:rgba(0,114,178,${(n / top).toFixed(2)})`;
  return [el("table", { class: "hours-table" },
    el("tr", {}, el("th", {}, ""), [...Array(24).keys()].map((h) => el("th", { scope: "col" }, h % 3 ? "" : String(h)))),
    grid.map((row, d) => el("tr", {}, el("th", { scope: "row" }, T.weekdays[d]),
      row.map((n) => el("td", { title: String(n), style: shade(n) }, ""))))),
  // The scale of the shades, in reports per cell.
  el("p", { class: "hours-scale" }, T.scale, " ",
    [0, 0.25, 0.5, 0.75, 1].map((q) => el("span", {}, el("i", { style: shade(Math.round(q * top)) }), ` ${number(Math.round(q * top))} `)))];
}

export function drawCharts() {
  const points = shownReports();
  $("chart-weeks").replaceChildren(...weeklyChart(points));
  $("chart-hours").replaceChildren(...hoursTable(points));
  const dialog = $("charts-dialog");
  if (dialog && dialog.open) {
    $("chart-weeks-large").replaceChildren(...weeklyChart(points, 860, 260));
    $("chart-hours-large").replaceChildren(...hoursTable(points));
  }
}

export function setupCharts() {
  $("charts").addEventListener("toggle", () => { if ($("charts").open) drawCharts(); });
  onVisible(() => { if ($("charts").open || ($("charts-dialog") && $("charts-dialog").open)) drawCharts(); });
  // The charts at a readable size, over the map.
  $("charts-enlarge").addEventListener("click", () => { $("charts-dialog").showModal(); drawCharts(); });
  $("charts-close").addEventListener("click", () => $("charts-dialog").close());
}
