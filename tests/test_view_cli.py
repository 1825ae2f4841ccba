"""`aerokg view [OUT_DIR]`: opens OUT_DIR/graph.html in the default browser, prints the path
when there is none, and fails with exit code 2 (and what to do) when there is no graph.html.
The browser is replaced by a stub: nothing is opened."""

from __future__ import annotations

import webbrowser
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli


@pytest.fixture
def page(tmp_path) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    path = out / "graph.html"
    path.write_text("<!DOCTYPE html><title>g</title>", encoding="utf-8")
    return path


def test_opens_the_page_in_the_browser(page, monkeypatch):
    opened = []
    monkeypatch.setattr(webbrowser, "open", lambda url, *a, **k: opened.append(url) or True)
    result = CliRunner().invoke(cli, ["view", str(page.parent)])
    assert result.exit_code == 0, result.output
    assert opened == [page.resolve().as_uri()]
    assert "opened" in result.output


def test_default_out_dir_is_outputs(tmp_path, monkeypatch):
    # conftest runs every test in tmp_path
    (tmp_path / "outputs").mkdir()
    (tmp_path / "outputs" / "graph.html").write_text("<!DOCTYPE html>", encoding="utf-8")
    opened = []
    monkeypatch.setattr(webbrowser, "open", lambda url, *a, **k: opened.append(url) or True)
    result = CliRunner().invoke(cli, ["view"])
    assert result.exit_code == 0, result.output
    assert opened == [(tmp_path / "outputs" / "graph.html").resolve().as_uri()]


@pytest.mark.parametrize("behaviour", ["false", "error", "oserror"])
def test_without_a_browser_the_path_is_printed(page, monkeypatch, behaviour):
    def no_browser(url, *args, **kwargs):
        if behaviour == "error":
            raise webbrowser.Error("could not locate runnable browser")
        if behaviour == "oserror":
            raise OSError("no display")
        return False

    monkeypatch.setattr(webbrowser, "open", no_browser)
    result = CliRunner().invoke(cli, ["view", str(page.parent)])
    assert result.exit_code == 0, result.output
    assert str(page.resolve()) in result.output.splitlines()


def test_missing_page_tells_to_run_first(tmp_path, monkeypatch):
    monkeypatch.setattr(webbrowser, "open", lambda *a, **k: pytest.fail("nothing to open"))
    result = CliRunner().invoke(cli, ["view", str(tmp_path / "nothing")])
    assert result.exit_code == 2
    assert "graph.html not found" in result.output
    assert "aerokg run" in result.output
