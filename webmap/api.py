"""The JSON API the map page talks to. Thin views: parse the parameters,
call ``webmap.hotspot_service``, serialize with orjson."""

import dataclasses
import gzip
from collections import OrderedDict
from threading import Lock

import numpy as np
import orjson
import pandas as pd
import shapely
from flask import Blueprint, Response, abort, current_app, g, request
from flask_babel import gettext as _
from sqlalchemy import select

from analysis.hotspots import hull_wgs84
from geo.crs import to_wgs84
from geo.reference import load_communes
from webmap import hotspot_service as service
from webmap.access import viewer_agency, visible_reports
from webmap.db import get_session
from webmap.filters import PARAMETERS, FilterError, parse_filter, select_reports
from webmap.labels import backtest_sentence
from webmap.models import DataVersion
from webmap.openapi import openapi_document
from webmap.store import ANALYSIS_COLUMNS

bp = Blueprint("api", __name__, url_prefix="/api")

CLUSTER_PARAMETERS = service.CLUSTER_PARAMETERS
CACHE_SIZE = 64
# Six decimals of a degree are 10 cm: more would only fatten the responses.
DECIMALS = 6
# Five are 1 m, finer than any symbol the map draws: the compact answer
# exists to be small.
COMPACT_DECIMALS = 5


class BadParameter(Exception):
    def __init__(self, parameter, message):
        super().__init__(message)
        self.parameter = parameter
        self.message = message


@bp.errorhandler(BadParameter)
@bp.errorhandler(FilterError)
def bad_parameter(error):
    return _json({"error": f"{error.parameter} : {error.message}", "parameter": error.parameter}, status=400)


@bp.errorhandler(404)
def not_found(error):
    return _json({"error": "introuvable avec ces filtres"}, status=404)


@bp.get("/openapi.json")
def openapi():
    return _json(openapi_document())


@bp.get("/reports")
def reports():
    name = request.args.get("format") or "geojson"
    if name not in REPORT_FORMATS:
        raise BadParameter("format", f"format inconnu « {name} » (attendus : {', '.join(REPORT_FORMATS)})")
    serialize = REPORT_FORMATS[name]
    # Need-to-know: every format lists only what the viewer may see.
    return _cached("reports", lambda frame, params: serialize(visible_reports(frame, viewer_agency())), own=("format",))


@bp.get("/hotspots")
def hotspots():
    def build(frame, params):
        spots = _hotspot_run(frame, params)
        return {"type": "FeatureCollection", "parameters": params.words(), "features": _hotspot_features(spots)}

    return _cached("hotspots", build, columns=ANALYSIS_COLUMNS)


@bp.get("/hotspots/<code>")
def hotspot(code):
    def build(frame, params):
        spot = next((s for s in _hotspot_run(frame, params) if s.code == code), None)
        if spot is None:
            return None
        history = service.hotspot_history(frame, spot)
        members = frame[frame["id"].isin(spot.report_ids)]
        # Need-to-know: another agency's restricted reports count, unseen.
        members = visible_reports(members, viewer_agency())
        (feature,) = _hotspot_features([spot])
        feature["properties"]["reports"] = _reports_geojson(members)["features"]
        feature["properties"]["weekly"] = [{"week": w.date().isoformat(), "count": int(n)} for w, n in history.items()]
        return feature

    return _cached(f"hotspot:{code}", build)


def _hotspot_run(frame, params):
    """Clustering is the costly part: one run per question and data version
    serves the list and every hotspot's card."""
    config = current_app.config
    return _memo(
        ("run", *_question()),
        lambda: service.hotspots(get_session(), frame, params, history=_history_frame(frame), end=g.report_filter.end,
                                 remember=_is_reference_run(params), grading_weights=config["GRADING_WEIGHTS"],
                                 dormant_weeks=config["HOTSPOT_DORMANT_WEEKS"], risk=config["HOTSPOT_RISK"]),
    )


def _history_frame(frame, columns=ANALYSIS_COLUMNS):
    """The reports of the question's filter without its start date: the
    history a hotspot's status and dates are told from."""
    report_filter = g.report_filter
    if report_filter.start is None:
        return frame
    history_filter = dataclasses.replace(report_filter, start=None)
    key = ("history", tuple(columns), current_app.config["DATABASE_URL"], tuple(sorted(history_filter.to_params().items())),
           _question()[-1])
    return _memo(key, lambda: select_reports(get_session(), history_filter, columns))


