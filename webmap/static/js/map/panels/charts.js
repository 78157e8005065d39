// The "Graphiques" block: reports per week by agency (stacked bars) and an
// hour × weekday table of the reports shown, redrawn while it is open.
import { DAY, T, config } from "../config.js";
import { onVisible, shownReports } from "../data.js";
import { $, el, frDay, svg } from "../dom.js";

// Monday 00:00 UTC of a time's week.
const monday = (t) => { const d = new Date(t); const day = (d.getUTCDay() + 6) % 7; return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - day); };

function weeklyChart(points) {
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
  const width = 300, height = 120, step = width / Math.max(1, all.length);
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height + 14}`, class: "chart" });
  all.forEach((w, i) => {
    let y = height;
    for (const agency of config.agencies) {
      const n = (weeks.get(w) || {})[agency.code] || 0;
      if (!n) continue;
      const h = (n / max) * height;
      y -= h;
      chart.append(svg("rect", { x: i * step, y, width: Math.max(0.8, step - 0.5), height: h, fill: agency.colour },
        svg("title", {}, `${T.week} ${frDay(new Date(w).toISOString())} · ${agency.name} : ${n}`)));
    }
  });
  for (const [x, t, anchor] of [[0, first, "start"], [width, last, "end"]]) {
    if (t == null) continue;
    chart.append(svg("text", { x, y: height + 12, "text-anchor": anchor }, frDay(new Date(t).toISOString())));
  }
  return [chart, el("p", { class: "small" }, `max ${max} / ${T.week.toLowerCase()}`)];
}

function hoursTable(points) {
  const grid = Array.from({ length: 7 }, () => new Array(24).fill(0));
  for (const p of points) grid[p.weekday][p.hour] += 1;
  const top = Math.max(1, ...grid.flat());
  return el("table", { class: "hours-table" },
    el("tr", {}, el("th", {}, ""), [...Array(24).keys()].map((h) => el("th", { scope: "col" }, h % 3 ? "" : String(h)))),
    grid.map((row, d) => el("tr", {}, el("th", { scope: "row" }, T.weekdays[d]),
      row.map((n) => el("td", { title: String(n), style: `background:rgba(0,114,178,${(n / top).toFixed(2)})` }, "")))));
}

export function drawCharts() {
  const points = shownReports();
  $("chart-weeks").replaceChildren(...weeklyChart(points));
  $("chart-hours").replaceChildren(hoursTable(points));
}

export function setupCharts() {
  $("charts").addEventListener("toggle", () => { if ($("charts").open) drawCharts(); });
  onVisible(() => { if ($("charts").open) drawCharts(); });
}
