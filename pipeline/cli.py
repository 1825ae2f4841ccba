"""The `aerokg` command line: a thin click layer over the library; no logic of its own.

Library errors become ``click.ClickException`` here and nowhere else.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

import pipeline

MODEL_HELP = (
    "spaCy pipeline: a directory or an installed package name (it_core_news_sm). "
    "Default: $AEROKG_MODEL, then [nlp] model in aerokg.toml, then the shipped model."
)


def model_option(func):
    return click.option("--model", "-m", metavar="NAME_OR_PATH", default=None, help=MODEL_HELP)(
        func
    )


def _load(model: str | None):
    from pipeline.nlp.loader import ConfigError, ModelNotFoundError, load_nlp

    try:
        return load_nlp(model)
    except (ModelNotFoundError, ConfigError) as err:
        raise click.ClickException(str(err)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(pipeline.__version__, prog_name="aerokg")
def cli() -> None:
    """aerokg: Italian news on aerospace cooperation -> an RDF knowledge graph."""


@cli.command()
@model_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def info(model: str | None, as_json: bool) -> None:
    """Show versions, the model in use, where it is on disk and its components.

    Example:

        aerokg info --json
    """
    import spacy

    from pipeline.nlp.loader import describe

    facts = {"aerokg_version": pipeline.__version__, "spacy_version": spacy.__version__}
    facts |= describe(_load(model))
    if as_json:
        click.echo(json.dumps(facts, indent=2, ensure_ascii=False))
        return
    width = max(len(k) for k in facts)
    for key, value in facts.items():
        shown = ", ".join(value) if isinstance(value, list) else value
        click.echo(f"{key:<{width}}  {shown}")


@cli.command("evaluate-ner")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@model_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def evaluate_ner_command(file: Path, model: str | None, as_json: bool) -> None:
    """Score the NER of the NLP stage on a KIND-format FILE (token TAB label).

    Prints entity-level exact-span precision/recall/F1, overall and per label, and the
    token-level micro F1 of the NERMuD scorer.

    Example:

        aerokg evaluate-ner ../shared/data/kind/WN_dev.tsv --json
    """
    from pipeline.nlp.evaluate import NerFileError, evaluate_ner

    nlp = _load(model)
    try:
        result = evaluate_ner(nlp, file)
    except NerFileError as err:
        raise click.ClickException(str(err)) from None
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    ent = result["entity"]
    click.echo(
        f"{result['sentences']} sentences, {result['words']} words, {result['seconds']} s "
        f"({result['words'] / max(result['seconds'], 1e-9):,.0f} words/s)"
    )
    click.echo(f"{'label':<8} {'P':>7} {'R':>7} {'F1':>7} {'support':>8}")
    for label, s in result["per_label"].items():
        click.echo(
            f"{label:<8} {s['precision']:>7.4f} {s['recall']:>7.4f} {s['f1']:>7.4f} "
            f"{s['support']:>8}"
        )
    click.echo(f"{'overall':<8} {ent['precision']:>7.4f} {ent['recall']:>7.4f} {ent['f1']:>7.4f}")
    click.echo(f"token-level micro F1 (NERMuD): {result['token_micro_f1']:.4f}")


def main() -> None:
    cli()
