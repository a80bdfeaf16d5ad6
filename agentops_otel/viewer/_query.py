"""What a viewer address asks for: filters, search, sort and page of the session list, and the window
and grouping of the trends. Every value a user can get wrong is a BadRequest naming it."""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .. import _states
from ..errors import ConfigurationError
from ..sources import parse_since

_STATUSES = {s.lower(): s for s in _states.STATUSES}  # what every source filters on
MAX_LIMIT = 100_000  # larger does not fit the store's query (and no page shows that many rows)
PAGE_SIZES = (25, 50, 100, 200, 500)
SORTS = ("start", "duration", "cost", "tokens", "steps", "llm_calls", "status", "name", "tags", "service")
GROUPS = ("none", "service", "tag")
BUCKETS = {"5m": 300, "15m": 900, "1h": 3600, "3h": 3 * 3600, "6h": 6 * 3600, "1d": 86400, "7d": 7 * 86400}

Query = Mapping[str, Sequence[str]]


class BadRequest(ValueError):
    """A value in the address the viewer cannot use; shown on the page with what to do."""


def _one(query: Query, name: str) -> str | None:
    value = (query.get(name) or [""])[0].strip()
    return value or None


def _whole(query: Query, name: str, low: int, high: int, default: int | None) -> int | None:
    text = _one(query, name)
    if text is None:
        return default
    if not (text.isdigit() and low <= int(text) <= high):
        raise BadRequest(f"{name} {text!r} is not a whole number from {low} to {high}")
    return int(text)


def _since(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return parse_since(text)  # the CLI's --since forms, so both read the same
    except ConfigurationError as exc:
        raise BadRequest(str(exc)) from None


def _choice(query: Query, name: str, choices: Sequence[str], default: str) -> str:
    value = _one(query, name)
    if value is None:
        return default
    if value not in choices:
        raise BadRequest(f"{name} {value!r} is not one of {', '.join(choices)}")
    return value


@dataclass(frozen=True)
class Filters:
    """What the sources filter on, as `TraceSource.sessions(**filters.source_arguments())` takes it."""

    status: str | None = None
    service: str | None = None
    tags: tuple[str, ...] = ()
    since: str | None = None
    since_ns: int | None = None
    limit: int | None = None

    def source_arguments(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "service": self.service,
            "tags": list(self.tags),
            "since_ns": self.since_ns,
            "limit": self.limit,
        }

    def params(self) -> list[tuple[str, str]]:
        found = [("status", self.status), ("service", self.service), ("since", self.since)]
        pairs = [(k, v) for k, v in found if v]
        pairs += [("tag", t) for t in self.tags]
        if self.limit is not None:
            pairs.append(("limit", str(self.limit)))
        return pairs


def filters(query: Query, *, since_default: str | None = None, limit_default: int | None = None) -> Filters:
    status = _one(query, "status")
    if status is not None and status.lower() not in _STATUSES:
        raise BadRequest(f"status {status!r} is not one of {', '.join(_STATUSES.values())}")
    tags = tuple(t.strip() for value in query.get("tag", []) for t in value.split(",") if t.strip())
    since = _one(query, "since") or since_default
    return Filters(
        status=_STATUSES[status.lower()] if status else None,
        service=_one(query, "service"),
        tags=tags,
        since=since,
        since_ns=_since(since),
        limit=_whole(query, "limit", 1, MAX_LIMIT, limit_default),
    )


@dataclass(frozen=True)
class ListQuery:
    """The session list: filters, a search, the order and the page."""

    filters: Filters = field(default_factory=Filters)
    search: str | None = None
    sort: str = "start"
    descending: bool = True
    page: int = 1
    per_page: int = 50
    scan: int = 500  # sessions whose steps a text search reads, newest first

    def params(self, **changes: Any) -> str:
        """This list's address query, with `changes` (e.g. page=2) applied."""
        query = replace(self, **changes) if changes else self
        pairs = query.filters.params()
        if query.search:
            pairs.append(("q", query.search))
        if (query.sort, query.descending) != ("start", True):
            pairs += [("sort", query.sort), ("order", "desc" if query.descending else "asc")]
        if query.page != 1:
            pairs.append(("page", str(query.page)))
        if query.per_page != 50:
            pairs.append(("per", str(query.per_page)))
        if query.scan != 500:
            pairs.append(("scan", str(query.scan)))
        return urllib.parse.urlencode(pairs)


def list_query(query: Query) -> ListQuery:
    per = _whole(query, "per", 1, max(PAGE_SIZES), 50)
    return ListQuery(
        filters=filters(query),
        search=_one(query, "q"),
        sort=_choice(query, "sort", SORTS, "start"),
        descending=_choice(query, "order", ("asc", "desc"), "desc") == "desc",
        page=_whole(query, "page", 1, 10**9, 1) or 1,
        per_page=per or 50,
        scan=_whole(query, "scan", 1, MAX_LIMIT, 500) or 500,
    )


@dataclass(frozen=True)
class TrendQuery:
    filters: Filters
    group: str = "none"
    bucket: str | None = None  # a key of BUCKETS; None: chosen from the window


def trend_query(query: Query) -> TrendQuery:
    """As `agentops-otel check` reads by default: the last 24 hours, the newest 1,000 sessions."""
    bucket = _one(query, "bucket")
    if bucket is not None and bucket != "auto" and bucket not in BUCKETS:
        raise BadRequest(f"bucket {bucket!r} is not one of auto, {', '.join(BUCKETS)}")
    return TrendQuery(
        filters=filters(query, since_default="24h", limit_default=1000),
        group=_choice(query, "group", GROUPS, "none"),
        bucket=None if bucket in (None, "auto") else bucket,
    )


__all__ = [
    "BUCKETS",
    "GROUPS",
    "PAGE_SIZES",
    "SORTS",
    "BadRequest",
    "Filters",
    "ListQuery",
    "TrendQuery",
    "filters",
    "list_query",
    "trend_query",
]
