"""``/api/communes``: counts, rates and trend per commune. Other agencies'
restricted reports add to the counts only as ``withheld`` groups of at
least k (see ``webmap.security.need_to_know``).

Counted by the database (GROUP BY insee) whenever it can tell the whole
filter; the pandas path answers the rest (local weekday and hour) with the
same numbers."""

import orjson
from flask import current_app, request

from geo.reference import load_communes
from webmap.api.base import answer_key, bp, cached_answer, check_known, history_reports, json_body, period_end
from webmap.config import agency_codes
from webmap.db import get_session
from webmap.security.need_to_know import viewer_agency
from webmap.services import hotspots as service
from webmap.services.cache import memo
from webmap.services.commune_counts import commune_figures_sql
from webmap.services.filters import parse_filter
from webmap.services.store import ANALYSIS_COLUMNS


def communes_json(figures):
    return {
        "communes": [
            {
                "insee": code,
                "name": row["name"],
                "population": int(row["population"]),
                "count": int(row["count"]),
                "rate_per_1000": round(float(row["rate_per_1000"]), 3),
                "smoothed_rate_per_1000": round(float(row["smoothed_rate_per_1000"]), 3),
                "by_agency": row["by_agency"],
                # The card's trend, from the whole history up to the
                # end of the period.
                "trend": {"recent": int(row["trend_recent"]), "previous": int(row["trend_previous"])},
            }
            for code, row in figures.iterrows()
        ]
    }


@bp.get("/communes")
def communes():
    check_known(request.args)
    report_filter = parse_filter(request.args, known_agencies=agency_codes(current_app.config))
    agency, k = viewer_agency(), current_app.config["NEED_TO_KNOW_K"]

    def in_database():
        figures = commune_figures_sql(get_session(), report_filter, agency, load_communes(), k=k, end=report_filter.end)
        # Empty bytes: the database cannot tell this filter.
        return b"" if figures is None else orjson.dumps(communes_json(figures), option=orjson.OPT_NON_STR_KEYS)

    body = memo(answer_key("communes"), in_database)
    if body:
        return json_body(body)

    def build(frame, params, withheld):
        figures = service.commune_figures(
            frame, load_communes(), history=history_reports(ANALYSIS_COLUMNS), end=period_end(), withheld=withheld
        )
        return communes_json(figures)

    return cached_answer("communes (pandas)", build, columns=ANALYSIS_COLUMNS, withheld=True)
