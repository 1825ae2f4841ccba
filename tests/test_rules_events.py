"""Tests for pipeline.nlp.relations.events: events and event participants.

Docs are built by hand (words, lemmas, POS, heads, dependencies, morphology, entities, DATE
spans) on ``spacy.blank("it")``, so no model is needed; one test re-checks the seed article with
the shipped model when it exists.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import spacy
from spacy.tokens import Doc, Span

import pipeline  # noqa: F401  (registers the span extensions of the quantities component)
from pipeline.corpus import Article
from pipeline.datamodel import EVENT, ORGANIZATION, RelationKind
from pipeline.nlp.analyse import mentions_of
from pipeline.nlp.relations import events
from pipeline.nlp.relations.context import ExtractionContext

SHIPPED_MODEL = Path(__file__).resolve().parents[1] / "pipeline" / "nlp" / "model"
SEED = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "seed-article.txt"

_VOCAB = spacy.blank("it").vocab


@pytest.fixture(autouse=True)
def _no_gazetteer(monkeypatch):
    """Place classes come from the hand-given entity ids, not from the (slow) gazetteer."""
    monkeypatch.setattr("pipeline.nlp.gazetteer.lookup", lambda name: None)


def make_doc(rows: str, ents=(), dates=()) -> Doc:
    """``rows``: one token a line, ``word lemma POS head dep [morph]`` (head: absolute index;
    lemma ``_`` is the lower-case word). ``ents``: (start, end, label, ent_id); ``dates``:
    (start, end, iso_date) DATE spans."""
    words, lemmas, pos, heads, deps, morphs = [], [], [], [], [], []
    for line in rows.strip().splitlines():
        parts = line.split()
        word, lemma, tag, head, dep = parts[:5]
        words.append(word)
        lemmas.append(word.lower() if lemma == "_" else lemma)
        pos.append(tag)
        heads.append(int(head))
        deps.append(dep)
        morphs.append(parts[5] if len(parts) > 5 else "")
    spaces = [
        not (w.endswith("'") or nxt in (",", ".", ":", "”", "»"))
        for w, nxt in zip(words, words[1:] + [""], strict=True)
    ]
    doc = Doc(
        _VOCAB,
        words=words,
        spaces=spaces,
        lemmas=lemmas,
        pos=pos,
        heads=heads,
        deps=deps,
        morphs=morphs,
    )
    doc.ents = [Span(doc, s, e, label=label, span_id=ent_id) for s, e, label, ent_id in ents]
    spans = []
    for s, e, iso in dates:
        span = Span(doc, s, e, label="DATE")
        span._.iso_date = iso
        spans.append(span)
    doc.spans["quantities"] = spans
    return doc


def run(doc: Doc, date: str = "2017-11"):
    article = Article(id="t", text=doc.text, date=date)
    context = ExtractionContext(doc, article, mentions_of(doc))
    rels = list(events.extract(doc, context))
    evs = [r for r in rels if r.kind == RelationKind.EVENT]
    parts = [r for r in rels if r.kind == RelationKind.PARTICIPATION]
    return evs, parts


def label(mention) -> str:
    """Rule mentions by their built label, others as written."""
    return mention.canonical if mention.source == "rule" else mention.text


def event_rows(evs) -> set[tuple[str, str, str, str]]:
    return {
        (
            label(r.args["event"]),
            r.args["event"].cls,
            label(r.args["place"]) if "place" in r.args else "",
            r.args["date"],
        )
        for r in evs
    }


def participant_rows(parts) -> set[tuple[str, str, str]]:
    return {(label(r.args["event"]), label(r.args["participant"]), r.args["role"]) for r in parts}


# --------------------------------------------------------------------------------------------
# Events and participants, sentence by sentence
# --------------------------------------------------------------------------------------------

SEMINAR = """
Il il DET 1 det
seminario seminario NOUN 24 nsubj Gender=Masc|Number=Sing
“ “ PUNCT 3 punct
Space Space PROPN 1 appos
Days Days PROPN 3 flat:name
” ” PUNCT 3 punct
, , PUNCT 7 punct
organizzato organizzare VERB 1 acl VerbForm=Part|Gender=Masc|Number=Sing
da da ADP 9 case
Regione Regione PROPN 7 obl:agent
Lombardia Lombardia PROPN 9 flat:name
e e CCONJ 13 cc
dal da ADP 13 case
Québec Québec PROPN 9 conj
, , PUNCT 17 punct
con con ADP 17 case
il il DET 17 det
supporto supporto NOUN 7 obl
del di ADP 19 case
Cluster Cluster PROPN 17 nmod
Lombardo Lombardo PROPN 19 flat:name
, , PUNCT 7 punct
si si PRON 24 expl
è essere AUX 24 aux
svolto svolgere VERB 24 ROOT VerbForm=Part
a a ADP 26 case
Palazzo Palazzo PROPN 24 obl
Pirelli Pirelli PROPN 26 flat:name
a a ADP 29 case
Milano Milano PROPN 26 nmod
. . PUNCT 24 punct
"""
SEMINAR_ENTS = [
    (9, 11, "ORG", "GovernmentBody/Regione Lombardia"),
    (13, 14, "LOC", "Region/Québec"),
    (19, 21, "ORG", "Cluster/Cluster Lombardo"),
    (26, 28, "LOC", ""),
    (29, 30, "LOC", "City/Milano"),
]


def test_seminar_title_organizers_sponsor_and_facility_place():
    """Il seminario “Space Days”, organizzato da Regione Lombardia e dal Québec, con il supporto
    del Cluster Lombardo, si è svolto a Palazzo Pirelli a Milano."""
    evs, parts = run(make_doc(SEMINAR, SEMINAR_ENTS))
    assert event_rows(evs) == {("seminario Space Days", "Seminar", "Palazzo Pirelli", "2017-11")}
    event = evs[0].args["event"]
    assert event.coarse == EVENT and event.source == "rule"
    assert participant_rows(parts) == {
        ("seminario Space Days", "Regione Lombardia", "organizer"),
        ("seminario Space Days", "Québec", "organizer"),
        ("seminario Space Days", "Cluster Lombardo", "sponsor"),
    }
    # every participation row points at the very mention of the event relation
    assert all(p.args["event"] is event for p in parts)
    assert all(0.0 < r.confidence <= 1.0 for r in evs + parts)


def test_setting_noun_gives_the_facility_named_before():
    """Palazzo Pirelli a Milano: questa la cornice del convegno."""
    doc = make_doc(
        """
        Palazzo Palazzo PROPN 0 ROOT
        Pirelli Pirelli PROPN 0 flat:name
        a a ADP 3 case
        Milano Milano PROPN 0 nmod
        : : PUNCT 7 punct
        questa questo DET 7 det
        la il DET 7 det
        cornice cornice NOUN 0 parataxis
        del di ADP 9 case
        convegno convegno NOUN 7 nmod
        . . PUNCT 0 punct
        """,
        [(0, 2, "LOC", ""), (3, 4, "LOC", "City/Milano")],
    )
    evs, parts = run(doc)
    assert event_rows(evs) == {("convegno", "Conference", "Palazzo Pirelli", "2017-11")}
    assert parts == []


VISIT = """
La il DET 1 det
delegazione delegazione NOUN 8 nsubj Gender=Fem|Number=Sing
canadese canadese ADJ 1 amod
in in ADP 4 case
visita visita NOUN 1 nmod Gender=Fem|Number=Sing
in in ADP 6 case
Lombardia Lombardia PROPN 4 nmod
ha avere AUX 8 aux
visitato visitare VERB 8 ROOT VerbForm=Part
tre tre NUM 10 nummod
aziende azienda NOUN 8 obj
: : PUNCT 12 punct
Aerea Aerea PROPN 10 appos
spa spa NOUN 12 flat:name
, , PUNCT 15 punct
Leonardo Leonardo PROPN 12 conj
divisione divisione NOUN 15 flat:name
velivoli velivolo NOUN 15 flat:name
ed e CCONJ 19 cc
elicotteri elicottero NOUN 17 conj
. . PUNCT 8 punct
"""
VISIT_ENTS = [
    (6, 7, "LOC", "Region/Lombardia"),
    (12, 14, "ORG", "Company/Aerea S.p.A."),
    (15, 18, "ORG", ""),
]


def test_visit_delegation_visitor_and_listed_hosts():
    """La delegazione canadese in visita in Lombardia ha visitato tre aziende: Aerea spa,
    Leonardo divisione velivoli ed elicotteri."""
    evs, parts = run(make_doc(VISIT, VISIT_ENTS))
    # a visit to named hosts is at their sites: the region is the trip's destination
    assert event_rows(evs) == {("visita", "Visit", "", "2017-11")}
    assert participant_rows(parts) == {
        ("visita", "delegazione canadese", "visitor"),
        ("visita", "Aerea spa", "host"),
        ("visita", "Leonardo divisione velivoli", "host"),
        ("visita", "Leonardo divisione elicotteri", "host"),
    }
    delegation = next(p.args["participant"] for p in parts if p.args["role"] == "visitor")
    assert (delegation.coarse, delegation.cls, delegation.source) == (
        ORGANIZATION,
        "Delegation",
        "rule",
    )


def test_visit_reported_by_the_verb_only():
    """Il ministro Urso ha visitato lo stabilimento di Leonardo a Grottaglie."""
    doc = make_doc(
        """
        Il il DET 1 det
        ministro ministro NOUN 4 nsubj
        Urso Urso PROPN 1 flat:name
        ha avere AUX 4 aux
        visitato visitare VERB 4 ROOT VerbForm=Part
        lo il DET 6 det
        stabilimento stabilimento NOUN 4 obj
        di di ADP 8 case
        Leonardo Leonardo PROPN 6 nmod
        a a ADP 10 case
        Grottaglie Grottaglie PROPN 6 nmod
        . . PUNCT 4 punct
        """,
        [(2, 3, "PER", ""), (8, 9, "ORG", "Company/Leonardo"), (10, 11, "LOC", "City/Grottaglie")],
    )
    evs, parts = run(doc, date="2023-06-15")
    assert event_rows(evs) == {("visita a Leonardo", "Visit", "Grottaglie", "2023-06-15")}
    assert participant_rows(parts) == {
        ("visita a Leonardo", "Urso", "visitor"),
        ("visita a Leonardo", "Leonardo", "host"),
    }


def test_launch_name_relative_date_and_launch_site():
    """Il lancio del satellite Sentinel-2B è avvenuto ieri dalla base di Kourou."""
    doc = make_doc(
        """
        Il il DET 1 det
        lancio lancio NOUN 6 nsubj
        del di ADP 3 case
        satellite satellite NOUN 1 nmod
        Sentinel-2B Sentinel-2B PROPN 3 appos
        è essere AUX 6 aux
        avvenuto avvenire VERB 6 ROOT VerbForm=Part
        ieri ieri ADV 6 advmod
        dalla da ADP 9 case
        base base NOUN 6 obl
        di di ADP 11 case
        Kourou Kourou PROPN 9 nmod
        . . PUNCT 6 punct
        """,
        [(11, 12, "LOC", "City/Kourou")],
    )
    evs, _ = run(doc, date="2017-03-08")
    assert event_rows(evs) == {
        ("lancio del satellite Sentinel-2B", "Launch", "base di Kourou", "2017-03-07")
    }
    place = evs[0].args["place"]
    assert (place.cls, place.source) == ("Facility", "rule")


def test_coreferent_accident_nouns_are_one_event_placed_in_the_town():
    """L'incidente aereo è avvenuto a Lexington, nel Kentucky. Lo schianto ha causato 49
    vittime."""
    doc = make_doc(
        """
        L' il DET 1 det
        incidente incidente NOUN 4 nsubj
        aereo aereo ADJ 1 amod
        è essere AUX 4 aux
        avvenuto avvenire VERB 4 ROOT VerbForm=Part
        a a ADP 6 case
        Lexington Lexington PROPN 4 obl
        , , PUNCT 9 punct
        nel in ADP 9 case
        Kentucky Kentucky PROPN 4 obl
        . . PUNCT 4 punct
        Lo il DET 12 det
        schianto schianto NOUN 14 nsubj
        ha avere AUX 14 aux
        causato causare VERB 14 ROOT VerbForm=Part
        49 49 NUM 16 nummod
        vittime vittima NOUN 14 obj
        . . PUNCT 14 punct
        """,
        [(6, 7, "LOC", ""), (9, 10, "LOC", "")],
    )
    evs, _ = run(doc, date="2006-08-27")
    assert event_rows(evs) == {("incidente aereo", "Accident", "Lexington", "2006-08-27")}


def test_date_span_and_town():
    """Il convegno si terrà il 15 marzo 2024 a Bari."""
    doc = make_doc(
        """
        Il il DET 1 det
        convegno convegno NOUN 3 nsubj
        si si PRON 3 expl
        terrà tenere VERB 3 ROOT
        il il DET 5 det
        15 15 NUM 3 obl
        marzo marzo NOUN 5 flat
        2024 2024 NUM 5 flat
        a a ADP 9 case
        Bari Bari PROPN 3 obl
        . . PUNCT 3 punct
        """,
        [(9, 10, "LOC", "City/Bari")],
        dates=[(4, 8, "2024-03-15")],
    )
    evs, _ = run(doc, date="2023-11-20")
    assert event_rows(evs) == {("convegno", "Conference", "Bari", "2024-03-15")}


def test_signing_needs_its_object_and_has_its_parties():
    """La firma dell'accordo tra ASI e ESA è avvenuta a Roma. Una firma illustre."""
    doc = make_doc(
        """
        La il DET 1 det
        firma firma NOUN 9 nsubj
        dell' di ADP 3 case
        accordo accordo NOUN 1 nmod
        tra tra ADP 5 case
        ASI ASI PROPN 3 nmod
        e e CCONJ 7 cc
        ESA ESA PROPN 5 conj
        è essere AUX 9 aux
        avvenuta avvenire VERB 9 ROOT VerbForm=Part
        a a ADP 11 case
        Roma Roma PROPN 9 obl
        . . PUNCT 9 punct
        Una uno DET 14 det
        firma firma NOUN 14 ROOT
        illustre illustre ADJ 14 amod
        . . PUNCT 14 punct
        """,
        [(5, 6, "ORG", "Agency/ASI"), (7, 8, "ORG", "Agency/ESA"), (11, 12, "LOC", "City/Roma")],
    )
    evs, parts = run(doc, date="2023-05")
    assert event_rows(evs) == {("firma dell'accordo", "Signing", "Roma", "2023-05")}
    assert participant_rows(parts) == {
        ("firma dell'accordo", "ASI", "participant"),
        ("firma dell'accordo", "ESA", "participant"),
    }


