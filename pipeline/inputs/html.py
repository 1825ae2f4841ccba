"""HTML pages to article text and metadata (BeautifulSoup with the stdlib ``html.parser``).

Scripts, styles, navigation, page header and footer, asides and the like are dropped; block
elements (paragraphs, headings, list items, ...) become paragraphs separated by a blank
line, ``<br>`` a line break. Metadata when the page has it: ``<title>`` (else ``og:title``)
as title, ``og:url`` or ``<link rel=canonical>`` as url, ``<meta name=date>`` or
``article:published_time`` as date (ISO date part only).

>>> meta, text = html_to_text("<title>T</title><p>Uno <b>due</b></p><script>x()</script><p>Tre")
>>> meta["title"], text
('T', 'Uno due\\n\\nTre')
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bs4 import BeautifulSoup

DROPPED = ("script", "style", "noscript", "template", "nav", "header", "footer", "aside",
           "form", "button", "iframe", "svg", "canvas", "select")
BLOCKS = ("p", "div", "section", "article", "main", "blockquote", "pre", "h1", "h2", "h3",
          "h4", "h5", "h6", "li", "dt", "dd", "tr", "table", "ul", "ol", "dl", "figure",
          "figcaption", "address", "hr")
_PARAGRAPH, _LINE = "\ue000", "\ue001"  # private-use marks, removed before parsing
_DOCTYPE = re.compile(r"\A\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>])", re.I | re.S)
_TAG = re.compile(r"</?(?:html|head|body|title|meta|link|script|style|p|br|div|span|a|img|"
                  r"h[1-6]|ul|ol|li|table|tr|td|article|section|nav|header|footer|strong|em|b|i)"
                  r"\b[^<>]{0,2000}>", re.I)
_MIN_TAGS = 5
_DATE_PART = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?")
_DATE_META = ("date", "article:published_time", "dc.date", "dcterms.date", "pubdate",
              "publish-date", "og:published_time")


def looks_like_html(text: str) -> bool:
    """A doctype or ``<html>`` at the start, or at least a few HTML tags."""
    if _DOCTYPE.match(text[:5000]):
        return True
    return len(_TAG.findall(text[:100_000])) >= _MIN_TAGS


def html_to_text(markup: str) -> tuple[dict[str, str], str]:
    """``(metadata, text)`` of an HTML page; metadata keys: title, url, date."""
    from bs4 import BeautifulSoup  # imported here: 0.14 s, and most corpora have no HTML

    soup = BeautifulSoup(markup.replace(_PARAGRAPH, "").replace(_LINE, ""), "html.parser")
    meta = _metadata(soup)
    for element in soup.find_all(DROPPED):
        element.decompose()
    if soup.head:
        soup.head.decompose()
    for title in soup.find_all("title"):  # a stray <title> outside <head>
        title.decompose()
    for element in soup.find_all("br"):
        element.replace_with(_LINE)
    for element in soup.find_all(BLOCKS):
        element.insert_before(_PARAGRAPH)
        element.append(_PARAGRAPH)
    return meta, _paragraphs(soup.get_text())


def _paragraphs(text: str) -> str:
    paragraphs = []
    for block in text.split(_PARAGRAPH):
        lines = (" ".join(line.split()) for line in block.split(_LINE))
        paragraph = "\n".join(line for line in lines if line)
        if paragraph:
            paragraphs.append(paragraph)
    return "\n\n".join(paragraphs)


def _metadata(soup: BeautifulSoup) -> dict[str, str]:
    meta: dict[str, str] = {}
    title = soup.find("title")
    title_text = " ".join(title.get_text().split()) if title else ""
    if title_text or _meta_content(soup, "og:title"):
        meta["title"] = title_text or _meta_content(soup, "og:title")
    url = _meta_content(soup, "og:url") or _canonical(soup)
    if url:
        meta["url"] = url
    date = next(filter(None, (_meta_content(soup, name) for name in _DATE_META)), "")
    if date:
        found = _DATE_PART.match(date)
        meta["date"] = found.group(0) if found else date
    return meta


def _meta_content(soup: BeautifulSoup, name: str) -> str:
    for attribute in ("property", "name", "itemprop"):
        tag = soup.find("meta", attrs={attribute: re.compile(rf"^{re.escape(name)}$", re.I)})
        if tag and str(tag.get("content", "")).strip():
            return str(tag["content"]).strip()
    return ""


def _canonical(soup: BeautifulSoup) -> str:
    for link in soup.find_all("link", href=True):
        if "canonical" in [r.lower() for r in link.get("rel") or []]:
            return str(link["href"]).strip()
    return ""
