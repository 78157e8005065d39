"""Hostile workbooks of the attack review (issue #16, finding 5), built on
the fly for the tests (tests/webmap/security/test_uploads.py) and the
bench (bench/bench_hostile_uploads.py)."""

import io
import zipfile

import openpyxl

HEADER = ["Référence", "Service", "Date des faits", "Nature", "Cotation", "Commune"]


def workbook_bytes(rows=(("GN-1", "GN", "01/03/2026", "Saisie", "B2", "Épinal"),)):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rewrite_sheet(data, change):
    """The workbook with its first sheet's XML passed through ``change``."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = change(content)
            target.writestr(info.filename, content)
    return out.getvalue()


def declared(dimension):
    """A two-row workbook whose sheet claims the ``dimension``, as the
    review's 1,759-byte file did."""

    def change(xml):
        start = xml.index(b'<dimension ref="') + len(b'<dimension ref="')
        end = xml.index(b'"', start)
        return xml[:start] + dimension.encode() + xml[end:]

    return rewrite_sheet(workbook_bytes(), change)


def last_row_filled():
    """A workbook with a cell on row 1,048,576 and its dimension to match."""

    def change(xml):
        xml = xml.replace(
            b"</sheetData>",
            b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c>'
            b'<c r="B1048576" t="inlineStr"><is><t>y</t></is></c></row></sheetData>',
        )
        start = xml.index(b'<dimension ref="') + len(b'<dimension ref="')
        end = xml.index(b'"', start)
        return xml[:start] + b"A1:XFD1048576" + xml[end:]

    return rewrite_sheet(workbook_bytes(), change)


def zip_bomb():
    """A workbook whose sheet unpacks to 200 MB of blanks from a few hundred KB."""
    data = workbook_bytes()
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                target.writestr(info.filename, source.read(info.filename))
        with target.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            xml = source.read("xl/worksheets/sheet1.xml")
            head, tail = xml.split(b"<sheetData>")
            member.write(head + b"<sheetData>")
            blank = b" " * (1024 * 1024)
            for _ in range(200):
                member.write(blank)
            member.write(tail)
    return out.getvalue()


def many_rows(count):
    """A workbook of ``count`` data rows, its sheet XML written directly."""

    def change(xml):
        head, _, _ = xml.partition(b"<sheetData>")
        body = "".join(
            f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>R{n}</t></is></c><c r="B{n}"><v>{n}</v></c></row>'
            for n in range(2, count + 2)
        )
        header = '<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c><c r="B1" t="inlineStr"><is><t>b</t></is></c></row>'
        return head + b"<sheetData>" + (header + body).encode() + b"</sheetData></worksheet>"

    return rewrite_sheet(workbook_bytes(), change)
