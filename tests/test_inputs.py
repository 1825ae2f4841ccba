"""Real-world input junk at the corpus edge (issue 4): encodings, binaries, sizes, empty
files, other languages, HTML, duplicates, vanishing files, unsafe ids, lazy reading."""

from __future__ import annotations

import codecs
import io
import json
import unicodedata
import zipfile
from pathlib import Path

import pytest

import pipeline.corpus as corpus
from pipeline.corpus import (
    MAX_ID_CHARS,
    Article,
    Problem,
    iter_corpus,
    read_corpus,
)

ITALIAN = (
    "La Regione Lombardia e il governo del Québec hanno firmato ieri a Milano un accordo di "
    "cooperazione nel settore aerospaziale, che prevede scambi di ricercatori, progetti "
    "comuni tra le università e missioni delle imprese dei due distretti."
)
ENGLISH = (
    "The regional government and the aerospace cluster signed an agreement yesterday in the "
    "city hall, which provides for exchanges of researchers, joint projects between the "
    "universities and trade missions of the companies of both districts."
)
CP1252_TEXT = "“Perché la città?” – l’assessore: costa 5 € però è già così… «sì»"


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def read_one(path: Path, **kwargs) -> Article | Problem:
    [item] = list(iter_corpus([path], **kwargs))
    return item


# 1. decoding and normalisation


@pytest.mark.parametrize(
    "encode",
    [
        lambda s: s.encode("utf-8"),
        lambda s: codecs.BOM_UTF8 + s.encode("utf-8"),
        lambda s: codecs.BOM_UTF16_LE + s.encode("utf-16-le"),
        lambda s: codecs.BOM_UTF16_BE + s.encode("utf-16-be"),
        lambda s: s.encode("cp1252"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-le-bom", "utf-16-be-bom", "cp1252"],
)
def test_encodings_decode_to_the_exact_text(tmp_path, encode):
    article = read_one(write(tmp_path / "a.txt", encode(CP1252_TEXT)))
    assert isinstance(article, Article), article
    assert article.text == CP1252_TEXT


def test_short_cp1252_words_are_not_mojibake(tmp_path):
    # charset-normalizer alone reads these as cp1250/mac_latin2/UTF-16
    for number, word in enumerate(["perché", "Città di Forlì", "Però", "Il costo è di 20 €"]):
        article = read_one(write(tmp_path / f"w{number}.txt", word.encode("cp1252")))
        assert article.text == word


def test_utf8_with_a_few_stray_cp1252_bytes(tmp_path):
    data = "La città di Forlì e perché no. ".encode() + "l’accordo".encode("cp1252")
    assert read_one(write(tmp_path / "mixed.txt", data)).text == (
        "La città di Forlì e perché no. l’accordo")


def test_utf16_with_a_broken_tail_is_undecodable(tmp_path):
    problem = read_one(write(tmp_path / "u.txt", codecs.BOM_UTF16_LE + b"a\x00b"))
    assert (problem.error_class, problem.status) == ("UndecodableText", "failed")
    assert "UTF-16" in problem.message


def test_newlines_become_lf(tmp_path):
    article = read_one(write(tmp_path / "n.txt", b"title: T\r\n\r\nUno.\r\nDue.\rTre."))
    assert article.title == "T" and article.text == "Uno.\nDue.\nTre."


def test_nfd_becomes_nfc(tmp_path):
    nfd = unicodedata.normalize("NFD", "Perché è già così")
    assert nfd != "Perché è già così"
    assert read_one(write(tmp_path / "nfd.txt", nfd)).text == "Perché è già così"


def test_control_characters_are_dropped_but_tabs_and_newlines_kept(tmp_path):
    article = read_one(write(tmp_path / "c.txt", "Uno\x07 due\x0b\x1b\tTre\x7f\x9c\nquattro\x0c"))
    assert article.text == "Uno due\tTre\nquattro"


def test_control_characters_in_json_metadata_are_dropped(tmp_path):
    record = {"title": "Tito\x08lo", "text": "Testo\x00 del\u0085giorno."}
    article = read_one(write(tmp_path / "r.json", json.dumps(record)))
    assert (article.title, article.text) == ("Titolo", "Testo del\ngiorno.")


# 2. binary content, whatever the extension


def _docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notizia.txt", "testo")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "content, named",
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\n", "PDF document"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "JPEG image"),
        (b"GIF89a\x01\x00\x01\x00", "GIF image"),
        (_zip_bytes(), "ZIP archive"),
        (_docx_bytes(), ".docx"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "gzip archive"),
        (b"\x7fELF\x02\x01\x01", "ELF executable"),
        (b"testo\x00con\x00nul", "NUL bytes"),
        (bytes(range(1, 32)) * 4, "control bytes"),
    ],
)
def test_binary_files_saved_as_txt_are_refused(tmp_path, content, named):
    problem = read_one(write(tmp_path / "notizia.txt", content))
    assert isinstance(problem, Problem)
    assert (problem.error_class, problem.status) == ("BinaryFile", "failed")
    assert named in problem.message and "not text" in problem.message


