"""Relation rule ``partnerships``: a cooperation, partnership or agreement between two parties.

Output: :class:`Relation` of kind ``PARTNERSHIP`` with ``party_a`` and ``party_b`` (ORG or LOC
mentions; the pair is unordered). Only named parties: a plural common noun ("i due cluster")
is resolved here, from the article's mentions of that class, when exactly two exist.

Constructions:

* ``tra``       cue noun + tra/fra + X e Y: "accordo tra ASI e NASA", "la collaborazione fra
                Regione Lombardia e Québec", "memorandum d'intesa tra X e Y";
* ``due``       cue noun + tra/di + "i due <class noun>": "l'avvicinamento dei due cluster
                aerospaziali", "cooperazione tra le due agenzie";
* ``signed``    X e Y + signing verb + cue noun: "X e Y hanno firmato un accordo";
                "X e Y collaborano / hanno collaborato";
* ``con``       X + signing verb + cue noun + con Y: "X ha siglato un accordo con Y";
                "X collabora con Y"; "X, in collaborazione con Y"; "l'accordo di X con Y";
* ``partner``   "X è il partner (naturale) di Y", "X, storico alleato di Y".
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from spacy.tokens import Doc, Span

from pipeline.datamodel import ORGANIZATION, PLACE, Mention, Relation, RelationKind
from pipeline.nlp.relations.context import ExtractionContext
from pipeline.nlp.relations.doc_index import tokens, tokens_with
from pipeline.nlp.relations.roles import (
    CON,
    CONJ,
    DET,
    DI,
    TRA,
    Mentions,
    is_plain_adj,
    lexicon,
    make_relation,
    norm,
    sentence_bounds,
)

PARTY_COARSE = (ORGANIZATION, PLACE)
SIGNED_AUX = frozenset({"hanno", "ha", "avevano", "aveva", "avranno", "avrà", "stanno",
                        "sta", "potrebbero", "potrebbe", "dovrebbero", "dovrebbe", "intendono",
                        "intende", "vogliono", "vuole", "possono", "può"})
NOUN_LINK = frozenset({"di", "d'", "per", "sulla", "sul", "nel", "nella", "quadro",
                       "commerciale", "commerciali", "industriale", "strategica", "strategico",
                       "strategici", "bilaterale", "tecnica", "tecnico", "scientifica",
                       "scientifico", "spaziale", "internazionale", "reciproca", "nuovo", "nuova",
                       "stretta", "storica", "storico", "importante", "possibile", "concreta",
                       "firmato", "firmata", "siglato", "siglata", "sottoscritto",
                       "sottoscritta", "raggiunto", "raggiunta", "stipulato", "stipulata",
                       "ieri", "oggi"})
PARTNER_ADJ = frozenset({"naturale", "storico", "storica", "strategico", "strategica",
                         "principale", "privilegiato", "privilegiata", "fedele", "stretto",
                         "stretta", "tradizionale", "primo", "prima", "grande", "nuovo",
                         "nuova", "industriale", "commerciale", "ideale"})


NEGATION = frozenset({"non", "mai", "né", "nessun", "nessuna", "nessuno", "senza", "mancato",
                      "mancata", "rottura", "fine", "sospensione", "stop", "revoca", "contro",
                      "niente", "alcun", "alcuna", "annullamento", "disdetta", "fallimento"})


def _negated(doc: Doc, i: int, lo: int, window: int = 4) -> bool:
    """A negation or a breaking-off word among the ``window`` tokens before ``i``."""
    return any(norm(t) in NEGATION for t in doc[max(lo, i - window):i])


@dataclass
class _Part:
    a: Mention
    b: Mention
    confidence: float
    rule: str
    token: int


@lru_cache(maxsize=1)
def _cue_nouns() -> frozenset[str]:
    return frozenset(lexicon()["partnership_nouns"])


@lru_cache(maxsize=1)
def _cue_first_words() -> frozenset[str]:
    return frozenset(cue.split()[0] for cue in _cue_nouns())


def _cue_at(doc: Doc, i: int) -> int | None:
    """End index of a cue noun (possibly two words, "joint venture") at ``i``."""
    first = norm(doc[i])
    if first not in _cue_first_words():
        return None
    cues = _cue_nouns()
    if i + 1 < len(doc) and f"{first} {norm(doc[i + 1])}" in cues:
        return i + 2
    if first in cues:
        return i + 1
    return None


def _skip_noun_link(doc: Doc, i: int, hi: int) -> int:
    """Skip "di cooperazione", "commerciale", "d'intesa" after a cue noun."""
    steps = 0
    while i < hi and steps < 4:
        t = norm(doc[i])
        if t in NOUN_LINK or _cue_at(doc, i) is not None or (is_plain_adj(doc[i])):
            i += 1
            steps += 1
            continue
        break
    return i


def _party(mentions: Mentions, i: int, doc: Doc, hi: int) -> Span | None:
    if i < hi and norm(doc[i]) in DET:
        i += 1
    span = mentions.starting(i)
    if span is not None and mentions.coarse(span) in PARTY_COARSE:
        return span
    return None


def _pair_after(doc: Doc, mentions: Mentions, i: int, hi: int) -> tuple[Span, Span] | None:
    """"X e Y" starting at ``i``."""
    a = _party(mentions, i, doc, hi)
    if a is None:
        return None
    j = a.end
    if j >= hi or norm(doc[j]) not in CONJ:
        return None
    j += 1
    if j < hi and norm(doc[j]) in DI:  # "tra X e della Y"
        j += 1
    b = _party(mentions, j, doc, hi)
    if b is None:
        return None
    # "tra X, Y e Z": three parties are not a pair
    if b.end < hi and norm(doc[b.end]) in CONJ and _party(mentions, b.end + 1, doc, hi):
        return None
    return a, b


def _class_of(mention: Mention, text: str) -> str:
    if mention.cls:
        return mention.cls
    from pipeline.nlp.gazetteer import lookup

    found = lookup(mention.canonical or text)
    if found:
        return found[0]
    low = text.lower()
    if "cluster" in low or "distretto" in low:
        return "Cluster"
    if "agenzia" in low or "agency" in low:
        return "Agency"
    if "università" in low or "politecnico" in low or "university" in low:
        return "University"
    return ""


def _two_of_class(doc: Doc, mentions: Mentions, cls: str) -> tuple[Mention, Mention] | None:
    """The article's two distinct named entities of a class, if there are exactly two."""
    seen: list[tuple[str, Mention]] = []
    for span in mentions.spans:
        mention = mentions.mention(span)
        if mentions.coarse(span) not in PARTY_COARSE or _class_of(mention, span.text) != cls:
            continue
        name = (mention.canonical or span.text).lower()
        if any(name == n or name in n or n in name for n, _ in seen):
            continue
        seen.append((name, mention))
    if len(seen) == 2:
        return seen[0][1], seen[1][1]
    return None


