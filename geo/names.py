"""Normalisation of French commune names, so that the ways agencies write a
name all meet on one key.

Agency software writes the same commune as ``"Saint-Dié-des-Vosges"``,
``"ST DIE DES VOSGES"``, ``"St-Dié"`` (which we do *not* expand: a missing
word is a different name) or, for names with an article, ``"La Bresse"`` and
``"Bresse (La)"`` (the INSEE sorting form). :func:`name_key` maps all the
spellings of one name to the same key; :func:`nearest` finds the known keys
a few edits away from a misspelling (rapidfuzz), so the geocoder can suggest, never guess.
"""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

__all__ = ["name_key", "edit_distance", "nearest", "strip_accents", "ARTICLES"]

#: Articles that may lead a commune name, or follow it in brackets.
ARTICLES = ("la", "le", "les", "l")

# Abbreviations agencies use for the leading word of saint names.
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}

_BRACKETED_ARTICLE = re.compile(r"^(?P<name>.*?)\s*\((?P<article>la|le|les|l'?)\)\s*$", re.IGNORECASE)
_NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9]+")


def strip_accents(text: str) -> str:
    """``text`` without accents, ``œ``/``æ`` spelt out.

    >>> strip_accents("Cœur de cannabis résiné")
    'Coeur de cannabis resine'
    """
    # "Œ" and "æ" do not decompose under NFKD; spell them out first.
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def name_key(name: str) -> str:
    """The comparison key of a commune name.

    Lower case, without accents; hyphens, apostrophes and other punctuation
    become single spaces; ``St``/``Ste`` become ``saint``/``sainte``; an
    article given in brackets at the end moves to the front.

    Parameters
    ----------
    name : str
        A commune name as written in a file.

    Returns
    -------
    str
        The key; two spellings of one name share it.

    Examples
    --------
    >>> name_key("Saint-Dié-des-Vosges") == name_key("ST DIE DES VOSGES")
    True
    >>> name_key("Bresse (La)"), name_key("LA BRESSE")
    ('la bresse', 'la bresse')
    >>> name_key("Ste-Marguerite"), name_key("L'Abbaye (sic)")
    ('sainte marguerite', 'l abbaye sic')
    >>> name_key("Abbaye (L')")
    'l abbaye'
    """
    text = name.strip()
    bracketed = _BRACKETED_ARTICLE.match(text)
    if bracketed:
        text = f"{bracketed['article'].rstrip(chr(39))} {bracketed['name']}"
    text = strip_accents(text).lower().replace("’", "'")
    words = _NOT_ALPHANUMERIC.sub(" ", text).split()
    # Anywhere in the name: "Rupt-sur-Moselle" has no "St", "Dombrot-le-Sec"
    # neither, but "Ban-de-Ste-Marie" style names do.
    words = [_ABBREVIATIONS.get(word, word) for word in words]
    return " ".join(words)


def edit_distance(a: str, b: str, limit: int | None = None) -> int:
    """Levenshtein distance between ``a`` and ``b`` (insertions, deletions
    and substitutions each count one), through rapidfuzz.

    Parameters
    ----------
    a, b : str
    limit : int, optional
        Return ``limit + 1`` as soon as the distance is known to exceed
        ``limit``: callers only care about small distances.

    Returns
    -------
    int

    Examples
    --------
    >>> edit_distance("epinal", "epinla")
    2
    >>> edit_distance("remiremont", "remiremont")
    0
    >>> edit_distance("gerardmer", "nancy", limit=2)
    3
    """
    return Levenshtein.distance(a, b, score_cutoff=limit)


def nearest(key: str, keys, *, max_distance: int, limit: int = 5) -> list[tuple[str, int]]:
    """The known keys within ``max_distance`` edits of ``key``, nearest first.

    One rapidfuzz call over all ``keys`` (C speed): the geocoder compares a
    misspelt name with some 3,500 commune keys.

    Parameters
    ----------
    key : str
        A :func:`name_key`.
    keys : iterable of str
        The known keys.
    max_distance : int
    limit : int, default 5

    Returns
    -------
    list of (str, int)
        ``(known key, distance)``, by distance then key.

    Examples
    --------
    >>> nearest("epinla", ["epinal", "remiremont", "epina"], max_distance=2)
    [('epina', 1), ('epinal', 2)]
    """
    found = process.extract(key, list(keys), scorer=Levenshtein.distance, score_cutoff=max_distance, limit=None)
    return sorted(((choice, int(distance)) for choice, distance, _ in found), key=lambda pair: (pair[1], pair[0]))[
        :limit
    ]
