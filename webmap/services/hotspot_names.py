"""Lasting hotspot names, kept in the database. Flask-free."""

import hashlib

import orjson
import shapely
from sqlalchemy import bindparam, func, insert, select, update

from analysis.hotspots import KnownHotspot, match_known
from webmap.db.models import HotspotName, now

# Any number, the same in every process: PostgreSQL's advisory lock on naming.
NAMING_LOCK = 0x43524F53


def name_hotspots(session, hotspots, *, remember=False):
    """Give every hotspot its lasting code ("H-0042").

    Clusters that continue a known hotspot take its code. Only with
    ``remember`` (the unfiltered default run of shared reports, see
    ``webmap.api.base.is_reference_run``) are names written: the others get
    new codes, recorded at once so that the same cluster is named the same
    way next time, and known hotspots take this run's reports and outline as
    their reference, so that a narrow filter never redefines what a hotspot
    is. Without it, a new cluster gets a provisional code ("P-1a2b3c") made
    from its reports, the same for the same reports, and nothing is written:
    a request with custom parameters must not fill or reshape the table.
    """
    table = HotspotName.__table__
    if session.get_bind().dialect.name == "postgresql":
        # Several server processes may name at once: without this, two
        # would read the same last code and mint the same next one. Held
        # until the commit below.
        session.execute(select(func.pg_advisory_xact_lock(NAMING_LOCK)))
    rows = session.execute(select(table.c.code, table.c.report_ids, table.c.hull_wkt)).all()
    hulls = shapely.from_wkt([row.hull_wkt for row in rows])
    known = [KnownHotspot(row.code, orjson.loads(row.report_ids), hull) for row, hull in zip(rows, hulls)]
    unnamed = match_known(hotspots, known)
    if not remember:
        for spot in unnamed:
            spot.code = provisional_code(spot.report_ids)
        return hotspots
    next_number = 1 + max((int(row.code.split("-")[1]) for row in rows), default=0)
    for spot in unnamed:
        spot.code = f"H-{next_number:04d}"
        next_number += 1
    stamp = now()
    if unnamed:
        session.execute(insert(table), [_values(spot, stamp) | {"created_at": stamp} for spot in unnamed])
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


def provisional_code(report_ids):
    """The code of a cluster no lasting name holds: a digest of its reports.

    >>> provisional_code([3, 1, 2]) == provisional_code([1, 2, 3])
    True
    """
    digest = hashlib.sha256(orjson.dumps(sorted(int(i) for i in report_ids))).hexdigest()
    return f"P-{digest[:8]}"


def _values(spot, stamp):
    return {
        "code": spot.code,
        "report_ids": orjson.dumps(spot.report_ids).decode(),
        "hull_wkt": spot.hull_l93.wkt,
        "updated_at": stamp,
    }
