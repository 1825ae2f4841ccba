"""Mapping stage: merge an article's mentions into entities and give each its finest class.

Input: a :class:`Document` (mentions from the NER/entity ruler and from relation rules).
Output: an :class:`EntityIndex` - the entities of the article and, for every mention, the
entity it refers to. Rule mentions that are common nouns ("il distretto", "l'azienda") are
resolved to a named entity of the hinted class when that is unambiguous, else left out.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from pipeline.datamodel import EVENT, ORGANIZATION, PERSON, PLACE, Document, Entity, Mention
from pipeline.mapping.identity import (
    acronym_of,
    core_name,
    entity_key,
    normalise_name,
    same_person,
    strip_article,
    symbol_name,
)

# Finest class from the words of an organisation or place name, when no gazetteer knows it.
_ORG_CLASS_CUES = [
    (re.compile(r"\b(s\.?p\.?a\.?|s\.?r\.?l\.?|inc\.?|ltd\.?|corp\.?|gmbh|plc|llc|airlines?|"
                r"aerospace|industries|group|gruppo|compagnia|società)\b", re.I), "Company"),
    (re.compile(r"\b(cluster|distretto)\b", re.I), "Cluster"),
    (re.compile(r"\b(agenzia|agency|ente nazionale)\b", re.I), "Agency"),
    (re.compile(r"\b(universit[àa]|politecnico|ateneo|university)\b", re.I), "University"),
    (re.compile(r"\b(istituto|centro (di )?ricerca|laboratorio|osservatorio)\b", re.I),
     "ResearchCentre"),
    (re.compile(r"^(regione|provincia|comune|ministero|governo|commissione|consiglio|"
                r"parlamento|senato|camera|presidenza|prefettura|dipartimento)\b", re.I),
     "GovernmentBody"),
    (re.compile(r"\b(divisione|division)\b", re.I), "OrganizationalUnit"),
    (re.compile(r"\bdelegazione\b", re.I), "Delegation"),
]
_PLACE_CLASS_CUES = [
    (re.compile(r"^(palazzo|aeroporto|base|stazione|centro spaziale|cosmodromo|spazioporto|"
                r"porto spaziale|stabilimento|sede|piazza|torre|museo|hangar|poligono)\b", re.I),
     "Facility"),
    (re.compile(r"^(provincia|città metropolitana)\b", re.I), "Province"),
    (re.compile(r"^regione\b", re.I), "Region"),
]
COMMON_NOUN_SOURCES = {"rule"}


def guess_class(coarse: str, name: str) -> str:
    """Finest class from the name's words ("Aerea spa" -> "Company"), else the top type."""
    if coarse == PERSON:
        return "Person"
    cues = _ORG_CLASS_CUES if coarse == ORGANIZATION else _PLACE_CLASS_CUES
    for pattern, cls in cues:
        if pattern.search(name):
            return cls
    return {ORGANIZATION: "Organization", PLACE: "Place", EVENT: "Event"}[coarse]


def _gazetteer_lookup(name: str) -> tuple[str, str] | None:
    from pipeline.nlp.gazetteer import lookup  # data only; no spaCy model involved

    return lookup(name)


@dataclass
class EntityIndex:
    entities: list[Entity] = field(default_factory=list)
    by_mention: dict[tuple[int, int], Entity] = field(default_factory=dict)

    def entity_of(self, mention: Mention) -> Entity | None:
        return self.by_mention.get((mention.start, mention.end))


def _is_named(mention: Mention) -> bool:
    return mention.source not in COMMON_NOUN_SOURCES or bool(mention.canonical)


def _display_name(text: str) -> str:
    return strip_article(text)


def _identity(name: str) -> str:
    """What mentions of one thing share: the normalised name, or for a name of emoji or
    symbols only (which normalises to nothing) its ``symbol_name``; "" for no name at all."""
    return normalise_name(name) or symbol_name(name)


def resolve_entities(document: Document) -> EntityIndex:
    """Merge mentions of one article into entities (see module docstring)."""
    named = [m for m in document.mentions if m.coarse != EVENT and _is_named(m)]
    # the same surface text gets one coarse type: the majority one in the article
    votes: dict[str, Counter] = defaultdict(Counter)
    for m in named:
        votes[_identity(m.text)][m.coarse] += 2 if m.source == "ruler" else 1
    groups: list[list[Mention]] = []
    group_of_key: dict[tuple[str, str], int] = {}
    ordered = sorted(named, key=lambda m: (-len(m.canonical or m.text), m.start))
    for m in ordered:
        coarse = votes[_identity(m.text)].most_common(1)[0][0]
        m = _with_coarse(m, coarse)
        ident = _identity(m.canonical or _display_name(m.text))
        if not ident:
            continue
        target = group_of_key.get((coarse, ident))
        if target is None:
            target = _find_merge_target(m, coarse, groups)
        if target is None:
            groups.append([m])
            target = len(groups) - 1
        else:
            groups[target].append(m)
        group_of_key[(coarse, ident)] = target
        group_of_key.setdefault((coarse, core_name(m.canonical or m.text)), target)

    index = EntityIndex()
    for group in groups:
        entity = _make_entity(group)
        index.entities.append(entity)
        for m in group:
            index.by_mention[(m.start, m.end)] = entity
    for m in document.mentions:
        if m.coarse == EVENT:
            entity = _event_entity(document, m, index)
            index.by_mention[(m.start, m.end)] = entity
        elif (m.start, m.end) not in index.by_mention and not _is_named(m):
            resolved = resolve_common_noun(m, index)
            if resolved:
                index.by_mention[(m.start, m.end)] = resolved
    index.entities.sort(key=lambda e: e.key)
    return index


