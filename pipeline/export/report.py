"""Export stage, run report (``run-report.json``): what a run read, found and wrote, as JSON.

>>> import json, tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "run-report.json"
>>> write_run_report(path, {"articles": 1, "run": "20251125T203000Z"})
>>> print(path.read_text(encoding="utf-8"), end="")
{
  "articles": 1,
  "run": "20251125T203000Z"
}
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from pipeline.export.atomic import atomic_write

__all__ = ["report_text", "write_run_report"]


def write_run_report(path: str | os.PathLike[str], report: Mapping[str, Any]) -> None:
    """Write ``report`` to ``path`` as JSON (UTF-8, keys sorted, indent 2), atomically.

    Besides JSON's own types, paths and Decimals are written as strings, dates and times in
    ISO 8601, sets and tuples as (sorted, for sets) lists. Anything else raises ``TypeError``
    before ``path`` is touched.
    """
    atomic_write(path, report_text(report))


def report_text(report: Mapping[str, Any]) -> str:
    """The JSON text that :func:`write_run_report` writes."""
    return json.dumps(report, ensure_ascii=False, sort_keys=True, indent=2, default=_to_json) + "\n"


def _to_json(value: Any) -> Any:
    if isinstance(value, PurePath | Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"run report: cannot write {type(value).__name__} as JSON: {value!r}")
