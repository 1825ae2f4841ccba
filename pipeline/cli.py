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
@click.option("--strict", is_flag=True,
              help="Stop at the first failed or skipped article (exit code 1); the work done "
                   "so far is kept for the next run, the outputs are not rewritten.")
@click.option("--prune", is_flag=True,
              help="Remove from OUT_DIR the articles that are no longer in PATHS (without it "
                   "they are kept and reported as missing).")
@click.option("--full", is_flag=True,
              help="Process every article again, whatever the manifest says.")
@click.option("--force-language", is_flag=True,
              help="Keep articles in any language (default: non-Italian ones are skipped).")
@click.option("--max-bytes", type=click.IntRange(min=1), default=5_000_000, show_default=True,
              help="Larger input files are not read (reported as failed).")
@click.option("--workers", "-j", type=click.IntRange(min=0), default=None,
              help="Worker processes running the NLP and mapping stages, beside the main "
                   "process that reads articles and writes outputs (default: the number of "
                   "cores; 0 runs everything in the main process). With --executor dask: "
                   "the processes of the local Dask cluster it starts.")
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local",
              show_default=True,
              help="Where the NLP and mapping stages run: local worker processes, or a Dask "
                   "cluster (pip install 'aerokg[dask]').")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="--executor dask: the address of a running Dask scheduler "
                   "(tcp://host:8786); without it a local cluster of --workers processes is "
                   "started.")
@click.option("--shard-size", type=click.IntRange(min=1), default=None,
              help="--executor dask: articles per task (default: growing from 8 to 32, "
                   "seconds of work for one worker; the last ones split among the workers). "
                   "Larger shards mean fewer tasks and files on a very large cluster.")
@click.option("--shard-dir", metavar="PATH_OR_URL", default=None,
              help="--executor dask: where workers write their shards (default "
                   "OUT_DIR/.aerokg/shards); must be reachable from the driver and every "
                   "worker: a shared file system path or an fsspec URL (s3://bucket/prefix).")
@click.pass_context
def run(ctx: click.Context, paths: tuple[Path, ...], out_dir: Path, model: str | None,
        strict: bool, prune: bool, full: bool, force_language: bool, max_bytes: int,
        workers: int | None, executor: str, scheduler: str | None, shard_size: int | None,
        shard_dir: str | None) -> None:
    """Build the knowledge graph of the articles in PATHS (default: corpus/).

    PATHS are files or directories of articles (.txt, .md, .html, .json, .jsonl). Writes
    graph.ttl, graph.trig, graph.graphml, graph.gexf, graph.cyjs and run-report.json into
    OUT_DIR, and keeps its state in OUT_DIR/.aerokg/ (a graph file per article and a
    manifest of their content hashes): a re-run processes only new and changed articles
    (or all of them when the model or aerokg changed) and leaves the outputs untouched
    when nothing changed. Each article is processed on its own: one that fails is reported
    (stderr and run-report.json) and the others go on. Files are replaced atomically: an
    interrupted run leaves the previous outputs intact and the next one resumes. One run
    at a time per OUT_DIR.

    \b
    Exit codes:
      0    every article was processed (or was unchanged)
      1    some articles failed or were skipped (or --strict stopped the run)
      2    usage or configuration error (bad option, model not found)
      3    OUT_DIR is in use by another aerokg run
      130  interrupted (Ctrl-C, SIGTERM); the next run goes on from there

    Examples:

    \b
        aerokg run corpus/ -o outputs/
        aerokg run archive/ -o /shared/kg --executor dask --scheduler tcp://sched:8786
    """
    import signal

    from pipeline.lock import OutDirBusy
    from pipeline.runner import EXIT_BUSY, EXIT_INTERRUPTED, EXIT_USAGE, terminal_progress
    from pipeline.runner import run as run_pipeline

    def interrupted(signum, frame):  # SIGTERM ends the run as Ctrl-C does
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupted)
    except ValueError:  # not the main thread
        previous = None
    dask = None
    if executor == "dask":
        from pipeline.dask_executor import DaskSettings

        if scheduler and workers is not None:
            raise click.UsageError("--scheduler and --workers exclude each other: the "
                                   "scheduler's cluster has its own workers")
        if workers == 0:
            raise click.UsageError("--workers 0 runs in this process: with --executor dask "
                                   "a local cluster needs at least 1 worker")
        dask = DaskSettings(scheduler=scheduler, workers=workers, shard_size=shard_size,
                            shard_dir=shard_dir)
    elif scheduler or shard_size or shard_dir:
        raise click.UsageError("--scheduler, --shard-size and --shard-dir go with "
                               "--executor dask")
    try:
        result = run_pipeline(paths or (Path("corpus"),), out_dir, model=model,
                              progress=terminal_progress, strict=strict, prune=prune,
                              full=full, force_language=force_language, max_bytes=max_bytes,
                              workers=workers, executor=executor, dask=dask)
    except OutDirBusy as err:
        click.echo(f"Error: {err}", err=True)
        ctx.exit(EXIT_BUSY)
    except KeyboardInterrupt:
        click.echo(f"interrupted: the outputs in {out_dir} are those of the previous run; "
                   "the next run goes on from the articles done", err=True)
        ctx.exit(EXIT_INTERRUPTED)
    except OSError as err:
        raise click.ClickException(f"cannot write {out_dir}: {err}") from None
    except Exception as err:
        # imported here: the loader imports spaCy, which an unchanged corpus never needs
        from pipeline.nlp.loader import ConfigError, ModelNotFoundError

        known: tuple[type, ...] = (ModelNotFoundError, ConfigError)
        if executor == "dask":
            from pipeline.dask_executor import DaskSetupError

            known += (DaskSetupError,)
        if not isinstance(err, known):
            raise
        click.echo(f"Error: {err}", err=True)
        ctx.exit(EXIT_USAGE)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    for line in result.problem_lines():
        click.echo(line, err=True)
    for warning in result.report["warnings"]:
        click.echo(f"warning: {warning}", err=True)
    click.echo(result.summary)
    ctx.exit(result.exit_code)


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


