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

# Commune choropleth: five classes, light to dark (ColorBrewer OrRd); a
# commune without reports stays white.
CHOROPLETH_COLOURS = ("#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000")
CHOROPLETH_ZERO = "#ffffff"
# Operation zones and the drawn zone, as the page draws them.
ZONE_COLOUR = "#1f2a44"
CONVERGENT_COLOUR = "#1a1a1a"


def choropleth_breaks(values):
    """Upper bounds of the first four classes: the quintiles of the
    positive values, taken as the map page takes them (the value at index
    ``floor(q × (n − 1))`` of the sorted values).

    >>> choropleth_breaks([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    [2, 4, 6, 8]
    >>> choropleth_breaks([0, 0])
    [0, 0, 0, 0]
    """
    positive = sorted(v for v in values if v > 0)
    if not positive:
        return [0, 0, 0, 0]
    return [positive[int(q * (len(positive) - 1))] for q in (0.2, 0.4, 0.6, 0.8)]


def choropleth_colour(value, breaks):
    """The fill of a commune whose mapped value is ``value``.

    >>> choropleth_colour(0, [2, 4, 6, 8]), choropleth_colour(5, [2, 4, 6, 8])
    ('#ffffff', '#fc8d59')
    """
    if value <= 0:
        return CHOROPLETH_ZERO
    return CHOROPLETH_COLOURS[sum(1 for b in breaks if value > b)]
