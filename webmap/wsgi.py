"""The WSGI entry point for a server with several worker processes:
``gunicorn --workers 4 --bind 127.0.0.1:8000 webmap.wsgi:app`` (README,
"PostgreSQL"). Configuration comes from the instance folder and
``CROSSMAP_*`` variables, as for ``crossmap serve``."""

from webmap import create_app
from webmap.services.cache import limit_arenas
from webmap.views.map import basemap

app = create_app()
# Each worker builds what every first page view needs before its first
# visitor asks (as ``crossmap serve`` does).
with app.test_request_context("/"):
    basemap()
limit_arenas()
