"""The figures per commune (``/api/communes``) counted in the database: GROUP
BY insee instead of reading every report, on SQLite and PostgreSQL, with
the numbers of the pandas path (``hotspots.commune_figures``). Flask-free.

Need-to-know as on the pandas path: counts and trends of the reports the
viewer may see (``need_to_know.visible_condition``), plus other agencies'
restricted reports only as ``need_to_know.withheld_counts`` groups, read
from those reports alone.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Integer, and_, case, func, select, type_coerce

from analysis.calendar import TIMEZONE
from analysis.communes_stats import TREND_WEEKS
from webmap.db.models import PARIS, Report
from webmap.security.need_to_know import RESTRICTED, WITHHELD_COLUMNS, coarse_filter, withheld_counts
from webmap.services.filters import ReportFilter, apply_filter, time_conditions
from webmap.services.hotspots import figures_from_counts
from webmap.services.report_grid import countable_in_sql, where_visible
from webmap.services.store import frame_from, report_select

__all__ = ["commune_figures_sql"]


def _midnight(day):
    return datetime.combine(day, time(), tzinfo=PARIS)


def _last_day(session, history: ReportFilter, agency):
    """The Paris date of the latest report of the history, or None."""
    latest = session.scalar(where_visible(session, select(func.max(Report.__table__.c.observed_at)), history, agency))
    if latest is None:
        return None
    # SQLite hands back its stored text (naive UTC), PostgreSQL an aware instant.
    stamp = pd.Timestamp(latest)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
    return stamp.tz_convert(TIMEZONE).date()


def commune_figures_sql(session, report_filter: ReportFilter, agency, communes, *, k, end=None):
    """``hotspots.commune_figures`` for the reports ``report_filter`` keeps
    that a user of ``agency`` may see, counted by the database; None when
    the filter holds what SQL cannot tell (the exact zone on SQLite): ask
    the pandas path then.

    ``end`` is the last day of the period (the filter's), or None for the
    day of the latest report of the history; ``k`` the smallest withheld
    group (``NEED_TO_KNOW_K``)."""
    if not countable_in_sql(session, report_filter):
        return None
    c = Report.__table__.c
    rows = session.execute(
        where_visible(session, select(c.insee, c.agency, func.count()), report_filter, agency).group_by(
            c.insee, c.agency
        )
    ).all()
    index = pd.MultiIndex.from_tuples([(r[0], r[1]) for r in rows], names=["insee", "agency"])
    by_agency = pd.Series([int(r[2]) for r in rows], index=index, dtype=np.int64)

    # The trend: the 13 weeks up to the end's day and the 13 before, Paris
    # days, from the whole history (the period's start dropped).
    history = report_filter.history()
    last = end or _last_day(session, history, agency)
    trends = None
    if last is not None and (end is None or _any(session, history, agency)):
        span = 7 * TREND_WEEKS
        after = _midnight(last + timedelta(days=1))
        recent_from = _midnight(last - timedelta(days=span - 1))
        previous_from = _midnight(last - timedelta(days=2 * span - 1))
        recent = func.sum(case((c.observed_at >= recent_from, 1), else_=0))
        previous = func.sum(case((c.observed_at < recent_from, 1), else_=0))
        statement = select(c.insee, type_coerce(recent, Integer), type_coerce(previous, Integer)).where(
            and_(c.observed_at >= previous_from, c.observed_at < after)
        )
        rows = session.execute(where_visible(session, statement, history, agency).group_by(c.insee)).all()
        trends = pd.DataFrame(
            {"recent": [int(r[1]) for r in rows], "previous": [int(r[2]) for r in rows]},
            index=pd.Index([r[0] for r in rows], dtype=object),
        )
    return figures_from_counts(by_agency, trends, communes, withheld=_withheld(session, report_filter, agency, k))


def _any(session, history, agency):
    statement = where_visible(session, select(Report.__table__.c.id).limit(1), history, agency)
    return session.execute(statement).first() is not None


def _withheld(session, report_filter, agency, k):
    """``need_to_know.withheld_counts`` read from other agencies'
    restricted reports only, not from every report of the period."""
    coarse = coarse_filter(report_filter)
    if coarse is None:
        return {}
    table = Report.__table__
    dialect = session.get_bind().dialect.name
    statement = apply_filter(report_select(WITHHELD_COLUMNS), coarse, table=table).where(
        table.c.handling == RESTRICTED,
        table.c.agency != (agency or ""),
        *time_conditions(coarse, dialect, table),
    )
    return withheld_counts(frame_from(session, statement, WITHHELD_COLUMNS), agency, k)
