"""Language identification of an article body with py3langid (model inside the wheel).

The decision uses the first :data:`SAMPLE_CHARS` characters of the body, without URLs and
e-mail addresses. Texts of fewer than :data:`MIN_WORDS` words are too short to tell and are
``"unknown"``: they are never skipped. Accuracy on this machine's data is measured by
``evaluation/evaluate_language.py``.

py3langid ships its model LZMA-packed (4.6 MB; 68 MB of arrays), and unpacking it took half a
second of every run that read a new article. The first run unpacks it once into the user's
cache directory (:func:`cache_directory`, one ``.npy`` file per array, written atomically,
named by the packed file's hash) and later ones map those files (30 ms). Where there is no
usable cache directory it is unpacked in memory, as py3langid does.

>>> identify("Il satellite è stato lanciato ieri sera dalla base europea nella Guyana "
...          "francese e funziona come previsto, secondo l'agenzia spaziale italiana.").code
'it'
>>> identify("Troppo corto.").code
'unknown'
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

ITALIAN = "it"
UNKNOWN = "unknown"
SAMPLE_CHARS = 1000  # as good as 2000 (evaluation/evaluate_language.py), in 60% of the time
MIN_WORDS = 20
_NOISE = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\w+", re.I)
_WORD = re.compile(r"[^\W\d_]+")
#: The arrays of py3langid's model (``data/model.npz.xz``), as ``modelio.load_model`` reads them.
_MODEL_ARRAYS = ("ptc", "pc", "classes", "nextmove", "nextmove_row", "out_feat")
CACHE_ENV = "AEROKG_CACHE_DIR"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LanguageGuess:
    code: str  # ISO 639-1 code, or "unknown" for texts too short to tell
    confidence: float  # probability of ``code`` (0 when unknown)
    words: int  # words in the sample

    @property
    def italian_or_unknown(self) -> bool:
        return self.code in (ITALIAN, UNKNOWN)


def identify(text: str) -> LanguageGuess:
    """The language of ``text`` from its first :data:`SAMPLE_CHARS` characters."""
    sample = _NOISE.sub(" ", text[:SAMPLE_CHARS])
    words = count_words(sample)
    if words < MIN_WORDS:
        return LanguageGuess(UNKNOWN, 0.0, words)
    code, confidence = _identifier().classify(sample)
    return LanguageGuess(str(code), round(float(confidence), 3), words)


def count_words(text: str) -> int:
    """Words made of letters (numbers and punctuation do not count)."""
    return len(_WORD.findall(text))


def warm() -> None:
    """Load the identifier's model now rather than at the first article long enough to
    identify: the daemon does it once for all its commands."""
    _identifier()


def cache_directory() -> Path:
    """Where aerokg keeps what it can remake: ``$AEROKG_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/aerokg``, else ``~/.cache/aerokg``. Deleting it loses nothing."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "aerokg"


@cache
def _identifier():
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    try:
        # the state machine's tables as py3langid's own reader converts them (stdlib arrays)
        from py3langid.modelio import _to_array

        arrays = unpacked_model(Path(MODEL_DIR) / MODEL_FILE, cache_directory())
        return LanguageIdentifier(
            arrays["ptc"], arrays["pc"], arrays["classes"].tolist(),
            _to_array(arrays["nextmove"]), arrays["out_feat"].tolist(), norm_probs=True,
            tk_row=_to_array(arrays["nextmove_row"]))
    except Exception as err:  # noqa: BLE001  (a py3langid release with another layout)
        log.debug("py3langid's model unpacked in memory: %s", err)
        return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def unpacked_model(packed: Path, directory: Path) -> dict[str, Any]:
    """The arrays of py3langid's LZMA-packed model ``packed``, memory-mapped from the
    unpacked copy in ``directory`` (made now if it is not there). ``OSError`` if the
    directory cannot be written, ``KeyError``/``ValueError`` if the model is not laid out as
    expected."""
    folder = directory / f"langid-{hashlib.sha256(packed.read_bytes()).hexdigest()[:16]}"
    try:
        return _read_arrays(folder)
    except FileNotFoundError:
        pass
    except (OSError, ValueError):  # damaged (a truncated file): made again
        shutil.rmtree(folder, ignore_errors=True)
    directory.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=folder.name + ".", suffix=".tmp", dir=directory))
    try:
        import lzma

        import numpy as np

        with tempfile.TemporaryFile(dir=directory) as unpacked:
            with lzma.open(packed) as source:
                shutil.copyfileobj(source, unpacked, length=1 << 20)
            unpacked.seek(0)
            with np.load(unpacked, allow_pickle=False) as data:
                for name in _MODEL_ARRAYS:
                    np.save(building / f"{name}.npy", data[name], allow_pickle=False)
        try:
            os.rename(building, folder)  # whole or not at all
        except OSError:  # another process got there first
            if not folder.is_dir():
                raise
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return _read_arrays(folder)


def _read_arrays(folder: Path) -> dict[str, Any]:
    import numpy as np

    return {name: np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False)
            for name in _MODEL_ARRAYS}

