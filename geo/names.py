"""Normalisation of French commune names, so that the ways agencies write a
name all meet on one key.

Agency software writes the same commune as ``"Saint-Dié-des-Vosges"``,
``"ST DIE DES VOSGES"``, ``"St-Dié"`` (which we do *not* expand: a missing
word is a different name) or, for names with an article, ``"La Bresse"`` and
``"Bresse (La)"`` (the INSEE sorting form). :func:`name_key` maps all the
spellings of one name to the same key; :func:`edit_distance` measures how far
a misspelling is from a known key, so the geocoder can suggest, never guess.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["name_key", "edit_distance", "ARTICLES"]

#: Articles that may lead a commune name, or follow it in brackets.
ARTICLES = ("la", "le", "les", "l")

# Abbreviations agencies use for the leading word of saint names.
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}

_BRACKETED_ARTICLE = re.compile(r"^(?P<name>.*?)\s*\((?P<article>la|le|les|l'?)\)\s*$", re.IGNORECASE)
_NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9]+")


def _strip_accents(text: str) -> str:
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
    text = _strip_accents(text).lower().replace("’", "'")
    words = _NOT_ALPHANUMERIC.sub(" ", text).split()
    # Anywhere in the name: "Rupt-sur-Moselle" has no "St", "Dombrot-le-Sec"
    # neither, but "Ban-de-Ste-Marie" style names do.
    words = [_ABBREVIATIONS.get(word, word) for word in words]
    return " ".join(words)


def edit_distance(a: str, b: str, limit: int | None = None) -> int:
    """Levenshtein distance between ``a`` and ``b`` (insertions, deletions
    and substitutions each count one).

    Parameters
    ----------
    a, b : str
    limit : int, optional
        Stop early and return ``limit + 1`` as soon as the distance is known
        to exceed ``limit``: the geocoder only cares about small distances
        and compares a name with thousands of keys.

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
    if limit is not None and abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        if limit is not None and min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]
