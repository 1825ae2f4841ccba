"""NLP stage: find and load the spaCy pipeline aerokg runs (the shipped model by default).

Which pipeline is used, first match wins:

1. the ``name_or_path`` argument (the CLI's ``--model``);
2. the ``AEROKG_MODEL`` environment variable;
3. ``model`` under ``[nlp]`` in a config file: ``$AEROKG_CONFIG`` if set, else ``./aerokg.toml``;
4. the pipeline shipped inside this package (``pipeline/nlp/model``).

Matrix products go through numpy's BLAS (OpenBLAS in the numpy wheels) rather than thinc's
default BLIS kernels: on this project's reference machine (2-core AMD EPYC VM) BLIS runs a
float32 GEMM at ~4-5 GFLOPS against ~15-17 for single-threaded OpenBLAS, and the whole pipeline
is about 2x faster with identical annotations. ``AEROKG_GEMM=blis`` restores thinc's default.
BLAS runs one thread per process (``AEROKG_BLAS_THREADS`` changes it): parallelism comes from
worker processes, and OpenBLAS threads that compete with other processes for the two cores
spin and made NER training 3x slower here.

A value is a directory holding a spaCy pipeline or the name of an installed pipeline package
(``it_core_news_sm``). Any pipeline gets aerokg's domain layer (aerospace/place entity ruler,
amounts and dates) added after its NER when it lacks it.

>>> from pipeline.nlp.loader import load_nlp
>>> nlp = load_nlp()                       # doctest: +SKIP
>>> nlp = load_nlp("it_core_news_sm")      # doctest: +SKIP
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import spacy
from spacy.language import Language
from thinc.api import NumpyOps, Ops, use_ops

import pipeline.nlp.components  # noqa: F401  (registers aerokg's factories)
from pipeline.gc_pause import gc_paused
from pipeline.nlp.shipped import SHIPPED, SHIPPED_MODEL_PATH

MODEL_ENV_VAR = "AEROKG_MODEL"
CONFIG_ENV_VAR = "AEROKG_CONFIG"
DEFAULT_CONFIG_FILE = "aerokg.toml"
GEMM_ENV_VAR = "AEROKG_GEMM"
BLAS_THREADS_ENV_VAR = "AEROKG_BLAS_THREADS"
ENTITY_EDGES = "aerokg_entity_edges"
ORG_NAMES = "aerokg_org_names"
DOMAIN_RULER = "aerokg_domain_ruler"
QUANTITIES = "aerokg_quantities"


class ModelNotFoundError(Exception):
    """The requested spaCy pipeline is neither an installed package nor a pipeline directory."""


class ConfigError(Exception):
    """The aerokg config file cannot be read."""


@dataclass(frozen=True)
class ModelChoice:
    """A resolved model request: what was asked for and where the request came from."""

    name_or_path: str
    source: str  # "argument", "environment", "config", "default"


def resolve_model(name_or_path: str | None = None) -> ModelChoice:
    """Decide which pipeline to load, without loading it.

    >>> resolve_model("it_core_news_sm")
    ModelChoice(name_or_path='it_core_news_sm', source='argument')
    """
    if name_or_path:
        return ModelChoice(name_or_path, "argument")
    if os.environ.get(MODEL_ENV_VAR):
        return ModelChoice(os.environ[MODEL_ENV_VAR], "environment")
    configured = _model_from_config()
    if configured:
        return ModelChoice(configured, "config")
    return ModelChoice(SHIPPED, "default")


def _model_from_config() -> str | None:
    explicit = os.environ.get(CONFIG_ENV_VAR)
    path = Path(explicit) if explicit else Path.cwd() / DEFAULT_CONFIG_FILE
    if not path.is_file():
        if explicit:
            raise ConfigError(f"{CONFIG_ENV_VAR} points to {path}, which is not a file")
        return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"cannot read {path}: {err}") from err
    value = data.get("nlp", {}).get("model")
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{path}: [nlp] model must be a string, got {value!r}")
    return value or None


def model_location(name_or_path: str) -> Path | None:
    """The directory a pipeline name or path loads from, or None if nothing is there."""
    if name_or_path == SHIPPED:
        return SHIPPED_MODEL_PATH if (SHIPPED_MODEL_PATH / "config.cfg").is_file() else None
    path = Path(name_or_path).expanduser()
    if path.exists():
        return path.resolve() if (path / "config.cfg").is_file() else None
    if spacy.util.is_package(name_or_path):
        package_dir = spacy.util.get_package_path(name_or_path)
        inner = [p for p in package_dir.iterdir() if (p / "config.cfg").is_file()]
        return inner[0] if inner else package_dir
    return None


def missing_model_message(name_or_path: str) -> str:
    if name_or_path == SHIPPED:
        return (
            f"the model shipped with aerokg is missing from {SHIPPED_MODEL_PATH}. "
            "Reinstall aerokg, or rebuild it with `python training/build_model.py`."
        )
    path = Path(name_or_path).expanduser()
    if path.exists():
        return f"{path} is not a spaCy pipeline directory (it has no config.cfg)."
    looks_like_path = os.sep in name_or_path or name_or_path.startswith(".")
    if looks_like_path:
        return f"no spaCy pipeline at {name_or_path}: the directory does not exist."
    return (
        f"spaCy pipeline '{name_or_path}' is not installed. Install it with:\n"
        f"    python -m spacy download {name_or_path}\n"
        + (
            "or: pip install 'aerokg[it-core-news-sm]'\n"
            if name_or_path == "it_core_news_sm"
            else ""
        )
        + "or pass --model a path to a pipeline directory; without --model aerokg uses "
        "its shipped Italian model."
    )


def load_nlp(name_or_path: str | None = None, *, gemm: str | None = None) -> Language:
    """Load the pipeline chosen by :func:`resolve_model`, with aerokg's domain layer.

    ``gemm`` ("openblas" or "blis") overrides ``AEROKG_GEMM`` (benchmarks compare the two).

    Raises :class:`ModelNotFoundError` with install instructions when it is missing.
    Cached per location: asking twice for the same model returns the same object.
    """
    choice = resolve_model(name_or_path)
    location = model_location(choice.name_or_path)
    if location is None:
        raise ModelNotFoundError(missing_model_message(choice.name_or_path))
    limit_blas_threads()
    return _load_from(str(location), _use_blis(gemm))


def cpu_ops(gemm: str | None = None) -> Ops:
    """The thinc CPU backend aerokg builds pipelines with (see the module docstring).

    >>> cpu_ops("blis").use_blis, cpu_ops("openblas").use_blis
    (True, False)
    """
    limit_blas_threads()
    return NumpyOps(use_blis=_use_blis(gemm))


def _use_blis(gemm: str | None = None) -> bool:
    """``gemm`` or ``AEROKG_GEMM``: True for thinc's BLIS, False for numpy's OpenBLAS."""
    choice = (gemm or os.environ.get(GEMM_ENV_VAR, "openblas")).strip().lower()
    if choice not in ("openblas", "numpy", "blis"):
        raise ConfigError(f"{GEMM_ENV_VAR}={choice!r}: expected 'openblas' or 'blis'")
    return choice == "blis"


def limit_blas_threads() -> None:
    """Cap numpy's BLAS at ``AEROKG_BLAS_THREADS`` threads (default 1) for this process."""
    from threadpoolctl import threadpool_limits

    raw = os.environ.get(BLAS_THREADS_ENV_VAR, "1").strip()
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"{BLAS_THREADS_ENV_VAR}={raw!r}: expected a positive whole number")
    threadpool_limits(limits=int(raw), user_api="blas")


