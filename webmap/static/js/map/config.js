// What the server tells the page that is not data (webmap/map.py,
// _page_config): agencies, vocabularies, French texts, clustering defaults,
// the data's time span. Read once from the page's JSON block.
export const config = JSON.parse(document.getElementById("crossmap-config").textContent);

// French texts of the page script (the server's message catalogue).
export const T = config.text;

export const DAY = 86400000;

export const AGENCY = Object.fromEntries(config.agencies.map((a) => [a.code, a]));
export const COMMUNE = Object.fromEntries(config.communes.map((c) => [c.insee, c]));

// Cold-spot classes ("new_cold"...) read as their hot counterpart here:
// hotspots are clusters of reports, never cold.
const statusOf = (s) => config.statuses[s] || config.statuses[String(s).replace(/_cold$/, "")];
export const statusColour = (s) => (statusOf(s) || { colour: "#777" }).colour;
export const statusLabel = (s) => (statusOf(s) || { label: s || "—" }).label;
