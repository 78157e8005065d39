// Playback, week by week: the period moves on one week per step, as a
// sliding window of four weeks or a window growing from the start.
import { DAY, T, config } from "./config.js";
import { census } from "./data.js";
import { $, frDay, isoDay } from "./dom.js";
import { days, setRange } from "./panels/filters.js";
import { state } from "./state.js";

const PLAY_WINDOW_WEEKS = 4;
let timer = null;

/** The chosen period as day numbers (from the first day of the data). */
function period() {
  const firstDay = Date.parse(config.first_day);
  const index = (iso, fallback) => (iso ? Math.round((Date.parse(iso) - firstDay) / DAY) : fallback);
  const from = Math.max(0, index(state.start, 0));
  return [from, Math.max(from, Math.min(days, index(state.end, days)))];
}

function startPlayback() {
  const firstDay = Date.parse(config.first_day);
  // Playback stays inside the period chosen before pressing play: a
  // window of four weeks sliding from its start, or a window growing from
  // its start; the start never passes the end.
  const [from, to] = period();
  const cumulative = $("play-mode").value === "cumulative";
  let end = Math.min(to, from + (cumulative ? 6 : 7 * PLAY_WINDOW_WEEKS - 1));
  $("play").setAttribute("aria-pressed", "true");
  $("play").textContent = `⏸ ${T.pause}`;
  census.playPeriod = [from, to];
  census.playSteps = [];
  const step = () => {
    const start = cumulative ? from : Math.max(from, end - 7 * PLAY_WINDOW_WEEKS + 1);
    // The whole playback is one user action: one history entry.
    setRange(start, end, census.playSteps.length === 0);
    $("play-step").textContent = `${frDay(isoDay(firstDay + start * DAY))} – ${frDay(isoDay(firstDay + end * DAY))}`;
    census.playStep = (census.playStep || 0) + 1;
    census.playSteps.push([start, end]);
    if (end >= to) {
      // The last week shown, the map returns to the whole period chosen.
      timer = setTimeout(() => { setRange(from, to, false); stopPlayback(); }, Number($("play-speed").value));
      return;
    }
    end = Math.min(to, end + 7);
    timer = setTimeout(step, Number($("play-speed").value));
  };
  census.playStep = 0;
  step();
}

/** Whether playback is running: costly extras wait for its end. */
export function playing() {
  return timer !== null;
}

export function stopPlayback() {
  clearTimeout(timer);
  timer = null;
  $("play").setAttribute("aria-pressed", "false");
  $("play").textContent = `▶ ${T.play}`;
}

export function setupPlayback() {
  $("play").addEventListener("click", () => (timer ? stopPlayback() : startPlayback()));
}
