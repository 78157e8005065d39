// The "Émergents" list: urgent hotspots (new, consecutive, intensifying),
// then the urgent emerging cells, most urgent first.
import { T, config, statusColour, statusLabel } from "../config.js";
import { data } from "../data.js";
import { $, el } from "../dom.js";
import { map } from "../handles.js";
import { openCard } from "./cards.js";

const URGENT = ["new", "consecutive", "intensifying"];

function nearestCommune(lon, lat) {
  const hit = config.communes.find((c) => lon >= c.bounds[0] && lon <= c.bounds[2] && lat >= c.bounds[1] && lat <= c.bounds[3]);
  return hit ? hit.name : "";
}

export function renderEmerging() {
  const list = $("emerging");
  const onlyConvergent = $("convergent-only").checked;
  const spots = (data.hotspots ? data.hotspots.features : [])
    .filter((f) => URGENT.includes(f.properties.status) && (!onlyConvergent || f.properties.convergent))
    .sort((a, b) => URGENT.indexOf(a.properties.status) - URGENT.indexOf(b.properties.status)
      || b.properties.n_agencies - a.properties.n_agencies || b.properties.count - a.properties.count);
  const cells = onlyConvergent ? [] : (data.emerging || []).filter((c) => URGENT.includes(c.category))
    .sort((a, b) => URGENT.indexOf(a.category) - URGENT.indexOf(b.category) || b.count_recent - a.count_recent).slice(0, 15);
  const items = [
    ...spots.map((f) => el("li", {}, el("button", { type: "button", class: "link", onclick: () => openCard("hotspot", f.id, true) },
      el("span", { class: "status", style: `--colour:${statusColour(f.properties.status)}` }, statusLabel(f.properties.status)),
      ` ${f.id} · ${f.properties.count} · ${f.properties.n_agencies} ${T.agencies_count}`,
      f.properties.convergent ? el("span", { class: "badge" }, T.convergent) : null))),
    ...cells.map((c) => el("li", {}, el("button", { type: "button", class: "link", onclick: () => map.setView([c.lat, c.lon], 14) },
      el("span", { class: "status", style: `--colour:${statusColour(c.category)}` }, statusLabel(c.category)),
      ` ${T.cell} · ${c.count_recent}/${c.count} · ${nearestCommune(c.lon, c.lat)}`))),
  ];
  list.replaceChildren(...(items.length ? items : [el("li", {}, T.no_emerging)]));
}

export function setupEmerging() {
  $("convergent-only").addEventListener("change", renderEmerging);
}
