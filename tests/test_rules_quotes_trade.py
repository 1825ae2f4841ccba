"""Tests for the quote and trade-flow relation rules (pipeline.nlp.relations.quotes / .trade).

Docs are built by hand on a blank Italian pipeline: the tokenizer's words, part-of-speech tags
from a small default table (plus overrides), a dependency parse only where a test needs one
(every other token hangs off its sentence root), named entities as given, and the real
aerokg_quantities component for amounts and dates. No trained model is needed, except for the
last test, which runs the shipped model on the worked example when it is installed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import spacy
from spacy.tokens import Doc

import pipeline  # noqa: F401  (registers aerokg components)
from pipeline.corpus import Article, read_file
from pipeline.datamodel import ORGANIZATION, PERSON, PLACE, RelationKind
from pipeline.nlp.analyse import mentions_of
from pipeline.nlp.relations import quotes, trade
from pipeline.nlp.relations.context import ExtractionContext

REPO = Path(__file__).resolve().parents[1]

_NLP = spacy.blank("it")
_QUANTITIES = _NLP.add_pipe("aerokg_quantities")

_DET = {"il", "lo", "la", "i", "gli", "le", "l'", "l’", "un", "uno", "una", "un'"}
_ADP = {
    "a", "ad", "al", "alla", "ai", "agli", "alle", "all'", "di", "del", "della", "dei", "degli",
    "delle", "dell'", "dell’", "da", "dal", "dalla", "dai", "dall'", "in", "nel", "nella", "nei",
    "nell'", "con", "su", "per", "tra", "fra", "verso", "secondo",
}  # fmt: skip
_CCONJ = {"e", "ed", "ma", "o"}
_AUX = {"ha", "hanno", "è", "sono", "sarà", "aveva"}
#: Part-of-speech tags of the content words the tests lean on (everything else: X).
_WORD_POS = {
    "governo": "NOUN", "cinese": "ADJ", "portavoce": "NOUN", "membro": "NOUN",
    "personale": "NOUN", "aerospaziale": "ADJ", "meccanica": "NOUN", "settore": "NOUN",
    "decisione": "NOUN", "aerei": "NOUN", "visitatori": "NOUN", "beni": "NOUN",
    "esportazioni": "NOUN", "interscambio": "NOUN", "auto": "NOUN", "macchinari": "NOUN",
    "componenti": "NOUN", "vicepresidente": "NOUN",
}  # fmt: skip


def build(
    text: str,
    ents: list[tuple[str, str]] = (),
    parse: dict[str, tuple[str, str | None]] | None = None,
    pos: dict[str, str] | None = None,
) -> tuple[Doc, ExtractionContext]:
    """A Doc of ``text`` with entities (surface, label) - each surface's first occurrence, or
    "surface#n" for the n-th - and a partial parse {word: (dep, head word)} ("ROOT": head None).
    Sentences end at . ! ? (outside quotation marks it does not matter: rules read
    characters) and at blank lines; each sentence's root is its ROOT word, else its first token.
    """
    parse = parse or {}
    pos = pos or {}
    tokens = _NLP.tokenizer(text)
    words = [t.text for t in tokens]
    spaces = [bool(t.whitespace_) for t in tokens]

    # sentence boundaries: after a token ending a sentence, or a whitespace token with "\n"
    starts = [0]
    for i, tok in enumerate(tokens[:-1]):
        if tok.text in (".", "!", "?") or "\n" in tok.text:
            nxt = tokens[i + 1]
            if nxt.text not in ("»", "”", '"'):
                starts.append(i + 1)
    bounds = list(zip(starts, starts[1:] + [len(tokens)], strict=True))

    def index(word: str) -> int:
        name, _, n = word.partition("#")
        hits = [i for i, w in enumerate(words) if w == name]
        return hits[int(n) - 1 if n else 0]

    heads = list(range(len(words)))
    deps = ["dep"] * len(words)
    annotated = {index(w): (dep, head) for w, (dep, head) in parse.items()}
    for a, b in bounds:
        roots = [i for i in range(a, b) if annotated.get(i, ("", ""))[0] == "ROOT"]
        root = roots[0] if roots else a
        for i in range(a, b):
            if i in annotated:
                dep, head = annotated[i]
                heads[i] = i if head is None else index(head)
                deps[i] = dep
            elif i != root:
                heads[i] = root
        deps[root] = "ROOT"
        heads[root] = root

    tags = []
    for i, w in enumerate(words):
        low = w.lower()
        if w in pos:
            tags.append(pos[w])
        elif low in _WORD_POS:
            tags.append(_WORD_POS[low])
        elif re.fullmatch(r"\W+", w) or w.isspace():
            tags.append("PUNCT" if not w.isspace() else "SPACE")
        elif low in _DET:
            tags.append("DET")
        elif low in _ADP:
            tags.append("ADP")
        elif low in _CCONJ:
            tags.append("CCONJ")
        elif low in _AUX:
            tags.append("AUX")
        elif w[0].isdigit():
            tags.append("NUM")
        elif w[0].isupper() and i > 0 and words[i - 1] not in (".", "«", "“", '"', "\n\n"):
            tags.append("PROPN")
        else:
            tags.append("X")
    doc = Doc(
        _NLP.vocab,
        words=words,
        spaces=spaces,
        heads=heads,
        deps=deps,
        pos=tags,
        lemmas=[w.lower() for w in words],
    )
    spans = []
    for surface, label in ents:
        name, _, n = surface.partition("#")
        offsets = [m.start() for m in re.finditer(re.escape(name), text)]
        start = offsets[int(n) - 1 if n else 0]
        span = doc.char_span(start, start + len(name), label=label)
        assert span is not None, surface
        spans.append(span)
    doc.ents = spans
    doc = _QUANTITIES(doc)
    context = ExtractionContext(doc, Article(id="test", text=text), mentions_of(doc))
    return doc, context


def quote_rows(text: str, ents=(), parse=None, pos=None) -> list[tuple[str, str]]:
    doc, context = build(text, ents, parse, pos)
    rels = list(quotes.extract(doc, context))
    for r in rels:
        assert r.kind is RelationKind.QUOTE
        assert 0.0 < r.confidence <= 1.0
        assert r.evidence.sentence == text[r.evidence.start : r.evidence.end]
    return [(r.args["speaker"].text, r.args["quote"]) for r in rels]


def trade_rows(text: str, ents=(), parse=None, pos=None) -> list[tuple]:
    doc, context = build(text, ents, parse, pos)
    rels = list(trade.extract(doc, context))
    for r in rels:
        assert r.kind is RelationKind.TRADE_FLOW
        assert 0.0 < r.confidence <= 1.0
    return [
        (
            r.args["exporter"].text,
            r.args["importer"].text,
            r.args["value"],
            r.args["currency"],
            r.args["year"],
            r.args["sector"],
        )
        for r in rels
    ]


# --------------------------------------------------------------------------------------------
# Quotations in the text
# --------------------------------------------------------------------------------------------


def test_find_quotations_pairs_marks_and_keeps_nested_ones_inside():
    text = 'Ha detto: «Ora è Copernicus ad aver fatto un "grande balzo"». Poi “altro” e "fine".'
    found = [text[q.open + 1 : q.close] for q in quotes.find_quotations(text)]
    assert found == ['Ora è Copernicus ad aver fatto un "grande balzo"', "altro", "fine"]


def test_find_quotations_ignores_marks_unclosed_within_the_paragraph():
    text = "«Una frase senza chiusura.\n\nUn altro paragrafo»."
    assert quotes.find_quotations(text) == []


@pytest.mark.parametrize(
    "word, expected",
    [
        ("commenta", "commentare"),
        ("precisa", "precisare"),
        ("ha", None),
        ("detto", "dire"),
        ("definendo", "definire"),
        ("sottolineato", "sottolineare"),
        ("aggiunge", "aggiungere"),
        ("spiegò", "spiegare"),
        ("chiedendo", "chiedere"),
        ("espresso", "esprimere"),
    ],
)
def test_speech_verbs_are_recognised_by_form(word, expected):
    doc = Doc(_NLP.vocab, words=[word], pos=["VERB"], lemmas=["???"])
    assert quotes.speech_lemma(doc[0]) == expected


# --------------------------------------------------------------------------------------------
# Quote rule: a table of sentences -> expected (speaker, quote) rows
# --------------------------------------------------------------------------------------------

QUOTE_CASES = [
    pytest.param(
        "«Il nostro distretto è un'eccellenza riconosciuta a livello mondiale», commenta Angelo "
        "Bruni, presidente del consorzio. «Perciò vedo con favore una collaborazione con il "
        "Québec».",
        [("Angelo Bruni", "PER"), ("Québec", "LOC")],
        None,
        [
            ("Angelo Bruni", "Il nostro distretto è un'eccellenza riconosciuta a livello mondiale"),
            ("Angelo Bruni", "Perciò vedo con favore una collaborazione con il Québec"),
        ],
        id="after-verb-then-continuation",
    ),
    pytest.param(
        "«La Lombardia è il partner naturale della regione – precisa Marta Sala, delegata della "
        "regione -. Abbiamo colto al volo l'invito».",
        [("Lombardia", "LOC"), ("Marta Sala", "PER")],
        None,
        [
            (
                "Marta Sala",
                "La Lombardia è il partner naturale della regione. Abbiamo colto al volo l'invito",
            )
        ],
        id="interjection-joined",
    ),
    pytest.param(
        "«All'interno della stazione si galleggia - spiega Guidoni - e gli spostamenti sono "
        "difficoltosi».",
        [("Guidoni", "PER")],
        None,
        [
            (
                "Guidoni",
                "All'interno della stazione si galleggia e gli spostamenti sono difficoltosi",
            )
        ],
        id="interjection-lower-case-continuation",
    ),
    pytest.param(
        "Carlo Bianchi, il vicepresidente della Commissione europea, ha dichiarato: «Gli europei "
        "possono andare fieri di questo risultato».",
        [("Carlo Bianchi", "PER"), ("Commissione europea", "ORG")],
        {"Carlo": ("nsubj", "dichiarato"), "dichiarato": ("ROOT", None)},
        [("Carlo Bianchi", "Gli europei possono andare fieri di questo risultato")],
        id="before-subject",
    ),
    pytest.param(
        "A proposito del lancio Maroš Šefčovič, il vicepresidente della Commissione europea, ha "
        "dichiarato: «Gli europei possono andare fieri di questo risultato».",
        [("Maroš Šefčovič", "PER"), ("Commissione europea", "ORG")],
        {"vicepresidente": ("nsubj", "dichiarato"), "dichiarato": ("ROOT", None)},
        [("Maroš Šefčovič", "Gli europei possono andare fieri di questo risultato")],
        id="before-subject-in-apposition",
    ),
    pytest.param(
        "Come spiega Suzanne Martin, presidente del Cluster Aéro Montréal: «I nostri due cluster "
        "sono importanti e hanno ecosistemi simili».",
        [("Suzanne Martin", "PER"), ("Cluster Aéro Montréal", "ORG")],
        None,
        [("Suzanne Martin", "I nostri due cluster sono importanti e hanno ecosistemi simili")],
        id="before-window-postverbal",
    ),
    pytest.param(
        "«Era buio, ma era sereno» ha detto il portavoce della FAA Laura Brown alla CNN.",
        [("FAA", "ORG"), ("Laura Brown", "PER"), ("CNN", "ORG")],
        None,
        [("Laura Brown", "Era buio, ma era sereno")],
        id="after-person-not-the-organisations-behind-prepositions",
    ),
    pytest.param(
        "Il governo cinese ha espresso «forte insoddisfazione» per la decisione.",
        [],
        {
            "governo": ("nsubj", "espresso"),
            "cinese": ("amod", "governo"),
            "espresso": ("ROOT", None),
        },
        [("governo cinese", "forte insoddisfazione")],
        id="two-words-governed-by-verb-collective-speaker",
    ),
    pytest.param(
        "Secondo Giulia Neri, direttrice del programma, «la collaborazione con la NASA è "
        "fondamentale per il futuro».",
        [("Giulia Neri", "PER"), ("NASA", "ORG")],
        None,
        [("Giulia Neri", "la collaborazione con la NASA è fondamentale per il futuro")],
        id="secondo",
    ),
    pytest.param(
        "«Il futuro è nello spazio», dice Piero Costa. «Ne sono davvero convinta», risponde "
        "Elena Ricci.",
        [("Piero Costa", "PER"), ("Elena Ricci", "PER")],
        None,
        [("Piero Costa", "Il futuro è nello spazio"), ("Elena Ricci", "Ne sono davvero convinta")],
        id="two-speakers",
    ),
    pytest.param(
        "«Abbiamo lavorato per tre anni a questo progetto». Così Sara Gallo, responsabile della "
        "missione.",
        [("Sara Gallo", "PER")],
        None,
        [("Sara Gallo", "Abbiamo lavorato per tre anni a questo progetto")],
        id="cosi",
    ),
    pytest.param(
        "Piero Costa ha dichiarato: «È un grave lutto per tutti noi» «La Polonia è un Paese "
        "amico e lo resterà».",
        [("Piero Costa", "PER"), ("Polonia", "LOC")],
        {"Piero": ("nsubj", "dichiarato"), "dichiarato": ("ROOT", None)},
        [
            ("Piero Costa", "È un grave lutto per tutti noi"),
            ("Piero Costa", "La Polonia è un Paese amico e lo resterà"),
        ],
        id="adjacent-quotations",
    ),
    pytest.param(
        "«Il nuovo satellite partirà presto», dice Piero Costa. Poi la conferenza continua. «Il "
        "risultato è straordinario e ci ripaga», ha aggiunto.",
        [("Piero Costa", "PER")],
        None,
        [
            ("Piero Costa", "Il nuovo satellite partirà presto"),
            ("Piero Costa", "Il risultato è straordinario e ci ripaga"),
        ],
        id="pro-drop",
    ),
    pytest.param(
        "Secondo quanto riferito da Serge Lemoine, responsabile del museo, «il quadro presenta "
        "una spaccatura lunga dieci centimetri».",
        [("Serge Lemoine", "PER")],
        None,
        [("Serge Lemoine", "il quadro presenta una spaccatura lunga dieci centimetri")],
        id="passive-agent",
    ),
    pytest.param(
        "«Alfano può essere il nostro candidato premier», è stata la risposta di Berlusconi ai "
        "microfoni di Rtl.",
        [("Alfano", "PER"), ("Berlusconi", "PER"), ("Rtl", "ORG")],
        None,
        [("Berlusconi", "Alfano può essere il nostro candidato premier")],
        id="speech-noun-after",
    ),
    pytest.param(
        "Lo scrittore Giovanni Arpino, nel suo libro, definì Perfumo «argentino di Cuneo» per "
        "le sue origini.",
        [("Giovanni Arpino", "PER"), ("Perfumo", "PER"), ("Cuneo", "LOC")],
        None,
        [("Giovanni Arpino", "argentino di Cuneo")],
        id="object-is-not-the-speaker",
    ),
    # -- not quotations -----------------------------------------------------------------------
    pytest.param(
        "Inoltre, specificano che Schumacher è stato operato una volta, che «l'operazione dal "
        "punto di vista tecnico è andata bene».",
        [("Schumacher", "PER")],
        None,
        [],
        id="person-in-a-subordinate-clause-is-not-the-speaker",
    ),
    pytest.param(
        'Nell\'introduzione, Morandi ha ricordato il motto-tormentone "Stiamo tecnici, ragazzi!"',
        [("Morandi", "PER")],
        None,
        [],
        id="motto-is-a-title",
    ),
    pytest.param(
        "Questa la cornice del seminario “International Cooperation between Aerospace Clusters "
        "to forge partnerships”, che ha dato il via a due giorni di confronto.",
        [],
        None,
        [],
        id="title-after-event-noun",
    ),
    pytest.param(
        'Dopo la visita "virtuale" Guidoni ha risposto alle domande degli alunni.',
        [("Guidoni", "PER")],
        None,
        [],
        id="scare-quote-one-word",
    ),
    pytest.param(
        'Umberto Guidoni, uno degli astronauti che hanno "staccato l\'ombra dalla Terra", ha '
        "visitato la scuola.",
        [("Umberto Guidoni", "PER")],
        None,
        [],
        id="scare-quote-no-speech-verb",
    ),
    pytest.param(
        "«Non abbiamo ancora ricevuto alcuna comunicazione ufficiale», ha dichiarato un "
        "portavoce dell'azienda.",
        [],
        None,
        [],
        id="unnamed-speaker",
    ),
    pytest.param(
        '"Stiamo facendo tutto il possibile - ha dichiarato un membro del personale - non ci '
        'aspettavamo una simile folla".',
        [],
        None,
        [],
        id="unnamed-speaker-interjection",
    ),
    pytest.param(
        "Mario Rossi è arrivato a Roma. «Il bando per le imprese aprirà a settembre e durerà due "
        "mesi».",
        [("Mario Rossi", "PER"), ("Roma", "LOC")],
        None,
        [],
        id="no-attribution",
    ),
    pytest.param(
        "Il progetto “zona di identificazione per la difesa aerea” comprende anche le isole.",
        [],
        None,
        [],
        id="name-after-title-noun",
    ),
]


@pytest.mark.parametrize("text, ents, parse, expected", QUOTE_CASES)
def test_quote_rule(text, ents, parse, expected):
    assert quote_rows(text, ents, parse) == expected


def test_quote_speaker_types_and_rule_mentions():
    doc, context = build(
        "Il governo cinese ha espresso «forte insoddisfazione» per la decisione.",
        parse={
            "governo": ("nsubj", "espresso"),
            "cinese": ("amod", "governo"),
            "espresso": ("ROOT", None),
        },
    )
    (rel,) = quotes.extract(doc, context)
    speaker = rel.args["speaker"]
    assert (speaker.coarse, speaker.cls, speaker.source) == (ORGANIZATION, "GovernmentBody", "rule")

    doc, context = build(
        "«Era buio, ma era sereno», ha detto Laura Brown.", [("Laura Brown", "PER")]
    )
    (rel,) = quotes.extract(doc, context)
    assert rel.args["speaker"].coarse == PERSON
    assert rel.confidence >= 0.8
    assert "ha detto Laura Brown" in rel.evidence.sentence


def test_quote_before_prefers_the_preverbal_subject_over_a_misparsed_object():
    # "Mottura ... ha ringraziato Raggi ... sostenendo ...": a parser may call Raggi the subject
    text = (
        "Mottura, già presente in Campidoglio, ha ringraziato Raggi per la fiducia sostenendo "
        'la volontà di "dare alla città il servizio che merita".'
    )
    rows = quote_rows(
        text,
        [("Mottura", "PER"), ("Campidoglio", "LOC"), ("Raggi", "PER")],
        {
            "ringraziato": ("ROOT", None),
            "Raggi": ("nsubj", "ringraziato"),
            "sostenendo": ("advcl", "ringraziato"),
        },
        pos={"ringraziato": "VERB", "sostenendo": "VERB"},
    )
    assert rows == [("Mottura", "dare alla città il servizio che merita")]
    # when the person before the verb is not recognised, no guess is made
    rows = quote_rows(
        text,
        [("Campidoglio", "LOC"), ("Raggi", "PER")],
        {
            "ringraziato": ("ROOT", None),
            "Raggi": ("nsubj", "ringraziato"),
            "sostenendo": ("advcl", "ringraziato"),
        },
        pos={"ringraziato": "VERB", "sostenendo": "VERB"},
    )
    assert rows == []


# --------------------------------------------------------------------------------------------
# Trade rule
# --------------------------------------------------------------------------------------------

SEED_TRADE = (
    "Ma come va lo scambio tra la Lombardia e il nord America per il settore aerospaziale? "
    "Nel 2016 la Lombardia ha esportato oltre 9 milioni di euro verso il Canada e importato beni "
    "per un valore pari quasi a 33 milioni."
)
SEED_ENTS = [
    ("Lombardia", "LOC"),
    ("nord America", "LOC"),
    ("Lombardia#2", "LOC"),
    ("Canada", "LOC"),
]
SEED_EXPECTED = [
    ("Lombardia", "Canada", "9000000", "EUR", "2016", "aerospaziale"),
    ("Canada", "Lombardia", "33000000", "EUR", "2016", "aerospaziale"),
]


def test_trade_seed_sentence_with_parse():
    parse = {
        "esportato": ("ROOT", None),
        "Lombardia#2": ("nsubj", "esportato"),
        "importato": ("conj", "esportato"),
    }
    assert trade_rows(SEED_TRADE, SEED_ENTS, parse) == SEED_EXPECTED


def test_trade_seed_sentence_without_parse_uses_windows():
    assert trade_rows(SEED_TRADE, SEED_ENTS) == SEED_EXPECTED


TRADE_CASES = [
    pytest.param(
        "Nel 2018 la Francia ha importato dalla Cina componenti per 2 milioni di dollari.",
        [("Francia", "LOC"), ("Cina", "LOC")],
        [("Cina", "Francia", "2000000", "USD", "2018", "")],
        id="import-from",
    ),
    pytest.param(
        "Le esportazioni della Lombardia verso il Giappone hanno raggiunto 120 milioni di euro "
        "nel 2020, in aumento di 10 milioni rispetto all'anno precedente.",
        [("Lombardia", "LOC"), ("Giappone", "LOC")],
        [("Lombardia", "Giappone", "120000000", "EUR", "2020", "")],
        id="noun-genitive-exporter",
    ),
    pytest.param(
        "L'Italia esporta ogni anno in Germania macchinari per 1,5 miliardi di euro nel settore "
        "della meccanica.",
        [("Italia", "LOC"), ("Germania", "LOC")],
        [("Italia", "Germania", "1500000000", "EUR", "", "meccanica")],
        id="no-year-sector-noun",
    ),
    # -- not trade flows ------------------------------------------------------------------------
    pytest.param(
        "L'interscambio tra Italia e Canada vale 5 miliardi di euro.",
        [("Italia", "LOC"), ("Canada", "LOC")],
        [],
        id="undirected-total",
    ),
    pytest.param(
        "Il Piemonte ha venduto 300 aerei alla Turchia.",
        [("Piemonte", "LOC"), ("Turchia", "LOC")],
        [],
        id="no-money",
    ),
    pytest.param(
        "Nel 2022 il Piemonte non ha esportato 3 milioni di euro verso la Russia.",
        [("Piemonte", "LOC"), ("Russia", "LOC")],
        [],
        id="negated",
    ),
    pytest.param(
        "Il biglietto costa 150 euro e il museo di Roma ha accolto 20 mila visitatori nel 2019.",
        [("Roma", "LOC")],
        [],
        id="price-and-visitors",
    ),
    pytest.param(
        "Nel 2016 la Lombardia ha esportato oltre 9 milioni di euro.",
        [("Lombardia", "LOC")],
        [],
        id="no-partner",
    ),
    pytest.param(
        "Le esportazioni verso il Canada sono cresciute di 2 milioni di euro.",
        [("Canada", "LOC")],
        [],
        id="delta-and-no-exporter",
    ),
    pytest.param(
        "Mario Rossi ha venduto la sua auto a Luca Bianchi per 5 mila euro.",
        [("Mario Rossi", "PER"), ("Luca Bianchi", "PER")],
        [],
        id="persons-are-not-parties",
    ),
]


@pytest.mark.parametrize("text, ents, expected", TRADE_CASES)
def test_trade_rule(text, ents, expected):
    assert trade_rows(text, ents) == expected


def test_trade_relation_fields():
    doc, context = build(SEED_TRADE, SEED_ENTS)
    first, second = trade.extract(doc, context)
    assert first.args["exporter"].coarse == PLACE
    assert first.confidence > second.confidence  # the shared partner is a weaker reading
    assert first.evidence.sentence.startswith("Nel 2016")


@pytest.mark.parametrize(
    "value, expected",
    [
        (9_000_000.0, "9000000"),
        (33e6, "33000000"),
        (2_750_000.5, "2750000.5"),
        (1.5e9, "1500000000"),
    ],
)
def test_format_value(value, expected):
    assert trade.format_value(value) == expected


# --------------------------------------------------------------------------------------------
# The worked example with the shipped model (slow; only when the model is installed)
# --------------------------------------------------------------------------------------------

SHIPPED = REPO / "pipeline" / "nlp" / "model" / "config.cfg"
SEED = REPO.parent / "shared" / "corpus" / "seed-article.txt"
SEED_GOLD = REPO.parent / "shared" / "corpus" / "gold" / "seed-article.json"


@pytest.mark.slow
@pytest.mark.skipif(
    not SHIPPED.exists() or not SEED.exists(), reason="the shipped model is not installed"
)
def test_seed_article_with_shipped_model(shipped_nlp):
    (article,) = read_file(SEED)
    gold = json.loads(SEED_GOLD.read_text("utf-8"))
    doc = shipped_nlp(article.text)
    context = ExtractionContext(doc, article, mentions_of(doc))
    flows = {
        (
            r.args["exporter"].text,
            r.args["importer"].text,
            r.args["value"],
            r.args["currency"],
            r.args["year"],
        )
        for r in trade.extract(doc, context)
    }
    assert ("Lombardia", "Canada", "9000000", "EUR", "2016") in flows
    assert ("Canada", "Lombardia", "33000000", "EUR", "2016") in flows
    found = {(r.args["speaker"].text, r.args["quote"][:30]) for r in quotes.extract(doc, context)}
    expected = {(q["speaker"], q["quote"][:30]) for q in gold["quotes"]}
    assert len(found & expected) >= 3
