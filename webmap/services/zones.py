"""Operation zones: the polygons a commander draws to plan an operation, and
what lies inside them. Flask-free: the views hand in a Session, a DataFrame
of (filtered) reports, hotspots and the communes.

Areas are computed in Lambert-93 square metres, never in square degrees
(see ``geo.crs``); a circle is drawn as a 64-sided polygon in Lambert-93 so
that its radius is true on the ground.
"""

import json
import math

import numpy as np
import shapely
from shapely.geometry import Point, mapping, shape
from sqlalchemy import select

from analysis.hotspots import hull_wgs84
from geo.crs import to_lambert93, to_wgs84
from webmap.db.models import Zone, now

SHAPES = ("polygon", "rectangle", "circle")
NAME_MAX = 120
# Beyond this a "zone" is no longer an operation but the whole département.
RADIUS_MAX_M = 50_000
CIRCLE_SEGMENTS_PER_QUARTER = 16
DECIMALS = 6


class ZoneError(ValueError):
    """A zone that cannot be saved; the message (French) says why."""


def parse_zone(data):
    """Validate a zone as the page sends it (a JSON object) and return the
    fields to store.

    ``{"name": ..., "geometry": <GeoJSON Polygon>}`` for a polygon or a
    rectangle (``"shape": "rectangle"``), or ``{"name": ..., "shape":
    "circle", "center": [lon, lat], "radius_m": ...}`` for a circle.
    """
    if not isinstance(data, dict):
        raise ZoneError("objet JSON attendu")
    name = str(data.get("name") or "").strip()
    if not name:
        raise ZoneError("nom de la zone manquant")
    if len(name) > NAME_MAX:
        raise ZoneError(f"nom trop long (au plus {NAME_MAX} caractères)")
    kind = data.get("shape") or "polygon"
    if kind not in SHAPES:
        raise ZoneError(f"forme inconnue « {kind} » (attendu : {', '.join(SHAPES)})")
    if kind == "circle":
        center, radius = _circle(data)
        geometry = circle_polygon(center, radius)
        return {"name": name, "shape": kind, "geometry": geometry, "radius_m": radius, "center": center}
    geometry = _polygon(data.get("geometry"))
    return {"name": name, "shape": kind, "geometry": geometry, "radius_m": None, "center": None}


def _circle(data):
    try:
        lon, lat = (float(v) for v in data.get("center"))
        radius = float(data.get("radius_m"))
    except (TypeError, ValueError):
        raise ZoneError("cercle invalide : attendu un centre [longitude, latitude] et un rayon en mètres") from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ZoneError("cercle invalide : centre hors des degrés WGS84")
    if not (math.isfinite(radius) and 0 < radius <= RADIUS_MAX_M):
        raise ZoneError(f"rayon invalide : entre 0 et {RADIUS_MAX_M} m")
    return (lon, lat), radius


def _polygon(document):
    try:
        if isinstance(document, str):
            document = json.loads(document)
        if document.get("type") == "Feature":
            document = document["geometry"]
        geometry = shape(document)
    except (ValueError, TypeError, AttributeError, KeyError, shapely.errors.GEOSException):
        raise ZoneError("zone invalide : attendu un polygone GeoJSON en WGS84") from None
    if geometry.geom_type != "Polygon" or geometry.is_empty:
        raise ZoneError(f"zone invalide : {geometry.geom_type} (attendu Polygon)")
    if not geometry.is_valid:
        raise ZoneError("zone invalide : le polygone se recoupe")
    west, south, east, north = geometry.bounds
    if not (-180 <= west and east <= 180 and -90 <= south and north <= 90):
        raise ZoneError("zone invalide : coordonnées hors des degrés WGS84 (longitude, latitude)")
    return geometry


def circle_polygon(center, radius_m):
    """The polygon (WGS84) of a circle of ``radius_m`` metres on the ground."""
    x, y = to_lambert93(*center)
    circle = Point(x, y).buffer(radius_m, quad_segs=CIRCLE_SEGMENTS_PER_QUARTER)
    return shapely.transform(circle, lambda xy: _stack(to_wgs84(xy[:, 0], xy[:, 1])))


