"""Need-to-know: which reports a user may see, and what the others may
still contribute. An agency may restrict a report to itself
(``handling == "restricted"``).

The guarantee (README, "Besoin d'en connaître"): no sequence of requests by
a user of agency A locates a restricted report of agency B more precisely
than its commune, dates it more precisely than its ISO week, or reveals its
category, substance or grading. To hold it:

- everything with a position, a time or a qualification (points, hotspots
  and their outlines, centroids, dates and breakdowns, zone contents, counts
  in a box, snapshots, briefings, exports) is computed on
  :func:`visible_reports` only;
- other agencies' restricted reports add to the counts per commune only
  (:func:`withheld_counts`), grouped by commune, ISO week and agency, where a
  group holds at least ``k`` reports, and only for a filter by period (snapped
  to whole ISO weeks) and agency: a filter by category, substance, grading,
  box or zone gets no such count.
"""

from datetime import timedelta

import pandas as pd
from flask import g, has_request_context
from flask_login import current_user
from sqlalchemy import or_, select

from analysis.calendar import TIMEZONE
from webmap.db import get_session
from webmap.db.models import DataVersion, Report

SHARED = "shared"
RESTRICTED = "restricted"
HANDLING_CODES = (SHARED, RESTRICTED)
#: Smallest group of another agency's restricted reports that may add to a
#: commune's count (setting ``NEED_TO_KNOW_K``).
DEFAULT_K = 5
WITHHELD_COLUMNS = ["id", "fictitious", "agency", "observed_at", "insee", "handling"]


def visible_mask(reports, agency):
    """Boolean Series: which rows of a reports DataFrame (with ``agency`` and
    ``handling`` columns) a user of ``agency`` may see in detail."""
    if "handling" not in reports.columns:
        return pd.Series(True, index=reports.index)
    return (reports["handling"] != RESTRICTED) | (reports["agency"] == agency)


def visible_condition(agency, table):
    """The SQL twin of :func:`visible_mask`, a condition on the report
    ``table``: shared reports, and the restricted ones of ``agency``
    (none when ``agency`` is None)."""
    if agency is None:
        return table.c.handling != RESTRICTED
    return or_(table.c.handling != RESTRICTED, table.c.agency == agency)


def visible_reports(reports, agency):
    """The rows of ``reports`` a user of ``agency`` may see: every shared
    report, and the restricted ones of their own agency. Everything drawn,
    clustered, dated or counted in an area is computed on these only."""
    mask = visible_mask(reports, agency)
    return reports if bool(mask.all()) else reports.loc[mask].reset_index(drop=True)


def viewer_agency():
    """The agency whose restricted reports the signed-in user may see:
    their own, when it has restricted reports; ``None`` when it has none,
    or outside a request.

    A user whose agency restricts nothing sees exactly the shared reports,
    as every such agency's users do: with ``None``, what is computed for
    them (and cached, keyed by this agency) holds only shared reports by
    construction, and serves all of them. The first view after an import,
    computed once for those agencies instead of once each, is what this
    buys; a restriction made meanwhile can only narrow what a user sees."""
    if not has_request_context() or not current_user.is_authenticated:
        return None
    if "viewer_agency" not in g:
        agency = current_user.agency
        g.viewer_agency = agency if agency in _restricting_agencies() else None
    return g.viewer_agency


_restricting = {}


def _restricting_agencies():
    """The agencies with restricted reports, read once per data version."""
    session = get_session()
    url = str(session.get_bind().url)
    version = session.scalar(select(DataVersion.version).where(DataVersion.id == 1))
    held = _restricting.get(url)
    if held is None or held[0] != version:
        agencies = frozenset(session.scalars(select(Report.agency).where(Report.handling == RESTRICTED).distinct()))
        held = _restricting[url] = (version, agencies)
    return held[1]


def coarse_filter(report_filter):
    """The filter with its period snapped to whole ISO weeks (Monday to
    Sunday), or ``None`` when it selects by anything finer than period and
    agency (category, substance, grading, box, zone): then no withheld
    report may count."""
    from dataclasses import replace

    f = report_filter
    if f.categories or f.substances or f.min_grading or f.bbox or f.zone is not None:
        return None
    start = f.start - timedelta(days=f.start.weekday()) if f.start else None
    end = f.end + timedelta(days=6 - f.end.weekday()) if f.end else None
    return replace(f, start=start, end=end)


def withheld_counts(reports, agency, k=DEFAULT_K):
    """Per commune and agency, how many of other agencies' restricted
    reports may add to the counts a user of ``agency`` sees.

    Parameters
    ----------
    reports : DataFrame
        Reports with ``agency``, ``observed_at`` (aware), ``insee`` and
        ``handling``, selected by a :func:`coarse_filter`.
    agency : str or None
    k : int
        Smallest group (same commune, ISO week and agency) that counts.

    Returns
    -------
    dict
        ``{insee: {agency: count}}``.

    Examples
    --------
    >>> when = pd.Timestamp("2026-03-02 10:00", tz="Europe/Paris")
    >>> rows = pd.DataFrame({"agency": ["DOUANE"] * 6, "insee": ["88160"] * 5 + ["88001"],
    ...                      "observed_at": [when] * 6, "handling": [RESTRICTED] * 6})
    >>> withheld_counts(rows, "GN", k=5)
    {'88160': {'DOUANE': 5}}
    >>> withheld_counts(rows, "DOUANE", k=5)
    {}
    """
    others = reports[(reports["handling"] == RESTRICTED) & (reports["agency"] != agency)]
    if others.empty:
        return {}
    local = others["observed_at"].dt.tz_convert(TIMEZONE)
    monday = (local.dt.normalize() - pd.to_timedelta(local.dt.day_of_week, unit="D")).dt.date
    groups = others.assign(week=monday.to_numpy()).groupby(["insee", "week", "agency"]).size()
    groups = groups[groups >= k]
    counts = {}
    for (insee, _week, other), n in groups.items():
        by_agency = counts.setdefault(insee, {})
        by_agency[other] = by_agency.get(other, 0) + int(n)
    return counts