def group_entry_points() -> None:
    """Give catalogue (spaCy's registries) the installed entry points grouped by name, once.

    catalogue keeps the entry points of every installed package as one list, read when it is
    imported, and filters that list by group on every registry lookup: a spaCy load makes
    about 240 lookups (0.13-0.2 s here). It also accepts a dict of group -> entry points, the
    same snapshot grouped ahead, which a lookup reads in one step.
    """
    import catalogue

    found = catalogue.AVAILABLE_ENTRY_POINTS
    if not hasattr(found, "select"):  # grouped already
        return
    catalogue.AVAILABLE_ENTRY_POINTS = {group: list(found.select(group=group))
                                        for group in found.groups}


@lru_cache(maxsize=4)
def _load_from(location: str, use_blis: bool = False) -> Language:
    group_entry_points()
    # layers keep the ops they were created with, so only the loading needs the context; no
    # garbage collections over the model as it is built, kept as long as it is cached here
    with gc_paused(freeze=True), use_ops("numpy", use_blis=use_blis):
        nlp = spacy.load(location)
        ensure_domain_layer(nlp)
    nlp.meta.setdefault("aerokg", {})["model_path"] = location  # (meta is worked out a call)
    return nlp


def ensure_domain_layer(nlp: Language) -> Language:
    """Add the full-name organisation ruler (before the NER), the entity-edge trimmer, the
    entity ruler and the amount/date recogniser when a pipeline lacks them."""
    from pipeline.nlp.gazetteer import add_domain_ruler, add_full_name_ruler

    if ORG_NAMES not in nlp.pipe_names and "ner" in nlp.pipe_names:
        add_full_name_ruler(nlp, name=ORG_NAMES)
    if ENTITY_EDGES not in nlp.pipe_names and "ner" in nlp.pipe_names:
        nlp.add_pipe(ENTITY_EDGES, after="ner")
    if DOMAIN_RULER not in nlp.pipe_names:
        after = next((p for p in (ENTITY_EDGES, "ner") if p in nlp.pipe_names), None)
        add_domain_ruler(nlp, name=DOMAIN_RULER, after=after)
    if QUANTITIES not in nlp.pipe_names:
        nlp.add_pipe(QUANTITIES, last=True)
    return nlp


def describe(nlp: Language) -> dict:
    """Facts about a loaded pipeline, as `aerokg info` prints them."""
    meta = nlp.meta
    return {
        "model_name": f"{meta.get('lang', '')}_{meta.get('name', '')}",
        "model_version": meta.get("version", ""),
        "model_path": meta.get("aerokg", {}).get("model_path", ""),
        "pipeline": list(nlp.pipe_names),
    }
