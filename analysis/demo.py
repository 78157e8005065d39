"""Fictitious but realistic reports for demonstrations and tests.

Nothing here is real: points are drawn at random around and inside
communes, and the planted hotspots sit at random points, never at a named
place.

The data are meant to teach, so they are not easy:

* **Volumes** follow the SSMSI figures for the Vosges (``data/ssmsi-drugs.csv``:
  180-270 persons implicated in trafficking and 900-1,450 in use a year, so
  1,100-1,650 in all): ``REPORTS_PER_YEAR`` = 1,400 reports a year, planted
  places included.
* **Background** follows population: each commune gets reports in
  proportion to its inhabitants, most of them around its centre (where
  people live) and the rest anywhere inside it, plus customs and border
  police along the main roads. Town centres are therefore busy without any
  hotspot, as in real data.
* **Planted places** sit where the background is densest and only add
  ``RATIO`` = 2 to 5 times their local background: the reports a disc of
  ``LOCAL_RADIUS_M`` = 500 m (the scale of a cell of the space-time cube)
  around them would get anyway. Four kinds: *persistent* (the whole
  period), *emerging* (the last ``EMERGING_WEEKS`` weeks only), *fading*
  (strong at first, down to the background's level by the end) and
  *dormant*, the analysts' *en sommeil* (a hotspot for a year or more, then
  silent for the last ``DORMANT_SILENT_WEEKS`` weeks or more).

The generator returns the planted truth beside the reports so that tests can
measure whether clustering and trend analysis recover it.
"""

import math
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import shapely

from analysis.calendar import PARIS
from analysis.vocabulary import CATEGORIES, SUBSTANCES
from geo.crs import LAMBERT93, to_wgs84

#: All reports of a year, planted places included (SSMSI order of magnitude).
REPORTS_PER_YEAR = 1400
# Share of a commune's own reports drawn around its centre (the rest fall
# anywhere inside it), and the spread of that centre: 120 m for a village of
# 1,000, growing with the square root of the population.
CENTRE_SHARE = 0.6
CENTRE_SD_M = 120
CENTRE_SD_MAX_M = 900

# Share of the background reports, and where each agency works.
AGENCY_HABITS = {
    "GN": {"share": 0.42, "where": "rural"},
    "PN-SP": {"share": 0.30, "where": "towns"},
    "PJ": {"share": 0.05, "where": "towns"},
    "PAF": {"share": 0.04, "where": "roads"},
    "DOUANE": {"share": 0.14, "where": "roads"},
    "GIR": {"share": 0.05, "where": "towns"},
}
TOWN_COUNT = 10  # the largest communes, where police (not gendarmerie) works
# Customs and border police patrol the main roads: straight corridors between
# the main towns stand in for them, named by INSEE code.
ROAD_CORRIDORS = [
    ("88160", "88383"),  # Épinal – Remiremont
    ("88160", "88087"),  # Épinal – Charmes
    ("88413", "88372"),  # Saint-Dié-des-Vosges – Raon-l'Étape
    ("88321", "88304"),  # Neufchâteau – Mirecourt
    ("88160", "88413"),  # Épinal – Saint-Dié-des-Vosges
]
CORRIDOR_WIDTH_M = 400

CATEGORY_WEIGHTS = dict(zip(CATEGORIES, [0.28, 0.12, 0.15, 0.27, 0.15, 0.03]))
SUBSTANCE_WEIGHTS = dict(zip(SUBSTANCES, [0.42, 0.22, 0.18, 0.03, 0.08, 0.05, 0.02]))
RELIABILITY_WEIGHTS = dict(zip("ABCDEF", [0.06, 0.34, 0.34, 0.12, 0.05, 0.09]))
CREDIBILITY_WEIGHTS = dict(zip([1, 2, 3, 4, 5, 6], [0.10, 0.34, 0.30, 0.10, 0.04, 0.12]))
# Deals happen late afternoon and evening; weight per hour of the day.
HOUR_WEIGHTS = np.array([3, 2, 1, 1, 1, 1, 1, 2, 3, 4, 5, 6, 6, 6, 7, 8, 10, 12, 13, 13, 12, 10, 7, 5], float)
WEEKDAY_WEIGHTS = np.array([0.9, 0.9, 1.0, 1.0, 1.3, 1.4, 0.8])

