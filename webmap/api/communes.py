"""``/api/communes``: counts, rates and trend per commune. Other agencies'
restricted reports add to the counts only as ``withheld`` groups of at
least k (see ``webmap.security.need_to_know``).

Counted by the database (GROUP BY insee) whenever it can tell the whole
filter; the pandas path answers the rest (local weekday and hour) with the
same numbers."""

import orjson
from flask import current_app, request

from geo.reference import load_communes
from webmap.api.base import (
    bp,
    cached_answer,
    check_known,
    cluster_params,
    history_reports,
    json_body,
    period_end,
    shared_answer,
)
from webmap.config import agency_codes
from webmap.db import get_session
from webmap.security.need_to_know import viewer_agency
from webmap.services import hotspots as service
from webmap.services.commune_counts import commune_figures_sql
from webmap.services.filters import parse_filter
from webmap.services.store import ANALYSIS_COLUMNS


def communes_json(figures):
    # Whole columns to Python lists first: a row at a time (iterrows) cost
    # more than counting the reports.
    columns = {
        "insee": figures.index.tolist(),
        "name": figures["name"].tolist(),
        "population": figures["population"].astype("int64").tolist(),
        "count": figures["count"].astype("int64").tolist(),
        "rate": [round(v, 3) for v in figures["rate_per_1000"].astype(float).tolist()],
        "smoothed": [round(v, 3) for v in figures["smoothed_rate_per_1000"].astype(float).tolist()],
        "by_agency": figures["by_agency"].tolist(),
        "recent": figures["trend_recent"].astype("int64").tolist(),
        "previous": figures["trend_previous"].astype("int64").tolist(),
    }
    return {
        "communes": [
            {
                "insee": insee,
                "name": name,
                "population": population,
                "count": count,
                "rate_per_1000": rate,
                "smoothed_rate_per_1000": smoothed,
                "by_agency": by_agency,
                # The card's trend, from the whole history up to the
                # end of the period.
                "trend": {"recent": recent, "previous": previous},
            }
            for insee, name, population, count, rate, smoothed, by_agency, recent, previous in zip(*columns.values())
        ]
    }


@bp.get("/communes")
def communes():
    check_known(request.args)
    cluster_params()  # not read here, but a bad one is a 400 on every route
    report_filter = parse_filter(request.args, known_agencies=agency_codes(current_app.config))
    agency, k = viewer_agency(), current_app.config["NEED_TO_KNOW_K"]

    def in_database():
        figures = commune_figures_sql(get_session(), report_filter, agency, load_communes(), k=k, end=report_filter.end)
        # Empty bytes: the database cannot tell this filter.
        return b"" if figures is None else orjson.dumps(communes_json(figures), option=orjson.OPT_NON_STR_KEYS)

    body = shared_answer("communes", in_database)
    if body:
        return json_body(body)

    def build(frame, params, withheld):
        figures = service.commune_figures(
            frame, load_communes(), history=history_reports(ANALYSIS_COLUMNS), end=period_end(), withheld=withheld
        )
        return communes_json(figures)

    return cached_answer("communes (pandas)", build, columns=ANALYSIS_COLUMNS, withheld=True)
