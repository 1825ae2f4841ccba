"""NLP stage, before spaCy is imported: spaCy's command line (``spacy.cli``) imported when it
is first used, not by ``import spacy``.

``spacy/__init__.py`` imports ``spacy.cli.info`` (for ``spacy.info``), and with it the whole
``spacy.cli`` package, every command and what they need: requests, weasel, typer, jinja2.
That is about 0.25 of the 0.9 s that importing spaCy takes here, in every process that loads
the model: on the critical path of a re-run after one edit (4 s), where a worker process
starts, imports spaCy, loads the model and parses the article while the main process waits.

:func:`defer_spacy_cli` (called by ``pipeline/__init__.py``, so before any module of aerokg
imports spaCy) puts an import hook in front of ``sys.meta_path`` that gives ``spacy.cli`` and
``spacy.cli.info`` as stand-in modules when spaCy's ``__init__`` imports them. The first
attribute asked of the ``spacy.cli`` stand-in (``spacy.cli.download``, ``from spacy.cli
import ...``), the first submodule imported from it, or the first call of ``spacy.info``,
imports the real package in their place, so that anything that uses spaCy's command line
gets it whole. Nothing is done if spaCy was already imported, or if its ``__init__`` no longer
imports ``spacy.cli.info``: spaCy is then imported as usual (:func:`deferred` says which).

>>> import spacy
>>> callable(spacy.info) and callable(spacy.cli.download)
True
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import threading
import types
from typing import Any

__all__ = ["defer_spacy_cli", "deferred", "real_spacy_cli"]

_CLI, _INFO = "spacy.cli", "spacy.cli.info"
_LOCK = threading.RLock()


class _StandIn(types.ModuleType):
    """``spacy.cli`` or ``spacy.cli.info`` until used: any attribute it lacks imports the
    real package and is taken from the real module. (Its ``__path__`` is the real package's,
    so a submodule, ``spacy.cli.train``, is imported from its file as usual.)"""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name != "__all__":
            raise AttributeError(name)
        real_spacy_cli()
        return getattr(sys.modules[self.__name__], name)


def _info(*args: Any, **kwargs: Any) -> Any:
    """``spacy.info``: spaCy's ``spacy.cli.info.info``, its command line imported first."""
    real_spacy_cli()
    return sys.modules[_INFO].info(*args, **kwargs)


class _StandInLoader(importlib.abc.Loader):
    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = _StandIn(spec.name)
        if spec.name == _INFO:
            module.info = _info
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        return None


class _Finder(importlib.abc.MetaPathFinder):
    """Gives the stand-ins while spaCy's ``__init__`` imports them (in ``sys.meta_path`` from
    :func:`defer_spacy_cli` to :func:`real_spacy_cli`)."""

    def __init__(self) -> None:
        self.cli_folder = ""

    def find_spec(self, name: str, path: Any = None, target: Any = None
                  ) -> importlib.machinery.ModuleSpec | None:
        if name not in (_CLI, _INFO):
            return None
        spec = importlib.machinery.ModuleSpec(name, _StandInLoader(), is_package=name == _CLI)
        if name == _CLI:
            spec.submodule_search_locations = [self.cli_folder]
        return spec


_FINDER = _Finder()


def defer_spacy_cli() -> bool:
    """Have spaCy, when it is imported, defer its command line (see the module docstring):
    whether it will (False if spaCy was imported already, or does not import its CLI the
    way the stand-ins expect). Cheap: spaCy is not imported here."""
    with _LOCK:
        if "spacy" in sys.modules:
            return deferred()
        if _FINDER in sys.meta_path:
            return True
        _FINDER.cli_folder = _cli_folder()
        if not _FINDER.cli_folder:
            return False
        sys.meta_path.insert(0, _FINDER)
        return True


def deferred() -> bool:
    """Whether ``spacy.cli`` is still the stand-in."""
    return isinstance(sys.modules.get(_CLI), _StandIn)


def real_spacy_cli() -> types.ModuleType:
    """The real ``spacy.cli`` package, imported in place of the stand-ins if need be."""
    with _LOCK:
        if _FINDER in sys.meta_path:
            sys.meta_path.remove(_FINDER)
        current = sys.modules.get(_CLI)
        if current is not None and not isinstance(current, _StandIn):
            return current
        for name in (_INFO, _CLI):
            if isinstance(sys.modules.get(name), _StandIn):
                del sys.modules[name]
        cli = importlib.import_module(_CLI)
        for name, module in list(sys.modules.items()):
            # a submodule imported under the stand-in is the stand-in's attribute, as the
            # import system makes it; the real package gets it too
            child = name[len(_CLI) + 1:] if name.startswith(_CLI + ".") else ""
            if child and "." not in child and not hasattr(cli, child):
                setattr(cli, child, module)
        spacy = sys.modules.get("spacy")
        if spacy is not None:
            spacy.cli = cli  # the attribute the stand-in had
        return cli


def _cli_folder() -> str:
    """The folder of the ``spacy.cli`` package if spaCy's ``__init__`` imports it the way the
    stand-ins expect, else ""."""
    spec = importlib.util.find_spec("spacy")
    if spec is None or not spec.origin or not spec.submodule_search_locations:
        return ""
    try:
        with open(spec.origin, encoding="utf-8") as source:
            if "from .cli.info import info" not in source.read():
                return ""
    except OSError:
        return ""
    folder = os.path.join(spec.submodule_search_locations[0], "cli")
    return folder if os.path.isfile(os.path.join(folder, "__init__.py")) else ""
