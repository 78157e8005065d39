"""``crossmap db copy``: a cell's whole database moved to another engine
(PostgreSQL when the suite runs on it) and back, nothing lost."""

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from tests import databases
from webmap.db import make_engine
from webmap.db.models import AuditEntry, ImportBatch, Report, User, Zone, now
from webmap.services import audit
from webmap.services.dbcopy import copied_tables, copy_database, table_checksum


def _url(tmp_path, name):
    return databases.database_url(tmp_path / name) or f"sqlite:///{tmp_path / name}.sqlite"


def _checksums(engine):
    with engine.connect() as connection:
        return {table.name: table_checksum(connection, table) for table in copied_tables()}


def test_demo_data_round_trips_with_equal_counts_and_checksums(demo_app, tmp_path):
    source = make_engine(demo_app.config["DATABASE_URL"])
    middle_url, back_url = _url(tmp_path, "middle"), f"sqlite:///{tmp_path / 'back.sqlite'}"
    middle, back = make_engine(middle_url), make_engine(back_url)
    try:
        before = _checksums(source)
        result = demo_app.test_cli_runner().invoke(
            args=["db", "copy", "--from", demo_app.config["DATABASE_URL"], "--to", middle_url]
        )
        assert result.exit_code == 0, result.output
        assert "sommes identiques" in result.output
        assert _checksums(middle) == before
        counts = {name: rows for name, (rows, _) in before.items()}
        assert counts["report"] > 1000 and counts["app_user"] >= 1 and counts["import_batch"] >= 1

        # The copy is a working database (new rows get new ids, the data
        # version moves), and a second copy carries a zone and the trail.
        with Session(middle) as session:
            version = session.scalar(text("SELECT version FROM data_version"))
            batch = ImportBatch(kind="file", filename="après-copie.csv")
            session.add(batch)
            session.add(Zone(name="Zone copiée", geometry='{"type": "Polygon", "coordinates": []}'))
            audit.audit(session, "export", username="alice", agency="GN", address="10.0.0.1", format="csv")
            session.flush()
            session.execute(Report.__table__.update().where(Report.id == 1).values(summary="modifié"))
            session.commit()
            assert batch.id > counts["import_batch"]
            assert session.scalar(text("SELECT version FROM data_version")) > version
        in_middle = _checksums(middle)
        report = copy_database(middle, back)
        assert report.same and [t.name for t in report.tables] == list(in_middle)
        assert _checksums(back) == in_middle
        with Session(back) as session:
            assert session.scalar(select(Report.summary).where(Report.id == 1)) == "modifié"
            assert session.scalar(select(func.count()).select_from(AuditEntry)) == counts["audit_entry"] + 1
            assert session.scalar(select(AuditEntry.at).order_by(AuditEntry.id.desc()).limit(1)) <= now()
            assert session.scalar(select(func.count()).select_from(User)) == counts["app_user"]
    finally:
        for engine in (source, middle, back):
            engine.dispose()


def test_copy_into_a_database_holding_data_is_refused(demo_app, tmp_path):
    runner = demo_app.test_cli_runner()
    source = demo_app.config["DATABASE_URL"]
    target = _url(tmp_path, "target")
    engine = make_engine(target)
    try:
        assert runner.invoke(args=["db", "copy", "--from", source, "--to", target]).exit_code == 0
        again = runner.invoke(args=["db", "copy", "--from", source, "--to", target])
        assert again.exit_code != 0
        assert "contient déjà des données" in again.output
        with engine.connect() as connection:
            assert connection.scalar(select(func.count()).select_from(Report)) > 1000
    finally:
        engine.dispose()
