"""``/api/communes``: counts and rates per commune. Other agencies'
restricted reports add to them only as ``withheld`` groups of at least k
(see ``webmap.security.need_to_know``)."""

from geo.reference import load_communes
from webmap.api.base import bp, cached_answer
from webmap.services import hotspots as service
from webmap.services.store import ANALYSIS_COLUMNS


@bp.get("/communes")
def communes():
    def build(frame, params, withheld):
        figures = service.commune_figures(frame, load_communes(), withheld)
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
                }
                for code, row in figures.iterrows()
            ]
        }

    return cached_answer("communes", build, columns=ANALYSIS_COLUMNS, withheld=True)