# 3. size


def test_oversize_file_is_refused_without_being_read(tmp_path, monkeypatch):
    path = write(tmp_path / "dump.txt", "parola " * 1000)

    def no_reading(*args, **kwargs):
        raise AssertionError("the file was opened")

    monkeypatch.setattr(Path, "open", no_reading)
    monkeypatch.setattr(Path, "read_bytes", no_reading)
    problem = read_one(path, max_bytes=1000)
    assert (problem.error_class, problem.status) == ("FileTooLarge", "failed")
    assert "7,000 bytes" in problem.message and "1,000-byte limit" in problem.message


def test_a_file_never_has_more_than_max_bytes_read(tmp_path, monkeypatch):
    path = write(tmp_path / "grows.txt", "parola " * 1000)
    real_stat = Path.stat

    class SmallStat:  # the file "grew" after stat: still at most max_bytes + 1 are read
        def __init__(self, info):
            self.st_mode, self.st_size = info.st_mode, 10

    monkeypatch.setattr(Path, "stat", lambda self, **kw: SmallStat(real_stat(self, **kw)))
    problem = corpus.read_file(path, max_bytes=1000)
    [problem] = list(problem)
    assert problem.error_class == "FileTooLarge" and "grew" in problem.message


def test_default_limit_is_five_megabytes():
    assert corpus.MAX_BYTES == 5_000_000


# 4. empty articles


@pytest.mark.parametrize(
    "name, content",
    [
        ("empty.txt", b""),
        ("blank.txt", " \n\t\r\n  "),
        ("header.txt", "title: Solo titolo\ndate: 2020-01-01\n\n   \n"),
        ("front.md", "---\ntitle: Solo titolo\n---\n\n"),
        ("blank.html", "<html><head><title>T</title></head><body><nav>menu</nav></body></html>"),
        ("empty.json", "[]"),
    ],
)
def test_empty_articles_are_skipped(tmp_path, name, content):
    problem = read_one(write(tmp_path / name, content))
    assert (problem.error_class, problem.status) == ("EmptyArticle", "skipped")
    assert problem.message.startswith("empty article")


def test_empty_json_record_is_skipped_and_the_others_read(tmp_path):
    write(tmp_path / "r.jsonl", json.dumps({"text": "  "}) + "\n" + json.dumps({"text": "Sì."}))
    result = read_corpus([tmp_path])
    assert [a.id for a in result.articles] == ["r-2"]
    [problem] = result.problems
    assert problem.path.endswith("r.jsonl#1") and problem.status == "skipped"


# 5. language


def test_english_article_is_skipped_unless_forced(tmp_path):
    write(tmp_path / "en.txt", ENGLISH)
    problem = read_one(tmp_path / "en.txt")
    assert (problem.error_class, problem.status) == ("NotItalian", "skipped")
    assert "'en'" in problem.message
    article = read_one(tmp_path / "en.txt", force_language=True)
    assert isinstance(article, Article) and article.language == "en"


