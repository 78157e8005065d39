"""French labels of the stored codes, through the message catalogue."""

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
