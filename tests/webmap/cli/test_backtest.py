"""``crossmap backtest`` prints one line per window and the mean, then the
sentence the hotspots panel shows."""

import re

from tests.places import END, load_county


def test_backtest_prints_each_window_and_the_mean(app):
    load_county(app)
    result = app.test_cli_runner().invoke(args=["backtest", "--end", END.isoformat(), "--windows", "3"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("| semaines prévues | signalements | points chauds |") for line in lines)
    windows = [line for line in lines if re.match(r"\| \d\d/\d\d/\d{4} → \d\d/\d\d/\d{4} \|", line)]
    assert len(windows) == 3
    # The last window forecasts the four weeks ending on --end.
    assert windows[-1].split("|")[1].strip().endswith(END.strftime("%d/%m/%Y"))
    assert any(line.startswith("| **moyenne de 3** |") for line in lines)
    assert re.search(
        r"Les points chauds des 12 dernières semaines ont capté \d+\u202f% des signalements", result.output
    )


def test_backtest_names_a_bad_option(app):
    result = app.test_cli_runner().invoke(args=["backtest", "--min-grading", "Z9"])
    assert result.exit_code != 0 and "--min-grading" in result.output
