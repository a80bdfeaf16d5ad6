"""StoreSource: sessions read back from a local store file (the default source)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

from .._config import store_path
from ..errors import SessionNotFoundError
from ..model import Session, SessionSummary
from ..store import LocalStore
from ._select import read_session

_SHOWN_CANDIDATES = 5


class StoreSource:
    """A local store, opened read-only per call so a long-lived reader never holds the file.

    A missing file is a store with nothing recorded yet: `sessions()` is empty and `session()` raises
    SessionNotFoundError; a foreign, newer or corrupt file raises StoreError.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = store_path(path)
        self.description = f"store:{self.path}"

    @property
    def exists(self) -> bool:
        return self.path.is_file()

    def _open(self) -> LocalStore:
        return LocalStore(self.path, create=False)

    def sessions(
        self,
        *,
        since_ns: int | None = None,
        tags: Sequence[str] = (),
        status: str | None = None,
        service: str | None = None,
        limit: int | None = None,
    ) -> list[SessionSummary]:
        if not self.exists:
            return []
        with self._open() as store:
            return store.sessions(since_ns=since_ns, tags=tags, status=status, service=service, limit=limit)

    def iter_sessions(
        self,
        *,
        since_ns: int | None = None,
        tags: Sequence[str] = (),
        status: str | None = None,
        service: str | None = None,
    ) -> Iterator[SessionSummary]:
        """Every matching session, with what the gate rates summed in SQL (LocalStore.iter_sessions)."""
        if not self.exists:
            return
        with self._open() as store:
            yield from store.iter_sessions(since_ns=since_ns, tags=tags, status=status, service=service)

    def session(self, ident: str) -> Session:
        if not self.exists:
            raise SessionNotFoundError(
                f"no session {ident!r}: no sessions recorded yet in {self.path} "
                "(run `agentops-otel demo`, or point --source at another store)"
            )
        with self._open() as store:
            candidates = store.find(ident)
            if not candidates:
                raise SessionNotFoundError(
                    f"no session or trace id starts with {ident!r} in {self.path}: "
                    "list them with `agentops-otel sessions`"
                )
            if len(candidates) > 1:
                shown = ", ".join(session_id for _, session_id in candidates[:_SHOWN_CANDIDATES])
                more = len(candidates) - _SHOWN_CANDIDATES
                raise SessionNotFoundError(
                    f"{ident!r} matches {len(candidates)} sessions ({shown}{f', and {more} more' if more > 0 else ''}):"
                    " give more characters of the id"
                )
            trace_id = candidates[0][0]
            return read_session(store.trace(trace_id))
