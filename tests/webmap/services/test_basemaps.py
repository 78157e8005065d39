"""Installing the cell's own basemaps: archives checked, kept in the
instance folder, read tile by tile; bad files refused without a trace."""

import io

import pytest
from PIL import Image

from geo.reference import load_outline
from tests import basemap_archives as archives
from webmap.render.tiles import decode_vector_tile
from webmap.services.basemaps import (
    BasemapError,
    BasemapRegistry,
    check_archive,
    open_archive,
    tile_for_point,
)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("archives")
    mbtiles = archives.write_mbtiles(folder / "plan.mbtiles")
    pmtiles = archives.write_pmtiles(folder / "osm.pmtiles")
    return {
        "mbtiles": mbtiles,
        "pmtiles": pmtiles,
        "broken_mbtiles": archives.write_broken(folder / "broken.mbtiles", mbtiles),
        "broken_pmtiles": archives.write_broken(folder / "broken.pmtiles", pmtiles),
        "empty": archives.write_empty(folder / "empty.mbtiles"),
        "foreign": archives.write_mbtiles(folder / "rennes.mbtiles", box=archives.RENNES_BOX),
        "corner": archives.write_mbtiles(folder / "corner.mbtiles", box=(6.3, 48.1, 6.6, 48.3)),
        "no_format": archives.write_mbtiles(folder / "noformat.mbtiles", drop_metadata=("format",)),
        "text": _text_file(folder / "notes.mbtiles"),
    }


def _text_file(path):
    path.write_text("ceci n'est pas une carte\n")
    return path


def test_raster_mbtiles_is_read_and_checked(files):
    with open_archive(files["mbtiles"]) as archive:
        summary = check_archive(archive, load_outline())
        _check_raster(archive, summary)


def _check_raster(archive, summary):
    assert (archive.kind, archive.tile_format, archive.minzoom, archive.maxzoom) == ("raster", "png", 6, 14)
    assert summary["coverage"] == 1.0
    assert archive.attribution == "Tuiles de test crossmap"
    # XYZ numbering (y down) although MBTiles stores rows from the south:
    # the tile under Épinal's centre shows the street drawn through it.
    x, y = tile_for_point(*archives.EPINAL, 14)
    with Image.open(io.BytesIO(archive.tile(14, x, y))) as image:
        colours = {colour for _, colour in image.convert("RGB").getcolors()}
    assert archives.RASTER_STREET in colours and archives.RASTER_GROUND in colours
    assert archive.tile(14, x, 2**14 - 1 - y) is None


def test_vector_pmtiles_is_read_and_checked(files):
    with open_archive(files["pmtiles"]) as archive:
        check_archive(archive, load_outline())
        _check_vector(archive)


def _check_vector(archive):
    assert (archive.kind, archive.tile_format, archive.minzoom, archive.maxzoom) == ("vector", "pbf", 6, 14)
    layers = decode_vector_tile(archive.tile(13, *tile_for_point(*archives.EPINAL, 13)))
    assert {"earth", "roads", "buildings", "places"} <= set(layers)
    assert archive.tile(13, 0, 0) is None


@pytest.mark.parametrize(
    "key, message",
    [
        ("broken_mbtiles", "abîmé"),
        ("broken_pmtiles", "tronquée"),
        ("empty", "fichier vide"),
        ("foreign", "couvre une autre région"),
        ("corner", "ne couvre que"),
        ("no_format", "format de tuiles"),
        ("text", "ni MBTiles ni PMTiles"),
    ],
)
def test_bad_archives_are_refused_and_change_nothing(files, tmp_path, key, message):
    registry = BasemapRegistry(tmp_path)
    registry.add(files["mbtiles"], name="Plan IGN", outline=load_outline())
    before = sorted(p.name for p in (tmp_path / "basemaps").iterdir())
    index = (tmp_path / "basemaps" / "basemaps.json").read_bytes()
    with pytest.raises(BasemapError, match=message):
        registry.add(files[key], name="Autre", outline=load_outline())
    assert sorted(p.name for p in (tmp_path / "basemaps").iterdir()) == before
    assert (tmp_path / "basemaps" / "basemaps.json").read_bytes() == index
    assert [b.name for b in registry.list()] == ["Plan IGN"]


def test_registry_adds_lists_defaults_and_removes(files, tmp_path):
    registry = BasemapRegistry(tmp_path)
    assert registry.list() == [] and registry.default() is None
    plan = registry.add(files["mbtiles"], name="Plan IGN 2026", outline=load_outline())
    assert plan.slug == "plan-ign-2026" and plan.default
    assert (tmp_path / "basemaps" / "plan-ign-2026.mbtiles").read_bytes() == files["mbtiles"].read_bytes()
    osm = registry.add(files["pmtiles"], name="OSM", outline=load_outline(), attribution="© OSM", default=True)
    assert [b.name for b in registry.list()] == ["Plan IGN 2026", "OSM"]
    assert registry.default().name == "OSM" and osm.attribution == "© OSM"
    assert registry.get("plan-ign-2026").default is False
    with pytest.raises(BasemapError, match="déjà"):
        registry.add(files["mbtiles"], name="plan ign 2026", outline=load_outline())
    # The archive served is the installed copy, not the file given.
    assert registry.archive(registry.get("OSM")).path == tmp_path / "basemaps" / "osm.pmtiles"

    registry.remove("OSM")
    assert registry.default().name == "Plan IGN 2026"
    assert not (tmp_path / "basemaps" / "osm.pmtiles").exists()
    with pytest.raises(BasemapError, match="aucun fond de carte « OSM »"):
        registry.remove("OSM")


def test_only_a_raster_archive_goes_under_the_others(files, tmp_path):
    registry = BasemapRegistry(tmp_path)
    with pytest.raises(BasemapError, match="raster"):
        registry.add(files["pmtiles"], name="Relief", outline=load_outline(), role="under")
    relief = registry.add(files["mbtiles"], name="Relief", outline=load_outline(), role="under")
    assert relief.role == "under" and not relief.default and registry.default() is None


@pytest.mark.parametrize("tile_format", ["jpg", "webp", "pbf"])
def test_every_mbtiles_tile_format_is_read(tmp_path, tile_format):
    path = archives.write_mbtiles(tmp_path / f"plan.{tile_format}.mbtiles", tile_format=tile_format)
    with open_archive(path) as archive:
        summary = check_archive(archive, load_outline())
        data = archive.tile(13, *tile_for_point(*archives.EPINAL, 13))
    assert summary["format"] == tile_format
    assert summary["kind"] == ("vector" if tile_format == "pbf" else "raster")
    if tile_format == "pbf":
        assert "roads" in decode_vector_tile(data)
    else:
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == {"jpg": "JPEG", "webp": "WEBP"}[tile_format]