def test_initiative_and_patronage_nouns_and_today():
    """Il forum, su iniziativa di Assolombarda e con il patrocinio del Comune di Milano, si è
    tenuto oggi."""
    doc = make_doc(
        """
        Il il DET 1 det
        forum forum NOUN 18 nsubj
        , , PUNCT 4 punct
        su su ADP 4 case
        iniziativa iniziativa NOUN 1 nmod
        di di ADP 6 case
        Assolombarda Assolombarda PROPN 4 nmod
        e e CCONJ 10 cc
        con con ADP 10 case
        il il DET 10 det
        patrocinio patrocinio NOUN 4 conj
        del di ADP 12 case
        Comune Comune PROPN 10 nmod
        di di ADP 14 case
        Milano Milano PROPN 12 flat
        , , PUNCT 4 punct
        si si PRON 18 expl
        è essere AUX 18 aux
        tenuto tenere VERB 18 ROOT VerbForm=Part
        oggi oggi ADV 18 advmod
        . . PUNCT 18 punct
        """,
        [(6, 7, "ORG", "Company/Assolombarda"), (12, 15, "ORG", "GovernmentBody/Comune di Milano")],
    )
    evs, parts = run(doc, date="2023-06-15")
    assert event_rows(evs) == {("forum", "Conference", "", "2023-06-15")}
    assert participant_rows(parts) == {
        ("forum", "Assolombarda", "organizer"),
        ("forum", "Comune di Milano", "sponsor"),
    }


