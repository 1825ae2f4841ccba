"""Relation rule ``locations``: an organisation or facility in a place, or a place in a place.

Output: :class:`Relation` of kind ``LOCATION`` with ``entity`` and ``place`` mentions. Events
are left to the ``events`` rule. Arguments are NER/ruler mentions (ORG, LOC), plus two kinds of
rule mentions: a facility named by a common noun and a place ("l'aeroporto di Barcellona",
class Facility, canonical = its text) and a place inside a mention's name ("Politecnico di
*Milano*") or named by a nationality adjective ("la provincia *canadese* del Québec" -> Canada).

Constructions (token windows over the mentions; examples from news):

* ``name_di``      a name ending in "di <place>": "aeroporto di Surabaya" -> Surabaya,
                   "Politecnico di Milano" -> Milano;
* ``di``           ORG/facility + di + place: "Aerea spa di Turate", "ESRIN di Frascati",
                   "32º Stormo di Amendola";
* ``a``            ORG/facility + a/in + place: "Palazzo Pirelli a Milano";
* ``comma_in``     place, in/nel place: "Toronto, in Canada", "Lexington, nel Kentucky",
                   "Venegono Superiore e Samarate, in provincia di Varese", chains
                   ("Prads, nell'arrondissement di Digne, in Alta Provenza") and the narrowing
                   order ("in Francia, nel comune di Ligny-en-Barrois" -> Ligny in Francia);
* ``place_noun``   "Polewali nell'isola di Sulawesi" (in + place noun + di, no comma needed);
* ``paren``        "X (Y)" with Y a known city/province/region/country: "nell'oblast di
                   Donec'k (Ucraina orientale)";
* ``adjective``    place noun + nationality adjective + di + place: "la provincia canadese del
                   Québec" -> Québec in Canada, "la città tedesca di Brema";
* ``sede``         "la sede (legale) di X a/in Y", "X, con sede a Y", "X, che ha sede a Y",
                   "X, la cui sede legale è in Y";
* ``societa``      "X, società/azienda di Y";
* ``respectively`` "A, B ed C, rispettivamente a P1, P2 e P3" pairs the last items with the
                   places in order; an item without a name continues the previous one
                   ("Leonardo divisione velivoli ed elicotteri, rispettivamente a Venegono
                   Superiore e a Samarate" -> Leonardo in both).

Place-in-place direction is checked with gazetteer classes (``ent_id_`` "City/...",
"Region/...", or :func:`pipeline.nlp.gazetteer.lookup`): City < Province < Region < Country <
Continent; a place noun ("comune di", "provincia di") stands in for an unknown class.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from spacy.tokens import Doc, Span

from pipeline.datamodel import ORGANIZATION, PLACE, Mention, Relation, RelationKind
from pipeline.nlp.relations.context import ExtractionContext
from pipeline.nlp.relations.doc_index import tokens_with
from pipeline.nlp.relations.roles import (
    CLOSE_PAREN,
    CONJ,
    DA,
    DET,
    DI,
    IN,
    OPEN_PAREN,
    A,
    Mentions,
    country_mention,
    country_of_adjective,
    is_plain_adj,
    lexicon,
    make_relation,
    norm,
    place_class,
    sentence_bounds,
)

RANK = {"City": 0, "District": 1, "Province": 2, "Region": 3, "Country": 4, "Continent": 5}
PLACE_NOUN_RANK = {"comune": 0, "città": 0, "villaggio": 0, "località": 0, "frazione": 0,
                   "quartiere": 0, "municipalità": 0, "arrondissement": 1, "contea": 2,
                   "provincia": 2, "dipartimento": 2, "cantone": 2, "regione": 3, "oblast": 3,
                   "land": 3, "stato": 3}
# facilities named "<noun> [adj] di <place>" that are worth a rule mention of their own
FACILITY_NAME_NOUNS = frozenset({"aeroporto", "aerostazione", "scalo", "cosmodromo",
                                 "spazioporto", "eliporto", "aviosuperficie", "poligono"})
DIRECTION_ADJ = frozenset({"orientale", "occidentale", "settentrionale", "meridionale",
                           "centrale", "nord-orientale", "nord-occidentale", "sud-orientale",
                           "sud-occidentale"})
SEDE = frozenset({"sede", "sedi", "quartier", "headquarters"})
GENERIC_ORGS = frozenset({"repubblica", "governo", "regime", "nazionale", "stato", "popolo",
                          "monarchia", "presidenza", "amministrazione", "opposizione"})
STATE_WORDS = frozenset({"repubblica", "regno", "stato", "stati", "principato", "federazione",
                         "emirato", "sultanato", "granducato", "commonwealth", "unione"})
RELATIVE_POSITION = frozenset({"nord", "sud", "est", "ovest", "largo", "pressi", "vicinanze",
                               "dintorni", "lontano", "km", "chilometri", "miglia", "metri",
                               "nord-est", "nord-ovest", "sud-est", "sud-ovest", "periferia"})
COMPANY_NOUNS = frozenset({"società", "azienda", "compagnia", "impresa", "ditta", "gruppo",
                           "startup", "pmi"})


@dataclass
class Thing:
    """A mention that can be a location argument, with its span."""

    span: Span
    mention: Mention
    kind: str  # "org" | "place" | "facility"

    @property
    def start(self) -> int:
        return self.span.start

    @property
    def end(self) -> int:
        return self.span.end


class Things:
    """ORG/LOC mentions plus facility rule mentions, indexed by token."""

    def __init__(self, doc: Doc, context: ExtractionContext) -> None:
        self.doc = doc
        self.context = context
        facility_nouns = set(lexicon()["facility_nouns"])
        self.items: list[Thing] = []
        self._at: dict[int, Thing] = {}
        self.inner_place: dict[int, Thing] = {}  # facility phrase start -> its place
        mentions = self.mentions = Mentions.of(doc, context)
        for ent in mentions.spans:
            mention = mentions.mention(ent)
            coarse = mentions.coarse(ent)
            if coarse not in (ORGANIZATION, PLACE):
                continue
            if coarse == ORGANIZATION:
                kind = "org"
            elif mention.cls == "Facility" or norm(ent[0]) in facility_nouns:
                kind = "facility"
            else:
                kind = "place"
            self._add(Thing(ent, mention, kind))
        self._facility_phrases()

    def _add(self, thing: Thing) -> None:
        self.items.append(thing)
        for i in range(thing.start, thing.end):
            self._at[i] = thing

    def _facility_phrases(self) -> None:
        """"l'aeroporto (internazionale) di Barcellona": facility rule mentions."""
        doc = self.doc
        for tok in tokens_with(doc, norm, FACILITY_NAME_NOUNS):
            if tok.i in self._at:
                continue
            j = tok.i + 1
            while j < len(doc) and is_plain_adj(doc[j]) and j - tok.i <= 2:
                j += 1
            if j >= len(doc) or norm(doc[j]) not in DI:
                continue
            place = self.starting(j + 1)
            if place is None or place.kind != "place":
                continue
            if "-" in place.span.text and place_class(place.mention) not in RANK:
                continue  # "aeroporto di Roma-Fiumicino": the airport's own name
            span = doc[tok.i:place.end]
            mention = self.context.rule_mention(span, PLACE, "Facility", span.text)
            self._add(Thing(span, mention, "facility"))
            self.inner_place[span.start] = place

    def at(self, i: int) -> Thing | None:
        return self._at.get(i)

    def starting(self, i: int) -> Thing | None:
        thing = self._at.get(i)
        return thing if thing is not None and thing.start == i else None

    def ending(self, i: int) -> Thing | None:
        thing = self._at.get(i)
        return thing if thing is not None and thing.end - 1 == i else None


def _dubious_place(span: Span, mention: Mention) -> bool:
    """A one-word place unknown to the gazetteer that is an Italian common word."""
    if len(span) != 1 or place_class(mention):
        return False
    from pipeline.nlp.gazetteer import italian_lexicon

    return norm(span[0]) in italian_lexicon()


def _rank(thing: Thing, doc: Doc) -> int | None:
    """Size rank of a place: gazetteer class, else the place noun before it."""
    cls = place_class(thing.mention)
    if cls in RANK:
        return RANK[cls]
    first = norm(thing.span[0])
    if first in PLACE_NOUN_RANK:
        return PLACE_NOUN_RANK[first]
    i = thing.start - 1
    if i >= 1 and norm(doc[i]) in DI:
        noun = norm(doc[i - 1])
        if noun in PLACE_NOUN_RANK:
            return PLACE_NOUN_RANK[noun]
    return None


def _is_container(thing: Thing) -> bool:
    """A place that can contain another (not a street, building or airport)."""
    return thing.kind == "place"


@dataclass
class _Loc:
    entity: Mention
    place: Mention
    confidence: float
    rule: str
    token: int


def _containment(doc: Doc, x: Thing, y: Thing, reversible: bool) -> tuple[Thing, Thing] | None:
    """Which of two places stated together is inside the other (x stated first)."""
    if x.kind == "facility":
        return (x, y) if _is_container(y) else None
    if not (_is_container(x) and _is_container(y)):
        return None
    rx, ry = _rank(x, doc), _rank(y, doc)
    if rx is not None and ry is not None:
        if rx < ry:
            return x, y
        if ry < rx and reversible:
            return y, x
        return None
    if rx is not None and rx >= RANK["Country"] and ry is None:
        return (y, x) if reversible else None
    if rx is not None and rx >= RANK["Country"]:
        return None
    return x, y


def _same(a: Mention, b: Mention) -> bool:
    return (a.canonical or a.text).lower() == (b.canonical or b.text).lower()


# --------------------------------------------------------------------------- patterns


def _name_di(doc: Doc, things: Things, context: ExtractionContext) -> Iterator[_Loc]:
    """A name whose tail is "di <place>": the facility phrases and ORG/facility mentions
    such as "Politecnico di Milano", "Aeroporto di Ginevra" (when the place is known)."""
    from pipeline.nlp.gazetteer import lookup

    for thing in things.items:
        if thing.kind == "place":
            continue
        inner = things.inner_place.get(thing.start)
        if inner is not None and inner.end == thing.end:
            yield _Loc(thing.mention, inner.mention, 0.7, "name_di", thing.start)
            continue
        if place_class(thing.mention) in RANK or norm(thing.span[0]) in PLACE_NOUN_RANK:
            continue  # "provincia di Varese", "Comune di Roma": the place itself
        head_word = norm(thing.span[0])
        if head_word in STATE_WORDS or (thing.span[0].is_lower and head_word not in set(
                lexicon()["facility_nouns"]) | set(lexicon()["org_nouns"])):
            continue  # "nazionale del Paraguay", "Repubblica Democratica del Congo"
        span = thing.span
        for k in range(span.start + 1, span.end - 1):
            if norm(doc[k]) not in DI:
                continue
            j = k + 1
            if norm(doc[j]) in DET:
                j += 1
            tail = doc[j:span.end]
            if not len(tail):
                continue
            found = lookup(tail.text)
            head = doc[span.start:k].text
            if found and found[0] == "Country" and (head.isupper() and len(head) <= 4):
                break  # "RD del Congo": a state's own name
            if found and found[0] in RANK:
                place = context.rule_mention(tail, PLACE, found[0], found[1])
                yield _Loc(thing.mention, place, 0.75, "name_di", thing.start)
            break


def _adjacent(doc: Doc, things: Things) -> Iterator[_Loc]:
    """ORG/facility + di/a/in + place."""
    for thing in things.items:
        if thing.kind == "place":
            continue
        i = thing.end
        if i >= len(doc):
            continue
        prep = norm(doc[i])
        j = i + 1
        if j < len(doc) and norm(doc[j]) in DET:
            j += 1
        place = things.starting(j)
        if place is None or place.kind != "place" or _same(place.mention, thing.mention):
            continue
        lo, _ = sentence_bounds(doc, thing.start)
        before = norm(doc[thing.start - 1]) if thing.start - 1 >= lo else ""
        if prep in DI:
            if place_class(place.mention) in ("Continent",):
                continue
            if _dubious_place(place.span, place.mention):
                continue  # "Istituto Italiano di [Tecnologia]": a common word cut off a name
            if thing.kind == "org" and (thing.span.text[:1].islower()
                                        or thing.span.text.lower() in GENERIC_ORGS):
                continue  # "il governo di Gerusalemme", "la nazionale del Paraguay"
            yield _Loc(thing.mention, place.mention, 0.75, "di", thing.start)
        elif prep in A or (prep in IN and thing.kind == "facility"):
            if before in DA or before in {"tra", "fra"}:
                continue  # "da X a Y": a route, not a location
            head = doc[place.start]
            verb = head.head
            if head.dep_ == "obl" and verb.pos_ in {"VERB", "AUX"} and verb.i < thing.start:
                continue  # "ha portato Leonardo a Parigi": the verb's complement
            if thing.kind == "org" and place_class(place.mention) not in ("City", ""):
                continue
            conf = 0.7 if thing.kind == "facility" else 0.6
            yield _Loc(thing.mention, place.mention, conf, "a", thing.start)


def _left_items(doc: Doc, things: Things, i: int, lo: int) -> list[Thing]:
    """Mentions ending at ``i`` and those coordinated before them ("V e S", "A, B e C"),
    skipping a parenthesis ("Hrabove (Grabovo in russo)")."""
    if i >= lo and doc[i].text in CLOSE_PAREN:
        j = i - 1
        while j >= lo and doc[j].text not in OPEN_PAREN and i - j < 12:
            j -= 1
        if j < lo or doc[j].text not in OPEN_PAREN:
            return []
        i = j - 1
    last = things.ending(i)
    if last is None:
        return []
    items = [last]
    j = last.start - 1
    while j >= lo:
        k = j
        steps = 0
        while k >= lo and steps < 3 and (doc[k].text == "," or norm(doc[k]) in CONJ
                                         or norm(doc[k]) in A | IN or norm(doc[k]) in DET
                                         or doc[k].pos_ == "ADV"):
            k -= 1
            steps += 1
        if k == j or not any(norm(t) in CONJ or t.text == "," for t in doc[k + 1:j + 1]):
            break
        prev = things.ending(k)
        if prev is None or prev.kind != last.kind:
            break
        items.insert(0, prev)
        j = prev.start - 1
    return items


def _comma_in(doc: Doc, things: Things) -> Iterator[_Loc]:
    """"X, in Y" / "X, nella Y" / "X, in provincia di Y" (chains and lists)."""
    for i, tok in enumerate(doc):
        if tok.text != "," or i + 1 >= len(doc) or norm(doc[i + 1]) not in IN:
            continue
        lo, hi = sentence_bounds(doc, i)
        j = i + 2
        if j < hi and norm(doc[j]) in DET:
            j += 1
        if j < hi and norm(doc[j]) in PLACE_NOUN_RANK and things.at(j) is None:
            if j + 1 < hi and norm(doc[j + 1]) in DI:
                j += 2
        y = things.starting(j)
        if y is None or y.kind != "place":
            continue
        # "in Italia, in Francia e in Germania": parallel locatives, not containment
        k = y.end
        if k < hi and norm(doc[k]) in CONJ and k + 1 < hi and norm(doc[k + 1]) in IN:
            continue
        for x in _left_items(doc, things, i - 1, lo):
            if x.kind == "org" or _same(x.mention, y.mention):
                continue
            if _relative_position(doc, x.start, lo):
                continue  # "a sud di Herat, nella provincia di Farah"
            pair = _containment(doc, x, y, reversible=True)
            if pair is not None:
                yield _Loc(pair[0].mention, pair[1].mention, 0.75, "comma_in", x.start)


def _relative_position(doc: Doc, i: int, lo: int) -> bool:
    """Is the mention at ``i`` only a reference point ("a sud di X", "nei pressi di X",
    "vicino a X", "a 30 km da X")?"""
    j = i - 1
    if j >= lo and norm(doc[j]) in DET:
        j -= 1
    if j >= lo and (norm(doc[j]) in DI or norm(doc[j]) in A or norm(doc[j]) in DA):
        j -= 1
        return j >= lo and (norm(doc[j]) in RELATIVE_POSITION or norm(doc[j]) in {
            "vicino", "vicina", "accanto", "lontano", "distante", "fuori", "oltre", "verso"})
    return j >= lo and norm(doc[j]) in {"vicino", "verso", "oltre", "fuori"}


def _place_noun(doc: Doc, things: Things) -> Iterator[_Loc]:
    """"Polewali nell'isola di Sulawesi": a place + in + place noun + di + place."""
    for x in things.items:
        if x.kind != "place":
            continue
        i = x.end
        if i + 2 >= len(doc) or norm(doc[i]) not in IN:
            continue
        j = i + 1
        if norm(doc[j]) in DET:
            j += 1
        if j + 1 >= len(doc) or things.at(j) is not None:
            continue
        noun = norm(doc[j])
        if noun not in PLACE_NOUN_RANK and noun not in {"isola", "penisola", "area", "zona"}:
            continue
        if norm(doc[j + 1]) not in DI:
            continue
        y = things.starting(j + 2)
        if y is None or y.kind != "place":
            continue
        pair = _containment(doc, x, y, reversible=False)
        if pair is not None:
            yield _Loc(pair[0].mention, pair[1].mention, 0.7, "place_noun", x.start)


def _paren(doc: Doc, things: Things) -> Iterator[_Loc]:
    """"X (Y)" with Y a known place: "Aerea (Turate)", "oblast di Donec'k (Ucraina
    orientale)"."""
    for i, tok in enumerate(doc):
        if tok.text not in OPEN_PAREN or i == 0:
            continue
        x = things.ending(i - 1)
        y = things.starting(i + 1)
        if x is None or y is None or y.kind != "place":
            continue
        k = y.end
        direction = k < len(doc) and norm(doc[k]) in DIRECTION_ADJ
        if direction:
            k += 1
        if k >= len(doc) or doc[k].text not in CLOSE_PAREN:
            continue
        if _same(x.mention, y.mention) or y.span.text.isupper():
            continue
        if place_class(y.mention) not in RANK and not direction:
            continue
        conf = 0.7
        if x.kind == "place":
            if place_class(x.mention) == place_class(y.mention) == "City":
                conf = 0.6  # "Tortora (Cosenza)": the town and its province's capital
            else:
                pair = _containment(doc, x, y, reversible=False)
                if pair is None:
                    continue
                x, y = pair
        yield _Loc(x.mention, y.mention, conf, "paren", x.start)