PRECISION_SHARES = {"point": 0.58, "address": 0.18, "commune": 0.24}
STREETS = [
    "rue des Tilleuls",
    "rue de la Gare",
    "avenue des Sports",
    "rue du Moulin",
    "rue des Écoles",
    "place de la Fontaine",
    "rue des Jardins",
    "chemin des Prés",
]

# Planted places: how many of each kind, how much they add to their local
# background (the background reports within LOCAL_RADIUS_M), and when.
PLANTED = {"persistent": 4, "emerging": 4, "fading": 3, "dormant": 3}
RATIO = (2.0, 5.0)
LOCAL_RADIUS_M = 500
HOTSPOT_SD_M = 70
MIN_SEPARATION_M = 1000
# Candidate positions tried per planted place, around the town centre and
# anywhere in the town: the busiest wins, since deal points are where people
# are.
CANDIDATES = 25
MIN_POPULATION = 4000
EMERGING_WEEKS = (6, 10)
DORMANT_SILENT_WEEKS = (26, 40)
DORMANT_ACTIVE_WEEKS = 52


def generate_reports(communes, *, seed=0, years=3, end=None):
    """Generate fictitious reports over ``years`` years ending at ``end``.

    Parameters
    ----------
    communes : GeoDataFrame
        Vosges communes (``insee``, ``name``, ``population``, polygons).
    seed : int
        Seed of the random generator: the same seed gives the same reports.
    years : int
        Length of the period.
    end : datetime, optional
        Aware end of the period; defaults to now (Europe/Paris), rounded
        down to the minute.

    Returns
    -------
    reports : DataFrame
        One row per report with the columns of ``webmap.services.store.REPORT_COLUMNS``.
    truth : dict
        The planted places: kind (``persistent``, ``emerging``, ``fading``
        or ``dormant``), centre, period, local background per week, ratio,
        agencies and the agency references of their reports.

    Examples
    --------
    >>> from geo.reference import load_communes
    >>> reports, truth = generate_reports(load_communes(), seed=1, years=1)
    >>> bool(reports["agency_ref"].is_unique), sorted({h["kind"] for h in truth["hotspots"]})
    (True, ['dormant', 'emerging', 'fading', 'persistent'])
    """
    if years < 1:
        raise ValueError("years must be at least 1")
    rng = np.random.default_rng(seed)
    if end is None:
        end = datetime.now(PARIS).replace(second=0, microsecond=0)
    start = end - timedelta(days=365 * years)
    communes = communes.to_crs(LAMBERT93).reset_index(drop=True)

    # The planted places add about a tenth to the background.
    background = _background(communes, rng, round(years * REPORTS_PER_YEAR * 0.9), start, end)
    planted, truth = _planted(communes, rng, start, end, background)
    reports = pd.concat([background, planted], ignore_index=True)
    reports = _describe(reports, communes, rng)
    reports = reports.sort_values("observed_at", kind="stable").reset_index(drop=True)
    reports["agency_ref"] = _references(reports)

    refs = dict(zip(reports.index, reports["agency_ref"]))
    for hotspot in truth:
        hotspot["agency_refs"] = sorted(refs[i] for i in reports.index[reports["hotspot"] == hotspot["id"]])
    return reports.drop(columns=["hotspot"]), {
        "seed": seed,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "hotspots": truth,
    }


def _background(communes, rng, n, start, end):
    agencies = list(AGENCY_HABITS)
    shares = np.array([AGENCY_HABITS[a]["share"] for a in agencies])
    agency = rng.choice(agencies, size=n, p=shares / shares.sum())
    frames = []
    for code in agencies:
        count = int((agency == code).sum())
        where = AGENCY_HABITS[code]["where"]
        if where == "roads":
            x, y = _along_roads(communes, rng, count)
        else:
            weights = _commune_weights(communes, where)
            idx = rng.choice(len(communes), size=count, p=weights)
            x, y = _where_people_are(communes, idx, rng)
        frames.append(pd.DataFrame({"agency": code, "x_l93": x, "y_l93": y}))
    frame = pd.concat(frames, ignore_index=True)
    frame["observed_at"] = _times(rng, len(frame), start, end)
    frame["hotspot"] = None
    return frame


def _centres(communes):
    """Centre of each commune and the spread of its inhabitants around it."""
    centres = communes.geometry.representative_point()
    spread = (CENTRE_SD_M * np.sqrt(communes["population"].to_numpy(float) / 1000)).clip(
        CENTRE_SD_M / 2, CENTRE_SD_MAX_M
    )
    return shapely.get_x(centres).to_numpy(), shapely.get_y(centres).to_numpy(), spread


