"""A wheel of aerokg has what a plain `pip install` (e.g. on Dask workers) needs: the ontology
files (as data files, found by pipeline.mapping.vocab), the shipped model and the named
queries. Built from a copy of the tracked files, so nothing is written into the repository."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("needs a git checkout to know the tracked files")
    source = tmp_path_factory.mktemp("source")
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                             check=True).stdout.decode().split("\0")
    for name in filter(None, tracked):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                            str(out), str(source)], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr[-2000:]
    [path] = out.glob("aerokg-*.whl")
    return zipfile.ZipFile(path)


def test_the_wheel_ships_the_ontologies_as_data_files(wheel):
    names = set(wheel.namelist())
    for file in ("aerokg.ttl", "shapes.ttl"):
        data = [n for n in names if n.endswith(f".data/data/share/aerokg/ontologies/{file}")]
        assert data, f"{file} is not in the wheel"
        assert wheel.read(data[0]) == (ROOT / "ontologies" / file).read_bytes()


def test_the_wheel_ships_the_model_and_the_named_queries(wheel):
    names = set(wheel.namelist())
    assert "pipeline/nlp/model/meta.json" in names
    assert "pipeline/nlp/model/config.cfg" in names
    queries = {Path(n).stem for n in names if n.startswith("pipeline/query/named/")
               and n.endswith(".rq")}
    assert {"entities", "roles", "quotes", "trade_flows"} <= queries
    assert "pipeline/dask_executor.py" in names and "pipeline/shards.py" in names


def test_vocab_finds_ontologies_installed_as_data_files(tmp_path, monkeypatch):
    """Where a wheel puts them ({prefix}/share/aerokg/ontologies), with no source tree."""
    import sysconfig

    from pipeline.mapping import vocab

    prefix = tmp_path / "venv"
    shared = prefix / "share" / "aerokg" / "ontologies"
    shared.mkdir(parents=True)
    shutil.copy(ROOT / "ontologies" / "aerokg.ttl", shared)
    fake_module = tmp_path / "site" / "pipeline" / "mapping" / "vocab.py"
    monkeypatch.setattr(vocab, "__file__", str(fake_module))
    monkeypatch.setattr(sysconfig, "get_path", lambda name, *a, **k: str(prefix))
    assert vocab._ontologies_dir() == shared
