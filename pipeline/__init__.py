"""aerokg: Italian news on aerospace cooperation -> an RDF knowledge graph.

Stages, each a subpackage that never imports a later one:
``nlp`` (spaCy pipeline) -> ``mapping`` (entities, relations, RDF) -> ``export`` (files).
Importing the package registers aerokg's spaCy components, so ``spacy.load(path)`` works on
the shipped model once ``import pipeline`` has run.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("aerokg")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+source"

from pipeline.nlp import components as _components  # noqa: E402,F401  (registers factories)
