// "Trouver une commune": a combobox over the communes' names, accents and
// hyphens optional; choosing one fits the map to it and opens its card.
import { COMMUNE, config } from "../config.js";
import { $, el, fold } from "../dom.js";
import { openCard } from "./cards.js";

export function setupSearch() {
  const input = $("commune-search");
  const list = $("commune-options");
  const folded = config.communes.map((c) => ({ commune: c, key: fold(c.name) }));
  let active = -1;
  const options = () => [...list.children];
  function render() {
    const q = fold(input.value.trim());
    const hits = q ? folded.filter((c) => c.key.includes(q))
      .sort((a, b) => (b.key.startsWith(q) - a.key.startsWith(q)) || a.key.length - b.key.length).slice(0, 8) : [];
    list.replaceChildren(...hits.map((h, i) => el("li", { role: "option", id: `commune-option-${i}`, "data-insee": h.commune.insee,
      onmousedown: (e) => { e.preventDefault(); choose(h.commune.insee); } }, h.commune.name, el("small", {}, ` ${h.commune.insee}`))));
    list.hidden = !hits.length;
    input.setAttribute("aria-expanded", String(!!hits.length));
    active = -1;
  }
  function highlight(i) {
    const all = options();
    all.forEach((o, j) => o.setAttribute("aria-selected", String(i === j)));
    active = i;
    if (all[i]) input.setAttribute("aria-activedescendant", all[i].id);
  }
  function choose(insee) {
    input.value = COMMUNE[insee].name;
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    openCard("commune", insee, true);
  }
  input.addEventListener("input", render);
  input.addEventListener("blur", () => { list.hidden = true; });
  input.addEventListener("keydown", (e) => {
    const all = options();
    if (e.key === "ArrowDown" && all.length) { e.preventDefault(); highlight((active + 1) % all.length); }
    else if (e.key === "ArrowUp" && all.length) { e.preventDefault(); highlight((active - 1 + all.length) % all.length); }
    else if (e.key === "Enter" && all.length) { e.preventDefault(); choose(all[Math.max(0, active)].dataset.insee); }
    else if (e.key === "Escape") { list.hidden = true; }
  });
}