def test_italian_article_is_marked_italian(tmp_path):
    assert read_one(write(tmp_path / "it.txt", ITALIAN)).language == "it"


def test_short_texts_are_never_skipped_and_language_unknown(tmp_path):
    for name, text in [("corto.txt", "Accordo firmato a Milano."),
                       ("short.txt", "Agreement signed in Milan today.")]:
        article = read_one(write(tmp_path / name, text))
        assert isinstance(article, Article) and article.language == "unknown"


def test_language_is_decided_on_the_body_not_the_header(tmp_path):
    header = "title: " + ENGLISH + "\nsource: " + ENGLISH + "\n\n"
    assert read_one(write(tmp_path / "h.txt", header + ITALIAN)).language == "it"


def test_language_is_decided_on_the_first_sample_chars(tmp_path):
    """An Italian lead decides, however much English follows it (a long quotation)."""
    from pipeline.inputs.language import SAMPLE_CHARS

    lead = (ITALIAN + " ") * (SAMPLE_CHARS // len(ITALIAN) + 1)
    assert len(lead) >= SAMPLE_CHARS
    article = read_one(write(tmp_path / "lead.txt", lead + (" " + ENGLISH) * 50))
    assert article.language == "it"
    problem = read_one(write(tmp_path / "tail.txt", (ENGLISH + " ") * 50 + lead))
    assert problem.error_class == "NotItalian"


SAMPLES = [ITALIAN, ENGLISH, "El satélite fue lanzado ayer por la noche desde la base europea.",
           "Le satellite a été lancé hier soir depuis la base européenne de Kourou.",
           "Der Satellit wurde gestern Abend vom europäischen Weltraumbahnhof gestartet."]


@pytest.fixture
def packed_model():
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    reference = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return Path(MODEL_DIR) / MODEL_FILE, reference


def test_unpacked_model_classifies_as_py3langid_and_is_made_once(tmp_path, packed_model,
                                                                  monkeypatch):
    import lzma

    from pipeline.inputs import language

    packed, reference = packed_model
    language.unpacked_model(packed, tmp_path)
    (folder,) = [p for p in tmp_path.iterdir()]
    assert folder.name.startswith("langid-") and not folder.name.endswith(".tmp")

    def no_unpacking(*args, **kwargs):
        raise AssertionError("unpacked again")

    monkeypatch.setattr(lzma, "open", no_unpacking)  # the second time maps the files
    monkeypatch.setenv(language.CACHE_ENV, str(tmp_path))
    language._identifier.cache_clear()
    try:
        identifier = language._identifier()
        for text in SAMPLES:
            assert identifier.classify(text) == reference.classify(text)
    finally:
        language._identifier.cache_clear()
    assert [p.name for p in tmp_path.iterdir()] == [folder.name]


def test_a_damaged_unpacked_model_is_made_again(tmp_path, packed_model):
    from pipeline.inputs import language

    packed, reference = packed_model
    language.unpacked_model(packed, tmp_path)
    (folder,) = list(tmp_path.iterdir())
    ptc = folder / "ptc.npy"
    ptc.write_bytes(ptc.read_bytes()[: ptc.stat().st_size // 2])  # a truncated file
    arrays = language.unpacked_model(packed, tmp_path)
    assert arrays["ptc"].shape == reference.nb_ptc.shape
    assert [p.name for p in tmp_path.iterdir()] == [folder.name]


def test_without_a_usable_cache_directory_the_model_is_unpacked_in_memory(tmp_path,
                                                                          monkeypatch):
    from pipeline.inputs import language

    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv(language.CACHE_ENV, str(blocker / "cache"))
    language._identifier.cache_clear()
    try:
        assert language.identify(ITALIAN * 3).code == "it"
        assert language.identify(ENGLISH * 3).code == "en"
    finally:
        language._identifier.cache_clear()


def test_cache_directory_follows_the_environment(monkeypatch, tmp_path):
    from pipeline.inputs.language import CACHE_ENV, cache_directory

    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "mine"))
    assert cache_directory() == tmp_path / "mine"
    monkeypatch.delenv(CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_directory() == tmp_path / "xdg" / "aerokg"


# 6. HTML

PAGE = """<!DOCTYPE html>
<html lang="it"><head><meta charset="utf-8">
<title>Accordo tra Lombardia e Québec</title>
<meta property="og:url" content="https://esempio.it/accordo">
<meta property="article:published_time" content="2017-11-05T10:00:00+01:00">
<style>p { color: red }</style>
<script>var segreto = "NON DEVE USCIRE";</script>
</head><body>
<nav><a href="/">Home</a> <a href="/esteri">Esteri</a></nav>
<header>Testata del sito</header>
<article><h1>Accordo firmato</h1>
<p>La Regione Lombardia e il Québec hanno
firmato un accordo &amp; un protocollo.</p>
<p>Seconda frase<br>su due righe.</p></article>
<aside>Pubblicità</aside><footer>© 2017 Editore</footer>
<script>alert("NON DEVE USCIRE")</script><noscript>NON DEVE USCIRE</noscript>
</body></html>
"""


@pytest.mark.parametrize("name", ["pagina.html", "pagina.htm", "pagina.txt"])
def test_html_pages_are_stripped_to_text(tmp_path, name):
    article = read_one(write(tmp_path / name, PAGE))
    assert isinstance(article, Article), article
    assert article.title == "Accordo tra Lombardia e Québec"
    assert article.url == "https://esempio.it/accordo"
    assert article.date == "2017-11-05"
    assert article.text == (
        "Accordo firmato\n\n"
        "La Regione Lombardia e il Québec hanno firmato un accordo & un protocollo.\n\n"
        "Seconda frase\nsu due righe."
    )
    for gone in ("NON DEVE USCIRE", "color", "Home", "Testata", "Pubblicità", "Editore"):
        assert gone not in article.text


def test_html_canonical_link_and_meta_date(tmp_path):
    page = ('<html><head><link rel="canonical" href="https://esempio.it/c">'
            '<meta name="date" content="2020-02-03"></head><body><p>Testo.</p></body></html>')
    article = read_one(write(tmp_path / "c.html", page))
    assert (article.url, article.date, article.text) == ("https://esempio.it/c", "2020-02-03",
                                                         "Testo.")


def test_txt_with_a_few_angle_brackets_is_not_html(tmp_path):
    text = "Il valore è <5 e >3; la formula a<b resta tale."
    assert read_one(write(tmp_path / "t.txt", text)).text == text


# 7-8. streaming, vanishing files, Problem records


def test_iter_corpus_is_lazy(tmp_path, monkeypatch):
    for name in ("a.txt", "b.txt", "c.txt"):
        write(tmp_path / name, f"Articolo {name}.")
    reads: list[str] = []
    real = corpus._read_bytes
    monkeypatch.setattr(corpus, "_read_bytes",
                        lambda path, *args: reads.append(path.name) or real(path, *args))
    items = iter_corpus([tmp_path])
    assert reads == []
    first = next(items)
    assert first.id == "a" and reads == ["a.txt"]
    assert [item.id for item in items] == ["b", "c"] and reads == ["a.txt", "b.txt", "c.txt"]


def test_file_deleted_between_discovery_and_reading(tmp_path):
    write(tmp_path / "a.txt", "Primo.")
    write(tmp_path / "b.txt", "Secondo.")
    write(tmp_path / "c.txt", "Terzo.")
    items = iter_corpus([tmp_path])
    assert next(items).id == "a"
    (tmp_path / "b.txt").unlink()  # discovery is done: b is on the list
    rest = list(items)
    assert rest[0] == Problem(str(tmp_path / "b.txt"), "file vanished before it could be read",
                              "failed", "FileVanished")
    assert rest[1].id == "c"


def test_file_replaced_by_a_directory_is_unreadable_not_a_crash(tmp_path):
    write(tmp_path / "a.txt", "Primo.")
    write(tmp_path / "b.txt", "Secondo.")
    items = iter_corpus([tmp_path])
    assert next(items).id == "a"
    (tmp_path / "b.txt").unlink()
    (tmp_path / "b.txt").mkdir()
    [problem] = list(items)
    assert (problem.error_class, problem.status) == ("UnreadableFile", "failed")
    assert "not a regular file" in problem.message


def test_unexpected_errors_in_one_file_do_not_stop_the_batch(tmp_path, monkeypatch):
    write(tmp_path / "a.html", "<p>Primo.</p>")
    write(tmp_path / "b.txt", "Secondo.")

    def broken(markup):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(corpus, "html_to_text", broken)
    result = read_corpus([tmp_path])
    assert [a.id for a in result.articles] == ["b"]
    assert result.problems[0].error_class == "UnexpectedReadError"
    assert "RecursionError" in result.problems[0].message


def test_problem_keeps_its_two_field_form():
    problem = Problem("x.txt", "perché sì")
    assert (problem.status, problem.error_class) == ("failed", "CorpusError")


def test_path_problems_have_classes(tmp_path):
    write(tmp_path / "note.pdf", b"%PDF-1.4")
    result = read_corpus([tmp_path / "missing", tmp_path / "note.pdf"])
    assert [(p.error_class, p.status) for p in result.problems] == [
        ("MissingPath", "failed"), ("UnsupportedFileType", "failed")]


def test_malformed_files_are_failed(tmp_path):
    write(tmp_path / "a.json", "{broken")
    write(tmp_path / "b.md", "---\ntitle: [unclosed\n---\nTesto.")
    result = read_corpus([tmp_path])
    assert [(p.error_class, p.status) for p in result.problems] == [
        ("MalformedFile", "failed"), ("MalformedFile", "failed")]


# 9. duplicate ids


def test_duplicate_ids_name_both_files_and_keep_the_first(tmp_path):
    first = write(tmp_path / "a" / "notizia.txt", "Prima.")
    second = write(tmp_path / "b" / "notizia.md", "Seconda.")
    result = read_corpus([tmp_path])
    assert [a.text for a in result.articles] == ["Prima."]
    [problem] = result.problems
    assert (problem.error_class, problem.status) == ("DuplicateArticleId", "failed")
    assert problem.path == str(second)
    assert str(first) in problem.message and str(second) in problem.message


# 10. safe ids


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("../../etc/passwd", "etc-passwd"),
        ("..", ""),
        (".nascosto", "nascosto"),
        ("a/b\\c:d", "a-b-c-d"),
        ("La città / 2017", "La-città-2017"),
        ("seed-article", "seed-article"),
    ],
)
def test_ids_are_sanitised(raw, expected):
    assert corpus.safe_id(raw) == expected


def test_traversal_id_from_metadata_is_harmless(tmp_path):
    article = read_one(write(tmp_path / "x.md", "---\nid: ../../etc/passwd\n---\nTesto."))
    assert article.id == "etc-passwd"
    problem = read_one(write(tmp_path / "y.md", "---\nid: ../..\n---\nTesto."))
    assert problem.error_class == "MalformedFile" and "id is empty" in problem.message


def test_long_ids_are_cut_with_a_hash(tmp_path):
    long_a, long_b = "a" * 300, "a" * 299 + "b"
    id_a, id_b = corpus.safe_id(long_a), corpus.safe_id(long_b)
    assert len(id_a) == len(id_b) == MAX_ID_CHARS
    assert id_a != id_b and id_a.startswith("a" * 100)
    assert corpus.safe_id(long_a) == id_a  # stable
    article = read_one(write(tmp_path / (long_a[:200] + ".txt"), "Testo."))
    assert len(article.id) == MAX_ID_CHARS
