"""Query edge: named competency queries and any SPARQL over an output directory's graph."""

from pipeline.query.run import (
    FORMATS,
    QueryError,
    format_rows,
    load_output,
    named_queries,
    run_query,
)

__all__ = ["FORMATS", "QueryError", "format_rows", "load_output", "named_queries", "run_query"]
