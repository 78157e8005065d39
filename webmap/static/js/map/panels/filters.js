// The side panel's filters: period (presets, slider, dates), days and
// hours, agencies, categories, substances, grading, clustering, layers and
// choropleth. Each control changes the state, then calls changed() (the
// data is asked again) or writeUrl() (the page redraws what it holds).
import { DAY, T, config } from "../config.js";
import { applyLocalFilters, census, onVisible } from "../data.js";
import { $, el, frDay, isoDay, number } from "../dom.js";
import { setAgency, syncAgencies } from "../layers/agencies.js";
import { loadCommunes, paintCommunes } from "../layers/communes.js";
import { applyLayers } from "../layers/index.js";
import { changed, state, writeUrl } from "../state.js";

// ---------------------------------------------------------------- period
// The slider counts days from the first report's day to the last's.
const first = config.first_day ? Date.parse(config.first_day) : Date.now() - 365 * DAY;
const last = config.last_day ? Date.parse(config.last_day) : Date.now();
/** Days from the first report's day to the last's: the slider's end. */
export const days = Math.max(1, Math.round((last - first) / DAY));
/** The ISO day n days after the first. */
export const toDay = (n) => isoDay(first + n * DAY);
const fromDay = (iso, fallback) => (iso ? Math.round((Date.parse(iso) - first) / DAY) : fallback);
const sliders = () => [$("slider-start"), $("slider-end")];

function syncTime() {
  const [s0, s1] = sliders();
  s0.value = fromDay(state.start, 0);
  s1.value = fromDay(state.end, days);
  $("start").value = state.start || toDay(0);
  $("end").value = state.end || toDay(days);
  for (const s of [s0, s1]) s.setAttribute("aria-valuetext", frDay(toDay(Number(s.value))));
}

/** Filter from day start to day end (counted from the first day); the
 * ends of the data mean "no limit". */
export function setRange(start, end, push = true) {
  state.start = start <= 0 ? "" : toDay(start);
  state.end = end >= days ? "" : toDay(Math.max(start, end));
  syncTime();
  changed(push);
}

function setupPeriod() {
  const [s0, s1] = sliders();
  for (const s of [s0, s1]) { s.min = 0; s.max = days; s.step = 1; }
  s0.addEventListener("input", () => { if (+s0.value > +s1.value) s0.value = s1.value; syncTime(); });
  s1.addEventListener("input", () => { if (+s1.value < +s0.value) s1.value = s0.value; });
  for (const s of [s0, s1]) s.addEventListener("change", () => setRange(+s0.value, +s1.value));
  const typed = () => setRange(fromDay($("start").value, 0), fromDay($("end").value, days));
  $("start").addEventListener("change", typed);
  $("end").addEventListener("change", typed);
  for (const b of document.querySelectorAll("[data-preset]")) {
    b.addEventListener("click", () => setRange(b.dataset.preset === "all" ? 0 : days - Number(b.dataset.preset) + 1, days));
  }
  $("weekdays").replaceChildren(...T.weekdays.map((name, d) => el("label", {},
    el("input", { type: "checkbox", "data-weekday": d, onchange: () => {
      state.weekdays = [...document.querySelectorAll("[data-weekday]")].filter((b) => b.checked).map((b) => Number(b.dataset.weekday));
      applyLocalFilters(); changed();
    } }), name)));
  for (const id of ["hour-from", "hour-to"]) {
    // Hotspots, cells and communes are asked again: the server counts the
    // same hours and days as the points drawn (and as the snapshots).
    $(id).addEventListener("change", () => { state.hours = [Number($("hour-from").value) || 0, Number($("hour-to").value)]; applyLocalFilters(); changed(); });
  }
}

// ---------------------------------------------------------------- what is reported
function setupVocabularies() {
  $("agencies").replaceChildren(...config.agencies.map((a) => el("li", {}, el("label", {},
    el("input", { type: "checkbox", id: `agency-${a.code}`, "data-agency": a.code, onchange: (e) => setAgency(a.code, e.target.checked) }),
    el("span", { class: `swatch symbol-${a.symbol}`, style: `--colour:${a.colour}` }), a.name, " ",
    el("output", { class: "count", id: `count-${a.code}` }, "")))));
  const multi = (box, vocabulary, key) => box.replaceChildren(...Object.entries(vocabulary).map(([code, label]) => el("label", {},
    el("input", { type: "checkbox", value: code, "data-key": key, onchange: () => {
      state[key] = [...box.querySelectorAll("input:checked")].map((i) => i.value); changed();
    } }), label)));
  multi($("categories"), config.categories, "categories");
  multi($("substances"), config.substances, "substances");
  for (const letter of "ABCDEF") for (const digit of "123456") $("min-grading").append(el("option", { value: letter + digit }, letter + digit));
  $("min-grading").addEventListener("change", (e) => { state.min_grading = e.target.value; changed(); });
}

// ---------------------------------------------------------------- clustering and layers
const CLUSTERING_INPUTS = [["eps", "eps"], ["min-samples", "min_samples"], ["time-eps", "time_eps"]];
const LAYER_NAMES = ["reports", "hotspots", "heat", "cells"];

function setupLayers() {
  for (const [id, key] of CLUSTERING_INPUTS) {
    // A value out of bounds (a 5 m radius) is said, not silently ignored.
    $(id).addEventListener("change", (e) => {
      if (e.target.checkValidity()) { state[key] = e.target.value; changed(); } else e.target.reportValidity();
    });
  }
  for (const name of LAYER_NAMES) {
    $(`layer-${name}`).addEventListener("change", (e) => {
      state.layers = state.layers.filter((l) => l !== name);
      if (e.target.checked) state.layers.push(name);
      applyLayers();
      if (name === "hotspots" && e.target.checked) changed(); else writeUrl(true);
    });
  }
  $("choropleth").addEventListener("change", async (e) => {
    state.choro = e.target.value; writeUrl(true);
    if (state.choro) await loadCommunes(); else paintCommunes();
  });
}

// The title bar's count of reports shown.
onVisible(() => {
  $("summary").textContent = `${number(census.total)} ${T.reports.toLowerCase()} (${T.shown})`;
});

export function setupFilters() {
  setupPeriod();
  setupVocabularies();
  setupLayers();
}

/** Set every control, layer and agency as the state says (after a reload or Back). */
export function syncControls() {
  syncTime();
  syncAgencies();
  for (const box of document.querySelectorAll("[data-key]")) box.checked = state[box.dataset.key].includes(box.value);
  for (const box of document.querySelectorAll("[data-weekday]")) box.checked = state.weekdays.includes(Number(box.dataset.weekday));
  $("hour-from").value = state.hours[0];
  $("hour-to").value = state.hours[1];
  $("min-grading").value = state.min_grading;
  for (const [id, key] of CLUSTERING_INPUTS) $(id).value = state[key];
  $("choropleth").value = state.choro;
  for (const name of LAYER_NAMES) $(`layer-${name}`).checked = state.layers.includes(name);
  applyLayers();
  paintCommunes();
}
