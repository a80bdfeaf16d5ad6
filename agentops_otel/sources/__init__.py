"""Trace sources: where recorded sessions are read back from.

Every source turns its input into SpanRecords through one small adapter and builds the shared
Session model from them. Pick one with a spec string (the CLI's `--source`, or AGENTOPS_OTEL_SOURCE):

    (nothing)                     the local store at AGENTOPS_OTEL_STORE_PATH or .agentops/traces.db
    store:PATH  | PATH.db         a local store file
    file:PATH   | PATH.json[l][.gz]  OTLP JSON (Collector file exporter lines, or one document)
    jaeger:URL                    Jaeger query API, e.g. jaeger:http://localhost:16686
    tempo:URL                     Tempo HTTP API, e.g. tempo:http://localhost:3200
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import Protocol

from .._config import ENV_SOURCE, store_path
from ..errors import ConfigurationError, StoreError
from ..model import Session, SessionSummary
from ._since import parse_since


class TraceSource(Protocol):
    """What every source offers. Filters are optional and combine with AND."""

    description: str  # shown in errors and listings, e.g. "jaeger:http://127.0.0.1:16686"

    def sessions(
        self,
        *,
        since_ns: int | None = None,
        tags: Sequence[str] = (),
        status: str | None = None,
        service: str | None = None,
        limit: int | None = None,
    ) -> list[SessionSummary]:
        """Recent sessions, newest first."""
        ...

    def iter_sessions(
        self,
        *,
        since_ns: int | None = None,
        tags: Sequence[str] = (),
        status: str | None = None,
        service: str | None = None,
    ) -> Iterator[SessionSummary]:
        """Every matching session, streamed (what a gate rates: never a truncated sample). The store
        sums what the gate rates (end state, cost, LLM calls) in SQL, leaving usage out and steps None;
        a file is read in one streaming pass, a backend's search is paged through by time windows; one
        that cannot give them all raises SourceError saying why.
        """
        ...

    def session(self, ident: str) -> Session:
        """One session by session id, trace id, or a unique prefix of either.

        Raises SessionNotFoundError (none, or an ambiguous prefix) or SourceError (unreachable, corrupt).
        """
        ...


_SCHEMES = ("store", "file", "jaeger", "tempo")


def open_source(spec: str | None = None, *, skip_bad_lines: bool = False) -> TraceSource:
    """Open the source a spec names (see the module docstring for the forms).

    `skip_bad_lines`: an OTLP JSON Lines file's unreadable lines are skipped (with one warning that
    counts them) instead of failing the read.
    """
    spec = (spec if spec is not None else os.environ.get(ENV_SOURCE, "")).strip()
    scheme, _, rest = spec.partition(":")
    if scheme not in _SCHEMES or (scheme in ("store", "file") and not rest):
        scheme, rest = _guess(spec), spec
    if scheme == "store":
        from ._store import StoreSource

        store = StoreSource(rest or None)
        if rest and not store.exists:  # named on purpose: a typo, not "nothing recorded yet"
            raise StoreError(f"no store at {store.path}: check the path (agentops-otel records to {store_path()})")
        return store
    if scheme == "file":
        from ._otlp_file import OtlpFileSource

        return OtlpFileSource(rest, skip_bad_lines=skip_bad_lines)
    if not rest.startswith(("http://", "https://")):
        port = 16686 if scheme == "jaeger" else 3200  # each backend's query API port
        raise ConfigurationError(f"{scheme}: source needs a URL, e.g. {scheme}:http://127.0.0.1:{port}")
    if scheme == "jaeger":
        from ._jaeger import JaegerSource

        return JaegerSource(rest)
    from ._tempo import TempoSource

    return TempoSource(rest)


def _guess(spec: str) -> str:
    if not spec or spec.endswith((".db", ".sqlite", ".sqlite3")):
        return "store"
    if spec.endswith((".json", ".jsonl", ".json.gz", ".jsonl.gz", ".gz")) or os.path.isfile(spec):
        return "file"
    raise ConfigurationError(
        f"cannot tell what kind of source {spec!r} is: use store:PATH, file:PATH, "
        "jaeger:http://HOST:16686 or tempo:http://HOST:3200"
    )


__all__ = ["TraceSource", "open_source", "parse_since"]
