"""The codes reports are recorded with. French labels live in the web layer's
message catalogue; these English codes are what the database stores."""

CATEGORIES = ("deal_point", "seizure", "arrest", "tip", "surveillance", "other")

SUBSTANCES = (
    "cannabis_resin",
    "cannabis_herb",
    "cocaine",
    "crack",
    "heroin",
    "synthetic",
    "other",
)

UNITS = ("g", "kg", "plants", "doses", "l")

# Admiralty code: source reliability A (reliable) .. F (cannot be judged),
# information credibility 1 (confirmed) .. 6 (cannot be judged).
RELIABILITIES = tuple("ABCDEF")
CREDIBILITIES = (1, 2, 3, 4, 5, 6)

PRECISIONS = ("point", "address", "commune")
