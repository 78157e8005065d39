"""``/api/hotspots``, ``/api/hotspots/<code>``, ``/api/emerging`` and
``/api/backtest``: hotspots with their status told from the whole history,
one hotspot's card, emerging cells, how well the hotspots forecast."""

from flask_babel import gettext as _

from geo.crs import to_wgs84
from webmap.api.base import bp, cached_answer, history_frame, history_reports, hotspot_run, period_end
from webmap.api.serialize import DECIMALS, hotspot_features, reports_geojson
from webmap.labels import backtest_sentence
from webmap.services import hotspots as service
from webmap.services.store import ANALYSIS_COLUMNS, FRAME_COLUMNS


@bp.get("/hotspots")
def hotspots():
    def build(frame, params):
        spots = hotspot_run(frame, params)
        return {"type": "FeatureCollection", "parameters": params.words(), "features": hotspot_features(spots)}

    return cached_answer("hotspots", build, columns=ANALYSIS_COLUMNS)


@bp.get("/hotspots/<code>")
def hotspot(code):
    def build(frame, params):
        spot = next((s for s in hotspot_run(frame, params) if s.code == code), None)
        if spot is None:
            return None
        # A dormant place has no report in the period: its card shows its
        # reports and weeks from the history (the viewer's, as the frame).
        source = (
            history_frame(frame, FRAME_COLUMNS)
            if spot.extra.get("dormant") and spot.extra.get("period_count") == 0
            else frame
        )
        history = service.hotspot_history(source, spot)
        members = source[source["id"].isin(spot.report_ids)]
        (feature,) = hotspot_features([spot])
        feature["properties"]["reports"] = reports_geojson(members)["features"]
        feature["properties"]["weekly"] = [{"week": w.date().isoformat(), "count": int(n)} for w, n in history.items()]
        return feature

    return cached_answer(f"hotspot:{code}", build)


@bp.get("/emerging")
def emerging():
    def build(frame, params):
        cells = service.emerging_cells(history_reports(ANALYSIS_COLUMNS), period=frame, end=period_end())
        lon, lat = to_wgs84(cells["x"].to_numpy(float), cells["y"].to_numpy(float))
        return {
            "cells": [
                {
                    "category": c,
                    "lon": round(float(x), DECIMALS),
                    "lat": round(float(y), DECIMALS),
                    "count": int(n),
                    "count_recent": int(r),
                    "insee": code,
                    "commune": name,
                }
                for c, x, y, n, r, code, name in zip(
                    cells["category"], lon, lat, cells["count"], cells["count_recent"], cells["insee"], cells["commune"]
                )
            ],
        }

    return cached_answer("emerging", build, columns=ANALYSIS_COLUMNS)


@bp.get("/backtest")
def backtest():
    """How well the hotspots of the last weeks caught the next weeks'
    reports (``analysis.backtest``), with the same filters and clustering
    parameters; the dates only set the last week forecast."""

    def build(frame, params):
        means = service.backtest_summary(history_frame(frame), params=params, end=period_end())
        if means is None:
            return {"windows": 0, "sentence": _("Too few reports to measure how well the hotspots forecast.")}
        names = ("hit_rate_dbscan", "pai_dbscan", "pei_dbscan", "hit_rate_kde", "pai_kde", "pei_kde", "area_share")
        return {
            **{name: float(f"{means[name]:.4g}") for name in names},
            "windows": means["windows"],
            "train_weeks": means["train_weeks"],
            "horizon_weeks": means["horizon_weeks"],
            "sentence": backtest_sentence(means),
        }

    # The windows end with the period: its first day changes nothing.
    return cached_answer("backtest", build, columns=ANALYSIS_COLUMNS, ignored=("start",))