def _tra(doc: Doc, mentions: Mentions) -> Iterator[_Part]:
    """"accordo (di cooperazione) tra X e Y", "avvicinamento dei due cluster"."""
    plural_classes = lexicon()["plural_class_nouns"]
    for tok in tokens_with(doc, norm, _cue_first_words()):
        end = _cue_at(doc, tok.i)
        if end is None:
            continue
        lo, hi = sentence_bounds(doc, tok.i)
        i = _skip_noun_link(doc, end, hi)
        if i >= hi or _negated(doc, tok.i, lo, 3):
            continue
        t = norm(doc[i])
        if t in TRA:
            pair = _pair_after(doc, mentions, i + 1, hi)
            if pair is not None:
                yield _Part(mentions.mention(pair[0]), mentions.mention(pair[1]), 0.8, "tra",
                            tok.i)
                continue
        if t in TRA or t in DI:
            j = i + 1
            if j < hi and norm(doc[j]) in DET:
                j += 1
            if j + 1 < hi and norm(doc[j]) in {"due", "2"}:
                cls = plural_classes.get(norm(doc[j + 1]))
                if cls:
                    two = _two_of_class(doc, mentions, cls)
                    if two is not None:
                        yield _Part(two[0], two[1], 0.6, "due", tok.i)


def _between_verb_and_object(doc: Doc, mentions: Mentions, k: int, hi: int) -> bool:
    """Tokens that may stand between a signing verb and its object: determiners, adjectives,
    adverbs ("ieri") and a place ("hanno firmato ieri a Roma un accordo")."""
    tok = doc[k]
    if norm(tok) in DET or is_plain_adj(tok) or tok.pos_ == "ADV":
        return True
    if norm(tok) in {"a", "ad", "in", "presso"} and k + 1 < hi:
        return mentions.coarse(mentions.at(k + 1)) == PLACE
    return mentions.coarse(mentions.at(k)) == PLACE


