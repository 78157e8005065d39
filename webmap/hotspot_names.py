"""Lasting hotspot names, kept in the database. Flask-free."""

import json

import shapely
from sqlalchemy import select

from analysis.hotspots import KnownHotspot, match_known
from webmap.models import HotspotName, now


def name_hotspots(session, hotspots, *, remember=False):
    """Give every hotspot its lasting code ("H-0042").

    Clusters that continue a known hotspot take its code; the others get new
    codes, recorded at once so that the same cluster is named the same way
    next time. With ``remember``, known hotspots also take this run's reports
    and outline as their reference (done for the unfiltered default run, so
    that a narrow filter never redefines what a hotspot is).
    """
    rows = session.scalars(select(HotspotName)).all()
    known = [KnownHotspot(r.code, set(json.loads(r.report_ids)), shapely.from_wkt(r.hull_wkt)) for r in rows]
    unnamed = match_known(hotspots, known)
    by_code = {r.code: r for r in rows}
    next_number = 1 + max((int(r.code.split("-")[1]) for r in rows), default=0)
    for spot in unnamed:
        spot.code = f"H-{next_number:04d}"
        next_number += 1
        session.add(HotspotName(code=spot.code, report_ids=json.dumps(spot.report_ids), hull_wkt=spot.hull_l93.wkt))
    if remember:
        for spot in hotspots:
            row = by_code.get(spot.code)
            if row is not None:
                row.report_ids = json.dumps(spot.report_ids)
                row.hull_wkt = spot.hull_l93.wkt
                row.updated_at = now()
    session.commit()
    return hotspots
