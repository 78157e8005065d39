"""``/api/hotspots``, ``/api/hotspots/<code>`` and ``/api/emerging``:
hotspots with their trend status, one hotspot's card, emerging cells."""

from geo.crs import to_wgs84
from webmap.api.base import bp, cached_answer, history_reports, hotspot_run, period_end
from webmap.api.serialize import DECIMALS, hotspot_features, reports_geojson
from webmap.security.need_to_know import viewer_agency, visible_reports
from webmap.services import hotspots as service
from webmap.services.store import ANALYSIS_COLUMNS


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
        history = service.hotspot_history(frame, spot)
        members = frame[frame["id"].isin(spot.report_ids)]
        # Need-to-know: another agency's restricted reports count, unseen.
        members = visible_reports(members, viewer_agency())
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
                {"category": c, "lon": round(float(x), DECIMALS), "lat": round(float(y), DECIMALS), "count": int(n),
                 "count_recent": int(r), "insee": code, "commune": name}
                for c, x, y, n, r, code, name in zip(cells["category"], lon, lat, cells["count"], cells["count_recent"],
                                                     cells["insee"], cells["commune"])
            ],
        }

    return cached_answer("emerging", build, columns=ANALYSIS_COLUMNS)
