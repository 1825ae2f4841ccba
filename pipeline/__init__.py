"""aerokg: Italian news on aerospace cooperation -> an RDF knowledge graph.

Stages, each a subpackage that never imports a later one:
``nlp`` (spaCy pipeline) -> ``mapping`` (entities, relations, RDF) -> ``export`` (files).
aerokg's spaCy components are registered with spaCy through the ``spacy_factories`` entry
points in pyproject.toml, so ``spacy.load(path)`` finds them by name on the shipped model, with or
without ``import pipeline`` (the loader also imports them). Importing ``pipeline`` does not
import spaCy: commands with nothing to parse (``aerokg run`` on an unchanged corpus) do not pay
for it. When spaCy is imported, its command line is left until used
(``pipeline/nlp/spacy_cli.py``): a quarter of its import time, in every process that parses.
"""

from importlib.metadata import PackageNotFoundError, version

from pipeline.nlp.spacy_cli import defer_spacy_cli

defer_spacy_cli()

try:
    __version__ = version("aerokg")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+source"
