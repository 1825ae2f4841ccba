"""NLP-stage component that finds Italian money amounts and dates and normalises them."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans
from spacy.vocab import Vocab

from pipeline.nlp.anchored_matcher import AnchoredMatcher

__all__ = [
    "Amount",
    "normalise_amount",
    "normalise_date",
    "QuantityRecognizer",
    "make_quantity_recognizer",
    "MONEY",
    "CARDINAL",
    "DATE",
]

MONEY = "MONEY"
CARDINAL = "CARDINAL"
DATE = "DATE"

YEAR_MIN, YEAR_MAX = 1800, 2100

# --------------------------------------------------------------------------------------------
# Shared lexicon
# --------------------------------------------------------------------------------------------

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'"})

#: Scale words (folded: lower case, no accents) -> multiplier.
_SCALES: dict[str, Decimal] = {
    "mila": Decimal(1_000),
    "migliaia": Decimal(1_000),
    "milione": Decimal(1_000_000),
    "milioni": Decimal(1_000_000),
    "mln": Decimal(1_000_000),
    "miliardo": Decimal(1_000_000_000),
    "miliardi": Decimal(1_000_000_000),
    "mld": Decimal(1_000_000_000),
    "mrd": Decimal(1_000_000_000),
}
_SCALE_TOKENS = sorted(_SCALES)

#: Single-token currency names and symbols -> ISO 4217 code (None: needs the next word).
_CURRENCIES: dict[str, str | None] = {
    "euro": "EUR",
    "eur": "EUR",
    "€": "EUR",
    "dollari": "USD",
    "dollaro": "USD",
    "usd": "USD",
    "$": "USD",
    "us$": "USD",
    "sterline": "GBP",
    "sterlina": "GBP",
    "gbp": "GBP",
    "£": "GBP",
    "chf": "CHF",
    "franchi": None,  # "franchi svizzeri" -> CHF; a bare "franchi" is ambiguous
    "franco": None,
    "yen": "JPY",
    "jpy": "JPY",
    "¥": "JPY",
    "yuan": "CNY",
    "renminbi": "CNY",
    "cny": "CNY",
    "rubli": "RUB",
    "rublo": "RUB",
    "rub": "RUB",
    "lire": "ITL",
    "lira": "ITL",
}
#: (currency word, following adjective) -> code; overrides the single-word reading.
_CURRENCY_ADJ: dict[tuple[str, str], str] = {
    ("franchi", "svizzeri"): "CHF",
    ("franco", "svizzero"): "CHF",
    ("dollari", "statunitensi"): "USD",
    ("dollaro", "statunitense"): "USD",
    ("dollari", "americani"): "USD",
    ("dollaro", "americano"): "USD",
    ("dollari", "usa"): "USD",
    ("dollari", "canadesi"): "CAD",
    ("dollaro", "canadese"): "CAD",
    ("dollari", "australiani"): "AUD",
    ("dollaro", "australiano"): "AUD",
    ("lire", "turche"): "TRY",
    ("lira", "turca"): "TRY",
}
_CURRENCY_ADJ_WORDS = sorted({adj for _, adj in _CURRENCY_ADJ})
#: Currency symbols and codes that may stand before the number ("€ 3,2 mln", "USD 5 milioni").
#: Not "euro": "Euro 2016" is a football tournament.
_CURRENCY_PREFIXES = ["€", "$", "£", "¥", "us$", "eur", "usd", "gbp", "chf", "jpy", "cny"]

# Number words, as morphemes that compose ("ventitré", "duecentomila", "centottanta").
_NUM_MORPHEMES: dict[str, int] = {
    "un": 1, "uno": 1, "una": 1, "due": 2, "tre": 3, "quattro": 4, "cinque": 5, "sei": 6,
    "sette": 7, "otto": 8, "nove": 9, "dieci": 10, "undici": 11, "dodici": 12, "tredici": 13,
    "quattordici": 14, "quindici": 15, "sedici": 16, "diciassette": 17, "diciotto": 18,
    "diciannove": 19, "venti": 20, "vent": 20, "trenta": 30, "trent": 30, "quaranta": 40,
    "quarant": 40, "cinquanta": 50, "cinquant": 50, "sessanta": 60, "sessant": 60,
    "settanta": 70, "settant": 70, "ottanta": 80, "ottant": 80, "novanta": 90, "novant": 90,
    "cento": 100, "cent": 100, "mille": 1000, "mila": 1000,
}  # fmt: skip
_MORPHEMES_LONGEST_FIRST = sorted(_NUM_MORPHEMES, key=len, reverse=True)
# Superset regex for the Matcher (accented "tré" allowed); _parse_number_word validates.
_NUM_WORD_TOKEN_RE = "^(?:" + "|".join([*_MORPHEMES_LONGEST_FIRST, "tré"]) + ")+$"
_GLUED_SCALE_TOKEN_RE = r"^\d+(?:[.,]\d+)*(?:" + "|".join(_SCALE_TOKENS) + r")$"
_GLUED_SCALE_RE = re.compile(_GLUED_SCALE_TOKEN_RE)

# Qualifiers: (regex on the folded words before the number, qualifier). Order does not matter;
# _QUALIFIER_RANK decides when several match.
_QUALIFIER_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\bquasi\b"), "almost"),
    (re.compile(r"\bpoco meno (?:di|dei|degli|del|delle)\b"), "almost"),
    (re.compile(r"\b(?:circa|all'? ?incirca|approssimativamente)\b"), "about"),
    (re.compile(r"\b(?:intorno|attorno) (?:a|ad|ai|agli|al|alle)\b"), "about"),
    (re.compile(r"\boltre\b"), "more_than"),
    (re.compile(r"\bpiu (?:di|dei|degli|del|delle)\b"), "more_than"),
    (re.compile(r"\bsuperiori? (?:a|ad|ai|agli|al)\b"), "more_than"),
    (re.compile(r"\bmeno (?:di|dei|degli|del|delle)\b"), "less_than"),
    (re.compile(r"\binferiori? (?:a|ad|ai|agli|al)\b"), "less_than"),
    (re.compile(r"\b(?:fino|sino) (?:a|ad|ai|agli|al)\b"), "up_to"),
    (re.compile(r"\bmassimo\b"), "up_to"),
    (re.compile(r"\balmeno\b"), "at_least"),
    (re.compile(r"\bpari (?:a|ad|ai|agli|al)\b"), "equal"),
]
_QUALIFIER_RANK = {
    "almost": 0, "about": 1, "more_than": 2, "less_than": 2, "up_to": 2, "at_least": 2,
    "equal": 3,
}  # fmt: skip
_QUALIFIER_WORDS = frozenset(
    "quasi circa oltre piu meno di dei degli del delle fino sino a ad ai agli al alle pari "
    "poco intorno attorno superiore superiori inferiore inferiori massimo almeno incirca all "
    "all' approssimativamente i gli".split()
)

#: Month names and abbreviations (folded) -> month number.
_MONTHS_FULL: dict[str, int] = {
    "gennaio": 1, "febbraio": 2, "marzo": 3, "aprile": 4, "maggio": 5, "giugno": 6,
    "luglio": 7, "agosto": 8, "settembre": 9, "ottobre": 10, "novembre": 11, "dicembre": 12,
}  # fmt: skip
_MONTHS: dict[str, int] = {
    **_MONTHS_FULL,
    "gen": 1, "feb": 2, "mar": 3, "apr": 4, "mag": 5, "giu": 6, "lug": 7, "ago": 8,
    "set": 9, "sett": 9, "ott": 10, "nov": 11, "dic": 12,
}  # fmt: skip

_RELATIVE_DAYS = {"oggi": 0, "ieri": -1, "domani": 1, "dopodomani": 2, "altroieri": -2}

# Words that may introduce a date and are dropped before normalising it.
_DATE_LEAD_WORDS = frozenset(
    "il l lo la nel nell nello del dell dello dal dall dallo al all allo entro in a ad di d da "
    "fino sino partire corso anno mese giorno data "
    "lunedi martedi mercoledi giovedi venerdi sabato domenica".split()
)

# --------------------------------------------------------------------------------------------
# Text folding and tokenising (pure)
# --------------------------------------------------------------------------------------------


def _fold(text: str) -> str:
    """Lower case, ASCII apostrophes, no accents, ordinal marks after digits removed."""
    text = text.translate(_APOSTROPHES)
    text = re.sub(r"(?<=\d)\s?[º°ª]", "", text)  # "1º", "1°" -> "1" (NFKD would make "1o")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.lower().split())


_AMOUNT_TOKEN_RE = re.compile(r"us\$|[a-z]+'?|\d+(?:[.,]\d+)*|[€$£¥%]")
_DATE_TOKEN_RE = re.compile(r"[a-z]+|\d+(?:[./-]\d+)*")


def _amount_tokens(text: str) -> list[str]:
    folded = _fold(text)
    folded = re.sub(r"\bpiu'", "piu", folded)  # "piu'" typed for "più"
    folded = re.sub(r"(?<=\d)(?=[a-z])", " ", folded)  # "12mila" -> "12 mila"
    return _AMOUNT_TOKEN_RE.findall(folded)


# --------------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------------


def _valid_grouping(groups: Sequence[str]) -> bool:
    return 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])


def _parse_numeral(token: str) -> Decimal | None:
    """Parse a digit string in Italian (or unambiguous English) notation.

    "1.500" -> 1500 (Italian thousands), "1,5" and "1,500" -> 1.5 (Italian decimal comma),
    "1.234,56" -> 1234.56, "1,234.56" -> 1234.56, "1.5" -> 1.5 (a dot not followed by exactly
    three digits can only be a decimal point), "07.03.2017" -> None.
    """
    if not token or not token[0].isdigit():
        return None
    try:
        if "." in token and "," in token:
            cut = max(token.rfind("."), token.rfind(","))
            decimal_sep = token[cut]
            thousands_sep = "," if decimal_sep == "." else "."
            int_part, frac = token[:cut], token[cut + 1 :]
            if decimal_sep in int_part or not _valid_grouping(int_part.split(thousands_sep)):
                return None
            return Decimal(int_part.replace(thousands_sep, "") + "." + frac)
        if "." in token:
            groups = token.split(".")
            if len(groups) == 2 and (len(groups[1]) != 3 or groups[0] == "0"):
                return Decimal(token)  # "1.5", "0.500": a decimal point
            if _valid_grouping(groups):
                return Decimal("".join(groups))
            return None
        if "," in token:
            groups = token.split(",")
            if len(groups) == 2:
                return Decimal(".".join(groups))  # Italian decimal comma: "1,500" -> 1.5
            if _valid_grouping(groups):
                return Decimal("".join(groups))  # "1,500,000": English thousands
            return None
        return Decimal(token)
    except InvalidOperation:
        return None


@lru_cache(maxsize=4096)
def _parse_number_word(word: str) -> int | None:
    """Value of an Italian number word ("ventitré" -> 23, "duemila" -> 2000), else None."""
    word = _fold(word)
    if word in ("un", "una"):
        return 1
    sequences = _segment_number_word(word)
    for seq in sequences:
        value = _evaluate_morphemes(seq)
        if value is not None:
            return value
    return None


def _segment_number_word(word: str) -> list[tuple[str, ...]]:
    """All ways to split ``word`` into number morphemes (longest morphemes tried first)."""
    if not word:
        return [()]
    out: list[tuple[str, ...]] = []
    for m in _MORPHEMES_LONGEST_FIRST:
        if m == "una" or not word.startswith(m):
            continue
        rest = word[len(m) :]
        if m == "un" and rest:  # "un" only ends a word: "un", "ventun"
            continue
        out.extend((m, *tail) for tail in _segment_number_word(rest))
    return out


def _evaluate_morphemes(seq: Sequence[str]) -> int | None:
    """Value of a morpheme sequence, None unless it is well formed Italian.

    Within a group of three digits: [unit] "cento", then a ten or a teen, then a unit only
    after a ten ("ventitré" yes, "diecitré" no); "mila" multiplies a group >= 2 ("duemila"),
    "mille" stands alone at the start ("millecinquecento").
    """
    infinite = 10**9
    total, group, last = 0, 0, infinite
    for i, m in enumerate(seq):
        v = _NUM_MORPHEMES[m]
        nxt = seq[i + 1] if i + 1 < len(seq) else ""
        if m.endswith("t") and nxt[:1] not in ("u", "o"):
            return None  # elided forms only before a vowel: "vent"+"uno", "cent"+"ottanta"
        if v == 100:
            if group >= 10:
                return None
            group, last = (group or 1) * 100, 100
        elif m == "mille":
            if i != 0:
                return None
            total, group, last = 1000, 0, infinite
        elif m == "mila":
            if group < 2 or total:
                return None
            total, group, last = group * 1000, 0, infinite
        else:
            tens_then_unit = last in range(20, 100, 10) and v < 10
            if not (last in (infinite, 100) or tens_then_unit):
                return None
            if i > 0 and m in ("un", "uno") and last not in range(20, 100, 10) and last != 100:
                return None
            group, last = group + v, v
    return (total + group) or None


# --------------------------------------------------------------------------------------------
# Amounts
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Amount:
    """A normalised amount: ``value`` in units, ISO 4217 ``currency``, ``qualifier``."""

    value: float
    currency: str | None
    qualifier: str | None


def _currency_at(tokens: Sequence[str], i: int) -> tuple[str | None, int]:
    """Currency starting at ``tokens[i]`` and the index after it; (None, i) when there is none."""
    if i >= len(tokens) or tokens[i] not in _CURRENCIES:
        return None, i
    word = tokens[i]
    if i + 1 < len(tokens) and (word, tokens[i + 1]) in _CURRENCY_ADJ:
        return _CURRENCY_ADJ[(word, tokens[i + 1])], i + 2
    code = _CURRENCIES[word]
    return (code, i + 1) if code else (None, i)


def _qualifier(words: Sequence[str]) -> str | None:
    text = " ".join(words)
    found = [q for rx, q in _QUALIFIER_RULES if rx.search(text)]
    return min(found, key=_QUALIFIER_RANK.__getitem__) if found else None


@dataclass
class _Candidate:
    start: int
    value: Decimal
    has_scale: bool
    currency: str | None
    is_word: bool


def _candidate_at(tokens: Sequence[str], i: int) -> _Candidate | None:
    tok = tokens[i]
    if tok[0].isdigit():
        num: Decimal | None = _parse_numeral(tok)
        is_word = False
    else:
        word_value = _parse_number_word(tok) if tok not in _QUALIFIER_WORDS else None
        num = Decimal(word_value) if word_value is not None else None
        is_word = True
    if num is None:
        return None
    j = i + 1
    has_scale = False
    if j < len(tokens) and tokens[j] in _SCALES:
        num *= _SCALES[tokens[j]]
        has_scale = True
        j += 1
        if tokens[j : j + 2] == ["e", "mezzo"]:  # "un milione e mezzo"
            num += _SCALES[tokens[j - 1]] / 2
            j += 2
    if tokens[j : j + 1] in (["%"], ["percento"]) or tokens[j : j + 2] == ["per", "cento"]:
        return None  # a percentage, not an amount
    if j < len(tokens) and tokens[j] in ("di", "d'", "de"):
        j += 1
    currency, _ = _currency_at(tokens, j)
    if currency is None and i > 0 and tokens[i - 1] in _CURRENCY_PREFIXES:
        currency, _ = _currency_at(tokens, i - 1)  # "€ 3,2 mln", "USD 5 milioni"
    return _Candidate(i, num, has_scale, currency, is_word)


def normalise_amount(text: str) -> Amount | None:
    """Normalise an Italian amount expression; None when the text holds no number.

    ``value`` is in units (float), ``currency`` an ISO 4217 code, ``qualifier`` one of
    ``more_than`` (oltre, più di), ``less_than`` (meno di), ``almost`` (quasi), ``about``
    (circa, intorno a), ``up_to`` (fino a), ``at_least`` (almeno), ``equal`` (pari a) or None;
    when several occur: almost > about > the others > equal (*pari quasi a* is ``almost``).
    Numbers: "1.500" is 1500 (Italian thousands dot), "1,500" and "1,5" are 1.5 (decimal comma),
    "1.5" is 1.5; number words compose ("ventitré", "duemila", "centottanta").
    Percentages ("9%", "9 per cento") are not amounts and give None.

    The first number that has a scale word or a currency is taken (else the first number in
    digits, else a lone number word); the qualifier comes from the words just before it.

    >>> normalise_amount("oltre 9 milioni di euro")
    Amount(value=9000000.0, currency='EUR', qualifier='more_than')
    >>> normalise_amount("pari quasi a 33 milioni")
    Amount(value=33000000.0, currency=None, qualifier='almost')
    >>> normalise_amount("1,5 miliardi di dollari")
    Amount(value=1500000000.0, currency='USD', qualifier=None)
    >>> normalise_amount("2.500 euro").value, normalise_amount("1,500").value
    (2500.0, 1.5)
    >>> normalise_amount("un milione e mezzo di franchi svizzeri")
    Amount(value=1500000.0, currency='CHF', qualifier=None)
    >>> normalise_amount("molti soldi") is None, normalise_amount("9%") is None
    (True, True)
    """
    tokens = _amount_tokens(text)
    candidates = [c for i in range(len(tokens)) if (c := _candidate_at(tokens, i)) is not None]
    if not candidates:
        return None
    chosen = next((c for c in candidates if c.has_scale or c.currency), None)
    if chosen is None:
        chosen = next((c for c in candidates if not c.is_word), None)
    if chosen is None:
        # A bare number word counts only when nothing else but qualifiers is around it
        # ("dieci", "circa venti"), so that "un valore" is not the amount 1.
        others = [t for k, t in enumerate(tokens) if k != candidates[0].start]
        if len(candidates) != 1 or any(t not in _QUALIFIER_WORDS for t in others):
            return None
        chosen = candidates[0]
    previous = max((c.start for c in candidates if c.start < chosen.start), default=-1)
    window = tokens[max(previous + 1, chosen.start - 4) : chosen.start]
    return Amount(float(chosen.value), chosen.currency, _qualifier(window))


# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------

_ISO_RE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DMY_RE = re.compile(r"(\d{1,2})([./-])(\d{1,2})\2(\d{4})")


def _iso_day(year: int, month: int, day: int) -> str | None:
    if not YEAR_MIN <= year <= YEAR_MAX:
        return None
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _day(token: str) -> int | None:
    if token == "primo":
        return 1
    return int(token) if token.isdigit() and len(token) <= 2 else None


def _year(token: str) -> int | None:
    if len(token) == 4 and token.isdigit() and YEAR_MIN <= int(token) <= YEAR_MAX:
        return int(token)
    return None


def normalise_date(text: str, reference: dt.date | None = None) -> str | None:
    """Normalise an Italian date expression to ISO 8601, as precise as the text allows.

    Introducing words (*il*, *nel*, *dal*, *entro il*, *nell'anno*, weekday names ...) are
    ignored. A month or day without a year takes the year of ``reference`` (no guessing of
    the previous year); *ieri*, *oggi*, *domani* are relative to ``reference``. Without a
    reference these give None. Years must be 1800-2100. Decades (*anni '90*) and ranges
    (*tra il 2015 e il 2017*, *dal 2015 al 2017*) are ambiguous and give None, as do
    impossible dates (*31 febbraio 2017*) and two-digit years.

    >>> normalise_date("novembre 2017"), normalise_date("nel 2016")
    ('2017-11', '2016')
    >>> normalise_date("il 7 marzo 2017"), normalise_date("07/03/2017")
    ('2017-03-07', '2017-03-07')
    >>> normalise_date("1º gennaio 2020")
    '2020-01-01'
    >>> normalise_date("marzo") is None, normalise_date("marzo", dt.date(2017, 11, 5))
    (True, '2017-03')
    >>> normalise_date("ieri", dt.date(2017, 11, 5))
    '2017-11-04'
    >>> normalise_date("31 febbraio 2017") is None, normalise_date("anni '90") is None
    (True, True)
    """
    folded = re.sub(r"\b(?:l' ?)?altro ?ieri\b", "altroieri", _fold(text))
    tokens = _DATE_TOKEN_RE.findall(folded)
    if isinstance(reference, dt.datetime):
        reference = reference.date()
    start = 0
    while start < len(tokens) and tokens[start] in _DATE_LEAD_WORDS:
        start += 1
    core = tokens[start:]
    if core and core[-1] in ("del", "di"):
        return None
    core = [t for k, t in enumerate(core) if not (t in ("del", "di") and 0 < k == len(core) - 2)]

    if len(core) == 1:
        (tok,) = core
        if m := _ISO_RE.fullmatch(tok):
            return _iso_day(int(m[1]), int(m[2]), int(m[3]))
        if m := _DMY_RE.fullmatch(tok):
            return _iso_day(int(m[4]), int(m[3]), int(m[1]))
        if (year := _year(tok)) is not None:
            return f"{year:04d}"
        if tok in _MONTHS:
            return f"{reference.year:04d}-{_MONTHS[tok]:02d}" if reference else None
        if tok in _RELATIVE_DAYS:
            if reference is None:
                return None
            return (reference + dt.timedelta(days=_RELATIVE_DAYS[tok])).isoformat()
        return None
    if len(core) == 2:
        first, second = core
        if first in _MONTHS and (year := _year(second)) is not None:
            return f"{year:04d}-{_MONTHS[first]:02d}"
        if (day := _day(first)) is not None and second in _MONTHS:
            return _iso_day(reference.year, _MONTHS[second], day) if reference else None
        return None
    if len(core) == 3:
        day, month, year = _day(core[0]), _MONTHS.get(core[1]), _year(core[2])
        if day is not None and month is not None and year is not None:
            return _iso_day(year, month, day)
    return None


# --------------------------------------------------------------------------------------------
# spaCy component
# --------------------------------------------------------------------------------------------

for _ext in ("value", "currency", "qualifier", "iso_date"):
    if not Span.has_extension(_ext):
        Span.set_extension(_ext, default=None)

Pattern = list[dict[str, Any]]
#: A lead-in such as "pari quasi a": one set of accepted lower-case forms per token.
Prefix = tuple[frozenset[str], ...]


def _with_apostrophes(words: Iterable[str]) -> list[str]:
    out: list[str] = []
    for w in words:
        out.append(w)
        if "'" in w:
            out.append(w.replace("'", "’"))
    return out


def _lower(*alternatives: str, op: str | None = None) -> dict[str, Any]:
    forms = _with_apostrophes(alternatives)
    tok: dict[str, Any] = {"LOWER": forms[0] if len(forms) == 1 else {"IN": forms}}
    if op:
        tok["OP"] = op
    return tok


def _prefixes(*specs: str) -> tuple[Prefix, ...]:
    """``"fino|sino a|al"`` -> ``({fino, sino}, {a, al})``; longest prefixes first."""
    out = [
        tuple(frozenset(_with_apostrophes(word.split("|"))) for word in spec.split())
        for spec in specs
    ]
    return tuple(sorted(out, key=len, reverse=True))


# Lead-ins are not in the Matcher patterns (multiplying the patterns by the lead-ins made the
# Matcher several times slower); a match is extended leftwards over the longest one instead.
_AMOUNT_PREFIXES = _prefixes(
    "oltre",
    "oltre i|gli",
    "quasi",
    "circa",
    "almeno",
    "più|piu di|dei|degli|del",
    "meno di|dei|degli|del",
    "fino|sino a|ad|ai|al|agli",
    "pari a|ad|ai|al|agli",
    "pari quasi a|ad",
    "pari a|ad circa",
    "intorno|attorno a|ai|al|agli",
)
_DAY_PREFIXES = _prefixes(
    "il|l'|dal|dall'|al|all'|del|dell'|nel|nell'",
    "entro il|l'",
    "fino|sino al|all'",
    "a partire dal|dall'",
)
_MONTH_PREFIXES = _prefixes(
    "nel|a|in|da|dal|del|entro", "fino|sino a", "a partire da|dal", "nel mese di"
)
_YEAR_PREFIXES = _prefixes(  # a bare year is not a DATE span: one of these is required
    "nel|dal|del|al|entro",
    "entro il",
    "fino|sino al",
    "a partire dal",
    "nel corso del",
    "nell'|dell'|dall'|l' anno",
)

# Any leap year: tells "7 marzo" (valid, needs a reference) from "31 febbraio" (never valid).
_LEAP_YEAR_DAY = dt.date(2000, 1, 1)

_DAY_FORMS = [str(d) for d in range(1, 32)] + [f"0{d}" for d in range(1, 10)]
_DAY_FORMS += [f"{d}{mark}" for d in ("1", "01") for mark in ("º", "°", "ª")] + ["primo"]
_YEAR_FORMS = [str(y) for y in range(YEAR_MIN, YEAR_MAX + 1)]


def _amount_patterns() -> list[Pattern]:
    num_digit: dict[str, Any] = {"LIKE_NUM": True}
    num_word: dict[str, Any] = {"LOWER": {"REGEX": _NUM_WORD_TOKEN_RE}}
    glued: dict[str, Any] = {"LOWER": {"REGEX": _GLUED_SCALE_TOKEN_RE}}
    scale = _lower(*_SCALE_TOKENS)
    half = [_lower("e"), _lower("mezzo")]
    cur = [
        _lower("di", "d'", op="?"),
        _lower(*_CURRENCIES),
        _lower(*_CURRENCY_ADJ_WORDS, op="?"),
    ]
    cur_prefix = _lower(*_CURRENCY_PREFIXES)
    bodies: list[Pattern] = [[glued], [glued, *cur]]
    for num in (num_digit, num_word):
        bodies += [
            [num, scale],
            [num, scale, *half],
            [num, scale, *cur],
            [num, scale, *half, *cur],
            [num, *cur],
            [cur_prefix, num],
            [cur_prefix, num, scale],
            [cur_prefix, num, scale, *half],
        ]
    return bodies


def _date_patterns() -> dict[str, list[Pattern]]:
    """Date patterns keyed by the lead-ins they accept (day, month or year first)."""
    day = _lower(*_DAY_FORMS)
    month = _lower(*_MONTHS)
    month_full = _lower(*_MONTHS_FULL)
    dot: dict[str, Any] = {"ORTH": ".", "OP": "?"}
    del_ = _lower("del", op="?")
    year: dict[str, Any] = {"ORTH": {"IN": _YEAR_FORMS}}
    small: dict[str, Any] = {"ORTH": {"REGEX": r"^\d{1,2}$"}, "SPACY": False}
    dash: dict[str, Any] = {"ORTH": "-", "SPACY": False}
    return {
        "AEROKG_DATE_DAY": [
            [day, month, dot, del_, year],
            [day, month_full],
            [{"ORTH": {"REGEX": r"^\d{1,2}([./-])\d{1,2}\1\d{4}$"}}],  # 07/03/2017, 7.3.2017
            [small, dash, small, dash, year],  # 07-03-2017 (tokenised in five)
            [{**year, "SPACY": False}, dash, small, dash, {"ORTH": {"REGEX": r"^\d{1,2}$"}}],
        ],
        "AEROKG_DATE_MONTH": [[month, dot, del_, year]],
        "AEROKG_DATE_YEAR": [[year]],
    }


def _extend_left(doc: Doc, start: int, prefixes: Sequence[Prefix]) -> int | None:
    """Start of the longest lead-in ending at ``start``, None when there is none."""
    for prefix in prefixes:
        begin = start - len(prefix)
        if begin >= 0 and all(doc[begin + k].lower_ in forms for k, forms in enumerate(prefix)):
            return begin
    return None


class QuantityRecognizer:
    """Find amounts (MONEY, CARDINAL) and dates (DATE) and write them to ``doc.spans``.

    Labels: ``MONEY`` (a number with a currency), ``CARDINAL`` (a number with a scale word,
    *mila*, *milioni*, *mln*, *miliardi*, *mld*, but no currency; plain numbers are not spans),
    ``DATE`` (day-month-year, month-year, numeric dates, day-month, and years introduced by
    *nel*, *dal*, *del*, *al*, *entro (il)*, *fino al*, *nell'anno* ...; a bare year is not a
    span). Lead-ins are always inside the span: *oltre*, *pari quasi a* ... for amounts; *il*,
    *nel*, *dal*, *entro il* ... for dates (``"nel 2016"`` has ``iso_date`` ``"2016"``).

    Stateless apart from ``spans_key``; the matcher is built once, and looks only near a digit,
    a month, a scale word or a currency
    (:class:`~pipeline.nlp.anchored_matcher.AnchoredMatcher`). Each span gets ``span._.value``,
    ``._.currency``, ``._.qualifier`` (amounts) or ``._.iso_date`` (dates).
    ``doc.user_data["reference_date"]`` (a ``datetime.date``), when present, resolves dates
    without a year. ``doc.ents`` is left alone.

    >>> import spacy
    >>> nlp = spacy.blank("it")
    >>> _ = nlp.add_pipe("aerokg_quantities")
    >>> doc = nlp("Nel 2016 ha esportato oltre 9 milioni di euro.")
    >>> [(s.text, s.label_) for s in doc.spans["quantities"]]
    [('Nel 2016', 'DATE'), ('oltre 9 milioni di euro', 'MONEY')]
    >>> span = doc.spans["quantities"][1]
    >>> span._.value, span._.currency, span._.qualifier
    (9000000.0, 'EUR', 'more_than')
    """

    def __init__(self, vocab: Vocab, name: str = "aerokg_quantities", *, spans_key: str) -> None:
        self.name = name
        self.spans_key = spans_key
        self.matcher = AnchoredMatcher(vocab)
        self.matcher.add("AEROKG_AMOUNT", _amount_patterns())
        for key, patterns in _date_patterns().items():
            self.matcher.add(key, patterns)
        strings = vocab.strings
        # match id -> (is an amount, accepted lead-ins, is a lead-in required)
        self._kinds: dict[int, tuple[bool, tuple[Prefix, ...], bool]] = {
            strings["AEROKG_AMOUNT"]: (True, _AMOUNT_PREFIXES, False),
            strings["AEROKG_DATE_DAY"]: (False, _DAY_PREFIXES, False),
            strings["AEROKG_DATE_MONTH"]: (False, _MONTH_PREFIXES, False),
            strings["AEROKG_DATE_YEAR"]: (False, _YEAR_PREFIXES, True),
        }

    @staticmethod
    def _has_scale(span: Span) -> bool:
        return any(t.lower_ in _SCALES or _GLUED_SCALE_RE.match(t.lower_) for t in span)

    def __call__(self, doc: Doc) -> Doc:
        reference = _reference_date(doc.user_data.get("reference_date"))
        found: list[Span] = []
        attrs_of: dict[tuple[int, int], dict[str, Any] | None] = {}
        for match_id, start, end in self.matcher(doc):
            is_amount, prefixes, required = self._kinds[match_id]
            lead = _extend_left(doc, start, prefixes)
            if lead is None and required:
                continue
            start = start if lead is None else lead
            if (start, end) in attrs_of:
                continue
            span = doc[start:end]
            attrs: dict[str, Any] | None
            if is_amount:
                amount = normalise_amount(span.text)
                if amount is None or not (amount.currency or self._has_scale(span)):
                    continue  # plain numbers ("5 franchi": no known currency) are not spans
                label = MONEY if amount.currency else CARDINAL
                attrs = {
                    "value": amount.value,
                    "currency": amount.currency,
                    "qualifier": amount.qualifier,
                }
            else:
                label = DATE
                iso = normalise_date(span.text, reference)
                # A day and month without a year is kept without a reference (iso_date None).
                # An impossible date ("31 febbraio 2017") is kept as a blocker (attrs None) so
                # that its shorter sub-match ("febbraio 2017") cannot win, then dropped.
                valid = iso is not None or (
                    reference is None and normalise_date(span.text, _LEAP_YEAR_DAY) is not None
                )
                attrs = {"iso_date": iso} if valid else None
            attrs_of[(start, end)] = attrs
            found.append(Span(doc, start, end, label=label))
        spans = []
        for span in filter_spans(found):
            attrs = attrs_of[(span.start, span.end)]
            if attrs is None:
                continue
            for attr, value in attrs.items():
                setattr(span._, attr, value)
            spans.append(span)
        doc.spans[self.spans_key] = spans
        return doc


def _reference_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


@Language.factory("aerokg_quantities", default_config={"spans_key": "quantities"})
def make_quantity_recognizer(nlp: Language, name: str, spans_key: str) -> QuantityRecognizer:
    """spaCy factory for :class:`QuantityRecognizer` (``nlp.add_pipe("aerokg_quantities")``)."""
    return QuantityRecognizer(nlp.vocab, name, spans_key=spans_key)
