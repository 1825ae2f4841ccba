"""Export stage, XML helpers shared by the GraphML and GEXF writers: escaping, XML 1.0
characters only, and the attribute types both formats declare (``string``, ``boolean``,
``long``, ``double``, as networkx names Python's ``str``, ``bool``, ``int``, ``float``)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from pipeline.mapping.vocab import xml_text

__all__ = ["key_types", "value_text", "xml_attribute", "xml_content"]


def key_types(datas: Iterable[dict]) -> dict[str, str]:
    """Attribute name -> XML type (GraphML's and GEXF's names), in the order names first appear.

    >>> key_types([{"label": "a", "n": 1}, {"n": 2.5, "ok": True}])
    {'label': 'string', 'n': 'double', 'ok': 'boolean'}
    """
    seen: dict[str, set[type]] = {}
    for data in datas:
        for name, value in data.items():
            if value is not None:
                seen.setdefault(str(name), set()).add(type(value))
    return {name: _xml_type(types) for name, types in seen.items()}


def _xml_type(types: set[type]) -> str:
    kinds = {_KIND.get(t) or next((k for base, k in _BASES if issubclass(t, base)), "string")
             for t in types}
    if len(kinds) == 1:
        return kinds.pop()
    return "string" if "string" in kinds or "boolean" in kinds else "double"


_KIND = {str: "string", bool: "boolean", int: "long", float: "double"}
_BASES = ((bool, "boolean"), (int, "long"), (float, "double"))


def value_text(value: object) -> str:
    """A value as written in XML: ``str(value)``, booleans ``true``/``false``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@lru_cache(maxsize=1 << 16)
def xml_content(text: str) -> str:
    r"""``text`` as XML character data: XML 1.0 characters only, ``& < >`` escaped.

    Cached (a graph repeats its values: types, article ids, labels, in nodes and in edges):
    a third of the GraphML writer's time.

    >>> xml_content("R&D <b>\x00")
    'R&amp;D &lt;b&gt;'
    """
    return _replaced(xml_text(text), _CONTENT_ESCAPES)


@lru_cache(maxsize=1 << 16)
def xml_attribute(text: str) -> str:
    r"""``text`` as a double-quoted XML attribute value: as :func:`xml_content`, plus ``"``, tab
    and line breaks as character references (an XML parser would turn them into spaces).

    >>> xml_attribute('a "b"\nc')
    'a &quot;b&quot;&#10;c'
    """
    return _replaced(xml_content(text), _ATTRIBUTE_ESCAPES)


_CONTENT_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\r", "&#13;"))
_ATTRIBUTE_ESCAPES = (('"', "&quot;"), ("\n", "&#10;"), ("\t", "&#9;"))


def _replaced(text: str, escapes: tuple[tuple[str, str], ...]) -> str:
    for char, reference in escapes:  # "in" first: most values need none of them
        if char in text:
            text = text.replace(char, reference)
    return text
