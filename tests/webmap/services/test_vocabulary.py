"""Free wording of products and categories matched by meaning: property
tests over spellings, and the wordings that must not be guessed."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.vocabulary import CATEGORIES, SUBSTANCES, Vocabulary, tokens
from webmap.services.importer.columns import CATEGORY_WORDS, SUBSTANCE_WORDS, VOCABULARIES, vocabularies

SUBSTANCE_PHRASES = [(code, phrase) for code, phrases in SUBSTANCE_WORDS.items() for phrase in phrases]
CATEGORY_PHRASES = [(code, phrase) for code, phrases in CATEGORY_WORDS.items() for phrase in phrases]
ACCENTS = str.maketrans("eEaAiIoOuUcC", "éÉàÀïÏôÔùÙçÇ")


@st.composite
def respelt(draw, phrases):
    """A known phrase as someone else might type it: case, accents, word
    order, small words, brackets, plural, punctuation."""
    code, phrase = draw(st.sampled_from(phrases))
    words = phrase.split()
    rng = random.Random(draw(st.integers(0, 2**32)))
    rng.shuffle(words)
    if len(words) > 1 and draw(st.booleans()):
        words = [words[0], f"({' '.join(words[1:])})"]
    if draw(st.booleans()):
        words.insert(rng.randrange(len(words) + 1), rng.choice(["de", "la", "des", "du"]))
    text = " ".join(words)
    if draw(st.booleans()):
        text = text.upper()
    if draw(st.booleans()):
        text = text.translate(str.maketrans("éèêàïôùç", "eeeaiouc"))
    if draw(st.booleans()) and text[-1:].isalpha() and text[-1:].lower() not in "sx" and len(words[-1]) > 3:
        text += "x" if text.lower().endswith(("au", "eu", "ou")) else "s"
    text = draw(st.sampled_from(["{}", " {} ", "{}.", "-{}-", "« {} »"])).format(text)
    return code, phrase, text


@settings(max_examples=400, deadline=None)
@given(respelt(SUBSTANCE_PHRASES))
def test_substance_respelt_keeps_its_meaning(case):
    code, phrase, text = case
    match = VOCABULARIES["substances"].match(text)
    assert match is not None and match.code == code, (phrase, text)
    assert match.exact, (phrase, text)


@settings(max_examples=300, deadline=None)
@given(respelt(CATEGORY_PHRASES))
def test_category_respelt_keeps_its_meaning(case):
    code, phrase, text = case
    match = VOCABULARIES["category"].match(text)
    assert match is not None and match.code == code and match.exact, (phrase, text)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=30))
def test_any_wording_is_a_known_code_or_nothing(text):
    match = VOCABULARIES["substances"].match(text)
    assert match is None or match.code in SUBSTANCES
    assert all(
        label in {words[0] for words in SUBSTANCE_WORDS.values()} for label in VOCABULARIES["substances"].suggest(text)
    )


@pytest.mark.parametrize(
    "text, code",
    [
        ("Cannabis résine", "cannabis_resin"),
        ("Résine de cannabis", "cannabis_resin"),
        ("Cannabis (résine)", "cannabis_resin"),
        ("résine", "cannabis_resin"),
        ("shit", "cannabis_resin"),
        ("hasch", "cannabis_resin"),
        ("pollen", "cannabis_resin"),
        ("Herbe", "cannabis_herb"),
        ("cannabis herbe", "cannabis_herb"),
        ("cocaïne base", "crack"),
        ("ecstasy", "synthetic"),
        ("MDMA", "synthetic"),
        ("Héroïne", "heroin"),
    ],
)
def test_real_file_wordings(text, code):
    match = VOCABULARIES["substances"].match(text)
    assert (match.code, match.exact) == (code, True)


def test_approximate_readings_say_so():
    partial = VOCABULARIES["substances"].match("résine de cannabis marocaine")
    assert (partial.code, partial.exact, partial.how) == ("cannabis_resin", False, "partial")
    typo = VOCABULARIES["substances"].match("Cocaïnne")
    assert (typo.code, typo.exact, typo.how) == ("cocaine", False, "typo")


def test_trafic_is_trafficking_not_a_deal_point():
    assert "trafficking" in CATEGORIES
    match = VOCABULARIES["category"].match("Trafic")
    assert (match.code, match.exact) == ("trafficking", True)
    assert VOCABULARIES["category"].match("Point de deal").code == "deal_point"


@pytest.mark.parametrize("text", ["cannabis", "stupéfiant", "xyz", "résine et herbe de cannabis"])
def test_what_cannot_be_told_is_not_guessed(text):
    assert VOCABULARIES["substances"].match(text) is None


def test_unknown_wording_gets_the_nearest_known_values():
    assert VOCABULARIES["substances"].suggest("cannabis")[:2] == ["Herbe de cannabis", "Résine de cannabis"]
    assert VOCABULARIES["substances"].suggest("cocane")[0] == "Cocaïne"


def test_synonyms_are_configuration():
    configured = vocabularies({"substances": {"came": "heroin", "Beuh de la cité": "cannabis_herb"}})
    assert configured["substances"].match("CAME").code == "heroin"
    assert VOCABULARIES["substances"].match("came") is None
    with pytest.raises(ValueError, match="unknown code"):
        Vocabulary({"a": ("A",)}, {"b": "nope"})
    with pytest.raises(ValueError, match="unknown fields"):
        vocabularies({"colour": {}})


def test_tokens_ignore_order_case_accents_brackets_plural():
    assert tokens("Résines (Cannabis)") == tokens("cannabis résine") == ("cannabis", "resine")
