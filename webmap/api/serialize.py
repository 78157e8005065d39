"""The JSON shapes of reports and hotspots. Coordinates in WGS84."""

import numpy as np
import orjson
import pandas as pd
import shapely

from analysis.hotspots import hull_wgs84
from geo.crs import to_wgs84

# Six decimals of a degree are 10 cm: more would only fatten the responses.
DECIMALS = 6
# Five are 1 m, finer than any symbol the map draws: the compact answer
# exists to be small.
COMPACT_DECIMALS = 5


def reports_geojson(frame):
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": int(row.id),
                "geometry": {"type": "Point", "coordinates": [round(row.lon, DECIMALS), round(row.lat, DECIMALS)]},
                "properties": {
                    "agency": row.agency,
                    "agency_ref": row.agency_ref,
                    "observed_at": row.observed_at.isoformat(),
                    "category": row.category,
                    "substances": [s for s in row.substances.split(",") if s],
                    "grading": f"{row.reliability}{row.credibility}",
                    "insee": row.insee,
                    "precision": row.precision,
                    "place": row.place_text,
                    "fictitious": bool(row.fictitious),
                },
            }
            for row in frame.itertuples(index=False)
        ],
    }


def reports_compact(frame):
    """The reports as columns, for the map page: what it needs to draw,
    filter by weekday and hour, count and chart, and nothing more: with
    100,000 reports, a fifth of the GeoJSON's size and no object per report
    to build here or to parse in the browser.

    ``observed_at`` is in seconds since the epoch and ``utc_offset`` the
    Paris offset at that instant in minutes, so that the page reads the
    local day and hour without Intl. ``agency``, ``category``, ``grading``
    and ``precision`` are indexes into the lists of the same name in
    ``lookup``.
    """
    observed = frame["observed_at"]
    utc = observed.dt.tz_convert("UTC").dt.tz_localize(None)
    coded = {
        "agency": frame["agency"],
        "category": frame["category"],
        "grading": frame["reliability"].astype(str) + frame["credibility"].astype(str),
        "precision": frame["precision"],
    }
    columns, lookup = {}, {}
    for name, values in coded.items():
        codes, uniques = pd.factorize(values, sort=True)
        columns[name], lookup[name] = codes.tolist(), uniques.tolist()
    return {
        "count": len(frame),
        "id": frame["id"].tolist(),
        "lon": np.round(frame["lon"].to_numpy(float), COMPACT_DECIMALS).tolist(),
        "lat": np.round(frame["lat"].to_numpy(float), COMPACT_DECIMALS).tolist(),
        "observed_at": ((utc - pd.Timestamp(0)) // pd.Timedelta(seconds=1)).tolist(),
        "utc_offset": ((observed.dt.tz_localize(None) - utc) // pd.Timedelta(minutes=1)).tolist(),
        **columns,
        "insee": frame["insee"].tolist(),
        "place": frame["place_text"].tolist(),
        "lookup": lookup,
    }


#: Format name -> serializer of the visible reports, for ``/api/reports?format=``.
REPORT_FORMATS = {"geojson": reports_geojson, "compact": reports_compact}


def hotspot_features(spots):
    """GeoJSON features of the hotspots, outlines in WGS84. The projection,
    simplification and rounding run on all outlines at once: per outline
    they cost more than the clustering itself with thousands of hotspots."""
    if not spots:
        return []
    hulls = shapely.simplify(hull_wgs84(np.array([s.hull_l93 for s in spots], dtype=object), DECIMALS), 0.00005)
    centroids = np.array([s.centroid_l93 for s in spots])
    lon, lat = to_wgs84(centroids[:, 0], centroids[:, 1])
    return [
        {
            "type": "Feature",
            "id": spot.code,
            # Already JSON: orjson writes it as it is.
            "geometry": orjson.Fragment(geometry),
            "properties": {
                "code": spot.code,
                # Esri's class told from the whole history up to the
                # period's end, or "dormant" (analysis.hotspot_history).
                "status": spot.extra.get("status"),
                "trend": spot.extra.get("trend"),
                "dormant": bool(spot.extra.get("dormant")),
                "count": spot.count,
                "period_count": spot.extra.get("period_count", spot.count),
                "history_count": spot.extra.get("history_count"),
                "expected": None if spot.extra.get("expected") is None else round(spot.extra["expected"], 2),
                "beyond_expected": spot.extra.get("beyond_expected"),
                "by_agency": spot.by_agency,
                "by_category": spot.by_category,
                "by_substance": spot.by_substance,
                "first_seen": spot.first_seen.isoformat(),
                "last_seen": spot.last_seen.isoformat(),
                "period_first_seen": _iso(spot.extra.get("period_first_seen")),
                "period_last_seen": _iso(spot.extra.get("period_last_seen")),
                "communes": spot.communes,
                "n_agencies": spot.n_agencies,
                "convergent": spot.convergent,
                "mean_grading": spot.mean_grading,
                "centroid": [round(float(x), DECIMALS), round(float(y), DECIMALS)],
            },
        }
        for spot, geometry, x, y in zip(spots, shapely.to_geojson(hulls), lon, lat)
    ]


def _iso(value):
    return None if value is None else value.isoformat()
