"""Reading every session a grouped judgement needs, whole, and never a silently truncated sample.

Pass rates per group and trajectories need each session's steps, so each listed session is read in full
(`TraceSource.session`); names are filtered here (no source filters by name). A group judged on the
newest N of more sessions would be judged on a sample cut by time, not chosen: when more sessions match
than `limit`, reading fails with the reason instead.

Sessions started inside a listed session join its run only when they were read too: a `--tag` or
`--name` filter can leave them out (their tags and names are their own). What would make this exact
and faster is a source-level method: sessions listed with their parent session id and test node id
(or a `children(session_id)` lookup), and a batch read of whole sessions (one query, not one per session:
1000 sessions of four steps read from the store take 0.6 s this way).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..errors import ConfigurationError
from ..model import Session

if TYPE_CHECKING:
    from ..sources import TraceSource


def name_matches(name: str, patterns: Sequence[str]) -> bool:
    """True when no pattern is given, or the name matches one (`*` and `?` wildcards, exact otherwise)."""
    return not patterns or any(fnmatch.fnmatchcase(name, p) for p in patterns)


def read_sessions(
    source: TraceSource,
    *,
    since_ns: int | None,
    tags: Sequence[str] = (),
    service: str | None = None,
    names: Sequence[str] = (),
    limit: int,
) -> list[Session]:
    """Every matching session in full, oldest first; ConfigurationError when more than `limit` match."""
    summaries = source.sessions(since_ns=since_ns, tags=list(tags), service=service, limit=limit + 1)
    if len(summaries) > limit:
        raise ConfigurationError(
            f"more than {limit} sessions match in {source.description}: pass rates over the newest {limit} "
            "would judge groups on a sample cut short; raise --limit, or narrow --since, --tag or --service"
        )
    chosen = [s for s in summaries if name_matches(s.name, names)]
    sessions = [source.session(s.trace_id) for s in chosen]  # a full trace id: unique, and always there
    return sorted(sessions, key=lambda s: s.root.start_ns)
