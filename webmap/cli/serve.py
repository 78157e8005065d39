"""``crossmap serve``: the application behind waitress; ``crossmap warm``:
its first answers computed ahead."""

import time

import click
from flask import current_app
from flask.cli import with_appcontext

from webmap.api.warm import warm_first_view
from webmap.services.cache import limit_arenas
from webmap.views.map import basemap


@click.command("serve")
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=4, show_default=True, type=int)
def serve_command(host, port, threads):
    """Serve the application with waitress (a production WSGI server)."""
    import waitress

    app = current_app._get_current_object()
    # Build what every first page view needs before the first visitor asks.
    with app.test_request_context("/"):
        basemap()
    click.echo(f"crossmap sur http://{host}:{port}/")
    limit_arenas()
    waitress.serve(app, host=host, port=port, threads=threads)


@click.command("warm")
@with_appcontext
def warm_command():
    """Compute the map's first view ahead, for each agency (see webmap.api.warm)."""
    start = time.perf_counter()
    agencies = warm_first_view(current_app._get_current_object())
    click.echo(
        f"Première vue de la carte précalculée en {time.perf_counter() - start:.1f} s "
        f"pour : {', '.join(agencies) or 'aucun service (pas de compte actif)'}."
    )
