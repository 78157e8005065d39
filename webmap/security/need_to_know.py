"""Need-to-know: which reports a user may see in detail. An agency may
restrict a report to itself (``handling == "restricted"``); the users of
other agencies then never see it in lists, popups or exports."""

import pandas as pd
from flask import has_request_context
from flask_login import current_user

SHARED = "shared"
RESTRICTED = "restricted"
HANDLING_CODES = (SHARED, RESTRICTED)


def visible_mask(reports, agency):
    """Boolean Series: which rows of a reports DataFrame (with ``agency`` and
    ``handling`` columns) a user of ``agency`` may see in detail."""
    if "handling" not in reports.columns:
        return pd.Series(True, index=reports.index)
    return (reports["handling"] != RESTRICTED) | (reports["agency"] == agency)


def visible_reports(reports, agency):
    """The rows of ``reports`` a user of ``agency`` may see in detail: every
    shared report, and the restricted ones of their own agency. Counts
    (hotspots, communes) use every report; lists, popups and exports only
    these."""
    return reports.loc[visible_mask(reports, agency)]


def viewer_agency():
    """The agency of the signed-in user, or ``None`` outside a request."""
    if not has_request_context() or not current_user.is_authenticated:
        return None
    return current_user.agency
