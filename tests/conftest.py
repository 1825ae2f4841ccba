"""Shared pytest fixtures: a hand-made pipeline directory and, for slow tests, the shipped model."""

from __future__ import annotations

import pytest
import spacy

import pipeline  # noqa: F401  (registers aerokg components)

# The columns of ../shared/spec/competency-questions.md, in order.
SPEC_COLUMNS = {
    "entities": ["entity", "type", "class", "article"],
    "roles": ["person", "role", "organization", "article"],
    "locations": ["entity", "place", "article"],
    "events": ["event", "class", "place", "date", "article"],
    "event_participants": ["event", "participant", "role", "article"],
    "trade_flows": ["exporter", "importer", "value", "currency", "year", "sector", "article"],
    "memberships": ["member", "organization", "article"],
    "partnerships": ["party_a", "party_b", "article"],
    "quotes": ["speaker", "quote", "article"],
}

TINY_PATTERNS = [
    {"label": "PER", "pattern": "Mario"},
    {"label": "LOC", "pattern": "Roma"},
    {"label": "ORG", "pattern": "FIAT"},
    {"label": "ORG", "pattern": "Torino"},
]


def make_tiny_nlp() -> spacy.Language:
    """A blank Italian pipeline whose 'NER' is a fixed entity ruler: predictions known by hand."""
    nlp = spacy.blank("it")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("entity_ruler").add_patterns(TINY_PATTERNS)
    nlp.meta["name"] = "tiny_test"
    nlp.meta["version"] = "0.0.1"
    return nlp


@pytest.fixture
def tiny_nlp() -> spacy.Language:
    return make_tiny_nlp()


@pytest.fixture
def tiny_model_dir(tmp_path):
    path = tmp_path / "tiny_model"
    make_tiny_nlp().to_disk(path)
    return path


@pytest.fixture(scope="session")
def _session_cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("aerokg-cache")


@pytest.fixture(autouse=True)
def _isolated_model_settings(monkeypatch, tmp_path, _session_cache_dir):
    """No test sees the developer's AEROKG_MODEL, AEROKG_CONFIG, ./aerokg.toml or daemon, or
    writes to the user's cache directory (one for the session: py3langid's model is unpacked
    there once)."""
    monkeypatch.setenv("AEROKG_NO_DAEMON", "1")
    monkeypatch.setenv("AEROKG_CACHE_DIR", str(_session_cache_dir))
    monkeypatch.delenv("AEROKG_MODEL", raising=False)
    monkeypatch.delenv("AEROKG_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def shipped_nlp():
    from pipeline.nlp.loader import load_nlp

    return load_nlp("shipped")


@pytest.fixture(scope="session")
def seed_graph(shipped_nlp):
    """The property graph (networkx) of corpus/seed-article.txt, with the shipped model."""
    from pathlib import Path

    from pipeline.corpus import read_corpus
    from pipeline.export.property_graph import graph_fragment, merge_fragments
    from pipeline.workers import map_article

    seed = Path(__file__).resolve().parents[1] / "corpus" / "seed-article.txt"
    article = read_corpus([str(seed)]).articles[0]
    graph, _, _ = map_article(article, shipped_nlp(article.text))
    return merge_fragments([graph_fragment(graph)])
