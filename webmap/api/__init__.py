"""The JSON API the map page talks to, under ``/api``. Thin views: parse the
parameters, call a service of :mod:`webmap.services`, serialize with orjson.
One module per resource; :mod:`webmap.api.base` holds what they share."""

from webmap.api import communes, hotspots, openapi, reports, table, zones  # noqa: F401  (routes register on import)
from webmap.api.base import bp


def init_app(app):
    app.register_blueprint(bp)
    app.register_blueprint(zones.bp)