def _signed(doc: Doc, mentions: Mentions) -> Iterator[_Part]:
    """"X e Y hanno firmato un accordo", "X e Y collaborano", "X ha siglato un accordo con Y",
    "X collabora con Y"."""
    signing = set(lexicon()["signing_verbs"])
    coop_verbs = set(lexicon()["partnership_verbs"])
    for tok in tokens(doc):
        lemma = tok.lemma_.lower()
        t = norm(tok)
        is_sign = lemma in signing and tok.pos_ in {"VERB", "AUX"}
        is_coop = t in coop_verbs or lemma in {"collaborare", "cooperare"}
        if not (is_sign or is_coop):
            continue
        lo, hi = sentence_bounds(doc, tok.i)
        if _negated(doc, tok.i, lo):
            continue
        # the object of a signing verb must be a cue noun: "firmato un accordo"
        after = tok.i + 1
        if is_sign:
            k = after
            while k < hi and k - after < 6 and _between_verb_and_object(doc, mentions, k, hi):
                k += 1
            end = _cue_at(doc, k) if k < hi else None
            if end is None:
                continue
            after = _skip_noun_link(doc, end, hi)
        # subject(s) before the verb
        k = tok.i - 1
        steps = 0
        while k >= lo and steps < 4 and (norm(doc[k]) in SIGNED_AUX or doc[k].pos_ in {
                "AUX", "ADV"} or norm(doc[k]) in {"già", "ieri", "oggi", "insieme"}):
            if mentions.at(k) is not None:
                break
            k -= 1
            steps += 1
        subjects = _coordinated_before(doc, mentions, k, lo)
        # partner after: "con Y"
        partner = None
        if after < hi and norm(doc[after]) in CON:
            partner = _party(mentions, after + 1, doc, hi)
        if len(subjects) == 2 and partner is None:
            yield _Part(mentions.mention(subjects[0]), mentions.mention(subjects[1]), 0.75,
                        "signed", tok.i)
        elif len(subjects) == 1 and partner is not None:
            yield _Part(mentions.mention(subjects[0]), mentions.mention(partner), 0.75, "con",
                        tok.i)


def _coordinated_before(doc: Doc, mentions: Mentions, i: int, lo: int) -> list[Span]:
    """"X e Y" ending at ``i`` (at most two parties; three or more give [])."""
    last = mentions.ending(i)
    if last is None or mentions.coarse(last) not in PARTY_COARSE:
        return []
    j = last.start - 1
    if j >= lo and norm(doc[j]) in DET:
        j -= 1
    if j >= lo and norm(doc[j]) in CONJ:
        k = j - 1
        if k - 2 >= lo and doc[k].text == ")" and doc[k - 2].text == "(":
            k -= 3  # "L'Agenzia Spaziale Italiana (ASI) e Leonardo": skip the acronym
        first = mentions.ending(k)
        if first is None or mentions.coarse(first) not in PARTY_COARSE:
            return []
        b = first.start - 1
        if b >= lo and norm(doc[b]) in DET:
            b -= 1
        if b >= lo and (doc[b].text == "," and mentions.ending(b - 1) is not None):
            return []  # a list of three or more
        return [first, last]
    if j >= lo and doc[j].text == "," and mentions.ending(j - 1) is not None:
        return []
    return [last]


