"""Mapping stage: give mentions identity - merge them into entities with stable keys.

Inside an article, mentions of one thing are merged:

* a person's surname (or first name + surname) with the full name seen elsewhere in the
  article ("Vallerani" -> "Angelo Vallerani");
* an acronym with its expansion ("ASI" <-> "Agenzia Spaziale Italiana"), from the domain
  gazetteer's canonical names or from a written "Expansion (ACRONYM)" pair;
* a name with and without a generic head or legal form ("Aerea" / "Aerea spa",
  "Cluster Aéro Montréal" / "Aéro Montréal").

The entity key depends only on the coarse type and the normalised canonical name, so the
same entity gets the same key (and IRI) in every article and every run.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pipeline.mapping.vocab import label_text, slugify

_LEGAL_FORMS = {"spa", "s.p.a.", "s.p.a", "srl", "s.r.l.", "s.r.l", "inc", "inc.", "ltd", "ltd.",
                "sa", "s.a.", "ag", "gmbh", "plc", "llc", "corp", "corp.", "co.", "scarl"}
_GENERIC_PREFIXES = ("cluster ", "distretto ", "gruppo ", "società ", "azienda ")
_ARTICLE = re.compile(r"^(?:(?:il|lo|la|i|gli|le)\s+|l['’]\s*)", re.IGNORECASE)


def strip_article(text: str) -> str:
    """A name without its leading Italian article ("il Québec" -> "Québec", "l'ASI" -> "ASI")."""
    return _ARTICLE.sub("", text.strip()).strip()


@lru_cache(maxsize=65536)
def normalise_name(name: str) -> str:
    """Case-, accent- and punctuation-insensitive form of a name, for matching mentions.

    >>> normalise_name("  L'Agenzia  Spaziale Italiana ")
    'agenzia spaziale italiana'
    >>> normalise_name("Aéro Montréal") == normalise_name("Aero Montreal")
    True
    """
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = text.replace("’", "'")
    text = _ARTICLE.sub("", text.strip())
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


_LEGAL_FORM_WORDS = frozenset(form.replace(".", "") for form in _LEGAL_FORMS)


@lru_cache(maxsize=65536)
def core_name(name: str) -> str:
    """The normalised name without legal form or generic head ("Aerea spa" -> "aerea").
    Cached: entity resolution compares each mention's name with every group's, so it asks for
    the same few names again and again.

    >>> core_name("Aerea S.p.A."), core_name("Distretto Aerospaziale Pugliese")
    ('aerea', 'aerospaziale pugliese')
    """
    words = normalise_name(name.replace(".", "")).split()
    while len(words) > 1 and words[-1] in _LEGAL_FORM_WORDS:
        words.pop()
    core = " ".join(words)
    for prefix in _GENERIC_PREFIXES:
        if core.startswith(prefix) and len(core) > len(prefix) + 2:
            core = core[len(prefix):]
    return core


def entity_key(coarse: str, canonical: str) -> str:
    """Stable identity key: coarse type + slug of the accent-folded canonical name; for
    organisations without legal form or generic head, so spellings of one name meet.

    >>> entity_key("Organization", "Cluster Aéro Montréal")
    'org/aero-montreal'
    >>> entity_key("Organization", "Aerea S.p.A.") == entity_key("Organization", "Aerea spa")
    True

    A name of symbols or emoji only ("🚀", "!!!"), which normalises to nothing, is keyed by
    its :func:`symbol_name`, so it still gets a stable key of its own. The slug is bounded
    (``vocab.slugify``): a 10,000-character name gives a key of under 100 characters.

    >>> entity_key("Person", "🚀")
    'person/%F0%9F%9A%80'
    """
    prefix = {"Person": "person", "Organization": "org", "Place": "place", "Event": "event"}[coarse]
    name = core_name(canonical) if coarse == "Organization" else normalise_name(canonical)
    return f"{prefix}/{slugify(name or normalise_name(canonical) or symbol_name(canonical))}"


def symbol_name(name: str) -> str:
    """The identity of a name that :func:`normalise_name` leaves empty (emoji, symbols,
    punctuation): NFC, case-folded, without control and bidi characters, whitespace collapsed.

    >>> symbol_name("  🚀 \u202e🛰️ ")
    '🚀 🛰️'
    """
    return " ".join(label_text(unicodedata.normalize("NFC", name)).casefold().split())


def acronym_of(name: str) -> str:
    """Initials of the capitalised words of a name ("Agenzia Spaziale Italiana" -> "ASI")."""
    words = [w for w in re.split(r"[\s\-]+", name) if w]
    return "".join(w[0] for w in words if w[0].isupper())


def same_person(short: str, full: str) -> bool:
    """Does ``short`` name the person ``full`` ("Vallerani" / "Angelo Vallerani",
    "Benoît" / "Suzanne M. Benoît")?"""
    s, f = normalise_name(short).split(), normalise_name(full).split()
    if not s or len(s) >= len(f):
        return False
    return f[-len(s):] == s or (len(s) == 1 and s[0] == f[-1])
