// Playback, week by week: the period moves on one week per step, as a
// sliding window of four weeks or a window growing from the start.
import { DAY, T, config } from "./config.js";
import { census } from "./data.js";
import { $, frDay, isoDay } from "./dom.js";
import { days, setRange } from "./panels/filters.js";
import { state } from "./state.js";

const PLAY_WINDOW_WEEKS = 4;
let timer = null;

function startPlayback() {
  const firstDay = Date.parse(config.first_day);
  let end = state.end ? Math.round((Date.parse(state.end) - firstDay) / DAY) : 0;
  if (end >= days || end < 7 * PLAY_WINDOW_WEEKS) end = 7 * PLAY_WINDOW_WEEKS - 1;
  const origin = state.start && $("play-mode").value === "cumulative" ? Math.round((Date.parse(state.start) - firstDay) / DAY) : 0;
  $("play").setAttribute("aria-pressed", "true");
  $("play").textContent = `⏸ ${T.pause}`;
  const step = () => {
    if (end > days) { stopPlayback(); return; }
    const start = $("play-mode").value === "cumulative" ? origin : end - 7 * PLAY_WINDOW_WEEKS + 1;
    setRange(start, Math.min(end, days));
    $("play-step").textContent = `${frDay(isoDay(firstDay + start * DAY))} – ${frDay(isoDay(firstDay + Math.min(end, days) * DAY))}`;
    census.playStep = (census.playStep || 0) + 1;
    end += 7;
    timer = setTimeout(step, Number($("play-speed").value));
  };
  census.playStep = 0;
  step();
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