def _in_collaborazione(doc: Doc, mentions: Mentions) -> Iterator[_Part]:
    """"X, in collaborazione con Y", "l'accordo di X con Y"."""
    for tok in tokens_with(doc, norm, _cue_first_words() | {"in"}):  # else nothing applies
        lo, hi = sentence_bounds(doc, tok.i)
        t = norm(tok)
        if t == "in" and tok.i + 2 < hi and norm(doc[tok.i + 1]) in {
                "collaborazione", "cooperazione", "partnership", "partenariato", "sinergia",
                "accordo", "joint"} and norm(doc[tok.i + 2]) in CON:
            partner = _party(mentions, tok.i + 3, doc, hi)
            k = tok.i - 1
            if k >= lo and doc[k].text == ",":
                k -= 1
            subject = mentions.ending(k)
            if partner is not None and subject is not None and mentions.coarse(
                    subject) in PARTY_COARSE:
                yield _Part(mentions.mention(subject), mentions.mention(partner), 0.65,
                            "in_collaborazione", tok.i)
            continue
        end = _cue_at(doc, tok.i)
        if end is None or end >= hi or norm(doc[end]) not in DI or _negated(doc, tok.i, lo, 3):
            continue
        a = _party(mentions, end + 1, doc, hi)
        if a is None or a.end >= hi or norm(doc[a.end]) not in CON:
            continue
        b = _party(mentions, a.end + 1, doc, hi)
        if b is not None:
            yield _Part(mentions.mention(a), mentions.mention(b), 0.7, "con", tok.i)


def _partner(doc: Doc, mentions: Mentions) -> Iterator[_Part]:
    """"X è il partner (naturale) di Y", "X, storico alleato di Y"."""
    partner_nouns = set(lexicon()["partner_nouns"])
    for tok in tokens_with(doc, norm, partner_nouns):
        if mentions.at(tok.i) is not None:
            continue
        lo, hi = sentence_bounds(doc, tok.i)
        i = tok.i + 1
        while i < hi and norm(doc[i]) in PARTNER_ADJ:
            i += 1
        if i >= hi or norm(doc[i]) not in DI or _negated(doc, tok.i, lo, 3):
            continue
        y = _party(mentions, i + 1, doc, hi)
        if y is None:
            continue
        k = tok.i - 1
        while k >= lo and (norm(doc[k]) in PARTNER_ADJ or norm(doc[k]) in DET):
            k -= 1
        x = None
        if k >= lo and doc[k].text == ",":
            x = mentions.ending(k - 1)
        elif k >= lo and norm(doc[k]) in {"è", "e'", "sono", "era", "erano", "resta",
                                           "restano", "rimane", "rimangono", "sarà", "saranno",
                                           "diventa", "diventano", "è diventata"}:
            x = mentions.ending(k - 1)
        if x is None or mentions.coarse(x) not in PARTY_COARSE:
            continue
        yield _Part(mentions.mention(x), mentions.mention(y), 0.75, "partner", tok.i)


def extract(doc: Doc, context: ExtractionContext) -> Iterator[Relation]:
    mentions = Mentions.of(doc, context)
    found: list[_Part] = []
    found += _tra(doc, mentions)
    found += _signed(doc, mentions)
    found += _in_collaborazione(doc, mentions)
    found += _partner(doc, mentions)
    best: dict[tuple, _Part] = {}
    for part in found:
        names = sorted(((part.a.canonical or part.a.text).lower(),
                        (part.b.canonical or part.b.text).lower()))
        if names[0] == names[1]:
            continue
        key = tuple(names)
        if key not in best or best[key].confidence < part.confidence:
            best[key] = part
    for part in sorted(best.values(), key=lambda p: p.token):
        yield make_relation(RelationKind.PARTNERSHIP, {"party_a": part.a, "party_b": part.b},
                            part.confidence, doc[part.token], context, f"partnerships.{part.rule}")