def test_participants_through_their_representatives():
    """Alla conferenza hanno partecipato rappresentanti di ASI e Leonardo."""
    doc = make_doc(
        """
        Alla a ADP 1 case
        conferenza conferenza NOUN 3 obl
        hanno avere AUX 3 aux
        partecipato partecipare VERB 3 ROOT VerbForm=Part
        rappresentanti rappresentante NOUN 3 nsubj
        di di ADP 6 case
        ASI ASI PROPN 4 nmod
        e e CCONJ 8 cc
        Leonardo Leonardo PROPN 6 conj
        . . PUNCT 3 punct
        """,
        [(6, 7, "ORG", "Agency/ASI"), (8, 9, "ORG", "Company/Leonardo")],
    )
    _, parts = run(doc)
    assert participant_rows(parts) == {
        ("conferenza", "ASI", "participant"),
        ("conferenza", "Leonardo", "participant"),
    }


def test_participle_of_another_noun_is_not_about_the_event():
    """Durante il convegno è stato presentato il progetto Iride, finanziato dalla Commissione."""
    doc = make_doc(
        """
        Durante durante ADP 2 case
        il il DET 2 det
        convegno convegno NOUN 5 obl Gender=Masc|Number=Sing
        è essere AUX 5 aux
        stato essere AUX 5 aux:pass
        presentato presentare VERB 5 ROOT VerbForm=Part|Gender=Masc|Number=Sing
        il il DET 7 det
        progetto progetto NOUN 5 nsubj:pass Gender=Masc|Number=Sing
        Iride Iride PROPN 7 nmod
        , , PUNCT 10 punct
        finanziato finanziare VERB 5 advcl VerbForm=Part|Gender=Masc|Number=Sing
        dalla da ADP 12 case
        Commissione Commissione PROPN 10 obl:agent
        . . PUNCT 5 punct
        """,
        [(12, 13, "ORG", "InternationalOrganization/Commissione europea")],
    )
    evs, parts = run(doc)
    assert event_rows(evs) == {("convegno", "Conference", "", "2017-11")}
    assert parts == []


