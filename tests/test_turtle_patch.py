"""graph.ttl patched by subject blocks (pipeline.export.turtle_patch): always the bytes a
rebuild writes, and a rebuild whenever a patch cannot be trusted."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, serialize

from pipeline.export.rdf import stream_turtle, triple_lines
from pipeline.export.turtle_patch import (
    TurtleIndex,
    line_chunks,
    patch_turtle,
    subject_lines,
    update_turtle,
)

BASE = "https://w3id.org/aerokg/"
XSD = "http://www.w3.org/2001/XMLSchema#"

# subjects shared between articles (entities), with IRIs that sort tricky: one a prefix of
# another, a non-ASCII one, a prefixed-name one
SHARED = [f"{BASE}org/asi", f"{BASE}org/asi/esa", f"{BASE}org/agenzia-é", f"{BASE}place/torino",
          f"{BASE}person/mario-rossi"]
PREDICATES = ["http://www.w3.org/2000/01/rdf-schema#label", "https://schema.org/name",
              "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", f"{BASE}ontology#memberOf"]


def article_nquads(rng: random.Random, article: str, version: int) -> bytes:
    """An article graph file: its own subjects, some shared ones, literals of every kind."""
    graph = NamedNode(f"{BASE}graph/{article}")
    own = [f"{BASE}mention/{article}/{k}" for k in range(rng.randint(1, 4))]
    quads = []
    for subject in own + rng.sample(SHARED, rng.randint(0, 3)):
        for _ in range(rng.randint(1, 4)):
            predicate = NamedNode(rng.choice(PREDICATES))
            kind = rng.randrange(4)
            obj = (NamedNode(rng.choice(SHARED)) if kind == 0
                   else Literal(f'Il "ruolo" di {article} v{version}', language="it") if kind == 1
                   else Literal(str(rng.randint(0, 9)), datatype=NamedNode(XSD + "integer"))
                   if kind == 2 else Literal(f"Agenzia {rng.randint(0, 3)}\nà"))
            quads.append(Quad(NamedNode(subject), predicate, obj, graph))
    text = serialize(quads, None, RdfFormat.N_QUADS)
    return b"".join(sorted(set(text.splitlines(keepends=True))))


def run_nquads(articles: list[str], tag: str) -> bytes:
    run = NamedNode(f"{BASE}run/{tag}")
    quads = [Quad(run, NamedNode(PREDICATES[2]), NamedNode("http://www.w3.org/ns/prov#Activity"))]
    for article in articles:
        quads.append(Quad(run, NamedNode("http://www.w3.org/ns/prov#used"),
                          NamedNode(f"{BASE}article/{article}")))
        quads.append(Quad(NamedNode(f"{BASE}graph/{article}"),
                          NamedNode("http://www.w3.org/ns/prov#wasGeneratedBy"), run))
    return serialize(quads, None, RdfFormat.N_QUADS)


class Corpus:
    def __init__(self, folder: Path, seed: int) -> None:
        self.folder = folder
        self.rng = random.Random(seed)
        self.versions: dict[str, int] = {}
        folder.mkdir()

    def write(self, article: str) -> None:
        self.versions[article] = self.versions.get(article, 0) + 1
        (self.folder / f"{article}.nq").write_bytes(
            article_nquads(self.rng, article, self.versions[article]))

    def remove(self, article: str) -> None:
        del self.versions[article]
        (self.folder / f"{article}.nq").unlink()

    def files(self) -> tuple[list[Path], list[str]]:
        import hashlib

        paths = [self.folder / f"{a}.nq" for a in sorted(self.versions)]
        return paths, [hashlib.sha256(p.read_bytes()).hexdigest() for p in paths]

    def run(self) -> bytes:
        import hashlib

        tag = hashlib.sha256(repr(sorted(self.versions.items())).encode()).hexdigest()[:12]
        return run_nquads(sorted(self.versions), tag)


def rebuilt(tmp_path: Path, corpus: Corpus, run: bytes) -> tuple[bytes, TurtleIndex]:
    paths, _ = corpus.files()
    target, index = tmp_path / "rebuilt.ttl", tmp_path / "rebuilt-index.json"
    stream_turtle(run, paths, target, index_path=index)
    return target.read_bytes(), TurtleIndex.read(index)


@pytest.mark.parametrize("seed", range(6))
def test_patched_graph_ttl_is_the_rebuilt_one_byte_for_byte(
        tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    if seed % 2:  # files read in pieces of a few lines
        monkeypatch.setattr("pipeline.export.turtle_patch.CHUNK_BYTES", 300)
    corpus = Corpus(tmp_path / "graphs", seed)
    for k in range(30):
        corpus.write(f"a{k:03d}")
    out, index = tmp_path / "graph.ttl", tmp_path / "index.json"
    paths, shas = corpus.files()
    assert update_turtle(corpus.run(), paths, shas, out, index) == (
        stream_turtle(corpus.run(), paths, tmp_path / "plain.ttl"), "rebuilt")
    rng = random.Random(seed)
    for step in range(8):
        what = rng.choice(["change", "change", "add", "remove"])
        if what == "change":
            corpus.write(rng.choice(sorted(corpus.versions)))
        elif what == "add":
            corpus.write(f"b{step:03d}")
        else:
            corpus.remove(rng.choice(sorted(corpus.versions)))
        run = corpus.run()
        paths, shas = corpus.files()
        count, how = update_turtle(run, paths, shas, out, index)
        expected, expected_index = rebuilt(tmp_path, corpus, run)
        assert how == "patched", f"step {step} ({what})"
        assert out.read_bytes() == expected, f"step {step} ({what})"
        assert count == expected_index.triples
        assert TurtleIndex.read(index) == expected_index


def test_an_empty_graph_and_back(tmp_path: Path) -> None:
    corpus = Corpus(tmp_path / "graphs", 7)
    corpus.write("a000")
    out, index = tmp_path / "graph.ttl", tmp_path / "index.json"
    for k in range(1, 6):
        corpus.write(f"a{k:03d}")
    paths, shas = corpus.files()
    update_turtle(b"", paths, shas, out, index)
    corpus.remove("a000")
    paths, shas = corpus.files()
    assert update_turtle(b"", paths, shas, out, index)[1] == "patched"
    assert out.read_bytes() == rebuilt(tmp_path, corpus, b"")[0]


def test_it_rebuilds_when_the_patch_cannot_be_trusted(tmp_path: Path) -> None:
    corpus = Corpus(tmp_path / "graphs", 3)
    for k in range(20):
        corpus.write(f"a{k:03d}")
    out, index = tmp_path / "graph.ttl", tmp_path / "index.json"
    paths, shas = corpus.files()
    run = corpus.run()
    # no index yet
    assert patch_turtle(triple_lines(run), paths, shas, out, index) is None
    update_turtle(run, paths, shas, out, index)
    assert patch_turtle(triple_lines(run), paths, shas, out, index) is not None

    # graph.ttl edited by hand: not the file the index describes
    out.write_bytes(out.read_bytes() + b"# edited\n")
    assert patch_turtle(triple_lines(run), paths, shas, out, index) is None
    assert update_turtle(run, paths, shas, out, index)[1] == "rebuilt"

    # a graph file whose bytes are not the hash it is given
    corpus.write("a001")
    paths, shas = corpus.files()
    wrong = [("0" * 64 if p.name == "a001.nq" else s) for p, s in zip(paths, shas, strict=True)]
    assert patch_turtle(triple_lines(run), paths, wrong, out, index) is None

    # many files changed at once: a rebuild is as quick
    for k in range(10):
        corpus.write(f"a{k:03d}")
    paths, shas = corpus.files()
    assert patch_turtle(triple_lines(run), paths, shas, out, index) is None

    # an unreadable index, an index of another version
    index.write_text("{not json", encoding="utf-8")
    assert TurtleIndex.read(index) is None
    index.write_text(json.dumps({"version": 0}), encoding="utf-8")
    assert TurtleIndex.read(index) is None
    count, how = update_turtle(run, paths, shas, out, index)
    assert how == "rebuilt" and out.read_bytes() == rebuilt(tmp_path, corpus, run)[0]
    assert TurtleIndex.read(index) is not None


def test_a_failed_patch_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = Corpus(tmp_path / "graphs", 5)
    for k in range(20):
        corpus.write(f"a{k:03d}")
    out, index = tmp_path / "graph.ttl", tmp_path / "index.json"
    paths, shas = corpus.files()
    update_turtle(corpus.run(), paths, shas, out, index)
    before = out.read_bytes(), index.read_bytes()
    corpus.write("a002")
    paths, shas = corpus.files()

    def broken(*args: object, **kwargs: object) -> bytes:
        raise RuntimeError("serialiser failed")

    monkeypatch.setattr("pipeline.export.turtle_patch._turtle_body", broken)
    with pytest.raises(RuntimeError):
        patch_turtle(triple_lines(corpus.run()), paths, shas, out, index)
    assert (out.read_bytes(), index.read_bytes()) == before


def test_line_chunks_end_with_whole_lines(tmp_path: Path) -> None:
    source = tmp_path / "lines"
    lines = [b"a" * n + b"\n" for n in (0, 3, 50, 7, 1, 120, 2)] + [b"no newline at the end"]
    source.write_bytes(b"".join(lines))
    for size in (1, 5, 64, 1000):
        chunks = list(line_chunks(source, size))
        assert b"".join(chunks) == source.read_bytes()
        assert all(chunk.endswith(b"\n") for chunk in chunks[:-1])
    source.write_bytes(b"")
    assert list(line_chunks(source)) == []


def test_subject_lines_finds_a_subjects_lines_in_a_sorted_graph_file() -> None:
    data = (b'<s> <p> "1" <g> .\n<s/x> <p> "2" <g> .\n<s/x> <q> <s> <g> .\n'
            b'<t> <p> "3" <g> .')
    assert subject_lines(data, b"<s>") == [b'<s> <p> "1" <g> .\n']
    assert subject_lines(data, b"<s/x>") == [b'<s/x> <p> "2" <g> .\n', b'<s/x> <q> <s> <g> .\n']
    assert subject_lines(data, b"<t>") == [b'<t> <p> "3" <g> .\n']
    assert subject_lines(data, b"<u>") == []
    assert subject_lines(data, b"<p>") == []  # an object or predicate is not a subject
