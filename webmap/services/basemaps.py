"""Basemaps the cell installs itself: MBTiles and PMTiles archives, checked,
kept in the instance folder and read tile by tile. Flask-free.

On a closed network no tile server is reachable, so a cell brings its map
data as files (an IGN extract rendered to MBTiles, an OpenStreetMap extract
as vector PMTiles…). :func:`open_archive` reads either format;
:func:`check_archive` refuses a broken file, an empty one, or one that does
not cover the département; :class:`BasemapRegistry` keeps the installed
archives under ``<instance>/basemaps/`` with a small JSON index.

Every error a user can meet is a :class:`BasemapError` whose message is a
French sentence (the CLI prints it as is).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import os
import re
import shutil
import sqlite3
import threading
import unicodedata
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import ClassVar

import shapely
from pmtiles.tile import (
    Compression,
    MagicNumberNotFound,
    SpecVersionUnsupported,
    TileType,
    deserialize_directory,
    deserialize_header,
    find_tile,
    zxy_to_tileid,
)

from webmap.render.tiles import decode_vector_tile

__all__ = [
    "MEDIA_TYPES",
    "RASTER_FORMATS",
    "Archive",
    "Basemap",
    "BasemapError",
    "BasemapRegistry",
    "MBTilesArchive",
    "PMTilesArchive",
    "check_archive",
    "decode_vector_tile",
    "open_archive",
    "slugify",
    "tile_for_point",
]

#: Tile formats crossmap can show, and the media type each is served as.
MEDIA_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "webp": "image/webp",
    "pbf": "application/vnd.mapbox-vector-tile",
}
RASTER_FORMATS = ("png", "jpg", "webp")
#: Share of the département's outline an archive's bounds must cover. Not
#: 1.0: extracts cut to a rounded box may miss a sliver of a border commune.
MIN_COVERAGE = 0.95
#: Folder of the instance holding the archives and their index.
FOLDER = "basemaps"
INDEX = "basemaps.json"
#: Roles: a base layer (one shown at a time), or a layer drawn under the
#: others (hillshade, aerial imagery), half transparent.
ROLES = ("base", "under")

_PMTILES_FORMATS = {TileType.MVT: "pbf", TileType.PNG: "png", TileType.JPEG: "jpg", TileType.WEBP: "webp"}
_SQLITE_MAGIC = b"SQLite format 3\x00"
_PMTILES_MAGIC = b"PMTiles"


class BasemapError(ValueError):
    """A basemap archive or request crossmap refuses; the message is French."""


def slugify(name: str) -> str:
    """The name as it appears in tile addresses.

    >>> slugify("Plan IGN 2026 (Épinal)")
    'plan-ign-2026-epinal'
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def tile_for_point(lon: float, lat: float, zoom: int) -> tuple[int, int]:
    """The XYZ (Web Mercator, y down) tile holding a WGS84 point.

    >>> tile_for_point(6.4497, 48.1734, 10)
    (530, 355)
    """
    n = 2**zoom
    x = int((lon + 180.0) / 360.0 * n)
    lat_r = math.radians(lat)
    y = int((1.0 - math.asinh(math.tan(lat_r)) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


class Archive:
    """A tile archive opened for reading. Subclasses fill the attributes and
    :meth:`tile`; the same object serves every request thread."""

    path: Path
    tile_format: str  # a key of MEDIA_TYPES
    minzoom: int
    maxzoom: int
    bounds: tuple  # west, south, east, north (WGS84)
    attribution: str
    title: str
    version: str = ""

    @property
    def kind(self) -> str:
        return "raster" if self.tile_format in RASTER_FORMATS else "vector"

    def tile(self, z: int, x: int, y: int) -> bytes | None:  # pragma: no cover - abstract
        """The stored bytes of one XYZ tile (possibly gzip-compressed for
        vector tiles), or None when the archive has none there."""
        raise NotImplementedError

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class MBTilesArchive(Archive):
    """An MBTiles file (SQLite; tile rows counted from the south, TMS)."""

    def __init__(self, path):
        self.path = Path(path)
        # One connection per thread: sqlite3 objects may not cross threads,
        # and read-only immutable connections take no locks.
        self._local = threading.local()
        try:
            metadata = dict(self._connection().execute("SELECT name, value FROM metadata").fetchall())
            zooms = (
                self._connection().execute("SELECT min(zoom_level), max(zoom_level), count(*) FROM tiles").fetchone()
            )
        except sqlite3.DatabaseError as error:
            raise BasemapError(
                f"{self.path.name} : fichier SQLite sans les tables MBTiles attendues "
                f"(metadata, tiles) ou abîmé ({error})"
            ) from None
        self.tile_count = int(zooms[2] or 0)
        self.tile_format = _normalise_format(metadata.get("format", ""), self.path.name)
        self.minzoom = int(metadata.get("minzoom", zooms[0] if zooms[0] is not None else 0))
        self.maxzoom = int(metadata.get("maxzoom", zooms[1] if zooms[1] is not None else 0))
        self.bounds = _parse_bounds(metadata.get("bounds"), self.path.name)
        self.attribution = _plain(metadata.get("attribution", ""))
        self.title = metadata.get("name", "")

    def _connection(self):
        connection = getattr(self._local, "connection", None)
        if connection is None:
            uri = self.path.resolve().as_uri() + "?mode=ro&immutable=1"
            connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
            self._local.connection = connection
        return connection

    def tile(self, z, x, y):
        row = (
            self._connection()
            .execute(
                "SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
                (z, x, (2**z - 1) - y),
            )
            .fetchone()
        )
        return bytes(row[0]) if row else None

    def close(self):
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None


class PMTilesArchive(Archive):
    """A PMTiles v3 file, read with the ``pmtiles`` package's directory
    functions. Directories are cached: the library's ``Reader`` parses the
    root directory again for every tile."""

    def __init__(self, path):
        self.path = Path(path)
        # Kept open for the archive's life (every tile reads it); close() ends it.
        self._file = open(self.path, "rb")  # noqa: SIM115
        self._lock = threading.Lock()
        try:
            header = deserialize_header(self._read(0, 127))
        except (MagicNumberNotFound, SpecVersionUnsupported, ValueError, IndexError) as error:
            self._file.close()
            raise BasemapError(
                f"{self.path.name} : en-tête PMTiles illisible (version 3 attendue) ({error!r})"
            ) from None
        self._header = header
        # A transfer cut short keeps a good header: compare the size the
        # header announces with the file's.
        announced = max(
            header["tile_data_offset"] + header["tile_data_length"],
            header["leaf_directory_offset"] + header["leaf_directory_length"],
            header["metadata_offset"] + header["metadata_length"],
        )
        size = self.path.stat().st_size
        if size < announced:
            self._file.close()
            raise BasemapError(
                f"{self.path.name} : archive tronquée ({size} octets sur {announced} annoncés), "
                "copie incomplète ou fichier abîmé"
            )
        if header["tile_compression"] not in (Compression.NONE, Compression.GZIP, Compression.UNKNOWN):
            self._file.close()
            raise BasemapError(
                f"{self.path.name} : compression des tuiles {header['tile_compression'].name} "
                "non prise en charge (gzip ou aucune)"
            )
        if header["tile_type"] not in _PMTILES_FORMATS:
            self._file.close()
            raise BasemapError(
                f"{self.path.name} : type de tuiles {header['tile_type'].name} non pris en charge "
                "(png, jpg, webp ou vectorielles mvt)"
            )
        self.tile_format = _PMTILES_FORMATS[header["tile_type"]]
        self.minzoom, self.maxzoom = header["min_zoom"], header["max_zoom"]
        self.bounds = (
            header["min_lon_e7"] / 1e7,
            header["min_lat_e7"] / 1e7,
            header["max_lon_e7"] / 1e7,
            header["max_lat_e7"] / 1e7,
        )
        self.tile_count = header["addressed_tiles_count"]
        try:
            metadata = self._metadata()
        except BasemapError:
            self._file.close()
            raise
        except (OSError, ValueError, EOFError) as error:
            self._file.close()
            raise BasemapError(f"{self.path.name} : métadonnées PMTiles abîmées ({error})") from None
        self.attribution = _plain(str(metadata.get("attribution", "")))
        self.title = str(metadata.get("name", ""))
        self._directory = lru_cache(maxsize=256)(self._read_directory)

    def _read(self, offset, length):
        # One file object for every thread: a lock around seek+read (os.pread
        # would do without, but is not on every platform).
        with self._lock:
            self._file.seek(offset)
            data = self._file.read(length)
        if len(data) != length:
            raise BasemapError(f"{self.path.name} : archive tronquée (lecture au-delà de la fin)")
        return data

    def _metadata(self):
        header = self._header
        raw = self._read(header["metadata_offset"], header["metadata_length"])
        if header["internal_compression"] == Compression.GZIP:
            raw = gzip.decompress(raw)
        return json.loads(raw) if raw else {}

    def _read_directory(self, offset, length):
        # deserialize_directory inflates gzip itself (the usual internal
        # compression); anything it cannot read is a broken archive.
        try:
            return deserialize_directory(self._read(offset, length))
        except (OSError, ValueError, EOFError, IndexError) as error:
            raise BasemapError(f"{self.path.name} : répertoire de tuiles abîmé ({type(error).__name__})") from None

    def tile(self, z, x, y):
        header = self._header
        if not (header["min_zoom"] <= z <= header["max_zoom"]):
            return None
        tile_id = zxy_to_tileid(z, x, y)
        offset, length = header["root_offset"], header["root_length"]
        for _depth in range(4):  # the specification allows three levels of leaves
            entry = find_tile(self._directory(offset, length), tile_id)
            if entry is None:
                return None
            if entry.run_length == 0:
                offset, length = header["leaf_directory_offset"] + entry.offset, entry.length
            else:
                return self._read(header["tile_data_offset"] + entry.offset, entry.length)
        return None

    def close(self):
        self._file.close()


def open_archive(path) -> Archive:
    """Open an MBTiles or PMTiles file, whatever its name says; raise
    :class:`BasemapError` for anything else."""
    path = Path(path)
    if not path.is_file():
        raise BasemapError(f"{path} : fichier introuvable")
    if path.stat().st_size == 0:
        raise BasemapError(f"{path.name} : fichier vide (0 octet), aucune carte à installer")
    with open(path, "rb") as handle:
        magic = handle.read(16)
    if magic.startswith(_PMTILES_MAGIC):
        return PMTilesArchive(path)
    if magic == _SQLITE_MAGIC:
        return MBTilesArchive(path)
    raise BasemapError(f"{path.name} : ni MBTiles ni PMTiles (fichier abîmé ou d'un autre format)")


def check_archive(archive: Archive, outline) -> dict:
    """Check that ``archive`` can serve as a basemap of the département whose
    WGS84 ``outline`` is given: known tile type, sensible zooms and bounds,
    bounds covering the outline, a readable tile at the outline's heart.
    Returns a summary; raises :class:`BasemapError` otherwise."""
    name = archive.path.name
    if not archive.tile_count:
        raise BasemapError(f"{name} : l'archive ne contient aucune tuile")
    if not (0 <= archive.minzoom <= archive.maxzoom <= 24):
        raise BasemapError(f"{name} : niveaux de zoom incohérents ({archive.minzoom} à {archive.maxzoom})")
    west, south, east, north = archive.bounds
    if not (-180 <= west < east <= 180 and -85.06 <= south < north <= 85.06):
        raise BasemapError(f"{name} : emprise invalide ({west}, {south}, {east}, {north})")
    # A ratio of areas over one département: degrees distort both sides alike.
    covered = shapely.intersection(outline, shapely.box(west, south, east, north)).area / outline.area
    if covered == 0:
        raise BasemapError(
            f"{name} : l'archive couvre une autre région (emprise {west:.2f}, {south:.2f}, {east:.2f}, "
            f"{north:.2f}) et pas le département"
        )
    if covered < MIN_COVERAGE:
        raise BasemapError(
            f"{name} : l'archive ne couvre que {covered * 100:.0f} % du département "
            f"(au moins {MIN_COVERAGE * 100:.0f} % attendus)"
        )
    point = outline.representative_point()
    x, y = tile_for_point(point.x, point.y, archive.minzoom)
    data = archive.tile(archive.minzoom, x, y)
    if data is None:
        raise BasemapError(
            f"{name} : aucune tuile au zoom {archive.minzoom} sur le département, malgré l'emprise annoncée"
        )
    _check_tile(data, archive.tile_format, name)
    return {
        "format": archive.tile_format,
        "kind": archive.kind,
        "minzoom": archive.minzoom,
        "maxzoom": archive.maxzoom,
        "bounds": [round(v, 6) for v in archive.bounds],
        "coverage": round(covered, 4),
        "tiles": archive.tile_count,
    }


def _check_tile(data, tile_format, name):
    try:
        if tile_format == "pbf":
            decode_vector_tile(data)
        else:
            import io

            from PIL import Image

            with Image.open(io.BytesIO(data)) as image:
                image.load()
    except Exception as error:  # noqa: BLE001 - any decoder failure means a broken tile
        raise BasemapError(f"{name} : tuile illisible ({type(error).__name__}), archive abîmée") from None


def _normalise_format(value, name):
    value = str(value).strip().lower()
    value = {"jpeg": "jpg", "mvt": "pbf"}.get(value, value)
    if value not in MEDIA_TYPES:
        raise BasemapError(
            f"{name} : format de tuiles « {value or 'absent'} » non pris en charge (png, jpg, webp ou pbf)"
        )
    return value


def _parse_bounds(value, name):
    if not value:
        raise BasemapError(f"{name} : emprise (bounds) absente des métadonnées")
    try:
        west, south, east, north = (float(v) for v in str(value).split(","))
    except ValueError:
        raise BasemapError(f"{name} : emprise illisible « {value} »") from None
    return west, south, east, north


def _plain(text):
    """Attribution as plain text: MBTiles often hold HTML links."""
    return re.sub(r"<[^>]+>", "", str(text)).strip()


# -- the instance's registry ---------------------------------------------------


@dataclass(frozen=True)
class Basemap:
    """One installed basemap, as the index records it."""

    name: str
    slug: str
    file: str
    format: str
    kind: str
    minzoom: int
    maxzoom: int
    bounds: list
    attribution: str
    role: str = "base"
    default: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def media_type(self):
        return MEDIA_TYPES[self.format]


class BasemapRegistry:
    """The basemaps installed in an instance folder. Archives are opened once
    per process and shared by every request."""

    # Shared by every registry of the process: one open archive per file.
    _archives: ClassVar[dict] = {}
    _archives_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, instance_path):
        self.folder = Path(instance_path) / FOLDER
        self.index_path = self.folder / INDEX

    def list(self) -> list[Basemap]:
        """Installed basemaps in the order they were added."""
        return list(_read_index(str(self.index_path), _mtime(self.index_path)))

    def get(self, name_or_slug: str) -> Basemap | None:
        for basemap in self.list():
            if name_or_slug in (basemap.name, basemap.slug):
                return basemap
        return None

    def default(self) -> Basemap | None:
        bases = [b for b in self.list() if b.role == "base"]
        return next((b for b in bases if b.default), bases[0] if bases else None)

    def archive(self, basemap: Basemap) -> Archive:
        path = self.folder / basemap.file
        key = (str(path), _mtime(path))
        with self._archives_lock:
            archive = self._archives.get(key)
            if archive is None:
                archive = self._archives[key] = open_archive(path)
                # Changes whenever the file does: the tiles' ETag.
                archive.version = hashlib.blake2b(repr(key).encode(), digest_size=6).hexdigest()
        return archive

    def add(self, source, *, name, outline, attribution=None, role="base", default=False) -> Basemap:
        """Check ``source`` and install a copy; nothing changes when a check
        fails."""
        name = (name or "").strip()
        if not name:
            raise BasemapError("un nom est nécessaire (--name)")
        slug = slugify(name)
        if not slug:
            raise BasemapError(f"nom « {name} » inutilisable : il faut au moins une lettre ou un chiffre")
        if role not in ROLES:
            raise BasemapError(f"rôle inconnu « {role} » (connus : {', '.join(ROLES)})")
        existing = self.list()
        if any(b.slug == slug for b in existing):
            raise BasemapError(
                f"un fond de carte porte déjà le nom « {name} » ; retirez-le d'abord (crossmap basemap remove)"
            )
        archive = open_archive(source)
        try:
            summary = check_archive(archive, outline)
            if role == "under" and archive.kind != "raster":
                raise BasemapError(
                    f"{archive.path.name} : seule une archive raster (relief, orthophoto) "
                    "peut passer sous les autres fonds"
                )
            attribution = (attribution or archive.attribution or "").strip()
        finally:
            archive.close()
        extension = ".pmtiles" if isinstance(archive, PMTilesArchive) else ".mbtiles"
        basemap = Basemap(
            name=name,
            slug=slug,
            file=slug + extension,
            format=summary["format"],
            kind=summary["kind"],
            minzoom=summary["minzoom"],
            maxzoom=summary["maxzoom"],
            bounds=summary["bounds"],
            attribution=attribution,
            role=role,
            default=bool(default) or (role == "base" and not any(b.role == "base" for b in existing)),
        )
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = self.folder / (basemap.file + ".part")
        shutil.copyfile(source, partial)
        try:
            if basemap.default:
                existing = [_replace_default(b, False) for b in existing]
            os.replace(partial, self.folder / basemap.file)
            self._write([*existing, basemap])
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return basemap

    def remove(self, name_or_slug) -> Basemap:
        basemap = self.get(name_or_slug)
        if basemap is None:
            known = ", ".join(b.name for b in self.list()) or "aucun"
            raise BasemapError(f"aucun fond de carte « {name_or_slug} » (installés : {known})")
        rest = [b for b in self.list() if b.slug != basemap.slug]
        if basemap.default:
            bases = [b for b in rest if b.role == "base"]
            if bases:
                rest = [_replace_default(b, b.slug == bases[0].slug) for b in rest]
        self._write(rest)
        path = str(self.folder / basemap.file)
        with self._archives_lock:
            for key in [key for key in self._archives if key[0] == path]:
                self._archives.pop(key).close()
        (self.folder / basemap.file).unlink(missing_ok=True)
        return basemap

    def set_default(self, name_or_slug) -> Basemap:
        basemap = self.get(name_or_slug)
        if basemap is None or basemap.role != "base":
            raise BasemapError(f"aucun fond de carte de base « {name_or_slug} »")
        self._write([_replace_default(b, b.slug == basemap.slug) for b in self.list()])
        return self.get(basemap.slug)

    def _write(self, basemaps):
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = self.index_path.with_suffix(".json.part")
        partial.write_text(json.dumps([asdict(b) for b in basemaps], ensure_ascii=False, indent=2))
        os.replace(partial, self.index_path)


def _replace_default(basemap, value):
    return Basemap(**{**asdict(basemap), "default": value})


def _mtime(path):
    """What changes when a file is rewritten (``os.replace`` gives a new
    inode), or None when it does not exist."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_mtime_ns, stat.st_size


@lru_cache(maxsize=16)
def _read_index(path, mtime):
    """The index as tuples of :class:`Basemap`, read again only when the
    file changes (every tile request asks for it)."""
    if mtime is None:
        return ()
    return tuple(Basemap(**entry) for entry in json.loads(Path(path).read_text()))
