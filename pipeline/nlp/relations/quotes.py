"""Relation rule: direct quotations and who said them (RelationKind.QUOTE).

Quotations are found on the characters of ``doc.text`` - pairs of «...», “...” and "..." within
one paragraph; a pair nested in another one ("grande balzo" inside «...») is part of the outer
quotation. Each quotation needs an attribution, tried in this order:

``interjection``  «A – precisa Marianna Simone, Delegato del Québec in Italia -. B»: a speech
                  verb between dashes inside the marks. The quotation is A and B joined, without
                  the interjection (one quotation interrupted by its attribution), as the
                  annotation rules ask; a gold row holding only A still matches, A being part of
                  the prediction. A full stop right after the closing dash ("-. Abbiamo") ends A.
``before``        "Come spiega Suzanne M. Benoît, presidente ...: «...»", "X ha dichiarato: «...»",
                  "Il governo cinese ha espresso «forte insoddisfazione»": the speech verb nearest
                  before the quotation in its sentence; the speaker is the verb's subject (via the
                  parse, climbing from a subjectless gerund to its governing verb), the agent of a
                  passive participle ("secondo quanto riferito da X, «...»"), or else the person
                  named before the verb (or right after it, set off by a comma: an inverted
                  subject) nearest to it. "Secondo X, «...»" works the same way.
``after``         "«...», commenta Angelo Vallerani, presidente ...", "«...» ha detto il portavoce
                  della FAA Laura Brown", "«...». Così X, ...", "«...», è stata la risposta di X":
                  a speech verb (or "così", or a speech noun) right after the closing mark, then
                  the first person mention that is not the object of a preposition.
``continuation``  "«A», commenta X. «B»", "X ha dichiarato: «A» «B»": a quotation with no
                  attribution of its own that directly follows a quotation of X (nothing but
                  that quotation's attribution in between) is X's as well (a separate row).
``colon``         "... il generale Pasquale Preziosa, Capo di Stato Maggiore ...: «...»": no speech
                  verb, but the quotation (at least 6 words) follows a colon in a sentence with
                  exactly one person mention (lower confidence).
``pro-drop``      "«...», ha aggiunto." with no subject: the speaker of the previous quotation, if
                  it is near and no other person is named in between.

Not quotations: single quoted words; fragments of two words unless a speech verb governs them
closely ("ha espresso «forte insoddisfazione»"); fragments of up to five words without a speech
verb close by; titles and names after a title noun (seminario “International Cooperation ...”, il
cosiddetto "...", modulo "Zarya"); and quoted text with no attributable named speaker (unnamed
speakers such as "il portavoce" are left out, as the annotation rules ask). Collective speakers
that are common nouns ("il governo cinese") become rule mentions for the mapping stage to resolve.
A person who is the object of the speech verb ("definì Perfumo «argentino di Cuneo»") or the
subject of a clause after it ("specificano che Schumacher ...") is not taken as the speaker.

The quotation text is the text between the marks, stripped of surrounding spaces and of
leading/trailing commas, colons and dashes (final . ! ? are kept as written).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from spacy.tokens import Doc, Span, Token

from pipeline.datamodel import (
    ORGANIZATION,
    PERSON,
    Evidence,
    Mention,
    Relation,
    RelationKind,
)
from pipeline.nlp.relations.context import ExtractionContext
from pipeline.nlp.relations.doc_index import doc_text

__all__ = ["extract", "find_quotations", "is_speech_verb", "SPEECH_VERB_LEMMAS"]

# --------------------------------------------------------------------------------------------
# Lexicons
# --------------------------------------------------------------------------------------------

#: Italian verbs that introduce or attribute direct speech (lemmas).
SPEECH_VERB_LEMMAS = frozenset(
    """
    dire dichiarare affermare commentare precisare spiegare sottolineare aggiungere osservare
    ribadire annunciare raccontare ricordare evidenziare rilevare concludere replicare rispondere
    ammettere confermare assicurare rassicurare avvertire denunciare lamentare chiedere esortare
    auspicare scrivere twittare annotare notare puntualizzare chiarire sostenere esprimere
    definire parlare esordire incalzare rimarcare insistere garantire promettere comunicare
    riferire specificare ammonire avvisare proseguire continuare dichiararsi dirsi
    ripetere spiegarsi affermarsi domandare invitare sollecitare accusare criticare attaccare
    constatare segnalare illustrare argomentare obiettare ironizzare tuonare sentenziare
    """.split()
)

# Forms of irregular verbs that a lemmatizer may miss, mapped to the lemma.
_IRREGULAR_FORMS = {
    **dict.fromkeys(
        "dice dicono detto detta detti dette disse dissero diceva dicevano dirà "
        "diranno dicendo dire dichiara".split(),
        "dire",
    ),
    **dict.fromkeys(
        "aggiunge aggiungono aggiunto aggiunta aggiunse aggiunsero aggiungendo aggiungere".split(),
        "aggiungere",
    ),
    **dict.fromkeys(
        "scrive scrivono scritto scritta scrisse scrissero scrivendo".split(), "scrivere"
    ),
    **dict.fromkeys(
        "conclude concludono concluso conclusa concluse concludendo".split(), "concludere"
    ),
    **dict.fromkeys(
        "risponde rispondono risposto rispose risposero rispondendo".split(), "rispondere"
    ),
    **dict.fromkeys("ammette ammettono ammesso ammise ammettendo".split(), "ammettere"),
    **dict.fromkeys(
        "chiede chiedono chiesto chiesta chiese chiesero chiedendo".split(), "chiedere"
    ),
    **dict.fromkeys(
        "esprime esprimono espresso espressa espresse espressero esprimendo".split(), "esprimere"
    ),
    **dict.fromkeys(
        "sostiene sostengono sostenuto sostenne sostennero sostenendo".split(), "sostenere"
    ),
    **dict.fromkeys("prosegue proseguono proseguito proseguì proseguendo".split(), "proseguire"),
    **dict.fromkeys("promette promettono promesso promise promettendo".split(), "promettere"),
    **dict.fromkeys("riferisce riferiscono riferito riferì".split(), "riferire"),
    **dict.fromkeys("chiarisce chiariscono chiarito chiarì".split(), "chiarire"),
    **dict.fromkeys("ripete ripetono ripetuto ripeté ripetendo".split(), "ripetere"),
    **dict.fromkeys("insiste insistono insistito insistette".split(), "insistere"),
}
# Regular conjugations (3rd person, participles, gerund, infinitive) by infinitive ending.
_ENDINGS = {
    "are": (
        "a",
        "ano",
        "ato",
        "ata",
        "ati",
        "ate",
        "ava",
        "avano",
        "ò",
        "arono",
        "erà",
        "eranno",
        "erebbe",
        "ando",
        "are",
    ),
    "ere": (
        "e",
        "ono",
        "uto",
        "uta",
        "uti",
        "ute",
        "eva",
        "evano",
        "é",
        "erono",
        "erà",
        "eranno",
        "erebbe",
        "endo",
        "ere",
    ),
    "ire": (
        "e",
        "ono",
        "isce",
        "iscono",
        "ito",
        "ita",
        "iti",
        "ite",
        "iva",
        "ivano",
        "ì",
        "irono",
        "irà",
        "iranno",
        "irebbe",
        "endo",
        "ire",
    ),
}
_FORMS = {
    stem + ending: lemma
    for lemma in SPEECH_VERB_LEMMAS
    if lemma[-3:] in _ENDINGS and len(lemma) > 5
    for stem in [lemma[:-3]]
    for ending in _ENDINGS[lemma[-3:]]
}
_FORMS.update(_IRREGULAR_FORMS)

#: Speech verbs too loose to attribute a quotation from afar (only tightly, or after it).
_TIGHT_ONLY = frozenset(
    {
        "continuare",
        "proseguire",
        "definire",
        "ricordare",
        "invitare",
        "accusare",
        "criticare",
        "attaccare",
        "parlare",
    }
)

#: Nouns naming what someone said ("«...», è stata la risposta di X").
SPEECH_NOUNS = frozenset(
    """
    parole commento commenti risposta replica dichiarazione dichiarazioni annuncio appello
    monito messaggio affermazione affermazioni battuta sfogo precisazione spiegazione
    avvertimento auspicio promessa
    """.split()
)

#: Nouns after which quoted text is a title or a name, not speech.
TITLE_NOUNS = frozenset(
    """
    seminario convegno conferenza workshop evento progetto programma iniziativa libro volume
    film documentario mostra missione operazione titolo slogan campagna tema rapporto studio
    report premio concorso festival spettacolo canzone album rubrica trasmissione articolo
    modulo satellite razzo nave velivolo aereo sonda veicolo nome sigla marchio piano legge
    decreto norma motto emendamento manifestazione fiera rassegna ciclo panel tavola sessione
    edizione
    cosiddetto cosiddetta cosiddetti cosiddette denominato denominata intitolato intitolata
    chiamato chiamata soprannominato soprannominata ribattezzato ribattezzata battezzato
    battezzata
    """.split()
)

#: Common nouns for collective speakers that become rule mentions ("il governo cinese").
COLLECTIVE_SPEAKERS = {
    "governo": "GovernmentBody",
    "esecutivo": "GovernmentBody",
    "ministero": "GovernmentBody",
    "amministrazione": "GovernmentBody",
    "autorità": "GovernmentBody",
    "presidenza": "GovernmentBody",
    "commissione": "GovernmentBody",
    "ambasciata": "GovernmentBody",
}

_PREPOSITIONS = frozenset(
    """
    a ad al allo alla ai agli alle all' all’ di d' d’ del dello della dei degli delle dell' dell’
    da dal dallo dalla dai dagli dalle dall' dall’ in nel nello nella nei negli nelle nell' nell’
    con col coi su sul sullo sulla sui sugli sulle sull' sull’ per tra fra verso presso
    """.split()
)
_AUX_LIKE = frozenset(
    """
    ha hanno ho abbiamo avete aveva avevano avrebbe avrebbero è sono era erano è' sarebbe
    si ci gli le mi ti ne lo l' l’ poi inoltre anche ancora infatti quindi invece ieri oggi così
    stato stata stati state questo questa questi queste queste
    """.split()
)
_DASHES = "–—-"
_OPEN_CLOSE = (("«", "»"), ("“", "”"))

MIN_WORDS = 2  # a single quoted word is a scare quote or a label, never a quotation
MIN_WORDS_LOOSE = 6  # quotations this long may be attributed by a colon or a far speech verb
MIN_WORDS_AFTER = 3  # below this, only a speech verb right before the quotation attributes it
TIGHT_GAP = 4  # tokens allowed between a speech verb and the quotation it governs closely
MID_GAP = 8  # ... for quotations shorter than MIN_WORDS_LOOSE


def is_speech_verb(token: Token) -> bool:
    return speech_lemma(token) is not None


def speech_lemma(token: Token) -> str | None:
    """The speech-verb lemma of ``token`` (by lemma, irregular form or -are conjugation)."""
    if token.pos_ in ("NOUN", "PROPN", "DET", "ADP", "PUNCT", "NUM", "PRON", "CCONJ"):
        return None
    lemma = token.lemma_.lower()
    if lemma in SPEECH_VERB_LEMMAS:
        return lemma
    return _FORMS.get(token.lower_)


# --------------------------------------------------------------------------------------------
# Finding quotations in the text
# --------------------------------------------------------------------------------------------


@dataclass
class Quotation:
    """One pair of quotation marks: ``open``/``close`` index the marks in ``doc.text``."""

    open: int
    close: int
    parts: list[tuple[int, int]] = field(default_factory=list)  # content, interjection removed
    interjection: tuple[int, int] | None = None
    joiner: str = " "

    @property
    def content(self) -> tuple[int, int]:
        return self.open + 1, self.close


def _paragraphs(text: str) -> Iterator[tuple[int, int]]:
    start = 0
    for m in re.finditer(r"\n", text):
        yield start, m.start()
        start = m.end()
    yield start, len(text)


def _pairs(text: str, start: int, end: int, opener: str, closer: str) -> Iterator[tuple[int, int]]:
    depth, first = 0, -1
    for i in range(start, end):
        c = text[i]
        if c == opener:
            if depth == 0:
                first = i
            depth += 1
        elif c == closer and depth > 0:
            depth -= 1
            if depth == 0:
                yield first, i


def _straight_pairs(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    positions = [i for i in range(start, end) if text[i] == '"']
    yield from zip(positions[::2], positions[1::2], strict=False)


def find_quotations(text: str) -> list[Quotation]:
    """Pairs of quotation marks within a paragraph, outermost only, in text order."""
    found: list[tuple[int, int]] = []

    def inside(a: int, b: int) -> bool:
        return any(o <= a and b <= c for o, c in found)

    def overlaps(a: int, b: int) -> bool:
        return any(not (b < o or c < a) for o, c in found)

    for p_start, p_end in _paragraphs(text):
        for opener, closer in _OPEN_CLOSE:
            for a, b in _pairs(text, p_start, p_end, opener, closer):
                if not inside(a, b) and not overlaps(a, b):
                    found.append((a, b))
        for a, b in _straight_pairs(text, p_start, p_end):
            if not inside(a, b) and not overlaps(a, b):
                found.append((a, b))
    found.sort()
    out = []
    for a, b in found:
        if any(o < a and b < c for o, c in found):
            continue
        q = Quotation(a, b)
        q.parts = [_trim(text, a + 1, b)]
        out.append(q)
    return out


_TRIM_CHARS = " \t\n,;:" + _DASHES


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in _TRIM_CHARS + ".":
        start += 1
    while end > start and text[end - 1] in _TRIM_CHARS:
        end -= 1
    return start, end


def _words(text: str) -> int:
    return len(re.findall(r"\w+", text))


# --------------------------------------------------------------------------------------------
# Attribution
# --------------------------------------------------------------------------------------------


@dataclass
class _Attribution:
    speaker: Mention
    confidence: float
    rule: str
    end: int = -1  # character offset where the attribution text ends (for continuations)
    verb_i: int = -1  # token index of the attributing verb


def _tokens(doc: Doc, start: int, end: int) -> Span | None:
    if end <= start:
        return None
    return doc.char_span(start, end, alignment_mode="expand")


def _preceded_by_preposition(token: Token, doc: Doc) -> bool:
    i = token.i - 1
    while i >= 0 and doc[i].pos_ == "DET" and doc[i].lower_ not in _PREPOSITIONS:
        i -= 1
    if i < 0:
        return False
    prev = doc[i]
    return prev.lower_ in _PREPOSITIONS or (
        prev.pos_ == "ADP" and prev.lower_ not in ("come", "secondo")
    )


def _mention_start(doc: Doc, context: ExtractionContext, mention: Mention) -> Token:
    span = doc.char_span(mention.start, mention.end, alignment_mode="expand")
    return span[0] if span is not None else doc[0]


def _mentions_in(
    doc: Doc, context: ExtractionContext, span: Span | None
) -> list[tuple[Token, Mention]]:
    """Distinct mentions in ``span`` with their first token, in text order."""
    if span is None:
        return []
    out, seen = [], set()
    for tok in span:
        m = context.mention_at(tok)
        if m is not None and (m.start, m.end) not in seen:
            seen.add((m.start, m.end))
            out.append((_mention_start(doc, context, m), m))
    return out


def _subjects_of(verb: Token) -> tuple[list[Token], Token]:
    """The nominal subjects of ``verb`` and the verb that has them, climbing from subjectless
    gerunds/infinitives/conjuncts/parataxis to the governing verb ("..., definendo" -> "ha
    espresso"; "..., spiega:" -> the main verb). Without subjects: ([], the topmost verb)."""
    tok = verb
    for _ in range(3):
        subjects = [c for c in tok.children if c.dep_ in ("nsubj", "nsubj:pass")]
        if subjects:
            return subjects, tok
        if (
            tok.dep_ in ("advcl", "xcomp", "conj", "parataxis")
            and tok.head is not tok
            and (tok.head.pos_ in ("VERB", "AUX"))
        ):
            tok = tok.head
            continue
        break
    return [], tok


def _collective(subject: Token, doc: Doc, context: ExtractionContext) -> Mention | None:
    """ "il governo cinese" -> a rule mention (Organization); a bare "il governo" -> None."""
    cls = COLLECTIVE_SPEAKERS.get(subject.lemma_.lower()) or COLLECTIVE_SPEAKERS.get(subject.lower_)
    if not cls or subject.pos_ != "NOUN":
        return None
    end = subject.i + 1
    while end < len(doc) and doc[end].pos_ == "ADJ" and doc[end].head == subject:
        end += 1
    if end == subject.i + 1:
        return None
    return context.rule_mention(doc[subject.i : end], ORGANIZATION, cls)


def _speaker_from_subjects(
    subjects: list[Token],
    head: Token,
    doc: Doc,
    context: ExtractionContext,
    seg: Span,
    in_quote,
) -> tuple[Mention | None, str]:
    """The speaker named by the subject(s) of ``head``: (mention, how) where how is "named",
    "unnamed" (a common noun we cannot name: no speaker) or "none" (no usable subject)."""
    named: list[tuple[Token, Mention]] = []
    for subj in subjects:
        m = context.mention_at(subj)
        if m is not None:
            named.append((subj, m))
            continue
        # a person in apposition / flat inside the subject phrase, not behind a preposition
        for tok in subj.subtree:
            m = context.mention_at(tok)
            if (
                m is not None
                and m.coarse == PERSON
                and not _preceded_by_preposition(_mention_start(doc, context, m), doc)
            ):
                named.append((tok, m))
                break
    if named:
        persons = [(t, m) for t, m in named if m.coarse == PERSON]
        tok, mention = (persons or named)[0]
        # A postverbal "subject" of a non-speech verb is usually a misparsed object ("Mottura
        # ... ha ringraziato Raggi"): prefer a person named before the verb.
        if tok.i > head.i and not is_speech_verb(head):
            pre = [
                (t, m)
                for t, m in _mentions_in(doc, context, doc[seg.start : head.i])
                if m.coarse == PERSON and not _preceded_by_preposition(t, doc) and not in_quote(t)
            ]
            if pre:
                return pre[0][1], "named"
            return None, "unnamed"  # the real subject is not a named person: no guess
        return mention, "named"
    for subj in subjects:
        if (
            subj.pos_ == "PRON"
            and subj.lower_ in ("che", "il quale", "la quale")
            and (head.dep_.startswith("acl"))
        ):
            m = context.mention_at(head.head)
            if m is not None:
                return m, "named"
            return None, "unnamed"  # "il ministro, che ha detto: ..."
        collective = _collective(subj, doc, context)
        if collective is not None:
            return collective, "named"
        if subj.pos_ == "NOUN":
            # "Il presidente del Consiglio, Silvio Berlusconi, ha dichiarato": a person named
            # between the subject and the verb, not behind a preposition
            between = doc[subj.i : head.i] if subj.i < head.i else None
            for t, m in _mentions_in(doc, context, between):
                if m.coarse == PERSON and not _preceded_by_preposition(t, doc):
                    return m, "named"
            # "Maroš Šefčovič, il vicepresidente della Commissione, ha dichiarato"
            j = subj.left_edge.i - 1
            while j >= 0 and doc[j].pos_ == "DET":
                j -= 1
            if j >= 0 and doc[j].text == ",":
                m = context.mention_at(doc[j - 1]) if j > 0 else None
                if (
                    m is not None
                    and m.coarse == PERSON
                    and not _preceded_by_preposition(_mention_start(doc, context, m), doc)
                ):
                    return m, "named"
            return None, "unnamed"
    return None, "none"


def _in_subject(tok: Token, doc: Doc, context: ExtractionContext, mention: Mention) -> bool:
    span = doc.char_span(mention.start, mention.end, alignment_mode="expand")
    toks = list(span) if span is not None else [tok]
    for t in toks:
        if t.dep_.startswith("nsubj"):
            return True
        if t.dep_ in ("appos", "flat", "flat:name", "nmod") and t.head.dep_.startswith("nsubj"):
            return True
    return False


def _is_title(doc: Doc, q: Quotation, text: str) -> bool:
    before = _tokens(doc, max(0, q.open - 40), q.open)
    if before is None or len(before) == 0:
        return False
    prev = before[-1]
    words = {prev.lower_, prev.lemma_.lower(), prev.lower_.split("-")[0]}
    if len(before) > 2 and before[-2].text == "-" and not before[-3].whitespace_:
        words.add(before[-3].lower_)  # "il motto-tormentone"
    if words & TITLE_NOUNS:
        return True
    # "noto come", "il nome di"
    if (
        prev.lower_ in ("come", "di")
        and len(before) > 1
        and before[-2].lower_ in ("noto", "nota", "noti", "note", "nome", "titolo", "sigla")
    ):
        return True
    return False


def _segment_start(doc: Doc, q: Quotation) -> int:
    """Where the text introducing ``q`` starts: the start of its sentence, or ``q.open`` when
    the quotation opens a sentence."""
    tok = _tokens(doc, q.open, q.open + 1)
    if tok is None:
        return q.open
    sent = tok[0].sent
    start = sent.start_char
    lead = doc_text(doc)[start : q.open]
    # the sentencizer may glue an opening mark to the previous sentence ("settore. «")
    if re.search(r"[.!?]\s+$", lead):
        return q.open
    return start


def _verbs_in(span: Span | None) -> list[Token]:
    if span is None:
        return []
    return [t for t in span if is_speech_verb(t)]


def _secondo(tok: Token, context: ExtractionContext) -> Mention | None:
    """ "secondo X" (according to X): the person/organisation X, else None."""
    if tok.lower_ != "secondo":
        return None
    doc = tok.doc
    i = tok.i + 1
    while i < len(doc) and doc[i].pos_ == "DET":
        i += 1
    if i >= len(doc):
        return None
    m = context.mention_at(doc[i])
    if m is not None and m.coarse in (PERSON, ORGANIZATION) and m.start == doc[i].idx:
        return m
    return None


def _party_after(doc: Doc, i: int, context: ExtractionContext) -> Mention | None:
    """The person or organisation named within three tokens after ``i`` (before punctuation)."""
    for j in range(i + 1, min(i + 4, len(doc))):
        m = context.mention_at(doc[j])
        if m is not None:
            return m if m.coarse in (PERSON, ORGANIZATION) else None
        if doc[j].is_punct:
            break
    return None


def _speech_noun_owner(noun: Token, context: ExtractionContext) -> Mention | None:
    """The person or organisation X of "le parole di X", "la risposta del ministro X"."""
    doc = noun.doc
    i = noun.i + 1
    if i >= len(doc) or doc[i].lower_.replace("’", "'") not in (
        "di",
        "del",
        "della",
        "dello",
        "dell'",
        "dei",
        "degli",
        "delle",
    ):
        return None
    return _party_after(doc, i, context)


def _agent(verb: Token, context: ExtractionContext) -> Mention | None:
    """The agent of a passive speech participle: "dichiarato da X", "riferito dal ministro X"."""
    doc = verb.doc
    i = verb.i + 1
    if i >= len(doc) or doc[i].lower_ not in ("da", "dal", "dalla", "dallo", "dall'", "dall’"):
        return None
    return _party_after(doc, i, context)


def _inverted_subject(
    doc: Doc, verb: Token, first: Token, mention: Mention, quote_open: int
) -> bool:
    """Is a person named after the speech verb its inverted subject ("spiega X, presidente di Y:
    «") - right after the verb, set off from the quotation by punctuation - rather than its
    object ("definì Perfumo «argentino di Cuneo»") or the subject of a clause ("specificano che
    Schumacher è stato operato, che «...»")?"""
    between_verb = doc[verb.i + 1 : first.i]
    if len(between_verb) > 3 or any(
        t.pos_ in ("VERB", "AUX") or t.lower_ == "che" or t.is_punct for t in between_verb
    ):
        return False
    return bool(re.search(r"[,:;–—-]", doc_text(doc)[mention.end : quote_open]))


def _no_verb_between(doc: Doc, a: int, b: int) -> bool:
    return all(doc[i].pos_ not in ("VERB", "AUX") and doc[i].lower_ != "che" for i in range(a, b))


def _attribute_before(
    doc: Doc,
    context: ExtractionContext,
    q: Quotation,
    seg_start: int,
    n_words: int,
    quoted: list[tuple[int, int]],
) -> tuple[_Attribution | None, bool]:
    """Attribution by a speech verb before the quotation. Returns (attribution, verb_found)."""
    seg = _tokens(doc, seg_start, q.open)
    if seg is None or len(seg) == 0:
        return None, False

    def in_quote(tok: Token) -> bool:
        return any(o <= tok.idx <= c for o, c in quoted)

    verbs = [t for t in seg if (is_speech_verb(t) or _secondo(t, context)) and not in_quote(t)]
    if not verbs:
        return None, False
    verb = verbs[-1]
    if (secondo := _secondo(verb, context)) is not None:
        # "Secondo Giulia Neri, direttrice del programma, «...»"
        tight = not any(t.pos_ in ("VERB", "AUX") for t in doc[verb.i + 1 : seg.end])
        if tight and n_words >= MIN_WORDS_AFTER:
            return _Attribution(secondo, 0.8, "quotes:secondo", verb_i=verb.i), True
        return None, False
    gap = seg.end - verb.i - 1  # tokens between verb and the opening mark
    tight = gap <= TIGHT_GAP and _no_verb_between(doc, verb.i + 1, seg.end)
    if n_words < MIN_WORDS_AFTER and not tight:
        return None, False
    if n_words < MIN_WORDS_LOOSE and not tight and gap > MID_GAP:
        return None, False
    if not tight and speech_lemma(verb) in _TIGHT_ONLY:
        return None, False
    conf_base = 0.85 if tight else 0.75
    agent = _agent(verb, context)
    if agent is not None:  # "secondo quanto riferito da Serge Lemoine, ...: «...»"
        return _Attribution(agent, conf_base - 0.05, "quotes:before-agent", verb_i=verb.i), True
    subjects, head = _subjects_of(verb)
    top = verb if subjects or in_quote(head) or head.i > verb.i else head
    subjects = [s for s in subjects if s.sent == verb.sent and s.i < seg.end and not in_quote(s)]
    mention, how = _speaker_from_subjects(subjects, head, doc, context, seg, in_quote)
    if mention is not None:
        conf = conf_base if mention.coarse in (PERSON, ORGANIZATION) else conf_base - 0.2
        return _Attribution(mention, round(conf, 2), "quotes:before-subject", verb_i=verb.i), True
    if how == "unnamed":
        return None, True
    span = doc[seg.start : seg.end]
    cands = [
        (t, m)
        for t, m in _mentions_in(doc, context, span)
        if m.coarse == PERSON
        and not _preceded_by_preposition(t, doc)
        and not in_quote(t)
        and t.dep_ not in ("obj", "iobj")
        # before the governing verb ("Mottura ... ha ringraziato Raggi ... sostenendo"), or the
        # inverted subject right after the speech verb ("Come spiega X, presidente ...:")
        and (t.i < top.i or _inverted_subject(doc, verb, t, m, q.open))
    ]
    if cands:
        subj = [(t, m) for t, m in cands if _in_subject(t, doc, context, m)]
        person = min(subj or cands, key=lambda tm: abs(tm[0].i - verb.i))[1]
        return _Attribution(
            person, round(conf_base - 0.15, 2), "quotes:before-window", verb_i=verb.i
        ), True
    return None, True


def _attribute_after(
    doc: Doc, context: ExtractionContext, q: Quotation, limit: int
) -> tuple[_Attribution | None, bool]:
    """Attribution right after the closing mark: "», commenta X", "» ha detto ... X"."""
    span = _tokens(doc, q.close + 1, min(len(doc_text(doc)), q.close + 400))
    if span is None:
        return None, False
    i = span.start
    # skip punctuation and auxiliaries; a mention before the verb ("», Rossi ha detto") is allowed
    pre_mention: tuple[Token, Mention] | None = None
    verb = None
    steps = 0
    saw_cosi = False  # "«...». Così Mario Rossi, presidente di ..."
    while i < len(doc) and steps < 6:
        tok = doc[i]
        if tok.idx >= limit:
            break
        if tok.is_punct and (tok.text in ",–—-:" or tok.text == "." and steps == 0) and steps < 2:
            i += 1
            steps += 1
            continue
        if tok.lower_ == "così" and pre_mention is None:
            saw_cosi = True
        if tok.lower_ == "secondo" and tok.pos_ == "ADP":
            verb = tok
            break
        if tok.lower_ in SPEECH_NOUNS and pre_mention is None:
            # "«...», è stata la risposta di Berlusconi", "«...»: queste le parole di X"
            owner = _speech_noun_owner(tok, context)
            if owner is not None:
                end = _clause_end(doc, tok, limit)
                return _Attribution(owner, 0.75, "quotes:after-noun", end, tok.i), True
            break
        if is_speech_verb(tok) and tok.pos_ in ("VERB", "AUX", "ADJ", "ADV", "X", ""):
            verb = tok
            break
        m = context.mention_at(tok)
        if m is not None and pre_mention is None and m.coarse in (PERSON, ORGANIZATION):
            pre_mention = (tok, m)
            j = tok.i
            while j < len(doc) and context.mention_at(doc[j]) is m:
                j += 1
            steps += 1
            i = j
            continue
        if (
            tok.lower_ in _AUX_LIKE
            or tok.pos_ in ("AUX", "DET")
            or tok.lower_ in ("il", "la", "lo", "l'", "l’")
        ):
            i += 1
            steps += 1
            continue
        break
    if verb is None:
        if saw_cosi and pre_mention is not None and pre_mention[1].coarse == PERSON:
            end = _clause_end(doc, pre_mention[0], limit)
            return _Attribution(
                pre_mention[1], 0.75, "quotes:after-cosi", end, pre_mention[0].i
            ), True
        return None, False
    sent_end = _clause_end(doc, verb, limit)
    if pre_mention is not None:
        return _Attribution(pre_mention[1], 0.85, "quotes:after-subject", sent_end, verb.i), True
    window = doc[verb.i + 1 : min(verb.i + 16, len(doc))]
    window = [t for t in window if t.idx < sent_end]
    seen = set()
    for tok in window:
        m = context.mention_at(tok)
        if m is None or (m.start, m.end) in seen:
            continue
        seen.add((m.start, m.end))
        first = _mention_start(doc, context, m)
        if m.coarse == PERSON and not _preceded_by_preposition(first, doc):
            return _Attribution(m, 0.9, "quotes:after", sent_end, verb.i), True
    # an organisation as speaker only right after the verb ("», ha detto la NASA")
    for tok in window[:3]:
        m = context.mention_at(tok)
        if m is not None and m.coarse == ORGANIZATION:
            if not _preceded_by_preposition(_mention_start(doc, context, m), doc):
                return _Attribution(m, 0.75, "quotes:after", sent_end, verb.i), True
            break
    # the parse may know the subject ("» ha spiegato il ministro"): unnamed -> no speaker
    subjects = [s for s in (_subjects_of(verb)[0] if verb.pos_ != "ADP" else []) if s.i > verb.i]
    if subjects:
        for subj in subjects:
            collective = _collective(subj, doc, context)
            if collective is not None:
                return _Attribution(collective, 0.7, "quotes:after-subject", sent_end, verb.i), True
        return None, True
    if any(t.pos_ == "NOUN" and t.i < verb.i + 4 for t in window[:3]):
        return None, True  # "», ha detto il portavoce": unnamed speaker
    return _Attribution(_PRO_DROP, 0.0, "quotes:pro-drop", sent_end, verb.i), True


_PRO_DROP = Mention(0, 0, "", PERSON, source="rule")  # a speech verb without a subject
_UNNAMED = Mention(0, 0, "", PERSON, source="rule")  # a speech verb with an unnamed subject


def _clause_end(doc: Doc, verb: Token, limit: int) -> int:
    """End of the attribution after ``verb``: the next sentence end or quotation mark."""
    text = doc_text(doc)
    i = verb.idx
    while i < min(limit, len(text)):
        c = text[i]
        if c in '.!?\n«“"':
            if c == "." and _is_abbreviation(text, i):
                i += 1
                continue
            return i + 1 if c in ".!?" else i
        i += 1
    return min(limit, len(text))


def _is_abbreviation(text: str, i: int) -> bool:
    """A '.' after a single capital letter ("Suzanne M. Benoît") does not end a sentence."""
    return i >= 1 and text[i - 1].isupper() and (i < 2 or not text[i - 2].isalpha())


def _interjection(doc: Doc, context: ExtractionContext, q: Quotation) -> _Attribution | None:
    """«A – precisa X, ... -. B»: a speech verb between dashes inside the marks."""
    text = doc_text(doc)
    a, b = q.content
    inner = text[a:b]
    for m in re.finditer(r"\s[" + _DASHES + r"]\s+", inner):
        start = a + m.end()
        close = re.compile(r"\s[" + _DASHES + r"](?=[\s.,;:!?]|$)|[" + _DASHES + r"](?=[.,;:]\s)")
        m2 = close.search(text, start, b)
        if m2 is None:
            continue
        inter = _tokens(doc, start, m2.start())
        if inter is None or len(inter) > 30:
            continue
        verbs = _verbs_in(inter)
        if not verbs:
            continue
        verb = verbs[0]
        if verb.i > inter.start + 3:
            continue
        speaker = None
        for tok, mention in _mentions_in(doc, context, inter):
            if mention.coarse == PERSON and not _preceded_by_preposition(tok, doc):
                speaker = mention
                break
        if speaker is None:
            for tok, mention in _mentions_in(doc, context, inter):
                if mention.coarse == ORGANIZATION and not _preceded_by_preposition(tok, doc):
                    speaker = mention
                    break
        q.interjection = (a + m.start(), m2.end())
        first = _trim(text, a, a + m.start())
        # "Québec – precisa X -. Abbiamo": the full stop after the dash ends A
        inner_stop = (
            m2.end() < b
            and text[m2.end()] in ".!?"
            and first[1] > first[0]
            and text[first[1] - 1] not in ".!?"
        )
        rest = _trim(text, m2.end(), b)
        q.parts = [p for p in (first, rest) if p[1] > p[0]]
        q.joiner = ". " if inner_stop else " "
        if speaker is None:
            after_verb = [t for t in inter if t.i > verb.i and not t.is_punct]
            if after_verb and after_verb[0].pos_ in ("DET", "NOUN", "PRON", "NUM", "PROPN"):
                # "- ha dichiarato un membro del personale -": an unnamed speaker
                return _Attribution(_UNNAMED, 0.0, "quotes:unnamed", verb_i=verb.i)
            return _Attribution(_PRO_DROP, 0.0, "quotes:pro-drop", verb_i=verb.i)
        return _Attribution(speaker, 0.9, "quotes:interjection", verb_i=verb.i)
    return None


def _attribute_colon(
    doc: Doc, context: ExtractionContext, q: Quotation, seg_start: int
) -> _Attribution | None:
    lead = doc_text(doc)[seg_start : q.open].rstrip()
    if not lead.endswith(":"):
        return None
    seg = _tokens(doc, seg_start, q.open)
    persons = {
        (m.start, m.end): m
        for tok, m in _mentions_in(doc, context, seg)
        if m.coarse == PERSON and not _preceded_by_preposition(tok, doc)
    }
    names = {m.text for m in persons.values()}
    if len(names) == 1:
        return _Attribution(next(iter(persons.values())), 0.55, "quotes:colon")
    return None


# --------------------------------------------------------------------------------------------
# The rule
# --------------------------------------------------------------------------------------------


def _evidence(doc: Doc, start: int, end: int) -> Evidence:
    first = _tokens(doc, start, start + 1)
    last = _tokens(doc, max(start, end - 1), end)
    s = first[0].sent.start_char if first is not None and len(first) else start
    e = last[-1].sent.end_char if last is not None and len(last) else end
    return Evidence(s, e, doc_text(doc)[s:e])


def _persons_between(
    doc: Doc, context: ExtractionContext, start: int, end: int, speaker: Mention
) -> bool:
    span = _tokens(doc, start, end)
    for _, m in _mentions_in(doc, context, span):
        if (
            m.coarse == PERSON
            and m.text != speaker.text
            and m.text not in speaker.text
            and speaker.text not in m.text
        ):
            return True
    return False


def _attribute(
    doc: Doc,
    context: ExtractionContext,
    q: Quotation,
    n_words: int,
    seg_start: int,
    next_open: int,
    quoted: list[tuple[int, int]],
    prev: tuple[Quotation, _Attribution] | None,
) -> _Attribution | None:
    attribution = _interjection(doc, context, q)
    if attribution is not None and attribution.speaker is _UNNAMED:
        return None
    verb_found = attribution is not None
    if attribution is None or attribution.speaker is _PRO_DROP:
        before, b_found = _attribute_before(doc, context, q, seg_start, n_words, quoted)
        after, a_found = (
            _attribute_after(doc, context, q, next_open)
            if n_words >= MIN_WORDS_AFTER
            else (None, False)
        )
        verb_found = verb_found or b_found or a_found
        # "«A», dice X, «B», risponde Y": the verb before B is A's attribution, B has its own
        shared = before is not None and prev is not None and before.verb_i == prev[1].verb_i
        if before is not None and not shared:
            attribution = before
        elif after is not None and after.speaker is not _PRO_DROP:
            attribution = after
        elif before is not None:
            attribution = _Attribution(
                before.speaker,
                min(0.75, before.confidence),
                "quotes:continuation",
                before.end,
                before.verb_i,
            )
        elif after is not None and attribution is None:
            attribution = after
    if attribution is None and not verb_found and prev is not None and n_words >= MIN_WORDS_AFTER:
        attribution = _continuation(doc, q, prev)
    if attribution is None and not verb_found and n_words >= MIN_WORDS_LOOSE:
        attribution = _attribute_colon(doc, context, q, seg_start)
    if attribution is not None and attribution.speaker is _PRO_DROP:
        attribution = _pro_drop(doc, context, q, prev, attribution)
    return attribution


def extract(doc: Doc, context: ExtractionContext) -> Iterable[Relation]:
    text = doc_text(doc)
    quotations = find_quotations(text)
    quoted = [(q.open, q.close) for q in quotations]
    relations: list[Relation] = []
    seen: set[tuple[str, str]] = set()
    prev: tuple[Quotation, _Attribution] | None = None  # last attributed quotation
    for idx, q in enumerate(quotations):
        next_open = quotations[idx + 1].open if idx + 1 < len(quotations) else len(text)
        seg_start = _segment_start(doc, q)
        n_words = _words(text[q.open + 1 : q.close])
        if n_words < MIN_WORDS:
            continue
        attribution = _attribute(doc, context, q, n_words, seg_start, next_open, quoted, prev)
        if attribution is None or (q.interjection is None and _is_title(doc, q, text)):
            continue
        quote = q.joiner.join(text[s:e] for s, e in q.parts)
        prev = (q, attribution)
        key = (attribution.speaker.text, quote)
        if key in seen:
            continue
        seen.add(key)
        end = max(q.close + 1, attribution.end if attribution.end > 0 else q.close + 1)
        start = min(q.open, attribution.speaker.start if attribution.speaker.end else q.open)
        relations.append(
            Relation(
                kind=RelationKind.QUOTE,
                args={"speaker": attribution.speaker, "quote": quote},
                confidence=attribution.confidence,
                evidence=_evidence(doc, start, end),
                rule=attribution.rule,
            )
        )
    return relations


def _continuation(
    doc: Doc, q: Quotation, prev: tuple[Quotation, _Attribution]
) -> _Attribution | None:
    """A quotation right after another one (only that one's attribution in between)."""
    pq, pa = prev
    gap = doc_text(doc)[max(pq.close + 1, pa.end) : q.open]
    if gap.strip(" \t,.;:–—-\n") or gap.count("\n") > 2:
        return None
    # across a paragraph break the reading is weaker
    confidence = min(0.75 if "\n" not in gap else 0.65, pa.confidence)
    return _Attribution(pa.speaker, confidence, "quotes:continuation")


def _pro_drop(
    doc: Doc,
    context: ExtractionContext,
    q: Quotation,
    prev: tuple[Quotation, _Attribution] | None,
    attribution: _Attribution,
) -> _Attribution | None:
    """A speech verb without a subject: the previous speaker, if near and no one else named."""
    if prev is None:
        return None
    pq, pa = prev
    between = doc_text(doc)[pq.close : q.open]
    if between.count("\n") > 2 or len(between) > 600:
        return None
    if _persons_between(doc, context, pq.close + 1, q.open, pa.speaker):
        return None
    if attribution.end > q.close and _persons_between(
        doc, context, q.close + 1, attribution.end, pa.speaker
    ):
        return None
    return _Attribution(pa.speaker, 0.6, "quotes:pro-drop", attribution.end)
