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


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--out", "-o", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("outputs"), show_default=True, help="Output directory.")
@model_option
def run(paths: tuple[Path, ...], out_dir: Path, model: str | None) -> None:
    """Build the knowledge graph of the articles in PATHS (default: corpus/).

    PATHS are files or directories of .txt, .md, .json and .jsonl articles. Writes
    graph.ttl, graph.trig, graph.graphml, graph.gexf, graph.cyjs and run-report.json
    into OUT_DIR. Bad articles are reported and skipped; the exit code is 1 only when no
    article could be processed.

    Example:

        aerokg run corpus/ -o outputs/
    """
    from pipeline.runner import run as run_pipeline
    from pipeline.runner import terminal_progress

    result = run_pipeline(paths or (Path("corpus"),), out_dir, model=_checked_model(model),
                          progress=terminal_progress)
    for problem in result.report["problems"]:
        click.echo(f"skipped {problem['path']}: {problem['error']}", err=True)
    for entry in result.report["articles"]:
        if entry["status"] != "ok":
            click.echo(f"failed {entry['article']}: {entry['error']}", err=True)
    click.echo(result.summary)
    if result.report["totals"]["articles_ok"] == 0:
        raise click.ClickException("no article could be processed")


def _checked_model(model: str | None) -> str | None:
    _load(model)  # fail early, with the install hint, before reading anything
    return model


@cli.command()
@click.argument("name_or_file")
@click.option("--out", "-o", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("outputs"), show_default=True, help="Output directory of a run.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "tsv", "json"]),
              default="table", show_default=True)
@click.option("--param", "-p", "params", metavar="NAME=VALUE", multiple=True,
              help="Bind the query variable ?NAME to VALUE: a plain string literal, or an IRI "
                   "if written <...>. Repeatable. NAME must be a column of the query.")
def query(name_or_file: str, out_dir: Path, fmt: str, params: tuple[str, ...]) -> None:
    """Run a named competency query, or a SPARQL file, over OUT_DIR's graph.

    Named queries: entities, roles, locations, events, event_participants, trade_flows,
    memberships, partnerships, quotes (columns as in the competency-question spec).

    --param NAME=VALUE binds the variable ?NAME to VALUE before the query runs (SPARQL
    substitution: VALUE is never pasted into the query text, so quotes or braces in it are
    just characters of a string). VALUE is a string literal, or an IRI if written <...>;
    ?NAME must be one of the query's columns, which then keeps only rows equal to VALUE.

    Examples:

    \b
        aerokg query roles --out outputs/ --format csv
        aerokg query roles --param person="Angelo Vallerani"
        aerokg query my.rq --param org='<https://w3id.org/aerokg/id/org/aerea>'
    """
    from pipeline.query.run import QueryError, format_rows, parse_params, run_query

    try:
        columns, rows = run_query(out_dir, name_or_file, params=parse_params(params))
    except QueryError as err:
        raise click.ClickException(str(err)) from None
    click.echo(format_rows(columns, rows, fmt), nl=False)


@cli.command()
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path),
                default=Path("outputs"))
def validate(out_dir: Path) -> None:
    """Check OUT_DIR's graphs (default: outputs/) against the SHACL shapes in ontologies/.

    Exit code 1 when any graph does not conform.

    Example:

        aerokg validate outputs/
    """
    from pipeline.validate import ValidationInputError, validate_output

    try:
        report = validate_output(out_dir)
    except ValidationInputError as err:
        raise click.ClickException(str(err)) from None
    for graph in report.graphs:
        status = "ok" if graph.conforms else f"{graph.violations} violations"
        click.echo(f"{status:>15}  {graph.graph}")
        if not graph.conforms:
            click.echo(graph.text, err=True)
    if not report.conforms:
        raise click.ClickException("some graphs do not conform to the shapes")
    click.echo(f"all {len(report.graphs)} graphs conform")


def main() -> None:
    cli()
