// DOM and formatting helpers: no state, no Leaflet.

export const $ = (id) => document.getElementById(id);

/** An element with attributes ("class", "onclick"...) and children. */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== false && value != null) node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child != null) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

const SVG = "http://www.w3.org/2000/svg";
/** An SVG element with attributes and children. */
export function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  for (const child of children.flat()) if (child != null) node.append(child);
  return node;
}

export const number = (n, digits) => Number(n).toLocaleString("fr-FR", { maximumFractionDigits: digits || 0 });
export const frDate = (when) => new Date(when).toLocaleString("fr-FR", { timeZone: "Europe/Paris", dateStyle: "short", timeStyle: "short" });
export const frDay = (iso) => new Date(iso).toLocaleDateString("fr-FR", { timeZone: "Europe/Paris" });
export const isoDay = (time) => new Date(time).toISOString().slice(0, 10);
/** Lower case, without accents, hyphens or apostrophes: for search. */
export const fold = (text) => text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[-'’]/g, " ");
