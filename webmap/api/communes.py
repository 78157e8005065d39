"""``/api/communes``: counts, rates and trend per commune. Other agencies'
restricted reports add to the counts only as ``withheld`` groups of at
least k (see ``webmap.security.need_to_know``)."""

from geo.reference import load_communes
from webmap.api.base import bp, cached_answer, history_reports, period_end
from webmap.services import hotspots as service
from webmap.services.store import ANALYSIS_COLUMNS


@bp.get("/communes")
def communes():
    def build(frame, params, withheld):
        figures = service.commune_figures(
            frame, load_communes(), history=history_reports(ANALYSIS_COLUMNS), end=period_end(), withheld=withheld
        )
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

    return cached_answer("communes", build, columns=ANALYSIS_COLUMNS, withheld=True)
