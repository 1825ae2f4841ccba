"""Relation rule ``roles``: a person holding a role, optionally in an organisation (or a place).

Output: :class:`Relation` of kind ``ROLE`` with ``person`` (a PER mention), ``role`` (the Italian
role noun, lower case, singular, without article) and, when the text names it, ``organization``
(an ORG/LOC mention, a rule mention for a common noun such as "il distretto", or a rule mention
with a canonical country name for a nationality adjective: "il presidente russo" -> Russia).
The extra string arg ``role_lemma`` carries the lexicon's canonical masculine singular.

Role nouns come from ``data/role_nouns.json`` (lemma, feminine, plurals; multiword entries
such as "amministratore delegato", "capo di stato maggiore" are matched longest first, and
"vice-"/"vice" + a role noun is a role too). The role string keeps the gender the article uses
and is put in the singular ("la sindaca" -> "sindaca", "gli astronauti" -> "astronauta"),
which is the convention of the gold annotations (``evaluation/gold/README.md``); set
:data:`FEMININE_AS_WRITTEN` to False to emit the masculine lemma instead.

Constructions (each a token-window pattern over the NER mentions; the dependency parse is
used as a fallback for appositions):

* apposition after the name: "Angelo Vallerani, presidente del distretto ...",
  "Maroš Šefčovič, il vicepresidente della Commissione europea", "Umberto Guidoni:
  l'astronauta", "Rosa Calipari (moglie di ... e parlamentare nelle file del PD)";
* role before the name: "il presidente della Regione Lombardia Attilio Fontana", "il ministro
  dell'economia Silvio Schembri", "il direttore di Ronahî TV, Bnyad Jziry", "il presidente del
  Sejm (la Camera bassa) Bronisław Komorowski", "il presidente russo, Dmitrij Medvedev";
  plural roles with a list: "i due astronauti dell'equipaggio (Douglas Hurley e Robert
  Behnken)";
* copula / appointment: "Mario Rossi è stato nominato presidente di X", "Komorowski è divenuto
  il nuovo presidente", "la nomina di Giovanni Mottura a presidente nonché amministratore
  delegato di ATAC";
* ellipsis with "quello": "il direttore di Ronahî TV, Bnyad Jziry, ... quello di Sterk, Aysal
  Avesta" (role copied from the previous role of the sentence);
* looser: "in quanto liquidatore di Roma Metropolitane", "il proprio incarico di amministratore
  delegato di ENAV" (holder: the nearest preceding person of the sentence).

The organisation is the ``di``-complement of the role noun when it is a mention
("presidente del Cluster Aéro Montréal") or an organisation common noun ("presidente del
distretto" -> rule mention, class Cluster), shared across coordinated roles ("presidente e
amministratore delegato di ATAC"), taken from a nationality adjective ("il presidente
americano"), from a fronted locative ("Al Senato, il presidente Renato Schifani") or, for
roles in a list introduced by "quattro ufficiali dell'Aeronautica Militare:", from the list
head. Former offices ("l'ex primo ministro") are skipped.

This module also holds the helpers the other relation rules of this package share
(lexicon, mention index, preposition sets).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from spacy.tokens import Doc, Span, Token

from pipeline.datamodel import ORGANIZATION, PERSON, PLACE, Mention, Relation, RelationKind
from pipeline.nlp.relations.context import ExtractionContext
from pipeline.nlp.relations.doc_index import per_doc, tokens_with, word_forms

LEXICON_FILE = Path(__file__).resolve().parents[1] / "data" / "role_nouns.json"

FEMININE_AS_WRITTEN = True
"""Emit the feminine singular the article uses ("sindaca"); False: the masculine lemma."""

# --------------------------------------------------------------------------- shared helpers

DI = frozenset({"di", "del", "dello", "della", "dei", "degli", "delle", "dell'", "d'"})
A = frozenset({"a", "ad", "al", "allo", "alla", "ai", "agli", "alle", "all'"})
IN = frozenset({"in", "nel", "nello", "nella", "nei", "negli", "nelle", "nell'"})
DA = frozenset({"da", "dal", "dallo", "dalla", "dai", "dagli", "dalle", "dall'"})
CON = frozenset({"con", "col", "coi"})
TRA = frozenset({"tra", "fra"})
DET = frozenset({"il", "lo", "la", "i", "gli", "le", "l'", "un", "uno", "una", "un'"})
ARTICULATED = (DI | A | IN | DA | CON) - {"di", "a", "ad", "in", "da", "con", "d'"}
POSSESSIVE = frozenset({"suo", "sua", "suoi", "sue", "loro", "proprio", "propria", "propri",
                        "proprie", "nostro", "nostra", "nostri", "nostre", "mio", "mia"})
CONJ = frozenset({"e", "ed", "nonché"})
OPEN_PAREN = frozenset({"(", "["})
CLOSE_PAREN = frozenset({")", "]"})
DASHES = frozenset({"-", "–", "—"})


#: norm(token): the lower-case form with the typographic apostrophe normalised ("dell’" ->
#: "dell'"), cached (doc_index.word_forms)
norm = word_forms("lower", "lower_", lambda lower: lower.replace("\u2019", "'"))
_text = word_forms("orth", "text", str)  # the token's text, for tokens_with


@lru_cache(maxsize=1)
def lexicon() -> dict:
    """The relation lexicons of ``data/role_nouns.json``."""
    return json.loads(LEXICON_FILE.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def country_of_adjective() -> dict[str, str]:
    """Nationality adjective form -> canonical country name ("canadese" -> "Canada")."""
    return {form: country for country, forms in lexicon()["country_adjectives"].items()
            for form in forms}


def words(text: str) -> tuple[str, ...]:
    return tuple(text.lower().replace("\u2019", "'").split())


class Mentions:
    """The NER/ruler mentions of a Doc indexed by token (only those the context knows).

    Entity spans the NER cut badly (:func:`usable_span`, "Delegato del Québec" tagged PER)
    are set aside in ``broken``. A later occurrence of a name the NER tagged elsewhere in the
    article but missed here ("del Québec" after "il Québec") becomes a rule mention with the
    same type and canonical name, and a place followed by a compass adjective ("Russia
    occidentale") is read as the place itself."""

    @classmethod
    def of(cls, doc: Doc, context: ExtractionContext) -> Mentions:
        """The index of ``doc``'s mentions, built once per extraction context (every rule
        module reads the same one; none changes it)."""
        if context.doc is not doc:
            return cls(doc, context)
        found = context.shared.get("mentions")
        if found is None:
            found = context.shared["mentions"] = cls(doc, context)
        return found

    def __init__(self, doc: Doc, context: ExtractionContext) -> None:
        self.doc = doc
        self.context = context
        self.spans: list[Span] = []
        self._at: dict[int, Span] = {}
        self._mention: dict[tuple[int, int], Mention] = {}
        self.broken: dict[int, Span] = {}  # tokens of badly cut entity spans
        for ent in doc.ents:
            mention = context.mention_at(ent[0])
            if mention is None:
                continue
            if not usable_span(ent) or _role_headed(ent):
                for i in range(ent.start, ent.end):
                    self.broken[i] = ent
                continue
            if ent.end < len(doc) and norm(doc[ent.end]) in LEGAL_SUFFIXES:
                self._add(*_with_legal_suffix(ent, mention, context))
                continue
            self._add(ent, _without_compass(ent, mention, context))
        self._recover_repeats()
        self.spans.sort(key=lambda s: s.start)

    def _add(self, span: Span, mention: Mention) -> None:
        self.spans.append(span)
        self._mention[(span.start, span.end)] = mention
        for i in range(span.start, span.end):
            self._at[i] = span

    def _recover_repeats(self) -> None:
        """Untagged repeats of an ORG/LOC name tagged elsewhere in the Doc."""
        from pipeline.nlp.gazetteer import italian_lexicon

        known: dict[tuple[str, ...], Mention] = {}
        for span in self.spans:
            mention = self._mention[(span.start, span.end)]
            if mention.coarse not in (ORGANIZATION, PLACE) or not span[0].is_title:
                continue
            key = tuple(t.text for t in span)
            if len(span.text) < 3 or (len(key) == 1 and key[0].lower() in italian_lexicon()):
                continue
            known.setdefault(key, mention)
        if not known:
            return
        longest = max(len(k) for k in known)
        doc = self.doc
        i = 0  # the tokens before it are taken
        # only where a known name's first word is (one look-up in the Doc's index of forms)
        for first in tokens_with(doc, _text, {key[0] for key in known}):
            if first.i < i:
                continue
            i = first.i
            if i in self._at or not first.is_title:
                continue
            for n in range(min(longest, len(doc) - i), 0, -1):
                key = tuple(t.text for t in doc[i:i + n])
                if key in known and not any(k in self._at for k in range(i, i + n)):
                    if i + n < len(doc) and doc[i + n].is_title:
                        continue  # part of a longer name
                    base = known[key]
                    span = doc[i:i + n]
                    mention = self.context.rule_mention(
                        span, base.coarse, base.cls, base.canonical or base.text)
                    self._add(span, mention)
                    i += n
                    break

    def at(self, i: int) -> Span | None:
        return self._at.get(i) if 0 <= i < len(self.doc) else None

    def starting(self, i: int) -> Span | None:
        span = self.at(i)
        return span if span is not None and span.start == i else None

    def ending(self, i: int) -> Span | None:
        """The mention whose last token is ``i``."""
        span = self.at(i)
        return span if span is not None and span.end - 1 == i else None

    def mention(self, span: Span) -> Mention:
        return self._mention[(span.start, span.end)]

    def coarse(self, span: Span | None) -> str:
        if span is None:
            return ""
        mention = self.mention(span)
        coarse = effective_coarse(mention, span.text)
        if coarse == PERSON and len(span) == 1 and span.start > 0:
            # "Aerea spa di Turate" with "Turate" tagged PER: a municipality after a preposition
            prev = norm(self.doc[span.start - 1])
            if prev in DI | A | IN | DA and _is_town(span.text):
                return PLACE
        return coarse


COMPASS = frozenset({"orientale", "occidentale", "settentrionale", "meridionale", "centrale",
                     "nord-orientale", "nord-occidentale", "sud-orientale", "sud-occidentale"})


@lru_cache(maxsize=4096)
def _is_town(name: str) -> bool:
    """A municipality the gazetteer tags (not one kept out as a surname or common word)."""
    from pipeline.nlp.gazetteer import municipality_is_pattern

    found = _gazetteer_entry(name)
    return found is not None and found[0] == "City" and municipality_is_pattern(name)


LEGAL_SUFFIXES = frozenset({"spa", "s.p.a.", "s.p.a", "srl", "s.r.l.", "s.r.l", "sapa", "inc",
                            "inc.", "ltd", "ltd.", "gmbh", "ag", "plc", "llc", "corp", "corp.",
                            "s.a.", "sas", "snc", "nv", "bv"})


def _with_legal_suffix(span: Span, mention: Mention, context: ExtractionContext
                       ) -> tuple[Span, Mention]:
    """"Aerea" (tagged PER) + "spa": the company name with its legal form."""
    doc = span.doc
    if span.end >= len(doc) or norm(doc[span.end]) not in LEGAL_SUFFIXES:
        return span, mention
    full = doc[span.start:span.end + 1]
    found = _gazetteer_entry(full.text)
    cls, canonical = found if found else ("Company", full.text)
    return full, context.rule_mention(full, ORGANIZATION, cls, canonical)


def _without_compass(span: Span, mention: Mention, context: ExtractionContext) -> Mention:
    """"Russia occidentale" -> a rule mention of Russia (a known place before the adjective)."""
    if mention.coarse != PLACE or len(span) < 2 or norm(span[-1]) not in COMPASS:
        return mention
    head = span[:-1]
    found = _gazetteer_entry(head.text)
    if found is None:
        return mention
    return context.rule_mention(head, PLACE, found[0], found[1])


@lru_cache(maxsize=4096)
def _gazetteer_entry(name: str) -> tuple[str, str] | None:
    from pipeline.nlp.gazetteer import lookup

    return lookup(name)


def _role_headed(span: Span) -> bool:
    """An entity span made of a role noun and its complement ("Delegato del Québec" tagged
    PER): the NER took the title for a name."""
    if span[0].is_lower:
        return False
    match = _match_at(span.doc, span.start, span.end)
    return match is not None and match.end < span.end and norm(span.doc[match.end]) in DI


def broken_tail_mention(doc: Doc, mentions: Mentions, context: ExtractionContext, j: int
                        ) -> Mention | None:
    """A rule mention for the capitalised words from ``j`` to the end of a badly cut entity
    span ("Québec" in "Delegato del Québec"), typed by the gazetteer when it knows the name."""
    span = mentions.broken.get(j)
    if span is None or doc[j].is_lower:
        return None
    end = span.end
    cut = DI | A | IN | DA | DET | CONJ | {"of", "the", "and"}
    while end > j + 1 and (doc[end - 1].is_punct or doc[end - 1].is_space
                           or (doc[end - 1].is_lower and norm(doc[end - 1]) in cut)):
        end -= 1
    tail = doc[j:end]
    if not tail.text.strip() or any(t.is_space or t.is_punct for t in tail):
        return None
    from pipeline.nlp.gazetteer import ORG_CLASSES, lookup

    found = lookup(tail.text)
    if found:
        coarse = ORGANIZATION if found[0] in ORG_CLASSES else PLACE
        return context.rule_mention(tail, coarse, found[0], found[1])
    return context.rule_mention(tail, ORGANIZATION, "", tail.text)


def usable_span(span: Span) -> bool:
    """False for an entity span the NER cut badly: one that ends with a preposition, an
    article or a conjunction ("Delegato del") or starts with a preposition ("dell'Ufficio")."""
    first, last = norm(span[0]), norm(span[-1])
    bad_end = DI | A | IN | DA | DET | CONJ | {"e", "o", "of", "the", "and", "for", "at", "to"}
    if span[-1].is_punct and span[-1].text not in {".", ")"}:
        return False  # "Corte ,"
    if last in bad_end and span[-1].is_lower:
        return False
    # "dell'Ufficio" is cut badly, "Di Pietro", "De Luca", "D'Alema" are surnames
    return not (span[0].is_lower and first in (DI | A | IN | DA) - {"a"})


def effective_coarse(mention: Mention, text: str) -> str:
    """Coarse type of a mention; the gazetteer's class wins over an ORG/LOC label of the NER
    ("Cluster Aéro Montréal" tagged LOC is still an organisation), and a one-word "person"
    that the gazetteer knows as an organisation is one ("Leonardo")."""
    if mention.coarse == PERSON and " " not in text.strip():
        from pipeline.nlp.gazetteer import ORG_CLASSES

        if (mention.cls or _gazetteer_class(text)) in ORG_CLASSES:
            return ORGANIZATION
        return PERSON
    if mention.coarse in (ORGANIZATION, PLACE):
        cls = mention.cls or _gazetteer_class(text)
        if cls:
            from pipeline.nlp.gazetteer import ORG_CLASSES, PLACE_CLASSES

            if cls in ORG_CLASSES:
                return ORGANIZATION
            if cls in PLACE_CLASSES:
                return PLACE
    return mention.coarse


@lru_cache(maxsize=4096)
def _gazetteer_class(name: str) -> str:
    from pipeline.nlp.gazetteer import lookup

    found = lookup(name)
    return found[0] if found else ""


def place_class(mention: Mention) -> str:
    """Gazetteer class of a place mention ("City", "Region", "Country", ...) or ""."""
    if mention.cls:
        return mention.cls
    from pipeline.nlp.gazetteer import lookup

    found = lookup(mention.canonical or mention.text) or lookup(mention.text)
    return found[0] if found else ""


def country_mention(token: Token, context: ExtractionContext,
                    mentions: Mentions | None = None) -> Mention | None:
    """The country a nationality adjective names ("canadese" -> Canada): a mention of that
    country in the same Doc if there is one, else a rule mention with the canonical name."""
    country = country_of_adjective().get(norm(token))
    if country is None:
        return None
    from pipeline.nlp.gazetteer import lookup

    candidates = ([mentions.mention(s) for s in mentions.spans] if mentions is not None
                  else list(context.mentions))
    for mention in candidates:
        if mention.coarse != PLACE:
            continue
        if country in (mention.canonical, mention.text) or (
                (lookup(mention.text) or ("", ""))[1] == country):
            return mention
    return context.rule_mention(token.doc[token.i:token.i + 1], PLACE, "Country", country)


def org_noun_mention(doc: Doc, i: int, context: ExtractionContext) -> Mention | None:
    """A rule mention for an organisation common noun at ``i`` ("distretto" -> Cluster)."""
    tok = doc[i]
    if not tok.is_lower:
        return None
    cls = lexicon()["org_nouns"].get(norm(tok))
    if cls is None:
        return None
    coarse = PLACE if cls == "Country" else ORGANIZATION
    return context.rule_mention(doc[i:i + 1], coarse, cls)


def sentence_bounds(doc: Doc, i: int) -> tuple[int, int]:
    """The sentence of token ``i``, cut at line breaks (list items, titles and paragraphs
    are not always split by the sentence segmenter)."""
    return per_doc(doc, "line_bounds", _all_sentence_bounds)[i]


def _all_sentence_bounds(doc: Doc) -> list[tuple[int, int]]:
    bounds: list[tuple[int, int]] = []
    for sent in doc.sents:
        lo = sent.start
        for j in range(sent.start, sent.end + 1):
            if j == sent.end or (doc[j].is_space and "\n" in doc[j].text):
                # tokens lo..j-1 form one piece; the line break itself belongs to the pieces
                # on both sides of it, as each side's search stops before reaching it
                bounds.extend((lo, j) for _ in range(lo, j))
                if j < sent.end:
                    bounds.append((lo, _next_break(doc, j, sent.end)))
                lo = j + 1
    return bounds


def _next_break(doc: Doc, j: int, end: int) -> int:
    for k in range(j + 1, end):
        if doc[k].is_space and "\n" in doc[k].text:
            return k
    return end


def is_plain_adj(token: Token) -> bool:
    return token.pos_ == "ADJ" and token.is_lower and not token.is_punct


def make_relation(kind: RelationKind, args: dict, confidence: float, token: Token | Span,
                  context: ExtractionContext, rule: str) -> Relation:
    return Relation(kind=kind, args=args, confidence=round(min(max(confidence, 0.0), 1.0), 3),
                    evidence=context.evidence(token), rule=rule)


# --------------------------------------------------------------------------- role lexicon


@dataclass(frozen=True)
class RoleForm:
    lemma: str  # canonical masculine singular
    singular: str  # singular of the gender written
    plural: bool
    tags: tuple[str, ...] = ()


@lru_cache(maxsize=1)
def role_forms() -> dict[tuple[str, ...], RoleForm]:
    """Word tuple of every role form -> its :class:`RoleForm`."""
    forms: dict[tuple[str, ...], RoleForm] = {}
    for entry in lexicon()["roles"]:
        lemma = entry["lemma"]
        fem = entry.get("feminine", lemma)
        tags = tuple(entry.get("tags", ()))
        fem_sg = fem if FEMININE_AS_WRITTEN else lemma
        candidates = [(lemma, lemma, False), (fem, fem_sg, False)]
        candidates += [(p, lemma, True) for p in entry.get("plural", [])]
        candidates += [(p, fem_sg, True) for p in entry.get("feminine_plural", [])]
        for form, singular, plural in candidates:
            forms.setdefault(words(form), RoleForm(lemma, singular, plural, tags))
    return forms


@lru_cache(maxsize=1)
def _max_role_len() -> int:
    return max(len(k) for k in role_forms())


@dataclass(frozen=True)
class RoleMatch:
    start: int
    end: int  # exclusive
    form: RoleForm
    role: str  # the string emitted

    @property
    def plural(self) -> bool:
        return self.form.plural


@lru_cache(maxsize=1)
def _first_role_words() -> frozenset[str]:
    return frozenset(key[0] for key in role_forms())


def _match_at(doc: Doc, i: int, stop: int) -> RoleMatch | None:
    forms = role_forms()
    first = norm(doc[i])
    if first not in _first_role_words() and not first.startswith("vice"):
        return None
    for n in range(min(_max_role_len(), stop - i), 0, -1):
        key = tuple(norm(t) for t in doc[i:i + n])
        form = forms.get(key)
        if form is not None:
            return RoleMatch(i, i + n, form, form.singular)
    # "vice-ministro", "vice ministro", "vicedirettore" (prefix + a role noun)
    tok = norm(doc[i])
    if tok == "vice" and i + 1 < stop:
        j = i + 2 if doc[i + 1].text in DASHES and i + 2 < stop else i + 1
        inner = _match_at(doc, j, stop)
        if inner is not None and not inner.form.lemma.startswith("vice"):
            sep = "-" if j == i + 2 else " "
            role = "vice" + sep + inner.role
            return RoleMatch(i, inner.end, RoleForm("vice" + inner.form.lemma, role,
                                                    inner.plural, inner.form.tags), role)
    if tok.startswith("vice") and len(tok) > 6:
        rest = tok[4:].lstrip("-")
        form = forms.get((rest,))
        if form is not None and not form.lemma.startswith("vice"):
            sep = "-" if tok[4] == "-" else ""
            role = "vice" + sep + form.singular
            return RoleMatch(i, i + 1, RoleForm("vice" + form.lemma, role, form.plural,
                                                form.tags), role)
    return None


def find_role_nouns(doc: Doc, mentions: Mentions) -> list[RoleMatch]:
    """Role nouns outside named mentions, longest match first, former offices left out."""
    former = set(lexicon()["former_markers"])
    out: list[RoleMatch] = []
    i = 0
    n = len(doc)
    while i < n:
        tok = doc[i]
        if mentions.at(i) is not None or tok.is_punct or tok.like_num:
            i += 1
            continue
        match = _match_at(doc, i, n)
        if match is None:
            i += 1
            continue
        # an upper-case form inside a name the NER missed ("Presidenza", "Capo Verde") is
        # still fine; a role noun used as an adjective right after a noun is not
        prev = doc[i - 1] if i > 0 else None
        prev2 = doc[i - 2] if i > 1 else None
        is_former = prev is not None and (norm(prev) in former
                                          or norm(prev).startswith("ex-"))
        if prev is not None and prev.text in DASHES and prev2 is not None and norm(prev2) == "ex":
            is_former = True  # "ex-ministro" split by the tokenizer
        if norm(tok).startswith("ex-"):
            is_former = True
        if not is_former:
            out.append(match)
        i = match.end
    return out


# --------------------------------------------------------------------------- binding


@dataclass
class RoleFact:
    person: Span
    match: RoleMatch
    confidence: float
    rule: str
    org: Mention | None = None
    org_confidence: float = 0.0


def _is_det_like(token: Token) -> bool:
    t = norm(token)
    return t in DET or t in ARTICULATED or t in POSSESSIVE


def _left_of_role(doc: Doc, match: RoleMatch, lo: int) -> int:
    """Index left of the role's determiner and prenominal adjectives ("il nuovo presidente")."""
    i = match.start - 1
    while i >= lo and (is_plain_adj(doc[i]) or norm(doc[i]) in POSSESSIVE
                       or norm(doc[i]) in {"attuale", "nuovo", "nuova", "neo", "ultimo",
                                           "ultima", "storico", "storica", "primo", "prima"}):
        if doc[i].pos_ == "NOUN":
            break
        i -= 1
    if i >= lo and norm(doc[i]) in DET:
        i -= 1
    return i


def _apposition_after(doc: Doc, mentions: Mentions, match: RoleMatch, lo: int) -> Span | None:
    """"PER, [det] role", "PER: l'astronauta", "PER (role ...", "PER - role"."""
    i = _left_of_role(doc, match, lo)
    if i < lo or doc[i].text not in {",", ":"} | OPEN_PAREN | DASHES:
        return None
    person = mentions.ending(i - 1)
    if person is None or mentions.coarse(person) != PERSON:
        return None
    # "A, il sindaco del comune di X (CA) B": the role introduces the next name
    for j in range(match.end, min(match.end + 12, len(doc))):
        tok = doc[j]
        if tok.text in {",", ";", ":"} or tok.pos_ in {"VERB", "AUX"} or tok.is_space:
            break
        span = mentions.at(j)
        if span is not None and mentions.coarse(span) == PERSON:
            return None
    return person


def _segment_apposition(doc: Doc, mentions: Mentions, match: RoleMatch, lo: int) -> Span | None:
    """A role coordinated inside an apposition or parenthesis of a person:
    "Rosa Calipari (moglie di ... e parlamentare nelle file del PD)"."""
    i = _left_of_role(doc, match, lo)
    if i < lo or norm(doc[i]) not in CONJ:
        return None
    j = i - 1
    steps = 0
    while j >= lo and steps < 25:
        tok = doc[j]
        span = mentions.at(j)
        if span is not None and mentions.coarse(span) == PERSON:
            return None
        if tok.text in CLOSE_PAREN or tok.text in {";", "«", "»", '"'}:
            return None
        if tok.text in OPEN_PAREN or tok.text == ",":
            person = mentions.ending(j - 1)
            if person is not None and mentions.coarse(person) == PERSON and tok.text in OPEN_PAREN:
                return person
            return None
        j -= 1
        steps += 1
    return None


def _person_list(doc: Doc, mentions: Mentions, i: int, hi: int) -> list[Span]:
    """Persons coordinated from ``i``: "Douglas Hurley e Robert Behnken"."""
    out: list[Span] = []
    while i < hi:
        span = mentions.starting(i)
        if span is None or mentions.coarse(span) != PERSON:
            break
        out.append(span)
        i = span.end
        if i < hi and (doc[i].text == "," or norm(doc[i]) in CONJ):
            i += 1
            if i < hi and norm(doc[i]) in CONJ:
                i += 1
            continue
        break
    return out


@dataclass
class _Premod:
    end: int  # index after the modifiers
    org_span: Span | None = None
    org_noun: int | None = None
    adjective: Token | None = None
    has_di: bool = False


def _premodifiers(doc: Doc, mentions: Mentions, start: int, hi: int) -> _Premod:
    """Modifiers between a role noun and a following name: a di-complement (a mention, an
    organisation noun, or up to three common words), an adjective, a speciality noun
    ("capitano pilota"), a parenthesis."""
    res = _Premod(start)
    i = start
    used_noun = used_paren = False
    di_count = 0
    adjectives = 0
    while i < hi:
        tok = doc[i]
        t = norm(tok)
        if t in DI and di_count < 2:
            j = i + 1
            if j < hi and norm(doc[j]) in DET:
                j += 1
            span = mentions.starting(j)
            if span is not None:
                if mentions.coarse(span) == PERSON:
                    break
                res.org_span = res.org_span or span
                i = span.end
            else:
                if _match_at(doc, j, hi) is not None:
                    break  # "il portavoce del sindaco X": X is the mayor
                # a portfolio or a body the NER left out: "dell'economia", "della Difesa",
                # "degli Affari Esteri"
                k = j
                while (k < hi and k - j < 3 and mentions.at(k) is None
                       and not mentions.broken.get(k) and (doc[k].is_lower or k == j or
                                                           doc[k].is_title)
                       and doc[k].pos_ in {"NOUN", "ADJ", "PROPN"}):
                    k += 1
                if k == j:
                    break
                if doc[j].is_lower and org_noun_cls(doc[j]) and res.org_noun is None:
                    res.org_noun = j
                i = k
            di_count += 1
            res.has_di = True
            continue
        if tok.text in OPEN_PAREN and not used_paren:
            k = i + 1
            while k < hi and k - i < 12 and doc[k].text not in CLOSE_PAREN:
                span = mentions.at(k)
                if span is not None and mentions.coarse(span) == PERSON:
                    break
                k += 1
            if k < hi and doc[k].text in CLOSE_PAREN and k > i + 1:
                inner = mentions.starting(i + 1)
                if not (inner is not None and mentions.coarse(inner) == PERSON):
                    used_paren = True
                    i = k + 1
                    continue
            break
        if ((is_plain_adj(tok) or (tok.is_lower and t in country_of_adjective()))
                and adjectives < 2 and mentions.at(i) is None):
            if res.adjective is None and t in country_of_adjective():
                res.adjective = tok
            adjectives += 1
            i += 1
            continue
        if (not used_noun and not di_count and tok.is_lower and mentions.at(i) is None
                and i == start and (tok.pos_ == "NOUN" or (t,) in role_forms())):
            used_noun = True
            i += 1
            continue
        break
    res.end = i
    return res


def org_noun_cls(token: Token) -> str | None:
    return lexicon()["org_nouns"].get(norm(token))


def _premodified(doc: Doc, mentions: Mentions, match: RoleMatch, lo: int, hi: int
                 ) -> tuple[list[Span], _Premod, bool] | None:
    """"[det] role [modifiers] [,|:|(] PER [e PER]" -> the persons, modifiers, comma flag."""
    left = match.start - 1
    while left >= lo and (is_plain_adj(doc[left]) or doc[left].like_num
                          or doc[left].pos_ == "NUM"):
        left -= 1
    if left >= lo:
        prev = doc[left]
        ok_prev = (_is_det_like(prev) or prev.text in {",", ":", ";", "(", "-", "–", "«"}
                   or norm(prev) in CONJ or prev.is_sent_start or prev.pos_ in {"VERB", "AUX"})
        if not ok_prev:
            return None
    mods = _premodifiers(doc, mentions, match.end, hi)
    i = mods.end
    punct = False
    if i < hi and doc[i].text in {",", ":"} | OPEN_PAREN:
        punct = True
        i += 1
    span = mentions.starting(i) if i < hi else None
    if span is None or mentions.coarse(span) != PERSON or span.end > hi:
        return None
    if punct and doc[mods.end].text == "," and not (left >= lo and _is_det_like(doc[left])):
        # ", PER" after a bare role noun is a list more often than an apposition
        return None
    persons = _person_list(doc, mentions, i, hi) if match.plural else [span]
    if match.plural and doc[i - 1].text in OPEN_PAREN:
        end = persons[-1].end if persons else i
        if end >= hi or doc[end].text not in CLOSE_PAREN:
            return None
    return persons, mods, punct


def _copula(doc: Doc, mentions: Mentions, match: RoleMatch, lo: int) -> Span | None:
    """"PER è (stato nominato) [il nuovo] role": the person before a copula/appointment verb."""
    verbs = {"essere", "venire", "diventare", "divenire", "nominare", "eleggere", "confermare",
             "designare", "restare", "rimanere", "tornare", "riconfermare", "rieleggere"}
    # forms, for lemmatisers that miss them ("divenuto" -> "divenere")
    stems = ("è", "e'", "sono", "sarà", "saranno", "era", "erano", "fu", "stato", "stata",
             "stati", "state", "diven", "divent", "nominat", "elett", "confermat", "designat",
             "riconfermat", "rielett", "rimast", "restat", "tornat")
    i = match.start - 1
    while i >= lo and (is_plain_adj(doc[i]) or norm(doc[i]) in DET):
        i -= 1
    seen_verb = False
    steps = 0
    while i >= lo and steps < 5:
        tok = doc[i]
        if tok.pos_ in {"AUX", "VERB"} and (tok.lemma_.lower() in verbs
                                             or norm(tok).startswith(stems)):
            seen_verb = True
        elif tok.pos_ == "ADV" or norm(tok) in {"già", "poi", "ieri", "oggi"}:
            pass
        else:
            break
        i -= 1
        steps += 1
    if not seen_verb:
        return None
    person = mentions.ending(i)
    if person is not None and mentions.coarse(person) == PERSON:
        return person
    return None


def _appointment(doc: Doc, mentions: Mentions, match: RoleMatch, lo: int) -> Span | None:
    """"la nomina di PER a role": nomina/elezione/designazione/conferma di PER a role."""
    i = match.start - 1
    if i < lo or norm(doc[i]) not in {"a", "ad", "come"}:
        return None
    person = mentions.ending(i - 1)
    if person is None or mentions.coarse(person) != PERSON:
        return None
    j = person.start - 1
    if j - 1 >= lo and norm(doc[j]) == "di" and norm(doc[j - 1]) in {
            "nomina", "elezione", "designazione", "conferma", "promozione", "investitura",
            "candidatura", "indicazione", "scelta", "insediamento"}:
        return person
    return None


def _nearest_person_before(doc: Doc, mentions: Mentions, i: int, lo: int, limit: int = 30
                           ) -> Span | None:
    """The nearest person mention before ``i`` in the sentence, if no other one is nearer
    and no quotation starts in between."""
    j = i - 1
    while j >= lo and i - j <= limit:
        if doc[j].text in {"«", "»", '"', "“", "”", ";"}:
            return None
        span = mentions.at(j)
        if span is not None and mentions.coarse(span) == PERSON:
            return span
        j -= 1
    return None


def _loose_holder(doc: Doc, mentions: Mentions, match: RoleMatch, lo: int
                  ) -> tuple[Span, str] | None:
    """"in quanto/in qualità di role", "(il proprio) incarico di role"."""
    i = match.start - 1
    if i < lo:
        return None
    prev = norm(doc[i])
    prev2 = norm(doc[i - 1]) if i - 1 >= lo else ""
    prev3 = norm(doc[i - 2]) if i - 2 >= lo else ""
    if prev == "quanto" and prev2 == "in" or prev == "di" and prev2 == "qualità" and prev3 == "in":
        person = _nearest_person_before(doc, mentions, i - 1, lo)
        return (person, "in_quanto") if person is not None else None
    if prev == "di" and prev2 in {"incarico", "carica", "ruolo", "veste", "funzione", "mandato",
                                  "poltrona"}:
        head = doc[i - 1].head
        if head.lemma_.lower() in {"lasciare", "abbandonare", "dimettere", "perdere", "cedere",
                                   "concludere", "terminare", "revocare", "rinunciare"}:
            return None
        person = _nearest_person_before(doc, mentions, i - 1, lo)
        return (person, "incarico") if person is not None else None
    return None


def _parse_apposition(doc: Doc, mentions: Mentions, match: RoleMatch) -> Span | None:
    """Fallback: the role noun is an ``appos`` of a person in the parse, close by."""
    head_tok = doc[match.start]
    if head_tok.dep_ != "appos":
        return None
    span = mentions.at(head_tok.head.i)
    if span is None or mentions.coarse(span) != PERSON:
        return None
    if not 0 < match.start - span.end <= 3:
        return None
    between = doc[span.end:match.start]
    if any(t.pos_ in {"VERB", "AUX"} for t in between):
        return None
    return span


# --------------------------------------------------------------------------- organisation


def _org_after(doc: Doc, mentions: Mentions, context: ExtractionContext, end: int, hi: int
               ) -> tuple[Mention | None, float]:
    """The di-complement right after a role noun (or a nationality adjective)."""
    i = end
    adjective = None
    while (i < hi and (is_plain_adj(doc[i]) or (doc[i].is_lower
                                                and norm(doc[i]) in country_of_adjective()))
           and mentions.at(i) is None and i - end < 2):
        if adjective is None and norm(doc[i]) in country_of_adjective():
            adjective = doc[i]
        i += 1
    if i < hi and norm(doc[i]) in DI:
        j = i + 1
        if j < hi and norm(doc[j]) in DET:
            j += 1
        span = mentions.starting(j)
        if span is not None and mentions.coarse(span) in (ORGANIZATION, PLACE):
            return mentions.mention(span), 0.0
        if j < hi:
            noun = org_noun_mention(doc, j, context)
            if noun is not None:
                return noun, -0.05
            tail = broken_tail_mention(doc, mentions, context, j)
            if tail is not None:
                return tail, -0.1
    if adjective is not None:
        return country_mention(adjective, context, mentions), -0.05
    return None, 0.0


def _org_from_parse(doc: Doc, mentions: Mentions, match: RoleMatch) -> Mention | None:
    head = doc[match.end - 1] if match.end - match.start > 1 else doc[match.start]
    for child in list(head.children) + list(doc[match.start].children):
        if child.dep_ != "nmod" or child.i < match.end or child.i - match.end > 4:
            continue
        if not any(norm(c) in DI for c in child.children if c.dep_ == "case"):
            continue
        span = mentions.at(child.i)
        if span is not None and mentions.coarse(span) in (ORGANIZATION, PLACE):
            between = doc[match.end:span.start]
            if all(norm(t) in DI or norm(t) in DET for t in between):
                return mentions.mention(span)
    return None


def _fronted_locative(doc: Doc, mentions: Mentions, match: RoleMatch, lo: int) -> Mention | None:
    """"Al Senato della Repubblica, il presidente PER ...": the fronted a/in/presso + ORG."""
    i = match.start - 1
    if i >= lo and norm(doc[i]) in DET:
        i -= 1
    if i < lo or doc[i].text != ",":
        return None
    span = mentions.ending(i - 1)
    if span is None or mentions.coarse(span) != ORGANIZATION:
        return None
    j = span.start - 1
    if j >= lo and (norm(doc[j]) in A | IN or norm(doc[j]) == "presso"):
        if j == lo or doc[j - 1].is_punct:
            return mentions.mention(span)
    return None


def list_head_owner(doc: Doc, mentions: Mentions, i: int, lo: int
                    ) -> tuple[Span, Span] | None:
    """For a token inside a list introduced by "<group noun> di/appartenenti a ORG:", the
    group noun token span and the ORG mention span. Used for "quattro ufficiali
    dell'Aeronautica Militare: il capitano X, ..." and "tre aziende appartenenti al LAC: ..."."""
    j = i - 1
    while j >= lo and doc[j].text != ":":
        if doc[j].text in {";", "«", "»"} or doc[j].text in CLOSE_PAREN:
            return None
        j -= 1
    if j < lo:
        return None
    colon = j
    org = mentions.ending(colon - 1)
    if org is None or mentions.coarse(org) not in (ORGANIZATION, PLACE):
        return None
    k = org.start - 1
    if k >= lo and norm(doc[k]) in DET:
        k -= 1
    if k < lo:
        return None
    marker = norm(doc[k])
    if marker in DI:
        noun = k - 1
    elif marker in A | {"a"}:
        noun = k - 1
        if noun >= lo and norm(doc[noun]) in set(lexicon()["membership_markers"]):
            noun -= 1
        else:
            return None
    else:
        return None
    groups = lexicon()["membership_group_nouns"]
    all_groups = {w for ws in groups.values() for w in ws}
    if noun < lo or norm(doc[noun]) not in all_groups:
        return None
    return doc[noun:noun + 1], org


# --------------------------------------------------------------------------- extraction


def role_facts(doc: Doc, context: ExtractionContext, mentions: Mentions | None = None
               ) -> list[RoleFact]:
    """All person-role bindings of the Doc (before deduplication); computed once per
    extraction context when read through the context's own mention index."""
    shared = mentions is None or mentions is context.shared.get("mentions")
    mentions = mentions or Mentions.of(doc, context)
    if shared and context.doc is doc:
        if "role_facts" not in context.shared:
            context.shared["role_facts"] = _role_facts(doc, context, mentions)
        return list(context.shared["role_facts"])
    return _role_facts(doc, context, mentions)


def _role_facts(doc: Doc, context: ExtractionContext, mentions: Mentions) -> list[RoleFact]:
    matches = find_role_nouns(doc, mentions)
    facts: list[RoleFact] = []
    bound: dict[int, RoleFact] = {}  # match.start -> fact, for "quello"
    bound_end: dict[int, RoleFact] = {}  # last token of a bound match -> fact
    for match in matches:
        lo, hi = sentence_bounds(doc, match.start)
        new: list[RoleFact] = []
        # "il sindaco di X Mario Rossi" binds the following name even after another name
        # ("..., il presidente del Cagliari Calcio Massimo Cellino, il sindaco di Quartu
        # Mauro Contini"); otherwise the apposition "Mario Rossi, presidente di X"
        pre = _premodified(doc, mentions, match, lo, hi)
        if pre is None:
            person = _apposition_after(doc, mentions, match, lo)
            if person is not None:
                new.append(RoleFact(person, match, 0.85, "apposition"))
        if not new:
            if pre is not None:
                persons, mods, punct = pre
                conf = 0.85 if not punct else 0.8
                for p in persons:
                    fact = RoleFact(p, match, conf if len(persons) == 1 else 0.75, "premodifier")
                    if mods.org_span is not None:
                        fact.org = mentions.mention(mods.org_span)
                    elif mods.org_noun is not None:
                        fact.org = org_noun_mention(doc, mods.org_noun, context)
                        fact.org_confidence = -0.05
                    elif mods.adjective is not None:
                        fact.org = country_mention(mods.adjective, context, mentions)
                        fact.org_confidence = -0.05
                    new.append(fact)
        if not new:
            person = _appointment(doc, mentions, match, lo) or _copula(doc, mentions, match, lo)
            if person is not None:
                new.append(RoleFact(person, match, 0.75, "copula"))
        if not new:
            person = _segment_apposition(doc, mentions, match, lo)
            if person is not None:
                new.append(RoleFact(person, match, 0.7, "apposition_conj"))
        if not new:
            # coordinated roles: "PER, presidente e amministratore delegato di X"
            i = match.start - 1
            if i >= lo and norm(doc[i]) in DET:
                i -= 1
            if i >= lo and norm(doc[i]) in CONJ:
                prev = bound_end.get(i - 1)
                if prev is not None:
                    new.append(RoleFact(prev.person, match, prev.confidence - 0.05, prev.rule
                                        + "+conj"))
        if not new:
            loose = _loose_holder(doc, mentions, match, lo)
            if loose is not None:
                new.append(RoleFact(loose[0], match, 0.6, loose[1]))
        if not new:
            person = _parse_apposition(doc, mentions, match)
            if person is not None:
                new.append(RoleFact(person, match, 0.7, "parse_appos"))
        for fact in new:
            if fact.org is None:
                org, delta = _org_after(doc, mentions, context, match.end, hi)
                if org is None:
                    org = _org_from_parse(doc, mentions, match)
                    delta = -0.05
                if org is None and fact.rule == "premodifier":
                    org = _fronted_locative(doc, mentions, match, lo)
                    delta = -0.15
                fact.org, fact.org_confidence = org, delta
            facts.append(fact)
        if new:
            bound[match.start] = new[0]
            bound_end[match.end - 1] = new[0]
    facts += _quello(doc, context, mentions, matches, bound)
    _share_orgs(doc, context, mentions, facts)
    return facts


def _quello(doc: Doc, context: ExtractionContext, mentions: Mentions,
            matches: list[RoleMatch], bound: dict[int, RoleFact]) -> list[RoleFact]:
    """"il direttore di X, A, ... e quello di Y, B": the role of the previous bound role noun
    of the sentence, held by B in Y."""
    out: list[RoleFact] = []
    for tok in tokens_with(doc, norm, {"quello", "quella"}):
        t = norm(tok)
        lo, hi = sentence_bounds(doc, tok.i)
        antecedent = None
        for m in matches:
            if lo <= m.start < tok.i and m.start in bound:
                antecedent = m
        if antecedent is None:
            continue
        mods = _premodifiers(doc, mentions, tok.i + 1, hi)
        if not mods.has_di and mods.adjective is None:
            continue
        i = mods.end
        if i < hi and doc[i].text == ",":
            i += 1
        person = mentions.starting(i)
        if person is None or mentions.coarse(person) != PERSON:
            continue
        form = antecedent.form
        role = form.lemma
        if t == "quella" and FEMININE_AS_WRITTEN:
            fem = next((e.get("feminine") for e in lexicon()["roles"]
                        if e["lemma"] == form.lemma), None)
            role = fem or form.lemma
        if form.lemma.startswith("vice") and form.singular != form.lemma:
            role = form.singular
        match = RoleMatch(tok.i, tok.i + 1, RoleForm(form.lemma, role, False, form.tags), role)
        fact = RoleFact(person, match, 0.7, "quello")
        if mods.org_span is not None:
            fact.org = mentions.mention(mods.org_span)
        elif mods.org_noun is not None:
            fact.org = org_noun_mention(doc, mods.org_noun, context)
        elif mods.adjective is not None:
            fact.org = country_mention(mods.adjective, context, mentions)
        out.append(fact)
    return out


def _share_orgs(doc: Doc, context: ExtractionContext, mentions: Mentions,
                facts: list[RoleFact]) -> None:
    """Fill missing organisations: coordinated roles share the last one's ("presidente nonché
    amministratore delegato di ATAC"); a military rank takes the organisation of the same
    person's other role in the sentence; roles in a list introduced by "quattro ufficiali
    dell'Aeronautica Militare:" take the list head's organisation."""
    by_person: dict[tuple[int, int], list[RoleFact]] = {}
    for f in facts:
        by_person.setdefault((f.person.start, f.person.end), []).append(f)
    for group in by_person.values():
        group.sort(key=lambda f: f.match.start)
        for a, b in zip(group, group[1:], strict=False):
            if a.org is None and b.org is not None:
                between = doc[a.match.end:b.match.start]
                if between and all(norm(t) in CONJ or norm(t) in DET for t in between):
                    a.org, a.org_confidence = b.org, b.org_confidence - 0.05
        with_org = [f for f in group if f.org is not None and _military(f.org.text)]
        for f in group:
            if f.org is None and "rank" in f.match.form.tags and with_org:
                other = min(with_org, key=lambda g: abs(g.match.start - f.match.start))
                if doc[other.match.start].sent == doc[f.match.start].sent:
                    f.org, f.org_confidence = other.org, -0.15
    for f in facts:
        if f.org is not None:
            continue
        lo, _ = sentence_bounds(doc, f.match.start)
        owner = list_head_owner(doc, mentions, min(f.match.start, f.person.start), lo)
        if owner is not None:
            noun, org = owner
            if norm(noun[0]) in lexicon()["membership_group_nouns"]["Person"]:
                f.org, f.org_confidence = mentions.mention(org), -0.15


MILITARY_WORDS = frozenset({"aeronautica", "esercito", "marina", "arma", "carabinieri", "stormo",
                            "brigata", "reggimento", "forze", "guardia", "difesa", "comando",
                            "aviazione", "armata", "flotta", "squadra", "divisione", "nato",
                            "air", "force", "army", "navy", "militare", "militari"})


def _military(name: str) -> bool:
    """Does an organisation name look like an armed force (a rank is held there)?"""
    return any(w in MILITARY_WORDS for w in words(name))


def extract(doc: Doc, context: ExtractionContext) -> Iterator[Relation]:
    best: dict[tuple, tuple[float, Relation]] = {}
    mentions = Mentions.of(doc, context)
    for fact in role_facts(doc, context, mentions):
        person = mentions.mention(fact.person)
        args: dict = {"person": person, "role": fact.match.role,
                      "role_lemma": fact.match.form.lemma}
        conf = fact.confidence
        if fact.org is not None and (fact.org.start, fact.org.end) != (person.start, person.end):
            args["organization"] = fact.org
            conf += fact.org_confidence
        key = (person.start, person.end, fact.match.role,
               (fact.org.start, fact.org.end) if "organization" in args else None)
        rel = make_relation(RelationKind.ROLE, args, conf, doc[fact.match.start], context,
                            f"roles.{fact.rule}")
        if key not in best or best[key][0] < conf:
            best[key] = (conf, rel)
    # a role without organisation is dropped when the same person (same surname) holds the
    # same role in a named organisation elsewhere in the article
    with_org = {(_surname(rel.args["person"].text), rel.args["role"])
                for _, rel in best.values() if "organization" in rel.args}
    for key, (_, rel) in sorted(best.items(), key=lambda kv: kv[1][1].evidence.start):
        if key[3] is None and (_surname(rel.args["person"].text), rel.args["role"]) in with_org:
            continue
        yield rel


def _surname(name: str) -> str:
    parts = name.split()
    return parts[-1].lower() if parts else ""
