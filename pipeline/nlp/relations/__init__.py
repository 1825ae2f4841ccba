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
from pipeline.nlp.relations.doc_index import indexed

RULE_MODULES = [
    "roles",
    "locations",
    "events",
    "memberships",
    "partnerships",
    "trade",
    "quotes",
]


def extract_relations(
    doc: Doc, context: ExtractionContext, warnings: list[str] | None = None
) -> list[Relation]:
    """All relation candidates of a parsed Doc, in rule order.

    A rule that fails on one article is reported in ``warnings`` (if given) and skipped, so
    one odd sentence never loses the article's other facts; without ``warnings`` it raises.
    """
    relations: list[Relation] = []
    with indexed(doc):  # the rules share per-Doc tables (doc_index) while they run
        try:
            for name in RULE_MODULES:
                try:
                    module = import_module(f"pipeline.nlp.relations.{name}")
                    relations.extend(module.extract(doc, context))
                except Exception as err:  # noqa: BLE001  (isolate rule bugs per article)
                    if warnings is None:
                        raise
                    warnings.append(f"rule {name!r} failed: {type(err).__name__}: {err}")
        finally:
            # what the rules shared refers back to the context: drop it now, so the Doc goes
            # when its article is mapped, not at the next garbage collection
            context.shared.clear()
    return relations
