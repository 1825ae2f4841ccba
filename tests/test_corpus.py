"""Reading the corpus: formats, metadata, ids, and bad input that must not stop a batch."""

from __future__ import annotations

import json

import pytest

from pipeline.corpus import read_corpus


def write(path, content: str | bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_txt_with_header_lines(tmp_path):
    write(tmp_path / "a.txt", "title: Un titolo\ndate: 2017-03-08\nurl: http://x.it/a\n\nTesto.\n")
    [article] = read_corpus([tmp_path]).articles
    assert (article.id, article.title, article.date, article.url) == (
        "a", "Un titolo", "2017-03-08", "http://x.it/a")
    assert article.text == "Testo."


def test_txt_leading_date_marker_like_the_seed_article(tmp_path):
    write(tmp_path / "seed.txt", " date 2017-11 Palazzo Pirelli a Milano, 31esimo piano.\n\nAltro.")
    [article] = read_corpus([tmp_path]).articles
    assert article.date == "2017-11"
    assert article.text.startswith("Palazzo Pirelli a Milano")


def test_txt_whose_first_line_only_looks_like_a_header(tmp_path):
    write(tmp_path / "b.txt", "Nota: il testo comincia qui\ne continua senza riga vuota.")
    [article] = read_corpus([tmp_path]).articles
    assert article.text.startswith("Nota: il testo")
    assert article.title == ""


def test_markdown_front_matter_and_id_override(tmp_path):
    write(tmp_path / "x.md", "---\nid: art-7\ntitle: Lancio\ndate: 2020-01-02\n---\nIl razzo.\n")
    [article] = read_corpus([tmp_path]).articles
    assert (article.id, article.title, article.date, article.text) == (
        "art-7", "Lancio", "2020-01-02", "Il razzo.")


def test_json_and_jsonl_records(tmp_path):
    write(tmp_path / "one.json", json.dumps({"title": "T", "text": "Uno."}))
    write(tmp_path / "many.jsonl", json.dumps({"id": "k1", "text": "A."}) + "\n\n"
          + json.dumps({"text": "B."}) + "\n" + "{broken\n" + json.dumps({"id": "k3"}) + "\n")
    result = read_corpus([tmp_path])
    assert sorted(a.id for a in result.articles) == ["k1", "many-3", "one"]
    assert len(result.problems) == 2
    assert any("invalid JSON" in p.message for p in result.problems)
    assert any("'text'" in p.message for p in result.problems)


@pytest.mark.parametrize(
    "content, message, status",
    [
        (b"", "empty article (empty file)", "skipped"),
        (b"   \n\n", "empty article", "skipped"),
        (b"\x00\x01\x02binary", "binary file", "failed"),
        (b"title: solo header\n\n", "empty article", "skipped"),
    ],
)
def test_bad_files_are_reported_and_the_batch_goes_on(tmp_path, content, message, status):
    write(tmp_path / "bad.txt", content)
    write(tmp_path / "good.txt", "Un articolo valido.")
    result = read_corpus([tmp_path])
    assert [a.id for a in result.articles] == ["good"]
    [problem] = result.problems
    assert message in problem.message and problem.path.endswith("bad.txt")
    assert problem.status == status


def test_huge_file_is_refused(tmp_path):
    write(tmp_path / "huge.txt", "parola " * 1000)
    result = read_corpus([tmp_path], max_bytes=1000)
    assert result.articles == [] and "limit" in result.problems[0].message


def test_missing_path_unsupported_type_duplicates_and_order(tmp_path):
    write(tmp_path / "b" / "same.txt", "Due.")
    write(tmp_path / "a" / "same.md", "Uno.")
    write(tmp_path / "notes.pdf", b"%PDF")
    write(tmp_path / ".hidden" / "h.txt", "Nascosto.")
    write(tmp_path / "README.md", "Not an article.")
    result = read_corpus([tmp_path, tmp_path / "missing", tmp_path / "notes.pdf"])
    assert [a.text for a in result.articles] == ["Uno."]
    messages = sorted(p.message for p in result.problems)
    assert any("duplicate article id 'same'" in m for m in messages)
    assert any("no such file" in m for m in messages)
    assert any("unsupported file type" in m for m in messages)


def test_utf8_bom_and_unicode_ids(tmp_path):
    write(tmp_path / "città.txt", "\ufeffIl Québec e la Lombardia.")
    [article] = read_corpus([tmp_path]).articles
    assert article.id == "città"
    assert article.text.startswith("Il Québec")