@pytest.mark.parametrize(
    "rows",
    [
        # "Ogni lancio costa molto." (quantified)
        """
        Ogni ogni DET 1 det
        lancio lancio NOUN 2 nsubj
        costa costare VERB 2 ROOT
        molto molto ADV 2 advmod
        . . PUNCT 2 punct
        """,
        # "Le missioni future saranno finanziate." (future, plural)
        """
        Le il DET 1 det
        missioni missione NOUN 4 nsubj:pass Number=Plur
        future futuro ADJ 1 amod
        saranno essere AUX 4 aux:pass
        finanziate finanziare VERB 4 ROOT VerbForm=Part
        . . PUNCT 4 punct
        """,
        # "La rampa di lancio è pronta." (modifier use, no article)
        """
        La il DET 1 det
        rampa rampa NOUN 5 nsubj
        di di ADP 3 case
        lancio lancio NOUN 1 nmod
        è essere AUX 5 cop
        pronta pronto ADJ 5 ROOT
        . . PUNCT 5 punct
        """,
        # "Le visite sono state utili." (a plural that no singular introduces)
        """
        Le il DET 1 det
        visite visita NOUN 4 nsubj Number=Plur
        sono essere AUX 4 cop
        state essere AUX 4 aux
        utili utile ADJ 4 ROOT
        . . PUNCT 4 punct
        """,
        # "« Il lancio è andato bene », ha detto Rossi." (inside a quotation)
        """
        « « PUNCT 4 punct
        Il il DET 2 det
        lancio lancio NOUN 4 nsubj
        è essere AUX 4 aux
        andato andare VERB 10 ccomp
        bene bene ADV 4 advmod
        » » PUNCT 4 punct
        , , PUNCT 10 punct
        ha avere AUX 10 aux
        Rossi Rossi PROPN 10 nsubj
        detto dire VERB 10 ROOT
        . . PUNCT 10 punct
        """,
        # "Il lancio di un nuovo prodotto." (not a space launch)
        """
        Il il DET 1 det
        lancio lancio NOUN 1 ROOT
        di di ADP 5 case
        un uno DET 5 det
        nuovo nuovo ADJ 5 amod
        prodotto prodotto NOUN 1 nmod
        . . PUNCT 1 punct
        """,
        # "Una visita medica." (another sense)
        """
        Una uno DET 1 det
        visita visita NOUN 1 ROOT
        medica medico ADJ 1 amod
        . . PUNCT 1 punct
        """,
        # "I vertici di Airbus." (managers, not a summit)
        """
        I il DET 1 det
        vertici vertice NOUN 1 ROOT Number=Plur
        di di ADP 3 case
        Airbus Airbus PROPN 1 nmod
        . . PUNCT 1 punct
        """,
    ],
    ids=[
        "ogni",
        "future",
        "modifier",
        "plural-only",
        "quotation",
        "product-launch",
        "visita-medica",
        "vertici",
    ],
)
def test_generic_or_other_sense_mentions_are_not_events(rows):
    ents = [(3, 4, "ORG", "Company/Airbus")] if "Airbus" in rows else []
    evs, parts = run(make_doc(rows, ents))
    assert evs == [] and parts == []