def _adjective(doc: Doc, things: Things, context: ExtractionContext) -> Iterator[_Loc]:
    """"la provincia canadese del Québec": place noun + nationality adjective + di + place."""
    adjectives = country_of_adjective()
    place_nouns = set(lexicon()["place_nouns"]) | {"isola", "penisola"}
    for tok in tokens_with(doc, norm, place_nouns):
        if not tok.is_lower:
            continue
        i = tok.i + 1
        if i + 2 >= len(doc) or norm(doc[i]) not in adjectives:
            continue
        if norm(doc[i + 1]) not in DI:
            continue
        j = i + 2
        if norm(doc[j]) in DET:
            j += 1
        x = things.starting(j)
        if x is None or x.kind == "facility":
            continue  # an ORG is fine too: "la provincia del Québec" names the place
        country = country_mention(doc[i], context, things.mentions)
        if country is None or _same(country, x.mention):
            continue
        rank = _rank(x, doc)
        if rank is not None and rank >= RANK["Country"]:
            continue
        yield _Loc(x.mention, country, 0.7, "adjective", x.start)


def _sede(doc: Doc, things: Things) -> Iterator[_Loc]:
    """Headquarters: "la sede (legale) di X (,) a/in Y", "X, con sede a Y", "X, che ha sede
    a Y", "X ha sede a Y", "X, la cui sede legale è in Y"."""
    for tok in tokens_with(doc, norm, SEDE):
        lo, hi = sentence_bounds(doc, tok.i)
        i = tok.i + 1
        if norm(tok) == "quartier":
            if i >= hi or norm(doc[i]) != "generale":
                continue
            i += 1
        while i < hi and is_plain_adj(doc[i]):
            i += 1
        owner: Thing | None = None
        if i < hi and norm(doc[i]) in DI:
            j = i + 1
            if j < hi and norm(doc[j]) in DET:
                j += 1
            owner = things.starting(j)
            if owner is None or owner.kind == "place":
                continue
            i = owner.end
            if i < hi and doc[i].text == ",":
                i += 1
        if i < hi and norm(doc[i]) in {"è", "e'", "si", "era", "sarà", "resta", "rimane"}:
            i += 1
            if i < hi and norm(doc[i]) in {"trova", "trovava", "troverà"}:
                i += 1
        if i >= hi or not (norm(doc[i]) in A or norm(doc[i]) in IN):
            continue
        place = _place_after(doc, things, i + 1, hi)
        if place is None:
            continue
        if owner is None:
            owner = _sede_owner_left(doc, things, tok.i, lo)
        if owner is None or owner.kind == "place":
            continue
        yield _Loc(owner.mention, place.mention, 0.8, "sede", owner.start)


