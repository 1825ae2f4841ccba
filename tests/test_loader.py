"""The model loader: shipped model, --model, env var, config file, missing models."""

from __future__ import annotations

import json

import pytest
import spacy
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.nlp.loader import (
    SHIPPED_MODEL_PATH,
    ConfigError,
    ModelNotFoundError,
    load_nlp,
    resolve_model,
)


def test_resolution_order(monkeypatch, tmp_path):
    assert resolve_model().source == "default"
    (tmp_path / "aerokg.toml").write_text('[nlp]\nmodel = "from_config"\n')
    assert resolve_model().name_or_path == "from_config"
    monkeypatch.setenv("AEROKG_MODEL", "from_env")
    assert resolve_model().name_or_path == "from_env"
    assert resolve_model("from_arg").name_or_path == "from_arg"


def test_config_file_named_by_env_var(monkeypatch, tmp_path):
    config = tmp_path / "elsewhere.toml"
    config.write_text('[nlp]\nmodel = "x"\n')
    monkeypatch.setenv("AEROKG_CONFIG", str(config))
    assert resolve_model().source == "config"
    monkeypatch.setenv("AEROKG_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match="not a file"):
        resolve_model()


def test_broken_config_file(tmp_path):
    (tmp_path / "aerokg.toml").write_text("[nlp\nmodel = ")
    with pytest.raises(ConfigError, match="cannot read"):
        resolve_model()


def test_missing_package_says_how_to_install():
    if spacy.util.is_package("it_core_news_sm"):
        pytest.skip("it_core_news_sm is installed here")
    with pytest.raises(ModelNotFoundError) as err:
        load_nlp("it_core_news_sm")
    assert "python -m spacy download it_core_news_sm" in str(err.value)
    assert "aerokg[it-core-news-sm]" in str(err.value)


def test_missing_directory_and_non_pipeline_directory(tmp_path):
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        load_nlp(str(tmp_path / "no" / "model"))
    with pytest.raises(ModelNotFoundError, match="not a spaCy pipeline"):
        load_nlp(str(tmp_path))


def test_model_path_loads_and_gets_the_domain_layer(tiny_model_dir):
    nlp = load_nlp(str(tiny_model_dir))
    assert nlp.pipe_names[:2] == ["sentencizer", "entity_ruler"]
    assert {"aerokg_domain_ruler", "aerokg_quantities"} <= set(nlp.pipe_names)
    assert nlp.meta["aerokg"]["model_path"] == str(tiny_model_dir.resolve())


def test_env_var_selects_the_model(monkeypatch, tiny_model_dir):
    monkeypatch.setenv("AEROKG_MODEL", str(tiny_model_dir))
    assert load_nlp().meta["name"] == "tiny_test"


def test_cli_missing_model_fails_cleanly():
    if spacy.util.is_package("it_core_news_sm"):
        pytest.skip("it_core_news_sm is installed here")
    out = CliRunner().invoke(cli, ["info", "--model", "it_core_news_sm"])
    assert out.exit_code == 1
    assert "python -m spacy download it_core_news_sm" in out.output
    assert "Traceback" not in out.output


def test_cli_info_with_model_option(tiny_model_dir):
    out = CliRunner().invoke(cli, ["info", "--json", "--model", str(tiny_model_dir)])
    assert out.exit_code == 0, out.output
    facts = json.loads(out.output)
    assert facts["model_name"] == "it_tiny_test"
    assert facts["model_version"] == "0.0.1"
    assert facts["model_path"] == str(tiny_model_dir.resolve())
    assert "entity_ruler" in facts["pipeline"]
    assert facts["spacy_version"] == spacy.__version__


def test_shipped_model_is_the_default(shipped_nlp):
    out = CliRunner().invoke(cli, ["info", "--json"])
    assert out.exit_code == 0, out.output
    facts = json.loads(out.output)
    assert facts["model_path"] == str(SHIPPED_MODEL_PATH)
    assert facts["model_name"] == "it_aerokg_news"
    for component in ("tagger", "morphologizer", "parser", "ner", "aerokg_domain_ruler",
                      "aerokg_quantities"):
        assert component in facts["pipeline"]


def test_shipped_model_analyses_italian(shipped_nlp):
    doc = shipped_nlp("Angelo Vallerani, presidente del Lombardia Aerospace Cluster, parla a "
                      "Milano.")
    assert [t.text for t in doc][:3] == ["Angelo", "Vallerani", ","]
    assert doc[3].pos_ == "NOUN" and doc[3].lemma_ == "presidente"
    assert any(e.text == "Angelo Vallerani" and e.label_ == "PER" for e in doc.ents)
    assert any(e.text == "Milano" and e.label_ == "LOC" for e in doc.ents)
    assert doc.has_annotation("DEP")


def test_shipped_model_loads_with_plain_spacy_load():
    nlp = spacy.load(SHIPPED_MODEL_PATH)  # `import pipeline` (conftest) registered components
    assert "aerokg_quantities" in nlp.pipe_names


def test_cpu_backend_defaults_to_openblas_gemm(monkeypatch):
    from pipeline.nlp.loader import cpu_ops

    monkeypatch.delenv("AEROKG_GEMM", raising=False)
    assert cpu_ops().use_blis is False
    assert cpu_ops("blis").use_blis is True
    monkeypatch.setenv("AEROKG_GEMM", "blis")
    assert cpu_ops().use_blis is True


@pytest.mark.parametrize(("variable", "value"), [("AEROKG_GEMM", "mkl"),
                                                 ("AEROKG_BLAS_THREADS", "0"),
                                                 ("AEROKG_BLAS_THREADS", "two")])
def test_bad_cpu_backend_settings_are_clear_errors(monkeypatch, variable, value):
    from pipeline.nlp.loader import ConfigError, cpu_ops

    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=variable):
        cpu_ops()


def test_gemm_choice_builds_a_separate_pipeline(tiny_model_dir):
    from pipeline.nlp.loader import load_nlp

    blis = load_nlp(str(tiny_model_dir), gemm="blis")
    openblas = load_nlp(str(tiny_model_dir), gemm="openblas")
    assert blis is not openblas
    assert load_nlp(str(tiny_model_dir), gemm="blis") is blis


def test_entry_points_grouped_once_give_what_catalogue_would_find(monkeypatch):
    import catalogue

    from pipeline.nlp.loader import group_entry_points

    found = catalogue.AVAILABLE_ENTRY_POINTS
    if not hasattr(found, "select"):  # grouped already by an earlier load in this process
        found = __import__("importlib.metadata").metadata.entry_points()
        monkeypatch.setattr(catalogue, "AVAILABLE_ENTRY_POINTS", found)
    expected = {group: [e.name for e in found.select(group=group)] for group in found.groups}
    group_entry_points()
    grouped = catalogue.AVAILABLE_ENTRY_POINTS
    assert isinstance(grouped, dict) and not hasattr(grouped, "select")
    assert {group: [e.name for e in grouped[group]] for group in grouped} == expected
    assert "aerokg_entity_ruler" in expected["spacy_factories"]
    group_entry_points()  # a second call keeps it as it is
    assert catalogue.AVAILABLE_ENTRY_POINTS is grouped
    import spacy

    # a registry that reads entry points finds aerokg's through the grouped snapshot
    assert spacy.registry.misc.entry_points
    assert "aerokg.gazetteer_names.v1" in spacy.registry.misc.get_entry_points()
