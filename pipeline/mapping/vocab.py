"""The RDF vocabulary of aerokg: closed namespaces, IRI patterns and the ontology files.

``AERO`` lists exactly the terms that ``ontologies/aerokg.ttl`` defines (tests/test_ontology.py
checks both directions) and, being closed, turns a typo such as ``AERO.Clusterr`` into an
``AttributeError`` instead of a silently wrong IRI. ``OA`` does the same for the Web Annotation
terms aerokg uses, which rdflib does not ship. The IRI helpers implement the patterns documented
in ``ontologies/README.md``; the mapping stage should mint IRIs only through them.
"""

from __future__ import annotations

import hashlib
import os
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
    "MAX_SLUG_CHARS",
    "MAX_SEGMENT_CHARS",
    "iri_segment",
    "slugify",
    "short_hash",
    "is_valid_iri",
    "xml_text",
    "label_text",
    "safe_file_name",
    "path_inside",
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


# ---------------------------------------------------------------------------------------------
# Text that goes into IRIs and literals (issue 4, "safety of what we emit")
#
# Whatever an article holds (quotes, angle brackets, line breaks, control characters, bidi
# controls, emoji, lone surrogates from a JSON "\\ud800" escape, 10,000-character names):
#
# * every IRI minted here is plain ASCII: the unreserved characters ``A-Z a-z 0-9 - . _ ~``,
#   upper-case ``%XX`` escapes of UTF-8 bytes, and the ``/``, ``#`` of the patterns; so it is a
#   valid RFC 3987 IRI (no space, no ``<>"{}|\\^```, no control or bidi character) that any
#   parser (rdflib, pyoxigraph, Turtle, N-Triples, SPARQL) accepts. A path segment is never
#   ``.`` or ``..`` (which IRI resolution would remove) and is bounded: a slug keeps at most
#   MAX_SLUG_CHARS characters, an article id MAX_SEGMENT_CHARS, then ``-`` and a short hash of
#   the whole, so that long names that differ only at their end stay distinct;
# * every literal is made of XML 1.0 characters only (``xml_text``): the xsd:string value
#   space is XML's ``Char``, and GraphML/GEXF writers would otherwise write files no XML
#   parser reads. Names and labels (``label_text``) also lose the bidi embedding, override
#   and isolate controls (U+202A-202E, U+2066-2069), which make a label display as something
#   else ("Trojan Source" spoofing) and are never part of a name; the marks U+200E/U+200F and
#   all RTL letters stay. Text quoted as evidence (``oa:exact``, ``schema:text``) is kept
#   verbatim except that a non-XML character becomes U+FFFD, so it keeps its length and its
#   offsets into the article.
# ---------------------------------------------------------------------------------------------

#: The longest slug (entity keys, role IRIs) before it is cut and given a hash.
MAX_SLUG_CHARS = 80
#: The longest percent-encoded article id in an IRI before it is cut and given a hash.
MAX_SEGMENT_CHARS = 120
#: Hex digits of the hash appended to a cut (or empty) slug or segment.
HASH_CHARS = 12

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
# dropped from slugs: controls, lone surrogates, non-characters, bidi controls and marks
_NOT_IN_SLUG = re.compile(
    "[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# RFC 3987 IRI: scheme ":" then no space/control, none of <>"{}|\^` , no bidi formatting
# character, every "%" starting an escape (section 4.1 and the ABNF of section 2.2)
_IRI = re.compile(
    r"[A-Za-z][A-Za-z0-9+.\-]*:"
    r"(?:[^\x00-\x20<>\"{}|\\^`\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069"
    r"\ud800-\udfff\ufffe\uffff%]|%[0-9A-Fa-f]{2})*"
)


def xml_text(text: str, replacement: str = "") -> str:
    r"""``text`` without the characters XML 1.0 forbids (C0 controls other than tab, line feed
    and carriage return; lone surrogates; U+FFFE, U+FFFF), each replaced by ``replacement``.
    Everything else (emoji, RTL text, line breaks) is kept.

    >>> xml_text("a\x00b\x1bc\td")
    'abc\td'
    >>> xml_text("a\x00b", "\ufffd")
    'a\ufffdb'
    """
    return _NOT_XML.sub(replacement, text)


def label_text(text: str) -> str:
    r"""A name or label fit for a literal: :func:`xml_text` without the bidi embedding,
    override and isolate controls (U+202A-202E, U+2066-2069).

    >>> label_text("\u202eMario\u202c Rossi\x00")
    'Mario Rossi'
    """
    return _BIDI_CONTROLS.sub("", xml_text(text))


