// The table of reports (tableau des signalements): reads its state from the
// address (the map's filters, the selection, the page and the sort), asks
// /api/reports/table for one page, and writes every user action back to the
// address as one history entry. Rows, sorting and paging are the server's:
// the page never holds more than one page of reports.

const config = JSON.parse(document.getElementById("table-config").textContent);
const T = config.text;
const $ = (id) => document.getElementById(id);
// The map's filter and clustering parameters, carried to and from the map.
const FILTER_KEYS = ["start", "end", "agencies", "categories", "substances", "min_grading", "bbox", "zone",
  "weekdays", "hours", "eps", "min_samples", "time_eps", "weighted"];
const SELECTION_KEYS = ["insee", "hotspot", "zone_id", "ref", "place"];
const COLUMNS = [
  { key: "observed_at", label: T.date, cell: (r) => frDate(r.observed_at) },
  { key: "agency", label: T.agency, cell: (r) => r.agency_name },
  { key: "agency_ref", label: T.reference, filter: "ref", cell: (r) => r.agency_ref || "" },
  { key: "category", label: T.category, cell: (r) => config.categories[r.category] || r.category },
  { key: null, label: T.substances, cell: (r) => r.substances.map((s) => config.substances[s] || s).join(", ") },
  { key: "grading", label: T.grading, cell: (r) => r.grading },
  { key: "commune", label: T.commune, filter: "insee", cell: (r) => r.commune },
  { key: "place", label: T.place, filter: "place", cell: (r) => r.place || "" },
  { key: "precision", label: T.precision, cell: (r) => config.precisions[r.precision] || r.precision },
];

const frDate = (iso) => new Date(iso).toLocaleString("fr-FR", { timeZone: "Europe/Paris", dateStyle: "short", timeStyle: "short" });
const number = (n) => Number(n).toLocaleString("fr-FR");
const say = (template, values) => template.replace(/%\((\w+)\)s/g, (_, name) => values[name]);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== false && value != null) node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) if (child != null) node.append(child instanceof Node ? child : String(child));
  return node;
}

function params() {
  return new URLSearchParams(location.search);
}

// One user action, one history entry.
function go(changes, { keepPage = false } = {}) {
  const p = params();
  for (const [key, value] of Object.entries(changes)) {
    if (value === "" || value == null) p.delete(key);
    else p.set(key, value);
  }
  if (!keepPage) p.delete("page");
  history.pushState(null, "", `${location.pathname}?${p.toString().replace(/%2C/g, ",")}`);
  load();
}

function only(p, keys) {
  const out = new URLSearchParams();
  for (const key of keys) if (p.get(key)) out.set(key, p.get(key));
  return out;
}

function header(p) {
  const sort = p.get("sort") || "-observed_at";
  const row = el("tr", {}, COLUMNS.map((c) => {
    if (!c.key) return el("th", { scope: "col" }, c.label);
    const active = sort.replace(/^-/, "") === c.key;
    const down = sort.startsWith("-");
    return el("th", { scope: "col", "aria-sort": active ? (down ? "descending" : "ascending") : "none" },
      el("button", { type: "button", "data-sort": c.key, title: active ? (down ? T.sort_down : T.sort_up) : "",
        onclick: () => go({ sort: active && !down ? `-${c.key}` : c.key }) },
      c.label, active ? (down ? " ▼" : " ▲") : ""));
  }));
  const filters = el("tr", {}, COLUMNS.map((c) => el("th", {}, c.filter ? columnFilter(c, p) : null)));
  $("reports-table").tHead.replaceChildren(row, filters);
}

function columnFilter(column, p) {
  if (column.filter === "insee") {
    const names = Object.entries(config.communes).sort((a, b) => a[1].localeCompare(b[1], "fr"));
    return el("select", { "aria-label": column.label, "data-filter": "insee", onchange: (e) => go({ insee: e.target.value }) },
      el("option", { value: "" }, "—"),
      names.map(([code, name]) => el("option", { value: code, selected: p.get("insee") === code }, name)));
  }
  return el("input", { type: "search", "aria-label": `${column.label} : ${T.contains}`, placeholder: T.contains,
    "data-filter": column.filter, value: p.get(column.filter) || "",
    onchange: (e) => go({ [column.filter]: e.target.value.trim() }) });
}