def area_km2(geometry):
    """Area of a WGS84 polygon in square kilometres, measured in Lambert-93."""
    projected = shapely.transform(geometry, lambda xy: _stack(to_lambert93(xy[:, 0], xy[:, 1])))
    return projected.area / 1e6


def _stack(pair):
    return np.column_stack(pair)


def may_change(zone, agency, is_admin):
    """Whether a user of ``agency`` may change or delete ``zone``: zones
    belong to their creator's agency; admins change any."""
    return is_admin or (zone.agency is not None and zone.agency == agency)


def save_zone(session, fields, *, user=None, zone=None, agency=None):
    """Create (``zone`` None) or update a zone from :func:`parse_zone` fields;
    a new zone belongs to ``agency``."""
    if zone is None:
        zone = Zone(created_by=user, created_at=now(), agency=agency)
        session.add(zone)
    zone.name = fields["name"]
    zone.shape = fields["shape"]
    zone.geometry = json.dumps(_rounded(mapping(fields["geometry"])))
    zone.radius_m = fields["radius_m"]
    zone.center = json.dumps(list(fields["center"])) if fields["center"] else None
    zone.updated_at = now()
    zone.updated_by = user
    session.flush()
    return zone


def list_zones(session):
    return session.scalars(select(Zone).order_by(Zone.name, Zone.id)).all()


def zone_geometry(zone):
    return shape(json.loads(zone.geometry))


def zone_feature(zone):
    """A zone as a GeoJSON Feature (the geometry is always a polygon)."""
    return {
        "type": "Feature",
        "id": zone.id,
        "geometry": json.loads(zone.geometry),
        "properties": {
            "id": zone.id,
            "name": zone.name,
            "shape": zone.shape,
            "radius_m": zone.radius_m,
            "center": json.loads(zone.center) if zone.center else None,
            "area_km2": round(area_km2(zone_geometry(zone)), 3),
            "created_at": zone.created_at.isoformat(),
            "created_by": zone.created_by,
            "agency": zone.agency,
            "updated_at": zone.updated_at.isoformat(),
            "updated_by": zone.updated_by,
        },
    }


def zone_contents(geometry, reports, hotspots, communes):
    """What lies inside a zone.

    Parameters
    ----------
    geometry : shapely Polygon (WGS84)
    reports : DataFrame
        Reports under the page's filter (``store.reports_frame`` columns).
    hotspots : list of ``analysis.hotspots.Hotspot``
        Hotspots of those reports; one is inside when its outline meets the zone.
    communes : GeoDataFrame
        WGS84 communes with ``insee``, ``name`` and ``population``.

    Returns
    -------
    dict
        ``count``, ``by_agency``, ``by_category``, ``report_ids``,
        ``hotspots`` (code, status, count, by_agency), ``communes`` (insee,
        name, share of the commune's area inside) and ``area_km2``.
    """
    inside = reports
    if len(reports):
        keep = shapely.intersects_xy(geometry, reports["lon"].to_numpy(float), reports["lat"].to_numpy(float))
        inside = reports.loc[keep]
    spots = [s for s in hotspots if hull_wgs84(s.hull_l93).intersects(geometry)]
    touched = communes[communes.intersects(geometry)]
    covered = []
    for row in touched.itertuples(index=False):
        share = row.geometry.intersection(geometry).area / row.geometry.area if row.geometry.area else 0.0
        covered.append({"insee": row.insee, "name": row.name, "share": round(float(share), 3)})
    covered.sort(key=lambda c: -c["share"])
    return {
        "count": int(len(inside)),
        "by_agency": {k: int(v) for k, v in inside["agency"].value_counts().items()},
        "by_category": {k: int(v) for k, v in inside["category"].value_counts().items()},
        "report_ids": [int(i) for i in inside["id"]],
        "hotspots": [
            {
                "code": s.code,
                "status": s.extra.get("status"),
                "count": s.extra.get("period_count", s.count),
                "by_agency": s.by_agency,
                "convergent": s.convergent,
            }
            for s in spots
        ],
        "communes": covered,
        "area_km2": round(area_km2(geometry), 3),
    }


def _rounded(value):
    if isinstance(value, (list, tuple)):
        return [_rounded(v) for v in value]
    if isinstance(value, float):
        return round(value, DECIMALS)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value
