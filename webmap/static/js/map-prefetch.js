// Asks the map's first questions of the API while the page is still loading,
// so that the server computes them while the browser parses the basemap.
// webmap/static/js/map.js takes the answers if it asks the same questions
// (it builds its queries from the same URL the same way), else asks again.
(function () {
  "use strict";
  const url = new URLSearchParams(location.search);
  const LISTS = ["agencies", "categories", "substances"];
  const DEFAULTS = { eps: "250", min_samples: "5" };

  function query(keys, extra) {
    const q = new URLSearchParams();
    for (const key of keys) {
      let value = url.get(key) || "";
      if (LISTS.includes(key)) value = value.split(",").filter(Boolean).join(",");
      if (value && value !== DEFAULTS[key]) q.set(key, value);
    }
    for (const [key, value] of Object.entries(extra || {})) q.set(key, value);
    return q.toString();
  }

  function ask(path, q) {
    const answer = fetch(`${path}?${q}`).then((r) => (r.ok ? r.json() : Promise.reject(new Error(String(r.status)))));
    // map.js may never take it: an unread failure must not reach the console.
    answer.catch(() => {});
    return { query: q, answer };
  }

  const reports = query(["start", "end", "categories", "substances", "min_grading"], { format: "compact" });
  const full = query(["start", "end", "agencies", "categories", "substances", "min_grading", "eps", "min_samples", "time_eps"]);
  const layers = url.has("layers") ? url.get("layers").split(",") : ["reports", "hotspots"];
  window.crossmapPrefetch = {
    reports: ask("/api/reports", reports),
    hotspots: layers.includes("hotspots") ? ask("/api/hotspots", full) : null,
  };
}());
