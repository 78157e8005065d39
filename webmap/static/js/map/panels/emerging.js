// The "Émergents" list: urgent hotspots (new, consecutive, intensifying),
// then the urgent emerging cells, most urgent first.
import { T, statusColour, statusLabel } from "../config.js";
import { data } from "../data.js";
import { $, el } from "../dom.js";
import { map } from "../handles.js";
import { state, writeUrl } from "../state.js";
import { openCard } from "./cards.js";

const URGENT = ["new", "consecutive", "intensifying"];

export function renderEmerging() {
  const list = $("emerging");
  const onlyConvergent = Boolean(state.convergent);
  $("convergent-only").checked = onlyConvergent;
  const spots = (data.hotspots ? data.hotspots.features : [])
    .filter((f) => URGENT.includes(f.properties.status) && (!onlyConvergent || f.properties.convergent))
    .sort((a, b) => URGENT.indexOf(a.properties.status) - URGENT.indexOf(b.properties.status)
      || b.properties.n_agencies - a.properties.n_agencies || b.properties.count - a.properties.count);
  const cells = onlyConvergent ? [] : (data.emerging || []).filter((c) => URGENT.includes(c.category))
    .sort((a, b) => URGENT.indexOf(a.category) - URGENT.indexOf(b.category) || b.count_recent - a.count_recent).slice(0, 15);
  const items = [
    ...spots.map((f) => el("li", {}, el("button", { type: "button", class: "link", onclick: () => openCard("hotspot", f.id, true) },
      el("span", { class: "status", style: `--colour:${statusColour(f.properties.status)}` }, statusLabel(f.properties.status)),
      ` ${f.id} · ${f.properties.count} · ${f.properties.n_agencies} ${f.properties.n_agencies === 1 ? T.agency_one : T.agencies_count}`,
      f.properties.convergent ? el("span", { class: "badge" }, T.convergent) : null))),
    ...cells.map((c) => el("li", {}, el("button", { type: "button", class: "link", onclick: () => map.setView([c.lat, c.lon], 14) },
      el("span", { class: "status", style: `--colour:${statusColour(c.category)}` }, statusLabel(c.category)),
      // The commune containing the cell, named by the server (the
      // briefing pack names the same).
      ` ${T.cell} · ${c.count_recent}/${c.count} · ${c.commune || ""}`))),
  ];
  list.replaceChildren(...(items.length ? items : [el("li", {}, T.no_emerging)]));
}

export function setupEmerging() {
  // "Convergents seulement" is part of the page's state (and address).
  $("convergent-only").addEventListener("change", (e) => {
    state.convergent = e.target.checked ? "1" : "";
    writeUrl(true);
    renderEmerging();
  });
}
