"""evaluate-ner: KIND reader, span extraction and scores on a tiny file with known answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.nlp.evaluate import (
    NerFileError,
    evaluate_ner,
    label_spans,
    read_kind,
    score_ner,
)

TINY = Path(__file__).parent / "data" / "tiny-kind.tsv"

# Gold: PER Mario Rossi, LOC Roma, ORG FIAT, LOC Torino (bare labels in sentence 2).
# The tiny pipeline predicts PER Mario (wrong span), LOC Roma, ORG FIAT, ORG Torino (wrong type).
EXPECTED = {
    "entity": {"precision": 0.5, "recall": 0.5, "f1": 0.5},
    "per_label": {
        "LOC": {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "support": 2},
        "ORG": {"precision": 0.5, "recall": 1.0, "f1": 0.6667, "support": 1},
        "PER": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1},
    },
    # tokens: gold 5 typed, predicted 4 typed, 3 agree -> P .75, R .6
    "token_micro_f1": 0.6667,
}


def test_scores_on_tiny_file_match_hand_computed_values(tiny_nlp):
    result = evaluate_ner(tiny_nlp, TINY)
    for key, value in EXPECTED.items():
        assert result[key] == value
    assert result["sentences"] == 2
    assert result["words"] == 10


def test_cli_json_has_the_contract_keys(tiny_model_dir):
    out = CliRunner().invoke(
        cli, ["evaluate-ner", str(TINY), "--model", str(tiny_model_dir), "--json"]
    )
    assert out.exit_code == 0, out.output
    result = json.loads(out.output)
    assert set(result) >= {"entity", "per_label", "token_micro_f1", "sentences", "words",
                           "seconds"}
    assert result["entity"] == EXPECTED["entity"]
    assert result["per_label"]["ORG"] == EXPECTED["per_label"]["ORG"]


def test_cli_table_output(tiny_model_dir):
    out = CliRunner().invoke(cli, ["evaluate-ner", str(TINY), "--model", str(tiny_model_dir)])
    assert out.exit_code == 0, out.output
    assert "overall" in out.output and "0.5000" in out.output
    assert "token-level micro F1 (NERMuD): 0.6667" in out.output


@pytest.mark.parametrize(
    "labels, spans",
    [
        (["B-PER", "I-PER", "O"], {(0, 2, "PER")}),
        (["PER", "PER", "LOC"], {(0, 2, "PER"), (2, 3, "LOC")}),
        (["B-LOC", "B-LOC"], {(0, 1, "LOC"), (1, 2, "LOC")}),
        (["I-ORG", "I-ORG", "O", "I-ORG"], {(0, 2, "ORG"), (3, 4, "ORG")}),  # IOB1
        (["B-PER", "I-LOC"], {(0, 1, "PER"), (1, 2, "LOC")}),
        (["O", "O"], set()),
    ],
)
def test_label_spans(labels, spans):
    assert label_spans(labels) == spans


def test_perfect_and_empty_predictions():
    gold = read_kind(TINY)
    perfect = [label_spans(s.labels) for s in gold]
    assert score_ner(gold, perfect)["entity"]["f1"] == 1.0
    assert score_ner(gold, perfect)["token_micro_f1"] == 1.0
    nothing = score_ner(gold, [set(), set()])
    assert nothing["entity"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0}


def test_predicted_labels_outside_the_gold_set_are_ignored():
    gold = read_kind(TINY)
    predicted = [label_spans(s.labels) | {(2, 3, "MISC")} for s in gold]
    assert score_ner(gold, predicted)["entity"]["precision"] == 1.0


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "no sentences"),
        ("Roma\n", "expected 'token<TAB>label'"),
        ("Roma\tB-\n", "has no type"),
    ],
)
def test_bad_files_give_clear_errors(tmp_path, content, message):
    path = tmp_path / "bad.tsv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(NerFileError, match=message):
        read_kind(path)


def test_binary_and_missing_files(tmp_path, tiny_model_dir):
    binary = tmp_path / "bin.tsv"
    binary.write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(NerFileError, match="not UTF-8"):
        read_kind(binary)
    out = CliRunner().invoke(
        cli, ["evaluate-ner", str(tmp_path / "nope.tsv"), "--model", str(tiny_model_dir)]
    )
    assert out.exit_code == 1
    assert "no such file" in out.output