# --------------------------------------------------------------------------------------------
# Lexicon and dates
# --------------------------------------------------------------------------------------------


def test_lexicon_classes_and_plurals():
    lex = events.load_lexicon()
    assert set(lex.classes.values()) <= set(events.EVENT_CLASSES)
    assert lex.classes["seminario"] == "Seminar"
    assert lex.classes["tavola rotonda"] == "Meeting"
    assert lex.classes["missione"] == "Mission"
    assert lex.single_forms["visite"] == "visita"
    assert lex.single_forms["seminari"] == "seminario"
    assert lex.single_forms["lanci"] == "lancio"
    assert lex.single_forms["workshop"] == "workshop"
    assert "iniziativa" in lex.anaphoric and "iniziative" in lex.anaphoric
    data = json.loads(events.LEXICON_FILE.read_text(encoding="utf-8"))
    assert set(data["needs_name"]) <= set(data["events"])


@pytest.mark.parametrize(
    ("word", "plural"),
    [
        ("visita", "visite"),
        ("seminario", "seminari"),
        ("sopralluogo", "sopralluoghi"),
        ("incidente", "incidenti"),
        ("fiera", "fiere"),
        ("workshop", "workshop"),
    ],
)
def test_plural_forms(word, plural):
    assert plural in events.plural_forms(word)


