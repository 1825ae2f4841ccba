"""pipeline/nlp/spacy_cli.py: spaCy imported after ``pipeline`` leaves its command line until
used, and whatever uses it gets it whole. Each case runs in a fresh interpreter (this one may
have imported spaCy already)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest


def run_python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_importing_spacy_after_pipeline_leaves_its_command_line_until_used():
    out = run_python("""
        import sys
        import pipeline
        import spacy
        from pipeline.nlp import spacy_cli
        heavy = [m for m in ("requests", "typer", "weasel", "jinja2") if m in sys.modules]
        assert heavy == [], heavy
        assert spacy_cli.deferred() and spacy.cli is sys.modules["spacy.cli"]
        nlp = spacy.blank("it")  # spaCy works without it
        assert [t.text for t in nlp("La NASA e l'ASI")] == ["La", "NASA", "e", "l'", "ASI"]
        info = spacy.info()  # the first use imports it
        assert info["spacy_version"] == spacy.__version__
        assert not spacy_cli.deferred() and "typer" in sys.modules
        import spacy.cli.info
        assert spacy.cli is sys.modules["spacy.cli"] and callable(spacy.cli.download)
        assert sys.modules["spacy.cli.info"].info is spacy.cli.info
        print("ok")
    """)
    assert out == "ok"


@pytest.mark.parametrize("use", [
    "from spacy.cli import download; assert callable(download)",
    "import spacy.cli; assert callable(spacy.cli.download)",
    "from spacy.cli.info import info_model; assert callable(info_model)",
])
def test_any_use_of_the_command_line_gets_the_real_package(use):
    out = run_python(f"""
        import sys
        import pipeline
        import spacy
        {use}
        from pipeline.nlp import spacy_cli
        assert not spacy_cli.deferred()
        assert type(sys.modules["spacy.cli"]).__name__ == "module"
        print("ok")
    """)
    assert out == "ok"


def test_a_command_module_imported_first_is_not_imported_twice():
    """training/spacy_train.py imports spacy.cli.train: it is loaded from its file under the
    stand-in, and the real package, imported later, takes that same module."""
    out = run_python("""
        import sys
        import pipeline
        from spacy.cli._util import parse_config_overrides
        from spacy.cli.train import train
        train_module = sys.modules["spacy.cli.train"]
        import spacy
        spacy.cli.setup_cli  # the real package now
        assert sys.modules["spacy.cli.train"] is train_module
        assert spacy.cli.train is train_module and callable(spacy.cli.train_cli)
        print("ok")
    """)
    assert out == "ok"


def test_spacy_imported_before_pipeline_is_left_alone():
    out = run_python("""
        import sys
        import spacy
        import pipeline
        from pipeline.nlp import spacy_cli
        assert not spacy_cli.deferred() and "typer" in sys.modules
        assert spacy_cli.defer_spacy_cli() is False
        print("ok")
    """)
    assert out == "ok"


def test_the_shipped_model_loads_and_parses_with_the_command_line_deferred():
    out = run_python("""
        import sys
        import pipeline
        from pipeline.nlp import spacy_cli
        from pipeline.nlp.loader import load_nlp
        nlp = load_nlp(None)
        doc = nlp("Il presidente della Regione Lazio ha incontrato l'ASI a Roma nel 2016.")
        assert spacy_cli.deferred() and "requests" not in sys.modules
        print(sorted({e.label_ for e in doc.ents}), len(doc.spans["quantities"]))
    """)
    labels, quantities = out.rsplit(" ", 1)
    assert "ORG" in labels and quantities == "1"
