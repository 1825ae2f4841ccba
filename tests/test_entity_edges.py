"""Entity-edge trimming after the NER: hand-built Docs with known entities."""

import pytest
import spacy
from spacy.tokens import Doc, Span

from pipeline.nlp.entity_edges import trim_entity_edges

NLP = spacy.blank("it")


def _ents(words: str, start: int, end: int, label: str = "ORG") -> list[tuple[str, str]]:
    doc = Doc(NLP.vocab, words=words.split())
    doc.ents = [Span(doc, start, end, label)]
    return [(e.text, e.label_) for e in trim_entity_edges(doc).ents]


@pytest.mark.parametrize(
    ("words", "start", "end", "expected"),
    [
        ("la Protezione Civile insieme ai vigili", 1, 5, "Protezione Civile"),
        ("il Tornado dell' aeronautica", 1, 3, "Tornado"),
        ("( Leonardo ) ha firmato", 0, 3, "Leonardo"),
        ("« Thales Alenia Space » e", 0, 4, "Thales Alenia Space"),
        ("Leonardo , Avio e", 0, 2, "Leonardo"),
    ],
)
def test_function_words_and_punctuation_are_trimmed(words, start, end, expected):
    assert _ents(words, start, end) == [(expected, "ORG")]


@pytest.mark.parametrize(
    ("words", "start", "end"),
    [
        ("la Corte di Giustizia europea", 1, 4),  # inner preposition stays
        ("il governo tedesco ha", 1, 3),  # lowercase content words stay
        ("Banca d' Italia", 0, 3),
        ("E ON", 0, 2),  # capitalised conjunction-like word is a name
    ],
)
def test_names_are_left_alone(words, start, end):
    doc = Doc(NLP.vocab, words=words.split())
    doc.ents = [Span(doc, start, end, "ORG")]
    assert [e.text for e in trim_entity_edges(doc).ents] == [doc[start:end].text]


def test_entity_of_only_function_words_is_dropped_and_others_kept():
    doc = Doc(NLP.vocab, words="di Leonardo e".split())
    doc.ents = [Span(doc, 0, 1, "ORG"), Span(doc, 1, 2, "ORG")]
    assert [e.text for e in trim_entity_edges(doc).ents] == ["Leonardo"]


def test_loader_puts_full_names_before_ner_and_the_trimmer_between_ner_and_domain_ruler():
    from pipeline.nlp.loader import ensure_domain_layer

    nlp = spacy.blank("it")
    nlp.add_pipe("ner")
    ensure_domain_layer(nlp)
    assert nlp.pipe_names[:4] == ["aerokg_org_names", "ner", "aerokg_entity_edges",
                                  "aerokg_domain_ruler"]


def test_full_name_ruler_sets_aerospace_names_before_the_ner():
    from pipeline.nlp.gazetteer import add_full_name_ruler

    nlp = spacy.blank("it")
    nlp.add_pipe("ner")
    add_full_name_ruler(nlp)
    with nlp.select_pipes(enable=["aerokg_org_names"]):
        doc = nlp("con il Lombardia Aerospace Cluster e il Cluster Aéro Montréal")
    assert [(e.text, e.label_) for e in doc.ents] == [
        ("Lombardia Aerospace Cluster", "ORG"), ("Cluster Aéro Montréal", "ORG")]


def test_company_with_legal_form_and_town_is_split():
    doc = Doc(NLP.vocab, words="la Aerea spa di Turate ha".split())
    doc.ents = [Span(doc, 1, 5, "PER")]
    assert [(e.text, e.label_) for e in trim_entity_edges(doc).ents] == [
        ("Aerea spa", "ORG"), ("Turate", "LOC")]


def test_legal_form_at_the_end_is_kept_whole():
    doc = Doc(NLP.vocab, words="la Aerea spa ha".split())
    doc.ents = [Span(doc, 1, 3, "ORG")]
    assert [e.text for e in trim_entity_edges(doc).ents] == ["Aerea spa"]
