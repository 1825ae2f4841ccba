"""Relation rule: stated flows of goods/money between places (RelationKind.TRADE_FLOW).

A flow needs, in one sentence, a trade trigger, an amount of money and both parties as
place/organisation mentions:

* verbs of exporting (esportare, vendere): the subject is the exporter, the partner after
  "verso/in/a/al/nel ..." the importer - "Nel 2016 la Lombardia ha esportato oltre 9 milioni di
  euro verso il Canada" -> Lombardia -> Canada, 9000000 EUR, 2016;
* verbs of importing (importare, acquistare, comprare): the subject is the importer, the partner
  after "da/dal/dalla ..." the exporter - "l'Italia ha importato dalla Cina beni per 3 miliardi di
  euro" -> Cina -> Italia;
* a verb coordinated with a previous trade verb shares its subject and, when it names no partner
  of its own, its partner: "... verso il Canada e importato beni per un valore pari quasi a 33
  milioni" -> Canada -> Lombardia, 33000000 EUR (the currency carries over from the coordinated
  amount);
* nouns (esportazioni/export, importazioni/import): "le esportazioni della Lombardia verso il
  Canada, pari a 9 milioni di euro" - the party in the genitive is the exporter (importer for
  importazioni), the partner follows "verso/in/a" (or "da" for imports).

The amount is the first MONEY span (or CARDINAL with a scale word, "33 milioni", taking the
currency of a MONEY span earlier in the sentence) between the trigger and the next trigger; deltas
("un aumento di 2 milioni") are not flows. The year is the DATE span nearest to the trigger in the
sentence (else the only year of the previous sentence of the paragraph), "" when none. The sector
is the word after "settore/comparto/industria/filiera" (an adjective's lemma, "aerospaziale", or
the noun of "settore della difesa") in the sentence or the previous one of the paragraph, "" when
none.

Not covered (emitting nothing): undirected totals ("l'interscambio tra Italia e Canada vale 5
miliardi"), parties named only by an adjective ("le esportazioni lombarde"), negated verbs, and a
party that is a common noun or a person.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from spacy.tokens import Doc, Span, Token

from pipeline.datamodel import ORGANIZATION, PLACE, Mention, Relation, RelationKind
from pipeline.nlp.relations.context import ExtractionContext
from pipeline.nlp.relations.doc_index import doc_text

__all__ = ["extract", "trigger_of", "format_value"]

QUANTITIES_KEY = "quantities"

EXPORT, IMPORT = "export", "import"

#: Trade verbs (lemma) -> (direction of the subject, base confidence).
TRADE_VERBS = {
    "esportare": (EXPORT, 0.85),
    "vendere": (EXPORT, 0.6),
    "importare": (IMPORT, 0.85),
    "acquistare": (IMPORT, 0.6),
    "comprare": (IMPORT, 0.6),
}
#: Trade nouns (lower-case form) -> direction.
TRADE_NOUNS = {
    "esportazione": EXPORT, "esportazioni": EXPORT, "export": EXPORT,
    "importazione": IMPORT, "importazioni": IMPORT, "import": IMPORT,
}  # fmt: skip

_VERB_FORM_RE = re.compile(
    r"^(esport|import)(a|ano|ava|avano|ato|ata|ati|ate|are|ando|erà|eranno|erebbe|ò|arono|iamo)$"
)
_IRREGULAR = {
    **dict.fromkeys(
        "vende vendono venduto venduta venduti vendute vendeva vendevano vendette "
        "vendettero venderà venderanno vendendo vendere".split(),
        "vendere",
    ),
    **dict.fromkeys(
        "acquista acquistano acquistato acquistata acquistati acquistate acquistava "
        "acquistavano acquistò acquistarono acquisterà acquisteranno acquistando "
        "acquistare".split(),
        "acquistare",
    ),
    **dict.fromkeys(
        "compra comprano comprato comprata comprati comprate comprava compravano "
        "comprò comprarono comprerà compreranno comprando comprare".split(),
        "comprare",
    ),
}

#: Prepositions introducing the destination of an export / the buyer.
TO_PREPS = frozenset(
    "verso in a ad al allo alla ai agli alle all' all’ nel nello nella nei negli nelle nell' "
    "nell’".split()
)
#: Prepositions introducing the origin of an import / the seller.
FROM_PREPS = frozenset("da dal dallo dalla dai dagli dalle dall' dall’".split())
#: Genitive prepositions ("le esportazioni della Lombardia").
OF_PREPS = frozenset("di del dello della dei degli delle dell' dell’".split())
_ALL_PREPS = (
    TO_PREPS
    | FROM_PREPS
    | OF_PREPS
    | frozenset("con per su sul sulla tra fra secondo presso oltre come".split())
)

#: Words before an amount that make it a change, not a flow ("un aumento di 2 milioni").
DELTA_WORDS = frozenset(
    """
    aumento aumenti crescita calo cali diminuzione incremento incrementi flessione riduzione
    perdita contrazione balzo salto crollo cresciuto cresciute cresciuti cresciuta aumentato
    aumentate aumentati aumentata calato calate calati calata diminuito diminuite diminuiti
    diminuita salito salite saliti salita sceso scese scesi scesa differenza
    """.split()
)
SECTOR_NOUNS = frozenset({"settore", "settori", "comparto", "comparti", "industria", "filiera"})
_SCALE_RE = re.compile(r"\b(mila|migliaia|milion[ei]|mln|miliard[oi]|mld|mrd)\b", re.I)
_PARTY_TYPES = (PLACE, ORGANIZATION)


@dataclass
class _Trigger:
    token: Token
    direction: str  # EXPORT | IMPORT: what the subject (verb) / genitive (noun) does
    verbal: bool
    confidence: float


def trigger_of(token: Token) -> tuple[str, bool, float] | None:
    """(direction, is_verb, base confidence) if ``token`` is a trade verb or noun."""
    lower = token.lower_
    if token.pos_ in ("NOUN", "PROPN") or lower in ("export", "import"):
        if lower in TRADE_NOUNS:
            return TRADE_NOUNS[lower], False, 0.6
        return None
    if token.pos_ not in ("VERB", "AUX", "ADJ", "X"):
        return None
    lemma = token.lemma_.lower()
    if lemma not in TRADE_VERBS:
        if m := _VERB_FORM_RE.match(lower):
            lemma = m.group(1) + "are"
        else:
            lemma = _IRREGULAR.get(lower, "")
    if lemma in TRADE_VERBS:
        direction, conf = TRADE_VERBS[lemma]
        return direction, True, conf
    return None


def format_value(value: float | Decimal) -> str:
    """9000000.0 -> "9000000", 2750000.5 -> "2750000.5" (plain decimal, no exponent)."""
    try:
        d = Decimal(str(value)).normalize()
    except InvalidOperation:
        return ""
    return f"{d:f}"


# --------------------------------------------------------------------------------------------


def _is_party(m: Mention | None) -> bool:
    return m is not None and m.coarse in _PARTY_TYPES


def _mention_tokens(doc: Doc, m: Mention) -> Span | None:
    return doc.char_span(m.start, m.end, alignment_mode="expand")


def _prep_before(doc: Doc, m: Mention) -> str | None:
    """The preposition introducing mention ``m`` ("verso il Canada" -> "verso"), if any."""
    span = _mention_tokens(doc, m)
    if span is None:
        return None
    i = span.start - 1
    while i >= 0 and doc[i].pos_ == "DET" and doc[i].lower_ not in _ALL_PREPS:
        i -= 1
    if i < 0:
        return None
    lower = doc[i].lower_.replace("’", "'")
    return lower if lower in _ALL_PREPS else None


def _mentions(
    doc: Doc, context: ExtractionContext, start: int, end: int
) -> list[tuple[Token, Mention]]:
    out, seen = [], set()
    for i in range(max(0, start), min(end, len(doc))):
        m = context.mention_at(doc[i])
        if m is not None and (m.start, m.end) not in seen:
            seen.add((m.start, m.end))
            out.append((doc[i], m))
    return out


def _negated(tok: Token) -> bool:
    """ "non ha esportato", "non esporta": a "non" among the few words before the verb."""
    if any(c.lower_ == "non" for c in tok.children):
        return True
    for i in range(tok.i - 1, max(-1, tok.i - 4), -1):
        prev = tok.doc[i]
        if prev.lower_ == "non":
            return True
        if prev.is_punct or prev.pos_ in ("NOUN", "PROPN", "VERB"):
            return False
    return False


def _subject(
    doc: Doc, context: ExtractionContext, trig: _Trigger, sent: Span, scope_start: int
) -> tuple[Mention | None, bool]:
    """(subject mention, from the parse?) of a trade verb."""
    tok = trig.token
    for _ in range(2):
        for c in tok.children:
            if c.dep_ in ("nsubj", "nsubj:pass"):
                m = context.mention_at(c)
                if _is_party(m):
                    return m, True
                for t in c.subtree:  # "la regione Lombardia"
                    m = context.mention_at(t)
                    if _is_party(m) and _prep_before(doc, m) is None:
                        return m, True
                return None, True  # a subject that is not a party: no flow
        if tok.dep_ in ("conj", "xcomp", "advcl") and tok.head.pos_ in ("VERB", "AUX"):
            tok = tok.head
            continue
        break
    # window: the nearest party before the verb in its clause, not behind a preposition
    cands = [
        m
        for t, m in _mentions(doc, context, scope_start, trig.token.i)
        if _is_party(m) and _prep_before(doc, m) is None
    ]
    return (cands[-1], False) if cands else (None, False)


def _partner(
    doc: Doc,
    context: ExtractionContext,
    start: int,
    end: int,
    preps: frozenset[str],
    exclude: Mention | None,
) -> Mention | None:
    for _, m in _mentions(doc, context, start, end):
        if not _is_party(m) or (exclude is not None and m.text == exclude.text):
            continue
        prep = _prep_before(doc, m)
        if prep in preps:
            return m
    return None


def _genitive(doc: Doc, context: ExtractionContext, tok: Token, end: int) -> Mention | None:
    """ "esportazioni della Lombardia": the party right after the noun in the genitive."""
    for _, m in _mentions(doc, context, tok.i + 1, min(end, tok.i + 5)):
        if _is_party(m) and _prep_before(doc, m) in OF_PREPS:
            return m
        break
    return None


def _amounts(doc: Doc, sent: Span) -> list[Span]:
    spans = [s for s in doc.spans.get(QUANTITIES_KEY, []) if s.label_ in ("MONEY", "CARDINAL")]
    return [s for s in spans if sent.start <= s.start and s.end <= sent.end and s._.value]


def _dates(doc: Doc, sent: Span) -> list[Span]:
    return [
        s
        for s in doc.spans.get(QUANTITIES_KEY, [])
        if s.label_ == "DATE"
        and sent.start <= s.start
        and s.end <= sent.end
        and s._.iso_date
        and re.match(r"^\d{4}", s._.iso_date)
    ]


def _is_delta(doc: Doc, span: Span) -> bool:
    for i in range(max(0, span.start - 3), span.start):
        if doc[i].lower_ in DELTA_WORDS:
            return True
    return False


def _money_amount(doc: Doc, span: Span, sent_money: list[Span]) -> tuple[str, float] | None:
    """(currency, confidence penalty) of an amount span, carrying the currency of an earlier
    MONEY span of the sentence to a bare "33 milioni"."""
    if span.label_ == "MONEY" and span._.currency:
        return span._.currency, 0.0
    if span.label_ != "CARDINAL" or not _SCALE_RE.search(span.text):
        return None
    nxt = doc[span.end] if span.end < len(doc) else None
    if nxt is not None and (
        nxt.pos_ in ("NOUN", "PROPN") or nxt.text in ("%",) or nxt.lower_ in ("di", "per")
    ):
        return None  # "300 mila aerei", "5 milioni di passeggeri", "2 per cento"
    earlier = [m for m in sent_money if m.end <= span.start and m._.currency]
    if not earlier:
        return None
    return earlier[-1]._.currency, 0.05


def _year(doc: Doc, sent: Span, tok: Token, prev_sent: Span | None) -> tuple[str, float]:
    dates = _dates(doc, sent)
    if dates:
        best = min(
            dates, key=lambda s: (min(abs(s.start - tok.i), abs(s.end - 1 - tok.i)), s.start)
        )
        return best._.iso_date[:4], 0.0
    if prev_sent is not None:
        years = {s._.iso_date[:4] for s in _dates(doc, prev_sent)}
        if len(years) == 1:
            return years.pop(), 0.05
    return "", 0.0


def _sector(sents: list[Span]) -> str:
    for sent in sents:
        for tok in sent:
            if tok.lower_ not in SECTOR_NOUNS or tok.i + 1 >= sent.end:
                continue
            nxt = tok.doc[tok.i + 1]
            if nxt.pos_ == "ADJ" or (
                nxt.is_lower and nxt.lower_.endswith(("ale", "ali", "ico", "ici", "ivo", "ivi"))
            ):
                lemma = nxt.lemma_.lower() if nxt.lemma_ else nxt.lower_
                if lemma.endswith("ali") and nxt.lower_.endswith("ali"):
                    lemma = lemma[:-1] + "e"
                return lemma
            if nxt.lower_.replace("’", "'") in OF_PREPS and tok.i + 2 < sent.end:
                noun = tok.doc[tok.i + 2]
                if noun.pos_ == "NOUN" and noun.is_lower:
                    return noun.lemma_.lower() or noun.lower_
    return ""


def _paragraph_prev(doc: Doc, sent: Span) -> Span | None:
    """The sentence before ``sent`` if it is in the same paragraph (no line break between)."""
    if sent.start == 0:
        return None
    prev = doc[sent.start - 1].sent
    text = doc_text(doc)
    i, j = prev.end_char, sent.start_char
    while i > prev.start_char and text[i - 1].isspace():
        i -= 1
    while j < sent.end_char and text[j].isspace():
        j += 1
    return None if "\n" in text[i:j] else prev


def extract(doc: Doc, context: ExtractionContext) -> Iterable[Relation]:
    relations: list[Relation] = []
    seen: set[tuple] = set()
    for sent in doc.sents:
        triggers = []
        for tok in sent:
            t = trigger_of(tok)
            if t is not None:
                triggers.append(_Trigger(tok, t[0], t[1], t[2]))
        if not triggers:
            continue
        amounts = _amounts(doc, sent)
        money = [a for a in amounts if a.label_ == "MONEY"]
        if not money:
            continue
        prev_sent = _paragraph_prev(doc, sent)
        sector = _sector([sent] + ([prev_sent] if prev_sent is not None else []))
        previous: tuple[_Trigger, Mention | None, Mention | None] | None = None
        for k, trig in enumerate(triggers):
            tok = trig.token
            scope_end = triggers[k + 1].token.i if k + 1 < len(triggers) else sent.end
            scope_start = triggers[k - 1].token.i + 1 if k > 0 else sent.start
            if _negated(tok):
                previous = None
                continue
            coordinated = previous is not None and _coordinated(
                doc, previous[0].token, tok, context
            )
            conf = trig.confidence
            if trig.verbal:
                subj, from_parse = _subject(doc, context, trig, sent, scope_start)
                if coordinated and (subj is None or not from_parse):
                    subj = previous[1]
                    conf -= 0.1
                elif not from_parse:
                    conf -= 0.15
            else:
                subj = _genitive(doc, context, tok, scope_end)
            preps = TO_PREPS if trig.direction == EXPORT else FROM_PREPS
            partner = _partner(doc, context, tok.i + 1, scope_end, preps, subj)
            if partner is None and coordinated and previous[2] is not None:
                partner = previous[2]
                conf -= 0.1
            previous = (trig, subj, partner)
            if subj is None or partner is None or subj.text == partner.text:
                continue
            amount = _amount_for(doc, tok, scope_start, scope_end, amounts, money)
            if amount is None:
                continue
            span, currency, penalty = amount
            year, ypen = _year(doc, sent, tok, prev_sent)
            exporter, importer = (subj, partner) if trig.direction == EXPORT else (partner, subj)
            value = format_value(span._.value)
            key = (exporter.text, importer.text, value, currency, year)
            if key in seen or not value:
                continue
            seen.add(key)
            relations.append(
                Relation(
                    kind=RelationKind.TRADE_FLOW,
                    args={
                        "exporter": exporter,
                        "importer": importer,
                        "value": value,
                        "currency": currency,
                        "year": year,
                        "sector": sector,
                    },
                    confidence=round(max(0.1, conf - penalty - ypen), 2),
                    evidence=context.evidence(tok),
                    rule="trade:"
                    + ("verb" if trig.verbal else "noun")
                    + (":coordinated" if coordinated else ""),
                )
            )
    return relations


def _coordinated(doc: Doc, first: Token, second: Token, context: ExtractionContext) -> bool:
    """Is ``second`` coordinated with ``first`` ("ha esportato ... e importato ...") - an "e/ed"
    right before it and no new subject (a party not behind a preposition) in between?"""
    if second.dep_ == "conj" and second.head == first:
        pass
    elif not any(
        doc[i].lower_ in ("e", "ed") for i in range(max(first.i + 1, second.i - 3), second.i)
    ):
        return False
    for _, m in _mentions(doc, context, first.i + 1, second.i):
        if _is_party(m) and _prep_before(doc, m) is None:
            return False
    return True


def _amount_for(
    doc: Doc, tok: Token, scope_start: int, scope_end: int, amounts: list[Span], money: list[Span]
) -> tuple[Span, str, float] | None:
    after = [a for a in amounts if tok.i < a.start and a.end <= scope_end]
    before = [
        a for a in amounts if scope_start <= a.start and a.end <= tok.i and tok.i - a.end <= 3
    ]
    for span in after + before[::-1]:
        if _is_delta(doc, span):
            return None
        got = _money_amount(doc, span, money)
        if got is not None:
            return span, got[0], got[1]
        if span.label_ == "MONEY":
            return None  # a money amount without currency: unknown
    return None