def _with_coarse(m: Mention, coarse: str) -> Mention:
    if m.coarse == coarse:
        return m
    return Mention(m.start, m.end, m.text, coarse, "", m.canonical, m.sentence, m.source)


def _find_merge_target(m: Mention, coarse: str, groups: list[list[Mention]]) -> int | None:
    text = _display_name(m.text)
    for i, group in enumerate(groups):
        head = group[0]
        if head.coarse != coarse:
            continue
        full = head.canonical or _display_name(head.text)
        if coarse == PERSON:
            if same_person(text, full):
                return i
            continue
        if core_name(text) and core_name(text) == core_name(full):
            return i
        if text.isupper() and 2 <= len(text) <= 8 and acronym_of(full) == text:
            return i
        if any(text == _display_name(g.text) for g in group):
            return i
    return None


def _make_entity(group: list[Mention]) -> Entity:
    head = group[0]
    canonical = head.canonical or _display_name(head.text)
    # the fullest name as written; rule mentions ("canadese" for Canada) only lend their
    # canonical name
    written = [_display_name(m.text) for m in group if m.source != "rule"]
    surface = max(written, key=lambda t: (len(t), t)) if written else canonical
    cls = next((m.cls for m in group if m.cls), "")
    if not cls:
        found = _gazetteer_lookup(surface) or _gazetteer_lookup(canonical)
        if found and _coarse_of_class(found[0]) == head.coarse:
            cls, canonical = found[0], found[1]
    if not cls:
        cls = guess_class(head.coarse, surface)
    return Entity(
        key=entity_key(head.coarse, canonical),
        label=surface,
        coarse=head.coarse,
        cls=cls,
        mentions=sorted(group, key=lambda m: m.start),
        aliases={_display_name(m.text) for m in group if m.source != "rule"} - {surface},
    )


_CLASS_TO_COARSE = {
    "Company": ORGANIZATION, "Agency": ORGANIZATION, "Cluster": ORGANIZATION,
    "GovernmentBody": ORGANIZATION, "University": ORGANIZATION, "ResearchCentre": ORGANIZATION,
    "InternationalOrganization": ORGANIZATION, "Delegation": ORGANIZATION,
    "OrganizationalUnit": ORGANIZATION, "Organization": ORGANIZATION,
    "City": PLACE, "Province": PLACE, "Region": PLACE, "Country": PLACE, "Continent": PLACE,
    "Facility": PLACE, "Place": PLACE, "Person": PERSON,
}


def _coarse_of_class(cls: str) -> str:
    return _CLASS_TO_COARSE.get(cls, EVENT)


def resolve_common_noun(mention: Mention, index: EntityIndex) -> Entity | None:
    """"il distretto" -> the article's one Cluster; among several, the nearest one before."""
    candidates = [e for e in index.entities if e.coarse == mention.coarse
                  and (not mention.cls or e.cls == mention.cls)]
    if not candidates:
        return None
    if len(candidates) == 1:
        return candidates[0]
    noun = normalise_name(mention.text).split()[-1] if normalise_name(mention.text) else ""
    named_like = [e for e in candidates if noun and noun in normalise_name(e.label)]
    if len(named_like) == 1:
        return named_like[0]
    before = [(max(m.end for m in e.mentions if m.end <= mention.start), e)
              for e in candidates if any(m.end <= mention.start for m in e.mentions)]
    if not before:
        return None
    before.sort(key=lambda pair: pair[0], reverse=True)
    if len(before) > 1 and before[0][0] == before[1][0]:
        return None
    return before[0][1]


def _event_entity(document: Document, mention: Mention, index: EntityIndex) -> Entity:
    label = _display_name(mention.canonical or mention.text)
    key = entity_key(EVENT, f"{document.article.id} {label}")
    for entity in index.entities:
        if entity.key == key:
            entity.mentions.append(mention)
            return entity
    entity = Entity(key=key, label=label, coarse=EVENT, cls=mention.cls or "Event",
                    mentions=[mention])
    index.entities.append(entity)
    return entity
