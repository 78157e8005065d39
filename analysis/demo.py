"""Fictitious but realistic reports for demonstrations and tests.

Nothing here is real: points are drawn at random inside communes, and the
planted hotspots sit at random points, never at a named place. Volumes follow
the order of the SSMSI figures for the Vosges (a few hundred persons implicated
in trafficking and about 1,300 in use each year, which gives a few thousand
reports a year across the agencies of a CROSS).

The generator returns the planted truth beside the reports so that tests can
measure whether clustering and trend analysis recover it.
"""

import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import shapely

from analysis.vocabulary import CATEGORIES, SUBSTANCES
from geo.crs import LAMBERT93, to_wgs84

PARIS = ZoneInfo("Europe/Paris")

REPORTS_PER_YEAR = 3000

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
    "rue des Tilleuls", "rue de la Gare", "avenue des Sports", "rue du Moulin",
    "rue des Écoles", "place de la Fontaine", "rue des Jardins", "chemin des Prés",
]

# Planted hotspots: how many of each kind, their weekly intensity and spread.
PLANTED = {"persistent": 4, "emerging": 3, "fading": 3}
HOTSPOT_SD_M = 70
MIN_SEPARATION_M = 1500
EMERGING_WEEKS = (6, 8)


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
        The planted hotspots: kind, centre, period, agencies and the agency
        references of their reports.

    Examples
    --------
    >>> from geo.reference import load_communes
    >>> reports, truth = generate_reports(load_communes(), seed=1, years=1)
    >>> bool(reports["agency_ref"].is_unique), sorted({h["kind"] for h in truth["hotspots"]})
    (True, ['emerging', 'fading', 'persistent'])
    """
    if years < 1:
        raise ValueError("years must be at least 1")
    rng = np.random.default_rng(seed)
    if end is None:
        end = datetime.now(PARIS).replace(second=0, microsecond=0)
    start = end - timedelta(days=365 * years)
    communes = communes.to_crs(LAMBERT93).reset_index(drop=True)

    background = _background(communes, rng, years * REPORTS_PER_YEAR, start, end)
    planted, truth = _planted(communes, rng, start, end)
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
            x, y = _points_in(communes.geometry.values, idx, rng)
        frames.append(pd.DataFrame({"agency": code, "x_l93": x, "y_l93": y}))
    frame = pd.concat(frames, ignore_index=True)
    frame["observed_at"] = _times(rng, len(frame), start, end)
    frame["hotspot"] = None
    return frame


def _commune_weights(communes, where):
    population = communes["population"].to_numpy(float)
    towns = population >= np.sort(population)[-TOWN_COUNT]
    if where == "towns":
        weights = np.where(towns, population, 0.0)
    else:
        # Gendarmerie covers the rest; reports grow less than linearly with size.
        weights = np.where(towns, 0.0, population**0.8)
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


def _planted(communes, rng, start, end):
    population = communes["population"].to_numpy(float)
    # Hotspots sit in communes of some size: deals need customers.
    candidates = np.flatnonzero(population >= 2000)
    weights = population[candidates] / population[candidates].sum()
    chosen = rng.choice(candidates, size=sum(PLANTED.values()), replace=False, p=weights)
    frames, truth = [], []
    number = 0
    for kind, count in PLANTED.items():
        for _ in range(count):
            commune = communes.iloc[chosen[number]]
            number += 1
            cx, cy = _points_in(communes.geometry.values, np.array([chosen[number - 1]]), rng)
            # Planted hotspots stay apart, so that each can be recovered (and
            # its trend judged) on its own.
            for _ in range(100):
                if all(math.hypot(cx[0] - h["x_l93"], cy[0] - h["y_l93"]) >= MIN_SEPARATION_M for h in truth):
                    break
                cx, cy = _points_in(communes.geometry.values, np.array([chosen[number - 1]]), rng)
            agencies = _hotspot_agencies(commune, rng)
            first, last, trend, n = _hotspot_period(kind, rng, start, end)
            frame = pd.DataFrame(
                {
                    "agency": rng.choice(agencies, size=n),
                    "x_l93": cx[0] + rng.normal(0, HOTSPOT_SD_M, size=n),
                    "y_l93": cy[0] + rng.normal(0, HOTSPOT_SD_M, size=n),
                    "observed_at": _times(rng, n, start, end, first=first, last=last, trend=trend),
                    "hotspot": f"{kind[0].upper()}{number}",
                }
            )
            frames.append(frame)
            lon, lat = to_wgs84(cx[0], cy[0])
            truth.append(
                {
                    "id": f"{kind[0].upper()}{number}",
                    "kind": kind,
                    "x_l93": round(float(cx[0]), 1),
                    "y_l93": round(float(cy[0]), 1),
                    "lon": round(float(lon), 6),
                    "lat": round(float(lat), 6),
                    "insee": commune["insee"],
                    "sd_m": HOTSPOT_SD_M,
                    "first": first.isoformat(),
                    "last": last.isoformat(),
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
    if kind == "emerging":
        weeks = int(rng.integers(EMERGING_WEEKS[0], EMERGING_WEEKS[1] + 1))
        return end - timedelta(weeks=weeks), end, 0.6, weeks * int(rng.integers(5, 8))
    weeks = (end - start).days // 7
    if kind == "persistent":
        return start, end, 0.0, weeks * 3
    # Fading: busy at first (about six reports a week), down to two a week by the end,
    # still there (an analyst's "en baisse", Esri's "diminishing").
    return start, end, -0.5, weeks * 4


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
    category[planted] = rng.choice(["deal_point", "surveillance", "tip", "arrest"], size=planted.sum(), p=[0.45, 0.2, 0.2, 0.15])
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