function selection(p) {
  const chips = [];
  if (p.get("hotspot")) chips.push(["hotspot", `${T.hotspot} ${p.get("hotspot")}`]);
  if (p.get("zone_id")) chips.push(["zone_id", `${T.zone} ${p.get("zone_id")}`]);
  if (p.get("insee")) chips.push(["insee", config.communes[p.get("insee")] || p.get("insee")]);
  $("table-selection").replaceChildren(...chips.map(([key, label]) => el("span", { class: "chip" }, label, " ",
    el("button", { type: "button", "aria-label": `${T.remove} : ${label}`, onclick: () => go({ [key]: "" }) }, "×"))));
}

function syncForm(p) {
  const form = $("table-filters");
  for (const name of ["start", "end", "min_grading"]) form.elements[name].value = p.get(name) || "";
  const shown = p.get("agencies") ? p.get("agencies").split(",") : config.agencies.map((a) => a.code);
  $("table-agencies").replaceChildren(...config.agencies.map((a) => el("label", { class: "inline" },
    el("input", { type: "checkbox", name: "agencies", value: a.code, checked: shown.includes(a.code) }), ` ${a.name} `)));
}

function mapUrl(p, row) {
  const q = only(p, FILTER_KEYS);
  if (row) {
    q.set("view", `17/${row.lat}/${row.lon}`);
    q.set("card", `report:${row.id}`);
  }
  return `/?${q.toString().replace(/%2C/g, ",").replace(/%2F/g, "/")}`;
}

async function load() {
  const p = params();
  header(p);
  selection(p);
  syncForm(p);
  $("table-map").href = mapUrl(p);
  const q = only(p, [...FILTER_KEYS, ...SELECTION_KEYS, "page", "sort"]);
  for (const link of document.querySelectorAll(".table-export a")) {
    const e = only(p, [...FILTER_KEYS, ...SELECTION_KEYS]);
    e.set("format", link.dataset.format);
    link.href = `/signalements/export/fichier?${e}`;
  }
  $("table-status").textContent = T.loading;
  document.documentElement.dataset.state = "loading";
  const started = performance.now();
  let answer;
  try {
    const response = await fetch(`/api/reports/table?${q}`);
    answer = await response.json();
    if (!response.ok) throw new Error(answer.error || `${T.error} (${response.status})`);
  } catch (error) {
    $("table-status").textContent = error.message;
    $("reports-table").tBodies[0].replaceChildren();
    document.documentElement.dataset.state = "error";
    return;
  }
  $("reports-table").tBodies[0].replaceChildren(...answer.rows.map((r) => el("tr", {
    tabindex: 0, "data-id": r.id, title: T.show_on_map,
    onclick: () => { location.href = mapUrl(p, r); },
    onkeydown: (e) => { if (e.key === "Enter") location.href = mapUrl(p, r); },
  }, COLUMNS.map((c) => el("td", {}, c.cell(r))))));
  $("table-status").textContent = answer.total === 0 ? T.none
    : answer.total === 1 ? T.one : say(T.count, { count: number(answer.total) });
  $("table-page").textContent = say(T.page, { page: number(answer.page), pages: number(answer.pages) });
  $("table-previous").disabled = answer.page <= 1;
  $("table-next").disabled = answer.page >= answer.pages;
  $("table-previous").onclick = () => go({ page: answer.page - 1 }, { keepPage: true });
  $("table-next").onclick = () => go({ page: answer.page + 1 }, { keepPage: true });
  window.crossmapTable = { answer, ms: performance.now() - started };
  document.documentElement.dataset.state = "ready";
}

$("table-previous").textContent = `◀ ${T.previous}`;
$("table-next").textContent = `${T.next} ▶`;
$("table-filters").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = event.target;
  const agencies = [...form.querySelectorAll("[name=agencies]:checked")].map((b) => b.value);
  go({
    start: form.elements.start.value, end: form.elements.end.value,
    min_grading: form.elements.min_grading.value.trim().toUpperCase(),
    agencies: agencies.length === config.agencies.length || !agencies.length ? "" : agencies.join(","),
  });
});
window.addEventListener("popstate", load);
load();
