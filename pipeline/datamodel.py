"""The typed records that cross stages: what the NLP stage hands to mapping, and mapping to export.

No spaCy and no rdflib here: the NLP stage turns spaCy objects into these at its edge, so the
mapping stage can be tested with hand-built values.

* :class:`Evidence`  - where in an article a fact is stated (sentence and character offsets);
* :class:`Mention`   - a stretch of text naming something (entity ruler / NER / rule output);
* :class:`Quantity`  - an amount or date with its normalised value;
* :class:`Relation`  - a candidate fact between mentions, of one competency-question kind;
* :class:`Document`  - an analysed article: its sentences, mentions, quantities, relations;
* :class:`Entity`    - mentions merged into one thing with identity (mapping stage output).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from pipeline.corpus import Article

# Coarse types of the `entities` question.
PERSON, ORGANIZATION, PLACE, EVENT = "Person", "Organization", "Place", "Event"
COARSE_TYPES = (PERSON, ORGANIZATION, PLACE, EVENT)



class RelationKind(StrEnum):
    """Relation kinds, one per competency question, and the ``args`` each one carries."""

    ROLE = "role"  # person: Mention, role: str (Italian noun, lower case, singular),
    #                organization: Mention (optional)
    LOCATION = "location"  # entity: Mention, place: Mention
    EVENT = "event"  # event: Mention (coarse Event, cls Seminar/Visit/...),
    #                  place: Mention (optional), date: str ISO 8601 (optional)
    PARTICIPATION = "participation"  # event: Mention, participant: Mention,
    #                                  role: organizer|sponsor|participant|visitor|host|speaker
    MEMBERSHIP = "membership"  # member: Mention, organization: Mention
    PARTNERSHIP = "partnership"  # party_a: Mention, party_b: Mention (unordered)
    TRADE_FLOW = "trade_flow"  # exporter: Mention, importer: Mention, value: str (decimal,
    #                            units), currency: str (ISO 4217), year: str, sector: str
    QUOTE = "quote"  # speaker: Mention, quote: str (without quotation marks)


PARTICIPANT_ROLES = ("organizer", "sponsor", "participant", "visitor", "host", "speaker")


@dataclass(frozen=True)
class Evidence:
    """The sentence a fact comes from: character offsets index ``Article.text``."""

    start: int
    end: int
    sentence: str

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end:
            raise ValueError(f"bad evidence offsets {self.start}..{self.end}")


@dataclass(frozen=True)
class Mention:
    """Text naming an entity or event. ``cls`` is the finest class known at the NLP stage
    (from the domain ruler or an event lexicon), ``canonical`` a canonical name if known."""

    start: int
    end: int
    text: str
    coarse: str  # one of COARSE_TYPES
    cls: str = ""
    canonical: str = ""
    sentence: int = 0  # index into Document.sentences
    source: str = "ner"  # ner | ruler | rule


@dataclass(frozen=True)
class Quantity:
    start: int
    end: int
    text: str
    label: str  # MONEY | CARDINAL | DATE
    value: float | None = None
    currency: str | None = None
    qualifier: str | None = None
    iso_date: str | None = None


@dataclass(frozen=True)
class Relation:
    """A candidate fact. ``args`` maps argument names (e.g. "person", "role", "organization")
    to mentions or plain strings (role nouns, values, quote text)."""

    kind: RelationKind
    args: dict[str, Mention | Quantity | str]
    confidence: float
    evidence: Evidence
    rule: str = ""

    def __post_init__(self) -> None:
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence must be within 0..1, got {self.confidence}")


@dataclass
class Document:
    """An article after the NLP stage."""

    article: Article
    sentences: list[Evidence] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    quantities: list[Quantity] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class Entity:
    """One thing an article (or the whole corpus) talks about, with a stable key."""

    key: str  # stable identity key, e.g. "org/lombardia-aerospace-cluster"
    label: str  # preferred label: the fullest name seen
    coarse: str
    cls: str
    mentions: list[Mention] = field(default_factory=list)
    aliases: set[str] = field(default_factory=set)
