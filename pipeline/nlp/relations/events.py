"""Relation rules for the ``events`` and ``event_participants`` questions.

Events (:attr:`RelationKind.EVENT`)
-----------------------------------
An event mention is an event noun of ``data/event_nouns.json`` (one word with POS NOUN, or a
multi-word entry such as "tavola rotonda", "messa in orbita") outside named entities and outside
quotations. Its label is the noun plus what names the event right after it:

* following relational adjectives: "l'incidente aereo", "la missione spaziale";
* a title in quotes: il seminario “International Cooperation between Aerospace Clusters ...”;
* a proper name: "la missione Sentinel-2", "la missione SpaceX Demo 2";
* a *di*/*su* complement ending in a proper name or a quoted title: "il lancio del (satellite)
  Sentinel-2B", "il Salone di Le Bourget", "il convegno sull'AIDS"; a *di* + bare noun ("missione
  di addestramento"); the topic of a meeting ("forum sull'industria spaziale"); for signing
  nouns, the signed object ("la firma dell'accordo").

Skipped: quantified or hypothetical mentions ("ogni lancio", "le missioni future", "varie
missioni"), modifier uses without article ("rampa di lancio", "in caso di incidente"), other
senses ("visita medica", "il lancio di un prodotto", "i vertici di Airbus"), nouns that are
events only with a name or object ("il salone", "una firma") when they have none. Plural
mentions, headings ("L'incidente"), time references ("prima del lancio"), scare-quoted ones
("la visita "virtuale"") and team uses ("responsabile della missione") may join an event but
never start one.

Mentions become one event per article and (class, name): mentions with the same name are merged;
a mention without a name joins an event of its class with the same noun, else (one-word nouns
only) the nearest preceding event of its class ("l'incidente ... lo schianto"), else it starts
an event of its own. The event's rule mention is its first named mention (else its first
mention); ``canonical`` is the label without quotes. When no Visit noun is found, active
"visitare" verbs with a named visitor or host report one Visit ("Il ministro Urso ha visitato lo
stabilimento di Leonardo" -> "visita a Leonardo").

*Place*: a place mention attached to an event mention or to the verb it is an argument of by
*a, in, presso, su* (also *da* for launches; *di* for a town in the label: "incidente aereo di
Ligny-en-Barrois"), also through the phrases these introduce ("si è schiantato al suolo a
Lexington") and locality or facility nouns ("nel comune di X", "all'aeroporto di Smolensk", "dal
porto spaziale ...: il Centre spatial guyanais"); destinations ("diretto a Roma") are not places.
Else: the places named before a setting noun ("Palazzo Pirelli a Milano, ...: questa la cornice
del seminario"), a destination before a purpose ("diretti a Melbourne per un convegno"), a verb
of the class in the same sentence ("atterraggio di emergenza ... ad atterrare a Tambolaka"), "a/in
+ place" right after the label. The most specific wins: a facility over a town, a town ("a X")
over a province or region ("in/nel X"), over a country. The sentences of the event's other
mentions, then (for the first event of a class) the support verbs of the article's lead
("precipitare" for accidents), are tried in turn. A visit with named hosts gets no region or
country: that is where the visitors travelled, the visit being at the hosts' sites.

*Date*: in the same order of sentences, the one nearest to the event mention of a DATE span
(``._.iso_date``, a day and month taking the article's year), a relative word ("ieri", "oggi",
"lo scorso sabato") or "N anni/mesi/giorni fa" resolved against the article date, else a bare
year ("previsto per il 2025"); else the article date (a reported event is dated to the article,
as the seed gold does); else "".

Participants (:attr:`RelationKind.PARTICIPATION`)
-------------------------------------------------
* organizer: "organizzato/promosso/indetto da X e da Y", "promossa in collaborazione con X",
  "X organizza il convegno", "su iniziativa di X", "a cura di X"; an organisation in the event's
  name ("la missione SpaceX Demo 2", "l'annuncio della NASA");
* sponsor: "con il supporto/sostegno/patrocinio/contributo di X e di Y", "sponsorizzato/
  finanziato/patrocinato da X";
* visitor: the subject of "visitare" (also through "hanno avuto l'opportunità di visitare"),
  "X in visita", "la visita di X", the subject of "fare visita"; a "delegazione canadese" is a
  rule mention (Organization, class Delegation);
* host: the objects of "visitare" (and the companies listed after a colon: "visitare tre
  aziende: Aerea spa di Turate, Leonardo divisione velivoli ed elicotteri", the second unit being
  a rule mention "Leonardo divisione elicotteri"), "visita a/presso X", "ospitato da X";
* participant: the subject of "partecipare"/"prendere parte" (also "rappresentanti di X e Y"),
  "alla presenza di X", "con la partecipazione di X", the parties of a signing or meeting
  ("l'incontro tra X e Y");
* speaker: the subject of "intervenire", "relatori: X, Y".

Coordinated arguments give one row each ("da Regione Lombardia e dal Québec"; "X, Y" only when
the list is closed by "e"). An argument links to the event its trigger depends on in the parse,
else to an event that an anaphoric noun ("l'iniziativa", "l'evento") refers to, else to the
nearest event mention of its sentence; visitor/host rows link to a Visit event only. A passive
participle modifying another noun ("il progetto Iride, finanziato dalla UE") links to no event.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from operator import attrgetter
from pathlib import Path

from spacy.tokens import Doc, Span, Token

from pipeline.datamodel import (
    EVENT,
    ORGANIZATION,
    PERSON,
    PLACE,
    Mention,
    Relation,
    RelationKind,
)
from pipeline.nlp.relations.context import ExtractionContext
from pipeline.nlp.relations.doc_index import (
    per_doc,
    sentence_span,
    token_cache,
    tokens,
    tokens_with,
    word_forms,
)

LEXICON_FILE = Path(__file__).resolve().parents[1] / "data" / "event_nouns.json"
QUANTITIES_KEY = "quantities"

EVENT_CLASSES = (
    "Seminar",
    "Conference",
    "Meeting",
    "Visit",
    "Launch",
    "Mission",
    "Signing",
    "Fair",
    "Accident",
    "Announcement",
)
DELEGATION_CLASS = "Delegation"
FACILITY_CLASS = "Facility"

# --------------------------------------------------------------------------------------------
# Closed-class lexicons
# --------------------------------------------------------------------------------------------

_DI = frozenset("di d' del dello della dei degli delle dell'".split())
_DA = frozenset("da dal dallo dalla dai dagli dalle dall'".split())
_A = frozenset("a ad al allo alla ai agli alle all'".split())
_IN = frozenset("in nel nello nella nei negli nelle nell'".split())
_SU = frozenset("su sul sullo sulla sui sugli sulle sull'".split())
_CON = frozenset("con col coi".split())
_DETS = frozenset("il lo la i gli le l' un uno una un' questo questa quel quello quella".split())
_PREPS = _DI | _DA | _A | _IN | _SU | _CON | {"presso", "per", "tra", "fra"}
_PLACE_CASE_LEMMAS = frozenset({"a", "in", "presso", "su"})
_PLACE_FORMS = _A | _IN | _SU | {"presso"}
_OPEN_QUOTES = {"“": "”", '"': '"', "«": "»", "‘": "’", "'": "'"}
_ALL_QUOTES = frozenset('“”"«»')

# Adjectives that never belong to an event label (temporal, evaluative, ordinal).
_LABEL_STOP_ADJ = frozenset(
    """previsto programmato scorso prossimo successivo precedente stesso ultimo primo secondo
    terzo odierno recente importante grande nuovo tragico tremendo terribile grave inspiegabile
    ennesimo lungo breve atteso annunciato ufficiale unico vero piccolo bello""".split()
)
_ROLE_HEADS = frozenset(
    """responsabile direttore direttrice capo comandante coordinatore coordinatrice portavoce
    membro manager leader""".split()
)
_QUANTIFIERS = frozenset("vario molti molto numeroso diverso tanto alcuni alcune parecchio".split())

# Nouns of which an event noun is the setting ("questa la cornice del seminario").
_SETTING_NOUNS = frozenset("cornice sede teatro scenario location palcoscenico luogo".split())
# Common nouns through which a place is named ("nel comune di X", "nei pressi del villaggio di X").
_LOCALITY_NOUNS = frozenset(
    """comune villaggio località paese città cittadina frazione zona area pressi vicinanza
    vicinanze regione provincia territorio cielo cieli massiccio periferia dintorni distretto
    isola stato contea""".split()
)
# First words of facility names, and facility common nouns ("aeroporto di Smolensk").
_FACILITY_HEADS = frozenset(
    """palazzo palazzina aeroporto aerodromo scalo base stabilimento sede sala auditorium hangar
    spazioporto cosmodromo poligono museo teatro hotel villa castello campus centre center
    fiera autodromo porto stazione ospedale policlinico""".split()
)
_FACILITY_BIGRAMS = frozenset(
    {("centro", "spaziale"), ("centro", "congressi"), ("porto", "spaziale")}
)

_ORGANIZE_VERBS = frozenset("organizzare promuovere indire ideare convocare coorganizzare".split())
_SPONSOR_VERBS = frozenset(
    "sponsorizzare finanziare cofinanziare patrocinare sostenere supportare".split()
)
_HOST_VERBS = frozenset({"ospitare"})
# Classes whose name may carry their organizer ("la missione SpaceX Demo 2", "il convegno di X").
_ORGANIZED_IN_NAME = frozenset(
    {"Seminar", "Conference", "Fair", "Mission", "Launch", "Announcement"}
)
_SPONSOR_NOUNS = frozenset(
    "supporto sostegno patrocinio contributo sponsorizzazione finanziamento egida".split()
)
_ORGANIZER_NOUNS = {"iniziativa": {"su"}, "cura": {"a"}, "organizzazione": None, "regia": None}
_PARTICIPANT_NOUNS = {"presenza": {"alla", "in"}, "partecipazione": None}
_SPEAKER_NOUNS = {"intervento": None}
_TRIGGER_PREPS = frozenset("con col grazie sotto su a al alla in".split())
_PARTICIPATE_VERBS = frozenset({"partecipare"})
_SPEAK_VERBS = frozenset({"intervenire"})
_SPEAKER_ROLE_NOUNS = frozenset({"relatore", "relatori", "relatrice", "relatrici", "oratore"})
_DELEGATION_NOUNS = frozenset({"delegazione", "delegazioni"})
# Nouns standing for an organization's people or vehicles ("rappresentanti di X", "gli elicotteri
# del 15º Stormo"): their organization is the participant.
_PROXY_NOUNS = frozenset(
    """rappresentante rappresentanti delegato delegati esponente esponenti membro membri vertice
    vertici dirigente dirigenti tecnico tecnici ingegnere ingegneri ricercatore ricercatori
    studente studenti personale team squadra squadre elicottero elicotteri velivolo velivoli
    aereo aerei mezzo mezzi uomo uomini militare militari""".split()
)
_LEGAL_FORMS = frozenset(
    "spa s.p.a. s.p.a srl s.r.l. s.r.l sas s.a.s. inc inc. ltd ltd. gmbh plc".split()
)
_HOST_COMMON_NOUNS = frozenset(
    """azienda aziende impresa imprese stabilimento stabilimenti sede sedi impianto impianti
    società realtà centro centri laboratorio laboratori""".split()
)

_RELATIVE_DAYS = {
    "oggi": 0,
    "stamane": 0,
    "stamattina": 0,
    "stasera": 0,
    "stanotte": 0,
    "ieri": -1,
    "altroieri": -2,
    "domani": 1,
    "dopodomani": 2,
}
_WEEKDAYS = {
    "lunedì": 0, "lunedi": 0, "martedì": 1, "martedi": 1, "mercoledì": 2, "mercoledi": 2,
    "giovedì": 3, "giovedi": 3, "venerdì": 4, "venerdi": 4, "sabato": 5, "domenica": 6,
}  # fmt: skip

_PLACE_RANK = {
    FACILITY_CLASS: 0,
    "City": 1,
    "District": 1,
    "": 1,
    "Province": 2,
    "Island": 2,
    "Region": 3,
    "Country": 4,
    "Continent": 5,
}

# --------------------------------------------------------------------------------------------
# The event-noun lexicon
# --------------------------------------------------------------------------------------------

_WORD_RE = re.compile(r"[^\W\d_]+'|[\w-]+", re.UNICODE)


def _norm(text: str) -> str:
    return text.replace("’", "'").replace("‘", "'").lower()


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", _norm(text))
    return "".join(c for c in text if not unicodedata.combining(c))


def plural_forms(word: str) -> set[str]:
    """The word and its regular Italian plural(s); foreign, accented and consonant-final words
    are invariable ("workshop", "città")."""
    forms = {word}
    if not word.isalpha() or word[-1] not in "aeo":
        return forms
    if word.endswith("ca"):
        forms.add(word[:-1] + "he")
    elif word.endswith("ga"):
        forms.add(word[:-1] + "he")
    elif word.endswith(("cia", "gia")):
        forms |= {word[:-1] + "e", word[:-2] + "e"}
    elif word.endswith("a"):
        forms.add(word[:-1] + "e")
    elif word.endswith("io"):
        forms.add(word[:-1])
    elif word.endswith("co"):
        forms |= {word[:-1] + "hi", word[:-1] + "i"}
    elif word.endswith("go"):
        forms |= {word[:-1] + "hi", word[:-1] + "i"}
    elif word.endswith(("o", "e")):
        forms.add(word[:-1] + "i")
    return forms


@dataclass(frozen=True)
class EventLexicon:
    classes: dict[str, str]  # entry -> class
    single_forms: dict[str, str]  # lower-case form (singular or plural) -> one-word entry
    multi: dict[str, list[tuple[tuple[frozenset[str], ...], str]]]  # first-word form -> entries
    needs_name: frozenset[str]
    needs_object: frozenset[str]
    objects: frozenset[str]
    anaphoric: frozenset[str]
    generic: frozenset[str]
    support_verbs: dict[str, str]  # verb lemma -> class
    sentence_verbs: dict[str, str]  # verb lemma -> class, used in the mention's sentence only
    not_of_named: dict[str, frozenset[str]]  # entry -> NER labels of complements that rule it out
    restricted: dict[str, frozenset[str]]  # entry -> the only common nouns its "di" may take
    excluded_modifiers: dict[str, frozenset[str]]  # entry -> adjectives that rule it out

    @cached_property
    def start_forms(self) -> frozenset[str]:
        """Word forms (``_low``) an entry can start with."""
        return frozenset(self.multi) | frozenset(self.single_forms)

    @cached_property
    def start_lemmas(self) -> frozenset[str]:
        """Lemmas (``_lemma``) an entry can start with."""
        return frozenset(self.multi) | frozenset(self.classes)


@lru_cache(maxsize=1)
def load_lexicon(path: Path = LEXICON_FILE) -> EventLexicon:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    classes: dict[str, str] = {}
    single: dict[str, str] = {}
    multi: dict[str, list[tuple[tuple[frozenset[str], ...], str]]] = {}
    for entry, cls in data["events"].items():
        if cls not in EVENT_CLASSES:
            raise ValueError(f"{path.name}: {entry!r} has unknown class {cls!r}")
        entry = _norm(entry)
        classes[entry] = cls
        words = _WORD_RE.findall(entry)
        if len(words) == 1:
            for form in plural_forms(words[0]):
                single.setdefault(form, entry)
        else:
            sets = tuple(frozenset(plural_forms(w)) for w in words)
            for form in sets[0]:
                multi.setdefault(form, []).append((sets, entry))
    for options in multi.values():
        options.sort(key=lambda o: -len(o[0]))
    anaphoric = {f for w in data.get("anaphoric", []) for f in plural_forms(_norm(w))}
    support = {
        _norm(verb): cls for cls, verbs in data.get("support_verbs", {}).items() for verb in verbs
    }
    return EventLexicon(
        classes=classes,
        single_forms=single,
        multi=multi,
        needs_name=frozenset(_norm(w) for w in data.get("needs_name", [])),
        needs_object=frozenset(_norm(w) for w in data.get("needs_object", {}).get("nouns", [])),
        objects=frozenset(_norm(w) for w in data.get("needs_object", {}).get("objects", [])),
        anaphoric=frozenset(anaphoric),
        generic=frozenset(_norm(w) for w in data.get("generic_modifiers", [])),
        support_verbs=support,
        sentence_verbs={
            **support,
            **{
                _norm(verb): cls
                for cls, verbs in data.get("sentence_verbs", {}).items()
                for verb in verbs
            },
        },
        not_of_named={
            _norm(w): frozenset(labels)
            for w, labels in data.get("not_with_named_complement", {}).items()
        },
        restricted={
            _norm(w): frozenset(_norm(n) for n in nouns)
            for w, nouns in data.get("restricted_complement", {}).items()
        },
        excluded_modifiers={
            _norm(w): frozenset(_norm(a) for a in adjs)
            for w, adjs in data.get("excluded_modifiers", {}).items()
        },
    )


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


@dataclass
class _Cand:
    """One event-noun mention."""

    start: int  # event noun (multi-word entry) token span
    end: int
    entry: str
    cls: str
    plural: bool
    label_end: int  # token after the label
    label: str
    name_key: str  # normalised name/title/object of the label, "" for a bare noun
    weak: bool = False  # a heading or a time anchor ("prima del lancio"): joins, never starts

    @property
    def head(self) -> int:
        return self.start


@dataclass
class _Event:
    cls: str
    mentions: list[_Cand] = field(default_factory=list)

    @property
    def rep(self) -> _Cand:
        named = [m for m in self.mentions if m.name_key]
        return min(named or self.mentions, key=lambda m: m.start)

    @property
    def first(self) -> int:
        return min(m.start for m in self.mentions)


@dataclass(frozen=True)
class _PlaceCand:
    mention: Mention
    rank: int
    pos: int


# --------------------------------------------------------------------------------------------
# Helpers over the Doc
# --------------------------------------------------------------------------------------------


# Verb forms by stem, for when the lemmatizer errs ("intervenuti" -> "intervenere").
_VERB_STEMS = (
    (re.compile(r"^visit(a|o|i|ano|iamo|ate|are|ato|ata|ati|ate|ando|er|av|ass)"), "visitare"),
    (re.compile(r"^partecip(a|o|i|ano|are|ato|ata|ati|ate|ando|er|av|ass)"), "partecipare"),
    (re.compile(r"^interv(en|ien|err|eng)"), "intervenire"),
    (re.compile(r"^organizz(a|o|i|er|av|ass)"), "organizzare"),
    (re.compile(r"^promo(ss|sso|ve|vo|vu|uov)"), "promuovere"),
    (re.compile(r"^ospit(a|o|i|er|av|ass)"), "ospitare"),
)


def _find_verb_lemma(token: Token) -> str:
    """The lemma of a verb, checked against the stems of the verbs the rules use."""
    lemma = _lemma(token)
    if token.pos_ not in ("VERB", "AUX", "ADJ"):
        return lemma
    low = _norm(token.text)
    for stem, verb in _VERB_STEMS:
        if stem.match(low):
            return verb
    return lemma


#: the token's text, normalised (_norm), and its lemma's; cached (doc_index.word_forms)
_low = word_forms("orth", "text", _norm)
_LEMMAS = word_forms("lemma", "lemma_", _norm)


def _lemma(token: Token) -> str:
    return _LEMMAS(token) if token.lemma else _low(token)


#: _find_verb_lemma, kept by (form, lemma, part of speech), all it depends on: the rules ask
#: for it about 550 times per article, and the stems are tried one by one
_verb_lemma = token_cache(attrgetter("orth", "lemma", "pos"), _find_verb_lemma)
_VERB_LEMMAS = _verb_lemma.forms


def _quote_regions(doc: Doc) -> frozenset[int]:
    """Token indices inside quotations («...», “...”, "...")."""
    return per_doc(doc, "quote_regions", _find_quote_regions)


def _find_quote_regions(doc: Doc) -> frozenset[int]:
    inside: set[int] = set()
    stack: list[tuple[str, int]] = []
    for token in tokens(doc):
        text = token.text
        if stack and text == stack[-1][0]:
            _, start = stack.pop()
            inside.update(range(start + 1, token.i))
        elif text in ("«", "“") or (text == '"' and not (stack and stack[-1][0] == '"')):
            stack.append((_OPEN_QUOTES[text], token.i))
        elif "\n\n" in text:
            stack.clear()  # quotations do not run over paragraphs
    return frozenset(inside)


def _sent_bounds(token: Token) -> tuple[int, int]:
    return sentence_span(token.doc, token.i)


def _is_name_token(
    token: Token, sent_start: int, allow_per: bool = False, persons: frozenset[int] | None = None
) -> bool:
    """A word of a proper name; person names only with ``allow_per`` (``persons``: the tokens
    of person mentions, after the domain layer's reconciliation; else the NER's labels)."""
    if token.is_space:
        return False
    is_person = token.i in persons if persons is not None else token.ent_type_ == "PER"
    if is_person:
        return allow_per
    if token.ent_type_:
        return True
    text = token.text
    if token.pos_ == "PROPN" and text[:1].isalnum():
        return True
    if token.i > sent_start and text[:1].isupper():
        return True
    return bool(re.fullmatch(r"[A-Z][\w.-]*\d[\w.-]*|[A-Z]{2,}[\w.-]*", text))


def _is_function_word(token: Token) -> bool:
    return token.is_stop or _norm(token.text).endswith("'") or token.pos_ in ("DET", "ADP", "PRON")


def _name_run(
    doc: Doc, i: int, limit: int, allow_per: bool = False, persons: frozenset[int] | None = None
) -> int:
    """End of the proper-name run starting at ``i`` (``i`` itself when there is none)."""
    if i >= limit:
        return i
    sent_start = doc[i].sent.start
    if not _is_name_token(doc[i], sent_start, allow_per, persons):
        return i
    if _is_function_word(doc[i]) and not (
        i + 1 < limit
        and _is_name_token(doc[i + 1], sent_start, allow_per, persons)
        and not _is_function_word(doc[i + 1])
        and not _norm(doc[i].text).endswith("'")
    ):
        return i
    j = i + 1
    while j < limit and j - i < 12:
        token = doc[j]
        if _is_name_token(token, sent_start, allow_per, persons):
            j += 1
        elif token.like_num and not token.text.startswith(("(", ",")):
            j += 1
        elif (
            token.text in ("-", "/")
            and j + 1 < limit
            and _is_name_token(doc[j + 1], sent_start, allow_per, persons)
        ):
            j += 2
        else:
            break
    return j


# --------------------------------------------------------------------------------------------
# Event mentions
# --------------------------------------------------------------------------------------------


def _match_entry(doc: Doc, i: int, lex: EventLexicon) -> tuple[int, str] | None:
    """(end, entry) of the lexicon entry starting at token ``i``."""
    token = doc[i]
    low = _low(token)
    for sets, entry in [*lex.multi.get(low, []), *lex.multi.get(_lemma(token), [])]:
        n = len(sets)
        if i + n <= len(doc) and all(_low(doc[i + k]) in sets[k] for k in range(1, n)):
            return i + n, entry
    if token.pos_ not in ("NOUN", "PROPN", "X"):
        return None
    entry = lex.classes.get(_lemma(token)) and _lemma(token)
    if not entry:
        entry = lex.single_forms.get(low)
    if entry and entry in lex.classes and " " not in entry:
        return i + 1, entry
    return None


def _is_plural(doc: Doc, start: int, entry: str) -> bool:
    token = doc[start]
    number = token.morph.get("Number")
    if number:
        return number[0] == "Plur"
    return _low(token) != entry.split()[0]


def _is_generic(doc: Doc, start: int, end: int, lex: EventLexicon) -> bool:
    head = doc[start]
    sent_start, _ = _sent_bounds(head)
    # quantifiers and hypothetical modifiers in the noun phrase
    window: list[Token] = []
    k = start - 1
    while (
        k >= sent_start and start - k <= 3 and doc[k].pos_ in ("DET", "ADJ", "NUM", "ADV", "PRON")
    ):
        window.append(doc[k])
        k -= 1
    window += [doc[k] for k in range(end, min(len(doc), end + 2)) if doc[k].pos_ == "ADJ"]
    window += [c for c in head.children if c.dep_ in ("det", "amod", "nummod")]
    for token in window:
        if _lemma(token) in lex.generic or _low(token) in lex.generic:
            return True
    # modifier use without article: "rampa di lancio", "in caso di incidente"
    if start - 2 >= sent_start:
        prev, before = doc[start - 1], doc[start - 2]
        if _low(prev) in ("di", "d'", "da", "per") and before.pos_ in ("NOUN", "ADJ", "PROPN"):
            return True
    return False


def _quoted_end(doc: Doc, i: int, limit: int) -> int:
    """End (after the closing quote) of a quoted title opening at ``i``; ``i`` if none."""
    if i >= limit or doc[i].text not in _OPEN_QUOTES or doc[i].text in ("'", "‘"):
        return i
    closing = _OPEN_QUOTES[doc[i].text]
    for j in range(i + 1, min(limit, i + 40)):
        if doc[j].text == closing:
            return j + 1 if j > i + 1 else i
    return i


def _label(
    doc: Doc,
    start: int,
    end: int,
    entry: str,
    cls: str,
    lex: EventLexicon,
    persons: frozenset[int] | None = None,
) -> tuple[int, str]:
    """End of the event label and its name key (normalised complement; "" when bare)."""
    sent_start, limit = _sent_bounds(doc[start])
    i = end
    # relational adjectives: "incidente aereo", "missione spaziale"
    n_adj = 0
    while (
        i < limit
        and n_adj < 2
        and doc[i].pos_ == "ADJ"
        and doc[i].is_alpha
        and not doc[i].ent_type_
        and _lemma(doc[i]) not in _LABEL_STOP_ADJ
        and _lemma(doc[i]) not in lex.generic
    ):
        i += 1
        n_adj += 1
    name_parts: list[str] = []
    # a title in quotes
    j = _quoted_end(doc, i, limit)
    if j == i + 3 and doc[i + 1].text.islower():
        j = i  # scare quotes ("la visita "virtuale""), not a title
    if j > i:
        name_parts.append(doc[i + 1 : j - 1].text)
        i = j
    else:
        # a proper name right after the noun
        j = _name_run(doc, i, limit, persons=persons)
        if j > i:
            name_parts.append(doc[i:j].text)
            i = j
    if i >= limit:
        return i, _key(name_parts)
    low = _low(doc[i])
    # "di" + bare noun: "missione di addestramento", "volo di prova"
    if low in ("di", "d'") and not name_parts and i + 1 < limit:
        nxt = doc[i + 1]
        if (
            nxt.pos_ == "NOUN"
            and nxt.text.islower()
            and not nxt.ent_type_
            and _match_entry(doc, i + 1, lex) is None
            and (entry not in lex.needs_object or _lemma(nxt) in lex.objects)
        ):
            name_parts.append(nxt.text)
            return i + 2, _key(name_parts)
    # a "di"/"su" complement ending in a proper name or a quoted title; the object of a
    # signing; the topic of a meeting ("convegno sulla sicurezza aerea")
    if low in _DI or (low in _SU and not name_parts):
        j = i + 1
        skipped = 0
        while j < limit and skipped < 4:
            token = doc[j]
            if _is_name_token(token, sent_start, True, persons) or token.text in ("“", '"', "«"):
                break
            if entry in lex.needs_object and _lemma(token) in lex.objects:
                name_parts.append(doc[i + 1 : j + 1].text)
                return j + 1, _key(name_parts)
            if token.pos_ in ("DET", "NUM", "ADJ", "NOUN") and not token.is_punct:
                j += 1
                skipped += 1
            else:
                break
        if j < limit:
            k = _quoted_end(doc, j, limit)
            if k == j:
                k = _name_run(doc, j, limit, allow_per=True, persons=persons)
            if k > j:
                name_parts.append(doc[i + 1 : k].text)
                return k, _key(name_parts)
        if low in _SU and cls in ("Seminar", "Conference", "Meeting") and j > i + 1:
            last = j
            while last > i + 1 and doc[last - 1].pos_ not in ("NOUN", "ADJ"):
                last -= 1
            if any(doc[k].pos_ == "NOUN" for k in range(i + 1, last)):
                name_parts.append(doc[i + 1 : last].text)
                return last, _key(name_parts)
    return i, _key(name_parts)


def _key(parts: list[str]) -> str:
    key = _fold(" ".join(parts))
    return " ".join(re.sub(r"[^\w\s]", " ", key).split())


def _clean_label(span: Span) -> str:
    text = "".join(c for c in span.text if c not in _ALL_QUOTES)
    return " ".join(text.split())


def _entry_starts(doc: Doc, lex: EventLexicon) -> list[Token]:
    """The tokens a lexicon entry may start at (:func:`_match_entry` is None elsewhere), in
    the Doc's order: by form or by lemma, looked up in the Doc's indexes of them."""
    by_form = tokens_with(doc, _low, lex.start_forms)
    by_lemma = tokens_with(doc, _lemma, lex.start_lemmas)
    if not by_lemma:
        return by_form
    merged = {token.i: token for token in by_form}
    merged.update((token.i, token) for token in by_lemma)
    return [merged[i] for i in sorted(merged)]


def _candidates(doc: Doc, lex: EventLexicon, persons: frozenset[int] | None = None) -> list[_Cand]:
    quoted = _quote_regions(doc)
    out: list[_Cand] = []
    i = 0  # where the next mention may start: the tokens before it are taken or ruled out
    for token in _entry_starts(doc, lex):
        if token.i < i:
            continue
        i = token.i
        # an entity may start with an event noun ("missione SpaceX Demo 2" tagged ORG)
        led = _leads_entity(token)
        if (token.ent_type_ and not led) or i in quoted or token.is_punct or token.is_space:
            continue
        match = _match_entry(doc, i, lex)
        if match is None:
            continue
        end, entry = match
        cls = lex.classes[entry]
        inside = any(doc[k].ent_type_ and doc[k].ent_iob_ == "I" for k in range(i, end))
        if (inside and not led) or _is_generic(doc, i, end, lex):
            i = end
            continue
        label_end, key = _label(doc, i, end, entry, cls, lex, persons)
        if entry in lex.needs_name and not key:
            i = end
            continue
        if entry in lex.needs_object and not any(
            _lemma(doc[k]) in lex.objects for k in range(end, label_end)
        ):
            i = end
            continue
        if _excluded(doc, i, end, entry, lex):
            i = end
            continue
        if entry in lex.not_of_named and any(
            doc[k].ent_type_ in lex.not_of_named[entry] for k in range(end, label_end)
        ):
            i = end  # "i vertici di Germanwings": the management, not a summit
            continue
        plural = _is_plural(doc, i, entry)
        if (
            plural
            and not key
            and any(_lemma(t) in _QUANTIFIERS or t.like_num for t in doc[max(0, i - 2) : i])
        ):
            i = end
            continue
        out.append(
            _Cand(
                start=i,
                end=end,
                entry=entry,
                cls=cls,
                plural=plural,
                label_end=label_end,
                label=_clean_label(doc[i:label_end]),
                name_key=key,
                weak=not key
                and (
                    _is_heading(doc, i, label_end)
                    or _is_time_anchor(doc, i)
                    or _scare_quoted(doc, label_end)
                    or _is_role_complement(doc, i)
                ),
            )
        )
        i = label_end
    return out


def _leads_entity(token: Token) -> bool:
    """A lower-case word opening a non-person entity: the NER took an event noun into a name
    ("la missione SpaceX Demo 2" as one ORG)."""
    return (
        token.ent_iob_ == "B"
        and token.ent_type_ not in ("", "PER")
        and token.text.islower()
        and token.is_alpha
    )


def _excluded(doc: Doc, start: int, end: int, entry: str, lex: EventLexicon) -> bool:
    """ "visita medica", "lancio di un nuovo prodotto": the noun in another sense."""
    limit = doc[start].sent.end
    k = end
    adjectives: list[Token] = []
    while k < limit and (doc[k].pos_ == "ADJ" or doc[k].text in _ALL_QUOTES):
        adjectives.append(doc[k])
        k += 1
    banned = lex.excluded_modifiers.get(entry, frozenset())
    if any(_lemma(a) in banned or _low(a) in banned for a in adjectives):
        return True
    allowed = lex.restricted.get(entry)
    if allowed is not None and k < limit and _low(doc[k]) in _DI:
        k += 1
        while k < limit and doc[k].pos_ in ("DET", "NUM", "ADJ") and not doc[k].ent_type_:
            k += 1
        if (
            k < limit
            and doc[k].pos_ == "NOUN"
            and doc[k].text.islower()
            and not doc[k].ent_type_
            and _lemma(doc[k]) not in allowed
            and _low(doc[k]) not in allowed
            and not any(f in allowed for f in (_low(doc[k])[:-1] + "e", _low(doc[k])[:-1] + "o"))
        ):
            return True
    return False


def _is_heading(doc: Doc, start: int, end: int) -> bool:
    """The mention is a whole line ("L'incidente", a section heading)."""
    sent = doc[start].sent
    first, last = start, end
    while first > sent.start and "\n" not in doc[first - 1].text:
        first -= 1
    while last < sent.end and "\n" not in doc[last].text:
        last += 1
    rest = [doc[k] for k in range(first, last) if not (start <= k < end)]
    return all(t.pos_ == "DET" or _norm(t.text) in _DETS or t.is_punct or t.is_space for t in rest)


def _scare_quoted(doc: Doc, end: int) -> bool:
    """A one-word quoted modifier after the noun: "la visita "virtuale"" is not literal."""
    return (
        end + 2 < len(doc)
        and doc[end].text in _OPEN_QUOTES
        and doc[end + 2].text == _OPEN_QUOTES[doc[end].text]
        and doc[end + 1].text.islower()
    )


def _is_role_complement(doc: Doc, start: int) -> bool:
    """ "responsabile della missione", "direttore del lancio": the event stands for a team."""
    k = start - 1
    if k >= 0 and _low(doc[k]) in _DETS:
        k -= 1
    return k >= 1 and _low(doc[k]) in _DI and _lemma(doc[k - 1]) in _ROLE_HEADS


def _is_time_anchor(doc: Doc, start: int) -> bool:
    """ "prima del lancio", "dopo l'atterraggio", "al momento dell'incidente": a time reference."""
    k = start - 1
    if k >= 0 and (_low(doc[k]) in _DI | _DETS | _A):
        k -= 1
    return k >= 0 and _low(doc[k]) in ("prima", "dopo", "momento", "vigilia")


def _group(cands: list[_Cand]) -> list[_Event]:
    """One event per (class, name); bare mentions join an event of their class."""
    events: list[_Event] = []
    pending: list[_Cand] = []
    for cand in cands:
        if not cand.name_key:
            continue
        same = next(
            (e for e in events if e.cls == cand.cls and e.rep.name_key == cand.name_key), None
        )
        if same:
            same.mentions.append(cand)
        elif not cand.plural:
            events.append(_Event(cand.cls, [cand]))
        else:  # "le missioni Sentinel-3, 4, 5 e 6": several events, none reported as one
            pending.append(cand)
    for cand in cands:
        if cand.name_key:
            continue
        target = _antecedent(events, cand)
        if target is not None:
            target.mentions.append(cand)
        elif not cand.plural and not cand.weak:
            events.append(_Event(cand.cls, [cand]))
        else:
            pending.append(cand)
    for cand in pending:  # plurals that a later singular mention introduced ("le visite")
        if cand.name_key:
            target = next(
                (e for e in events if e.cls == cand.cls and e.rep.name_key == cand.name_key), None
            )
        else:
            target = _antecedent(events, cand)
        if target is not None:
            target.mentions.append(cand)
    events.sort(key=lambda e: e.first)
    return events


def _antecedent(events: list[_Event], cand: _Cand) -> _Event | None:
    same_cls = [e for e in events if e.cls == cand.cls]
    if not same_cls:
        return None

    def distance(event: _Event) -> tuple[int, int]:
        before = [cand.start - m.start for m in event.mentions if m.start < cand.start]
        after = [m.start - cand.start for m in event.mentions if m.start > cand.start]
        return (0, min(before)) if before else (1, min(after) if after else 10**9)

    same_noun = [e for e in same_cls if any(m.entry == cand.entry for m in e.mentions)]
    if same_noun:
        return min(same_noun, key=distance)
    preceding = [e for e in same_cls if e.first < cand.start]
    if preceding and " " not in cand.entry:  # "atterraggio di emergenza" names its own event
        return min(preceding, key=distance)
    return None


# --------------------------------------------------------------------------------------------
# Places
# --------------------------------------------------------------------------------------------


def _place_class(mention: Mention) -> str:
    if mention.cls:
        return mention.cls
    words = _norm(mention.text).split()
    if words and (words[0] in _FACILITY_HEADS or tuple(words[:2]) in _FACILITY_BIGRAMS):
        return FACILITY_CLASS
    try:
        from pipeline.nlp.gazetteer import lookup

        found = lookup(mention.text)
    except Exception:  # pragma: no cover - gazetteer data missing
        found = None
    return found[0] if found else ""


def _place_mention(doc: Doc, token: Token, ctx: ExtractionContext) -> _PlaceCand | None:
    """The place named at ``token``: its mention, or a facility rule mention when a facility
    noun precedes it ("aeroporto di Smolensk")."""
    mention = ctx.mention_at(token)
    if mention is None or mention.coarse != PLACE:
        return None
    first = token.i
    while first > 0 and ctx.mention_at(doc[first - 1]) is mention:
        first -= 1
    k = first - 1
    if k >= 1 and _low(doc[k]) in _DI:
        head = k - 1  # "aeroporto (internazionale) di X"
        while head > k - 3 and head > 0 and doc[head].pos_ == "ADJ" and doc[head].text.islower():
            head -= 1
        if _low(doc[head]) in _FACILITY_HEADS:
            last = token.i
            while last + 1 < len(doc) and ctx.mention_at(doc[last + 1]) is mention:
                last += 1
            span = doc[head : last + 1]
            facility = ctx.rule_mention(span, PLACE, FACILITY_CLASS, _clean_label(span))
            return _PlaceCand(facility, 0, head)
    cls = _place_class(mention)
    rank = _PLACE_RANK.get(cls, 1)
    if not cls and k >= 0 and _low(doc[k]) in _IN | {"in"}:
        rank = _PLACE_RANK["Region"]  # "in Alta Provenza", "nel Kentucky": not a town
    return _PlaceCand(mention, rank, first)


def _case_of(token: Token) -> set[str]:
    cases = {_lemma(c) for c in token.children if c.dep_ in ("case", "fixed")}
    cases |= {_low(c) for c in token.children if c.dep_ == "case"}
    if token.i > 0:
        cases.add(_low(token.doc[token.i - 1]))
    return cases


_DIRECTION_WORDS = frozenset(
    """diretto diretta diretti dirette destinato destinata destinati partito partita partiti
    proveniente provenienti verso rotta destinazione rientro ritorno""".split()
)


def _after_direction(token: Token) -> bool:
    """The phrase at ``token`` follows a word of direction ("diretto a", "partito da")."""
    doc = token.doc
    first = min([token.i] + [c.i for c in token.children if c.dep_ in ("case", "det")])
    for k in range(max(0, first - 2), first):
        if _low(doc[k]) in _DIRECTION_WORDS:
            return True
    return False


def _places_under(
    doc: Doc,
    head: Token,
    ctx: ExtractionContext,
    allow_da: bool,
    depth: int = 0,
    allow_di: bool = False,
) -> list[_PlaceCand]:
    """Place mentions attached to ``head`` by a place preposition, also through the phrases
    they introduce ("si è schiantato al suolo a Lexington", "nella fase di atterraggio
    all'aeroporto di Smolensk") and through locality nouns ("nel comune di X")."""
    found: list[_PlaceCand] = []
    if depth > 3:
        return found
    for child in head.children:
        if not (child.dep_.startswith(("obl", "nmod", "advmod", "appos")) or child.dep_ == "conj"):
            continue
        cases = _case_of(child)
        if _after_direction(child):
            continue  # "un Boeing diretto a Roma": a destination, not where the event is
        place_case = bool(cases & (_PLACE_CASE_LEMMAS | _PLACE_FORMS)) or (
            allow_da and bool(cases & _DA)
        )
        if depth > 0 and (child.dep_ in ("conj", "appos") or (allow_di and cases & _DI)):
            place_case = True
        cand = _place_mention(doc, child, ctx)
        if cand is not None:
            if place_case:
                found.append(cand)
                found.extend(_places_under(doc, child, ctx, allow_da, depth + 1))
            continue
        word = _lemma(child)
        facility = word in _FACILITY_HEADS or _low(child) in _FACILITY_HEADS
        locality = word in _LOCALITY_NOUNS or _low(child) in _LOCALITY_NOUNS or facility
        if facility and place_case:
            # "dal porto spaziale europeo nella Guyana francese: il Centre spatial guyanais"
            sent_end = child.sent.end
            for k in range(child.i + 1, min(sent_end, child.i + 12)):
                if doc[k].text in (":", "("):
                    j = k + 1
                    if j < sent_end and _low(doc[j]) in _DETS:
                        j += 1
                    named = _place_mention(doc, doc[j], ctx) if j < sent_end else None
                    if named is not None:
                        found.append(named)
                    break
                if doc[k].text in (".", ";"):
                    break
        if place_case or (locality and depth > 0 and cases & _DI):
            found.extend(_places_under(doc, child, ctx, allow_da, depth + 1, allow_di=locality))
    return found


def _places_window(doc: Doc, start: int, limit: int, ctx: ExtractionContext) -> list[_PlaceCand]:
    """Window fallback: "a/in/presso (det) PLACE" in the phrase right after the event label
    ("il convegno di ieri a Milano", "il workshop tenutosi presso la sede di X a Roma"), up to
    the next punctuation or finite verb."""
    found: list[_PlaceCand] = []
    for k in range(start, min(limit, start + 10)):
        token = doc[k]
        if token.is_punct and token.text not in ("“", "”", '"'):
            break
        if k > start and token.pos_ in ("VERB", "AUX") and not _is_participle(token):
            break
        if k == 0 or ctx.mention_at(token) is None:
            continue
        prev = doc[k - 1]
        if prev.i > start and _low(prev) in _DETS:
            prev = doc[k - 2]
        if _low(prev) in _PLACE_FORMS and not _after_direction(prev):
            cand = _place_mention(doc, token, ctx)
            if cand is not None:
                found.append(cand)
    return found


def _places_for_mention(
    doc: Doc, cand: _Cand, ctx: ExtractionContext, lex: EventLexicon
) -> list[_PlaceCand]:
    head = doc[cand.head]
    allow_da = cand.cls == "Launch"
    found = _places_under(doc, head, ctx, allow_da)
    if cand.entry == "visitare":  # "ha visitato Torino", "lo stabilimento di X a Grottaglie"
        for obj in (c for c in head.children if c.dep_ == "obj"):
            pc = _place_mention(doc, obj, ctx)
            if pc is not None:
                found.append(pc)
            else:
                found.extend(_places_under(doc, obj, ctx, False, depth=1))
    # "di" + town in the label: "incidente aereo di Ligny-en-Barrois", "Salone di Le Bourget"
    for k in range(cand.end, cand.label_end):
        if _low(doc[k - 1]) in _DI:
            pc = _place_mention(doc, doc[k], ctx)
            if pc and pc.rank <= 1:
                found.append(pc)
    # a clause on the event noun: "il workshop tenutosi presso X", "il convegno che si terrà a X"
    for child in head.children:
        if child.dep_ in ("acl", "acl:relcl") and child.pos_ in ("VERB", "AUX"):
            found.extend(_places_under(doc, child, ctx, allow_da))
    # the verb the event noun is an argument of
    if head.dep_ in ("nsubj", "nsubj:pass", "obj", "obl", "iobj") and head.head.pos_ in (
        "VERB",
        "AUX",
    ):
        found.extend(_places_under(doc, head.head, ctx, allow_da))
    # setting nouns: "Palazzo Pirelli a Milano, ...: questa la cornice del seminario"
    governor = head.head
    setting = None
    if governor is not head and _lemma(governor) in _SETTING_NOUNS:
        setting = governor
    else:
        for k in range(max(head.sent.start, cand.start - 3), cand.start):
            if _lemma(doc[k]) in _SETTING_NOUNS or _low(doc[k]) in _SETTING_NOUNS:
                setting = doc[k]
    if setting is not None:
        for k in range(head.sent.start, setting.i):
            pc = _place_mention(doc, doc[k], ctx)
            if pc and all(p.pos != pc.pos for p in found):
                found.append(pc)
    # "X ospita il convegno"
    if head.dep_ == "obj" and _lemma(head.head) in _HOST_VERBS:
        for child in head.head.children:
            if child.dep_ == "nsubj" and (pc := _place_mention(doc, child, ctx)):
                found.append(pc)
    # a destination before a purpose: "diretti a Melbourne, in Australia, per un convegno"
    if cand.start >= 2 and "per" in (_low(doc[cand.start - 1]), _low(doc[cand.start - 2])):
        for k in range(max(1, head.sent.start, cand.start - 10), cand.start):
            if _low(doc[k - 1]) in _PLACE_FORMS and (pc := _place_mention(doc, doc[k], ctx)):
                found.append(pc)
    # a verb of the class in the same sentence: "atterraggio di emergenza ... atterrare a X"
    if not found:
        for token in head.sent:
            if token.pos_ in ("VERB", "AUX") and lex.sentence_verbs.get(_lemma(token)) == cand.cls:
                found.extend(_places_under(doc, token, ctx, allow_da))
    if not found:
        found = _places_window(doc, cand.label_end, head.sent.end, ctx)
    return found


def _best_place(cands: list[_PlaceCand]) -> _PlaceCand | None:
    if not cands:
        return None
    return min(cands, key=lambda c: (c.rank, c.pos))


# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ArticleDate:
    iso: str  # as given: "2017-11", "2017-03-08", "2007" or ""
    day: dt.date | None  # when the article date is a full date
    reference: dt.date | None  # any date in the article's year (for "7 marzo")

    @classmethod
    def parse(cls, value: str | None) -> _ArticleDate:
        value = (value or "").strip()
        m = re.fullmatch(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?", value)
        if not m:
            m2 = re.match(r"(\d{4})-(\d{2})-(\d{2})", value)  # "2017-03-08T10:00"
            if m2:
                value = m2.group(0)
                m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", value)
        if not m:
            return cls("", None, None)
        year, month, day = int(m[1]), int(m[2] or 1), int(m[3] or 1)
        try:
            ref = dt.date(year, month, day)
        except ValueError:
            return cls(value, None, None)
        return cls(value, ref if m[3] else None, ref)


def _span_date(span: Span, art: _ArticleDate) -> str | None:
    iso = getattr(span._, "iso_date", None) if Span.has_extension("iso_date") else None
    if iso:
        return iso
    if art.reference is None:
        return None
    try:
        from pipeline.nlp.quantities import normalise_date

        return normalise_date(span.text, art.reference)
    except Exception:  # pragma: no cover
        return None


def _relative_date(sent: Span, near: int, art: _ArticleDate) -> tuple[int, str] | None:
    """(distance, date) of the relative day word of the sentence nearest to token ``near``."""
    best: tuple[int, str] | None = None
    doc = sent.doc
    for token in sent:
        low = _low(token)
        offset: int | None = None
        if low in _RELATIVE_DAYS:
            offset = _RELATIVE_DAYS[low]
            if low == "ieri" and token.i > 0 and _low(doc[token.i - 1]) in ("altro", "l'altro"):
                offset = -2
        elif low in ("mattina", "sera", "pomeriggio", "notte", "mattinata", "serata") and (
            token.i > 0 and _low(doc[token.i - 1]) in ("questa", "questo", "stamani")
        ):
            offset = 0
        elif low in _WEEKDAYS:
            prev = _low(doc[token.i - 1]) if token.i > 0 else ""
            nxt = _low(doc[token.i + 1]) if token.i + 1 < len(doc) else ""
            if "scors" in prev or nxt.startswith("scors"):
                offset = _weekday_offset(art, _WEEKDAYS[low], past=True)
            elif "prossim" in prev or nxt.startswith("prossim"):
                offset = _weekday_offset(art, _WEEKDAYS[low], past=False)
            if offset is None:
                continue
        else:
            continue
        if art.day is not None:
            value = (art.day + dt.timedelta(days=offset)).isoformat()
        elif art.iso:
            value = art.iso
        else:
            continue
        dist = abs(token.i - near)
        if best is None or dist < best[0]:
            best = (dist, value)
    return best


_NUMBER_WORDS = {
    "un": 1, "uno": 1, "una": 1, "due": 2, "tre": 3, "quattro": 4, "cinque": 5, "sei": 6,
    "sette": 7, "otto": 8, "nove": 9, "dieci": 10, "undici": 11, "dodici": 12, "quindici": 15,
    "venti": 20, "trenta": 30, "quaranta": 40, "cinquanta": 50,
}  # fmt: skip


def _ago(sent: Span, near: int, art: _ArticleDate) -> tuple[int, str] | None:
    """ "18 anni fa" -> the article year minus 18; "tre giorni fa", "due mesi fa" likewise."""
    if art.reference is None:
        return None
    best: tuple[int, str] | None = None
    for token in sent:
        if _low(token) != "fa" or token.i < 2:
            continue
        unit, num = _low(token.doc[token.i - 1]), _low(token.doc[token.i - 2])
        n = int(num) if num.isdigit() else _NUMBER_WORDS.get(num)
        if n is None:
            continue
        ref = art.reference
        if unit in ("anni", "anno"):
            value = f"{ref.year - n:04d}"
        elif unit in ("mesi", "mese") and art.iso.count("-") >= 1:
            months = ref.year * 12 + ref.month - 1 - n
            value = f"{months // 12:04d}-{months % 12 + 1:02d}"
        elif unit in ("giorni", "giorno") and art.day is not None:
            value = (art.day - dt.timedelta(days=n)).isoformat()
        else:
            continue
        dist = abs(token.i - near)
        if best is None or dist < best[0]:
            best = (dist, value)
    return best


def _weekday_offset(art: _ArticleDate, weekday: int, past: bool) -> int | None:
    if art.day is None:
        return None
    delta = (art.day.weekday() - weekday) % 7
    if past:
        return -(delta or 7)
    return (weekday - art.day.weekday()) % 7 or 7


def _date_in_sentence(doc: Doc, near: int, art: _ArticleDate) -> str | None:
    sent = doc[near].sent
    best: tuple[int, str] | None = None
    for span in doc.spans.get(QUANTITIES_KEY, []):
        if span.label_ != "DATE" or span.start < sent.start or span.end > sent.end:
            continue
        iso = _span_date(span, art)
        if not iso:
            continue
        dist = min(abs(span.start - near), abs(span.end - 1 - near))
        if best is None or dist < best[0]:
            best = (dist, iso)
    # the nearest of the DATE spans, relative words ("ieri") and "N anni fa"
    options = [o for o in (best, _relative_date(sent, near, art), _ago(sent, near, art)) if o]
    if options:
        return min(options, key=lambda o: o[0])[1]
    return _bare_year(sent, near)


def _bare_year(sent: Span, near: int) -> str | None:
    """A year after an article or preposition that no DATE span covers ("previsto per il 2025")."""
    best: tuple[int, str] | None = None
    doc = sent.doc
    for token in sent:
        if not re.fullmatch(r"(19|20)\d\d", token.text) or token.i == 0:
            continue
        if _low(doc[token.i - 1]) not in ("il", "del", "nel", "al", "dal", "entro", "per"):
            continue
        nxt = doc[token.i + 1].text if token.i + 1 < len(doc) else ""
        if nxt in ("-", "/", "–") or nxt[:1].isdigit():
            continue
        dist = abs(token.i - near)
        if best is None or dist < best[0]:
            best = (dist, token.text)
    return best[1] if best else None


# --------------------------------------------------------------------------------------------
# Event extraction
# --------------------------------------------------------------------------------------------


@dataclass
class _Found:
    event: _Event
    mention: Mention
    place: _PlaceCand | None
    date: str
    confidence: float


def _person_tokens(doc: Doc, ctx: ExtractionContext) -> frozenset[int]:
    """Tokens of person mentions (the domain layer may have retyped the NER's PER)."""
    return frozenset(
        t.i for t in tokens(doc) if (m := ctx.mention_at(t)) is not None and m.coarse == PERSON
    )


def _lead_verbs(doc: Doc, cls: str, lex: EventLexicon, quoted: set[int]) -> list[Token]:
    """Support verbs of ``cls`` in the article's lead (its first two sentences with words)."""
    lead: list[Span] = []
    for sent in doc.sents:
        if any(t.is_alpha for t in sent):
            lead.append(sent)
        if len(lead) == 2:
            break
    return [
        t
        for sent in lead
        for t in sent
        if t.pos_ in ("VERB", "AUX")
        and lex.support_verbs.get(_lemma(t)) == cls
        and t.i not in quoted
    ]


def _verb_visit(doc: Doc, ctx: ExtractionContext, quoted: set[int]) -> _Event | None:
    """A Visit reported by the verb only ("la delegazione ha visitato lo stabilimento di X"):
    one event for the article's active "visitare" verbs that have a named visitor or host."""
    event: _Event | None = None
    for token in tokens(doc):
        if (
            _verb_lemma(token) != "visitare"
            or token.pos_ not in ("VERB", "AUX")
            or token.i in quoted
            or not _active(token)
            or any(c.dep_ == "advmod" and _low(c) == "non" for c in token.children)
        ):
            continue
        visitors, hosts = _visit_args(doc, token, ctx, token.sent.end)
        if not (visitors or hosts):
            continue
        if hosts:
            label = f"visita a {hosts[0].text}"
        else:
            label = f"visita di {visitors[0].text}"
        cand = _Cand(
            start=token.i,
            end=token.i + 1,
            entry="visitare",
            cls="Visit",
            plural=False,
            label_end=token.i + 1,
            label=label,
            name_key="",
        )
        if event is None:
            event = _Event("Visit", [cand])
        else:
            event.mentions.append(cand)
    return event


def _events(doc: Doc, ctx: ExtractionContext, lex: EventLexicon) -> list[_Found]:
    art = _ArticleDate.parse(getattr(ctx.article, "date", ""))
    quoted = _quote_regions(doc)
    found: list[_Found] = []
    seen_cls: set[str] = set()
    cands = _candidates(doc, lex, _person_tokens(doc, ctx))
    events = _group(cands)
    if not any(e.cls == "Visit" for e in events):
        visit = _verb_visit(doc, ctx, quoted)
        if visit is not None:  # "Durante la visita" now refers to it
            visit.mentions.extend(c for c in cands if c.cls == "Visit")
            events.append(visit)
            events.sort(key=lambda e: e.first)
    for event in events:
        main = event.cls not in seen_cls  # the lead reports the first event of a class
        seen_cls.add(event.cls)
        rep = event.rep
        span = doc[rep.start : rep.label_end]
        named = ctx.mention_at(doc[rep.start])
        if named is not None and (named.start, named.end) == (span.start_char, span.end_char):
            # the NER's mention has the same offsets; the event's own mention is its noun
            span = doc[rep.start : rep.end]
        mention = ctx.rule_mention(span, EVENT, event.cls, rep.label)
        ordered = [rep] + sorted((m for m in event.mentions if m is not rep), key=lambda m: m.start)
        verbs = _lead_verbs(doc, event.cls, lex, quoted) if main else []
        place: _PlaceCand | None = None
        for cand in ordered:
            place = _best_place(_places_for_mention(doc, cand, ctx, lex))
            if place:
                break
        if place is None:
            for verb in verbs:
                place = _best_place(_places_under(doc, verb, ctx, event.cls == "Launch"))
                if place:
                    break
        date = None
        for cand in ordered:
            date = _date_in_sentence(doc, cand.head, art)
            if date:
                break
        if date is None:
            for verb in verbs:
                date = _date_in_sentence(doc, verb.i, art)
                if date:
                    break
        if date is None:
            date = art.iso
        confidence = 0.8 if rep.name_key else 0.65
        if len(event.mentions) > 1:
            confidence = round(min(0.9, confidence + 0.05), 2)
        found.append(_Found(event, mention, place, date or "", confidence))
    return found


# --------------------------------------------------------------------------------------------
# Participants
# --------------------------------------------------------------------------------------------


def _delegation(doc: Doc, token: Token, ctx: ExtractionContext) -> Mention | None:
    """A rule mention for "la delegazione canadese" / "la delegazione del Québec"."""
    if _low(token) not in _DELEGATION_NOUNS and _lemma(token) != "delegazione":
        return None
    _, limit = _sent_bounds(token)
    end = token.i + 1
    n = 0
    while end < limit and n < 2:
        nxt = doc[end]
        word = _low(nxt)
        if nxt.ent_type_ or not word.isalpha() or word[:1] != nxt.text[:1].lower():
            break
        if (
            nxt.pos_ == "ADJ"
            or re.search(r"(ese|esi|ano|ana|ani|ane|ale|ali|ico|ica|ici|iche)$", word)
            and nxt.pos_ != "NOUN"
        ):
            end += 1
            n += 1
        else:
            break
    if n == 0 and end + 1 < limit and _low(doc[end]) in _DI:
        mention = ctx.mention_at(doc[end + 1])
        nxt = doc[end + 1]
        if mention is None and nxt.pos_ == "NOUN" and nxt.text.islower():
            # "una delegazione di imprese canadesi"
            end += 2
            while (
                end < limit
                and n < 2
                and doc[end].text.islower()
                and (doc[end].pos_ == "ADJ" or re.search(r"(ese|esi|ano|ani|ane)$", doc[end].text))
            ):
                end += 1
                n += 1
        elif mention is not None:
            last = end + 1
            while last + 1 < limit and ctx.mention_at(doc[last + 1]) is mention:
                last += 1
            end = last + 1
    span = doc[token.i : end]
    return ctx.rule_mention(span, ORGANIZATION, DELEGATION_CLASS, _clean_label(span))


def _arg_mentions(
    doc: Doc, token: Token, ctx: ExtractionContext, proxy: bool = False
) -> list[Mention]:
    """The mentions an argument token stands for, with its conjuncts: the token's own mention,
    a delegation, or the names in apposition to a common noun ("il ministro Adolfo Urso", "tre
    aziende: Aerea spa e Leonardo"); with ``proxy``, the organisations of people or vehicles
    ("rappresentanti di ASI e Leonardo")."""
    out: list[Mention] = []
    for t in _with_conjuncts(token):
        mention = ctx.mention_at(t) or _delegation(doc, t, ctx)
        if mention is not None:
            out.append(mention)
            continue
        if t.pos_ not in ("NOUN", "PROPN"):
            continue
        for child in t.children:
            named = child.dep_ in ("appos", "flat", "flat:name") or (
                proxy
                and child.dep_.startswith("nmod")
                and bool(_case_of(child) & _DI)
                and (_lemma(t) in _PROXY_NOUNS or _low(t) in _PROXY_NOUNS)
            )
            m = ctx.mention_at(child) if named else None
            if m is not None and m.coarse in (PERSON, ORGANIZATION, PLACE):
                out.append(m)
                out.extend(
                    cm for c in child.conjuncts if c.i > child.i and (cm := ctx.mention_at(c))
                )
                break
    # "Leonardo divisione velivoli ed elicotteri"
    if out:
        last = out[-1]
        end = next((t.i for t in token.sent if t.idx >= last.end), None)
        if end is not None and _low(doc[end]) in ("e", "ed"):
            ellipsis = _elliptical_conjunct(doc, end, token.sent.end, last, ctx)
            if ellipsis is not None:
                out.append(ellipsis)
    return out


def _with_conjuncts(token: Token) -> list[Token]:
    out = [token]
    for conj in token.conjuncts:
        if conj.i > token.i and conj.sent == token.sent:
            out.append(conj)
    return out


def _mention_end(doc: Doc, i: int, mention: Mention) -> int:
    j = i
    while j < len(doc) and doc[j].idx < mention.end:
        j += 1
    return j


def _enumerate(
    doc: Doc,
    i: int,
    limit: int,
    ctx: ExtractionContext,
    proxy: bool = False,
    coarse: tuple[str, ...] = (PERSON, ORGANIZATION, PLACE),
    companies: bool = False,
) -> list[tuple[Mention, Token]]:
    """Mentions listed from token ``i``: "X", "X e Y", "dal X e dal Y", "X, Y e Z".

    Items after a comma are kept only when the list is closed by "e"/"ed". With
    ``companies`` (a list that a company noun introduces: "tre aziende: ..."), names of any type
    count (the NER may take "Leonardo" for a person), a legal form makes a Company rule mention
    ("Aerea spa") and a short lower-case descriptor may follow a name ("Leonardo divisione
    velivoli")."""
    items: list[tuple[Mention, Token]] = []
    comma_at: int | None = None
    closed = False
    while i < limit:
        while i < limit and (_low(doc[i]) in _PREPS | _DETS | {"anche", "stesso", "stessa"}):
            i += 1
        if i >= limit:
            break
        token = doc[i]
        if (
            ctx.mention_at(token) is None
            and token.text.islower()
            and token.pos_ == "NOUN"
            and i + 1 < limit
            and (nxt := ctx.mention_at(doc[i + 1])) is not None
            and nxt.coarse == PERSON
        ):
            i += 1  # a title before a name: "del ministro Adolfo Urso"
            token = doc[i]
        mention = ctx.mention_at(token) or _delegation(doc, token, ctx)
        if (
            mention is None
            and proxy
            and (_lemma(token) in _PROXY_NOUNS or _low(token) in _PROXY_NOUNS)
        ):
            j = i + 1
            while j < limit and doc[j].pos_ == "ADJ":
                j += 1
            if j < limit and _low(doc[j]) in _DI:
                i = j + 1
                continue
        if mention is None or (mention.coarse not in coarse and not companies):
            break
        end = _mention_end(doc, i, mention)
        if companies and end < limit and _low(doc[end]) in _LEGAL_FORMS:
            span = doc[i : end + 1]  # "Aerea spa"
            mention = ctx.rule_mention(span, ORGANIZATION, "Company", _clean_label(span))
            end += 1
        items.append((mention, token))
        i = end
        # a location qualifier: "Aerea spa di Turate", "Leonardo a Venegono"
        if i + 1 < limit and _low(doc[i]) in _DI | _A | _IN:
            m2 = ctx.mention_at(doc[i + 1])
            if m2 is not None and (companies or (m2.coarse == PLACE and mention.coarse != PLACE)):
                i = _mention_end(doc, i + 1, m2)
        if companies:  # "Leonardo divisione velivoli"
            k = i
            while k < limit and k - i < 3 and doc[k].is_alpha and doc[k].text.islower():
                if _low(doc[k]) in ("e", "ed"):
                    break
                k += 1
            if k < limit and (doc[k].text == "," or _low(doc[k]) in ("e", "ed")):
                i = k
        if i < limit and doc[i].text == ",":
            if i + 1 < limit and _low(doc[i + 1]) in ("e", "ed"):
                i += 2
                closed = True
                continue
            if comma_at is None:
                comma_at = len(items)
            i += 1
            continue
        if i < limit and _low(doc[i]) in ("e", "ed", "nonché"):
            ellipsis = _elliptical_conjunct(doc, i, limit, mention, ctx)
            if ellipsis is not None:
                items.append((ellipsis, doc[i + 1]))
                closed = True
                i += 2
                break
            closed = True
            i += 1
            continue
        break
    if comma_at is not None and not closed:
        items = items[:comma_at]
    return items


def _elliptical_conjunct(
    doc: Doc, i: int, limit: int, mention: Mention, ctx: ExtractionContext
) -> Mention | None:
    """ "Leonardo divisione velivoli ed elicotteri": a rule mention for the second unit
    ("Leonardo divisione elicotteri") when a name ending in a common noun is followed by "e" and
    a bare common noun closing the list."""
    words = mention.text.split()
    if len(words) < 3 or not words[-1].isalpha() or not words[-1].islower():
        return None
    if i + 1 >= limit:
        return None
    noun = doc[i + 1]
    after = doc[i + 2] if i + 2 < limit else None
    if (
        noun.pos_ != "NOUN"
        or not noun.text.isalpha()
        or not noun.text.islower()
        or ctx.mention_at(noun) is not None
        or (after is not None and not (after.is_punct or after.is_space))
    ):
        return None
    canonical = " ".join(words[:-1] + [noun.text])
    return ctx.rule_mention(doc[i + 1 : i + 2], mention.coarse, mention.cls, canonical)


def _is_participle(token: Token) -> bool:
    verb_form = token.morph.get("VerbForm")
    if verb_form:
        return verb_form[0] == "Part"
    return bool(re.search(r"(at|it|ut|ss|st|rt)[oaie]$", _low(token)))


def _active(token: Token) -> bool:
    """A finite/infinitive verb, or a participle with "avere" ("ha organizzato")."""
    if not _is_participle(token):
        return True
    if any(c.dep_ == "aux" and _lemma(c) == "avere" for c in token.children):
        return True
    k = token.i - 1
    while k >= 0 and token.doc[k].pos_ == "ADV":
        k -= 1
    return k >= 0 and _lemma(token.doc[k]) == "avere"


def _agent_start(doc: Doc, verb: Token, limit: int) -> int | None:
    """Index of the "da" that introduces the agent of a participle, within 3 tokens."""
    for k in range(verb.i + 1, min(limit, verb.i + 5)):
        low = _low(doc[k])
        if low in _DA:
            return k
        if not (doc[k].pos_ == "ADV" or low in (",", "anche", "congiuntamente", "insieme")):
            return None
    return None


@dataclass(frozen=True)
class _Row:
    event: int  # index into the found events
    participant: Mention
    role: str
    trigger: Token
    confidence: float


class _Linker:
    """Links trigger tokens to events."""

    def __init__(self, doc: Doc, found: list[_Found], lex: EventLexicon):
        self.doc = doc
        self.found = found
        self.lex = lex
        self.by_token: dict[int, int] = {}
        for n, f in enumerate(found):
            for m in f.event.mentions:
                for k in range(m.start, m.label_end):
                    self.by_token[k] = n

    def event_for(self, trigger: Token, cls: str | None = None) -> tuple[int, float] | None:
        def ok(n: int) -> bool:
            return cls is None or self.found[n].event.cls == cls

        # 1. an event mention among the trigger's heads; a clause modifying another noun
        #    ("il progetto, finanziato dalla UE") is about that noun, not about an event
        cur, hops = trigger, 0
        blocked = False
        while hops < 5:
            if cur.i in self.by_token and ok(self.by_token[cur.i]):
                return self.by_token[cur.i], 0.8
            if _low(cur) in self.lex.anaphoric and cur is not trigger:
                n = self._before(cur.i, cls)
                if n is not None:
                    return n, 0.7
            if cur.head is cur:
                break
            if hops <= 1 and _is_participle(cur) and not _active(cur):
                if (
                    cur.dep_ in ("acl", "amod")
                    and cur.head.pos_ in ("NOUN", "PROPN")
                    and cur.head.i not in self.by_token
                    and _low(cur.head) not in self.lex.anaphoric
                    and not _disagrees(cur.head, cur)  # "sistema ..., organizzata": not its
                ) or self._modifies_noun_before(cur):
                    blocked = True
                    break
            cur, hops = cur.head, hops + 1
        sent = trigger.sent
        # 2. an anaphoric noun shortly before the trigger: "l'iniziativa, promossa da ..."
        for k in range(trigger.i - 1, max(sent.start, trigger.i - 6) - 1, -1):
            if _low(self.doc[k]) in self.lex.anaphoric:
                n = self._before(k, cls)
                if n is not None:
                    return n, 0.65
        if blocked:
            return None
        # 3. the nearest event mention of the sentence, preceding first
        before = [
            k for k in range(sent.start, trigger.i) if k in self.by_token and ok(self.by_token[k])
        ]
        if before:
            return self.by_token[before[-1]], 0.6
        after = [
            k for k in range(trigger.i + 1, sent.end) if k in self.by_token and ok(self.by_token[k])
        ]
        if after:
            return self.by_token[after[0]], 0.55
        # 4. the article's only event of the class
        if cls is not None:
            of_cls = [n for n, f in enumerate(self.found) if f.event.cls == cls]
            if len(of_cls) == 1:
                return of_cls[0], 0.55
        return None

    def _modifies_noun_before(self, participle: Token) -> bool:
        """ "il progetto Iride, finanziato da X": a participle after a comma that agrees with the
        (non-event) noun right before the comma modifies that noun."""
        doc = self.doc
        k = participle.i - 1
        if k < 1 or doc[k].text != ",":
            return False
        last = doc[k - 1]
        if last.i in self.by_token:
            return False
        for noun in (last, last.head):
            if (
                noun.i >= participle.i
                or noun.i in self.by_token
                or _low(noun) in self.lex.anaphoric
            ):
                continue
            if noun.pos_ == "NOUN" and _agrees(noun, participle):
                return True
        return False

    def _before(self, i: int, cls: str | None) -> int | None:
        best: tuple[int, int] | None = None
        for n, f in enumerate(self.found):
            if f.event.cls == "Accident":
                continue
            if cls is not None and f.event.cls != cls:
                continue
            starts = [m.start for m in f.event.mentions if m.start < i]
            if starts and (best is None or max(starts) > best[0]):
                best = (max(starts), n)
        return best[1] if best else None


def _disagrees(noun: Token, participle: Token) -> bool:
    """Gender or number known on both and different."""
    for feat in ("Gender", "Number"):
        a, b = noun.morph.get(feat), participle.morph.get(feat)
        if a and b and a != b:
            return True
    return False


def _agrees(noun: Token, participle: Token) -> bool:
    """Same gender and number (both known)."""
    for feat in ("Gender", "Number"):
        a, b = noun.morph.get(feat), participle.morph.get(feat)
        if not a or not b or a != b:
            return False
    return True


def _subjects(verb: Token) -> list[Token]:
    """Subjects of ``verb``, climbing through control ("hanno avuto l'opportunità di visitare")."""
    cur, hops = verb, 0
    while hops < 4:
        subs = [c for c in cur.children if c.dep_ in ("nsubj", "nsubj:pass")]
        if subs:
            return subs
        if cur.dep_ in ("xcomp", "ccomp", "advcl", "conj", "acl") and cur.head is not cur:
            nxt = cur.head
            if nxt.pos_ in ("NOUN", "PRON"):
                if nxt.dep_ not in ("obj", "obl") or nxt.head is nxt:
                    return []
                nxt = nxt.head
            cur, hops = nxt, hops + 1
        else:
            return []
    return []


def _parties(doc: Doc, ctx: ExtractionContext, found: list[_Found]) -> list[_Row]:
    """The parties of a signing or meeting: "la firma dell'accordo tra X e Y", "l'incontro tra
    Leonardo e una delegazione della JAXA"."""
    rows: list[_Row] = []
    for n, f in enumerate(found):
        if f.event.cls not in ("Signing", "Meeting"):
            continue
        for cand in f.event.mentions:
            limit = doc[cand.start].sent.end
            for k in range(cand.label_end, min(limit, cand.label_end + 4)):
                if _low(doc[k]) in ("tra", "fra"):
                    parties = [m for m, _ in _enumerate(doc, k + 1, limit, ctx)]
                    if len(parties) >= 2:
                        rows.extend(
                            _Row(n, m, "participant", doc[cand.start], 0.7) for m in parties
                        )
                    break
                if doc[k].is_punct:
                    break
    return rows


def _organizers_in_names(doc: Doc, ctx: ExtractionContext, found: list[_Found]) -> list[_Row]:
    """The organisation in an event's name: "la missione SpaceX Demo 2", "l'annuncio della
    NASA", "il convegno di Confindustria"."""
    rows: list[_Row] = []
    quoted = _quote_regions(doc)
    for n, f in enumerate(found):
        if f.event.cls not in _ORGANIZED_IN_NAME:
            continue
        for cand in f.event.mentions:
            if not cand.name_key:
                continue
            seen: set[int] = set()
            for k in range(cand.end, cand.label_end):
                m = ctx.mention_at(doc[k])
                if m is None or m.coarse != ORGANIZATION or id(m) in seen or k in quoted:
                    continue  # a quoted title names the event, not who organised it
                seen.add(id(m))
                end = _mention_end(doc, k, m)
                of = _low(doc[k - 1]) in _DI  # "l'annuncio della NASA"
                # "la missione SpaceX Demo 2": the name goes on after the organisation's; a
                # name that is all organisation ("la fiera Farnborough International
                # Airshow") is the event's own
                prefix = end < cand.label_end and _is_name_token(
                    doc[end], doc[k].sent.start, persons=_person_tokens(doc, ctx)
                )
                if of or prefix:
                    rows.append(_Row(n, m, "organizer", doc[cand.start], 0.6))
    return rows


def _participants(
    doc: Doc, ctx: ExtractionContext, found: list[_Found], lex: EventLexicon
) -> list[_Row]:
    if not found:
        return []
    linker = _Linker(doc, found, lex)
    quoted = _quote_regions(doc)
    rows: list[_Row] = _parties(doc, ctx, found) + _organizers_in_names(doc, ctx, found)

    def add(
        trigger: Token,
        items: Iterable[Mention],
        role: str,
        cls: str | None = None,
        conf: float = 0.0,
    ) -> None:
        items = list(items)
        if not items:
            return
        link = linker.event_for(trigger, cls)
        if link is None:
            return
        n, link_conf = link
        for mention in items:
            if mention.coarse not in (PERSON, ORGANIZATION, PLACE):
                continue
            if role == "host" and mention.coarse == PLACE:
                continue
            rows.append(
                _Row(n, mention, role, trigger, round(min(link_conf, conf or link_conf), 2))
            )

    for token in tokens(doc):
        if token.i in quoted or token.is_punct:
            continue
        lemma, low = _verb_lemma(token), _low(token)
        _, limit = _sent_bounds(token)
        # ---- passive participles with an agent: "organizzata da X e dal Y"
        role = None
        if lemma in _ORGANIZE_VERBS or low.startswith(("organizzat", "promoss", "indett")):
            role = "organizer"
        elif lemma in _SPONSOR_VERBS:
            role = "sponsor"
        elif lemma in _HOST_VERBS:
            role = "host"
        elif lemma == "visitare":
            role = "visitor"
        if role and token.pos_ in ("VERB", "AUX", "ADJ") and not _active(token):
            agents: list[Mention] = []
            da = _agent_start(doc, token, limit)
            if da is not None:
                agents += [m for m, _ in _enumerate(doc, da, limit, ctx)]
            for child in token.children:
                if child.dep_ == "obl:agent" or (
                    child.dep_.startswith("obl") and _case_of(child) & _DA and child.i > token.i
                ):
                    agents.extend(_arg_mentions(doc, child, ctx))
            add(
                token,
                agents,
                role,
                "Visit" if role == "visitor" else None,
                0.8 if da is not None else 0.7,
            )
            if role == "organizer":
                # "promossa in collaborazione con X"
                for k in range(token.i + 1, min(limit, token.i + 8)):
                    if (
                        _lemma(doc[k]) == "collaborazione"
                        and k + 1 < limit
                        and _low(doc[k + 1]) in _CON
                    ):
                        add(
                            token,
                            [m for m, _ in _enumerate(doc, k + 1, limit, ctx)],
                            "organizer",
                            None,
                            0.75,
                        )
                        break
        # ---- active verbs whose object is the event: "X organizza il convegno"
        if (lemma in _ORGANIZE_VERBS | _SPONSOR_VERBS | _HOST_VERBS) and _active(token):
            objs = [c for c in token.children if c.dep_ == "obj"]
            if any(o.i in linker.by_token or _low(o) in lex.anaphoric for o in objs):
                verb_role = (
                    "organizer"
                    if lemma in _ORGANIZE_VERBS
                    else "sponsor"
                    if lemma in _SPONSOR_VERBS
                    else "host"
                )
                subs = [m for s in _subjects(token) for m in _arg_mentions(doc, s, ctx)]
                if objs[0].i in linker.by_token:
                    add(objs[0], subs, verb_role, None, 0.8)
                else:
                    add(token, subs, verb_role, None, 0.7)
        # ---- noun triggers: "con il supporto di", "su iniziativa di", "alla presenza di"
        noun_role = None
        preps_needed: set[str] | None = None
        if lemma in _SPONSOR_NOUNS or low in _SPONSOR_NOUNS:
            noun_role, preps_needed = "sponsor", None
        elif low in _ORGANIZER_NOUNS:
            noun_role, preps_needed = "organizer", _ORGANIZER_NOUNS[low]
        elif low in _PARTICIPANT_NOUNS:
            noun_role, preps_needed = "participant", _PARTICIPANT_NOUNS[low]
        elif low in _SPEAKER_NOUNS:
            noun_role, preps_needed = "speaker", _SPEAKER_NOUNS[low]
        if noun_role and token.pos_ == "NOUN":
            before = [_low(doc[k]) for k in range(max(token.sent.start, token.i - 2), token.i)]
            prep_ok = (
                any(b in _TRIGGER_PREPS | {"e", "ed"} for b in before)
                if preps_needed is None
                else any(b in preps_needed for b in before)
            )
            k = token.i + 1
            while k < limit and doc[k].pos_ == "ADJ":
                k += 1
            if prep_ok and k < limit and _low(doc[k]) in _DI:
                items = [
                    m for m, _ in _enumerate(doc, k, limit, ctx, proxy=noun_role == "participant")
                ]
                add(token, items, noun_role, None, 0.75)
        # ---- visits
        if lemma == "visitare" and token.pos_ in ("VERB", "AUX") and _active(token):
            _visit_verb(doc, token, ctx, add, limit)
        if low in ("visita", "visite") and token.i in linker.by_token:
            _visit_noun(doc, token, ctx, add, limit)
        # ---- participate / speak
        if lemma in _PARTICIPATE_VERBS or (
            lemma == "prendere" and token.i + 1 < limit and _low(doc[token.i + 1]) == "parte"
        ):
            subs = [m for s in _subjects(token) for m in _arg_mentions(doc, s, ctx, proxy=True)]
            if not subs:  # postverbal subject: "hanno partecipato X e Y"
                k = token.i + (2 if lemma == "prendere" else 1)
                subs = (
                    [m for m, _ in _enumerate(doc, k, limit, ctx, proxy=True)]
                    if k < limit and _low(doc[k]) not in _A
                    else []
                )
            target = next(
                (
                    c
                    for c in token.children
                    if c.dep_.startswith("obl") and c.i in linker.by_token and _case_of(c) & _A
                ),
                None,
            )
            add(target or token, subs, "participant", None, 0.8 if target is not None else 0.6)
        if lemma in _SPEAK_VERBS:
            subs = [m for s in _subjects(token) for m in _arg_mentions(doc, s, ctx)]
            if not subs:
                subs = [m for m, _ in _enumerate(doc, token.i + 1, limit, ctx, coarse=(PERSON,))]
            add(token, [m for m in subs if m.coarse == PERSON], "speaker", None, 0.6)
        if (
            low in _SPEAKER_ROLE_NOUNS
            and token.i + 1 < limit
            and doc[token.i + 1].text in (":", ",")
        ):
            add(
                token,
                [m for m, _ in _enumerate(doc, token.i + 2, limit, ctx, coarse=(PERSON,))],
                "speaker",
                None,
                0.6,
            )
    return rows


def _visit_args(
    doc: Doc, verb: Token, ctx: ExtractionContext, limit: int
) -> tuple[list[Mention], list[Mention]]:
    """Visitors and hosts of an active "visitare": "X visita/ha visitato Y", "hanno avuto
    l'opportunità di visitare tre aziende: A, B"."""
    visitors = [m for s in _subjects(verb) for m in _arg_mentions(doc, s, ctx)]
    if not visitors:  # window: the name right before "(ha) visitato"
        m = _mention_before(doc, verb, ctx)
        if m is not None:
            visitors = [m]
    hosts: list[Mention] = []
    for obj in (c for c in verb.children if c.dep_ == "obj"):
        hosts.extend(m for m in _arg_mentions(doc, obj, ctx) if m.coarse == ORGANIZATION)
    if not hosts:
        # window: the object right after the verb, or the list after a colon
        k = verb.i + 1
        while (
            k < limit
            and (
                _low(doc[k]) in _DETS
                or doc[k].like_num
                or doc[k].pos_ in ("DET", "NUM", "ADV")
                or _low(doc[k]) in _RELATIVE_DAYS
            )
            and not ctx.mention_at(doc[k])
        ):
            k += 1
        if k < limit and ctx.mention_at(doc[k]) is not None:
            hosts = [m for m, _ in _enumerate(doc, k, limit, ctx, coarse=(ORGANIZATION,))]
        elif k < limit and (
            _lemma(doc[k]) in _HOST_COMMON_NOUNS or _low(doc[k]) in _HOST_COMMON_NOUNS
        ):
            for j in range(k + 1, limit):
                if doc[j].text == ":":
                    hosts = [
                        m
                        for m, _ in _enumerate(doc, j + 1, limit, ctx, companies=True)
                        if m.coarse != PLACE
                    ]
                    break
                if doc[j].text in (".", ";"):
                    break
            if not hosts:  # "lo stabilimento di Leonardo"
                k2 = k + 1
                if k2 < limit and _low(doc[k2]) in _DI and k2 + 1 < limit:
                    hosts = [m for m, _ in _enumerate(doc, k2, limit, ctx, coarse=(ORGANIZATION,))][
                        :1
                    ]
    return visitors, [m for m in hosts if m.coarse != PLACE]


def _mention_before(doc: Doc, verb: Token, ctx: ExtractionContext) -> Mention | None:
    """The person/organisation/delegation named right before a verb and its auxiliaries."""
    k = verb.i - 1
    while k >= verb.sent.start and (doc[k].pos_ in ("AUX", "ADV") or _low(doc[k]) in ("si", "non")):
        k -= 1
    if k < verb.sent.start:
        return None
    m = ctx.mention_at(doc[k])
    if m is not None and m.coarse in (PERSON, ORGANIZATION):
        return m
    for d in range(k, max(verb.sent.start, k - 4) - 1, -1):
        dm = _delegation(doc, doc[d], ctx)
        if dm is not None:
            return dm if dm.end >= doc[k].idx + len(doc[k].text) else None
    return None


def _visit_verb(doc: Doc, verb: Token, ctx: ExtractionContext, add, limit: int) -> None:
    visitors, hosts = _visit_args(doc, verb, ctx, limit)
    add(verb, visitors, "visitor", "Visit", 0.75)
    add(verb, hosts, "host", "Visit", 0.7)


def _visit_noun(doc: Doc, noun: Token, ctx: ExtractionContext, add, limit: int) -> None:
    """ "X in visita (a Y)", "la visita di X (a/presso Y)", "X ha fatto visita a Y"."""
    i = noun.i
    if i > 0 and _low(doc[i - 1]) == "in":
        # the visitor is the name right before "in visita" ("La delegazione canadese in visita",
        # "Il ministro Crosetto, in visita alla base di Amendola")
        j = i - 2
        if j >= noun.sent.start and doc[j].text == ",":
            j -= 1
        if j >= noun.sent.start:
            last = doc[j]
            m = ctx.mention_at(last)
            if m is None:
                for d in range(j, max(noun.sent.start, j - 3) - 1, -1):
                    dm = _delegation(doc, doc[d], ctx)
                    if dm is not None:
                        m = dm if dm.end >= last.idx + len(last.text) else None
                        break
            if m is not None and m.coarse in (PERSON, ORGANIZATION):
                add(noun, [m], "visitor", "Visit", 0.75)
    elif noun.dep_ == "obj" and _lemma(noun.head) == "fare":
        subs = [m for s in _subjects(noun.head) for m in _arg_mentions(doc, s, ctx)]
        add(noun, subs, "visitor", "Visit", 0.75)
    # "visita di X": the visitor; "visita a/presso X": the host
    k = i + 1
    while k < limit and doc[k].pos_ == "ADJ":
        k += 1
    if k < limit and _low(doc[k]) in _DI:
        items = [m for m, _ in _enumerate(doc, k, limit, ctx) if m.coarse in (PERSON, ORGANIZATION)]
        add(noun, items[:1] + items[1:], "visitor", "Visit", 0.7)
    elif k < limit and (_low(doc[k]) in _A or _low(doc[k]) == "presso"):
        items = [m for m, _ in _enumerate(doc, k, limit, ctx, coarse=(ORGANIZATION,))]
        add(noun, items, "host", "Visit", 0.7)


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def extract(doc: Doc, context: ExtractionContext) -> Iterator[Relation]:
    """EVENT relations (one per event of the article), then PARTICIPATION relations."""
    lex = load_lexicon()
    found = _events(doc, context, lex)
    rows = _participants(doc, context, found, lex)
    hosted = {row.event for row in rows if row.role == "host"}
    for n, f in enumerate(found):
        args: dict[str, Mention | str] = {"event": f.mention, "date": f.date}
        # a visit to named hosts takes place at their sites: a region or country ("la
        # delegazione in visita in Lombardia ha visitato tre aziende") is the trip's destination
        if f.place is not None and not (n in hosted and f.place.rank >= _PLACE_RANK["Region"]):
            args["place"] = f.place.mention
        rep = f.event.rep
        yield Relation(
            kind=RelationKind.EVENT,
            args=args,
            confidence=f.confidence,
            evidence=context.evidence(doc[rep.start]),
            rule=f"events.{f.event.cls.lower()}",
        )
    seen: set[tuple[int, str, str]] = set()
    for row in rows:
        key = (row.event, _fold(row.participant.text), row.role)
        if key in seen:
            continue
        seen.add(key)
        yield Relation(
            kind=RelationKind.PARTICIPATION,
            args={
                "event": found[row.event].mention,
                "participant": row.participant,
                "role": row.role,
            },
            confidence=row.confidence,
            evidence=context.evidence(row.trigger),
            rule=f"events.participation.{row.role}",
        )
