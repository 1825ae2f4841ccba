"""Shard files (pipeline.shards): what a Dask worker writes and the driver reads back. A shard
exists only whole; a cut-out article graph is checked against its hash; the folder can be a
local path or an fsspec URL."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from pipeline.corpus import Article
from pipeline.shards import ShardFolder, build_shard, shard_key
from pipeline.workers import ArticleResult

STAMP = {"aerokg_version": "9.9", "model_name": "it_test", "model_version": "1.0.0",
         "model_meta_sha256": "0" * 64}


def nquads(article_id: str) -> bytes:
    return (f"<https://ex.org/{article_id}> <https://ex.org/p> \"x\" "
            f"<https://ex.org/graph/{article_id}> .\n").encode()


def ok(article_id: str) -> ArticleResult:
    data = nquads(article_id)
    return ArticleResult(article_id, nquads=data, graph_sha256=hashlib.sha256(data).hexdigest(),
                         counts={"entities": 1}, warnings=["w"], fragments=b'{"f": 1}',
                         seconds={"nlp": 0.1})


def a_shard(ids=("a", "b", "c"), failing=("b",)):
    articles = [Article(id=i, text=f"testo {i}") for i in ids]
    shas = [hashlib.sha256(i.encode()).hexdigest() for i in ids]
    results = [ArticleResult(i, error=("nlp", "ValueError", "boom")) if i in failing else ok(i)
               for i in ids]
    key = shard_key(STAMP, zip(ids, shas, strict=True))
    return build_shard(key, STAMP, articles, shas, results, {"task": 1.0})


@pytest.fixture(params=["path", "file-url"])
def folder(request, tmp_path):
    """The same folder as a plain path and through fsspec (``file://`` URL)."""
    where = tmp_path / "shards"
    return ShardFolder(where if request.param == "path" else where.as_uri())


def test_a_written_shard_reads_back_whole(folder):
    shard = a_shard()
    folder.write(shard)
    back = folder.read(shard.key)
    assert back is not None and back.stamp == STAMP and folder.keys() == [shard.key]
    by_id = {a.id: a for a in back.articles}
    assert [a.id for a in back.articles] == ["a", "b", "c"]
    assert back.graph_bytes(by_id["a"]) == nquads("a")
    assert back.graph_bytes(by_id["c"]) == nquads("c")
    assert by_id["b"].status == "failed"
    assert by_id["b"].error == {"stage": "nlp", "error_class": "ValueError", "reason": "boom"}
    assert by_id["a"].counts == {"entities": 1} and by_id["a"].fragments == '{"f": 1}'
    assert folder.exists(shard.key, STAMP)
    assert not folder.exists(shard.key, STAMP | {"model_version": "2.0.0"})
    assert sorted(folder.index(STAMP)) == sorted(
        [("a", a_shard().articles[0].sha256, shard.key),
         ("c", a_shard().articles[2].sha256, shard.key)])
    assert list(folder.index(STAMP | {"aerokg_version": "0"})) == []


def test_the_key_depends_on_ids_contents_order_and_stamp():
    pairs = [("a", "1" * 64), ("b", "2" * 64)]
    key = shard_key(STAMP, pairs)
    assert key != shard_key(STAMP, pairs[::-1])
    assert key != shard_key(STAMP, [("a", "1" * 64), ("b", "3" * 64)])
    assert key != shard_key(STAMP | {"model_version": "2"}, pairs)
    assert key == shard_key(dict(reversed(STAMP.items())), pairs)


def test_a_shard_without_its_manifest_or_with_other_bytes_does_not_exist(tmp_path):
    folder = ShardFolder(tmp_path)
    shard = a_shard()
    folder.write(shard)
    nq, manifest = (tmp_path / n for n in ShardFolder.file_names(shard.key))
    nq.write_bytes(nq.read_bytes().replace(b'"x"', b'"y"'))  # same size, other bytes
    assert folder.read(shard.key) is None
    nq.write_bytes(shard.nquads[:-5])  # cut short
    assert folder.read(shard.key) is None
    folder.write(shard)
    manifest.unlink()  # the .nq file came, the manifest never did
    assert folder.read(shard.key) is None and folder.keys() == []
    manifest.write_text("{not json")
    assert folder.read(shard.key) is None


def test_a_manifest_of_another_key_or_format_is_ignored(tmp_path):
    folder = ShardFolder(tmp_path)
    shard = a_shard()
    folder.write(shard)
    _, manifest = (tmp_path / n for n in ShardFolder.file_names(shard.key))
    data = json.loads(manifest.read_text())
    manifest.write_text(json.dumps(data | {"format": 99}))
    assert folder.read(shard.key) is None
    manifest.write_text(json.dumps(data | {"key": "f" * 24}))
    assert folder.read(shard.key) is None


def test_a_cut_out_graph_is_checked_against_its_hash(tmp_path):
    shard = a_shard()
    entry = shard.articles[0]
    entry.length -= 1
    with pytest.raises(ValueError, match="does not match its sha256"):
        shard.graph_bytes(entry)


def test_remove_all_leaves_nothing_of_ours_and_nothing_else_is_touched(tmp_path):
    folder = ShardFolder(tmp_path)
    shard = a_shard()
    folder.write(shard)
    other = a_shard(ids=("d",), failing=())
    folder.write(other)
    nq_name, _ = ShardFolder.file_names(other.key)
    (tmp_path / ShardFolder.file_names(other.key)[1]).unlink()  # an orphan .nq file
    (tmp_path / f".{nq_name}.x1y2.tmp").write_bytes(b"half")  # a killed writer's temp file
    (tmp_path / "notes.txt").write_text("mine")
    assert folder.remove_all() == 1
    assert sorted(os.listdir(tmp_path)) == ["notes.txt"]


@pytest.mark.parametrize("key", ["../../etc", "ABCDEF0123456789abcdef01", "abc"])
def test_a_key_is_never_a_path(tmp_path, key):
    with pytest.raises(ValueError, match="not a shard key"):
        ShardFolder(tmp_path).read(key)
