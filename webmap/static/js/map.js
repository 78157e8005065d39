// The map page's script: reads the state from the URL, fetches reports,
// hotspots and figures from the JSON API, draws them, and writes the state
// back to the URL so that a copied link or a reload shows the same map.
// Plain modern JavaScript, no build step. French texts come from the page
// configuration (the server's message catalogue).
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("crossmap-config").textContent);
  const T = config.text;
  const handles = window.crossmapHandles;
  const map = handles.map;
  const DAY = 86400000;
  const API_KEYS = ["start", "end", "agencies", "categories", "substances", "min_grading", "eps", "min_samples", "time_eps"];
  const AGENCY = Object.fromEntries(config.agencies.map((a) => [a.code, a]));
  const COMMUNE = Object.fromEntries(config.communes.map((c) => [c.insee, c]));
  // Above this many points in view, reports are grouped on a pixel grid:
  // drawing 100,000 symbols would cost more than a filter change may take.
  const GROUP_ABOVE = 20000;
  const GROUP_CELL_PX = 28;
  const $ = (id) => document.getElementById(id);

  // ---------------------------------------------------------------- state
  const state = {
    start: "", end: "", agencies: config.agencies.map((a) => a.code), categories: [], substances: [],
    min_grading: "", eps: "250", min_samples: "5", time_eps: "", weekdays: [0, 1, 2, 3, 4, 5, 6],
    hours: [0, 23], layers: ["reports", "hotspots"], choro: "", card: "",
  };

  function readUrl() {
    const p = new URLSearchParams(location.search);
    for (const key of ["start", "end", "min_grading", "eps", "min_samples", "time_eps", "choro", "card"]) {
      state[key] = p.get(key) || (key === "eps" ? "250" : key === "min_samples" ? "5" : "");
    }
    for (const key of ["agencies", "categories", "substances", "layers"]) {
      if (p.has(key)) state[key] = p.get(key).split(",").filter(Boolean);
      else state[key] = key === "agencies" ? config.agencies.map((a) => a.code) : key === "layers" ? ["reports", "hotspots"] : [];
    }
    state.weekdays = p.has("weekdays") ? p.get("weekdays").split(",").filter(Boolean).map(Number) : [0, 1, 2, 3, 4, 5, 6];
    state.hours = p.has("hours") ? p.get("hours").split("-").map(Number) : [0, 23];
    return p.get("view");
  }

  function urlParams() {
    const p = new URLSearchParams();
    for (const key of API_KEYS) {
      const value = Array.isArray(state[key]) ? state[key].join(",") : state[key];
      if (key === "agencies" && state.agencies.length === config.agencies.length) continue;
      if (key === "eps" && value === "250") continue;
      if (key === "min_samples" && value === "5") continue;
      if (value !== "" && value != null) p.set(key, value);
    }
    return p;
  }

  function apiQuery() {
    const p = urlParams();
    return p.toString();
  }

  function writeUrl(push) {
    const p = urlParams();
    if (state.weekdays.length !== 7) p.set("weekdays", state.weekdays.join(","));
    if (state.hours[0] !== 0 || state.hours[1] !== 23) p.set("hours", state.hours.join("-"));
    if (state.layers.join(",") !== "reports,hotspots") p.set("layers", state.layers.join(","));
    if (state.choro) p.set("choro", state.choro);
    if (state.card) p.set("card", state.card);
    const c = map.getCenter();
    p.set("view", `${map.getZoom()}/${c.lat.toFixed(5)}/${c.lng.toFixed(5)}`);
    p.set("bounds", map.getBounds().toBBoxString().split(",").map((v) => Number(v).toFixed(5)).join(","));
    const url = `${location.pathname}?${p.toString().replace(/%2C/g, ",").replace(/%2F/g, "/")}`;
    if (url === location.pathname + location.search) return;
    if (push) history.pushState(null, "", url);
    else history.replaceState(null, "", url);
    document.dispatchEvent(new CustomEvent("crossmap:state", { detail: { url } }));
  }

  // ---------------------------------------------------------------- helpers
  async function getJSON(url, options) {
    const response = await fetch(url, options);
    if (!response.ok && response.status !== 204) {
      let message = `${T.error} (${response.status})`;
      try { message = (await response.json()).error || message; } catch (e) { /* not JSON */ }
      throw new Error(message);
    }
    return response.status === 204 ? null : response.json();
  }

  // The answer map-prefetch.js already asked for, if it is this question.
  function prefetched(kind, query) {
    const early = window.crossmapPrefetch && window.crossmapPrefetch[kind];
    if (!early) return null;
    window.crossmapPrefetch[kind] = null;
    if (early.query !== query) return null;
    census.prefetched = (census.prefetched || 0) + 1;
    return early.answer;
  }

  function el(tag, attrs, ...children) {
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

  const number = (n, digits) => Number(n).toLocaleString("fr-FR", { maximumFractionDigits: digits || 0 });
  const frDate = (when) => { const d = new Date(when); return d.toLocaleString("fr-FR", { timeZone: "Europe/Paris", dateStyle: "short", timeStyle: "short" }); };
  const frDay = (iso) => new Date(iso).toLocaleDateString("fr-FR", { timeZone: "Europe/Paris" });
  const isoDay = (time) => new Date(time).toISOString().slice(0, 10);
  const fold = (text) => text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[-'’]/g, " ");

  function csrfHeaders() {
    return { "Content-Type": "application/json", "X-CSRFToken": document.querySelector('meta[name="csrf-token"]').content };
  }

  // ---------------------------------------------------------------- reports on canvas
  const reportsPane = map.createPane("crossmap-reports");
  reportsPane.style.zIndex = 450;
  const hotspotsPane = map.createPane("crossmap-hotspots");
  hotspotsPane.style.zIndex = 460;

  const ReportsCanvas = L.Layer.extend({
    onAdd(m) {
      this._canvas = L.DomUtil.create("canvas", "crossmap-points", reportsPane);
      m.on("moveend resize", this.redraw, this);
      m.on("zoomstart", this._hide, this);
      this.redraw();
    },
    onRemove(m) {
      m.off("moveend resize", this.redraw, this);
      m.off("zoomstart", this._hide, this);
      this._canvas.remove();
      census.drawn = {};
    },
    _hide() { this._canvas.style.visibility = "hidden"; },
    redraw() {
      if (!this._canvas) return;
      const size = map.getSize();
      const ratio = window.devicePixelRatio || 1;
      const canvas = this._canvas;
      canvas.width = size.x * ratio;
      canvas.height = size.y * ratio;
      canvas.style.width = `${size.x}px`;
      canvas.style.height = `${size.y}px`;
      L.DomUtil.setPosition(canvas, map.containerPointToLayerPoint([0, 0]));
      canvas.style.visibility = "visible";
      const ctx = canvas.getContext("2d");
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
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

  const reportsLayer = new ReportsCanvas();
  const census = { drawn: {}, grouped: false, refreshes: 0 };
  // One empty layer per agency in the layer control: adding or removing it
  // shows or hides that agency's points on the shared canvas.
  const shownAgencies = new Set();
  const agencyLayers = {};
  for (const agency of config.agencies) {
    const layer = L.layerGroup();
    layer.agency = agency.code;
    agencyLayers[agency.code] = layer;
    handles.layerControl.addOverlay(layer, agencyLabel(agency, null));
  }

  function agencyLabel(agency, count) {
    const swatch = `<span class="swatch symbol-${agency.symbol}" style="--colour:${agency.colour}"></span>`;
    const shown = count == null ? "" : ` <span class="count">(${number(count)})</span>`;
    return `${swatch}${agency.name.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`)}${shown}`;
  }

  // The layer control and the side panel both switch agencies on and off.
  function setAgency(code, on) {
    if (on) shownAgencies.add(code); else shownAgencies.delete(code);
    if (on && !map.hasLayer(agencyLayers[code])) agencyLayers[code].addTo(map);
    if (!on && map.hasLayer(agencyLayers[code])) map.removeLayer(agencyLayers[code]);
    state.agencies = config.agencies.map((a) => a.code).filter((c) => shownAgencies.has(c));
    const box = $(`agency-${code}`);
    if (box) box.checked = on;
    applyLocalFilters();
    changed();
  }

  map.on("overlayadd overlayremove", (event) => {
    if (event.layer.agency) setAgency(event.layer.agency, event.type === "overlayadd");
  });

  map.on("click", (event) => {
    if (!reportsLayer.onScreen || drawing) return;
    const point = map.latLngToContainerPoint(event.latlng);
    let best = null, bestDistance = 64;
    for (const p of reportsLayer.onScreen) {
      const d = (p.sx - point.x) ** 2 + (p.sy - point.y) ** 2;
      if (d < bestDistance) { best = p; bestDistance = d; }
    }
    if (best) L.popup().setLatLng([best.lat, best.lon]).setContent(reportPopup(best)).openOn(map);
  });

  function reportPopup(p) {
    const rows = [
      [T.agency, AGENCY[p.agency].name], [T.date, frDate(p.time)],
      [T.category, config.categories[p.category] || p.category], [T.grading, p.grading],
      [T.place, p.place], [T.precision, config.precisions[p.precision] || p.precision],
    ];
    return el("table", { class: "popup" }, rows.map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, v))));
  }

  // ---------------------------------------------------------------- data
  const data = { reports: [], visible: [], hotspots: null, communes: null, emerging: null };

  // The API's compact answer (/api/reports?format=compact): one array per
  // field, far quicker to fetch and parse than 100,000 GeoJSON features.
  function setReports(columns) {
    const { id, lon, lat, observed_at: seconds, utc_offset: offset, insee, place, lookup } = columns;
    const [agency, category, grading, precision] = ["agency", "category", "grading", "precision"]
      .map((key) => columns[key].map((code) => lookup[key][code]));
    const reports = new Array(columns.count);
    for (let i = 0; i < columns.count; i += 1) {
      const projected = L.CRS.EPSG3857.latLngToPoint(L.latLng(lat[i], lon[i]), 0);
      const time = seconds[i] * 1000;
      // Paris wall-clock time read as UTC: its day and hour, without Intl.
      const local = new Date(time + offset[i] * 60000);
      reports[i] = { id: id[i], lon: lon[i], lat: lat[i], px: projected.x / 256, py: projected.y / 256, agency: agency[i],
        category: category[i], grading: grading[i], precision: precision[i], insee: insee[i], place: place[i],
        time, weekday: (local.getUTCDay() + 6) % 7, hour: local.getUTCHours() };
    }
    data.reports = reports;
    applyLocalFilters();
  }

  // Weekday and hour filters are the page's own: deals keep hours, and the
  // API filter is by day.
  function applyLocalFilters() {
    const days = new Set(state.weekdays);
    const [h0, h1] = state.hours;
    data.visible = data.reports.filter((p) => days.has(p.weekday) && (h0 <= h1 ? p.hour >= h0 && p.hour <= h1 : p.hour >= h0 || p.hour <= h1));
    const counts = {};
    for (const p of data.visible) counts[p.agency] = (counts[p.agency] || 0) + 1;
    census.shown = counts;
    for (const agency of config.agencies) {
      const out = $(`count-${agency.code}`);
      if (out) out.textContent = number(shownAgencies.has(agency.code) ? counts[agency.code] || 0 : 0);
      const entry = handles.layerControl._layers.find((l) => l.layer === agencyLayers[agency.code]);
      if (entry) entry.name = agencyLabel(agency, counts[agency.code] || 0);
    }
    handles.layerControl._update();
    const total = data.visible.filter((p) => shownAgencies.has(p.agency)).length;
    census.total = total;
    $("summary").textContent = `${number(total)} ${T.reports.toLowerCase()} (${T.shown})`;
    if (map.hasLayer(reportsLayer)) reportsLayer.redraw();
    if (heatLayer && map.hasLayer(heatLayer)) heatLayer.setLatLngs(data.visible.filter((p) => shownAgencies.has(p.agency)).map((p) => [p.lat, p.lon]));
    if ($("charts").open) drawCharts();
  }

  let refreshToken = 0;
  async function refresh() {
    const token = ++refreshToken;
    document.documentElement.dataset.state = "loading";
    $("busy").hidden = false;
    const query = apiQuery();
    try {
      const t0 = performance.now();
      // Reports are fetched for every agency and without the clustering
      // parameters: switching an agency or changing the radius then reuses
      // them, and only hotspots are asked again.
      const reportsParams = new URLSearchParams(query);
      for (const key of ["agencies", "eps", "min_samples", "time_eps"]) reportsParams.delete(key);
      reportsParams.set("format", "compact");
      const reportsQuery = reportsParams.toString();
      const hotspots = state.layers.includes("hotspots") ? prefetched("hotspots", query) || getJSON(`/api/hotspots?${query}`) : null;
      if (hotspots) hotspots.catch(() => {}); // awaited below; reports may fail first
      const reports = reportsQuery === data.reportsQuery ? null
        : await (prefetched("reports", reportsQuery) || getJSON(`/api/reports?${reportsQuery}`));
      if (token !== refreshToken) return;
      const t1 = performance.now();
      // Asked once reports and hotspots are under way: the server has the
      // filtered reports in its cache by then.
      const emerging = getJSON(`/api/emerging?${query}`).catch(() => ({ cells: [] }));
      const communes = state.choro ? getJSON(`/api/communes?${query}`) : null;
      const backtest = state.layers.includes("hotspots") ? getJSON(`/api/backtest?${query}`).catch(() => null) : null;
      if (reports) {
        setReports(reports);
        data.reportsQuery = reportsQuery;
      }
      const t2 = performance.now();
      setHotspots(await hotspots);
      const t3 = performance.now();
      const [cells, figures] = await Promise.all([emerging, communes]);
      if (token !== refreshToken) return;
      setEmerging(cells.cells);
      if (figures) setCommunes(figures);
      backtest?.then((b) => { if (token === refreshToken) $("backtest-line").textContent = b ? b.sentence : ""; });
      // Where the time goes, for bench/bench_map_browser.py.
      census.timings = { since_navigation: performance.now(), reports_fetch: t1 - t0, reports_draw: t2 - t1, hotspots: t3 - t2, rest: performance.now() - t3 };
      census.refreshes += 1;
      document.documentElement.dataset.state = "ready";
    } catch (error) {
      if (token !== refreshToken) return;
      showMessage(error.message);
      document.documentElement.dataset.state = "error";
    } finally {
      if (token === refreshToken) $("busy").hidden = true;
    }
  }

  let changeTimer = null;
  function changed(push = true) {
    writeUrl(push);
    clearTimeout(changeTimer);
    changeTimer = setTimeout(refresh, 20);
  }

  function showMessage(text) {
    const card = $("card");
    card.replaceChildren(el("p", { class: "error" }, text), closeButton());
    card.hidden = false;
  }

  // ---------------------------------------------------------------- hotspots
  // SVG, not canvas: a canvas over the whole map would take the communes'
  // hover and clicks; an SVG lets them through where it draws nothing.
  const hotspotRenderer = L.svg({ pane: "crossmap-hotspots" });
  const hotspotLayer = L.geoJSON(null, {
    pane: "crossmap-hotspots",
    renderer: hotspotRenderer,
    style: (f) => ({
      color: f.properties.convergent ? "#1a1a1a" : statusColour(f.properties.status),
      weight: f.properties.convergent ? 3 : 2,
      dashArray: f.properties.convergent ? null : "5 3",
      fillColor: statusColour(f.properties.status), fillOpacity: 0.25,
    }),
    onEachFeature: (f, layer) => {
      layer.on("click", (e) => { L.DomEvent.stopPropagation(e); if (!drawing) openHotspot(f.id); });
      layer.bindTooltip(el("span", {}, `${f.id} · ${statusLabel(f.properties.status)} · ${f.properties.period_count ?? f.properties.count}`));
    },
  });
  // Cold-spot classes ("new_cold"...) read as their hot counterpart here:
  // hotspots are clusters of reports, never cold.
  const statusOf = (s) => config.statuses[s] || config.statuses[String(s).replace(/_cold$/, "")];
  const statusColour = (s) => (statusOf(s) || { colour: "#777" }).colour;
  const statusLabel = (s) => (statusOf(s) || { label: s || "—" }).label;

  // "actif depuis le 12/12/2023 · 39 signalements sur la période · persistant":
  // the dates and status come from the whole history, the count from the period.
  function hotspotLife(p) {
    if (p.dormant) return `${statusLabel("dormant")} · ${T.last_report} ${frDay(p.last_seen)} · ${T.active_since} ${frDay(p.first_seen)}`;
    return `${T.active_since} ${frDay(p.first_seen)} · ${number(p.period_count ?? p.count)} ${T.reports_in_period} · ${statusLabel(p.status)}`;
  }

  function hotspotRisk(p) {
    if (p.beyond_expected === null || p.beyond_expected === undefined || p.dormant) return null;
    const expected = number(Math.round(p.expected * 10) / 10);
    return el("p", { class: "risk" }, `${p.beyond_expected ? T.beyond_expected : T.not_beyond_expected} (${expected} ${T.expected})`);
  }

  function setHotspots(collection) {
    data.hotspots = collection;
    hotspotLayer.clearLayers();
    if (collection) hotspotLayer.addData(collection);
    $("hotspot-count").textContent = collection ? number(collection.features.length) : "–";
    census.hotspots = collection ? collection.features.length : null;
  }

  async function openHotspot(code, zoom) {
    state.card = `hotspot:${code}`;
    writeUrl(true);
    const card = $("card");
    card.replaceChildren(el("p", {}, T.loading));
    card.hidden = false;
    let f;
    try { f = await getJSON(`/api/hotspots/${encodeURIComponent(code)}?${apiQuery()}`); } catch (error) { showMessage(error.message); return; }
    const p = f.properties;
    const bounds = L.geoJSON(f).getBounds();
    if (zoom) map.fitBounds(bounds, { maxZoom: 16, padding: [40, 40] });
    card.replaceChildren(
      el("h2", {}, `${T.hotspot} ${p.code}`, p.convergent ? el("span", { class: "badge" }, T.convergent) : null),
      el("p", { class: "life" }, hotspotLife(p)),
      hotspotRisk(p),
      el("dl", {},
        el("dt", {}, T.status), el("dd", {}, el("span", { class: "status", style: `--colour:${statusColour(p.status)}` }, statusLabel(p.status))),
        el("dt", {}, T.convergence), el("dd", {}, `${p.n_agencies} ${T.agencies_count}`),
        el("dt", {}, T.reports), el("dd", {}, number(p.count)),
        el("dt", {}, T.first_seen), el("dd", {}, frDay(p.first_seen)),
        el("dt", {}, T.last_seen), el("dd", {}, frDay(p.last_seen)),
        el("dt", {}, T.communes), el("dd", {}, p.communes.map((c) => (COMMUNE[c] || { name: c }).name).join(", "))),
      countsTable(T.by_agency, p.by_agency, (c) => (AGENCY[c] || { name: c }).name),
      el("h3", {}, T.weekly), sparkline(p.weekly.map((w) => w.count), p.weekly.map((w) => w.week)),
      el("details", {}, el("summary", {}, `${T.reports} (${p.reports.length})`),
        el("table", { class: "reports" }, p.reports.slice(0, 200).map((r) => el("tr", {},
          el("td", {}, frDate(r.properties.observed_at)), el("td", {}, (AGENCY[r.properties.agency] || {}).name || r.properties.agency),
          el("td", {}, config.categories[r.properties.category] || r.properties.category), el("td", {}, r.properties.grading))))),
      el("p", { class: "actions" },
        el("button", { type: "button", onclick: () => map.fitBounds(bounds, { maxZoom: 16, padding: [40, 40] }) }, T.zoom),
        el("a", { href: location.href }, T.link), closeButton()),
    );
    card.focus();
  }

  function countsTable(title, counts, label) {
    const entries = Object.entries(counts || {}).sort((a, b) => b[1] - a[1]);
    return el("table", { class: "counts" }, el("caption", {}, title),
      entries.map(([k, n]) => el("tr", {}, el("th", {}, label(k)), el("td", {}, number(n)))));
  }

  function sparkline(values, names) {
    const w = 260, h = 40, max = Math.max(1, ...values);
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
    svg.setAttribute("class", "sparkline");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", values.join(", "));
    const step = w / Math.max(1, values.length);
    values.forEach((v, i) => {
      const bar = document.createElementNS(ns, "rect");
      const height = (v / max) * (h - 2);
      bar.setAttribute("x", i * step); bar.setAttribute("y", h - height);
      bar.setAttribute("width", Math.max(1, step - 1)); bar.setAttribute("height", height);
      const title = document.createElementNS(ns, "title");
      title.textContent = `${names ? names[i] : i} : ${v}`;
      bar.append(title);
      svg.append(bar);
    });
    return svg;
  }

  function closeButton() {
    return el("button", { type: "button", class: "close", onclick: closeCard }, T.close);
  }

  function closeCard() {
    $("card").hidden = true;
    state.card = "";
    writeUrl(true);
    if (editing) stopEditing();
  }

  // ---------------------------------------------------------------- emerging
  const cellLayer = L.layerGroup();
  function setEmerging(cells) {
    data.emerging = cells;
    cellLayer.clearLayers();
    for (const c of cells) {
      if (!c.category.endsWith("_cold")) {
        L.circleMarker([c.lat, c.lon], { pane: "crossmap-hotspots", renderer: hotspotRenderer, radius: 7, color: statusColour(c.category), weight: 3, fill: false })
          .bindTooltip(`${T.cell} · ${statusLabel(c.category)} · ${c.count_recent}/${c.count}`).addTo(cellLayer);
      }
    }
    renderEmerging();
  }

  const URGENT = ["new", "consecutive", "intensifying"];
  function renderEmerging() {
    const list = $("emerging");
    const onlyConvergent = $("convergent-only").checked;
    const spots = (data.hotspots ? data.hotspots.features : [])
      .filter((f) => URGENT.includes(f.properties.status) && (!onlyConvergent || f.properties.convergent))
      .sort((a, b) => URGENT.indexOf(a.properties.status) - URGENT.indexOf(b.properties.status)
        || b.properties.n_agencies - a.properties.n_agencies || b.properties.count - a.properties.count);
    const cells = onlyConvergent ? [] : (data.emerging || []).filter((c) => URGENT.includes(c.category))
      .sort((a, b) => URGENT.indexOf(a.category) - URGENT.indexOf(b.category) || b.count_recent - a.count_recent).slice(0, 15);
    const items = [
      ...spots.map((f) => el("li", {}, el("button", { type: "button", class: "link", onclick: () => openHotspot(f.id, true) },
        el("span", { class: "status", style: `--colour:${statusColour(f.properties.status)}` }, statusLabel(f.properties.status)),
        ` ${f.id} · ${f.properties.count} · ${f.properties.n_agencies} ${T.agencies_count}`,
        f.properties.convergent ? el("span", { class: "badge" }, T.convergent) : null))),
      ...cells.map((c) => el("li", {}, el("button", { type: "button", class: "link", onclick: () => map.setView([c.lat, c.lon], 14) },
        el("span", { class: "status", style: `--colour:${statusColour(c.category)}` }, statusLabel(c.category)),
        ` ${T.cell} · ${c.count_recent}/${c.count} · ${nearestCommune(c.lon, c.lat)}`))),
    ];
    list.replaceChildren(...(items.length ? items : [el("li", {}, T.no_emerging)]));
  }

  function nearestCommune(lon, lat) {
    const hit = config.communes.find((c) => lon >= c.bounds[0] && lon <= c.bounds[2] && lat >= c.bounds[1] && lat <= c.bounds[3]);
    return hit ? hit.name : "";
  }

  // ---------------------------------------------------------------- communes
  const CHORO = ["#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000"];
  const choroLegend = L.control({ position: "bottomright" });
  choroLegend.onAdd = () => L.DomUtil.create("div", "legend");

  async function loadCommunes(query) {
    setCommunes(await getJSON(`/api/communes?${query}`));
  }

  function setCommunes(figures) {
    data.communes = Object.fromEntries(figures.communes.map((c) => [c.insee, c]));
    paintCommunes();
  }

  function paintCommunes() {
    const layer = handles.communes;
    if (!state.choro || !data.communes) {
      layer.options.style = () => ({ color: "#666666", weight: 0.6, fillColor: "#f4f1ea", fillOpacity: 0.6 });
      layer.setStyle(layer.options.style);
      choroLegend.remove();
      return;
    }
    const key = { count: "count", rate: "rate_per_1000", smoothed: "smoothed_rate_per_1000" }[state.choro];
    const values = Object.values(data.communes).map((c) => c[key]).filter((v) => v > 0).sort((a, b) => a - b);
    const breaks = [0.2, 0.4, 0.6, 0.8].map((q) => values[Math.floor(q * (values.length - 1))] || 0);
    const colour = (v) => (v <= 0 ? "#ffffff" : CHORO[breaks.filter((b) => v > b).length]);
    layer.options.style = (f) => ({ color: "#666666", weight: 0.6, fillOpacity: 0.75, fillColor: colour((data.communes[f.properties.insee] || {})[key] || 0) });
    layer.setStyle(layer.options.style);
    choroLegend.addTo(map);
    const title = { count: T.choropleth_count, rate: T.choropleth_rate, smoothed: T.choropleth_smoothed }[state.choro];
    const digits = state.choro === "count" ? 0 : 2;
    const bounds = [0, ...breaks];
    choroLegend.getContainer().replaceChildren(el("strong", {}, title),
      el("div", {}, el("i", { style: "background:#ffffff" }), " 0"),
      ...CHORO.map((c, i) => el("div", {}, el("i", { style: `background:${c}` }, ""),
        ` > ${number(bounds[i], digits)}${i < 4 ? ` – ${number(bounds[i + 1], digits)}` : ""}`)));
  }

  function setupSearch() {
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
      openCommune(insee, true);
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

  async function openCommune(insee, zoom) {
    const commune = COMMUNE[insee];
    if (!commune) return;
    state.card = `commune:${insee}`;
    if (zoom) {
      const [w, s, e, n] = commune.bounds;
      map.fitBounds([[s, w], [n, e]], { padding: [20, 20] });
    }
    writeUrl(true);
    if (!data.communes) await loadCommunes(apiQuery());
    const figures = data.communes[insee] || { count: 0, rate_per_1000: 0, smoothed_rate_per_1000: 0, by_agency: {} };
    const mine = data.reports.filter((p) => p.insee === insee);
    const byCategory = {};
    for (const p of mine) byCategory[p.category] = (byCategory[p.category] || 0) + 1;
    // reduce, not Math.max(...): a few hundred thousand arguments overflow the stack.
    const end = data.reports.reduce((latest, p) => Math.max(latest, p.time), 0);
    const recent = mine.filter((p) => p.time > end - 91 * DAY).length;
    const previous = mine.filter((p) => p.time <= end - 91 * DAY && p.time > end - 182 * DAY).length;
    const arrow = recent > previous ? "↗" : recent < previous ? "↘" : "→";
    const card = $("card");
    card.replaceChildren(
      el("h2", {}, `${T.commune} ${commune.name}`, el("small", {}, ` ${insee}`)),
      el("dl", {},
        el("dt", {}, T.population), el("dd", {}, number(commune.population)),
        el("dt", {}, T.count), el("dd", { class: "commune-count" }, number(figures.count)),
        el("dt", {}, T.rate), el("dd", {}, number(figures.rate_per_1000, 2)),
        el("dt", {}, T.smoothed_rate), el("dd", {}, number(figures.smoothed_rate_per_1000, 2)),
        el("dt", {}, T.trend), el("dd", {}, `${arrow} ${recent} / ${previous}`)),
      countsTable(T.by_agency, figures.by_agency, (c) => (AGENCY[c] || { name: c }).name),
      countsTable(T.by_category, byCategory, (c) => config.categories[c] || c),
      el("h3", {}, T.vosges_trend),
      sparkline(config.ssmsi.counts, config.ssmsi.years),
      el("p", { class: "small" }, config.ssmsi.years.map((y, i) => `${y} : ${config.ssmsi.counts[i]}`).join(" · ")),
      el("p", { class: "actions" }, closeButton()),
    );
    card.hidden = false;
  }

  // ---------------------------------------------------------------- zones
  const zoneLayer = L.featureGroup().addTo(map);
  let drawing = false;
  let editing = null;
  const drawOptions = { shapeOptions: { color: "#1f2a44", weight: 3, fillOpacity: 0.1 }, metric: true, showArea: true, showRadius: true, feet: false };

  function startDrawing(kind, measure) {
    const handlers = { polygon: L.Draw.Polygon, rectangle: L.Draw.Rectangle, circle: L.Draw.Circle, distance: L.Draw.Polyline, area: L.Draw.Polygon };
    const handler = new handlers[kind](map, drawOptions);
    handler.measuring = !!measure;
    handler.kind = kind;
    activeDraw = handler;
    handler.enable();
  }
  let activeDraw = null;
  // While drawing, hotspots and zones let the mouse through to the map: a
  // click that ends a shape must not open a card.
  map.on("draw:drawstart", () => { drawing = true; map.getContainer().classList.add("drawing"); });
  map.on("draw:drawstop", () => {
    setTimeout(() => { drawing = false; map.getContainer().classList.remove("drawing"); }, 300);
  });
  map.on("draw:created", (event) => {
    const measuring = activeDraw && activeDraw.measuring;
    const layer = event.layer;
    if (measuring) { showMeasure(layer); return; }
    const kind = event.layerType === "circle" ? "circle" : event.layerType === "rectangle" ? "rectangle" : "polygon";
    newZoneCard(layer, kind);
  });

  function showMeasure(layer) {
    const out = $("measure");
    if (layer instanceof L.Polygon) {
      const area = L.GeometryUtil.geodesicArea(layer.getLatLngs()[0]);
      out.textContent = `${T.area} : ${number(area / 1e6, 3)} km²`;
    } else {
      const points = layer.getLatLngs();
      let total = 0;
      for (let i = 1; i < points.length; i += 1) total += points[i - 1].distanceTo(points[i]);
      out.textContent = `${T.distance} : ${total >= 1000 ? `${number(total / 1000, 2)} km` : `${number(total)} m`}`;
    }
    const shape = layer.addTo(map);
    setTimeout(() => shape.remove(), 8000);
  }

  function zoneBody(layer, kind, name) {
    if (kind === "circle") {
      const c = layer.getLatLng();
      return { name, shape: "circle", center: [c.lng, c.lat], radius_m: layer.getRadius() };
    }
    return { name, shape: kind, geometry: layer.toGeoJSON().geometry };
  }

  function newZoneCard(layer, kind) {
    layer.addTo(map);
    const card = $("card");
    const input = el("input", { id: "zone-name", required: true, maxlength: 120 });
    const form = el("form", { class: "zone-form" }, el("label", {}, T.zone_name, " ", input), el("button", { type: "submit" }, T.save),
      el("button", { type: "button", onclick: () => { layer.remove(); closeCard(); } }, T.close));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        const zone = await getJSON("/api/zones", { method: "POST", headers: csrfHeaders(), body: JSON.stringify(zoneBody(layer, kind, input.value)) });
        layer.remove();
        await loadZones();
        openZone(zone.id);
      } catch (error) { form.append(el("p", { class: "error" }, error.message)); }
    });
    card.replaceChildren(el("h2", {}, T.zone), form);
    card.hidden = false;
    input.focus();
  }

  const zones = {};
  async function loadZones() {
    const collection = await getJSON("/api/zones");
    zoneLayer.clearLayers();
    for (const key of Object.keys(zones)) delete zones[key];
    const list = $("zones");
    list.replaceChildren();
    for (const f of collection.features) {
      const p = f.properties;
      const layer = p.shape === "circle"
        ? L.circle([p.center[1], p.center[0]], { radius: p.radius_m, color: "#1f2a44", weight: 3, fillOpacity: 0.08 })
        : L.polygon(f.geometry.coordinates[0].map(([x, y]) => [y, x]), { color: "#1f2a44", weight: 3, fillOpacity: 0.08 });
      layer.on("click", (e) => { L.DomEvent.stopPropagation(e); if (!drawing) openZone(f.id); });
      layer.bindTooltip(el("span", {}, p.name)); // a name is free text: never HTML
      layer.addTo(zoneLayer);
      zones[f.id] = { feature: f, layer };
      list.append(el("li", {}, el("button", { type: "button", class: "link", onclick: () => openZone(f.id, true) }, p.name),
        ` · ${number(p.area_km2, 2)} km²`));
    }
    if (!collection.features.length) list.append(el("li", {}, T.no_zone));
  }

  async function openZone(id, zoom) {
    const zone = zones[id];
    if (!zone) return;
    state.card = `zone:${id}`;
    if (zoom) map.fitBounds(zone.layer.getBounds(), { padding: [30, 30] });
    writeUrl(true);
    const card = $("card");
    card.replaceChildren(el("p", {}, T.loading));
    card.hidden = false;
    let c;
    try { c = await getJSON(`/api/zones/${id}/contents?${apiQuery()}`); } catch (error) { showMessage(error.message); return; }
    const p = c.zone.properties;
    const name = el("input", { id: "zone-name", value: p.name, maxlength: 120 });
    const rename = el("form", { class: "zone-form" }, el("label", {}, T.zone_name, " ", name), el("button", { type: "submit" }, T.save));
    rename.addEventListener("submit", async (e) => {
      e.preventDefault();
      await saveZone(id, zoneBody(zone.layer, p.shape, name.value));
    });
    card.replaceChildren(
      el("h2", {}, `${T.zone} : ${p.name}`),
      el("dl", {},
        el("dt", {}, T.area), el("dd", {}, `${number(c.area_km2, 3)} km²`),
        p.radius_m ? [el("dt", {}, T.radius), el("dd", {}, `${number(p.radius_m)} m`)] : null,
        el("dt", {}, T.reports), el("dd", { class: "zone-count" }, number(c.count)),
        el("dt", {}, T.hotspots), el("dd", {}, c.hotspots.length ? c.hotspots.map((h) => `${h.code} (${statusLabel(h.status)}, ${h.count})`).join(", ") : T.none),
        el("dt", {}, T.communes), el("dd", {}, c.communes.map((x) => `${x.name} (${Math.round(x.share * 100)} %)`).join(", ") || T.none)),
      countsTable(T.by_agency, c.by_agency, (k) => (AGENCY[k] || { name: k }).name),
      countsTable(T.by_category, c.by_category, (k) => config.categories[k] || k),
      config.can_plan ? rename : null,
      el("p", { class: "actions" },
        config.can_plan ? el("button", { type: "button", id: "zone-edit", onclick: () => (editing ? finishEditing(id, p) : startEditing(zone)) }, T.edit_shape) : null,
        config.can_plan ? el("button", { type: "button", onclick: async () => {
          if (!window.confirm(T.confirm_delete)) return;
          await getJSON(`/api/zones/${id}`, { method: "DELETE", headers: csrfHeaders() });
          closeCard();
          await loadZones();
        } }, T.delete) : null,
        el("a", { href: "/api/zones/export.geojson", download: "" }, "GeoJSON"),
        closeButton()),
    );
  }

  function startEditing(zone) {
    editing = zone;
    zone.layer.editing.enable();
    $("zone-edit").textContent = T.finish_edit;
  }
  function stopEditing() {
    if (editing && editing.layer.editing) editing.layer.editing.disable();
    editing = null;
  }
  async function finishEditing(id, p) {
    const layer = editing.layer;
    stopEditing();
    await saveZone(id, zoneBody(layer, p.shape, p.name));
  }
  async function saveZone(id, body) {
    try {
      await getJSON(`/api/zones/${id}`, { method: "PUT", headers: csrfHeaders(), body: JSON.stringify(body) });
      await loadZones();
      openZone(id);
    } catch (error) { showMessage(error.message); }
  }

  // ---------------------------------------------------------------- heat map
  const heatLayer = L.heatLayer ? L.heatLayer([], { radius: 18, blur: 20, maxZoom: 14, pane: "crossmap-hotspots" }) : null;

  // ---------------------------------------------------------------- charts
  function drawCharts() {
    const points = data.visible.filter((p) => shownAgencies.has(p.agency));
    // Reports per week by agency, stacked.
    const monday = (t) => { const d = new Date(t); const day = (d.getUTCDay() + 6) % 7; return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - day); };
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
    const ns = "http://www.w3.org/2000/svg";
    const width = 300, height = 120, step = width / Math.max(1, all.length);
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", `0 0 ${width} ${height + 14}`);
    svg.setAttribute("class", "chart");
    all.forEach((w, i) => {
      let y = height;
      for (const agency of config.agencies) {
        const n = (weeks.get(w) || {})[agency.code] || 0;
        if (!n) continue;
        const h = (n / max) * height;
        y -= h;
        const rect = document.createElementNS(ns, "rect");
        rect.setAttribute("x", i * step); rect.setAttribute("y", y); rect.setAttribute("width", Math.max(0.8, step - 0.5)); rect.setAttribute("height", h);
        rect.setAttribute("fill", agency.colour);
        const title = document.createElementNS(ns, "title");
        title.textContent = `${T.week} ${frDay(new Date(w).toISOString())} · ${agency.name} : ${n}`;
        rect.append(title);
        svg.append(rect);
      }
    });
    for (const [x, t, anchor] of [[0, first, "start"], [width, last, "end"]]) {
      if (t == null) continue;
      const label = document.createElementNS(ns, "text");
      label.setAttribute("x", x); label.setAttribute("y", height + 12); label.setAttribute("text-anchor", anchor);
      label.textContent = frDay(new Date(t).toISOString());
      svg.append(label);
    }
    $("chart-weeks").replaceChildren(svg, el("p", { class: "small" }, `max ${max} / ${T.week.toLowerCase()}`));
    // Hour x weekday table.
    const grid = Array.from({ length: 7 }, () => new Array(24).fill(0));
    for (const p of points) grid[p.weekday][p.hour] += 1;
    const top = Math.max(1, ...grid.flat());
    $("chart-hours").replaceChildren(el("table", { class: "hours-table" },
      el("tr", {}, el("th", {}, ""), [...Array(24).keys()].map((h) => el("th", { scope: "col" }, h % 3 ? "" : String(h)))),
      grid.map((row, d) => el("tr", {}, el("th", { scope: "row" }, T.weekdays[d]),
        row.map((n) => el("td", { title: String(n), style: `background:rgba(0,114,178,${(n / top).toFixed(2)})` }, ""))))));
  }

  // ---------------------------------------------------------------- controls
  function setupControls() {
    const first = config.first_day ? Date.parse(config.first_day) : Date.now() - 365 * DAY;
    const last = config.last_day ? Date.parse(config.last_day) : Date.now();
    const days = Math.max(1, Math.round((last - first) / DAY));
    const sliders = [$("slider-start"), $("slider-end")];
    for (const s of sliders) { s.min = 0; s.max = days; s.step = 1; }
    const toDay = (n) => isoDay(first + n * DAY);
    const fromDay = (iso, fallback) => (iso ? Math.round((Date.parse(iso) - first) / DAY) : fallback);
    controls.syncTime = () => {
      sliders[0].value = fromDay(state.start, 0);
      sliders[1].value = fromDay(state.end, days);
      $("start").value = state.start || toDay(0);
      $("end").value = state.end || toDay(days);
      for (const s of sliders) s.setAttribute("aria-valuetext", frDay(toDay(Number(s.value))));
    };
    const setRange = (start, end) => {
      state.start = start <= 0 ? "" : toDay(start);
      state.end = end >= days ? "" : toDay(end);
      controls.syncTime();
      changed();
    };
    controls.setRange = setRange;
    controls.days = days;
    sliders[0].addEventListener("input", () => { if (+sliders[0].value > +sliders[1].value) sliders[0].value = sliders[1].value; controls.syncTime(); });
    sliders[1].addEventListener("input", () => { if (+sliders[1].value < +sliders[0].value) sliders[1].value = sliders[0].value; });
    for (const s of sliders) s.addEventListener("change", () => setRange(+sliders[0].value, +sliders[1].value));
    $("start").addEventListener("change", () => setRange(fromDay($("start").value, 0), fromDay($("end").value, days)));
    $("end").addEventListener("change", () => setRange(fromDay($("start").value, 0), fromDay($("end").value, days)));
    for (const b of document.querySelectorAll("[data-preset]")) {
      b.addEventListener("click", () => setRange(b.dataset.preset === "all" ? 0 : days - Number(b.dataset.preset) + 1, days));
    }
    $("weekdays").replaceChildren(...T.weekdays.map((name, d) => el("label", {},
      el("input", { type: "checkbox", "data-weekday": d, onchange: () => {
        state.weekdays = [...document.querySelectorAll("[data-weekday]")].filter((b) => b.checked).map((b) => Number(b.dataset.weekday));
        writeUrl(true); applyLocalFilters();
      } }), name)));
    for (const id of ["hour-from", "hour-to"]) {
      $(id).addEventListener("change", () => { state.hours = [Number($("hour-from").value) || 0, Number($("hour-to").value)]; writeUrl(true); applyLocalFilters(); });
    }

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
    for (const [id, key] of [["eps", "eps"], ["min-samples", "min_samples"], ["time-eps", "time_eps"]]) {
      $(id).addEventListener("change", (e) => { if (e.target.checkValidity()) { state[key] = e.target.value; changed(); } });
    }
    for (const name of ["reports", "hotspots", "heat", "cells"]) {
      $(`layer-${name}`).addEventListener("change", (e) => {
        state.layers = state.layers.filter((l) => l !== name);
        if (e.target.checked) state.layers.push(name);
        applyLayers();
        if (name === "hotspots" && e.target.checked) changed(); else writeUrl(true);
      });
    }
    $("choropleth").addEventListener("change", async (e) => {
      state.choro = e.target.value; writeUrl(true);
      if (state.choro) await loadCommunes(apiQuery()); else paintCommunes();
    });
    $("convergent-only").addEventListener("change", renderEmerging);
    for (const b of document.querySelectorAll("[data-draw]")) b.addEventListener("click", () => startDrawing(b.dataset.draw, false));
    for (const b of document.querySelectorAll("[data-measure]")) b.addEventListener("click", () => startDrawing(b.dataset.measure, true));
    $("charts").addEventListener("toggle", () => { if ($("charts").open) drawCharts(); });
    $("play").addEventListener("click", () => (playTimer ? stopPlayback() : startPlayback()));
    setupSearch();
  }
  const controls = {};

  function syncControls() {
    controls.syncTime();
    for (const a of config.agencies) {
      const on = state.agencies.includes(a.code);
      $(`agency-${a.code}`).checked = on;
      if (on !== map.hasLayer(agencyLayers[a.code])) {
        if (on) { shownAgencies.add(a.code); agencyLayers[a.code].addTo(map); } else { shownAgencies.delete(a.code); map.removeLayer(agencyLayers[a.code]); }
      }
    }
    for (const box of document.querySelectorAll("[data-key]")) box.checked = state[box.dataset.key].includes(box.value);
    for (const box of document.querySelectorAll("[data-weekday]")) box.checked = state.weekdays.includes(Number(box.dataset.weekday));
    $("hour-from").value = state.hours[0];
    $("hour-to").value = state.hours[1];
    $("min-grading").value = state.min_grading;
    $("eps").value = state.eps;
    $("min-samples").value = state.min_samples;
    $("time-eps").value = state.time_eps;
    $("choropleth").value = state.choro;
    for (const name of ["reports", "hotspots", "heat", "cells"]) $(`layer-${name}`).checked = state.layers.includes(name);
    applyLayers();
    paintCommunes();
  }

  function applyLayers() {
    const want = (name, layer) => {
      if (!layer) return;
      if (state.layers.includes(name) && !map.hasLayer(layer)) layer.addTo(map);
      if (!state.layers.includes(name) && map.hasLayer(layer)) map.removeLayer(layer);
    };
    want("reports", reportsLayer);
    want("hotspots", hotspotLayer);
    want("heat", heatLayer);
    want("cells", cellLayer);
    if (heatLayer && map.hasLayer(heatLayer)) heatLayer.setLatLngs(data.visible.filter((p) => shownAgencies.has(p.agency)).map((p) => [p.lat, p.lon]));
  }

  // ---------------------------------------------------------------- playback
  let playTimer = null;
  const PLAY_WINDOW_WEEKS = 4;
  function startPlayback() {
    const days = controls.days;
    let end = state.end ? Math.round((Date.parse(state.end) - Date.parse(config.first_day)) / DAY) : 0;
    if (end >= days || end < 7 * PLAY_WINDOW_WEEKS) end = 7 * PLAY_WINDOW_WEEKS - 1;
    const origin = state.start && $("play-mode").value === "cumulative" ? Math.round((Date.parse(state.start) - Date.parse(config.first_day)) / DAY) : 0;
    $("play").setAttribute("aria-pressed", "true");
    $("play").textContent = `⏸ ${T.pause}`;
    const step = () => {
      if (end > days) { stopPlayback(); return; }
      const start = $("play-mode").value === "cumulative" ? origin : end - 7 * PLAY_WINDOW_WEEKS + 1;
      controls.setRange(start, Math.min(end, days));
      $("play-step").textContent = `${frDay(isoDay(Date.parse(config.first_day) + start * DAY))} – ${frDay(isoDay(Date.parse(config.first_day) + Math.min(end, days) * DAY))}`;
      census.playStep = (census.playStep || 0) + 1;
      end += 7;
      playTimer = setTimeout(step, Number($("play-speed").value));
    };
    census.playStep = 0;
    step();
  }
  function stopPlayback() {
    clearTimeout(playTimer);
    playTimer = null;
    $("play").setAttribute("aria-pressed", "false");
    $("play").textContent = `▶ ${T.play}`;
  }

  // ---------------------------------------------------------------- start
  function openCardFromState() {
    const [kind, id] = (state.card || "").split(/:(.*)/s);
    if (kind === "hotspot") openHotspot(id);
    else if (kind === "commune") openCommune(id);
    else if (kind === "zone") openZone(Number(id));
    else $("card").hidden = true;
  }

  function restoreView(view) {
    const parts = (view || "").split("/").map(Number);
    if (parts.length === 3 && parts.every(Number.isFinite)) map.setView([parts[1], parts[2]], parts[0], { animate: false });
  }

  const view = readUrl();
  setupControls();
  for (const code of state.agencies) { shownAgencies.add(code); agencyLayers[code].addTo(map); }
  syncControls();
  restoreView(view);
  map.on("moveend", () => writeUrl(false));
  window.addEventListener("popstate", () => {
    stopPlayback();
    restoreView(readUrl());
    syncControls();
    refresh().then(openCardFromState);
  });
  document.addEventListener("keydown", (e) => { if (e.key === "Escape" && !$("card").hidden) closeCard(); });
  writeUrl(false);
  refresh().then(openCardFromState);
  loadZones();
  census.scriptStart = performance.now();
  // What the page holds and drew, for the browser tests and the benchmark.
  window.crossmap = { map, state, census, refresh, data, stopPlayback };
}());
