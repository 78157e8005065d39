"""``crossmap demo``: loads fictitious reports once, marks them everywhere."""

import json

from sqlalchemy import func, select

from webmap.db import get_session
from webmap.db.models import ImportBatch, Report


def count(app, *where):
    with app.app_context():
        return get_session().scalar(select(func.count()).select_from(Report).where(*where))


def test_demo_loads_fictitious_reports_and_writes_the_truth(demo_app, demo_instance):
    total = count(demo_app)
    # Three years at the SSMSI's order of magnitude: 1,000 to 2,000 a year.
    assert 3000 < total < 6000
    assert count(demo_app, Report.fictitious) == total
    truth = json.loads((demo_instance / "demo-truth.json").read_text())
    assert {h["kind"] for h in truth["hotspots"]} == {"persistent", "emerging", "fading", "dormant"}
    with demo_app.app_context():
        batches = get_session().scalars(select(ImportBatch)).all()
    assert [(b.kind, b.added) for b in batches] == [("demo", total)]


def test_demo_if_empty_leaves_existing_data_alone(app, runner):
    first = runner.invoke(args=["demo", "--years", "1", "--seed", "3"])
    assert first.exit_code == 0, first.output
    before = count(app)
    again = runner.invoke(args=["demo", "--if-empty"])
    assert again.exit_code == 0
    assert "déjà" in again.output
    assert count(app) == before


def test_demo_refuses_to_pile_up_and_replaces_on_request(app, runner):
    assert runner.invoke(args=["demo", "--years", "1", "--seed", "3"]).exit_code == 0
    before = count(app)
    refused = runner.invoke(args=["demo", "--years", "1", "--seed", "4"])
    assert refused.exit_code != 0
    assert "--replace" in refused.output
    assert count(app) == before
    replaced = runner.invoke(args=["demo", "--years", "1", "--seed", "3", "--replace"])
    assert replaced.exit_code == 0, replaced.output
    assert count(app) == before
    with app.app_context():
        assert get_session().scalar(select(func.count()).select_from(ImportBatch)) == 1


def test_demo_rejects_bad_years(runner):
    result = runner.invoke(args=["demo", "--years", "0"])
    assert result.exit_code == 2
    assert "--years" in result.output
