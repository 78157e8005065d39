// "Trouver une commune": a combobox over the communes' names (accents,
// hyphens and case optional, "St"/"Ste" for Saint/Sainte), their INSEE
// codes and postal codes (a postal code lists all its communes); choosing
// one fits the map to it and opens its card; "aucun résultat" otherwise.
import { COMMUNE, T, config } from "../config.js";
import { $, el, fold } from "../dom.js";
import { openCard } from "./cards.js";

/** A name as searched: folded, and "st"/"ste" written out, so that "St Dié"
 * finds Saint-Dié-des-Vosges. */
export function searchKey(text) {
  return fold(text).replace(/\s+/g, " ").replace(/\bst(e?)\b\.?/g, (_, e) => (e ? "sainte" : "saint"));
}

export function setupSearch() {
  const input = $("commune-search");
  const list = $("commune-options");
  const folded = config.communes.map((c) => ({ commune: c, key: fold(c.name) }));
  let active = -1;
  const options = () => [...list.querySelectorAll("[data-insee]")];
  function render() {
    const typed = input.value.trim();
    const q = searchKey(typed);
    let hits = [];
    if (/^\d[\dAB]\d{3}$/i.test(typed)) {
      // Five characters: an INSEE code, or a postal code and its communes.
      hits = folded.filter((c) => c.commune.insee === typed.toUpperCase() || (c.commune.postal_codes || []).includes(typed))
        .sort((a, b) => b.commune.population - a.commune.population).slice(0, 30);
    } else if (q) {
      hits = folded.filter((c) => c.key.includes(q))
        .sort((a, b) => (b.key.startsWith(q) - a.key.startsWith(q)) || a.key.length - b.key.length).slice(0, 8);
    }
    list.replaceChildren(...hits.map((h, i) => el("li", { role: "option", id: `commune-option-${i}`, "data-insee": h.commune.insee,
      onmousedown: (e) => { e.preventDefault(); choose(h.commune.insee); } }, h.commune.name,
      el("small", {}, ` ${(h.commune.postal_codes || []).join(", ")} · ${h.commune.insee}`))));
    if (typed && !hits.length) list.replaceChildren(el("li", { class: "no-result", "aria-disabled": "true" }, T.no_result));
    list.hidden = !typed;
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
