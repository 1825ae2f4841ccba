"""aerokg: Italian news on aerospace cooperation -> an RDF knowledge graph.

Stages, each a subpackage that never imports a later one:
``nlp`` (spaCy pipeline) -> ``mapping`` (entities, relations, RDF) -> ``export`` (files).
Importing the package registers aerokg's spaCy components, so ``spacy.load(path)`` works on
the shipped model once ``import pipeline`` has run.

The registration happens as soon as spaCy is imported (at once if it already is): importing
``pipeline`` alone does not import spaCy, so commands with nothing to parse (``aerokg run`` on
an unchanged corpus) do not pay for it.
"""

import sys
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("aerokg")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+source"


def _register_components() -> None:
    from pipeline.nlp import components  # noqa: F401  (registers factories and extensions)


class _RegisterAfterSpacy:
    """A one-shot import hook: lets the import of ``spacy`` run, then registers aerokg's
    components, before the code that imported spaCy can use it."""

    def find_spec(self, name, path=None, target=None):
        if name != "spacy":
            return None
        from importlib.util import find_spec

        if self in sys.meta_path:
            sys.meta_path.remove(self)
        spec = find_spec(name)  # the spec the other finders give
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        run_module = spec.loader.exec_module

        def exec_module(module):
            run_module(module)
            _register_components()

        spec.loader.exec_module = exec_module
        return spec


if "spacy" in sys.modules:
    _register_components()
elif not any(isinstance(f, _RegisterAfterSpacy) for f in sys.meta_path):
    sys.meta_path.insert(0, _RegisterAfterSpacy())
