"""The codes reports are recorded with, and how free wording meets them.

French labels live in the web layer's message catalogue; these English codes
are what the database stores. Agencies do not write codes: they write
"Résine de cannabis", "cannabis résine", "Cannabis (résine)", "shit",
"Herbe"… :class:`Vocabulary` matches such wording to a code by meaning:

1. the wording is reduced to its *meaningful tokens* (:func:`tokens`): case,
   accents, punctuation, parentheses, small words ("de", "la"…), plurals and
   word order do not matter, so all the spellings above meet on one key;
2. a key equal to the key of a known phrase or of a configured synonym is an
   **exact** match;
3. otherwise, when the wording contains every token of known phrases of one
   single code ("résine de cannabis marocaine"), or is one or two typing
   errors away from one ("cocaïnne"), it is an **approximate** match, which
   the import preview shows as such;
4. otherwise the value is unknown and :meth:`Vocabulary.suggest` gives the
   nearest known phrases (rapidfuzz), never a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from geo.names import strip_accents

__all__ = [
    "CATEGORIES",
    "SUBSTANCES",
    "UNITS",
    "RELIABILITIES",
    "CREDIBILITIES",
    "PRECISIONS",
    "STOPWORDS",
    "tokens",
    "Match",
    "Vocabulary",
]

# "trafficking" comes last so that the seeded demo data, which weights the
# first six codes, stays the same. It is its own code rather than a spelling
# of "deal_point": a trafficking case (network, go-fast, importation) is not
# a place where drugs are sold, and counting it as one would plant false deal
# points in the hotspot analysis.
CATEGORIES = ("deal_point", "seizure", "arrest", "tip", "surveillance", "other", "trafficking")

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

#: Words that carry no meaning in a product or category name.
STOPWORDS = frozenset({"de", "du", "des", "d", "la", "le", "les", "l", "un", "une", "en", "a", "au", "aux"})

#: Two keys this similar (rapidfuzz ratio, 0-100) are taken for one typing
#: error apart; below, only a suggestion.
FUZZY_MIN_RATIO = 88
#: ... and never more than this many edits apart.
FUZZY_MAX_EDITS = 2

_NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9]+")


def _singular(word: str) -> str:
    # French plurals in -s and -x ("résines", "pieds", "cheveux"); short
    # words ("gr", "kg", "lsd") are left alone.
    # Words in -is, -us, -ss are the same in both numbers ("cannabis").
    if len(word) > 3 and word[-1] in "sx" and not word.endswith(("ss", "is", "us")):
        return word[:-1]
    return word


def tokens(text: str) -> tuple[str, ...]:
    """The meaningful tokens of a wording, sorted: its comparison key.

    Parameters
    ----------
    text : str

    Returns
    -------
    tuple of str
        Lower case, without accents, punctuation or parentheses, without
        :data:`STOPWORDS`, singular, in alphabetical order (word order does
        not matter). Empty when nothing meaningful is left.

    Examples
    --------
    >>> tokens("Résine de cannabis") == tokens("cannabis (RÉSINE)") == tokens("Cannabis résines")
    True
    >>> tokens("Point de deal")
    ('deal', 'point')
    >>> tokens("  de la  "), tokens("L")
    ((), ('l',))
    """
    text = strip_accents(str(text)).lower().replace("’", "'")
    words = _NOT_ALPHANUMERIC.sub(" ", text).split()
    # A wording made only of small words keeps them: "l" is the litre.
    meaningful = [word for word in words if word not in STOPWORDS] or (words if len(words) == 1 else [])
    return tuple(sorted({_singular(word) for word in meaningful}))


@dataclass(frozen=True)
class Match:
    """How one wording was read.

    ``code`` is the stored code; ``exact`` is False for an approximate
    reading (``how`` then says which: ``"partial"`` when the wording holds
    every word of a known phrase and more, ``"typo"`` when it is a typing
    error or two away from one); ``phrase`` is the known phrase it was read
    as.
    """

    code: str
    exact: bool
    how: str
    phrase: str


class Vocabulary:
    """Known phrases of each code, matched by meaning.

    Parameters
    ----------
    words_by_code : dict
        ``{code: (phrase, ...)}``; the first phrase of a code is its label.
        The code itself is a known phrase too.
    synonyms : dict, optional
        ``{wording: code}`` added to the known phrases (configuration: a
        cell's own jargon, "beuh", "came"…).

    Examples
    --------
    >>> substances = Vocabulary({"cannabis_resin": ("Résine de cannabis", "shit"),
    ...                          "cannabis_herb": ("Herbe de cannabis", "herbe")})
    >>> substances.match("Cannabis (résine)")
    Match(code='cannabis_resin', exact=True, how='exact', phrase='Résine de cannabis')
    >>> substances.match("résine de cannabis afghane").how
    'partial'
    >>> substances.match("Herbbe").code
    'cannabis_herb'
    >>> substances.match("cannabis") is None  # resin or herb: not for us to guess
    True
    >>> substances.suggest("cannabis")
    ['Herbe de cannabis', 'Résine de cannabis']
    """

    def __init__(self, words_by_code: dict, synonyms: dict | None = None):
        self.labels = {code: (words[0] if words else code) for code, words in words_by_code.items()}
        phrases = [(code, phrase) for code, words in words_by_code.items() for phrase in (*words, code)]
        for wording, code in (synonyms or {}).items():
            if code not in self.labels:
                raise ValueError(f"Synonym {wording!r} names the unknown code {code!r}.")
            phrases.append((code, wording))
        self._by_key: dict[tuple, tuple[str, str]] = {}
        for code, phrase in phrases:
            key = tokens(phrase)
            if key and key not in self._by_key:
                self._by_key[key] = (code, phrase)
        self._keys = list(self._by_key)
        self._key_texts = [" ".join(key) for key in self._keys]
        self._cache: dict[str, Match | None] = {}

    def match(self, text: str) -> Match | None:
        """The code ``text`` means, or ``None`` when it cannot be told.

        Parameters
        ----------
        text : str

        Returns
        -------
        Match or None
        """
        try:
            return self._cache[text]
        except KeyError:
            pass
        found = self._match(text)
        if len(self._cache) < 100_000:
            self._cache[text] = found
        return found

    def _match(self, text: str) -> Match | None:
        key = tokens(text)
        if not key:
            return None
        if key in self._by_key:
            code, phrase = self._by_key[key]
            return Match(code, True, "exact", phrase)
        words = set(key)
        # Known phrases all of whose words the wording holds; the longest
        # decides ("résine de cannabis" over "cannabis" were both known).
        contained = [known for known in self._keys if set(known) < words]
        if contained:
            longest = max(len(known) for known in contained)
            codes = {self._by_key[known][0] for known in contained if len(known) == longest}
            if len(codes) == 1:
                known = min(k for k in contained if len(k) == longest)
                code, phrase = self._by_key[known]
                return Match(code, False, "partial", phrase)
            return None
        text_key = " ".join(key)
        near = process.extract(text_key, self._key_texts, scorer=fuzz.ratio, score_cutoff=FUZZY_MIN_RATIO, limit=None)
        near = [
            (choice, score, index)
            for choice, score, index in near
            if Levenshtein.distance(text_key, choice) <= FUZZY_MAX_EDITS
        ]
        if near:
            top = max(score for _, score, _ in near)
            best = [index for _, score, index in near if score == top]
            # Two known phrases of different codes equally near: no guess.
            if len({self._by_key[self._keys[index]][0] for index in best}) == 1:
                code, phrase = self._by_key[self._keys[best[0]]]
                return Match(code, False, "typo", phrase)
        return None

    def suggest(self, text: str, limit: int = 3) -> list[str]:
        """The labels of the codes nearest to ``text``, nearest first.

        Parameters
        ----------
        text : str
        limit : int, default 3

        Returns
        -------
        list of str
            Labels (first phrases) of distinct codes; empty when nothing
            comes near.
        """
        text_key = " ".join(tokens(text))
        if not text_key:
            return []
        scored = process.extract(text_key, self._key_texts, scorer=fuzz.WRatio, limit=None, score_cutoff=70)
        best: dict[str, float] = {}
        for _, score, index in scored:
            code = self._by_key[self._keys[index]][0]
            best[code] = max(best.get(code, 0.0), score)
        ranked = sorted(best, key=lambda code: (-best[code], self.labels[code]))
        return [self.labels[code] for code in ranked[:limit]]
