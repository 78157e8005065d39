"""French labels of the stored codes, through the message catalogue."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

CATEGORY_LABELS = {
    "deal_point": _l("Deal point"),
    "seizure": _l("Seizure"),
    "arrest": _l("Arrest"),
    "tip": _l("Tip"),
    "surveillance": _l("Surveillance"),
    "other": _l("Other"),
    "trafficking": _l("Trafficking"),
}

SUBSTANCE_LABELS = {
    "cannabis_resin": _l("Cannabis resin"),
    "cannabis_herb": _l("Cannabis herb"),
    "cocaine": _l("Cocaine"),
    "crack": _l("Crack"),
    "heroin": _l("Heroin"),
    "synthetic": _l("Synthetic drugs"),
    "other": _l("Other"),
}

PRECISION_LABELS = {
    "point": _l("Exact point"),
    "address": _l("Address"),
    "commune": _l("Commune only"),
}


def backtest_sentence(means):
    """The forecasting backtest (``webmap.hotspot_service.backtest_summary``)
    in one French sentence, for the hotspots panel and the briefing pack."""
    return _(
        "The hotspots of the last %(train)d weeks caught %(hits)s of the reports of the following %(horizon)d weeks "
        "on %(area)s of the territory.",
        train=means["train_weeks"],
        horizon=means["horizon_weeks"],
        hits=percent(means["hit_rate_dbscan"], 0),
        area=percent(means["area_share"], 2),
    )


def percent(share, decimals):
    """A share as a French percentage: ``percent(0.299, 0)`` is "30 %"
    (narrow no-break space); a tiny share keeps a significant digit."""
    while decimals < 4 and 0 < 100 * share < 10**-decimals:
        decimals += 1
    return f"{100 * share:.{decimals}f}".replace(".", ",") + "\u202f%"