@cli.command()
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path),
                default=Path("outputs"))
@click.pass_context
def view(ctx: click.Context, out_dir: Path) -> None:
    """Open OUT_DIR's interactive graph (graph.html; default OUT_DIR: outputs/) in the
    default web browser.

    The page works offline, straight from disk: search a name, filter by type, relation
    or article, click an entity or a relation to see its articles and the sentences it
    comes from. Where there is no browser (a server, an SSH session) the path of the file
    is printed instead: copy it to a machine with one.

    \b
    Exit codes:
      0  opened (or the path printed)
      2  OUT_DIR has no graph.html: run `aerokg run` first

    Example:

        aerokg view outputs/
    """
    import webbrowser

    from pipeline.export.html_view import FILE_NAME

    page = out_dir / FILE_NAME
    if not page.is_file():
        click.echo(f"Error: {page} not found: run `aerokg run -o {out_dir}` first", err=True)
        ctx.exit(2)
    page = page.resolve()
    try:
        opened = webbrowser.open(page.as_uri())
    except (webbrowser.Error, OSError):
        opened = False
    if opened:
        click.echo(f"opened {page}")
    else:
        click.echo("no web browser found: open this file in one", err=True)
        click.echo(str(page))


@cli.command()
@click.option("--out", "-o", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("outputs"), show_default=True, help="Output directory of a run.")
@click.option("--endpoint", "-e", required=True, metavar="URL",
              help="The server's SPARQL 1.1 Graph Store endpoint, e.g. "
                   "http://127.0.0.1:7878/store (Oxigraph), http://host:3030/ds/data (Fuseki), "
                   "http://host:7200/repositories/REPO/rdf-graphs/service (GraphDB).")
@click.option("--retries", type=click.IntRange(min=0), default=3, show_default=True,
              help="Retries of a request after a connection error, timeout, 429 or 5xx "
                   "(exponential backoff).")
@click.option("--backoff", type=click.FloatRange(min=0), default=0.5, show_default=True,
              metavar="SECONDS", help="First wait before a retry; doubled at each retry.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=30.0, show_default=True,
              metavar="SECONDS", help="Timeout of each HTTP request.")
@click.option("--only-changed", is_flag=True,
              help="Skip the graphs whose content is what was last pushed to this endpoint "
                   "(recorded in OUT_DIR/.aerokg/pushed.json).")