def _place_after(doc: Doc, things: Things, j: int, hi: int) -> Thing | None:
    """The place starting at ``j``, after an optional determiner ("a [la] Spezia")."""
    if j < hi and norm(doc[j]) in DET:
        j += 1
    place = things.starting(j)
    return place if place is not None and place.kind == "place" else None


def _sede_owner_left(doc: Doc, things: Things, i: int, lo: int) -> Thing | None:
    """The ORG before "[,] con sede", "[,] che ha (la propria) sede", "[,] la cui sede",
    "ha sede"."""
    allowed = {"con", "che", "ha", "hanno", "aveva", "la", "sua", "propria", "cui", "una",
               "le", "sue", "proprie", ",", "avente", "principale"}
    j = i - 1
    steps = 0
    while j >= lo and steps < 5 and norm(doc[j]) in allowed:
        j -= 1
        steps += 1
    if steps == 0:
        return None
    return things.ending(j)


def _societa(doc: Doc, things: Things) -> Iterator[_Loc]:
    """"X, (una) società/azienda (adj) di Y"."""
    for x in things.items:
        if x.kind != "org":
            continue
        lo, hi = sentence_bounds(doc, x.start)
        i = x.end
        if i >= hi or doc[i].text != ",":
            continue
        i += 1
        if i < hi and norm(doc[i]) in DET:
            i += 1
        if i >= hi or norm(doc[i]) not in COMPANY_NOUNS:
            continue
        i += 1
        while i < hi and is_plain_adj(doc[i]) and norm(doc[i]) not in country_of_adjective():
            i += 1
        if i >= hi or norm(doc[i]) not in DI:
            continue
        place = _place_after(doc, things, i + 1, hi)
        if place is None:
            continue
        if place_class(place.mention) not in ("City", "Province", "Region", ""):
            continue
        yield _Loc(x.mention, place.mention, 0.7, "societa", x.start)


