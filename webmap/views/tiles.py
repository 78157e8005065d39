"""Tiles of the installed basemaps (``crossmap basemap add``), served by
crossmap itself so that the map works on a closed network.

``GET /tiles/<basemap>/<z>/<x>/<y>.<ext>`` answers the stored tile (XYZ
numbering, y down), 204 where the archive has none (the page's renderers
then draw nothing there, without an error), 404 for an unknown basemap.
Tiles are map data, not intelligence: unlike every other answer they may be
kept by the browser (``Cache-Control: private``), and an ``ETag`` lets it
ask again cheaply.
"""

import gzip

from flask import Blueprint, Response, abort, current_app, request

from webmap.services.basemaps import BasemapError, BasemapRegistry

bp = Blueprint("tiles", __name__, url_prefix="/tiles")

#: A day: an installed archive does not change (re-installing one under the
#: same name gives a new ETag).
MAX_AGE = 86400
CACHE_CONTROL = f"private, max-age={MAX_AGE}"


def registry():
    return BasemapRegistry(current_app.instance_path)


@bp.get("/<slug>/<int:z>/<int:x>/<int:y>.<ext>")
def tile(slug, z, x, y, ext):
    basemaps = registry()
    basemap = basemaps.get(slug)
    if basemap is None or basemap.slug != slug or ext != basemap.format:
        abort(404)
    if not (0 <= z <= 24 and 0 <= x < 2**z and 0 <= y < 2**z):
        abort(404)
    archive = basemaps.archive(basemap)
    etag = f"{archive.version}-{z}-{x}-{y}"
    headers = {"Cache-Control": CACHE_CONTROL, "ETag": f'"{etag}"', "Vary": "Accept-Encoding"}
    if etag in request.if_none_match:
        return Response(status=304, headers=headers)
    try:
        data = archive.tile(z, x, y)
    except BasemapError as error:
        current_app.logger.error("basemap %s: %s", slug, error)
        abort(500)
    if data is None:
        return Response(status=204, headers=headers)
    if data[:2] == b"\x1f\x8b":
        # Vector tiles are usually stored gzip-compressed: sent as they are
        # to any browser, inflated for the rare client that cannot.
        if "gzip" in request.accept_encodings:
            headers["Content-Encoding"] = "gzip"
        else:
            data = gzip.decompress(data)
    return Response(data, mimetype=basemap.media_type, headers=headers)