def short_hash(text: str) -> str:
    """The first HASH_CHARS hex digits of the SHA-256 of ``text`` (UTF-8; a lone surrogate is
    hashed as its code point, never an error)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_CHARS]


def _bounded(segment: str, limit: int) -> str:
    """A percent-encoded path segment of at most ``limit`` characters + "-" + hash; never "."
    or ".." (dot-segments, which IRI resolution removes)."""
    if len(segment) > limit:
        cut = segment[:limit]
        escape = cut.rfind("%", len(cut) - 2)
        if escape != -1:  # do not split a %XX escape
            cut = cut[:escape]
        segment = f"{cut.rstrip('-')}-{short_hash(segment)}"
    if segment and not segment.strip("."):
        segment = segment.replace(".", "%2E")
    return segment


def iri_segment(text: str) -> str:
    """``text`` NFC-normalised with every character outside the unreserved ASCII set
    ``A-Z a-z 0-9 - . _ ~`` percent-encoded (UTF-8, upper-case hex); case is kept. Used for
    article ids in IRIs. One path segment, whatever ``text`` is: ``/`` is encoded, ``.`` and
    ``..`` become ``%2E``/``%2E%2E``, and a segment longer than MAX_SEGMENT_CHARS is cut and
    given a hash of the whole (a lone surrogate is taken as U+FFFD).

    >>> iri_segment("../../etc/passwd")
    '..%2F..%2Fetc%2Fpasswd'
    >>> iri_segment("..")
    '%2E%2E'
    """
    text = _LONE_SURROGATE.sub("\ufffd", unicodedata.normalize("NFC", text))
    return _bounded(quote(text, safe="-._~"), MAX_SEGMENT_CHARS)


def slugify(name: str) -> str:
    r"""The slug of a name: NFC-normalised, lower-cased, runs of whitespace (and ``/``, ``\``)
    to one "-", control and bidi characters dropped, everything outside unreserved ASCII
    percent-encoded. The one slug rule of aerokg (``pipeline.mapping.identity`` uses it for
    entity keys).

    A slug is never empty, never a dot-segment and at most MAX_SLUG_CHARS + 1 + HASH_CHARS
    characters: a longer one is cut and given a hash of the whole slug; a name with nothing
    left gives "unnamed-" + the hash of the name.

    >>> slugify("Amministratore  Delegato")
    'amministratore-delegato'
    >>> slugify("Suzanne M. Benoît")
    'suzanne-m.-beno%C3%AEt'
    >>> slugify("🚀")
    '%F0%9F%9A%80'
    >>> slugify("\u202e")
    'unnamed-3b9e50315ad5'
    """
    text = unicodedata.normalize("NFC", name).strip().lower()
    text = re.sub(r"[\s/\\]+", "-", text)
    text = _NOT_IN_SLUG.sub("", text)
    text = re.sub(r"-{2,}", "-", text).strip("-")
    slug = _bounded(quote(text, safe="-._~"), MAX_SLUG_CHARS)
    return slug or f"unnamed-{short_hash(unicodedata.normalize('NFC', name))}"


def is_valid_iri(text: str) -> bool:
    """Is ``text`` an absolute IRI by RFC 3987 that every RDF tool accepts: a scheme, no
    space or control character, none of ``<>"{}|\\^```, no bidi formatting character, every
    ``%`` starting an escape?

    >>> is_valid_iri("https://example.org/a?b=1#c"), is_valid_iri("https://example.org/a b")
    (True, False)
    """
    return _IRI.fullmatch(text) is not None


# Windows device names: not usable as file names there, whatever the extension
_RESERVED_FILE_NAMES = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
                        *(f"lpt{i}" for i in range(10))}


def safe_file_name(text: str) -> str:
    """A file name (without extension) for an article id or any text: :func:`iri_segment`
    (ASCII, no ``/`` or ``\\``, never ``.`` or ``..``, bounded), not starting with a dot
    (hidden) and not a Windows device name; distinct texts give distinct names.

    >>> safe_file_name("../../etc/passwd")
    '%2E.%2F..%2Fetc%2Fpasswd'
    """
    name = iri_segment(text)
    if name.startswith("."):
        name = "%2E" + name[1:]
    if name.split(".", 1)[0].lower() in _RESERVED_FILE_NAMES:
        name = "_" + name
    return name or f"unnamed-{short_hash(text)}"


def path_inside(out_dir: str | os.PathLike[str], relative: str | os.PathLike[str]) -> Path:
    """``out_dir / relative`` resolved, after checking that it stays inside ``out_dir``:
    ``relative`` is not absolute and neither ``..`` nor a symbolic link takes it out.
    Raises ``ValueError`` otherwise. Build ``relative`` from article data with
    :func:`safe_file_name`.
    """
    root = Path(out_dir).resolve()
    rel = Path(relative)
    if rel.is_absolute() or rel.drive or rel.root:
        raise ValueError(f"not a relative path: {os.fspath(relative)!r}")
    target = (root / rel).resolve()
    if target == root or not target.is_relative_to(root):
        raise ValueError(f"{os.fspath(relative)!r} is not a path inside {root}")
    return target


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
    joined = "\x1f".join(str(k) for k in key)
    digest = hashlib.sha256(joined.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return URIRef(f"{FACT_BASE}{iri_segment(article_id)}/{slugify(kind)}-{digest}")


# ---------------------------------------------------------------------------------------------
# The ontology files
# ---------------------------------------------------------------------------------------------


def _ontologies_dir() -> Path:
    # `ontologies/` at the repository root is the single source of the .ttl files. Found as
    # parents[2] of this file (pipeline/mapping/vocab.py -> repo root) in a source tree and an
    # editable install (pip install -e .); a wheel installs them as data files under
    # {prefix}/share/aerokg/ontologies (pyproject.toml); a copy next to this module
    # (pipeline/mapping/ontologies/) wins if a build puts one there. When none is there,
    # callers get a FileNotFoundError that names the repository path.
    import sys
    import sysconfig

    here = Path(__file__).resolve()
    source = here.parents[2] / "ontologies"
    candidates = [here.parent / "ontologies", source]
    for prefix in (sysconfig.get_path("data"), sys.prefix, sys.base_prefix):
        if prefix:
            candidates.append(Path(prefix) / "share" / "aerokg" / "ontologies")
    for candidate in candidates:
        if (candidate / "aerokg.ttl").is_file():
            return candidate
    return source


ONTOLOGIES_DIR = _ontologies_dir()
ONTOLOGY_PATH = ONTOLOGIES_DIR / "aerokg.ttl"
SHAPES_PATH = ONTOLOGIES_DIR / "shapes.ttl"
