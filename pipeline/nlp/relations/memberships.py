"""Relation rule ``memberships``: an organisation, person or state belonging to an organisation.

Output: :class:`Relation` of kind ``MEMBERSHIP`` with ``member`` (ORG, PER or LOC mention) and
``organization`` (an ORG mention).

Constructions:

* ``list``        a list introduced by a plural group noun tied to an organisation, after a
                  colon or "tra cui": "tre aziende appartenenti al Lombardia Aerospace Cluster:
                  Aerea spa di Turate, Leonardo ...", "quattro ufficiali dell'Aeronautica
                  Militare: il capitano X e ...", "le imprese associate a Y, tra cui X e Z",
                  "gli Stati membri dell'ESA: ...". Each list item gives its first name
                  (names after a preposition - "di Turate" - are not items);
* ``copula``      "X è membro/socio di Y", "X e Z fanno parte di Y", "X aderisce a Y",
                  "X appartiene al gruppo Y", and the apposition "X, membro di Y";
* ``riunisce``    "Y, che riunisce/raggruppa/associa X, Z e W";
* ``subsidiary``  "X, controllata da Y", "X (compagnia aerea ... controllata dalla Y)",
                  "X, filiale/divisione/sussidiaria di Y";
* ``file``        a person "nelle file/fila del Y": "Rosa Calipari (... parlamentare nelle
                  file del PD)".
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from spacy.tokens import Doc, Span

from pipeline.datamodel import ORGANIZATION, PERSON, PLACE, Mention, Relation, RelationKind
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
    lexicon,
    list_head_owner,
    make_relation,
    norm,
    role_facts,
    role_forms,
    sentence_bounds,
)

COPULA_MARKERS = frozenset({"membro", "membri", "socio", "soci", "socia", "socie", "parte",
                            "associato", "associata", "associati", "associate", "affiliato",
                            "affiliata", "affiliati", "affiliate", "iscritto", "iscritta",
                            "iscritti", "iscritte", "aderente", "aderenti", "appartenente",
                            "appartenenti"})
MEMBER_VERBS = frozenset({"aderisce", "aderiscono", "aderito", "aderirà", "aderiranno",
                          "appartiene", "appartengono", "appartenuto", "apparteneva",
                          "appartenevano", "entrato", "entrata", "entrati", "entrate",
                          "entra", "entrano"})
BETWEEN_OK = frozenset({"è", "e'", "sono", "era", "erano", "sarà", "saranno", "fa", "fanno",
                        "faceva", "facevano", "farà", "faranno", "far", "ha", "hanno", "già",
                        "anche", "ora", "oggi", "ufficialmente", "stato", "stata", "stati",
                        "state", "diventato", "diventata", "diventati", "divenuto", "divenuta",
                        "a", "ad", "da", "tempo", "anni", "un", "una", "il", "lo", "la", "i",
                        "gli", "le", "l'", "nuovo", "nuova", "nuovi", "nuove", "tra", "fra",
                        "suoi", "sue", "tuttora", "ancora", "dal", "dalla", "dai",
                        "entrato", "entrata", "entrati", "entrate", "formalmente", "inoltre"})
GATHER_VERBS = frozenset({"riunisce", "riuniscono", "raggruppa", "raggruppano", "associa",
                          "associano", "comprende", "comprendono", "raccoglie", "raccolgono",
                          "rappresenta", "annovera", "conta", "include", "includono"})
LIST_INTRO = (("tra", "cui"), ("fra", "cui"), ("tra", "le", "quali"), ("tra", "i", "quali"),
              ("fra", "le", "quali"), ("fra", "i", "quali"), ("tra", "queste"),
              ("tra", "questi"), ("come",), ("quali",), ("ovvero",), ("cioè",))
FILE = frozenset({"file", "fila"})
_LIST_INTRO_FIRST = frozenset(p[0] for p in LIST_INTRO)
_COPULA_WORDS = COPULA_MARKERS | MEMBER_VERBS
_LIST_STARTS = _LIST_INTRO_FIRST | {":"}  # ":" is its own norm


@dataclass
class _Mem:
    member: Mention
    org: Mention
    confidence: float
    rule: str
    token: int


def _group_coarse(noun: str) -> set[str]:
    groups = lexicon()["membership_group_nouns"]
    out = set()
    if noun in groups["Organization"]:
        out.add(ORGANIZATION)
    if noun in groups["Person"]:
        out.add(PERSON)
    if noun in groups["Place"]:
        out |= {PLACE, ORGANIZATION}
    return out


def _list_items(doc: Doc, mentions: Mentions, start: int, hi: int, coarse: set[str]
                ) -> list[Span]:
    """First suitable mention of each item of a list from ``start`` to the sentence end
    (or ";", "rispettivamente", a closing parenthesis)."""
    out: list[Span] = []
    item_has = False
    prev_prep = False
    i = start
    while i < hi:
        tok = doc[i]
        t = norm(tok)
        if t in {";", "rispettivamente"} or tok.text in CLOSE_PAREN:
            break
        if tok.text == "," or t in CONJ:
            item_has = False
            prev_prep = False
            i += 1
            continue
        span = mentions.starting(i)
        if span is not None:
            if not item_has and not prev_prep and mentions.coarse(span) in coarse:
                out.append(span)
                item_has = True
            prev_prep = False
            i = span.end
            continue
        prev_prep = t in DI | A | IN | DA | {"su", "sul", "sulla", "per", "con", "presso"}
        if t == "che" or (tok.pos_ in {"VERB", "AUX"} and "Fin" in tok.morph.get("VerbForm")
                          and (t,) not in role_forms()):
            break  # a relative clause or a new clause ends the list
        i += 1
    return out


def _lists(doc: Doc, mentions: Mentions) -> Iterator[_Mem]:
    """"<group noun> di/appartenenti a ORG: A, B e C" and "..., tra cui A e B"."""
    for tok in tokens_with(doc, norm, _LIST_STARTS):
        if tok.text == ":":
            lo, hi = sentence_bounds(doc, tok.i)
            owner = list_head_owner(doc, mentions, tok.i + 1, lo)
            start = tok.i + 1
        else:
            if norm(tok) not in _LIST_INTRO_FIRST:
                continue
            lo, hi = sentence_bounds(doc, tok.i)
            intro = next((p for p in LIST_INTRO
                          if tuple(norm(t) for t in doc[tok.i:tok.i + len(p)]) == p), None)
            if intro is None or tok.i - 1 < lo or doc[tok.i - 1].text != ",":
                continue
            owner = _owner_before_comma(doc, mentions, tok.i - 1, lo)
            start = tok.i + len(intro)
        if owner is None:
            continue
        noun, org_span = owner
        if mentions.coarse(org_span) != ORGANIZATION:
            continue
        coarse = _group_coarse(norm(noun[0]))
        org = mentions.mention(org_span)
        for span in _list_items(doc, mentions, start, hi, coarse):
            yield _Mem(mentions.mention(span), org, 0.75, "list", span.start)


def _owner_before_comma(doc: Doc, mentions: Mentions, comma: int, lo: int
                        ) -> tuple[Span, Span] | None:
    """"le imprese associate a Y," before "tra cui": reuse the colon-list head test."""
    # list_head_owner looks for a ":"; emulate it on the span before the comma
    org = mentions.ending(comma - 1)
    if org is None:
        return None
    k = org.start - 1
    if k >= lo and norm(doc[k]) in DET:
        k -= 1
    if k < lo:
        return None
    marker = norm(doc[k])
    groups = {w for ws in lexicon()["membership_group_nouns"].values() for w in ws}
    markers = set(lexicon()["membership_markers"])
    if marker in DI:
        noun = k - 1
    elif marker in A and k - 1 >= lo and norm(doc[k - 1]) in markers:
        noun = k - 2
    else:
        return None
    if noun < lo or norm(doc[noun]) not in groups:
        return None
    return doc[noun:noun + 1], org


def _is_organisation(mentions: Mentions, span: Span) -> bool:
    """An ORG mention that names an organisation, not "missione X", "programma Y"."""
    if mentions.coarse(span) != ORGANIZATION:
        return False
    first = span[0]
    return not first.is_lower or norm(first) in lexicon()["org_nouns"]


def _members_left(doc: Doc, mentions: Mentions, i: int, lo: int) -> list[Span]:
    """The mention ending at ``i`` and the ones coordinated before it ("X e Z")."""
    last = mentions.ending(i)
    if last is None:
        return []
    out = [last]
    j = last.start - 1
    while j >= lo and (doc[j].text == "," or norm(doc[j]) in CONJ):
        k = j - 1
        if k >= lo and norm(doc[k]) in DET:
            k -= 1
        prev = mentions.ending(k)
        if prev is None:
            break
        out.insert(0, prev)
        j = prev.start - 1
    return out


def _copula(doc: Doc, mentions: Mentions) -> Iterator[_Mem]:
    """"X è membro di Y", "X fa parte di Y", "X aderisce a Y", "X, membro di Y"."""
    for tok in tokens_with(doc, norm, _COPULA_WORDS):
        t = norm(tok)
        lo, hi = sentence_bounds(doc, tok.i)
        i = tok.i + 1
        if t in MEMBER_VERBS and norm(tok).startswith("entr"):
            # "è entrata a far parte di": handled at "parte"
            continue
        if i < hi and norm(doc[i]) in {"effettivo", "effettiva", "effettivi", "fondatore",
                                       "fondatori", "permanente", "permanenti", "integrante"}:
            i += 1
        if i >= hi or not (norm(doc[i]) in DI or norm(doc[i]) in A):
            continue
        if t == "parte" and norm(doc[i]) not in DI:
            continue
        j = i + 1
        if j < hi and norm(doc[j]) in DET:
            j += 1
        if j < hi and norm(doc[j]) in {"gruppo", "consorzio", "distretto", "cluster",
                                       "associazione", "rete"} and mentions.at(j) is None:
            j += 1
        org_span = mentions.starting(j)
        if org_span is None or not _is_organisation(mentions, org_span):
            continue
        # the member: apposition ("X, membro di") or subject before a verb chain
        k = tok.i - 1
        if t == "parte":
            if k < lo or norm(doc[k]) not in {"fa", "fanno", "faceva", "facevano", "far",
                                              "farà", "faranno", "fatto", "facendo", "fare"}:
                continue
        steps = 0
        while k >= lo and steps < 6 and (norm(doc[k]) in BETWEEN_OK or doc[k].pos_ == "ADV"
                                         or (doc[k].pos_ in {"AUX", "VERB"}
                                             and norm(doc[k]) != t)):
            if mentions.at(k) is not None:
                break
            k -= 1
            steps += 1
        if k >= lo and doc[k].text == "," and steps <= 2:
            k -= 1
        elif steps == 0 and t not in MEMBER_VERBS:
            continue  # "X membro di Y" without a copula or a comma
        conf = 0.75 if t in COPULA_MARKERS else 0.7
        for span in _members_left(doc, mentions, k, lo):
            if span.start == org_span.start:
                continue
            before = norm(doc[span.start - 1]) if span.start > lo else ""
            if before in DI | A | DA | IN | {"con", "assieme", "insieme", "oltre"}:
                continue  # "assieme al Falcon 9, fa parte di": not the subject
            yield _Mem(mentions.mention(span), mentions.mention(org_span), conf, "copula",
                       span.start)


def _gathers(doc: Doc, mentions: Mentions) -> Iterator[_Mem]:
    """"Y, che riunisce X, Z e W"."""
    for tok in tokens_with(doc, norm, GATHER_VERBS):
        lo, hi = sentence_bounds(doc, tok.i)
        k = tok.i - 1
        if k < lo or norm(doc[k]) != "che":
            continue
        k -= 1
        if k >= lo and doc[k].text == ",":
            k -= 1
        org_span = mentions.ending(k)
        if org_span is None or mentions.coarse(org_span) != ORGANIZATION:
            continue
        start = tok.i + 1
        items = _list_items(doc, mentions, start, hi, {ORGANIZATION})
        # only a list right after the verb: "riunisce X, Z", not "riunisce le imprese di X"
        if not items or any(not (t.is_punct or norm(t) in DET or norm(t) in CONJ)
                            for t in doc[start:items[0].start]):
            continue
        for span in items:
            yield _Mem(mentions.mention(span), mentions.mention(org_span), 0.65, "riunisce",
                       span.start)


def _subsidiaries(doc: Doc, mentions: Mentions) -> Iterator[_Mem]:
    """"X, controllata da Y", "X (compagnia ... controllata dalla Y)", "X, filiale di Y"."""
    markers = set(lexicon()["subsidiary_markers"])
    for tok in tokens_with(doc, norm, markers):
        t = norm(tok)
        if mentions.at(tok.i) is not None:
            continue
        lo, hi = sentence_bounds(doc, tok.i)
        i = tok.i + 1
        if i < hi and norm(doc[i]) in {"interamente", "totalmente", "al", "100%"}:
            i += 1
        participle = t.endswith(("ato", "ata", "ati", "ate", "uto", "uta"))
        prep_ok = DA if participle else DI
        if i >= hi or norm(doc[i]) not in prep_ok:
            continue
        j = i + 1
        if j < hi and norm(doc[j]) in DET:
            j += 1
        org_span = mentions.starting(j)
        if org_span is None or mentions.coarse(org_span) != ORGANIZATION:
            continue
        member = _apposition_owner(doc, mentions, tok.i, lo)
        if member is None or mentions.coarse(member) != ORGANIZATION:
            continue
        yield _Mem(mentions.mention(member), mentions.mention(org_span), 0.7, "subsidiary",
                   member.start)


def _apposition_owner(doc: Doc, mentions: Mentions, i: int, lo: int) -> Span | None:
    """The mention an apposition at ``i`` is about: "X, <np> marker" / "X (<np> marker"."""
    j = i - 1
    steps = 0
    while j >= lo and steps < 8:
        tok = doc[j]
        if mentions.at(j) is not None:
            return None
        if tok.text in {","} | OPEN_PAREN:
            return mentions.ending(j - 1)
        if tok.pos_ in {"VERB", "AUX"} or tok.text in CLOSE_PAREN or tok.text in {";", ":"}:
            return None
        j -= 1
        steps += 1
    return None


def _file(doc: Doc, context: ExtractionContext, mentions: Mentions) -> Iterator[_Mem]:
    """"<persona>, parlamentare nelle file del PD": the person bound to the role noun."""
    facts = role_facts(doc, context, mentions)
    for fact in facts:
        i = fact.match.end
        lo, hi = sentence_bounds(doc, fact.match.start)
        if i + 2 >= hi or norm(doc[i]) not in IN | {"tra", "fra"} or norm(doc[i + 1]) not in FILE:
            continue
        if norm(doc[i + 2]) not in DI:
            continue
        j = i + 3
        if j < hi and norm(doc[j]) in DET:
            j += 1
        org_span = mentions.starting(j)
        if org_span is None or mentions.coarse(org_span) != ORGANIZATION:
            continue
        yield _Mem(mentions.mention(fact.person), mentions.mention(org_span), 0.7, "file",
                   fact.person.start)


def extract(doc: Doc, context: ExtractionContext) -> Iterator[Relation]:
    mentions = Mentions.of(doc, context)
    found: list[_Mem] = []
    found += _lists(doc, mentions)
    found += _copula(doc, mentions)
    found += _gathers(doc, mentions)
    found += _subsidiaries(doc, mentions)
    found += _file(doc, context, mentions)
    best: dict[tuple, _Mem] = {}
    for mem in found:
        key = ((mem.member.canonical or mem.member.text).lower(),
               (mem.org.canonical or mem.org.text).lower())
        if key[0] == key[1]:
            continue
        if key not in best or best[key].confidence < mem.confidence:
            best[key] = mem
    for mem in sorted(best.values(), key=lambda m: m.token):
        yield make_relation(RelationKind.MEMBERSHIP,
                            {"member": mem.member, "organization": mem.org},
                            mem.confidence, doc[mem.token], context, f"memberships.{mem.rule}")