@click.option("--no-default-graph", is_flag=True,
              help="Do not push the run metadata (the default graph of graph.trig), which "
                   "replaces the server's default graph.")
@click.option("--prune", is_flag=True,
              help="Also delete from the server the graphs aerokg pushed there before that "
                   "OUT_DIR no longer has (articles removed by `aerokg run --prune`).")
@click.option("--dry-run", is_flag=True, help="List what would be sent; send nothing.")
@click.pass_context
def push(ctx: click.Context, out_dir: Path, endpoint: str, retries: int, backoff: float,
         timeout: float, only_changed: bool, no_default_graph: bool, prune: bool,
         dry_run: bool) -> None:
    """Send OUT_DIR's graphs to a SPARQL server (SPARQL 1.1 Graph Store HTTP Protocol).

    Each article's named graph goes with PUT URL?graph=IRI, the run metadata (the default
    graph of graph.trig) with PUT URL?default. PUT replaces a graph, so pushing again is
    safe: the server holds each article's latest graph once. Graphs are read from
    OUT_DIR/.aerokg/graphs/ one article at a time (or from graph.trig when OUT_DIR has no
    state folder). Graphs of articles no longer in OUT_DIR stay on the server unless
    --prune (which deletes only graphs aerokg pushed to that endpoint).

    \b
    Credentials come from the environment only, never the command line:
      AEROKG_SPARQL_TOKEN                            bearer token, or
      AEROKG_SPARQL_USER and AEROKG_SPARQL_PASSWORD  HTTP basic auth

    \b
    Exit codes:
      0  every graph was pushed (or unchanged with --only-changed)
      1  some graphs failed, or the server cannot be reached, refused the
         credentials or is not a Graph Store endpoint (the push stops)
      2  usage error: bad URL, OUT_DIR missing or without graphs,
         half-set credentials
      3  OUT_DIR is in use by an aerokg run (push waits for nothing: it
         never sends a run's graphs half-way)

    Example:

    \b
        oxigraph serve --location kg-store --bind 127.0.0.1:7878 &
        aerokg push -o outputs/ --endpoint http://127.0.0.1:7878/store
    """
    from pipeline.lock import OutDirBusy, reading

    try:
        with reading(out_dir):
            _push(ctx, out_dir, endpoint, only_changed, prune, dry_run, no_default_graph,
                  retries, backoff, timeout)
    except OutDirBusy as err:
        click.echo(f"Error: {err}", err=True)
        ctx.exit(3)


def _push(ctx: click.Context, out_dir: Path, endpoint: str, only_changed: bool, prune: bool,
          dry_run: bool, no_default_graph: bool, retries: int, backoff: float,
          timeout: float) -> None:
    """`aerokg push` with OUT_DIR's lock held."""
    from pipeline.push import (
        PushUsageError,
        check_endpoint,
        credentials_from_env,
        plan_push,
        summary,
        terminal_progress,
    )
    from pipeline.push import push as push_graphs

    try:
        check_endpoint(endpoint)
        credentials_from_env()
        units = plan_push(out_dir, default_graph=not no_default_graph)
    except PushUsageError as err:
        click.echo(f"Error: {err}", err=True)
        ctx.exit(2)
    if dry_run:
        from pipeline.push import graph_url, load_pushed, stale_graphs

        last = load_pushed(out_dir, endpoint)
        sent = [u for u in units if not only_changed or last.get(u.key) != u.sha256]
        for unit in units:
            skip = "" if unit in sent else "  unchanged, not sent"
            click.echo(f"PUT {graph_url(endpoint, unit.name)}  {unit.triples} triples  "
                       f"({unit.source.name}){skip}")
        stale = stale_graphs(units, last) if prune else []
        for unit in stale:
            click.echo(f"DELETE {graph_url(endpoint, unit.name)}")
        click.echo(f"dry run: {len(sent)} graphs, {sum(u.triples for u in sent)} triples "
                   f"would be sent to {endpoint}"
                   + (f", {len(stale)} graphs deleted" if prune else ""))
        return
    with terminal_progress(len(units)) as progress:
        result = push_graphs(out_dir, endpoint, units=units, retries=retries, backoff=backoff,
                             timeout=timeout, only_changed=only_changed,
                             default_graph=not no_default_graph, prune=prune,
                             progress=progress)
    for unit, reason in result.failed:
        click.echo(f"failed: {unit.label}: {reason}", err=True)
    if result.aborted:
        click.echo(f"Error: {result.aborted}", err=True)
    click.echo(summary(result, endpoint))
    ctx.exit(result.exit_code)