def _where_people_are(communes, idx, rng):
    """Points of communes ``idx``: most around the centre, the rest anywhere."""
    cx, cy, spread = _centres(communes)
    x, y = _points_in(communes.geometry.values, idx, rng)
    near = rng.random(len(idx)) < CENTRE_SHARE
    x[near] = cx[idx[near]] + rng.normal(0, spread[idx[near]])
    y[near] = cy[idx[near]] + rng.normal(0, spread[idx[near]])
    return x, y


def _commune_weights(communes, where):
    population = communes["population"].to_numpy(float)
    towns = population >= np.sort(population)[-TOWN_COUNT]
    # Reports follow population: police in the towns, gendarmerie elsewhere.
    weights = np.where(towns, population, 0.0) if where == "towns" else np.where(towns, 0.0, population)
    return weights / weights.sum()


def _along_roads(communes, rng, n):
    centres = communes.set_index("insee").geometry.representative_point()
    pick = rng.integers(len(ROAD_CORRIDORS), size=n)
    a = np.array([[centres[c[0]].x, centres[c[0]].y] for c in ROAD_CORRIDORS])[pick]
    b = np.array([[centres[c[1]].x, centres[c[1]].y] for c in ROAD_CORRIDORS])[pick]
    t = rng.random(n)[:, None]
    along = a + t * (b - a)
    direction = (b - a) / np.linalg.norm(b - a, axis=1)[:, None]
    normal = np.column_stack([-direction[:, 1], direction[:, 0]])
    xy = along + normal * rng.normal(0, CORRIDOR_WIDTH_M, size=n)[:, None]
    return xy[:, 0], xy[:, 1]


def _points_in(polygons, idx, rng):
    """Uniform random points inside ``polygons[idx]``, by rejection."""
    x = np.empty(len(idx))
    y = np.empty(len(idx))
    todo = np.arange(len(idx))
    bounds = shapely.bounds(polygons)
    while len(todo):
        b = bounds[idx[todo]]
        cx = b[:, 0] + rng.random(len(todo)) * (b[:, 2] - b[:, 0])
        cy = b[:, 1] + rng.random(len(todo)) * (b[:, 3] - b[:, 1])
        inside = shapely.contains_xy(polygons[idx[todo]], cx, cy)
        x[todo[inside]] = cx[inside]
        y[todo[inside]] = cy[inside]
        todo = todo[~inside]
    return x, y


