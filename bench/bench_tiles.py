"""Tile response time of the installed basemaps under 20 parallel requests,
what a 1920×1080 map asks for when panned or zoomed (about 40 tiles at once).

Run: .venv/bin/python bench/bench_tiles.py [--parallel 20] [--threads 4]

Builds a throw-away instance holding the test archives of the suite (raster
MBTiles and vector PMTiles, tests/basemap_archives.py), serves it with
waitress on 127.0.0.1 as ``crossmap serve`` does, signs in, then asks for
every tile of a series of views around Épinal, ``--parallel`` at a time,
without the browser cache (each tile once), then again with the ETags a
browser would send back. Prints p50/p95 per archive and pass.
"""

import argparse
import os
import socket
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


ZOOMS = range(10, 15)


def build(instance):
    os.environ["CROSSMAP_INSTANCE_PATH"] = instance
    from geo.reference import load_outline
    from tests import basemap_archives, signin
    from webmap import create_app, db
    from webmap.services.basemaps import BasemapRegistry

    app = create_app()
    with app.app_context():
        db.migrate(db.get_engine())
    signin.add_test_users(app)
    registry = BasemapRegistry(app.instance_path)
    folder = tempfile.mkdtemp(dir=instance)
    # Every tile the views ask for exists: no cheap 204 in the figures.
    wanted = [t for zoom in ZOOMS for t in view_tiles(zoom)]
    registry.add(
        basemap_archives.write_mbtiles(os.path.join(folder, "plan.mbtiles"), extra_tiles=wanted),
        name="Plan",
        outline=load_outline(),
    )
    registry.add(
        basemap_archives.write_pmtiles(os.path.join(folder, "osm.pmtiles"), extra_tiles=wanted),
        name="OSM",
        outline=load_outline(),
    )
    return app, signin.session_cookie(app, signin.TEST_ADMIN)


def view_tiles(zoom, columns=8, rows=5):
    """The tiles of a 1920×1080 view (8 × 5 tiles of 256 px) around Épinal."""
    from tests.basemap_archives import EPINAL
    from webmap.services.basemaps import tile_for_point

    cx, cy = tile_for_point(*EPINAL, zoom)
    return [
        (zoom, cx + dx, cy + dy)
        for dx in range(-columns // 2, columns // 2)
        for dy in range(-rows // 2, rows - rows // 2)
    ]


def fetch(url, header, etag, tile):
    """One tile request: seconds taken, status, the tile and its ETag."""
    headers = dict(header)
    if etag:
        headers["If-None-Match"] = etag
    request = urllib.request.Request(url, headers=headers)
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request) as response:
            response.read()
            status, new_etag = response.status, response.headers.get("ETag")
    except urllib.error.HTTPError as error:  # 304 arrives as an HTTPError
        status, new_etag = error.code, error.headers.get("ETag")
    return time.perf_counter() - start, status, tile, new_etag or etag


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parallel", type=int, default=20)
    parser.add_argument("--threads", type=int, default=4, help="waitress threads (crossmap serve's default)")
    args = parser.parse_args()
    import waitress

    with tempfile.TemporaryDirectory() as instance:
        app, cookie = build(instance)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = waitress.create_server(app, host="127.0.0.1", port=port, threads=args.threads)
        threading.Thread(target=server.run, daemon=True).start()
        base = f"http://127.0.0.1:{port}/tiles"
        header = {"Cookie": f"{app.config['SESSION_COOKIE_NAME']}={cookie}", "Accept-Encoding": "gzip"}
        tiles = [t for zoom in ZOOMS for t in view_tiles(zoom)]
        print(
            f"{len(tiles)} tiles per pass (5 zooms × a 1920×1080 view), {args.parallel} requests at a time, "
            f"waitress {args.threads} threads"
        )
        print(f"{'archive':<8} {'pass':<12} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'tiles/s':>8} {'statuses'}")
        for slug, ext in (("plan", "png"), ("osm", "pbf")):
            etags = {}
            for label in ("first visit", "revalidated"):
                began = time.perf_counter()
                with ThreadPoolExecutor(max_workers=args.parallel) as pool:
                    results = list(
                        pool.map(
                            lambda tile, slug=slug, ext=ext, etags=etags: fetch(
                                f"{base}/{slug}/{tile[0]}/{tile[1]}/{tile[2]}.{ext}", header, etags.get(tile), tile
                            ),
                            tiles,
                        )
                    )
                wall = time.perf_counter() - began
                for _, _, tile, etag in results:
                    etags[tile] = etag
                times = np.array([r[0] for r in results]) * 1000
                statuses = {}
                for r in results:
                    statuses[r[1]] = statuses.get(r[1], 0) + 1
                print(
                    f"{slug:<8} {label:<12} {np.percentile(times, 50):8.1f} {np.percentile(times, 95):8.1f} "
                    f"{times.max():8.1f} {len(tiles) / wall:8.0f} {statuses}"
                )
        server.close()


if __name__ == "__main__":
    main()
