"""NLP stage: relation extraction rules over the parse, one module per competency question.

Each rule module exposes ``extract(doc, context) -> Iterable[Relation]`` and is listed in
``RULE_MODULES``. Rules read spaCy's parse (``Matcher``/``DependencyMatcher`` patterns and
lexicons of Italian role nouns, event nouns and trade verbs) and return typed
:class:`pipeline.datamodel.Relation` candidates whose arguments are :class:`Mention`s (or
plain values), each with a confidence and the sentence it comes from.
"""

from __future__ import annotations

from importlib import import_module

from spacy.tokens import Doc

from pipeline.datamodel import Relation
from pipeline.nlp.relations.context import ExtractionContext

RULE_MODULES = [
    "roles",
    "locations",
    "events",
    "memberships",
    "partnerships",
    "trade",
    "quotes",
]


def extract_relations(doc: Doc, context: ExtractionContext) -> list[Relation]:
    """All relation candidates of a parsed Doc, in rule order."""
    relations: list[Relation] = []
    for name in RULE_MODULES:
        module = import_module(f"pipeline.nlp.relations.{name}")
        relations.extend(module.extract(doc, context))
    return relations
