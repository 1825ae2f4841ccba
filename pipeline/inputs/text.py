"""Bytes of a file to clean text: refuse binary content, detect the encoding, normalise.

Binary files are told by content, never by extension: magic bytes of common formats (PDF,
images, archives and Office files, executables, media), then NUL bytes or a high share of
control bytes in the first block.

Decoding, first match wins:

1. UTF-32 / UTF-16 with a BOM, UTF-16 without BOM when every other byte is NUL (neither
   can be UTF-8: no UTF-8 text starts with those BOMs or holds NULs);
2. UTF-8 with or without BOM (strict);
3. mostly UTF-8 with a few stray Windows-1252 bytes (files pasted together): UTF-8, the stray
   bytes read as Windows-1252;
4. Windows-1252 (else ISO-8859-15) when it reads as Western European text: Latin letters, at
   most a few of them accented, typographic quotes and dashes, the euro sign. Italian comes
   first here: on short texts charset-normalizer often prefers cp1250, mac_latin2 or even
   UTF-16 for "perché" or "città", which would be mojibake;
5. otherwise charset-normalizer's best guess; nothing plausible is :class:`UndecodableText`.

Then newlines become ``\\n``, Unicode is NFC, and control characters other than ``\\n`` and
``\\t`` (C0, DEL, C1) and the XML non-characters U+FFFE/U+FFFF are dropped: they would break
the XML outputs later.

>>> decode("perché costa 5 €".encode("cp1252"))
'perché costa 5 €'
>>> clean_text("a\\r\\nb\\rc\\x07")
'a\\nb\\nc'
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from pipeline.inputs.errors import BinaryFile, UndecodableText

SNIFF_BYTES = 8192
_MAX_CONTROL_SHARE = 0.10

# (pattern at the start of the file, what it is)
_MAGIC: tuple[tuple[re.Pattern[bytes], str], ...] = tuple(
    (re.compile(pattern, re.DOTALL), name)
    for pattern, name in (
        (rb"\A%PDF-", "PDF document"),
        (rb"\A\x89PNG\r\n\x1a\n", "PNG image"),
        (rb"\A\xff\xd8\xff", "JPEG image"),
        (rb"\AGIF8[79]a", "GIF image"),
        (rb"\A(?:II\*\x00|MM\x00\*)", "TIFF image"),
        (rb"\ARIFF....WEBP", "WebP image"),
        (rb"\ARIFF....(?:WAVE|AVI )", "RIFF audio/video file"),
        (rb"\A....ftyp", "MP4/QuickTime video or HEIC image"),
        (rb"\AID3[\x02-\x04]\x00", "MP3 audio"),
        (rb"\AOggS", "Ogg audio/video"),
        (rb"\AfLaC", "FLAC audio"),
        (rb"\APK\x03\x04.{26}\[Content_Types\]\.xml",
         "Office Open XML document (.docx/.xlsx/.pptx)"),
        (rb"\APK\x03\x04.{26}mimetypeapplication/vnd\.oasis", "OpenDocument file (.odt/.ods)"),
        (rb"\APK\x03\x04.{26}mimetypeapplication/epub", "EPUB e-book"),
        (rb"\APK(?:\x03\x04|\x05\x06|\x07\x08)", "ZIP archive (or .docx/.xlsx/.odt document)"),
        (rb"\A\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
         "Microsoft Office 97-2003 document (.doc/.xls/.ppt)"),
        (rb"\A\{\\rtf", "RTF document"),
        (rb"\A\x1f\x8b", "gzip archive"),
        (rb"\ABZh[1-9]1AY&SY", "bzip2 archive"),
        (rb"\A\xfd7zXZ\x00", "xz archive"),
        (rb"\A\x28\xb5\x2f\xfd", "zstd archive"),
        (rb"\A7z\xbc\xaf\x27\x1c", "7z archive"),
        (rb"\ARar!\x1a\x07", "RAR archive"),
        (rb"\A.{257}ustar", "tar archive"),
        (rb"\A\x7fELF", "ELF executable"),
        (rb"\AMZ.{0,4}\x00", "Windows executable"),
        (rb"\A(?:\xca\xfe\xba\xbe|\xcf\xfa\xed\xfe|\xce\xfa\xed\xfe)", "Mach-O or Java class file"),
        (rb"\ASQLite format 3\x00", "SQLite database"),
        (rb"\AwOF[F2]", "web font"),
    )
)
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: same first two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CONTROL_BYTES = bytes([*range(0x00, 0x09), *range(0x0E, 0x1B), *range(0x1C, 0x20), 0x7F])
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_HIGH_BYTES = bytes(range(0x80, 0x100))
# Windows-1252 characters that Western European text uses: Latin-1 letters, typographic
# punctuation, euro; not the rarer symbols a wrong guess produces (¤ ¦ ¹ ³ ˆ Š ...).
_WESTERN = frozenset(
    "ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝßàáâãäåæçèéêëìíîïñòóôõöøùúûüýÿŒœ"
    "‘’‚“”„–—…•·«»€°ºª§©®™\u00a0¡¿´¨×"
)
_MAX_ACCENTED_SHARE = 0.3
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]")


def sniff_binary(head: bytes) -> None:
    """Raise :class:`BinaryFile` naming the format if the first block is not text."""
    for pattern, name in _MAGIC:
        if pattern.match(head):
            raise BinaryFile(f"{name}, not text")
    if not head or _utf_bom(head) or _bomless_utf16(head):
        return
    if b"\x00" in head:
        raise BinaryFile("binary file (contains NUL bytes), not text")
    share = len(head) - len(head.translate(None, _CONTROL_BYTES))
    if share / len(head) > _MAX_CONTROL_SHARE:
        raise BinaryFile(f"binary file ({share / len(head):.0%} control bytes), not text")


def decode(data: bytes) -> str:
    """Bytes of a text file as str (see the module docstring for the order of tries)."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    # UTF-32/16 first only when told by a BOM or by NULs, which UTF-8 text never has
    codec = _utf_bom(data) or _bomless_utf16(data[:SNIFF_BYTES])
    if codec:
        try:
            return data.decode(codec)
        except UnicodeDecodeError as err:
            raise UndecodableText(f"invalid {codec.upper()} text at byte {err.start}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if _mostly_utf8(data):
        return data.decode("utf-8", errors="aerokg-cp1252")
    western = _as_western(data)
    if western is not None:
        return western
    return _charset_normalizer(data)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """Newlines to ``\\n``, NFC, no control characters but ``\\n`` and ``\\t``, and no lone
    surrogates (JSON ``"\\ud800"`` escapes decode to them; they cannot be written as UTF-8):
    each becomes U+FFFD, so offsets into the text stay the same."""
    text = _LONE_SURROGATE.sub("\ufffd", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n\n").replace("\x85", "\n")
    text = _CONTROL_CHARS.sub("", text).replace("\ufeff", "")
    return unicodedata.normalize("NFC", text)


def _utf_bom(data: bytes) -> str | None:
    return next((codec for bom, codec in _BOMS if data.startswith(bom)), None)


def _bomless_utf16(head: bytes) -> str | None:
    """'utf-16-le'/'-be' when every other byte is NUL (Latin text saved as UTF-16, no BOM)."""
    even, odd = head[0:len(head) & ~1:2], head[1:len(head) & ~1:2]
    if len(even) < 2:
        return None
    even_nul, odd_nul = even.count(0) / len(even), odd.count(0) / len(odd)
    if odd_nul > 0.7 and even_nul < 0.05:
        return "utf-16-le"
    if even_nul > 0.7 and odd_nul < 0.05:
        return "utf-16-be"
    return None


def _mostly_utf8(data: bytes) -> bool:
    """Valid UTF-8 sequences outnumber the stray high bytes around them."""
    sequences = _UTF8_MULTIBYTE.findall(data)
    if not sequences:
        return False
    high = len(data) - len(data.translate(None, _HIGH_BYTES))
    stray = high - sum(len(s) for s in sequences)
    return len(sequences) >= stray


def _cp1252_fallback(err: UnicodeDecodeError) -> tuple[str, int]:
    chunk = err.object[err.start:err.end]
    return "".join(_cp1252_char(byte) for byte in chunk), err.end


def _cp1252_char(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:  # 0x81 0x8d 0x8f 0x90 0x9d: a C1 control, dropped later
        return chr(byte)


codecs.register_error("aerokg-cp1252", _cp1252_fallback)


def _as_western(data: bytes) -> str | None:
    """The Windows-1252 (or ISO-8859-15) reading if it is Western European text, else None."""
    for codec in ("cp1252", "iso8859_15"):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if _looks_western(text):
            return text
    return None


def _looks_western(text: str) -> bool:
    special = [c for c in text if not c.isascii()]
    if any(c not in _WESTERN for c in special):
        return False
    letters = sum(c.isalpha() for c in text)
    accented = sum(c.isalpha() for c in special)
    return not letters or accented / letters <= _MAX_ACCENTED_SHARE


def _charset_normalizer(data: bytes) -> str:
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise UndecodableText(
            "cannot tell the text encoding (not UTF-8, UTF-16 or Windows-1252); "
            "re-save the file as UTF-8"
        )
    return str(best)