def test_article_dates_and_relative_words():
    full = events._ArticleDate.parse("2013-11-27")  # a Wednesday
    assert full.day == dt.date(2013, 11, 27)
    month = events._ArticleDate.parse("2017-11")
    assert (month.iso, month.day, month.reference) == ("2017-11", None, dt.date(2017, 11, 1))
    assert events._ArticleDate.parse("").iso == ""
    assert events._weekday_offset(full, 5, past=True) == -4  # "lo scorso sabato" = 2013-11-23
    doc = make_doc(
        """
        Esattamente esattamente ADV 2 advmod
        18 18 NUM 2 nummod
        anni anno NOUN 2 ROOT
        fa fa ADV 2 advmod
        . . PUNCT 2 punct
        """
    )
    assert events._date_in_sentence(doc, 2, events._ArticleDate.parse("2014-07-18")) == "1996"


# --------------------------------------------------------------------------------------------
# With the shipped model
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(
    not (SHIPPED_MODEL / "config.cfg").is_file() or not SEED.is_file(),
    reason="the shipped model or the seed article is not available",
)
def test_seed_article_with_the_shipped_model(shipped_nlp, monkeypatch):
    from pipeline.corpus import read_corpus

    monkeypatch.undo()  # the real gazetteer: the domain layer's reconciliation needs it
    article = read_corpus([str(SEED)]).articles[0]
    doc = shipped_nlp(article.text)
    context = ExtractionContext(doc, article, mentions_of(doc))
    rels = list(events.extract(doc, context))
    rows = event_rows(r for r in rels if r.kind == RelationKind.EVENT)
    assert ("visita", "Visit") in {(e, c) for e, c, _, _ in rows}
    seminar = next(r for r in rows if r[1] == "Seminar")
    assert seminar[0].startswith("seminario International Cooperation")
    assert seminar[2:] == ("Palazzo Pirelli", "2017-11")
    roles = {
        (label(r.args["participant"]), r.args["role"])
        for r in rels
        if r.kind == RelationKind.PARTICIPATION
    }
    assert {
        ("Regione Lombardia", "organizer"),
        ("Québec", "organizer"),
        ("Lombardia Aerospace Cluster", "sponsor"),
        ("delegazione canadese", "visitor"),
    } <= roles