@cli.group()
def daemon() -> None:
    """A warm aerokg process that commands run in (Linux): spaCy, the model and the exports'
    libraries stay loaded, so a command that needs them starts in about 0.2 s instead of about
    two seconds (`aerokg info`: 0.2 s against 1.75 s). A re-run after one of 1,000 articles
    changed took 3.5-4.7 s instead of 5.8-6.7 s in the corpus benchmark.

    While a daemon runs, every `aerokg` command (but `aerokg daemon`) is run by a fork of it,
    with this terminal, directory, environment and arguments: the same outputs and exit
    codes as without it; Ctrl-C stops the command. Set AEROKG_NO_DAEMON=1 to run a command
    without it. It stops after --idle-timeout, and by itself when aerokg or the model it
    loaded changed on disk. It serves only your user, over a socket in a private directory
    ($AEROKG_DAEMON_DIR, else $XDG_RUNTIME_DIR/aerokg, else /tmp/aerokg-UID).

    Example:

    \b
        aerokg daemon start
        aerokg run corpus/ -o outputs/     # served by the daemon
        aerokg daemon status
        aerokg daemon stop
    """


@daemon.command("start")
@model_option
@click.option("--idle-timeout", type=click.FloatRange(min=0), default=3600, show_default=True,
              metavar="SECONDS", help="Stop after this long without a command (0: never).")
def daemon_start(model: str | None, idle_timeout: float) -> None:
    """Start the daemon in the background, loading MODEL (as `aerokg run` would choose it);
    return once it serves commands. Its log is daemon.log beside its socket.

    Example:

        aerokg daemon start --idle-timeout 0
    """
    from pipeline.daemon import DaemonError, start

    try:
        info = start(model, idle_timeout)
    except DaemonError as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"aerokg daemon {info.pid} ready in {info.load_seconds} s "
               f"(model {info.model}; socket in {info.directory})")


@daemon.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def daemon_status(ctx: click.Context, as_json: bool) -> None:
    """Say whether a daemon runs, with its pid, model, memory and commands served.
    Exit code 0 if one runs, 1 if none.

    Example:

        aerokg daemon status --json
    """
    import dataclasses
    import time

    from pipeline.daemon import DaemonError, status

    try:
        info = status()
    except DaemonError as err:
        raise click.ClickException(str(err)) from None
    if as_json:
        click.echo(json.dumps(dataclasses.asdict(info) if info else None))
    elif info is None:
        click.echo("no aerokg daemon running")
    else:
        up = time.time() - info.started
        click.echo(f"aerokg daemon {info.pid}: model {info.model}, up {up:.0f} s, "
                   f"{info.requests} requests served, {info.rss_mb} MB resident "
                   f"(socket in {info.directory})")
    ctx.exit(0 if info else 1)


@daemon.command("stop")
def daemon_stop() -> None:
    """Stop the daemon (commands it is running go on to their end).

    Example:

        aerokg daemon stop
    """
    from pipeline.daemon import DaemonError, stop

    try:
        info = stop()
    except DaemonError as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"stopped aerokg daemon {info.pid}" if info else "no aerokg daemon running")


def main() -> None:
    """The ``aerokg`` command: run by the daemon if one is running (see ``aerokg daemon``),
    else here."""
    import sys

    from pipeline.gc_pause import ends_with_its_work

    argv = sys.argv[1:]
    if not argv or argv[0] != "daemon":
        from pipeline.daemon import run_through_daemon

        code = run_through_daemon(argv)
        if code is not None:
            sys.exit(code)
        ends_with_its_work()  # run here, the command ends with its work (a daemon goes on)
    try:
        cli()
    finally:
        # Everything is written. Python's tear-down collects garbage over every object the
        # command made (a re-run's graphs and tables: 0.3 s); frozen, they are skipped (the
        # exit handlers still run, the modules are still finalized).
        import gc

        gc.freeze()
