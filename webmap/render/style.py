"""How the map draws things, shared by the page and the snapshots."""

# Agencies are told apart by a symbol as well as a colour, for colour-blind
# readers and black-and-white printouts.
SYMBOLS = ("circle", "square", "triangle", "diamond", "cross", "star")


def agency_styles(agencies):
    """The configured agencies, each with the symbol both the page and the
    snapshots draw it with."""
    return [{**agency, "symbol": SYMBOLS[i % len(SYMBOLS)]} for i, agency in enumerate(agencies)]

# Hotspot outlines by trend status (Okabe & Ito palette).
STATUS_COLOURS = {
    "new": "#D55E00",
    "consecutive": "#E69F00",
    "intensifying": "#CC79A7",
    "persistent": "#0072B2",
    "diminishing": "#56B4E9",
    "sporadic": "#009E73",
    "oscillating": "#F0E442",
    "historical": "#999999",
    "no_pattern": "#bbbbbb",
    # Not one of Esri's classes: a former hotspot silent for months.
    "dormant": "#5a5a5a",
}