def _times(rng, n, start, end, *, first=None, last=None, trend=0.0):
    """Random local times between ``first`` and ``last`` (default the whole
    period) with deal-like hours and weekdays; ``trend`` > 0 makes later
    days likelier, < 0 earlier ones."""
    first = first or start
    last = last or end
    days = max((last - first).days, 1)
    day_weights = np.linspace(1 - trend, 1 + trend, days).clip(0.05)
    weekdays = (first.weekday() + np.arange(days)) % 7
    day_weights = day_weights * WEEKDAY_WEIGHTS[weekdays]
    day = rng.choice(days, size=n, p=day_weights / day_weights.sum())
    hour = rng.choice(24, size=n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    minute = rng.integers(60, size=n)
    base = first.replace(hour=0, minute=0, second=0, microsecond=0)
    times = [
        (base + timedelta(days=int(d))).replace(hour=int(h), minute=int(m), tzinfo=None)
        for d, h, m in zip(day, hour, minute)
    ]
    # In the hour that happens twice in October, take the summer-time one.
    local = pd.DatetimeIndex(times).tz_localize(PARIS, ambiguous=np.ones(n, bool), nonexistent="shift_forward")
    return local.where(local <= pd.Timestamp(end), pd.Timestamp(end))


def _planted(communes, rng, start, end, background):
    population = communes["population"].to_numpy(float)
    # Hotspots sit in towns: deals need customers. A big town may hold
    # several.
    candidates = np.flatnonzero(population >= MIN_POPULATION)
    weights = population[candidates] / population[candidates].sum()
    chosen = rng.choice(candidates, size=sum(PLANTED.values()), replace=True, p=weights)
    cx, cy, spread = _centres(communes)
    tree = shapely.STRtree(shapely.points(background["x_l93"].to_numpy(), background["y_l93"].to_numpy()))
    n_weeks = (end - start).days / 7
    frames, truth = [], []
    # Kinds in random order: the first places take the busiest spots.
    kinds = [kind for kind, count in PLANTED.items() for _ in range(count)]
    order = rng.permutation(len(kinds))
    for number, (position, commune_index) in enumerate(zip(order, chosen), start=1):
        kind = kinds[position]
        commune = communes.iloc[commune_index]
        # Try positions where the commune's people are; keep the busiest one
        # that stays apart from the other planted places, so that each can
        # be recovered (and its trend judged) on its own.
        anywhere = _points_in(communes.geometry.values, np.full(CANDIDATES, commune_index), rng)
        x = np.concatenate([cx[commune_index] + rng.normal(0, 2 * spread[commune_index], CANDIDATES), anywhere[0]])
        y = np.concatenate([cy[commune_index] + rng.normal(0, 2 * spread[commune_index], CANDIDATES), anywhere[1]])
        nearest = np.array(
            [min([math.hypot(a - h["x_l93"], b - h["y_l93"]) for h in truth], default=math.inf) for a, b in zip(x, y)]
        )
        local = np.bincount(
            tree.query(shapely.buffer(shapely.points(x, y), LOCAL_RADIUS_M), predicate="contains")[0], minlength=x.size
        )
        # In the rare town too crowded for another place, the farthest point.
        best = (
            int(np.argmax(np.where(nearest >= MIN_SEPARATION_M, local, -1)))
            if (nearest >= MIN_SEPARATION_M).any()
            else int(np.argmax(nearest))
        )
        background_rate = max(local[best], 1) / n_weeks
        ratio = float(rng.uniform(*RATIO))
        agencies = _hotspot_agencies(commune, rng)
        first, last, trend, active_weeks = _hotspot_period(kind, rng, start, end)
        # Fading places end at their background's level: on average they add
        # half their starting rate.
        mean_ratio = ratio / 2 if kind == "fading" else ratio
        n = max(int(rng.poisson(mean_ratio * background_rate * active_weeks)), 3)
        code = f"{kind[0].upper()}{number}"
        frames.append(
            pd.DataFrame(
                {
                    "agency": rng.choice(agencies, size=n),
                    "x_l93": x[best] + rng.normal(0, HOTSPOT_SD_M, size=n),
                    "y_l93": y[best] + rng.normal(0, HOTSPOT_SD_M, size=n),
                    "observed_at": _times(rng, n, start, end, first=first, last=last, trend=trend),
                    "hotspot": code,
                }
            )
        )
        lon, lat = to_wgs84(x[best], y[best])
        truth.append(
            {
                "id": code,
                "kind": kind,
                "x_l93": round(float(x[best]), 1),
                "y_l93": round(float(y[best]), 1),
                "lon": round(float(lon), 6),
                "lat": round(float(lat), 6),
                "insee": commune["insee"],
                "sd_m": HOTSPOT_SD_M,
                "first": first.isoformat(),
                "last": last.isoformat(),
                "background_per_week": round(float(background_rate), 3),
                "ratio": round(ratio, 2),
                "agencies": sorted(set(agencies)),
            }
        )
    return pd.concat(frames, ignore_index=True), truth


def _hotspot_agencies(commune, rng):
    local = "PN-SP" if commune["population"] >= 7000 else "GN"
    # Most hotspots are seen by two or more agencies: that is what a CROSS
    # exists to reveal. Some stay with one.
    others = [a for a in ("DOUANE", "PJ", "GIR") if a != local]
    extra = list(rng.choice(others, size=int(rng.integers(0, 3)), replace=False))
    return [local, *map(str, extra)]


def _hotspot_period(kind, rng, start, end):
    """First and last day of a planted place, the trend of its daily rate
    (see :func:`_times`) and its length in weeks."""
    if kind == "emerging":
        weeks = int(rng.integers(EMERGING_WEEKS[0], EMERGING_WEEKS[1] + 1))
        return end - timedelta(weeks=weeks), end, 0.6, weeks
    if kind == "dormant":
        silent = int(rng.integers(DORMANT_SILENT_WEEKS[0], DORMANT_SILENT_WEEKS[1] + 1))
        last = end - timedelta(weeks=silent)
        first = max(start, last - timedelta(weeks=DORMANT_ACTIVE_WEEKS))
        return first, last, 0.0, (last - first).days / 7
    weeks = (end - start).days / 7
    if kind == "persistent":
        return start, end, 0.0, weeks
    # Fading: busy at first, down to the background's level by the end,
    # still there (an analyst's "en baisse", Esri's "diminishing").
    return start, end, -0.95, weeks


def _describe(reports, communes, rng):
    """Add what an analyst records about each report."""
    n = len(reports)
    reports = reports.copy()
    inside = _commune_of(communes, reports["x_l93"].to_numpy(), reports["y_l93"].to_numpy())
    # A hotspot's scatter can spill over the département's edge: such a point
    # keeps its place and takes the nearest Vosges commune.
    reports["insee"] = communes["insee"].to_numpy()[inside]

    precision = rng.choice(list(PRECISION_SHARES), size=n, p=list(PRECISION_SHARES.values()))
    # Planted hotspots are what units saw on the ground: always located.
    precision[reports["hotspot"].notna().to_numpy() & (precision == "commune")] = "point"
    reports["precision"] = precision
    names = communes["name"].to_numpy()[inside]
    centroids = communes.geometry.representative_point().to_numpy()[inside]
    at_commune = precision == "commune"
    reports.loc[at_commune, "x_l93"] = shapely.get_x(centroids[at_commune])
    reports.loc[at_commune, "y_l93"] = shapely.get_y(centroids[at_commune])
    lon, lat = to_wgs84(reports["x_l93"].to_numpy(), reports["y_l93"].to_numpy())
    reports["lon"], reports["lat"] = np.round(lon, 6), np.round(lat, 6)

    streets = rng.choice(STREETS, size=n)
    numbers = rng.integers(1, 80, size=n)
    place = np.where(
        precision == "point",
        [f"{la:.5f}, {lo:.5f}" for la, lo in zip(reports["lat"], reports["lon"])],
        np.where(precision == "address", [f"{k} {s}, {c}" for k, s, c in zip(numbers, streets, names)], names),
    )
    reports["place_text"] = place

    category = _pick(rng, CATEGORY_WEIGHTS, n)
    planted = reports["hotspot"].notna().to_numpy()
    category[planted] = rng.choice(
        ["deal_point", "surveillance", "tip", "arrest"], size=planted.sum(), p=[0.45, 0.2, 0.2, 0.15]
    )
    reports["category"] = category
    first = _pick(rng, SUBSTANCE_WEIGHTS, n)
    second = _pick(rng, SUBSTANCE_WEIGHTS, n)
    two = (rng.random(n) < 0.15) & (first != second)
    reports["substances"] = [",".join(sorted({a, b})) if t else a for a, b, t in zip(first, second, two)]
    reports["reliability"] = _pick(rng, RELIABILITY_WEIGHTS, n)
    reports["credibility"] = _pick(rng, CREDIBILITY_WEIGHTS, n).astype(int)

    seizure = category == "seizure"
    herb_plants = seizure & (first == "cannabis_herb") & (rng.random(n) < 0.2)
    reports["quantity"] = np.where(seizure, np.round(rng.lognormal(3.5, 1.4, size=n), 1), np.nan)
    reports.loc[herb_plants, "quantity"] = rng.integers(3, 200, size=herb_plants.sum()).astype(float)
    reports["unit"] = np.where(herb_plants, "plants", np.where(seizure, "g", None))
    reports["summary"] = "[FICTIF] Signalement généré pour démonstration."
    return reports


def _commune_of(communes, x, y):
    """Index of the commune containing each point, or of the nearest one."""
    points = shapely.points(x, y)
    tree = shapely.STRtree(communes.geometry.values)
    found = np.full(len(points), -1)
    hits = tree.query(points, predicate="within")
    found[hits[0]] = hits[1]
    missing = np.flatnonzero(found < 0)
    if len(missing):
        found[missing] = tree.nearest(points[missing])
    return found


def _pick(rng, weights, n):
    keys = list(weights)
    p = np.array(list(weights.values()), float)
    return np.array(keys, dtype=object)[rng.choice(len(keys), size=n, p=p / p.sum())]


def _references(reports):
    """Agency references in each agency's own style, numbered per year."""
    years = pd.DatetimeIndex(reports["observed_at"]).year
    sequence = reports.groupby([reports["agency"], years]).cumcount() + 1
    return [f"{a}/{y}/{s:06d}" for a, y, s in zip(reports["agency"], years, sequence)]