def _respectively(doc: Doc, things: Things) -> Iterator[_Loc]:
    """"A, B ed C, rispettivamente a P1, P2 e P3"."""
    for tok in tokens_with(doc, norm, {"rispettivamente"}):
        lo, hi = sentence_bounds(doc, tok.i)
        places: list[Thing] = []
        i = tok.i + 1
        while i < hi:
            while i < hi and (norm(doc[i]) in A or norm(doc[i]) in IN or norm(doc[i]) in DET
                              or norm(doc[i]) in CONJ or doc[i].text == ","):
                i += 1
            place = things.starting(i)
            if place is None or place.kind != "place":
                break
            places.append(place)
            i = place.end
            if i >= hi or not (doc[i].text == "," or norm(doc[i]) in CONJ):
                break
        if len(places) < 2:
            continue
        items = _items_before(doc, things, tok.i - 1, lo)
        if len(items) < len(places):
            continue
        pairs = list(zip(items[-len(places):], places, strict=True))
        if any(thing is None or thing.kind == "place" for thing, _ in pairs):
            continue
        for thing, place in pairs:
            yield _Loc(thing.mention, place.mention, 0.55, "respectively", thing.start)


def _items_before(doc: Doc, things: Things, i: int, lo: int) -> list[Thing | None]:
    """Coordinated items before ``i`` (back to ":", ";" or a verb), each resolved to its
    first ORG/facility mention or, elliptically, to the previous item's."""
    if i >= lo and doc[i].text == ",":
        i -= 1
    start = i
    while start >= lo and doc[start].text not in {":", ";"} and doc[start].pos_ not in {
            "VERB", "AUX"} and doc[start].text not in OPEN_PAREN | CLOSE_PAREN:
        start -= 1
    start += 1
    items: list[list[int]] = [[]]
    for k in range(start, i + 1):
        if doc[k].text == "," or norm(doc[k]) in CONJ:
            if items[-1]:
                items.append([])
            continue
        items[-1].append(k)
    resolved: list[Thing | None] = []
    for item in items:
        if not item:
            continue
        thing = next((things.at(k) for k in item if things.at(k) is not None
                      and things.at(k).kind != "place"), None)
        elliptic = all(doc[k].is_lower or doc[k].is_punct for k in item)
        if thing is None and resolved and elliptic:
            thing = resolved[-1]  # "divisione velivoli ed [divisione] elicotteri"
        resolved.append(thing)
    return resolved


# --------------------------------------------------------------------------- entry point


def extract(doc: Doc, context: ExtractionContext) -> Iterator[Relation]:
    things = Things(doc, context)
    found: list[_Loc] = []
    found += _name_di(doc, things, context)
    found += _adjacent(doc, things)
    found += _comma_in(doc, things)
    found += _place_noun(doc, things)
    found += _paren(doc, things)
    found += _adjective(doc, things, context)
    found += _sede(doc, things)
    found += _societa(doc, things)
    found += _respectively(doc, things)
    best: dict[tuple, _Loc] = {}
    for loc in found:
        if _same(loc.entity, loc.place):
            continue
        key = ((loc.entity.canonical or loc.entity.text).lower(),
               (loc.place.canonical or loc.place.text).lower())
        if key not in best or best[key].confidence < loc.confidence:
            best[key] = loc
    for loc in sorted(best.values(), key=lambda found_loc: found_loc.token):
        yield make_relation(RelationKind.LOCATION, {"entity": loc.entity, "place": loc.place},
                            loc.confidence, doc[loc.token], context, f"locations.{loc.rule}")
