"""Tests' helper: a script of the repository (``scripts/``, ``training/``...) as a module."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]


def script_module(relative_path: str) -> ModuleType:
    """The script at ``relative_path`` (from the repository's root), imported as a module
    named after its file (its ``main`` is not run)."""
    path = REPO / relative_path
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
