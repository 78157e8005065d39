"""``crossmap backtest``: how well the hotspots of the last weeks caught the
following weeks' reports, window by window (``analysis.backtest``), so that
an analyst can judge ``eps``, ``min_samples`` and the window on their own
data."""

import dataclasses

import click
from flask import current_app
from flask.cli import with_appcontext

from analysis import backtest as model
from webmap import labels
from webmap.cli.options import (
    FILTER_OPTIONS,
    bad_parameter,
    clustering_options,
    known_agencies,
    open_session,
    read_zone,
    with_options,
)
from webmap.services import hotspots as service
from webmap.services.filters import FilterError, parse_filter, select_reports
from webmap.services.store import ANALYSIS_COLUMNS

HEADERS = (
    "semaines prévues",
    "signalements",
    "points chauds",
    "surface %",
    "captés",
    "PAI",
    "PEI",
    "KDE captés",
    "KDE PAI",
    "KDE PEI",
)


@click.command("backtest")
@with_appcontext
@with_options(*FILTER_OPTIONS, *clustering_options())
@click.option(
    "--train-weeks",
    type=click.IntRange(1, 520),
    default=model.TRAIN_WEEKS,
    show_default=True,
    help="Semaines sur lesquelles les points chauds sont trouvés.",
)
@click.option(
    "--horizon-weeks",
    type=click.IntRange(1, 52),
    default=model.HORIZON_WEEKS,
    show_default=True,
    help="Semaines suivantes à prévoir.",
)
@click.option(
    "--windows",
    type=click.IntRange(1, 520),
    default=model.WINDOWS,
    show_default=True,
    help="Nombre de fenêtres évaluées.",
)
@click.option(
    "--step-weeks",
    type=click.IntRange(1, 52),
    default=model.STEP_WEEKS,
    show_default=True,
    help="Semaines entre deux fenêtres.",
)
def backtest_command(train_weeks, horizon_weeks, windows, step_weeks, **params):
    """Backtest the hotspots: hit rate, PAI and PEI per window, against a
    kernel density of the same area; --start is ignored, --end sets the last
    week forecast."""
    read_zone(params)
    text = {k: v for k, v in params.items() if v is not None}
    try:
        report_filter = parse_filter(text, known_agencies=known_agencies())
        cluster = service.parse_cluster_params(text, current_app.config["CLUSTERING"])
    except FilterError as error:
        raise bad_parameter(error) from None
    session = open_session()
    history = select_reports(session, dataclasses.replace(report_filter, start=None), ANALYSIS_COLUMNS)
    if history.empty:
        raise click.ClickException("Aucun signalement avec ces filtres.")
    table = service.backtest_table(
        history,
        params=cluster,
        end=report_filter.end,
        train_weeks=train_weeks,
        horizon_weeks=horizon_weeks,
        windows=windows,
        step_weeks=step_weeks,
    )
    click.echo(
        f"Points chauds : {cluster.words()} ; {train_weeks} semaines pour prévoir les {horizon_weeks} suivantes."
    )
    click.echo(model.markdown_table(table, headers=HEADERS, mean_label="moyenne de {windows}"))
    means = model.summary(table)
    if means["windows"]:
        click.echo(labels.backtest_sentence(means | {"train_weeks": train_weeks, "horizon_weeks": horizon_weeks}))
    else:
        click.echo("Aucune fenêtre n'a trouvé de point chaud.")
