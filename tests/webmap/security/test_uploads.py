"""Bounded uploads (issue #16, finding 5): each hostile workbook of the
review, built here, is refused quickly with a French message, read in a
worker process, and an accepted upload is parsed once."""

import io
import time

import pytest

from tests.apps import make_app
from tests.hostile_files import HEADER, declared, last_row_filled, many_rows, rewrite_sheet, workbook_bytes, zip_bomb
from webmap.services.importer import ImportFileError, read_table
from webmap.services.importer.worker import read_upload


def read(tmp_path, data, max_rows=200_000):
    path = tmp_path / "fichier.xlsx"
    path.write_bytes(data)
    started = time.perf_counter()
    try:
        return read_table(path, max_rows=max_rows, max_bytes=50 * 1024 * 1024), time.perf_counter() - started
    except ImportFileError as error:
        return error, time.perf_counter() - started


def test_a_declared_dimension_is_not_widened(tmp_path):
    """The review's 1,759-byte file declaring A1:XFD20000 took 24 s."""
    table, seconds = read(tmp_path, declared("A1:XFD20000"))
    assert seconds < 5, seconds
    assert len(table.rows) == 1 and len(table.headers) == len(HEADER) and len(table.rows[0]) <= len(HEADER)


def test_a_cell_on_the_last_row_reads_quickly(tmp_path):
    table, seconds = read(tmp_path, last_row_filled())
    assert seconds < 5, seconds
    assert [row[:2] for row in table.rows] == [["GN-1", "GN"], ["x", "y"]]
    assert table.lines[-1] == 1_048_576


def test_a_zip_bomb_is_refused_before_parsing(tmp_path):
    data = zip_bomb()
    assert len(data) < 2 * 1024 * 1024
    error, seconds = read(tmp_path, data)
    assert isinstance(error, ImportFileError), error
    assert "se décompresse en" in str(error) and seconds < 5


@pytest.mark.parametrize("count", [1_500, 60_000])
def test_too_many_rows_stop_the_reading(tmp_path, count):
    """The row limit applies before parsing (rows counted in the sheet's
    XML) and while reading: against a limit of 1,000, 60,000 rows are
    refused unparsed, 1,500 at row 1,001 (the 1M-row file took 341 s)."""
    error, seconds = read(tmp_path, many_rows(count), max_rows=1_000)
    assert isinstance(error, ImportFileError)
    assert str(error).startswith("Trop de lignes") and seconds < 5


def test_a_row_far_too_wide_is_refused(tmp_path):
    def change(xml):
        return xml.replace(
            b"</sheetData>",
            b'<row r="3"><c r="A3" t="inlineStr"><is><t>GN-2</t></is></c>'
            b'<c r="XFD3" t="inlineStr"><is><t>loin</t></is></c></row></sheetData>',
        )

    error, seconds = read(tmp_path, rewrite_sheet(workbook_bytes(), change))
    assert isinstance(error, ImportFileError) and "trop large" in str(error)


def test_the_worker_stops_at_its_cpu_limit(tmp_path, monkeypatch):
    """A reading that takes longer than the limit ends the worker, not the
    server, with a French message."""
    path = tmp_path / "lent.xlsx"
    path.write_bytes(many_rows(150_000))
    started = time.perf_counter()
    with pytest.raises(ImportFileError, match="lecture interrompue"):
        read_upload(path, filename="lent.xlsx", max_rows=1_000_000, cpu_seconds=1)
    assert time.perf_counter() - started < 15


def test_an_accepted_upload_is_parsed_once(tmp_path, monkeypatch):
    app = make_app(tmp_path / "instance", monkeypatch, WTF_CSRF_ENABLED=False)
    client = app.test_client()
    response = client.post(
        "/signalements/import",
        data={"file": (io.BytesIO(workbook_bytes()), "gn.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    preview_url = response.headers["Location"]

    def no_second_reading(*args, **kwargs):
        raise AssertionError("the file was parsed again")

    import webmap.services.importer.pipeline as pipeline
    import webmap.services.importer.preview as preview

    monkeypatch.setattr(preview, "read_table", no_second_reading)
    monkeypatch.setattr(pipeline, "read_table", no_second_reading)
    assert client.get(preview_url).status_code == 200
    assert client.post(preview_url.split("?")[0], data={}).status_code == 302


def test_a_hostile_upload_is_refused_on_the_page_in_french(tmp_path, monkeypatch):
    app = make_app(tmp_path / "instance", monkeypatch, WTF_CSRF_ENABLED=False)
    bomb = zip_bomb()
    started = time.perf_counter()
    response = app.test_client().post(
        "/signalements/import", data={"file": (io.BytesIO(bomb), "bombe.xlsx")}, content_type="multipart/form-data"
    )
    assert response.status_code == 400 and time.perf_counter() - started < 5
    assert "se décompresse en" in response.get_data(as_text=True)
    assert not any((tmp_path / "instance" / "uploads").iterdir())
