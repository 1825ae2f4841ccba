"""The RDF vocabulary of aerokg: closed namespaces, IRI patterns and the ontology files.

``AERO`` lists exactly the terms that ``ontologies/aerokg.ttl`` defines (tests/test_ontology.py
checks both directions) and, being closed, turns a typo such as ``AERO.Clusterr`` into an
``AttributeError`` instead of a silently wrong IRI. ``OA`` does the same for the Web Annotation
terms aerokg uses, which rdflib does not ship. The IRI helpers implement the patterns documented
in ``ontologies/README.md``; the mapping stage should mint IRIs only through them.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path
from urllib.parse import quote

from rdflib import DCTERMS, OWL, PROV, RDF, RDFS, SDO, SKOS, TIME, XSD, URIRef
from rdflib.namespace import ORG, DefinedNamespace, Namespace

__all__ = [
    "AERO",
    "OA",
    "ORG",
    "SKOS",
    "PROV",
    "SDO",
    "SCHEMA",
    "DCTERMS",
    "RDF",
    "RDFS",
    "XSD",
    "OWL",
    "TIME",
    "BASE",
    "ONTOLOGY_IRI",
    "ID_BASE",
    "ARTICLE_BASE",
    "GRAPH_BASE",
    "ROLE_BASE",
    "EVENT_TYPE_BASE",
    "EVIDENCE_BASE",
    "FACT_BASE",
    "RUN_BASE",
    "SOFTWARE_BASE",
    "ENTITY_KINDS",
    "ONTOLOGIES_DIR",
    "ONTOLOGY_PATH",
    "SHAPES_PATH",
    "iri_segment",
    "slugify",
    "entity_iri",
    "role_iri",
    "article_iri",
    "graph_iri",
    "evidence_iri",
    "fact_iri",
    "PREFIXES",
]


class AERO(DefinedNamespace):
    """aerokg ontology (https://w3id.org/aerokg/ontology#): what ORG, schema.org, PROV-O,
    SKOS and Web Annotation lack for Italian news about aerospace cooperation."""

    _fail = True
    _NS = Namespace("https://w3id.org/aerokg/ontology#")

    # Organisations (rdfs:subClassOf org:Organization)
    Company: URIRef  # A business, firm or industrial group.
    Agency: URIRef  # A space or aviation agency, or a regulator.
    GovernmentBody: URIRef  # A regional government, ministry, municipality, EU Commission.
    University: URIRef  # A university or polytechnic.
    ResearchCentre: URIRef  # A research institute outside universities.
    InternationalOrganization: URIRef  # An organisation or alliance of states.
    Delegation: URIRef  # A group of representatives sent by a state, region or organisation.
    Cluster: URIRef  # A technology district/cluster (⊑ org:OrganizationalCollaboration).

    # Places (rdfs:subClassOf schema:Place)
    City: URIRef  # A city, town or municipality.
    Province: URIRef  # A second-level administrative division (provincia di Varese).
    Region: URIRef  # A first-level division of a country (Lombardia, Québec).
    Country: URIRef  # A country as a territory.
    Continent: URIRef  # A continent or large geographic area.
    Facility: URIRef  # A named building or installation (Palazzo Pirelli, a spaceport).

    # Events (rdfs:subClassOf schema:Event)
    Seminar: URIRef  # A seminar, workshop or webinar.
    Conference: URIRef  # A conference, congress, forum or summit.
    Meeting: URIRef  # A meeting, round table or talks.
    Visit: URIRef  # A visit by a person or delegation.
    Launch: URIRef  # The launch of a rocket, satellite or spacecraft.
    Mission: URIRef  # A space mission, or an institutional/business mission abroad.
    Signing: URIRef  # The signing of an agreement or contract.
    Fair: URIRef  # A trade fair, show or exhibition.
    Accident: URIRef  # An accident or failure.
    Announcement: URIRef  # A public announcement or presentation.

    # Trade flows
    TradeFlow: URIRef  # A stated flow of goods/money from an exporter to an importer.
    exporter: URIRef  # TradeFlow -> the place or organisation the flow goes out of.
    importer: URIRef  # TradeFlow -> the place or organisation the flow goes into.
    tradeValue: URIRef  # TradeFlow -> schema:MonetaryAmount (schema:value, schema:currency).
    year: URIRef  # TradeFlow -> xsd:gYear.
    sector: URIRef  # TradeFlow -> Italian sector noun, plain string ("aerospaziale").

    # Partnerships
    partnerOf: URIRef  # Symmetric: a stated cooperation/partnership between two parties.

    # Event participation (schema:organizer and schema:sponsor are reused as they are)
    participant: URIRef  # rdfs:subPropertyOf schema:attendee.
    visitor: URIRef  # rdfs:subPropertyOf aero:participant.
    host: URIRef  # rdfs:subPropertyOf aero:participant.
    speaker: URIRef  # rdfs:subPropertyOf aero:participant.

    # Provenance and run metadata
    confidence: URIRef  # xsd:decimal in [0, 1] on fact nodes and rdf:Statement nodes.
    modelName: URIRef  # prov:Activity -> name of the spaCy pipeline used.
    modelVersion: URIRef  # prov:Activity -> version of the spaCy pipeline used.

    # SKOS
    eventClass: URIRef  # Event-type concept -> the event class it stands for.
    EventTypes: URIRef  # skos:ConceptScheme of event types.
    Roles: URIRef  # skos:ConceptScheme of roles (open: concepts minted at run time).


class OA(DefinedNamespace):
    """The Web Annotation terms (http://www.w3.org/ns/oa#) aerokg uses for evidence."""

    _fail = True
    _NS = Namespace("http://www.w3.org/ns/oa#")

    SpecificResource: URIRef  # The evidence node: a part of the article.
    TextPositionSelector: URIRef  # Selects by character offsets (oa:start, oa:end).
    TextQuoteSelector: URIRef  # Selects by quoting the text (oa:exact).
    hasSource: URIRef  # SpecificResource -> the article IRI.
    hasSelector: URIRef  # SpecificResource -> a selector.
    start: URIRef  # Offset of the first character (xsd:nonNegativeInteger).
    end: URIRef  # Offset just past the last character (exclusive).
    exact: URIRef  # The selected text, verbatim.


SCHEMA = SDO  # schema.org, https form (rdflib's SDO): https://schema.org/

# ---------------------------------------------------------------------------------------------
# IRI patterns (ontologies/README.md, "IRI patterns")
# ---------------------------------------------------------------------------------------------

BASE = "https://w3id.org/aerokg/"
ONTOLOGY_IRI = URIRef(BASE + "ontology")
ID_BASE = BASE + "id/"  # + {person|org|place|event}/{slug}
ARTICLE_BASE = BASE + "article/"  # + {article id}
GRAPH_BASE = BASE + "graph/"  # + {article id}: the named graph of an article's facts
ROLE_BASE = BASE + "role/"  # + {slug of the Italian role noun}
EVENT_TYPE_BASE = BASE + "event-type/"  # + {seminar|conference|...}
EVIDENCE_BASE = BASE + "evidence/"  # + {article id}/{start}-{end}
FACT_BASE = BASE + "fact/"  # + {article id}/{kind}-{hash}
RUN_BASE = BASE + "run/"  # + {run id}
SOFTWARE_BASE = BASE + "software/"  # + aerokg/{version}

ENTITY_KINDS = ("person", "org", "place", "event")

PREFIXES = {
    "aero": str(AERO._NS),
    "org": str(ORG._NS),
    "schema": str(SDO._NS),
    "prov": str(PROV._NS),
    "skos": str(SKOS._NS),
    "time": str(TIME._NS),
    "oa": str(OA._NS),
    "dcterms": str(DCTERMS._NS),
    "xsd": str(XSD._NS),
    "rdf": str(RDF._NS),
    "rdfs": str(RDFS._NS),
    "owl": str(OWL._NS),
}


def iri_segment(text: str) -> str:
    """``text`` NFC-normalised with every character outside the unreserved ASCII set
    ``A-Z a-z 0-9 - . _ ~`` percent-encoded (UTF-8, upper-case hex); case is kept.
    Used for article ids in IRIs."""
    return quote(unicodedata.normalize("NFC", text), safe="-._~")


def slugify(name: str) -> str:
    """The slug of a name: NFC-normalised, lower-cased, runs of whitespace (and ``/``, ``\\``)
    to one "-", everything outside unreserved ASCII percent-encoded; "unnamed" if nothing is
    left. The one slug rule of aerokg (``pipeline.mapping.identity`` uses it for entity keys).

    >>> slugify("Amministratore  Delegato")
    'amministratore-delegato'
    >>> slugify("Suzanne M. Benoît")
    'suzanne-m.-beno%C3%AEt'
    """
    text = unicodedata.normalize("NFC", name).strip().lower()
    text = re.sub(r"[\s/\\]+", "-", text)
    text = re.sub(r"-{2,}", "-", text).strip("-")
    return quote(text, safe="-._~") or "unnamed"


def entity_iri(key: str) -> URIRef:
    """``https://w3id.org/aerokg/id/{person|org|place|event}/{slug}`` from an entity key such
    as ``"org/lombardia-aerospace-cluster"`` (``pipeline.mapping.identity.entity_key``)."""
    kind, _, slug = key.partition("/")
    if kind not in ENTITY_KINDS or not slug or "/" in slug:
        raise ValueError(f"entity key must be KIND/SLUG with KIND in {ENTITY_KINDS}: {key!r}")
    return URIRef(ID_BASE + key)


def role_iri(noun: str) -> URIRef:
    """``https://w3id.org/aerokg/role/{slug}`` for an Italian role noun
    ("amministratore delegato")."""
    return URIRef(ROLE_BASE + slugify(noun))


def article_iri(article_id: str) -> URIRef:
    """``https://w3id.org/aerokg/article/{id}``."""
    return URIRef(ARTICLE_BASE + iri_segment(article_id))


def graph_iri(article_id: str) -> URIRef:
    """``https://w3id.org/aerokg/graph/{id}``: the named graph holding an article's facts."""
    return URIRef(GRAPH_BASE + iri_segment(article_id))


def evidence_iri(article_id: str, start: int, end: int) -> URIRef:
    """``https://w3id.org/aerokg/evidence/{id}/{start}-{end}``: the oa:SpecificResource for a
    span of an article's text; its selectors are the same IRI + ``#position`` / ``#quote``."""
    if not 0 <= start <= end:
        raise ValueError(f"need 0 <= start <= end, got {start}, {end}")
    return URIRef(f"{EVIDENCE_BASE}{iri_segment(article_id)}/{start}-{end}")


def fact_iri(article_id: str, kind: str, *key: object) -> URIRef:
    """``https://w3id.org/aerokg/fact/{id}/{kind}-{hash}`` for a fact node (membership,
    tradeflow, quotation, statement); hash: the first 16 hex digits of the SHA-256 of the
    key values' strings joined by U+001F, so the same fact gets the same IRI on every run."""
    digest = hashlib.sha256("\x1f".join(str(k) for k in key).encode("utf-8")).hexdigest()[:16]
    return URIRef(f"{FACT_BASE}{iri_segment(article_id)}/{slugify(kind)}-{digest}")


# ---------------------------------------------------------------------------------------------
# The ontology files
# ---------------------------------------------------------------------------------------------


def _ontologies_dir() -> Path:
    # `ontologies/` at the repository root is the single source of the .ttl files. Found as
    # parents[2] of this file (pipeline/mapping/vocab.py -> repo root), which holds in a source
    # tree and in an editable install (pip install -e .). A copy next to this module
    # (pipeline/mapping/ontologies/) wins if a build puts one there. A plain wheel install has
    # neither unless the packaging ships the files: callers then get a FileNotFoundError that
    # names the path below.
    here = Path(__file__).resolve()
    packaged = here.parent / "ontologies"
    if (packaged / "aerokg.ttl").is_file():
        return packaged
    return here.parents[2] / "ontologies"


ONTOLOGIES_DIR = _ontologies_dir()
ONTOLOGY_PATH = ONTOLOGIES_DIR / "aerokg.ttl"
SHAPES_PATH = ONTOLOGIES_DIR / "shapes.ttl"
