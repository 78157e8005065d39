"""Lasting hotspot names, kept in the database. Flask-free."""

import orjson
import shapely
from sqlalchemy import bindparam, insert, select, update

from analysis.hotspots import KnownHotspot, match_known
from webmap.db.models import HotspotName, now


def name_hotspots(session, hotspots, *, remember=False):
    """Give every hotspot its lasting code ("H-0042").

    Clusters that continue a known hotspot take its code; the others get new
    codes, recorded at once so that the same cluster is named the same way
    next time. With ``remember``, known hotspots also take this run's reports
    and outline as their reference (done for the unfiltered default run, so
    that a narrow filter never redefines what a hotspot is).
    """
    table = HotspotName.__table__
    rows = session.execute(select(table.c.code, table.c.report_ids, table.c.hull_wkt)).all()
    hulls = shapely.from_wkt([row.hull_wkt for row in rows])
    known = [KnownHotspot(row.code, orjson.loads(row.report_ids), hull) for row, hull in zip(rows, hulls)]
    unnamed = match_known(hotspots, known)
    next_number = 1 + max((int(row.code.split("-")[1]) for row in rows), default=0)
    for spot in unnamed:
        spot.code = f"H-{next_number:04d}"
        next_number += 1
    stamp = now()
    if unnamed:
        session.execute(insert(table), [_values(spot, stamp) | {"created_at": stamp} for spot in unnamed])
    if remember:
        new = {id(spot) for spot in unnamed}
        reports_of = {k.code: k.report_ids for k in known}
        # Only hotspots whose reports changed are rewritten: after an import
        # most of them are as they were.
        matched = [
            {"key": spot.code, "ids": orjson.dumps(spot.report_ids).decode(), "wkt": spot.hull_l93.wkt}
            for spot in hotspots
            if id(spot) not in new and spot.report_ids != reports_of[spot.code]
        ]
        if matched:
            statement = (
                update(table)
                .where(table.c.code == bindparam("key"))
                .values(report_ids=bindparam("ids"), hull_wkt=bindparam("wkt"), updated_at=stamp)
            )
            session.execute(statement, matched)
    session.commit()
    return hotspots


def _values(spot, stamp):
    return {"code": spot.code, "report_ids": orjson.dumps(spot.report_ids).decode(), "hull_wkt": spot.hull_l93.wkt, "updated_at": stamp}