@bp.get("/backtest")
def backtest():
    """How well the hotspots of the last weeks caught the next weeks'
    reports (``analysis.backtest``), with the same filters and clustering
    parameters; the dates only set the last week forecast."""
    def build(frame, params):
        means = service.backtest_summary(_history_frame(frame), params=params, end=g.report_filter.end)
        if means is None:
            return {"windows": 0, "sentence": _("Too few reports to measure how well the hotspots forecast.")}
        return {
            **{name: float(f"{means[name]:.4g}") for name in (
                "hit_rate_dbscan", "pai_dbscan", "pei_dbscan", "hit_rate_kde", "pai_kde", "pei_kde", "area_share")},
            "windows": means["windows"], "train_weeks": means["train_weeks"], "horizon_weeks": means["horizon_weeks"],
            "sentence": backtest_sentence(means),
        }

    return _cached("backtest", build, columns=ANALYSIS_COLUMNS)


@bp.get("/emerging")
def emerging():
    def build(frame, params):
        cells = service.emerging_cells(frame)
        lon, lat = to_wgs84(cells["x"].to_numpy(float), cells["y"].to_numpy(float))
        return {
            "cells": [
                {"category": c, "lon": round(float(x), DECIMALS), "lat": round(float(y), DECIMALS), "count": int(n), "count_recent": int(r)}
                for c, x, y, n, r in zip(cells["category"], lon, lat, cells["count"], cells["count_recent"])
            ],
        }

    return _cached("emerging", build, columns=ANALYSIS_COLUMNS)


@bp.get("/communes")
def communes():
    def build(frame, params):
        figures = service.commune_figures(frame, load_communes())
        return {
            "communes": [
                {
                    "insee": code,
                    "name": row["name"],
                    "population": int(row["population"]),
                    "count": int(row["count"]),
                    "rate_per_1000": round(float(row["rate_per_1000"]), 3),
                    "smoothed_rate_per_1000": round(float(row["smoothed_rate_per_1000"]), 3),
                    "by_agency": row["by_agency"],
                }
                for code, row in figures.iterrows()
            ]
        }

    return _cached("communes", build, columns=ANALYSIS_COLUMNS)


def _check_known(args, own=()):
    known = set(PARAMETERS) | set(CLUSTER_PARAMETERS) | set(own)
    for name in args:
        if name not in known:
            raise BadParameter(name, f"paramètre inconnu (attendus : {', '.join(sorted(known))})")


_cache = OrderedDict()
_cache_lock = Lock()


def _question():
    """What identifies an answer: the database, the parameters and the data
    version, which database triggers raise on any change to reports."""
    version = get_session().scalar(select(DataVersion.version).where(DataVersion.id == 1))
    return current_app.config["DATABASE_URL"], tuple(sorted(request.args.items(multi=True))), version


def _memo(key, compute):
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    value = compute()
    if value is not None:
        with _cache_lock:
            _cache[key] = value
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    return value


def _cached(name, build, own=(), columns=None):
    """Answer from the cache when the same question was asked of the same data.
    ``own`` names the parameters only this endpoint takes; ``columns``
    narrows the reports read (see ``select_reports``)."""
    _check_known(request.args, own)
    report_filter = parse_filter(request.args, known_agencies=[a["code"] for a in current_app.config["AGENCIES"]])
    params = service.parse_cluster_params(request.args)
    # The hotspots' history is read with the same filter minus its start.
    g.report_filter = report_filter

    def compute():
        frame = _memo(("frame", tuple(columns or ()), *_question()), lambda: select_reports(get_session(), report_filter, columns))
        result = build(frame, params)
        return None if result is None else orjson.dumps(result, option=orjson.OPT_NON_STR_KEYS)

    # Answers listing reports differ by the viewer's agency (need-to-know).
    key = (name, viewer_agency(), *_question())
    body = _memo(key, compute)
    if body is None:
        abort(404)
    if _accepts_gzip(body):
        # Compressing 2 MB costs more than answering from the cache: keep
        # the compressed answer beside the plain one.
        return _gzipped(_memo(("gzip", *key), lambda: gzip.compress(body, compresslevel=5)))
    return _bytes(body)


def _is_reference_run(params):
    return not request.args.keys() - set(CLUSTER_PARAMETERS) and params == service.ClusterParams()


def _json(data, status=200):
    return _bytes(orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS), status)


def _accepts_gzip(body):
    return len(body) > 1024 and "gzip" in request.headers.get("Accept-Encoding", "")


def _bytes(body, status=200):
    if _accepts_gzip(body):
        return _gzipped(gzip.compress(body, compresslevel=5), status)
    response = Response(body, status=status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


def _gzipped(compressed, status=200):
    response = Response(compressed, status=status, mimetype="application/json")
    response.headers["Content-Encoding"] = "gzip"
    response.headers["Vary"] = "Accept-Encoding"
    response.headers["Cache-Control"] = "no-store"
    return response


def _reports_geojson(frame):
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


def _reports_compact(frame):
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
REPORT_FORMATS = {"geojson": _reports_geojson, "compact": _reports_compact}


def _hotspot_features(spots):
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
