"""Language identification of an article body with py3langid (model inside the wheel).

The decision uses the first :data:`SAMPLE_CHARS` characters of the body, without URLs and
e-mail addresses. Texts of fewer than :data:`MIN_WORDS` words are too short to tell and are
``"unknown"``: they are never skipped. Accuracy on this machine's data is measured by
``evaluation/evaluate_language.py``.

>>> identify("Il satellite è stato lanciato ieri sera dalla base europea nella Guyana "
...          "francese e funziona come previsto, secondo l'agenzia spaziale italiana.").code
'it'
>>> identify("Troppo corto.").code
'unknown'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

ITALIAN = "it"
UNKNOWN = "unknown"
SAMPLE_CHARS = 1000  # as good as 2000 (evaluation/evaluate_language.py), in 60% of the time
MIN_WORDS = 20
_NOISE = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\w+", re.I)
_WORD = re.compile(r"[^\W\d_]+")


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
    """Load the identifier's model now (half a second) rather than at the first article long
    enough to identify: the daemon does it once for all its commands."""
    _identifier()


@cache
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
