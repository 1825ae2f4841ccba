"""Why a file (or one record of it) is not an article.

Each reason is a subclass of :class:`CorpusError`; its ``status`` says whether the input was
*skipped* (nothing wrong with the file, it just holds no Italian article: empty, another
language) or *failed* (the file is broken or not an article file at all).
"""

from __future__ import annotations

SKIPPED = "skipped"
FAILED = "failed"


class CorpusError(ValueError):
    """A file that is not a readable article."""

    status = FAILED


class EmptyArticle(CorpusError):
    """No text: an empty file, whitespace only, or header/front matter only."""

    status = SKIPPED


class NotItalian(CorpusError):
    """The text is in another language (kept with ``force_language=True``)."""

    status = SKIPPED


class BinaryFile(CorpusError):
    """A PDF, image, archive, executable... with a text file's name."""


class FileTooLarge(CorpusError):
    """Over the size limit; never read."""


class UndecodableText(CorpusError):
    """Bytes that are no known text encoding."""


class MalformedFile(CorpusError):
    """Invalid JSON, unclosed or invalid front matter, a record without text, an empty id."""


class DuplicateArticleId(CorpusError):
    """A second article with an id already read in this run."""


class FileVanished(CorpusError):
    """Deleted or renamed between discovery and reading."""


class UnreadableFile(CorpusError):
    """There, but cannot be read (permissions, not a regular file, I/O error)."""


class MissingPath(CorpusError):
    """An input path given on the command line that does not exist."""


class UnsupportedFileType(CorpusError):
    """An input file given explicitly whose extension is not an article format."""


class UnexpectedReadError(CorpusError):
    """Any other error while reading one file: a bug to report, never fatal to the batch."""
