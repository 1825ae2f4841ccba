"""Issue 4's acceptance case: a folder mixing good articles with every kind of junk.

Every good article is processed, every bad file is reported with its reason and error class,
and the outputs are valid: Turtle/TriG parse in rdflib and pyoxigraph, SHACL conforms,
GraphML/GEXF load in networkx, the Cytoscape file is JSON.
"""

from __future__ import annotations

import json

import networkx as nx
import pyoxigraph
import pytest
from click.testing import CliRunner
from conftest import make_tiny_nlp
from rdflib import Dataset, Graph

from pipeline.cli import cli
from pipeline.validate import validate_output

GOOD = {
    "utf8.txt": (b"Mario Rossi ha incontrato a Roma i dirigenti della FIAT per parlare di "
                 b"satelliti e di accordi industriali."),
    "bom.txt": "\ufeffLa FIAT di Torino ha firmato un accordo con Mario Bianchi a Roma.".encode(),
    "utf16.txt": ("A Roma la FIAT ha presentato un nuovo programma spaziale con Mario Verdi, "
                  "con la partecipazione della città.").encode("utf-16"),
    "cp1252.txt": ("Perché la FIAT di Torino è tornata a Roma? «Una città che cresce», ha detto "
                   "Mario Rossi: costo 3 milioni di €.").encode("cp1252"),
    "pagina.html": (b"<html><head><title>Accordo</title><script>var x = 1;</script></head><body>"
                    b"<p>La FIAT ha firmato a Roma un accordo con Mario Bianchi per lo spazio.</p>"
                    b"</body></html>"),
    "crlf.md": (b"---\r\ntitle: Note\r\n---\r\nMario Verdi della FIAT ha parlato a Roma.\r\n"
                b"Seconda riga.\r\n"),
}
BAD = {
    "vuoto.txt": (b"   \n\n", "skipped", "EmptyArticle"),
    "documento.txt": (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "failed", "BinaryFile"),
    "foto.txt": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "failed", "BinaryFile"),
    "archivio.txt": (b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "failed", "BinaryFile"),
    "inglese.txt": ((b"The European Space Agency said on Tuesday that the launch of the new rocket "
                     b"has been postponed to next year because of technical problems with the "
                     b"upper stage engine, officials said in Paris."),
                    "skipped", "NotItalian"),
    "enorme.txt": (b"parola " * 20_000, "failed", "FileTooLarge"),
    "zz-doppio.md": (b"---\nid: utf8\n---\nTesto con lo stesso id di un altro articolo a Roma.",
                     "failed", "DuplicateArticleId"),
}


@pytest.fixture(autouse=True)
def _no_domain_layer(monkeypatch):
    monkeypatch.setattr("pipeline.nlp.loader.ensure_domain_layer", lambda nlp: nlp)


def test_junk_folder_keeps_every_good_article_and_reports_every_bad_file(tmp_path):
    folder = tmp_path / "notizie"
    folder.mkdir()
    for name, data in GOOD.items():
        (folder / name).write_bytes(data)
    for name, (data, _, _) in BAD.items():
        (folder / name).write_bytes(data)
    model = tmp_path / "tiny"
    make_tiny_nlp().to_disk(model)
    out = tmp_path / "out"

    result = CliRunner().invoke(cli, ["run", str(folder), "-o", str(out), "--model", str(model),
                                      "--max-bytes", "100000"])

    assert result.exit_code == 1, result.output  # some files were skipped or failed
    report = json.loads((out / "run-report.json").read_text(encoding="utf-8"))
    processed = {a["article"] for a in report["articles"] if a["status"] == "processed"}
    assert processed == {name.rsplit(".", 1)[0] for name in GOOD}
    problems = {p["file"].rsplit("/", 1)[-1]: p for p in report["problems"]}
    for name, (_, status, error_class) in BAD.items():
        assert problems[name]["status"] == status, name
        assert problems[name]["error_class"] == error_class, name
        assert problems[name]["reason"], name
    assert "utf8.txt" in problems["zz-doppio.md"]["reason"]  # names both files
    for name in BAD:
        assert name in result.output  # named in the end-of-run summary

    trig = (out / "graph.trig").read_bytes()
    dataset = Dataset()
    dataset.parse(data=trig, format="trig")
    assert len(dataset) > 0
    Graph().parse(out / "graph.ttl", format="turtle")
    store = pyoxigraph.Store()
    store.load(trig, format=pyoxigraph.RdfFormat.TRIG)
    assert len(store) > 0
    pyoxigraph.Store().load(path=str(out / "graph.ttl"), format=pyoxigraph.RdfFormat.TURTLE)
    assert validate_output(out).conforms
    assert nx.read_graphml(out / "graph.graphml").number_of_nodes() > 0
    assert nx.read_gexf(out / "graph.gexf").number_of_nodes() > 0
    json.loads((out / "graph.cyjs").read_text(encoding="utf-8"))
    # the decoded texts reached the graph intact
    literals = {str(o) for _, _, o, _ in dataset.quads()}
    assert any("Perché la FIAT" in text for text in literals)
