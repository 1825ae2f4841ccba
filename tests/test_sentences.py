"""Sentence-boundary repair: opening quotes start the next sentence, closing ones stay."""

import spacy

import pipeline  # noqa: F401  (registers aerokg components)


def _sentences(text: str) -> list[str]:
    nlp = spacy.blank("it")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("aerokg_sentence_quotes")
    return [s.text for s in nlp(text).sents]


def test_opening_quote_moves_to_the_next_sentence():
    assert _sentences('Lo ha detto ieri. "Andremo avanti" ha aggiunto.') == [
        "Lo ha detto ieri.",
        '"Andremo avanti" ha aggiunto.',
    ]


def test_closing_quote_stays_with_its_sentence():
    assert _sentences('Ha detto: "Andremo avanti." Poi se ne è andato.') == [
        'Ha detto: "Andremo avanti."',
        "Poi se ne è andato.",
    ]


def test_guillemets_and_curly_quotes():
    assert _sentences("Fine. «Inizio» qui. Altro. “Nuovo” testo.") == [
        "Fine.", "«Inizio» qui.", "Altro.", "“Nuovo” testo.",
    ]


def test_text_without_quotes_is_unchanged():
    assert _sentences("Una frase. Un'altra frase!") == ["Una frase.", "Un'altra frase!"]
